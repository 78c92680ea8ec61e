//! Amount parsing: any text is either refused with a reason or read exactly
//! as a non-negative amount with at most two decimals that prints back the
//! same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relance::case::Amount;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Amount::parse(text) {
        Ok(Amount(d)) => {
            assert!(d >= rust_decimal::Decimal::ZERO);
            assert!(d.scale() <= 2, "{text:?} → {d}");
            assert_eq!(Amount::parse(&d.to_string()).unwrap().0, d);
            let _ = relance::money::format_eur(d);
            let _ = relance::money::amount_in_words(d);
        }
        Err(reason) => assert!(!reason.problem.is_empty() && !reason.expected.is_empty(), "{reason}"),
    }
});
