//! Jinja templates → Typst markup, with every printed value escaped.
//!
//! The templates come from a [`TemplateSet`], read once into memory; the
//! Jinja loader serves files from that map only, so a template cannot read
//! anything outside its folder, whatever path it names.

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

use crate::case::Level;
use crate::escape::{escape_typst, typst_string};
use crate::templates::{TemplateSet, template_name};

/// A template that could not be parsed or rendered, with its place, like
/// minijinja reports it: the template's name and line, and what went wrong
/// (the error's kind, its detail and its causes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// The template at fault (`amicale.typ.j2`, `partials/invoices.typ.j2`).
    pub template: Option<String>,
    /// Its line, 1-based.
    pub line: Option<usize>,
    /// What went wrong, in minijinja's words, with the cause chain.
    pub message: String,
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if let Some(name) = &self.template {
            write!(f, "{name}")?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for RenderError {}

impl From<minijinja::Error> for RenderError {
    fn from(err: minijinja::Error) -> RenderError {
        let mut message = err.kind().to_string();
        if err.kind() == ErrorKind::OutOfFuel {
            message = format!(
                "le modèle a exécuté plus de {FUEL} instructions pour une seule lettre (son budget) : une boucle sans fin ?"
            );
        }
        if let Some(detail) = err.detail() {
            message.push_str(": ");
            message.push_str(detail);
        }
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            message.push_str(&format!(" (caused by: {s})"));
            source = s.source();
        }
        RenderError { template: err.name().map(str::to_string), line: err.line(), message }
    }
}

/// The instructions one rendering may run: far above a letter of 1,000
/// invoices, far below a loop that would hold the run for minutes.
pub const FUEL: u64 = 20_000_000;

/// A minijinja environment over a template set, with Typst auto-escaping.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// A Jinja environment serving `templates` only, with Typst escaping.
    pub fn new(templates: &TemplateSet) -> Renderer {
        let mut env = Environment::new();
        let files = templates.files.clone();
        env.set_loader(move |name: &str| match files.get(name) {
            Some(bytes) => String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|_| minijinja::Error::new(ErrorKind::InvalidOperation, format!("{name} is not UTF-8"))),
            None => Ok(None),
        });
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Typst escaping for Typst templates; plain text (e-mail bodies) as is.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".typ.j2") || name.ends_with(".typ") {
                AutoEscape::Custom("typst")
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            if value.is_safe() || !matches!(state.auto_escape(), AutoEscape::Custom("typst")) {
                return minijinja::escape_formatter(out, state, value);
            }
            if value.is_none() || value.is_undefined() {
                return Ok(());
            }
            let text = value.to_string();
            out.write_str(&escape_typst(&text)).map_err(minijinja::Error::from)
        });
        env.add_filter("typst_str", |v: Value| Value::from_safe_string(typst_string(&v.to_string())));
        env.set_keep_trailing_newline(true);
        // A firm's template is code: a loop that does not end stops here.
        env.set_fuel(Some(FUEL));
        Renderer { env }
    }

    /// Renders the template of `level` with `context`.
    pub fn render(&self, level: Level, context: &Value) -> Result<String, RenderError> {
        let name = template_name(level);
        let template = self.env.get_template(&name).map_err(RenderError::from)?;
        template.render(context).map_err(RenderError::from)
    }

    /// Renders a plain-text template (no Typst escaping), e.g. `email.txt.j2`.
    pub fn render_text(&self, name: &str, context: &Value) -> Result<String, RenderError> {
        let template = self.env.get_template(name).map_err(RenderError::from)?;
        template.render(context).map_err(RenderError::from)
    }

    /// The environment, for the static checks of `relance check`.
    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }
}
