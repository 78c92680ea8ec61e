//! The telephone step: the run's calls as `appels.csv` and a printable call
//! sheet (`appels.pdf`), largest sums first, with a short French guide for
//! the person who calls.

use std::borrow::Cow;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::csv_out::{CsvRecord, CsvWriter};
use crate::escape::escape_typst;
use crate::money::{format_date, format_date_short, format_eur};

/// One call to make.
#[derive(Debug, Clone)]
pub struct Call {
    /// The case id.
    pub id: String,
    /// The debtor.
    pub debtor: String,
    /// Whom to ask for.
    pub contact: String,
    /// The number to call (may be empty: to find).
    pub phone: String,
    /// The debtor's e-mail.
    pub email: String,
    /// The invoices past due: number, due date, balance.
    pub invoices: Vec<(String, NaiveDate, Decimal)>,
    /// Principal still owed.
    pub principal: Decimal,
    /// With penalties and indemnities.
    pub total: Decimal,
    /// Days since the oldest due date.
    pub days_late: i64,
    /// What was sent before, oldest first (`amicale du 1er octobre 2026, par e-mail`).
    pub history: Vec<String>,
    /// A promise not kept, when there is one.
    pub broken_promise: Option<String>,
}

/// The order of the sheet: the largest sum first, then by id.
pub fn sort_calls(calls: &mut [Call]) {
    calls.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.id.cmp(&b.id)));
}

struct CallRow<'a>(&'a Call);

impl CsvRecord for CallRow<'_> {
    const HEADER_FR: &'static [&'static str] = &[
        "dossier",
        "debiteur",
        "contact",
        "telephone",
        "email",
        "factures",
        "principal",
        "total",
        "jours_de_retard",
        "historique",
        "resultat",
        "montant_promis",
        "promis_pour",
        "note",
    ];
    const HEADER: &'static [&'static str] = &[
        "id",
        "debtor",
        "contact",
        "phone",
        "email",
        "invoices",
        "principal",
        "total",
        "days_late",
        "history",
        "outcome",
        "amount_promised",
        "promised_by",
        "note",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        let c = self.0;
        let invoices: Vec<String> = c.invoices.iter().map(|(n, d, _)| format!("{n} ({d})")).collect();
        vec![
            c.id.as_str().into(),
            c.debtor.as_str().into(),
            c.contact.as_str().into(),
            c.phone.as_str().into(),
            c.email.as_str().into(),
            invoices.join(" ; ").into(),
            format!("{:.2}", c.principal).into(),
            format!("{:.2}", c.total).into(),
            c.days_late.to_string().into(),
            c.history.join(" ; ").into(),
            // Filled in by whoever calls, then `relance record appel`.
            "".into(),
            "".into(),
            "".into(),
            "".into(),
        ]
    }
}

/// `appels.csv`: one row per call, in the sheet's order.
pub fn calls_csv(calls: &[Call], format: crate::csv_out::CsvFormat) -> std::io::Result<Vec<u8>> {
    let mut w = CsvWriter::with_format(Vec::new(), format);
    for c in calls {
        w.write(&CallRow(c))?;
    }
    w.finish::<CallRow>()
}

/// The call sheet's Typst markup: the guide, then one block per call.
pub fn calls_markup(calls: &[Call], creditor: &str, creditor_phone: &str, date: NaiveDate) -> String {
    let e = escape_typst;
    let mut m = String::new();
    m.push_str("#set document(title: \"Appels de relance\")\n");
    m.push_str("#set page(paper: \"a4\", margin: 16mm, footer: context align(right, text(size: 8pt)[Page #counter(page).display() / #counter(page).final().first()]))\n");
    m.push_str("#set text(font: \"Libertinus Serif\", size: 10pt, lang: \"fr\", hyphenate: false)\n");
    m.push_str("#let sq = box(width: 0.75em, height: 0.75em, stroke: 0.6pt, baseline: 0.05em)\n");
    m.push_str(&format!(
        "#text(size: 15pt, weight: \"bold\")[Appels de relance du {}] #h(1fr) {} appel(s)\n\n",
        e(&format_date(date)),
        calls.len()
    ));
    m.push_str(&format!(
        "#block(fill: luma(240), inset: 8pt, radius: 3pt, width: 100%)[*Guide d'appel* — \
         Présentez-vous : « {}, service comptabilité{} ». \
         Demandez la personne indiquée ; rappelez le numéro et la date de chaque facture et le montant dû. \
         Demandez si la facture a bien été reçue et s'il y a une difficulté (litige, erreur, problème de trésorerie). \
         Obtenez un engagement précis : un montant et une date, ou un échéancier à confirmer par écrit. \
         Restez courtois et factuel ; ne menacez pas. \
         Notez le résultat sur cette feuille (joint, injoignable, promesse, litige) puis enregistrez-le : \
         `relance record appel DOSSIER --outcome …`.]\n\n",
        e(creditor),
        if creditor_phone.is_empty() { String::new() } else { format!(", {}", e(creditor_phone)) }
    ));
    for c in calls {
        m.push_str("#block(breakable: false, stroke: 0.5pt + luma(150), inset: 8pt, radius: 3pt, width: 100%)[\n");
        m.push_str(&format!(
            "#text(size: 11.5pt, weight: \"bold\")[{}] #h(1fr) {} — *{}* \\\n",
            e(&c.debtor),
            e(&c.id),
            e(&format_eur(c.total))
        ));
        let phone = if c.phone.is_empty() { "numéro à trouver".to_string() } else { c.phone.clone() };
        m.push_str(&format!(
            "Téléphone : *{}*{}{} \\\n",
            e(&phone),
            if c.contact.is_empty() { String::new() } else { format!(" — demander : {}", e(&c.contact)) },
            if c.email.is_empty() { String::new() } else { format!(" — {}", e(&c.email)) }
        ));
        m.push_str(&format!(
            "Principal : {} ; avec pénalités et indemnités : {} ; retard : {} jours \\\n",
            e(&format_eur(c.principal)),
            e(&format_eur(c.total)),
            c.days_late
        ));
        let invoices: Vec<String> = c
            .invoices
            .iter()
            .map(|(n, d, b)| format!("{} (échue le {}, reste {})", e(n), e(&format_date_short(*d)), e(&format_eur(*b))))
            .collect();
        m.push_str(&format!("Factures : {} \\\n", invoices.join(" ; ")));
        if !c.history.is_empty() {
            let history: Vec<String> = c.history.iter().map(|h| e(h)).collect();
            m.push_str(&format!("Déjà envoyé : {} \\\n", history.join(" ; ")));
        }
        if let Some(p) = &c.broken_promise {
            m.push_str(&format!("*Promesse non tenue :* {} \\\n", e(p)));
        }
        m.push_str("Résultat : #sq joint #h(1em) #sq injoignable #h(1em) #sq promesse : ........ € le ..../..../........ #h(1em) #sq litige \\\n");
        m.push_str("Note : #box(width: 1fr, repeat[.])\n]\n#v(4pt)\n");
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, total: &str) -> Call {
        Call {
            id: id.into(),
            debtor: format!("*{id}* & $Fils"),
            contact: String::new(),
            phone: String::new(),
            email: String::new(),
            invoices: vec![],
            principal: total.parse().unwrap(),
            total: total.parse().unwrap(),
            days_late: 10,
            history: vec![],
            broken_promise: None,
        }
    }

    #[test]
    fn largest_sum_first_then_by_id() {
        let mut calls = vec![call("B", "10.00"), call("A", "10.00"), call("C", "99.00")];
        sort_calls(&mut calls);
        let ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["C", "A", "B"]);
    }

    #[test]
    fn data_is_escaped_in_the_sheet() {
        let m = calls_markup(&[call("A", "1.00")], "#read(\"/etc/passwd\")", "", NaiveDate::MIN);
        assert!(!m.contains("#read("), "{m}");
        assert!(!m.contains("*A* & $Fils"), "{m}");
    }
}
