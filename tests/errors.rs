//! Bad case files: each error names the file, the line, the field and what
//! would be valid; the good cases of the batch are still decided.

use crate::util::*;

/// Writes `case` as bad.yaml next to the fixtures' config and a good case,
/// runs `relance plan`, and returns stderr. Asserts exit code 1 and that the
/// good case is still planned.
fn plan_with(case: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml")).unwrap();
    std::fs::copy(fixtures().join("dupont.yaml"), dir.path().join("dupont.yaml")).unwrap();
    std::fs::write(dir.path().join("bad.yaml"), case).unwrap();
    let out = relance().arg("plan").arg(dir.path()).args(["--date", RUN_DATE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("DUPONT-001"), "the good case is still planned");
    stderr(&out).replace(&format!("{}/", dir.path().display()), "")
}

#[track_caller]
fn expect(case: &str, line: &str) {
    let err = plan_with(case);
    assert!(err.lines().any(|l| l == format!("error: {line}")), "expected\n  error: {line}\ngot\n{err}");
}

#[test]
fn unknown_key_points_at_the_key() {
    let b2b = debtor("professionnel");
    expect(
        &format!(
            "id: A-1\n{b2b}invoices:\n  - number: F-1\n    date: 2026-01-01\n    due: 2026-01-31\n    ammount: 12.00\n"
        ),
        "bad.yaml:12:14: invoices[0].ammount: clé inconnue « ammount » ; clés possibles : number, date, due, amount, file ou exclude",
    );
}

#[test]
fn amount_with_three_decimals() {
    let b2b = debtor("professionnel");
    expect(
        &format!("id: A-1\n{b2b}invoices:\n  - {{number: F-1, date: 2026-01-01, due: 2026-01-31, amount: 10.001}}\n"),
        "bad.yaml:9:62: invoices[0].amount: « 10.001 » a plus de 2 décimales ; attendu : un montant positif en euros, avec un point et au plus 2 décimales, p. ex. 1234.56",
    );
}

#[test]
fn date_in_french_order() {
    let b2b = debtor("professionnel");
    expect(
        &format!("id: A-1\n{b2b}invoices:\n  - {{number: F-1, date: 31/03/2026, due: 2026-04-30, amount: 10}}\n"),
        "bad.yaml:9:25: invoices[0].date: « 31/03/2026 » n'est pas une date ; attendu : AAAA-MM-JJ, p. ex. 2026-03-31",
    );
}

#[test]
fn date_that_does_not_exist() {
    let b2b = debtor("professionnel");
    expect(
        &format!("id: A-1\n{b2b}invoices:\n  - {{number: F-1, date: 2026-02-01, due: 2026-02-30, amount: 10}}\n"),
        "bad.yaml:9:42: invoices[0].due: « 2026-02-30 » n'est pas un jour du calendrier ; attendu : AAAA-MM-JJ, p. ex. 2026-03-31",
    );
}

#[test]
fn due_before_invoice_date() {
    let b2b = debtor("professionnel");
    expect(
        &format!("id: A-1\n{b2b}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-02-28, amount: 1}}\n"),
        "bad.yaml:9:42: invoices[0].due: échéance 2026-02-28 antérieure à la date de la facture 2026-03-01 ; attendu : une échéance à la date de la facture ou après",
    );
}

#[test]
fn payment_naming_an_unknown_invoice() {
    let b2b = debtor("professionnel");
    expect(
        &format!(
            "id: A-1\n{b2b}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-03-31, amount: 1}}\npayments:\n  - {{date: 2026-04-01, amount: 1, invoice: F-9}}\n"
        ),
        "bad.yaml:11:44: payments[0].invoice: le paiement désigne la facture « F-9 », absente de ce dossier ; attendu : F-1 ou aucune facture (il va alors à la plus ancienne échue)",
    );
}

#[test]
fn id_with_a_slash() {
    let b2b = debtor("professionnel");
    expect(
        &format!("id: ../A\n{b2b}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-03-31, amount: 1}}\n"),
        "bad.yaml:1:5: id: « ../A » n'est pas un identifiant valide ; attendu : 1 à 64 caractères parmi A-Z a-z 0-9 . _ - (il nomme les fichiers produits), p. ex. DUPONT-001",
    );
}

#[test]
fn bad_siren() {
    let b2b = debtor("professionnel");
    let case = b2b.replace("  name: Bad SARL\n", "  name: Bad SARL\n  siren: \"123456789\"\n");
    expect(
        &format!("id: A-1\n{case}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-03-31, amount: 1}}\n"),
        "bad.yaml:5:10: debtor.siren: « 123456789 » a une clé de contrôle fausse (Luhn) ; attendu : 9 chiffres dont le dernier est une clé de Luhn juste, p. ex. 732829320",
    );
}

#[test]
fn address_line_too_long_for_the_window() {
    let b2b = debtor("professionnel");
    let case = b2b.replace("[\"1 rue X\"]", "[\"Zone industrielle des Grandes Terres Nord, bâtiment 4\"]");
    expect(
        &format!("id: A-1\n{case}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-03-31, amount: 1}}\n"),
        "bad.yaml:5:13: debtor.address[0]: « Zone industrielle des Grandes Terres Nord, bâtiment 4 » fait 53 caractères ; au plus 38 caractères par ligne dans la fenêtre de l'enveloppe (NF Z10-011)",
    );
}

#[test]
fn empty_file() {
    expect("", "bad.yaml:1:1: fin de fichier inattendue (le fichier est vide ou coupé)");
}

#[test]
fn address_as_a_string_instead_of_a_list() {
    let b2b = debtor("professionnel");
    let case = b2b.replace("[\"1 rue X\"]", "\"1 rue X\"");
    expect(
        &format!("id: A-1\n{case}invoices:\n  - {{number: F-1, date: 2026-03-01, due: 2026-03-31, amount: 1}}\n"),
        "bad.yaml:5:12: debtor.address: attendu : une liste (des lignes commençant par « - », ou [a, b])",
    );
}

#[test]
fn duplicate_ids_fail_both_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml")).unwrap();
    std::fs::copy(fixtures().join("dupont.yaml"), dir.path().join("a.yaml")).unwrap();
    std::fs::copy(fixtures().join("dupont.yaml"), dir.path().join("b.yaml")).unwrap();
    let out = relance().arg("plan").arg(dir.path()).args(["--date", RUN_DATE]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("a.yaml:3:5: id: l'identifiant « DUPONT-001 » est aussi celui de"), "{err}");
    assert!(err.contains("b.yaml:3:5: id: l'identifiant « DUPONT-001 » est aussi celui de"), "{err}");
}
