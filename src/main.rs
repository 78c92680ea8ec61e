//! The `relance` command line: parses arguments, calls the library, maps
//! outcomes to exit codes (0 all built, 1 some cases failed, 2 usage or
//! config error).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use relance::case::Level;
use relance::escalation::Decision;
use relance::{Session, default_config_path};

#[derive(Parser)]
#[command(name = "relance", version, about = "Turns unpaid invoices into French dunning letters (PDF).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Common {
    /// Folder of case files (searched recursively), or one case file.
    cases: PathBuf,
    /// Run date (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
    /// Creditor config; defaults to relance.yaml in the cases folder.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Template folder; defaults to the templates built into relance.
    #[arg(long)]
    templates: Option<PathBuf>,
    /// Rate table to use instead of the one built in (same layout as data/rates.csv).
    #[arg(long)]
    rates: Option<PathBuf>,
    /// Force this level for every case that owes something (review, reprint).
    #[arg(long, value_parser = parse_level)]
    level: Option<Level>,
}

#[derive(Subcommand)]
enum Command {
    /// Build the letters due at the date, and the manifest.
    Build {
        #[command(flatten)]
        common: Common,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Mark every letter "PROJET" (for a lawyer's review); the manifest says so.
        #[arg(long)]
        draft: bool,
        /// Typesetting threads; defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Build only the cases whose id hashes to K of N (0 ≤ K < N).
        #[arg(long, value_parser = relance::run::Shard::parse, value_name = "K/N")]
        shard: Option<relance::run::Shard>,
    },
    /// Show what `build` would send, without writing anything.
    Plan {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Check that every level's template carries its mandatory mentions.
    Check {
        /// Template folder to check; defaults to the templates built into relance.
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Cases to render the templates with; defaults to the examples built into relance.
        #[arg(long)]
        cases: Option<PathBuf>,
        /// Creditor config for those cases; defaults to CASES/relance.yaml, or the built-in example.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Date the letters are rendered at (YYYY-MM-DD); defaults to today.
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Create a starter folder: relance.yaml, an example case, a copy of the templates.
    Init {
        /// Folder to create (must not hold those files already).
        dir: PathBuf,
    },
    /// Print the décompte of a case (or of every case in a folder).
    Explain {
        #[command(flatten)]
        common: Common,
        /// `table` prints the décompte as text; `json` the computed figures.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    relance::case::Date::parse(s).map(|d| d.0)
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s)
        .ok_or_else(|| format!("\"{s}\" is not a level; expected amicale, formelle, avertissement or mise-en-demeure"))
}

fn open(common: &Common) -> Result<(Session, NaiveDate), ExitCode> {
    let config = common.config.clone().unwrap_or_else(|| default_config_path(&common.cases));
    let date = common.date.unwrap_or_else(|| chrono::Local::now().date_naive());
    match Session::open(&config, common.templates.as_deref(), common.rates.as_deref()) {
        Ok(s) => Ok((s, date)),
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// mimalloc rather than glibc's malloc: Typst allocates and frees many small
/// objects per letter; with glibc about 16 % of a run's perf samples were in
/// malloc and free. On 5,000 cases (2 threads) the run took 14 % less time,
/// for about 5 MiB more peak memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { common, out, draft, shard, jobs } => {
            let (session, date) = match open(&common) {
                Ok(x) => x,
                Err(code) => return code,
            };
            // First Ctrl-C: finish the letter being written, write the
            // manifest of what was built, exit 130. Second: stop at once.
            let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = cancel.clone();
            let _ = ctrlc::set_handler(move || {
                if flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    std::process::exit(130);
                }
                eprintln!("interrupted: finishing the current letter, then writing the manifest");
            });
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            // A progress bar for people at a terminal; none in CI or in a pipe.
            let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("CI").is_none();
            let options =
                relance::run::BuildOptions { cancel: Some(cancel), jobs, progress, forced: common.level, draft, shard };
            match relance::run::build(&session, &common.cases, &out, date, &options) {
                Ok(report) => {
                    for e in &report.errors {
                        eprintln!("error: {e}");
                    }
                    let none = report.rows.saturating_sub(report.letters + report.failures.len());
                    eprintln!(
                        "{} letter(s) built, {} case(s) without letter, {} failed; manifest in {}",
                        report.letters,
                        none,
                        report.failed,
                        out.join("manifest.csv").display()
                    );
                    if report.interrupted {
                        eprintln!(
                            "interrupted: {} case(s) handled; run the same command again to build the rest",
                            report.rows
                        );
                        ExitCode::from(130)
                    } else if report.failed > 0 {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("error: cannot write to {}: {e}", out.display());
                    ExitCode::from(2)
                }
            }
        }
        Command::Explain { common, format } => explain(common, format),
        Command::Check { templates, cases, config, date, format } => check(templates, cases, config, date, format),
        Command::Init { dir } => init(&dir),
        Command::Plan { common, format } => {
            let (session, date) = match open(&common) {
                Ok(x) => x,
                Err(code) => return code,
            };
            let (loaded, errors) = relance::load_cases(&common.cases, &session.config_path);
            let mut rows: Vec<_> = errors.iter().map(|e| relance::pack::ManifestRow::for_error(e, None)).collect();
            for l in loaded {
                let planned = relance::plan_case(&session, l, date, common.level);
                let mut row = relance::base_row(&planned);
                if let Err(e) = &planned.outcome {
                    row.status = relance::pack::Status::Error;
                    row.error = e.to_string();
                }
                if let Ok((_, Decision::Send { level, .. })) = &planned.outcome {
                    row.file = format!("letters/{}", relance::letter_file_name(&planned.loaded.case.id.0, *level));
                }
                rows.push(row);
            }
            let failed = rows.iter().filter(|r| r.status == relance::pack::Status::Error).count();
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows).expect("rows serialize")),
                Format::Table => print_table(&rows),
            }
            for e in &errors {
                eprintln!("error: {e}");
            }
            if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}

fn explain(common: Common, format: Format) -> ExitCode {
    let (session, date) = match open(&common) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (loaded, errors) = relance::load_cases(&common.cases, &session.config_path);
    let mut failed = errors.len();
    for e in &errors {
        eprintln!("error: {e}");
    }
    let mut json = Vec::new();
    for l in loaded {
        let planned = relance::plan_case(&session, l, date, common.level);
        match &planned.outcome {
            Ok((owed, decision)) => match format {
                Format::Table => println!("{}", relance::explain::explain(&planned.loaded.case, owed, decision)),
                Format::Json => json.push(serde_json::json!({
                    "id": planned.loaded.case.id,
                    "statement": owed,
                    "decision": decision,
                })),
            },
            Err(msg) => {
                eprintln!("error: {msg}");
                failed += 1;
            }
        }
    }
    if let Format::Json = format {
        println!("{}", serde_json::to_string_pretty(&json).expect("statements serialize"));
    }
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn check(
    templates: Option<PathBuf>,
    cases: Option<PathBuf>,
    config: Option<PathBuf>,
    date: Option<NaiveDate>,
    format: Format,
) -> ExitCode {
    let date = date.unwrap_or_else(|| chrono::Local::now().date_naive());
    let setup = (|| -> Result<_, String> {
        let (config, config_path) = match (&config, &cases) {
            (Some(path), _) => (relance::case::load_config(path).map_err(|e| e.to_string())?, path.clone()),
            (None, Some(dir)) => {
                let path = default_config_path(dir);
                (relance::case::load_config(&path).map_err(|e| e.to_string())?, path)
            }
            (None, None) => {
                let path = PathBuf::from("fixtures/cases/relance.yaml");
                (relance::case::parse_config(&path, relance::check::BUILTIN_CONFIG).map_err(|e| e.to_string())?, path)
            }
        };
        let session =
            Session::with_config(config, &config_path, templates.as_deref(), None).map_err(|e| e.to_string())?;
        let (loaded, errors) = match &cases {
            Some(dir) => relance::load_cases(dir, &config_path),
            None => relance::check::builtin_cases(),
        };
        if let Some(e) = errors.first() {
            return Err(e.to_string());
        }
        Ok((session, loaded))
    })();
    let (session, loaded) = match setup {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let findings = match relance::check::check(&session, &loaded, date) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&findings).expect("findings serialize")),
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

fn init(dir: &std::path::Path) -> ExitCode {
    let result = (|| -> std::io::Result<()> {
        let config = dir.join("relance.yaml");
        let example = dir.join("cases/DUPONT-001.yaml");
        for p in [&config, &example] {
            if p.exists() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} already exists", p.display()),
                ));
            }
        }
        relance::render::TemplateSet::builtin().write_to(&dir.join("letter-templates"))?;
        relance::pack::write_atomic(&config, relance::check::BUILTIN_CONFIG.as_bytes())?;
        relance::pack::write_atomic(&example, relance::check::EXAMPLE_CASE.as_bytes())?;
        relance::pack::write_atomic(&dir.join("cases/invoices/F-2026-0042.pdf"), relance::check::EXAMPLE_INVOICE)?;
        Ok(())
    })();
    match result {
        Ok(()) => {
            eprintln!(
                "created {0}/relance.yaml, {0}/cases/DUPONT-001.yaml and {0}/letter-templates/\nnext: relance build {0}/cases --config {0}/relance.yaml --templates {0}/letter-templates --out out\n      relance check --templates {0}/letter-templates",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

fn print_table(rows: &[relance::pack::ManifestRow]) {
    let header = ["id", "type", "level", "channel", "principal", "penalties", "indemnities", "total", "reason / error"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.debtor_type.clone(),
                if r.level.is_empty() { "-".into() } else { r.level.clone() },
                if r.channel.is_empty() { "-".into() } else { r.channel.clone() },
                r.principal.clone(),
                r.penalties.clone(),
                r.indemnities.clone(),
                r.total.clone(),
                if r.error.is_empty() { r.reason.clone() } else { r.error.clone() },
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len() - 1)
        .map(|i| cells.iter().map(|c| c[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |cols: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cols.iter().enumerate() {
            if i < widths.len() {
                let right = (4..8).contains(&i);
                let pad = widths[i].saturating_sub(c.chars().count());
                if right {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.push_str(&" ".repeat(pad));
                }
                s.push_str("  ");
            } else {
                s.push_str(c);
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    for c in &cells {
        line(c.iter().map(String::as_str).collect());
    }
}
