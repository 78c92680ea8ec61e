//! `relance journal CASES`: the history of each case (its YAML `letters:`
//! and the journal); `relance journal void ENTRY --reason TEXT`: a letter
//! that was never posted, which escalation then ignores. Nothing is ever
//! deleted.

use std::path::PathBuf;
use std::process::ExitCode;

use super::{Format, fail, print_json};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Folder of case files (its journal is `journal/` in it, or `journal:` of relance.yaml).
    cases: Option<PathBuf>,
    /// Only this case.
    #[arg(long)]
    case: Option<String>,
    /// Creditor config; defaults to relance.yaml in the cases folder.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Record that a letter was never posted (print jam, wrong address).
    Void {
        /// The entry: CASE/LEVEL/DATE, as `relance journal` lists it.
        entry: String,
        /// Why, in the clerk's words.
        #[arg(long)]
        reason: String,
        /// Folder of case files; defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Creditor config; defaults to relance.yaml in the cases folder.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Date of the record (YYYY-MM-DD); defaults to today.
        #[arg(long, value_parser = super::parse_date)]
        date: Option<chrono::NaiveDate>,
    },
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.action {
        Some(Action::Void { entry, reason, cases, config, date }) => {
            let date = date.unwrap_or_else(super::today);
            let session = match super::session(&cases, config.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match relance::journal::void(&session.journal_dir(&cases), &entry, &reason, date) {
                Ok(path) => {
                    eprintln!("{entry} : enregistrée comme non envoyée dans {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        None => {
            let Some(cases) = args.cases else {
                return fail(&"indiquez le dossier des dossiers : relance journal CASES");
            };
            let session = match super::session(&cases, args.config.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let (loaded, errors) = relance::load_cases(&cases, &session.config_path);
            super::print_input_errors(&errors);
            let journal = match relance::journal::Journal::load(&session.journal_dir(&cases)) {
                Ok(j) => j,
                Err(e) => return fail(&e),
            };
            let rows = relance::journal::history(&loaded, &journal, args.case.as_deref());
            match args.format {
                Format::Json => print_json(&rows),
                Format::Table => print!("{}", relance::journal::history_table(&rows)),
            }
            if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
