//! Where a run's files go: a [`Sink`], on disk a [`Folder`]. Every file is
//! written whole or not at all (see [`crate::atomic`]).
//!
//! A run's files are flushed to the disk together, once, just before the
//! manifest (see [`Sink::sync`]) rather than one `fsync` per file: the
//! manifest is the record of the run, so once it exists everything it lists
//! is on disk, even after a power cut; before it exists, the run is simply
//! run again (its output is the same, byte for byte).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic::{Flush, persist, temporary_beside, write_whole};

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
