//! relance: unpaid invoices in, French dunning letters out.
//!
//! The pipeline runs one way, one module per stage:
//! [`case`] (load and validate YAML) → [`law`] (what is owed) →
//! [`escalation`] (which letter) → [`letter`] (what the template sees) →
//! [`render`] (Jinja → Typst markup) → [`typeset`] (Typst → PDF) →
//! [`pack`] (files and manifest). `main.rs` is only the command line.

pub mod case;
pub mod check;
pub mod escalation;
pub mod explain;
pub mod law;
pub mod letter;
pub mod money;
pub mod pack;
pub mod render;
pub mod run;
pub mod typeset;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use minijinja::Value;

use case::{Config, InputError, Level, LoadedCase};
use escalation::Decision;
use law::{RateTable, Statement};
use pack::{ManifestRow, Status};
use render::{Renderer, TemplateSet};
use typeset::{Fonts, LetterWorld};

/// A problem that stops the whole run before any case is looked at
/// (exit code 2): the config or the templates are unusable.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Config(#[from] InputError),
    #[error("{0}")]
    Templates(#[from] render::RenderError),
    #[error("{path}: no creditor config; expected relance.yaml in the cases folder, or pass --config FILE")]
    NoConfig { path: PathBuf },
    #[error("{0}")]
    Rates(String),
}

/// What is loaded once per run and shared by every letter.
pub struct Session {
    pub config: Config,
    pub config_path: PathBuf,
    pub templates: TemplateSet,
    pub renderer: Renderer,
    pub fonts: Arc<Fonts>,
    pub rates: RateTable,
}

impl Session {
    /// Loads the creditor config, the template folder and the rate table
    /// (`rates`: a CSV laid out like data/rates.csv; `None`: the table built
    /// into relance).
    /// `templates_dir`: `None` for the templates built into relance.
    pub fn open(config_path: &Path, templates_dir: Option<&Path>, rates: Option<&Path>) -> Result<Session, SetupError> {
        if !config_path.is_file() {
            return Err(SetupError::NoConfig { path: config_path.to_path_buf() });
        }
        let config = case::load_config(config_path)?;
        Session::with_config(config, config_path, templates_dir, rates)
    }

    /// Like [`Session::open`] with a config already loaded.
    pub fn with_config(
        config: Config,
        config_path: &Path,
        templates_dir: Option<&Path>,
        rates: Option<&Path>,
    ) -> Result<Session, SetupError> {
        let templates = match templates_dir {
            Some(dir) => TemplateSet::load(dir)?,
            None => TemplateSet::builtin(),
        };
        let renderer = Renderer::new(&templates);
        let fonts = Fonts::load(&templates);
        let rates = match rates {
            None => RateTable::builtin(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| SetupError::Rates(format!("{}: cannot read: {e}", path.display())))?;
                RateTable::parse(&text).map_err(|e| SetupError::Rates(format!("{}: {e}", path.display())))?
            }
        };
        Ok(Session { config, config_path: config_path.to_path_buf(), templates, renderer, fonts, rates })
    }

    pub fn world(&self) -> LetterWorld {
        LetterWorld::new(self.fonts.clone(), self.templates.clone())
    }
}

/// The config path for a cases folder when `--config` is not given.
pub fn default_config_path(cases: &Path) -> PathBuf {
    if cases.is_dir() {
        cases.join("relance.yaml")
    } else {
        cases.parent().unwrap_or(Path::new(".")).join("relance.yaml")
    }
}

/// The decision for one case at one date.
pub struct Planned {
    pub loaded: LoadedCase,
    /// The computation's error is the case file's.
    pub outcome: Result<(Statement, Decision), InputError>,
}

/// Computes what each case owes and which letter it is due for.
pub fn plan_case(session: &Session, loaded: LoadedCase, date: NaiveDate, forced: Option<Level>) -> Planned {
    let outcome = law::statement(&loaded.case, &session.config.terms, &session.rates, date)
        .map(|owed| {
            let decision = escalation::decide(&loaded.case, &session.config, &owed, date, forced);
            (owed, decision)
        })
        .map_err(|e| InputError::new(&loaded.path, e.to_string()));
    Planned { loaded, outcome }
}

/// The case files a `CASES` argument names: a folder's case files (see
/// [`case::case_files`]), or one file.
pub fn case_paths(cases: &Path, config_path: &Path) -> Vec<Result<PathBuf, InputError>> {
    if cases.is_file() {
        vec![Ok(cases.to_path_buf())]
    } else if cases.is_dir() {
        case::case_files(cases, Some(config_path))
    } else {
        vec![Err(InputError::new(cases, "no such file or folder; expected a folder of case files"))]
    }
}

/// Loads every case under `cases` (a folder, or a single file).
pub fn load_cases(cases: &Path, config_path: &Path) -> (Vec<LoadedCase>, Vec<InputError>) {
    case::load_cases(case_paths(cases, config_path))
}

/// A letter ready to write.
pub struct BuiltLetter {
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub markup: String,
}

/// The "PROJET" watermark of drafts, set before the template's own markup
/// so that it covers every page.
const DRAFT_WATERMARK: &str = "#set page(foreground: place(center + horizon, rotate(-40deg, text(size: 120pt, weight: \"bold\", fill: rgb(200, 30, 30, 55))[PROJET])))\n";

/// Renders and typesets the letter for a planned case: PDF/A-3b with the
/// case, the décompte and the decision attached as JSON.
#[allow(clippy::too_many_arguments)]
pub fn build_letter(
    session: &Session,
    world: &mut LetterWorld,
    case: &case::Case,
    owed: &Statement,
    decision: &Decision,
    date: NaiveDate,
    draft: bool,
) -> Result<Option<BuiltLetter>, String> {
    let Decision::Send { level, channel, deadline, deadline_days, .. } = decision else {
        return Ok(None);
    };
    let ctx = letter::context(case, &session.config, owed, *level, *channel, date, *deadline, *deadline_days);
    let rendered = session.renderer.render(*level, &Value::from_serialize(&ctx)).map_err(|e| e.to_string())?;
    let data = serde_json::to_vec_pretty(&serde_json::json!({
        "generator": format!("relance {}", env!("CARGO_PKG_VERSION")),
        "date": date,
        "draft": draft,
        "case": case,
        "statement": owed,
        "decision": decision,
    }))
    .expect("case data serializes");
    let mut markup = String::new();
    if draft {
        markup.push_str(DRAFT_WATERMARK);
    }
    markup.push_str(&rendered);
    let description =
        format!("Dossier {} : données, décompte au {} et décision ({}), calculés par relance", case.id, date, level);
    markup.push_str(&format!(
        "\n#pdf.attach(\"relance-{id}.json\", read(\"/{dir}case.json\", encoding: none), relationship: \"data\", mime-type: \"application/json\", description: {desc})\n",
        id = case.id,
        dir = typeset::DATA_DIR,
        desc = render::typst_string(&description),
    ));
    let export = typeset::Export {
        date,
        ident: format!("relance/{}/{}/{}", case.id, level, date),
        archival: true,
        data: vec![("case.json".to_string(), data)],
    };
    let (pdf, pages) = world.compile_pdf(markup.clone(), export).map_err(|e| e.to_string())?;
    Ok(Some(BuiltLetter { pdf, pages, markup }))
}

/// The file name of a letter: `<id>-<level>.pdf`.
pub fn letter_file_name(id: &str, level: Level) -> String {
    format!("{id}-{}.pdf", level.as_str())
}

/// An amount for the manifest: always two decimals, dot separator.
fn cents(d: rust_decimal::Decimal) -> String {
    format!("{:.2}", d)
}

/// The manifest row of a planned case, before any file is written.
pub fn base_row(planned: &Planned) -> ManifestRow {
    let case = &planned.loaded.case;
    let mut row = ManifestRow {
        id: case.id.0.clone(),
        source: planned.loaded.path.display().to_string(),
        debtor: case.debtor.name.clone(),
        debtor_type: if case.debtor.is_b2b() { "professionnel" } else { "particulier" }.to_string(),
        ..ManifestRow::default()
    };
    if let Ok((owed, decision)) = &planned.outcome {
        row.principal = cents(owed.principal);
        row.penalties = cents(owed.penalties);
        row.indemnities = cents(owed.indemnities);
        row.total = cents(owed.total);
        row.warnings = owed.warnings.join(" | ");
        match decision {
            Decision::Send { level, channel, channel_note, .. } => {
                row.status = Status::Letter;
                row.level = level.as_str().to_string();
                row.channel = channel.as_str().to_string();
                row.reason = channel_note.clone().unwrap_or_default();
            }
            Decision::Skip { reason } => row.reason = reason.clone(),
        }
    }
    row
}
