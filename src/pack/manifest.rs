//! The manifest of a run (`manifest.csv`, `manifest.json`): one row per
//! case, the run's errors and its packs, streamed to disk as the run goes.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::print;
use super::sink::{Sink, Staged};
use crate::case::InputError;
use crate::csv_out::{CsvRecord, CsvWriter};
use crate::error::RunError;
use crate::escalation::Decision;
use crate::plan::Planned;

/// An amount for the manifest: always two decimals, dot separator.
fn cents(d: rust_decimal::Decimal) -> String {
    format!("{:.2}", d)
}

/// What happened to one case, as the back office reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A letter was built.
    Letter,
    /// A telephone call is due: a line of the call sheet.
    Call,
    /// No letter is due; `reason` says why.
    #[default]
    None,
    /// The case could not be processed; `error` says why.
    Error,
}

/// One manifest row (docs/outputs.md).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ManifestRow {
    /// The case id.
    pub id: String,
    /// The case file.
    pub source: String,
    /// The debtor's name.
    pub debtor: String,
    /// `professionnel` or `particulier`.
    pub debtor_type: String,
    /// The profile of `policies:` that applied; empty for the default policy.
    pub profile: String,
    /// A payment plan or a promise in course, in a sentence.
    pub arrangement: String,
    /// Letter, none or error.
    pub status: Status,
    /// The level of the letter.
    pub level: String,
    /// Why no letter, or a note on the channel.
    pub reason: String,
    /// The last letter of the case's history before this run: level and
    /// date.
    pub last_letter: String,
    /// When the next letter becomes due, when only time stands in the way.
    pub next_due: String,
    /// How the letter goes out.
    pub channel: String,
    /// Principal claimed, two decimals.
    pub principal: String,
    /// Penalties, two decimals.
    pub penalties: String,
    /// Indemnities, two decimals.
    pub indemnities: String,
    /// B2C: legal interest since the mise en demeure was received, two decimals.
    pub interest: String,
    /// Total claimed, two decimals.
    pub total: String,
    /// Days since the oldest unpaid invoice fell due (empty when none).
    pub days_late: String,
    /// Pages of the letter.
    pub pages: String,
    /// The letter's file, relative to the output.
    pub file: String,
    /// SHA-256 of the letter.
    pub sha256: String,
    /// "oui" for a draft (PROJET watermark), for review, not for sending.
    pub draft: String,
    /// Invoice copies sent with the letter (pack or e-mail).
    pub copies: String,
    /// The .eml written for the e-mail channel.
    pub email: String,
    /// Legal warnings of the computation (floor raised, prescription…).
    pub warnings: String,
    /// Why the case failed, with its place.
    pub error: String,
    /// For a mise en demeure, its décompte as `relance explain` prints it
    /// (manifest.json only: the HTML report shows it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub decompte: String,
}

impl Status {
    /// `letter`, `none` or `error`, as in the manifest.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Letter => "letter",
            Status::Call => "call",
            Status::None => "none",
            Status::Error => "error",
        }
    }
}

impl CsvRecord for ManifestRow {
    const HEADER_FR: &'static [&'static str] = &[
        "dossier",
        "fichier_dossier",
        "debiteur",
        "type_debiteur",
        "profil",
        "statut",
        "niveau",
        "motif",
        "derniere_lettre",
        "prochaine_etape",
        "canal",
        "principal",
        "penalites",
        "indemnites",
        "interets",
        "total",
        "jours_de_retard",
        "pages",
        "fichier",
        "sha256",
        "projet",
        "copies",
        "email",
        "avertissements",
        "arrangement",
        "erreur",
    ];
    const AMOUNTS: &'static [&'static str] = &["principal", "penalties", "indemnities", "interest", "total"];
    const HEADER: &'static [&'static str] = &[
        "id",
        "source",
        "debtor",
        "debtor_type",
        "profile",
        "status",
        "level",
        "reason",
        "last_letter",
        "next_due",
        "channel",
        "principal",
        "penalties",
        "indemnities",
        "interest",
        "total",
        "days_late",
        "pages",
        "file",
        "sha256",
        "draft",
        "copies",
        "email",
        "warnings",
        "arrangement",
        "error",
    ];

    fn cells(&self) -> Vec<std::borrow::Cow<'_, str>> {
        [
            &self.id,
            &self.source,
            &self.debtor,
            &self.debtor_type,
            &self.profile,
            self.status.as_str(),
            &self.level,
            &self.reason,
            &self.last_letter,
            &self.next_due,
            &self.channel,
            &self.principal,
            &self.penalties,
            &self.indemnities,
            &self.interest,
            &self.total,
            &self.days_late,
            &self.pages,
            &self.file,
            &self.sha256,
            &self.draft,
            &self.copies,
            &self.email,
            &self.warnings,
            &self.arrangement,
            &self.error,
        ]
        .into_iter()
        .map(std::borrow::Cow::Borrowed)
        .collect()
    }
}

/// The payment plan or promise of a case, as the manifest says it.
fn arrangement(case: &crate::case::Case, date: chrono::NaiveDate) -> String {
    if let Some(plan) = case.echeancier.as_ref().filter(|p| p.date.0 <= date) {
        return crate::echeancier::describe(plan, &crate::echeancier::state(plan, case, date));
    }
    match (&case.promise, &case.broken_promise) {
        (_, Some(broken)) => format!("promesse non tenue : {broken}"),
        (Some(p), None) if p.date.0 >= date => {
            format!("promesse de {} au {}", crate::money::format_eur(p.amount.0), crate::money::format_date(p.date.0))
        }
        _ => case.last_call.clone().unwrap_or_default(),
    }
}

impl ManifestRow {
    /// The row of a planned case, before any file is written: its figures
    /// and decision, or nothing more than its id when the computation failed.
    pub fn planned(planned: &Planned) -> ManifestRow {
        let case = &planned.loaded.case;
        let mut row = ManifestRow {
            id: case.id.0.clone(),
            source: planned.loaded.path.display().to_string(),
            debtor: case.debtor.name.clone(),
            debtor_type: if case.debtor.is_b2b() { "professionnel" } else { "particulier" }.to_string(),
            profile: case.profil.clone().unwrap_or_default(),
            arrangement: arrangement(case, planned.date),
            last_letter: crate::escalation::last_letter(case, planned.date)
                .map(|l| format!("{} {}", l.level, l.date.0))
                .unwrap_or_default(),
            ..ManifestRow::default()
        };
        if let Ok((owed, decision)) = &planned.outcome {
            row.principal = cents(owed.principal);
            row.penalties = cents(owed.penalties);
            row.indemnities = cents(owed.indemnities);
            row.interest = cents(owed.interest);
            row.total = cents(owed.total);
            row.warnings = owed.warnings.join(" | ");
            row.days_late = owed
                .invoices
                .iter()
                .filter(|i| i.outstanding > rust_decimal::Decimal::ZERO)
                .map(|i| i.due)
                .min()
                .map(|due| (planned.date - due).num_days().to_string())
                .unwrap_or_default();
            match decision {
                Decision::Send(due) => {
                    if due.level == crate::case::Level::MiseEnDemeure {
                        row.decompte = crate::explain::explain(case, owed, decision);
                    }
                    row.status =
                        if due.channel == crate::case::Channel::Telephone { Status::Call } else { Status::Letter };
                    row.level = due.level.as_str().to_string();
                    row.channel = due.channel.as_str().to_string();
                    row.reason = due.channel_note.clone().unwrap_or_default();
                }
                Decision::Skip { reason, next } => {
                    row.reason = reason.clone();
                    row.next_due = next.map(|d| d.to_string()).unwrap_or_default();
                }
            }
        }
        row
    }

    /// The row of a case file that could not be read or built.
    pub fn for_error(err: &InputError, id: Option<&str>) -> ManifestRow {
        ManifestRow {
            id: id.unwrap_or("").to_string(),
            source: err.file.display().to_string(),
            status: Status::Error,
            error: err.to_string(),
            ..ManifestRow::default()
        }
    }
}

/// A print pack and the letters in it.
#[derive(Debug, Clone, Serialize)]
pub struct PackInfo {
    /// The pack's file.
    pub file: String,
    /// The channel it is for.
    pub channel: String,
    /// Its page count.
    pub pages: usize,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Where each letter is in it.
    pub letters: Vec<print::Placement>,
}

/// The manifest of a run, written as CSV (the rows) and JSON (everything)
/// while the run goes: a row is written as soon as its case is done, so a
/// run of 100,000 cases never holds 100,000 rows. Rows come in the order of
/// the case files' paths, so that the manifests of the shards of a run, put
/// together, equal the manifest of the whole run. Both files appear whole
/// at [`ManifestWriter::finish`], or not at all.
pub struct ManifestWriter<'a> {
    csv: CsvWriter<Box<dyn Staged + 'a>>,
    json: Box<dyn Staged + 'a>,
    rows: usize,
    /// The first write error: the run goes on (letters are still worth
    /// building), the manifest is reported as not written at the end.
    failed: Option<std::io::Error>,
}

impl<'a> ManifestWriter<'a> {
    /// Starts both manifest files for a run at `date` (and its shard).
    /// `recorded`: the run recorded its letters in a journal (not a draft,
    /// not `--no-record`); only such a run's e-mails may be sent.
    pub fn new(
        sink: &'a dyn Sink,
        date: &str,
        shard: Option<&str>,
        recorded: bool,
        format: crate::csv_out::CsvFormat,
    ) -> std::io::Result<ManifestWriter<'a>> {
        let csv = CsvWriter::with_format(sink.create(Path::new("manifest.csv"))?, format);
        let mut json = sink.create(Path::new("manifest.json"))?;
        write!(
            json,
            "{{\n  \"date\": {},\n  \"shard\": {},\n  \"recorded\": {recorded},\n  \"rows\": [",
            json_string(date),
            shard.map_or("null".into(), json_string)
        )?;
        Ok(ManifestWriter { csv, json, rows: 0, failed: None })
    }

    /// Appends a row. The CSV goes through the one CSV writer, which
    /// defuses cells a spreadsheet would run as a formula; manifest.json
    /// keeps the exact text.
    pub fn push(&mut self, row: &ManifestRow) {
        let result = self.csv.write(row).and_then(|()| {
            let sep = if self.rows == 0 { "\n    " } else { ",\n    " };
            write!(self.json, "{sep}")?;
            nested_json(&mut self.json, b"    ", row)
        });
        self.rows += 1;
        if let Err(e) = result {
            self.failed.get_or_insert(e);
        }
    }

    /// Writes the run's errors, packs and whether it was interrupted, and
    /// puts both files in place.
    pub fn finish(mut self, errors: &[RunError], packs: &[PackInfo], interrupted: bool) -> std::io::Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // Streamed: the packs list one placement per posted letter (70,000
        // in a run of 100,000 cases), tens of megabytes as one string.
        write!(self.json, "{}],\n  \"errors\": ", if self.rows == 0 { "" } else { "\n  " })?;
        nested_json(&mut self.json, b"  ", errors)?;
        write!(self.json, ",\n  \"packs\": ")?;
        nested_json(&mut self.json, b"  ", packs)?;
        write!(self.json, ",\n  \"interrupted\": {interrupted}\n}}\n")?;
        self.csv.finish::<ManifestRow>()?.commit()?;
        self.json.commit()
    }
}

/// Writes `value` as pretty JSON nested `indent` deep in the manifest.
fn nested_json<W: Write + ?Sized>(
    out: &mut W,
    indent: &'static [u8],
    value: &(impl Serialize + ?Sized),
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(Indented { out, indent }, value).map_err(std::io::Error::other)
}

/// Writes through to `out`, with `indent` after every line break: pretty
/// JSON nested inside the manifest's own, without building it as a string.
struct Indented<'w, W: Write + ?Sized> {
    out: &'w mut W,
    indent: &'static [u8],
}

impl<W: Write + ?Sized> Write for Indented<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
                self.out.write_all(self.indent)?;
            }
            self.out.write_all(line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::Folder;
    #[test]
    fn streamed_json_is_indented_like_the_nested_string() {
        let value =
            serde_json::json!({"packs": [{"file": "a\nb.pdf", "letters": [{"id": "X", "pages": [1, 2]}]}], "e": []});
        let mut out = Vec::new();
        serde_json::to_writer_pretty(Indented { out: &mut out, indent: b"  " }, &value).unwrap();
        let nested = serde_json::to_string_pretty(&value).unwrap().replace('\n', "\n  ");
        assert_eq!(String::from_utf8(out).unwrap(), nested);
        assert!(nested.contains("\n        \"letters\""), "{nested}");
    }

    #[test]
    fn csv_defuses_spreadsheet_formulas() {
        let mut row = ManifestRow::for_error(&InputError::new(Path::new("x.yaml"), "boom"), None);
        row.debtor = "=HYPERLINK(\"http://evil\")".into();
        let dir = tempfile::tempdir().unwrap();
        let sink = Folder(dir.path().to_path_buf());
        let mut m = ManifestWriter::new(&sink, "2026-11-22", None, false, Default::default()).unwrap();
        m.push(&row);
        m.finish(&[], &[], false).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("manifest.csv")).unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{csv}");
        let json = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
        assert!(json.contains("\"debtor\": \"=HYPERLINK"), "{json}");
    }

    /// The streamed JSON is the document serde_json would print for the
    /// whole manifest at once.
    #[test]
    fn streamed_json_is_pretty_json() {
        #[derive(Serialize)]
        struct Whole<'a> {
            date: &'a str,
            shard: Option<&'a str>,
            recorded: bool,
            rows: &'a [ManifestRow],
            errors: &'a [RunError],
            packs: &'a [PackInfo],
            interrupted: bool,
        }
        let rows = [
            ManifestRow { id: "A".into(), ..ManifestRow::default() },
            ManifestRow { id: "B\n\"x\"".into(), ..ManifestRow::default() },
        ];
        let errors = [RunError::Input(InputError::new(Path::new("c.yaml"), "bad"))];
        let packs = [PackInfo {
            file: "pack-courrier.pdf".into(),
            channel: "courrier".into(),
            pages: 2,
            sha256: "00".into(),
            letters: vec![],
        }];
        for n in [0, 1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let sink = Folder(dir.path().to_path_buf());
            let mut m = ManifestWriter::new(&sink, "2026-11-22", Some("1/2"), n == 2, Default::default()).unwrap();
            for r in &rows[..n] {
                m.push(r);
            }
            let (e, p) = if n == 0 { (&errors[..0], &packs[..0]) } else { (&errors[..], &packs[..]) };
            m.finish(e, p, n == 1).unwrap();
            let whole = Whole {
                date: "2026-11-22",
                shard: Some("1/2"),
                recorded: n == 2,
                rows: &rows[..n],
                errors: e,
                packs: p,
                interrupted: n == 1,
            };
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(std::fs::read_to_string(dir.path().join("manifest.json")).unwrap(), want);
        }
    }

    #[test]
    fn an_unfinished_manifest_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Folder(dir.path().to_path_buf());
        let mut m = ManifestWriter::new(&sink, "2026-11-22", None, false, Default::default()).unwrap();
        m.push(&ManifestRow::default());
        drop(m);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

/// The legal warnings of a run, grouped: each distinct warning with the
/// number of cases it concerns and the first of them, for `plan`'s table
/// and `build`'s summary (the manifest has each case's own).
#[derive(Debug, Default, Clone)]
pub struct Warnings {
    by_text: std::collections::BTreeMap<String, (usize, Vec<String>)>,
}

impl Warnings {
    /// Cases named per warning.
    const NAMED: usize = 3;

    /// Adds the warnings of a row.
    pub fn add(&mut self, row: &ManifestRow) {
        for w in row.warnings.split(" | ").filter(|w| !w.is_empty()) {
            let entry = self.by_text.entry(w.to_string()).or_default();
            entry.0 += 1;
            if entry.1.len() < Self::NAMED {
                entry.1.push(row.id.clone());
            }
        }
    }

    /// Cases concerned by at least one warning, counted once per warning.
    pub fn count(&self) -> usize {
        self.by_text.values().map(|(n, _)| n).sum()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_text.is_empty()
    }

    /// One line per distinct warning: « N dossier(s) (A, B, C…) : text ».
    pub fn lines(&self) -> Vec<String> {
        self.by_text
            .iter()
            .map(|(text, (n, ids))| {
                let more = if *n > ids.len() { ", …" } else { "" };
                format!("{n} dossier(s) ({}{more}) : {text}", ids.join(", "))
            })
            .collect()
    }
}
