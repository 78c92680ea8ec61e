//! Typst as a library: rendered markup in, PDF bytes out.
//!
//! [`Fonts`] are loaded once per process and shared; a [`LetterWorld`] is
//! made per thread and reused letter after letter (one fixed main file id,
//! only its text changes), so Typst's memoization works across letters.
//! The world serves only the files of the template folder: no packages, no
//! file system, no absolute paths.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use typst::diag::{FileError, FileResult, SourceDiagnostic};

use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::{Page, PagedDocument};
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::templates::TemplateSet;

/// The fonts every letter can use: the ones embedded in Typst (Libertinus
/// Serif for text, New Computer Modern, DejaVu Sans Mono) plus any `.otf` /
/// `.ttf` in the template folder's `fonts/`. Never the system's fonts, so a
/// letter looks the same on every machine.
pub struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl Fonts {
    /// Typst's embedded fonts plus the template folder's `fonts/`.
    pub fn load(templates: &TemplateSet) -> Arc<Fonts> {
        let mut fonts: Vec<Font> = typst_kit::fonts::embedded().map(|(f, _)| f).collect();
        for (name, data) in templates.files.iter() {
            let lower = name.to_ascii_lowercase();
            if name.starts_with("fonts/") && (lower.ends_with(".otf") || lower.ends_with(".ttf")) {
                fonts.extend(Font::iter(Bytes::new(data.clone())));
            }
        }
        let book = FontBook::from_fonts(fonts.iter());
        Arc::new(Fonts { book: LazyHash::new(book), fonts })
    }
}

fn library() -> &'static LazyHash<Library> {
    static LIB: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIB.get_or_init(|| LazyHash::new(Library::default()))
}

/// How many compiles an unused cached result of Typst survives.
const CACHE_AGE: usize = 3;

/// The id of the letter being compiled; fixed so that caches carry over.
fn main_id() -> FileId {
    static ID: OnceLock<FileId> = OnceLock::new();
    *ID.get_or_init(|| {
        RootedPath::new(VirtualRoot::Project, VirtualPath::new("/__letter__.typ").expect("valid path")).intern()
    })
}

/// One compilation context; reuse it for many letters on one thread.
pub struct LetterWorld {
    fonts: Arc<Fonts>,
    templates: TemplateSet,
    /// Parsed `.typ` files of the template folder, parsed once.
    sources: HashMap<FileId, Source>,
    main: Source,
    today: NaiveDate,
    /// Files of the current document that do not come from the template
    /// folder (case data, invoice copies, letters of a pack), served under
    /// `/__data__/`; replaced for every document.
    data: HashMap<String, Bytes>,
    /// The letters of the batch being typeset, each its own file
    /// ([`slot_id`]), kept from batch to batch so that Typst reparses only
    /// what changed.
    slots: Vec<Source>,
}

/// The label of the mark that opens every letter (its first page) and of
/// the one that closes it (its last page): `layout.typ` numbers a letter's
/// pages between the two, and a batch is cut into letters at the first.
pub const START_LABEL: &str = "relance-lettre";
/// See [`START_LABEL`].
pub const END_LABEL: &str = "relance-fin";

/// The Typst file of a letter: its markup between the marks that tell
/// where it starts and ends in a batch. What `relance render --format typ`
/// prints, and what `layout.typ` counts pages with.
pub fn letter_source(markup: &str) -> String {
    format!("#metadata(\"début\") <{START_LABEL}>\n{markup}\n#metadata(\"fin\") <{END_LABEL}>\n")
}

/// Time the letters of this process spent in Typst, all threads added up
/// (`RELANCE_TIMING=1 relance build` prints it; the benchmark's attempts
/// are measured with it).
struct Times {
    layout: AtomicU64,
    export: AtomicU64,
}

static TIMES: Times = Times { layout: AtomicU64::new(0), export: AtomicU64::new(0) };

/// Seconds of layout (Typst compiles) and of PDF export of the letters so
/// far, all threads added up.
pub fn letter_times() -> (f64, f64) {
    let secs = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e9;
    (secs(&TIMES.layout), secs(&TIMES.export))
}

/// The file of the `k`-th letter of a batch.
fn slot_id(k: usize) -> FileId {
    RootedPath::new(VirtualRoot::Project, VirtualPath::new(format!("/__lettre-{k}__.typ")).expect("valid path"))
        .intern()
}

/// Whether `id` is a letter of a batch (markup relance generated).
fn is_slot(id: FileId) -> bool {
    matches!(id.get().root(), VirtualRoot::Project) && id.get().vpath().get_without_slash().starts_with("__lettre-")
}

/// The document of a batch of `n` letters: each included from its own
/// file, on pages of its own.
fn batch_markup(n: usize) -> String {
    (0..n).map(|k| format!("#include \"/__lettre-{k}__.typ\"\n")).collect::<Vec<_>>().join("#pagebreak(weak: true)\n")
}

/// A letter to typeset in a batch ([`LetterWorld::compile_letters`]).
#[derive(Debug, Clone)]
pub struct LetterJob {
    /// Its markup (put between the marks of [`letter_source`] here).
    pub markup: String,
    /// How to export it. Letters of one batch share the date and serve no
    /// data file (a batch where they do not is typeset letter by letter).
    pub export: Export,
    /// The PDF's title (relance's, whatever the template sets: a batch's
    /// `set document` is that of its last letter).
    pub title: String,
    /// The PDF's author.
    pub author: String,
}

/// Prefix of the virtual folder holding a document's own data files.
pub const DATA_DIR: &str = "__data__/";

/// How a document is exported.
#[derive(Debug, Clone)]
pub struct Export {
    /// The run date: PDF creation date and `datetime.today()`, so that a
    /// rebuild gives the same bytes.
    pub date: NaiveDate,
    /// A stable document identifier (case id and level, or pack name).
    pub ident: String,
    /// PDF/A-3b, for letters kept in archives.
    pub archival: bool,
    /// Files served under `/__data__/NAME`.
    pub data: Vec<(String, Vec<u8>)>,
    /// For a letter: at most this many pages, and no text over other text
    /// or past the page's edge. `None` for packs (pages of letters already
    /// checked).
    pub checks: Option<LetterChecks>,
}

/// What a letter's layout must respect.
#[derive(Debug, Clone, Copy)]
pub struct LetterChecks {
    /// Most pages a letter may take (a template looping on pages is stopped
    /// here).
    pub max_pages: usize,
}

/// Why a document could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// Typst refused the markup.
    Typst(TypesetError),
    /// More pages than a letter may have.
    Pages {
        /// Pages laid out.
        pages: usize,
        /// The limit.
        max: usize,
    },
    /// Text past the page's edge or over other text.
    Overflow(crate::layout_check::Overflow),
}

impl From<TypesetError> for CompileError {
    fn from(e: TypesetError) -> CompileError {
        CompileError::Typst(e)
    }
}

/// A document Typst refused, with each of its diagnostics kept whole:
/// message, hints and the place in the markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypesetError {
    /// Typst's errors, in its order.
    pub diagnostics: Vec<TypstDiagnostic>,
}

/// One error of Typst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypstDiagnostic {
    /// Typst's message.
    pub message: String,
    /// Typst's hints, in order.
    pub hints: Vec<String>,
    /// Where in the markup, when Typst says.
    pub place: Option<MarkupPlace>,
}

/// A place in the markup Typst compiled: a file of the template folder
/// (`layout.typ`) or the generated markup of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkupPlace {
    /// `layout.typ`, or [`GENERATED`] for the markup the template rendered.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The whole line, as compiled.
    pub source_line: String,
    /// The offending text's byte range within `source_line`.
    pub range: std::ops::Range<usize>,
    /// The Jinja template line the offending text was found on (template
    /// name, 1-based line), when it appears on exactly one line there.
    pub template_line: Option<(String, usize)>,
}

/// The name of the generated markup in diagnostics.
pub const GENERATED: &str = "rendered letter";

impl MarkupPlace {
    /// The offending text.
    pub fn snippet(&self) -> &str {
        self.source_line.get(self.range.clone()).unwrap_or("")
    }
}

impl TypstDiagnostic {
    /// One line: the template line it comes from (or else the template
    /// `document` that produced the markup), the place in the markup, the
    /// message and the hints.
    pub fn line(&self, document: &str) -> String {
        let mut out = String::new();
        match &self.place {
            Some(p) => {
                match &p.template_line {
                    Some((template, line)) => out.push_str(&format!("{template}:{line}: ")),
                    None if p.file == GENERATED => out.push_str(&format!("{document}: ")),
                    None => {}
                }
                out.push_str(&format!("{}:{}:{}: ", p.file, p.line, p.column));
            }
            None => out.push_str(&format!("{document}: ")),
        }
        out.push_str(&self.message);
        for h in &self.hints {
            out.push_str(&format!(" (hint: {h})"));
        }
        out
    }
}

impl TypesetError {
    /// Every diagnostic on one line, separated by "; " (a manifest cell);
    /// `document` names the template or file the markup came from. The
    /// terminal shows them with the markup underlined
    /// ([`crate::diagnostic`]).
    pub fn summary(&self, document: &str) -> String {
        self.diagnostics.iter().map(|d| d.line(document)).collect::<Vec<_>>().join("; ")
    }
}

impl std::fmt::Display for TypesetError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.summary("<document>"))
    }
}

impl std::error::Error for TypesetError {}

impl TypesetError {
    /// An error of the PDF export that has no place in the markup.
    fn plain(message: impl Into<String>) -> TypesetError {
        TypesetError { diagnostics: vec![TypstDiagnostic { message: message.into(), hints: vec![], place: None }] }
    }

    /// Finds, for each diagnostic in the generated markup, the line of the
    /// Jinja template it comes from: the one line of `templates` (the
    /// level's template first) that holds the offending text. Where the
    /// text is data, or appears on several lines, nothing is claimed.
    pub fn locate_in(&mut self, templates: &TemplateSet, first: &str) {
        for d in &mut self.diagnostics {
            let Some(place) = &mut d.place else { continue };
            if place.file != GENERATED {
                continue;
            }
            place.template_line = templates.find_line(place.snippet().trim(), first);
        }
    }
}

impl LetterWorld {
    /// A world over the shared fonts and the template set.
    pub fn new(fonts: Arc<Fonts>, templates: TemplateSet) -> LetterWorld {
        let sources = templates
            .files
            .iter()
            .filter(|(name, _)| name.ends_with(".typ"))
            .filter_map(|(name, bytes)| {
                let id = RootedPath::new(VirtualRoot::Project, VirtualPath::new(format!("/{name}")).ok()?).intern();
                Some((id, Source::new(id, String::from_utf8(bytes.clone()).ok()?)))
            })
            .collect();
        LetterWorld {
            fonts,
            templates,
            sources,
            main: Source::new(main_id(), String::new()),
            today: NaiveDate::MIN,
            data: HashMap::new(),
            slots: Vec::new(),
        }
    }

    /// The template folder this world serves.
    pub fn templates(&self) -> &TemplateSet {
        &self.templates
    }

    /// Drops every cached result of Typst, of every world of the process,
    /// and hands the memory this frees back to the system. Between stages
    /// of a run (after the letters, after each pack volume): a pack volume's
    /// decoded letters are of no use to the next one, and `compile_pdf`
    /// keeps what the last few compiles used, which for volumes of a hundred
    /// letters is hundreds of megabytes.
    ///
    /// mimalloc (the binary's allocator) otherwise keeps freed pages for a
    /// while, and pages of the finished letter threads were still counted
    /// when the pack volumes allocated theirs: on 1,000 cases with 1 thread
    /// the peak was 116–127 MiB without this collect and 94–97 MiB with it
    /// (3 runs each), the time unchanged within noise. When the allocator
    /// is not mimalloc (tests), the collect has nothing to do.
    pub fn forget_caches() {
        typst::comemo::evict(0);
        // SAFETY: mi_collect takes no pointer; it only frees pages mimalloc
        // holds and no longer uses.
        unsafe { libmimalloc_sys::mi_collect(true) };
    }

    /// Typesets `markup` to PDF; returns the bytes and the page count.
    pub fn compile_pdf(&mut self, markup: String, mut export: Export) -> Result<(Vec<u8>, usize), CompileError> {
        set_main(&mut self.main, &markup);
        self.today = export.date;
        self.data = std::mem::take(&mut export.data).into_iter().map(|(k, v)| (k, Bytes::new(v))).collect();
        let result = self.laid_out(export.checks).and_then(|document| self.export(&document, &export));
        self.data.clear();
        // Keep memory bounded across thousands of letters, failed ones too:
        // keep only what the last three compiles (of any thread) used. On
        // 1,000 letters with 2 threads (median of 5 runs each) this took the
        // peak RSS from 149,692 KB (10 compiles) to 127,956 KB, the time
        // unchanged within noise.
        typst::comemo::evict(CACHE_AGE);
        result
    }

    /// Typesets letters together, in one Typst compile, and exports each as
    /// its own PDF from its own pages: its own metadata, identifier, date
    /// and attachments (a PDF document made of a letter's pages holds only
    /// the elements of those pages). Results come in the order of `jobs`.
    ///
    /// The bytes of a letter do not depend on the batch it is typeset in:
    /// every letter is its own file of the compiled document, starts on a
    /// page of its own, and its PDF is made of its pages alone, numbered
    /// from 1. When the batch fails (one letter's markup refused, a
    /// template that does not start each letter on a page of its own),
    /// each letter is typeset alone, so that every letter gets its own
    /// result and its own error.
    pub fn compile_letters(&mut self, jobs: &[LetterJob]) -> Vec<Result<(Vec<u8>, usize), CompileError>> {
        let n = jobs.len();
        if n == 0 {
            return Vec::new();
        }
        let alone = n == 1;
        let same_run = jobs.iter().all(|j| j.export.date == jobs[0].export.date && j.export.data.is_empty());
        let laid_out = if alone || same_run { Some(self.lay_out_batch(jobs)) } else { None };
        let t0 = std::time::Instant::now();
        let results = match laid_out {
            Some(Ok(ranges)) => {
                let results = jobs.iter().zip(ranges).map(|(job, pages)| self.export_letter(pages, job)).collect();
                TIMES.export.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
                results
            }
            Some(Err(error)) if alone => vec![Err(error)],
            _ => jobs.iter().flat_map(|job| self.compile_letters(std::slice::from_ref(job))).collect(),
        };
        self.data.clear();
        typst::comemo::evict(CACHE_AGE);
        results
    }

    /// Lays the letters of `jobs` out as one document; returns each one's
    /// pages. A batch whose letters cannot be told apart is an error (the
    /// caller then typesets them one by one).
    fn lay_out_batch(&mut self, jobs: &[LetterJob]) -> Result<Vec<Vec<Page>>, CompileError> {
        let n = jobs.len();
        while self.slots.len() < n {
            let id = slot_id(self.slots.len());
            self.slots.push(Source::new(id, String::new()));
        }
        for (slot, job) in self.slots.iter_mut().zip(jobs) {
            set_main(slot, &letter_source(&job.markup));
        }
        set_main(&mut self.main, &batch_markup(n));
        self.today = jobs[0].export.date;
        self.data = jobs[0].export.data.iter().map(|(k, v)| (k.clone(), Bytes::new(v.clone()))).collect();
        let t0 = std::time::Instant::now();
        let warned = typst::compile::<PagedDocument>(self);
        TIMES.layout.fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
        let document = warned.output.map_err(|errs| self.diagnostics(&errs))?;
        let pages = document.pages();
        if n == 1 {
            return Ok(vec![pages.to_vec()]);
        }
        // Each letter's first page: the page of its start mark.
        use typst::introspection::Introspector;
        let introspector = document.introspector().as_ref();
        let label = typst::foundations::Label::new(typst::utils::PicoStr::intern(START_LABEL)).expect("a label");
        let starts: Vec<usize> = introspector
            .query(&typst::foundations::Selector::Label(label))
            .iter()
            .filter_map(|mark| mark.location())
            .filter_map(|loc| introspector.page(loc))
            .map(|p| p.get() - 1)
            .collect();
        let apart = starts.len() == n && starts[0] == 0 && starts.windows(2).all(|w| w[0] < w[1]);
        if !apart {
            return Err(TypesetError::plain("letters of a batch share a page").into());
        }
        Ok((0..n).map(|k| pages[starts[k]..starts.get(k + 1).copied().unwrap_or(pages.len())].to_vec()).collect())
    }

    /// The PDF of one letter of a batch, from its pages.
    fn export_letter(&self, pages: Vec<Page>, job: &LetterJob) -> Result<(Vec<u8>, usize), CompileError> {
        let pages: typst::ecow::EcoVec<Page> = pages
            .into_iter()
            .enumerate()
            .map(|(i, mut page)| {
                // Numbered within the letter, wherever it sat in the batch.
                page.number = i as u64 + 1;
                page
            })
            .collect();
        let info = typst::model::DocumentInfo {
            title: Some(job.title.as_str().into()),
            author: vec![job.author.as_str().into()],
            ..Default::default()
        };
        let document = PagedDocument::new(pages, info);
        self.check(&document, job.export.checks)?;
        self.export(&document, &job.export)
    }

    /// A letter's layout against its checks.
    fn check(&self, document: &PagedDocument, checks: Option<LetterChecks>) -> Result<(), CompileError> {
        if let Some(checks) = checks {
            let pages = document.pages().len();
            if pages > checks.max_pages {
                return Err(CompileError::Pages { pages, max: checks.max_pages });
            }
            if let Some(overflow) = crate::layout_check::first_overflow(document) {
                return Err(CompileError::Overflow(overflow));
            }
        }
        Ok(())
    }

    /// Typesets `markup` and rasterises each page to PNG at `dpi`, with
    /// Typst's own renderer (`relance render --format png`).
    pub fn compile_png(&mut self, markup: String, export: Export, dpi: f32) -> Result<Vec<Vec<u8>>, CompileError> {
        set_main(&mut self.main, &markup);
        self.today = export.date;
        self.data = export.data.into_iter().map(|(k, v)| (k, Bytes::new(v))).collect();
        let result = self.laid_out(export.checks).and_then(|document| {
            document
                .pages()
                .iter()
                .map(|page| {
                    let options = typst_render::RenderOptions {
                        pixel_per_pt: typst::utils::Scalar::new(f64::from(dpi) / 72.0),
                        ..typst_render::RenderOptions::default()
                    };
                    typst_render::render(page, &options)
                        .encode_png()
                        .map_err(|e| CompileError::from(TypesetError::plain(format!("PNG: {e}"))))
                })
                .collect()
        });
        self.data.clear();
        typst::comemo::evict(CACHE_AGE);
        result
    }

    /// The laid-out document, checked for a letter.
    fn laid_out(&self, checks: Option<LetterChecks>) -> Result<PagedDocument, CompileError> {
        let warned = typst::compile::<PagedDocument>(self);
        let document = warned.output.map_err(|errs| self.diagnostics(&errs))?;
        self.check(&document, checks)?;
        Ok(document)
    }

    /// The PDF of a laid-out document and its page count.
    fn export(&self, document: &PagedDocument, export: &Export) -> Result<(Vec<u8>, usize), CompileError> {
        let date = export.date;
        let datetime = Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8)
            .ok_or_else(|| TypesetError::plain(format!("date {date} cannot be a PDF date")))?;
        let standards = if export.archival {
            PdfStandards::new(&[PdfStandard::A_3b]).map_err(|e| TypesetError::plain(e.message().to_string()))?
        } else {
            PdfStandards::default()
        };
        let options = PdfOptions {
            ident: Smart::Custom(export.ident.clone()),
            timestamp: Some(Timestamp::new_utc(datetime)),
            creator: Smart::Custom(Some(format!("relance {}", env!("CARGO_PKG_VERSION")))),
            standards,
            ..PdfOptions::default()
        };
        let pages = document.pages().len();
        let pdf = typst_pdf::pdf(document, &options).map_err(|errs| self.diagnostics(&errs))?;
        Ok((pdf, pages))
    }

    /// Typesets a markup fragment on one unbounded line and returns the text
    /// Typst laid out, in order: what the escaper's property is checked
    /// against (tests and fuzzing).
    pub fn typeset_text(&mut self, fragment: &str) -> Result<String, TypesetError> {
        let markup = format!(
            "#set page(width: auto, height: auto, margin: 0pt)\n#set text(font: \"Libertinus Serif\")\n{fragment}"
        );
        set_main(&mut self.main, &markup);
        let result = typst::compile::<PagedDocument>(self)
            .output
            .map_err(|errs| self.diagnostics(&errs))
            .map(|doc| doc.pages().iter().map(|page| collect_text(self, &page.frame)).collect::<String>());
        typst::comemo::evict(CACHE_AGE);
        result
    }

    /// Typst's diagnostics as values, each with its place and line.
    fn diagnostics(&self, diags: &[SourceDiagnostic]) -> TypesetError {
        let diagnostics = diags
            .iter()
            .map(|d| TypstDiagnostic {
                message: d.message.to_string(),
                hints: d.hints.iter().map(|h| h.v.to_string()).collect(),
                place: self.place(d.span),
            })
            .collect();
        TypesetError { diagnostics }
    }

    /// The place of a span: file, line, column and the line's text.
    fn place(&self, span: typst::syntax::DiagSpan) -> Option<MarkupPlace> {
        let id = span.id()?;
        let file = if id == main_id() || is_slot(id) {
            GENERATED.to_string()
        } else {
            id.get().vpath().get_without_slash().to_string()
        };
        let range = self.range(span)?;
        let src = self.source(id).ok()?;
        let lines = src.lines();
        let (line, _) = lines.byte_to_line_column(range.start)?;
        let start = lines.line_to_byte(line)?;
        let text = src.text();
        let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        let source_line = text[start..end].trim_end_matches('\r').to_string();
        let from = range.start - start;
        let to = (range.end.min(end) - start).max(from).min(source_line.len());
        Some(MarkupPlace {
            file,
            line: line + 1,
            column: source_line[..from.min(source_line.len())].chars().count() + 1,
            source_line,
            range: from..to,
            template_line: None,
        })
    }

    fn template_file(&self, id: FileId) -> FileResult<&Vec<u8>> {
        if !matches!(id.get().root(), VirtualRoot::Project) {
            return Err(FileError::AccessDenied);
        }
        let path = id.get().vpath().get_without_slash();
        self.templates.files.get(path).ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn data_file(&self, id: FileId) -> Option<Bytes> {
        if !matches!(id.get().root(), VirtualRoot::Project) {
            return None;
        }
        let path = id.get().vpath().get_without_slash();
        self.data.get(path.strip_prefix(DATA_DIR)?).cloned()
    }
}

/// Replaces the text of `source` by `new`, reparsing only what changed.
///
/// Not `Source::replace`: in typst-syntax 0.15.1 its prefix/suffix diff can
/// grow the common suffix into the common prefix when the only change swaps
/// characters of different UTF-8 lengths that end in the same bytes (U+10FFFF
/// then U+D7FF), and then panics slicing `new[prefix..new.len() - suffix]`.
/// Here the suffix is bounded by what is left after the prefix and moved
/// back, never forward, to a character boundary.
fn set_main(source: &mut Source, new: &str) {
    let old = source.text();
    let (prefix, suffix) = edit_range(old, new);
    if prefix == old.len() && prefix == new.len() {
        return;
    }
    let with = new[prefix..new.len() - suffix].to_string();
    source.edit(prefix..old.len() - suffix, &with);
}

/// The common prefix and suffix of `old` and `new`, in bytes, on character
/// boundaries of both and not overlapping in either.
fn edit_range(old: &str, new: &str) -> (usize, usize) {
    let mut prefix = old.bytes().zip(new.bytes()).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let room = old.len().min(new.len()) - prefix;
    let mut suffix = old.bytes().rev().zip(new.bytes().rev()).take(room).take_while(|(a, b)| a == b).count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (prefix, suffix)
}

/// The text Typst laid out in `frame`, in reading (logical) order, once per
/// cluster.
///
/// Glyphs come in visual order: a right-to-left run ("ح?ܩ") is laid out
/// reversed, and a cluster can be several glyphs, even in several items
/// (Typst puts a combining mark it raises, `a` + U+030E, in an item of its
/// own, each item holding the cluster's text: read item by item, "a̎b" comes
/// back "a̎a̎b"). Every glyph of a cluster points at the cluster's place in
/// the source, so clusters are put back in source order, each read once.
fn collect_text(world: &LetterWorld, frame: &typst::layout::Frame) -> String {
    let mut clusters = Vec::new();
    gather_clusters(world, frame, &mut clusters);
    clusters.sort_by_key(|(key, _)| *key);
    clusters.dedup_by_key(|(key, _)| *key);
    clusters.into_iter().map(|(_, text)| text).collect()
}

fn gather_clusters(world: &LetterWorld, frame: &typst::layout::Frame, out: &mut Vec<(usize, String)>) {
    for (_, item) in frame.items() {
        match item {
            typst::layout::FrameItem::Group(g) => gather_clusters(world, &g.frame, out),
            typst::layout::FrameItem::Text(t) => {
                for g in &t.glyphs {
                    // A glyph without a source place keeps its layout position.
                    let key = world
                        .range(g.span.0)
                        .map(|r| r.start + usize::from(g.span.1))
                        .or(out.last().map(|(k, _)| *k))
                        .unwrap_or(0);
                    out.push((key, t.text[g.range()].to_string()));
                }
            }
            _ => {}
        }
    }
}

impl World for LetterWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        main_id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == main_id() {
            return Ok(self.main.clone());
        }
        if let Some(slot) = self.slots.iter().find(|s| s.id() == id) {
            return Ok(slot.clone());
        }
        if let Some(source) = self.sources.get(&id) {
            return Ok(source.clone());
        }
        let bytes = self.template_file(id)?;
        let text = std::str::from_utf8(bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_string()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == main_id() {
            return Ok(Bytes::from_string(self.main.text().to_string()));
        }
        if let Some(slot) = self.slots.iter().find(|s| s.id() == id) {
            return Ok(Bytes::from_string(slot.text().to_string()));
        }
        if let Some(bytes) = self.data_file(id) {
            return Ok(bytes);
        }
        self.template_file(id).map(|b| Bytes::new(b.clone()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Datetime::from_ymd(self.today.year(), self.today.month() as u8, self.today.day() as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the edit `edit_range` finds and checks it gives `new`.
    fn apply(old: &str, new: &str) -> String {
        let (prefix, suffix) = edit_range(old, new);
        assert!(prefix + suffix <= old.len().min(new.len()), "{old:?} → {new:?}: {prefix} + {suffix}");
        format!("{}{}{}", &old[..prefix], &new[prefix..new.len() - suffix], &old[old.len() - suffix..])
    }

    #[test]
    fn edit_range_never_overlaps_on_multibyte_swaps() {
        // The pair that made Source::replace panic (found scanning code points after a fuzz finding).
        for (old, new) in [
            ("a\u{10FFFF}b", "a\u{D7FF}b"),
            ("a\u{D7FF}b", "a\u{10FFFF}b"),
            ("Zoë", "Zoï"),
            ("é", "è"),
            ("", "x"),
            ("x", ""),
            ("same", "same"),
            ("aXa", "a"),
        ] {
            assert_eq!(apply(old, new), new);
        }
    }

    proptest::proptest! {
        #[test]
        fn edit_range_rebuilds_new(old in "\\PC{0,12}", new in "\\PC{0,12}") {
            proptest::prop_assert_eq!(apply(&old, &new), new);
        }
    }

    #[test]
    fn world_survives_the_swap_that_panicked_typst() {
        let templates = TemplateSet::builtin();
        let mut world = LetterWorld::new(Fonts::load(&templates), templates);
        assert_eq!(world.typeset_text("a\u{10FFFF}b").unwrap().replace('\u{10FFFF}', ""), "ab");
        assert_eq!(world.typeset_text("a\u{D7FF}b").unwrap().replace('\u{D7FF}', ""), "ab");
    }
}
