//! Throughput benchmark: `cargo bench --bench throughput [-- N…]`.
//!
//! Generates N synthetic cases (fixed seed, French names and addresses, 1 to 5
//! invoices, a realistic mix of levels; N = 1,000 and 20,000 by default),
//! runs `relance build` on them with 2 threads in each of these ways,
//! alternated run by run so that the machine's drift hits them alike:
//!
//! - `relance`: as it builds by default (one Typst compile per letter);
//! - `lots de N` (`lotN`): letters typeset in batches of N (`--batch N`:
//!   one compile per batch, each letter exported from its own pages);
//! - `2848b6e`: the binary of the commit the speed work started from,
//!   when `RELANCE_BASELINE` names it (README, Speed, says how to build
//!   it); without it, the figures of that commit are not printed.
//!
//! It prints wall time, letters/s, ms/letter, user CPU and the peak
//! resident memory (medians of `RUNS` runs: these machines are shared),
//! then each way's wall time against relance's, side by side, and the
//! start-up time of a one-case run. `RELANCE_BENCH_JOBS=1,2` also runs
//! with 1 thread; `RELANCE_BENCH_MODES=relance,lot8,pages` picks the ways
//! (`pages`: packs copied with lopdf, an attempt measured and dropped).
//! Run it with `--profile dist` for the release build's figures.
//! `-- generate DIR N` only writes the N cases, for runs by hand.

use std::path::Path;
use std::process::Command;

mod support;
use support::{median, run, run_with_user};

const RUNS: usize = 3;

/// splitmix64: a tiny deterministic generator, enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const FIRST: &[&str] =
    &["Claire", "Hugo", "Léa", "Émile", "Zoé", "Lucas", "Chloé", "Théo", "Inès", "Gabriel", "Manon", "Raphaël"];
const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Garnier", "Faure", "Roux", "Fournier",
    "Girard",
];
const FIRMS: &[&str] = &[
    "Boulangerie",
    "Menuiserie",
    "Garage",
    "Cabinet",
    "Atelier",
    "Transports",
    "Imprimerie",
    "Pharmacie",
    "Plomberie",
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "place Bellecour",
    "rue Pasteur",
    "boulevard Gambetta",
    "chemin des Vignes",
    "rue des Lilas",
    "quai Saint-Vincent",
];
const CITIES: &[(&str, &str)] = &[
    ("69003", "Lyon"),
    ("13001", "Marseille"),
    ("75011", "Paris"),
    ("33000", "Bordeaux"),
    ("59000", "Lille"),
    ("38000", "Grenoble"),
    ("21000", "Dijon"),
    ("42000", "Saint-Étienne"),
    ("31000", "Toulouse"),
    ("44000", "Nantes"),
];
const SIRENS: &[&str] = &["732829320", "512349879", "409876125", "398120451", "824661300", "552100554"];

fn case(rng: &mut Rng, i: usize) -> String {
    let b2b = rng.below(3) > 0;
    let (cp, city) = CITIES[rng.below(CITIES.len() as u64) as usize];
    let name = if b2b {
        format!("{} {} & Fils", rng.pick(FIRMS), rng.pick(LAST))
    } else {
        format!("{} {} {}", if rng.below(2) == 0 { "Mme" } else { "M." }, rng.pick(FIRST), rng.pick(LAST))
    };
    let mut s = format!(
        "id: BENCH-{i:06}\ndebtor:\n  type: {}\n  name: \"{name}\"\n{}  address: [\"{} {}\"]\n  postal_code: \"{cp}\"\n  city: {city}\n",
        if b2b { "professionnel" } else { "particulier" },
        if b2b { format!("  siren: \"{}\"\n", rng.pick(SIRENS)) } else { String::new() },
        1 + rng.below(120),
        rng.pick(STREETS),
    );
    if rng.below(2) == 0 {
        s.push_str(&format!("  email: compta{i}@client.example\n"));
    }
    s.push_str("invoices:\n");
    for k in 0..1 + rng.below(5) {
        let month = 3 + rng.below(6);
        let day = 1 + rng.below(28);
        s.push_str(&format!(
            "  - {{number: F-2026-{i:06}-{k}, date: 2026-{month:02}-{day:02}, due: 2026-{:02}-{day:02}, amount: {}.{:02}}}\n",
            month + 1,
            50 + rng.below(5000),
            rng.below(100)
        ));
    }
    // Level mix: 60 % amicale, 20 % formelle, 15 % avertissement, 5 % mise en demeure.
    let history: &[(&str, &str)] = match rng.below(20) {
        0..=11 => &[],
        12..=15 => &[("amicale", "2026-10-01")],
        16..=18 => &[("amicale", "2026-09-01"), ("formelle", "2026-10-01")],
        _ => &[("amicale", "2026-08-01"), ("formelle", "2026-09-01"), ("avertissement", "2026-10-01")],
    };
    if !history.is_empty() {
        s.push_str("letters:\n");
        for (level, date) in history {
            s.push_str(&format!("  - {{level: {level}, date: {date}, channel: courrier}}\n"));
        }
    }
    s
}

fn generate(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases/relance.yaml"), dir.join("relance.yaml"))
        .unwrap();
    let mut rng = Rng(20261122);
    for i in 0..n {
        std::fs::write(dir.join(format!("case-{i:06}.yaml")), case(&mut rng, i)).unwrap();
    }
}

fn main() {
    // `cargo bench --bench throughput -- generate DIR N`: only write the cases,
    // to run or profile `relance build` on them by hand.
    let raw: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if raw.first().map(String::as_str) == Some("generate") {
        let dir = Path::new(raw.get(1).expect("generate DIR N"));
        let n = raw.get(2).and_then(|n| n.parse().ok()).expect("generate DIR N");
        generate(dir, n);
        println!("{n} cases in {}", dir.display());
        return;
    }
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if args.is_empty() { vec![1_000, 20_000] } else { args };
    let relance = env!("CARGO_BIN_EXE_relance").to_string();
    let baseline = std::env::var("RELANCE_BASELINE").ok().filter(|p| Path::new(p).exists());
    let jobs: Vec<usize> = std::env::var("RELANCE_BENCH_JOBS")
        .map(|j| j.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|_| vec![2]);
    let wanted = std::env::var("RELANCE_BENCH_MODES").unwrap_or_else(|_| "relance,lot8".into());
    // (name, binary, extra arguments)
    let mut modes: Vec<(String, String, Vec<String>)> = Vec::new();
    for m in wanted.split(',') {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        match m.trim() {
            "relance" => modes.push(("relance".into(), relance.clone(), args(&["--no-record"]))),
            "pages" => modes.push(("pages".into(), relance.clone(), args(&["--no-record", "--pack-mode", "pages"]))),
            // `lot8`: batches of 8 letters.
            other if other.strip_prefix("lot").is_some_and(|n| n.parse::<usize>().is_ok()) => modes.push((
                format!("lots de {}", &other[3..]),
                relance.clone(),
                args(&["--no-record", "--batch", &other[3..]]),
            )),
            other => panic!("unknown way {other}: relance, lotN, pages"),
        }
    }
    // 2848b6e had no journal yet, and no --no-record.
    match &baseline {
        Some(b) => modes.push(("2848b6e".into(), b.clone(), vec![])),
        None => println!("(RELANCE_BASELINE not set: the binary of 2848b6e is not run)"),
    }
    let root = tempfile::tempdir().unwrap();
    // Start-up: one case, one thread.
    let one = root.path().join("one");
    generate(&one, 1);
    let startup: Vec<f64> = (0..5)
        .map(|k| {
            run(Command::new(&relance)
                .arg("build")
                .arg(&one)
                .args(["--date", "2026-11-22", "--jobs", "1", "--out"])
                .arg(root.path().join(format!("o1-{k}"))))
            .0
        })
        .collect();
    println!("start-up (build of 1 case, median of 5): {:.1} ms", median(startup) * 1000.0);
    println!(
        "{:>8} {:>7} {:>11} {:>8} {:>8} {:>10} {:>10} {:>8} {:>12}",
        "cases", "threads", "way", "letters", "wall s", "letters/s", "ms/letter", "user s", "peak RSS MiB"
    );
    let mut ratios = Vec::new();
    for &n in &sizes {
        let cases = root.path().join(format!("cases-{n}"));
        generate(&cases, n);
        for &j in &jobs {
            let mut times = vec![Vec::new(); modes.len()];
            let mut users = vec![Vec::new(); modes.len()];
            let mut rss = vec![Vec::new(); modes.len()];
            let mut letters = 0;
            for k in 0..RUNS {
                for (m, (name, binary, extra)) in modes.iter().enumerate() {
                    let out = root.path().join(format!("out-{n}-{j}-{k}-{m}"));
                    let (t, r, u) = run_with_user(
                        Command::new(binary)
                            .arg("build")
                            .arg(&cases)
                            .args(["--date", "2026-11-22"])
                            .args(extra)
                            .args(["--jobs", &j.to_string(), "--out"])
                            .arg(&out),
                    );
                    let made = std::fs::read_dir(out.join("letters")).unwrap().count();
                    assert!(letters == 0 || made == letters, "{name}: {made} letters, not {letters}");
                    letters = made;
                    std::fs::remove_dir_all(&out).unwrap();
                    times[m].push(t);
                    users[m].push(u);
                    rss[m].push(r);
                }
            }
            let walls: Vec<f64> = times.iter().map(|t| median(t.clone())).collect();
            for (m, (name, _, _)) in modes.iter().enumerate() {
                let t = walls[m];
                println!(
                    "{n:>8} {j:>7} {name:>11} {letters:>8} {t:>8.2} {:>10.0} {:>10.2} {:>8.2} {:>12.0}",
                    letters as f64 / t,
                    t * 1000.0 / letters as f64,
                    median(users[m].clone()),
                    median(rss[m].clone())
                );
            }
            for (m, (name, _, _)) in modes.iter().enumerate().skip(1) {
                ratios.push((n, j, name.clone(), walls[m] / walls[0]));
            }
        }
    }
    for (n, j, name, ratio) in ratios {
        println!("{n} cases, {j} thread(s): wall time of {name} / of {} = {ratio:.2}", modes[0].0);
    }
}
