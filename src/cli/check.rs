//! `relance check`: every level's template carries its mandatory mentions.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;

use super::{Format, fail, print_json};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Template folder to check; defaults to the templates built into relance.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Cases to render the templates with; defaults to the examples built into relance.
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Creditor config for those cases; defaults to CASES/relance.yaml, or the built-in example.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Rate table to use instead of the one built in (same layout as data/rates.csv).
    #[arg(long)]
    rates: Option<PathBuf>,
    /// Date the letters are rendered at (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = super::parse_date)]
    date: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let date = args.date.unwrap_or_else(super::today);
    let (session, loaded) = match relance::check::open(
        args.templates.as_deref(),
        args.cases.as_deref(),
        args.config.as_deref(),
        args.rates.as_deref(),
    ) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let findings = match relance::check::check(&session, &loaded, date) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    match args.format {
        Format::Json => print_json(&findings),
        Format::Table => {
            for f in &findings {
                println!("{f}");
            }
            eprintln!(
                "{} missing mention(s) in {} ({} example case(s), rendered at {date})",
                findings.len(),
                session.templates.root.display(),
                loaded.len()
            );
        }
    }
    if findings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
