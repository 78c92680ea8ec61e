//! `relance init`: a starter folder with a creditor config, an example case
//! and its invoice copy, and a copy of the templates.

use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::templates::TemplateSet;

/// The example creditor config built into relance (also the config `check`
/// renders the templates with when given none).
pub const BUILTIN_CONFIG: &str = include_str!("../fixtures/cases/relance.yaml");

/// The example case written by `relance init`.
pub const EXAMPLE_CASE: &str = include_str!("../fixtures/cases/dupont.yaml");

/// The invoice copy the example case attaches.
pub const EXAMPLE_INVOICE: &[u8] = include_bytes!("../fixtures/cases/invoices/F-2026-0042.pdf");

/// What `init` wrote, for the message that follows.
#[derive(Debug, Clone)]
pub struct Starter {
    /// The config.
    pub config: PathBuf,
    /// The example case.
    pub case: PathBuf,
    /// The template folder.
    pub templates: PathBuf,
}

/// Creates the starter folder `dir`; refuses to overwrite any file.
pub fn create(dir: &Path) -> std::io::Result<Starter> {
    let starter = Starter {
        config: dir.join("relance.yaml"),
        case: dir.join("cases/DUPONT-001.yaml"),
        templates: dir.join("letter-templates"),
    };
    for p in [&starter.config, &starter.case] {
        if p.exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} already exists", p.display()),
            ));
        }
    }
    TemplateSet::builtin().write_to(&starter.templates)?;
    write_atomic(&starter.config, BUILTIN_CONFIG.as_bytes())?;
    write_atomic(&starter.case, EXAMPLE_CASE.as_bytes())?;
    write_atomic(&dir.join("cases/invoices/F-2026-0042.pdf"), EXAMPLE_INVOICE)?;
    Ok(starter)
}
