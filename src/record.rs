//! `relance record CASES depot-lrar.csv`: what La Poste says of the
//! registered letters, read back from the deposit list `build` wrote once
//! the clerk has filled it in: the registered letter's number, and when the
//! avis de réception comes back, the date of first presentation, the date
//! of delivery, or why it was returned. Valid rows are recorded in the
//! journal (a new file; nothing is rewritten); bad rows are errors with
//! their line and column, and do not stop the others.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::case::{Channel, Date, InputError};
use crate::journal::{Entry, Journal, JournalError, Lrar, Returned};
use crate::text::quote;

/// What was recorded.
#[derive(Debug, Default)]
pub struct RecordReport {
    /// Rows recorded (new or changed).
    pub recorded: usize,
    /// Rows already recorded as they are.
    pub unchanged: usize,
    /// Rows without a number yet.
    pub pending: usize,
    /// Bad rows, with their place.
    pub errors: Vec<InputError>,
}

/// A registered letter's number, normalised (no spaces, capitals), if it
/// has one of the two shapes La Poste prints on its labels:
/// - the international UPU S10 identifier (2 letters for the service, 8
///   digits, a check digit, the country's ISO code: `RR123456785FR`); its
///   check digit is verified (weights 8 6 4 2 3 5 9 7, modulo 11);
/// - the 13-character domestic number of a lettre recommandée (a digit, a
///   letter, 11 digits: `1A 123 456 7890 1`).
pub fn tracking(text: &str) -> Result<String, TrackingError> {
    let t: String = text.split_whitespace().collect::<String>().to_ascii_uppercase();
    let b = t.as_bytes();
    if b.len() == 13 && b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2..].iter().all(u8::is_ascii_digit) {
        return Ok(t);
    }
    if b.len() == 13
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(u8::is_ascii_digit)
        && b[11..].iter().all(u8::is_ascii_uppercase)
    {
        let weights = [8, 6, 4, 2, 3, 5, 9, 7];
        let sum: u32 = b[2..10].iter().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
        let check = match 11 - sum % 11 {
            10 => 0,
            11 => 5,
            c => c,
        };
        if u32::from(b[10] - b'0') == check {
            return Ok(t);
        }
        return Err(TrackingError { quoted: quote(text), check_digit: true });
    }
    Err(TrackingError { quoted: quote(text), check_digit: false })
}

/// A registered letter's number that is not one: of the wrong shape, or
/// with a wrong check digit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{quoted} {} ; attendu : un numéro de recommandé de 13 caractères : le format intérieur de La Poste (un chiffre, une lettre, 11 chiffres, p. ex. 1A 123 456 7890 1) ou le format international UPU S10 (2 lettres, 9 chiffres, 2 lettres, p. ex. RR 1234 5678 5 FR)",
    if *check_digit { "a une clé de contrôle fausse (norme UPU S10)" } else { "n'est pas un numéro de recommandé" }
)]
pub struct TrackingError {
    /// The value, quoted for a message.
    pub quoted: String,
    /// The shape is right, the check digit wrong.
    pub check_digit: bool,
}

/// Reads `csv` (the deposit list, filled in) and records its rows in the
/// journal at `dir`, dated `date`.
pub fn record(dir: &Path, csv: &Path, date: NaiveDate) -> Result<RecordReport, JournalError> {
    let _lock = crate::journal::Lock::acquire(dir, None)?;
    let journal = Journal::load(dir)?;
    let bytes = crate::safe_read::read(csv, 16 * 1024 * 1024, None)
        .map_err(|e| JournalError(InputError::new(csv, e.to_string())))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        JournalError(InputError::new(csv, "ce n'est pas du texte UTF-8 ; enregistrez la liste en CSV UTF-8"))
    })?;
    let text = text.trim_start_matches('\u{FEFF}');
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains(';') && !first.contains(',') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let headers =
        reader.headers().map_err(|e| JournalError(InputError::new(csv, format!("en-tête illisible : {e}"))))?.clone();
    // The column names relance writes, in English or in French.
    let column = |names: [&str; 2]| headers.iter().position(|h| names.contains(&h.trim()));
    let (Some(reference), Some(number)) =
        (column(["reference", "reference"]), column(["registered_number", "numero_recommande"]))
    else {
        return Err(JournalError(InputError::new(
            csv,
            "colonnes « reference » et « registered_number » (ou « numero_recommande ») absentes ; attendu : la liste depot-lrar.csv écrite par relance build",
        )));
    };
    let (presented, delivered, returned) = (
        column(["first_presented", "premiere_presentation"]),
        column(["delivered", "distribution"]),
        column(["returned", "retour"]),
    );
    let mut report = RecordReport::default();
    let mut entries = Vec::new();
    let mut row = csv::StringRecord::new();
    // The header is line 1; a row holds no line break (relance writes
    // none), so the n-th row is on line n + 1.
    let mut line = 1;
    loop {
        let read = reader.read_record(&mut row);
        line += 1;
        match read {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let mut err = InputError::new(csv, format!("ligne illisible : {e}"));
                err.line = Some(line);
                report.errors.push(err);
                continue;
            }
        }
        let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).unwrap_or("").trim().to_string();
        let err = |field: &str, message: String| {
            let mut e = InputError::field(csv, field, message);
            e.line = Some(line);
            e
        };
        match read_row(
            &journal,
            date,
            &cell(Some(reference)),
            &cell(Some(number)),
            &cell(presented),
            &cell(delivered),
            &cell(returned),
        ) {
            Ok(None) => report.pending += 1,
            Ok(Some(l)) => {
                let same = journal.lrar(&l.entry).is_some_and(|old| Lrar { recorded: l.recorded, ..old.clone() } == l);
                if same {
                    report.unchanged += 1;
                } else {
                    report.recorded += 1;
                    entries.push(Entry::Lrar(l));
                }
            }
            Err((field, message)) => report.errors.push(err(field, message)),
        }
    }
    if !entries.is_empty() {
        let ids: Vec<String> = entries.iter().map(|e| serde_json::to_string(e).unwrap_or_default()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let run = format!("record-{}", crate::journal::run_id(date, None, &ids));
        crate::journal::write_unsharded(dir, run, date, &entries)
            .map_err(|e| JournalError(InputError::new(dir, format!("écriture impossible : {e}"))))?;
    }
    Ok(report)
}

/// One row: `None` while its number is not filled in; the field at fault
/// otherwise.
fn read_row(
    journal: &Journal,
    date: NaiveDate,
    reference: &str,
    number: &str,
    presented: &str,
    delivered: &str,
    returned: &str,
) -> Result<Option<Lrar>, (&'static str, String)> {
    let Some((case, level)) = reference.split_once('/') else {
        return Err((
            "reference",
            format!(
                "{} n'est pas une référence ; attendu : DOSSIER/niveau, comme relance build l'écrit",
                quote(reference)
            ),
        ));
    };
    let issued = journal
        .issued(case)
        .iter()
        .rev()
        .find(|i| i.level.as_str() == level && i.channel == Channel::Lrar)
        .ok_or_else(|| {
            ("reference", format!("aucune lettre recommandée {} dans le journal ; attendu : une référence de la liste écrite par relance build", quote(reference)))
        })?;
    if number.is_empty() {
        if [presented, delivered, returned].iter().any(|c| !c.is_empty()) {
            return Err(("registered_number", "numéro de recommandé vide alors que l'avis de réception est rempli ; attendu : le numéro collé sur le pli".into()));
        }
        return Ok(None);
    }
    let number = tracking(number).map_err(|e| ("registered_number", e.to_string()))?;
    let day = |field: &'static str, text: &str| -> Result<Option<NaiveDate>, (&'static str, String)> {
        if text.is_empty() {
            return Ok(None);
        }
        let d = Date::parse(text).map_err(|e| (field, e.to_string()))?.0;
        if d < issued.date {
            return Err((
                field,
                format!(
                    "{} est antérieure au dépôt de la lettre ({}) ; attendu : une date au {} ou après",
                    quote(text),
                    issued.date,
                    issued.date
                ),
            ));
        }
        if d > date {
            return Err((
                field,
                format!(
                    "{} est postérieure à la date d'enregistrement {date} ; attendu : une date passée",
                    quote(text)
                ),
            ));
        }
        Ok(Some(d))
    };
    let first_presented = day("first_presented", presented)?;
    let delivered = day("delivered", delivered)?;
    let returned = match returned.to_lowercase().trim() {
        "" => None,
        "pli avisé et non réclamé" | "non réclamé" | "non-reclame" => Some(Returned::NonReclame),
        "destinataire inconnu à l'adresse"
        | "destinataire inconnu à l’adresse"
        | "destinataire inconnu"
        | "destinataire-inconnu" => Some(Returned::DestinataireInconnu),
        _ => {
            return Err((
                "returned",
                format!(
                    "{} ; attendu : vide, « pli avisé et non réclamé » ou « destinataire inconnu à l'adresse »",
                    quote(returned)
                ),
            ));
        }
    };
    if delivered.is_some() && returned.is_some() {
        return Err(("returned", "le pli est dit à la fois remis et retourné ; attendu : l'un ou l'autre".into()));
    }
    Ok(Some(Lrar { entry: issued.entry.clone(), number, first_presented, delivered, returned, recorded: date }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_of_both_shapes() {
        assert_eq!(tracking("1A 123 456 7890 1").unwrap(), "1A12345678901");
        // S10: 1 2 3 4 5 6 7 8 with weights 8 6 4 2 3 5 9 7 → 204;
        // 11 - 204 % 11 = 5, the standard's own example RR 123456785 FR.
        assert_eq!(tracking("rr 1234 5678 5 fr").unwrap(), "RR123456785FR");
        assert!(tracking("RR123456789FR").unwrap_err().check_digit);
        assert!(tracking("12345").unwrap_err().to_string().contains("n'est pas un numéro de recommandé"));
    }
}

/// Records the outcome of a telephone call (`relance record appel`): a
/// promise needs its amount and date, after the call; the other outcomes
/// take neither.
pub fn call(dir: &Path, record: crate::journal::CallRecord) -> Result<PathBuf, CallError> {
    use crate::journal::{self, CallOutcome};
    let bad = CallError::Arguments;
    match (record.outcome, record.amount, record.until) {
        (CallOutcome::Promesse, Some(amount), Some(until)) => {
            if amount <= rust_decimal::Decimal::ZERO || amount.scale() > 2 {
                return Err(bad(format!(
                    "--amount {amount} ; attendu : un montant positif en euros, 2 décimales au plus"
                )));
            }
            if until < record.date {
                return Err(bad(format!(
                    "--until {until} avant l'appel du {} ; attendu : la date promise, le jour de l'appel ou après",
                    record.date
                )));
            }
        }
        (CallOutcome::Promesse, _, _) => {
            return Err(bad("une promesse se note avec --amount MONTANT et --until DATE".into()));
        }
        (_, None, None) => {}
        (outcome, _, _) => {
            return Err(bad(format!(
                "--amount et --until ne vont qu'avec --outcome promesse (ici : {})",
                outcome.label()
            )));
        }
    }
    let _lock = journal::Lock::acquire(dir, None)?;
    let key = format!(
        "{}|{}|{:?}|{:?}|{:?}|{:?}",
        record.case, record.date, record.outcome, record.amount, record.until, record.note
    );
    let date = record.date;
    journal::write_unsharded(dir, journal::run_name("call", &key), date, &[Entry::Call(record)])
        .map_err(|e| CallError::Journal(JournalError(InputError::new(dir, format!("écriture impossible : {e}")))))
}

/// Why a call cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The options do not fit the outcome.
    #[error("{0}")]
    Arguments(String),
    /// The journal cannot be written.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Records a payment plan agreed with the debtor of `case` (`relance record
/// echeancier`): checked like the `echeancier:` of a case file.
pub fn plan(dir: &Path, case: &str, plan: crate::case::Echeancier) -> Result<PathBuf, CallError> {
    use crate::journal::{self, PlanRecord};
    if let Some((field, message)) = plan.problem() {
        return Err(CallError::Arguments(format!("{field} : {message}")));
    }
    let _lock = journal::Lock::acquire(dir, None)?;
    let key = serde_json::to_string(&plan).unwrap_or_default();
    let (run, date) = (journal::run_name("plan", &format!("{case}|{key}")), plan.date.0);
    let entry = Entry::Plan(PlanRecord { case: case.to_string(), echeancier: plan });
    journal::write_unsharded(dir, run, date, &[entry])
        .map_err(|e| CallError::Journal(JournalError(InputError::new(dir, format!("écriture impossible : {e}")))))
}
