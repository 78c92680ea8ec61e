//! Loading and validating the creditor config (`relance.yaml`) and the case
//! files (SPEC §1).
//!
//! Everything a user typed is checked here, once, with the file, line and
//! field of the mistake and what would have been valid; later stages can then
//! trust the data. Unknown keys are errors: a typo (`ammount:`) must never
//! silently drop a figure from a legal letter.

mod ids;
mod load;
mod scalar;

use serde::{Deserialize, Serialize};

pub use ids::{Bic, Iban, Siren};
pub(crate) use load::parse_yaml;
pub use load::{
    InputError, LoadedCase, case_files, duplicate_id, duplicates, load_case, load_cases, load_config, parse_case,
    parse_config,
};
pub use scalar::{Amount, CaseId, Date, Percent, Text, ValueError};

/// The creditor's config: who writes, on which terms, on which schedule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub creditor: Creditor,
    #[serde(default)]
    pub terms: Terms,
    pub policy: Policy,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Creditor {
    pub name: String,
    /// Legal form, capital, RCS: printed in the footer.
    pub legal: String,
    pub siren: Siren,
    pub address: Vec<String>,
    pub postal_code: Text,
    pub city: String,
    #[serde(default)]
    pub phone: Option<Text>,
    #[serde(default)]
    pub email: Option<String>,
    pub iban: Iban,
    pub bic: Bic,
    #[serde(default)]
    pub payment_link: Option<String>,
    #[serde(default)]
    pub cheque_to: Option<String>,
    pub signatory: Signatory,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    pub name: String,
    pub title: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Annual penalty rate from the CGV; `None` means the legal default
    /// (ECB main refinancing rate + 10 points).
    #[serde(default)]
    pub penalty_rate: Option<Percent>,
    #[serde(default)]
    pub rate_split: RateSplit,
}

/// How a delay that spans several semesters is charged (SPEC §3.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RateSplit {
    /// Each semester's days at that semester's rate.
    #[default]
    Semester,
    /// The rate of the semester in which the delay began, throughout.
    Fixed,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub amicale: FirstStep,
    pub formelle: NextStep,
    pub avertissement: NextStep,
    #[serde(rename = "mise-en-demeure")]
    pub mise_en_demeure: NextStep,
}

/// The first reminder: sent `after_due` days after the oldest due date.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FirstStep {
    pub after_due: u32,
    pub channel: Channel,
    pub deadline_days: u32,
}

/// A later reminder: sent `after_previous` days after the last letter.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NextStep {
    pub after_previous: u32,
    pub channel: Channel,
    pub deadline_days: u32,
}

/// How a letter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Courrier,
    /// Lettre recommandée avec accusé de réception.
    Lrar,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Courrier => "courrier",
            Channel::Lrar => "lrar",
        }
    }
}

/// The four escalation levels, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Level {
    #[serde(rename = "amicale")]
    Amicale,
    #[serde(rename = "formelle")]
    Formelle,
    #[serde(rename = "avertissement")]
    Avertissement,
    #[serde(rename = "mise-en-demeure")]
    MiseEnDemeure,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Amicale, Level::Formelle, Level::Avertissement, Level::MiseEnDemeure];

    /// The name used in files, templates and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Amicale => "amicale",
            Level::Formelle => "formelle",
            Level::Avertissement => "avertissement",
            Level::MiseEnDemeure => "mise-en-demeure",
        }
    }

    /// How the level is named in a French sentence.
    pub fn label_fr(self) -> &'static str {
        match self {
            Level::Amicale => "relance amicale",
            Level::Formelle => "seconde relance",
            Level::Avertissement => "dernière relance avant mise en demeure",
            Level::MiseEnDemeure => "mise en demeure",
        }
    }

    pub fn next(self) -> Option<Level> {
        match self {
            Level::Amicale => Some(Level::Formelle),
            Level::Formelle => Some(Level::Avertissement),
            Level::Avertissement => Some(Level::MiseEnDemeure),
            Level::MiseEnDemeure => None,
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// A `--level` that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a level; expected amicale, formelle, avertissement or mise-en-demeure")]
pub struct UnknownLevel(pub String);

impl std::str::FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(text: &str) -> Result<Level, UnknownLevel> {
        Level::parse(text).ok_or_else(|| UnknownLevel(text.to_string()))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One debtor's file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: CaseId,
    pub debtor: Debtor,
    pub invoices: Vec<Invoice>,
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub letters: Vec<SentLetter>,
    #[serde(default)]
    pub hold: Option<String>,
    #[serde(default)]
    pub promise: Option<Promise>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DebtorKind {
    /// B2B: Code de commerce L441-10 and D441-5 apply.
    Professionnel,
    /// B2C: Code civil and Code de la consommation.
    Particulier,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    #[default]
    Regular,
    New,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Debtor {
    #[serde(rename = "type")]
    pub kind: DebtorKind,
    pub name: String,
    #[serde(default)]
    pub siren: Option<Siren>,
    #[serde(default)]
    pub contact: Option<String>,
    pub address: Vec<String>,
    pub postal_code: Text,
    pub city: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub relationship: Relationship,
}

impl Debtor {
    /// The recipient block as it goes in the envelope window (NF Z10-011):
    /// name, "À l'attention de", street lines, postal code and city in
    /// capitals, country when not France.
    pub fn address_lines(&self) -> Vec<String> {
        let mut lines = vec![self.name.clone()];
        if let Some(contact) = &self.contact {
            lines.push(format!("À l’attention de {contact}"));
        }
        lines.extend(self.address.iter().cloned());
        lines.push(format!("{} {}", self.postal_code.0, self.city.to_uppercase()));
        if let Some(country) = self.country.as_deref().filter(|c| !c.eq_ignore_ascii_case("FR")) {
            lines.push(country.to_uppercase());
        }
        lines
    }

    pub fn is_b2b(&self) -> bool {
        self.kind == DebtorKind::Professionnel
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Invoice {
    pub number: String,
    pub date: Date,
    pub due: Date,
    pub amount: Amount,
    #[serde(default)]
    pub file: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub date: Date,
    pub amount: Amount,
    #[serde(default)]
    pub invoice: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SentLetter {
    pub level: Level,
    pub date: Date,
    pub channel: Channel,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    pub date: Date,
    pub amount: Amount,
}
