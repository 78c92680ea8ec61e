//! Where a payment plan stands at a date: kept, broken, or paid off.
//!
//! Every payment received from the day the plan was agreed counts towards
//! it, in date order; an installment is missed when its day has passed and
//! the payments so far do not reach the sum of the installments due by
//! then. The plans relance writes carry the déchéance du terme clause: the
//! first installment missed makes the whole balance due at once, and the
//! escalation resumes where it stopped.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::{Case, Echeancier, Installment};
use crate::money::{format_date, format_eur};

/// The state of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PlanState {
    /// Every installment due so far is paid; `next` is the next one.
    Kept {
        /// Paid since the agreement.
        paid: Decimal,
        /// The next installment, if any is left.
        next: Option<Installment>,
    },
    /// An installment was missed.
    Broken {
        /// Paid since the agreement.
        paid: Decimal,
        /// Due by the missed installment, that sum included.
        due: Decimal,
        /// The first installment missed.
        missed: Installment,
    },
}

/// The state of `plan` at `date`, given the case's payments.
pub fn state(plan: &Echeancier, case: &Case, date: NaiveDate) -> PlanState {
    let paid_by = |day: NaiveDate| -> Decimal {
        case.payments.iter().filter(|p| p.date.0 >= plan.date.0 && p.date.0 <= day).map(|p| p.amount.0).sum()
    };
    let mut due = Decimal::ZERO;
    for inst in &plan.installments {
        due += inst.amount.0;
        // Missed: its day is over and what was paid by then falls short.
        if inst.date.0 < date && paid_by(inst.date.0) < due {
            return PlanState::Broken { paid: paid_by(date), due, missed: *inst };
        }
    }
    let paid = paid_by(date);
    let mut cumulative = Decimal::ZERO;
    let next = plan
        .installments
        .iter()
        .find(|i| {
            cumulative += i.amount.0;
            cumulative > paid
        })
        .copied();
    PlanState::Kept { paid, next }
}

/// What the next letter says of a plan broken: the installment missed and
/// the déchéance du terme.
pub fn broken_sentence(plan: &Echeancier, missed: &Installment) -> String {
    format!(
        "L’échéancier convenu le {} prévoyait un versement de {} au plus tard le {} ; cette échéance n’a pas été honorée. Conformément à la clause de déchéance du terme de cet accord, la totalité des sommes restant dues est désormais immédiatement exigible.",
        format_date(plan.date.0),
        format_eur(missed.amount.0),
        format_date(missed.date.0)
    )
}

/// The plan and its state in a line, for `explain` and the manifest.
pub fn describe(plan: &Echeancier, state: &PlanState) -> String {
    let head = format!(
        "échéancier du {} : {} échéance(s), {} au total",
        format_date(plan.date.0),
        plan.installments.len(),
        format_eur(plan.total())
    );
    match state {
        PlanState::Kept { paid, next: Some(n) } => format!(
            "{head} ; respecté ({} versé) ; prochaine échéance : {} le {}",
            format_eur(*paid),
            format_eur(n.amount.0),
            format_date(n.date.0)
        ),
        PlanState::Kept { paid, next: None } => format!("{head} ; soldé ({} versé)", format_eur(*paid)),
        PlanState::Broken { paid, due, missed } => format!(
            "{head} ; ROMPU : échéance du {} ({}) non honorée ({} versé sur {} dus)",
            format_date(missed.date.0),
            format_eur(missed.amount.0),
            format_eur(*paid),
            format_eur(*due)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::parse_case;

    fn case(payments: &str) -> Case {
        let text = format!(
            "id: P-1\ndebtor: {{type: professionnel, name: X, address: [\"1 rue A\"], postal_code: \"75001\", city: Paris}}\n\
             invoices:\n  - {{number: A, date: 2026-09-01, due: 2026-09-30, amount: 900.00}}\n\
             payments:\n{payments}\
             echeancier:\n  date: 2026-11-25\n  installments:\n\
             \x20   - {{date: 2026-12-10, amount: 300.00}}\n    - {{date: 2027-01-10, amount: 300.00}}\n    - {{date: 2027-02-10, amount: 300.00}}\n"
        );
        parse_case(std::path::Path::new("p.yaml"), &text).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn kept_while_each_installment_is_paid_by_its_day() {
        let c = case("  - {date: 2026-12-10, amount: 300.00}\n");
        let plan = c.echeancier.as_ref().unwrap();
        // The day of the installment itself is still in time.
        assert!(matches!(state(plan, &c, day("2026-12-10")), PlanState::Kept { .. }));
        match state(plan, &c, day("2026-12-20")) {
            PlanState::Kept { paid, next: Some(n) } => {
                assert_eq!(paid, Decimal::new(30000, 2));
                assert_eq!(n.date.0, day("2027-01-10"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_the_day_after_an_installment_short_of_its_sum() {
        // 250 paid of the 300 due on 10 December: broken on the 11th.
        let c = case("  - {date: 2026-12-09, amount: 250.00}\n");
        let plan = c.echeancier.as_ref().unwrap();
        assert!(matches!(state(plan, &c, day("2026-12-10")), PlanState::Kept { .. }));
        match state(plan, &c, day("2026-12-11")) {
            PlanState::Broken { paid, due, missed } => {
                assert_eq!((paid, due), (Decimal::new(25000, 2), Decimal::new(30000, 2)));
                assert_eq!(missed.date.0, day("2026-12-10"));
            }
            other => panic!("{other:?}"),
        }
        assert!(
            broken_sentence(
                plan,
                &Installment {
                    date: crate::case::Date(day("2026-12-10")),
                    amount: crate::case::Amount(Decimal::new(30000, 2))
                }
            )
            .contains("déchéance du terme")
        );
    }

    #[test]
    fn a_payment_before_the_agreement_does_not_count() {
        let c = case("  - {date: 2026-11-01, amount: 300.00}\n");
        let plan = c.echeancier.as_ref().unwrap();
        assert!(matches!(state(plan, &c, day("2026-12-11")), PlanState::Broken { .. }));
    }

    #[test]
    fn paying_ahead_keeps_it_and_names_the_next_installment_not_covered() {
        let c = case("  - {date: 2026-12-01, amount: 650.00}\n");
        let plan = c.echeancier.as_ref().unwrap();
        match state(plan, &c, day("2027-01-20")) {
            PlanState::Kept { next: Some(n), .. } => assert_eq!(n.date.0, day("2027-02-10")),
            other => panic!("{other:?}"),
        }
    }
}
