//! A template with a broken Typst expression: the error names the level's
//! template and its line, shows the generated markup's line with the
//! offending text underlined, and gives Typst's message and hints; the
//! other cases are still built.

use crate::util::*;

/// The fixture cases in `cases/` and a starter folder (with its copy of the
/// templates) in `starter/`.
fn starter() -> Dir {
    let dir = Dir::new();
    copy_fixtures(&dir.join("cases"));
    dir.relance(["init", "starter"]).expect_code(0);
    dir
}

/// A starter folder whose `formelle.typ.j2` calls a function Typst does not
/// have, on a line of its own.
fn broken_templates() -> Dir {
    let dir = starter();
    dir.edit("starter/letter-templates/formelle.typ.j2", |t| {
        t.replacen("{% block body %}\n", "{% block body %}\n#nosuchfunction(\"x\");\n", 1)
    });
    dir
}

#[test]
fn a_broken_typst_call_is_reported_at_its_template_line_with_the_markup_underlined() {
    let dir = broken_templates();
    let template_line = std::fs::read_to_string(dir.join("starter/letter-templates/formelle.typ.j2"))
        .unwrap()
        .lines()
        .position(|l| l.contains("#nosuchfunction"))
        .unwrap()
        + 1;
    let out = dir
        .relance(["build", "cases", "--date", RUN_DATE, "--out", "out", "--templates", "starter/letter-templates"])
        .expect_code(1);
    let err = out.stderr();
    // The one-line error, as in the manifest: case file, template and line,
    // place in the generated markup, Typst's message.
    let first = err.lines().find(|l| l.contains("nosuchfunction")).expect("an error line");
    assert!(first.starts_with("error: cases/dupont.yaml: "), "{err}");
    assert!(first.contains(&format!("formelle.typ.j2:{template_line}: rendered letter:")), "{err}");
    assert!(first.ends_with("unknown variable: nosuchfunction"), "{err}");
    // Then the markup line, underlined, with the template named.
    assert!(
        err.contains(&format!(
            "note: in formelle.typ.j2, from formelle.typ.j2 line {template_line}: unknown variable: nosuchfunction"
        )),
        "{err}"
    );
    assert!(err.contains("#nosuchfunction(\"x\")"), "{err}");
    let underline = err.lines().find(|l| l.contains("^^^^")).expect("an underline");
    assert_eq!(
        underline.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '|').trim(),
        "^".repeat("nosuchfunction".len()),
        "{err}"
    );
    // The other letters are built.
    assert!(dir.pdf_text("out/letters/MOREAU-003-avertissement.pdf").contains("Mme Léa Moreau"));
    assert!(!dir.join("out/letters/DUPONT-001-formelle.pdf").exists());
    let manifest = std::fs::read_to_string(dir.join("out/manifest.csv")).unwrap();
    assert!(manifest.contains(&format!("formelle.typ.j2:{template_line}: rendered letter:")), "{manifest}");
}

#[test]
fn a_typst_error_with_hints_prints_them() {
    let dir = starter();
    // `foo-bar` reads as one name; Typst hints at a subtraction.
    dir.edit("starter/letter-templates/formelle.typ.j2", |t| {
        t.replacen("{% block body %}\n", "{% block body %}\n#foo-bar;\n", 1)
    });
    let out = dir
        .relance(["build", "cases", "--date", RUN_DATE, "--out", "out", "--templates", "starter/letter-templates"])
        .expect_code(1);
    let err = out.stderr();
    let hint = "if you meant to use subtraction, try adding spaces around the minus sign: `foo - bar`";
    assert!(err.contains(&format!("unknown variable: foo-bar (hint: {hint})")), "{err}");
    assert!(err.lines().any(|l| l == format!("help: {hint}")), "{err}");
}
