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

use crate::text::quote;

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
            Err(E::custom(format!("nombre à virgule flottante ; attendu : {}", self.0)))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Err(E::custom(format!("valeur vide (null ou ~) ; attendu : {}", self.0)))
        }
        fn visit_none<E: de::Error>(self) -> Result<String, E> {
            self.visit_unit()
        }
    }
    d.deserialize_str(Text(expecting))
}

/// A value its field does not accept: what is wrong with it, and what
/// would be valid. Printed `<problem> ; attendu : <valid>`, in French: it
/// is about the clerk's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem} ; attendu : {expected}")]
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
        let valid = "un montant positif en euros, avec un point et au plus 2 décimales, p. ex. 1234.56";
        if t.is_empty() {
            return Err(ValueError::new("montant vide", valid));
        }
        if t.starts_with('-') {
            return Err(ValueError::new(format!("montant négatif {}", quote(t)), valid));
        }
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(int) || frac.is_some_and(|f| !digits_only(f)) {
            return Err(ValueError::new(format!("{} n'est pas un montant", quote(t)), valid));
        }
        if frac.is_some_and(|f| f.len() > 2) {
            return Err(ValueError::new(format!("{} a plus de 2 décimales", quote(t)), valid));
        }
        if int.len() > 12 {
            return Err(ValueError::new(format!("{} est trop grand (au plus 999 999 999 999,99 €)", quote(t)), valid));
        }
        Decimal::from_str(t).map(Amount).map_err(|e| ValueError::new(format!("{} : {e}", quote(t)), valid))
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "un montant, p. ex. 1234.56")?;
        Amount::parse(&text).map_err(de::Error::custom)
    }
}

/// An annual rate in percent, e.g. `12.15` for 12,15 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Percent(pub Decimal);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "un taux annuel en pourcentage, p. ex. 12.15")?;
        let t = text.trim();
        let ok = t.split_once('.').map_or(t.len() <= 3, |(i, f)| i.len() <= 3 && f.len() <= 4)
            && !t.is_empty()
            && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        match Decimal::from_str(t) {
            Ok(v) if ok && v < Decimal::from(100) => Ok(Percent(v)),
            _ => Err(de::Error::custom(ValueError::new(
                format!("{} n'est pas un taux", quote(t)),
                "un taux annuel en pourcentage entre 0 et 100, avec au plus 4 décimales, p. ex. 12.15",
            ))),
        }
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

impl Date {
    /// The first date relance accepts: older invoices are long prescribed.
    pub const FIRST: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a valid date");
    /// The last date relance accepts: date arithmetic stays far from
    /// chrono's limits, and no rate table goes further.
    pub const LAST: NaiveDate = NaiveDate::from_ymd_opt(2099, 12, 31).expect("a valid date");

    /// Reads `YYYY-MM-DD`, checks the day exists and is in 2000–2099.
    pub fn parse(text: &str) -> Result<Date, ValueError> {
        let t = text.trim();
        let shape_ok = t.len() == 10
            && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(ValueError::new(format!("{} n'est pas une date", quote(t)), "AAAA-MM-JJ, p. ex. 2026-03-31"));
        }
        let date = NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            ValueError::new(format!("{} n'est pas un jour du calendrier", quote(t)), "AAAA-MM-JJ, p. ex. 2026-03-31")
        })?;
        if !(Date::FIRST..=Date::LAST).contains(&date) {
            return Err(ValueError::new(
                format!("{} est hors de la période acceptée", quote(t)),
                "une date entre le 1er janvier 2000 et le 31 décembre 2099",
            ));
        }
        Ok(Date(date))
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "une date AAAA-MM-JJ")?;
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
                format!("{} n'est pas un identifiant valide", quote(text)),
                "1 à 64 caractères parmi A-Z a-z 0-9 . _ - (il nomme les fichiers produits), p. ex. DUPONT-001",
            ))
        }
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = scalar_text(d, "un identifiant, p. ex. DUPONT-001")?;
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
        let text = scalar_text(d, "un texte d'une ligne")?;
        crate::text::one_line(&text).map(Text).map_err(de::Error::custom)
    }
}

/// A one-line text field (name, city, invoice number…): a line break or a
/// control character is refused, bidirectional controls are dropped (see
/// [`crate::text`]). For `#[serde(deserialize_with = "…")]`.
pub(crate) fn line<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Text::deserialize(d).map(|t| t.0)
}

/// An optional one-line text field; `null` is absent.
pub(crate) fn opt_line<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Text>::deserialize(d).map(|t| t.map(|t| t.0))
}

/// A list of one-line texts (address lines).
pub(crate) fn lines<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Vec::<Text>::deserialize(d).map(|v| v.into_iter().map(|t| t.0).collect())
}

/// An optional e-mail address: exactly one mailbox (RFC 5322 addr-spec),
/// ASCII, with no display name, comment or second address, and a domain
/// with a dot; anything else is refused, so that no data can add a
/// recipient or a header to an e-mail.
pub(crate) fn opt_email<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let Some(text) = opt_line(d)? else { return Ok(None) };
    let options = email_address::Options {
        minimum_sub_domains: 2,
        allow_domain_literal: false,
        allow_display_text: false,
        allow_long_local_parts: false,
    };
    match email_address::EmailAddress::parse_with_options(&text, options) {
        Ok(addr) if addr.as_str() == text && text.is_ascii() => Ok(Some(text)),
        _ => Err(de::Error::custom(ValueError::new(
            format!("{} n'est pas une adresse e-mail", quote(&text)),
            "une seule adresse, sans nom ni chevrons, p. ex. compta@dupont.example",
        ))),
    }
}

/// A number of days bounded to `min..=max`, from an integer scalar.
fn bounded_days<'de, D: Deserializer<'de>>(d: D, min: u32, max: u32) -> Result<u32, D::Error> {
    let text = scalar_text(d, "un nombre de jours")?;
    match text.trim().parse::<i64>() {
        Ok(n) if (i64::from(min)..=i64::from(max)).contains(&n) => Ok(n as u32),
        _ => Err(de::Error::custom(ValueError::new(
            format!("{} n'est pas un nombre de jours accepté", quote(&text)),
            format!("un nombre entier de jours entre {min} et {max}"),
        ))),
    }
}

/// A delay before a letter, in days: 0 to 365.
pub(crate) fn delay_days<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    bounded_days(d, 0, 365)
}

/// The days given to pay: 1 to 90.
pub(crate) fn deadline_days<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    bounded_days(d, 1, 90)
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
        assert!(Amount::parse("12.345").unwrap_err().to_string().contains("plus de 2 décimales"));
        assert!(Amount::parse("-5").unwrap_err().to_string().contains("négatif"));
        assert!(Amount::parse("abc").unwrap_err().to_string().contains("pas un montant"));
        assert!(Amount::parse("1e3").unwrap_err().to_string().contains("pas un montant"));
        assert!(Amount::parse("1 234,56").unwrap_err().to_string().contains("p. ex. 1234.56"));
    }

    #[test]
    fn dates_are_iso_and_real() {
        assert!(Date::parse("2026-03-31").is_ok());
        assert!(Date::parse("31/03/2026").unwrap_err().to_string().contains("attendu : AAAA-MM-JJ"));
        assert!(Date::parse("2026-02-30").unwrap_err().to_string().contains("pas un jour du calendrier"));
    }

    #[test]
    fn ids_cannot_escape_the_output_folder() {
        assert!(CaseId::parse("DUPONT-001").is_ok());
        for bad in ["a/b", "..", ".", "", "é", &"x".repeat(65)] {
            assert!(CaseId::parse(bad).is_err(), "{bad}");
        }
    }
}
