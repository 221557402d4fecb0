//! The words customers read, in every language Redress speaks.
//!
//! Each language is one Fluent catalog (`locales/<code>.ftl`), built into
//! the binary, so a running server never reads a file. [`Lang`] is the
//! language itself; [`Lang::negotiate`] picks one from a browser's
//! `Accept-Language`; [`text`] looks a message up (falling back to English,
//! then to the message id, which a test forbids on every public page);
//! [`date`], [`date_time`] and [`money`] write dates and amounts as the
//! language does. No I/O: the domain composes its e-mails with it.
#![forbid(unsafe_code)]

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A language customers can be served in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The ISO 639-1 code: `en`, `de`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The language's name in itself, for a language switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
        }
    }

    /// A code such as `de`, `DE` or `de-AT`; `None` for a language Redress does not speak.
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language a browser asks for most (RFC 9110 `Accept-Language`,
    /// quality values honoured) among those Redress speaks.
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(Lang, f32)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let Some(tag) = parts.next() else { continue };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                    best = Some((lang, q));
                }
            }
        }
        best.map(|(l, _)| l)
    }

    fn index(self) -> usize {
        self as usize
    }
}

const CATALOGS: [(&str, &str); 2] = [("en", include_str!("../locales/en.ftl")), ("de", include_str!("../locales/de.ftl"))];

fn bundles() -> &'static Vec<FluentBundle<FluentResource>> {
    static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        CATALOGS
            .iter()
            .map(|(code, source)| {
                let id: unic_langid::LanguageIdentifier = code.parse().unwrap_or_default();
                let mut bundle = FluentBundle::new_concurrent(vec![id]);
                // Pages and e-mails are not bidirectional text: no isolation marks.
                bundle.set_use_isolating(false);
                let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, errors)| {
                    debug_assert!(errors.is_empty(), "catalog {code} does not parse: {errors:?}");
                    partial
                });
                // A message defined twice keeps its first definition; the catalog test forbids it.
                let _ = bundle.add_resource(resource);
                bundle
            })
            .collect()
    })
}

/// A value put into a message.
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s.as_str())
    }
}
impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

fn format(lang: Lang, id: &str, args: &[(&str, Arg)]) -> Option<String> {
    let bundle = &bundles()[lang.index()];
    let (id, attr) = match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    };
    let message = bundle.get_message(id)?;
    let pattern = match attr {
        Some(a) => message.get_attribute(a)?.value(),
        None => message.value()?,
    };
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(s) => fargs.set(*name, FluentValue::from(*s)),
            Arg::Number(n) => fargs.set(*name, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
    Some(out.into_owned())
}

/// Message `id` (or `id.attribute`) in `lang` with `args`; in English when
/// `lang` lacks it; the id itself when no catalog has it.
pub fn text(lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
    format(lang, id, args).or_else(|| format(Lang::En, id, args)).unwrap_or_else(|| id.to_string())
}

/// Message `id` without arguments.
pub fn t(lang: Lang, id: &str) -> String {
    text(lang, id, &[])
}

const MONTHS_EN: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const MONTHS_DE: [&str; 12] = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];
const DAYS_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const DAYS_DE: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];

/// A day as the language writes it: "1 December 2026", "1. Dezember 2026".
pub fn date(lang: Lang, d: jiff::civil::Date) -> String {
    let month = (d.month() - 1) as usize;
    match lang {
        Lang::En => format!("{} {} {}", d.day(), MONTHS_EN[month], d.year()),
        Lang::De => format!("{}. {} {}", d.day(), MONTHS_DE[month], d.year()),
    }
}

/// A moment with its weekday: "Tuesday 1 December 2026, 14:30",
/// "Dienstag, 1. Dezember 2026, 14:30 Uhr".
pub fn date_time(lang: Lang, z: &jiff::Zoned) -> String {
    let day = z.weekday().to_monday_zero_offset() as usize;
    let hm = format!("{:02}:{:02}", z.hour(), z.minute());
    match lang {
        Lang::En => format!("{} {}, {hm}", DAYS_EN[day], date(lang, z.date())),
        Lang::De => format!("{}, {}, {hm} Uhr", DAYS_DE[day], date(lang, z.date())),
    }
}

/// An amount in minor units with `exponent` decimal places as the
/// language writes it: "€1,234.50", "1.234,50 €", "¥1,500"; codes without
/// a common sign are written out ("CHF 12.00", "12,500 KWD" in German).
pub fn money(lang: Lang, minor: i64, exponent: u8, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let unit = 10u64.pow(u32::from(exponent));
    let (units, cents) = (abs / unit, abs % unit);
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::De => ('.', ','),
    };
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    let number = if exponent == 0 { format!("{sign}{grouped}") } else { format!("{sign}{grouped}{decimal}{cents:0width$}", width = usize::from(exponent)) };
    let symbol = match currency {
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "USD" => Some("$"),
        "JPY" => Some("¥"),
        _ => None,
    };
    match (lang, symbol) {
        (Lang::En, Some(s)) => format!("{sign}{s}{}", &number[sign.len()..]),
        (Lang::En, None) => format!("{currency} {number}"),
        (Lang::De, Some(s)) => format!("{number} {s}"),
        (Lang::De, None) => format!("{number} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_string()).expect("catalog parses");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_catalog_parses_and_has_every_message() {
        let en = ids(CATALOGS[0].1);
        assert!(en.len() > 20);
        for (code, source) in CATALOGS {
            let these = ids(source);
            assert_eq!(these, en, "catalog {code} must define exactly the English messages");
            let count = FluentResource::try_new(source.to_string()).unwrap().entries().filter(|e| matches!(e, fluent_syntax::ast::Entry::Message(_))).count();
            assert_eq!(count, these.len(), "catalog {code} defines a message twice");
        }
    }

    #[test]
    fn browsers_are_served_the_language_they_prefer() {
        assert_eq!(Lang::negotiate("de-DE,de;q=0.9,en;q=0.8"), Some(Lang::De));
        assert_eq!(Lang::negotiate("fr-FR, en;q=0.5, de;q=0.7"), Some(Lang::De));
        assert_eq!(Lang::negotiate("fr, es"), None);
        assert_eq!(Lang::negotiate("de;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::parse("DE_at"), Some(Lang::De));
    }

    #[test]
    fn dates_and_money_as_each_language_writes_them() {
        let d = jiff::civil::date(2026, 12, 1);
        assert_eq!(date(Lang::En, d), "1 December 2026");
        assert_eq!(date(Lang::De, d), "1. Dezember 2026");
        let z = d.at(14, 30, 0, 0).in_tz("Europe/Berlin").unwrap();
        assert_eq!(date_time(Lang::De, &z), "Dienstag, 1. Dezember 2026, 14:30 Uhr");
        assert_eq!(money(Lang::En, 123450, 2, "EUR"), "€1,234.50");
        assert_eq!(money(Lang::De, 123450, 2, "EUR"), "1.234,50 €");
        assert_eq!(money(Lang::En, -500, 2, "GBP"), "-£5.00");
        assert_eq!(money(Lang::De, 1200, 2, "CHF"), "12,00 CHF");
        assert_eq!(money(Lang::En, 1500, 0, "JPY"), "¥1,500");
        assert_eq!(money(Lang::En, 12500, 3, "KWD"), "KWD 12.500");
        assert_eq!(money(Lang::De, 1234500, 3, "KWD"), "1.234,500 KWD");
    }

    #[test]
    fn missing_messages_fall_back_and_arguments_fill_in() {
        assert_eq!(t(Lang::De, "no-such-message"), "no-such-message");
        assert!(text(Lang::En, "status-link-footer", &[("link", "https://x/s/abc".into())]).contains("https://x/s/abc"));
    }
}
