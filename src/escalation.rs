//! Which letter, if any, a case is due for on the run date (docs/rules.md).

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::case::{Case, Channel, Level, Policy, SentLetter};
use crate::law::Statement;
use crate::money::{format_date, format_eur};

/// The outcome for one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Send a letter.
    Send(LetterDue),
    /// No letter today; `reason` is printed in the manifest, in French.
    Skip {
        /// Why, in French.
        reason: String,
        /// When the next letter becomes due, when it is only a matter of
        /// time (a delay of the policy, a promise).
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<NaiveDate>,
    },
}

/// The letter a case is due for: what was decided, in one value that the
/// letter, the e-mail and the manifest all read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetterDue {
    /// The level of the letter.
    pub level: Level,
    /// How it goes out.
    pub channel: Channel,
    /// Why the channel differs from the policy, if it does.
    pub channel_note: Option<String>,
    /// Pay-by date printed in the letter.
    pub deadline: NaiveDate,
    /// Days from the letter date to the deadline.
    pub deadline_days: u32,
}

impl Decision {
    /// The letter, when one is due.
    pub fn letter(&self) -> Option<&LetterDue> {
        match self {
            Decision::Send(due) => Some(due),
            Decision::Skip { .. } => None,
        }
    }
}

/// `d` plus `n` days, checked (dates and delays are bounded where read).
fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX)
}

/// The last escalation step taken on or before `date` (by date, then by
/// level): what the next step counts from. A courtesy reminder or a
/// payment-plan letter is not a step.
pub fn last_letter(case: &Case, date: NaiveDate) -> Option<&SentLetter> {
    case.letters.iter().filter(|l| l.date.0 <= date && l.level.escalates()).max_by_key(|l| (l.date.0, l.level))
}

/// Decides the level for `case` at `date` given what it owes, under
/// `policy` (its profile's).
/// `forced` (`--level`) overrides the timing, never a hold, a promise or a
/// zero balance: a reprint must not dun a debtor who owes nothing.
pub fn decide(case: &Case, policy: &Policy, owed: &Statement, date: NaiveDate, forced: Option<Level>) -> Decision {
    let skip = |reason: String| Decision::Skip { reason, next: None };
    let wait = |reason: String, next: NaiveDate| Decision::Skip { reason, next: Some(next) };
    // Nothing owed but penalties and indemnities on invoices paid late:
    // those are claimed too (terms.claim_after_payment decides whether the
    // statement keeps them).
    if owed.principal <= rust_decimal::Decimal::ZERO && owed.total <= rust_decimal::Decimal::ZERO {
        let prescribed: Vec<&str> = owed.excluded.iter().filter(|e| e.prescribed).map(|e| e.number.as_str()).collect();
        if !prescribed.is_empty() {
            return skip(format!(
                "prescrit : {} ({}) ; aucune relance possible",
                prescribed.join(", "),
                owed.excluded.iter().find(|e| e.prescribed).map(|e| e.reason.as_str()).unwrap_or_default()
            ));
        }
        if owed.unallocated > rust_decimal::Decimal::ZERO {
            return skip(format!(
                "trop-perçu de {} : rien à réclamer{}",
                format_eur(owed.unallocated),
                if owed.offset > rust_decimal::Decimal::ZERO {
                    format!(
                        " ({} compensés avec les pénalités et indemnités dues, C. civ. 1347)",
                        format_eur(owed.offset)
                    )
                } else {
                    String::new()
                }
            ));
        }
        return skip("rien à réclamer : aucune facture échue impayée".into());
    }
    if let Some(transmitted) = &case.transmitted {
        return skip(format!("{transmitted} : plus de relance"));
    }
    if let Some(hold) = &case.hold {
        return skip(format!("suspendu : {hold}"));
    }
    if let Some(unsent) = &case.unsent_email {
        return skip(format!("en attente d'envoi : {unsent}"));
    }
    if let Some(plan) = case.echeancier.as_ref().filter(|p| p.date.0 <= date) {
        let confirmed =
            case.letters.iter().any(|l| l.level == Level::Echeancier && l.date.0 >= plan.date.0 && l.date.0 <= date);
        match crate::echeancier::state(plan, case, date) {
            crate::echeancier::PlanState::Kept { next, .. } => {
                if !confirmed || forced == Some(Level::Echeancier) {
                    let first = plan.installments.first().map_or(date, |i| i.date.0);
                    return send(case, policy, Level::Echeancier, date, Some(first), owed);
                }
                return match next {
                    Some(n) => wait(
                        format!(
                            "échéancier respecté : prochaine échéance de {} le {}",
                            format_eur(n.amount.0),
                            format_date(n.date.0)
                        ),
                        add_days(n.date.0, 1),
                    ),
                    None => skip("échéancier soldé".into()),
                };
            }
            crate::echeancier::PlanState::Broken { .. } if case.broken_plan.is_some() => {
                // The déchéance du terme: the next step at once, citing it.
                let level = match last_letter(case, date) {
                    None => Some(Level::Amicale),
                    Some(prev) => policy.next_after(prev.level),
                };
                return match level {
                    Some(level) => send(case, policy, forced.unwrap_or(level), date, None, owed),
                    None => skip(format!(
                        "échéancier rompu après la mise en demeure : à transmettre au contentieux ({})",
                        case.broken_plan.as_deref().unwrap_or_default()
                    )),
                };
            }
            // Broken, and a letter already followed: the usual escalation.
            crate::echeancier::PlanState::Broken { .. } => {}
        }
    }
    if forced == Some(Level::Echeancier) {
        return skip("pas d'échéancier en cours dans ce dossier".into());
    }
    if let Some(p) = &case.promise
        && p.date.0 >= date
    {
        return wait(
            format!("promesse de paiement de {} au {}", format_eur(p.amount.0), format_date(p.date.0)),
            p.date.0,
        );
    }
    let last = last_letter(case, date);
    let level = match forced {
        Some(l) => l,
        None => match last {
            None => {
                // From the oldest invoice still unpaid; with only penalties
                // left, from the day the last late invoice was paid.
                let unpaid =
                    owed.invoices.iter().filter(|i| i.outstanding > rust_decimal::Decimal::ZERO).map(|i| i.due).min();
                let paid = owed.invoices.iter().flat_map(|i| i.payments.iter().map(|p| p.date)).max();
                let Some(oldest_due) = unpaid.or(paid) else {
                    return skip("rien à réclamer : aucune facture échue impayée".into());
                };
                let when = add_days(oldest_due, policy.amicale.after_due);
                if date < when {
                    return wait(format!("pas encore : relance amicale à partir du {}", format_date(when)), when);
                }
                Level::Amicale
            }
            Some(prev) => {
                let Some(next) = policy.next_after(prev.level) else {
                    return after_formal_notice(prev, policy, date);
                };
                let delay = policy.step(next).map_or(0, |s| s.delay);
                let when = add_days(prev.date.0, delay);
                if date < when {
                    return wait(format!("pas encore : {} à partir du {}", next.label_fr(), format_date(when)), when);
                }
                next
            }
        },
    };
    send(case, policy, level, date, None, owed)
}

/// The letter of `level` for `case`, unless its minimum or its address
/// stands in the way. `deadline` overrides the policy's days to pay.
fn send(
    case: &Case,
    policy: &Policy,
    level: Level,
    date: NaiveDate,
    deadline: Option<NaiveDate>,
    owed: &Statement,
) -> Decision {
    let skip = |reason: String| Decision::Skip { reason, next: None };
    let Some(step) = policy.step(level) else {
        return skip(format!("la politique de relance n'a pas d'étape {level}"));
    };
    let claimed = if owed.principal > rust_decimal::Decimal::ZERO { owed.principal } else { owed.total };
    if let Some(minimum) = step.minimum
        && claimed < minimum
    {
        return skip(format!(
            "{} restant dû, sous le minimum de {} pour la {} : pas d'envoi",
            format_eur(claimed),
            format_eur(minimum),
            level.label_fr()
        ));
    }
    let postal = matches!(step.channel, Channel::Courrier | Channel::Lrar)
        || (step.channel == Channel::Email && case.debtor.email.is_none());
    if postal && let Some(why) = &case.address_to_verify {
        return skip(format!("adresse à vérifier : {why} ; corrigez l'adresse du débiteur dans son dossier"));
    }
    let (channel, channel_note) = if step.channel == Channel::Email && case.debtor.email.is_none() {
        (Channel::Courrier, Some("pas d'adresse e-mail : envoi par courrier".to_string()))
    } else {
        (step.channel, None)
    };
    let (deadline, deadline_days) = match deadline {
        Some(d) => (d, u32::try_from((d - date).num_days().max(0)).unwrap_or(0)),
        None => (add_days(date, step.deadline_days), step.deadline_days),
    };
    Decision::Send(LetterDue { level, channel, channel_note, deadline, deadline_days })
}

/// The courtesy reminder due for `case` at `date`, if its policy has one:
/// nothing is late, some invoices (`upcoming`, see
/// [`crate::law::upcoming`]) fall due within `before_due` days, and no
/// courtesy reminder went out since the first of them was issued.
pub fn courtesy(case: &Case, policy: &Policy, upcoming: &Statement, date: NaiveDate) -> Option<Decision> {
    policy.step(Level::Courtoisie)?;
    if upcoming.principal <= rust_decimal::Decimal::ZERO || case.hold.is_some() || case.unsent_email.is_some() {
        return None;
    }
    let first_issued = upcoming.invoices.iter().map(|i| i.date).min()?;
    if case.letters.iter().any(|l| l.level == Level::Courtoisie && l.date.0 >= first_issued && l.date.0 < date) {
        return None;
    }
    let deadline = upcoming.invoices.iter().map(|i| i.due).min()?;
    Some(send(case, policy, Level::Courtoisie, date, Some(deadline), upcoming))
}

/// What follows a mise en demeure: its payment deadline runs from its
/// receipt (C. civ. 1344), so the case waits for the avis de réception,
/// then for the deadline, before it goes to the contentieux.
fn after_formal_notice(prev: &SentLetter, policy: &Policy, date: NaiveDate) -> Decision {
    let sent = format_date(prev.date.0);
    let Some(received) = prev.received else {
        let how = if prev.channel == Channel::Lrar {
            "enregistrez l'avis de réception (relance record)"
        } else {
            "date de réception inconnue"
        };
        return Decision::Skip {
            reason: format!(
                "en attente de la réception de la mise en demeure envoyée le {sent} ({how}) : le délai de paiement court de sa réception ; ensuite, contentieux"
            ),
            next: None,
        };
    };
    let expires = formal_notice_expiry(received.0, policy);
    if date <= expires {
        return Decision::Skip {
            reason: format!(
                "en attente jusqu'au {} : délai de paiement de la mise en demeure envoyée le {sent}, reçue le {} ; ensuite, contentieux",
                format_date(expires),
                format_date(received.0)
            ),
            next: Some(next_day(expires)),
        };
    }
    Decision::Skip {
        reason: format!(
            "mise en demeure reçue le {}, délai expiré le {} : à transmettre au contentieux (relance contentieux : requête en injonction de payer)",
            format_date(received.0),
            format_date(expires)
        ),
        next: None,
    }
}

/// The last day to pay after a mise en demeure received on `received`:
/// the policy's days to pay run from the receipt (C. civ. 1344).
pub fn formal_notice_expiry(received: NaiveDate, policy: &Policy) -> NaiveDate {
    add_days(received, policy.mise_en_demeure.deadline_days)
}

fn next_day(d: NaiveDate) -> NaiveDate {
    add_days(d, 1)
}
