//! Money in the organisation's currency, held as integer minor units (never `f64`).
//!
//! On the wire an amount is a decimal string (`"30.00"`); requests may also send a
//! JSON number (`30` or `30.5`). Two decimal places, as for most ISO 4217 currencies.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Largest accepted amount: 10^13 minor units (one hundred billion in major units).
const MAX_MINOR: i64 = 9_999_999_999_999;

/// A non-negative amount in minor units (cents, pence).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_minor(minor: i64) -> Money {
        Money(minor)
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    /// Parses `"30"`, `"30.5"` or `"30.50"`; refuses signs, more than two
    /// decimals, exponents and absurd sizes, saying which.
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
        if frac.len() > 2 {
            return Err(format!("'{text}' has more than two decimal places"));
        }
        let whole: i64 = whole.parse().map_err(|_| format!("'{text}' is too large"))?;
        let frac_minor: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().unwrap_or(0) };
        let minor = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac_minor))
            .filter(|m| *m <= MAX_MINOR)
            .ok_or_else(|| format!("'{text}' is too large"))?;
        Ok(Money(minor))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
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
        let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^\d{1,11}(\.\d{1,2})?$"));
        let number = ObjectBuilder::new().schema_type(Type::Number).minimum(Some(0)).maximum(Some(99_999_999_999.99)).multiple_of(Some(0.01));
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some(
                "Amount in the organisation's currency as a decimal string with two places; \
                 requests may also send a JSON number.",
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
    fn parses_and_prints() {
        assert_eq!(Money::parse("30").unwrap().minor(), 3000);
        assert_eq!(Money::parse("30.5").unwrap().minor(), 3050);
        assert_eq!(Money::parse("0.07").unwrap().to_string(), "0.07");
        assert!(Money::parse("-1").is_err());
        assert!(Money::parse("1.234").is_err());
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("1.").is_err());
        assert!(Money::parse("99999999999999999999").is_err());
    }

    #[test]
    fn reads_json_numbers_and_strings() {
        let m: Money = serde_json::from_str("30.1").unwrap();
        assert_eq!(m.minor(), 3010);
        let m: Money = serde_json::from_str("\"200\"").unwrap();
        assert_eq!(m.to_string(), "200.00");
        assert!(serde_json::from_str::<Money>("-5").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }
}
