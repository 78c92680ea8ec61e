//! relance: unpaid invoices in, French dunning letters out.
//!
//! The pipeline runs one way, one module per stage:
//! [`case`] (load and validate YAML) → [`law`] (what is owed) →
//! [`escalation`] (which letter) → [`plan`] (both, for every case) →
//! [`letter`] (what the template sees, and the PDF) → [`render`] (Jinja →
//! Typst markup) → [`typeset`] (Typst → PDF) → [`pack`] (files and
//! manifest); [`run`] drives a whole `build`, [`check`] proves the templates.
//!
//! Leaf helpers import nothing of the pipeline: [`atomic`] (whole files or
//! none), [`escape`] (data printed literally), [`templates`] (the template
//! folder in memory), [`table`] (text tables). Errors are values with their
//! place ([`error`]) until the command line prints them ([`diagnostic`]).
//! The command line itself (`src/main.rs`, `src/cli/`) is not part of the
//! library.

pub mod atomic;
pub mod case;
pub mod check;
pub mod contentieux;
pub mod csv_out;
pub mod diagnostic;
pub mod echeancier;
pub mod error;
pub mod escalation;
pub mod escape;
pub mod explain;
pub mod import;
pub mod journal;
pub mod law;
pub mod layout_check;
pub mod letter;
pub mod money;
pub mod pack;
pub mod plan;
pub mod record;
pub mod render;
pub mod report;
pub mod run;
pub mod safe_read;
pub mod send;
mod session;
pub mod settings;
pub mod starter;
pub mod table;
pub mod templates;
pub mod text;
pub mod typeset;

pub use plan::{Planned, load_cases, plan_case};
pub use session::{Session, SetupError, default_config_path};
pub use settings::Settings;
