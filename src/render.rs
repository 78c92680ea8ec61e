//! Jinja templates → Typst markup, with every printed value escaped.
//!
//! The template folder is read once into memory ([`TemplateSet`]); both the
//! Jinja loader and the Typst world serve files from that map only, so a
//! template cannot read anything outside its folder, whatever path it names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

use crate::case::Level;

/// The templates shipped with relance, built into the binary so that it
/// needs no files beside it.
static BUILTIN: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/letter-templates");

/// Largest file accepted in a template folder (layouts, logos).
const MAX_TEMPLATE_FILE: u64 = 8 * 1024 * 1024;

/// The files of a template folder, loaded once per process.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    pub root: PathBuf,
    /// Relative path with `/` separators → bytes.
    pub files: Arc<BTreeMap<String, Vec<u8>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{path}: cannot read template folder: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{0}")]
    Template(String),
}

impl TemplateSet {
    /// Reads every regular file under `root` (no symbolic links followed, so
    /// a link cannot smuggle in a file from elsewhere).
    pub fn load(root: &Path) -> Result<TemplateSet, RenderError> {
        let io = |path: &Path, e: &dyn std::fmt::Display| RenderError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if !root.is_dir() {
            return Err(io(root, &"not a directory; expected the folder holding amicale.typ.j2 … and layout.typ"));
        }
        let mut files = BTreeMap::new();
        for entry in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name() {
            let entry = entry.map_err(|e| io(root, &e))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(root).expect("walkdir stays under root");
            let key = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            let len = entry.metadata().map_err(|e| io(entry.path(), &e))?.len();
            if len > MAX_TEMPLATE_FILE {
                return Err(io(
                    entry.path(),
                    &format!("{len} bytes; template files are limited to {MAX_TEMPLATE_FILE}"),
                ));
            }
            let bytes = std::fs::read(entry.path()).map_err(|e| io(entry.path(), &e))?;
            files.insert(key, bytes);
        }
        TemplateSet::from_files(root, files)
    }

    /// The templates shipped with relance (`letter-templates/` at build time).
    pub fn builtin() -> TemplateSet {
        fn walk(dir: &include_dir::Dir<'static>, files: &mut BTreeMap<String, Vec<u8>>) {
            for f in dir.files() {
                let key = f.path().components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                files.insert(key, f.contents().to_vec());
            }
            for d in dir.dirs() {
                walk(d, files);
            }
        }
        let mut files = BTreeMap::new();
        walk(&BUILTIN, &mut files);
        TemplateSet::from_files(Path::new("letter-templates"), files).expect("shipped templates are complete")
    }

    fn from_files(root: &Path, files: BTreeMap<String, Vec<u8>>) -> Result<TemplateSet, RenderError> {
        for level in Level::ALL {
            let name = template_name(level);
            if !files.contains_key(&name) {
                return Err(RenderError::Io {
                    path: root.join(&name),
                    message: format!("missing: the {level} template is required"),
                });
            }
        }
        Ok(TemplateSet { root: root.to_path_buf(), files: Arc::new(files) })
    }

    /// Writes the set into `dir` (for `relance init`), refusing to overwrite.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (name, bytes) in self.files.iter() {
            let path = dir.join(name);
            if path.exists() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("{} already exists", path.display()),
                ));
            }
            crate::pack::write_atomic(&path, bytes)?;
        }
        Ok(())
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.files.get(name).and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// `amicale.typ.j2`, `mise-en-demeure.typ.j2`, …
pub fn template_name(level: Level) -> String {
    format!("{}.typ.j2", level.as_str())
}

/// Escapes text for Typst markup so that it prints literally.
///
/// Every ASCII punctuation character is backslash-escaped (Typst accepts an
/// escape before any character), which disarms markup (`*`, `_`, `#`, `$`,
/// `@`, `<`, `[`, `` ` ``…), comments (`//`, `/*`), shorthands (`~`, `--`,
/// `...`), smart quotes and URL auto-links. Line breaks and tabs become
/// spaces and other control characters are dropped: a value is one line.
pub fn escape_typst(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            // Typst reads these as line ends (two make a paragraph break).
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if dropped(c) => {}
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Characters a value never prints: control characters, and the invisible
/// bidirectional overrides and marks that can make a printed name read
/// otherwise than it is ("Trojan Source"); right-to-left text itself prints.
/// The soft hyphen goes too: it never prints inside a one-line value, and
/// at the end of a paragraph Typst 0.15 lays it out twice (found by the
/// `typst_escape` fuzz target).
fn dropped(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{AD}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// What escaped `text` prints as: the text itself, with line breaks and
/// tabs as spaces, other control characters dropped, and runs of spaces
/// folded into one and trimmed at the ends, as in any Typst paragraph.
pub fn expected_print(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' | '\u{2028}' | '\u{2029}' | ' ' => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if dropped(c) => {}
            c => out.push(c),
        }
    }
    out.trim_end_matches(' ').to_string()
}

/// `text` without its default-ignorable code points (zero-width spaces and
/// joiners, variation selectors, word joiners, tags…), which draw nothing.
///
/// What the escaper's property compares: Typst keeps such a character in the
/// laid-out text when a visible one shares its cluster and loses it when it
/// stands alone, and either way the page looks the same.
pub fn visible(text: &str) -> String {
    text.chars().filter(|&c| !default_ignorable(c)).collect()
}

/// Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties).
fn default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// A Typst string literal (`"…"`) holding `text`, for template places that
/// take a string argument, such as `#link(…)`.
pub fn typst_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A minijinja environment over a template set, with Typst auto-escaping.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
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
        Renderer { env }
    }

    /// Renders the template of `level` with `context`.
    pub fn render(&self, level: Level, context: &Value) -> Result<String, RenderError> {
        let name = template_name(level);
        let template = self.env.get_template(&name).map_err(|e| RenderError::Template(describe(&e)))?;
        template.render(context).map_err(|e| RenderError::Template(describe(&e)))
    }

    /// Renders a plain-text template (no Typst escaping), e.g. `email.txt.j2`.
    pub fn render_text(&self, name: &str, context: &Value) -> Result<String, RenderError> {
        let template = self.env.get_template(name).map_err(|e| RenderError::Template(describe(&e)))?;
        template.render(context).map_err(|e| RenderError::Template(describe(&e)))
    }

    pub fn env(&self) -> &Environment<'static> {
        &self.env
    }
}

/// A minijinja error with its template and line, and the cause chain.
pub fn describe(err: &minijinja::Error) -> String {
    let mut msg = String::new();
    if let Some(name) = err.name() {
        msg.push_str(name);
        if let Some(line) = err.line() {
            msg.push_str(&format!(":{line}"));
        }
        msg.push_str(": ");
    }
    msg.push_str(&err.kind().to_string());
    if let Some(detail) = err.detail() {
        msg.push_str(": ");
        msg.push_str(detail);
    }
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        msg.push_str(&format!(" (caused by: {s})"));
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape_typst("*Dupont* & $Fils"), "\\*Dupont\\* \\& \\$Fils");
        assert_eq!(escape_typst("#read(\"/etc/passwd\")"), "\\#read\\(\\\"\\/etc\\/passwd\\\"\\)");
        assert_eq!(escape_typst("a\nb\u{7}c"), "a bc");
        assert_eq!(escape_typst("Léa Müller"), "Léa Müller");
    }

    #[test]
    fn string_literal() {
        assert_eq!(typst_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
