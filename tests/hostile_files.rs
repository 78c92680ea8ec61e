//! Hostile input that is not a YAML file: files that are not what they
//! claim (a FIFO, a link out of the folder), e-mails and CSVs built from
//! data that tries to add a header or a formula, templates that try to
//! exhaust the machine, leftovers of a killed run, a half-made `init`.

use std::time::{Duration, Instant};

use crate::util::*;

/// The fixtures with `dupont.yaml`'s invoice copy replaced by `make(path)`.
fn with_copy(make: impl FnOnce(&std::path::Path)) -> Dir {
    let dir = Dir::with_fixtures();
    let copy = dir.join("invoices/F-2026-0042.pdf");
    std::fs::remove_file(&copy).unwrap();
    make(&copy);
    dir
}

#[test]
fn an_invoice_copy_that_is_a_fifo_is_refused_without_hanging() {
    let dir = with_copy(|p| {
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string and mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    });
    let started = Instant::now();
    let out = dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(60), "the run hung on the FIFO");
    let err = out.stderr();
    assert!(
        err.contains("dupont.yaml:19:11: invoices[0].file: ./invoices/F-2026-0042.pdf : ce n'est pas un fichier ordinaire mais un tube nommé (FIFO)"),
        "{err}"
    );
    assert!(dir.join("out/letters/MOREAU-003-avertissement.pdf").exists(), "the other cases are built");
}

#[test]
fn an_invoice_copy_linked_to_another_clients_document_is_refused() {
    let other = Dir::new();
    other.write("secret.pdf", std::fs::read(fixtures().join("invoices/F-2026-0042.pdf")).unwrap());
    let target = other.join("secret.pdf");
    let dir = with_copy(|p| std::os::unix::fs::symlink(&target, p).unwrap());
    let out = dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(1);
    assert!(
        out.stderr().contains("invoices[0].file: ") && out.stderr().contains("le chemin mène hors du dossier"),
        "{}",
        out.stderr()
    );
    // Nothing of it went into a letter, an e-mail or a pack (the manifest
    // and the report name the error).
    for e in walkdir::WalkDir::new(dir.join("out")).into_iter().filter_map(Result::ok) {
        let name = e.file_name().to_string_lossy();
        if e.file_type().is_file() && !name.starts_with("manifest.") && name != "index.html" {
            let bytes = std::fs::read(e.path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("secret.pdf"), "{}", e.path().display());
        }
    }
}

#[test]
fn a_case_file_linked_from_outside_is_an_error_and_one_inside_is_followed() {
    let dir = Dir::with_fixtures();
    let elsewhere = Dir::new();
    elsewhere.write("x.yaml", std::fs::read(fixtures().join("moreau.yaml")).unwrap());
    std::os::unix::fs::symlink(elsewhere.join("x.yaml"), dir.join("linked-out.yaml")).unwrap();
    // Inside: a link to a copy kept in a sub-folder, with another id.
    let text = std::fs::read_to_string(fixtures().join("garnier.yaml")).unwrap().replace("GARNIER-005", "GARNIER-LINK");
    dir.write("archive/garnier-link.yaml", text);
    std::fs::rename(dir.join("archive/garnier-link.yaml"), dir.join("archive/target.txt")).unwrap();
    std::os::unix::fs::symlink(dir.join("archive/target.txt"), dir.join("linked-in.yaml")).unwrap();
    let out = dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(1);
    let err = out.stderr();
    assert!(err.contains("linked-out.yaml: lien symbolique refusé : le chemin mène hors du dossier"), "{err}");
    assert!(dir.join("out/letters/GARNIER-LINK-mise-en-demeure.pdf").exists(), "{err}");
}

#[test]
fn a_rates_file_that_is_a_fifo_stops_at_once_with_exit_2() {
    let dir = Dir::with_fixtures();
    let c = std::ffi::CString::new(dir.join("rates.csv").to_str().unwrap()).unwrap();
    // SAFETY: a valid C string and mode.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = dir.relance(["plan", ".", "--date", RUN_DATE, "--rates", "rates.csv"]).expect_code(2);
    assert!(
        out.stderr().contains("rates.csv: ce n'est pas un fichier ordinaire mais un tube nommé (FIFO)"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_missing_semester_is_reported_against_the_rates_file_given() {
    let dir = Dir::with_fixtures();
    dir.write("taux.csv", std::fs::read_to_string(root().join("data/rates.csv")).unwrap());
    let out = dir.relance(["explain", "dupont.yaml", "--date", RUN_DATE, "--rates", "taux.csv"]).expect_code(0);
    assert!(out.stdout().contains("pas de taux pour le semestre 2026-S2 dans taux.csv"), "{}", out.stdout());
    assert!(!out.stdout().contains("data/rates.csv :"), "{}", out.stdout());
}

#[test]
fn bidi_controls_reach_neither_the_email_nor_the_letter_nor_the_manifest() {
    let dir = Dir::with_fixtures();
    dir.edit("atelier-bleu.yaml", |t| t.replace("name: L'Atelier Bleu", "name: \"L'Atelier \\u202eeulB\\u202c\""));
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(0);
    let eml = std::fs::read(dir.join("out/emails/ATELIER-BLEU-002.eml")).unwrap();
    let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let to: Vec<_> = message.to().unwrap().iter().collect();
    assert_eq!(to.len(), 1, "one recipient");
    assert_eq!(to[0].name(), Some("L'Atelier eulB"));
    assert!(message.bcc().is_none() && message.cc().is_none());
    let body = message.body_text(0).unwrap();
    let bidi = |s: &str| s.chars().any(relance::text::is_bidi_control);
    assert!(!bidi(&body), "{body}");
    assert!(!bidi(&dir.pdf_text("out/letters/ATELIER-BLEU-002-amicale.pdf")));
    assert!(!bidi(&std::fs::read_to_string(dir.join("out/manifest.csv")).unwrap()));
    assert!(!bidi(&std::fs::read_to_string(dir.join("out/manifest.json")).unwrap()));
}

#[test]
fn the_deposit_list_csv_defuses_formulas() {
    let dir = Dir::with_fixtures();
    dir.edit("garnier.yaml", |t| t.replace("name: M. Émile Garnier-Lefèvre", "name: \"=HYPERLINK(\\\"http://x\\\")\""));
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(0);
    let csv = std::fs::read_to_string(dir.join("out/depot-lrar.csv")).unwrap();
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
}

#[test]
fn a_run_removes_what_a_killed_run_left() {
    let dir = Dir::with_fixtures();
    // Killed while writing: its fresh folder, half-made, beside the output.
    dir.write("out.relance-new/letters/.relance-AbC123.tmp", "half a letter");
    dir.write("out.relance-new/letters/DUPONT-001-formelle.pdf", "not a whole letter");
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(0);
    assert!(!dir.join("out.relance-new").exists());
    assert!(temporaries(&dir.join("out")).is_empty());
    assert!(dir.pdf_text("out/letters/DUPONT-001-formelle.pdf").contains("Seconde relance"));
    // Killed between the two renames of the swap: the previous output is
    // aside, the new one complete beside it; the next run puts the previous
    // one back, then replaces it as a whole.
    std::fs::rename(dir.join("out"), dir.join("out.relance-old")).unwrap();
    dir.write("out.relance-new/manifest.json", "{}");
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(0);
    assert!(!dir.join("out.relance-old").exists() && !dir.join("out.relance-new").exists());
    assert!(dir.join("out/pack-lrar.pdf").exists());
}

#[test]
fn each_run_leaves_in_its_output_exactly_what_it_produced() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out", "--no-record"]).expect_code(0);
    assert!(dir.join("out/pack-lrar.pdf").exists() && dir.join("out/depot-lrar.csv").exists());
    // Another day with no registered letter: yesterday's pack is gone.
    dir.edit("relance.yaml", |t| t.replace("channel: lrar,", "channel: courrier,"));
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out", "--no-record"]).expect_code(0);
    assert!(!dir.join("out/pack-lrar.pdf").exists(), "a previous day's pack left beside today's letters");
    assert!(!dir.join("out/depot-lrar.csv").exists());
    assert!(dir.join("out/pack-courrier.pdf").exists());
    // A folder with other files is never written into, nor emptied.
    dir.write("papiers/contrat.pdf", "someone's file");
    let out = dir.relance(["build", ".", "--date", RUN_DATE, "--out", "papiers", "--no-record"]).expect_code(2);
    assert!(
        out.stderr().contains("papiers n'est pas vide et n'est pas une production de relance (pas de manifest.json)"),
        "{}",
        out.stderr()
    );
    assert_eq!(std::fs::read_dir(dir.join("papiers")).unwrap().count(), 1);
    assert!(!dir.join("papiers.relance-new").exists());
    // An empty folder is fine.
    std::fs::create_dir(dir.join("vide")).unwrap();
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "vide", "--no-record"]).expect_code(0);
}

#[test]
fn init_completes_a_half_made_folder_and_refuses_to_overwrite() {
    let dir = Dir::new();
    dir.relance(["init", "s"]).expect_code(0);
    // As if killed half-way: some files missing.
    std::fs::remove_file(dir.join("s/cases/DUPONT-001.yaml")).unwrap();
    std::fs::remove_file(dir.join("s/letter-templates/amicale.typ.j2")).unwrap();
    dir.relance(["init", "s"]).expect_code(0);
    assert!(dir.join("s/cases/DUPONT-001.yaml").exists() && dir.join("s/letter-templates/amicale.typ.j2").exists());
    // A file of the clerk's own is never overwritten, and nothing is written.
    dir.write("s/relance.yaml", "# mine\n");
    std::fs::remove_file(dir.join("s/letter-templates/formelle.typ.j2")).unwrap();
    let out = dir.relance(["init", "s"]).expect_code(2);
    assert!(
        out.stderr().contains("s/relance.yaml existe déjà avec un autre contenu ; rien n'a été écrit"),
        "{}",
        out.stderr()
    );
    assert!(!dir.join("s/letter-templates/formelle.typ.j2").exists());
    assert_eq!(std::fs::read_to_string(dir.join("s/relance.yaml")).unwrap(), "# mine\n");
}

/// The fixtures in `cases/` and a starter folder whose `level` template
/// starts its body with `line`.
fn templates_with(level: &str, line: &str) -> Dir {
    let dir = Dir::new();
    copy_fixtures(&dir.join("cases"));
    dir.relance(["init", "starter"]).expect_code(0);
    dir.edit(&format!("starter/letter-templates/{level}.typ.j2"), |t| {
        t.replacen("{% block body %}\n", &format!("{{% block body %}}\n{line}\n"), 1)
    });
    dir
}

fn build_with(dir: &Dir, extra: &[&str]) -> Outcome {
    let mut cmd =
        dir.relance(["build", "cases", "--date", RUN_DATE, "--out", "out", "--templates", "starter/letter-templates"]);
    for a in extra {
        cmd = cmd.arg(a);
    }
    cmd.run()
}

#[test]
fn a_jinja_loop_runs_out_of_fuel_and_only_its_letters_fail() {
    let dir =
        templates_with("amicale", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
    let out = build_with(&dir, &[]);
    assert_eq!(out.output.status.code(), Some(1), "{}", out.stderr());
    assert!(
        out.stderr().contains(
            "amicale.typ.j2:4: le modèle a exécuté plus de 20000000 instructions pour une seule lettre (son budget)"
        ),
        "{}",
        out.stderr()
    );
    assert!(dir.join("out/letters/DUPONT-001-formelle.pdf").exists());
}

#[test]
fn a_letter_of_more_than_50_pages_is_refused() {
    let dir = templates_with("avertissement", "#for i in range(60) { pagebreak() };");
    let out = build_with(&dir, &[]);
    assert_eq!(out.output.status.code(), Some(1), "{}", out.stderr());
    assert!(
        out.stderr()
            .contains("cases/moreau.yaml: avertissement.typ.j2: la lettre fait 61 pages ; une lettre en a au plus 50"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_typst_loop_is_stopped_by_the_time_budget_with_exit_3() {
    let dir = templates_with("formelle", "#for i in range(100000) { for j in range(100000) { } };");
    // Letters typeset together: the run names them all, and how to find
    // the one at fault.
    let started = Instant::now();
    let out = build_with(&dir, &["--letter-timeout", "2", "--batch", "8"]);
    assert_eq!(out.output.status.code(), Some(3), "{}", out.stderr());
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        out.stderr().contains("cases/dupont.yaml: formelle.typ.j2, ")
            && out.stderr().contains("lettres, mises en page ensemble, ne le sont pas après 2 s")
            && out.stderr().contains("`--batch 1` dit laquelle"),
        "{}",
        out.stderr()
    );
    // One letter at a time (the default): the run names it.
    let out = build_with(&dir, &["--letter-timeout", "2"]);
    assert_eq!(out.output.status.code(), Some(3), "{}", out.stderr());
    assert!(
        out.stderr().contains("error: cases/dupont.yaml: formelle.typ.j2: la lettre n'est pas mise en page après 2 s"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_template_that_eats_memory_is_stopped_with_exit_3() {
    let dir = templates_with("formelle", "#let big = range(30000000).map(i => str(i));");
    let out = build_with(&dir, &["--memory-limit", "300"]);
    assert_eq!(out.output.status.code(), Some(3), "{}", out.stderr());
    assert!(
        out.stderr().contains("la mémoire de la production dépasse 300 Mio")
            && out.stderr().contains("formelle.typ.j2 (cases/dupont.yaml)"),
        "{}",
        out.stderr()
    );
}

/// A word and its box, as pdftotext reads it.
type Word = (f64, f64, f64, f64, String);

/// Reads `pdftotext -bbox` words of each page of a PDF: the page's width
/// and its words (xMin, yMin, xMax, yMax, word).
fn pages(pdf: &std::path::Path) -> Vec<(f64, Vec<Word>)> {
    let out = std::process::Command::new("pdftotext").args(["-bbox"]).arg(pdf).arg("-").output().unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |line: &str, name: &str| -> f64 {
        let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[at..].split('"').next().unwrap().parse().unwrap()
    };
    let mut all: Vec<(f64, Vec<Word>)> = Vec::new();
    for l in html.lines() {
        if l.contains("<page ") {
            all.push((attr(l, "width"), Vec::new()));
        } else if l.contains("<word ") {
            let text = l.split('>').nth(1).unwrap().split('<').next().unwrap().to_string();
            let word = (attr(l, "xMin"), attr(l, "yMin"), attr(l, "xMax"), attr(l, "yMax"), text);
            all.last_mut().expect("a page").1.push(word);
        }
    }
    all
}

/// Read back from the PDFs, not from Typst: in every fixture letter, no
/// word runs past the page or over another word.
#[test]
fn no_fixture_letter_prints_text_over_text() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out", "--level", "mise-en-demeure"]).expect_code(0);
    for e in std::fs::read_dir(dir.join("out/letters")).unwrap() {
        let path = e.unwrap().path();
        for (width, ws) in pages(&path) {
            for (i, a) in ws.iter().enumerate() {
                assert!(a.0 >= 0.0 && a.2 <= width, "{}: {a:?} past the page", path.display());
                for b in &ws[i + 1..] {
                    let across = a.2.min(b.2) - a.0.max(b.0);
                    let down = a.3.min(b.3) - a.1.max(b.1);
                    assert!(
                        !(across > 1.0 && down > 0.3 * (a.3 - a.1).min(b.3 - b.1)),
                        "{}: {a:?} over {b:?}",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The same reading shows what the check refuses: a long invoice number
/// ran into the next column before; now the case fails at its field.
#[test]
fn a_value_too_wide_for_its_column_is_refused_at_its_field() {
    let dir = Dir::with_fixtures();
    let long = "FACTURE-2026-WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW";
    dir.edit("dupont.yaml", |t| {
        t.replace("number: F-2026-0042", &format!("number: {long}"))
            .replace("invoice: F-2026-0042", &format!("invoice: {long}"))
    });
    let out = dir.relance(["build", ".", "--date", RUN_DATE, "--out", "out"]).expect_code(1);
    assert!(out.stderr().contains("dupont.yaml:15:13: invoices[0].number: mise en page : le texte « FACTURE-2026-WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW » chevauche le texte"), "{}", out.stderr());
    assert!(!dir.join("out/letters/DUPONT-001-formelle.pdf").exists());
}
