//! `relance plan CASES`: what `build` would send, without writing anything.

use std::process::ExitCode;

use relance::pack::Status;

use super::{Common, Format, print_input_errors, print_json};

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let (session, settings) = match args.common.open_with_journal() {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (rows, errors) = relance::plan::rows(&session, &args.common.cases, &settings);
    match args.format {
        Format::Json => print_json(&rows),
        Format::Table => print!("{}", relance::plan::table(&rows)),
    }
    print_input_errors(&errors);
    if rows.iter().any(|r| r.status == Status::Error) { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
