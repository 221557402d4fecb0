//! Money as integer minor units (never `f64`), in the organisation's
//! currency and that currency's ISO 4217 exponent: JPY has no minor unit,
//! EUR has cents (2), KWD has fils (3).
//!
//! An amount knows its exponent, so it reads and prints exactly: on the wire
//! it is a decimal string with as many places as its currency has (`"30"`,
//! `"30.00"`, `"30.000"`); requests may also send a JSON number. A request's
//! amount is read as written (up to four places, the most any ISO 4217
//! currency has) and then taken into the organisation's [`Currency`], which
//! refuses digits the currency does not have ("30.5" in yen) and writes the
//! rest at its exponent. Amounts compare and add by value.

use crate::DomainError;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The most decimal places an amount may be written with: no ISO 4217
/// currency has more (CLF and UYW have four).
pub const MAX_EXPONENT: u8 = 4;

/// Largest accepted amount, in major units: one hundred billion, less one.
const MAX_WHOLE: i64 = 99_999_999_999;

/// A non-negative amount: `minor` units at `exponent` decimal places.
#[derive(Clone, Copy, Debug, Default)]
pub struct Money {
    minor: i64,
    exponent: u8,
}

impl Money {
    pub const ZERO: Money = Money { minor: 0, exponent: 0 };

    /// `minor` units of a currency with `exponent` decimal places
    /// (`Money::new(1250, 2)` is 12.50).
    pub fn new(minor: i64, exponent: u8) -> Money {
        debug_assert!(exponent <= MAX_EXPONENT);
        Money { minor, exponent: exponent.min(MAX_EXPONENT) }
    }

    /// The amount in minor units at its own exponent.
    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// The amount in minor units at `exponent`, if it is whole there.
    pub fn minor_at(self, exponent: u8) -> Option<i64> {
        match exponent.cmp(&self.exponent) {
            Ordering::Equal => Some(self.minor),
            Ordering::Greater => self.minor.checked_mul(10i64.pow(u32::from(exponent - self.exponent))),
            Ordering::Less => {
                let f = 10i64.pow(u32::from(self.exponent - exponent));
                (self.minor % f == 0).then_some(self.minor / f)
            }
        }
    }

    /// The amount written at `exponent` ("12.5000" at 2 is "12.50"):
    /// exact where it is whole there, as every amount taken in through a
    /// [`Currency`] is at that currency's exponent; otherwise it keeps its
    /// own, finer, exponent.
    pub fn at(self, exponent: u8) -> Money {
        self.minor_at(exponent).map_or(self, |minor| Money { minor, exponent })
    }

    /// The amount in ten-thousandths ([`MAX_EXPONENT`]), where every amount
    /// is whole: how the store keeps sums and comparisons in SQL.
    pub fn scaled_minor(self) -> i64 {
        self.minor_at(MAX_EXPONENT).unwrap_or(i64::MAX)
    }

    /// An amount kept by [`Money::scaled_minor`].
    pub fn from_scaled(minor: i64) -> Money {
        Money { minor, exponent: MAX_EXPONENT }
    }

    /// The amount at the finest scale, where every amount is whole.
    fn scaled(self) -> i128 {
        i128::from(self.minor) * 10i128.pow(u32::from(MAX_EXPONENT - self.exponent))
    }

    /// The sum, at the finer of the two exponents.
    pub fn saturating_add(self, other: Money) -> Money {
        let exponent = self.exponent.max(other.exponent);
        let (a, b) = (self.minor_at(exponent).unwrap_or(i64::MAX), other.minor_at(exponent).unwrap_or(i64::MAX));
        Money { minor: a.saturating_add(b), exponent }
    }

    /// Parses `"30"`, `"30.5"` or `"30.5000"` as written; refuses signs,
    /// more than four decimals, exponents and absurd sizes, saying which.
    pub fn parse(text: &str) -> Result<Money, String> {
        let t = text.trim();
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !(frac.is_empty() || digits(frac)) || (t.contains('.') && frac.is_empty()) {
            return Err(format!("'{text}' is not an amount: use a non-negative decimal such as \"30.00\""));
        }
        if frac.len() > usize::from(MAX_EXPONENT) {
            return Err(format!("'{text}' has more than {MAX_EXPONENT} decimal places"));
        }
        let whole: i64 = whole.parse().ok().filter(|w| *w <= MAX_WHOLE).ok_or_else(|| format!("'{text}' is too large"))?;
        let exponent = frac.len() as u8;
        let frac: i64 = if frac.is_empty() { 0 } else { frac.parse().unwrap_or(0) };
        Ok(Money { minor: whole * 10i64.pow(u32::from(exponent)) + frac, exponent })
    }
}

impl PartialEq for Money {
    fn eq(&self, other: &Money) -> bool {
        self.scaled() == other.scaled()
    }
}

impl Eq for Money {}

impl PartialOrd for Money {
    fn partial_cmp(&self, other: &Money) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Money {
    fn cmp(&self, other: &Money) -> Ordering {
        self.scaled().cmp(&other.scaled())
    }
}

impl Hash for Money {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.scaled().hash(h);
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Money::saturating_add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.exponent == 0 {
            return write!(f, "{}", self.minor);
        }
        let unit = 10i64.pow(u32::from(self.exponent));
        write!(f, "{}.{:0width$}", self.minor / unit, self.minor % unit, width = usize::from(self.exponent))
    }
}

/// An ISO 4217 currency, from the `iso_currency` crate's table: its code
/// and its exponent (how many decimal places its minor unit has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// The currency of an ISO 4217 code such as `"EUR"` (any case). Codes
    /// without a minor unit (gold, the SDR, the testing code) are not money
    /// a complaint is settled in, and are refused.
    pub fn from_code(code: &str) -> Result<Currency, DomainError> {
        let upper = code.trim().to_ascii_uppercase();
        let c = iso_currency::Currency::from_code(&upper)
            .ok_or_else(|| DomainError::invalid(format!("currency '{code}' is not an ISO 4217 code such as \"EUR\"")))?;
        match c.exponent() {
            Some(e) if e <= u16::from(MAX_EXPONENT) => Ok(Currency(c)),
            _ => Err(DomainError::invalid(format!("{upper} ({}) has no minor unit: choose the currency complaints are settled in", c.name()))),
        }
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit: JPY 0, EUR 2, KWD 3.
    pub fn exponent(self) -> u8 {
        self.0.exponent().map_or(0, |e| e as u8)
    }

    /// `amount` in this currency, written at its exponent; refused when it
    /// has digits the currency does not ("30.5" in yen).
    pub fn amount(self, field: &str, amount: Money) -> Result<Money, DomainError> {
        let exponent = self.exponent();
        match amount.minor_at(exponent) {
            Some(minor) => Ok(Money { minor, exponent }),
            None if exponent == 0 => Err(DomainError::invalid(format!("{field} {amount}: {} amounts are whole, with no decimal places", self.code()))),
            None => Err(DomainError::invalid(format!("{field} {amount}: {} amounts have at most {exponent} decimal places", self.code()))),
        }
    }

    /// `minor` units of this currency.
    pub fn minor(self, minor: i64) -> Money {
        Money { minor, exponent: self.exponent() }
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount as a decimal string such as \"30.00\" or a non-negative number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                Money::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                Money::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                // Display of f64 is the shortest text that reads back as the same
                // number, so 30.1 arrives as "30.1", not 30.099999...
                if !v.is_finite() {
                    return Err(E::custom("an amount must be a finite number"));
                }
                Money::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^\d{1,11}(\.\d{1,4})?$"));
        let number = ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0)).maximum(Some(99_999_999_999.999_9)).multiple_of(Some(0.0001));
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some(
                "Amount in the organisation's currency as a decimal string, written with as many places as \
                 the currency's ISO 4217 minor unit has (JPY \"30\", EUR \"30.00\", KWD \"30.000\"). Requests may \
                 also send a JSON number; more places than the currency has are refused (422) unless they are zeros.",
            ))
            .examples([serde_json::json!("30.00")])
            .into()
    }
}
impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_written_and_prints_at_its_exponent() {
        assert_eq!(Money::parse("30").unwrap(), Money::new(30, 0));
        assert_eq!(Money::parse("30.5").unwrap().to_string(), "30.5");
        assert_eq!(Money::parse("0.07").unwrap().to_string(), "0.07");
        assert_eq!(Money::parse("1.2345").unwrap().minor(), 12345);
        assert!(Money::parse("-1").is_err());
        assert!(Money::parse("1.23456").is_err());
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("1.").is_err());
        assert!(Money::parse("99999999999999999999").is_err());
        assert!(Money::parse("100000000000").is_err());
        assert!(Money::parse("99999999999.9999").is_ok());
    }

    #[test]
    fn compares_and_adds_by_value() {
        assert_eq!(Money::parse("30").unwrap(), Money::parse("30.000").unwrap());
        assert!(Money::parse("30.001").unwrap() > Money::parse("30").unwrap());
        let sum: Money = [Money::new(5, 0), Money::new(250, 2)].into_iter().sum();
        assert_eq!(sum.to_string(), "7.50");
    }

    #[test]
    fn reads_json_numbers_and_strings() {
        let m: Money = serde_json::from_str("30.1").unwrap();
        assert_eq!(m, Money::new(3010, 2));
        let m: Money = serde_json::from_str("\"200\"").unwrap();
        assert_eq!(m.to_string(), "200");
        assert!(serde_json::from_str::<Money>("-5").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn every_currency_takes_amounts_at_its_own_exponent() {
        let (jpy, eur, kwd) = (Currency::from_code("JPY").unwrap(), Currency::from_code("eur").unwrap(), Currency::from_code("KWD").unwrap());
        assert_eq!((jpy.exponent(), eur.exponent(), kwd.exponent()), (0, 2, 3));
        let read = |c: Currency, text: &str| c.amount("cost", Money::parse(text).unwrap()).map(|m| (m.minor(), m.to_string()));
        assert_eq!(read(jpy, "1500").unwrap(), (1500, "1500".into()));
        assert_eq!(read(jpy, "1500.00").unwrap(), (1500, "1500".into()), "zeros beyond the exponent say nothing");
        assert!(read(jpy, "1500.5").unwrap_err().to_string().contains("JPY amounts are whole"));
        assert_eq!(read(eur, "12.5").unwrap(), (1250, "12.50".into()));
        assert!(read(eur, "12.505").unwrap_err().to_string().contains("at most 2 decimal places"));
        assert_eq!(read(kwd, "12.505").unwrap(), (12505, "12.505".into()));
        assert_eq!(read(kwd, "12").unwrap(), (12000, "12.000".into()));
        assert!(read(kwd, "12.5055").is_err());
        assert!(Currency::from_code("XAU").is_err(), "gold has no minor unit");
        assert!(Currency::from_code("EURO").is_err());
    }
}
