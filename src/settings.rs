//! What a run was asked to do, parsed once from the command line and passed
//! by reference to every stage: the date, a forced level, drafts, threads,
//! the shard, and how to stop early.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Instant;

use chrono::NaiveDate;

use crate::atomic::sha256_hex;
use crate::case::Level;

/// The settings of one run of `build`, `plan`, `explain` or `check`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The run date (`--date`): what is owed and what is due are computed
    /// at this date, and it is the date of the letters. Nothing in a run
    /// reads the clock.
    pub date: NaiveDate,
    /// `--level`: force this level for every case that owes something.
    pub forced: Option<Level>,
    /// `--draft`: PROJET watermark, for a lawyer's review.
    pub draft: bool,
    /// Typesetting threads (`--jobs`); 0 or 1 builds on one thread.
    pub jobs: usize,
    /// Show a progress bar (on a terminal, not in CI).
    pub progress: bool,
    /// `--shard K/N`: only this share of the cases.
    pub shard: Option<Shard>,
    /// Set (by a Ctrl-C handler) to stop after the case being built.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Where the run says which letter each thread is typesetting, for a
    /// watchdog that stops a template running out of time or memory.
    pub activity: Option<Arc<Activity>>,
    /// The journal read before the run: the history of each case. `None`:
    /// only the YAML `letters:` count.
    pub journal: Option<Arc<crate::journal::Journal>>,
    /// Record what the run issues in the journal (not for `--draft`,
    /// `--no-record`, `plan`).
    pub record: bool,
    /// `--force`: build a case even when the journal has a letter dated
    /// after the run date.
    pub force: bool,
    /// How the run's CSV files are written (`csv:` of relance.yaml, or
    /// `--csv-sep`, `--csv-bom`, `--decimal-comma`).
    pub csv: crate::csv_out::CsvFormat,
    /// How print packs are made (`--pack-mode`, for the benchmark).
    pub pack_mode: PackMode,
    /// Most letters typeset together in one Typst compile (`--batch`; 1:
    /// one compile per letter, the way before batches, for the benchmark).
    /// A letter's bytes do not depend on it.
    pub batch: usize,
}

/// Letters typeset together by default: one. Batches of 4 to 32 letters
/// were measured on 1,000 cases (README, Speed) and with 2 threads they
/// were no faster, for 10 to 170 MiB more memory: Typst 0.15 spends its
/// time on each letter's own layout and PDF, little on what a batch
/// shares. `--batch N` keeps the way open.
pub const BATCH: usize = 1;

/// How print packs are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PackMode {
    /// A Typst document embedding the letters' pages as PDF images (the
    /// way relance makes its packs).
    #[default]
    Typeset,
    /// The letters' pages copied as they are with lopdf: an attempt to
    /// save the second typesetting, kept for the benchmark; measured
    /// slower (README, Speed).
    Pages,
}

/// What each typesetting thread is doing: the case and template of the
/// letter it is making, since when. Read by the command line's watchdog.
#[derive(Debug, Default)]
pub struct Activity {
    busy: Mutex<HashMap<ThreadId, Busy>>,
}

/// Letters being made together, since when.
#[derive(Debug, Clone)]
pub struct Busy {
    /// Each letter's case file and level template.
    pub letters: Vec<(PathBuf, String)>,
    /// When they started.
    pub since: Instant,
}

impl Activity {
    /// This thread starts typesetting `letters` (case file, template); it
    /// is done when the guard is dropped.
    pub fn start(&self, letters: Vec<(PathBuf, String)>) -> ActivityGuard<'_> {
        let busy = Busy { letters, since: Instant::now() };
        self.busy.lock().unwrap_or_else(|e| e.into_inner()).insert(std::thread::current().id(), busy);
        ActivityGuard { activity: self }
    }

    /// The batches of letters being made now, oldest first.
    pub fn now(&self) -> Vec<Busy> {
        let mut all: Vec<Busy> = self.busy.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        all.sort_by_key(|b| b.since);
        all
    }
}

/// Ends a letter's entry in the [`Activity`].
pub struct ActivityGuard<'a> {
    activity: &'a Activity,
}

impl Drop for ActivityGuard<'_> {
    fn drop(&mut self) {
        self.activity.busy.lock().unwrap_or_else(|e| e.into_inner()).remove(&std::thread::current().id());
    }
}

impl Settings {
    /// A run at `date` with every other setting at its default: no forced
    /// level, no draft, one thread, no progress bar, every case.
    pub fn new(date: NaiveDate) -> Settings {
        Settings {
            date,
            forced: None,
            draft: false,
            jobs: 1,
            progress: false,
            shard: None,
            cancel: None,
            activity: None,
            journal: None,
            record: false,
            force: false,
            csv: crate::csv_out::CsvFormat::default(),
            pack_mode: PackMode::default(),
            batch: BATCH,
        }
    }

    /// Whether the run was asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
    }
}

/// `--shard K/N`: this run builds only the cases whose id hashes to K
/// (0 ≤ K < N), so that N machines share a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, from 0.
    pub index: u64,
    /// N, at least 1.
    pub count: u64,
}

/// A `--shard` value that is not `K/N` with 0 ≤ K < N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "« {0} » n'est pas une part du lot ; attendu : K/N avec 0 ≤ K < N ≤ 10000, p. ex. 0/4 (comme un indice de Job Kubernetes)"
)]
pub struct ShardError(pub String);

impl Shard {
    /// Reads `K/N`.
    pub fn parse(text: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError(text.to_string());
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count || count > 10_000 {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Stable across runs, machines and Rust versions: SHA-256 of the key.
    pub fn contains(&self, key: &str) -> bool {
        let digest = sha256_hex(key.as_bytes());
        let n = u64::from_str_radix(&digest[..16], 16).expect("hex");
        n % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_ids() {
        let ids: Vec<String> = (0..1000).map(|i| format!("CASE-{i:04}")).collect();
        let shards: Vec<Shard> = (0..4).map(|k| Shard { index: k, count: 4 }).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1, "{id}");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| ids.iter().filter(|id| s.contains(id)).count()).collect();
        assert!(sizes.iter().all(|n| (200..300).contains(n)), "{sizes:?}");
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").unwrap_err().to_string().contains("0 ≤ K < N"));
        assert!(Shard::parse("x").is_err());
        assert!(Shard::parse("0/0").is_err());
    }
}
