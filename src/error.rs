//! Why a case, or a part of the run, could not be built: one enum for the
//! run, with the place of every error kept as data until it is printed.

use std::path::{Path, PathBuf};

use serde::ser::SerializeStruct;

use crate::case::InputError;
use crate::layout_check::Overflow;
use crate::render::RenderError;
use crate::text::quote;
use crate::typeset::{CompileError, TypesetError};

/// A letter that could not be made from its template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    /// Jinja refused the template or the data.
    #[error("{0}")]
    Render(#[from] RenderError),
    /// Typst refused the markup the template rendered.
    #[error("{}", error.summary(template))]
    Typeset {
        /// The level's template (`amicale.typ.j2`), or the pack's file.
        template: String,
        /// Typst's diagnostics.
        error: TypesetError,
    },
    /// More pages than a letter may have: a template gone astray.
    #[error("{template}: la lettre fait {pages} pages ; une lettre en a au plus {max}")]
    TooManyPages {
        /// The level's template.
        template: String,
        /// Pages laid out.
        pages: usize,
        /// The limit.
        max: usize,
    },
    /// Characters that no font of the letter can print (PDF/A requires
    /// every glyph to be embedded).
    #[error(
        "{} : aucune police de la lettre ne sait imprimer {} (modèle {template}) ; attendu : du texte en alphabet latin, grec ou cyrillique, ou une police qui les contient dans le dossier fonts/ des modèles",
        if text.len() > 1 { "caractères sans police" } else { "caractère sans police" },
        text.iter().map(|t| quote(t)).collect::<Vec<_>>().join(", ")
    )]
    MissingGlyphs {
        /// The level's template.
        template: String,
        /// The field of the case they come from, when found.
        field: Option<String>,
        /// The characters, each once.
        text: Vec<String>,
    },
    /// Text laid out past the page's edge or over other text.
    #[error("{}", overflow_message(template, overflow))]
    Overflow {
        /// The level's template.
        template: String,
        /// The field of the case the text comes from, when found.
        field: Option<String>,
        /// What overflowed.
        overflow: Overflow,
    },
}

impl LetterError {
    /// The error of a compile of `template`.
    pub fn compile(template: &str, error: CompileError) -> LetterError {
        let template = template.to_string();
        match error {
            CompileError::Typst(error) => LetterError::Typeset { template, error },
            CompileError::Pages { pages, max } => LetterError::TooManyPages { template, pages, max },
            CompileError::Overflow(overflow) => LetterError::Overflow { template, field: None, overflow },
        }
    }
}

/// « mise en page : le texte « … » déborde … » (for the clerk: the value is
/// theirs).
fn overflow_message(template: &str, o: &Overflow) -> String {
    let place = match &o.over {
        Some(other) => format!("chevauche le texte {}", quote(other)),
        None => "sort de la page".to_string(),
    };
    format!(
        "mise en page : le texte {} {place} (page {}, modèle {template}) ; attendu : une valeur plus courte, ou un modèle qui lui laisse la place",
        quote(&o.text),
        o.page
    )
}

/// Why one case (or a pack) of a run failed. Its message is printed on the
/// terminal as `error: …` and written in the manifest.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The clerk's data: a case file, an invoice copy (file, line, field).
    #[error("{0}")]
    Input(#[from] InputError),
    /// The template of the case's letter (or of a pack).
    #[error("{}: {error}", file.display())]
    Template {
        /// The case file (or the output folder, for a pack).
        file: PathBuf,
        /// What the template did (boxed: a run's errors are many, this one
        /// is rare and large).
        error: Box<LetterError>,
    },
    /// A bug of relance, caught while building this case.
    #[error("{}: erreur interne de relance ({message}) ; ce dossier n'a pas été traité, les autres l'ont été ; signalez-la avec ce fichier", file.display())]
    Internal {
        /// The case file.
        file: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// A file that could not be read or written.
    #[error("{}: {action} {}: {source}", file.display(), path.display())]
    Io {
        /// The case file (or the output folder, for a pack).
        file: PathBuf,
        /// "writing", "reading back", "reading".
        action: &'static str,
        /// The file read or written (relative to the output when it is one).
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

impl RunError {
    /// The case file (or output folder) the error belongs to.
    pub fn file(&self) -> &Path {
        match self {
            RunError::Input(e) => &e.file,
            RunError::Template { file, .. } | RunError::Io { file, .. } | RunError::Internal { file, .. } => file,
        }
    }

    /// The message without the file: what the manifest's `error` column of
    /// a case holds after its file (`writing letters/X.pdf: …`).
    pub fn message(&self) -> String {
        match self {
            RunError::Input(e) => e.to_string(),
            RunError::Template { error, .. } => error.to_string(),
            RunError::Internal { message, .. } => format!("erreur interne de relance ({message})"),
            RunError::Io { action, path, source, .. } => format!("{action} {}: {source}", path.display()),
        }
    }

    /// The Typst diagnostics, when a template's markup was refused.
    pub fn typeset(&self) -> Option<(&str, &TypesetError)> {
        match self {
            RunError::Template { error, .. } => match error.as_ref() {
                LetterError::Typeset { template, error } => Some((template, error)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// In `manifest.json`, every error has the same fields as an [`InputError`]:
/// file, line, column, field and message.
impl serde::Serialize for RunError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let RunError::Input(e) = self {
            return e.serialize(s);
        }
        let mut st = s.serialize_struct("InputError", 5)?;
        st.serialize_field("file", self.file())?;
        st.serialize_field("line", &None::<u64>)?;
        st.serialize_field("column", &None::<u64>)?;
        st.serialize_field("field", &None::<String>)?;
        st.serialize_field("message", &self.message())?;
        st.end()
    }
}
