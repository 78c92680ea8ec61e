//! `relance build CASES --out DIR`: the letters due at the date, their
//! e-mails and packs, and the manifest.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use relance::settings::Shard;
use signal_hook::consts::{SIGINT, SIGTERM};

use super::{Common, print_error};

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Mark every letter "PROJET" (for a lawyer's review); the manifest says so.
    #[arg(long)]
    draft: bool,
    /// Typesetting threads (1 to 256); defaults to the number of cores.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Most seconds one letter may take to typeset before the run is stopped
    /// (exit code 3): a template that loops.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600), value_name = "SECONDS")]
    letter_timeout: u64,
    /// Most memory the run may use, in MiB, before it is stopped (exit code 3).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(64..=1_048_576), value_name = "MIB")]
    memory_limit: u64,
    /// Do not record the letters in the journal (a reprint).
    #[arg(long)]
    no_record: bool,
    /// Build a case even when the journal holds a letter dated after --date.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    csv: super::CsvArgs,
    /// How print packs are made: `typeset` (a Typst document embedding the
    /// letters' pages) or `pages` (the pages copied with lopdf; for the
    /// benchmark).
    #[arg(long, hide = true, value_parser = ["typeset", "pages"], default_value = "typeset")]
    pack_mode: String,
    /// Most letters typeset together in one Typst compile; 1: one compile
    /// per letter (the benchmark's baseline). A letter's bytes do not
    /// depend on it.
    #[arg(long, hide = true, default_value_t = relance::settings::BATCH, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    batch: usize,
    /// Build only the cases whose id hashes to K of N (0 ≤ K < N).
    #[arg(long, value_parser = Shard::parse, value_name = "K/N")]
    shard: Option<Shard>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let (session, mut settings) = match args.common.open() {
        Ok(x) => x,
        Err(code) => return code,
    };
    // First Ctrl-C (SIGINT) or SIGTERM (what systemd and Kubernetes send):
    // finish the letters being written, write the manifest of what was
    // built, exit 130 (SIGINT) or 143 (SIGTERM). A second signal stops at
    // once with the same code.
    let cancel = Arc::new(AtomicBool::new(false));
    let term = Arc::new(AtomicBool::new(false));
    for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // Order matters: the exit is armed before the flag can be set.
        let armed = signal_hook::flag::register_conditional_shutdown(signal, code, cancel.clone())
            .and_then(|_| signal_hook::flag::register(signal, cancel.clone()));
        if let Err(e) = armed {
            return super::fail(&format!("signal {signal} non géré : {e}"));
        }
    }
    if let Err(e) = signal_hook::flag::register(SIGTERM, term.clone()) {
        return super::fail(&format!("signal SIGTERM non géré : {e}"));
    }
    settings.cancel = Some(cancel);
    settings.csv = args.csv.format(&session);
    if args.pack_mode == "pages" {
        settings.pack_mode = relance::settings::PackMode::Pages;
    }
    settings.draft = args.draft;
    settings.batch = args.batch;
    settings.shard = args.shard;
    settings.record = !args.no_record && !args.draft;
    // One run at a time records in a journal.
    let _lock = if settings.record {
        let shard = settings.shard.map(|s| s.to_string());
        match relance::journal::Lock::acquire(&session.journal_dir(&args.common.cases), shard.as_deref()) {
            Ok(lock) => Some(lock),
            Err(e) => return super::fail(&e),
        }
    } else {
        None
    };
    if let Err(code) = args.common.read_journal(&session, &mut settings) {
        return code;
    }
    settings.force = args.force;
    settings.jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let activity = Arc::new(relance::settings::Activity::default());
    settings.activity = Some(activity.clone());
    super::watchdog::start(
        activity,
        super::watchdog::Budget {
            letter: std::time::Duration::from_secs(args.letter_timeout),
            memory: args.memory_limit * 1024 * 1024,
        },
    );
    // A progress bar for people at a terminal; none in CI or in a pipe.
    settings.progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("CI").is_none();
    let report = match relance::run::build(&session, &args.common.cases, &args.out, &settings) {
        Ok(report) => report,
        Err(e) => return super::fail(&format!("écriture impossible dans {} : {e}", args.out.display())),
    };
    for e in &report.errors {
        print_error(e);
    }
    let none = report.rows.saturating_sub(report.letters + report.calls + report.failures.len());
    let calls =
        if report.calls > 0 { format!(", {} appel(s) à passer (appels.pdf)", report.calls) } else { String::new() };
    let warnings = if report.warnings.is_empty() {
        String::new()
    } else {
        format!(", {} avertissement(s)", report.warnings.count())
    };
    eprintln!(
        "{} lettre(s) produite(s){calls}, {} dossier(s) sans lettre, {} en erreur{warnings} ; rapport : {}",
        report.letters,
        none,
        report.failed,
        args.out.join("index.html").display()
    );
    for line in report.warnings.lines() {
        eprintln!("avertissement : {line}");
    }
    if std::env::var_os("RELANCE_TIMING").is_some() {
        let (layout, export) = relance::typeset::letter_times();
        eprintln!(
            "lettres : mise en page {layout:.3} s, export PDF {export:.3} s (threads additionnés) ; plis et listes de dépôt : {:.3} s",
            report.packs_time.as_secs_f64()
        );
    }
    if report.interrupted {
        let code = if term.load(Ordering::SeqCst) { 143 } else { 130 };
        eprintln!(
            "interrompu : {} dossier(s) traité(s) ; relancez la même commande pour produire le reste",
            report.rows
        );
        ExitCode::from(code)
    } else if report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
