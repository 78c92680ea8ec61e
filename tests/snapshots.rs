//! What people read, kept as reviewed snapshots (`tests/snapshots/`): the
//! text of every fixture letter, `plan` and `explain` output, and what
//! `check` says of a template that lost a mention. A change in wording or
//! figures shows up as a diff to review (`cargo insta review`, or
//! `INSTA_UPDATE=always cargo test` then `git diff`).

use crate::util::*;

/// pdftotext's reading of a PDF, line by line, trailing spaces trimmed.
fn layout_text(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8(out.stdout).unwrap().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

#[test]
fn fixture_letters() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(0);
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out/letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6);
    for name in names {
        let text = layout_text(&dir.join("out/letters").join(&name));
        insta::assert_snapshot!(format!("letter-{}", name.trim_end_matches(".pdf")), text);
    }
}

#[test]
fn plan_table() {
    let dir = Dir::with_fixtures();
    let out = dir.relance(["plan", ".", "--date", RUN_DATE]).expect_code(0);
    insta::assert_snapshot!("plan", out.stdout());
}

#[test]
fn explain_every_case() {
    let dir = Dir::with_fixtures();
    let out = dir.relance(["explain", ".", "--date", RUN_DATE]).expect_code(0);
    insta::assert_snapshot!("explain", out.stdout());
}

#[test]
fn check_of_a_template_without_its_subject() {
    let dir = Dir::new();
    dir.relance(["init", "starter"]).expect_code(0);
    dir.edit("starter/letter-templates/avertissement.typ.j2", |t| {
        t.replace("{{ invoice_numbers }}", "").replace("mise en demeure", "courrier")
    });
    let out = dir.relance(["check", "--date", RUN_DATE, "--templates", "starter/letter-templates"]).expect_code(1);
    insta::assert_snapshot!("check-avertissement", format!("{}\n--- stderr ---\n{}", out.stdout(), out.stderr()));
}
