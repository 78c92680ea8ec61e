//! `relance build`: the day's run, from case files to what the back office
//! posts, sends and archives (SPEC §6): letters, e-mails, print packs, the
//! LRAR deposit list and the manifest.
//!
//! One case failing never stops the others; every file is written to a
//! temporary name and renamed, so a failed case leaves nothing behind.

use std::path::{Component, Path, PathBuf};

use chrono::NaiveDate;

use crate::case::{Case, Channel, InputError, Level, LoadedCase};
use crate::escalation::Decision;
use crate::law::Statement;
use crate::pack::print::{Document, PackItem};
use crate::pack::{self, Manifest, ManifestRow, PackInfo, Sink, Status};
use crate::{Session, base_row, build_letter, letter_file_name, load_cases, plan_case};

/// `--shard K/N`: this run builds only the cases whose id hashes to K
/// (0 ≤ K < N), so that N machines share a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("\"{text}\" is not a shard; expected K/N with 0 ≤ K < N, e.g. 0/4 (as a Kubernetes completion index)");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Stable across runs, machines and Rust versions: SHA-256 of the key.
    pub fn contains(&self, key: &str) -> bool {
        let digest = pack::sha256_hex(key.as_bytes());
        let n = u64::from_str_radix(&digest[..16], 16).expect("hex");
        n % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Options of a build beyond the cases, the output and the date.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Set (by a Ctrl-C handler) to stop after the case being built.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Typesetting threads (`--jobs`); 0 or 1 builds on one thread.
    pub jobs: usize,
    /// Show a progress bar (on a terminal, not in CI).
    pub progress: bool,
    /// `--level`: force this level.
    pub forced: Option<Level>,
    /// `--draft`: PROJET watermark, for a lawyer's review.
    pub draft: bool,
    pub shard: Option<Shard>,
}

/// The outcome of `relance build`.
pub struct BuildReport {
    pub manifest: Manifest,
    pub letters: usize,
    pub failed: usize,
}

/// Reads the invoice copies of a case (`file:` paths, relative to the case
/// file, which must stay inside its folder).
fn invoice_copies(case: &Case, case_path: &Path) -> Result<Vec<Document>, String> {
    let base = case_path.parent().unwrap_or(Path::new("."));
    let mut docs = Vec::new();
    for (i, inv) in case.invoices.iter().enumerate() {
        let Some(file) = &inv.file else { continue };
        let rel = Path::new(file);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(format!(
                "invoices[{i}].file: \"{file}\" must be a path relative to the case file, inside its folder (no \"..\"), e.g. invoices/F-2026-0042.pdf"
            ));
        }
        let path = base.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| format!("invoices[{i}].file: cannot read {}: {e}", path.display()))?;
        let pages = pack::print::page_count(&bytes).map_err(|e| format!("invoices[{i}].file: {}: {e}", path.display()))?;
        let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| format!("facture-{i}.pdf"));
        docs.push(Document { name, bytes, pages });
    }
    Ok(docs)
}

/// What a built letter still needs once it is on disk.
enum Delivery {
    Email(PathBuf),
    Pack(Channel, PackItem),
}

/// Writes the e-mail of an e-mail letter, or prepares its pack entry.
#[allow(clippy::too_many_arguments)]
fn deliver(
    session: &Session,
    case: &Case,
    owed: &Statement,
    decision: &Decision,
    letter: Document,
    copies: Vec<Document>,
    date: NaiveDate,
    sink: &dyn Sink,
) -> Result<Delivery, String> {
    let Decision::Send { level, channel, deadline, deadline_days, .. } = *decision else {
        unreachable!("only letters are delivered")
    };
    let debtor = &case.debtor;
    let reference = format!("{}/{}", case.id, level.as_str());
    match (channel, &debtor.email, &session.config.creditor.email) {
        (Channel::Email, Some(to), Some(from)) => {
            let numbers: Vec<&str> = owed.invoices.iter().map(|i| i.number.as_str()).collect();
            let mut ctx = crate::letter::context(case, &session.config, owed, level, channel, date, deadline, deadline_days);
            ctx.copies = copies.iter().map(|c| c.name.clone()).collect();
            let body = session.renderer.render_text("email.txt.j2", &minijinja::Value::from_serialize(&ctx)).map_err(|e| e.to_string())?;
            let mut attachments = vec![&letter];
            attachments.extend(copies.iter());
            let eml = pack::email::build(&pack::email::Email {
                from_name: &session.config.creditor.name,
                from,
                to_name: &debtor.name,
                to,
                subject: pack::email::subject(&numbers),
                body,
                date,
                key: reference,
                attachments,
            });
            let rel = PathBuf::from("emails").join(format!("{}.eml", case.id));
            sink.write(&rel, &eml).map_err(|e| format!("writing {}: {e}", rel.display()))?;
            Ok(Delivery::Email(rel))
        }
        _ => Ok(Delivery::Pack(
            channel,
            PackItem {
                id: case.id.0.clone(),
                postal_code: debtor.postal_code.0.clone(),
                letter,
                copies,
                recipient: debtor.name.clone(),
                address: debtor.address_lines()[1..].join(", "),
                reference,
            },
        )),
    }
}

/// Builds one case: its letter, its e-mail or pack entry, its manifest row.
fn build_case(
    session: &Session,
    world: &mut crate::typeset::LetterWorld,
    loaded: LoadedCase,
    date: NaiveDate,
    options: &BuildOptions,
    sink: &dyn Sink,
) -> (ManifestRow, Option<Delivery>) {
    let planned = plan_case(session, loaded, date, options.forced);
    let mut row = base_row(&planned);
    let fail = |row: &mut ManifestRow, msg: String| {
        row.status = Status::Error;
        row.error = msg;
    };
    let (owed, decision) = match &planned.outcome {
        Ok(x) => x,
        Err(msg) => {
            fail(&mut row, msg.clone());
            return (row, None);
        }
    };
    let Decision::Send { level, .. } = decision else { return (row, None) };
    let case = &planned.loaded.case;
    let path = &planned.loaded.path;
    let copies = match invoice_copies(case, path) {
        Ok(c) => c,
        Err(msg) => {
            fail(&mut row, format!("{}: {msg}", path.display()));
            return (row, None);
        }
    };
    let built = match build_letter(session, world, case, owed, decision, date, options.draft) {
        Ok(Some(b)) => b,
        Ok(None) => return (row, None),
        Err(msg) => {
            fail(&mut row, format!("{}: {msg}", path.display()));
            return (row, None);
        }
    };
    let name = letter_file_name(&case.id.0, *level);
    if let Err(e) = sink.write(&Path::new("letters").join(&name), &built.pdf) {
        fail(&mut row, format!("writing letters/{name}: {e}"));
        return (row, None);
    }
    row.pages = built.pages.to_string();
    row.file = format!("letters/{name}");
    row.sha256 = pack::sha256_hex(&built.pdf);
    row.draft = if options.draft { "oui".into() } else { String::new() };
    row.copies = copies.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" ");
    let letter = Document { name, bytes: built.pdf, pages: built.pages };
    match deliver(session, case, owed, decision, letter, copies, date, sink) {
        Ok(d) => {
            if let Delivery::Email(p) = &d {
                row.email = p.display().to_string();
            }
            (row, Some(d))
        }
        Err(msg) => {
            fail(&mut row, format!("{}: {msg}", path.display()));
            (row, None)
        }
    }
}

/// Typesets one print pack and writes it.
fn write_pack(
    world: &mut crate::typeset::LetterWorld,
    channel: Channel,
    items: &mut [PackItem],
    date: NaiveDate,
    sink: &dyn Sink,
) -> Result<PackInfo, String> {
    pack::print::sort_items(items);
    let (markup, data, placements) = pack::print::pack_markup(items);
    let file = format!("pack-{}.pdf", channel.as_str());
    let export = crate::typeset::Export { date, ident: format!("relance/{file}/{date}"), archival: false, data };
    let (pdf, pages) = world.compile_pdf(markup, export).map_err(|e| format!("{file}: {e}"))?;
    sink.write(Path::new(&file), &pdf).map_err(|e| format!("writing {file}: {e}"))?;
    Ok(PackInfo { file, channel: channel.as_str().into(), pages, sha256: pack::sha256_hex(&pdf), letters: placements })
}

/// The LRAR deposit list, as PDF and CSV.
fn write_deposit_list(
    session: &Session,
    world: &mut crate::typeset::LetterWorld,
    items: &[PackItem],
    date: NaiveDate,
    sink: &dyn Sink,
) -> Result<(), String> {
    let c = &session.config.creditor;
    let sender_address = format!("{}, {} {}", c.address.join(", "), c.postal_code.0, c.city);
    let markup = pack::print::deposit_markup(items, &c.name, &sender_address, &crate::money::format_date(date));
    let export = crate::typeset::Export { date, ident: format!("relance/depot-lrar/{date}"), archival: false, data: vec![] };
    let (pdf, _) = world.compile_pdf(markup, export).map_err(|e| format!("depot-lrar.pdf: {e}"))?;
    sink.write(Path::new("depot-lrar.pdf"), &pdf).map_err(|e| format!("writing depot-lrar.pdf: {e}"))?;
    sink.write(Path::new("depot-lrar.csv"), &pack::print::deposit_csv(items)).map_err(|e| format!("writing depot-lrar.csv: {e}"))
}

/// `relance build` into an output folder, which is created first: an output
/// that cannot be written is an error before any case is looked at.
pub fn build(session: &Session, cases: &Path, out: &Path, date: NaiveDate, options: &BuildOptions) -> std::io::Result<BuildReport> {
    std::fs::create_dir_all(out.join("letters"))?;
    build_to(session, cases, &pack::Folder(out.to_path_buf()), date, options)
}

/// `relance build` into any [`Sink`]. Returns an error only when the
/// manifest cannot be written; a case that fails is in the manifest.
pub fn build_to(session: &Session, cases: &Path, sink: &dyn Sink, date: NaiveDate, options: &BuildOptions) -> std::io::Result<BuildReport> {
    let out = sink.root();
    let (mut loaded, mut errors) = load_cases(cases, &session.config_path);
    if let Some(shard) = options.shard {
        loaded.retain(|l| shard.contains(&l.case.id.0));
        errors.retain(|e| shard.contains(&e.file.display().to_string()));
    }
    let mut rows: Vec<ManifestRow> = errors.iter().map(|e| ManifestRow::for_error(e, None)).collect();
    let rows_before = rows.len();
    let mut courrier = Vec::new();
    let mut lrar = Vec::new();
    let total = loaded.len();
    let progress = if options.progress { indicatif::ProgressBar::new(total as u64) } else { indicatif::ProgressBar::hidden() };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lettres · {per_sec} · reste {eta}")
            .expect("valid template"),
    );
    let cancelled = || options.cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst));
    // Dedicated OS threads, one Typst world each, taking cases from a shared
    // counter. (Not rayon around typst::compile: Typst uses rayon inside.)
    let next = std::sync::atomic::AtomicUsize::new(0);
    let jobs = options.jobs.max(1).min(total.max(1));
    let (tx, rx) = std::sync::mpsc::channel::<(ManifestRow, Option<Delivery>)>();
    let loaded = &loaded;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            let work = move || {
                let mut world = session.world();
                loop {
                    if cancelled() {
                        break;
                    }
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(l) = loaded.get(i) else { break };
                    let result = build_case(session, &mut world, l.clone(), date, options, sink);
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            };
            std::thread::Builder::new()
                .name("relance-typeset".into())
                .stack_size(16 * 1024 * 1024)
                .spawn_scoped(scope, work)
                .expect("spawn a typesetting thread");
        }
        drop(tx);
        for (row, delivery) in rx {
            progress.inc(1);
            match delivery {
                Some(Delivery::Pack(Channel::Lrar, item)) => lrar.push(item),
                Some(Delivery::Pack(_, item)) => courrier.push(item),
                _ => {}
            }
            if row.status == Status::Error {
                errors.push(InputError::new(Path::new(&row.source), row.error.clone()));
            }
            rows.push(row);
        }
    });
    progress.finish_and_clear();
    let interrupted = cancelled() && rows.len() < total + rows_before;
    let mut world = session.world();
    let mut packs = Vec::new();
    for (channel, items) in [(Channel::Courrier, &mut courrier), (Channel::Lrar, &mut lrar)] {
        if items.is_empty() || interrupted {
            continue;
        }
        match write_pack(&mut world, channel, items, date, sink) {
            Ok(info) => packs.push(info),
            Err(msg) => errors.push(InputError::new(out, msg)),
        }
    }
    if !lrar.is_empty()
        && !interrupted
        && let Err(msg) = write_deposit_list(session, &mut world, &lrar, date, sink)
    {
        errors.push(InputError::new(out, msg));
    }
    rows.sort_by(|a, b| a.source.cmp(&b.source).then_with(|| a.id.cmp(&b.id)));
    errors.sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.message.cmp(&b.message)));
    let letters = rows.iter().filter(|r| r.status == Status::Letter).count();
    let failed = rows.iter().filter(|r| r.status == Status::Error).count() + usize::from(rows.is_empty() && !errors.is_empty());
    let manifest = Manifest { date: date.to_string(), shard: options.shard.map(|s| s.to_string()), rows, errors, packs, interrupted };
    manifest.write(sink)?;
    Ok(BuildReport { manifest, letters, failed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_ids() {
        let ids: Vec<String> = (0..1000).map(|i| format!("CASE-{i:04}")).collect();
        let shards: Vec<Shard> = (0..4).map(|k| Shard { index: k, count: 4 }).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1, "{id}");
        }
        let sizes: Vec<usize> = shards.iter().map(|s| ids.iter().filter(|id| s.contains(id)).count()).collect();
        assert!(sizes.iter().all(|n| (200..300).contains(n)), "{sizes:?}");
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("4/4").unwrap_err().contains("0 ≤ K < N"));
        assert!(Shard::parse("x").is_err());
        assert!(Shard::parse("0/0").is_err());
    }
}
