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
    /// Factur-X / ZUGFeRD invoices (PDF with their CII XML): added to their buyers' cases, the PDF attached to the letters.
    Facturx {
        /// The invoices (PDF files).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Folder of case files to create and update; defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Days from an invoice's date to its due date when the invoice has none (profile MINIMUM).
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
    /// A CSV of open items (and a customer directory), columns named in relance.yaml (import:).
    Csv {
        /// The open items: one row per invoice still open.
        file: PathBuf,
        /// The customer directory: fills the debtor of the new cases.
        #[arg(long)]
        customers: Option<PathBuf>,
        /// Folder of case files (with relance.yaml); defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Creditor config; defaults to relance.yaml in the cases folder.
        #[arg(long)]
        config: Option<PathBuf>,
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
    let (file, cases, payment_days, debtor_type, dry_run, date, format) = match args.source {
        Source::Fec { file, cases, payment_days, debtor_type, dry_run, date, format } => {
            (file, cases, payment_days, debtor_type, dry_run, date, format)
        }
        Source::Csv { file, customers, cases, config, debtor_type, dry_run, date, format } => {
            return csv(file, customers, cases, config, debtor_type, dry_run, date, format);
        }
        Source::Facturx { files, cases, payment_days, debtor_type, dry_run, date, format } => {
            if !cases.is_dir() {
                return fail(&format!(
                    "{}: ce dossier n'existe pas ; attendu : le dossier des dossiers",
                    cases.display()
                ));
            }
            let options =
                import::Options { payment_days, debtor_type, dry_run, date: date.unwrap_or_else(super::today) };
            let (customers, directory, errors) = import::facturx(&cases, &files, &options);
            print_input_errors(&errors);
            let (changes, more) = import::apply(&cases, &customers, &directory, &options, "Factur-X");
            print_input_errors(&more);
            return report(&changes, format, dry_run, errors.len() + more.len());
        }
    };
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
    let (changes, errors) = import::apply(&cases, &fec.customers, &Default::default(), &options, "FEC");
    print_input_errors(&errors);
    report(&changes, format, dry_run, fec.errors.len() + errors.len())
}

/// Prints the changes and the summary line; the exit code.
fn report(changes: &[import::Change], format: Format, dry_run: bool, errors: usize) -> ExitCode {
    match format {
        Format::Json => print_json(&changes),
        Format::Table => print!("{}", import::table(changes)),
    }
    let count = |a: import::Action| changes.iter().filter(|c| c.action == a).count();
    eprintln!(
        "{}{} nouveau(x), {} mis à jour, {} soldé(s), {} inchangé(s) ; {errors} ligne(s) en erreur",
        if dry_run { "(--dry-run, rien d'écrit) " } else { "" },
        count(import::Action::Nouveau),
        count(import::Action::MisAJour),
        count(import::Action::Solde),
        count(import::Action::Inchange),
    );
    if errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

#[allow(clippy::too_many_arguments)] // the subcommand's own flags, destructured
fn csv(
    file: PathBuf,
    customers: Option<PathBuf>,
    cases: PathBuf,
    config: Option<PathBuf>,
    debtor_type: String,
    dry_run: bool,
    date: Option<chrono::NaiveDate>,
    format: Format,
) -> ExitCode {
    let session = match super::session(&cases, config.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(layout) = session.config.import.clone() else {
        return fail(&format!(
            "{}: pas de section import ; attendu : import: {{ open_items: {{ columns: {{ customer, number, date, due, amount }} }} }} (voir le README)",
            session.config_path.display()
        ));
    };
    let (items, mut errors) = match import::csv::read_open_items(&file, &layout.open_items) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let directory = match (&customers, &layout.customers) {
        (Some(path), Some(l)) => match import::csv::read_directory(path, l) {
            Ok((d, e)) => {
                errors.extend(e);
                d
            }
            Err(e) => return fail(&e),
        },
        (Some(_), None) => {
            return fail(&format!(
                "{}: --customers sans import.customers dans relance.yaml ; attendu : les colonnes de l'annuaire",
                session.config_path.display()
            ));
        }
        _ => Default::default(),
    };
    print_input_errors(&errors);
    let options = import::Options { payment_days: 0, debtor_type, dry_run, date: date.unwrap_or_else(super::today) };
    let (changes, more) = import::apply(&cases, &items, &directory, &options, "CSV");
    print_input_errors(&more);
    report(&changes, format, dry_run, errors.len() + more.len())
}
