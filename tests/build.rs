//! `relance build` on the bundled fixtures, checked the way a back office and
//! its lawyer would check the letters: by reading the PDFs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::util::*;

/// One build of the fixtures shared by the tests that only read it.
fn fixtures_out() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let out = build(&fixtures(), &dir, &[]);
        assert_eq!(out.status.code(), Some(0), "build failed: {}", stderr(&out));
        dir
    })
}

fn letter(name: &str) -> String {
    pdf_text(&fixtures_out().join("letters").join(name))
}

#[test]
fn builds_one_letter_per_due_case_and_nothing_else() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_out().join("letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ATELIER-BLEU-002-amicale.pdf",
            "CODE-011-amicale.pdf",
            "DUPONT-001-formelle.pdf",
            "GARNIER-005-mise-en-demeure.pdf",
            "MOREAU-003-avertissement.pdf",
            "STAR-004-mise-en-demeure.pdf",
        ]
    );
}

#[test]
fn manifest_lists_every_case_with_its_decision() {
    let csv = std::fs::read_to_string(fixtures_out().join("manifest.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 12);
    let row = |id: &str| rows.iter().find(|r| &r[col("id")] == id).unwrap_or_else(|| panic!("{id} missing"));
    let dupont = row("DUPONT-001");
    assert_eq!(&dupont[col("level")], "formelle");
    assert_eq!(&dupont[col("channel")], "courrier");
    assert_eq!(&dupont[col("principal")], "1520.65");
    assert_eq!(&dupont[col("penalties")], "30.05");
    assert_eq!(&dupont[col("indemnities")], "80.00");
    assert_eq!(&dupont[col("total")], "1630.70");
    assert_eq!(&dupont[col("pages")], "1");
    assert_eq!(&dupont[col("file")], "letters/DUPONT-001-formelle.pdf");
    let pdf = std::fs::read(fixtures_out().join("letters/DUPONT-001-formelle.pdf")).unwrap();
    assert_eq!(&dupont[col("sha256")], relance::atomic::sha256_hex(&pdf));
    assert_eq!(&row("LUMIERE-006")[col("reason")], "suspendu : litige sur la livraison du 3 juillet");
    assert!(row("FAURE-010")[col("reason")].contains("à transmettre au contentieux"));
    assert!(row("PETIT-007")[col("reason")].starts_with("promesse de paiement"));
    assert!(row("ROUX-008")[col("reason")].starts_with("rien à réclamer"));
    assert!(row("BERNARD-009")[col("reason")].contains("27 novembre 2026"));
    assert_eq!(&row("CODE-011")[col("channel")], "courrier", "no e-mail address: falls back to courrier");
    assert_eq!(&row("STAR-004")[col("channel")], "lrar");

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures_out().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(json["date"], "2026-11-22");
    assert_eq!(json["rows"].as_array().unwrap().len(), 12);
    assert_eq!(json["errors"].as_array().unwrap().len(), 0);
}

/// Mentions every level carries (docs/rules.md).
fn assert_common_mentions(text: &str) {
    assert_has(
        text,
        &[
            "Atelier Martin SAS",
            "4 place Bellecour",
            "69002 Lyon",
            "04 78 00 00 00",
            "compta@atelier-martin.example",
            "SIREN 842 156 739",
            "Lyon, le 22 novembre 2026",
            "IBAN : FR76 3000 6000 0112 3456 7890 189",
            "BIC : AGRIFRPP",
            "https://pay.example/atelier",
            "Atelier Martin, 4 place Bellecour, 69002 Lyon",
            "Claire Martin",
            "Gérante",
            "SAS au capital de 10 000 € – RCS Lyon 842 156 739",
        ],
    );
}

#[test]
fn amicale_b2b_has_every_mandatory_mention() {
    let t = letter("ATELIER-BLEU-002-amicale.pdf");
    assert_common_mentions(&t);
    assert_has(
        &t,
        &[
            "L'Atelier Bleu",
            "8 quai Saint-Vincent",
            "69001 LYON",
            "Objet : Relance — facture impayée n° F-2026-0101",
            "F-2026-0101 03/10/2026 02/11/2026 2 890,00 € 0,00 € 2 890,00 €",
            "Total restant dû 2 890,00 €",
            "au plus tard le 30 novembre 2026",
            "pénalités de retard à compter du jour suivant la date d’échéance, au taux annuel de 12,00 %",
            "indemnité forfaitaire pour frais de recouvrement de 40,00 €",
            "première commande",
        ],
    );
}

#[test]
fn formelle_refers_to_the_previous_letter_and_sums_penalties() {
    let t = letter("DUPONT-001-formelle.pdf");
    assert_common_mentions(&t);
    assert_has(
        &t,
        &[
            "Dupont & Fils SARL",
            "À l’attention de M. Jean Dupont",
            "12 rue des Lilas",
            "Bâtiment B",
            "69003 LYON",
            "seconde relance",
            "Par notre courrier du 20 octobre 2026",
            "factures impayées n° F-2026-0042, F-2026-0057",
            "F-2026-0042 01/08/2026 31/08/2026 1 234,56 € 193,91 € 1 040,65 €",
            "F-2026-0057 10/09/2026 10/10/2026 480,00 € 0,00 € 480,00 €",
            "Total restant dû 1 520,65 €",
            // 1234.56 × 12 % × 15/365 = 6.09, paid first by the 200 € of 15/09
            // (C. civ. 1343-1), which leave 1040.65 of principal;
            // 1040.65 × 12 % × 68/365 = 23.26 ; 480 × 12 % × 43/365 = 6.79 → 30.05
            "Pénalités de retard au 22 novembre 2026 30,05 €",
            "Indemnités forfaitaires de recouvrement 80,00 €",
            "Total dû 1 630,70 €",
            "au taux annuel de 12,00 %",
        ],
    );
}

#[test]
fn avertissement_b2c_states_the_consequences_without_b2b_penalties() {
    let t = letter("MOREAU-003-avertissement.pdf");
    assert_common_mentions(&t);
    assert_has(
        &t,
        &[
            "Mme Léa Moreau",
            "Appartement 14",
            "69007 LYON",
            "Dernière relance avant mise en demeure — facture impayée n° F-2026-0077",
            "Malgré nos relances du 1er octobre 2026 et du 20 octobre 2026",
            "F-2026-0077 20/08/2026 15/09/2026 645,90 € 0,00 € 645,90 €",
            "mise en demeure par lettre recommandée avec accusé de réception",
            "action en justice",
            "injonction de payer",
            "au plus tard le 30 novembre 2026",
        ],
    );
    assert!(!t.contains("L441-10"), "B2C letters carry no commercial-code penalties");
    assert!(!t.contains("40,00 €"));
}

#[test]
fn mise_en_demeure_b2b_carries_the_full_decompte() {
    let t = letter("STAR-004-mise-en-demeure.pdf");
    assert_common_mentions(&t);
    assert_has(
        &t,
        &[
            "LETTRE RECOMMANDÉE AVEC ACCUSÉ DE RÉCEPTION",
            "Mise en demeure de payer — factures impayées n° F-2026-0012, F-2026-0033",
            "Malgré nos relances du 1er juillet 2026, du 15 septembre 2026 et du 5 novembre 2026",
            "Décompte des sommes dues au 22 novembre 2026",
            // Payment of 1 000 € on 31/03 names no invoice: it goes to the oldest due (F-2026-0012).
            "F-2026-0012 15/01/2026 14/02/2026 3 600,00 € 946,74 € 2 653,26 €",
            "F-2026-0033 20/05/2026 19/06/2026 1 250,40 € 0,00 € 1 250,40 €",
            // 3600 × 12 % × 45/365 = 53.26
            "F-2026-0012 15/02/2026 31/03/2026 45 3 600,00 € 12,00 % 53,26 €",
            // The 1000 € of 31/03 pay those 53.26 € first (C. civ. 1343-1), then
            // 946.74 € of principal: 2653.26 € left.
            // 2653.26 × 12 % × 91/365 = 79.38 (semester boundary on 1 July)
            "F-2026-0012 01/04/2026 30/06/2026 91 2 653,26 € 12,00 % 79,38 €",
            // 2653.26 × 12 % × 145/365 = 126.48
            "F-2026-0012 01/07/2026 22/11/2026 145 2 653,26 € 12,00 % 126,48 €",
            "F-2026-0033 20/06/2026 30/06/2026 11 1 250,40 € 12,00 % 4,52 €",
            "F-2026-0033 01/07/2026 22/11/2026 145 1 250,40 € 12,00 % 59,61 €",
            "Principal 3 903,66 €",
            "Déjà réglées par vos paiements partiels (article 1343-1 du Code civil) : − 53,26 €",
            // 53.26 + 79.38 + 126.48 + 4.52 + 59.61 − 53.26 = 269.99
            "Pénalités de retard 269,99 €",
            "Indemnités forfaitaires 80,00 €",
            "Total réclamé 4 253,65 €",
            "quatre mille deux cent cinquante-trois euros et soixante-cinq centimes",
            "mettons en demeure, conformément à l’article 1344 du Code civil",
            "dans un délai de 8 jours à compter de la réception de la présente lettre",
            "article L441-10 du Code de commerce",
            "article D441-5 du Code de commerce",
            "injonction de payer",
            "juridiction compétente",
        ],
    );
    assert_eq!(page_count(&fixtures_out().join("letters/STAR-004-mise-en-demeure.pdf")), 2);
    assert_has(&t, &["Page 1 / 2", "Page 2 / 2"]);
}

#[test]
fn mise_en_demeure_b2c_announces_legal_interest() {
    let t = letter("GARNIER-005-mise-en-demeure.pdf");
    assert_has(
        &t,
        &[
            "M. Émile Garnier-Lefèvre",
            "5 impasse des Œillets",
            "38000 GRENOBLE",
            "F-2026-0021 02/04/2026 02/05/2026 1 890,00 € 390,00 € 1 500,00 €",
            "mille cinq cents euros",
            "taux de l’intérêt légal à compter de la réception de la présente mise en demeure (articles 1231-6 et 1344-1 du Code civil)",
            "lettre recommandée avec accusé de réception",
        ],
    );
    assert!(!t.contains("Pénalités de retard"));
}

#[test]
fn data_prints_literally_and_never_runs() {
    let star = letter("STAR-004-mise-en-demeure.pdf");
    assert_has(
        &star,
        &["*Star* _Bureau_ $Conseil #1 @ <b>", "Zoé O'Brien [compta]", "3 rue de la République // 2e étage"],
    );
    let code = letter("CODE-011-amicale.pdf");
    assert_has(
        &code,
        &["#read(\"/etc/passwd\") SAS", "#include \"layout.typ\"", "\\ {{ 7*7 }} `raw` ]", "75011 PARIS"],
    );
    assert!(!code.contains("root:"), "a file was read into the letter");
    assert!(!code.contains("49"), "Jinja syntax in data was evaluated");
}

#[test]
fn two_builds_give_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for dir in [a.path(), b.path()] {
        let out = build(&fixtures(), dir, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    for name in ["manifest.csv", "manifest.json"] {
        assert_eq!(std::fs::read(a.path().join(name)).unwrap(), std::fs::read(b.path().join(name)).unwrap(), "{name}");
    }
    let mut count = 0;
    for entry in std::fs::read_dir(a.path().join("letters")).unwrap() {
        let name = entry.unwrap().file_name();
        let x = std::fs::read(a.path().join("letters").join(&name)).unwrap();
        let y = std::fs::read(b.path().join("letters").join(&name)).unwrap();
        assert!(x == y, "{name:?} differs between two builds");
        count += 1;
    }
    assert_eq!(count, 6);
}

#[test]
fn a_bad_case_is_reported_with_file_line_and_field_while_others_build() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path());
    std::fs::write(
        dir.path().join("zz-bad.yaml"),
        format!(
            "id: BAD-001\n{}invoices:\n  - number: F-1\n    date: 2026-01-01\n    due: 2026-01-31\n    amount: 12.345\n",
            debtor("professionnel")
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = build(dir.path(), &out_dir, &[]);
    assert_eq!(out.status.code(), Some(1), "some cases failed → exit 1");
    let err = stderr(&out);
    assert!(
        err.contains("zz-bad.yaml:12:13: invoices[0].amount: « 12.345 » a plus de 2 décimales ; attendu : un montant positif en euros, avec un point et au plus 2 décimales, p. ex. 1234.56"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(out_dir.join("letters")).unwrap().count(), 6, "the good cases are still built");
    let csv = std::fs::read_to_string(out_dir.join("manifest.csv")).unwrap();
    assert!(csv.contains("zz-bad.yaml:12:13: invoices[0].amount"), "{csv}");
    assert!(
        !std::fs::read_dir(out_dir.join("letters")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("BAD-001"))
    );
}

#[test]
fn a_letter_that_fails_to_typeset_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_tree(&root().join("letter-templates"), &templates);
    // A customised formelle template with a Typst error.
    let f = templates.join("formelle.typ.j2");
    let text = std::fs::read_to_string(&f).unwrap().replace("{% block body %}", "{% block body %}#unknown-function()");
    std::fs::write(&f, text).unwrap();
    let out_dir = dir.path().join("out");
    let out = build(&fixtures(), &out_dir, &["--templates", templates.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("dupont.yaml") && err.contains("unknown variable: unknown-function"), "{err}");
    let names: Vec<String> = std::fs::read_dir(out_dir.join("letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().all(|n| !n.contains("DUPONT") && !n.starts_with('.')), "{names:?}");
}

#[test]
fn a_bad_config_stops_the_run_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixtures(dir.path());
    let cfg = dir.path().join("relance.yaml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("FR76 3000 6000 0112 3456 7890 189", "FR76 3000 6000 0112 3456 7890 188");
    std::fs::write(&cfg, text).unwrap();
    let out = build(dir.path(), &dir.path().join("out"), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("relance.yaml:11:9: creditor.iban:") && err.contains("n'est pas un IBAN valide"), "{err}");
    assert!(!dir.path().join("out").exists(), "nothing written on a config error");
}

#[test]
fn forced_level_reprints_a_mise_en_demeure() {
    let dir = tempfile::tempdir().unwrap();
    let out = build(
        &fixtures().join("dupont.yaml"),
        dir.path(),
        &["--config", fixtures().join("relance.yaml").to_str().unwrap(), "--level", "mise-en-demeure"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let t = pdf_text(&dir.path().join("letters/DUPONT-001-mise-en-demeure.pdf"));
    assert_has(&t, &["Mise en demeure de payer", "Total réclamé 1 630,70 €"]);
}

#[test]
fn plan_prints_the_decisions_without_writing() {
    let out = relance().args(["plan"]).arg(fixtures()).args(["--date", RUN_DATE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("DUPONT-001")).expect("DUPONT row");
    assert_eq!(
        fold(line),
        "DUPONT-001 professionnel - formelle courrier 1520.65 30.05 80.00 0.00 1630.70 amicale 2026-10-20 -"
    );
    let json =
        relance().args(["plan"]).arg(fixtures()).args(["--date", RUN_DATE, "--format", "json"]).output().unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 12);
    let star = rows.as_array().unwrap().iter().find(|r| r["id"] == "STAR-004").unwrap();
    assert_eq!(star["level"], "mise-en-demeure");
    assert_eq!(star["total"], "4253.65");
}
