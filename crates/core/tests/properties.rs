//! Hostile and random input against the domain's parsers and clock:
//! access codes, money, business-time targets, and business-time
//! arithmetic across daylight-saving changes and holidays, and a
//! customer's loyalty part kept up response by response. Each property
//! holds for every generated case, and nothing panics.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use redress_core::access_code;
use redress_core::calendar::{BusinessCalendar, OpenHours, Target, WeekHours};
use redress_core::money::{Currency, Money};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Anything typed is either no code at all or one canonical code.
    #[test]
    fn any_text_normalises_to_a_code_or_to_nothing(input in any::<String>()) {
        if let Some(code) = access_code::normalize(&input) {
            prop_assert_eq!(code.len(), 12);
            prop_assert_eq!(access_code::normalize(&code), Some(code.clone()));
            prop_assert_eq!(access_code::digest_of(&input), Some(access_code::digest(&code)));
        } else {
            prop_assert_eq!(access_code::digest_of(&input), None);
        }
    }

    /// A code given out reads back however it is typed: any case, with or
    /// without its dashes, spaced, O for 0 and I or L for 1.
    #[test]
    fn a_code_given_out_reads_back_however_typed(bytes in any::<[u8; 8]>(), lower in any::<bool>(), spaced in any::<bool>()) {
        let code = access_code::from_random(bytes);
        let mut typed = code.replace('-', if spaced { " " } else { "" }).replace('0', "O").replace('1', "l");
        if lower {
            typed = typed.to_lowercase();
        }
        prop_assert_eq!(access_code::digest_of(&typed), access_code::digest_of(&code));
    }

    /// Any text is an amount or a refusal; an amount prints as it reads.
    #[test]
    fn money_parses_or_refuses_and_round_trips(text in any::<String>()) {
        if let Ok(m) = Money::parse(&text) {
            prop_assert!(m.minor() >= 0);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        }
    }

    /// Every amount at every exponent ISO 4217 uses prints and reads back
    /// exactly, with its places, and a currency of that exponent takes it
    /// as it is.
    #[test]
    fn every_amount_prints_and_reads_back(whole in 0i64..=99_999_999_999, frac in 0i64..10_000, code in prop::sample::select(vec!["JPY", "EUR", "KWD", "CLF"])) {
        let currency = Currency::from_code(code).unwrap();
        let exponent = currency.exponent();
        let unit = 10i64.pow(u32::from(exponent));
        let m = Money::new(whole * unit + frac % unit, exponent);
        let text = m.to_string();
        prop_assert_eq!(text.split_once('.').map_or(0, |(_, f)| f.len()), usize::from(exponent));
        let back = Money::parse(&text).unwrap();
        prop_assert_eq!(back, m);
        prop_assert_eq!(back.exponent(), exponent);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        prop_assert_eq!(currency.amount("x", back).unwrap().to_string(), text);
    }

    #[test]
    fn any_json_number_is_an_amount_or_a_refusal(n in any::<f64>()) {
        let _ = serde_json::from_str::<Money>(&serde_json::json!(n).to_string());
    }

    #[test]
    fn targets_parse_or_refuse(text in any::<String>()) {
        if let Ok(t) = Target::parse(&text) {
            prop_assert_eq!(Target::parse(&t.to_string()), Ok(t));
        }
    }

    /// Adding business time never goes backwards and never panics, in zones
    /// with daylight-saving changes (London, New York, Lord Howe's half
    /// hour, Chatham's 45 minutes) and with holidays; a later start never
    /// ends earlier, and the business time between the two ends is what
    /// was added.
    #[test]
    fn business_time_never_goes_backwards(
        start_secs in 1_735_689_600i64..1_924_992_000,
        later_by in 0i64..(40 * 24 * 3600),
        zone in prop::sample::select(vec!["Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "UTC", "Asia/Kolkata"]),
        open_at in 0i8..12,
        hours in 1i8..12,
        saturday in any::<bool>(),
        holidays in prop::collection::vec(0i32..3650, 0..40),
        target in prop_oneof![(0u32..30).prop_map(Target::Days), (0u32..200).prop_map(Target::Hours), (0u32..5000).prop_map(Target::Minutes)],
    ) {
        let tz = TimeZone::get(zone).unwrap();
        let day = Some(OpenHours { open: Time::new(open_at, 0, 0, 0).unwrap(), close: Time::new(open_at + hours, 0, 0, 0).unwrap() });
        let week = WeekHours { mon: day, tue: day, wed: day, thu: day, fri: day, sat: if saturday { day } else { None }, sun: None };
        let base = Date::constant(2025, 1, 1);
        let cal = BusinessCalendar::new(tz, week, holidays.iter().filter_map(|d| base.checked_add(jiff::Span::new().days(*d)).ok()));
        let start = Timestamp::from_second(start_secs).unwrap();
        let end = cal.add(start, target);
        prop_assert!(end >= start, "{start} + {target} = {end}");
        let later = start + SignedDuration::from_secs(later_by);
        prop_assert!(cal.add(later, target) >= end, "a later start ends no earlier");
        if let Target::Minutes(m) = target {
            prop_assert_eq!(cal.business_time_between(start, end), SignedDuration::from_mins(i64::from(m)));
        }
        prop_assert!(cal.next_open(start) >= start);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A customer's loyalty part kept up response by response — each new
    /// response's move added to the part stored before it, as the store does
    /// for a response written now — is the part computed afresh from all
    /// their facts; a response earlier than another is refused (computed
    /// afresh instead). Times fall on a few instants over a few days, so
    /// ties, same-day and midnight-crossing cases all occur.
    #[test]
    fn a_loyalty_part_kept_up_response_by_response_equals_it_computed_afresh(
        case in prop::option::of(0i64..48),
        closed_after in prop::option::of(0i64..48),
        answers in prop::collection::vec((0i64..48, prop::option::of(0u8..7), prop::option::of(0u8..12)), 0..8),
    ) {
        use redress_core::insight::{add_contributions, CustomerFacts, OtherResponses, ScoredResponse};
        use redress_core::CustomerId;
        let at = |hours: i64| Timestamp::from_second(1_796_000_000 + hours * 3_600 + (hours % 3) * 1_799).unwrap();
        let cal = BusinessCalendar::new(TimeZone::get("Europe/London").unwrap(), WeekHours::default(), []);
        let first_case_at = case.map(at);
        let resolved_at = case.zip(closed_after).map(|(c, after)| at(c + after));
        let mut facts = CustomerFacts { customer_id: CustomerId(1), first_case_at, resolved_at, responses: Vec::new() };
        let mut stored = facts.contributions(&cal);
        for (hours, rating, nps) in answers {
            let new = ScoredResponse { at: at(hours), rating, nps };
            let others = OtherResponses { first: facts.responses.iter().map(|r| r.at).min(), last: facts.responses.iter().map(|r| r.at).max() };
            let moved = CustomerFacts::added_response(first_case_at, resolved_at, others, &new, &cal);
            facts.responses.push(new);
            let afresh = facts.contributions(&cal);
            match moved {
                Some(moved) => {
                    prop_assert!(others.last.is_none_or(|last| last <= new.at));
                    add_contributions(&mut stored, moved);
                    prop_assert_eq!(&stored, &afresh);
                }
                None => {
                    prop_assert!(others.last.is_some_and(|last| last > new.at));
                    stored = afresh;
                }
            }
        }
    }
}
