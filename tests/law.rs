//! The golden set, worked by hand: each test states the arithmetic a lawyer would do and its article, then
//! checks that relance prints the same cents.
//!
//! Formula of a penalty line (C. com. L441-10): base × rate × days / 365,
//! rounded half away from zero to the cent; totals are sums of lines.
//! Rates come from data/rates.csv (ECB MRO + 10 points; taux légal).

use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;
use relance::case::{BelowFloor, Case, Percent, RateSplit, Terms, parse_case};
use relance::law::{RateBasis, RateTable, Statement, statement};
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap()
}

/// A case with the given debtor type and the YAML of its invoices/payments.
fn case(kind: &str, body: &str) -> Case {
    let text = format!("id: T-1\n{}{body}", crate::util::debtor(kind));
    parse_case(Path::new("test.yaml"), &text).unwrap()
}

fn terms(cgv: Option<&str>, split: RateSplit) -> Terms {
    Terms {
        penalty_rate: cgv.map(|r| Percent(d(r))),
        rate_split: split,
        below_floor: BelowFloor::Raise,
        ..Terms::default()
    }
}

/// The same terms, a partial payment going to the principal first.
fn principal_first(mut t: Terms) -> Terms {
    t.imputation = relance::case::Imputation::PrincipalFirst;
    t
}

fn owed(c: &Case, t: &Terms, date: &str) -> Statement {
    statement(c, t, &RateTable::builtin(), day(date)).unwrap()
}

/// (from, to, days, base, rate, amount) of every line, as strings.
fn lines(s: &Statement) -> Vec<(String, String, i64, String, String, String)> {
    s.invoices
        .iter()
        .flat_map(|i| i.lines.iter())
        .map(|l| {
            (l.from.to_string(), l.to.to_string(), l.days, l.base.to_string(), l.rate.to_string(), l.amount.to_string())
        })
        .collect()
}

fn line(
    from: &str,
    to: &str,
    days: i64,
    base: &str,
    rate: &str,
    amount: &str,
) -> (String, String, i64, String, String, String) {
    (from.into(), to.into(), days, base.into(), rate.into(), amount.into())
}

#[test]
fn semester_boundary_splits_the_line_at_the_new_rate() {
    // Due 15/06/2025, default rate. 2025 S1: ECB 3.15 + 10 = 13.15 %; S2: 2.15 + 10 = 12.15 %.
    // 16/06–30/06: 1000 × 13.15 % × 15 / 365 = 5.4041 → 5.40
    // 01/07–31/07: 1000 × 12.15 % × 31 / 365 = 10.3192 → 10.32
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2025-05-16, due: 2025-06-15, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2025-07-31");
    assert_eq!(
        lines(&s),
        [
            line("2025-06-16", "2025-06-30", 15, "1000.00", "13.15", "5.40"),
            line("2025-07-01", "2025-07-31", 31, "1000.00", "12.15", "10.32")
        ]
    );
    assert_eq!(s.penalties, d("15.72"));
    assert_eq!(s.indemnities, d("40"));
    assert_eq!(s.total, d("1055.72"));
    assert!(s.rates.iter().all(|r| r.basis == RateBasis::EcbPlusTen));
}

#[test]
fn fixed_split_keeps_the_rate_of_the_semester_the_delay_began() {
    // Same invoice, rate_split: fixed → 13.15 % (2025 S1) for all 46 days:
    // 1000 × 13.15 % × 46 / 365 = 16.5726 → 16.57
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2025-05-16, due: 2025-06-15, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Fixed), "2025-07-31");
    assert_eq!(lines(&s), [line("2025-06-16", "2025-07-31", 46, "1000.00", "13.15", "16.57")]);
    // The letter states the rate applied, not the one of its own semester
    // (12.15 % in 2025 S2), and why.
    assert_eq!(s.current_rate, Some(d("13.15")));
    assert_eq!(
        s.rate_text.as_deref(),
        Some(
            "13,15\u{a0}%, égal au taux de refinancement de la Banque centrale européenne en vigueur au début du retard, majoré de 10 points"
        )
    );
    assert_eq!(s.rates.len(), 1, "only the rate used on a line is listed: {:?}", s.rates);
}

#[test]
fn two_rate_changes() {
    // Due 31/05/2023, default rate: 2023 S1 12.50 %, 2023 S2 14.00 %, 2024 S1 14.50 %.
    // 01/06–30/06/2023:  2000 × 12.50 % × 30 / 365  = 20.5479 → 20.55
    // 01/07–31/12/2023:  2000 × 14.00 % × 184 / 365 = 141.1507 → 141.15
    // 01/01–31/01/2024:  2000 × 14.50 % × 31 / 365  = 24.6301 → 24.63
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2023-05-01, due: 2023-05-31, amount: 2000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2024-01-31");
    assert_eq!(
        lines(&s),
        [
            line("2023-06-01", "2023-06-30", 30, "2000.00", "12.50", "20.55"),
            line("2023-07-01", "2023-12-31", 184, "2000.00", "14.00", "141.15"),
            line("2024-01-01", "2024-01-31", 31, "2000.00", "14.50", "24.63"),
        ]
    );
    assert_eq!(s.penalties, d("186.33"));
}

#[test]
fn cgv_rate_below_the_floor_is_raised_to_three_times_the_legal_rate() {
    // CGV 10 %; 2024 S1 taux légal (autres cas) 5.07 % → floor 3 × 5.07 = 15.21 %,
    // above even the default 14.50 %. Due 31/01/2024; 01/02–31/03/2024 = 29 + 31 = 60 days:
    // 1000 × 15.21 % × 60 / 365 = 25.0027 → 25.00
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-01, due: 2024-01-31, amount: 1000.00}\n");
    let s = owed(&c, &terms(Some("10.00"), RateSplit::Semester), "2024-03-31");
    assert_eq!(lines(&s), [line("2024-02-01", "2024-03-31", 60, "1000.00", "15.21", "25.00")]);
    assert_eq!(s.rates[0].basis, RateBasis::LegalFloor);
    assert!(
        s.warnings.iter().any(|w| w.contains("inférieur au minimum légal") && w.contains("15,21")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn the_letter_says_the_floor_was_applied_and_the_décompte_cites_the_arrêté() {
    // Same case as above: the letter states 15.21 % and why; the décompte
    // line cites L441-10 and the arrêté of the taux légal.
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-01, due: 2024-01-31, amount: 1000.00}\n");
    let s = owed(&c, &terms(Some("10.00"), RateSplit::Semester), "2024-03-31");
    assert_eq!(
        s.rate_text.as_deref(),
        Some("15,21\u{a0}%, taux contractuel porté au minimum légal de 3 fois le taux de l'intérêt légal")
    );
    let why = &s.rates[0].explanation;
    assert!(why.starts_with("taux contractuel (10,00\u{a0}%) porté au minimum légal de 3 fois le taux de l'intérêt légal, art. L441-10 C. com. : 3 × le taux de l'intérêt légal du 1er semestre 2024 (5,07\u{a0}%, arrêté fixant le taux de l'intérêt légal pour le premier semestre 2024) = 15,21\u{a0}%"), "{why}");
}

#[test]
fn below_the_floor_the_clause_can_be_set_aside_for_the_legal_default() {
    // terms.below_floor: default — the 10 % clause is void (below 15.21 %), the
    // legal default applies: ECB 4.50 % (in force since 20/09/2023) + 10 = 14.50 %:
    // 1000 × 14.50 % × 60 / 365 = 23.8356 → 23.84
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-01, due: 2024-01-31, amount: 1000.00}\n");
    let mut t = terms(Some("10.00"), RateSplit::Semester);
    t.below_floor = BelowFloor::Default;
    let s = owed(&c, &t, "2024-03-31");
    assert_eq!(lines(&s), [line("2024-02-01", "2024-03-31", 60, "1000.00", "14.50", "23.84")]);
    assert_eq!(s.rates[0].basis, RateBasis::EcbPlusTen);
    assert!(
        s.rates[0].explanation.contains("clause de taux des CGV (10,00\u{a0}%) inférieure au minimum légal"),
        "{}",
        s.rates[0].explanation
    );
    assert!(
        s.rates[0].explanation.contains("en vigueur depuis le 20 septembre 2023) majoré de 10 points = 14,50\u{a0}%"),
        "{}",
        s.rates[0].explanation
    );
}

#[test]
fn the_default_rate_is_said_to_follow_the_ecb_and_cites_no_arrêté() {
    // No CGV rate, semester split: the letter of 31/03/2024 states the current
    // rate (14.50 % for 2024 S1) and that it is revised on 1 January and 1 July;
    // the line's source is L441-10 and the ECB, not the taux légal's arrêté.
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-01, due: 2024-01-31, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2024-03-31");
    assert_eq!(
        s.rate_text.as_deref(),
        Some(
            "14,50\u{a0}%, égal au taux de refinancement de la Banque centrale européenne majoré de 10 points, révisé au 1er janvier et au 1er juillet (taux du 1er semestre 2024)"
        )
    );
    assert!(!s.rates[0].explanation.contains("arrêté"), "{}", s.rates[0].explanation);
    assert!(s.rates[0].explanation.contains("art. L441-10 C. com."), "{}", s.rates[0].explanation);
}

#[test]
fn a_missing_semester_is_an_error_only_where_a_line_needs_it() {
    // Fixed split, delay begun in 2026 S1: no line needs 2026 S2, missing from
    // the table, so a letter of December 2026 is computed (it used to fail).
    // 1000 × 12.15 % × 200 / 365 = 66.5753 → 66.58 (16/05 → 01/12 = 200 days)
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2026-04-15, due: 2026-05-15, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Fixed), "2026-12-01");
    assert_eq!(lines(&s), [line("2026-05-16", "2026-12-01", 200, "1000.00", "12.15", "66.58")]);
    assert_eq!(s.rates.len(), 1);
    // In semester mode the days of 2026 S2 need its rate: an error that says how to fix it.
    let err = statement(&c, &terms(None, RateSplit::Semester), &RateTable::builtin(), day("2026-12-01")).unwrap_err();
    assert!(
        err.to_string().contains("pas de taux pour le semestre 2026-S2")
            && err.to_string().contains("rates: dans relance.yaml"),
        "{err}"
    );
}

#[test]
fn the_floor_does_not_raise_the_legal_default() {
    // L441-10 sets the 3 × taux légal floor for contractual rates; without a CGV rate
    // the default ECB + 10 applies as is: 14.50 % in 2024 S1 although the floor is 15.21 %.
    // 1000 × 14.50 % × 60 / 365 = 23.8356 → 23.84
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-01, due: 2024-01-31, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2024-03-31");
    assert_eq!(lines(&s), [line("2024-02-01", "2024-03-31", 60, "1000.00", "14.50", "23.84")]);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn partial_payment_before_the_due_date_lowers_the_base_from_the_start() {
    // 1000 due 30/09/2025, 400 paid 15/09; CGV 12 % (floor 2025 S2: 3 × 2.76 = 8.28 %).
    // 01/10–30/10: 600 × 12 % × 30 / 365 = 5.9178 → 5.92
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-09-01, due: 2025-09-30, amount: 1000.00}\npayments:\n  - {date: 2025-09-15, amount: 400.00, invoice: A}\n",
    );
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2025-10-30");
    assert_eq!(lines(&s), [line("2025-10-01", "2025-10-30", 30, "600.00", "12.00", "5.92")]);
    assert_eq!(s.principal, d("600.00"));
}

#[test]
fn partial_payment_after_the_due_date_lowers_the_base_from_the_next_day() {
    // 1000 due 30/09/2025, 400 paid 10/10; CGV 12 %.
    // 01/10–10/10: 1000 × 12 % × 10 / 365 = 3.2877 → 3.29
    // 11/10–30/10:  600 × 12 % × 20 / 365 = 3.9452 → 3.95   (total 7.24)
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-09-01, due: 2025-09-30, amount: 1000.00}\npayments:\n  - {date: 2025-10-10, amount: 400.00}\n",
    );
    // (terms.imputation: principal_first)
    let s = owed(&c, &principal_first(terms(Some("12.00"), RateSplit::Semester)), "2025-10-30");
    assert_eq!(
        lines(&s),
        [
            line("2025-10-01", "2025-10-10", 10, "1000.00", "12.00", "3.29"),
            line("2025-10-11", "2025-10-30", 20, "600.00", "12.00", "3.95")
        ]
    );
    assert_eq!(s.penalties, d("7.24"));
    // By default (C. civ. 1343-1) the 400 € pay the 3.29 € accrued first, then
    // 396.71 € of principal: the base from 11/10 is 603.29 €.
    // 11/10–30/10: 603.29 × 12 % × 20 / 365 = 3.9668 → 3.97; penalties still
    // owed: 3.29 + 3.97 − 3.29 paid = 3.97; principal 603.29.
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2025-10-30");
    assert_eq!(
        lines(&s),
        [
            line("2025-10-01", "2025-10-10", 10, "1000.00", "12.00", "3.29"),
            line("2025-10-11", "2025-10-30", 20, "603.29", "12.00", "3.97")
        ]
    );
    assert_eq!((s.principal, s.penalties, s.invoices[0].penalties_paid), (d("603.29"), d("3.97"), d("3.29")));
    assert!(s.invoices[0].payments[0].why.contains("C. civ. 1343-1"), "{}", s.invoices[0].payments[0].why);
}

#[test]
fn unallocated_payment_goes_to_the_oldest_due_invoice_first() {
    // A 500 due 31/08/2025, B 300 due 31/07/2025; 350 paid 10/09 naming none:
    // B (oldest due) gets 300 and is settled, A gets 50. CGV 12 %, date 30/09/2025.
    // B: 01/08–10/09: 300 × 12 % × 41 / 365 = 4.0438 → 4.04, paid late → 40 €
    // A: 01/09–10/09: 500 × 12 % × 10 / 365 = 1.6438 → 1.64
    //    11/09–30/09: 450 × 12 % × 20 / 365 = 2.9589 → 2.96, unpaid → 40 €
    // principal 450, penalties 8.64, indemnities 80, total 538.64
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-08-01, due: 2025-08-31, amount: 500.00}\n  - {number: B, date: 2025-07-01, due: 2025-07-31, amount: 300.00}\npayments:\n  - {date: 2025-09-10, amount: 350.00}\n",
    );
    // (terms.imputation: principal_first)
    let s = owed(&c, &principal_first(terms(Some("12.00"), RateSplit::Semester)), "2025-09-30");
    let numbers: Vec<&str> = s.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, ["B", "A"]);
    assert!(s.invoices[0].payments[0].why.starts_with("dette échue la plus ancienne (C. civ. 1342-10)"));
    assert_eq!(s.invoices[0].outstanding, d("0"));
    assert_eq!(s.invoices[0].penalties, d("4.04"));
    assert_eq!(s.invoices[0].indemnity, d("40"));
    assert_eq!(s.invoices[1].outstanding, d("450.00"));
    assert_eq!(s.invoices[1].penalties, d("4.60"));
    assert_eq!((s.principal, s.penalties, s.indemnities, s.total), (d("450.00"), d("8.64"), d("80"), d("538.64")));
}

#[test]
fn named_payment_larger_than_its_invoice_spills_to_the_oldest_due() {
    // A 100 due 31/03/2025, B 200 due 28/02/2025; 150 paid 01/03 naming A:
    // A gets 100 (settled before due: no penalty, no indemnity), the 50 left go to B.
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-03-01, due: 2025-03-31, amount: 100.00}\n  - {number: B, date: 2025-02-01, due: 2025-02-28, amount: 200.00}\npayments:\n  - {date: 2025-03-01, amount: 150.00, invoice: A}\n",
    );
    // (terms.imputation: principal_first; nothing had accrued on B on 01/03 anyway
    // but the excess is imputed to B's principal at once)
    let s = owed(&c, &principal_first(terms(Some("12.00"), RateSplit::Semester)), "2025-03-10");
    assert_eq!(s.invoices.len(), 1);
    assert_eq!(s.invoices[0].number, "B");
    assert_eq!(s.invoices[0].paid, d("50.00"));
    // B: 01/03: 200 × 12 % × 1 / 365 = 0.0658 → 0.07 ; 02/03–10/03: 150 × 12 % × 9 / 365 = 0.4438 → 0.44
    assert_eq!(s.penalties, d("0.51"));
}

#[test]
fn overpayment_leaves_nothing_to_claim_and_is_reported() {
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-05-01, due: 2025-05-31, amount: 200.00}\npayments:\n  - {date: 2025-05-20, amount: 250.00}\n",
    );
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2025-07-01");
    assert!(s.invoices.is_empty());
    assert_eq!(s.total, d("0"));
    assert_eq!(s.unallocated, d("50.00"));
    assert!(s.warnings.iter().any(|w| w.contains("50,00\u{a0}€")), "{:?}", s.warnings);
}

#[test]
fn consumer_owes_no_penalty_nor_indemnity_before_the_mise_en_demeure() {
    // B2C: principal only; the mise en demeure will announce the taux légal of
    // 2026 S1 for a creditor other than a private person: 2.62 %.
    let c = case("particulier", "invoices:\n  - {number: A, date: 2025-12-15, due: 2026-01-15, amount: 645.90}\n");
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2026-03-01");
    assert_eq!((s.principal, s.penalties, s.indemnities, s.total), (d("645.90"), d("0"), d("0"), d("645.90")));
    assert!(s.invoices[0].lines.is_empty());
    assert_eq!(s.legal_interest_rate, Some(d("2.62")));
    assert_eq!(s.current_rate, None);
}

#[test]
fn consumer_owes_legal_interest_from_the_day_after_the_mise_en_demeure_was_received() {
    // Mise en demeure dated 2 March 2026, received on the 5th (C. civ. 1231-6,
    // 1344-1): interest at the taux légal of 2026 S1 (2.62 %) from the 6th on A,
    // the invoice it claimed; B fell due after it and bears none.
    // 06/03–10/04: 36 days on 645.90: 645.90 × 2.62 × 36 / 36500 = 1.6690… → 1.67
    // the payment of 145.90 on 10/04 lowers the base from the 11th:
    // 11/04–30/06: 81 days on 500.00: 500 × 2.62 × 81 / 36500 = 2.9071… → 2.91
    let c = case(
        "particulier",
        "invoices:\n  - {number: A, date: 2025-12-15, due: 2025-12-15, amount: 645.90}\n  \
         - {number: B, date: 2026-03-01, due: 2026-03-10, amount: 200.00}\n\
         payments:\n  - {date: 2026-04-10, amount: 145.90}\n\
         letters:\n  - {level: mise-en-demeure, date: 2026-03-02, channel: lrar, received: 2026-03-05}\n",
    );
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-06-30");
    let got: Vec<_> = s.invoices[0]
        .interest_lines
        .iter()
        .map(|l| (l.from.to_string(), l.to.to_string(), l.days, l.base.to_string(), l.amount.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("2026-03-06".into(), "2026-04-10".into(), 36, "645.90".into(), "1.67".into()),
            ("2026-04-11".into(), "2026-06-30".into(), 81, "500.00".into(), "2.91".into()),
        ]
    );
    assert!(s.invoices[1].interest_lines.is_empty());
    assert_eq!((s.principal, s.interest, s.total), (d("700.00"), d("4.58"), d("704.58")));
    assert_eq!(s.interest_from, Some(day("2026-03-05")));
    assert_eq!(s.interest_rates[0].basis, RateBasis::LegalInterest);
    // Before the receipt, nothing runs yet.
    let before = owed(&c, &terms(None, RateSplit::Semester), "2026-03-05");
    assert_eq!((before.interest, before.interest_from), (d("0"), Some(day("2026-03-05"))));
    let earlier = owed(&c, &terms(None, RateSplit::Semester), "2026-03-04");
    assert_eq!(earlier.interest_from, None);
    // The receipt not recorded: from the letter's date, and said so.
    // 03/03–30/06: 120 days on A; the payment of 10/04 splits it:
    // 03/03–10/04: 39 days × 645.90 × 2.62 % / 365 = 1.8082… → 1.81
    // 11/04–30/06: 81 days × 500.00 × 2.62 % / 365 = 2.9071… → 2.91
    let unrecorded = case(
        "particulier",
        "invoices:\n  - {number: A, date: 2025-12-15, due: 2025-12-15, amount: 645.90}\n\
         payments:\n  - {date: 2026-04-10, amount: 145.90}\n\
         letters:\n  - {level: mise-en-demeure, date: 2026-03-02, channel: lrar}\n",
    );
    let s = owed(&unrecorded, &terms(None, RateSplit::Semester), "2026-06-30");
    assert_eq!((s.interest_from, s.interest_from_receipt), (Some(day("2026-03-02")), false));
    assert_eq!(s.interest, d("4.72"));
    // A business owes the L441-10 penalties instead, never both.
    let b2b = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-12-15, due: 2025-12-15, amount: 645.90}\n\
         letters:\n  - {level: mise-en-demeure, date: 2026-03-02, channel: lrar, received: 2026-03-05}\n",
    );
    let s = owed(&b2b, &terms(None, RateSplit::Semester), "2026-06-30");
    assert!(s.interest.is_zero() && s.interest_from.is_none() && !s.penalties.is_zero());
}

#[test]
fn a_receipt_before_the_letter_is_refused() {
    let text = format!(
        "id: T-1\n{}invoices:\n  - {{number: A, date: 2026-01-01, due: 2026-01-31, amount: 10}}\n\
         letters:\n  - {{level: mise-en-demeure, date: 2026-03-02, channel: lrar, received: 2026-03-01}}\n",
        crate::util::debtor("particulier")
    );
    let err = parse_case(Path::new("t.yaml"), &text).unwrap_err().to_string();
    assert!(
        err.contains("letters[0].received") && err.contains("reçue le 2026-03-01 avant d'être envoyée le 2026-03-02"),
        "{err}"
    );
}

#[test]
fn leap_day_counts_and_the_year_stays_365() {
    // Due 27/02/2024, default 14.50 % (2024 S1): 28/02, 29/02, 01/03, 02/03 = 4 days.
    // 1000 × 14.50 % × 4 / 365 = 1.5890 → 1.59
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-01-28, due: 2024-02-27, amount: 1000.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2024-03-02");
    assert_eq!(lines(&s), [line("2024-02-28", "2024-03-02", 4, "1000.00", "14.50", "1.59")]);
}

#[test]
fn invoice_due_on_31_december_starts_in_the_new_semester() {
    // Due 31/12/2024: the delay begins 01/01/2025, at the 2025 S1 rate 13.15 % even with `fixed`.
    // 1000 × 13.15 % × 31 / 365 = 11.1685 → 11.17
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2024-12-01, due: 2024-12-31, amount: 1000.00}\n");
    for split in [RateSplit::Semester, RateSplit::Fixed] {
        let s = owed(&c, &terms(None, split), "2025-01-31");
        assert_eq!(lines(&s), [line("2025-01-01", "2025-01-31", 31, "1000.00", "13.15", "11.17")], "{split:?}");
    }
}

#[test]
fn a_half_cent_rounds_away_from_zero() {
    // 1.46 × 12.50 % × 10 / 365 = 0.005 exactly → 0.01 (banker's rounding would give 0.00).
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2023-01-01, due: 2023-01-09, amount: 1.46}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2023-01-19");
    assert_eq!(lines(&s), [line("2023-01-10", "2023-01-19", 10, "1.46", "12.50", "0.01")]);
}

#[test]
fn invoice_paid_on_its_due_date_is_not_late() {
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-09-01, due: 2025-09-30, amount: 300.00}\npayments:\n  - {date: 2025-09-30, amount: 300.00}\n",
    );
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2025-10-30");
    assert!(s.invoices.is_empty());
    assert_eq!(s.indemnities, d("0"));
}

#[test]
fn a_missing_semester_is_an_error_naming_it_and_the_file() {
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2026-05-01, due: 2026-05-31, amount: 100.00}\n");
    let err = statement(&c, &terms(None, RateSplit::Semester), &RateTable::builtin(), day("2031-07-15")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2026-S2") && msg.contains("data/rates.csv"), "{msg}");
}

#[test]
fn cgv_rate_without_the_floor_figure_is_kept_and_said() {
    // No taux légal for 2026 S2 in the table: the floor cannot raise the CGV rate, so
    // the CGV rate (what the contract says, never more) is applied and a warning says why.
    // 100 × 12 % × 30 / 365 = 0.9863 → 0.99 ; 01/07–10/07: 100 × 12 % × 10 / 365 = 0.3288 → 0.33
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2026-05-01, due: 2026-05-31, amount: 100.00}\n");
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2026-07-10");
    assert_eq!(s.penalties, d("1.32"));
    assert!(s.warnings.iter().any(|w| w.contains("minimum légal non vérifié du 2d semestre 2026")), "{:?}", s.warnings);
}

#[test]
fn prescription_is_warned_before_and_after() {
    // B2C, 2 years (C. conso. L218-2): due 10/01/2024 → time-barred on 10/01/2026.
    let c = case("particulier", "invoices:\n  - {number: A, date: 2023-12-10, due: 2024-01-10, amount: 100.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-01-20");
    assert!(
        s.warnings.iter().any(|w| w.contains("prescrite depuis le 10 janvier 2026") && w.contains("L218-2")),
        "{:?}",
        s.warnings
    );
    assert!(s.warnings.iter().any(|w| w.contains("courant depuis l'échéance du 10 janvier 2024")), "{:?}", s.warnings);
    // B2B, 5 years (C. com. L110-4): due 01/03/2021 → 01/03/2026, 76 days after 15/12/2025.
    let c = case("professionnel", "invoices:\n  - {number: A, date: 2021-02-01, due: 2021-03-01, amount: 100.00}\n");
    let s = owed(&c, &terms(Some("12.00"), RateSplit::Semester), "2025-12-15");
    assert!(
        s.warnings.iter().any(|w| w.contains("1er mars 2026") && w.contains("dans 76 jours") && w.contains("L110-4")),
        "{:?}",
        s.warnings
    );
}

#[test]
fn a_time_barred_invoice_is_not_claimed_and_a_case_wholly_barred_gets_no_letter() {
    // B2C, due 10/01/2024, nothing paid: barred on 10/01/2026 (2 years, L218-2).
    let c = case("particulier", "invoices:\n  - {number: A, date: 2023-12-10, due: 2024-01-10, amount: 100.00}\n");
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-01-20");
    assert_eq!((s.principal, s.total), (d("0"), d("0")));
    assert!(
        s.excluded[0].prescribed && s.excluded[0].reason.contains("prescrite depuis le 10 janvier 2026"),
        "{:?}",
        s.excluded
    );
    let policy = relance::case::parse_config(Path::new("r.yaml"), include_str!("../fixtures/cases/relance.yaml"))
        .unwrap()
        .policy;
    match relance::escalation::decide(&c, &policy, &s, day("2026-01-20"), None) {
        relance::escalation::Decision::Skip { reason, .. } => {
            assert!(
                reason.starts_with("prescrit : A (prescrite depuis le 10 janvier 2026 (2 ans, C. conso. L218-2))"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_partial_payment_interrupts_prescription() {
    // C. civ. 2240 and 2231: the payment of 20 € on 01/06/2025 acknowledges the
    // debt; the 2 years run again from it, to 01/06/2027. On 20/01/2026 the
    // invoice (due 10/01/2024) is still claimed: 80 €.
    let c = case(
        "particulier",
        "invoices:\n  - {number: A, date: 2023-12-10, due: 2024-01-10, amount: 100.00}\n\
         payments:\n  - {date: 2025-06-01, amount: 20.00}\n",
    );
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-01-20");
    assert_eq!(s.principal, d("80.00"));
    assert!(s.excluded.is_empty());
    // A payment plan agreed later interrupts it too: near its end, the warning
    // counts from the plan (2 years from 01/03/2026 = 01/03/2028).
    let c = case(
        "particulier",
        "invoices:\n  - {number: A, date: 2023-12-10, due: 2024-01-10, amount: 100.00}\n\
         payments:\n  - {date: 2025-06-01, amount: 20.00}\n\
         echeancier:\n  date: 2026-03-01\n  installments:\n    - {date: 2026-04-01, amount: 80.00}\n",
    );
    let s = owed(&c, &terms(None, RateSplit::Semester), "2028-01-15");
    assert!(
        s.warnings.iter().any(|w| w.contains("sera prescrite le 1er mars 2028")
            && w.contains("courant depuis l'échéancier du 1er mars 2026")),
        "{:?}",
        s.warnings
    );
}

fn policy() -> relance::case::Policy {
    relance::case::parse_config(Path::new("r.yaml"), include_str!("../fixtures/cases/relance.yaml")).unwrap().policy
}

#[test]
fn an_invoice_paid_late_in_full_owes_its_penalties_and_they_are_claimed() {
    // Due 31/03/2026, paid in full on 30/04/2026: 30 days late (01/04–30/04),
    // legal default 2026 S1: ECB 2.15 % + 10 = 12.15 %:
    // 1000 × 12.15 % × 30 / 365 = 9.9863… → 9.99; indemnity 40 € (D441-5). Total 49.99.
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2026-03-01, due: 2026-03-31, amount: 1000.00}\n\
         payments:\n  - {date: 2026-04-30, amount: 1000.00}\n",
    );
    // (terms.imputation: principal_first: the 1000 € pay the invoice)
    let pf = principal_first(terms(None, RateSplit::Semester));
    let s = owed(&c, &pf, "2026-05-20");
    assert_eq!((s.principal, s.penalties, s.indemnities, s.total), (d("0.00"), d("9.99"), d("40"), d("49.99")));
    // By default (C. civ. 1343-1) the same 1000 € pay the 9.99 € accrued on 30/04
    // first, then 990.01 € of principal: 9.99 € of principal are still owed, and
    // bear penalties from 01/05: 9.99 × 12.15 % × 20 / 365 = 0.0665 → 0.07.
    let strict = owed(&c, &terms(None, RateSplit::Semester), "2026-05-20");
    assert_eq!((strict.principal, strict.penalties, strict.total), (d("9.99"), d("0.07"), d("50.06")));
    // The amicale counts from the payment (30/04 + 7 days), not the due date.
    let early = owed(&c, &pf, "2026-05-06");
    match relance::escalation::decide(&c, &policy(), &early, day("2026-05-06"), None) {
        relance::escalation::Decision::Skip { next, .. } => assert_eq!(next, Some(day("2026-05-07"))),
        other => panic!("{other:?}"),
    }
    assert!(relance::escalation::decide(&c, &policy(), &s, day("2026-05-20"), None).letter().is_some());
    // claim_after_payment: false — neither a claim nor a letter.
    let mut t = principal_first(terms(None, RateSplit::Semester));
    t.claim_after_payment = false;
    let s = owed(&c, &t, "2026-05-20");
    assert_eq!((s.total, s.invoices.len()), (d("0"), 0));
    assert!(relance::escalation::decide(&c, &policy(), &s, day("2026-05-20"), None).letter().is_none());
}

#[test]
fn the_escalation_counts_from_the_oldest_invoice_still_unpaid() {
    // A (due 31/03) was paid late and stays only for its penalties; B falls due
    // on 30/04: the amicale is due 7 days after B, on 07/05, not after A.
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2026-03-01, due: 2026-03-31, amount: 1000.00}\n  \
         - {number: B, date: 2026-04-01, due: 2026-04-30, amount: 500.00}\n\
         payments:\n  - {date: 2026-04-10, amount: 1000.00, invoice: A}\n",
    );
    let s = owed(&c, &principal_first(terms(None, RateSplit::Semester)), "2026-05-05");
    match relance::escalation::decide(&c, &policy(), &s, day("2026-05-05"), None) {
        relance::escalation::Decision::Skip { next, reason } => {
            assert_eq!(next, Some(day("2026-05-07")), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_credit_is_set_off_against_the_penalties_still_owed() {
    // As above (paid late: 9.99 € of penalties + 40 € indemnity = 49.99 €), but
    // 1020 € were paid: the 20 € overpaid are set off (C. civ. 1347): 29.99 €.
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2026-03-01, due: 2026-03-31, amount: 1000.00}\n\
         payments:\n  - {date: 2026-04-30, amount: 1020.00}\n",
    );
    // The 1020 € pay the 9.99 € accrued on 30/04 first (C. civ. 1343-1), then
    // the 1000 € of principal: 10.01 € are left, set off against the 40 €.
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-05-20");
    assert_eq!((s.unallocated, s.offset, s.total), (d("10.01"), d("10.01"), d("29.99")));
    assert_eq!(s.total, s.principal + s.penalties + s.indemnities + s.interest - s.offset);
    // 1100 € paid: the credit covers everything; no letter, and the reason says why.
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2026-03-01, due: 2026-03-31, amount: 1000.00}\n\
         payments:\n  - {date: 2026-04-30, amount: 1100.00}\n",
    );
    let s = owed(&c, &terms(None, RateSplit::Semester), "2026-05-20");
    // 1100 − 9.99 − 1000 = 90.01 € of credit; 40 € set off, 50.01 € to refund.
    assert_eq!((s.offset, s.total), (d("40"), d("0.00")));
    match relance::escalation::decide(&c, &policy(), &s, day("2026-05-20"), None) {
        relance::escalation::Decision::Skip { reason, .. } => assert!(
            reason.starts_with("trop-perçu de 90,01\u{a0}€ : rien à réclamer (40,00\u{a0}€ compensés"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(s.warnings.iter().any(|w| w.contains("50,01")), "the rest is to refund: {:?}", s.warnings);
}

#[test]
fn an_unnamed_payment_goes_first_to_the_debt_bearing_the_higher_rate() {
    // C. civ. 1342-10: among debts due, those the debtor had most interest to
    // pay. Fixed split: A (due 15/12/2022) bears the rate of 2022 S2, ECB 0 % + 10
    // = 10 %; B (due 15/01/2023) that of 2023 S1, ECB 2.50 % + 10 = 12.50 %.
    // 100 € paid on 01/03/2023 naming none go to B, although A is older.
    // (principal first, to keep the working to the imputation)
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2022-11-15, due: 2022-12-15, amount: 300.00}\n  \
         - {number: B, date: 2022-12-15, due: 2023-01-15, amount: 300.00}\n\
         payments:\n  - {date: 2023-03-01, amount: 100.00}\n",
    );
    let s = owed(&c, &principal_first(terms(None, RateSplit::Fixed)), "2023-03-31");
    let b = s.invoices.iter().find(|i| i.number == "B").unwrap();
    assert_eq!(b.paid, d("100.00"));
    assert!(b.payments[0].why.starts_with("dette échue au taux le plus élevé"), "{}", b.payments[0].why);
    assert_eq!(s.invoices.iter().find(|i| i.number == "A").unwrap().paid, d("0"));
}

#[test]
fn an_unnamed_payment_is_shared_in_proportion_between_equal_debts() {
    // Same due date, same rate: 90 € paid on 05/02 go 30 € to A (100 €) and
    // 60 € to B (200 €), in proportion to their balances (C. civ. 1342-10, last
    // sentence). (principal first, to keep the working to the imputation)
    let c = case(
        "professionnel",
        "invoices:\n  - {number: A, date: 2025-01-01, due: 2025-01-31, amount: 100.00}\n  \
         - {number: B, date: 2025-01-01, due: 2025-01-31, amount: 200.00}\n\
         payments:\n  - {date: 2025-02-05, amount: 90.00}\n",
    );
    let s = owed(&c, &principal_first(terms(Some("12.00"), RateSplit::Semester)), "2025-02-28");
    let paid: Vec<(String, Decimal)> = s.invoices.iter().map(|i| (i.number.clone(), i.paid)).collect();
    assert_eq!(paid, [("A".to_string(), d("30.00")), ("B".to_string(), d("60.00"))]);
    assert!(s.invoices[0].payments[0].why.starts_with("au prorata"), "{}", s.invoices[0].payments[0].why);
}

/// Invoices (day offset, payment delay, cents) and payments (day offset,
/// cents, invoice index) of a generated case.
type Generated = (Vec<(u32, u32, u64)>, Vec<(u32, u64, Option<usize>)>);

/// Random B2B cases between 2023 and 2026 S1 (inside the rate table).
fn arb_case(min_payments: usize) -> impl Strategy<Value = Generated> {
    let invoices = prop::collection::vec((0u32..700, 0u32..60, 1u64..500_000), 1..4);
    let payments = prop::collection::vec((0u32..900, 1u64..300_000, prop::option::of(0usize..4)), min_payments..4);
    (invoices, payments)
}

fn build_case(invoices: &[(u32, u32, u64)], payments: &[(u32, u64, Option<usize>)]) -> Case {
    let base = day("2023-01-01");
    let at = |n: u32| base + chrono::Days::new(u64::from(n));
    let mut body = String::from("invoices:\n");
    for (i, (date, term, cents)) in invoices.iter().enumerate() {
        body.push_str(&format!(
            "  - {{number: F{i}, date: {}, due: {}, amount: {}}}\n",
            at(*date),
            at(date + term),
            Decimal::new(*cents as i64, 2)
        ));
    }
    if !payments.is_empty() {
        body.push_str("payments:\n");
        for (date, cents, inv) in payments {
            let named = inv.filter(|i| *i < invoices.len()).map(|i| format!(", invoice: F{i}")).unwrap_or_default();
            body.push_str(&format!("  - {{date: {}, amount: {}{named}}}\n", at(*date), Decimal::new(*cents as i64, 2)));
        }
    }
    case("professionnel", &body)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn totals_are_sums_of_printed_lines((invoices, payments) in arb_case(0), split in prop::bool::ANY, cgv in prop::option::of(500u32..2000)) {
        let c = build_case(&invoices, &payments);
        let t = terms(cgv.map(|r| Decimal::new(i64::from(r), 2).to_string()).as_deref(), if split { RateSplit::Semester } else { RateSplit::Fixed });
        let s = owed(&c, &t, "2026-06-30");
        for i in &s.invoices {
            // Penalties still owed = lines − what partial payments paid of them.
            prop_assert_eq!(i.penalties + i.penalties_paid, i.lines.iter().map(|l| l.amount).sum::<Decimal>());
            for l in &i.lines {
                prop_assert_eq!(l.amount, l.amount.round_dp(2));
            }
        }
        prop_assert_eq!(s.penalties, s.invoices.iter().map(|i| i.penalties).sum::<Decimal>());
        prop_assert_eq!(s.principal, s.invoices.iter().map(|i| i.outstanding).sum::<Decimal>());
        prop_assert_eq!(s.indemnities, Decimal::from(40 * s.invoices.iter().filter(|i| !i.indemnity.is_zero()).count() as i64));
        // The identity a lawyer checks: total = principal + penalties +
        // indemnities + interest − offsets; the offset is the credit, capped.
        prop_assert_eq!(s.total, s.principal + s.penalties + s.indemnities + s.interest - s.offset);
        prop_assert!(s.offset >= Decimal::ZERO && s.offset <= s.unallocated);
        prop_assert!(s.total >= Decimal::ZERO);
    }

    #[test]
    fn penalties_never_decrease_when_the_date_moves_later((invoices, payments) in arb_case(0), later in 1u32..300) {
        // Payments all known by the first date (they are at most 900 days after
        // 01/01/2023, i.e. by 19/06/2025): only time passes between the two.
        let c = build_case(&invoices, &payments);
        let t = terms(None, RateSplit::Semester);
        let first = day("2025-07-01");
        let second = first + chrono::Days::new(u64::from(later));
        let a = statement(&c, &t, &RateTable::builtin(), first).unwrap();
        let b = statement(&c, &t, &RateTable::builtin(), second).unwrap();
        prop_assert!(b.penalties >= a.penalties, "{} < {}", b.penalties, a.penalties);
        prop_assert_eq!(b.principal, a.principal);
    }

    #[test]
    fn a_paid_invoice_never_gets_a_new_principal_claim((invoices, payments) in arb_case(1), later in 1u32..300) {
        let c = build_case(&invoices, &payments);
        let t = terms(None, RateSplit::Semester);
        let first = day("2025-07-01");
        let a = statement(&c, &t, &RateTable::builtin(), first).unwrap();
        let b = statement(&c, &t, &RateTable::builtin(), first + chrono::Days::new(u64::from(later))).unwrap();
        for inv in &c.invoices {
            let paid = a.invoices.iter().find(|i| i.number == inv.number).is_none_or(|i| i.outstanding.is_zero())
                && inv.due.0 < first;
            if paid {
                let again = b.invoices.iter().find(|i| i.number == inv.number).map_or(Decimal::ZERO, |i| i.outstanding);
                prop_assert_eq!(again, Decimal::ZERO, "{} claimed again", inv.number);
            }
        }
    }

    #[test]
    fn paying_more_never_raises_the_penalty((invoices, payments) in arb_case(1), extra in 1u64..100_000, which in 0usize..4) {
        let t = terms(None, RateSplit::Semester);
        let before = owed(&build_case(&invoices, &payments), &t, "2026-06-30");
        let mut more = payments.clone();
        let k = which % more.len();
        more[k].1 += extra;
        let after = owed(&build_case(&invoices, &more), &t, "2026-06-30");
        prop_assert!(after.penalties <= before.penalties, "{} > {}", after.penalties, before.penalties);
        prop_assert!(after.principal <= before.principal);
    }

    #[test]
    fn a_new_payment_never_raises_the_penalty_beyond_a_cent_of_rounding_per_invoice(
        (invoices, payments) in arb_case(0), date in 0u32..900, cents in 1u64..100_000
    ) {
        // A new payment date splits a line in two; each half is rounded on its own
        // (docs/rules.md), which may add at most one cent per invoice it touches.
        let t = terms(None, RateSplit::Semester);
        let before = owed(&build_case(&invoices, &payments), &t, "2026-06-30");
        let mut more = payments.clone();
        more.push((date, cents, None));
        let after = owed(&build_case(&invoices, &more), &t, "2026-06-30");
        let slack = Decimal::new(invoices.len() as i64, 2);
        prop_assert!(after.penalties <= before.penalties + slack, "{} > {} + {}", after.penalties, before.penalties, slack);
    }
}
