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
                "created {0}/relance.yaml, {0}/cases/DUPONT-001.yaml and {0}/letter-templates/\nnext: relance build {0}/cases --config {0}/relance.yaml --templates {0}/letter-templates --out out\n      relance check --templates {0}/letter-templates",
                args.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => super::fail(&format!("{}: {e}", args.dir.display())),
    }
}
