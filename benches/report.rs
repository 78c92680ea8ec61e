//! HTML report benchmark: `cargo bench --bench report [-- CASES…]`.
//!
//! Builds the bundled fixtures once, then writes a manifest.json of CASES
//! rows (default 20,000; the fixtures' rows repeated under new ids, their
//! statuses, levels and mises en demeure with their décomptes kept) and
//! measures, median of `RUNS` runs each: `relance report` making the page,
//! the page's size, and a real headless browser (Chromium) opening it —
//! `--dump-dom` (parse, script: filter and first page of the table) and
//! `--screenshot` (layout and paint) — against the same browser opening
//! the fixtures' own 12-row page, so that its start-up is set apart.

use std::process::Command;

mod support;
use support::{median, run};

const RUNS: usize = 3;

fn chromium(url: &str, screenshot: Option<&std::path::Path>) -> f64 {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("chromium");
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", png.display())).arg("--window-size=1280,2200"),
        None => cmd.arg("--dump-dom"),
    };
    run(cmd.arg(url)).0
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![20_000] } else { sizes };
    let relance = env!("CARGO_BIN_EXE_relance");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cases");
    let root = tempfile::tempdir().unwrap();
    let base = root.path().join("fixtures-out");
    run(Command::new(relance).args(["build", fixtures, "--date", "2026-11-22", "--no-record", "--out"]).arg(&base));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base.join("manifest.json")).unwrap()).unwrap();
    let rows = manifest["rows"].as_array().unwrap().clone();
    let small = format!("file://{}", base.join("index.html").display());
    let shot = root.path().join("shot.png");
    let small_dom = median((0..RUNS).map(|_| chromium(&small, None)).collect());
    let small_shot = median((0..RUNS).map(|_| chromium(&small, Some(&shot))).collect());
    println!("{} rows: chromium --dump-dom {small_dom:.2} s, --screenshot {small_shot:.2} s (start-up)", rows.len());
    println!(
        "{:>8} {:>10} {:>12} {:>14} {:>14} {:>14}",
        "cases", "page MiB", "report s", "peak RSS MiB", "dump-dom s", "screenshot s"
    );
    for n in sizes {
        let dir = root.path().join(format!("run-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        // Written row by row: the bench process stays small, so that the
        // peak RSS read for the child is the child's own.
        {
            use std::io::Write;
            let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("manifest.json")).unwrap());
            let mut head = manifest.clone();
            head["rows"] = serde_json::Value::Array(Vec::new());
            let head = serde_json::to_string(&head).unwrap();
            let (before, after) = head.split_once("\"rows\":[]").unwrap();
            write!(f, "{before}\"rows\":[").unwrap();
            for i in 0..n {
                let mut r = rows[i % rows.len()].clone();
                let id = format!("{}-{i:06}", r["id"].as_str().unwrap());
                r["id"] = serde_json::Value::String(id);
                let sep = if i == 0 { "" } else { "," };
                write!(f, "{sep}{}", serde_json::to_string(&r).unwrap()).unwrap();
            }
            write!(f, "]{after}").unwrap();
        }
        let page = dir.join("index.html");
        let made: Vec<(f64, f64)> =
            (0..RUNS).map(|_| run(Command::new(relance).arg("report").arg(&dir).arg("--out").arg(&page))).collect();
        let secs = median(made.iter().map(|r| r.0).collect());
        let rss = made.iter().map(|r| r.1).fold(0.0, f64::max);
        let size = std::fs::metadata(&page).unwrap().len() as f64 / (1024.0 * 1024.0);
        let url = format!("file://{}", page.display());
        let dom = median((0..RUNS).map(|_| chromium(&url, None)).collect());
        let paint = median((0..RUNS).map(|_| chromium(&url, Some(&shot))).collect());
        println!("{n:>8} {size:>10.1} {secs:>12.2} {rss:>14.1} {dom:>14.2} {paint:>14.2}");
    }
}
