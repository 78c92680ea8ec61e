//! The clerk's first hour: a folder made by `init` works with every
//! command without flags, a missing folder is named as such, the CSV files
//! open in a French spreadsheet, warnings are shown where the clerk looks,
//! and the wording a debtor reads says only what is recorded.

use crate::util::*;

#[test]
fn a_folder_made_by_init_works_with_every_command_without_flags() {
    let dir = Dir::new();
    dir.relance(["init", "s"]).expect_code(0);
    // The cases folder finds relance.yaml one level up; the template copy
    // is never read as a case.
    let plan = dir.relance(["plan", "s/cases", "--date", "2026-11-22"]).expect_code(0).stdout();
    assert!(plan.contains("DUPONT-001") && plan.contains("formelle"), "{plan}");
    let whole = dir.relance(["plan", "s", "--date", "2026-11-22"]).expect_code(0).stdout();
    let rows: Vec<&str> = whole.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 1, "one case, no template read as a case: {whole}");
    dir.relance(["explain", "s/cases/DUPONT-001.yaml", "--date", "2026-11-22"]).expect_code(0);
    // The letters use the starter's own templates: an edit shows.
    dir.edit("s/letter-templates/formelle.typ.j2", |t| {
        t.replace("Seconde relance", "Deuxième relance, version du cabinet")
    });
    dir.relance(["build", "s/cases", "--date", "2026-11-22", "--out", "out"]).expect_code(0);
    assert!(dir.pdf_text("out/letters/DUPONT-001-formelle.pdf").contains("Deuxième relance, version du cabinet"));
    // The config it writes is the clerk's, not the fixtures'.
    let config = std::fs::read_to_string(dir.join("s/relance.yaml")).unwrap();
    assert!(!config.contains("fixtures") && config.contains("templates: letter-templates"), "{config}");
}

#[test]
fn a_missing_folder_is_named_as_such() {
    let dir = Dir::with_fixtures();
    for args in [
        vec!["plan", "nope"],
        vec!["build", "nope", "--out", "o"],
        vec!["explain", "nope.yaml"],
        vec!["contentieux", "nope", "--out", "o"],
    ] {
        let out = dir.relance(&args).expect_code(2);
        assert!(out.stderr().contains("ce dossier (ou ce fichier) n'existe pas"), "{args:?}: {}", out.stderr());
        assert!(!out.stderr().contains("configuration"), "{args:?}: {}", out.stderr());
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = Dir::with_fixtures();
    // More text than a pipe holds (64 KiB), so that writes fail once closed.
    let dupont = std::fs::read_to_string(dir.join("dupont.yaml")).unwrap();
    for i in 0..200 {
        dir.write(&format!("many/d{i:03}.yaml"), dupont.replace("DUPONT-001", &format!("D-{i:03}")));
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(dir.path())
        .args(["explain", ".", "--date", "2026-11-22"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then close the pipe as `head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
    // Ended by SIGPIPE, as `cat` or `grep` would be: no error message.
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&out.status), Some(13));
}

#[test]
fn a_letter_says_only_what_is_recorded_and_greets_the_addressee() {
    let dir = Dir::with_fixtures();
    // A forced mise en demeure on a case with no letter recorded.
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "o", "--no-record", "--level", "mise-en-demeure"])
        .expect_code(0);
    let bleu = dir.pdf_text("o/letters/ATELIER-BLEU-002-mise-en-demeure.pdf");
    assert!(!bleu.contains("précédentes relances"), "{bleu}");
    assert!(bleu.contains("Sauf erreur de notre part, vous restez redevable"), "{bleu}");
    // One plain deadline: the days from receipt, no « au plus tôt » date.
    assert!(bleu.contains("dans un délai de 8 jours à compter de la réception de la présente lettre"), "{bleu}");
    assert!(!bleu.contains("au plus tôt"), "{bleu}");
    // A company with no named contact: « Madame, Monsieur ».
    assert!(bleu.contains("Madame, Monsieur,"), "{bleu}");
    // « Mme Léa Moreau »: « Madame, », in the closing formula too.
    let moreau = dir.pdf_text("o/letters/MOREAU-003-mise-en-demeure.pdf");
    assert!(moreau.contains("Madame,") && !moreau.contains("Madame, Monsieur"), "{moreau}");
    assert!(moreau.contains("Nous vous prions d’agréer, Madame, l’expression"), "{moreau}");
    // « À l'attention de M. Jean Dupont »: « Monsieur, ».
    let dupont = dir.pdf_text("o/letters/DUPONT-001-mise-en-demeure.pdf");
    assert!(dupont.contains("Monsieur,") && !dupont.contains("Madame, Monsieur"), "{dupont}");
    // civilite: in the case file says it when the name does not.
    dir.edit("atelier-bleu.yaml", |t| t.replace("  type: professionnel", "  type: professionnel\n  civilite: madame"));
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "o", "--no-record", "--level", "amicale"])
        .expect_code(0);
    let bleu = dir.pdf_text("o/letters/ATELIER-BLEU-002-amicale.pdf");
    assert!(bleu.contains("Madame,") && !bleu.contains("Madame, Monsieur"), "{bleu}");
}

#[test]
fn warnings_show_in_plan_and_in_the_summary_until_the_rate_is_set_once() {
    let dir = Dir::with_fixtures();
    let plan = dir.relance(["plan", ".", "--date", "2026-11-22"]).expect_code(0).stdout();
    assert!(plan.contains("\nAvertissements :\n"), "{plan}");
    assert!(plan.contains("pas de taux pour le semestre 2026-S2"), "{plan}");
    assert!(plan.contains("rates: dans relance.yaml") && plan.contains("Journal officiel"), "{plan}");
    let build = dir.relance(["build", ".", "--date", "2026-11-22", "--out", "o", "--no-record"]).expect_code(0);
    assert!(build.stderr().contains(", 11 avertissement(s) ; rapport : o/index.html"), "{}", build.stderr());
    assert!(build.stderr().contains("avertissement : 3 dossier(s) (GARNIER-005, MOREAU-003, PETIT-007)"));
    // The table completed once, in relance.yaml (a test row, not the
    // published figures): no warning left, in plan or build.
    let table = std::fs::read_to_string(env!("CARGO_MANIFEST_DIR").to_string() + "/data/rates.csv").unwrap()
        + "2026-S2,2.15,2025-06-11,6.67,3.00,\"valeur d'essai\"\n";
    dir.write("taux/rates.csv", table);
    dir.edit("relance.yaml", |t| t.to_string() + "rates: taux/rates.csv\n");
    let plan = dir.relance(["plan", ".", "--date", "2026-11-22"]).expect_code(0).stdout();
    assert!(!plan.contains("Avertissements"), "{plan}");
    let build = dir.relance(["build", ".", "--date", "2026-11-22", "--out", "o", "--no-record"]).expect_code(0);
    assert!(!build.stderr().contains("avertissement"), "{}", build.stderr());
}

#[test]
fn csv_files_open_cleanly_in_a_french_spreadsheet() {
    let dir = Dir::with_fixtures();
    dir.edit("relance.yaml", |t| {
        t.to_string() + "csv: { separator: \";\", bom: true, decimal_comma: true, headers: fr }\n"
    });
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "o"]).expect_code(0);
    let manifest = std::fs::read_to_string(dir.join("o/manifest.csv")).unwrap();
    assert!(manifest.starts_with("\u{feff}dossier;fichier_dossier;debiteur;"), "{manifest}");
    let dupont = manifest.lines().find(|l| l.starts_with("DUPONT-001;")).unwrap();
    assert!(dupont.contains(";1520,65;30,05;80,00;0,00;1630,70;"), "{dupont}");
    // The deposit list, filled in and saved by the spreadsheet as it was
    // opened, is read back by relance record.
    let deposit = std::fs::read_to_string(dir.join("o/depot-lrar.csv")).unwrap();
    assert!(deposit.starts_with("\u{feff}numero;destinataire;adresse;"), "{deposit}");
    let filled: Vec<String> = deposit
        .lines()
        .map(|l| {
            if l.contains("STAR-004/mise-en-demeure") {
                l.trim_end_matches(";;;;").to_string() + ";1A 555 666 7778 8;2026-11-24;2026-11-24;"
            } else {
                l.to_string()
            }
        })
        .collect();
    dir.write("rempli.csv", filled.join("\r\n") + "\r\n");
    let out = dir.relance(["record", ".", "rempli.csv", "--date", "2026-11-25"]).expect_code(0);
    assert!(out.stderr().contains("1 "), "{}", out.stderr());
    let history = dir.relance(["journal", ".", "--case", "STAR-004"]).expect_code(0).stdout();
    assert!(history.contains("1A55566677788"), "{history}");
    // The flags alone, over the default: a tab, English names.
    dir.relance([
        "build",
        ".",
        "--date",
        "2026-11-22",
        "--out",
        "t",
        "--no-record",
        "--csv-sep",
        "tab",
        "--csv-headers",
        "en",
    ])
    .expect_code(0);
    let manifest = std::fs::read_to_string(dir.join("t/manifest.csv")).unwrap();
    assert!(manifest.starts_with("\u{feff}id\tsource\t"), "{manifest}");
    // A separator relance does not write is refused with what would do.
    dir.edit("relance.yaml", |t| t.replace("separator: \";\"", "separator: \"|\""));
    let out = dir.relance(["plan", ".", "--date", "2026-11-22"]).expect_code(2);
    assert!(
        out.stderr().contains("csv.separator: séparateur « | » ; attendu : « , », « ; » ou « tab »"),
        "{}",
        out.stderr()
    );
}

#[test]
fn the_progress_bar_counts_cases_and_letters_in_whole_numbers() {
    let dir = Dir::with_fixtures();
    // A terminal (util-linux `script` gives the run a pseudo-terminal).
    let command = format!("{} build . --date 2026-11-22 --out o --no-record", env!("CARGO_BIN_EXE_relance"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .env_remove("CI")
        .output()
        .expect("script (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout);
    let frames: Vec<&str> = text.split(['\r', '\n']).filter(|f| f.contains("/12 dossiers · ")).collect();
    assert!(!frames.is_empty(), "no progress bar drawn: {text}");
    for frame in &frames {
        let rate = frame.split(" · ").find(|p| p.ends_with("dossiers/s")).unwrap_or_else(|| panic!("{frame}"));
        let number = rate.trim_end_matches(" dossiers/s");
        assert!(number.chars().all(|c| c.is_ascii_digit()), "a whole number per second: {frame}");
        let letters = frame.split(" · ").nth(1).unwrap();
        assert!(letters.ends_with(" lettre") || letters.ends_with(" lettres"), "{frame}");
        let n: usize = letters.split(' ').next().unwrap().parse().unwrap();
        assert!(n <= 6, "6 letters in this run, never the cases' count: {frame}");
    }
}

#[test]
fn the_cli_says_what_it_accepts_and_where_a_template_breaks() {
    let dir = Dir::with_fixtures();
    let help = dir.relance(["build", "--help"]).expect_code(0).stdout();
    assert!(
        help.contains(
            "[possible values: courtoisie, amicale, appel, formelle, avertissement, mise-en-demeure, echeancier]"
        ),
        "{help}"
    );
    let bad = dir.relance(["plan", ".", "--level", "relance"]).expect_code(2);
    assert!(bad.stderr().contains("[possible values: courtoisie, amicale"), "{}", bad.stderr());
    // check takes --rates like the others.
    dir.relance([
        "check",
        "--date",
        "2026-11-22",
        "--rates",
        &(env!("CARGO_MANIFEST_DIR").to_string() + "/data/rates.csv"),
    ])
    .expect_code(0);
    // A tag left open on line 5 is reported on line 5, in a sentence.
    dir.relance(["init", "s"]).expect_code(0);
    dir.edit("s/letter-templates/amicale.typ.j2", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        lines[4].push_str(" {% if plural %");
        lines.join("\n") + "\n"
    });
    let out = dir
        .relance([
            "build",
            ".",
            "--date",
            "2026-11-22",
            "--out",
            "o",
            "--templates",
            "s/letter-templates",
            "--no-record",
        ])
        .expect_code(1);
    assert!(
        out.stderr()
            .contains("amicale.typ.j2:5: la balise « {% if plural % » ouverte ici n'est pas fermée : il manque « %} »"),
        "{}",
        out.stderr()
    );
}
