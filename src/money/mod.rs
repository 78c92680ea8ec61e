//! Money and dates the way a French letter prints them.
//!
//! Everything here is pure formatting: amounts arrive as exact `Decimal`s that
//! the law module has already rounded; this module never rounds silently
//! except where it says so (`round_cents`).

mod words;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

pub use words::amount_in_words;

/// Narrow no-break space (U+202F): the French thousands separator.
pub const NNBSP: char = '\u{202F}';
/// No-break space (U+00A0): between a figure and its unit (`€`, `%`).
pub const NBSP: char = '\u{00A0}';

/// Rounds to the cent, half away from zero (0.005 → 0.01, -0.005 → -0.01),
/// as docs/rules.md requires for every décompte line.
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `1234.5` → `"1 234,50 €"` (narrow no-break space between groups, no-break
/// space before the euro sign). The value is rounded to the cent first.
pub fn format_eur(value: Decimal) -> String {
    format!("{}{NBSP}€", format_number(round_cents(value), 2))
}

/// An annual rate in percent: `12.15` → `"12,15 %"`; always two decimals so
/// that a column of rates lines up.
pub fn format_rate(percent: Decimal) -> String {
    format!("{}{NBSP}%", format_number(percent, 2))
}

/// Groups the integer part by three with U+202F and writes `decimals` digits
/// after a comma.
fn format_number(value: Decimal, decimals: u32) -> String {
    let value = value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    let negative = value.is_sign_negative() && !value.is_zero();
    let text = format!("{:.*}", decimals as usize, value.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text.clone(), None),
    };
    let mut grouped = String::new();
    let digits: Vec<char> = int_part.chars().collect();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(NNBSP);
        }
        grouped.push(*c);
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac_part {
        out.push(',');
        out.push_str(&f);
    }
    out
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `2026-12-01` → `"1er décembre 2026"`: the first of the month is an ordinal
/// in French, every other day a cardinal.
pub fn format_date(date: NaiveDate) -> String {
    let day = match date.day() {
        1 => "1er".to_string(),
        d => d.to_string(),
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// `2026-12-01` → `"01/12/2026"`: the compact form used in tables.
pub fn format_date_short(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn euros_group_thousands_with_narrow_nbsp() {
        assert_eq!(format_eur(d("1234.56")), "1\u{202F}234,56\u{A0}€");
        assert_eq!(format_eur(d("0.5")), "0,50\u{A0}€");
        assert_eq!(format_eur(d("40")), "40,00\u{A0}€");
        assert_eq!(format_eur(d("1234567.8")), "1\u{202F}234\u{202F}567,80\u{A0}€");
        assert_eq!(format_eur(d("999.999")), "1\u{202F}000,00\u{A0}€");
        assert_eq!(format_eur(d("-12.5")), "-12,50\u{A0}€");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_cents(d("0.005")), d("0.01"));
        assert_eq!(round_cents(d("0.015")), d("0.02"));
        assert_eq!(round_cents(d("2.675")), d("2.68"));
        assert_eq!(round_cents(d("-0.005")), d("-0.01"));
        assert_eq!(round_cents(d("0.0049999")), d("0.00"));
    }

    #[test]
    fn rates_print_with_two_decimals() {
        assert_eq!(format_rate(d("12.15")), "12,15\u{A0}%");
        assert_eq!(format_rate(d("10")), "10,00\u{A0}%");
    }

    #[test]
    fn dates_in_french() {
        let date = |s| NaiveDate::from_str(s).unwrap();
        assert_eq!(format_date(date("2026-12-01")), "1er décembre 2026");
        assert_eq!(format_date(date("2026-02-22")), "22 février 2026");
        assert_eq!(format_date(date("2026-08-15")), "15 août 2026");
        assert_eq!(format_date_short(date("2026-03-05")), "05/03/2026");
    }
}
