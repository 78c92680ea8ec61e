//! Faults of an unattended run: an output that cannot be written, a full
//! disk, Ctrl-C in the middle. Never a half-written file; the manifest says
//! what was built; a rerun completes the rest.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

use crate::util::*;
use relance::pack::Sink;

/// Every PDF under `dir` opens: none is cut short.
fn assert_pdfs_complete(dir: &Path) {
    for e in walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if e.path().extension().is_some_and(|x| x == "pdf") {
            lopdf::Document::load(e.path())
                .unwrap_or_else(|err| panic!("{} is not a whole PDF: {err}", e.path().display()));
        }
    }
}

#[test]
fn an_output_that_is_not_a_folder_stops_the_run_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(&out, "a file, not a folder").unwrap();
    let o = build(&fixtures(), &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("error: écriture impossible dans {}", out.display())), "{}", stderr(&o));
}

/// A sink that fails like a full disk once `budget` bytes are written; a
/// full disk stays full, small files included.
struct FullDisk {
    root: PathBuf,
    budget: usize,
    written: Mutex<Vec<(PathBuf, usize)>>,
}

impl Sink for FullDisk {
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut w = self.written.lock().unwrap();
        let used: usize = w.iter().map(|(_, n)| n).sum();
        if used + bytes.len() > self.budget || w.iter().any(|(p, _)| p.as_os_str().is_empty()) {
            w.push((PathBuf::new(), 0)); // remember that the disk is full
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        w.push((rel.to_path_buf(), bytes.len()));
        Ok(())
    }

    fn root(&self) -> &Path {
        &self.root
    }
}

fn session() -> relance::Session {
    relance::Session::open(&fixtures().join("relance.yaml"), None, None).unwrap()
}

#[test]
fn a_full_disk_fails_the_cases_it_hits_and_says_so() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    // Room for about three letters.
    let sink = FullDisk { root: PathBuf::from("out"), budget: 150_000, written: Mutex::new(Vec::new()) };
    let result = relance::run::build_to(&session(), &fixtures(), &sink, &relance::Settings::new(date));
    let err = result.expect_err("the manifest cannot be written either");
    assert_eq!(err.raw_os_error(), Some(28));
    let written: Vec<_> =
        sink.written.lock().unwrap().iter().filter(|(p, _)| !p.as_os_str().is_empty()).cloned().collect();
    assert!(!written.is_empty() && written.len() < 6, "{written:?}");
    // With room for the manifest only at the end: every failed case is listed.
    let sink = FullDisk { root: PathBuf::from("out"), budget: 150_000, written: Mutex::new(Vec::new()) };
    struct Partial<'a>(&'a FullDisk);
    impl Sink for Partial<'_> {
        fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
            if rel.starts_with("manifest.csv") || rel.starts_with("manifest.json") {
                return Ok(());
            }
            self.0.write(rel, bytes)
        }
        fn root(&self) -> &Path {
            self.0.root()
        }
    }
    let report =
        relance::run::build_to(&session(), &fixtures(), &Partial(&sink), &relance::Settings::new(date)).unwrap();
    let failed: Vec<_> = report.failures.iter().filter(|r| r.status == relance::pack::Status::Error).collect();
    assert!(!failed.is_empty());
    for r in &failed {
        assert!(r.error.contains("No space left on device") && r.error.starts_with("writing "), "{}", r.error);
        assert!(r.file.is_empty() && r.sha256.is_empty(), "a failed letter is not listed as built");
    }
    assert_eq!(report.letters + failed.len(), 6);
}

/// Records what a run asks of its output, in order.
struct Journal {
    root: PathBuf,
    events: Mutex<Vec<String>>,
}

impl Sink for Journal {
    fn write(&self, rel: &Path, _bytes: &[u8]) -> std::io::Result<()> {
        self.events.lock().unwrap().push(rel.display().to_string());
        Ok(())
    }
    fn root(&self) -> &Path {
        &self.root
    }
    fn sync(&self) -> std::io::Result<()> {
        self.events.lock().unwrap().push("<sync>".into());
        Ok(())
    }
}

/// Files are not flushed one by one but all at once, and that flush comes
/// after the last letter, e-mail and pack, and before the manifest: once the
/// manifest exists, everything it lists is on disk.
#[test]
fn every_file_is_flushed_before_the_manifest_and_the_manifest_after() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let sink = Journal { root: PathBuf::from("out"), events: Mutex::new(Vec::new()) };
    relance::run::build_to(&session(), &fixtures(), &sink, &relance::Settings::new(date)).unwrap();
    let events = sink.events.into_inner().unwrap();
    let first_manifest = events.iter().position(|e| e.starts_with("manifest.")).expect("a manifest");
    let syncs: Vec<usize> = events.iter().enumerate().filter(|(_, e)| *e == "<sync>").map(|(i, _)| i).collect();
    assert_eq!(syncs.len(), 2, "{events:?}");
    assert_eq!(syncs[0], first_manifest - 1, "flush just before the manifest: {events:?}");
    assert_eq!(syncs[1], events.len() - 1, "and once more after it: {events:?}");
    // (This sink cannot read letters back, so no pack is made here.)
    assert!(
        events[..syncs[0]].iter().any(|e| e.starts_with("letters/"))
            && events[..syncs[0]].iter().any(|e| e.starts_with("emails/")),
        "{events:?}"
    );
}

#[test]
fn a_real_full_disk_leaves_only_whole_files() {
    // A 200 KiB tmpfs: needs root and mount rights (CI has them; a laptop
    // may not, where the injected sink above still runs).
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=200k", "tmpfs"])
        .arg(&mnt)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    let o = build(&fixtures(), &mnt.join("out"), &[]);
    let leftovers = temporaries(&mnt);
    assert_pdfs_complete(&mnt);
    let listing: Vec<_> = walkdir::WalkDir::new(&mnt)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().display().to_string())
        .collect();
    let _ = std::process::Command::new("umount").arg(&mnt).status();
    assert!(leftovers.is_empty(), "half-written files left: {leftovers:?}");
    assert!(matches!(o.status.code(), Some(1) | Some(2)), "{}", stderr(&o));
    assert!(stderr(&o).contains("No space left on device"), "{}\n{listing:?}", stderr(&o));
}

#[test]
fn ctrl_c_stops_cleanly_and_a_rerun_completes() {
    stops_cleanly_on("-INT", 130);
}

/// What systemd and Kubernetes send to stop a job: the same clean stop,
/// with the exit code of SIGTERM.
#[test]
fn sigterm_stops_cleanly_and_a_rerun_completes() {
    stops_cleanly_on("-TERM", 143);
}

/// Sends `signal` to a run of 500 letters once 5 are written: the letters
/// written are whole, the manifest lists exactly them, no temporary file is
/// left, the exit code is `code`; the rerun builds everything.
fn stops_cleanly_on(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml")).unwrap();
    let template = std::fs::read_to_string(fixtures().join("moreau.yaml")).unwrap();
    let n = 500;
    for i in 0..n {
        std::fs::write(
            dir.path().join(format!("c{i:03}.yaml")),
            template.replace("MOREAU-003", &format!("MOREAU-{i:03}")),
        )
        .unwrap();
    }
    let out = dir.path().join("out");
    let child = relance()
        .arg("build")
        .arg(dir.path())
        .args(["--date", RUN_DATE, "--out"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until some letters are written (in the run's fresh folder, put
    // in place of `out` at the end), then interrupt.
    let letters = dir.path().join("out.relance-new/letters");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(&letters).map(|d| d.count()).unwrap_or(0) < 5 {
        assert!(std::time::Instant::now() < deadline, "no letter after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains("relancez la même commande"), "{err}");
    assert!(temporaries(&out).is_empty());
    assert!(!dir.path().join("out.relance-new").exists(), "what was built is in out");
    let letters = out.join("letters");
    assert_pdfs_complete(&out);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["interrupted"], true);
    let rows = manifest["rows"].as_array().unwrap();
    let on_disk = std::fs::read_dir(&letters).unwrap().count();
    assert!(rows.len() < n, "stopped before the end");
    assert_eq!(rows.len(), on_disk, "the manifest lists exactly what was built");
    for r in rows {
        let pdf = std::fs::read(out.join(r["file"].as_str().unwrap())).unwrap();
        assert_eq!(r["sha256"].as_str().unwrap(), relance::atomic::sha256_hex(&pdf));
    }
    // The rerun builds everything.
    let o = build(dir.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&letters).unwrap().count(), n);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["interrupted"], false);
    assert_eq!(manifest["rows"].as_array().unwrap().len(), n);
}

/// A sink whose write of one letter panics: a bug in the middle of a case,
/// which no input can provoke any more.
struct PanicsOn {
    root: PathBuf,
    letter: &'static str,
    written: Mutex<Vec<PathBuf>>,
}

impl Sink for PanicsOn {
    fn write(&self, rel: &Path, _bytes: &[u8]) -> std::io::Result<()> {
        if rel.ends_with(self.letter) {
            panic!("injected fault writing {}", rel.display());
        }
        self.written.lock().unwrap().push(rel.to_path_buf());
        Ok(())
    }

    fn root(&self) -> &Path {
        &self.root
    }
}

#[test]
fn a_panic_in_one_case_is_that_case_s_error_and_the_others_are_built() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let sink = PanicsOn { root: PathBuf::from("out"), letter: "DUPONT-001-formelle.pdf", written: Mutex::new(vec![]) };
    let mut settings = relance::Settings::new(date);
    settings.jobs = 2;
    let report = relance::run::build_to(&session(), &fixtures(), &sink, &settings).unwrap();
    assert_eq!(report.failed, 1, "{:?}", report.errors);
    let error = report.errors.iter().map(ToString::to_string).find(|e| e.contains("dupont.yaml")).unwrap();
    assert!(
        error.contains("erreur interne de relance (injected fault writing letters/DUPONT-001-formelle.pdf)"),
        "{error}"
    );
    assert_eq!(report.letters, 5, "the other letters are built");
    let written = sink.written.into_inner().unwrap();
    assert!(written.iter().any(|p| p.ends_with("MOREAU-003-avertissement.pdf")), "{written:?}");
    assert!(written.iter().any(|p| p.ends_with("manifest.csv")), "the manifest is written");
}
