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
use crate::pack::print::{Document, Origin, PackDoc, PackItem};
use crate::pack::{self, ManifestRow, ManifestWriter, PackInfo, Sink, Status};
use crate::{Session, base_row, build_letter, letter_file_name, plan_case};

/// `--shard K/N`: this run builds only the cases whose id hashes to K
/// (0 ≤ K < N), so that N machines share a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a shard; expected K/N with 0 ≤ K < N, e.g. 0/4 (as a Kubernetes completion index)"
            )
        };
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

/// The outcome of `relance build`; the rows themselves are in the manifest.
#[derive(Debug, Default)]
pub struct BuildReport {
    /// Manifest rows written: the cases handled.
    pub rows: usize,
    pub letters: usize,
    pub failed: usize,
    /// Every error, of cases and of the run (a pack that could not be made).
    pub errors: Vec<InputError>,
    /// The rows of the cases that failed.
    pub failures: Vec<ManifestRow>,
    pub interrupted: bool,
}

/// Reads the invoice copies of a case (`file:` paths, relative to the case
/// file, which must stay inside its folder).
fn invoice_copies(case: &Case, case_path: &Path) -> Result<Vec<(Document, PathBuf)>, String> {
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
        let bytes =
            std::fs::read(&path).map_err(|e| format!("invoices[{i}].file: cannot read {}: {e}", path.display()))?;
        let pages =
            pack::print::page_count(&bytes).map_err(|e| format!("invoices[{i}].file: {}: {e}", path.display()))?;
        let name =
            rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| format!("facture-{i}.pdf"));
        docs.push((Document { name, bytes, pages }, path));
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
    copies: Vec<(Document, PathBuf)>,
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
            let mut ctx =
                crate::letter::context(case, &session.config, owed, level, channel, date, deadline, deadline_days);
            ctx.copies = copies.iter().map(|(c, _)| c.name.clone()).collect();
            let body = session
                .renderer
                .render_text("email.txt.j2", &minijinja::Value::from_serialize(&ctx))
                .map_err(|e| e.to_string())?;
            let mut attachments = vec![&letter];
            attachments.extend(copies.iter().map(|(c, _)| c));
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
                letter: PackDoc {
                    origin: Origin::Output(Path::new("letters").join(&letter.name)),
                    name: letter.name,
                    pages: letter.pages,
                },
                copies: copies
                    .into_iter()
                    .map(|(c, path)| PackDoc { name: c.name, pages: c.pages, origin: Origin::Input(path) })
                    .collect(),
                // For the deposit list; a posted letter keeps nothing it does
                // not need until its pack is made.
                recipient: if channel == Channel::Lrar { debtor.name.clone() } else { String::new() },
                address: if channel == Channel::Lrar { debtor.address_lines()[1..].join(", ") } else { String::new() },
                reference: if channel == Channel::Lrar { reference } else { String::new() },
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
) -> Built {
    let planned = plan_case(session, loaded, date, options.forced);
    let mut row = base_row(&planned);
    let failed = |mut row: ManifestRow, error: InputError| -> Built {
        row.status = Status::Error;
        row.error = error.to_string();
        (row, None, Some(error))
    };
    let (owed, decision) = match &planned.outcome {
        Ok(x) => x,
        Err(e) => return failed(row, e.clone()),
    };
    let Decision::Send { level, .. } = decision else { return (row, None, None) };
    let case = &planned.loaded.case;
    let path = &planned.loaded.path;
    let copies = match invoice_copies(case, path) {
        Ok(c) => c,
        Err(msg) => return failed(row, InputError::new(path, msg)),
    };
    let built = match build_letter(session, world, case, owed, decision, date, options.draft) {
        Ok(Some(b)) => b,
        Ok(None) => return (row, None, None),
        Err(msg) => return failed(row, InputError::new(path, msg)),
    };
    let name = letter_file_name(&case.id.0, *level);
    if let Err(e) = sink.write(&Path::new("letters").join(&name), &built.pdf) {
        let msg = format!("writing letters/{name}: {e}");
        let (mut row, delivery, error) = failed(row, InputError::new(path, msg.clone()));
        // The manifest's column names the file that could not be written.
        row.error = msg;
        return (row, delivery, error);
    }
    row.pages = built.pages.to_string();
    row.file = format!("letters/{name}");
    row.sha256 = pack::sha256_hex(&built.pdf);
    row.draft = if options.draft { "oui".into() } else { String::new() };
    row.copies = copies.iter().map(|(c, _)| c.name.as_str()).collect::<Vec<_>>().join(" ");
    let letter = Document { name, bytes: built.pdf, pages: built.pages };
    match deliver(session, case, owed, decision, letter, copies, date, sink) {
        Ok(d) => {
            if let Delivery::Email(p) = &d {
                row.email = p.display().to_string();
            }
            (row, Some(d), None)
        }
        Err(msg) => failed(row, InputError::new(path, msg)),
    }
}

/// Reads the PDFs a pack volume embeds.
fn pack_data(sink: &dyn Sink, data: Vec<(String, Origin)>) -> Result<Vec<(String, Vec<u8>)>, String> {
    data.into_iter()
        .map(|(key, origin)| {
            let bytes = match &origin {
                Origin::Output(rel) => sink.read(rel).map_err(|e| format!("reading back {}: {e}", rel.display())),
                Origin::Input(path) => std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display())),
            }?;
            Ok((key, bytes))
        })
        .collect()
}

/// Typesets one volume of a print pack and writes it.
fn write_pack(
    world: &mut crate::typeset::LetterWorld,
    channel: Channel,
    file: String,
    items: &[PackItem],
    date: NaiveDate,
    sink: &dyn Sink,
) -> Result<PackInfo, String> {
    let (markup, data, placements) = pack::print::pack_markup(items);
    let data = pack_data(sink, data).map_err(|e| format!("{file}: {e}"))?;
    let export = crate::typeset::Export { date, ident: format!("relance/{file}/{date}"), archival: false, data };
    let (pdf, pages) = world.compile_pdf(markup, export).map_err(|e| format!("{file}: {e}"))?;
    sink.write(Path::new(&file), &pdf).map_err(|e| format!("writing {file}: {e}"))?;
    Ok(PackInfo { file, channel: channel.as_str().into(), pages, sha256: pack::sha256_hex(&pdf), letters: placements })
}

/// One LRAR deposit list, as PDF, for the letters of one pack volume.
fn write_deposit_list(
    session: &Session,
    world: &mut crate::typeset::LetterWorld,
    file: &str,
    items: &[PackItem],
    date: NaiveDate,
    sink: &dyn Sink,
) -> Result<(), String> {
    let c = &session.config.creditor;
    let sender_address = format!("{}, {} {}", c.address.join(", "), c.postal_code.0, c.city);
    let markup = pack::print::deposit_markup(items, &c.name, &sender_address, &crate::money::format_date(date));
    let export =
        crate::typeset::Export { date, ident: format!("relance/{file}/{date}"), archival: false, data: vec![] };
    let (pdf, _) = world.compile_pdf(markup, export).map_err(|e| format!("{file}: {e}"))?;
    sink.write(Path::new(file), &pdf).map_err(|e| format!("writing {file}: {e}"))
}

/// Makes the packs of the run, cut into volumes; returns what was written,
/// in pack order, and what failed.
///
/// One volume at a time, on this thread, whatever `--jobs` says: two
/// volumes at a time took the peak of a 100,000-case run from 131 to
/// 146 MiB (the posted-letter volumes) for about 4 % of its time.
fn write_packs(
    session: &Session,
    mut courrier: Vec<PackItem>,
    mut lrar: Vec<PackItem>,
    date: NaiveDate,
    sink: &dyn Sink,
) -> (Vec<PackInfo>, Vec<String>) {
    // The letters' caches and freed pages are no use to the packs.
    crate::typeset::LetterWorld::forget_caches();
    let mut world = session.world();
    let mut packs = Vec::new();
    let mut failures = Vec::new();
    for (channel, items) in [(Channel::Courrier, &mut courrier), (Channel::Lrar, &mut lrar)] {
        if items.is_empty() {
            continue;
        }
        pack::print::sort_items(items);
        let cut = pack::print::volumes(items);
        let names = pack::print::volume_names(&format!("pack-{}", channel.as_str()), cut.len());
        let lists = pack::print::volume_names("depot-lrar", cut.len());
        for ((volume, name), list) in cut.into_iter().zip(names).zip(lists) {
            match write_pack(&mut world, channel, name, volume, date, sink) {
                Ok(info) => packs.push(info),
                Err(msg) => failures.push(msg),
            }
            // A volume's decoded letters are of no use to the next one.
            crate::typeset::LetterWorld::forget_caches();
            if channel == Channel::Lrar
                && let Err(msg) = write_deposit_list(session, &mut world, &list, volume, date, sink)
            {
                failures.push(msg);
            }
        }
    }
    if !lrar.is_empty()
        && let Err(e) = sink.write(Path::new("depot-lrar.csv"), &pack::print::deposit_csv(&lrar))
    {
        failures.push(format!("writing depot-lrar.csv: {e}"));
    }
    (packs, failures)
}

/// A case's manifest row, what its letter still needs, and its error as
/// read (with line and field) when its file failed.
type Built = (ManifestRow, Option<Delivery>, Option<InputError>);

/// A case file of the run, once every file has been read once.
enum Slot {
    /// A valid case, to read again and build (not kept in memory between
    /// the two passes: a run of 100,000 cases would not fit).
    Case(Box<Path>),
    /// A file that failed, or an id two files use.
    Bad(Box<InputError>),
}

/// Runs `work` for every index below `n` on `jobs` dedicated OS threads
/// (one Typst world each, made by `setup`), taking indices from a shared
/// counter, and hands each result to `take` on the calling thread as it
/// comes. Not rayon around `typst::compile`: Typst uses rayon inside.
fn fan_out<W, R: Send>(
    jobs: usize,
    n: usize,
    stop: &(dyn Fn() -> bool + Sync),
    setup: &(dyn Fn() -> W + Sync),
    work: &(dyn Fn(&mut W, usize) -> R + Sync),
    mut take: impl FnMut(usize, R),
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, R)>(4 * jobs.max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(n.max(1)) {
            let tx = tx.clone();
            let next = &next;
            let job = move || {
                let mut state = setup();
                while !stop() {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= n || tx.send((i, work(&mut state, i))).is_err() {
                        break;
                    }
                }
            };
            std::thread::Builder::new()
                .name("relance-worker".into())
                .stack_size(16 * 1024 * 1024)
                .spawn_scoped(scope, job)
                .expect("spawn a worker thread");
        }
        drop(tx);
        for (i, r) in rx {
            take(i, r);
        }
    });
}

/// First pass: every case file read and checked, in parallel; only its id
/// is kept, to find the ids that two files use (neither is built) and the
/// shard of each case.
fn scan(cases: &Path, session: &Session, options: &BuildOptions, stop: &(dyn Fn() -> bool + Sync)) -> Vec<Slot> {
    let found = crate::case_paths(cases, &session.config_path);
    let mut ids: Vec<Option<Result<String, InputError>>> = (0..found.len()).map(|_| None).collect();
    fan_out(
        options.jobs,
        found.len(),
        stop,
        &|| (),
        &|_, i| match &found[i] {
            Ok(path) => crate::case::load_case(path).map(|case| case.id.0),
            Err(e) => Err(e.clone()),
        },
        |i, r| ids[i] = Some(r),
    );
    let paths: Vec<&Path> =
        found.iter().map(|f| f.as_ref().map_or_else(|e| e.file.as_path(), PathBuf::as_path)).collect();
    let dup = crate::case::duplicates(ids.iter().zip(&paths).filter_map(|(id, path)| match id {
        Some(Ok(id)) => Some((id.as_str(), *path)),
        _ => None,
    }));
    let mut slots = Vec::new();
    for (id, path) in ids.iter().zip(&paths) {
        let slot = match id {
            None => continue, // interrupted before this file was read
            Some(Ok(id)) => {
                if options.shard.is_some_and(|s| !s.contains(id)) {
                    continue;
                }
                match dup.get(id.as_str()) {
                    Some(all) => {
                        let others: Vec<&Path> = all.iter().copied().filter(|p| p != path).collect();
                        Slot::Bad(Box::new(crate::case::duplicate_id(path, id, &others)))
                    }
                    None => Slot::Case(path.to_path_buf().into_boxed_path()),
                }
            }
            Some(Err(e)) => {
                if options.shard.is_some_and(|s| !s.contains(&e.file.display().to_string())) {
                    continue;
                }
                Slot::Bad(Box::new(e.clone()))
            }
        };
        slots.push(slot);
    }
    slots
}

/// `relance build` into an output folder, which is created first: an output
/// that cannot be written is an error before any case is looked at.
pub fn build(
    session: &Session,
    cases: &Path,
    out: &Path,
    date: NaiveDate,
    options: &BuildOptions,
) -> std::io::Result<BuildReport> {
    std::fs::create_dir_all(out.join("letters"))?;
    build_to(session, cases, &pack::Folder(out.to_path_buf()), date, options)
}

/// `relance build` into any [`Sink`]. Returns an error only when the
/// manifest cannot be written; a case that fails is in the manifest.
///
/// Memory stays bounded whatever the number of cases: the first pass keeps
/// one id per file, the second reads each case again as it builds it, rows
/// go to the manifest as they are done, letters are on disk before packs
/// read them back, and packs are typeset a volume at a time.
pub fn build_to(
    session: &Session,
    cases: &Path,
    sink: &dyn Sink,
    date: NaiveDate,
    options: &BuildOptions,
) -> std::io::Result<BuildReport> {
    let out = sink.root();
    let cancelled = || options.cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst));
    let slots = scan(cases, session, options, &cancelled);
    let shard = options.shard.map(|s| s.to_string());
    let mut manifest = ManifestWriter::new(sink, &date.to_string(), shard.as_deref())?;
    let mut report = BuildReport::default();
    let mut courrier = Vec::new();
    let mut lrar = Vec::new();
    let progress = if options.progress {
        indicatif::ProgressBar::new(slots.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} lettres · {per_sec} · reste {eta}")
            .expect("valid template"),
    );
    // Rows reach the manifest in file order; a few wait here for a slower
    // thread's case before theirs.
    let mut waiting = std::collections::BTreeMap::new();
    let mut next_row = 0;
    let mut record = |(row, delivery, error): Built, report: &mut BuildReport| {
        match delivery {
            Some(Delivery::Pack(Channel::Lrar, item)) => lrar.push(item),
            Some(Delivery::Pack(_, item)) => courrier.push(item),
            _ => {}
        }
        report.rows += 1;
        match row.status {
            Status::Letter => report.letters += 1,
            Status::Error => {
                report.errors.push(error.unwrap_or_else(|| InputError::new(Path::new(&row.source), row.error.clone())));
                report.failures.push(row.clone());
            }
            Status::None => {}
        }
        manifest.push(&row);
    };
    fan_out(
        options.jobs,
        slots.len(),
        &cancelled,
        &|| session.world(),
        &|world, i| -> Built {
            let failed = |e: &InputError| (ManifestRow::for_error(e, None), None, Some(e.clone()));
            match &slots[i] {
                Slot::Bad(e) => failed(e),
                Slot::Case(path) => match crate::case::load_case(path) {
                    Ok(case) => {
                        build_case(session, world, LoadedCase { path: path.to_path_buf(), case }, date, options, sink)
                    }
                    Err(e) => failed(&e),
                },
            }
        },
        |i, result| {
            progress.inc(1);
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&next_row) {
                record(result, &mut report);
                next_row += 1;
            }
        },
    );
    // Interrupted: what was built after a case left unbuilt.
    for (_, result) in std::mem::take(&mut waiting) {
        record(result, &mut report);
    }
    progress.finish_and_clear();
    report.interrupted = cancelled() && report.rows < slots.len();
    let mut packs = Vec::new();
    if !report.interrupted {
        let (made, failures) = write_packs(session, courrier, lrar, date, sink);
        packs = made;
        report.errors.extend(failures.into_iter().map(|msg| InputError::new(out, msg)));
    }
    report.errors.sort_by(|a, b| a.file.cmp(&b.file).then_with(|| a.message.cmp(&b.message)));
    report.failed = report.failures.len() + usize::from(report.rows == 0 && !report.errors.is_empty());
    // Letters, e-mails and packs reach the disk before the manifest that
    // lists them; then the manifest's own rename.
    sink.sync()?;
    manifest.finish(&report.errors, &packs, report.interrupted)?;
    sink.sync()?;
    Ok(report)
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
