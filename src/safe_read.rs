//! Reading a file the clerk named: it must be what it claims, where it
//! claims. A regular file (not a FIFO, which would hang the run, nor a
//! device such as /dev/zero, which would fill the memory), of bounded size,
//! and when it must stay in a folder (an invoice copy beside its case), not
//! reached through a symbolic link that leads out of that folder (another
//! client's document, a system file). A leaf module.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file cannot be read. Messages in French: they are about the
/// clerk's files.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The system refused (missing file, no permission…).
    #[error("{}", io_fr(.0))]
    Io(#[from] std::io::Error),
    /// Not a regular file.
    #[error("ce n'est pas un fichier ordinaire mais {0} ; attendu : un fichier")]
    NotAFile(&'static str),
    /// Larger than allowed.
    #[error("fichier de {size} octets ; au plus {max} octets pour ce type de fichier")]
    TooLarge {
        /// Its size, or what was read before stopping.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A symbolic link (or `..`) that leads out of the folder.
    #[error("le chemin mène hors du dossier {} (vers {}) ; attendu : un fichier dans ce dossier, sans lien symbolique vers l'extérieur", folder.display(), target.display())]
    Outside {
        /// The folder it must stay in.
        folder: PathBuf,
        /// Where it leads.
        target: PathBuf,
    },
}

/// An I/O error as the clerk reads it.
fn io_fr(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
        std::io::ErrorKind::PermissionDenied => "accès refusé (droits du fichier)".to_string(),
        _ => format!("lecture impossible ({e})"),
    }
}

/// Reads `path` whole: a regular file of at most `max` bytes, and, when
/// `within` is given, one whose real path (links resolved) is inside that
/// folder.
pub fn read(path: &Path, max: u64, within: Option<&Path>) -> Result<Vec<u8>, ReadError> {
    if let Some(folder) = within {
        check_within(path, folder)?;
    }
    let file = open(path)?;
    let meta = file.metadata()?;
    let kind = kind_of(&meta.file_type());
    if let Some(kind) = kind {
        return Err(ReadError::NotAFile(kind));
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge { size: meta.len(), max });
    }
    // The size may change while reading: never read more than the limit.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { size: bytes.len() as u64, max });
    }
    Ok(bytes)
}

/// Whether the real path of `path` is inside `folder`.
pub fn check_within(path: &Path, folder: &Path) -> Result<(), ReadError> {
    let real = path.canonicalize()?;
    let root = folder.canonicalize()?;
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(ReadError::Outside { folder: folder.to_path_buf(), target: real })
    }
}

/// Opens without blocking on a FIFO and without making a terminal the
/// process's own; what it is is checked on the open file.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular file is, in French.
fn kind_of(t: &std::fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("un dossier");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("un tube nommé (FIFO)");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("un périphérique");
        }
        if t.is_socket() {
            return Some("une socket");
        }
    }
    Some("un fichier spécial")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_fifos_large_files_and_links_out() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read(Path::new("/dev/zero"), 1024, None), Err(ReadError::NotAFile("un périphérique"))));
        let fifo = dir.path().join("fifo.pdf");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string and mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read(&fifo, 1024, None), Err(ReadError::NotAFile("un tube nommé (FIFO)"))));
        let big = dir.path().join("big.pdf");
        std::fs::write(&big, vec![b'x'; 2048]).unwrap();
        assert!(matches!(read(&big, 1024, None), Err(ReadError::TooLarge { size: 2048, max: 1024 })));
        let inside = dir.path().join("case");
        std::fs::create_dir(&inside).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", inside.join("copy.pdf")).unwrap();
        let err = read(&inside.join("copy.pdf"), 1024, Some(&inside)).unwrap_err();
        assert!(err.to_string().contains("hors du dossier"), "{err}");
        std::fs::write(inside.join("ok.pdf"), b"%PDF").unwrap();
        assert_eq!(read(&inside.join("ok.pdf"), 1024, Some(&inside)).unwrap(), b"%PDF");
    }
}
