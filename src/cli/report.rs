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
    let html = match relance::report::render(&args.outs, &args.out) {
        Ok(html) => html,
        Err(e) => return fail(&e),
    };
    if let Err(e) = relance::atomic::write_atomic(&args.out, html.as_bytes()) {
        return fail(&format!("écriture impossible de {} : {e}", args.out.display()));
    }
    eprintln!("rapport : {} ({} production(s))", args.out.display(), args.outs.len());
    ExitCode::SUCCESS
}
