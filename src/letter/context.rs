//! The data a letter template sees: every figure already computed by the law
//! module and already formatted the French way, so that templates only place
//! text and never do arithmetic.

use serde::Serialize;

use super::Letter;
use crate::case::{Channel, Config};
use crate::escalation::last_letter;
use crate::law::InvoiceStatement;
use crate::money::{amount_in_words, format_date, format_date_short, format_eur, format_rate};

#[derive(Debug, Clone, Serialize)]
pub struct LetterContext {
    pub level: &'static str,
    pub level_label: &'static str,
    pub reference: String,
    pub date: String,
    pub date_iso: String,
    pub place: String,
    pub b2b: bool,
    pub lrar: bool,
    pub channel: &'static str,
    pub creditor: CreditorView,
    pub debtor: DebtorView,
    pub invoices: Vec<InvoiceView>,
    pub invoice_numbers: String,
    /// More than one invoice: drives "la facture" / "les factures".
    pub plural: bool,
    pub totals: Totals,
    /// Annual penalty rate in force at the letter date (B2B), e.g. "12,15 %".
    pub rate: Option<String>,
    /// B2C: taux légal that runs from the mise en demeure, when known.
    pub legal_rate: Option<String>,
    /// "du 2d semestre 2026": the period of `legal_rate`.
    pub legal_rate_period: String,
    /// How each penalty rate was obtained, for the décompte.
    pub rate_notes: Vec<RateNote>,
    pub indemnity_unit: String,
    pub deadline: String,
    pub deadline_days: u32,
    pub previous: Vec<PreviousLetter>,
    pub last_previous: Option<PreviousLetter>,
    pub oldest_due: String,
    /// File names of the invoice copies sent with the letter (e-mail).
    pub copies: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreditorView {
    pub name: String,
    pub legal: String,
    pub siren: String,
    pub address: Vec<String>,
    pub postal_code: String,
    pub city: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub iban: String,
    pub bic: String,
    pub payment_link: Option<String>,
    pub cheque_to: Option<String>,
    pub signatory_name: String,
    pub signatory_title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DebtorView {
    pub name: String,
    pub contact: Option<String>,
    /// The lines of the envelope window, in order.
    pub window: Vec<String>,
    pub siren: Option<String>,
    pub email: Option<String>,
    /// A first order: the amicale thanks before it reminds.
    pub new_customer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvoiceView {
    pub number: String,
    pub date: String,
    pub due: String,
    pub amount: String,
    pub paid: String,
    pub outstanding: String,
    pub penalties: String,
    pub indemnity: String,
    pub has_indemnity: bool,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub base: String,
    pub rate: String,
    pub amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub principal: String,
    pub penalties: String,
    pub indemnities: String,
    pub total: String,
    pub total_words: String,
    pub principal_words: String,
    pub has_penalties: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RateNote {
    pub semester: String,
    pub rate: String,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviousLetter {
    pub level: &'static str,
    pub label: &'static str,
    pub date: String,
    pub channel: &'static str,
}

fn invoice_view(i: &InvoiceStatement) -> InvoiceView {
    InvoiceView {
        number: i.number.clone(),
        date: format_date_short(i.date),
        due: format_date_short(i.due),
        amount: format_eur(i.amount),
        paid: format_eur(i.paid),
        outstanding: format_eur(i.outstanding),
        penalties: format_eur(i.penalties),
        indemnity: format_eur(i.indemnity),
        has_indemnity: !i.indemnity.is_zero(),
        lines: i
            .lines
            .iter()
            .map(|l| LineView {
                from: format_date_short(l.from),
                to: format_date_short(l.to),
                days: l.days,
                base: format_eur(l.base),
                rate: format_rate(l.rate),
                amount: format_eur(l.amount),
            })
            .collect(),
    }
}

/// Everything the template of the letter may print.
pub fn context(config: &Config, letter: &Letter) -> LetterContext {
    let Letter { case, owed, due, date } = *letter;
    let (level, channel, deadline, deadline_days) = (due.level, due.channel, due.deadline, due.deadline_days);
    let c = &config.creditor;
    let previous: Vec<PreviousLetter> = {
        let mut letters: Vec<_> = case.letters.iter().filter(|l| l.date.0 <= date).collect();
        letters.sort_by_key(|l| (l.date.0, l.level));
        letters
            .into_iter()
            .map(|l| PreviousLetter {
                level: l.level.as_str(),
                label: l.level.label_fr(),
                date: format_date(l.date.0),
                channel: l.channel.as_str(),
            })
            .collect()
    };
    let last_previous = last_letter(case, date).map(|l| PreviousLetter {
        level: l.level.as_str(),
        label: l.level.label_fr(),
        date: format_date(l.date.0),
        channel: l.channel.as_str(),
    });
    let invoices: Vec<InvoiceView> = owed.invoices.iter().map(invoice_view).collect();
    let numbers: Vec<&str> = owed.invoices.iter().map(|i| i.number.as_str()).collect();
    let oldest_due = owed.invoices.iter().map(|i| i.due).min().map(format_date).unwrap_or_default();
    LetterContext {
        level: level.as_str(),
        level_label: level.label_fr(),
        reference: format!("{}/{}", case.id, level.as_str()),
        date: format_date(date),
        date_iso: date.to_string(),
        place: c.city.clone(),
        b2b: owed.b2b,
        lrar: channel == Channel::Lrar,
        channel: channel.as_str(),
        creditor: CreditorView {
            name: c.name.clone(),
            legal: c.legal.clone(),
            siren: c.siren.grouped(),
            address: c.address.clone(),
            postal_code: c.postal_code.0.clone(),
            city: c.city.clone(),
            phone: c.phone.as_ref().map(|p| p.0.clone()),
            email: c.email.clone(),
            iban: c.iban.grouped(),
            bic: c.bic.0.clone(),
            payment_link: c.payment_link.clone(),
            cheque_to: c.cheque_to.clone(),
            signatory_name: c.signatory.name.clone(),
            signatory_title: c.signatory.title.clone(),
        },
        debtor: DebtorView {
            name: case.debtor.name.clone(),
            contact: case.debtor.contact.clone(),
            window: case.debtor.address_lines(),
            siren: case.debtor.siren.as_ref().map(|s| s.grouped()),
            email: case.debtor.email.clone(),
            new_customer: case.debtor.relationship == crate::case::Relationship::New,
        },
        plural: invoices.len() > 1,
        invoices,
        invoice_numbers: numbers.join(", "),
        totals: Totals {
            principal: format_eur(owed.principal),
            penalties: format_eur(owed.penalties),
            indemnities: format_eur(owed.indemnities),
            total: format_eur(owed.total),
            total_words: amount_in_words(owed.total),
            principal_words: amount_in_words(owed.principal),
            has_penalties: !(owed.penalties.is_zero() && owed.indemnities.is_zero()),
        },
        rate: owed.current_rate.map(format_rate),
        legal_rate: owed.legal_interest_rate.map(format_rate),
        legal_rate_period: crate::law::period_fr(crate::law::Semester::of(date)),
        rate_notes: owed
            .rates
            .iter()
            .map(|r| RateNote {
                semester: r.period.clone(),
                rate: format_rate(r.rate),
                explanation: r.explanation.clone(),
            })
            .collect(),
        indemnity_unit: format_eur(crate::law::INDEMNITY_PER_INVOICE),
        deadline: format_date(deadline),
        deadline_days,
        previous,
        last_previous,
        oldest_due,
        copies: Vec::new(),
    }
}
