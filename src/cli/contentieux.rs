//! `relance contentieux CASES --out DIR`: the file of the cases whose mise
//! en demeure went unanswered — requête en injonction de payer or hand-off
//! to a commissaire de justice, bordereau des pièces, hand-off data.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use relance::Settings;
use relance::contentieux::{Options, Route};

use super::{fail, parse_date, today};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Folder of case files (searched recursively), or one case file.
    cases: PathBuf,
    /// Date the claim is arrêtée at (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    sources: super::Sources,
    #[command(flatten)]
    csv: super::CsvArgs,
    /// Prepare this case only, even if it would be left out (the reason is
    /// kept in contentieux.csv).
    #[arg(long, value_name = "ID")]
    case: Option<String>,
    /// Output folder of an earlier `build` where the letters relance issued
    /// are found (checked against the journal's SHA-256); repeatable.
    #[arg(long, value_name = "DIR")]
    letters: Vec<PathBuf>,
    /// Mark every document "PROJET"; nothing is recorded in the journal.
    #[arg(long)]
    draft: bool,
    /// Do not record the hand-off in the journal.
    #[arg(long)]
    no_record: bool,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let session = match args.sources.open(&args.cases) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut settings = Settings::new(args.date.unwrap_or_else(today));
    settings.draft = args.draft;
    settings.csv = args.csv.format(&session);
    settings.record = !args.draft && !args.no_record;
    let dir = session.journal_dir(&args.cases);
    let _lock = if settings.record {
        match relance::journal::Lock::acquire(&dir, None) {
            Ok(lock) => Some(lock),
            Err(e) => return fail(&e),
        }
    } else {
        None
    };
    match relance::journal::Journal::load(&dir) {
        Ok(j) => settings.journal = Some(std::sync::Arc::new(j)),
        Err(e) => return fail(&e),
    }
    let options = Options { case: args.case.clone(), letters: args.letters.clone() };
    let report = match relance::contentieux::prepare(&session, &args.cases, &args.out, &settings, &options) {
        Ok(r) => r,
        Err(e) => return fail(&format!("écriture impossible dans {} : {e}", args.out.display())),
    };
    if report.unknown_case {
        return fail(&format!(
            "aucun dossier {} dans {}",
            relance::text::quote(args.case.as_deref().unwrap_or_default()),
            args.cases.display()
        ));
    }
    for e in &report.errors {
        eprint!("{}", relance::diagnostic::report(e, None));
    }
    let injonction = report.ready(Route::Injonction);
    let commissaire = report.ready(Route::Commissaire);
    eprintln!(
        "{} dossier(s) prêt(s) pour le contentieux ({injonction} requête(s) en injonction de payer, {commissaire} pour un commissaire de justice), {} exclu(s), {} en erreur ; détail : {}",
        injonction + commissaire,
        report.excluded(),
        report.errors.len(),
        args.out.join("contentieux.csv").display()
    );
    if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
