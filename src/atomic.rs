//! Whole files or none: every file relance writes goes to a temporary name
//! beside its destination and is renamed into place, so a crash or a failed
//! case never leaves a half-written file. A leaf module: it imports nothing
//! of the pipeline.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `bytes` to `path` atomically: temporary file in the same folder,
/// flushed to disk, then renamed over the destination.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_whole(path, bytes, Flush::Now)
}

/// Temporary file beside `path`, `bytes` written, flushed as asked, renamed.
pub(crate) fn write_whole(path: &Path, bytes: &[u8], flush: Flush) -> std::io::Result<()> {
    let mut tmp = temporary_beside(path)?;
    tmp.write_all(bytes)?;
    persist(tmp, path, flush)
}

/// A temporary file (`.relance-*.tmp`) in the folder of `path`, created if
/// missing, so that the final rename stays on one file system.
pub(crate) fn temporary_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new().prefix(TEMP_PREFIX).suffix(TEMP_SUFFIX).tempfile_in(dir)
}

const TEMP_PREFIX: &str = ".relance-";
const TEMP_SUFFIX: &str = ".tmp";

/// Removes from `dir` the temporary files ([`temporary_beside`]) a killed
/// writer left; how many. A folder that does not exist has none.
pub(crate) fn remove_temporaries(dir: &Path) -> std::io::Result<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(0) };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// When a file's bytes must reach the disk.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Flush {
    /// Before it is renamed into place (a file written on its own).
    Now,
    /// With the rest of the run, by [`Sink::sync`].
    WithTheRun,
}

/// Makes a finished temporary file readable by the back office, flushes it
/// to disk if asked, and renames it over `path`.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path, flush: Flush) -> std::io::Result<()> {
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

/// Flushes a folder's entries (a file renamed into it) to disk.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// SHA-256 of `bytes` as lower-case hexadecimal.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
    fn sha256_of_known_input() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

/// An output folder written as a whole: a run writes into a fresh folder
/// beside it (`<out>.relance-new`), then [`Output::commit`] puts that in
/// place of the previous output, so that `out` holds exactly what one run
/// produced — never yesterday's pack beside today's letters.
#[derive(Debug)]
pub struct Output {
    /// Where the run writes.
    pub staging: std::path::PathBuf,
    out: std::path::PathBuf,
}

/// The files that mark a folder as the output of a relance run.
const OUTPUT_MARKS: [&str; 2] = ["manifest.json", "contentieux.json"];

fn sibling(out: &Path, suffix: &str) -> std::io::Result<std::path::PathBuf> {
    let absolute = std::path::absolute(out)?;
    let name = absolute.file_name().ok_or_else(|| {
        std::io::Error::other(format!(
            "{} : donnez un dossier de sortie nommé, p. ex. --out sorties/jour",
            out.display()
        ))
    })?;
    let mut name = name.to_os_string();
    name.push(suffix);
    Ok(absolute.with_file_name(name))
}

impl Output {
    /// Prepares the run's output `out`: refuses a folder that holds files
    /// but is not a previous output of relance; puts back a previous output
    /// left aside by a run killed while swapping; clears what a killed run
    /// left half-written; creates the fresh folder to write into.
    pub fn prepare(out: &Path) -> std::io::Result<Output> {
        let staging = sibling(out, ".relance-new")?;
        let old = sibling(out, ".relance-old")?;
        if !out.exists() && old.is_dir() {
            std::fs::rename(&old, out)?;
        }
        if out.exists() {
            if !out.is_dir() {
                return Err(std::io::Error::other(format!(
                    "{} existe et n'est pas un dossier ; attendu : un dossier de sortie (nouveau, vide, ou une production précédente de relance)",
                    out.display()
                )));
            }
            let mut entries = std::fs::read_dir(out)?;
            let empty = entries.next().is_none();
            let previous = OUTPUT_MARKS.iter().any(|m| out.join(m).is_file());
            if !empty && !previous {
                return Err(std::io::Error::other(format!(
                    "{} n'est pas vide et n'est pas une production de relance (pas de manifest.json) ; rien n'y est écrit ; attendu : un dossier nouveau ou vide, ou la sortie d'une production précédente (remplacée en entier)",
                    out.display()
                )));
            }
        }
        for stale in [&staging, &old] {
            if stale.exists() {
                std::fs::remove_dir_all(stale)?;
            }
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Output { staging, out: out.to_path_buf() })
    }

    /// Puts the run's folder in place of the previous output, which is
    /// removed. Killed between the two renames, the next
    /// [`Output::prepare`] puts the previous output back.
    pub fn commit(self) -> std::io::Result<()> {
        let old = sibling(&self.out, ".relance-old")?;
        if self.out.exists() {
            std::fs::rename(&self.out, &old)?;
        }
        std::fs::rename(&self.staging, &self.out)?;
        if let Some(parent) = self.out.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}
