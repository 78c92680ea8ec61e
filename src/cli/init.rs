//! `relance init DIR`: a starter folder.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Folder to create (must not hold those files already).
    dir: PathBuf,
}

pub(crate) fn run(args: Args) -> ExitCode {
    match relance::starter::create(&args.dir) {
        Ok(_) => {
            eprintln!(
                "créé : {0}/relance.yaml, {0}/cases/DUPONT-001.yaml et {0}/letter-templates/ (les modèles des lettres, utilisés par défaut)\nensuite : relance plan {0}/cases\n          relance build {0}/cases --out {0}/sorties/$(date +%F)\n          relance check --templates {0}/letter-templates",
                args.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(&format!("{}: {e}", args.dir.display())),
    }
}
