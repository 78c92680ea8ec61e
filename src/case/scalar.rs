//! Scalar fields that must be read exactly and validated where they are read,
//! so that the YAML parser attaches the line and column to the error.
//!
//! Each type deserializes from the scalar's *text* (serde-saphyr hands a
//! plain scalar such as `1234.56` to a string visitor verbatim), which is what
//! keeps money out of `f64` entirely.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// Reads a scalar as its source text, whatever YAML would have typed it as.
fn scalar_text<'de, D: Deserializer<'de>>(d: D, expecting: &'static str) -> Result<String, D::Error> {
    struct Text(&'static str);
    impl Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
            Err(E::custom(format!("expected {}, not a floating-point number", self.0)))
        }
    }
    d.deserialize_str(Text(expecting))
}

/// A value its field does not accept: what is wrong with it, and what
/// would be valid. Printed `<problem>; expected <valid>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}; expected {expected}")]
pub struct ValueError {
    /// What is wrong, quoting the value.
    pub problem: String,
    /// What the field accepts, with an example.
    pub expected: String,
}

impl ValueError {
    /// A value refused for `problem`; `expected` says what is valid.
    pub fn new(problem: impl Into<String>, expected: impl Into<String>) -> ValueError {
        ValueError { problem: problem.into(), expected: expected.into() }
    }
}

/// A sum of money in euros: at most two decimals, read exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Amount(pub Decimal);

impl Amount {
    /// Parses `1234.56`, `1234.5`, `1234`; refuses signs other than none,
    /// exponents, thousands separators, commas and a third decimal, each with
    /// the reason, because a typo in an amount is a wrong claim in a letter.
    pub fn parse(text: &str) -> Result<Amount, ValueError> {
        let t = text.trim();
        let valid = "a positive amount in euros with at most 2 decimals and a dot, e.g. 1234.56";
        if t.is_empty() {
            return Err(ValueError::new("empty amount", valid));
        }
        if t.starts_with('-') {
            return Err(ValueError::new(format!("negative amount \"{t}\""), valid));
        }
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(int) || frac.is_some_and(|f| !digits_only(f)) {
            return Err(ValueError::new(format!("\"{t}\" is not an amount"), valid));
        }
        if frac.is_some_and(|f| f.len() > 2) {
            return Err(ValueError::new(format!("\"{t}\" has more than 2 decimals"), valid));
        }
        if int.len() > 12 {
            return Err(ValueError::new(format!("\"{t}\" is too large"), valid));
        }
        Decimal::from_str(t).map(Amount).map_err(|e| ValueError::new(format!("\"{t}\": {e}"), valid))
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "an amount such as 1234.56")?;
        Amount::parse(&text).map_err(de::Error::custom)
    }
}

/// An annual rate in percent, e.g. `12.15` for 12,15 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Percent(pub Decimal);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "an annual rate in percent such as 12.15")?;
        let t = text.trim();
        let ok = t.split_once('.').map_or(t.len() <= 3, |(i, f)| i.len() <= 3 && f.len() <= 4)
            && !t.is_empty()
            && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        match Decimal::from_str(t) {
            Ok(v) if ok && v < Decimal::from(100) => Ok(Percent(v)),
            _ => Err(de::Error::custom(ValueError::new(
                format!("\"{t}\" is not a rate"),
                "an annual rate in percent between 0 and 100 with at most 4 decimals, e.g. 12.15",
            ))),
        }
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Reads `YYYY-MM-DD` and checks the day exists.
    pub fn parse(text: &str) -> Result<Date, ValueError> {
        let t = text.trim();
        let shape_ok = t.len() == 10
            && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(ValueError::new(format!("\"{t}\" is not a date"), "YYYY-MM-DD, e.g. 2026-03-31"));
        }
        NaiveDate::parse_from_str(t, "%Y-%m-%d").map(Date).map_err(|_| {
            ValueError::new(format!("\"{t}\" is not a day of the calendar"), "YYYY-MM-DD, e.g. 2026-03-31")
        })
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "a date YYYY-MM-DD")?;
        Date::parse(&text).map_err(de::Error::custom)
    }
}

/// A case identifier: it names output files, so it is restricted to
/// `[A-Za-z0-9._-]{1,64}` and may not be `.` or `..`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CaseId(pub String);

impl CaseId {
    /// Reads an id: `[A-Za-z0-9._-]{1,64}`, not `.` or `..`.
    pub fn parse(text: &str) -> Result<CaseId, ValueError> {
        let ok = (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && text != "."
            && text != "..";
        if ok {
            Ok(CaseId(text.to_string()))
        } else {
            Err(ValueError::new(
                format!("\"{text}\" is not a valid id"),
                "1 to 64 characters among A-Z a-z 0-9 . _ - (it names the output files), e.g. DUPONT-001",
            ))
        }
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "an id such as DUPONT-001")?;
        CaseId::parse(&text).map_err(de::Error::custom)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string field that YAML may have typed as a number (`postal_code: 69002`,
/// `siren: 123456789`): kept as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        scalar_text(d, "a text").map(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        assert_eq!(Amount::parse("12.50").unwrap().0.to_string(), "12.50");
        assert_eq!(Amount::parse("0.1").unwrap().0, Decimal::from_str("0.10").unwrap());
        assert_eq!(Amount::parse("1234").unwrap().0, Decimal::from(1234));
    }

    #[test]
    fn bad_amounts_say_why() {
        assert!(Amount::parse("12.345").unwrap_err().to_string().contains("more than 2 decimals"));
        assert!(Amount::parse("-5").unwrap_err().to_string().contains("negative"));
        assert!(Amount::parse("abc").unwrap_err().to_string().contains("not an amount"));
        assert!(Amount::parse("1e3").unwrap_err().to_string().contains("not an amount"));
        assert!(Amount::parse("1 234,56").unwrap_err().to_string().contains("e.g. 1234.56"));
    }

    #[test]
    fn dates_are_iso_and_real() {
        assert!(Date::parse("2026-03-31").is_ok());
        assert!(Date::parse("31/03/2026").unwrap_err().to_string().contains("expected YYYY-MM-DD"));
        assert!(Date::parse("2026-02-30").unwrap_err().to_string().contains("not a day of the calendar"));
    }

    #[test]
    fn ids_cannot_escape_the_output_folder() {
        assert!(CaseId::parse("DUPONT-001").is_ok());
        for bad in ["a/b", "..", ".", "", "é", &"x".repeat(65)] {
            assert!(CaseId::parse(bad).is_err(), "{bad}");
        }
    }
}
