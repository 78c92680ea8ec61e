//! Probe for the speed work: the cost per letter of one Typst compile per
//! letter against one compile for a batch of letters (PDF export included,
//! without the per-letter attachment a batch cannot carry yet).
//!
//! cargo run --release --example batch-probe [-- N]

use std::time::Instant;

use relance::typeset::Export;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(48);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases");
    let session = relance::Session::open(&root.join("relance.yaml"), None, None).expect("fixtures' config");
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let settings = relance::Settings::new(date);
    let (loaded, _) = relance::load_cases(&root, &root.join("relance.yaml"));
    let mut markups = Vec::new();
    for l in loaded {
        let planned = relance::plan_case(&session, l, &settings);
        if let Some(letter) = planned.letter() {
            let m = relance::letter::markup(&session, &letter, false).expect("markup");
            // The attachment reads a data file; a batch cannot carry one per letter yet.
            let body: String =
                m.markup.lines().filter(|l| !l.starts_with("#pdf.attach")).collect::<Vec<_>>().join("\n");
            markups.push(body);
        }
    }
    let letters: Vec<&String> = markups.iter().cycle().take(n).collect();
    let export = || Export { date, ident: "probe".into(), archival: false, data: vec![], checks: None };
    let mut world = session.world();
    let mut one_by_one = Vec::new();
    let mut batched = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        for m in &letters {
            world.compile_pdf((*m).clone(), export()).expect("one letter");
        }
        one_by_one.push(start.elapsed().as_secs_f64() * 1000.0 / n as f64);
        let batch: String =
            letters.iter().map(|m| format!("#[\n{m}\n]\n")).collect::<Vec<_>>().join("#pagebreak(weak: true)\n");
        let start = Instant::now();
        let (_, pages) = world.compile_pdf(batch, export()).expect("the batch");
        batched.push(start.elapsed().as_secs_f64() * 1000.0 / n as f64);
        assert!(pages >= n, "{pages} pages for {n} letters");
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let (a, b) = (median(one_by_one), median(batched));
    println!(
        "{n} letters: one compile each {a:.2} ms/letter, one compile for all {b:.2} ms/letter, ratio {:.2}",
        a / b
    );
}
