//! `relance import fec FILE`: the case files made and updated from the
//! books (the customer accounts of a FEC).

use std::path::PathBuf;
use std::process::ExitCode;

use relance::import;

use super::{Format, fail, print_input_errors, print_json};

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// A FEC (fichier des écritures comptables): its customer accounts (411…).
    Fec {
        /// The FEC file (tab or | separated; UTF-8 or ISO-8859-15).
        file: PathBuf,
        /// Folder of case files to create and update; defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Days from an invoice's date to its due date when the FEC has no due-date column.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=365))]
        payment_days: u32,
        /// Debtor type of the new cases.
        #[arg(long, default_value = "professionnel", value_parser = ["professionnel", "particulier"])]
        debtor_type: String,
        /// Say what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Date of the import (YYYY-MM-DD); defaults to today.
        #[arg(long, value_parser = super::parse_date)]
        date: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub(crate) fn run(args: Args) -> ExitCode {
    let Source::Fec { file, cases, payment_days, debtor_type, dry_run, date, format } = args.source;
    let fec = match import::fec::read(&file) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    eprintln!("{}", import::fec::describe(&file, &fec));
    print_input_errors(&fec.errors);
    if !fec.due_column {
        eprintln!("pas de colonne d'échéance : échéance = date de la facture + {payment_days} jours (--payment-days)");
    }
    if !cases.is_dir() {
        return fail(&format!("{}: ce dossier n'existe pas ; attendu : le dossier des dossiers", cases.display()));
    }
    let options = import::Options { payment_days, debtor_type, dry_run, date: date.unwrap_or_else(super::today) };
    let (changes, errors) = import::apply(&cases, &fec, &options);
    print_input_errors(&errors);
    match format {
        Format::Json => print_json(&changes),
        Format::Table => print!("{}", import::table(&changes)),
    }
    let count = |a: import::Action| changes.iter().filter(|c| c.action == a).count();
    eprintln!(
        "{}{} nouveau(x), {} mis à jour, {} soldé(s), {} inchangé(s) ; {} ligne(s) en erreur",
        if dry_run { "(--dry-run, rien d'écrit) " } else { "" },
        count(import::Action::Nouveau),
        count(import::Action::MisAJour),
        count(import::Action::Solde),
        count(import::Action::Inchange),
        fec.errors.len() + errors.len()
    );
    if fec.errors.is_empty() && errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
