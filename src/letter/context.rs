//! The data a letter template sees: every figure already computed by the law
//! module and already formatted the French way, so that templates only place
//! text and never do arithmetic.

use serde::Serialize;

use super::Letter;
use crate::case::{Channel, Config, SentLetter};
use crate::escalation::last_letter;
use crate::law::InvoiceStatement;
use crate::money::{amount_in_words, format_date, format_date_short, format_eur, format_rate};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LetterContext {
    pub(crate) level: &'static str,
    pub(crate) level_label: &'static str,
    /// « Madame », « Monsieur » or « Madame, Monsieur »: the letter's
    /// salutation and its closing formula.
    pub(crate) salutation: &'static str,
    pub(crate) reference: String,
    pub(crate) date: String,
    pub(crate) date_iso: String,
    pub(crate) place: String,
    pub(crate) b2b: bool,
    pub(crate) lrar: bool,
    pub(crate) channel: &'static str,
    pub(crate) creditor: CreditorView,
    pub(crate) debtor: DebtorView,
    pub(crate) invoices: Vec<InvoiceView>,
    pub(crate) invoice_numbers: String,
    /// More than one invoice: drives "la facture" / "les factures".
    pub(crate) plural: bool,
    pub(crate) totals: Totals,
    /// Annual penalty rate in force at the letter date (B2B), e.g. "12,15 %".
    pub(crate) rate: Option<String>,
    /// B2C: taux légal that runs from the mise en demeure, when known.
    pub(crate) legal_rate: Option<String>,
    /// "du 2d semestre 2026": the period of `legal_rate`.
    pub(crate) legal_rate_period: String,
    /// How each penalty rate was obtained, for the décompte.
    pub(crate) rate_notes: Vec<RateNote>,
    /// B2C: the legal interest rates applied since the mise en demeure.
    pub(crate) interest_notes: Vec<RateNote>,
    /// « facture impayée n° » / « pénalités de retard impayées — facture n° »…
    pub(crate) subject_what: String,
    /// Every invoice claimed is paid: only penalties and indemnities are.
    pub(crate) principal_paid: bool,
    /// The invoices paid after their due date, still in the claim for
    /// their penalties.
    pub(crate) paid_late: Vec<PaidLate>,
    /// A promise to pay that was not kept, as a sentence.
    pub(crate) broken_promise: Option<String>,
    /// A payment plan not kept, as a sentence (the déchéance du terme).
    pub(crate) broken_plan: Option<String>,
    /// The case's payment plan, when it has one.
    pub(crate) plan: Option<PlanView>,
    /// Invoice numbers excluded from dunning: not claimed by this letter.
    pub(crate) excluded: Vec<String>,
    /// The last telephone step, when it is the last step: « Nous nous
    /// sommes entretenus par téléphone le … » or « Nous avons cherché à
    /// vous joindre par téléphone le … ».
    pub(crate) last_call: Option<String>,
    pub(crate) indemnity_unit: String,
    pub(crate) deadline: String,
    pub(crate) deadline_days: u32,
    pub(crate) previous: Vec<PreviousLetter>,
    pub(crate) last_previous: Option<PreviousLetter>,
    pub(crate) oldest_due: String,
    /// File names of the invoice copies sent with the letter (e-mail).
    pub(crate) copies: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CreditorView {
    pub(crate) name: String,
    pub(crate) legal: String,
    pub(crate) siren: String,
    pub(crate) address: Vec<String>,
    pub(crate) postal_code: String,
    pub(crate) city: String,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) iban: String,
    pub(crate) bic: String,
    pub(crate) payment_link: Option<String>,
    pub(crate) cheque_to: Option<String>,
    pub(crate) signatory_name: String,
    pub(crate) signatory_title: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct DebtorView {
    pub(crate) name: String,
    pub(crate) contact: Option<String>,
    /// The lines of the envelope window, in order.
    pub(crate) window: Vec<String>,
    pub(crate) siren: Option<String>,
    pub(crate) email: Option<String>,
    /// A first order: the amicale thanks before it reminds.
    pub(crate) new_customer: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct InvoiceView {
    pub(crate) number: String,
    pub(crate) date: String,
    pub(crate) due: String,
    pub(crate) amount: String,
    pub(crate) paid: String,
    pub(crate) outstanding: String,
    pub(crate) penalties: String,
    pub(crate) indemnity: String,
    pub(crate) has_indemnity: bool,
    pub(crate) lines: Vec<LineView>,
    /// B2C: legal interest lines since the mise en demeure was received.
    pub(crate) interest_lines: Vec<LineView>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LineView {
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) days: i64,
    pub(crate) base: String,
    pub(crate) rate: String,
    pub(crate) amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Totals {
    pub(crate) principal: String,
    pub(crate) penalties: String,
    pub(crate) indemnities: String,
    pub(crate) total: String,
    pub(crate) total_words: String,
    pub(crate) principal_words: String,
    pub(crate) has_penalties: bool,
    /// B2C: legal interest since the mise en demeure was received.
    pub(crate) interest: String,
    pub(crate) has_interest: bool,
    /// The day the mise en demeure was received, when interest runs.
    pub(crate) interest_from: Option<String>,
    pub(crate) interest_from_receipt: bool,
    /// Penalties already paid by partial payments (C. civ. 1343-1).
    pub(crate) penalties_paid: String,
    pub(crate) has_penalties_paid: bool,
    /// A credit set off against the claim (C. civ. 1347).
    pub(crate) offset: String,
    pub(crate) has_offset: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PaidLate {
    pub(crate) number: String,
    pub(crate) paid_on: String,
    pub(crate) due: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PlanView {
    pub(crate) date: String,
    pub(crate) installments: Vec<InstallmentView>,
    pub(crate) count: usize,
    pub(crate) total: String,
    pub(crate) first_amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct InstallmentView {
    pub(crate) date: String,
    pub(crate) amount: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RateNote {
    pub(crate) semester: String,
    pub(crate) rate: String,
    pub(crate) explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct PreviousLetter {
    /// The registered letter's number, when recorded.
    pub(crate) tracking: Option<String>,
    /// When it was received (avis de réception), when recorded.
    pub(crate) received: Option<String>,
    pub(crate) level: &'static str,
    pub(crate) label: &'static str,
    pub(crate) date: String,
    pub(crate) channel: &'static str,
}

impl PreviousLetter {
    fn of(l: &SentLetter) -> PreviousLetter {
        PreviousLetter {
            level: l.level.as_str(),
            label: l.level.label_fr(),
            date: format_date(l.date.0),
            channel: l.channel.as_str(),
            tracking: l.tracking.clone(),
            received: l.received.map(|d| format_date(d.0)),
        }
    }
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
        lines: i.lines.iter().map(line_view).collect(),
        interest_lines: i.interest_lines.iter().map(line_view).collect(),
    }
}

fn line_view(l: &crate::law::PenaltyLine) -> LineView {
    LineView {
        from: format_date_short(l.from),
        to: format_date_short(l.to),
        days: l.days,
        base: format_eur(l.base),
        rate: format_rate(l.rate),
        amount: format_eur(l.amount),
    }
}

fn rate_note(r: &crate::law::RateUsed) -> RateNote {
    RateNote { semester: r.period.clone(), rate: format_rate(r.rate), explanation: r.explanation.clone() }
}

/// Everything the template of the letter may print.
pub(crate) fn context(config: &Config, letter: &Letter) -> LetterContext {
    let Letter { case, owed, due, date } = *letter;
    let (level, channel, deadline, deadline_days) = (due.level, due.channel, due.deadline, due.deadline_days);
    let c = &config.creditor;
    // The letters: the escalation's steps but its calls.
    let is_letter = |l: &&SentLetter| l.date.0 <= date && l.level.escalates() && l.channel != Channel::Telephone;
    let previous: Vec<PreviousLetter> = {
        let mut letters: Vec<_> = case.letters.iter().filter(is_letter).collect();
        letters.sort_by_key(|l| (l.date.0, l.level));
        letters.into_iter().map(PreviousLetter::of).collect()
    };
    let last_previous =
        case.letters.iter().filter(is_letter).max_by_key(|l| (l.date.0, l.level)).map(PreviousLetter::of);
    let last_call = case
        .letters
        .iter()
        .filter(|l| l.date.0 <= date && l.channel == Channel::Telephone)
        .map(|l| l.date.0)
        .max()
        .filter(|call| last_letter(case, date).is_some_and(|l| l.date.0 <= *call))
        .map(|call| match case.reached.filter(|r| *r >= call) {
            Some(r) => format!("Nous nous sommes également entretenus par téléphone le {}.", format_date(r)),
            None => format!("Nous avons également cherché à vous joindre par téléphone le {}.", format_date(call)),
        });
    let invoices: Vec<InvoiceView> = owed.invoices.iter().map(invoice_view).collect();
    let numbers: Vec<&str> = owed.invoices.iter().map(|i| i.number.as_str()).collect();
    let oldest_due = owed.invoices.iter().map(|i| i.due).min().map(format_date).unwrap_or_default();
    LetterContext {
        level: level.as_str(),
        level_label: level.label_fr(),
        salutation: case.debtor.salutation(),
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
            interest: format_eur(owed.interest),
            has_interest: !owed.interest.is_zero(),
            interest_from: owed.interest_from.map(format_date),
            interest_from_receipt: owed.interest_from_receipt,
            penalties_paid: format_eur(owed.invoices.iter().map(|i| i.penalties_paid).sum()),
            has_penalties_paid: owed.invoices.iter().any(|i| !i.penalties_paid.is_zero()),
            offset: format_eur(owed.offset),
            has_offset: !owed.offset.is_zero(),
        },
        rate: owed.rate_text.clone(),
        legal_rate: owed.legal_interest_rate.map(format_rate),
        legal_rate_period: crate::law::period_fr(crate::law::Semester::of(date)),
        rate_notes: owed.rates.iter().map(rate_note).collect(),
        interest_notes: owed.interest_rates.iter().map(rate_note).collect(),
        subject_what: {
            let paid = owed.principal.is_zero();
            match (paid, owed.invoices.len() > 1) {
                (false, false) => "facture impayée n° ",
                (false, true) => "factures impayées n° ",
                (true, false) => "pénalités de retard impayées — facture n° ",
                (true, true) => "pénalités de retard impayées — factures n° ",
            }
            .to_string()
        },
        principal_paid: owed.principal.is_zero(),
        paid_late: owed
            .invoices
            .iter()
            .filter(|i| i.outstanding.is_zero())
            .filter_map(|i| {
                i.payments.iter().map(|p| p.date).max().map(|d| PaidLate {
                    number: i.number.clone(),
                    paid_on: format_date(d),
                    due: format_date(i.due),
                })
            })
            .collect(),
        broken_promise: case.broken_promise.clone(),
        broken_plan: case.broken_plan.clone(),
        excluded: owed.excluded.iter().map(|e| e.number.clone()).collect(),
        plan: case.echeancier.as_ref().map(|p| PlanView {
            date: format_date(p.date.0),
            installments: p
                .installments
                .iter()
                .map(|i| InstallmentView { date: format_date(i.date.0), amount: format_eur(i.amount.0) })
                .collect(),
            count: p.installments.len(),
            total: format_eur(p.total()),
            first_amount: p.installments.first().map(|i| format_eur(i.amount.0)).unwrap_or_default(),
        }),
        last_call,
        indemnity_unit: format_eur(crate::law::INDEMNITY_PER_INVOICE),
        deadline: format_date(deadline),
        deadline_days,
        previous,
        last_previous,
        oldest_due,
        copies: Vec::new(),
    }
}
