//! `relance contentieux`: which cases go to court and why not the others,
//! the requête read back from its PDF (parties, court, amount, pièces), the
//! bordereau with the pièces themselves, the route for small claims, the
//! journal, drafts and determinism, and `relance check` on the requête.

use crate::util::*;

/// The text of a PDF as compared here: white space folded, lower case,
/// typographic apostrophes straight.
fn text_of(dir: &Dir, rel: &str) -> String {
    dir.pdf_text(rel).to_lowercase().replace('’', "'")
}

/// The text of a PDF in content-stream order (a rotated watermark reads
/// whole).
fn raw_text(dir: &Dir, rel: &str) -> String {
    let out = std::process::Command::new("pdftotext").arg("-raw").arg(dir.join(rel)).arg("-").output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rows of `contentieux.csv` by case id: column name → value.
fn handoff(dir: &Dir, out: &str) -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(dir.join(out).join("contentieux.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let row: std::collections::BTreeMap<String, String> =
                header.iter().cloned().zip(r.iter().map(|c| c.replace(['\u{a0}', '\u{202f}'], " "))).collect();
            (row["dossier"].clone(), row)
        })
        .collect()
}

fn contentieux(dir: &Dir, date: &str, out: &str, extra: &[&str]) -> Outcome {
    let mut cmd = dir.relance(["contentieux", ".", "--date", date, "--out", out]);
    for a in extra {
        cmd = cmd.arg(a);
    }
    cmd.expect_code(0)
}

#[test]
fn the_requete_names_the_parties_the_court_the_amount_and_the_pieces() {
    let dir = Dir::with_fixtures();
    let run = contentieux(&dir, "2026-11-22", "c", &[]);
    assert!(run.stderr().contains("2 dossier(s) prêt(s) pour le contentieux (2 requête(s)"), "{}", run.stderr());

    // B2B: two companies, tribunal de commerce of the debtor's seat.
    let text = text_of(&dir, "c/BATI-012/requete-injonction.pdf");
    for expected in [
        "requête en injonction de payer",
        "à madame ou monsieur le président du tribunal de commerce dans le ressort duquel le débiteur a son siège (69007 lyon)",
        "article l721-3 du code de commerce",
        "atelier martin sas, sas au capital de 10 000 € – rcs lyon 842 156 739, siren 842 156 739, dont le siège social est situé 4 place bellecour, 69002 lyon, représentée par claire martin, gérante",
        "bâti rhône sarl, sarl au capital de 20 000 €, siren 512 340 001, dont le siège social est situé 27 avenue jean jaurès, 69007 lyon, prise en la personne de son gérant en exercice",
        "la somme de 8 097,91 €",
        "7 480,00 € en principal, 577,91 € de pénalités de retard et 40,00 € d'indemnités forfaitaires",
        "huit mille quatre-vingt-dix-sept euros et quatre-vingt-onze centimes",
        "article 1405 du code de procédure civile",
        "n° 1a09876543210, reçue le 21 septembre 2026",
        "a expiré le 29 septembre 2026",
        // The bordereau of the requête (a table: each cell read on its own).
        "bordereau des pièces jointes",
        "1 facture n° f-2026-0031 du 2 mars 2026, échue le 1er avril 2026,",
        "copie (invoices/f-2026-0031.pdf)",
        "2 relance amicale du 8 avril 2026, envoyée par courrier",
        "5 mise en demeure du 18 septembre 2026, lettre recommandée avec accusé",
        "6 avis de réception de la lettre recommandée n° 1a09876543210 : reçue le",
        "original papier à joindre",
        "7 décompte de la créance arrêté au 22 novembre 2026",
        "cerfa n° 12946*02",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // B2C: tribunal judiciaire where the consumer lives, legal interest.
    let text = text_of(&dir, "c/FAURE-010/requete-injonction.pdf");
    for expected in [
        "à madame ou monsieur le juge du tribunal judiciaire dans le ressort duquel le débiteur demeure (42000 saint-étienne)",
        "mme claire faure, demeurant 9 rue pasteur, 42000 saint-étienne",
        "intérêts au taux de l'intérêt légal à compter de la mise en demeure",
        "la somme de 410,79 €",
        "1 facture n° f-2026-0015 du 1er février 2026, échue le 1er mars 2026,",
        "copie à joindre : pas de fichier",
        "cerfa n° 12948*06",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    // The bordereau: the list, the invoice itself stamped with its number,
    // the décompte.
    let bordereau = dir.join("c/BATI-012/bordereau-pieces.pdf");
    assert_eq!(page_count(&bordereau), 3);
    let text = pdf_text(&bordereau).to_lowercase().replace('’', "'");
    assert!(text.contains("bordereau des pièces communiquées"), "{text}");
    assert!(text.contains("pièce n° 1 — page 1 / 1"), "{text}");
    assert!(text.contains("agencement de bureaux (devis d-2026-014"), "the invoice's own text: {text}");
    assert!(text.contains("pièce n° 7") && text.contains("total réclamé 8 097,91 €"), "{text}");

    // The hand-off data.
    let rows = handoff(&dir, "c");
    let bati = &rows["BATI-012"];
    assert_eq!(bati["statut"], "pret");
    assert_eq!(bati["voie"], "injonction");
    assert_eq!(bati["type_juridiction"], "tribunal de commerce");
    assert_eq!((bati["principal"].as_str(), bati["penalites"].as_str()), ("7480.00", "577.91"));
    assert_eq!((bati["indemnites"].as_str(), bati["total"].as_str()), ("40.00", "8097.91"));
    assert_eq!((bati["siren"].as_str(), bati["lrar"].as_str()), ("512340001", "1A09876543210"));
    assert_eq!((bati["reception"].as_str(), bati["delai_expire"].as_str()), ("2026-09-21", "2026-09-29"));
    assert_eq!(bati["fichiers"], "BATI-012/requete-injonction.pdf ; BATI-012/bordereau-pieces.pdf");
    assert!(bati["motif_voie"].contains("au-delà de 5 000,00 €"), "{}", bati["motif_voie"]);
    let faure = &rows["FAURE-010"];
    assert_eq!(
        (faure["type_juridiction"].as_str(), faure["debiteur_type"].as_str()),
        ("tribunal judiciaire", "particulier")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("c/contentieux.json")).unwrap()).unwrap();
    let bati = json["cases"].as_array().unwrap().iter().find(|c| c["id"] == "BATI-012").unwrap();
    assert_eq!(bati["amounts"]["total"], "8097.91");
    assert_eq!(bati["court"]["kind"], "tribunal de commerce");
    assert_eq!(bati["letters"].as_array().unwrap().len(), 4);
}

#[test]
fn every_case_left_out_says_why() {
    let dir = Dir::with_fixtures();
    // A payment plan being kept, for the consumer whose mise en demeure
    // went unanswered.
    dir.edit("contentieux.yaml", |t| {
        t.to_string()
            + "echeancier:\n  date: 2026-11-10\n  installments:\n    - { date: 2026-12-10, amount: 205.00 }\n    - { date: 2027-01-10, amount: 205.00 }\n"
    });
    contentieux(&dir, "2026-11-22", "c", &[]);
    let rows = handoff(&dir, "c");
    let reason = |id: &str| {
        assert_eq!(rows[id]["statut"], "exclu", "{id}: {:?}", rows[id]);
        rows[id]["motif"].clone()
    };
    assert_eq!(reason("ATELIER-BLEU-002"), "pas de mise en demeure envoyée");
    assert_eq!(
        reason("STAR-004"),
        "pas de mise en demeure envoyée (dernière étape : dernière relance avant mise en demeure du 5 novembre 2026)"
    );
    assert_eq!(reason("LUMIERE-006"), "suspendu : litige sur la livraison du 3 juillet");
    assert_eq!(reason("PETIT-007"), "promesse de paiement de 320,00 € au 15 décembre 2026 en cours");
    assert_eq!(reason("ROUX-008"), "rien à réclamer : aucune facture échue impayée");
    assert_eq!(reason("FAURE-010"), "échéancier du 10 novembre 2026 respecté");
    assert_eq!(rows["BATI-012"]["statut"], "pret");

    // Receipt not recorded; deadline still running; under the threshold.
    dir.edit("bati-rhone.yaml", |t| t.replace(", received: 2026-09-21", ""));
    contentieux(&dir, "2026-11-22", "c2", &[]);
    assert_eq!(
        handoff(&dir, "c2")["BATI-012"]["motif"],
        "mise en demeure du 18 septembre 2026 : réception non enregistrée (relance record) ; le délai de paiement court de sa réception"
    );
    dir.edit("bati-rhone.yaml", |t| {
        t.replace("tracking: 1A09876543210", "tracking: 1A09876543210, received: 2026-09-21")
    });
    contentieux(&dir, "2026-09-25", "c3", &[]);
    assert_eq!(
        handoff(&dir, "c3")["BATI-012"]["motif"],
        "mise en demeure reçue le 21 septembre 2026 : délai de paiement jusqu'au 29 septembre 2026"
    );
    dir.edit("relance.yaml", |t| t.to_string() + "contentieux:\n  minimum: 10000.00\n");
    contentieux(&dir, "2026-11-22", "c4", &[]);
    assert_eq!(
        handoff(&dir, "c4")["BATI-012"]["motif"],
        "8 057,91 € réclamés, sous le seuil de 10 000,00 € fixé pour le contentieux (contentieux.minimum)"
    );

    // A consumer's invoice prescribed (two years, C. consom. L218-2).
    let dir = Dir::with_fixtures();
    dir.edit("contentieux.yaml", |t| {
        t.replace("date: 2026-02-01\n    due: 2026-03-01", "date: 2024-02-01\n    due: 2024-03-01")
    });
    contentieux(&dir, "2026-11-22", "c", &[]);
    let faure = &handoff(&dir, "c")["FAURE-010"];
    assert_eq!(faure["statut"], "exclu");
    assert!(faure["motif"].starts_with("prescrit : F-2026-0015"), "{}", faure["motif"]);
}

#[test]
fn case_forces_one_and_keeps_the_reason() {
    let dir = Dir::with_fixtures();
    contentieux(&dir, "2026-11-22", "c", &["--case", "STAR-004", "--no-record"]);
    let rows = handoff(&dir, "c");
    assert_eq!(rows.len(), 1);
    let star = &rows["STAR-004"];
    assert_eq!(star["statut"], "pret");
    assert!(star["motif"].starts_with("forcé (--case) malgré : pas de mise en demeure envoyée"), "{}", star["motif"]);
    assert!(dir.join("c/STAR-004/requete-injonction.pdf").exists());
    // Data never becomes code: the debtor's name prints literally.
    let text = dir.pdf_text("c/STAR-004/requete-injonction.pdf");
    assert!(text.contains("*Star* _Bureau_ $Conseil #1 @ <b>"), "{text}");
    let out =
        dir.relance(["contentieux", ".", "--date", "2026-11-22", "--out", "d", "--case", "NOPE-1"]).expect_code(2);
    assert!(out.stderr().contains("aucun dossier « NOPE-1 »"), "{}", out.stderr());
}

#[test]
fn a_small_claim_goes_to_a_commissaire_de_justice_when_preferred() {
    let dir = Dir::with_fixtures();
    dir.edit("relance.yaml", |t| t.to_string() + "contentieux:\n  route: commissaire\n");
    contentieux(&dir, "2026-11-22", "c", &[]);
    let rows = handoff(&dir, "c");
    assert_eq!(rows["FAURE-010"]["voie"], "commissaire");
    assert!(
        rows["FAURE-010"]["motif_voie"].contains("petite créance (410,79 € ≤ 5 000,00 €"),
        "{:?}",
        rows["FAURE-010"]
    );
    assert_eq!(rows["FAURE-010"]["fichiers"], "FAURE-010/saisine-commissaire.pdf ; FAURE-010/bordereau-pieces.pdf");
    let text = text_of(&dir, "c/FAURE-010/saisine-commissaire.pdf");
    assert!(text.contains("procédure simplifiée de recouvrement des petites créances"), "{text}");
    assert!(text.contains("l125-1") && text.contains("410,79 €"), "{text}");
    // Over 5,000 €, the procédure simplifiée is not open: the requête.
    assert_eq!(rows["BATI-012"]["voie"], "injonction");
    assert!(dir.join("c/BATI-012/requete-injonction.pdf").exists());
}

#[test]
fn the_hand_off_is_journaled_and_ends_the_letters() {
    let dir = Dir::with_fixtures();
    contentieux(&dir, "2026-11-22", "c", &[]);
    let history = dir.relance(["journal", "."]).expect_code(0).stdout();
    let line = fold(history.lines().find(|l| l.starts_with("BATI-012") && l.contains("contentieux")).unwrap());
    assert!(line.contains("transmis au contentieux le 2026-11-22 (requête en injonction de payer, 8 097,91"), "{line}");
    let plan = dir.relance(["plan", ".", "--date", "2026-11-30"]).expect_code(0).stdout();
    let bati = plan.lines().find(|l| l.starts_with("BATI-012")).unwrap();
    assert!(bati.contains("transmis au contentieux le 2026-11-22") && bati.contains("plus de relance"), "{bati}");
    // Even a forced level sends it nothing.
    dir.relance(["build", ".", "--date", "2026-11-30", "--out", "b", "--level", "mise-en-demeure", "--no-record"])
        .expect_code(0);
    assert!(!dir.letters("b").iter().any(|l| l.starts_with("BATI-012")), "{:?}", dir.letters("b"));
    // The same day again prepares the same files; a later day leaves it out.
    contentieux(&dir, "2026-11-22", "again", &[]);
    assert_eq!(
        std::fs::read(dir.join("c/BATI-012/requete-injonction.pdf")).unwrap(),
        std::fs::read(dir.join("again/BATI-012/requete-injonction.pdf")).unwrap()
    );
    contentieux(&dir, "2026-11-30", "later", &[]);
    assert!(handoff(&dir, "later")["BATI-012"]["motif"].starts_with("déjà transmis au contentieux le 2026-11-22"));
}

#[test]
fn letters_issued_by_relance_are_found_by_their_fingerprint() {
    let dir = Dir::with_fixtures();
    // STAR-004 gets its mise en demeure by registered letter on the 22nd…
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    assert!(dir.letters("d1").contains(&"STAR-004-mise-en-demeure.pdf".to_string()));
    dir.fill_deposit_list("d1", "STAR-004/mise-en-demeure", "1A 555 666 7778 8,2026-11-24,2026-11-24,");
    dir.relance(["record", ".", "filled.csv", "--date", "2026-11-25"]).expect_code(0);
    // …received on the 24th; 8 days to pay; on 10 December it goes to court.
    contentieux(&dir, "2026-12-10", "c", &["--letters", "d1", "--no-record"]);
    let text = text_of(&dir, "c/STAR-004/bordereau-pieces.pdf");
    assert!(text.contains("mise en demeure du 22 novembre 2026, lettre recommandée avec"), "{text}");
    assert!(text.contains("émise par relance"), "{text}");
    assert!(text.contains("avis de réception de la lettre recommandée n° 1a55566677788 :"), "{text}");
    assert!(text.contains("mise en demeure de payer"), "the letter itself is in the bordereau: {text}");
    // Without the folder, the copy is listed as missing, with its file.
    contentieux(&dir, "2026-12-10", "c2", &["--no-record"]);
    let star = &handoff(&dir, "c2")["STAR-004"];
    assert!(star["pieces_a_joindre"].contains("Mise en demeure du 22 novembre 2026"), "{:?}", star);
    let text = text_of(&dir, "c2/STAR-004/bordereau-pieces.pdf");
    assert!(text.contains("introuvable (--letters non donné)"), "{text}");
    // A file of that name with other bytes is not taken for the letter.
    std::fs::write(
        dir.join("d1/letters/STAR-004-mise-en-demeure.pdf"),
        std::fs::read(dir.join("invoices/F-2026-0012.pdf")).unwrap(),
    )
    .unwrap();
    contentieux(&dir, "2026-12-10", "c3", &["--letters", "d1", "--no-record"]);
    assert!(handoff(&dir, "c3")["STAR-004"]["pieces_a_joindre"].contains("Mise en demeure du 22 novembre 2026"));
}

#[test]
fn drafts_are_watermarked_deterministic_and_not_recorded() {
    let dir = Dir::with_fixtures();
    contentieux(&dir, "2026-11-22", "a", &["--draft"]);
    contentieux(&dir, "2026-11-22", "b", &["--draft"]);
    for f in ["BATI-012/requete-injonction.pdf", "BATI-012/bordereau-pieces.pdf", "contentieux.csv", "contentieux.json"]
    {
        assert_eq!(std::fs::read(dir.join("a").join(f)).unwrap(), std::fs::read(dir.join("b").join(f)).unwrap(), "{f}");
    }
    assert!(raw_text(&dir, "a/BATI-012/requete-injonction.pdf").contains("PROJET"));
    assert!(raw_text(&dir, "a/BATI-012/bordereau-pieces.pdf").contains("PROJET"));
    assert!(
        !dir.join("journal").exists()
            || std::fs::read_dir(dir.join("journal"))
                .unwrap()
                .all(|e| { !e.unwrap().file_name().to_string_lossy().contains("contentieux") })
    );
    // A bad case is reported with its place and does not stop the others.
    dir.write("broken.yaml", "id: BROKEN-1\ndebtor: 12\n");
    let out = dir.relance(["contentieux", ".", "--date", "2026-11-22", "--out", "c", "--no-record"]).expect_code(1);
    assert!(out.stderr().contains("broken.yaml"), "{}", out.stderr());
    assert!(dir.join("c/BATI-012/requete-injonction.pdf").exists());
}

#[test]
fn check_fails_when_the_requete_lacks_the_amount_or_the_court() {
    for (from, to, mention) in
        [("{{ court.name }}", "tribunal", "requete-court"), ("{{ totals.total }}", "", "requete-amount")]
    {
        let dir = Dir::new();
        dir.relance(["init", "s"]).expect_code(0);
        dir.edit("s/letter-templates/requete-injonction.typ.j2", |t| t.replace(from, to));
        let out = dir
            .relance(["check", "--date", "2026-11-22", "--templates", "s/letter-templates", "--format", "json"])
            .expect_code(1);
        let findings: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
        let found: Vec<(String, String)> = findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["level"].as_str().unwrap().to_string(), f["mention"].as_str().unwrap().to_string()))
            .collect();
        assert!(found.contains(&("requete-injonction".to_string(), mention.to_string())), "{mention}: {found:?}");
    }
}
