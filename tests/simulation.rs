//! Ninety days of daily runs over 200 generated cases, as a back office's
//! cron would make them: invoices spread over the period, payments arriving
//! along the way, one `build` a day with the journal, a telephone step
//! whose calls the clerk records the same day (unreachable, a promise kept,
//! a promise broken), and payment plans agreed on day 25, half of them
//! kept, half broken at their second installment. Every case receives each
//! level at most once, in order, never before the policy's delay after the
//! previous recorded step (but at once after a broken plan), nothing while
//! a promise or a kept plan holds, and nothing once it is paid; broken
//! promises and plans are cited by the next letter. The same ninety days
//! with a `kill -9` in the middle of 20 runs, each followed by the same
//! command, end with the same journal and the same letters.

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

/// One generated case: its YAML before any payment, the day a payment of
/// everything arrives (if it does), and its payment plan (if it has one).
struct Generated {
    file: String,
    text: String,
    total_cents: u64,
    paid_on: Option<u64>,
    plan: Option<Plan>,
}

/// A plan agreed on `PLAN_DAY`, three installments; a broken one is paid
/// for its first installment only.
struct Plan {
    kept: bool,
}

const PLAN_DAY: u64 = 25;
const INSTALLMENT_DAYS: [u64; 3] = [35, 50, 65];
/// The promise made in a call runs this many days; a kept one is paid in full
/// two days before its date.
const PROMISE_DAYS: u64 = 6;

fn euros(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn generate() -> Vec<Generated> {
    let mut rng = Lcg(2026);
    let mut cases: Vec<Generated> = (0..CASES)
        .map(|i| {
            let b2b = rng.next(3) > 0;
            let mut text = format!(
                "id: SIM-{i:03}\ndebtor:\n  type: {}\n  name: Client {i}\n  address: [\"{i} rue du Test\"]\n  postal_code: \"69003\"\n  city: Lyon\n{}invoices:\n",
                if b2b { "professionnel" } else { "particulier" },
                if rng.next(2) == 0 { format!("  email: client{i}@example.com\n") } else { String::new() },
            );
            let mut total_cents = 0;
            let mut last_due = start();
            for k in 0..1 + rng.next(3) {
                let issued = start() - Days::new(60) + Days::new(rng.next(90));
                let due = issued + Days::new(30);
                last_due = last_due.max(due);
                let cents = 5_000 + rng.next(500_000);
                total_cents += cents;
                text.push_str(&format!("  - {{number: F-{i:03}-{k}, date: {issued}, due: {due}, amount: {}}}\n", euros(cents)));
            }
            let paid_on = (rng.next(3) == 0).then(|| rng.next(DAYS));
            // A plan settles a debt already due: one of every 5 cases whose
            // invoices are all due before the plan, kept and broken in turn.
            let plan = (paid_on.is_none() && i % 5 == 2 && last_due < start() + Days::new(PLAN_DAY - 10))
                .then_some(Plan { kept: false });
            Generated { file: format!("cases/sim-{i:03}.yaml"), text, total_cents, paid_on, plan }
        })
        .collect();
    for (n, plan) in cases.iter_mut().filter_map(|c| c.plan.as_mut()).enumerate() {
        plan.kept = n % 2 == 0;
    }
    cases
}

/// The plan's installments: (day, cents), the last one taking the remainder.
fn installments(total: u64) -> Vec<(u64, u64)> {
    let third = total / 3;
    vec![(INSTALLMENT_DAYS[0], third), (INSTALLMENT_DAYS[1], third), (INSTALLMENT_DAYS[2], total - 2 * third)]
}

/// A folder with the fixtures' config, a telephone step after the amicale.
fn setup() -> Dir {
    let dir = Dir::new();
    let config = std::fs::read_to_string(fixtures().join("relance.yaml")).unwrap();
    let config = config.replacen(
        "  formelle: ",
        "  appel:            { after_previous: 5, channel: telephone }\n  formelle: ",
        1,
    );
    // A payment of the invoices' amount settles them (imputed to the
    // principal first) and ends the case: its late-payment penalties are not
    // pursued (claim_after_payment), so "nothing once paid" holds.
    let config = config.replacen(
        "  rate_split: semester\n",
        "  rate_split: semester\n  claim_after_payment: false\n  imputation: principal_first\n",
        1,
    );
    dir.write("cases/relance.yaml", config);
    dir
}

/// The state of the simulated back office: the promises kept, to be paid.
#[derive(Default)]
struct Office {
    /// Case index → the day it pays everything, after a promise.
    promised_payment: BTreeMap<usize, u64>,
}

/// Each case file as it stands on `day`: its payments so far and its plan.
fn write_cases(dir: &Dir, cases: &[Generated], office: &Office, day: u64) {
    for (i, c) in cases.iter().enumerate() {
        let mut payments = Vec::new();
        let full = c.paid_on.filter(|d| *d <= day).or(office.promised_payment.get(&i).copied().filter(|d| *d <= day));
        if let Some(d) = full {
            payments.push((d, c.total_cents));
        }
        let mut text = c.text.clone();
        if let Some(plan) = &c.plan
            && day >= PLAN_DAY
        {
            text.push_str(&format!("echeancier:\n  date: {}\n  installments:\n", start() + Days::new(PLAN_DAY)));
            for (k, (d, cents)) in installments(c.total_cents).into_iter().enumerate() {
                text.push_str(&format!("    - {{date: {}, amount: {}}}\n", start() + Days::new(d), euros(cents)));
                if d <= day && (plan.kept || k == 0) {
                    payments.push((d, cents));
                }
            }
        }
        if !payments.is_empty() {
            text.push_str("payments:\n");
            for (d, cents) in payments {
                text.push_str(&format!("  - {{date: {}, amount: {}}}\n", start() + Days::new(d), euros(cents)));
            }
        }
        let path = dir.join(&c.file);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            dir.write(&c.file, &text);
        }
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

/// The clerk's calls of `day`: each call on the sheet gets its outcome —
/// by the case's number: unreachable, a promise kept, a promise broken.
fn make_calls(dir: &Dir, cases: &[Generated], office: &mut Office, day: u64) {
    let date = start() + Days::new(day);
    let (by_case, _) = journal(dir);
    for (id, list) in &by_case {
        if !list.iter().any(|(level, d)| level == "appel" && *d == date) {
            continue;
        }
        let i: usize = id.trim_start_matches("SIM-").parse().unwrap();
        if cases[i].plan.is_some() {
            continue; // its plan, agreed later, is its story
        }
        let until = (date + Days::new(PROMISE_DAYS)).to_string();
        let amount = euros(cases[i].total_cents);
        let mut args = vec!["record", "appel", id.as_str(), "--cases", "cases", "--date"];
        let date_s = date.to_string();
        args.push(&date_s);
        match i % 3 {
            0 => args.extend(["--outcome", "injoignable"]),
            _ => args.extend(["--outcome", "promesse", "--amount", &amount, "--until", &until]),
        }
        if i % 3 == 1 {
            office.promised_payment.insert(i, day + PROMISE_DAYS - 2);
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Ninety days of the office, with a `kill -9` in the middle of the runs of
/// `killed` days (each followed by the same command).
fn simulate(cases: &[Generated], killed: &[u64]) -> Dir {
    let dir = setup();
    let mut office = Office::default();
    let mut rng = Lcg(7);
    for day in 0..DAYS {
        write_cases(&dir, cases, &office, day);
        let date = start() + Days::new(day);
        if killed.contains(&day) {
            let mut child = run(&dir, date);
            std::thread::sleep(Duration::from_millis(rng.next(400)));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        let status = run(&dir, date).wait().unwrap();
        assert!(status.success(), "day {day}: {status:?}");
        make_calls(&dir, cases, &mut office, day);
    }
    dir
}

/// Each case's letters: (level, date), in date order.
type History = BTreeMap<String, Vec<(String, NaiveDate)>>;

/// Every journal entry of the folder: case → (level, date), in order; and
/// the entries as written (without their run id), sorted.
fn journal(dir: &Dir) -> (History, Vec<String>) {
    let mut by_case: History = BTreeMap::new();
    let mut all = Vec::new();
    let Ok(files) = std::fs::read_dir(dir.join("cases/journal")) else { return (by_case, all) };
    for e in files {
        let path = e.unwrap().path();
        if path.extension().is_none_or(|x| x != "jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines().skip(1) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            if v["kind"] == "issued" {
                let case = v["case"].as_str().unwrap().to_string();
                let level = v["level"].as_str().unwrap().to_string();
                let date: NaiveDate = v["date"].as_str().unwrap().parse().unwrap();
                by_case.entry(case).or_default().push((level, date));
            }
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

/// The text of the letter of `id` at `level` issued on `date`.
fn letter_text(dir: &Dir, id: &str, level: &str, date: NaiveDate) -> String {
    fold(&pdf_text(&dir.join(&format!("out/{date}/letters/{id}-{level}.pdf"))))
}

/// What the simulation saw, for the totals it prints.
#[derive(Debug, Default)]
struct Seen {
    promises_kept: usize,
    promises_broken_cited: usize,
    plans_kept: usize,
    plans_broken_cited: usize,
}

fn check_policy(dir: &Dir, cases: &[Generated], by_case: &History) -> Seen {
    let order = ["amicale", "appel", "formelle", "avertissement", "mise-en-demeure"];
    let delay = |level: &str| match level {
        "appel" => 5,
        "formelle" | "avertissement" => 15,
        "mise-en-demeure" => 10,
        _ => 0,
    };
    let day = |d: u64| start() + Days::new(d);
    let mut seen = Seen::default();
    for (i, c) in cases.iter().enumerate() {
        let id = format!("SIM-{i:03}");
        let Some(all) = by_case.get(&id) else { continue };
        let list: Vec<&(String, NaiveDate)> = all.iter().filter(|(l, _)| l != "echeancier").collect();
        let levels: Vec<&str> = list.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(levels, order[..levels.len()], "{id}: each level once, in order");
        let broken_plan_letter = c.plan.as_ref().filter(|p| !p.kept).map(|_| day(INSTALLMENT_DAYS[1] + 1));
        for pair in list.windows(2) {
            let gap = (pair[1].1 - pair[0].1).num_days();
            if Some(pair[1].1) == broken_plan_letter {
                continue; // the déchéance du terme: at once
            }
            assert!(gap >= delay(&pair[1].0), "{id}: {} {gap} days after {}", pair[1].0, pair[0].0);
        }
        if let Some(d) = c.paid_on {
            let paid = day(d);
            assert!(all.iter().all(|(_, d)| *d < paid), "{id}: a letter after its payment on {paid}: {all:?}");
        }
        // The calls: a promise holds through its date; kept, nothing follows;
        // broken, the next letter cites it.
        if let Some((_, call)) = list.iter().find(|(l, _)| l == "appel").map(|x| (&x.0, x.1))
            && c.plan.is_none()
            && i % 3 != 0
        {
            let until = call + Days::new(PROMISE_DAYS);
            let after: Vec<_> = list.iter().filter(|(_, d)| *d > call).collect();
            assert!(after.iter().all(|(_, d)| *d > until), "{id}: a letter during the promise to {until}: {list:?}");
            if i % 3 == 1 {
                assert!(after.is_empty(), "{id}: a letter after a promise kept: {list:?}");
                seen.promises_kept += 1;
            } else if let Some((level, d)) = after.first() {
                let text = letter_text(dir, &id, level, *d);
                assert!(
                    text.contains("vous vous étiez engagé à nous régler"),
                    "{id}: {level} of {d} does not cite the promise"
                );
                seen.promises_broken_cited += 1;
            }
        }
        // The plans: confirmed once on its day; kept, nothing else after it;
        // broken, a letter the day after the missed installment, citing it.
        if let Some(plan) = &c.plan {
            let confirmations: Vec<_> = all.iter().filter(|(l, _)| l == "echeancier").collect();
            assert_eq!(confirmations.len(), 1, "{id}: {all:?}");
            assert_eq!(confirmations[0].1, day(PLAN_DAY), "{id}");
            let after: Vec<_> = list.iter().filter(|(_, d)| *d > day(PLAN_DAY)).collect();
            if plan.kept {
                assert!(after.is_empty(), "{id}: dunned while its plan was kept: {list:?}");
                seen.plans_kept += 1;
            } else {
                let first = after.first().unwrap_or_else(|| panic!("{id}: no letter after the broken plan: {list:?}"));
                assert_eq!(first.1, day(INSTALLMENT_DAYS[1] + 1), "{id}: {list:?}");
                assert!(
                    list.iter().all(|(_, d)| *d <= day(PLAN_DAY) || *d > day(INSTALLMENT_DAYS[1])),
                    "{id}: dunned while its plan was kept: {list:?}"
                );
                let text = letter_text(dir, &id, &first.0, first.1);
                assert!(text.contains("déchéance du terme"), "{id}: {} does not cite the plan", first.0);
                seen.plans_broken_cited += 1;
            }
        }
    }
    seen
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
    let calm = simulate(&cases, &[]);
    let (by_case, entries) = journal(&calm);
    let seen = check_policy(&calm, &cases, &by_case);
    let t = totals(&by_case);
    eprintln!("90 days, {CASES} cases: per level {t:?}, {} cases written to; {seen:?}", by_case.len());
    assert!(t.get("mise-en-demeure").copied().unwrap_or(0) > 10, "{t:?}");
    assert!(t.get("appel").copied().unwrap_or(0) > 20, "{t:?}");
    assert!(seen.promises_kept > 3 && seen.promises_broken_cited > 3, "{seen:?}");
    assert!(seen.plans_kept >= 3 && seen.plans_broken_cited >= 3, "{seen:?}");

    // The same days, with a kill -9 at a varying moment of 20 runs, each
    // followed by the same command.
    let killed: Vec<u64> = (0..20).map(|k| 2 + k * 4).collect();
    let stormy = simulate(&cases, &killed);
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
