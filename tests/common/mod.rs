//! Helpers for the integration tests: run the real binary, read the PDFs
//! back as text the way a person would read them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const RUN_DATE: &str = "2026-11-22";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("fixtures/cases")
}

pub fn relance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_relance"))
}

/// `relance build CASES --date 2026-11-22 --out OUT [extra…]`.
pub fn build(cases: &Path, out: &Path, extra: &[&str]) -> Output {
    relance()
        .arg("build")
        .arg(cases)
        .args(["--date", RUN_DATE, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("run relance")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The text of a PDF as pdftotext (poppler-utils) extracts it in reading
/// layout (a table row stays on one line), with every run of white space
/// (spaces, no-break spaces, line ends) folded into one space, so that
/// assertions do not depend on where lines break. Apostrophes are kept as
/// printed: templates print typographic ’, data prints its own '.
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext not found: install poppler-utils (see README)");
    assert!(out.status.success(), "pdftotext failed on {}: {}", pdf.display(), stderr(&out));
    fold(&String::from_utf8(out.stdout).expect("UTF-8 from pdftotext"))
}

pub fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202F}' || c == '\u{A0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that every needle (whitespace-folded) is in the haystack.
#[track_caller]
pub fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        let n = fold(n);
        assert!(text.contains(&n), "missing {n:?} in:\n{text}");
    }
}

/// Copies the fixture cases (and their invoice copies) into `dir`.
pub fn copy_fixtures(dir: &Path) {
    copy_tree(&fixtures(), dir);
}

/// Copies a folder recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub fn page_count(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap())).expect("Pages: line")
}
