//! The hostile corpus: every file of `fixtures/bad/` is one test.
//!
//! `NAME.yaml` is put beside the fixtures' config and a good case (or, for
//! `config-*.yaml`, used as the config) and `relance build` is run; `NAME.err`
//! holds the exact error line(s) it must print (file, line, column, field,
//! what would be valid), or `OK` for a file that must be accepted. A bad case
//! must not stop the good one: its letter is still built and the run exits 1.
//! A bad config stops everything: exit 2, nothing written. The whole of
//! stderr is also kept as a snapshot (`fixtures/bad/snapshots/`).

#[allow(dead_code)] // the suite's driver; this harness uses a part of it
mod util;

use std::path::Path;

use util::*;

fn hostile(path: &Path) -> datatest_stable::Result<()> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let expected = std::fs::read_to_string(path.with_extension("err"))
        .map_err(|e| format!("{}: missing expectation file: {e}", path.with_extension("err").display()))?;
    let dir = tempfile::tempdir()?;
    let is_config = name.starts_with("config-");
    copy_tree(&fixtures().join("invoices"), &dir.path().join("invoices"));
    std::fs::copy(fixtures().join("dupont.yaml"), dir.path().join("dupont.yaml"))?;
    if is_config {
        std::fs::copy(path, dir.path().join("relance.yaml"))?;
    } else {
        std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml"))?;
        std::fs::copy(path, dir.path().join(&name))?;
    }
    let out_dir = dir.path().join("out");
    let started = std::time::Instant::now();
    let out = build(dir.path(), &out_dir, &[]);
    let elapsed = started.elapsed();
    // Not a speed test: a guard against a parser that loops or blows up.
    assert!(elapsed.as_secs() < 60, "{name}: took {elapsed:?}");
    let prefix = format!("{}/", dir.path().display());
    let err = stderr(&out).replace(&prefix, "");
    // The whole of what the clerk reads, reviewed like code.
    insta::with_settings!({ snapshot_path => "../fixtures/bad/snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name.trim_end_matches(".yaml"), err);
    });
    if expected.trim() == "OK" {
        assert_eq!(out.status.code(), Some(0), "{name} must be accepted:\n{err}");
        let manifest = std::fs::read_to_string(out_dir.join("manifest.csv"))?;
        assert!(manifest.contains("BAD-1"), "{name}: the case is in the manifest");
        return Ok(());
    }
    for line in expected.lines().filter(|l| !l.trim().is_empty()) {
        assert!(err.lines().any(|l| l == format!("error: {line}")), "{name}: expected\n  error: {line}\ngot\n{err}");
    }
    if is_config {
        assert_eq!(out.status.code(), Some(2), "{name}: a bad config is a usage error\n{err}");
        assert!(!out_dir.exists(), "{name}: nothing is written on a config error");
    } else {
        assert_eq!(out.status.code(), Some(1), "{name}: some cases failed → exit 1\n{err}");
        assert!(out_dir.join("letters/DUPONT-001-formelle.pdf").exists(), "{name}: the good case is still built");
        let manifest = std::fs::read_to_string(out_dir.join("manifest.csv"))?;
        assert!(manifest.contains(&format!("{name}:")), "{name}: the manifest lists the error");
        let leftovers: Vec<_> = walkdir::WalkDir::new(&out_dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".relance-"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: temporary files left: {leftovers:?}");
    }
    Ok(())
}

/// Checks a run's outcome against `NAME.err`: its first line `exit N`,
/// then the error lines the run must print (without `error: `); and keeps
/// the whole stderr as a snapshot beside the file.
fn expect(path: &Path, code: Option<i32>, err: &str) -> datatest_stable::Result<()> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let expected = std::fs::read_to_string(path.with_extension("err"))?;
    let mut lines = expected.lines();
    let want: i32 =
        lines.next().and_then(|l| l.strip_prefix("exit ")).and_then(|n| n.parse().ok()).ok_or("first line: exit N")?;
    // insta reads a relative snapshot path from tests/.
    let snapshots = Path::new("..").join(path.parent().unwrap()).join("snapshots");
    insta::with_settings!({ snapshot_path => snapshots, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name.clone(), err);
    });
    assert_eq!(code, Some(want), "{name}: exit code\n{err}");
    for line in lines.filter(|l| !l.trim().is_empty()) {
        assert!(err.lines().any(|l| l == format!("error: {line}")), "{name}: expected\n  error: {line}\ngot\n{err}");
    }
    Ok(())
}

/// A hostile journal file (`fixtures/bad/journal/`) in the journal of the
/// fixtures, then a build.
fn hostile_journal(path: &Path) -> datatest_stable::Result<()> {
    let dir = tempfile::tempdir()?;
    copy_fixtures(dir.path());
    std::fs::create_dir_all(dir.path().join("journal"))?;
    std::fs::copy(path, dir.path().join("journal").join(path.file_name().unwrap()))?;
    let out = relance().current_dir(dir.path()).args(["build", ".", "--date", RUN_DATE, "--out", "out"]).output()?;
    expect(path, out.status.code(), &stderr(&out))
}

/// A hostile deposit list (`fixtures/bad/deposit/`) given to `record`
/// after a build of the fixtures.
fn hostile_deposit(path: &Path) -> datatest_stable::Result<()> {
    let dir = tempfile::tempdir()?;
    copy_fixtures(dir.path());
    let built = relance().current_dir(dir.path()).args(["build", ".", "--date", RUN_DATE, "--out", "out"]).output()?;
    assert_eq!(built.status.code(), Some(0), "{}", stderr(&built));
    std::fs::copy(path, dir.path().join("depot.csv"))?;
    let out = relance().current_dir(dir.path()).args(["record", ".", "depot.csv", "--date", "2026-11-25"]).output()?;
    expect(path, out.status.code(), &stderr(&out))
}

datatest_stable::harness! {
    { test = hostile, root = "fixtures/bad", pattern = r"^[^/]*\.yaml$" },
    { test = hostile_journal, root = "fixtures/bad/journal", pattern = r"\.jsonl$" },
    { test = hostile_deposit, root = "fixtures/bad/deposit", pattern = r"\.csv$" },
}
