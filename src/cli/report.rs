//! `relance report OUT… --out FILE`: one HTML page for the outputs of
//! several runs (the shards of a run, or several days).

use std::path::PathBuf;
use std::process::ExitCode;

use super::fail;

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Output folders of `relance build` (each with its manifest.json).
    #[arg(required = true)]
    outs: Vec<PathBuf>,
    /// The page to write.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn run(args: Args) -> ExitCode {
    if let Err(e) = relance::report::write(&args.outs, &args.out) {
        return fail(&e);
    }
    eprintln!("rapport : {} ({} production(s))", args.out.display(), args.outs.len());
    ExitCode::SUCCESS
}
