//! What a run leaves on disk: letters and the manifest, each written to a
//! temporary name in the target folder and renamed into place, so a crash or
//! a failed case never leaves a half-written file.
//!
//! A run's files are flushed to the disk together, once, just before the
//! manifest (see [`Sink::sync`]) rather than one `fsync` per file: the
//! manifest is the record of the run, so once it exists everything it lists
//! is on disk, even after a power cut; before it exists, the run is simply
//! run again (its output is the same, byte for byte).

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
    write_whole(path, bytes, Flush::Now)
}

/// Temporary file beside `path`, `bytes` written, flushed as asked, renamed.
fn write_whole(path: &Path, bytes: &[u8], flush: Flush) -> std::io::Result<()> {
    let mut tmp = temporary_beside(path)?;
    tmp.write_all(bytes)?;
    persist(tmp, path, flush)
}

/// Where a run's files go. The real one is a [`Folder`]; tests inject
/// failures (a full disk) through their own.
pub trait Sink: Sync {
    /// Writes `bytes` at `rel` (a relative path), atomically: either the
    /// whole file is there afterwards, or nothing is.
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()>;
    /// The place, for messages.
    fn root(&self) -> &Path;

    /// A file written piece by piece (the manifest of a large run), that
    /// appears at `rel` whole when committed, or not at all. By default the
    /// pieces are kept in memory and handed to [`Sink::write`].
    fn create<'a>(&'a self, rel: &Path) -> std::io::Result<Box<dyn Staged + 'a>> {
        Ok(Box::new(Buffered { sink: self, rel: rel.to_path_buf(), bytes: Vec::new() }))
    }

    /// Reads back a file this run wrote (a letter, to put it in a pack), so
    /// that letters need not stay in memory until the packs are made.
    fn read(&self, rel: &Path) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(std::io::ErrorKind::Unsupported, format!("{} cannot be read back", rel.display())))
    }

    /// Makes every file written so far durable. Called before the manifest
    /// is committed and again after (for its rename).
    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file being written; see [`Sink::create`].
pub trait Staged: Write {
    /// Puts the whole file in place.
    fn commit(self: Box<Self>) -> std::io::Result<()>;
}

struct Buffered<'a, S: Sink + ?Sized> {
    sink: &'a S,
    rel: PathBuf,
    bytes: Vec<u8>,
}

impl<S: Sink + ?Sized> Write for Buffered<'_, S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<S: Sink + ?Sized> Staged for Buffered<'_, S> {
    fn commit(self: Box<Self>) -> std::io::Result<()> {
        self.sink.write(&self.rel, &self.bytes)
    }
}

/// An output folder on disk.
pub struct Folder(pub PathBuf);

impl Sink for Folder {
    /// Whole file or nothing, renamed into place; flushed to disk by
    /// [`Folder::sync`] with the rest of the run.
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        write_whole(&self.0.join(rel), bytes, Flush::WithTheRun)
    }

    fn root(&self) -> &Path {
        &self.0
    }

    fn create<'a>(&'a self, rel: &Path) -> std::io::Result<Box<dyn Staged + 'a>> {
        let path = self.0.join(rel);
        let tmp = temporary_beside(&path)?;
        Ok(Box::new(OnDisk { file: std::io::BufWriter::new(tmp), path }))
    }

    fn read(&self, rel: &Path) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.0.join(rel))
    }

    /// One `syncfs` of the output's file system: data and renames of every
    /// file of the run. On 1,000 letters this replaced 2,000 `fsync` calls
    /// (letter and e-mail each) that held the typesetting threads.
    #[cfg(target_os = "linux")]
    fn sync(&self) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let dir = std::fs::File::open(&self.0)?;
        // SAFETY: `dir` is an open descriptor for the whole call.
        if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Elsewhere: `sync` of every file system (no `syncfs`).
    #[cfg(all(unix, not(target_os = "linux")))]
    fn sync(&self) -> std::io::Result<()> {
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
        Ok(())
    }
}

/// A temporary file next to its destination, renamed into place on commit
/// (and removed if dropped uncommitted).
struct OnDisk {
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl Write for OnDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Staged for OnDisk {
    fn commit(self: Box<Self>) -> std::io::Result<()> {
        let tmp = self.file.into_inner().map_err(|e| e.into_error())?;
        persist(tmp, &self.path, Flush::Now)
    }
}

/// A temporary file (`.relance-*.tmp`) in the folder of `path`, created if
/// missing, so that the final rename stays on one file system.
fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new().prefix(".relance-").suffix(".tmp").tempfile_in(dir)
}

/// When a file's bytes must reach the disk.
#[derive(Clone, Copy, PartialEq)]
enum Flush {
    /// Before it is renamed into place (a file written on its own).
    Now,
    /// With the rest of the run, by [`Sink::sync`].
    WithTheRun,
}

/// Makes a finished temporary file readable by the back office, flushes it
/// to disk if asked, and renames it over `path`.
fn persist(tmp: tempfile::NamedTempFile, path: &Path, flush: Flush) -> std::io::Result<()> {
    // Temporary files are private (0600); outputs are for the back office.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    if flush == Flush::Now {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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

/// The manifest of a run, written as CSV (the rows) and JSON (everything)
/// while the run goes: a row is written as soon as its case is done, so a
/// run of 100,000 cases never holds 100,000 rows. Rows come in the order of
/// the case files' paths, so that the manifests of the shards of a run, put
/// together, equal the manifest of the whole run. Both files appear whole
/// at [`ManifestWriter::finish`], or not at all.
pub struct ManifestWriter<'a> {
    csv: csv::Writer<Box<dyn Staged + 'a>>,
    json: Box<dyn Staged + 'a>,
    rows: usize,
    /// The first write error: the run goes on (letters are still worth
    /// building), the manifest is reported as not written at the end.
    failed: Option<std::io::Error>,
}

impl<'a> ManifestWriter<'a> {
    pub fn new(sink: &'a dyn Sink, date: &str, shard: Option<&str>) -> std::io::Result<ManifestWriter<'a>> {
        let csv = csv::Writer::from_writer(sink.create(Path::new("manifest.csv"))?);
        let mut json = sink.create(Path::new("manifest.json"))?;
        write!(
            json,
            "{{\n  \"date\": {},\n  \"shard\": {},\n  \"rows\": [",
            json_string(date),
            shard.map_or("null".into(), json_string)
        )?;
        Ok(ManifestWriter { csv, json, rows: 0, failed: None })
    }

    /// Appends a row. The CSV is meant to be opened in a spreadsheet:
    /// free-text cells that a spreadsheet would run as a formula (`=`, `+`,
    /// `-`, `@`, tab, CR) get a leading apostrophe. manifest.json keeps the
    /// exact text.
    pub fn push(&mut self, row: &ManifestRow) {
        let mut cells = row.clone();
        for cell in [&mut cells.debtor, &mut cells.reason, &mut cells.error, &mut cells.source, &mut cells.id] {
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                cell.insert(0, '\'');
            }
        }
        let result = self.csv.serialize(&cells).map_err(std::io::Error::other).and_then(|()| {
            let sep = if self.rows == 0 { "\n    " } else { ",\n    " };
            write!(self.json, "{sep}")?;
            nested_json(&mut self.json, b"    ", row)
        });
        self.rows += 1;
        if let Err(e) = result {
            self.failed.get_or_insert(e);
        }
    }

    /// Writes the run's errors, packs and whether it was interrupted, and
    /// puts both files in place.
    pub fn finish(mut self, errors: &[InputError], packs: &[PackInfo], interrupted: bool) -> std::io::Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // Streamed: the packs list one placement per posted letter (70,000
        // in a run of 100,000 cases), tens of megabytes as one string.
        write!(self.json, "{}],\n  \"errors\": ", if self.rows == 0 { "" } else { "\n  " })?;
        nested_json(&mut self.json, b"  ", errors)?;
        write!(self.json, ",\n  \"packs\": ")?;
        nested_json(&mut self.json, b"  ", packs)?;
        write!(self.json, ",\n  \"interrupted\": {interrupted}\n}}\n")?;
        let csv = self.csv.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        csv.commit()?;
        self.json.commit()
    }
}

/// Writes `value` as pretty JSON nested `indent` deep in the manifest.
fn nested_json<W: Write + ?Sized>(
    out: &mut W,
    indent: &'static [u8],
    value: &(impl Serialize + ?Sized),
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(Indented { out, indent }, value).map_err(std::io::Error::other)
}

/// Writes through to `out`, with `indent` after every line break: pretty
/// JSON nested inside the manifest's own, without building it as a string.
struct Indented<'w, W: Write + ?Sized> {
    out: &'w mut W,
    indent: &'static [u8],
}

impl<W: Write + ?Sized> Write for Indented<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for (i, line) in buf.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
                self.out.write_all(self.indent)?;
            }
            self.out.write_all(line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
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
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("sub")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.pdf")]);
    }

    #[test]
    fn streamed_json_is_indented_like_the_nested_string() {
        let value =
            serde_json::json!({"packs": [{"file": "a\nb.pdf", "letters": [{"id": "X", "pages": [1, 2]}]}], "e": []});
        let mut out = Vec::new();
        serde_json::to_writer_pretty(Indented { out: &mut out, indent: b"  " }, &value).unwrap();
        let nested = serde_json::to_string_pretty(&value).unwrap().replace('\n', "\n  ");
        assert_eq!(String::from_utf8(out).unwrap(), nested);
        assert!(nested.contains("\n        \"letters\""), "{nested}");
    }

    #[test]
    fn csv_defuses_spreadsheet_formulas() {
        let mut row = ManifestRow::for_error(&InputError::new(Path::new("x.yaml"), "boom"), None);
        row.debtor = "=HYPERLINK(\"http://evil\")".into();
        let dir = tempfile::tempdir().unwrap();
        let sink = Folder(dir.path().to_path_buf());
        let mut m = ManifestWriter::new(&sink, "2026-11-22", None).unwrap();
        m.push(&row);
        m.finish(&[], &[], false).unwrap();
        let csv = std::fs::read_to_string(dir.path().join("manifest.csv")).unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil\"\")\""), "{csv}");
        let json = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
        assert!(json.contains("\"debtor\": \"=HYPERLINK"), "{json}");
    }

    /// The streamed JSON is the document serde_json would print for the
    /// whole manifest at once.
    #[test]
    fn streamed_json_is_pretty_json() {
        #[derive(Serialize)]
        struct Whole<'a> {
            date: &'a str,
            shard: Option<&'a str>,
            rows: &'a [ManifestRow],
            errors: &'a [InputError],
            packs: &'a [PackInfo],
            interrupted: bool,
        }
        let rows = [
            ManifestRow { id: "A".into(), ..ManifestRow::default() },
            ManifestRow { id: "B\n\"x\"".into(), ..ManifestRow::default() },
        ];
        let errors = [InputError::new(Path::new("c.yaml"), "bad")];
        let packs = [PackInfo {
            file: "pack-courrier.pdf".into(),
            channel: "courrier".into(),
            pages: 2,
            sha256: "00".into(),
            letters: vec![],
        }];
        for n in [0, 1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let sink = Folder(dir.path().to_path_buf());
            let mut m = ManifestWriter::new(&sink, "2026-11-22", Some("1/2")).unwrap();
            for r in &rows[..n] {
                m.push(r);
            }
            let (e, p) = if n == 0 { (&errors[..0], &packs[..0]) } else { (&errors[..], &packs[..]) };
            m.finish(e, p, n == 1).unwrap();
            let whole = Whole {
                date: "2026-11-22",
                shard: Some("1/2"),
                rows: &rows[..n],
                errors: e,
                packs: p,
                interrupted: n == 1,
            };
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            assert_eq!(std::fs::read_to_string(dir.path().join("manifest.json")).unwrap(), want);
        }
    }

    #[test]
    fn an_unfinished_manifest_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Folder(dir.path().to_path_buf());
        let mut m = ManifestWriter::new(&sink, "2026-11-22", None).unwrap();
        m.push(&ManifestRow::default());
        drop(m);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
