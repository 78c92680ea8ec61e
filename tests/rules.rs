//! The small rules back offices expect: a courtesy reminder before the due
//! date, a minimum sum per step, an invoice excluded from dunning, and
//! profiles (a policy per kind of debtor, with its own templates).

use crate::util::*;

fn plan_row(dir: &Dir, date: &str, id: &str) -> String {
    let plan = dir.relance(["plan", ".", "--date", date]).expect_code(0).stdout();
    fold(plan.lines().find(|l| l.starts_with(id)).unwrap())
}

#[test]
fn a_courtesy_reminder_goes_before_the_due_date_once() {
    let dir = Dir::with_fixtures();
    dir.edit("relance.yaml", |t| {
        t.replacen("policy:\n", "policy:\n  courtoisie:       { before_due: 5, channel: email }\n", 1)
    });
    // BERNARD's invoice falls due on 20 November: the reminder on the 15th.
    assert!(plan_row(&dir, "2026-11-14", "BERNARD-009").contains("rien à réclamer"));
    dir.relance(["build", ".", "--date", "2026-11-15", "--out", "d1"]).expect_code(0);
    assert!(dir.letters("d1").contains(&"BERNARD-009-courtoisie.pdf".to_string()), "{:?}", dir.letters("d1"));
    let text = fold(&dir.pdf_text("d1/letters/BERNARD-009-courtoisie.pdf"));
    for want in [
        "Objet : Rappel d’échéance — facture n° F-2026-0120",
        "au taux annuel de 12,00 %",
        "la facture suivante arrive prochainement à échéance, la première le 20 novembre 2026",
        "5 400,00 €",
    ] {
        assert!(text.contains(&fold(want)), "{want:?} not in\n{text}");
    }
    assert!(dir.join("d1/emails/BERNARD-009.eml").exists());
    // Once: not the next day; and the amicale still comes on time.
    dir.relance(["build", ".", "--date", "2026-11-16", "--out", "d2"]).expect_code(0);
    assert!(!dir.letters("d2").iter().any(|l| l.starts_with("BERNARD")), "{:?}", dir.letters("d2"));
    dir.relance(["build", ".", "--date", "2026-11-27", "--out", "d3"]).expect_code(0);
    assert!(dir.letters("d3").contains(&"BERNARD-009-amicale.pdf".to_string()), "{:?}", dir.letters("d3"));
}

#[test]
fn no_letter_under_the_minimum_of_its_step() {
    let dir = Dir::with_fixtures();
    // CODE-011 owes 99.99 €: no amicale under 100 €.
    dir.edit("relance.yaml", |t| {
        t.replacen("channel: email,    deadline_days: 8 }", "channel: email,    deadline_days: 8, minimum: 100.00 }", 1)
    });
    let row = plan_row(&dir, "2026-11-22", "CODE-011");
    assert!(
        row.contains("99,99 € restant dû, sous le minimum de 100,00 € pour la relance amicale : pas d'envoi"),
        "{row}"
    );
    assert!(plan_row(&dir, "2026-11-22", "ATELIER-BLEU-002").contains("amicale email"));
}

#[test]
fn an_excluded_invoice_is_listed_never_claimed() {
    let dir = Dir::with_fixtures();
    dir.edit("dupont.yaml", |t| {
        t.replacen("    amount: 480.00\n", "    amount: 480.00\n    exclude: litige sur la livraison\n", 1)
    });
    let row = plan_row(&dir, "2026-11-22", "DUPONT-001");
    assert!(row.contains("formelle courrier 1040.65"), "{row}");
    let explain = dir.relance(["explain", "dupont.yaml", "--date", "2026-11-22"]).expect_code(0).stdout();
    assert!(
        fold(&explain)
            .contains(&fold("Exclue de la relance : facture F-2026-0057 (reste 480,00 €) — litige sur la livraison")),
        "{explain}"
    );
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let text = fold(&dir.pdf_text("d1/letters/DUPONT-001-formelle.pdf"));
    assert!(text.contains(&fold("La facture n° F-2026-0057 n’est pas comprise dans la présente.")), "{text}");
    assert!(!text.contains("litige sur la livraison"), "the reason is the creditor's, not printed");
    assert!(text.contains(&fold("1 040,65 €")), "{text}");
}

#[test]
fn a_profile_has_its_own_policy_and_templates_and_check_covers_them() {
    let dir = Dir::with_fixtures();
    // "nouveau": strict, straight to the formelle by registered letter 3 days after the due date.
    std::fs::create_dir_all(dir.join("strict")).unwrap();
    for e in walkdir::WalkDir::new(root().join("letter-templates")).into_iter().filter_map(Result::ok) {
        let rel = e.path().strip_prefix(root().join("letter-templates")).unwrap();
        if e.file_type().is_dir() {
            std::fs::create_dir_all(dir.join("strict").join(rel)).unwrap();
        } else {
            std::fs::copy(e.path(), dir.join("strict").join(rel)).unwrap();
        }
    }
    dir.edit("strict/amicale.typ.j2", |t| {
        t.replacen(
            "Il s'agit sans doute d'un simple oubli.",
            "Conformément à nos conditions de vente, le paiement était exigible à l'échéance.",
            1,
        )
    });
    dir.edit("relance.yaml", |t| {
        format!(
            "{t}policies:\n  nouveau:\n    templates: strict\n    amicale:          {{ after_due: 3, channel: lrar, deadline_days: 5 }}\n    formelle:         {{ after_previous: 8, channel: lrar, deadline_days: 5 }}\n    avertissement:    {{ after_previous: 8, channel: lrar, deadline_days: 5 }}\n    mise-en-demeure:  {{ after_previous: 8, channel: lrar, deadline_days: 8 }}\n"
        )
    });
    // BERNARD (due 20 November) is a new customer: amicale after 3 days, not 7.
    dir.edit("recent.yaml", |t| t.replacen("debtor:", "profil: nouveau\ndebtor:", 1));
    let row = plan_row(&dir, "2026-11-23", "BERNARD-009");
    assert!(row.contains("BERNARD-009 professionnel nouveau amicale lrar"), "{row}");
    dir.relance(["build", ".", "--date", "2026-11-23", "--out", "d1"]).expect_code(0);
    let text = fold(&dir.pdf_text("d1/letters/BERNARD-009-amicale.pdf"));
    assert!(text.contains(&fold("Conformément à nos conditions de vente")), "{text}");
    let manifest = std::fs::read_to_string(dir.join("d1/manifest.csv")).unwrap();
    assert!(manifest.lines().next().unwrap().contains("debtor_type,profile,status"));
    assert!(manifest.lines().any(|l| l.starts_with("BERNARD-009,") && l.contains(",professionnel,nouveau,letter,")));
    let explain = dir.relance(["explain", "recent.yaml", "--date", "2026-11-23"]).expect_code(0).stdout();
    assert!(explain.contains("(professionnel) — profil nouveau —"), "{explain}");
    // check reads the profile's templates too.
    dir.edit("strict/partials/payment.typ.j2", |t| t.replacen("IBAN : *{{ creditor.iban }}* — ", "", 1));
    let out = dir.relance(["check", "--cases", ".", "--date", "2026-11-22"]).expect_code(1);
    assert!(out.stdout().contains("strict/amicale.typ.j2:1: amicale: missing payment-means"), "{}", out.stdout());
    // An unknown profile is that case's error.
    dir.edit("recent.yaml", |t| t.replacen("profil: nouveau", "profil: fidele", 1));
    let out = dir.relance(["build", ".", "--date", "2026-11-23", "--out", "d2"]).expect_code(1);
    assert!(
        out.stderr().contains("recent.yaml: profil: profil « fidele » inconnu ; attendu : l'un de nouveau"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_letter_claims_the_penalties_of_an_invoice_paid_late_and_says_it_was_paid() {
    let dir = Dir::with_fixtures();
    dir.write(
        "late.yaml",
        format!(
            "id: LATE-1\n{}invoices:\n  - {{number: F-LATE, date: 2026-09-01, due: 2026-09-30, amount: 1000.00}}\npayments:\n  - {{date: 2026-10-30, amount: 1000.00}}\n",
            debtor("professionnel")
        ),
    );
    // The creditor treats a payment of the invoice's amount as paying it.
    dir.edit("relance.yaml", |t| {
        t.replacen("  rate_split: semester\n", "  rate_split: semester\n  imputation: principal_first\n", 1)
    });
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let text = fold(&dir.pdf_text("d1/letters/LATE-1-amicale.pdf"));
    for want in [
        "Objet : Relance — pénalités de retard impayées — facture n° F-LATE",
        "Nous avons bien reçu le règlement du principal de la facture n° F-LATE le 30 octobre 2026 (échue le 30 septembre 2026)",
        "restent dues de plein droit",
    ] {
        assert!(text.contains(&fold(want)), "{want:?} not in\n{text}");
    }
    // The letter, explain and the manifest give the same total.
    let explain = fold(&dir.relance(["explain", "late.yaml", "--date", "2026-11-22"]).expect_code(0).stdout());
    let total = explain.split("Total réclamé : ").nth(1).unwrap().split(' ').take(2).collect::<Vec<_>>().join(" ");
    assert!(text.contains(&format!("la somme de {total}")), "{total} not in\n{text}");
    let manifest = std::fs::read_to_string(dir.join("d1/manifest.csv")).unwrap();
    let row = manifest.lines().find(|l| l.starts_with("LATE-1,")).unwrap();
    assert!(row.contains(",0.00,9.86,40.00,0.00,49.86,"), "{row}");
    // Without claim_after_payment, nothing.
    dir.edit("relance.yaml", |t| {
        t.replacen("  rate_split: semester\n", "  rate_split: semester\n  claim_after_payment: false\n", 1)
    });
    let row = fold(&dir.relance(["plan", ".", "--date", "2026-11-22"]).expect_code(0).stdout());
    assert!(row.contains("LATE-1 professionnel - - - 0.00 0.00 0.00 0.00 0.00"), "{row}");
}
