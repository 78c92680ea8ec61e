//! Letters typeset together (one Typst compile per batch) are the letters
//! typeset one by one, byte for byte, whatever the batch size and the
//! number of threads.

use crate::util::{Dir, fold};

/// The fixtures, each case three times under other ids, so that batches
/// mix levels, channels and letters of one and two pages at every place.
fn many_cases() -> Dir {
    let dir = Dir::with_fixtures();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") || name == "relance.yaml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let id = text.lines().find_map(|l| l.strip_prefix("id: ")).expect("an id").trim().to_string();
        for k in 1..=2 {
            let copy = text.replacen(&format!("id: {id}"), &format!("id: {id}-{k}"), 1);
            dir.write(&format!("{}-{k}.yaml", name.trim_end_matches(".yaml")), copy);
        }
    }
    dir
}

/// Every file a run wrote, but the manifest, the report and the run's
/// settings-dependent files, by path.
fn outputs(dir: &Dir, out: &str) -> Vec<(String, Vec<u8>)> {
    let root = dir.join(out);
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(&root).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

/// `relance build . --out OUT` of the run date, recording nothing, with
/// `extra` arguments; it must build every case.
fn build(dir: &Dir, out: &str, extra: &[&str]) {
    let mut cmd = dir.relance(["build", ".", "--date", "2026-11-22", "--no-record", "--out", out]);
    for a in extra {
        cmd = cmd.arg(a);
    }
    cmd.expect_code(0);
}

#[test]
fn a_letter_is_the_same_bytes_whatever_the_batch_and_the_threads() {
    let dir = many_cases();
    let run = |out: &str, batch: &str, jobs: &str| {
        build(&dir, out, &["--batch", batch, "--jobs", jobs]);
        outputs(&dir, out)
    };
    let alone = run("alone", "1", "1");
    let letters = alone.iter().filter(|(p, _)| p.starts_with("letters/")).count();
    assert_eq!(letters, 18, "6 letters of the fixtures, three times");
    for (batch, jobs) in [("4", "1"), ("5", "2"), ("32", "2")] {
        let other = run(&format!("b{batch}-j{jobs}"), batch, jobs);
        assert_eq!(other.len(), alone.len(), "--batch {batch} --jobs {jobs}: the same files");
        for ((path, bytes), (other_path, other_bytes)) in alone.iter().zip(&other) {
            assert_eq!(path, other_path);
            // Everything, letters, e-mails, packs, manifest and report alike.
            assert!(bytes == other_bytes, "--batch {batch} --jobs {jobs}: {path} differs");
        }
    }
}

#[test]
fn a_letter_of_a_batch_counts_its_own_pages_and_carries_only_its_data() {
    let dir = many_cases();
    build(&dir, "out", &["--batch", "32"]);
    // The two-page mise en demeure numbers its pages 1 / 2 and 2 / 2, not
    // the pages of the batch.
    for id in ["STAR-004", "STAR-004-1", "STAR-004-2"] {
        let text = fold(&dir.pdf_text(&format!("out/letters/{id}-mise-en-demeure.pdf")));
        assert!(text.contains("Page 1 / 2") && text.contains("Page 2 / 2"), "{id}: {text}");
    }
    // A one-page letter says no page number at all.
    let text = fold(&dir.pdf_text("out/letters/DUPONT-001-1-formelle.pdf"));
    assert!(!text.contains("Page 1 /"), "{text}");
    // Its own title and author, one attachment: its own case.
    let doc = lopdf::Document::load(dir.join("out/letters/DUPONT-001-1-formelle.pdf")).unwrap();
    let info =
        std::process::Command::new("pdfinfo").arg(dir.join("out/letters/DUPONT-001-1-formelle.pdf")).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Title:           Seconde relance — dossier DUPONT-001-1"), "{info}");
    assert!(info.contains("Author:          Atelier Martin SAS"), "{info}");
    let catalog = doc.catalog().unwrap();
    let af = match catalog.get(b"AF").unwrap() {
        lopdf::Object::Reference(r) => doc.get_object(*r).unwrap().as_array().unwrap().clone(),
        other => other.as_array().unwrap().clone(),
    };
    assert_eq!(af.len(), 1, "one attached file");
    let spec = doc.get_object(af[0].as_reference().unwrap()).unwrap().as_dict().unwrap();
    let name = spec.get(b"UF").or_else(|_| spec.get(b"F")).unwrap();
    let name = match name {
        lopdf::Object::String(bytes, _) => {
            lopdf::decode_text_string(name).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(name, "relance-DUPONT-001-1.json");
    let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
    let stream = doc.get_object(ef.get(b"F").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
    let data = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
    // The JSON as relance wrote it, line breaks and all.
    let json: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(json["case"]["id"], "DUPONT-001-1");
    assert_eq!(data, serde_json::to_vec_pretty(&json).unwrap());
}

#[test]
fn templates_that_count_the_whole_document_are_typeset_one_letter_at_a_time() {
    // A template folder of an earlier relance: its footer counts pages
    // with counter(page), which in a batch would count every letter's.
    let dir = many_cases();
    crate::util::copy_tree(&crate::util::root().join("letter-templates"), &dir.join("old-templates"));
    dir.edit("old-templates/layout.typ", |t| {
        t.replace(
            "let (n, count) = letter-page()\n          if count > 1 [Page #n / #count]",
            "let count = counter(page).final().first()\n          if count > 1 [Page #counter(page).display() / #count]",
        )
    });
    build(&dir, "out", &["--templates", "old-templates", "--batch", "32"]);
    let text = fold(&dir.pdf_text("out/letters/STAR-004-1-mise-en-demeure.pdf"));
    assert!(text.contains("Page 1 / 2") && text.contains("Page 2 / 2"), "{text}");
    let text = fold(&dir.pdf_text("out/letters/DUPONT-001-formelle.pdf"));
    assert!(!text.contains("Page 1 /"), "{text}");
}
