//! Amounts in words, as French legal letters write totals: "mille deux cent
//! trente-quatre euros et cinquante-six centimes".
//!
//! Traditional spelling (hyphens only below one hundred, "et un" in 21…71,
//! "quatre-vingts" and "deux cents" plural only when they end the number and
//! are not followed by "mille"), which is what a court clerk expects to read.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::round_cents;

const UNITS: [&str; 17] = [
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
    "quatorze", "quinze", "seize",
];

/// 0..=99.
fn below_hundred(n: u64) -> String {
    debug_assert!(n < 100);
    if n <= 16 {
        return UNITS[n as usize].to_string();
    }
    if n < 20 {
        return format!("dix-{}", UNITS[(n - 10) as usize]);
    }
    let (tens, unit) = (n / 10, n % 10);
    match tens {
        2..=6 => {
            let name = ["vingt", "trente", "quarante", "cinquante", "soixante"][(tens - 2) as usize];
            match unit {
                0 => name.to_string(),
                1 => format!("{name} et un"),
                u => format!("{name}-{}", UNITS[u as usize]),
            }
        }
        7 => match unit {
            1 => "soixante et onze".to_string(),
            u => format!("soixante-{}", below_hundred(10 + u)),
        },
        8 => match unit {
            0 => "quatre-vingts".to_string(),
            u => format!("quatre-vingt-{}", UNITS[u as usize]),
        },
        _ => format!("quatre-vingt-{}", below_hundred(10 + unit)),
    }
}

/// 0..=999. `before_mille`: the group is followed by "mille", which makes
/// "cents" and "quatre-vingts" lose their plural s.
fn below_thousand(n: u64, before_mille: bool) -> String {
    debug_assert!(n < 1000);
    let (hundreds, rest) = (n / 100, n % 100);
    let mut out = String::new();
    match hundreds {
        0 => {}
        1 => out.push_str("cent"),
        h => {
            out.push_str(UNITS[h as usize]);
            out.push_str(if rest == 0 && !before_mille { " cents" } else { " cent" });
        }
    }
    if rest > 0 || hundreds == 0 {
        if !out.is_empty() {
            out.push(' ');
        }
        let mut words = below_hundred(rest);
        if before_mille && rest == 80 {
            words = "quatre-vingt".to_string();
        }
        out.push_str(&words);
    }
    out
}

/// Any whole number in words (past 10^15, "mille billions" and so on).
pub(super) fn integer_in_words(n: u64) -> String {
    if n == 0 {
        return "zéro".to_string();
    }
    let scales: [(u64, &str, &str); 3] = [
        (1_000_000_000_000, "billion", "billions"),
        (1_000_000_000, "milliard", "milliards"),
        (1_000_000, "million", "millions"),
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut rest = n;
    for (scale, one, many) in scales {
        let count = rest / scale;
        rest %= scale;
        if count > 0 {
            let name = if count == 1 { one } else { many };
            let count_words = if count < 1000 { below_thousand(count, false) } else { integer_in_words(count) };
            parts.push(format!("{count_words} {name}"));
        }
    }
    let thousands = rest / 1000;
    rest %= 1000;
    match thousands {
        0 => {}
        1 => parts.push("mille".to_string()),
        t => parts.push(format!("{} mille", below_thousand(t, true))),
    }
    if rest > 0 {
        parts.push(below_thousand(rest, false));
    }
    parts.join(" ")
}

/// `1234.56` → "mille deux cent trente-quatre euros et cinquante-six
/// centimes". Rounded to the cent first; whole millions take "d'euros".
pub fn amount_in_words(amount: Decimal) -> String {
    let amount = round_cents(amount.abs());
    let euros = amount.trunc().to_u64().unwrap_or(0);
    let cents = ((amount - amount.trunc()) * Decimal::from(100)).to_u64().unwrap_or(0);
    let mut out = integer_in_words(euros);
    let euro_word = if euros >= 2 { "euros" } else { "euro" };
    if euros >= 1_000_000 && euros.is_multiple_of(1_000_000) {
        out.push_str(" d'euros");
    } else {
        out.push(' ');
        out.push_str(euro_word);
    }
    if cents > 0 {
        let cent_word = if cents >= 2 { "centimes" } else { "centime" };
        out.push_str(&format!(" et {} {cent_word}", below_hundred(cents)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn every_total_is_spelled() {
        // The largest total validation lets through (1,000 invoices of
        // 999,999,999,999.99 €, plus penalties) and far past it.
        for n in [999_999_999_999_999u64, 1_000_000_000_000_000, u64::MAX] {
            let words = integer_in_words(n);
            assert!(!words.is_empty() && !words.contains("  "), "{n}: {words}");
        }
        assert_eq!(integer_in_words(1_000_000_000_000_000), "mille billions");
        let max = Decimal::from_str("999999999999999.99").unwrap();
        assert!(amount_in_words(max).ends_with("euros et quatre-vingt-dix-neuf centimes"));
    }

    #[test]
    fn numbers_below_hundred() {
        let cases = [
            (0, "zéro"),
            (1, "un"),
            (16, "seize"),
            (17, "dix-sept"),
            (21, "vingt et un"),
            (22, "vingt-deux"),
            (30, "trente"),
            (61, "soixante et un"),
            (70, "soixante-dix"),
            (71, "soixante et onze"),
            (77, "soixante-dix-sept"),
            (80, "quatre-vingts"),
            (81, "quatre-vingt-un"),
            (90, "quatre-vingt-dix"),
            (91, "quatre-vingt-onze"),
            (99, "quatre-vingt-dix-neuf"),
        ];
        for (n, words) in cases {
            assert_eq!(integer_in_words(n), words, "{n}");
        }
    }

    #[test]
    fn hundreds_thousands_millions() {
        let cases = [
            (100, "cent"),
            (101, "cent un"),
            (200, "deux cents"),
            (201, "deux cent un"),
            (280, "deux cent quatre-vingts"),
            (1000, "mille"),
            (1001, "mille un"),
            (1234, "mille deux cent trente-quatre"),
            (2000, "deux mille"),
            (80_000, "quatre-vingt mille"),
            (200_000, "deux cent mille"),
            (280_300, "deux cent quatre-vingt mille trois cents"),
            (1_000_000, "un million"),
            (2_000_000, "deux millions"),
            (200_000_000, "deux cents millions"),
            (1_000_001, "un million un"),
            (21_021, "vingt et un mille vingt et un"),
        ];
        for (n, words) in cases {
            assert_eq!(integer_in_words(n), words, "{n}");
        }
    }

    #[test]
    fn amounts_with_currency() {
        let w = |s| amount_in_words(Decimal::from_str(s).unwrap());
        assert_eq!(w("1234.56"), "mille deux cent trente-quatre euros et cinquante-six centimes");
        assert_eq!(w("1"), "un euro");
        assert_eq!(w("0.01"), "zéro euro et un centime");
        assert_eq!(w("40.00"), "quarante euros");
        assert_eq!(w("2000000"), "deux millions d'euros");
        assert_eq!(w("80.80"), "quatre-vingts euros et quatre-vingts centimes");
        assert_eq!(w("1.005"), "un euro et un centime");
    }
}
