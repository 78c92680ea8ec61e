//! The telephone step: a policy step `appel` writes the call sheet and
//! list instead of a letter; `relance record appel` records the outcome: a
//! promise holds the escalation and, broken, is cited by the next letter;
//! a dispute puts the case on hold.

use crate::util::*;

/// The fixtures with a call seven days after the amicale.
fn with_call_step() -> Dir {
    let dir = Dir::with_fixtures();
    dir.edit("relance.yaml", |t| {
        t.replacen("  formelle: ", "  appel:            { after_previous: 7, channel: telephone }\n  formelle: ", 1)
    });
    // A second call due the same day, for a larger sum: first on the sheet.
    dir.edit("atelier-bleu.yaml", |t| {
        t.replacen("invoices:", "letters:\n  - { level: amicale, date: 2026-11-01, channel: email }\ninvoices:", 1)
    });
    dir
}

#[test]
fn the_call_step_writes_a_sheet_sorted_by_amount_instead_of_a_letter() {
    let dir = with_call_step();
    let out = dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out"]).expect_code(0);
    assert!(out.stderr().contains("2 appel(s) à passer (appels.pdf)"), "{}", out.stderr());
    assert!(
        !dir.join("out/letters/DUPONT-001-appel.pdf").exists()
            && !dir.join("out/letters/DUPONT-001-formelle.pdf").exists()
    );
    let csv = std::fs::read_to_string(dir.join("out/appels.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,debtor,contact,phone,email,invoices,principal,total,days_late,history,outcome,amount_promised,promised_by,note"
    );
    assert!(lines[1].starts_with("ATELIER-BLEU-002,") && lines[2].starts_with("DUPONT-001,"), "largest first:\n{csv}");
    assert!(lines[2].contains("04 78 12 34 56") && lines[2].contains(",1520.65,1630.70,83,"), "{}", lines[2]);
    let sheet = dir.pdf_text("out/appels.pdf");
    for want in [
        "Appels de relance du 22 novembre 2026",
        "Guide d’appel",
        "Dupont & Fils SARL",
        "Téléphone : 04 78 12 34 56 — demander : M. Jean Dupont",
        "F-2026-0042 (échue le 31/08/2026, reste 1 040,65 €)",
        "relance amicale du 20 octobre 2026, par e-mail",
    ] {
        assert!(fold(&sheet).contains(&fold(want)), "{want:?} not in\n{sheet}");
    }
    let manifest = std::fs::read_to_string(dir.join("out/manifest.csv")).unwrap();
    let row = manifest.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(row.contains(",call,appel,") && row.contains(",telephone,"), "{row}");
    // The call is a step: the formelle comes 15 days after it.
    let plan = dir.relance(["plan", ".", "--date", "2026-12-06"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(row.contains("appel 2026-11-22") && row.contains("seconde relance à partir du 7 décembre 2026"), "{row}");
    let history = dir.relance(["journal", ".", "--case", "DUPONT-001"]).expect_code(0).stdout();
    assert!(
        history.contains("DUPONT-001/appel/2026-11-22") && history.contains("sur la feuille d'appels"),
        "{history}"
    );
}

#[test]
fn a_broken_promise_is_cited_by_the_next_letter_and_a_kept_one_is_not() {
    let dir = with_call_step();
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    dir.relance([
        "record",
        "appel",
        "DUPONT-001",
        "--date",
        "2026-11-23",
        "--outcome",
        "promesse",
        "--amount",
        "500",
        "--until",
        "2026-12-10",
        "--note",
        "virement annoncé",
    ])
    .expect_code(0);
    // The promise holds the formelle (due on 7 December) through its day.
    let plan = dir.relance(["plan", ".", "--date", "2026-12-10"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(fold(row).contains(&fold("promesse de paiement de 500,00 € au 10 décembre 2026")), "{row}");
    let history = dir.relance(["journal", ".", "--case", "DUPONT-001"]).expect_code(0).stdout();
    assert!(
        history
            .contains("résultat de l'appel : promesse de paiement de 500,00\u{a0}€ au 2026-12-10 ; virement annoncé"),
        "{history}"
    );
    // Not kept: the formelle of the 11th says so.
    dir.relance(["build", ".", "--date", "2026-12-11", "--out", "d2"]).expect_code(0);
    let text = fold(&dir.pdf_text("d2/letters/DUPONT-001-formelle.pdf"));
    assert!(
        text.contains(&fold("Lors de notre entretien téléphonique du 23 novembre 2026, vous vous étiez engagé à nous régler 500,00 € au plus tard le 10 décembre 2026 ; ce règlement ne nous est pas parvenu.")),
        "{text}"
    );
    assert!(text.contains(&fold("Nous nous sommes également entretenus par téléphone le 23 novembre 2026.")), "{text}");
    // Kept (a payment of 500 € on the 9th): the same letter does not cite it.
    let kept = with_call_step();
    kept.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    kept.relance([
        "record",
        "appel",
        "DUPONT-001",
        "--date",
        "2026-11-23",
        "--outcome",
        "promesse",
        "--amount",
        "500",
        "--until",
        "2026-12-10",
    ])
    .expect_code(0);
    kept.edit("dupont.yaml", |t| t.replacen("payments:\n", "payments:\n  - { date: 2026-12-09, amount: 500.00 }\n", 1));
    kept.relance(["build", ".", "--date", "2026-12-11", "--out", "d2"]).expect_code(0);
    let text = fold(&kept.pdf_text("d2/letters/DUPONT-001-formelle.pdf"));
    assert!(!text.contains("vous étiez engagé"), "{text}");
}

#[test]
fn a_dispute_puts_the_case_on_hold_until_a_later_call() {
    let dir = with_call_step();
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    dir.relance([
        "record",
        "appel",
        "DUPONT-001",
        "--date",
        "2026-11-24",
        "--outcome",
        "litige",
        "--note",
        "conteste la livraison",
    ])
    .expect_code(0);
    let plan = dir.relance(["plan", ".", "--date", "2026-12-20"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(
        row.contains("suspendu : litige signalé lors de l'appel du 24 novembre 2026 : conteste la livraison"),
        "{row}"
    );
    dir.relance([
        "record",
        "appel",
        "DUPONT-001",
        "--date",
        "2026-12-01",
        "--outcome",
        "joint",
        "--note",
        "litige levé",
    ])
    .expect_code(0);
    let plan = dir.relance(["plan", ".", "--date", "2026-12-20"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(row.contains("formelle") && !row.contains("suspendu"), "{row}");
    let explain = dir.relance(["explain", "dupont.yaml", "--date", "2026-12-20"]).expect_code(0).stdout();
    assert!(explain.contains("Dernier appel : appel du 1er décembre 2026 : joint (litige levé)"), "{explain}");
    dir.relance(["build", ".", "--date", "2026-12-20", "--out", "d2"]).expect_code(0);
    let manifest = std::fs::read_to_string(dir.join("d2/manifest.csv")).unwrap();
    let row = manifest.lines().find(|l| l.starts_with("DUPONT-001")).unwrap();
    assert!(row.contains("appel du 1er décembre 2026 : joint (litige levé)"), "{row}");
}

#[test]
fn a_call_record_is_checked_before_it_is_written() {
    let dir = with_call_step();
    let out = dir.relance(["record", "appel", "DUPONT-001", "--outcome", "promesse", "--amount", "50"]).expect_code(2);
    assert!(out.stderr().contains("une promesse se note avec --amount MONTANT et --until DATE"), "{}", out.stderr());
    let out = dir.relance(["record", "appel", "NOPE-1", "--outcome", "joint"]).expect_code(2);
    assert!(out.stderr().contains("aucun dossier « NOPE-1 »"), "{}", out.stderr());
    let out = dir
        .relance([
            "record",
            "appel",
            "DUPONT-001",
            "--date",
            "2026-12-01",
            "--outcome",
            "promesse",
            "--amount",
            "50",
            "--until",
            "2026-11-30",
        ])
        .expect_code(2);
    assert!(out.stderr().contains("--until 2026-11-30 avant l'appel du 2026-12-01"), "{}", out.stderr());
    assert!(
        !dir.join("journal").exists()
            || std::fs::read_dir(dir.join("journal")).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("2026-12-01-call"))
    );
    // A letter cannot go by telephone.
    dir.edit("relance.yaml", |t| {
        t.replacen("channel: courrier, deadline_days: 8 }", "channel: telephone, deadline_days: 8 }", 1)
    });
    let out = dir.relance(["plan", "."]).expect_code(2);
    assert!(out.stderr().contains("policy.formelle.channel: un appel n'est pas une lettre"), "{}", out.stderr());
}
