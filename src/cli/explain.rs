//! `relance explain CASES`: the décompte of each case, as a lawyer checks it.

use std::process::ExitCode;

use super::{Common, Format, print_input_errors, print_json};

#[derive(clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    common: Common,
    /// `table` prints the décompte as text; `json` the computed figures.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let (session, settings) = match args.common.open_with_journal() {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (loaded, errors) = relance::load_cases(&args.common.cases, &session.config_path);
    print_input_errors(&errors);
    let mut failed = errors.len();
    let mut json = Vec::new();
    for l in loaded {
        let planned = relance::plan_case(&session, l, &settings);
        match &planned.outcome {
            Ok((owed, decision)) => match args.format {
                Format::Table => println!("{}", relance::explain::explain(&planned.loaded.case, owed, decision)),
                Format::Json => json.push(serde_json::json!({
                    "id": planned.loaded.case.id,
                    "statement": owed,
                    "decision": decision,
                })),
            },
            Err(e) => {
                print_input_errors(std::slice::from_ref(e));
                failed += 1;
            }
        }
    }
    if let Format::Json = args.format {
        print_json(&json);
    }
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
