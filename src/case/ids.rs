//! Bank and company identifiers, validated on load: a wrong IBAN in a dunning
//! letter sends the debtor's money nowhere.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::scalar::{Text, ValueError};
use crate::text::quote;

/// An IBAN checked by ISO 13616 (country format and mod-97 check digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iban(iban::Iban);

impl Iban {
    /// Reads an IBAN, spaces allowed, any case.
    pub fn parse(text: &str) -> Result<Iban, ValueError> {
        let compact: String = text.split_whitespace().collect::<String>().to_ascii_uppercase();
        compact.parse::<iban::Iban>().map(Iban).map_err(|e| {
            use iban::{ParseBaseIbanError, ParseIbanError};
            let why = match e {
                ParseIbanError::InvalidBaseIban { source: ParseBaseIbanError::InvalidChecksum } => {
                    "clé de contrôle fausse (mod 97)".to_string()
                }
                ParseIbanError::InvalidBaseIban { .. } => "longueur ou caractères invalides".to_string(),
                ParseIbanError::InvalidBban(_) => "la partie compte ne suit pas le format du pays".to_string(),
                ParseIbanError::UnknownCountry(_) => "code pays inconnu".to_string(),
            };
            ValueError::new(
                format!("{} n'est pas un IBAN valide ({why})", quote(text)),
                "un IBAN dont la clé est juste, p. ex. FR76 3000 6000 0112 3456 7890 189",
            )
        })
    }

    /// Grouped by four, as printed on a RIB: `FR76 3000 6000 …`.
    pub fn grouped(&self) -> String {
        self.0.to_string()
    }
}

impl<'de> Deserialize<'de> for Iban {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        Iban::parse(&t).map_err(de::Error::custom)
    }
}

impl Serialize for Iban {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.grouped())
    }
}

/// A BIC (ISO 9362): 4 letters for the bank, 2 for the country, 2 letters or
/// digits for the location, optionally 3 for the branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Bic(pub String);

impl Bic {
    /// Reads a BIC (8 or 11 characters).
    pub fn parse(text: &str) -> Result<Bic, ValueError> {
        let t = text.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        let ok = (b.len() == 8 || b.len() == 11)
            && b[..6].iter().all(u8::is_ascii_uppercase)
            && b[6..].iter().all(u8::is_ascii_alphanumeric);
        if ok {
            Ok(Bic(t))
        } else {
            Err(ValueError::new(
                format!("{} n'est pas un BIC valide", quote(text)),
                "8 ou 11 caractères : 4 lettres (banque), 2 lettres (pays), 2 lettres ou chiffres (localisation), 3 facultatifs (agence), p. ex. AGRIFRPP",
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Bic {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        Bic::parse(&t).map_err(de::Error::custom)
    }
}

/// A SIREN: nine digits with a Luhn check digit. La Poste's SIRENs (356 000
/// 000 and its establishments) follow a different rule and are accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Siren(pub String);

impl Siren {
    /// Reads a SIREN (9 digits, spaces allowed) and checks its Luhn digit.
    pub fn parse(text: &str) -> Result<Siren, ValueError> {
        let t: String = text.split_whitespace().collect();
        let valid = "9 chiffres dont le dernier est une clé de Luhn juste, p. ex. 732829320";
        if t.len() != 9 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::new(format!("{} n'est pas un SIREN", quote(text)), valid));
        }
        if t == "356000000" || luhn_ok(&t) {
            Ok(Siren(t))
        } else {
            Err(ValueError::new(format!("{} a une clé de contrôle fausse (Luhn)", quote(text)), valid))
        }
    }

    /// `732 829 320`, as printed in French legal mentions.
    pub fn grouped(&self) -> String {
        format!("{} {} {}", &self.0[0..3], &self.0[3..6], &self.0[6..9])
    }
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl<'de> Deserialize<'de> for Siren {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(t) = Text::deserialize(d)?;
        Siren::parse(&t).map_err(de::Error::custom)
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_mod97() {
        let iban = Iban::parse("FR76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(iban.grouped(), "FR76 3000 6000 0112 3456 7890 189");
        assert!(Iban::parse("FR7630006000011234567890189").is_ok());
        let err = Iban::parse("FR76 3000 6000 0112 3456 7890 188").unwrap_err().to_string();
        assert!(err.contains("pas un IBAN valide"), "{err}");
    }

    #[test]
    fn bic_format() {
        assert!(Bic::parse("AGRIFRPP").is_ok());
        assert!(Bic::parse("BNPAFRPPXXX").is_ok());
        assert!(Bic::parse("AGRIFRP").is_err());
        assert!(Bic::parse("1GRIFRPP").is_err());
    }

    #[test]
    fn siren_luhn() {
        assert!(Siren::parse("732829320").is_ok());
        assert!(Siren::parse("123456789").is_err());
        assert!(Siren::parse("552100554").is_ok());
        assert!(Siren::parse("356000000").is_ok());
        assert!(Siren::parse("73282932").unwrap_err().to_string().contains("pas un SIREN"));
        assert!(Siren::parse("732829321").unwrap_err().to_string().contains("clé de contrôle"));
        assert_eq!(Siren::parse("732829320").unwrap().grouped(), "732 829 320");
    }
}
