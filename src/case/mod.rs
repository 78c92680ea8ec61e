//! Loading and validating the creditor config (`relance.yaml`) and the case
//! files (docs/format.md).
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
    InputError, LoadedCase, case_files, duplicate_id, duplicates, field_error, load_case, load_cases, load_config,
    parse_case, parse_config,
};
pub use scalar::{Amount, CaseId, Date, Percent, Text, ValueError};

/// The creditor's config: who writes, on which terms, on which schedule.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who claims: identity, contact, bank details.
    pub creditor: Creditor,
    /// The creditor's terms of sale (CGV) on late payment.
    #[serde(default)]
    pub terms: Terms,
    /// When each level is due and how it goes out: the default profile.
    pub policy: Policy,
    /// Named profiles (`fidele`, `nouveau`…), each a policy of its own; a
    /// case names one with `profil:`.
    #[serde(default)]
    pub policies: std::collections::BTreeMap<String, Policy>,
    /// The journal folder, relative to this file; `journal/` in the cases
    /// folder when absent.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub journal: Option<String>,
    /// The SMTP server `relance send` hands the e-mails to.
    #[serde(default)]
    pub smtp: Option<Smtp>,
    /// How `relance import csv` reads the open items and the customers.
    #[serde(default)]
    pub import: Option<ImportConfig>,
    /// A rate table to use instead of the one built in (laid out like
    /// data/rates.csv), relative to this file: set once, for every command.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub rates: Option<String>,
    /// What `relance contentieux` does after an unanswered mise en demeure.
    #[serde(default)]
    pub contentieux: ContentieuxConfig,
    /// How the CSV files (manifest, deposit list, call list, contentieux)
    /// are written.
    #[serde(default)]
    pub csv: CsvConfig,
}

/// `csv:` of relance.yaml: for a French-locale spreadsheet, `separator:
/// ";"`, `bom: true`, `decimal_comma: true`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CsvConfig {
    /// `,` (the default), `;` or `tab`.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub separator: Option<String>,
    /// Start each file with a UTF-8 byte-order mark.
    #[serde(default)]
    pub bom: bool,
    /// Amounts with a decimal comma.
    #[serde(default)]
    pub decimal_comma: bool,
    /// Column names: `en` (the default) or `fr`.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub headers: Option<String>,
}

impl CsvConfig {
    /// The format it asks for; the separator was checked when loaded.
    pub fn format(&self) -> crate::csv_out::CsvFormat {
        crate::csv_out::CsvFormat {
            separator: self
                .separator
                .as_deref()
                .and_then(|s| crate::csv_out::CsvFormat::parse_separator(s).ok())
                .unwrap_or(b','),
            bom: self.bom,
            decimal_comma: self.decimal_comma,
            french_headers: self.headers.as_deref() == Some("fr"),
        }
    }
}

/// The settings of `relance contentieux`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContentieuxConfig {
    /// Below this amount (principal, penalties and interest), a case is not
    /// worth a court: it is left out, and the hand-off file says so.
    #[serde(default)]
    pub minimum: Option<Amount>,
    /// The ceiling of the procédure simplifiée de recouvrement des petites
    /// créances (C. proc. civ. exéc. L125-1, R125-1: 5 000 € in principal
    /// and interest).
    #[serde(default = "petites_creances")]
    pub petites_creances: Amount,
    /// The route preferred for a small claim: the requête en injonction de
    /// payer (`injonction`, the default) or the commissaire de justice
    /// (`commissaire`).
    #[serde(default)]
    pub route: PreferredRoute,
}

impl Default for ContentieuxConfig {
    fn default() -> ContentieuxConfig {
        ContentieuxConfig { minimum: None, petites_creances: petites_creances(), route: PreferredRoute::default() }
    }
}

fn petites_creances() -> Amount {
    Amount(rust_decimal::Decimal::new(5000, 0))
}

/// The route preferred for a small claim.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PreferredRoute {
    /// The requête en injonction de payer (C. proc. civ. 1405 s.).
    #[default]
    Injonction,
    /// The procédure simplifiée through a commissaire de justice.
    Commissaire,
}

/// The column mapping of `relance import csv`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// The CSV of open items: one row per invoice still open.
    pub open_items: CsvLayout<OpenItemColumns>,
    /// The customer directory, optional: fills the new cases' debtor.
    #[serde(default)]
    pub customers: Option<CsvLayout<CustomerColumns>>,
}

/// A CSV's format and its columns, named as in its header.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CsvLayout<C> {
    /// `;` (default) or `,` or a tab.
    #[serde(default = "semicolon")]
    pub separator: String,
    /// Amounts written `1234,56` (default) rather than `1234.56`.
    #[serde(default = "yes_import")]
    pub decimal_comma: bool,
    /// Dates, as chrono writes them (default `%d/%m/%Y`).
    #[serde(default = "french_date")]
    pub date_format: String,
    /// The columns.
    pub columns: C,
}

fn semicolon() -> String {
    ";".into()
}
fn yes_import() -> bool {
    true
}
fn french_date() -> String {
    "%d/%m/%Y".into()
}

/// The columns of the open items.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OpenItemColumns {
    /// The customer's code (the case is `C-<code>`).
    pub customer: String,
    /// Its name, when the file has it.
    #[serde(default)]
    pub name: Option<String>,
    /// Invoice number.
    pub number: String,
    /// Invoice date.
    pub date: String,
    /// Due date.
    pub due: String,
    /// Amount including VAT.
    pub amount: String,
    /// Already paid on it, when the file has it.
    #[serde(default)]
    pub paid: Option<String>,
}

/// The columns of the customer directory.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerColumns {
    /// The customer's code, as in the open items.
    pub customer: String,
    /// Name.
    pub name: String,
    /// Street line.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// E-mail, optional.
    #[serde(default)]
    pub email: Option<String>,
    /// SIREN, optional.
    #[serde(default)]
    pub siren: Option<String>,
}

impl Config {
    /// The policy of `case`: its `profil:`, or the default. The name is
    /// `None` for the default.
    pub fn policy_for(&self, case: &Case) -> Result<(Option<&str>, &Policy), String> {
        match &case.profil {
            None => Ok((None, &self.policy)),
            Some(name) => match self.policies.get_key_value(name) {
                Some((k, p)) => Ok((Some(k.as_str()), p)),
                None => {
                    let known: Vec<&str> = self.policies.keys().map(String::as_str).collect();
                    Err(format!(
                        "profil {} inconnu ; attendu : {}",
                        crate::text::quote(name),
                        if known.is_empty() {
                            "aucun profil n'est défini dans relance.yaml (policies:) : retirez profil:".to_string()
                        } else {
                            format!("l'un de {} (policies: de relance.yaml), ou pas de profil", known.join(", "))
                        }
                    ))
                }
            },
        }
    }

    /// Every policy: the default, then each profile by name.
    pub fn every_policy(&self) -> impl Iterator<Item = (Option<&str>, &Policy)> {
        std::iter::once((None, &self.policy)).chain(self.policies.iter().map(|(k, p)| (Some(k.as_str()), p)))
    }
}

/// The SMTP server of `relance send`. The password is never written here:
/// it is read from an environment variable or a file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Host name of the server.
    #[serde(deserialize_with = "scalar::line")]
    pub host: String,
    /// Port; 587 for `starttls`, 465 for `tls`, 25 for `none` when absent.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is protected.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// Login, when the server asks for one.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub user: Option<String>,
    /// The environment variable holding the password
    /// (default `RELANCE_SMTP_PASSWORD`).
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub password_env: Option<String>,
    /// A file holding the password (its first line), relative to relance.yaml.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub password_file: Option<String>,
    /// At most this many messages a minute (the provider's limit).
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Seconds to wait for the server before giving up on a message.
    #[serde(default)]
    pub timeout_seconds: Option<u32>,
    /// Refused with its own message: a password is never written here.
    #[serde(default, skip_serializing)]
    pub password: Option<serde::de::IgnoredAny>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), port 587.
    #[default]
    Starttls,
    /// TLS from the first byte, port 465.
    Tls,
    /// No encryption: a relay on the same machine or network only.
    None,
}

/// The creditor: printed in the letterhead, the footer and the payment block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Creditor {
    /// Company name.
    #[serde(deserialize_with = "scalar::line")]
    pub name: String,
    /// Legal form, capital, RCS: printed in the footer.
    #[serde(deserialize_with = "scalar::line")]
    pub legal: String,
    /// SIREN, Luhn-checked.
    pub siren: Siren,
    /// Street lines.
    #[serde(deserialize_with = "scalar::lines")]
    pub address: Vec<String>,
    /// Postal code, as written.
    pub postal_code: Text,
    /// City; also the letters' place ("Lyon, le …").
    #[serde(deserialize_with = "scalar::line")]
    pub city: String,
    /// Telephone, as written.
    #[serde(default)]
    pub phone: Option<Text>,
    /// Sender of the e-mail letters.
    #[serde(deserialize_with = "scalar::opt_email")]
    #[serde(default)]
    pub email: Option<String>,
    /// Where to pay, mod-97 checked.
    pub iban: Iban,
    /// The bank's BIC.
    pub bic: Bic,
    /// Online payment page, printed when set.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub payment_link: Option<String>,
    /// Payee and address for cheques, printed when set.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub cheque_to: Option<String>,
    /// Who signs the letters.
    pub signatory: Signatory,
    /// A trader or commercial company (the default): with a debtor that is
    /// one too, the tribunal de commerce hears the claim (C. com. L721-3).
    /// `false` for a liberal profession, an association, a farmer.
    #[serde(default = "yes")]
    pub commercant: bool,
}

/// The person who signs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signatory {
    /// Full name.
    #[serde(deserialize_with = "scalar::line")]
    pub name: String,
    /// Function, e.g. Gérante.
    #[serde(deserialize_with = "scalar::line")]
    pub title: String,
}

/// The creditor's terms of sale on late payment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// Annual penalty rate from the CGV; `None` means the legal default
    /// (ECB main refinancing rate + 10 points).
    #[serde(default)]
    pub penalty_rate: Option<Percent>,
    /// How the penalty rate follows the semesters (`semester` or `fixed`).
    #[serde(default)]
    pub rate_split: RateSplit,
    /// A CGV rate below the legal floor (3 × the taux légal): `raise` it to
    /// the floor (default), or treat the clause as void and apply the
    /// legal default rate (`default`: ECB + 10 points).
    #[serde(default)]
    pub below_floor: BelowFloor,
    /// An invoice paid late in full still owes its penalties and the 40 €
    /// indemnity (L441-10, D441-5): claim them in a letter of their own
    /// (true, the default), or let them go (false).
    #[serde(default = "yes")]
    pub claim_after_payment: bool,
    /// How a partial payment is imputed on an invoice that bears penalties:
    /// first to the penalties (`interest_first`, C. civ. 1343-1, the
    /// default), or to the principal (`principal_first`, a creditor's
    /// choice in its favour of the debtor).
    #[serde(default)]
    pub imputation: Imputation,
}

fn yes() -> bool {
    true
}

impl Default for Terms {
    fn default() -> Terms {
        Terms {
            penalty_rate: None,
            rate_split: RateSplit::default(),
            below_floor: BelowFloor::default(),
            claim_after_payment: true,
            imputation: Imputation::default(),
        }
    }
}

/// Where a partial payment goes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Imputation {
    /// To the interest (penalties) accrued, then the principal (C. civ. 1343-1).
    #[default]
    InterestFirst,
    /// To the principal only; penalties keep running on what is left.
    PrincipalFirst,
}

/// What to do with a CGV rate below 3 × the taux légal (C. com. L441-10
/// forbids a lower rate; the courts read it either way).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BelowFloor {
    /// Apply the floor: 3 × the taux légal of the semester.
    #[default]
    Raise,
    /// The clause has no effect: the legal default rate applies.
    Default,
}

/// How a delay that spans several semesters is charged (docs/rules.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RateSplit {
    /// Each semester's days at that semester's rate.
    #[default]
    Semester,
    /// The rate of the semester in which the delay began, throughout.
    Fixed,
}

/// The escalation policy: when each step is due, how it goes out, and the
/// smallest sum worth it. `courtoisie` (before the due date), `appel` (a
/// telephone call between the amicale and the formelle) and `echeancier`
/// (the letter confirming a payment plan) are optional.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// A courtesy reminder, days before an invoice falls due.
    #[serde(default)]
    pub courtoisie: Option<CourtesyStep>,
    /// The first letter, counted from the oldest due date.
    pub amicale: FirstStep,
    /// A telephone call, counted from the amicale: no letter, a call sheet.
    #[serde(default)]
    pub appel: Option<CallStep>,
    /// The second letter, counted from the previous step.
    pub formelle: NextStep,
    /// The warning, counted from the second letter.
    pub avertissement: NextStep,
    /// The mise en demeure, counted from the warning.
    #[serde(rename = "mise-en-demeure")]
    pub mise_en_demeure: NextStep,
    /// How the letter confirming a payment plan goes out (courrier when absent).
    #[serde(default)]
    pub echeancier: Option<PlanStep>,
    /// A profile's own template folder, relative to relance.yaml (profiles
    /// of `policies:` only).
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub templates: Option<String>,
}

/// The courtesy reminder: an invoice falls due in `before_due` days.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CourtesyStep {
    /// Days before the due date.
    #[serde(deserialize_with = "scalar::deadline_days")]
    pub before_due: u32,
    /// How it goes out (e-mail, as a rule).
    pub channel: Channel,
    /// No reminder for less than this sum.
    #[serde(default)]
    pub minimum: Option<Amount>,
}

/// The telephone step: `after_previous` days after the amicale.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallStep {
    /// Days after the previous letter.
    #[serde(deserialize_with = "scalar::delay_days")]
    pub after_previous: u32,
    /// Always `telephone`.
    pub channel: Channel,
    /// No call for less than this sum.
    #[serde(default)]
    pub minimum: Option<Amount>,
}

/// The letter confirming a payment plan.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    /// How it goes out.
    pub channel: Channel,
}

/// The first reminder: sent `after_due` days after the oldest due date.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FirstStep {
    /// Days after the oldest due date.
    #[serde(deserialize_with = "scalar::delay_days")]
    pub after_due: u32,
    /// How the letter goes out.
    pub channel: Channel,
    /// Days the debtor is given to pay.
    #[serde(deserialize_with = "scalar::deadline_days")]
    pub deadline_days: u32,
    /// No letter for less than this sum (principal still owed).
    #[serde(default)]
    pub minimum: Option<Amount>,
}

/// A later reminder: sent `after_previous` days after the last letter.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NextStep {
    /// Days after the previous letter.
    #[serde(deserialize_with = "scalar::delay_days")]
    pub after_previous: u32,
    /// How the letter goes out.
    pub channel: Channel,
    /// Days the debtor is given to pay.
    #[serde(deserialize_with = "scalar::deadline_days")]
    pub deadline_days: u32,
    /// No letter for less than this sum (principal still owed).
    #[serde(default)]
    pub minimum: Option<Amount>,
}

/// One step of a policy, whatever its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The level it issues.
    pub level: Level,
    /// Days after the previous step (after the due date for the amicale;
    /// before it for the courtesy reminder).
    pub delay: u32,
    /// How it goes out.
    pub channel: Channel,
    /// Days to pay (0 for a call).
    pub deadline_days: u32,
    /// No step for less than this sum.
    pub minimum: Option<rust_decimal::Decimal>,
}

impl Policy {
    /// The step of `level`, if the policy has one.
    pub fn step(&self, level: Level) -> Option<Step> {
        let next = |level, s: &NextStep| Step {
            level,
            delay: s.after_previous,
            channel: s.channel,
            deadline_days: s.deadline_days,
            minimum: s.minimum.map(|m| m.0),
        };
        match level {
            Level::Courtoisie => self.courtoisie.as_ref().map(|s| Step {
                level,
                delay: s.before_due,
                channel: s.channel,
                deadline_days: 0,
                minimum: s.minimum.map(|m| m.0),
            }),
            Level::Amicale => Some(Step {
                level,
                delay: self.amicale.after_due,
                channel: self.amicale.channel,
                deadline_days: self.amicale.deadline_days,
                minimum: self.amicale.minimum.map(|m| m.0),
            }),
            Level::Appel => self.appel.as_ref().map(|s| Step {
                level,
                delay: s.after_previous,
                channel: Channel::Telephone,
                deadline_days: 0,
                minimum: s.minimum.map(|m| m.0),
            }),
            Level::Formelle => Some(next(level, &self.formelle)),
            Level::Avertissement => Some(next(level, &self.avertissement)),
            Level::MiseEnDemeure => Some(next(level, &self.mise_en_demeure)),
            Level::Echeancier => Some(Step {
                level,
                delay: 0,
                channel: self.echeancier.as_ref().map_or(Channel::Courrier, |s| s.channel),
                deadline_days: 0,
                minimum: None,
            }),
        }
    }

    /// The escalation step after `level` (`None` after the mise en demeure).
    pub fn next_after(&self, level: Level) -> Option<Level> {
        Level::ESCALATION.into_iter().filter(|l| *l > level).find(|l| self.step(*l).is_some())
    }
}

/// How a letter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An e-mail with the letter attached (`.eml`).
    Email,
    /// A letter posted in the ordinary way (print pack).
    Courrier,
    /// Lettre recommandée avec accusé de réception.
    Lrar,
    /// A telephone call: no letter, a line of the call sheet.
    Telephone,
}

impl Channel {
    /// The name used in files and the manifest (`email`, `courrier`, `lrar`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Courrier => "courrier",
            Channel::Lrar => "lrar",
            Channel::Telephone => "telephone",
        }
    }

    /// How a sentence says it: « par e-mail », « par courrier »…
    pub fn label_fr(self) -> &'static str {
        match self {
            Channel::Email => "par e-mail",
            Channel::Courrier => "par courrier",
            Channel::Lrar => "par lettre recommandée",
            Channel::Telephone => "par téléphone",
        }
    }
}

/// What relance issues: the escalation steps in order, the courtesy
/// reminder before them, and the letter confirming a payment plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Level {
    /// A courtesy reminder before the due date.
    #[serde(rename = "courtoisie")]
    Courtoisie,
    /// First, friendly reminder.
    #[serde(rename = "amicale")]
    Amicale,
    /// A telephone call.
    #[serde(rename = "appel")]
    Appel,
    /// Second reminder ("seconde relance").
    #[serde(rename = "formelle")]
    Formelle,
    /// Reminder announcing the mise en demeure and legal action.
    #[serde(rename = "avertissement")]
    Avertissement,
    /// Formal notice, by registered letter.
    #[serde(rename = "mise-en-demeure")]
    MiseEnDemeure,
    /// The letter confirming a payment plan (not a step of the escalation).
    #[serde(rename = "echeancier")]
    Echeancier,
}

impl Level {
    /// The four dunning letters every policy has, in escalation order.
    pub const ALL: [Level; 4] = [Level::Amicale, Level::Formelle, Level::Avertissement, Level::MiseEnDemeure];

    /// The escalation steps in order, optional ones included.
    pub const ESCALATION: [Level; 5] =
        [Level::Amicale, Level::Appel, Level::Formelle, Level::Avertissement, Level::MiseEnDemeure];

    /// Every level that is a letter, with its template.
    pub const LETTERS: [Level; 6] = [
        Level::Courtoisie,
        Level::Amicale,
        Level::Formelle,
        Level::Avertissement,
        Level::MiseEnDemeure,
        Level::Echeancier,
    ];

    /// Every level, in order.
    pub const EVERY: [Level; 7] = [
        Level::Courtoisie,
        Level::Amicale,
        Level::Appel,
        Level::Formelle,
        Level::Avertissement,
        Level::MiseEnDemeure,
        Level::Echeancier,
    ];

    /// The name used in files, templates and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Courtoisie => "courtoisie",
            Level::Amicale => "amicale",
            Level::Appel => "appel",
            Level::Formelle => "formelle",
            Level::Avertissement => "avertissement",
            Level::MiseEnDemeure => "mise-en-demeure",
            Level::Echeancier => "echeancier",
        }
    }

    /// How the level is named in a French sentence.
    pub fn label_fr(self) -> &'static str {
        match self {
            Level::Courtoisie => "rappel d'échéance",
            Level::Amicale => "relance amicale",
            Level::Appel => "appel téléphonique",
            Level::Formelle => "seconde relance",
            Level::Avertissement => "dernière relance avant mise en demeure",
            Level::MiseEnDemeure => "mise en demeure",
            Level::Echeancier => "confirmation d'échéancier",
        }
    }

    /// Whether it is a step of the escalation (what the next step counts from).
    pub fn escalates(self) -> bool {
        Level::ESCALATION.contains(&self)
    }

    /// Reads a level's name (`courtoisie`, `amicale`, …, `echeancier`).
    pub fn parse(text: &str) -> Option<Level> {
        Level::EVERY.into_iter().find(|l| l.as_str() == text)
    }
}

/// A `--level` that is not a level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "« {0} » n'est pas un niveau ; attendu : courtoisie, amicale, appel, formelle, avertissement, mise-en-demeure ou echeancier"
)]
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
    /// Unique in the batch; names the output files.
    pub id: CaseId,
    /// Who owes.
    pub debtor: Debtor,
    /// The invoices claimed, at least one.
    pub invoices: Vec<Invoice>,
    /// Payments received.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// Letters sent before relance (or by hand).
    #[serde(default)]
    pub letters: Vec<SentLetter>,
    /// The profile of `policies:` in relance.yaml that applies; the default
    /// `policy:` when absent.
    #[serde(default, deserialize_with = "scalar::opt_line")]
    pub profil: Option<String>,
    /// Why the case is on hold; no letter while set.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub hold: Option<String>,
    /// A promise to pay; no letter before its date.
    #[serde(default)]
    pub promise: Option<Promise>,
    /// A payment plan agreed with the debtor: no dunning while it is kept.
    #[serde(default)]
    pub echeancier: Option<Echeancier>,
    /// The court, named by the lawyer (« Tribunal de commerce de Lyon »):
    /// the requête is addressed to it; else relance says which court by
    /// its kind and the debtor's place (C. proc. civ. 1406).
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub tribunal: Option<String>,
    /// Set from the journal: the case was handed to the contentieux (a
    /// sentence); no more letters.
    #[serde(skip)]
    pub transmitted: Option<String>,
    /// Set from the journal, never read from the file: a registered letter
    /// to this very address came back « destinataire inconnu »; no letter
    /// goes by post until the address changes. Says when and which.
    #[serde(skip)]
    pub address_to_verify: Option<String>,
    /// Set from the journal, never read from the file: an e-mail letter
    /// issued earlier that the SMTP server has not accepted; no letter
    /// until it is sent (or voided). Says which.
    #[serde(skip)]
    pub unsent_email: Option<String>,
    /// Set from the history, never read from the file: a promise to pay
    /// that was not kept, in a sentence the next letter prints.
    #[serde(skip)]
    pub broken_promise: Option<String>,
    /// Set from the journal: the last call recorded, in a sentence.
    #[serde(skip)]
    pub last_call: Option<String>,
    /// Set from the journal: the last telephone call in which the debtor
    /// was reached.
    #[serde(skip)]
    pub reached: Option<chrono::NaiveDate>,
    /// Set from the history: a payment plan not kept, in the sentence the
    /// next letter prints.
    #[serde(skip)]
    pub broken_plan: Option<String>,
    /// Set from the journal: the day of the call in which the promise was made.
    #[serde(skip)]
    pub promise_made: Option<chrono::NaiveDate>,
}

/// B2B or B2C: which rules of law apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DebtorKind {
    /// B2B: Code de commerce L441-10 and D441-5 apply.
    Professionnel,
    /// B2C: Code civil and Code de la consommation.
    Particulier,
}

/// The tone of the first letter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relationship {
    /// A customer of long standing.
    #[default]
    Regular,
    /// A first order: the amicale thanks before it reminds.
    New,
}

/// The debtor: the letter's addressee.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Debtor {
    /// Professional (B2B) or consumer (B2C).
    #[serde(rename = "type")]
    pub kind: DebtorKind,
    /// Name as printed on the envelope.
    #[serde(deserialize_with = "scalar::line")]
    pub name: String,
    /// SIREN, Luhn-checked when present.
    #[serde(default)]
    pub siren: Option<Siren>,
    /// "À l'attention de", when set.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub contact: Option<String>,
    /// Street lines (NF Z10-011: at most 38 characters each).
    #[serde(deserialize_with = "scalar::lines")]
    pub address: Vec<String>,
    /// Postal code, as written.
    pub postal_code: Text,
    /// City.
    #[serde(deserialize_with = "scalar::line")]
    pub city: String,
    /// ISO country code; France when absent.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub country: Option<String>,
    /// Where e-mail letters go.
    #[serde(deserialize_with = "scalar::opt_email")]
    #[serde(default)]
    pub email: Option<String>,
    /// Telephone, as written: on the call sheet.
    #[serde(default)]
    pub phone: Option<Text>,
    /// Regular or new customer.
    #[serde(default)]
    pub relationship: Relationship,
    /// How to address the person the letter goes to (`madame` or
    /// `monsieur`): the letter opens « Madame, » rather than « Madame,
    /// Monsieur, ». When absent, read from « Mme » / « M. » before the
    /// contact's name, else the debtor's.
    #[serde(default)]
    pub civilite: Option<Civilite>,
    /// A company's legal form (SARL, SAS…), for the requête en injonction
    /// de payer.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub forme: Option<String>,
    /// The organ that represents a company (« son gérant en exercice »).
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub representant: Option<String>,
    /// Whether a professional debtor is a trader or commercial company;
    /// for `type: professionnel`, yes unless `false` (a liberal profession,
    /// an association, an SCI): decides between the tribunal de commerce
    /// and the tribunal judiciaire.
    #[serde(default)]
    pub commercant: Option<bool>,
}

/// How a person is addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Civilite {
    /// « Madame »
    Madame,
    /// « Monsieur »
    Monsieur,
}

impl Debtor {
    /// The salutation of a letter: « Madame », « Monsieur », or « Madame,
    /// Monsieur » when the addressee's civility is not known (a company
    /// with no named contact).
    pub fn salutation(&self) -> &'static str {
        let read = |name: &str| {
            let lower = name.trim_start().to_lowercase();
            if ["mme ", "mme. ", "madame ", "mlle "].iter().any(|p| lower.starts_with(p)) {
                Some(Civilite::Madame)
            } else if ["m. ", "monsieur ", "mr "].iter().any(|p| lower.starts_with(p)) {
                Some(Civilite::Monsieur)
            } else {
                None
            }
        };
        let civilite = self.civilite.or_else(|| match &self.contact {
            Some(contact) => read(contact),
            None => read(&self.name),
        });
        match civilite {
            Some(Civilite::Madame) => "Madame",
            Some(Civilite::Monsieur) => "Monsieur",
            None => "Madame, Monsieur",
        }
    }

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

    /// Whether the B2B rules apply (penalties, 40 € indemnity).
    pub fn is_b2b(&self) -> bool {
        self.kind == DebtorKind::Professionnel
    }

    /// Whether the debtor is a trader or commercial company.
    pub fn is_trader(&self) -> bool {
        self.is_b2b() && self.commercant.unwrap_or(true)
    }
}

/// An invoice claimed.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Invoice {
    /// Its number, as on the invoice.
    #[serde(deserialize_with = "scalar::line")]
    pub number: String,
    /// Its date.
    pub date: Date,
    /// Its due date.
    pub due: Date,
    /// Amount including VAT (TTC).
    pub amount: Amount,
    /// A copy to attach, relative to the case file.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub file: Option<String>,
    /// Excluded from dunning, and why (a dispute, a credit note to come):
    /// listed in the décompte as excluded, never claimed.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub exclude: Option<String>,
}

/// A payment received.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// When it was received.
    pub date: Date,
    /// How much.
    pub amount: Amount,
    /// The invoice it names, if any.
    #[serde(deserialize_with = "scalar::opt_line")]
    #[serde(default)]
    pub invoice: Option<String>,
}

/// A letter already sent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SentLetter {
    /// Its level.
    pub level: Level,
    /// Its date.
    pub date: Date,
    /// How it went out.
    pub channel: Channel,
    /// The registered letter's number (from the journal, or written here).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "scalar::opt_line")]
    pub tracking: Option<String>,
    /// When the debtor received it: the avis de réception's date of
    /// delivery, or of first presentation for a letter not collected
    /// (from the journal, or written here for a letter sent before relance).
    /// A mise en demeure takes effect on that day: the payment deadline and,
    /// for a consumer, the legal interest run from it (C. civ. 1231-6, 1344).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<Date>,
    /// A copy of the letter (PDF), relative to the case file: a pièce of
    /// the injonction de payer file.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "scalar::opt_line")]
    pub file: Option<String>,
}

/// A payment plan (échéancier): the day it was agreed and the installments,
/// with the déchéance du terme clause: an installment missed makes the
/// whole balance due at once.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Echeancier {
    /// The day the plan was agreed.
    pub date: Date,
    /// The installments, in date order.
    pub installments: Vec<Installment>,
}

/// One installment of a payment plan.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Installment {
    /// The day it is due.
    pub date: Date,
    /// How much.
    pub amount: Amount,
}

impl Echeancier {
    /// The sum of the installments.
    pub fn total(&self) -> rust_decimal::Decimal {
        self.installments.iter().map(|i| i.amount.0).sum()
    }

    /// What is wrong with the plan, as (field under the plan, message).
    pub fn problem(&self) -> Option<(String, String)> {
        if self.installments.is_empty() {
            return Some((
                "installments".into(),
                "un échéancier a au moins une échéance ; attendu : - { date: AAAA-MM-JJ, amount: 100.00 }".into(),
            ));
        }
        if self.installments.len() > 120 {
            return Some(("installments".into(), format!("{} échéances ; au plus 120", self.installments.len())));
        }
        let mut previous = self.date.0;
        for (i, inst) in self.installments.iter().enumerate() {
            if inst.amount.0 <= rust_decimal::Decimal::ZERO {
                return Some((
                    format!("installments[{i}].amount"),
                    "montant nul ; attendu : un montant positif".into(),
                ));
            }
            if inst.date.0 < previous || (i > 0 && inst.date.0 == previous) {
                return Some((
                    format!("installments[{i}].date"),
                    format!(
                        "échéance du {} ; attendu : des dates croissantes, à partir du jour de l'accord ({})",
                        inst.date.0, self.date.0
                    ),
                ));
            }
            previous = inst.date.0;
        }
        None
    }
}

/// A promise to pay.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    /// The date promised.
    pub date: Date,
    /// The amount promised.
    pub amount: Amount,
}
