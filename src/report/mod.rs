//! The HTML report of a run (`OUT/index.html`, and `relance report` for
//! several runs): one self-contained page for the back office — totals per
//! level and channel, an aged balance and the amount per level as inline
//! SVG, one row per case linking to its letter, the errors with their
//! place, the legal warnings, and the décompte of each mise en demeure.
//!
//! Made from the runs' `manifest.json`, so that a merged report of shards
//! or days shows exactly what each run wrote. The page is a minijinja
//! template with HTML escaping (debtor data prints literally); nothing is
//! loaded from the network; the essentials read without JavaScript, and
//! the script only sorts, filters and pages the table.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::case::{Channel, Level};
use crate::money::{format_date, format_eur};
use crate::pack::{ManifestRow, Status};

/// The page template, built into relance.
const TEMPLATE: &str = include_str!("index.html.j2");

/// Rows per page of the table. The first page is in the HTML (read
/// without JavaScript); every row is also in the page as JSON, from which
/// the script draws the page asked for: a table of 20,000 rows laid out
/// whole took headless Chromium 12.6 s to show.
pub const PAGE_ROWS: usize = 100;

/// What the report reads of a `manifest.json`.
#[derive(Debug, Deserialize)]
struct Manifest {
    date: String,
    #[serde(default)]
    shard: Option<String>,
    #[serde(default)]
    rows: Vec<ManifestRow>,
    #[serde(default)]
    errors: Vec<ErrorEntry>,
    #[serde(default)]
    interrupted: bool,
}

#[derive(Debug, Deserialize)]
struct ErrorEntry {
    file: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    field: Option<String>,
    message: String,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A manifest could not be read.
    #[error("{path}: {message}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The page could not be rendered (a bug).
    #[error("rendu du rapport impossible : {0}")]
    Render(String),
}

/// One run of the report: its manifest and where its files are, relative
/// to the page.
struct Source {
    label: String,
    link_base: String,
    manifest: Manifest,
}

#[derive(Debug, Serialize)]
struct Group {
    label: String,
    count: usize,
    amount: String,
    /// Bar length, in percent of the largest.
    bar: String,
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    run: String,
    debtor: String,
    status: &'static str,
    level: String,
    channel: String,
    amount: String,
    cents: i64,
    days_late: String,
    days: i64,
    last_letter: String,
    next: String,
    href: String,
    decompte: bool,
    anchor: String,
}

/// A row as the script reads it: short keys, the page holds thousands.
#[derive(Debug, Serialize)]
struct RowData<'a> {
    i: &'a str,
    r: &'a str,
    d: &'a str,
    s: &'a str,
    l: &'a str,
    c: &'a str,
    a: &'a str,
    n: i64,
    j: &'a str,
    k: i64,
    p: &'a str,
    x: &'a str,
    h: &'a str,
    /// The décompte's index in `decomptes`, when the row has one.
    m: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Decompte {
    id: String,
    anchor: String,
    debtor: String,
    text: String,
}

#[derive(Debug, Serialize)]
struct Page {
    title: String,
    dates: String,
    runs: Vec<String>,
    several: bool,
    interrupted: bool,
    cases: usize,
    letters: usize,
    calls: usize,
    without: usize,
    failed: usize,
    claimed: String,
    owed: String,
    by_level: Vec<Group>,
    by_channel: Vec<Group>,
    aged: Vec<Group>,
    /// The first page, in the HTML.
    rows: Vec<Row>,
    /// Every row and décompte, as JSON for the script (escaped for a
    /// `<script>` element).
    data: String,
    errors: Vec<String>,
    warnings: Vec<(String, String)>,
    /// The décomptes of the first page's rows, in the HTML.
    decomptes: Vec<Decompte>,
    total_decomptes: usize,
    page_rows: usize,
}

/// JSON that can sit inside `<script>` whatever the data holds: no `<`,
/// `>` or `&` (so no `</script>` nor `<!--`), no line separators.
fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .expect("rows serialize")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn decimal(s: &str) -> Decimal {
    s.parse().unwrap_or_default()
}

/// `path` relative to `from` (a folder), with `/` separators, for a link.
fn relative(path: &Path, from: &Path) -> String {
    let a: Vec<Component> = path.components().collect();
    let b: Vec<Component> = from.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(a[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

fn level_label(level: &str) -> String {
    Level::parse(level).map_or_else(|| level.to_string(), |l| l.label_fr().to_string())
}

fn channel_label(channel: &str) -> String {
    match channel {
        "email" => Channel::Email.label_fr().to_string(),
        "courrier" => Channel::Courrier.label_fr().to_string(),
        "lrar" => Channel::Lrar.label_fr().to_string(),
        "telephone" => Channel::Telephone.label_fr().to_string(),
        other => other.to_string(),
    }
}

fn french_date(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").map_or_else(|_| iso.to_string(), format_date)
}

/// « relance amicale du 20 octobre 2026 » from the manifest's `amicale 2026-10-20`.
fn last_letter(text: &str) -> String {
    match text.split_once(' ') {
        Some((level, date)) => format!("{} du {}", level_label(level), french_date(date)),
        None => text.to_string(),
    }
}

fn bars(groups: Vec<(String, usize, Decimal)>) -> Vec<Group> {
    let max = groups.iter().map(|g| g.2).max().unwrap_or_default();
    groups
        .into_iter()
        .map(|(label, count, amount)| Group {
            label,
            count,
            amount: format_eur(amount),
            bar: if max.is_zero() {
                "0".into()
            } else {
                (amount * Decimal::from(100) / max).round_dp(1).normalize().to_string()
            },
        })
        .collect()
}

fn read_manifest(dir: &Path) -> Result<Manifest, ReportError> {
    let path = dir.join("manifest.json");
    let bytes = crate::safe_read::read(&path, 4 * 1024 * 1024 * 1024, None)
        .map_err(|e| ReportError::Manifest { path: path.clone(), message: e.to_string() })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ReportError::Manifest { path, message: format!("ce n'est pas un manifest.json de relance ({e})") })
}

/// The page for the runs in `outs` (their folders), to be written at
/// `page` (links to the letters are made relative to its folder).
pub fn render(outs: &[PathBuf], page: &Path) -> Result<String, ReportError> {
    let page_dir = std::path::absolute(page.parent().unwrap_or(Path::new(".")))
        .unwrap_or_else(|_| page.parent().unwrap_or(Path::new(".")).to_path_buf());
    let mut sources = Vec::new();
    for out in outs {
        let manifest = read_manifest(out)?;
        let abs = std::path::absolute(out).unwrap_or_else(|_| out.clone());
        let link_base = relative(&abs, &page_dir);
        let label = match &manifest.shard {
            Some(s) => format!("{} ({}, lot {s})", out.display(), manifest.date),
            None => format!("{} ({})", out.display(), manifest.date),
        };
        sources.push(Source { label, link_base, manifest });
    }
    let page = build_page(&sources);
    let mut env = minijinja::Environment::new();
    env.add_template("index.html", TEMPLATE).map_err(|e| ReportError::Render(e.to_string()))?;
    let template = env.get_template("index.html").map_err(|e| ReportError::Render(e.to_string()))?;
    template.render(&page).map_err(|e| ReportError::Render(e.to_string()))
}

fn build_page(sources: &[Source]) -> Page {
    let several = sources.len() > 1;
    let mut by_level: BTreeMap<(usize, String), (usize, Decimal)> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    let mut aged = [(0usize, Decimal::ZERO); 4];
    let (mut letters, mut calls, mut without, mut failed) = (0, 0, 0, 0);
    let (mut claimed, mut owed) = (Decimal::ZERO, Decimal::ZERO);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut decomptes = Vec::new();
    let mut dates: Vec<String> = Vec::new();
    for (n, source) in sources.iter().enumerate() {
        let m = &source.manifest;
        if !dates.contains(&m.date) {
            dates.push(m.date.clone());
        }
        for e in &m.errors {
            let place = match e.line {
                Some(line) => format!("{}:{line}", e.file),
                None => e.file.clone(),
            };
            let field = e.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default();
            errors.push(format!("{place}: {field}{}", e.message));
        }
        for r in &m.rows {
            let total = decimal(&r.total);
            owed += total;
            match r.status {
                Status::Letter | Status::Call => {
                    if r.status == Status::Letter {
                        letters += 1;
                    } else {
                        calls += 1;
                    }
                    claimed += total;
                    let rank = Level::parse(&r.level).map_or(usize::MAX, |l| l as usize);
                    let e = by_level.entry((rank, level_label(&r.level))).or_default();
                    e.0 += 1;
                    e.1 += total;
                    let e = by_channel.entry(channel_label(&r.channel)).or_default();
                    e.0 += 1;
                    e.1 += total;
                }
                Status::None => without += 1,
                Status::Error => failed += 1,
            }
            let days: i64 = r.days_late.parse().unwrap_or(-1);
            if days >= 0 && r.status != Status::Error {
                let bucket = match days {
                    0..=30 => 0,
                    31..=60 => 1,
                    61..=90 => 2,
                    _ => 3,
                };
                aged[bucket].0 += 1;
                aged[bucket].1 += total;
            }
            for w in r.warnings.split(" | ").filter(|w| !w.is_empty()) {
                warnings.push((r.id.clone(), w.to_string()));
            }
            let anchor = format!("decompte-{n}-{}", r.id);
            if !r.decompte.is_empty() {
                decomptes.push(Decompte {
                    id: r.id.clone(),
                    anchor: anchor.clone(),
                    debtor: r.debtor.clone(),
                    text: r.decompte.clone(),
                });
            }
            let link = |file: &str| {
                if source.link_base.is_empty() { file.to_string() } else { format!("{}/{file}", source.link_base) }
            };
            let (status, next, href) = match r.status {
                Status::Letter => (
                    "lettre",
                    format!("{} envoyée ce jour ({})", capitalised(&level_label(&r.level)), channel_label(&r.channel)),
                    if r.file.is_empty() { String::new() } else { link(&r.file) },
                ),
                Status::Call => ("appel", "appel à passer (feuille d'appels)".to_string(), link("appels.pdf")),
                Status::None => {
                    let mut next = r.reason.clone();
                    if !r.next_due.is_empty() {
                        next.push_str(&format!(" — prochaine étape le {}", french_date(&r.next_due)));
                    }
                    ("aucune", next, String::new())
                }
                Status::Error => ("erreur", r.error.clone(), String::new()),
            };
            rows.push(Row {
                id: r.id.clone(),
                run: if several { source.label.clone() } else { String::new() },
                debtor: r.debtor.clone(),
                status,
                level: if r.level.is_empty() { String::new() } else { level_label(&r.level) },
                channel: if r.channel.is_empty() { String::new() } else { channel_label(&r.channel) },
                amount: if r.total.is_empty() { String::new() } else { format_eur(total) },
                cents: (total * Decimal::from(100)).trunc().try_into().unwrap_or(0),
                days_late: if days >= 0 { days.to_string() } else { String::new() },
                days,
                last_letter: if r.last_letter.is_empty() { String::new() } else { last_letter(&r.last_letter) },
                next,
                href,
                decompte: !r.decompte.is_empty(),
                anchor,
            });
        }
    }
    let labels = ["0 à 30 jours", "31 à 60 jours", "61 à 90 jours", "plus de 90 jours"];
    let index: std::collections::HashMap<&str, usize> =
        decomptes.iter().enumerate().map(|(n, d)| (d.anchor.as_str(), n)).collect();
    let data_rows: Vec<RowData> = rows
        .iter()
        .map(|r| RowData {
            i: &r.id,
            r: &r.run,
            d: &r.debtor,
            s: r.status,
            l: &r.level,
            c: &r.channel,
            a: &r.amount,
            n: r.cents,
            j: &r.days_late,
            k: r.days,
            p: &r.last_letter,
            x: &r.next,
            h: &r.href,
            m: if r.decompte { index.get(r.anchor.as_str()).copied() } else { None },
        })
        .collect();
    let texts: Vec<[&str; 4]> =
        decomptes.iter().map(|d| [d.id.as_str(), d.debtor.as_str(), d.text.as_str(), d.anchor.as_str()]).collect();
    let data = script_json(&serde_json::json!({ "rows": data_rows, "decomptes": texts }));
    let total_decomptes = decomptes.len();
    let cases = rows.len();
    rows.truncate(PAGE_ROWS);
    let shown: std::collections::HashSet<&str> =
        rows.iter().filter(|r| r.decompte).map(|r| r.anchor.as_str()).collect();
    let decomptes: Vec<Decompte> = decomptes.into_iter().filter(|d| shown.contains(d.anchor.as_str())).collect();
    Page {
        title: "Relances — rapport de production".into(),
        dates: dates.iter().map(|d| french_date(d)).collect::<Vec<_>>().join(", "),
        runs: sources.iter().map(|s| s.label.clone()).collect(),
        several,
        interrupted: sources.iter().any(|s| s.manifest.interrupted),
        cases,
        letters,
        calls,
        without,
        failed,
        claimed: format_eur(claimed),
        owed: format_eur(owed),
        by_level: bars(by_level.into_iter().map(|((_, l), (c, a))| (l, c, a)).collect()),
        by_channel: bars(by_channel.into_iter().map(|(l, (c, a))| (l, c, a)).collect()),
        aged: bars(labels.iter().zip(aged).map(|(l, (c, a))| (l.to_string(), c, a)).collect()),
        rows,
        data,
        errors,
        warnings,
        decomptes,
        total_decomptes,
        page_rows: PAGE_ROWS,
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// Writes `OUT/index.html` for the run in `out` (after its manifest).
pub fn write_for_run(out: &Path) -> Result<(), ReportError> {
    let page = out.join("index.html");
    let html = render(&[out.to_path_buf()], &page)?;
    crate::atomic::write_atomic(&page, html.as_bytes())
        .map_err(|e| ReportError::Manifest { path: page.clone(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_element_cannot_close_it() {
        let json = script_json(&serde_json::json!({ "d": "</script><!-- & \u{2028}" }));
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&') && !json.contains('\u{2028}'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["d"], "</script><!-- & \u{2028}");
    }

    #[test]
    fn links_are_relative_to_the_page() {
        assert_eq!(relative(Path::new("/a/out/s0"), Path::new("/a/rapports")), "../out/s0");
        assert_eq!(relative(Path::new("/a/out"), Path::new("/a/out")), "");
    }
}
