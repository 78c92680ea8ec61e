//! `relance explain`: the décompte of a case as text a lawyer can check by
//! hand, line by line, with the formula and the source of every rate.

use std::fmt::Write;

use crate::case::Case;
use crate::escalation::{Decision, LetterDue};
use crate::law::{INDEMNITY_PER_INVOICE, Statement};
use crate::money::{amount_in_words, format_date, format_date_short, format_eur, format_rate};

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], right: &[usize]) {
    out.push_str(&crate::table::render("  ", header, rows, right));
}

/// One line of a penalty or interest table, with its computation spelt out.
fn line_row(invoice: &str, l: &crate::law::PenaltyLine) -> Vec<String> {
    vec![
        invoice.to_string(),
        format_date_short(l.from),
        format_date_short(l.to),
        l.days.to_string(),
        format_eur(l.base),
        format_rate(l.rate),
        format!("{} × {} × {} / 365", l.base, (l.rate / rust_decimal::Decimal::from(100)).normalize(), l.days)
            .replace('.', ","),
        format_eur(l.amount),
    ]
}

/// The décompte of `case` as plain text.
pub fn explain(case: &Case, owed: &Statement, decision: &Decision) -> String {
    let mut o = String::new();
    let kind = if owed.b2b { "professionnel" } else { "particulier" };
    let profile = case.profil.as_deref().map(|p| format!(" — profil {p}")).unwrap_or_default();
    let _ =
        writeln!(o, "Décompte {} — {} ({kind}){profile} — au {}", case.id, case.debtor.name, format_date(owed.date));
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "1. Principal (paiements imputés sur la facture désignée, sinon sur les dettes échues, celle au taux le plus élevé, puis la plus ancienne, au prorata entre égales — C. civ. 1342-10 ; un paiement partiel d'abord sur les pénalités échues — C. civ. 1343-1, sauf imputation: principal_first)"
    );
    let rows: Vec<Vec<String>> = owed
        .invoices
        .iter()
        .map(|i| {
            vec![
                i.number.clone(),
                format_date_short(i.date),
                format_date_short(i.due),
                format_eur(i.amount),
                format_eur(i.paid),
                format_eur(i.outstanding),
            ]
        })
        .collect();
    table(&mut o, &["Facture", "Date", "Échéance", "Montant TTC", "Réglé", "Reste dû"], &rows, &[3, 4, 5]);
    for i in &owed.invoices {
        for p in &i.payments {
            let penalties = if p.to_penalties.is_zero() {
                String::new()
            } else {
                format!(" et {} sur ses pénalités", format_eur(p.to_penalties))
            };
            let _ = writeln!(
                o,
                "  {} : paiement du {} imputé pour {} sur le principal{penalties} — {}",
                i.number,
                format_date_short(p.date),
                format_eur(p.amount),
                p.why
            );
        }
    }
    let _ = writeln!(o, "  Principal restant dû : {}", format_eur(owed.principal));
    for e in &owed.excluded {
        let _ = writeln!(
            o,
            "  Exclue de la relance : facture {} (reste {}) — {}",
            e.number,
            format_eur(e.outstanding),
            e.reason
        );
    }
    if !owed.unallocated.is_zero() {
        let _ = writeln!(o, "  Paiements non imputés (trop-perçu) : {}", format_eur(owed.unallocated));
    }
    let _ = writeln!(o);
    if owed.b2b {
        let _ = writeln!(
            o,
            "2. Pénalités de retard (C. com. L441-10) : base × taux × jours / 365, chaque ligne arrondie au centime (au plus proche, 0,005 vers le haut)"
        );
        let rows: Vec<Vec<String>> =
            owed.invoices.iter().flat_map(|i| i.lines.iter().map(|l| line_row(&i.number, l))).collect();
        table(&mut o, &["Facture", "Du", "Au", "Jours", "Base", "Taux", "Calcul", "Pénalités"], &rows, &[3, 4, 5, 7]);
        let paid: rust_decimal::Decimal = owed.invoices.iter().map(|i| i.penalties_paid).sum();
        if !paid.is_zero() {
            let _ = writeln!(
                o,
                "  Pénalités déjà réglées par les paiements partiels (C. civ. 1343-1) : − {}",
                format_eur(paid)
            );
        }
        let _ = writeln!(o, "  Total des pénalités restant dues : {}", format_eur(owed.penalties));
        let _ = writeln!(o, "  Taux appliqués :");
        for r in &owed.rates {
            let _ = writeln!(o, "    {} : {} — {}", r.period, format_rate(r.rate), r.explanation);
        }
        let _ = writeln!(o);
        let n = owed.invoices.iter().filter(|i| !i.indemnity.is_zero()).count();
        let _ = writeln!(
            o,
            "3. Indemnités forfaitaires pour frais de recouvrement (C. com. D441-5) : {n} × {} = {}",
            format_eur(INDEMNITY_PER_INVOICE),
            format_eur(owed.indemnities)
        );
        let _ = writeln!(o);
    } else if let Some(received) = owed.interest_from {
        let _ = writeln!(
            o,
            "2. Particulier : ni pénalités ni indemnité forfaitaire ; intérêts au taux légal depuis {} (C. civ. 1231-6, 1344-1), du lendemain au {} inclus : base × taux × jours / 365, chaque ligne arrondie au centime",
            if owed.interest_from_receipt {
                format!("la réception de la mise en demeure le {}", format_date(received))
            } else {
                format!("la mise en demeure du {} (date de réception non enregistrée)", format_date(received))
            },
            format_date(owed.date)
        );
        let rows: Vec<Vec<String>> =
            owed.invoices.iter().flat_map(|i| i.interest_lines.iter().map(|l| line_row(&i.number, l))).collect();
        table(&mut o, &["Facture", "Du", "Au", "Jours", "Base", "Taux", "Calcul", "Intérêts"], &rows, &[3, 4, 5, 7]);
        let _ = writeln!(o, "  Total des intérêts : {}", format_eur(owed.interest));
        let _ = writeln!(o, "  Taux appliqués :");
        for r in &owed.interest_rates {
            let _ = writeln!(o, "    {} : {} — {}", r.period, format_rate(r.rate), r.explanation);
        }
        let _ = writeln!(o);
    } else {
        let _ = writeln!(
            o,
            "2. Particulier : ni pénalités ni indemnité forfaitaire ; l'intérêt au taux légal{} court à compter de la réception de la mise en demeure (C. civ. 1231-6, 1344-1)",
            owed.legal_interest_rate.map(|r| format!(" ({})", format_rate(r))).unwrap_or_default()
        );
        let _ = writeln!(o);
    }
    if !owed.offset.is_zero() {
        let _ = writeln!(
            o,
            "Compensation (C. civ. 1347) : trop-perçu de {} déduit de ce qui est dû : − {}",
            format_eur(owed.unallocated),
            format_eur(owed.offset)
        );
    }
    let _ = writeln!(o, "Total réclamé : {}", format_eur(owed.total));
    let _ = writeln!(o, "  soit {}", amount_in_words(owed.total));
    let _ = writeln!(o);
    if let Some(plan) = &case.echeancier {
        let state = crate::echeancier::state(plan, case, owed.date);
        let _ = writeln!(o, "Échéancier : {}", crate::echeancier::describe(plan, &state));
        for (n, i) in plan.installments.iter().enumerate() {
            let _ = writeln!(o, "  {}. {} : {}", n + 1, format_date_short(i.date.0), format_eur(i.amount.0));
        }
    }
    if let Some(p) = &case.promise {
        let made = case.promise_made.map(|d| format!(" (appel du {})", format_date(d))).unwrap_or_default();
        let _ = writeln!(o, "Promesse de paiement : {} au {}{made}", format_eur(p.amount.0), format_date(p.date.0));
    }
    if let Some(b) = &case.broken_promise {
        let _ = writeln!(o, "Promesse non tenue : {b}");
    }
    if let Some(call) = &case.last_call {
        let _ = writeln!(o, "Dernier appel : {call}");
    }
    if case.echeancier.is_some() || case.promise.is_some() || case.last_call.is_some() {
        let _ = writeln!(o);
    }
    match decision {
        Decision::Send(LetterDue { level, channel, deadline, deadline_days, .. }) => {
            // A mise en demeure's deadline runs from its receipt (C. civ. 1344).
            let when = if *level == crate::case::Level::MiseEnDemeure {
                format!("à régler dans les {deadline_days} jours de sa réception")
            } else {
                format!("à régler au plus tard le {}", format_date(*deadline))
            };
            let _ = writeln!(o, "Lettre due : {} ({}), par {}, {when}", level.label_fr(), level, channel.as_str());
        }
        Decision::Skip { reason, .. } => {
            let _ = writeln!(o, "Pas de lettre : {reason}");
        }
    }
    if !owed.warnings.is_empty() {
        let _ = writeln!(o);
        let _ = writeln!(o, "Avertissements :");
        for w in &owed.warnings {
            let _ = writeln!(o, "  - {w}");
        }
    }
    o
}
