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

/// The config `relance init` writes: the example creditor, with the
/// starter's own template folder as the default policy's templates.
pub fn starter_config() -> String {
    let body = BUILTIN_CONFIG.split_once('\n').map_or(BUILTIN_CONFIG, |(_, rest)| rest);
    let body = body.replacen(
        "policy:\n",
        "policy:\n  templates: letter-templates   # the letters' wording: edit these templates\n",
        1,
    );
    format!(
        "# relance.yaml — the creditor, its terms of sale and its dunning policy.\n# Reference of every key: docs/format.md of relance. The cases are in cases/.\n{body}"
    )
}

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

/// Creates the starter folder `dir`, all or nothing: if any of its files
/// exists with other content, nothing is written; files already there with
/// the same content are kept, so that a starter folder left half-made (a
/// killed `init`) is completed by running `init` again. Each file is
/// written whole (temporary file, then rename).
pub fn create(dir: &Path) -> std::io::Result<Starter> {
    let starter = Starter {
        config: dir.join("relance.yaml"),
        case: dir.join("cases/DUPONT-001.yaml"),
        templates: dir.join("letter-templates"),
    };
    let templates = TemplateSet::builtin();
    let config = starter_config();
    let mut files: Vec<(PathBuf, &[u8])> = vec![
        (starter.config.clone(), config.as_bytes()),
        (starter.case.clone(), EXAMPLE_CASE.as_bytes()),
        (dir.join("cases/invoices/F-2026-0042.pdf"), EXAMPLE_INVOICE),
    ];
    files.extend(templates.files.iter().map(|(name, bytes)| (starter.templates.join(name), bytes.as_slice())));
    let mut missing = Vec::new();
    for (path, bytes) in &files {
        match std::fs::read(path) {
            Ok(existing) if existing == *bytes => {}
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} existe déjà avec un autre contenu ; rien n'a été écrit", path.display()),
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push((path, *bytes)),
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }
    for (path, bytes) in missing {
        write_atomic(path, bytes)?;
    }
    Ok(starter)
}
