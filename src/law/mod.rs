//! What is owed under French law (docs/rules.md), with every figure explained.
//!
//! Pure computation, no I/O: a case, the creditor's terms, the rate table and
//! a date in, a [`Statement`] (the décompte) out. Each penalty line is rounded
//! to the cent half away from zero and every total is the sum of printed
//! lines, so the letter adds up as a lawyer reads it.
//!
//! Legal basis, as implemented:
//! - payments: to the invoice they name, else to the oldest due date first
//!   (C. civ. 1342-10); a payment lowers the balance from the next day;
//! - B2B penalties (C. com. L441-10): from the day after the due date, without
//!   any reminder, through the computation date inclusive; simple interest,
//!   actual days / 365; CGV rate, never below 3 × the taux d'intérêt légal
//!   ("autres cas") of the period, else ECB main refinancing rate in force on
//!   1 January / 1 July + 10 points. The floor constrains contractual rates
//!   only: the legal default is never raised by it;
//! - B2B recovery indemnity: 40 € per invoice paid late (C. com. D441-5);
//! - B2C: no penalty nor indemnity; interest at the taux légal runs from the
//!   mise en demeure (C. civ. 1231-6, 1344-1);
//! - prescription: 5 years B2B (C. com. L110-4), 2 years B2C (C. conso.
//!   L218-2), counted here from the due date.

pub mod rates;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::{Case, RateSplit, Terms};
use crate::money::round_cents;
pub use rates::{MissingSemester, RATES_FILE, RateTable, RatesError, RatesProblem, Semester, SemesterRates};

/// The fixed recovery indemnity per invoice paid late (C. com. D441-5).
pub const INDEMNITY_PER_INVOICE: Decimal = Decimal::from_parts(40, 0, 0, false, 0);
/// Days in the year for simple interest: actual days over 365, leap years too.
const DAYS_IN_YEAR: i64 = 365;
/// Warn this many days before an invoice becomes time-barred.
pub const PRESCRIPTION_WARNING_DAYS: i64 = 90;

/// Why a period is charged at its rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    /// The rate of the creditor's CGV.
    Cgv,
    /// The CGV rate was below 3 × the taux légal and was raised to it.
    LegalFloor,
    /// No CGV rate: ECB main refinancing rate + 10 points.
    EcbPlusTen,
    /// B2C: the taux de l'intérêt légal of the semester (C. mon. fin.
    /// L313-2), creditor other than a private person.
    LegalInterest,
}

/// The rate applied to a semester, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateUsed {
    /// The semester, e.g. `2026-S1`.
    pub semester: String,
    /// "1er semestre 2026", as the décompte prints it.
    pub period: String,
    /// Annual rate in percent.
    pub rate: Decimal,
    /// Where the rate comes from.
    pub basis: RateBasis,
    /// How the figure was obtained, with its source, for the décompte.
    pub explanation: String,
}

/// One décompte line: an invoice's balance over a period at one rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PenaltyLine {
    /// First day of the period.
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// Days in the period, both ends included.
    pub days: i64,
    /// The unpaid principal the penalty runs on.
    pub base: Decimal,
    /// Annual rate in percent.
    pub rate: Decimal,
    /// base × rate / 100 × days / 365, rounded half away from zero to the cent.
    pub amount: Decimal,
}

/// A payment as allocated to one invoice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// When the payment was received.
    pub date: NaiveDate,
    /// The part imputed to this invoice's principal.
    pub amount: Decimal,
    /// The part imputed to its penalties accrued by then (C. civ. 1343-1).
    pub to_penalties: Decimal,
    /// Why it went there, in French, with its article.
    pub why: String,
}

/// One invoice in the décompte.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceStatement {
    /// Invoice number.
    pub number: String,
    /// Invoice date.
    pub date: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// Amount including VAT.
    pub amount: Decimal,
    /// Paid on it so far.
    pub paid: Decimal,
    /// Still owed on it.
    pub outstanding: Decimal,
    /// The payments imputed to it.
    pub payments: Vec<Allocation>,
    /// Its penalty lines, one per period.
    pub lines: Vec<PenaltyLine>,
    /// Sum of its penalty lines, less what payments already paid of them.
    pub penalties: Decimal,
    /// Penalties already paid by partial payments (C. civ. 1343-1).
    pub penalties_paid: Decimal,
    /// The 40 € indemnity, when due.
    pub indemnity: Decimal,
    /// B2C: legal interest lines since the mise en demeure was received.
    pub interest_lines: Vec<PenaltyLine>,
    /// Sum of its interest lines.
    pub interest: Decimal,
}

/// An invoice excluded from dunning (`exclude:`), never claimed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Excluded {
    /// Invoice number.
    pub number: String,
    /// Still unpaid on it.
    pub outstanding: Decimal,
    /// Why it is excluded.
    pub reason: String,
    /// Excluded because it is time-barred.
    pub prescribed: bool,
}

/// Everything owed by one debtor at one date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// The date the statement is made at.
    pub date: NaiveDate,
    /// Whether B2B rules apply.
    pub b2b: bool,
    /// Invoices past due at the date with something owed on them, oldest
    /// due date first.
    pub invoices: Vec<InvoiceStatement>,
    /// Principal still unpaid on those invoices.
    pub principal: Decimal,
    /// Sum of the penalty lines.
    pub penalties: Decimal,
    /// Sum of the 40 € indemnities.
    pub indemnities: Decimal,
    /// B2C: legal interest since the mise en demeure was received.
    pub interest: Decimal,
    /// B2C: the day the mise en demeure was received, from which legal
    /// interest runs (C. civ. 1231-6, 1344-1), when it is known.
    pub interest_from: Option<NaiveDate>,
    /// Whether `interest_from` is the recorded receipt (else the letter's date).
    pub interest_from_receipt: bool,
    /// A credit of the debtor (overpayment) set off against the claim
    /// (C. civ. 1347).
    pub offset: Decimal,
    /// Principal, penalties, indemnities and interest, less the offset.
    pub total: Decimal,
    /// Payments that matched no unpaid invoice (overpayment, credit to refund).
    pub unallocated: Decimal,
    /// B2B: the rate the letter states (the one applied), in percent.
    pub current_rate: Option<Decimal>,
    /// B2B: what the letter says after « au taux annuel de »: the rate
    /// applied and its basis.
    pub rate_text: Option<String>,
    /// B2C: the taux légal that will run from the mise en demeure, in percent
    /// (creditor other than a private person), when the table has it.
    pub legal_interest_rate: Option<Decimal>,
    /// The rates applied, one per semester used, with their explanation.
    pub rates: Vec<RateUsed>,
    /// B2C: the legal interest rates applied, one per semester used.
    pub interest_rates: Vec<RateUsed>,
    /// Invoices excluded from dunning, with what is still owed on them.
    pub excluded: Vec<Excluded>,
    /// Legal warnings (floor raised, prescription, missing rate).
    pub warnings: Vec<String>,
}

/// Why a statement could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LawError {
    /// A rate the computation needs is not in the table.
    #[error(transparent)]
    MissingSemester(#[from] MissingSemester),
}

/// The next day. Dates are 2000–2099 (validated where read), so this never
/// saturates in practice; it is checked all the same.
fn next_day(d: NaiveDate) -> NaiveDate {
    d.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX)
}

/// Imputes the payments known at `date` (C. civ. 1342-10, 1343-1), in the
/// order they were received:
/// - a payment naming an invoice goes to it (the debtor's indication);
/// - any other payment, and what exceeds the named invoice, goes to the
///   debts already due before those not yet due; among the due ones, to
///   those the debtor had most interest to pay (the higher penalty rate;
///   an invoice excluded from dunning, disputed, last); then to the oldest;
///   between equal ones, in proportion to their balances;
/// - on each invoice, a partial payment pays the penalties accrued by its
///   date first (C. civ. 1343-1) unless `terms.imputation` says principal
///   first (then only the principal: penalties stay claimed as accrued).
///
/// Returns per-invoice allocations (in case order) and what was left over.
fn allocate_with(case: &Case, date: NaiveDate, book: &mut RateBook) -> (Vec<Vec<Allocation>>, Decimal) {
    let n = case.invoices.len();
    let b2b = case.debtor.is_b2b();
    let mut remaining: Vec<Decimal> = case.invoices.iter().map(|i| i.amount.0).collect();
    let mut allocs: Vec<Vec<Allocation>> = vec![Vec::new(); n];
    let mut payments: Vec<(usize, &crate::case::Payment)> =
        case.payments.iter().enumerate().filter(|(_, p)| p.date.0 <= date).collect();
    payments.sort_by_key(|(i, p)| (p.date.0, *i));
    // The rate an invoice bears (what the debtor has most interest to pay):
    // in fixed mode, that of the semester its delay began; otherwise every
    // due invoice bears the rate of the day, all equal.
    let rate_key: Vec<Decimal> = case
        .invoices
        .iter()
        .map(|inv| {
            if b2b && book.terms.rate_split == RateSplit::Fixed {
                book.peek(Semester::of(next_day(inv.due.0))).map_or(Decimal::ZERO, |r| r.rate)
            } else {
                Decimal::ZERO
            }
        })
        .collect();
    let mut unallocated = Decimal::ZERO;
    for (_, p) in payments {
        let day = p.date.0;
        let mut left = p.amount.0;
        let named = p.invoice.as_ref().and_then(|n| case.invoices.iter().position(|inv| &inv.number == n));
        // Groups of invoices, in imputation order, each with why.
        let mut groups: Vec<(Vec<usize>, String)> = Vec::new();
        if let Some(i) = named {
            groups.push((vec![i], "facture désignée par le débiteur (C. civ. 1342-10)".into()));
        }
        let mut rest: Vec<usize> = (0..n).filter(|&i| Some(i) != named && remaining[i] > Decimal::ZERO).collect();
        let key = |i: usize| {
            let inv = &case.invoices[i];
            (inv.exclude.is_some(), inv.due.0 > day, std::cmp::Reverse(rate_key[i]), inv.due.0)
        };
        rest.sort_by_key(|&i| (key(i), i));
        let mut k = 0;
        while k < rest.len() {
            let mut group = vec![rest[k]];
            while k + group.len() < rest.len() && key(rest[k + group.len()]) == key(rest[k]) {
                group.push(rest[k + group.len()]);
            }
            let inv = &case.invoices[rest[k]];
            let why = if inv.exclude.is_some() {
                "facture exclue de la relance, imputée en dernier".to_string()
            } else if inv.due.0 > day && group.len() > 1 {
                "au prorata des dettes non encore échues de même date (C. civ. 1342-10)".to_string()
            } else if inv.due.0 > day {
                "dette non encore échue, après les dettes échues (C. civ. 1342-10)".to_string()
            } else if group.len() > 1 {
                "au prorata des dettes échues de même date et de même taux (C. civ. 1342-10)".to_string()
            } else if rate_key[rest[k]] > Decimal::ZERO && rest.iter().any(|&j| rate_key[j] < rate_key[rest[k]]) {
                "dette échue au taux le plus élevé, que le débiteur avait le plus d'intérêt d'acquitter (C. civ. 1342-10)".to_string()
            } else {
                "dette échue la plus ancienne (C. civ. 1342-10)".to_string()
            };
            k += group.len();
            groups.push((group, why));
        }
        for (group, why) in groups {
            if left.is_zero() {
                break;
            }
            // What each invoice of the group can take: its principal and
            // the penalties accrued on it by the payment's day.
            let accrued: Vec<Decimal> = group
                .iter()
                .map(|&i| {
                    if b2b && case.invoices[i].exclude.is_none() {
                        accrued_unpaid(case, i, &allocs[i], day, book)
                    } else {
                        Decimal::ZERO
                    }
                })
                .collect();
            let interest_first = book.terms.imputation == crate::case::Imputation::InterestFirst;
            let need: Vec<Decimal> = group
                .iter()
                .zip(&accrued)
                .map(|(&i, a)| if interest_first { remaining[i] + a } else { remaining[i] })
                .collect();
            let total_need: Decimal = need.iter().sum();
            if total_need.is_zero() {
                continue;
            }
            let give = left.min(total_need);
            let shares = prorata(give, &need);
            for ((&i, share), accrued) in group.iter().zip(shares).zip(accrued) {
                if share.is_zero() {
                    continue;
                }
                let (to_penalties, to_principal) = if interest_first {
                    let pen = share.min(accrued);
                    (pen, (share - pen).min(remaining[i]))
                } else {
                    // Principal first: payments pay principal only; the
                    // penalties stay claimed as they accrued.
                    (Decimal::ZERO, share.min(remaining[i]))
                };
                remaining[i] -= to_principal;
                left -= to_principal + to_penalties;
                let mut why = why.clone();
                if interest_first && to_penalties > Decimal::ZERO {
                    why.push_str(" ; imputé d'abord sur les pénalités échues (C. civ. 1343-1)");
                }
                allocs[i].push(Allocation { date: day, amount: to_principal, to_penalties, why });
            }
        }
        unallocated += left;
    }
    (allocs, unallocated)
}

/// The penalties accrued on invoice `i` by `day` and not yet paid, given
/// the payments imputed to it so far (0 when a rate is missing: the
/// statement will say so).
fn accrued_unpaid(case: &Case, i: usize, allocs: &[Allocation], day: NaiveDate, book: &mut RateBook) -> Decimal {
    let inv = &case.invoices[i];
    let Ok(lines) = penalty_lines(inv.amount.0, inv.due.0, allocs, day, book.terms.rate_split, book) else {
        return Decimal::ZERO;
    };
    let accrued: Decimal = lines.iter().map(|l| l.amount).sum();
    let paid: Decimal = allocs.iter().map(|a| a.to_penalties).sum();
    (accrued - paid).max(Decimal::ZERO)
}

/// `amount` split in proportion to `weights`, to the cent, the cents left
/// by rounding down given one by one from the first.
fn prorata(amount: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let total: Decimal = weights.iter().sum();
    if weights.len() == 1 || total.is_zero() {
        return weights.iter().enumerate().map(|(k, _)| if k == 0 { amount } else { Decimal::ZERO }).collect();
    }
    let mut shares: Vec<Decimal> = weights
        .iter()
        .map(|w| (amount * w / total).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero).min(*w))
        .collect();
    let mut rest = amount - shares.iter().sum::<Decimal>();
    let cent = Decimal::new(1, 2);
    let mut k = 0;
    while rest > Decimal::ZERO && k < 100 * weights.len() {
        let j = k % weights.len();
        if shares[j] + cent <= weights[j] {
            shares[j] += cent;
            rest -= cent;
        }
        k += 1;
    }
    shares
}

/// [`allocate_with`] with the creditor's terms and the rate table.
pub fn allocate(case: &Case, terms: &Terms, table: &RateTable, date: NaiveDate) -> (Vec<Vec<Allocation>>, Decimal) {
    let mut book = RateBook { terms, table, used: Vec::new(), legal_used: Vec::new(), warnings: Vec::new() };
    allocate_with(case, date, &mut book)
}

/// Chooses penalty rates per semester and remembers what it chose, so the
/// décompte can explain every rate once.
struct RateBook<'a> {
    terms: &'a Terms,
    table: &'a RateTable,
    used: Vec<RateUsed>,
    legal_used: Vec<RateUsed>,
    warnings: Vec<String>,
}

impl RateBook<'_> {
    /// The taux de l'intérêt légal (percent) for `semester`, creditor other
    /// than a private person: what runs on a consumer's debt once the mise
    /// en demeure is received. Missing from the table, that semester's
    /// interest is left out and said: claiming less is safe, guessing is not.
    fn legal_rate(&mut self, semester: Semester) -> Option<Decimal> {
        let key = semester.to_string();
        if let Some(r) = self.legal_used.iter().find(|r| r.semester == key) {
            return Some(r.rate);
        }
        let row = match self.table.get(semester) {
            Ok(row) => row,
            Err(missing) => {
                let warning = format!("intérêts au taux légal non comptés {} : {missing}", semester_fr(semester));
                if !self.warnings.contains(&warning) {
                    self.warnings.push(warning);
                }
                return None;
            }
        };
        self.legal_used.push(RateUsed {
            semester: key,
            period: period_fr(semester),
            rate: row.legal_other,
            basis: RateBasis::LegalInterest,
            explanation: format!(
                "taux de l'intérêt légal « pour tous les autres cas » (le créancier est un professionnel), art. L313-2 C. mon. fin. : {} ({})",
                pct(row.legal_other),
                row.legal_source_fr()
            ),
        });
        Some(row.legal_other)
    }

    /// The penalty rate (percent) for `semester`, recorded for the
    /// décompte's « Taux appliqués ».
    fn rate(&mut self, semester: Semester) -> Result<Decimal, LawError> {
        let key = semester.to_string();
        if let Some(r) = self.used.iter().find(|r| r.semester == key) {
            return Ok(r.rate);
        }
        let (used, warning) = self.compute(semester)?;
        if let Some(w) = warning
            && !self.warnings.contains(&w)
        {
            self.warnings.push(w);
        }
        let rate = used.rate;
        self.used.push(used);
        Ok(rate)
    }

    /// The penalty rate of `semester` without recording it (what a letter
    /// announces for the days to come); `None` when the table lacks it.
    fn peek(&self, semester: Semester) -> Option<RateUsed> {
        let key = semester.to_string();
        self.used.iter().find(|r| r.semester == key).cloned().or_else(|| self.compute(semester).ok().map(|(u, _)| u))
    }

    /// The penalty rate of `semester`, why, and the warning to give.
    fn compute(&self, semester: Semester) -> Result<(RateUsed, Option<String>), LawError> {
        let key = semester.to_string();
        let used = |rate, basis, explanation| RateUsed {
            semester: key.clone(),
            period: period_fr(semester),
            rate,
            basis,
            explanation,
        };
        let default = |row: &rates::SemesterRates, why: &str| {
            used(
                row.default_penalty_rate(),
                RateBasis::EcbPlusTen,
                format!(
                    "{why}taux légal par défaut, art. L441-10 C. com. : {} majoré de 10 points = {}",
                    row.ecb_source_fr(),
                    pct(row.default_penalty_rate())
                ),
            )
        };
        let Some(cgv) = self.terms.penalty_rate else {
            return Ok((default(self.table.get(semester)?, ""), None));
        };
        let row = match self.table.get(semester) {
            Ok(row) => row,
            // The floor can only raise the rate: without the taux légal the
            // CGV rate is kept (never more than is due) and the gap is said.
            Err(missing) => {
                return Ok((
                    used(
                        cgv.0,
                        RateBasis::Cgv,
                        "taux contractuel de nos conditions générales de vente (art. L441-10 C. com.)".into(),
                    ),
                    Some(format!(
                        "minimum légal non vérifié {} : {missing} ; le taux des CGV de {} est appliqué",
                        semester_fr(semester),
                        pct(cgv.0)
                    )),
                ));
            }
        };
        let floor = row.legal_other * Decimal::from(3);
        let floor_fr = format!(
            "3 × le taux de l'intérêt légal {} ({}, {}) = {}",
            semester_fr(semester),
            pct(row.legal_other),
            row.legal_source_fr(),
            pct(floor)
        );
        if cgv.0 >= floor {
            return Ok((
                used(
                    cgv.0,
                    RateBasis::Cgv,
                    format!(
                        "taux contractuel de nos conditions générales de vente (art. L441-10 C. com. ; minimum légal : {floor_fr})"
                    ),
                ),
                None,
            ));
        }
        match self.terms.below_floor {
            crate::case::BelowFloor::Raise => Ok((
                used(
                    floor,
                    RateBasis::LegalFloor,
                    format!(
                        "taux contractuel ({}) porté au minimum légal de 3 fois le taux de l'intérêt légal, art. L441-10 C. com. : {floor_fr}",
                        pct(cgv.0)
                    ),
                ),
                Some(format!(
                    "taux des CGV de {} inférieur au minimum légal {} ({floor_fr}, C. com. L441-10) : porté à {}",
                    pct(cgv.0),
                    semester_fr(semester),
                    pct(floor)
                )),
            )),
            crate::case::BelowFloor::Default => Ok((
                default(
                    row,
                    &format!(
                        "clause de taux des CGV ({}) inférieure au minimum légal ({floor_fr}) et donc sans effet ; ",
                        pct(cgv.0)
                    ),
                ),
                Some(format!(
                    "taux des CGV de {} inférieur au minimum légal {} ({}) : clause écartée, taux légal par défaut appliqué ({})",
                    pct(cgv.0),
                    semester_fr(semester),
                    pct(floor),
                    pct(row.default_penalty_rate())
                )),
            )),
        }
    }
}

/// What a letter says of the penalty rate, after « au taux annuel de »:
/// the rate actually applied and why, in words a debtor can check.
fn rate_notice(
    terms: &Terms,
    invoices: &[InvoiceStatement],
    book: &RateBook,
    date: NaiveDate,
) -> Option<(Decimal, String)> {
    let why = |basis: RateBasis, fixed: bool, period: &str| {
        match basis {
        // The notice already says « conformément à nos conditions générales de vente ».
        RateBasis::Cgv => String::new(),
        RateBasis::LegalFloor => {
            ", taux contractuel porté au minimum légal de 3 fois le taux de l'intérêt légal".to_string()
        }
        RateBasis::EcbPlusTen if fixed => {
            ", égal au taux de refinancement de la Banque centrale européenne en vigueur au début du retard, majoré de 10 points".to_string()
        }
        RateBasis::EcbPlusTen => format!(
            ", égal au taux de refinancement de la Banque centrale européenne majoré de 10 points, révisé au 1er janvier et au 1er juillet (taux du {period})"
        ),
        RateBasis::LegalInterest => String::new(),
    }
    };
    if terms.rate_split == RateSplit::Fixed {
        // Each invoice keeps the rate of the semester its delay began in.
        let mut applied: Vec<(&str, Decimal, RateBasis)> = Vec::new();
        for inv in invoices {
            if let Some(first) = inv.lines.first() {
                let basis = book
                    .used
                    .iter()
                    .find(|u| u.rate == first.rate && u.semester == Semester::of(first.from).to_string())
                    .map_or(RateBasis::Cgv, |u| u.basis);
                applied.push((inv.number.as_str(), first.rate, basis));
            }
        }
        if let Some(&(_, rate, basis)) = applied.first() {
            if applied.iter().all(|a| a.1 == rate) {
                return Some((rate, format!("{}{}", pct(rate), why(basis, true, ""))));
            }
            let each: Vec<String> =
                applied.iter().map(|(n, r, _)| format!("{} pour la facture {n}", pct(*r))).collect();
            return Some((rate, format!("{}{}", each.join(", "), why(basis, true, ""))));
        }
    }
    let current = book.peek(Semester::of(date))?;
    Some((current.rate, format!("{}{}", pct(current.rate), why(current.basis, false, &current.period))))
}

fn pct(d: Decimal) -> String {
    crate::money::format_rate(d)
}

/// "1er semestre 2026" / "2d semestre 2026".
pub fn period_fr(s: Semester) -> String {
    if s.half == 1 { format!("1er semestre {}", s.year) } else { format!("2d semestre {}", s.year) }
}

fn semester_fr(s: Semester) -> String {
    format!("du {}", period_fr(s))
}

/// Penalty lines for one invoice (L441-10): from the day after the due date
/// through `date` inclusive, on the balance of each day (a payment lowers it
/// from the next day), split where the balance changes and, with
/// `rate_split: semester`, on 1 January and 1 July.
fn penalty_lines(
    amount: Decimal,
    due: NaiveDate,
    payments: &[Allocation],
    date: NaiveDate,
    split: RateSplit,
    book: &mut RateBook,
) -> Result<Vec<PenaltyLine>, LawError> {
    let start = next_day(due);
    if start > date {
        return Ok(Vec::new());
    }
    match split {
        RateSplit::Fixed => {
            let rate = book.rate(Semester::of(start))?;
            accrual_lines(amount, start, payments, date, false, &mut |_| Ok(Some(rate)))
        }
        RateSplit::Semester => accrual_lines(amount, start, payments, date, true, &mut |s| book.rate(s).map(Some)),
    }
}

/// Simple interest on an invoice's balance from `start` through `date`
/// inclusive: one line per stretch where the balance and the rate hold,
/// cut the day after each payment and, with `by_semester`, on 1 January
/// and 1 July, each line rounded to the cent. A stretch whose rate is
/// `None` is left out.
fn accrual_lines(
    amount: Decimal,
    start: NaiveDate,
    payments: &[Allocation],
    date: NaiveDate,
    by_semester: bool,
    rate_of: &mut dyn FnMut(Semester) -> Result<Option<Decimal>, LawError>,
) -> Result<Vec<PenaltyLine>, LawError> {
    if start > date {
        return Ok(Vec::new());
    }
    let mut cuts: Vec<NaiveDate> =
        payments.iter().map(|p| next_day(p.date)).filter(|d| *d > start && *d <= date).collect();
    if by_semester {
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
        let to = end_exclusive.pred_opt().unwrap_or(end_exclusive);
        let base = amount - payments.iter().filter(|p| p.date < from).map(|p| p.amount).sum::<Decimal>();
        if base > Decimal::ZERO
            && let Some(rate) = rate_of(Semester::of(from))?
        {
            let days = (to - from).num_days() + 1;
            let raw = base * rate * Decimal::from(days) / Decimal::from(100 * DAYS_IN_YEAR);
            lines.push(PenaltyLine { from, to, days, base, rate, amount: round_cents(raw) });
        }
        from = end_exclusive;
    }
    Ok(lines)
}

/// The mise en demeure from which a consumer owes legal interest: the first
/// one in effect on or before `date` — from its receipt when the avis de
/// réception is recorded, else from its date (C. civ. 1231-6, 1344).
/// Returns (its date, the day interest starts from, whether that day is
/// the receipt).
pub fn formal_notice(case: &Case, date: NaiveDate) -> Option<(NaiveDate, NaiveDate, bool)> {
    case.letters
        .iter()
        .filter(|l| l.level == crate::case::Level::MiseEnDemeure)
        .map(|l| match l.received {
            Some(r) => (l.date.0, r.0, true),
            None => (l.date.0, l.date.0, false),
        })
        .filter(|(_, from, _)| *from <= date)
        .min_by_key(|(_, from, _)| *from)
}

/// The last act that interrupted the prescription of `inv` (C. civ. 2240),
/// or its due date: a payment imputed to it, a promise to pay, a payment
/// plan agreed. Returns the day and the act's name.
fn last_interruption(
    case: &Case,
    inv: &crate::case::Invoice,
    payments: &[Allocation],
) -> (NaiveDate, Option<&'static str>) {
    let mut last = (inv.due.0, None);
    let mut consider = |d: NaiveDate, act: &'static str| {
        if d > last.0 {
            last = (d, Some(act));
        }
    };
    for p in payments {
        consider(p.date, "le paiement partiel");
    }
    if let Some(d) = case.promise_made {
        consider(d, "la promesse de paiement");
    }
    if let Some(plan) = &case.echeancier {
        consider(plan.date.0, "l'échéancier");
    }
    last
}

/// The day an invoice becomes time-barred: 5 years (B2B, L110-4) or 2 years
/// (B2C, L218-2) after its due date.
pub fn prescription_date(due: NaiveDate, b2b: bool) -> NaiveDate {
    let years = if b2b { 5 } else { 2 };
    let target_year = due.year() + years;
    // 29 February + n years → 28 February when the target year is not leap.
    NaiveDate::from_ymd_opt(target_year, due.month(), due.day())
        .or_else(|| NaiveDate::from_ymd_opt(target_year, due.month(), 28))
        .unwrap_or(NaiveDate::MAX)
}

/// Computes the décompte of `case` at `date`.
pub fn statement(case: &Case, terms: &Terms, table: &RateTable, date: NaiveDate) -> Result<Statement, LawError> {
    let b2b = case.debtor.is_b2b();
    let mut book = RateBook { terms, table, used: Vec::new(), legal_used: Vec::new(), warnings: Vec::new() };
    let (allocs, unallocated) = allocate_with(case, date, &mut book);
    // B2C: legal interest from the day after the mise en demeure was
    // received, on the invoices it claimed (due before its date).
    let notice = if b2b { None } else { formal_notice(case, date) };
    let mut invoices = Vec::new();
    let mut prescription_warnings = Vec::new();
    let mut excluded = Vec::new();
    for (inv, payments) in case.invoices.iter().zip(allocs) {
        let paid: Decimal = payments.iter().map(|p| p.amount).sum();
        let outstanding = inv.amount.0 - paid;
        if let Some(reason) = &inv.exclude {
            if outstanding > Decimal::ZERO {
                excluded.push(Excluded {
                    number: inv.number.clone(),
                    outstanding,
                    reason: reason.clone(),
                    prescribed: false,
                });
            }
            continue;
        }
        if inv.due.0 >= date {
            continue; // not yet late
        }
        let (lines, indemnity) = if b2b {
            let lines = penalty_lines(inv.amount.0, inv.due.0, &payments, date, terms.rate_split, &mut book)?;
            // Paid late: still unpaid after the due date, or settled after it.
            let late = outstanding > Decimal::ZERO || payments.iter().any(|p| p.date > inv.due.0);
            (lines, if late { INDEMNITY_PER_INVOICE } else { Decimal::ZERO })
        } else {
            (Vec::new(), Decimal::ZERO)
        };
        let interest_lines = match notice {
            Some((sent, received, _)) if inv.due.0 < sent => {
                accrual_lines(inv.amount.0, next_day(received), &payments, date, true, &mut |s| Ok(book.legal_rate(s)))?
            }
            _ => Vec::new(),
        };
        let penalties_paid: Decimal = payments.iter().map(|p| p.to_penalties).sum();
        let penalties: Decimal = lines.iter().map(|l| l.amount).sum::<Decimal>() - penalties_paid;
        let interest: Decimal = interest_lines.iter().map(|l| l.amount).sum();
        if outstanding.is_zero()
            && (!terms.claim_after_payment || (penalties.is_zero() && interest.is_zero() && indemnity.is_zero()))
        {
            continue;
        }
        if outstanding > Decimal::ZERO {
            // C. civ. 2240: an acknowledgment of the debt (a payment on it,
            // a promise, a payment plan) interrupts prescription; the same
            // term runs again from it (C. civ. 2231).
            let (from, act) = last_interruption(case, inv, &payments);
            let barred = prescription_date(from, b2b);
            let law = if b2b { "5 ans, C. com. L110-4" } else { "2 ans, C. conso. L218-2" };
            let since = format!("{} du {}", act.unwrap_or("l'échéance"), crate::money::format_date(from));
            let left = (barred - date).num_days();
            if left <= 0 {
                prescription_warnings.push(format!(
                    "la facture {} est prescrite depuis le {} ({law}, courant depuis {since}) : elle n'est plus réclamée",
                    inv.number,
                    crate::money::format_date(barred)
                ));
                excluded.push(Excluded {
                    number: inv.number.clone(),
                    outstanding,
                    reason: format!("prescrite depuis le {} ({law})", crate::money::format_date(barred)),
                    prescribed: true,
                });
                continue;
            } else if left <= PRESCRIPTION_WARNING_DAYS {
                prescription_warnings.push(format!(
                    "la facture {} sera prescrite le {} ({law}, courant depuis {since}), dans {left} jours : agir avant",
                    inv.number,
                    crate::money::format_date(barred)
                ));
            }
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
            penalties_paid,
            indemnity,
            interest_lines,
            interest,
        });
    }
    invoices.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
    let principal: Decimal = invoices.iter().map(|i| i.outstanding).sum();
    let penalties: Decimal = invoices.iter().map(|i| i.penalties).sum();
    let indemnities: Decimal = invoices.iter().map(|i| i.indemnity).sum();
    let interest: Decimal = invoices.iter().map(|i| i.interest).sum();
    // Compensation (C. civ. 1347): a payment that matched no unpaid invoice
    // (overpaid) is set off against what is still claimed.
    let offset = unallocated.min(principal + penalties + indemnities + interest);
    let stated = if b2b { rate_notice(terms, &invoices, &book, date) } else { None };
    let current_rate = stated.as_ref().map(|(r, _)| *r);
    let rate_text = stated.map(|(_, t)| t);
    let legal_interest_rate = if b2b {
        None
    } else if notice.is_some() {
        book.legal_rate(Semester::of(date))
    } else {
        match table.get(Semester::of(date)) {
            Ok(row) => Some(row.legal_other),
            Err(missing) => {
                book.warnings.push(format!("taux de l'intérêt légal absent de la lettre : {missing}"));
                None
            }
        }
    };
    let mut warnings = book.warnings;
    warnings.extend(prescription_warnings);
    if unallocated > offset {
        warnings.push(format!(
            "{} de paiements ne correspondent à aucune somme due (trop-perçu à rembourser au débiteur)",
            crate::money::format_eur(unallocated - offset)
        ));
    }
    let mut rates = book.used;
    rates.sort_by(|a, b| a.semester.cmp(&b.semester));
    let mut interest_rates = book.legal_used;
    interest_rates.sort_by(|a, b| a.semester.cmp(&b.semester));
    Ok(Statement {
        date,
        b2b,
        invoices,
        principal,
        penalties,
        indemnities,
        interest,
        interest_from: notice.map(|(_, from, _)| from),
        interest_from_receipt: notice.is_some_and(|(_, _, receipt)| receipt),
        offset,
        total: principal + penalties + indemnities + interest - offset,
        unallocated,
        current_rate,
        rate_text,
        legal_interest_rate,
        rates,
        interest_rates,
        excluded,
        warnings,
    })
}

/// The invoices of `case` falling due after `date` and within `days`, still
/// unpaid and not excluded: what a courtesy reminder lists. Nothing is
/// late, so no penalty; the statement's principal is their balance.
pub fn upcoming(case: &Case, terms: &Terms, table: &RateTable, date: NaiveDate, days: u32) -> Statement {
    let (allocs, unallocated) = allocate(case, terms, table, date);
    let until = date.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX);
    let mut invoices = Vec::new();
    for (inv, payments) in case.invoices.iter().zip(allocs) {
        let paid: Decimal = payments.iter().map(|p| p.amount).sum();
        let outstanding = inv.amount.0 - paid;
        if inv.exclude.is_some() || inv.due.0 <= date || inv.due.0 > until || outstanding <= Decimal::ZERO {
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
            lines: Vec::new(),
            penalties: Decimal::ZERO,
            penalties_paid: Decimal::ZERO,
            indemnity: Decimal::ZERO,
            interest_lines: Vec::new(),
            interest: Decimal::ZERO,
        });
    }
    invoices.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.number.cmp(&b.number)));
    let principal: Decimal = invoices.iter().map(|i| i.outstanding).sum();
    Statement {
        date,
        b2b: case.debtor.is_b2b(),
        invoices,
        principal,
        penalties: Decimal::ZERO,
        indemnities: Decimal::ZERO,
        interest: Decimal::ZERO,
        interest_from: None,
        interest_from_receipt: false,
        offset: Decimal::ZERO,
        total: principal,
        unallocated,
        // B2B: the rate the reminder announces should the invoice be paid late.
        current_rate: None,
        rate_text: if case.debtor.is_b2b() {
            let book = RateBook { terms, table, used: Vec::new(), legal_used: Vec::new(), warnings: Vec::new() };
            rate_notice(terms, &[], &book, date).map(|(_, t)| t)
        } else {
            None
        },
        legal_interest_rate: None,
        rates: Vec::new(),
        interest_rates: Vec::new(),
        excluded: Vec::new(),
        warnings: Vec::new(),
    }
}
