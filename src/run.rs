//! `relance build`: the day's run, from case files to what the back office
//! posts, sends and archives (docs/outputs.md): letters, e-mails, print packs, the
//! LRAR deposit list and the manifest.
//!
//! One case failing never stops the others; every file is written to a
//! temporary name and renamed, so a failed case leaves nothing behind.

use std::path::{Component, Path, PathBuf};

use crate::Session;
use crate::atomic::sha256_hex;
use crate::case::{Case, Channel, InputError, LoadedCase};
use crate::error::{LetterError, RunError};
use crate::journal::{Claimed, Issued};
use crate::letter::{self, Letter};
use crate::pack::print::{Document, Origin, PackDoc, PackItem};
use crate::pack::{self, ManifestRow, ManifestWriter, PackInfo, Sink, Status};
use crate::plan::{Planned, plan_case};
use crate::settings::Settings;
use crate::typeset::{Export, LetterWorld};

/// The outcome of `relance build`; the rows themselves are in the manifest.
#[derive(Debug, Default)]
pub struct BuildReport {
    /// Manifest rows written: the cases handled.
    pub rows: usize,
    /// Letters built.
    pub letters: usize,
    /// Telephone calls listed on the call sheet.
    pub calls: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Every error, of cases and of the run (a pack that could not be made).
    pub errors: Vec<RunError>,
    /// The rows of the cases that failed.
    pub failures: Vec<ManifestRow>,
    /// Whether the run was stopped before its end.
    pub interrupted: bool,
    /// The legal warnings of the cases, grouped.
    pub warnings: crate::pack::Warnings,
    /// How long the packs and deposit lists took to make (for the
    /// benchmark: `RELANCE_TIMING=1` prints it).
    pub packs_time: std::time::Duration,
}

/// Largest invoice copy attached to a letter (a scanned invoice is a few
/// hundred kilobytes; an e-mail over 10 MB is refused by most servers).
const MAX_COPY_BYTES: u64 = 10 * 1024 * 1024;

/// Reads the invoice copies of a case (`file:` paths, relative to the case
/// file, which must stay inside its folder).
fn invoice_copies(case: &Case, case_path: &Path) -> Result<Vec<(Document, PathBuf)>, InputError> {
    let mut docs = Vec::new();
    for (i, inv) in case.invoices.iter().enumerate() {
        let Some(file) = &inv.file else { continue };
        docs.push(read_beside(case_path, &format!("invoices[{i}].file"), file)?);
    }
    Ok(docs)
}

/// Reads a PDF named by `field` of a case file: a path relative to the
/// case file, inside its folder, of at most [`MAX_COPY_BYTES`].
pub(crate) fn read_beside(case_path: &Path, field: &str, file: &str) -> Result<(Document, PathBuf), InputError> {
    let base = case_path.parent().unwrap_or(Path::new("."));
    let rel = Path::new(file);
    if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(crate::case::field_error(
            case_path,
            field,
            format!(
                "{} doit être un chemin relatif au fichier du dossier, dans son répertoire (sans « .. »), p. ex. invoices/F-2026-0042.pdf",
                crate::text::quote(file)
            ),
        ));
    }
    let path = base.join(rel);
    let bytes = crate::safe_read::read(&path, MAX_COPY_BYTES, Some(base))
        .map_err(|e| crate::case::field_error(case_path, field, format!("{} : {e}", path.display())))?;
    let pages = pack::print::page_count(&bytes)
        .map_err(|e| crate::case::field_error(case_path, field, format!("{} : {e}", path.display())))?;
    let name = rel.file_name().map_or_else(|| "copie.pdf".to_string(), |n| n.to_string_lossy().into_owned());
    Ok((Document { name, bytes, pages }, path))
}

/// What a built letter still needs once it is on disk.
enum Delivery {
    Email(PathBuf),
    Pack(Channel, PackItem),
    Call(Box<pack::calls::Call>),
}

/// Writes the e-mail of an e-mail letter, or prepares its pack entry.
fn deliver(
    session: &Session,
    letter: &Letter,
    pdf: Document,
    copies: Vec<(Document, PathBuf)>,
    sink: &dyn Sink,
) -> Result<Delivery, DeliveryError> {
    let Letter { case, owed, due, date } = *letter;
    let debtor = &case.debtor;
    let channel = due.channel;
    let reference = format!("{}/{}", case.id, due.level.as_str());
    match (channel, &debtor.email, &session.config.creditor.email) {
        (Channel::Email, Some(to), Some(from)) => {
            let numbers: Vec<&str> = owed.invoices.iter().map(|i| i.number.as_str()).collect();
            let mut ctx = letter::context(&session.config, letter);
            ctx.copies = copies.iter().map(|(c, _)| c.name.clone()).collect();
            let body = session
                .renderer_for(case.profil.as_deref())
                .render_text("email.txt.j2", &minijinja::Value::from_serialize(&ctx))?;
            let mut attachments = vec![&pdf];
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
            sink.write(&rel, &eml).map_err(|source| DeliveryError::Write { path: rel.clone(), source })?;
            Ok(Delivery::Email(rel))
        }
        _ => Ok(Delivery::Pack(
            channel,
            PackItem {
                id: case.id.0.clone(),
                postal_code: debtor.postal_code.0.clone(),
                letter: PackDoc { origin: Origin::Output(Path::new("letters").join(&pdf.name)), pages: pdf.pages },
                copies: copies
                    .into_iter()
                    .map(|(c, path)| PackDoc { pages: c.pages, origin: Origin::Input(path) })
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

/// Why an e-mail could not be made.
enum DeliveryError {
    Body(crate::render::RenderError),
    Write { path: PathBuf, source: std::io::Error },
}

impl From<crate::render::RenderError> for DeliveryError {
    fn from(e: crate::render::RenderError) -> DeliveryError {
        DeliveryError::Body(e)
    }
}

impl DeliveryError {
    fn at(self, file: &Path) -> RunError {
        match self {
            DeliveryError::Body(e) => {
                RunError::Template { file: file.to_path_buf(), error: Box::new(LetterError::Render(e)) }
            }
            DeliveryError::Write { path, source } => {
                RunError::Io { file: file.to_path_buf(), action: "writing", path, source }
            }
        }
    }
}

/// The manifest row of a case that failed.
fn failed_case(row: ManifestRow, error: RunError) -> Built {
    let mut row = row;
    row.status = Status::Error;
    // A case's I/O error names the file written, after the case file.
    row.error = match &error {
        RunError::Io { .. } => error.message(),
        _ => error.to_string(),
    };
    Built::failed(row, error)
}

/// A letter typeset, or why not.
type Typeset = Result<(Vec<u8>, usize), Failure>;

/// Why a letter was not typeset.
enum Failure {
    /// Typst refused it, or its layout broke a rule.
    Compile(crate::typeset::CompileError),
    /// Typst panicked on it (a bug, whatever the input).
    Panic(String),
}

/// Runs `work` for the case at `path`: a panic while building one case (a
/// bug, whatever the input) is that case's error, and the thread goes on
/// with a fresh Typst world.
fn guarded<T>(
    path: &Path,
    world: &mut LetterWorld,
    session: &Session,
    work: impl FnOnce(&mut LetterWorld) -> T,
) -> Result<T, Box<Built>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(world))).map_err(|payload| {
        *world = session.world();
        let error = RunError::Internal { file: path.to_path_buf(), message: panic_message(&*payload) };
        let mut row = ManifestRow::for_error(&InputError::new(path, ""), None);
        row.error = error.to_string();
        Box::new(Built::failed(row, error))
    })
}

/// A case of a batch, between its plan and its letter.
enum Step {
    /// Done without a letter to typeset (an error, nothing due, a call).
    Built(Box<Built>),
    /// Its letter, to typeset with the others of the batch.
    Letter(Box<Pending>),
}

/// A case whose letter is rendered and not yet typeset.
struct Pending {
    planned: Planned,
    row: ManifestRow,
    copies: Vec<(Document, PathBuf)>,
    job: crate::typeset::LetterJob,
}

impl Pending {
    /// Its case file and level template, for the watchdog.
    fn busy(&self) -> (PathBuf, String) {
        let level = self.planned.letter().expect("a pending case has a letter").due.level;
        (self.planned.loaded.path.clone(), crate::templates::template_name(level))
    }
}

/// The manifest row of a case file that could not be read.
fn unreadable(error: InputError) -> Built {
    Built::failed(ManifestRow::for_error(&error, None), RunError::Input(error))
}

/// Plans a case and renders its letter (to be typeset with the batch).
fn prepare_case(session: &Session, loaded: LoadedCase, settings: &Settings) -> Step {
    let planned = plan_case(session, loaded, settings);
    let row = ManifestRow::planned(&planned);
    let path = planned.loaded.path.clone();
    let letter = match (&planned.outcome, planned.letter()) {
        (Err(e), _) => return Step::Built(Box::new(failed_case(row, RunError::Input(e.clone())))),
        (Ok(_), None) => return Step::Built(Box::new(Built::row(row))),
        (Ok(_), Some(letter)) => letter,
    };
    if letter.due.channel == Channel::Telephone {
        let done = call(&letter);
        return Step::Built(Box::new(done.apply(row)));
    }
    let prepared = invoice_copies(letter.case, &path).map_err(RunError::Input).and_then(|copies| {
        let job = letter::markup(session, &letter, settings.draft).map_err(|e| letter_error(&path, e))?;
        Ok((copies, job))
    });
    match prepared {
        Ok((copies, job)) => Step::Letter(Box::new(Pending { planned, row, copies, job })),
        Err(error) => Step::Built(Box::new(failed_case(row, error))),
    }
}

/// A letter's error as the run reports it: the clerk's value that did not
/// fit is an error of their data, at its field.
fn letter_error(path: &Path, error: LetterError) -> RunError {
    match error {
        LetterError::Overflow { field: Some(ref field), .. }
        | LetterError::MissingGlyphs { field: Some(ref field), .. } => {
            RunError::Input(crate::case::field_error(path, field, error.to_string()))
        }
        error => RunError::Template { file: path.to_path_buf(), error: Box::new(error) },
    }
}

/// Writes a typeset letter and delivers it; the case's manifest row.
fn finish_case(session: &Session, pending: Pending, typeset: Typeset, settings: &Settings, sink: &dyn Sink) -> Built {
    let Pending { planned, row, copies, .. } = pending;
    let letter = planned.letter().expect("a pending case has a letter");
    let path = &planned.loaded.path;
    let written = typeset
        .map_err(|failure| match failure {
            Failure::Compile(error) => {
                letter_error(path, letter::locate(session, letter.case, letter.due.level, error))
            }
            Failure::Panic(message) => RunError::Internal { file: path.clone(), message },
        })
        .and_then(|(pdf, pages)| {
            let name = letter::file_name(&letter.case.id.0, letter.due.level);
            let rel = Path::new("letters").join(&name);
            sink.write(&rel, &pdf).map_err(|source| RunError::Io {
                file: path.clone(),
                action: "writing",
                path: rel.clone(),
                source,
            })?;
            let issued = issued_entry(&letter, format!("letters/{name}"), sha256_hex(&pdf));
            let copy_names = copies.iter().map(|(c, _)| c.name.as_str()).collect::<Vec<_>>().join(" ");
            let pdf = Document { name, bytes: pdf, pages };
            let delivery = deliver(session, &letter, pdf, copies, sink).map_err(|e| e.at(path))?;
            Ok(Done { issued, pages, draft: settings.draft, copies: copy_names, delivery })
        });
    match written {
        Ok(done) => done.apply(row),
        Err(error) => failed_case(row, error),
    }
}

/// Builds a batch of cases: plans them, typesets their letters together,
/// `together` at a time (one Typst compile; those of a profile with its own
/// templates one by one), writes and delivers them. One result per case,
/// in order.
fn build_batch(
    session: &Session,
    world: &mut LetterWorld,
    slots: &[Slot],
    together: usize,
    settings: &Settings,
    sink: &dyn Sink,
) -> Vec<Built> {
    let mut steps: Vec<Step> = slots
        .iter()
        .map(|slot| match slot {
            Slot::Bad(e) => Step::Built(Box::new(unreadable((**e).clone()))),
            Slot::Case(path) => guarded(path, world, session, |_| match crate::case::load_case(path) {
                Ok(case) => prepare_case(session, LoadedCase { path: path.to_path_buf(), case }, settings),
                Err(e) => Step::Built(Box::new(unreadable(e))),
            })
            .unwrap_or_else(Step::Built),
        })
        .collect();
    let mut results: Vec<Option<Typeset>> = steps.iter().map(|_| None).collect();
    // The letters of the session's templates, typeset together.
    let shared: Vec<(usize, &Pending)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Letter(p) if session.own_templates(p.planned.loaded.case.profil.as_deref()).is_none() => {
                Some((i, &**p))
            }
            _ => None,
        })
        .collect();
    for group in shared.chunks(together.max(1)) {
        let pending: Vec<&Pending> = group.iter().map(|(_, p)| *p).collect();
        for ((i, _), result) in group.iter().zip(typeset_guarded(session, world, &pending, settings)) {
            results[*i] = Some(result);
        }
    }
    // A profile's letters, each in a world over the profile's templates.
    for (i, step) in steps.iter().enumerate() {
        if let Step::Letter(p) = step
            && results[i].is_none()
        {
            let templates = session.own_templates(p.planned.loaded.case.profil.as_deref()).expect("a profile");
            let mut own = LetterWorld::new(session.fonts.clone(), templates.clone());
            results[i] = typeset_guarded(session, &mut own, &[&**p], settings).pop();
        }
    }
    steps
        .drain(..)
        .zip(results)
        .map(|(step, result)| match step {
            Step::Built(built) => *built,
            Step::Letter(pending) => {
                let path = pending.planned.loaded.path.clone();
                let result = result.expect("every letter typeset");
                guarded(&path, world, session, |_| finish_case(session, *pending, result, settings, sink))
                    .unwrap_or_else(|failed| *failed)
            }
        })
        .collect()
}

/// Typesets the letters of `pending` together; a panic of Typst on the
/// batch typesets them one by one, so that it is the error of the one
/// letter that caused it.
fn typeset_guarded(
    session: &Session,
    world: &mut LetterWorld,
    pending: &[&Pending],
    settings: &Settings,
) -> Vec<Typeset> {
    let _busy = settings.activity.as_ref().map(|a| a.start(pending.iter().map(|p| p.busy()).collect()));
    let jobs: Vec<crate::typeset::LetterJob> = pending.iter().map(|p| p.job.clone()).collect();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world.compile_letters(&jobs))) {
        Ok(results) => results.into_iter().map(|r| r.map_err(Failure::Compile)).collect(),
        Err(payload) => {
            *world = LetterWorld::new(session.fonts.clone(), world.templates().clone());
            if let [_] = pending {
                return vec![Err(Failure::Panic(panic_message(&*payload)))];
            }
            pending.iter().flat_map(|p| typeset_guarded(session, world, &[*p], settings)).collect()
        }
    }
}

/// What a built case adds to its manifest row.
struct Done {
    /// The journal entry: also the letter's file and sha256.
    issued: Issued,
    pages: usize,
    draft: bool,
    copies: String,
    delivery: Delivery,
}

impl Done {
    fn apply(self, mut row: ManifestRow) -> Built {
        row.pages = self.pages.to_string();
        row.file = self.issued.file.clone();
        row.sha256 = self.issued.sha256.clone();
        row.draft = if self.draft { "oui".into() } else { String::new() };
        row.copies = self.copies;
        if let Delivery::Email(p) = &self.delivery {
            row.email = p.display().to_string();
        }
        if let Delivery::Call(_) = &self.delivery {
            row.status = Status::Call;
            row.pages = String::new();
        }
        Built { row, delivery: Some(self.delivery), error: None, issued: Some(self.issued) }
    }
}

/// The journal entry of what a case was issued: its letter's file and
/// sha256, or the call sheet.
fn issued_entry(letter: &Letter, file: String, sha256: String) -> Issued {
    let Letter { case, owed, due, date } = *letter;
    Issued {
        entry: Issued::id(&case.id.0, due.level, date),
        case: case.id.0.clone(),
        level: due.level,
        channel: due.channel,
        date,
        deadline: due.deadline,
        invoices: owed
            .invoices
            .iter()
            .map(|i| Claimed { number: i.number.clone(), outstanding: i.outstanding })
            .collect(),
        total: owed.total,
        file,
        sha256,
        run: String::new(),
        address: case.debtor.address_lines(),
    }
}

/// The telephone step of a case: no letter, a line of the call sheet.
fn call(letter: &Letter) -> Done {
    let Letter { case, owed, due: _, date } = *letter;
    let history = case
        .letters
        .iter()
        .filter(|l| l.date.0 <= date)
        .map(|l| format!("{} du {}, {}", l.level.label_fr(), crate::money::format_date(l.date.0), l.channel.label_fr()))
        .collect();
    let oldest = owed.invoices.iter().filter(|i| i.outstanding > rust_decimal::Decimal::ZERO).map(|i| i.due).min();
    let call = pack::calls::Call {
        id: case.id.0.clone(),
        debtor: case.debtor.name.clone(),
        contact: case.debtor.contact.clone().unwrap_or_default(),
        phone: case.debtor.phone.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        email: case.debtor.email.clone().unwrap_or_default(),
        invoices: owed
            .invoices
            .iter()
            .filter(|i| i.outstanding > rust_decimal::Decimal::ZERO)
            .map(|i| (i.number.clone(), i.due, i.outstanding))
            .collect(),
        principal: owed.principal,
        total: owed.total,
        days_late: oldest.map_or(0, |d| (date - d).num_days()),
        history,
        broken_promise: case.broken_promise.clone(),
    };
    let issued = issued_entry(letter, CALL_SHEET.to_string(), String::new());
    Done { issued, pages: 0, draft: false, copies: String::new(), delivery: Delivery::Call(Box::new(call)) }
}

/// The call sheet of a run, and its list.
const CALL_SHEET: &str = "appels.pdf";
const CALL_LIST: &str = "appels.csv";

/// Writes the call sheet and the call list, largest sums first.
fn write_calls(
    session: &Session,
    mut calls: Vec<pack::calls::Call>,
    settings: &Settings,
    sink: &dyn Sink,
) -> Result<(), RunError> {
    if calls.is_empty() {
        return Ok(());
    }
    pack::calls::sort_calls(&mut calls);
    let date = settings.date;
    let c = &session.config.creditor;
    let phone = c.phone.as_ref().map(|p| p.0.as_str()).unwrap_or("");
    let markup = pack::calls::calls_markup(&calls, &c.name, phone, date);
    let export =
        Export { date, ident: format!("relance/{CALL_SHEET}/{date}"), archival: false, data: vec![], checks: None };
    write_document(&mut session.world(), sink, CALL_SHEET, markup, export)?;
    let out = sink.root().to_path_buf();
    let csv = pack::calls::calls_csv(&calls, settings.csv).map_err(|source| RunError::Io {
        file: out.clone(),
        action: "writing",
        path: PathBuf::from(CALL_LIST),
        source,
    })?;
    sink.write(Path::new(CALL_LIST), &csv).map_err(|source| RunError::Io {
        file: out,
        action: "writing",
        path: PathBuf::from(CALL_LIST),
        source,
    })
}

/// Reads the PDFs a pack volume embeds.
fn pack_data(sink: &dyn Sink, out: &Path, data: Vec<(String, Origin)>) -> Result<Vec<(String, Vec<u8>)>, RunError> {
    data.into_iter()
        .map(|(key, origin)| {
            let bytes = match &origin {
                Origin::Output(rel) => sink.read(rel).map_err(|source| RunError::Io {
                    file: out.to_path_buf(),
                    action: "reading back",
                    path: rel.clone(),
                    source,
                }),
                Origin::Input(path) => std::fs::read(path).map_err(|source| RunError::Io {
                    file: out.to_path_buf(),
                    action: "reading",
                    path: path.clone(),
                    source,
                }),
            }?;
            Ok((key, bytes))
        })
        .collect()
}

/// Typesets a document of the run that is not a letter (a pack volume, a
/// deposit list) and writes it at `file`.
fn write_document(
    world: &mut LetterWorld,
    sink: &dyn Sink,
    file: &str,
    markup: String,
    export: Export,
) -> Result<(Vec<u8>, usize), RunError> {
    let out = sink.root().to_path_buf();
    let (pdf, pages) = world.compile_pdf(markup, export).map_err(|error| RunError::Template {
        file: out.clone(),
        error: Box::new(LetterError::compile(file, error)),
    })?;
    sink.write(Path::new(file), &pdf).map_err(|source| RunError::Io {
        file: out,
        action: "writing",
        path: PathBuf::from(file),
        source,
    })?;
    Ok((pdf, pages))
}

/// Makes one volume of a print pack from the letters already written and
/// the invoice copies, and writes it: a Typst document embedding their
/// pages, or (`--pack-mode pages`) the pages copied with lopdf.
fn write_pack(
    world: &mut LetterWorld,
    channel: Channel,
    file: String,
    items: &[PackItem],
    settings: &Settings,
    sink: &dyn Sink,
) -> Result<PackInfo, RunError> {
    let (slots, placements) = pack::print::pack_layout(items);
    if settings.pack_mode == crate::settings::PackMode::Typeset {
        let date = settings.date;
        let (markup, data) = pack::print::pack_markup(&slots);
        let data = pack_data(sink, sink.root(), data)?;
        let export = Export { date, ident: format!("relance/{file}/{date}"), archival: false, data, checks: None };
        let (pdf, pages) = write_document(world, sink, &file, markup, export)?;
        return Ok(PackInfo {
            file,
            channel: channel.as_str().into(),
            pages,
            sha256: sha256_hex(&pdf),
            letters: placements,
        });
    }
    let origins: Vec<(String, Origin)> = slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            pack::print::Slot::Pdf(origin, _) => Some((i.to_string(), origin.clone())),
            pack::print::Slot::Blank => None,
        })
        .collect();
    let mut bytes: std::collections::HashMap<String, Vec<u8>> =
        pack_data(sink, sink.root(), origins)?.into_iter().collect();
    let parts = slots
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            pack::print::Slot::Pdf(..) => pack::merge::Part::Pdf(bytes.remove(&i.to_string()).unwrap_or_default()),
            pack::print::Slot::Blank => pack::merge::Part::Blank,
        })
        .collect();
    let (pdf, pages) = pack::merge::merge(parts, "Pli de relances").map_err(|message| RunError::Io {
        file: sink.root().to_path_buf(),
        action: "assembling",
        path: PathBuf::from(&file),
        source: std::io::Error::other(message),
    })?;
    sink.write(Path::new(&file), &pdf).map_err(|source| RunError::Io {
        file: sink.root().to_path_buf(),
        action: "writing",
        path: PathBuf::from(&file),
        source,
    })?;
    Ok(PackInfo { file, channel: channel.as_str().into(), pages, sha256: sha256_hex(&pdf), letters: placements })
}

/// One LRAR deposit list, as PDF, for the letters of one pack volume.
fn write_deposit_list(
    session: &Session,
    world: &mut LetterWorld,
    file: &str,
    items: &[PackItem],
    settings: &Settings,
    sink: &dyn Sink,
) -> Result<(), RunError> {
    let date = settings.date;
    let c = &session.config.creditor;
    let sender_address = format!("{}, {} {}", c.address.join(", "), c.postal_code.0, c.city);
    let markup = pack::print::deposit_markup(items, &c.name, &sender_address, &crate::money::format_date(date));
    let export = Export { date, ident: format!("relance/{file}/{date}"), archival: false, data: vec![], checks: None };
    write_document(world, sink, file, markup, export).map(|_| ())
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
    settings: &Settings,
    sink: &dyn Sink,
) -> (Vec<PackInfo>, Vec<RunError>) {
    // The letters' caches and freed pages are no use to the packs.
    LetterWorld::forget_caches();
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
            match write_pack(&mut world, channel, name, volume, settings, sink) {
                Ok(info) => packs.push(info),
                Err(e) => failures.push(e),
            }
            // A volume's decoded letters are of no use to the next one.
            LetterWorld::forget_caches();
            if channel == Channel::Lrar
                && let Err(e) = write_deposit_list(session, &mut world, &list, volume, settings, sink)
            {
                failures.push(e);
            }
        }
    }
    if !lrar.is_empty()
        && let Err(source) =
            pack::print::deposit_csv(&lrar, settings.csv).and_then(|csv| sink.write(Path::new("depot-lrar.csv"), &csv))
    {
        failures.push(RunError::Io {
            file: sink.root().to_path_buf(),
            action: "writing",
            path: PathBuf::from("depot-lrar.csv"),
            source,
        });
    }
    (packs, failures)
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panique sans message".to_string())
}

/// Writes the letters this run issued that the journal does not hold yet
/// as one journal file (none when there is nothing new).
fn record_in_journal(settings: &Settings, mut issued: Vec<Issued>) -> std::io::Result<()> {
    let Some(journal) = &settings.journal else { return Ok(()) };
    if issued.is_empty() {
        return Ok(());
    }
    issued.sort_by(|a, b| a.entry.cmp(&b.entry));
    let shard = settings.shard.map(|s| s.to_string());
    let ids: Vec<&str> = issued.iter().map(|i| i.entry.as_str()).collect();
    let run = crate::journal::run_id(settings.date, shard.as_deref(), &ids);
    let entries: Vec<crate::journal::Entry> = issued
        .into_iter()
        .map(|mut i| {
            i.run = run.clone();
            crate::journal::Entry::Issued(i)
        })
        .collect();
    let header = crate::journal::Header { relance_journal: crate::journal::FORMAT, run, date: settings.date, shard };
    crate::journal::write(&journal.dir, &header, &entries).map(|_| ())
}

/// What errors of one file are sorted by: the message without its place.
fn sort_message(e: &RunError) -> String {
    match e {
        RunError::Input(e) => e.message.clone(),
        other => other.message(),
    }
}

/// A case's manifest row, what its letter still needs, and its error as
/// read (with line and field) when its file failed.
struct Built {
    row: ManifestRow,
    delivery: Option<Delivery>,
    error: Option<RunError>,
    /// The journal entry of the letter built.
    issued: Option<Issued>,
}

impl Built {
    fn row(row: ManifestRow) -> Built {
        Built { row, delivery: None, error: None, issued: None }
    }

    fn failed(row: ManifestRow, error: RunError) -> Built {
        Built { row, delivery: None, error: Some(error), issued: None }
    }
}

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
fn scan(cases: &Path, session: &Session, settings: &Settings, stop: &(dyn Fn() -> bool + Sync)) -> Vec<Slot> {
    let found = crate::plan::case_paths(cases, &session.config_path);
    let mut ids: Vec<Option<Result<String, InputError>>> = (0..found.len()).map(|_| None).collect();
    fan_out(
        settings.jobs,
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
                if settings.shard.is_some_and(|s| !s.contains(id)) {
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
                if settings.shard.is_some_and(|s| !s.contains(&e.file.display().to_string())) {
                    continue;
                }
                Slot::Bad(Box::new(e.clone()))
            }
        };
        slots.push(slot);
    }
    slots
}

/// `relance build` into an output folder. The run writes into a fresh
/// folder beside it, which then replaces the previous output as a whole
/// (see [`crate::atomic::Output`]): `out` holds exactly what this run
/// produced. A folder that is not a previous output is refused before any
/// case is looked at.
pub fn build(session: &Session, cases: &Path, out: &Path, settings: &Settings) -> std::io::Result<BuildReport> {
    let output = crate::atomic::Output::prepare(out)?;
    std::fs::create_dir_all(output.staging.join("letters"))?;
    let report = build_to(session, cases, &pack::Folder(output.staging.clone()), settings)?;
    // The page the back office opens, made from the manifest just written.
    crate::report::write_for_run(&output.staging).map_err(std::io::Error::other)?;
    output.commit()?;
    Ok(report)
}

/// `relance build` into any [`Sink`]. Returns an error only when the
/// manifest cannot be written; a case that fails is in the manifest.
///
/// Memory stays bounded whatever the number of cases: the first pass keeps
/// one id per file, the second reads each case again as it builds it, rows
/// go to the manifest as they are done, letters are on disk before packs
/// read them back, and packs are typeset a volume at a time.
pub fn build_to(session: &Session, cases: &Path, sink: &dyn Sink, settings: &Settings) -> std::io::Result<BuildReport> {
    let date = settings.date;
    let cancelled = || settings.cancelled();
    let slots = scan(cases, session, settings, &cancelled);
    let shard = settings.shard.map(|s| s.to_string());
    let mut manifest = ManifestWriter::new(
        sink,
        &date.to_string(),
        shard.as_deref(),
        settings.record && settings.journal.is_some(),
        settings.csv,
    )?;
    let mut report = BuildReport::default();
    let mut courrier = Vec::new();
    let mut lrar = Vec::new();
    let mut calls = Vec::new();
    let progress = if settings.progress {
        indicatif::ProgressBar::new(slots.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    // Cases done out of all, the letters built so far, whole cases per
    // second.
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} dossiers · {msg} · {rate} · reste {eta}")
            .expect("valid template")
            .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} dossiers/s", state.per_sec());
            }),
    );
    progress.set_message("0 lettre");
    // Rows reach the manifest in file order; a few wait here for a slower
    // thread's case before theirs.
    let mut waiting = std::collections::BTreeMap::new();
    let mut next_row = 0;
    let mut issued = Vec::new();
    // What the journal will record, kept only when it will be recorded
    // and new to it: about 0.7 KiB a letter, 70 MiB over a 100,000-case run.
    let journal = settings.journal.as_deref().filter(|_| settings.record && !settings.draft);
    let mut record = |Built { row, delivery, error, issued: entry }: Built, report: &mut BuildReport| {
        if let Some(journal) = journal {
            issued.extend(entry.filter(|i| !journal.has(&i.entry)));
        }
        match delivery {
            Some(Delivery::Pack(Channel::Lrar, item)) => lrar.push(item),
            Some(Delivery::Pack(_, item)) => courrier.push(item),
            Some(Delivery::Call(call)) => calls.push(*call),
            _ => {}
        }
        report.rows += 1;
        report.warnings.add(&row);
        match row.status {
            Status::Letter => report.letters += 1,
            Status::Call => report.calls += 1,
            Status::Error => {
                report
                    .errors
                    .push(error.unwrap_or_else(|| InputError::new(Path::new(&row.source), row.error.clone()).into()));
                report.failures.push(row.clone());
            }
            Status::None => {}
        }
        manifest.push(&row);
    };
    // Cases go to the threads in batches of consecutive files; their
    // letters are typeset together (see `build_batch`), one at a time when
    // the templates count pages over the whole document.
    let batch = settings.batch.max(1);
    let together = if session.templates.batch_blocker().is_some() { 1 } else { batch };
    fan_out(
        settings.jobs,
        slots.len().div_ceil(batch),
        &cancelled,
        &|| session.world(),
        &|world, b| {
            let slots = &slots[b * batch..((b + 1) * batch).min(slots.len())];
            build_batch(session, world, slots, together, settings, sink)
        },
        |b, results| {
            for (k, result) in results.into_iter().enumerate() {
                progress.inc(1);
                waiting.insert(b * batch + k, result);
            }
            while let Some(result) = waiting.remove(&next_row) {
                record(result, &mut report);
                next_row += 1;
            }
            progress.set_message(match report.letters {
                0 | 1 => format!("{} lettre", report.letters),
                n => format!("{n} lettres"),
            });
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
        let started = std::time::Instant::now();
        let (made, failures) = write_packs(session, courrier, lrar, settings, sink);
        report.packs_time = started.elapsed();
        packs = made;
        report.errors.extend(failures);
        if let Err(e) = write_calls(session, calls, settings, sink) {
            report.errors.push(e);
        }
    }
    report.errors.sort_by_cached_key(|e| (e.file().to_path_buf(), sort_message(e)));
    report.failed = report.failures.len() + usize::from(report.rows == 0 && !report.errors.is_empty());
    // Letters, e-mails and packs reach the disk before the journal and the
    // manifest that list them; then the manifest's own rename. Killed
    // before the journal is written, the run is made again: it issues the
    // same letters (same bytes) and records them.
    sink.sync()?;
    if settings.record && !settings.draft {
        record_in_journal(settings, issued)?;
    }
    manifest.finish(&report.errors, &packs, report.interrupted)?;
    sink.sync()?;
    Ok(report)
}
