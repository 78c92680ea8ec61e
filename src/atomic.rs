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
