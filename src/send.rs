//! `relance send`: the e-mails of a run handed to an SMTP server, each one
//! recorded in the journal the moment the server accepts it.
//!
//! The messages are sent as the run wrote them (`emails/*.eml`, byte for
//! byte); the envelope is read back from their headers. A message is
//! "sent" once the server has accepted it, and only then: the journal gets
//! a [`Mailed`] entry (one small file per message, written whole, so that a
//! run killed between two messages loses nothing and sends nothing twice).
//! A refusal or a server out of reach is recorded as [`MailFailed`] and the
//! message is tried again by the next `send`.
//!
//! Message-IDs are derived from the case, the level and the date: if a
//! connection drops after the server took the message but before it said
//! so, the message sent again carries the same Message-ID, which mail
//! systems use to recognise a duplicate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDate;

use crate::case::{InputError, Level, Smtp, SmtpSecurity};
use crate::journal::{self, Entry, Issued, Journal, MailFailed, Mailed};
use crate::text::quote;

/// One e-mail of a run, ready to go.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The journal entry of its letter (`CASE/LEVEL/DATE`).
    pub entry: String,
    /// Its file.
    pub file: PathBuf,
    /// The message as the run wrote it.
    pub bytes: Vec<u8>,
    /// The envelope sender (the From address).
    pub from: String,
    /// The one recipient (the To address).
    pub to: String,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
}

/// Why `send` cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The run's manifest or one of its e-mails cannot be used.
    #[error("{0}")]
    Input(InputError),
    /// The journal cannot be read or written.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
}

/// A server's answer to one message that did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the server said, or why it could not be reached.
    pub reason: String,
    /// 5xx: the server will not take this message (unknown mailbox…).
    pub permanent: bool,
    /// The connection itself failed (unreachable, dropped, timed out):
    /// the next messages would likely fail the same way.
    pub connection: bool,
}

/// What hands one message to a server.
pub trait Mailer {
    /// Sends `bytes` from `from` to `to`; the server's reply when accepted.
    fn send(&mut self, from: &str, to: &str, bytes: &[u8]) -> Result<String, Refusal>;
}

/// The e-mails of the run in `out`: every letter row of its manifest with
/// an e-mail file. Refused for a run that recorded nothing (a draft, a
/// reprint): its letters are not in the journal and must not be sent.
pub fn outgoing(out: &Path) -> Result<(NaiveDate, Vec<Outgoing>), SendError> {
    let manifest_path = out.join("manifest.json");
    let input = |path: &Path, message: String| SendError::Input(InputError::new(path, message));
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        input(
            &manifest_path,
            format!("lecture impossible ({e}) ; attendu : le dossier de sortie d'une production (relance build --out)"),
        )
    })?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| input(&manifest_path, format!("manifeste illisible ({e}) ; il est écrit par relance build")))?;
    if manifest["interrupted"] == true {
        return Err(input(&manifest_path, "cette production a été interrompue ; relancez-la avant d'envoyer".into()));
    }
    if manifest["recorded"] != true {
        return Err(input(
            &manifest_path,
            "cette production n'a rien enregistré au journal (--draft, --no-record ou sans journal) : ses e-mails ne s'envoient pas ; attendu : une production ordinaire".into(),
        ));
    }
    let date: NaiveDate = manifest["date"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| input(&manifest_path, "date de production absente du manifeste".into()))?;
    let mut list = Vec::new();
    for row in manifest["rows"].as_array().into_iter().flatten() {
        let (Some(case), Some(email), Some(level)) = (row["id"].as_str(), row["email"].as_str(), row["level"].as_str())
        else {
            continue;
        };
        if row["status"] != "letter" || email.is_empty() {
            continue;
        }
        let level: Level =
            level.parse().map_err(|_| input(&manifest_path, format!("niveau inconnu {}", quote(level))))?;
        // The file is one the run wrote, inside its folder.
        if !email.starts_with("emails/") || email.contains("..") {
            return Err(input(&manifest_path, format!("chemin d'e-mail inattendu {}", quote(email))));
        }
        let file = out.join(email);
        let bytes = crate::safe_read::read(&file, 64 * 1024 * 1024, None)
            .map_err(|e| input(&file, format!("lecture impossible : {e}")))?;
        let (from, to, message_id) = envelope(&bytes).map_err(|m| input(&file, m))?;
        list.push(Outgoing { entry: Issued::id(case, level, date), file, bytes, from, to, message_id });
    }
    Ok((date, list))
}

/// (From, To, Message-ID) of a message: exactly one sender, one recipient,
/// no copies.
fn envelope(bytes: &[u8]) -> Result<(String, String, String), String> {
    let message = mail_parser::MessageParser::default()
        .parse_headers(bytes)
        .ok_or_else(|| "ce n'est pas un e-mail lisible".to_string())?;
    let one = |list: Option<&mail_parser::Address>, what: &str| -> Result<String, String> {
        let addresses: Vec<_> = list.map(|a| a.iter().collect()).unwrap_or_default();
        match addresses.as_slice() {
            [a] => a.address().map(str::to_string).ok_or_else(|| format!("{what} sans adresse")),
            _ => Err(format!("{what} : une seule adresse attendue, {} trouvée(s)", addresses.len())),
        }
    };
    let from = one(message.from(), "From")?;
    let to = one(message.to(), "To")?;
    if message.cc().is_some() || message.bcc().is_some() {
        return Err("copie (Cc, Bcc) inattendue : un e-mail de relance va au seul débiteur".into());
    }
    let id = message.message_id().ok_or_else(|| "Message-ID absent".to_string())?.to_string();
    Ok((from, to, id))
}

/// What `send` did.
#[derive(Debug, Default)]
pub struct SendReport {
    /// Accepted now: entry, recipient, server reply.
    pub accepted: Vec<(String, String, String)>,
    /// Accepted by an earlier `send`: entry, date.
    pub already: Vec<(String, NaiveDate)>,
    /// Not accepted: entry, recipient, refusal.
    pub failed: Vec<(String, String, Refusal)>,
    /// Left untried after the server stopped answering.
    pub untried: Vec<String>,
    /// E-mails of the run whose letter is not in the journal (voided, or
    /// recorded by no run): never sent.
    pub not_in_journal: Vec<String>,
}

/// Stops trying after this many connection failures in a row.
const CONNECTION_FAILURES_BEFORE_GIVING_UP: usize = 3;

/// Sends every message of `list` the journal does not show as accepted,
/// recording each acceptance at once and the failures at the end.
/// `pause` is waited between two messages (the rate limit); `dry_run`
/// sends and records nothing and reports what would go as accepted.
pub fn send_all(
    list: &[Outgoing],
    journal: &Journal,
    mailer: &mut dyn Mailer,
    date: NaiveDate,
    pause: Duration,
    dry_run: bool,
    mut progress: impl FnMut(&str, &str, &Result<String, Refusal>),
) -> Result<SendReport, SendError> {
    let dir = &journal.dir;
    let mut report = SendReport::default();
    let mut failures_in_a_row = 0;
    let mut first = true;
    for m in list {
        match journal.find(&m.entry) {
            Some((Some(_), None)) => {}
            _ => {
                report.not_in_journal.push(m.entry.clone());
                continue;
            }
        }
        if let Some(done) = journal.mailed(&m.entry) {
            report.already.push((m.entry.clone(), done.date));
            continue;
        }
        if failures_in_a_row >= CONNECTION_FAILURES_BEFORE_GIVING_UP {
            report.untried.push(m.entry.clone());
            continue;
        }
        if dry_run {
            let result = Ok("non envoyé (--dry-run)".to_string());
            progress(&m.entry, &m.to, &result);
            report.accepted.push((m.entry.clone(), m.to.clone(), "--dry-run".into()));
            continue;
        }
        if !first && !pause.is_zero() {
            std::thread::sleep(pause);
        }
        first = false;
        let result = mailer.send(&m.from, &m.to, &m.bytes);
        progress(&m.entry, &m.to, &result);
        match result {
            Ok(reply) => {
                failures_in_a_row = 0;
                let entry = Mailed {
                    entry: m.entry.clone(),
                    message_id: m.message_id.clone(),
                    to: m.to.clone(),
                    date,
                    reply: one_line(&reply),
                };
                journal::write_unsharded(dir, journal::run_name("mail", &m.entry), date, &[Entry::Mailed(entry)]).map_err(|e| {
                    SendError::Input(InputError::new(
                        dir,
                        format!(
                            "e-mail {} accepté par le serveur mais écriture du journal impossible : {e} ; ne relancez pas send avant d'avoir réparé le journal",
                            m.entry
                        ),
                    ))
                })?;
                report.accepted.push((m.entry.clone(), m.to.clone(), reply));
            }
            Err(refusal) => {
                if refusal.connection {
                    failures_in_a_row += 1;
                } else {
                    failures_in_a_row = 0;
                }
                report.failed.push((m.entry.clone(), m.to.clone(), refusal));
            }
        }
    }
    if !dry_run && !report.failed.is_empty() {
        let entries: Vec<Entry> = report
            .failed
            .iter()
            .map(|(entry, to, r)| {
                Entry::MailFailed(MailFailed {
                    entry: entry.clone(),
                    to: to.clone(),
                    date,
                    reason: one_line(&r.reason),
                    permanent: r.permanent,
                })
            })
            .collect();
        let ids: Vec<&str> = report.failed.iter().map(|(e, _, _)| e.as_str()).collect();
        let run = format!("mailfail-{}", journal::run_id(date, None, &ids));
        journal::write_unsharded(dir, run, date, &entries)
            .map_err(|e| SendError::Input(InputError::new(dir, format!("écriture du journal impossible : {e}"))))?;
    }
    Ok(report)
}

/// A server's text on one line, bounded.
fn one_line(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 300 { flat.chars().take(300).collect::<String>() + "…" } else { flat }
}

/// The password of `smtp`: from its file (first line) or its environment
/// variable; `None` when the server takes no login.
pub fn password(smtp: &Smtp, config_dir: &Path) -> Result<Option<String>, String> {
    if smtp.user.is_none() {
        return Ok(None);
    }
    if let Some(file) = &smtp.password_file {
        let path = config_dir.join(file);
        let bytes = crate::safe_read::read(&path, 4096, None)
            .map_err(|e| format!("{}: mot de passe SMTP illisible : {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: le mot de passe n'est pas en UTF-8", path.display()))?;
        let first = text.lines().next().unwrap_or("").to_string();
        if first.is_empty() {
            return Err(format!("{}: fichier de mot de passe vide", path.display()));
        }
        return Ok(Some(first));
    }
    let var = smtp.password_env.as_deref().unwrap_or("RELANCE_SMTP_PASSWORD");
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Ok(Some(p)),
        _ => Err(format!(
            "smtp.user est donné mais la variable d'environnement {var} est vide ou absente ; attendu : le mot de passe dans {var}, ou password_file"
        )),
    }
}

/// The SMTP server of relance.yaml, through lettre.
pub struct SmtpMailer {
    transport: lettre::SmtpTransport,
}

impl SmtpMailer {
    /// A mailer for `smtp`, with `password` when it logs in.
    pub fn new(smtp: &Smtp, password: Option<String>) -> Result<SmtpMailer, String> {
        use lettre::transport::smtp::authentication::Credentials;
        let builder = match smtp.security {
            SmtpSecurity::Starttls => lettre::SmtpTransport::starttls_relay(&smtp.host),
            SmtpSecurity::Tls => lettre::SmtpTransport::relay(&smtp.host),
            SmtpSecurity::None => Ok(lettre::SmtpTransport::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| format!("serveur SMTP {} : {e}", quote(&smtp.host)))?;
        let port = smtp.port.unwrap_or(match smtp.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        });
        let mut builder =
            builder.port(port).timeout(Some(Duration::from_secs(u64::from(smtp.timeout_seconds.unwrap_or(30)))));
        if let (Some(user), Some(password)) = (&smtp.user, password) {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(SmtpMailer { transport: builder.build() })
    }
}

impl Mailer for SmtpMailer {
    fn send(&mut self, from: &str, to: &str, bytes: &[u8]) -> Result<String, Refusal> {
        let address = |a: &str| {
            a.parse::<lettre::Address>().map_err(|e| Refusal {
                reason: format!("adresse {} refusée : {e}", quote(a)),
                permanent: true,
                connection: false,
            })
        };
        let envelope = lettre::address::Envelope::new(Some(address(from)?), vec![address(to)?])
            .map_err(|e| Refusal { reason: format!("enveloppe invalide : {e}"), permanent: true, connection: false })?;
        match lettre::Transport::send_raw(&self.transport, &envelope, bytes) {
            Ok(response) => {
                let text: Vec<&str> = response.message().collect();
                Ok(format!("{} {}", response.code(), text.join(" ")))
            }
            Err(e) => {
                let permanent = e.is_permanent();
                let transient = e.is_transient();
                Err(Refusal { reason: error_text(&e), permanent, connection: !permanent && !transient })
            }
        }
    }
}

/// lettre's error with its causes (the server's words are in the source).
fn error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(" : ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
