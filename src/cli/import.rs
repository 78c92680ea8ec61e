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

/// What every import takes: where the cases are, and how it runs.
#[derive(clap::Args)]
struct Target {
    /// Folder of case files to create and update; defaults to the current folder.
    #[arg(long, default_value = ".")]
    cases: PathBuf,
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
}

impl Target {
    fn options(&self, payment_days: u32) -> import::Options {
        import::Options {
            payment_days,
            debtor_type: self.debtor_type.clone(),
            dry_run: self.dry_run,
            date: self.date.unwrap_or_else(super::today),
        }
    }

    /// The cases folder must exist before anything is written in it.
    fn check_folder(&self) -> Result<(), ExitCode> {
        if self.cases.is_dir() {
            return Ok(());
        }
        Err(fail(&format!("{}: ce dossier n'existe pas ; attendu : le dossier des dossiers", self.cases.display())))
    }
}

#[derive(clap::Subcommand)]
enum Source {
    /// A FEC (fichier des écritures comptables): its customer accounts (411…).
    Fec {
        /// The FEC file (tab or | separated; UTF-8 or ISO-8859-15).
        file: PathBuf,
        /// Days from an invoice's date to its due date when the FEC has no due-date column.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=365))]
        payment_days: u32,
        #[command(flatten)]
        target: Target,
    },
    /// Factur-X / ZUGFeRD invoices (PDF with their CII XML): added to their buyers' cases, the PDF attached to the letters.
    Facturx {
        /// The invoices (PDF files).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Days from an invoice's date to its due date when the invoice has none (profile MINIMUM).
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(0..=365))]
        payment_days: u32,
        #[command(flatten)]
        target: Target,
    },
    /// A CSV of open items (and a customer directory), columns named in relance.yaml (import:).
    Csv {
        /// The open items: one row per invoice still open.
        file: PathBuf,
        /// The customer directory: fills the debtor of the new cases.
        #[arg(long)]
        customers: Option<PathBuf>,
        /// Creditor config; defaults to relance.yaml in the cases folder.
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(flatten)]
        target: Target,
    },
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.source {
        Source::Fec { file, payment_days, target } => fec(&file, payment_days, &target),
        Source::Facturx { files, payment_days, target } => facturx(&files, payment_days, &target),
        Source::Csv { file, customers, config, target } => csv(&file, customers.as_deref(), config.as_deref(), &target),
    }
}

fn fec(file: &std::path::Path, payment_days: u32, target: &Target) -> ExitCode {
    let fec = match import::fec::read(file) {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    eprintln!("{}", import::fec::describe(file, &fec));
    print_input_errors(&fec.errors);
    if !fec.due_column {
        eprintln!("pas de colonne d'échéance : échéance = date de la facture + {payment_days} jours (--payment-days)");
    }
    if let Err(code) = target.check_folder() {
        return code;
    }
    let options = target.options(payment_days);
    let (changes, errors) = import::apply(&target.cases, &fec.customers, &Default::default(), &options, "FEC");
    print_input_errors(&errors);
    report(&changes, target.format, target.dry_run, fec.errors.len() + errors.len())
}

fn facturx(files: &[PathBuf], payment_days: u32, target: &Target) -> ExitCode {
    if let Err(code) = target.check_folder() {
        return code;
    }
    let options = target.options(payment_days);
    let (customers, directory, errors) = import::facturx(&target.cases, files, &options);
    print_input_errors(&errors);
    let (changes, more) = import::apply(&target.cases, &customers, &directory, &options, "Factur-X");
    print_input_errors(&more);
    report(&changes, target.format, target.dry_run, errors.len() + more.len())
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

fn csv(
    file: &std::path::Path,
    customers: Option<&std::path::Path>,
    config: Option<&std::path::Path>,
    target: &Target,
) -> ExitCode {
    let cases = &target.cases;
    let session = match super::session(cases, config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(layout) = session.config.import.clone() else {
        return fail(&format!(
            "{}: pas de section import ; attendu : import: {{ open_items: {{ columns: {{ customer, number, date, due, amount }} }} }} (voir le README)",
            session.config_path.display()
        ));
    };
    let (items, mut errors) = match import::csv::read_open_items(file, &layout.open_items) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let directory = match (customers, &layout.customers) {
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
    let options = target.options(0);
    let (changes, more) = import::apply(cases, &items, &directory, &options, "CSV");
    print_input_errors(&more);
    report(&changes, target.format, target.dry_run, errors.len() + more.len())
}
