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

/// The page, built into relance: its head (totals, charts, the first page
/// of rows) and its tail (the script); the rows' JSON goes between.
const HEAD: &str = include_str!("head.html.j2");
const TAIL: &str = include_str!("tail.html.j2");

/// Rows per page of the table. The first page is in the HTML (read
/// without JavaScript); every row is also in the page as JSON, from which
/// the script draws the page asked for: a table of 20,000 rows laid out
/// whole took headless Chromium 12.6 s to show.
pub const PAGE_ROWS: usize = 100;

/// What the report keeps of a `manifest.json` besides its rows, which are
/// streamed (see [`stream_manifest`]): a run of 100,000 cases is never
/// held in memory.
#[derive(Debug, Default)]
struct Header {
    date: String,
    shard: Option<String>,
    errors: Vec<ErrorEntry>,
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
    /// The output folder as given: the « Production » column of a merged
    /// report.
    label: String,
    link_base: String,
    path: PathBuf,
    header: Header,
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
    /// The first page, in the HTML; every row is in the JSON the script
    /// reads.
    rows: Vec<Row>,
    errors: Vec<String>,
    /// One line per distinct warning, with how many cases and which.
    warnings: Vec<String>,
    warning_count: usize,
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

/// Reads a `manifest.json` as a stream: each row is handed to `on_row` as
/// it is parsed; the rest is returned.
fn stream_manifest(path: &Path, on_row: &mut dyn FnMut(ManifestRow)) -> Result<Header, ReportError> {
    use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Rows<'a>(&'a mut dyn FnMut(ManifestRow));
    impl<'de> DeserializeSeed<'de> for Rows<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Rows<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("the rows of a manifest")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(row) = seq.next_element::<ManifestRow>()? {
                (self.0)(row);
            }
            Ok(())
        }
    }
    struct Whole<'a>(&'a mut dyn FnMut(ManifestRow));
    impl<'de> Visitor<'de> for Whole<'_> {
        type Value = Header;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a manifest.json")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
            let mut header = Header::default();
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "date" => header.date = map.next_value()?,
                    "shard" => header.shard = map.next_value()?,
                    "errors" => header.errors = map.next_value()?,
                    "interrupted" => header.interrupted = map.next_value()?,
                    "rows" => map.next_value_seed(Rows(&mut *self.0))?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(header)
        }
    }
    let file = std::fs::File::open(path)
        .map_err(|e| ReportError::Manifest { path: path.to_path_buf(), message: e.to_string() })?;
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(file));
    serde::Deserializer::deserialize_map(&mut de, Whole(on_row)).map_err(|e| ReportError::Manifest {
        path: path.to_path_buf(),
        message: format!("ce n'est pas un manifest.json de relance ({e})"),
    })
}

/// A row of the table, from a manifest row of source `n`.
fn row_view(n: usize, source: &Source, several: bool, r: &ManifestRow) -> Row {
    let total = decimal(&r.total);
    let days: i64 = r.days_late.parse().unwrap_or(-1);
    let link = |file: &str| {
        if source.link_base.is_empty() { file.to_string() } else { format!("{}/{file}", source.link_base) }
    };
    let (status, next, href) = match r.status {
        Status::Letter => (
            "lettre",
            format!(
                "{} envoyée ce jour ({})",
                crate::text::capitalised(&level_label(&r.level)),
                channel_label(&r.channel)
            ),
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
    Row {
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
        anchor: format!("decompte-{n}-{}", r.id),
    }
}

/// The totals of the runs, their first page of rows and its décomptes:
/// the first pass over the manifests.
fn summarise(sources: &mut [Source]) -> Result<Page, ReportError> {
    let several = sources.len() > 1;
    let mut by_level: BTreeMap<(usize, String), (usize, Decimal)> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    let mut aged = [(0usize, Decimal::ZERO); 4];
    let (mut letters, mut calls, mut without, mut failed, mut cases) = (0, 0, 0, 0, 0);
    let (mut claimed, mut owed) = (Decimal::ZERO, Decimal::ZERO);
    let mut rows = Vec::new();
    let mut decomptes = Vec::new();
    let mut total_decomptes = 0;
    let mut warnings = crate::pack::Warnings::default();
    for (n, source) in sources.iter_mut().enumerate() {
        let source_ref: &Source = source;
        let mut on_row = |r: ManifestRow| {
            let source = source_ref;
            cases += 1;
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
            warnings.add(&r);
            if !r.decompte.is_empty() {
                total_decomptes += 1;
            }
            if rows.len() < PAGE_ROWS {
                let row = row_view(n, source, several, &r);
                if row.decompte {
                    decomptes.push(Decompte {
                        id: r.id.clone(),
                        anchor: row.anchor.clone(),
                        debtor: r.debtor.clone(),
                        text: r.decompte.clone(),
                    });
                }
                rows.push(row);
            }
        };
        let header = stream_manifest(&source_ref.path, &mut on_row)?;
        source.header = header;
    }
    let mut dates: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for s in sources.iter() {
        if !dates.contains(&s.header.date) {
            dates.push(s.header.date.clone());
        }
        for e in &s.header.errors {
            let place = match e.line {
                Some(line) => format!("{}:{line}", e.file),
                None => e.file.clone(),
            };
            let field = e.field.as_deref().map(|f| format!("{f}: ")).unwrap_or_default();
            errors.push(format!("{place}: {field}{}", e.message));
        }
    }
    let labels = ["0 à 30 jours", "31 à 60 jours", "61 à 90 jours", "plus de 90 jours"];
    Ok(Page {
        title: "Relances — rapport de production".into(),
        dates: dates.iter().map(|d| french_date(d)).collect::<Vec<_>>().join(", "),
        // Each run with its date and shard, known once its manifest is read.
        runs: sources
            .iter()
            .map(|s| match &s.header.shard {
                Some(k) => format!("{} ({}, lot {k})", s.label, s.header.date),
                None => format!("{} ({})", s.label, s.header.date),
            })
            .collect(),
        several,
        interrupted: sources.iter().any(|s| s.header.interrupted),
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
        errors,
        warning_count: warnings.count(),
        warnings: warnings.lines(),
        decomptes,
        total_decomptes,
        page_rows: PAGE_ROWS,
    })
}

/// The sources of a report: each output folder and how the page links to
/// it (their manifests are read later, as streams).
fn sources(outs: &[PathBuf], page: &Path) -> Result<Vec<Source>, ReportError> {
    let page_dir = std::path::absolute(page.parent().unwrap_or(Path::new(".")))
        .unwrap_or_else(|_| page.parent().unwrap_or(Path::new(".")).to_path_buf());
    outs.iter()
        .map(|out| {
            let path = out.join("manifest.json");
            if !path.is_file() {
                return Err(ReportError::Manifest {
                    path,
                    message: "introuvable ; attendu : le dossier de sortie d'un relance build".into(),
                });
            }
            let abs = std::path::absolute(out).unwrap_or_else(|_| out.clone());
            Ok(Source {
                label: out.display().to_string(),
                link_base: relative(&abs, &page_dir),
                path,
                header: Header::default(),
            })
        })
        .collect()
}

/// Writes the page for the runs in `outs` (their folders) at `page`, whole
/// or not at all (links to the letters are made relative to its folder).
/// Three passes over the manifests, none held in memory: the totals, the
/// rows as JSON, the décomptes as JSON.
pub fn write(outs: &[PathBuf], page: &Path) -> Result<(), ReportError> {
    use std::io::Write;
    let io = |e: std::io::Error| ReportError::Manifest { path: page.to_path_buf(), message: e.to_string() };
    let mut sources = sources(outs, page)?;
    let summary = summarise(&mut sources)?;
    let several = summary.several;
    let mut env = minijinja::Environment::new();
    env.add_template("head.html", HEAD).map_err(|e| ReportError::Render(e.to_string()))?;
    env.add_template("tail.html", TAIL).map_err(|e| ReportError::Render(e.to_string()))?;
    let head = env.get_template("head.html").and_then(|t| t.render(&summary));
    let head = head.map_err(|e| ReportError::Render(e.to_string()))?;
    let tail = env.get_template("tail.html").and_then(|t| t.render(&summary));
    let tail = tail.map_err(|e| ReportError::Render(e.to_string()))?;
    let tmp = crate::atomic::temporary_beside(page).map_err(io)?;
    let mut w = std::io::BufWriter::new(tmp.as_file());
    w.write_all(head.as_bytes()).map_err(io)?;
    // Pass 2: every row, for the script.
    w.write_all(b"<script id=\"report-data\" type=\"application/json\">[").map_err(io)?;
    let mut failed = None;
    let mut first = true;
    let mut index = 0usize;
    for (n, source) in sources.iter().enumerate() {
        let mut on_row = |r: ManifestRow| {
            let row = row_view(n, source, several, &r);
            let m = row.decompte.then(|| {
                index += 1;
                index - 1
            });
            let data = RowData {
                i: &row.id,
                r: &row.run,
                d: &row.debtor,
                s: row.status,
                l: &row.level,
                c: &row.channel,
                a: &row.amount,
                n: row.cents,
                j: &row.days_late,
                k: row.days,
                p: &row.last_letter,
                x: &row.next,
                h: &row.href,
                m,
            };
            let sep = if first { "" } else { "," };
            first = false;
            if let Err(e) = write!(w, "{sep}{}", script_json(&data)) {
                failed.get_or_insert(e);
            }
        };
        stream_manifest(&source.path, &mut on_row)?;
    }
    if let Some(e) = failed.take() {
        return Err(io(e));
    }
    // Pass 3: the décomptes, in the order the rows number them.
    w.write_all(b"]</script>\n<script id=\"report-decomptes\" type=\"application/json\">[").map_err(io)?;
    let mut first = true;
    for (n, source) in sources.iter().enumerate() {
        let mut on_row = |r: ManifestRow| {
            if r.decompte.is_empty() {
                return;
            }
            let anchor = format!("decompte-{n}-{}", r.id);
            let sep = if first { "" } else { "," };
            first = false;
            if let Err(e) = write!(w, "{sep}{}", script_json(&[&r.id, &r.debtor, &r.decompte, &anchor])) {
                failed.get_or_insert(e);
            }
        };
        stream_manifest(&source.path, &mut on_row)?;
    }
    if let Some(e) = failed.take() {
        return Err(io(e));
    }
    w.write_all(b"]</script>\n").map_err(io)?;
    w.write_all(tail.as_bytes()).map_err(io)?;
    w.flush().map_err(io)?;
    drop(w);
    crate::atomic::persist(tmp, page, crate::atomic::Flush::Now).map_err(io)
}

/// Writes `OUT/index.html` for the run in `out` (after its manifest).
pub fn write_for_run(out: &Path) -> Result<(), ReportError> {
    write(&[out.to_path_buf()], &out.join("index.html"))
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
