//! Payment plans (échéanciers): the confirming letter once, no dunning
//! while the installments are paid on their days, and a missed one makes
//! the next letter come at once, citing it and the déchéance du terme.

use crate::util::*;

const PLAN: &str = "echeancier:
  date: 2026-11-20
  installments:
    - { date: 2026-12-10, amount: 500.00 }
    - { date: 2027-01-10, amount: 500.00 }
    - { date: 2027-02-10, amount: 630.57 }
";

fn letters(dir: &Dir, out: &str) -> Vec<String> {
    dir.letters(out).into_iter().filter(|n| n.starts_with("DUPONT-001")).collect()
}

fn plan_row(dir: &Dir, date: &str) -> String {
    let plan = dir.relance(["plan", ".", "--date", date]).expect_code(0).stdout();
    fold(plan.lines().find(|l| l.starts_with("DUPONT-001")).unwrap())
}

#[test]
fn a_plan_kept_is_confirmed_once_and_holds_the_dunning() {
    let dir = Dir::with_fixtures();
    dir.edit("dupont.yaml", |t| format!("{t}{PLAN}"));
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    assert_eq!(letters(&dir, "d1"), ["DUPONT-001-echeancier.pdf"]);
    let text = fold(&dir.pdf_text("d1/letters/DUPONT-001-echeancier.pdf"));
    for want in [
        "Objet : Confirmation de votre échéancier de paiement",
        "Suite à notre accord du 20 novembre 2026",
        "la somme totale de 1 630,57 € en 3 versements",
        "Échéance n° 1 — au plus tard le 10 décembre 2026 500,00 €",
        "Échéance n° 3 — au plus tard le 10 février 2027 630,57 €",
        "Clause de déchéance du terme",
        "immédiatement exigible",
    ] {
        assert!(text.contains(&fold(want)), "{want:?} not in\n{text}");
    }
    // Confirmed once; then nothing while it is kept.
    dir.relance(["build", ".", "--date", "2026-11-23", "--out", "d2"]).expect_code(0);
    assert!(letters(&dir, "d2").is_empty());
    assert!(
        plan_row(&dir, "2026-12-05")
            .contains("échéancier respecté : prochaine échéance de 500,00 € le 10 décembre 2026")
    );
    // The first installment paid on its day: still kept on the 11th.
    dir.edit("dupont.yaml", |t| t.replacen("payments:\n", "payments:\n  - { date: 2026-12-10, amount: 500.00 }\n", 1));
    dir.relance(["build", ".", "--date", "2026-12-11", "--out", "d3"]).expect_code(0);
    assert!(letters(&dir, "d3").is_empty());
    let row = plan_row(&dir, "2026-12-11");
    assert!(row.contains("prochaine échéance de 500,00 € le 10 janvier 2027") && row.contains("2027-01-11"), "{row}");
    let explain = dir.relance(["explain", "dupont.yaml", "--date", "2026-12-11"]).expect_code(0).stdout();
    assert!(
        fold(&explain).contains(&fold("Échéancier : échéancier du 20 novembre 2026 : 3 échéance(s), 1 630,57 € au total ; respecté (500,00 € versé)")),
        "{explain}"
    );
}

#[test]
fn a_missed_installment_brings_the_next_letter_at_once_citing_it() {
    let dir = Dir::with_fixtures();
    dir.edit("dupont.yaml", |t| format!("{t}{PLAN}"));
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    // 300 € of the 500 € due on 10 December.
    dir.edit("dupont.yaml", |t| t.replacen("payments:\n", "payments:\n  - { date: 2026-12-08, amount: 300.00 }\n", 1));
    assert!(plan_row(&dir, "2026-12-10").contains("échéancier respecté"));
    dir.relance(["build", ".", "--date", "2026-12-11", "--out", "d2"]).expect_code(0);
    // The amicale went out on 20 October: the formelle, without waiting.
    assert_eq!(letters(&dir, "d2"), ["DUPONT-001-formelle.pdf"]);
    let text = fold(&dir.pdf_text("d2/letters/DUPONT-001-formelle.pdf"));
    assert!(
        text.contains(&fold("L’échéancier convenu le 20 novembre 2026 prévoyait un versement de 500,00 € au plus tard le 10 décembre 2026 ; cette échéance n’a pas été honorée. Conformément à la clause de déchéance du terme de cet accord, la totalité des sommes restant dues est désormais immédiatement exigible.")),
        "{text}"
    );
    // Then the escalation resumes at its own pace.
    dir.relance(["build", ".", "--date", "2026-12-12", "--out", "d3"]).expect_code(0);
    assert!(letters(&dir, "d3").is_empty());
    assert!(
        plan_row(&dir, "2026-12-12").contains("dernière relance avant mise en demeure à partir du 26 décembre 2026")
    );
    let explain = dir.relance(["explain", "dupont.yaml", "--date", "2026-12-12"]).expect_code(0).stdout();
    assert!(
        fold(&explain).contains(&fold(
            "ROMPU : échéance du 10 décembre 2026 (500,00 €) non honorée (300,00 € versé sur 500,00 € dus)"
        )),
        "{explain}"
    );
}

#[test]
fn a_plan_recorded_from_the_command_line_is_confirmed_by_the_next_build() {
    let dir = Dir::with_fixtures();
    dir.relance([
        "record",
        "echeancier",
        "DUPONT-001",
        "--date",
        "2026-11-21",
        "--installment",
        "2026-12-15=800",
        "--installment",
        "2027-01-15=830.57",
    ])
    .expect_code(0);
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    assert_eq!(letters(&dir, "d1"), ["DUPONT-001-echeancier.pdf"]);
    let text = fold(&dir.pdf_text("d1/letters/DUPONT-001-echeancier.pdf"));
    assert!(text.contains(&fold("la somme totale de 1 630,57 € en 2 versements")), "{text}");
    let bad = dir
        .relance(["record", "echeancier", "DUPONT-001", "--date", "2026-11-21", "--installment", "2026-11-01=10"])
        .expect_code(2);
    assert!(
        bad.stderr().contains("installments[0].date : échéance du 2026-11-01 ; attendu : des dates croissantes"),
        "{}",
        bad.stderr()
    );
    let bad = dir.relance(["record", "echeancier", "DUPONT-001", "--installment", "demain=10"]).expect_code(2);
    assert!(bad.stderr().contains("demain"), "{}", bad.stderr());
}
