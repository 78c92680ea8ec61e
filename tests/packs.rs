//! What the back office posts, sends and archives (docs/outputs.md): print packs,
//! the LRAR deposit list, e-mails, PDF/A-3b letters with their data, drafts
//! and shards. Checked by reading the files back.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::util::*;
use mail_parser::MimeHeaders;

fn out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let o = build(&fixtures(), &dir, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        dir
    })
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Text of one page of a PDF.
fn page_text(pdf: &Path, page: usize) -> String {
    let o = Command::new("pdftotext")
        .args(["-layout", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    fold(&String::from_utf8_lossy(&o.stdout))
}

#[test]
fn print_packs_sort_by_postal_code_and_start_letters_on_odd_pages() {
    let m = manifest(out());
    let packs = m["packs"].as_array().unwrap();
    let courrier = packs.iter().find(|p| p["channel"] == "courrier").unwrap();
    let lrar = packs.iter().find(|p| p["channel"] == "lrar").unwrap();
    let order = |p: &serde_json::Value| {
        p["letters"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    // 69003 < 69007 < 75011 ; 13001 < 38000
    assert_eq!(order(courrier), ["DUPONT-001", "MOREAU-003", "CODE-011"]);
    assert_eq!(order(lrar), ["STAR-004", "GARNIER-005"]);
    for pack in packs {
        for l in pack["letters"].as_array().unwrap() {
            assert_eq!(l["first_page"].as_u64().unwrap() % 2, 1, "{l}");
            assert_eq!(l["last_page"].as_u64().unwrap() % 2, 0, "{l}");
        }
        let file = out().join(pack["file"].as_str().unwrap());
        assert_eq!(page_count(&file) as u64, pack["pages"].as_u64().unwrap());
    }
    let courrier_pdf = out().join("pack-courrier.pdf");
    // DUPONT: letter (p. 1) then its invoice copy (p. 2).
    assert_has(&page_text(&courrier_pdf, 1), &["Dupont & Fils SARL", "Seconde relance"]);
    assert_has(&page_text(&courrier_pdf, 2), &["FACTURE n° F-2026-0042", "Client : Dupont & Fils SARL"]);
    // MOREAU: one page, then a blank verso (p. 4); CODE-011 starts on p. 5.
    assert_has(&page_text(&courrier_pdf, 3), &["Mme Léa Moreau"]);
    assert_eq!(page_text(&courrier_pdf, 4), "");
    assert_has(&page_text(&courrier_pdf, 5), &["#read(\"/etc/passwd\") SAS"]);
    assert_eq!(page_count(&courrier_pdf), 6);
    // LRAR: STAR's 2-page letter and 2-page invoice copy, then GARNIER + blank.
    let lrar_pdf = out().join("pack-lrar.pdf");
    assert_has(
        &page_text(&lrar_pdf, 1),
        &["LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION", "*Star* _Bureau_ $Conseil #1 @ <b>"],
    );
    assert_has(&page_text(&lrar_pdf, 3), &["FACTURE n° F-2026-0012"]);
    assert_has(&page_text(&lrar_pdf, 4), &["Conditions générales de vente"]);
    assert_has(&page_text(&lrar_pdf, 5), &["M. Émile Garnier-Lefèvre"]);
    assert_eq!(page_text(&lrar_pdf, 6), "");
}

#[test]
fn lrar_deposit_list_lists_every_registered_letter() {
    let csv = std::fs::read_to_string(out().join("depot-lrar.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "*Star* _Bureau_ $Conseil #1 @ <b>");
    assert_eq!(
        &rows[0][2],
        "À l’attention de Zoé O'Brien [compta], 3 rue de la République // 2e étage, 13001 MARSEILLE"
    );
    assert_eq!(&rows[0][4], "STAR-004/mise-en-demeure");
    assert_eq!(&rows[0][5], "4", "2 letter pages + 2 invoice pages");
    assert_eq!(&rows[1][1], "M. Émile Garnier-Lefèvre");
    let text = pdf_text(&out().join("depot-lrar.pdf"));
    assert_has(
        &text,
        &[
            "Liste de dépôt — lettres recommandées avec accusé de réception",
            "Expéditeur : Atelier Martin SAS",
            "STAR-004/mise-en-demeure",
            "GARNIER-005/mise-en-demeure",
            "2 pli(s)",
        ],
    );
}

#[test]
fn email_letters_carry_the_pdf_and_the_invoice_copy() {
    let bytes = std::fs::read(out().join("emails/ATELIER-BLEU-002.eml")).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(msg.subject(), Some("Facture impayée n° F-2026-0101"));
    assert_eq!(msg.from().unwrap().first().unwrap().address(), Some("compta@atelier-martin.example"));
    assert_eq!(msg.to().unwrap().first().unwrap().address(), Some("factures@atelier-bleu.example"));
    assert_eq!(msg.date().unwrap().to_rfc3339(), "2026-11-22T09:00:00Z");
    let body = fold(&msg.body_text(0).unwrap());
    assert_has(
        &body,
        &[
            "la facture n° F-2026-0101, échue le 2 novembre 2026",
            "2 890,00 €",
            "30 novembre 2026",
            "FR76 3000 6000 0112 3456 7890 189",
            "(F-2026-0101.pdf)",
        ],
    );
    let names: Vec<&str> = msg.attachments().map(|a| a.attachment_name().unwrap()).collect();
    assert_eq!(names, ["ATELIER-BLEU-002-amicale.pdf", "F-2026-0101.pdf"]);
    let letter = msg.attachments().next().unwrap().contents();
    assert_eq!(
        letter,
        std::fs::read(out().join("letters/ATELIER-BLEU-002-amicale.pdf")).unwrap(),
        "the attached letter is the archived one"
    );
    let m = manifest(out());
    let row = m["rows"].as_array().unwrap().iter().find(|r| r["id"] == "ATELIER-BLEU-002").unwrap();
    assert_eq!(row["email"], "emails/ATELIER-BLEU-002.eml");
    // Only the e-mail channel gets an .eml; CODE-011 has no address and went by post.
    let emails: Vec<_> = std::fs::read_dir(out().join("emails")).unwrap().collect();
    assert_eq!(emails.len(), 1);
}

#[test]
fn letters_are_pdf_a_3b_with_their_data_attached() {
    let path = out().join("letters/DUPONT-001-formelle.pdf");
    let doc = lopdf::Document::load(&path).unwrap();
    let catalog = doc.catalog().unwrap();
    // XMP metadata declares PDF/A-3B.
    let meta = doc.get_object(catalog.get(b"Metadata").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
    let xmp = String::from_utf8_lossy(&meta.content);
    assert!(
        xmp.contains("<pdfaid:part>3</pdfaid:part>") && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
        "{xmp}"
    );
    // An output intent (sRGB) as PDF/A requires.
    let intents = catalog.get(b"OutputIntents").unwrap();
    let intents = match intents {
        lopdf::Object::Reference(r) => doc.get_object(*r).unwrap().as_array().unwrap().clone(),
        other => other.as_array().unwrap().clone(),
    };
    assert!(!intents.is_empty());
    // The case data is an associated file (/AF) with relationship /Data.
    let af = match catalog.get(b"AF").unwrap() {
        lopdf::Object::Reference(r) => doc.get_object(*r).unwrap().as_array().unwrap().clone(),
        other => other.as_array().unwrap().clone(),
    };
    let spec = doc.get_object(af[0].as_reference().unwrap()).unwrap().as_dict().unwrap();
    assert_eq!(spec.get(b"AFRelationship").unwrap().as_name().unwrap(), b"Data");
    let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
    let stream = doc.get_object(ef.get(b"F").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
    let data = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
    let json: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(json["case"]["id"], "DUPONT-001");
    assert_eq!(json["statement"]["total"], "1630.70");
    assert_eq!(json["decision"]["level"], "formelle");
    // Every font is embedded.
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let listing = String::from_utf8_lossy(&fonts.stdout);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!rows.is_empty() && rows.iter().all(|l| l.contains(" yes ")), "{listing}");
}

#[test]
fn everything_a_run_writes_is_identical_on_rebuild() {
    let again = tempfile::tempdir().unwrap();
    assert_eq!(build(&fixtures(), again.path(), &[]).status.code(), Some(0));
    let mut compared = 0;
    for entry in walkdir::WalkDir::new(out()).into_iter().map(|e| e.unwrap()).filter(|e| e.file_type().is_file()) {
        let rel = entry.path().strip_prefix(out()).unwrap();
        let a = std::fs::read(entry.path()).unwrap();
        let b = std::fs::read(again.path().join(rel)).unwrap_or_default();
        assert!(a == b, "{} differs", rel.display());
        compared += 1;
    }
    // 6 letters, 1 e-mail, 2 packs, deposit list PDF + CSV, manifest CSV +
    // JSON, the report
    assert_eq!(compared, 14);
}

#[test]
fn drafts_are_watermarked_and_marked_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let o = build(&fixtures(), dir.path(), &["--draft"]);
    assert_eq!(o.status.code(), Some(0));
    // The watermark is rotated: read the text in content-stream order.
    let raw = |p: &Path| {
        String::from_utf8_lossy(&Command::new("pdftotext").arg("-raw").arg(p).arg("-").output().unwrap().stdout)
            .into_owned()
    };
    let text = raw(&dir.path().join("letters/STAR-004-mise-en-demeure.pdf"));
    assert_eq!(text.matches("PROJET").count(), 2, "one watermark per page: {text}");
    let m = manifest(dir.path());
    for row in m["rows"].as_array().unwrap().iter().filter(|r| r["status"] == "letter") {
        assert_eq!(row["draft"], "oui", "{row}");
    }
    assert!(!raw(&out().join("letters/STAR-004-mise-en-demeure.pdf")).contains("PROJET"));
}

#[test]
fn shards_together_equal_the_whole_run() {
    let whole = manifest(out());
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let n = 3;
    for k in 0..n {
        let dir = tempfile::tempdir().unwrap();
        let o = build(&fixtures(), dir.path(), &["--shard", &format!("{k}/{n}")]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let m = manifest(dir.path());
        assert_eq!(m["shard"], format!("{k}/{n}"));
        rows.extend(m["rows"].as_array().unwrap().iter().cloned());
        errors.extend(m["errors"].as_array().unwrap().iter().cloned());
        // Each shard's letters are the whole run's letters, byte for byte.
        for entry in std::fs::read_dir(dir.path().join("letters")).into_iter().flatten() {
            let name = entry.unwrap().file_name();
            assert_eq!(
                std::fs::read(dir.path().join("letters").join(&name)).unwrap(),
                std::fs::read(out().join("letters").join(&name)).unwrap()
            );
        }
    }
    let key =
        |r: &serde_json::Value| (r["source"].as_str().unwrap().to_string(), r["id"].as_str().unwrap().to_string());
    rows.sort_by_key(key);
    assert_eq!(rows, *whole["rows"].as_array().unwrap());
    assert_eq!(errors, *whole["errors"].as_array().unwrap());
}

#[test]
fn a_missing_invoice_copy_fails_that_case_only() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path());
    std::fs::remove_file(dir.path().join("invoices/F-2026-0042.pdf")).unwrap();
    let out_dir = dir.path().join("out");
    let o = build(dir.path(), &out_dir, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("dupont.yaml:19:11: invoices[0].file: ")
            && err.contains(": fichier introuvable")
            && err.contains("F-2026-0042.pdf"),
        "{err}"
    );
    assert!(!out_dir.join("letters/DUPONT-001-formelle.pdf").exists());
    assert_eq!(std::fs::read_dir(out_dir.join("letters")).unwrap().count(), 5);
}

#[test]
fn an_invoice_copy_outside_the_case_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path());
    let path = dir.path().join("dupont.yaml");
    let text =
        std::fs::read_to_string(&path).unwrap().replace("file: invoices/F-2026-0042.pdf", "file: ../../etc/passwd");
    std::fs::write(&path, text).unwrap();
    let o = build(dir.path(), &dir.path().join("out"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "invoices[0].file: « ../../etc/passwd » doit être un chemin relatif au fichier du dossier, dans son répertoire"
        ),
        "{}",
        stderr(&o)
    );
}

/// Over 100 letters, a pack is cut into volumes of 100 (memory stays
/// bounded); each volume is whole and its letters are in pack order. The
/// letters are typeset in parallel: with one thread or two, every file of
/// the run is the same, byte for byte.
#[test]
fn a_large_pack_is_cut_into_volumes_of_100_letters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml")).unwrap();
    let template = std::fs::read_to_string(fixtures().join("moreau.yaml")).unwrap();
    for i in 0..101 {
        let case = template.replace("MOREAU-003", &format!("MOREAU-{i:03}"));
        std::fs::write(dir.path().join(format!("c{i:03}.yaml")), case).unwrap();
    }
    let out = dir.path().join("out");
    let o = build(dir.path(), &out, &["--jobs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let alone = dir.path().join("out-1");
    let o = build(dir.path(), &alone, &["--jobs", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files = |root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut all: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().strip_prefix(root).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()))
            .collect();
        all.sort();
        all
    };
    let (two, one) = (files(&out), files(&alone));
    assert_eq!(two.iter().map(|f| &f.0).collect::<Vec<_>>(), one.iter().map(|f| &f.0).collect::<Vec<_>>());
    for ((name, a), (_, b)) in two.iter().zip(&one) {
        assert!(a == b, "{} differs between --jobs 2 and --jobs 1", name.display());
    }
    assert!(!out.join("pack-courrier.pdf").exists());
    let m = manifest(&out);
    let packs = m["packs"].as_array().unwrap();
    let files: Vec<&str> = packs.iter().map(|p| p["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["pack-courrier-001.pdf", "pack-courrier-002.pdf"]);
    assert_eq!(packs[0]["letters"].as_array().unwrap().len(), 100);
    assert_eq!(packs[1]["letters"][0]["id"], "MOREAU-100");
    for p in packs {
        let file = out.join(p["file"].as_str().unwrap());
        assert_eq!(page_count(&file), p["pages"].as_u64().unwrap() as usize, "{}", file.display());
    }
    assert!(page_text(&out.join("pack-courrier-002.pdf"), 1).contains("MOREAU-100/avertissement"));
    assert!(page_text(&out.join("pack-courrier-001.pdf"), 1).contains("MOREAU-000/avertissement"));
    assert_eq!(m["rows"].as_array().unwrap().len(), 101);
}

#[test]
fn a_pack_copies_the_letters_pages_as_the_typeset_baseline_shows_them() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "pages", "--no-record", "--pack-mode", "pages"])
        .expect_code(0);
    dir.relance(["build", ".", "--date", RUN_DATE, "--out", "typeset", "--no-record"]).expect_code(0);
    for pack in ["pack-courrier.pdf", "pack-lrar.pdf"] {
        let (a, b) = (dir.join("pages").join(pack), dir.join("typeset").join(pack));
        assert_eq!(page_count(&a), page_count(&b), "{pack}");
        for page in 1..=page_count(&a) {
            let text = |p: &Path| {
                let out = Command::new("pdftotext")
                    .args(["-f", &page.to_string(), "-l", &page.to_string(), "-layout"])
                    .arg(p)
                    .arg("-")
                    .output()
                    .unwrap();
                fold(&String::from_utf8_lossy(&out.stdout))
            };
            assert_eq!(text(&a), text(&b), "{pack} page {page}");
        }
        // Every font stays embedded.
        let fonts = Command::new("pdffonts").arg(&a).output().unwrap();
        let listing = String::from_utf8_lossy(&fonts.stdout);
        assert!(listing.lines().skip(2).all(|l| l.contains(" yes ")), "{listing}");
    }
    // Where each letter sits is the same.
    let placements = |out: &str| {
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(out).join("manifest.json")).unwrap()).unwrap();
        m["packs"].as_array().unwrap().iter().map(|p| p["letters"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(placements("pages"), placements("typeset"));
}
