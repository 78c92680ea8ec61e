//! `relance record CASES depot-lrar.csv`: the registered letters' numbers
//! and avis de réception, read back from the filled-in deposit list.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;

use super::{fail, print_input_errors};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Folder of case files (its journal is `journal/` in it, or `journal:` of relance.yaml).
    cases: PathBuf,
    /// The deposit list written by `build` (depot-lrar.csv), with the numbers filled in.
    file: PathBuf,
    /// Creditor config; defaults to relance.yaml in the cases folder.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Date of the record (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = super::parse_date)]
    date: Option<NaiveDate>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let session = match super::session(&args.cases, args.config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let date = args.date.unwrap_or_else(super::today);
    let report = match relance::record::record(&session.journal_dir(&args.cases), &args.file, date) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    print_input_errors(&report.errors);
    eprintln!(
        "{} pli(s) enregistré(s), {} déjà à jour, {} sans numéro, {} ligne(s) en erreur",
        report.recorded,
        report.unchanged,
        report.pending,
        report.errors.len()
    );
    if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
