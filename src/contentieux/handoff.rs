//! The hand-off data of `relance contentieux`: one row per case, for a
//! collections agency or a commissaire de justice (`contentieux.csv` and
//! `contentieux.json`), ready or left out, and why.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Assessment, Court, Route, claim};
use crate::Session;
use crate::case::Channel;
use crate::csv_out::{CsvRecord, CsvWriter};
use crate::plan::Planned;

/// One case of the hand-off.
#[derive(Debug, Clone, Serialize)]
pub struct HandOff {
    /// The case id.
    pub id: String,
    /// `pret`, `exclu` or `erreur`.
    pub status: &'static str,
    /// Why left out, the error, or for a forced case the exclusion lifted.
    pub reason: String,
    /// The route proposed, when ready.
    pub route: Option<Route>,
    /// Why that route.
    pub route_why: String,
    /// The court, when ready.
    pub court: Option<Court>,
    /// The creditor.
    pub creditor: Creditor,
    /// The debtor.
    pub debtor: Debtor,
    /// The amounts at the date.
    pub amounts: Amounts,
    /// The invoices claimed.
    pub invoices: Vec<Invoice>,
    /// The letters sent, oldest first.
    pub letters: Vec<LetterSent>,
    /// The last day the mise en demeure gave to pay.
    pub notice_expired: Option<NaiveDate>,
    /// The files prepared, relative to the output folder.
    pub files: Vec<String>,
    /// The pièces to attach by hand (not found, or paper originals).
    pub missing: Vec<String>,
    /// The warnings of the computation (a rate missing from the table).
    pub warnings: Vec<String>,
    /// The case file.
    pub case_file: String,
}

/// The creditor, as the agency needs it.
#[derive(Debug, Clone, Serialize)]
pub struct Creditor {
    /// Its name.
    pub name: String,
    /// Its SIREN.
    pub siren: String,
}

/// The debtor, as the agency needs it.
#[derive(Debug, Clone, Serialize)]
pub struct Debtor {
    /// `professionnel` or `particulier`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// A company's legal form.
    pub forme: Option<String>,
    /// The organ that represents a company.
    pub representant: Option<String>,
    /// Its SIREN.
    pub siren: Option<String>,
    /// The street lines.
    pub address: Vec<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Country, when not France.
    pub country: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
}

/// The amounts claimed, by component.
#[derive(Debug, Clone, Serialize)]
pub struct Amounts {
    /// Principal.
    #[serde(with = "rust_decimal::serde::str")]
    pub principal: Decimal,
    /// Late-payment penalties (B2B).
    #[serde(with = "rust_decimal::serde::str")]
    pub penalties: Decimal,
    /// Recovery indemnities (B2B).
    #[serde(with = "rust_decimal::serde::str")]
    pub indemnities: Decimal,
    /// Legal interest (B2C).
    #[serde(with = "rust_decimal::serde::str")]
    pub interest: Decimal,
    /// The total claimed.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// Principal and interest: what the route's ceiling is compared to.
    #[serde(with = "rust_decimal::serde::str")]
    pub principal_and_interest: Decimal,
}

/// An invoice claimed.
#[derive(Debug, Clone, Serialize)]
pub struct Invoice {
    /// Its number.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// Its due date.
    pub due: NaiveDate,
    /// Its amount.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// What is left to pay on it.
    #[serde(with = "rust_decimal::serde::str")]
    pub outstanding: Decimal,
}

/// A letter sent.
#[derive(Debug, Clone, Serialize)]
pub struct LetterSent {
    /// Its level.
    pub level: String,
    /// Its date.
    pub date: NaiveDate,
    /// How it went.
    pub channel: &'static str,
    /// The registered letter's number.
    pub tracking: Option<String>,
    /// When it was received.
    pub received: Option<NaiveDate>,
}

impl HandOff {
    /// The row of a case: its assessment, the files prepared and the
    /// pièces missing.
    pub fn new(
        session: &Session,
        planned: &Planned,
        assessment: Option<&Assessment>,
        files: Vec<String>,
        missing: Vec<String>,
    ) -> HandOff {
        let case = &planned.loaded.case;
        let d = &case.debtor;
        let (status, reason, route, route_why, court, expired) = match (&planned.outcome, assessment) {
            (Err(e), _) => ("erreur", e.to_string(), None, String::new(), None, None),
            (Ok(_), Some(Assessment::Ready(r))) => (
                "pret",
                r.forced.as_ref().map(|f| format!("forcé (--case) malgré : {f}")).unwrap_or_default(),
                Some(r.route),
                r.why.clone(),
                Some(r.court.clone()),
                r.expired,
            ),
            (Ok(_), Some(Assessment::Excluded(why))) => ("exclu", why.clone(), None, String::new(), None, None),
            (Ok(_), None) => ("exclu", String::new(), None, String::new(), None, None),
        };
        let zero = Amounts {
            principal: Decimal::ZERO,
            penalties: Decimal::ZERO,
            indemnities: Decimal::ZERO,
            interest: Decimal::ZERO,
            total: Decimal::ZERO,
            principal_and_interest: Decimal::ZERO,
        };
        let (amounts, invoices) = match &planned.outcome {
            Ok((owed, _)) => (
                Amounts {
                    principal: owed.principal,
                    penalties: owed.penalties,
                    indemnities: owed.indemnities,
                    interest: owed.interest,
                    total: owed.total,
                    principal_and_interest: claim(owed),
                },
                owed.invoices
                    .iter()
                    .map(|i| Invoice {
                        number: i.number.clone(),
                        date: i.date,
                        due: i.due,
                        amount: i.amount,
                        outstanding: i.outstanding,
                    })
                    .collect(),
            ),
            Err(_) => (zero, Vec::new()),
        };
        let mut letters: Vec<LetterSent> = case
            .letters
            .iter()
            .filter(|l| l.date.0 <= planned.date && l.channel != Channel::Telephone)
            .map(|l| LetterSent {
                level: l.level.to_string(),
                date: l.date.0,
                channel: l.channel.as_str(),
                tracking: l.tracking.clone(),
                received: l.received.map(|r| r.0),
            })
            .collect();
        letters.sort_by(|a, b| (a.date, &a.level).cmp(&(b.date, &b.level)));
        HandOff {
            id: case.id.0.clone(),
            status,
            reason,
            route,
            route_why,
            court,
            creditor: Creditor {
                name: session.config.creditor.name.clone(),
                siren: session.config.creditor.siren.0.clone(),
            },
            debtor: Debtor {
                kind: if d.is_b2b() { "professionnel" } else { "particulier" },
                name: d.name.clone(),
                forme: d.forme.clone(),
                representant: d.representant.clone(),
                siren: d.siren.as_ref().map(|s| s.0.clone()),
                address: d.address.clone(),
                postal_code: d.postal_code.0.clone(),
                city: d.city.clone(),
                country: d.country.clone(),
                email: d.email.clone(),
                phone: d.phone.as_ref().map(|p| p.0.clone()),
            },
            amounts,
            invoices,
            letters,
            notice_expired: expired,
            files,
            missing,
            warnings: planned.outcome.as_ref().map(|(o, _)| o.warnings.clone()).unwrap_or_default(),
            case_file: planned.loaded.path.display().to_string(),
        }
    }

    /// The mise en demeure among the letters.
    fn notice(&self) -> Option<&LetterSent> {
        self.letters.iter().rev().find(|l| l.level == "mise-en-demeure")
    }
}

fn cents(d: Decimal) -> String {
    format!("{:.2}", crate::money::round_cents(d))
}

fn opt(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl CsvRecord for HandOff {
    const AMOUNTS: &'static [&'static str] = &["principal", "penalites", "indemnites", "interets", "total"];
    const HEADER: &'static [&'static str] = &[
        "dossier",
        "statut",
        "motif",
        "voie",
        "motif_voie",
        "juridiction",
        "type_juridiction",
        "creancier",
        "creancier_siren",
        "debiteur",
        "debiteur_type",
        "forme",
        "representant",
        "siren",
        "adresse",
        "code_postal",
        "ville",
        "pays",
        "email",
        "telephone",
        "principal",
        "penalites",
        "indemnites",
        "interets",
        "total",
        "factures",
        "lettres",
        "mise_en_demeure",
        "lrar",
        "reception",
        "delai_expire",
        "fichiers",
        "pieces_a_joindre",
        "avertissements",
        "fichier_dossier",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        let notice = self.notice();
        let d = &self.debtor;
        vec![
            Cow::Borrowed(self.id.as_str()),
            Cow::Borrowed(self.status),
            Cow::Borrowed(self.reason.as_str()),
            Cow::Borrowed(self.route.map_or("", Route::as_str)),
            Cow::Borrowed(self.route_why.as_str()),
            Cow::Borrowed(self.court.as_ref().map_or("", |c| c.name.as_str())),
            Cow::Borrowed(self.court.as_ref().map_or("", |c| c.kind)),
            Cow::Borrowed(self.creditor.name.as_str()),
            Cow::Borrowed(self.creditor.siren.as_str()),
            Cow::Borrowed(d.name.as_str()),
            Cow::Borrowed(d.kind),
            Cow::Borrowed(d.forme.as_deref().unwrap_or_default()),
            Cow::Borrowed(d.representant.as_deref().unwrap_or_default()),
            Cow::Borrowed(d.siren.as_deref().unwrap_or_default()),
            Cow::Owned(d.address.join(", ")),
            Cow::Borrowed(d.postal_code.as_str()),
            Cow::Borrowed(d.city.as_str()),
            Cow::Borrowed(d.country.as_deref().unwrap_or_default()),
            Cow::Borrowed(d.email.as_deref().unwrap_or_default()),
            Cow::Borrowed(d.phone.as_deref().unwrap_or_default()),
            Cow::Owned(cents(self.amounts.principal)),
            Cow::Owned(cents(self.amounts.penalties)),
            Cow::Owned(cents(self.amounts.indemnities)),
            Cow::Owned(cents(self.amounts.interest)),
            Cow::Owned(cents(self.amounts.total)),
            Cow::Owned(
                self.invoices
                    .iter()
                    .map(|i| format!("{} du {} ({})", i.number, i.date, cents(i.outstanding)))
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ),
            Cow::Owned(
                self.letters
                    .iter()
                    .map(|l| format!("{} {} {}", l.level, l.date, l.channel))
                    .collect::<Vec<_>>()
                    .join(" ; "),
            ),
            Cow::Owned(opt(notice.map(|n| n.date))),
            Cow::Borrowed(notice.and_then(|n| n.tracking.as_deref()).unwrap_or_default()),
            Cow::Owned(opt(notice.and_then(|n| n.received))),
            Cow::Owned(opt(self.notice_expired)),
            Cow::Owned(self.files.join(" ; ")),
            Cow::Owned(self.missing.join(" ; ")),
            Cow::Owned(self.warnings.join(" ; ")),
            Cow::Borrowed(self.case_file.as_str()),
        ]
    }
}

/// The rows as CSV.
pub fn handoff_csv(rows: &[HandOff], format: crate::csv_out::CsvFormat) -> std::io::Result<Vec<u8>> {
    let mut w = CsvWriter::with_format(Vec::new(), format);
    for r in rows {
        w.write(r)?;
    }
    w.finish::<HandOff>()
}
