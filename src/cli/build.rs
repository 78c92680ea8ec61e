//! `relance build CASES --out DIR`: the letters due at the date, their
//! e-mails and packs, and the manifest.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use relance::settings::Shard;

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
    /// Typesetting threads; defaults to the number of cores.
    #[arg(long)]
    jobs: Option<usize>,
    /// Build only the cases whose id hashes to K of N (0 ≤ K < N).
    #[arg(long, value_parser = Shard::parse, value_name = "K/N")]
    shard: Option<Shard>,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let (session, mut settings) = match args.common.open() {
        Ok(x) => x,
        Err(code) => return code,
    };
    // First Ctrl-C: finish the letter being written, write the manifest of
    // what was built, exit 130. Second: stop at once.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("interruption : fin de la lettre en cours, puis écriture du manifeste");
    });
    settings.cancel = Some(cancel);
    settings.draft = args.draft;
    settings.shard = args.shard;
    settings.jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // A progress bar for people at a terminal; none in CI or in a pipe.
    settings.progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("CI").is_none();
    let report = match relance::run::build(&session, &args.common.cases, &args.out, &settings) {
        Ok(report) => report,
        Err(e) => return super::fail(&format!("cannot write to {}: {e}", args.out.display())),
    };
    for e in &report.errors {
        print_error(e);
    }
    let none = report.rows.saturating_sub(report.letters + report.failures.len());
    eprintln!(
        "{} lettre(s) produite(s), {} dossier(s) sans lettre, {} en erreur ; manifeste : {}",
        report.letters,
        none,
        report.failed,
        args.out.join("manifest.csv").display()
    );
    if report.interrupted {
        eprintln!(
            "interrompu : {} dossier(s) traité(s) ; relancez la même commande pour produire le reste",
            report.rows
        );
        ExitCode::from(130)
    } else if report.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
