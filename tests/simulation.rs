//! Ninety days of daily runs over 200 generated cases, as a back office's
//! cron would make them: invoices spread over the period, payments arriving
//! along the way, one `build` a day with the journal. Every case receives
//! each level at most once, in order, never before the policy's delay after
//! the previous recorded letter, and nothing once it is paid. The same
//! ninety days with a `kill -9` in the middle of 20 runs, each followed by
//! the same command, end with the same journal and the same letters.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Days, NaiveDate};

use crate::util::*;

const CASES: usize = 200;
const DAYS: u64 = 90;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

/// A small deterministic generator (no dependency, same cases everywhere).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// One generated case: its YAML before any payment, and the day a payment
/// of everything arrives (if it does) with its YAML lines.
struct Generated {
    file: String,
    text: String,
    paid_on: Option<u64>,
    payment: String,
}

fn generate() -> Vec<Generated> {
    let mut rng = Lcg(2026);
    (0..CASES)
        .map(|i| {
            let b2b = rng.next(3) > 0;
            let mut text = format!(
                "id: SIM-{i:03}\ndebtor:\n  type: {}\n  name: Client {i}\n  address: [\"{i} rue du Test\"]\n  postal_code: \"69003\"\n  city: Lyon\n{}invoices:\n",
                if b2b { "professionnel" } else { "particulier" },
                if rng.next(2) == 0 { format!("  email: client{i}@example.com\n") } else { String::new() },
            );
            let mut total_cents = 0;
            for k in 0..1 + rng.next(3) {
                let issued = start() - Days::new(60) + Days::new(rng.next(90));
                let due = issued + Days::new(30);
                let cents = 5_000 + rng.next(500_000);
                total_cents += cents;
                text.push_str(&format!(
                    "  - {{number: F-{i:03}-{k}, date: {issued}, due: {due}, amount: {}.{:02}}}\n",
                    cents / 100,
                    cents % 100
                ));
            }
            let paid_on = (rng.next(3) == 0).then(|| rng.next(DAYS));
            let payment = paid_on
                .map(|d| {
                    format!(
                        "payments:\n  - {{date: {}, amount: {}.{:02}}}\n",
                        start() + Days::new(d),
                        total_cents / 100,
                        total_cents % 100
                    )
                })
                .unwrap_or_default();
            Generated { file: format!("cases/sim-{i:03}.yaml"), text, paid_on, payment }
        })
        .collect()
}

/// A folder with the generated cases and the fixtures' config.
fn setup(cases: &[Generated]) -> Dir {
    let dir = Dir::new();
    dir.write("cases/relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    for c in cases {
        dir.write(&c.file, &c.text);
    }
    dir
}

/// Adds the payments that arrive on `day` to their cases.
fn pay(dir: &Dir, cases: &[Generated], day: u64) {
    for c in cases.iter().filter(|c| c.paid_on == Some(day)) {
        dir.write(&c.file, format!("{}{}", c.text, c.payment));
    }
}

fn run(dir: &Dir, date: NaiveDate) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(dir.path())
        .args(["build", "cases", "--date", &date.to_string(), "--out", &format!("out/{date}"), "--jobs", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Each case's letters: (level, date), in date order.
type History = BTreeMap<String, Vec<(String, NaiveDate)>>;

/// Every journal entry of the folder: case → (level, date), in order; and
/// the entries as written (without their run id), sorted.
fn journal(dir: &Dir) -> (History, Vec<String>) {
    let mut by_case: History = BTreeMap::new();
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir.join("cases/journal")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines().skip(1) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let case = v["case"].as_str().unwrap().to_string();
            let level = v["level"].as_str().unwrap().to_string();
            let date: NaiveDate = v["date"].as_str().unwrap().parse().unwrap();
            by_case.entry(case).or_default().push((level, date));
            v.as_object_mut().unwrap().remove("run");
            all.push(v.to_string());
        }
    }
    for list in by_case.values_mut() {
        list.sort_by_key(|(_, d)| *d);
    }
    all.sort();
    (by_case, all)
}

/// The letters of every day's output: path → bytes.
fn letters(dir: &Dir) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir.join("out"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "pdf") && e.path().parent().unwrap().ends_with("letters"))
        .map(|e| (e.path().strip_prefix(dir.path()).unwrap().display().to_string(), std::fs::read(e.path()).unwrap()))
        .collect()
}

fn check_policy(cases: &[Generated], by_case: &History) {
    let order = ["amicale", "formelle", "avertissement", "mise-en-demeure"];
    let delay = |level: &str| match level {
        "formelle" | "avertissement" => 15,
        "mise-en-demeure" => 10,
        _ => 0,
    };
    for (i, c) in cases.iter().enumerate() {
        let id = format!("SIM-{i:03}");
        let Some(list) = by_case.get(&id) else { continue };
        let levels: Vec<&str> = list.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(levels, order[..levels.len()], "{id}: each level once, in order");
        for pair in list.windows(2) {
            let gap = (pair[1].1 - pair[0].1).num_days();
            assert!(gap >= delay(&pair[1].0), "{id}: {} {gap} days after {}", pair[1].0, pair[0].0);
        }
        if let Some(day) = c.paid_on {
            let paid = start() + Days::new(day);
            assert!(list.iter().all(|(_, d)| *d < paid), "{id}: a letter after its payment on {paid}: {list:?}");
        }
    }
}

fn totals(by_case: &History) -> BTreeMap<String, usize> {
    let mut t = BTreeMap::new();
    for (level, _) in by_case.values().flatten() {
        *t.entry(level.clone()).or_insert(0) += 1;
    }
    t
}

#[test]
fn ninety_days_of_daily_runs_follow_the_policy_and_survive_kill_9() {
    let cases = generate();
    // The uninterrupted ninety days.
    let calm = setup(&cases);
    for day in 0..DAYS {
        pay(&calm, &cases, day);
        let status = run(&calm, start() + Days::new(day)).wait().unwrap();
        assert!(status.success(), "day {day}: {status:?}");
    }
    let (by_case, entries) = journal(&calm);
    check_policy(&cases, &by_case);
    let t = totals(&by_case);
    eprintln!("90 days, {CASES} cases: letters per level {t:?}, {} cases written to", by_case.len());
    assert!(t.get("mise-en-demeure").copied().unwrap_or(0) > 10, "{t:?}");

    // The same days, with a kill -9 at a varying moment of 20 runs, each
    // followed by the same command.
    let stormy = setup(&cases);
    let mut rng = Lcg(7);
    let killed: Vec<u64> = (0..20).map(|k| 2 + k * 4).collect();
    for day in 0..DAYS {
        pay(&stormy, &cases, day);
        let date = start() + Days::new(day);
        if killed.contains(&day) {
            let mut child = run(&stormy, date);
            std::thread::sleep(Duration::from_millis(rng.next(400)));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        let status = run(&stormy, date).wait().unwrap();
        assert!(status.success(), "day {day} after a kill: {status:?}");
    }
    let (by_case_stormy, entries_stormy) = journal(&stormy);
    assert_eq!(entries_stormy, entries, "the same journal");
    assert_eq!(by_case_stormy, by_case);
    let (a, b) = (letters(&calm), letters(&stormy));
    assert_eq!(a.len(), b.len());
    for (path, bytes) in &a {
        assert!(b.get(path) == Some(bytes), "{path} differs after the kills");
    }
    // No temporary file left anywhere.
    let left: Vec<_> = walkdir::WalkDir::new(stormy.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".relance-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
