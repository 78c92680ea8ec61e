//! What is loaded once per run and shared by every letter: the creditor's
//! config, the templates, the fonts and the rate table.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::case::{self, Config, InputError};
use crate::law::{RateTable, RatesError};
use crate::render::Renderer;
use crate::templates::{TemplateSet, TemplateSetError};
use crate::typeset::{Fonts, LetterWorld};

/// A problem that stops the whole run before any case is looked at
/// (exit code 2): the config, the templates or the rate table are unusable.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The creditor config is invalid.
    #[error("{0}")]
    Config(#[from] InputError),
    /// The template folder is unusable.
    #[error("{0}")]
    Templates(#[from] TemplateSetError),
    /// No config where one was expected.
    #[error("{}: pas de configuration du créancier ; attendu : relance.yaml dans le dossier des dossiers, ou --config FICHIER", path.display())]
    NoConfig {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The `--rates` file cannot be read.
    #[error("{}: {source}", path.display())]
    RatesUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: crate::safe_read::ReadError,
    },
    /// The `--rates` file is not UTF-8 text.
    #[error("{}: ce n'est pas du texte UTF-8 ; enregistrez la table des taux en UTF-8 (CSV)", path.display())]
    RatesNotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// The `--rates` file is not a rate table.
    #[error("{}: {source}", path.display())]
    Rates {
        /// The file.
        path: PathBuf,
        /// The row at fault.
        source: RatesError,
    },
}

/// Largest rate table read (the built-in one is 2 KB).
const MAX_RATES_BYTES: u64 = 1024 * 1024;

/// What is loaded once per run and shared by every letter.
pub struct Session {
    /// The creditor, its terms and its policy.
    pub config: Config,
    /// Where the config was read (its folder anchors the default journal
    /// and the messages).
    pub config_path: PathBuf,
    /// The template folder, in memory.
    pub templates: TemplateSet,
    /// Jinja over the templates.
    pub renderer: Renderer,
    /// Fonts for every Typst world of the run.
    pub fonts: Arc<Fonts>,
    /// ECB and legal rates by semester.
    pub rates: RateTable,
    /// The template folders of the profiles that have their own
    /// (`policies: { nom: { templates: DIR } }`), with their Jinja.
    pub profile_templates: std::collections::BTreeMap<String, (TemplateSet, Renderer)>,
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
        // `--templates` first, else the default policy's `templates:`
        // (relative to the config: what `relance init` writes), else the
        // templates built in.
        let config_dir = config_path.parent().unwrap_or(Path::new("."));
        let templates = match (templates_dir, &config.policy.templates) {
            (Some(dir), _) => TemplateSet::load(dir)?,
            (None, Some(dir)) => TemplateSet::load(&config_dir.join(dir))?,
            (None, None) => TemplateSet::builtin(),
        };
        let renderer = Renderer::new(&templates);
        let fonts = Fonts::load(&templates);
        // `--rates` first, else `rates:` of relance.yaml (relative to it).
        let from_config = config.rates.as_ref().map(|r| config_path.parent().unwrap_or(Path::new(".")).join(r));
        let rates = rates.or(from_config.as_deref());
        let rates = match rates {
            None => RateTable::builtin(),
            Some(path) => {
                let bytes = crate::safe_read::read(path, MAX_RATES_BYTES, None)
                    .map_err(|source| SetupError::RatesUnreadable { path: path.to_path_buf(), source })?;
                let text =
                    String::from_utf8(bytes).map_err(|_| SetupError::RatesNotUtf8 { path: path.to_path_buf() })?;
                RateTable::parse(&text, &path.display().to_string())
                    .map_err(|source| SetupError::Rates { path: path.to_path_buf(), source })?
            }
        };
        let mut profile_templates = std::collections::BTreeMap::new();
        for (name, policy) in &config.policies {
            if let Some(dir) = &policy.templates {
                let set = TemplateSet::load(&config_dir.join(dir))?;
                let renderer = Renderer::new(&set);
                profile_templates.insert(name.clone(), (set, renderer));
            }
        }
        Ok(Session {
            config,
            config_path: config_path.to_path_buf(),
            templates,
            renderer,
            fonts,
            rates,
            profile_templates,
        })
    }

    /// The session of a profile's own templates (same config, fonts and
    /// rates), for checking them.
    pub fn for_profile(&self, name: &str) -> Option<Session> {
        let (templates, _) = self.profile_templates.get(name)?;
        Some(Session {
            config: self.config.clone(),
            config_path: self.config_path.clone(),
            templates: templates.clone(),
            renderer: Renderer::new(templates),
            fonts: self.fonts.clone(),
            rates: self.rates.clone(),
            profile_templates: std::collections::BTreeMap::new(),
        })
    }

    /// The Jinja of a case's profile: its own templates, or the run's.
    pub fn renderer_for(&self, profile: Option<&str>) -> &Renderer {
        profile.and_then(|p| self.profile_templates.get(p)).map_or(&self.renderer, |(_, r)| r)
    }

    /// The template folder of a profile that has its own, if it has.
    pub fn own_templates(&self, profile: Option<&str>) -> Option<&TemplateSet> {
        profile.and_then(|p| self.profile_templates.get(p)).map(|(t, _)| t)
    }

    /// A Typst world over the session's templates and fonts, for one thread.
    pub fn world(&self) -> LetterWorld {
        LetterWorld::new(self.fonts.clone(), self.templates.clone())
    }
}

impl Session {
    /// The journal folder of a run over `cases`: `journal:` of the config
    /// (relative to it), else `journal/` in the cases folder.
    pub fn journal_dir(&self, cases: &Path) -> PathBuf {
        match &self.config.journal {
            Some(dir) => self.config_path.parent().unwrap_or(Path::new(".")).join(dir),
            None => {
                let folder = if cases.is_dir() { cases } else { cases.parent().unwrap_or(Path::new(".")) };
                folder.join("journal")
            }
        }
    }
}

/// The config path for a cases folder when `--config` is not given: the
/// `relance.yaml` of the cases folder (of a case file's folder), else of
/// the nearest folder above it, two levels at most (`relance init` puts
/// the cases in `cases/` beside `relance.yaml`). When there is none, the
/// cases folder's own, for the error message.
pub fn default_config_path(cases: &Path) -> PathBuf {
    let folder =
        if cases.is_dir() { cases.to_path_buf() } else { cases.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let folder = if folder.as_os_str().is_empty() { PathBuf::from(".") } else { folder };
    let own = folder.join("relance.yaml");
    let absolute = std::path::absolute(&folder).unwrap_or_else(|_| folder.clone());
    for up in absolute.ancestors().take(3) {
        let candidate = up.join("relance.yaml");
        if candidate.is_file() {
            return if up == absolute { own } else { candidate };
        }
    }
    own
}
