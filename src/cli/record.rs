//! `relance record CASES depot-lrar.csv`: the registered letters' numbers
//! and avis de réception, read back from the filled-in deposit list;
//! `relance record appel CASE …`: the outcome of a telephone call.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use relance::journal::{CallOutcome, CallRecord};

use super::{fail, print_input_errors};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    what: Option<What>,
    /// Folder of case files (its journal is `journal/` in it, or `journal:` of relance.yaml).
    #[arg(required = true)]
    cases: Option<PathBuf>,
    /// The deposit list written by `build` (depot-lrar.csv), with the numbers filled in.
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Creditor config; defaults to relance.yaml in the cases folder.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Date of the record (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = super::parse_date)]
    date: Option<NaiveDate>,
}

#[derive(clap::Subcommand)]
enum What {
    /// Record a payment plan agreed with a debtor: the next build confirms it by letter.
    Echeancier {
        /// The case id.
        case: String,
        /// The day the plan was agreed (YYYY-MM-DD); defaults to today.
        #[arg(long, value_parser = super::parse_date)]
        date: Option<NaiveDate>,
        /// One installment, DATE=AMOUNT (2026-12-10=500.00); repeat for each.
        #[arg(long = "installment", value_parser = parse_installment, required = true)]
        installments: Vec<relance::case::Installment>,
        /// Folder of case files; defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Creditor config; defaults to relance.yaml in the cases folder.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Record the outcome of a telephone call to a debtor.
    Appel {
        /// The case id.
        case: String,
        /// Date of the call (YYYY-MM-DD); defaults to today.
        #[arg(long, value_parser = super::parse_date)]
        date: Option<NaiveDate>,
        /// What the call gave.
        #[arg(long, value_enum)]
        outcome: CallOutcome,
        /// A promise: the amount promised, in euros.
        #[arg(long)]
        amount: Option<rust_decimal::Decimal>,
        /// A promise: the date by which it will be paid (YYYY-MM-DD).
        #[arg(long, value_parser = super::parse_date)]
        until: Option<NaiveDate>,
        /// A note (what was said; for a dispute, what is disputed).
        #[arg(long)]
        note: Option<String>,
        /// Folder of case files; defaults to the current folder.
        #[arg(long, default_value = ".")]
        cases: PathBuf,
        /// Creditor config; defaults to relance.yaml in the cases folder.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// `DATE=AMOUNT`.
fn parse_installment(s: &str) -> Result<relance::case::Installment, String> {
    let (date, amount) =
        s.split_once('=').ok_or_else(|| format!("« {s} » ; attendu : DATE=MONTANT, p. ex. 2026-12-10=500.00"))?;
    let date = relance::case::Date::parse(date).map_err(|e| e.to_string())?;
    let amount = relance::case::Amount::parse(amount).map_err(|e| e.to_string())?;
    Ok(relance::case::Installment { date, amount })
}

/// The session of `cases`, after checking that it has a case `id`.
fn session_with_case(
    cases: &std::path::Path,
    config: Option<&std::path::Path>,
    id: &str,
) -> Result<relance::Session, ExitCode> {
    let session = super::session(cases, config)?;
    let (loaded, _) = relance::load_cases(cases, &session.config_path);
    if !loaded.iter().any(|l| l.case.id.0 == id) {
        return Err(fail(&format!(
            "{}: aucun dossier {} ; attendu : l'identifiant (id:) d'un dossier de ce dossier",
            cases.display(),
            relance::text::quote(id)
        )));
    }
    Ok(session)
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.what {
        Some(What::Echeancier { case, date, installments, cases, config }) => {
            let session = match session_with_case(&cases, config.as_deref(), &case) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let plan = relance::case::Echeancier {
                date: relance::case::Date(date.unwrap_or_else(super::today)),
                installments,
            };
            let total = plan.total();
            match relance::record::plan(&session.journal_dir(&cases), &case, plan) {
                Ok(_) => {
                    eprintln!(
                        "échéancier enregistré : {} ; la prochaine production envoie la lettre qui le confirme",
                        relance::money::format_eur(total)
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Some(What::Appel { case, date, outcome, amount, until, note, cases, config }) => {
            let session = match session_with_case(&cases, config.as_deref(), &case) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let note = match note.map(|n| relance::text::one_line(&n)).transpose() {
                Ok(n) => n,
                Err(e) => return fail(&format!("--note : {e}")),
            };
            let record = CallRecord { case, date: date.unwrap_or_else(super::today), outcome, amount, until, note };
            match relance::record::call(&session.journal_dir(&cases), record) {
                Ok(_) => {
                    eprintln!("appel enregistré : {}", outcome.label());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        None => {
            let (Some(cases), Some(file)) = (args.cases, args.file) else {
                return fail(&"attendu : relance record DOSSIERS depot-lrar.csv, ou relance record appel DOSSIER …");
            };
            let session = match super::session(&cases, args.config.as_deref()) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let date = args.date.unwrap_or_else(super::today);
            let report = match relance::record::record(&session.journal_dir(&cases), &file, date) {
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
    }
}
