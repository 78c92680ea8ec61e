//! What a run leaves on disk: letters and the manifest, each written to a
//! temporary name in the target folder and renamed into place, so a crash or
//! a failed case never leaves a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::case::InputError;

pub mod email;
pub mod print;

/// Writes `bytes` to `path` atomically: temporary file in the same folder,
/// flushed to disk, then renamed over the destination.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".relance-").suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); outputs are for the back office.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where a run's files go. The real one is a [`Folder`]; tests inject
/// failures (a full disk) through their own.
pub trait Sink: Sync {
    /// Writes `bytes` at `rel` (a relative path), atomically: either the
    /// whole file is there afterwards, or nothing is.
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()>;
    /// The place, for messages.
    fn root(&self) -> &Path;
}

/// An output folder on disk.
pub struct Folder(pub PathBuf);

impl Sink for Folder {
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        write_atomic(&self.0.join(rel), bytes)
    }

    fn root(&self) -> &Path {
        &self.0
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What happened to one case, as the back office reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A letter was built.
    Letter,
    /// No letter is due; `reason` says why.
    #[default]
    None,
    /// The case could not be processed; `error` says why.
    Error,
}

/// One manifest row (SPEC §6).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestRow {
    pub id: String,
    pub source: String,
    pub debtor: String,
    pub debtor_type: String,
    pub status: Status,
    pub level: String,
    pub reason: String,
    pub channel: String,
    pub principal: String,
    pub penalties: String,
    pub indemnities: String,
    pub total: String,
    pub pages: String,
    pub file: String,
    pub sha256: String,
    /// "oui" for a draft (PROJET watermark), for review, not for sending.
    pub draft: String,
    /// Invoice copies sent with the letter (pack or e-mail).
    pub copies: String,
    /// The .eml written for the e-mail channel.
    pub email: String,
    /// Legal warnings of the computation (floor raised, prescription…).
    pub warnings: String,
    pub error: String,
}

impl ManifestRow {
    pub fn for_error(err: &InputError, id: Option<&str>) -> ManifestRow {
        ManifestRow {
            id: id.unwrap_or("").to_string(),
            source: err.file.display().to_string(),
            status: Status::Error,
            error: err.to_string(),
            ..ManifestRow::default()
        }
    }
}

/// A print pack and the letters in it.
#[derive(Debug, Clone, Serialize)]
pub struct PackInfo {
    pub file: String,
    pub channel: String,
    pub pages: usize,
    pub sha256: String,
    pub letters: Vec<print::Placement>,
}

/// The manifest of a run, written as CSV (the rows) and JSON (everything).
/// Rows are sorted by source file then id, so that the manifests of the
/// shards of a run, put together, equal the manifest of the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub date: String,
    /// `K/N` when the run built one shard.
    pub shard: Option<String>,
    pub rows: Vec<ManifestRow>,
    pub errors: Vec<InputError>,
    pub packs: Vec<PackInfo>,
    /// The run was stopped (Ctrl-C) before every case was handled: the rows
    /// are the cases handled so far; a rerun builds the rest.
    pub interrupted: bool,
}

impl Manifest {
    /// The CSV is meant to be opened in a spreadsheet: free-text cells that
    /// a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) get
    /// a leading apostrophe. manifest.json keeps the exact text.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in &self.rows {
            let mut row = row.clone();
            for cell in [&mut row.debtor, &mut row.reason, &mut row.error, &mut row.source, &mut row.id] {
                if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    cell.insert(0, '\'');
                }
            }
            w.serialize(&row).expect("CSV into memory cannot fail");
        }
        w.into_inner().expect("CSV into memory cannot fail")
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("manifest serializes");
        bytes.push(b'\n');
        bytes
    }

    /// Writes `manifest.csv` and `manifest.json`.
    pub fn write(&self, sink: &dyn Sink) -> std::io::Result<()> {
        sink.write(Path::new("manifest.csv"), &self.to_csv())?;
        sink.write(Path::new("manifest.json"), &self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/a.pdf");
        write_atomic(&target, b"hello").unwrap();
        write_atomic(&target, b"world").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"world");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.pdf")]);
    }

    #[test]
    fn csv_defuses_spreadsheet_formulas() {
        let mut row = ManifestRow::for_error(&InputError::new(Path::new("x.yaml"), "boom"), None);
        row.debtor = "=HYPERLINK(\"http://evil\")".into();
        let m = Manifest { date: "2026-11-22".into(), shard: None, rows: vec![row], errors: vec![], packs: vec![], interrupted: false };
        let csv = String::from_utf8(m.to_csv()).unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{csv}");
        let json = String::from_utf8(m.to_json()).unwrap();
        assert!(json.contains("\"debtor\": \"=HYPERLINK"), "{json}");
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
