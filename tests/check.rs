//! `relance check`: the shipped templates pass; a copied template with one
//! mandatory mention broken fails, naming exactly that mention.

use std::path::{Path, PathBuf};

use crate::util::*;

/// `relance init` into a fresh folder; returns (guard, templates folder).
fn copy_templates() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = relance().arg("init").arg(dir.path().join("starter")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let templates = dir.path().join("starter/letter-templates");
    (dir, templates)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn check(templates: &Path, extra: &[&str]) -> std::process::Output {
    relance().args(["check", "--date", RUN_DATE, "--templates"]).arg(templates).args(extra).output().unwrap()
}

/// The set of (level, mention) pairs reported.
fn reported(out: &std::process::Output) -> Vec<(String, String)> {
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut pairs: Vec<(String, String)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["level"].as_str().unwrap().to_string(), f["mention"].as_str().unwrap().to_string()))
        .collect();
    pairs.sort();
    pairs.dedup();
    pairs
}

fn pairs(levels: &[&str], mention: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = levels.iter().map(|l| (l.to_string(), mention.to_string())).collect();
    v.sort();
    v
}

const ALL: [&str; 6] = ["amicale", "avertissement", "courtoisie", "echeancier", "formelle", "mise-en-demeure"];

#[test]
fn shipped_templates_pass() {
    let out = relance().args(["check", "--date", RUN_DATE]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("0 missing mention(s)"), "{}", stderr(&out));
}

#[test]
fn an_untouched_copy_passes() {
    let (_guard, templates) = copy_templates();
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn deleting_the_iban_is_reported_for_every_level() {
    let (_guard, templates) = copy_templates();
    edit(&templates.join("partials/payment.typ.j2"), "IBAN : *{{ creditor.iban }}* — ", "");
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for level in ALL {
        let line = format!(
            "{level}.typ.j2:1: {level}: missing payment-means ({{{{ creditor.iban }}}} is not in the template; moyens de paiement (IBAN et BIC))"
        );
        assert!(text.lines().any(|l| l == line), "expected {line}\n in\n{text}");
    }
    assert_eq!(text.lines().count(), ALL.len(), "{text}");
    let json = check(&templates, &["--format", "json"]);
    assert_eq!(reported(&json), pairs(&ALL, "payment-means"));
}

#[test]
fn a_deadline_hidden_in_an_always_false_if_is_reported() {
    let (_guard, templates) = copy_templates();
    edit(
        &templates.join("avertissement.typ.j2"),
        "au plus tard le *{{ deadline }}*.",
        "{% if false %}au plus tard le *{{ deadline }}*.{% endif %}",
    );
    edit(
        &templates.join("partials/payment.typ.j2"),
        "au plus tard le {{ deadline }}{% endif %}",
        "{% if false %}au plus tard le {{ deadline }}{% endif %}{% endif %}",
    );
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("avertissement: missing deadline ({{ deadline }} is only printed inside {% if false %}, which can hide it; date limite de paiement"),
        "{text}"
    );
    assert_eq!(reported(&check(&templates, &["--format", "json"])), pairs(&["avertissement"], "deadline"));
}

#[test]
fn a_misspelled_mise_en_demeure_is_reported() {
    let (_guard, templates) = copy_templates();
    let path = templates.join("mise-en-demeure.typ.j2");
    let text = std::fs::read_to_string(&path).unwrap().replace("ise en demeure", "ise en demeur");
    std::fs::write(&path, text).unwrap();
    let out = check(&templates, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(reported(&out), pairs(&["mise-en-demeure"], "mise-en-demeure"));
}

#[test]
fn a_missing_previous_letter_reference_is_reported() {
    let (_guard, templates) = copy_templates();
    edit(&templates.join("formelle.typ.j2"), "Par notre courrier du {{ last_previous.date }}, nous", "Nous");
    let out = check(&templates, &["--format", "json"]);
    assert_eq!(reported(&out), pairs(&["formelle"], "previous-letter"));
}

#[test]
fn removing_the_penalty_rate_is_reported_for_b2b_letters_only_where_it_was() {
    let (_guard, templates) = copy_templates();
    edit(&templates.join("partials/penalty-notice.typ.j2"), ", au taux annuel de {{ rate }},", ",");
    let out = check(&templates, &["--format", "json"]);
    // The mise en demeure states the rate in its own body; the others only had the notice.
    assert_eq!(
        reported(&out),
        pairs(&["amicale", "avertissement", "courtoisie", "echeancier", "formelle"], "penalty-rate")
    );
}

#[test]
fn a_value_printed_wrongly_is_caught_by_the_rendered_check() {
    let (_guard, templates) = copy_templates();
    // Statically the IBAN is still referenced; only reading the PDF shows it is cut.
    edit(&templates.join("partials/payment.typ.j2"), "*{{ creditor.iban }}*", "*{{ creditor.iban[:9] }}*");
    let out = check(&templates, &["--format", "json"]);
    assert_eq!(reported(&out), pairs(&ALL, "payment-means"));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &findings[0];
    assert_eq!(f["check"], "rendered");
    assert!(
        f["why"]
            .as_str()
            .unwrap()
            .contains("{{ creditor.iban }} = \"FR76 3000 6000 0112 3456 7890 189\" is not in the PDF's text"),
        "{f}"
    );
}

#[test]
fn a_firm_can_add_its_own_mention() {
    let (_guard, templates) = copy_templates();
    let req = templates.join("requirements.yaml");
    let mut text = std::fs::read_to_string(&req).unwrap();
    text.push_str("\n  - id: mediation\n    why: coordonnées du médiateur\n    levels: [mise-en-demeure]\n    words: [médiateur]\n");
    std::fs::write(&req, text).unwrap();
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("mise-en-demeure.typ.j2:1: mise-en-demeure: missing mediation (\"médiateur\" is not in the template; coordonnées du médiateur)"), "{}", stdout(&out));
}

#[test]
fn a_template_syntax_error_is_reported_with_its_line() {
    let (_guard, templates) = copy_templates();
    edit(
        &templates.join("amicale.typ.j2"),
        "{% endblock %}\n{% block body %}",
        "{% endblock %}\n{% block body %}{% if %}",
    );
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("amicale.typ.j2:3: all: missing valid-template"), "{}", stdout(&out));
}

#[test]
fn an_echeancier_letter_without_its_schedule_is_reported() {
    let (_guard, templates) = copy_templates();
    let path = templates.join("echeancier.typ.j2");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("#totals-table(rows: (").unwrap();
    let end = start + text[start..].find("))\n").unwrap() + 3;
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let out = check(&templates, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("echeancier.typ.j2:1: echeancier: missing plan-schedule ({{ plan.installments[].date }} is not in the template; calendrier de l'échéancier"),
        "{text}"
    );
}
