//! The journal: what relance issued, run after run, so that a daily run
//! sends each letter once. No database: a folder of plain files
//! (`<cases>/journal/` unless `journal:` in relance.yaml says otherwise),
//! one JSON Lines file per run (per shard for a sharded run), written whole
//! (temporary file, fsync, rename) and never rewritten. A correction is a
//! new entry: `relance journal void` records that a letter was never
//! posted, and escalation then ignores it.
//!
//! A file's first line says its format version; each next line is one
//! entry. The history of a case is its YAML `letters:` (what was sent
//! before relance) plus its entries here.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::case::{Channel, InputError, Level, SentLetter};
use crate::text::quote;

/// The format version this relance writes and reads.
pub const FORMAT: u32 = 1;

/// The first line of a journal file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The format version ([`FORMAT`]).
    pub relance_journal: u32,
    /// The run that wrote the file.
    pub run: String,
    /// The run date.
    pub date: NaiveDate,
    /// `K/N` for a sharded run.
    #[serde(default)]
    pub shard: Option<String>,
}

/// One line of a journal file after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A letter issued by a run.
    Issued(Issued),
    /// A letter recorded as never posted (print jam, wrong address).
    Void(Void),
    /// What La Poste says of a registered letter: its number, and its
    /// avis de réception when it came back.
    Lrar(Lrar),
    /// An e-mail letter accepted by the SMTP server (`relance send`).
    Mailed(Mailed),
    /// An e-mail letter the server refused, or that could not be handed
    /// over: still not sent.
    MailFailed(MailFailed),
    /// The outcome of a telephone call (`relance record appel`).
    Call(CallRecord),
    /// A payment plan agreed (`relance record echeancier`).
    Plan(PlanRecord),
    /// A case handed to the contentieux (`relance contentieux`): no more
    /// letters.
    Contentieux(Transmis),
}

/// A case handed to the contentieux.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transmis {
    /// The case.
    pub case: String,
    /// The day its file was prepared.
    pub date: NaiveDate,
    /// `injonction` (requête en injonction de payer) or `commissaire`
    /// (procédure simplifiée des petites créances).
    pub route: String,
    /// The amount claimed, arrêté at `date`.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// The files of the hand-off, relative to the output folder.
    pub files: Vec<String>,
    /// The run that prepared it.
    pub run: String,
}

impl Transmis {
    /// How the history and the plan say it.
    pub fn describe(&self) -> String {
        let how = if self.route == "commissaire" {
            "commissaire de justice, procédure simplifiée des petites créances"
        } else {
            "requête en injonction de payer"
        };
        format!("transmis au contentieux le {} ({how}, {})", self.date, crate::money::format_eur(self.total))
    }
}

/// A payment plan agreed with a debtor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRecord {
    /// The case.
    pub case: String,
    /// The plan.
    pub echeancier: crate::case::Echeancier,
}

/// What a telephone call gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CallOutcome {
    /// Reached; nothing more.
    Joint,
    /// Not reached.
    Injoignable,
    /// Promised to pay an amount by a date: escalation waits until then.
    Promesse,
    /// Disputes the debt: the case is on hold.
    Litige,
}

impl CallOutcome {
    /// How the history says it.
    pub fn label(self) -> &'static str {
        match self {
            CallOutcome::Joint => "joint",
            CallOutcome::Injoignable => "injoignable",
            CallOutcome::Promesse => "promesse de paiement",
            CallOutcome::Litige => "litige",
        }
    }
}

/// A telephone call and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    /// The case called.
    pub case: String,
    /// The day of the call.
    pub date: NaiveDate,
    /// What it gave.
    pub outcome: CallOutcome,
    /// A promise: the amount.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    /// A promise: the date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    /// The clerk's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An e-mail accepted by the server: from then on the letter counts as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailed {
    /// The entry of the letter.
    pub entry: String,
    /// The message's Message-ID (without the angle brackets).
    pub message_id: String,
    /// The address it was sent to.
    pub to: String,
    /// The day the server accepted it.
    pub date: NaiveDate,
    /// The server's reply (e.g. `250 2.0.0 Ok: queued as …`).
    pub reply: String,
}

/// An e-mail that was not accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailFailed {
    /// The entry of the letter.
    pub entry: String,
    /// The address it was for.
    pub to: String,
    /// The day of the attempt.
    pub date: NaiveDate,
    /// The server's refusal, or why it could not be reached.
    pub reason: String,
    /// A permanent refusal (5xx: unknown mailbox…): sending again will not help
    /// until the address is corrected.
    pub permanent: bool,
}

/// The tracking of a registered letter, as the clerk recorded it from the
/// deposit list (`relance record`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lrar {
    /// The entry of the letter.
    pub entry: String,
    /// The registered letter's number (see [`crate::record::tracking`]).
    pub number: String,
    /// Date of first presentation at the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_presented: Option<NaiveDate>,
    /// Date of delivery (the avis de réception signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<NaiveDate>,
    /// The letter came back: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<Returned>,
    /// The date the clerk recorded it.
    pub recorded: NaiveDate,
}

impl Lrar {
    /// The day the letter took effect: its delivery, or its first
    /// presentation when it came back « pli avisé et non réclamé » (the
    /// addressee was notified and chose not to collect it). A letter only
    /// presented, or returned « destinataire inconnu », was not received.
    pub fn received(&self) -> Option<NaiveDate> {
        match (self.delivered, self.returned) {
            (Some(d), _) => Some(d),
            (None, Some(Returned::NonReclame)) => self.first_presented,
            _ => None,
        }
    }
}

/// Why a registered letter came back to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Returned {
    /// « Pli avisé et non réclamé »: presented, not collected. The letter
    /// counts as delivered at its first presentation.
    NonReclame,
    /// « Destinataire inconnu à l'adresse »: the address is wrong; no more
    /// letters by post until it changes.
    DestinataireInconnu,
}

impl Returned {
    /// The words of the avis de réception.
    pub fn label(self) -> &'static str {
        match self {
            Returned::NonReclame => "pli avisé et non réclamé",
            Returned::DestinataireInconnu => "destinataire inconnu à l'adresse",
        }
    }
}

/// A letter issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issued {
    /// `<case>/<level>/<date>`: the same letter issued twice has one id.
    pub entry: String,
    /// The case id.
    pub case: String,
    /// Its level.
    pub level: Level,
    /// How it goes out.
    pub channel: Channel,
    /// The letter's date.
    pub date: NaiveDate,
    /// The pay-by date it gives.
    pub deadline: NaiveDate,
    /// The invoices claimed and what was claimed on each.
    pub invoices: Vec<Claimed>,
    /// The total claimed.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    /// The letter's file, relative to the run's output.
    pub file: String,
    /// SHA-256 of the letter.
    pub sha256: String,
    /// The run that issued it.
    pub run: String,
    /// The address the letter went to (the envelope window's lines).
    #[serde(default)]
    pub address: Vec<String>,
}

/// An invoice claimed in a letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claimed {
    /// The invoice number.
    pub number: String,
    /// The principal claimed on it.
    #[serde(with = "rust_decimal::serde::str")]
    pub outstanding: Decimal,
}

/// A letter recorded as never posted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Void {
    /// The entry voided.
    pub voids: String,
    /// Why, in the clerk's words.
    pub reason: String,
    /// When it was recorded.
    pub date: NaiveDate,
}

impl Issued {
    /// The id of a letter: `<case>/<level>/<date>`.
    pub fn id(case: &str, level: Level, date: NaiveDate) -> String {
        format!("{case}/{level}/{date}")
    }

    /// The letter as a case's history sees it, with its registered
    /// letter's number when recorded.
    pub fn as_sent(&self, journal: &Journal) -> SentLetter {
        SentLetter {
            level: self.level,
            date: crate::case::Date(self.date),
            channel: self.channel,
            tracking: journal.lrar(&self.entry).map(|l| l.number.clone()),
            received: journal.lrar(&self.entry).and_then(Lrar::received).map(crate::case::Date),
            file: None,
        }
    }
}

/// Every journal file of a folder, read.
#[derive(Debug, Default)]
pub struct Journal {
    /// The folder.
    pub dir: PathBuf,
    /// Issued letters not voided, by case, oldest first.
    issued: BTreeMap<String, Vec<Issued>>,

    /// Entries voided, with the void.
    voided: HashMap<String, Void>,
    /// Every issued entry by id, voided or not: an id is recorded once.
    all: HashMap<String, Issued>,
    /// The last tracking recorded for each entry.
    lrar: HashMap<String, Lrar>,
    /// E-mails accepted by the server, by entry (the first acceptance).
    mailed: HashMap<String, Mailed>,
    /// The last failure to send each e-mail, by entry.
    mail_failed: HashMap<String, MailFailed>,
    /// Telephone calls by case, oldest first.
    calls: BTreeMap<String, Vec<CallRecord>>,
    /// The first hand-off of each case to the contentieux.
    transmitted: HashMap<String, Transmis>,
    /// The last payment plan recorded for each case (by agreement date).
    plans: HashMap<String, crate::case::Echeancier>,
    /// Errors of lines that name a case: that case cannot be built.
    case_errors: HashMap<String, InputError>,
}

/// A journal that cannot be used at all.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JournalError(pub InputError);

impl Journal {
    /// Reads every `*.jsonl` file of `dir` (none if it does not exist).
    ///
    /// A line that names a case but is wrong makes that case fail; a line
    /// from which no case can be read, a file of a newer format, or a file
    /// that cannot be read stops the run (a letter recorded there could be
    /// sent twice).
    pub fn load(dir: &Path) -> Result<Journal, JournalError> {
        let mut journal = Journal { dir: dir.to_path_buf(), ..Journal::default() };
        let Ok(read) = std::fs::read_dir(dir) else { return Ok(journal) };
        let mut files: Vec<PathBuf> = read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        let mut voids = Vec::new();
        for file in files {
            let bytes = crate::safe_read::read(&file, 64 * 1024 * 1024, None)
                .map_err(|e| JournalError(InputError::new(&file, e.to_string())))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                JournalError(InputError::new(&file, "ce n'est pas du texte UTF-8 ; un journal est écrit par relance"))
            })?;
            journal.read_file(&file, &text, &mut voids)?;
        }
        for v in voids {
            for list in journal.issued.values_mut() {
                list.retain(|i| i.entry != v.voids);
            }
            journal.voided.insert(v.voids.clone(), v);
        }
        for list in journal.issued.values_mut() {
            list.sort_by_key(|i| (i.date, i.level));
        }
        for list in journal.calls.values_mut() {
            list.sort_by_key(|c| c.date);
        }
        Ok(journal)
    }

    fn read_file(&mut self, file: &Path, text: &str, voids: &mut Vec<Void>) -> Result<(), JournalError> {
        let at = |line: usize, field: &str, message: String| {
            let mut e = InputError::field(file, field, message);
            e.line = Some(line as u64);
            e
        };
        let mut lines = text.lines().enumerate();
        let Some((_, first)) = lines.next() else {
            return Err(JournalError(InputError::new(file, "fichier de journal vide ; il commence par sa version")));
        };
        let version: serde_json::Value = serde_json::from_str(first).map_err(|_| {
            JournalError(at(1, "relance_journal", "la première ligne n'est pas l'en-tête du journal".into()))
        })?;
        match version.get("relance_journal").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(FORMAT) => {}
            Some(v) if v > u64::from(FORMAT) => {
                return Err(JournalError(at(
                    1,
                    "relance_journal",
                    format!(
                        "journal au format {v}, plus récent que celui de cette version de relance ({FORMAT}) ; mettez relance à jour"
                    ),
                )));
            }
            _ => {
                return Err(JournalError(at(
                    1,
                    "relance_journal",
                    format!("en-tête de journal invalide ; attendu : {{\"relance_journal\": {FORMAT}, …}}"),
                )));
            }
        }
        for (i, line) in lines {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Entry>(line) {
                Ok(Entry::Issued(e)) => {
                    if e.entry != Issued::id(&e.case, e.level, e.date) {
                        let msg = format!(
                            "identifiant {} ; attendu : {}",
                            quote(&e.entry),
                            Issued::id(&e.case, e.level, e.date)
                        );
                        self.case_errors.entry(e.case.clone()).or_insert_with(|| at(n, "entry", msg));
                        continue;
                    }
                    if !self.all.contains_key(&e.entry) {
                        self.all.insert(e.entry.clone(), e.clone());
                        self.issued.entry(e.case.clone()).or_default().push(e);
                    }
                }
                Ok(Entry::Void(v)) => voids.push(v),
                Ok(Entry::Lrar(l)) => {
                    self.lrar.insert(l.entry.clone(), l);
                }
                Ok(Entry::Mailed(m)) => {
                    self.mailed.entry(m.entry.clone()).or_insert(m);
                }
                Ok(Entry::Plan(p)) => {
                    let newer = self.plans.get(&p.case).is_none_or(|old| old.date.0 <= p.echeancier.date.0);
                    if newer {
                        self.plans.insert(p.case, p.echeancier);
                    }
                }
                Ok(Entry::Contentieux(t)) => {
                    let earlier = self.transmitted.get(&t.case).is_none_or(|old| t.date < old.date);
                    if earlier {
                        self.transmitted.insert(t.case.clone(), t);
                    }
                }
                Ok(Entry::Call(c)) => {
                    self.calls.entry(c.case.clone()).or_default().push(c);
                }
                Ok(Entry::MailFailed(m)) => {
                    let newer = self.mail_failed.get(&m.entry).is_none_or(|old| old.date <= m.date);
                    if newer {
                        self.mail_failed.insert(m.entry.clone(), m);
                    }
                }
                Err(err) => {
                    let case = serde_json::from_str::<serde_json::Value>(line)
                        .ok()
                        .and_then(|v| v.get("case").and_then(|c| c.as_str().map(str::to_string)));
                    let msg = format!("entrée illisible ({err}) ; un journal n'est écrit que par relance");
                    match case {
                        Some(case) => {
                            self.case_errors.entry(case).or_insert_with(|| at(n, "entry", msg));
                        }
                        None => return Err(JournalError(at(n, "case", msg))),
                    }
                }
            }
        }
        Ok(())
    }

    /// The letters issued to a case and not voided, oldest first.
    pub fn issued(&self, case: &str) -> &[Issued] {
        self.issued.get(case).map_or(&[], Vec::as_slice)
    }

    /// Whether an entry is recorded already.
    pub fn has(&self, entry: &str) -> bool {
        self.all.contains_key(entry)
    }

    /// The error of a case's journal lines, if any.
    pub fn case_error(&self, case: &str) -> Option<&InputError> {
        self.case_errors.get(case)
    }

    /// The entry `id`, if issued, and its void if voided.
    pub fn find(&self, id: &str) -> Option<(Option<&Issued>, Option<&Void>)> {
        let issued = self.issued.values().flatten().find(|i| i.entry == id);
        let void = self.voided.get(id);
        (issued.is_some() || void.is_some() || self.all.contains_key(id)).then_some((issued, void))
    }

    /// The last payment plan recorded for a case.
    pub fn plan(&self, case: &str) -> Option<&crate::case::Echeancier> {
        self.plans.get(case)
    }

    /// The hand-off of a case to the contentieux, if recorded.
    pub fn transmitted(&self, case: &str) -> Option<&Transmis> {
        self.transmitted.get(case)
    }

    /// The telephone calls recorded for a case, oldest first.
    pub fn calls(&self, case: &str) -> &[CallRecord] {
        self.calls.get(case).map_or(&[], Vec::as_slice)
    }

    /// When the server accepted the e-mail of an entry.
    pub fn mailed(&self, entry: &str) -> Option<&Mailed> {
        self.mailed.get(entry)
    }

    /// The last failure to send the e-mail of an entry.
    pub fn mail_failed(&self, entry: &str) -> Option<&MailFailed> {
        self.mail_failed.get(entry)
    }

    /// An e-mail letter of `case` issued before `date` that the server has
    /// not accepted yet: the case waits for it (`relance send`).
    pub fn unsent_email(&self, case: &str, date: NaiveDate) -> Option<&Issued> {
        self.issued(case)
            .iter()
            .find(|i| i.channel == Channel::Email && i.date < date && !self.mailed.contains_key(&i.entry))
    }

    /// The tracking recorded for an entry.
    pub fn lrar(&self, entry: &str) -> Option<&Lrar> {
        self.lrar.get(entry)
    }

    /// The last registered letter of `case` that came back « destinataire
    /// inconnu » and the address it went to, if the case has one.
    pub fn unknown_address(&self, case: &str) -> Option<(&Issued, &Lrar)> {
        self.issued(case).iter().rev().find_map(|i| {
            self.lrar(&i.entry).filter(|l| l.returned == Some(Returned::DestinataireInconnu)).map(|l| (i, l))
        })
    }

    /// How the history shows an issued letter: `journal`, and for a
    /// registered letter its number and what became of it.
    pub fn describe(&self, issued: &Issued) -> String {
        if issued.channel == Channel::Telephone {
            return "journal ; sur la feuille d'appels".into();
        }
        if issued.channel == Channel::Email {
            return match (self.mailed(&issued.entry), self.mail_failed(&issued.entry)) {
                (Some(m), _) => format!("journal ; e-mail accepté le {} par le serveur ({})", m.date, m.to),
                (None, Some(f)) => format!("journal ; e-mail NON ENVOYÉ : {} ({}, le {})", f.reason, f.to, f.date),
                (None, None) => "journal ; e-mail (aucun envoi par relance send)".into(),
            };
        }
        let Some(l) = self.lrar(&issued.entry) else { return "journal".into() };
        let mut s = format!("journal ; recommandé n° {}", l.number);
        if let Some(d) = l.first_presented {
            s.push_str(&format!(" ; présenté le {d}"));
        }
        if let Some(d) = l.delivered {
            s.push_str(&format!(" ; remis le {d}"));
        }
        if let Some(r) = l.returned {
            s.push_str(&format!(" ; retourné : {}", r.label()));
        }
        s
    }

    /// Every case with entries.
    pub fn cases(&self) -> impl Iterator<Item = &str> {
        self.issued.keys().map(String::as_str)
    }
}

/// Takes `name` in `dir`, alone (`exclusive`) or shared, without waiting.
fn lock(dir: &Path, name: &str, exclusive: bool) -> Result<std::fs::File, JournalError> {
    let path = dir.join(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| JournalError(InputError::new(&path, format!("verrou impossible : {e}"))))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let mode = if exclusive { libc::LOCK_EX } else { libc::LOCK_SH };
        // SAFETY: a valid open descriptor for the call.
        if unsafe { libc::flock(file.as_raw_fd(), mode | libc::LOCK_NB) } != 0 {
            return Err(JournalError(InputError::new(
                dir,
                "une autre production utilise ce journal en ce moment ; attendez qu'elle finisse (deux productions à la fois pourraient envoyer deux fois la même lettre)",
            )));
        }
    }
    Ok(file)
}

/// Writes one journal file, whole: header, then `entries`. The name is
/// derived from the run (date, shard and entries), so that a run made again
/// after a crash writes the same file.
pub fn write(dir: &Path, header: &Header, entries: &[Entry]) -> std::io::Result<PathBuf> {
    let mut text = serde_json::to_string(header).map_err(std::io::Error::other)?;
    text.push('\n');
    for e in entries {
        text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let shard = header.shard.as_deref().map(|s| format!("-shard-{}", s.replace('/', "-of-"))).unwrap_or_default();
    let path = dir.join(format!("{}-{}{shard}.jsonl", header.date, header.run));
    crate::atomic::write_atomic(&path, text.as_bytes())?;
    crate::atomic::sync_dir(dir)?;
    Ok(path)
}

/// Writes one journal file of an unsharded writer (`record`, `void`,
/// `send`): header with `run`, then `entries`.
pub fn write_unsharded(dir: &Path, run: String, date: NaiveDate, entries: &[Entry]) -> std::io::Result<PathBuf> {
    write(dir, &Header { relance_journal: FORMAT, run, date, shard: None }, entries)
}

/// The run name of a file holding one record: `kind-` and a hash of what
/// identifies it, so that recording it again writes the same file.
pub fn run_name(kind: &str, key: &str) -> String {
    format!("{kind}-{}", &crate::atomic::sha256_hex(key.as_bytes())[..12])
}

/// A run's id: a hash of its date, shard and the ids of the entries it
/// records, so that the same run gives the same id (and the same file
/// name) however often it is made.
pub fn run_id(date: NaiveDate, shard: Option<&str>, ids: &[&str]) -> String {
    let mut key = format!("{date}|{}", shard.unwrap_or(""));
    for id in ids {
        key.push('|');
        key.push_str(id);
    }
    crate::atomic::sha256_hex(key.as_bytes())[..12].to_string()
}

/// Records that `entry` was never posted: a new journal file holding the
/// void (the entry itself is never rewritten). The entry must exist and not
/// be voided already.
pub fn void(dir: &Path, entry: &str, reason: &str, date: NaiveDate) -> Result<PathBuf, JournalError> {
    let _lock = Lock::acquire(dir, None)?;
    let journal = Journal::load(dir)?;
    let reason = crate::text::one_line(reason).map_err(|e| JournalError(InputError::new(dir, e.to_string())))?;
    match journal.find(entry) {
        None => {
            return Err(JournalError(InputError::new(
                dir,
                format!(
                    "aucune lettre {} dans ce journal ; attendu : un identifiant DOSSIER/NIVEAU/DATE que « relance journal » affiche",
                    quote(entry)
                ),
            )));
        }
        Some((_, Some(v))) => {
            return Err(JournalError(InputError::new(
                dir,
                format!("la lettre {} est déjà enregistrée comme non envoyée ({})", quote(entry), v.reason),
            )));
        }
        Some(_) => {}
    }
    let v = Void { voids: entry.to_string(), reason, date };
    write_unsharded(dir, run_name("void", entry), date, &[Entry::Void(v)])
        .map_err(|e| JournalError(InputError::new(dir, format!("écriture impossible : {e}"))))
}

/// One line of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// The case id.
    pub case: String,
    /// The entry id (`-` for a letter of the case file).
    pub entry: String,
    /// The level, or `contentieux`.
    pub level: String,
    /// The letter's date.
    pub date: NaiveDate,
    /// How it went out.
    pub channel: String,
    /// `journal`, `dossier` (the YAML `letters:`), or `annulée : <reason>`.
    pub source: String,
}

/// The history of each loaded case (only `only` when given): its YAML
/// letters and its journal entries, voided ones included and said so.
pub fn history(cases: &[crate::case::LoadedCase], journal: &Journal, only: Option<&str>) -> Vec<HistoryRow> {
    let mut rows = Vec::new();
    for l in cases.iter().filter(|l| only.is_none_or(|o| o == l.case.id.0)) {
        let id = &l.case.id.0;
        for s in &l.case.letters {
            rows.push(HistoryRow {
                case: id.clone(),
                entry: "-".into(),
                level: s.level.to_string(),
                date: s.date.0,
                channel: s.channel.as_str().to_string(),
                source: "dossier".into(),
            });
        }
        let row = |i: &Issued, source: String| HistoryRow {
            case: id.clone(),
            entry: i.entry.clone(),
            level: i.level.to_string(),
            date: i.date,
            channel: i.channel.as_str().to_string(),
            source,
        };
        rows.extend(journal.issued(id).iter().map(|i| row(i, journal.describe(i))));
        for (voided, v) in &journal.voided {
            if let Some(i) = journal.all.get(voided).filter(|i| &i.case == id) {
                rows.push(row(i, format!("annulée le {} : {}", v.date, v.reason)));
            }
        }
        for c in journal.calls(id) {
            let mut source = format!("résultat de l'appel : {}", c.outcome.label());
            if let (Some(amount), Some(until)) = (c.amount, c.until) {
                source.push_str(&format!(" de {} au {until}", crate::money::format_eur(amount)));
            }
            if let Some(n) = &c.note {
                source.push_str(&format!(" ; {n}"));
            }
            rows.push(HistoryRow {
                case: id.clone(),
                entry: "-".into(),
                level: Level::Appel.to_string(),
                date: c.date,
                channel: Channel::Telephone.as_str().to_string(),
                source,
            });
        }
        if let Some(t) = journal.transmitted(id) {
            rows.push(HistoryRow {
                case: id.clone(),
                entry: "-".into(),
                level: "contentieux".into(),
                date: t.date,
                channel: "-".into(),
                source: format!("{} ; fichiers : {}", t.describe(), t.files.join(", ")),
            });
        }
    }
    let rank = |l: &str| Level::parse(l).map_or(u8::MAX, |l| l as u8);
    rows.sort_by(|a, b| (&a.case, a.date, rank(&a.level)).cmp(&(&b.case, b.date, rank(&b.level))));
    rows
}

/// The history as a text table.
pub fn history_table(rows: &[HistoryRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.case.clone(),
                r.date.to_string(),
                r.level.clone(),
                r.channel.clone(),
                r.entry.clone(),
                r.source.clone(),
            ]
        })
        .collect();
    crate::table::render("", &["dossier", "date", "niveau", "canal", "entrée", "source"], &cells, &[])
}

/// The journal folder held by one run: two runs at once on the same
/// journal could both issue a letter for the same case. Advisory locks
/// (`flock`), released when the run ends, even if it is killed: a whole run
/// holds `.lock` alone; a shard holds `.lock` shared with the other shards
/// and `.lock-shard-K-of-N` alone. So the N shards of a job run together,
/// and a whole run, or the same shard twice, waits for none: it stops.
#[derive(Debug)]
pub struct Lock {
    _files: Vec<std::fs::File>,
}

impl Lock {
    /// Takes the lock of `dir` (creating the folder), or says that another
    /// run holds it.
    pub fn acquire(dir: &Path, shard: Option<&str>) -> Result<Lock, JournalError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| JournalError(InputError::new(dir, format!("verrou impossible : {e}"))))?;
        let mut files = vec![lock(dir, ".lock", shard.is_none())?];
        if let Some(shard) = shard {
            files.push(lock(dir, &format!(".lock-shard-{}", shard.replace('/', "-of-")), true)?);
        } else {
            // Alone on the journal: a temporary file here is what a killed
            // writer left (every writer holds this lock).
            crate::atomic::remove_temporaries(dir)
                .map_err(|e| JournalError(InputError::new(dir, format!("nettoyage impossible : {e}"))))?;
        }
        Ok(Lock { _files: files })
    }
}
