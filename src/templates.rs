//! A template folder read once into memory. Both the Jinja loader and the
//! Typst world serve files from this map only, so a template cannot read
//! anything outside its folder, whatever path it names. A leaf module: it
//! imports nothing of the pipeline but the level names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::case::Level;

/// The templates shipped with relance, built into the binary so that it
/// needs no files beside it.
static BUILTIN: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/letter-templates");

/// Largest file accepted in a template folder (layouts, logos).
const MAX_TEMPLATE_FILE: u64 = 8 * 1024 * 1024;

/// The files of a template folder, loaded once per process.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    /// The folder the templates were read from.
    pub root: PathBuf,
    /// Relative path with `/` separators → bytes.
    pub files: Arc<BTreeMap<String, Vec<u8>>>,
}

/// A template folder that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot read template folder: {message}", path.display())]
pub struct TemplateSetError {
    /// The folder or the file at fault.
    pub path: PathBuf,
    /// What is wrong, and what would be valid.
    pub message: String,
}

impl TemplateSet {
    /// Reads every regular file under `root` (no symbolic links followed, so
    /// a link cannot smuggle in a file from elsewhere).
    pub fn load(root: &Path) -> Result<TemplateSet, TemplateSetError> {
        let io = |path: &Path, e: &dyn std::fmt::Display| TemplateSetError {
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

    fn from_files(root: &Path, files: BTreeMap<String, Vec<u8>>) -> Result<TemplateSet, TemplateSetError> {
        for level in Level::ALL {
            let name = template_name(level);
            if !files.contains_key(&name) {
                return Err(TemplateSetError {
                    path: root.join(&name),
                    message: format!("missing: the {level} template is required"),
                });
            }
        }
        Ok(TemplateSet { root: root.to_path_buf(), files: Arc::new(files) })
    }

    /// The one line of a Jinja template that holds `snippet`: in the
    /// template `first` if it is there, else in any other `.j2` file of the
    /// set. `None` when the snippet is too short to tell, or is on no line
    /// or on several.
    pub fn find_line(&self, snippet: &str, first: &str) -> Option<(String, usize)> {
        if snippet.chars().count() < 2 {
            return None;
        }
        let hits = |name: &str| -> Vec<usize> {
            self.text(name)
                .map(|t| t.lines().enumerate().filter(|(_, l)| l.contains(snippet)).map(|(i, _)| i + 1).collect())
                .unwrap_or_default()
        };
        let in_first = hits(first);
        if !in_first.is_empty() {
            return (in_first.len() == 1).then(|| (first.to_string(), in_first[0]));
        }
        let mut found = Vec::new();
        for name in self.files.keys().filter(|n| n.ends_with(".j2") && n.as_str() != first) {
            found.extend(hits(name).into_iter().map(|line| (name.clone(), line)));
        }
        if found.len() == 1 { found.pop() } else { None }
    }

    /// What in the folder stops its letters from being typeset together
    /// (one Typst document for many letters): the first file that counts
    /// pages with `counter(page)` or asks for a final value (`.final(`),
    /// both of which would count the whole batch rather than the letter
    /// (`layout.typ`'s `letter-page()` counts a letter's pages). `None`:
    /// letters can be batched.
    pub fn batch_blocker(&self) -> Option<(&str, &'static str)> {
        self.files.iter().filter(|(name, _)| name.ends_with(".typ") || name.ends_with(".j2")).find_map(
            |(name, bytes)| {
                let text = String::from_utf8_lossy(bytes);
                ["counter(page)", ".final("].into_iter().find(|t| text.contains(t)).map(|t| (name.as_str(), t))
            },
        )
    }

    /// The text of a file of the set, if it is UTF-8.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.files.get(name).and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// `amicale.typ.j2`, `mise-en-demeure.typ.j2`, …
pub fn template_name(level: Level) -> String {
    format!("{}.typ.j2", level.as_str())
}
