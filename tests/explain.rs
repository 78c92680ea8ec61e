//! `relance explain`: the décompte in the terminal, and the same figures in
//! the letters and the manifest.

use crate::util::*;
use relance::money::format_eur;
use rust_decimal::Decimal;
use std::str::FromStr;

fn explain(args: &[&str]) -> std::process::Output {
    relance()
        .arg("explain")
        .args(args)
        .args(["--config", fixtures().join("relance.yaml").to_str().unwrap(), "--date", RUN_DATE])
        .output()
        .unwrap()
}

#[test]
fn explain_prints_a_decompte_checkable_by_hand() {
    let out = explain(&[fixtures().join("dupont.yaml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fold(&stdout(&out));
    assert_has(
        &text,
        &[
            "Décompte DUPONT-001 — Dupont & Fils SARL (professionnel) — au 22 novembre 2026",
            "F-2026-0042 : paiement du 15/09/2026 imputé pour 193,91 € sur le principal et 6,09 € sur ses pénalités — facture désignée par le débiteur (C. civ. 1342-10) ; imputé d'abord sur les pénalités échues (C. civ. 1343-1)",
            "F-2026-0042 01/09/2026 15/09/2026 15 1 234,56 € 12,00 % 1234,56 × 0,12 × 15 / 365 6,09 €",
            "F-2026-0042 16/09/2026 22/11/2026 68 1 040,65 € 12,00 % 1040,65 × 0,12 × 68 / 365 23,26 €",
            "F-2026-0057 11/10/2026 22/11/2026 43 480,00 € 12,00 % 480,00 × 0,12 × 43 / 365 6,79 €",
            "Pénalités déjà réglées par les paiements partiels (C. civ. 1343-1) : − 6,09 €",
            "Total des pénalités restant dues : 30,05 €",
            "2 × 40,00 € = 80,00 €",
            "Total réclamé : 1 630,70 €",
            "soit mille six cent trente euros et soixante-dix centimes",
            "Lettre due : seconde relance (formelle), par courrier",
            "minimum légal non vérifié du 2d semestre 2026",
        ],
    );
}

#[test]
fn explain_of_a_consumer_has_no_penalties() {
    let out = explain(&[fixtures().join("moreau.yaml").to_str().unwrap()]);
    let text = fold(&stdout(&out));
    assert_has(&text, &["Particulier : ni pénalités ni indemnité forfaitaire", "Total réclamé : 645,90 €"]);
    assert!(!text.contains("L441-10"));
}

#[test]
fn letters_and_manifest_print_the_figures_explain_computes() {
    let out = explain(&[fixtures().to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let built = build(&fixtures(), dir.path(), &[]);
    assert_eq!(built.status.code(), Some(0));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let money = |v: &serde_json::Value| Decimal::from_str(v.as_str().unwrap()).unwrap();
    let mut letters_checked = 0;
    for entry in all.as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let st = &entry["statement"];
        let row = manifest["rows"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap();
        for key in ["principal", "penalties", "indemnities", "interest", "total"] {
            assert_eq!(money(&row[key]), money(&st[key]), "{id} {key}");
        }
        let file = row["file"].as_str().unwrap();
        if file.is_empty() {
            continue;
        }
        let text = pdf_text(&dir.path().join(file));
        assert!(text.contains(&fold(&format_eur(money(&st["principal"])))), "{id}: principal not in the letter");
        if row["level"] == "mise-en-demeure" || (st["b2b"] == true && row["level"] != "amicale") {
            assert!(text.contains(&fold(&format_eur(money(&st["total"])))), "{id}: total not in the letter");
        }
        if row["level"] == "mise-en-demeure" {
            for inv in st["invoices"].as_array().unwrap() {
                for l in inv["lines"].as_array().unwrap() {
                    let needle = fold(&format!("{} {}", l["days"], format_eur(money(&l["base"]))));
                    assert!(text.contains(&needle), "{id}: line {needle} not in the décompte");
                    assert!(
                        text.contains(&fold(&format_eur(money(&l["amount"])))),
                        "{id}: amount {} missing",
                        l["amount"]
                    );
                }
            }
        }
        letters_checked += 1;
    }
    assert_eq!(letters_checked, 6);
}

#[test]
fn an_updated_rate_table_can_be_passed_without_rebuilding() {
    let dir = tempfile::tempdir().unwrap();
    let rates = dir.path().join("rates.csv");
    // The shipped table plus an illustrative 2026-S2 row (figures made up for the test).
    let mut table = std::fs::read_to_string(root().join("data/rates.csv")).unwrap();
    table.push_str("2026-S2,1.00,2026-06-01,6.00,5.00,\"test row\"\n");
    std::fs::write(&rates, table).unwrap();
    let out = explain(&[fixtures().join("dupont.yaml").to_str().unwrap(), "--rates", rates.to_str().unwrap()]);
    let text = fold(&stdout(&out));
    // Floor 3 × 5.00 = 15 % > CGV 12 %: raised.
    assert_has(&text, &["2d semestre 2026 : 15,00 %", "1234,56 × 0,15 × 15 / 365"]);
    // The layout of relance 0.1 (one `source` column) is still read.
    std::fs::write(
        &rates,
        "semester,ecb_mro,legal_particulier,legal_other,source\n2026-S2,1.00,6.00,5.00,\"old layout\"\n",
    )
    .unwrap();
    let out = explain(&[fixtures().join("dupont.yaml").to_str().unwrap(), "--rates", rates.to_str().unwrap()]);
    assert!(fold(&stdout(&out)).contains("old layout"), "{}{}", stdout(&out), stderr(&out));
    std::fs::write(&rates, "semester,ecb_mro,ecb_since,legal_particulier,legal_other,legal_arrete\n2026-S9,x,,1,1,\n")
        .unwrap();
    let out = explain(&[fixtures().join("dupont.yaml").to_str().unwrap(), "--rates", rates.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rates.csv: ligne 2 :"), "{}", stderr(&out));
}

#[test]
fn a_rate_table_named_in_relance_yaml_serves_every_command() {
    let dir = Dir::with_fixtures();
    // The shipped table plus an illustrative 2026-S2 row (figures made up for the test).
    let table = std::fs::read_to_string(root().join("data/rates.csv")).unwrap()
        + "2026-S2,2.15,2025-06-11,6.67,2.50,\"ligne d'essai\"\n";
    dir.write("taux/rates.csv", table);
    dir.edit("relance.yaml", |t| format!("{t}rates: taux/rates.csv\n"));
    let explain = dir.relance(["explain", "dupont.yaml", "--date", "2026-11-22"]).expect_code(0).stdout();
    assert!(explain.contains("ligne d'essai"), "{explain}");
    assert!(!explain.contains("pas de taux pour le semestre 2026-S2"), "{explain}");
    let plan = dir.relance(["plan", ".", "--date", "2026-11-22", "--format", "json"]).expect_code(0).stdout();
    assert!(!plan.contains("pas de taux pour le semestre 2026-S2"), "{plan}");
}
