//! What is owed under French law (SPEC §3), with every figure explained.
//!
//! Pure computation, no I/O: a case, a config and a date in, a [`Statement`]
//! (the décompte) out. Each penalty line is rounded to the cent half away from
//! zero and every total is the sum of printed lines, so the letter adds up as
//! a lawyer reads it.

pub mod rates;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::{Case, Config, RateSplit};
use crate::money::round_cents;
pub use rates::{MissingSemester, RateTable, Semester, SemesterRates};

/// The fixed recovery indemnity per invoice paid late (C. com. D441-5).
pub const INDEMNITY_PER_INVOICE: Decimal = Decimal::from_parts(40, 0, 0, false, 0);
/// Days in the year for simple interest: actual days over 365.
const DAYS_IN_YEAR: i64 = 365;

/// One décompte line: an invoice's balance over a period at one rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PenaltyLine {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub days: i64,
    pub base: Decimal,
    /// Annual rate in percent.
    pub rate: Decimal,
    /// base × rate × days / 365, rounded to the cent.
    pub amount: Decimal,
}

/// A payment as allocated to one invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// One invoice in the décompte.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceStatement {
    pub number: String,
    pub date: NaiveDate,
    pub due: NaiveDate,
    pub amount: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
    pub payments: Vec<Allocation>,
    pub lines: Vec<PenaltyLine>,
    pub penalties: Decimal,
    pub indemnity: Decimal,
}

/// Everything owed by one debtor at one date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    pub date: NaiveDate,
    pub b2b: bool,
    /// Invoices past due at the date with something owed on them, oldest due first.
    pub invoices: Vec<InvoiceStatement>,
    /// Principal still unpaid on those invoices.
    pub principal: Decimal,
    pub penalties: Decimal,
    pub indemnities: Decimal,
    pub total: Decimal,
    /// Payments that matched no unpaid invoice.
    pub unallocated: Decimal,
    /// The rate the letter announces for future penalties (B2B), in percent.
    pub current_rate: Option<Decimal>,
    pub warnings: Vec<String>,
}

/// Why a statement could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LawError {
    #[error(transparent)]
    MissingSemester(#[from] MissingSemester),
}

/// Allocates payments (SPEC §3.1, C. civ. 1342-10): a payment naming an
/// invoice goes to it; any other payment, and any excess, goes to the unpaid
/// invoice with the oldest due date first. Payments after `date` are ignored.
/// Returns per-invoice allocations (in case order) and what was left over.
fn allocate(case: &Case, date: NaiveDate) -> (Vec<Vec<Allocation>>, Decimal) {
    let mut remaining: Vec<Decimal> = case.invoices.iter().map(|i| i.amount.0).collect();
    let mut allocs: Vec<Vec<Allocation>> = vec![Vec::new(); case.invoices.len()];
    let mut by_due: Vec<usize> = (0..case.invoices.len()).collect();
    by_due.sort_by_key(|&i| (case.invoices[i].due.0, i));
    let mut payments: Vec<(usize, &crate::case::Payment)> =
        case.payments.iter().enumerate().filter(|(_, p)| p.date.0 <= date).collect();
    payments.sort_by_key(|(i, p)| (p.date.0, *i));
    let mut unallocated = Decimal::ZERO;
    for (_, p) in payments {
        let mut left = p.amount.0;
        let mut give = |i: usize, left: &mut Decimal| {
            let x = (*left).min(remaining[i]);
            if x > Decimal::ZERO {
                remaining[i] -= x;
                *left -= x;
                allocs[i].push(Allocation { date: p.date.0, amount: x });
            }
        };
        if let Some(n) = &p.invoice
            && let Some(i) = case.invoices.iter().position(|inv| &inv.number == n)
        {
            give(i, &mut left);
        }
        for &i in &by_due {
            if left.is_zero() {
                break;
            }
            give(i, &mut left);
        }
        unallocated += left;
    }
    (allocs, unallocated)
}

/// The penalty rate (percent) for a semester: the CGV rate when set, else the
/// legal default ECB + 10 points.
fn penalty_rate(config: &Config, rates: &RateTable, semester: Semester) -> Result<Decimal, LawError> {
    match config.terms.penalty_rate {
        Some(p) => Ok(p.0),
        None => Ok(rates.get(semester)?.default_penalty_rate()),
    }
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).expect("date in range")
}

/// Penalty lines for one invoice (L441-10): from the day after the due date
/// through `date` inclusive, on the balance of each day (a payment lowers it
/// from the next day), split where the balance or the rate changes.
fn penalty_lines(
    amount: Decimal,
    due: NaiveDate,
    payments: &[Allocation],
    date: NaiveDate,
    config: &Config,
    rates: &RateTable,
) -> Result<Vec<PenaltyLine>, LawError> {
    let start = next_day(due);
    if start > date {
        return Ok(Vec::new());
    }
    let fixed_rate = match config.terms.rate_split {
        RateSplit::Fixed => Some(penalty_rate(config, rates, Semester::of(start))?),
        RateSplit::Semester => None,
    };
    // Days on which something changes: the day after each payment and, when
    // splitting, the first day of each semester.
    let mut cuts: Vec<NaiveDate> = payments.iter().map(|p| next_day(p.date)).filter(|d| *d > start && *d <= date).collect();
    if fixed_rate.is_none() {
        let mut s = Semester::of(start).next();
        while s.first_day() <= date {
            cuts.push(s.first_day());
            s = s.next();
        }
    }
    cuts.sort();
    cuts.dedup();
    let mut lines = Vec::new();
    let mut from = start;
    for end_exclusive in cuts.into_iter().chain(std::iter::once(next_day(date))) {
        let to = end_exclusive.pred_opt().expect("date in range");
        let base = amount - payments.iter().filter(|p| p.date < from).map(|p| p.amount).sum::<Decimal>();
        if base > Decimal::ZERO {
            let rate = match fixed_rate {
                Some(r) => r,
                None => penalty_rate(config, rates, Semester::of(from))?,
            };
            let days = (to - from).num_days() + 1;
            let raw = base * rate * Decimal::from(days) / Decimal::from(100 * DAYS_IN_YEAR);
            lines.push(PenaltyLine { from, to, days, base, rate, amount: round_cents(raw) });
        }
        from = end_exclusive;
    }
    Ok(lines)
}

/// Computes the décompte of `case` at `date`.
pub fn statement(case: &Case, config: &Config, rates: &RateTable, date: NaiveDate) -> Result<Statement, LawError> {
    let b2b = case.debtor.is_b2b();
    let (allocs, unallocated) = allocate(case, date);
    let mut invoices = Vec::new();
    for (inv, payments) in case.invoices.iter().zip(allocs) {
        let paid: Decimal = payments.iter().map(|p| p.amount).sum();
        let outstanding = inv.amount.0 - paid;
        let past_due = inv.due.0 < date;
        if !past_due {
            continue;
        }
        let (lines, indemnity) = if b2b {
            let lines = penalty_lines(inv.amount.0, inv.due.0, &payments, date, config, rates)?;
            // Paid late: still unpaid after the due date, or settled after it.
            let late = outstanding > Decimal::ZERO || payments.iter().any(|p| p.date > inv.due.0);
            (lines, if late { INDEMNITY_PER_INVOICE } else { Decimal::ZERO })
        } else {
            (Vec::new(), Decimal::ZERO)
        };
        let penalties: Decimal = lines.iter().map(|l| l.amount).sum();
        if outstanding.is_zero() && penalties.is_zero() {
            continue;
        }
        invoices.push(InvoiceStatement {
            number: inv.number.clone(),
            date: inv.date.0,
            due: inv.due.0,
            amount: inv.amount.0,
            paid,
            outstanding,
            payments,
            lines,
            penalties,
            indemnity,
        });
    }
    invoices.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
    let principal: Decimal = invoices.iter().map(|i| i.outstanding).sum();
    let penalties: Decimal = invoices.iter().map(|i| i.penalties).sum();
    let indemnities: Decimal = invoices.iter().map(|i| i.indemnity).sum();
    let mut warnings = Vec::new();
    if unallocated > Decimal::ZERO {
        warnings.push(format!("{unallocated} € of payments match no unpaid invoice (overpayment or credit to refund)"));
    }
    let current_rate = if b2b { Some(penalty_rate(config, rates, Semester::of(date))?) } else { None };
    Ok(Statement {
        date,
        b2b,
        invoices,
        principal,
        penalties,
        indemnities,
        total: principal + penalties + indemnities,
        unallocated,
        current_rate,
        warnings,
    })
}
