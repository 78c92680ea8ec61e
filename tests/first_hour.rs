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
    assert_eq!(whole.lines().count(), 2, "one case, no template read as a case: {whole}");
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
