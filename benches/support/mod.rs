//! What the benchmarks share: running a command and reading its cost.

use std::process::Command;
use std::time::Instant;

/// Runs a command; returns (wall seconds, peak RSS in MiB) of that process.
pub(crate) fn run(cmd: &mut Command) -> (f64, f64) {
    let (wall, rss, _) = run_with_user(cmd);
    (wall, rss)
}

/// Runs a command; returns (wall seconds, peak RSS in MiB, user CPU
/// seconds) of that process.
// The child is reaped by wait4, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
pub(crate) fn run_with_user(cmd: &mut Command) -> (f64, f64, f64) {
    let start = Instant::now();
    let child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child and fills `usage`.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "relance failed: {status}");
    let user = usage.ru_utime.tv_sec as f64 + usage.ru_utime.tv_usec as f64 / 1e6;
    (secs, usage.ru_maxrss as f64 / 1024.0, user)
}

/// The median of some measures.
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
