//! relance's integration tests: one binary, a module per feature, all run
//! through the driver in `util.rs` on the real `relance` executable. The
//! data-driven hostile corpus (`fixtures/bad/`) has its own harness,
//! `tests/hostile.rs`.

mod batches;
mod build;
mod calls;
mod check;
mod contentieux;
mod errors;
mod explain;
mod extremes;
mod faults;
mod first_hour;
mod hostile_files;
mod import;
mod injection;
mod journal;
mod law;
mod packs;
mod plans;
mod report;
mod rules;
mod send;
mod simulation;
mod snapshots;
mod typst_errors;
mod util;
