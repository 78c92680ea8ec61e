//! Random extreme values driven through a whole `build` (the library's
//! `run::build_to` into memory): the largest amounts validation accepts,
//! dates at both ends of the accepted period, delays of 0 and 365 days,
//! forced levels. Every case ends as a letter, no letter, or a clear
//! error: never a panic (which would show as an internal error).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proptest::prelude::*;
use relance::pack::Sink;

use crate::util::*;

/// A sink in memory.
struct Memory {
    root: PathBuf,
    files: Mutex<HashMap<PathBuf, Vec<u8>>>,
}

impl Sink for Memory {
    fn write(&self, rel: &Path, bytes: &[u8]) -> std::io::Result<()> {
        self.files.lock().unwrap().insert(rel.to_path_buf(), bytes.to_vec());
        Ok(())
    }

    fn root(&self) -> &Path {
        &self.root
    }

    fn read(&self, rel: &Path) -> std::io::Result<Vec<u8>> {
        self.files.lock().unwrap().get(rel).cloned().ok_or_else(|| std::io::Error::other("not written"))
    }
}

fn amount() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0.01".to_string()),
        Just("333333333333.33".to_string()),
        Just("999999999999.99".to_string()),
        Just("0".to_string()),
        (1u64..100_000_000).prop_map(|c| format!("{}.{:02}", c / 100, c % 100)),
    ]
}

fn date() -> impl Strategy<Value = chrono::NaiveDate> {
    let first = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    // Both ends of the accepted period, anywhere in it, and mostly the
    // years the rate table covers (2019 to mid-2026), where letters are built.
    prop_oneof![1 => Just(0u64), 1 => Just(36_524u64), 2 => 0u64..36_525, 6 => 6_940u64..9_800]
        .prop_map(move |d| first + chrono::Days::new(d))
}

fn days(max: u32) -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(max), 0..=max]
}

prop_compose! {
    fn case_text()(
        b2b in any::<bool>(),
        invoices in prop::collection::vec((date(), days(365), amount()), 1..4),
        payments in prop::collection::vec((date(), amount(), any::<bool>()), 0..3),
        letters in prop::collection::vec((date(), 0usize..4), 0..3),
        promise in prop::option::of((date(), amount())),
    ) -> String {
        let mut t = format!("id: X-1\n{}invoices:\n", debtor(if b2b { "professionnel" } else { "particulier" }));
        for (i, (d, delay, a)) in invoices.iter().enumerate() {
            let due = (*d + chrono::Days::new(u64::from(*delay))).min(chrono::NaiveDate::from_ymd_opt(2099, 12, 31).unwrap());
            t.push_str(&format!("  - {{number: F-{i}, date: {d}, due: {due}, amount: {a}}}\n"));
        }
        if !payments.is_empty() {
            t.push_str("payments:\n");
            for (d, a, named) in &payments {
                let invoice = if *named { ", invoice: F-0" } else { "" };
                t.push_str(&format!("  - {{date: {d}, amount: {a}{invoice}}}\n"));
            }
        }
        if !letters.is_empty() {
            t.push_str("letters:\n");
            for (d, l) in &letters {
                let level = ["amicale", "formelle", "avertissement", "mise-en-demeure"][*l];
                t.push_str(&format!("  - {{level: {level}, date: {d}, channel: courrier}}\n"));
            }
        }
        if let Some((d, a)) = promise {
            t.push_str(&format!("promise: {{date: {d}, amount: {a}}}\n"));
        }
        t
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn extreme_values_never_panic_a_build(
        case in case_text(),
        run in date(),
        after_due in days(365),
        after_previous in days(365),
        deadline in 1u32..=90,
        forced in prop::option::of(0usize..4),
    ) {
        let dir = Dir::new();
        let config = std::fs::read_to_string(fixtures().join("relance.yaml")).unwrap();
        let config = config
            .replace("after_due: 7", &format!("after_due: {after_due}"))
            .replace("after_previous: 15", &format!("after_previous: {after_previous}"))
            .replace("deadline_days: 8", &format!("deadline_days: {deadline}"));
        dir.write("relance.yaml", &config).write("x.yaml", &case);
        let session = relance::Session::open(&dir.join("relance.yaml"), None, None).unwrap();
        let mut settings = relance::Settings::new(run);
        settings.forced = forced.map(|l| relance::case::Level::ALL[l]);
        let sink = Memory { root: PathBuf::from("out"), files: Mutex::new(HashMap::new()) };
        let report = relance::run::build_to(&session, dir.path(), &sink, &settings).unwrap();
        prop_assert_eq!(report.rows, 1);
        for e in &report.errors {
            prop_assert!(!e.to_string().contains("erreur interne"), "{}\n{}", e, case);
        }
    }
}
