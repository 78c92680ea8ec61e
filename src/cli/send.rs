//! `relance send CASES OUT`: the e-mails of the run in OUT handed to the
//! SMTP server of relance.yaml, each recorded in the journal once accepted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use relance::journal::{Journal, Lock};
use relance::send::{self, SmtpMailer};

use super::fail;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Folder of case files (relance.yaml with its `smtp:` section, and the journal).
    cases: PathBuf,
    /// The output folder of the run whose e-mails go out (`build --out`).
    out: PathBuf,
    /// Creditor config; defaults to relance.yaml in the cases folder.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Date recorded for the messages accepted (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = super::parse_date)]
    date: Option<NaiveDate>,
    /// List what would be sent; connect to nothing, record nothing.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let session = match super::session(&args.cases, args.config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(smtp) = session.config.smtp.clone() else {
        return fail(&format!(
            "{}: pas de section smtp ; attendu : smtp: {{ host: …, port: 587, security: starttls, user: … }} (le mot de passe dans RELANCE_SMTP_PASSWORD)",
            session.config_path.display()
        ));
    };
    let date = args.date.unwrap_or_else(super::today);
    let (_, list) = match send::outgoing(&args.out) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let dir = session.journal_dir(&args.cases);
    // One send at a time, and never beside a build: no message twice.
    let _lock = match Lock::acquire(&dir, None) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let journal = match Journal::load(&dir) {
        Ok(j) => j,
        Err(e) => return fail(&e),
    };
    let mut mailer: Box<dyn send::Mailer> = if args.dry_run {
        Box::new(NoServer)
    } else {
        let config_dir = session.config_path.parent().unwrap_or(std::path::Path::new("."));
        let password = match send::password(&smtp, config_dir) {
            Ok(p) => p,
            Err(e) => return fail(&e),
        };
        match SmtpMailer::new(&smtp, password) {
            Ok(m) => Box::new(m),
            Err(e) => return fail(&e),
        }
    };
    let pause = smtp.per_minute.map_or(Duration::ZERO, |n| Duration::from_secs(60) / n);
    let report =
        send::send_all(&list, &journal, mailer.as_mut(), date, pause, args.dry_run, |entry, to, result| match result {
            Ok(reply) => eprintln!("envoyé : {entry} → {to} ({reply})"),
            Err(r) => eprintln!(
                "NON ENVOYÉ : {entry} → {to} : {}{}",
                r.reason,
                if r.permanent { " (refus définitif : corrigez l'adresse)" } else { "" }
            ),
        });
    let report = match report {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    for entry in &report.not_in_journal {
        eprintln!("ignoré : {entry} n'est pas au journal (annulé, ou production non enregistrée)");
    }
    for entry in &report.untried {
        eprintln!("pas essayé : {entry} (le serveur ne répond plus)");
    }
    eprintln!(
        "{} e-mail(s) {}, {} déjà envoyé(s), {} non envoyé(s), {} pas essayé(s)",
        report.accepted.len(),
        if args.dry_run { "à envoyer (--dry-run)" } else { "accepté(s) par le serveur" },
        report.already.len(),
        report.failed.len(),
        report.untried.len()
    );
    if report.failed.is_empty() && report.untried.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// `--dry-run`: never called (send_all stops before the mailer).
struct NoServer;

impl send::Mailer for NoServer {
    fn send(&mut self, _: &str, _: &str, _: &[u8]) -> Result<String, send::Refusal> {
        Err(send::Refusal { reason: "--dry-run".into(), permanent: false, connection: false })
    }
}
