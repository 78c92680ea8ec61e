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

/// The tag a syntax error comes from: the last `{%`, `{{` or `{#` before
/// the end of line `line` that is not closed before the next tag opens.
/// minijinja reports where its parser stopped, which for an unclosed tag
/// is where the next tag opens, lines later; the clerk needs the tag.
/// Returns its line (1-based) and a plain sentence.
pub fn unclosed_tag(text: &str, line: usize) -> Option<(usize, String)> {
    let end = text.split_inclusive('\n').take(line).map(str::len).sum::<usize>();
    let openers: Vec<(usize, &str)> = ["{%", "{{", "{#"]
        .iter()
        .flat_map(|o| text.match_indices(o).map(|(i, _)| (i, *o)))
        .filter(|(i, _)| *i < end)
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    let mut found = None;
    for (n, (at, opener)) in openers.iter().enumerate() {
        let closer = match *opener {
            "{%" => "%}",
            "{{" => "}}",
            _ => "#}",
        };
        let next = openers.get(n + 1).map_or(text.len(), |(i, _)| *i);
        let closed = text[at + 2..].find(closer).map(|c| at + 2 + c + 2 <= next);
        if closed != Some(true) {
            found = Some((*at, *opener, closer));
        }
    }
    let (at, _, closer) = found?;
    let tag_line = text[..at].matches('\n').count() + 1;
    let shown: String = text[at..].lines().next().unwrap_or("").chars().take(40).collect();
    Some((
        tag_line,
        format!(
            "la balise « {shown} » ouverte ici n'est pas fermée : il manque « {closer} » (le modèle ne peut pas être lu)"
        ),
    ))
}

impl RenderError {
    /// For a syntax error, the place of the tag left open (see
    /// [`unclosed_tag`]), when the template's text shows one.
    pub fn locate_syntax(mut self, text: Option<&str>) -> RenderError {
        if let (Some(text), Some(line)) = (text, self.line)
            && self.message.starts_with("syntax error")
            && let Some((tag_line, sentence)) = unclosed_tag(text, line)
        {
            self.message = format!("{sentence} ; minijinja : {}", self.message);
            self.line = Some(tag_line);
        }
        self
    }
}

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
    files: std::sync::Arc<std::collections::BTreeMap<String, Vec<u8>>>,
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
        Renderer { env, files: templates.files.clone() }
    }

    /// A minijinja error as a [`RenderError`], a syntax error placed at
    /// the tag left open.
    fn error(&self, err: minijinja::Error) -> RenderError {
        let text = err.name().and_then(|n| self.files.get(n)).and_then(|b| std::str::from_utf8(b).ok());
        RenderError::from(err).locate_syntax(text)
    }

    /// Renders the template of `level` with `context`.
    pub fn render(&self, level: Level, context: &Value) -> Result<String, RenderError> {
        let name = template_name(level);
        let template = self.env.get_template(&name).map_err(|e| self.error(e))?;
        template.render(context).map_err(|e| self.error(e))
    }

    /// Renders a plain-text template (no Typst escaping), e.g. `email.txt.j2`.
    pub fn render_text(&self, name: &str, context: &Value) -> Result<String, RenderError> {
        let template = self.env.get_template(name).map_err(|e| self.error(e))?;
        template.render(context).map_err(|e| self.error(e))
    }

    /// The environment, for the static checks of `relance check`.
    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unclosed_tag_is_found_where_it_opens() {
        let text = "ligne 1\nligne 2 {% if plural %\n\n{% if other %}x{% endif %}\n";
        let (line, sentence) = unclosed_tag(text, 4).unwrap();
        assert_eq!(line, 2);
        assert!(sentence.contains("« {% if plural % »") && sentence.contains("il manque « %} »"), "{sentence}");
        assert_eq!(unclosed_tag("{{ a }} {% if b %}{% endif %}", 1), None);
        let (line, _) = unclosed_tag("a\n{{ name }\nb\n{% if x %}", 4).unwrap();
        assert_eq!(line, 2);
    }
}
