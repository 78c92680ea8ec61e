//! Import benchmark: `cargo bench --bench import [-- LINES…]`.
//!
//! Writes a synthetic FEC of LINES lines (default 100,000 and 1,000,000;
//! tab separated, UTF-8, 5 lines per invoice and its lettered payment, one
//! customer per 50 lines) and runs `relance import fec --dry-run` on it:
//! the median wall time of `RUNS` runs and the peak resident memory.
//! `-- generate FILE LINES` only writes the file.

use std::io::Write;
use std::process::Command;

mod support;
use support::{median, run};

const RUNS: usize = 3;

fn generate(path: &std::path::Path, lines: usize) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise"
    )
    .unwrap();
    let mut written = 0;
    let mut entry: u64 = 0;
    while written < lines {
        let k = written / 50;
        let aux = format!("C{k:06}");
        let name = format!("Client {k} SARL");
        entry += 1;
        let piece = format!("F{entry}");
        let cents = 10_000 + (entry * 7919) % 500_000;
        let (e, c) = (cents / 100, cents % 100);
        let vat = cents / 6;
        // Every third invoice stays open; the others are settled by a lettered payment.
        let letter = if entry.is_multiple_of(3) { String::new() } else { format!("L{entry}") };
        writeln!(out, "VE\tVentes\t{entry}\t20260901\t411000\tClients\t{aux}\t{name}\t{piece}\t20260901\tFacture\t{e},{c:02}\t0,00\t{letter}\t\t20260901\t\t").unwrap();
        writeln!(out, "VE\tVentes\t{entry}\t20260901\t706000\tVentes\t\t\t{piece}\t20260901\tFacture\t0,00\t{},{:02}\t\t\t20260901\t\t", (cents - vat) / 100, (cents - vat) % 100).unwrap();
        writeln!(out, "VE\tVentes\t{entry}\t20260901\t445710\tTVA\t\t\t{piece}\t20260901\tFacture\t0,00\t{},{:02}\t\t\t20260901\t\t", vat / 100, vat % 100).unwrap();
        written += 3;
        if !letter.is_empty() {
            entry += 1;
            writeln!(out, "BQ\tBanque\t{entry}\t20261001\t411000\tClients\t{aux}\t{name}\tV{entry}\t20261001\tVirement\t0,00\t{e},{c:02}\t{letter}\t20261001\t20261001\t\t").unwrap();
            writeln!(out, "BQ\tBanque\t{entry}\t20261001\t512000\tBanque\t\t\tV{entry}\t20261001\tVirement\t{e},{c:02}\t0,00\t\t\t20261001\t\t").unwrap();
            written += 2;
        }
    }
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if raw.first().map(String::as_str) == Some("generate") {
        let path = std::path::Path::new(raw.get(1).expect("generate FILE LINES"));
        generate(path, raw.get(2).and_then(|n| n.parse().ok()).expect("generate FILE LINES"));
        return;
    }
    let sizes: Vec<usize> = raw.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 1_000_000] } else { sizes };
    let relance = env!("CARGO_BIN_EXE_relance");
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("relance.yaml"), include_str!("../fixtures/cases/relance.yaml")).unwrap();
    println!("{:>10} {:>10} {:>10} {:>12} {:>12}", "lines", "MiB", "seconds", "lines/s", "peak RSS MiB");
    for n in sizes {
        let file = root.path().join(format!("fec-{n}.txt"));
        generate(&file, n);
        let size = std::fs::metadata(&file).unwrap().len() as f64 / (1024.0 * 1024.0);
        let runs: Vec<(f64, f64)> = (0..RUNS)
            .map(|_| {
                run(Command::new(relance).args(["import", "fec"]).arg(&file).arg("--cases").arg(root.path()).args([
                    "--dry-run",
                    "--date",
                    "2026-11-22",
                ]))
            })
            .collect();
        let secs = median(runs.iter().map(|r| r.0).collect());
        let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
        println!("{n:>10} {size:>10.1} {secs:>10.2} {:>12.0} {rss:>12.1}", n as f64 / secs);
    }
}
