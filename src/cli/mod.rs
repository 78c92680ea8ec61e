//! Arguments, the clock, the terminal and exit codes: what only the command
//! line may touch. Each subcommand is a file: arguments → library call →
//! exit code. Errors are printed by [`fail`] and [`print_error`] only.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use relance::case::Level;
use relance::{Session, Settings, default_config_path};

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod contentieux;
pub(crate) mod explain;
pub(crate) mod import;
pub(crate) mod init;
pub(crate) mod journal;
pub(crate) mod plan;
pub(crate) mod record;
pub(crate) mod render;
pub(crate) mod report;
pub(crate) mod send;
pub(crate) mod watchdog;

#[derive(Parser)]
#[command(name = "relance", version, about = "Turns unpaid invoices into French dunning letters (PDF).")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Build the letters due at the date, and the manifest.
    Build(build::Args),
    /// Show what `build` would send, without writing anything.
    Plan(plan::Args),
    /// Check that every level's template carries its mandatory mentions.
    Check(check::Args),
    /// Create a starter folder: relance.yaml, an example case, a copy of the templates.
    Init(init::Args),
    /// Print the décompte of a case (or of every case in a folder).
    Explain(explain::Args),
    /// The history of each case; `journal void` records a letter never posted.
    Journal(journal::Args),
    /// Record the registered letters' numbers and receipts from the filled-in deposit list.
    Record(record::Args),
    /// Send the e-mails of a run through the SMTP server of relance.yaml.
    Send(send::Args),
    /// Create and update the case files from the books (a FEC).
    Import(import::Args),
    /// After an unanswered mise en demeure: the requête en injonction de payer and its pièces.
    Contentieux(contentieux::Args),
    /// One HTML page for the outputs of several runs (shards, days).
    Report(report::Args),
    /// One letter for a template author: PDF, PNG of each page, or the Typst markup.
    Render(render::Args),
}

/// What `build`, `plan` and `explain` share.
#[derive(clap::Args)]
pub(crate) struct Common {
    /// Folder of case files (searched recursively), or one case file.
    pub(crate) cases: PathBuf,
    /// Run date (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) date: Option<NaiveDate>,
    #[command(flatten)]
    pub(crate) sources: Sources,
    /// Force this level for every case that owes something (review, reprint).
    #[arg(long, value_parser = level_values())]
    pub(crate) level: Option<Level>,
}

impl Common {
    /// The session and the settings of a run, or the exit code of a setup
    /// error, printed.
    pub(crate) fn open(&self) -> Result<(Session, Settings), ExitCode> {
        let session = self.sources.open(&self.cases)?;
        let mut settings = Settings::new(self.date.unwrap_or_else(today));
        settings.forced = self.level;
        Ok((session, settings))
    }

    /// [`Common::open`] with the journal read: for the commands that only
    /// read it (`plan`, `explain`).
    pub(crate) fn open_with_journal(&self) -> Result<(Session, Settings), ExitCode> {
        let (session, mut settings) = self.open()?;
        self.read_journal(&session, &mut settings)?;
        Ok((session, settings))
    }

    /// Reads the journal of the cases into the settings (the history of
    /// each case). `build` calls it once it holds the journal's lock, so
    /// that no other run records between the reading and its own record.
    pub(crate) fn read_journal(&self, session: &Session, settings: &mut Settings) -> Result<(), ExitCode> {
        let journal = relance::journal::Journal::load(&session.journal_dir(&self.cases)).map_err(|e| fail(&e))?;
        settings.journal = Some(std::sync::Arc::new(journal));
        Ok(())
    }
}

/// How the CSV files are written, over `csv:` of relance.yaml.
#[derive(clap::Args)]
pub(crate) struct CsvArgs {
    /// Separator of the CSV files: `,` (the default), `;` (a French-locale
    /// spreadsheet) or `tab`.
    #[arg(long, value_name = "SEP", value_parser = parse_separator)]
    csv_sep: Option<u8>,
    /// Start each CSV file with a UTF-8 byte-order mark (Excel reads the
    /// accents right).
    #[arg(long)]
    csv_bom: bool,
    /// Write the amounts of the CSV files with a decimal comma (1630,70).
    #[arg(long)]
    decimal_comma: bool,
    /// Column names of the CSV files.
    #[arg(long, value_name = "LANG", value_parser = ["fr", "en"])]
    csv_headers: Option<String>,
}

fn parse_separator(s: &str) -> Result<u8, String> {
    relance::csv_out::CsvFormat::parse_separator(s)
}

impl CsvArgs {
    /// The format: relance.yaml's, with these flags over it.
    pub(crate) fn format(&self, session: &Session) -> relance::csv_out::CsvFormat {
        let mut format = session.config.csv.format();
        if let Some(sep) = self.csv_sep {
            format.separator = sep;
        }
        format.bom |= self.csv_bom;
        format.decimal_comma |= self.decimal_comma;
        if let Some(lang) = &self.csv_headers {
            format.french_headers = lang == "fr";
        }
        format
    }
}

/// Where a command's config, templates and rate table come from: part of
/// [`Common`], and taken alone by `contentieux` and `render`.
#[derive(clap::Args)]
pub(crate) struct Sources {
    /// Creditor config; defaults to relance.yaml in the cases folder (or
    /// the case file's), else up to two folders above it.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Template folder; defaults to the templates built into relance.
    #[arg(long)]
    pub(crate) templates: Option<PathBuf>,
    /// Rate table to use instead of the one built in (same layout as data/rates.csv).
    #[arg(long)]
    pub(crate) rates: Option<PathBuf>,
}

impl Sources {
    /// The config file for cases at `cases`.
    pub(crate) fn config_for(&self, cases: &std::path::Path) -> PathBuf {
        self.config.clone().unwrap_or_else(|| default_config_path(cases))
    }

    /// The session, or the exit code of a setup error, printed.
    pub(crate) fn open(&self, cases: &std::path::Path) -> Result<Session, ExitCode> {
        exists(cases)?;
        Session::open(&self.config_for(cases), self.templates.as_deref(), self.rates.as_deref()).map_err(|e| fail(&e))
    }
}

/// Fails (exit 2) when the CASES argument names nothing: said before any
/// config is looked for, so the clerk reads the real mistake.
pub(crate) fn exists(cases: &std::path::Path) -> Result<(), ExitCode> {
    if cases.exists() {
        return Ok(());
    }
    Err(fail(&format!(
        "{} : ce dossier (ou ce fichier) n'existe pas ; attendu : le dossier des dossiers (fichiers .yaml) ou un fichier de dossier",
        cases.display()
    )))
}

/// The session of a command over `cases`, or the exit code of a setup
/// error, printed.
pub(crate) fn session(cases: &std::path::Path, config: Option<&std::path::Path>) -> Result<Session, ExitCode> {
    exists(cases)?;
    let config = config.map_or_else(|| default_config_path(cases), std::path::Path::to_path_buf);
    Session::open(&config, None, None).map_err(|e| fail(&e))
}

/// `--format`.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
}

/// Today, for a run without `--date`: the only place relance reads the clock.
#[allow(clippy::disallowed_methods)]
pub(crate) fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, relance::case::ValueError> {
    relance::case::Date::parse(s).map(|d| d.0)
}

/// `--level`: the levels' names, listed by `--help` and in the error of a
/// wrong one.
pub(crate) fn level_values() -> impl clap::builder::TypedValueParser<Value = Level> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Level::EVERY.map(Level::as_str))
        .map(|s: String| Level::parse(&s).expect("one of the listed names"))
}

/// Prints an error that stops the command (a setup or usage error) and
/// gives exit code 2.
pub(crate) fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprint!("{}", relance::diagnostic::report(&error.to_string(), None));
    ExitCode::from(2)
}

/// Prints the error of one case (or pack): its line, and for a template
/// Typst refused, the markup underlined.
pub(crate) fn print_error(error: &relance::error::RunError) {
    eprint!("{}", relance::diagnostic::report(&error.to_string(), error.typeset()));
}

/// Prints the errors of files that could not be read.
pub(crate) fn print_input_errors(errors: &[relance::case::InputError]) {
    for e in errors {
        eprint!("{}", relance::diagnostic::report(&e.to_string(), None));
    }
}

/// Prints a value as pretty JSON on standard output.
pub(crate) fn print_json(value: &impl serde::Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot write JSON: {e}"),
    }
}
