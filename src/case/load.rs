//! Reading YAML into the case types with errors that say where and why.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_saphyr::{Budget, Options, Spanned};

use super::{Case, Config};
use crate::text::quote;

/// The largest case or config file read; a real case is a few kilobytes.
pub(super) const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;
/// NF Z10-011: at most 6 lines of 38 characters in the address window.
pub(super) const ADDRESS_MAX_LINES: usize = 6;
pub(super) const ADDRESS_MAX_CHARS: usize = 38;
/// One letter lists every unpaid invoice of a debtor; past this many it is no
/// longer a letter anyone reads, and the batch should split the case.
pub(super) const MAX_INVOICES: usize = 1000;

/// Something wrong in an input file, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// The file at fault.
    pub file: PathBuf,
    /// 1-based line, when the error has a place in the file.
    pub line: Option<u64>,
    /// 1-based column on that line.
    pub column: Option<u64>,
    /// Dotted path of the field, e.g. `invoices[0].amount`.
    pub field: Option<String>,
    /// What is wrong, and what would be valid.
    pub message: String,
}

impl InputError {
    /// An error about a whole file.
    pub fn new(file: &Path, message: impl Into<String>) -> Self {
        InputError { file: file.to_path_buf(), line: None, column: None, field: None, message: message.into() }
    }

    /// An error about one field of a file (`invoices[0].file`).
    pub fn field(file: &Path, field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError::new(file, message).at(None, field)
    }

    fn at(mut self, place: Option<(u64, u64)>, field: impl Into<String>) -> Self {
        if let Some((line, column)) = place {
            self.line = Some(line);
            self.column = Some(column);
        }
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

thread_local! {
    /// The field path of the last deserialization error on this thread, set by
    /// [`Tracked`]. serde-saphyr only exposes its deserializer inside its own
    /// entry points, so the path travels beside the error rather than in it.
    static LAST_PATH: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Deserializes `T` through `serde_path_to_error` to learn which field failed,
/// while returning serde-saphyr's own error (which carries line and column).
struct Tracked<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tracked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_path_to_error::deserialize(d) {
            Ok(v) => Ok(Tracked(v)),
            Err(e) => {
                let path = e.path().to_string();
                LAST_PATH.with(|p| *p.borrow_mut() = Some(path));
                Err(e.into_inner())
            }
        }
    }
}

/// Limits far above any real case file and far below what hurts: a case is
/// a few levels deep and has no use for anchors and aliases, so an alias
/// bomb or a 10,000-level nesting stops at once.
fn yaml_options() -> Options {
    Options {
        budget: Some(Budget {
            max_depth: 32,
            max_documents: 1,
            max_aliases: 200,
            max_anchors: 200,
            max_events: 500_000,
            ..Budget::default()
        }),
        // A case has no use for aliases: replaying more than a few thousand
        // events from them is an attack, and stops here at once.
        alias_limits: serde_saphyr::options::AliasLimits {
            max_total_replayed_events: 5_000,
            max_replay_stack_depth: 8,
            max_alias_expansions_per_anchor: 200,
        },
        with_snippet: false,
        ..Options::default()
    }
}

fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let what = match breach {
        B::Depth { depth } => format!("imbriqué sur {depth} niveaux ; un dossier en a besoin de moins de 32"),
        B::Aliases { aliases } => {
            format!(
                "fait de {aliases} alias (*nom) ; un dossier n'en a besoin d'aucun, et plus de 200 ressemblent à une « bombe d'alias »"
            )
        }
        B::Anchors { anchors } => format!("fait de {anchors} ancres (&nom) ; un dossier n'en a besoin d'aucune"),
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("fait de {aliases} alias pour {anchors} ancres : une « bombe d'alias »")
        }
        B::Events { events } => format!("fait de {events} éléments YAML, bien plus qu'un dossier n'en contient"),
        B::Documents { documents } => format!("fait de {documents} documents YAML ; un fichier n'en contient qu'un"),
        B::Nodes { nodes } => format!("fait de {nodes} valeurs, bien plus qu'un dossier n'en contient"),
        B::ScalarBytes { total_scalar_bytes } => {
            format!("fait de {total_scalar_bytes} octets de texte, bien plus qu'un dossier n'en contient")
        }
        _ => "au-delà des limites d'un dossier (taille, profondeur ou alias)".to_string(),
    };
    format!("refusé : le YAML est {what}")
}

/// serde's and serde-saphyr's English messages, said in French for the
/// clerk: the key or value at fault and what is valid, never the names of
/// Rust types.
fn serde_message_fr(msg: &str) -> String {
    /// "`a`, `b` or `c`" / "one of a, b, c" → "a, b ou c".
    fn list(expected: &str) -> String {
        let e = expected.trim().trim_start_matches("one of ").replace('`', "");
        match e.rsplit_once(", ") {
            Some((head, last)) if !e.contains(" or ") => format!("{head} ou {last}"),
            _ => e.replace(" or ", " ou "),
        }
    }
    let backticked = |m: &str| m.split('`').nth(1).unwrap_or("").to_string();
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (field, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let field = field.trim_matches('`');
        return if expected.is_empty() || expected.contains("no fields") {
            format!("clé inconnue {} ; aucune clé n'est attendue ici", quote(field))
        } else {
            format!("clé inconnue {} ; clés possibles : {}", quote(field), list(expected))
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (value, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        return format!("valeur inconnue {} ; attendu : {}", quote(value.trim_matches('`')), list(expected));
    }
    if msg.starts_with("missing field") {
        return format!("le champ obligatoire « {} » manque ici", backticked(msg));
    }
    if let Some(key) = msg.strip_prefix("duplicate mapping key: ") {
        return format!("la clé {} figure deux fois ; chaque clé ne peut figurer qu'une fois", quote(key));
    }
    if msg.contains("tabs disallowed") {
        return "tabulation dans l'indentation ; indentez avec des espaces".to_string();
    }
    if msg.contains("cannot deserialize null") {
        return "valeur vide (null ou ~) ; attendu : une valeur".to_string();
    }
    if msg.contains("scalar tagged") || msg.contains("tagged enum") {
        return "valeur étiquetée (!!tag) ; attendu : une valeur simple, sans étiquette".to_string();
    }
    if msg.contains("invalid boolean") || msg.contains("expected a boolean") || msg.contains("bool") {
        return "attendu : true ou false".to_string();
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: ")) {
        let found = rest.split(", expected").next().unwrap_or(rest);
        return format!("valeur invalide ({found}) ; attendu : {}", expected_fr(rest));
    }
    if msg.starts_with("invalid ") {
        return "valeur invalide ; attendu : une valeur simple du type de ce champ".to_string();
    }
    if msg.contains("merge value") {
        return "fusion YAML (<<) invalide ; un dossier n'en a pas besoin".to_string();
    }
    msg.to_string()
}

/// What serde says it expected, in French.
fn expected_fr(rest: &str) -> String {
    let expected = rest.split(", expected ").nth(1).unwrap_or("");
    match expected {
        e if e.contains("sequence") => "une liste".to_string(),
        e if e.contains("map") || e.contains("struct") => "une table de clés et de valeurs".to_string(),
        e if e.contains("string") || e.contains("text") => "un texte".to_string(),
        e if e.contains("u32") || e.contains("integer") => "un nombre entier".to_string(),
        e if e.contains("bool") => "true ou false".to_string(),
        "" => "une autre valeur".to_string(),
        e => e.to_string(),
    }
}

fn saphyr_message(err: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error as E;
    match err.without_snippet() {
        E::Message { msg, .. } | E::HookError { msg, .. } => serde_message_fr(msg),
        E::Eof { .. } => "fin de fichier inattendue (le fichier est vide ou coupé)".to_string(),
        E::Unexpected { expected, .. } => match *expected {
            "sequence start" => "attendu : une liste (des lignes commençant par « - », ou [a, b])".to_string(),
            "mapping start" => "attendu : une table de clés et de valeurs (clé: valeur)".to_string(),
            "string scalar" => {
                "attendu : une seule valeur (un texte), pas une liste, une table ni une valeur étiquetée".to_string()
            }
            other => format!("attendu : {other}"),
        },
        E::Budget { breach, .. } => budget_message(breach),
        E::UnknownAnchor { .. } => "un alias renvoie à une ancre qui n'existe pas".to_string(),
        other => {
            // Display prefixes "line X column Y: "; the place is reported apart.
            let text = other.to_string();
            let text = match text.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                _ => text,
            };
            format!("YAML illisible : {}", serde_message_fr(&text))
        }
    }
}

/// Parses one YAML document into `T`, with the field path and place of the
/// first error.
pub(crate) fn parse_yaml<T: DeserializeOwned>(file: &Path, text: &str) -> Result<T, InputError> {
    if let Some(line) = second_document(text) {
        let mut e = InputError::new(
            file,
            "un second document YAML commence ici ; un fichier contient un seul dossier (ou une seule configuration) : mettez chaque dossier dans son propre fichier",
        );
        e.line = Some(line);
        e.column = Some(1);
        return Err(e);
    }
    if let Some(e) = nul_byte(file, text).or_else(|| after_document_end(file, text)) {
        return Err(e);
    }
    LAST_PATH.with(|p| p.borrow_mut().take());
    match serde_saphyr::from_str_with_options::<Tracked<T>>(text, yaml_options()) {
        Ok(Tracked(v)) => Ok(v),
        Err(err) => {
            let field = LAST_PATH.with(|p| p.borrow_mut().take()).filter(|p| p != "." && p != "?");
            let mut e = InputError::new(file, saphyr_message(&err));
            // Errors raised by our own field types carry no position: find
            // the field's position from its path instead.
            // An unknown key is reported at its enclosing mapping; point at
            // the key itself.
            let by_path = || field.as_deref().and_then(|f| locate(text, f).or_else(|| locate_key_text(text, f)));
            let place = if e.message.starts_with("clé inconnue") {
                by_path().or_else(|| err.location().map(|loc| (loc.line(), loc.column())))
            } else {
                err.location().map(|loc| (loc.line(), loc.column())).or_else(by_path)
            };
            if let Some((line, column)) = place {
                e.line = Some(line);
                e.column = Some(column);
            }
            e.field = field.map(|f| crate::text::visible_key(&f));
            Err(e)
        }
    }
}

/// Reads a case or config file: a regular file of at most 4 MiB, in UTF-8.
fn read_text(file: &Path) -> Result<String, InputError> {
    read_text_within(file, None)
}

/// Like [`read_text`], for a file found inside `folder` (a case file): a
/// symbolic link that leads out of it is refused.
fn read_text_within(file: &Path, folder: Option<&Path>) -> Result<String, InputError> {
    let bytes =
        crate::safe_read::read(file, MAX_FILE_BYTES, folder).map_err(|e| InputError::new(file, e.to_string()))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(InputError::new(
            file,
            "fichier en UTF-16 (il commence par la marque FF FE ou FE FF) ; enregistrez-le en UTF-8",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let column = (at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1)) as u64 + 1;
        let mut err = InputError::new(
            file,
            format!(
                "octet 0x{:02X} : ce n'est pas du texte UTF-8 (peut-être du Latin-1 ou du Windows-1252) ; enregistrez le fichier en UTF-8",
                e.as_bytes()[at]
            ),
        );
        err.line = Some(line);
        err.column = Some(column);
        err
    })
}

/// A NUL character: no text file holds one (a UTF-16 file without its mark
/// is full of them).
fn nul_byte(file: &Path, text: &str) -> Option<InputError> {
    let at = text.find('\0')?;
    let before = &text[..at];
    let mut e = InputError::new(
        file,
        "caractère nul (U+0000) : un fichier texte n'en contient pas (fichier en UTF-16 ou binaire ?) ; enregistrez le fichier en UTF-8",
    );
    e.line = Some(before.matches('\n').count() as u64 + 1);
    e.column = Some(before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1);
    Some(e)
}

/// Content after a document end marker (`...`): YAML readers ignore it, so
/// a `hold:` written there would be dropped in silence. It is an error.
fn after_document_end(file: &Path, text: &str) -> Option<InputError> {
    let mut end_at = None;
    for (i, line) in text.lines().enumerate() {
        let is_end = line == "..." || line.starts_with("... ") || line.starts_with("...\t");
        if let Some(end) = end_at {
            let trimmed = line.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                let mut e = InputError::new(
                    file,
                    format!(
                        "texte après la fin du document (« ... » ligne {end}) : il serait ignoré ; supprimez la ligne « ... » ou ce qui la suit"
                    ),
                );
                e.line = Some(i as u64 + 1);
                e.column = Some(1);
                return Some(e);
            }
        } else if is_end {
            end_at = Some(i + 1);
        }
    }
    None
}

/// The line of a `---` that starts a second document, if any. A `---` at
/// column 0 always marks a document boundary in YAML (it even ends a block
/// scalar), so a line scan is exact.
fn second_document(text: &str) -> Option<u64> {
    let mut content_seen = false;
    for (i, line) in text.lines().enumerate() {
        let is_marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if is_marker && content_seen {
            return Some(i as u64 + 1);
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && !is_marker && !trimmed.starts_with('%') {
            content_seen = true;
        }
    }
    None
}

/// Reads and checks `relance.yaml`.
pub fn load_config(file: &Path) -> Result<Config, InputError> {
    parse_config(file, &read_text(file)?)
}

/// Reads a creditor config from its text (`file` names it in errors).
pub fn parse_config(file: &Path, text: &str) -> Result<Config, InputError> {
    let config = parse_yaml::<Config>(file, text)?;
    validate_config(&config).map_err(|issue| {
        let place = locate(text, &issue.place);
        InputError::new(file, issue.message).at(place, issue.place)
    })?;
    Ok(config)
}

fn validate_config(config: &Config) -> Result<(), Issue> {
    for (name, policy) in config.every_policy() {
        let at = |field: &str| match name {
            None => format!("policy.{field}"),
            Some(n) => format!("policies.{n}.{field}"),
        };
        for level in crate::case::Level::EVERY {
            let Some(step) = policy.step(level) else { continue };
            let declared = match level {
                crate::case::Level::Appel => policy.appel.as_ref().map(|a| a.channel),
                _ => Some(step.channel),
            };
            let Some(channel) = declared else { continue };
            let telephone = channel == crate::case::Channel::Telephone;
            if level == crate::case::Level::Appel && !telephone {
                return issue(at("appel.channel"), "l'étape appel est un appel ; attendu : channel: telephone".into());
            }
            if level != crate::case::Level::Appel && telephone {
                return issue(
                    at(&format!("{level}.channel")),
                    format!(
                        "un appel n'est pas une lettre : la {} part par email, courrier ou lrar ; pour appeler, ajoutez une étape appel: {{ after_previous: 7, channel: telephone }}",
                        level.label_fr()
                    ),
                );
            }
        }
        // A policy's `templates:` (a profile's, or the default policy's:
        // the folder of every letter unless --templates) is checked when
        // the session loads the folder.
    }
    if let Some(sep) = &config.csv.separator
        && let Err(message) = crate::csv_out::CsvFormat::parse_separator(sep)
    {
        return issue("csv.separator", message);
    }
    if let Some(h) = config.csv.headers.as_deref().filter(|h| !["fr", "en"].contains(h)) {
        return issue("csv.headers", format!("« {h} » ; attendu : fr ou en"));
    }
    let Some(smtp) = &config.smtp else { return Ok(()) };
    if smtp.password.is_some() {
        return issue(
            "smtp.password",
            "un mot de passe ne s'écrit jamais dans relance.yaml (il serait copié, versionné, imprimé) ; \
             attendu : password_env (une variable d'environnement, RELANCE_SMTP_PASSWORD par défaut) ou password_file (un fichier)"
                .into(),
        );
    }
    if smtp.host.trim().is_empty() {
        return issue("smtp.host", "nom du serveur vide ; attendu : p. ex. smtp.example.fr".into());
    }
    if smtp.port == Some(0) {
        return issue("smtp.port", "port 0 ; attendu : 587 (starttls), 465 (tls) ou 25".into());
    }
    if let Some(n) = smtp.per_minute
        && !(1..=10_000).contains(&n)
    {
        return issue("smtp.per_minute", format!("{n} messages par minute ; attendu : de 1 à 10000"));
    }
    if let Some(n) = smtp.timeout_seconds
        && !(1..=600).contains(&n)
    {
        return issue("smtp.timeout_seconds", format!("{n} secondes ; attendu : de 1 à 600"));
    }
    if smtp.password_env.is_some() && smtp.password_file.is_some() {
        return issue(
            "smtp.password_file",
            "password_env et password_file à la fois ; attendu : l'un ou l'autre".into(),
        );
    }
    Ok(())
}

/// A case that loaded and passed validation, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    /// Where the case was read.
    pub path: PathBuf,
    /// Its content, validated.
    pub case: Case,
}

/// Parses and validates one case file's text.
pub fn parse_case(file: &Path, text: &str) -> Result<Case, InputError> {
    let case: Case = parse_yaml(file, text)?;
    validate_case(&case).map_err(|issue| {
        let place = locate(text, &issue.place);
        InputError::new(file, issue.message).at(place, issue.place)
    })?;
    Ok(case)
}

/// The case files under `dir`: every `.yaml`/`.yml` file but hidden ones
/// and the configuration, sorted by path (the order of the manifest), and
/// the folders that could not be read.
pub fn case_files(dir: &Path, config_file: Option<&Path>) -> Vec<Result<PathBuf, InputError>> {
    let mut found = Vec::new();
    let config_canon = config_file.and_then(|c| c.canonicalize().ok());
    // A template folder (a profile's, or a copy made by `relance init`)
    // holds YAML that is not a case: requirements.yaml.
    let is_templates = |e: &walkdir::DirEntry| {
        e.depth() > 0
            && e.file_type().is_dir()
            && std::fs::read_dir(e.path()).is_ok_and(|mut entries| {
                entries.any(|f| {
                    f.is_ok_and(|f| {
                        let name = f.file_name();
                        let name = name.to_string_lossy();
                        name == "requirements.yaml" || name.ends_with(".typ.j2")
                    })
                })
            })
    };
    for entry in walkdir::WalkDir::new(dir).follow_links(false).into_iter().filter_entry(|e| !is_templates(e)) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_else(|| dir.to_path_buf());
                found.push(Err(InputError::new(&path, format!("lecture impossible : {e}"))));
                continue;
            }
        };
        let path = entry.path();
        let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        let is_yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
        if hidden || !is_yaml {
            continue;
        }
        // A link to a case file is followed when it stays in the cases
        // folder; one that leads out of it (or to something that is not a
        // file) is an error, never skipped in silence.
        if entry.path_is_symlink() {
            match crate::safe_read::check_within(path, dir) {
                Ok(()) if path.is_file() => {}
                Ok(()) => {
                    found.push(Err(InputError::new(
                        path,
                        "lien symbolique vers autre chose qu'un fichier ; attendu : un fichier de dossier",
                    )));
                    continue;
                }
                Err(e) => {
                    found.push(Err(InputError::new(path, format!("lien symbolique refusé : {e}"))));
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        let is_config = entry.depth() == 1 && entry.file_name() == "relance.yaml"
            || config_canon.as_ref().is_some_and(|c| path.canonicalize().ok().as_ref() == Some(c));
        if !is_config {
            found.push(Ok(path.to_path_buf()));
        }
    }
    let key = |r: &Result<PathBuf, InputError>| match r {
        Ok(p) => p.display().to_string(),
        Err(e) => e.file.display().to_string(),
    };
    found.sort_by_cached_key(key);
    found
}

/// An error about one field of a case file found valid when read (an
/// invoice copy, a value that does not fit the letter), placed at the
/// field's line and column.
pub fn field_error(file: &Path, field: &str, message: impl Into<String>) -> InputError {
    let place = read_text(file).ok().and_then(|text| locate(&text, field));
    InputError::new(file, message).at(place, field)
}

/// Reads and checks one case file.
pub fn load_case(path: &Path) -> Result<Case, InputError> {
    read_text(path).and_then(|t| parse_case(path, &t))
}

/// The error of a case whose id another file uses too: neither file can be
/// trusted to be the right one, so neither is built.
pub fn duplicate_id(path: &Path, id: &str, others: &[&Path]) -> InputError {
    let others: Vec<String> = others.iter().map(|p| p.display().to_string()).collect();
    let place = read_text(path).map(|text| locate(&text, "id")).unwrap_or_default();
    InputError::new(
        path,
        format!("l'identifiant {} est aussi celui de {} ; chaque dossier a le sien", quote(id), others.join(", ")),
    )
    .at(place, "id")
}

/// The ids used by more than one case, with the files of each.
pub fn duplicates<'a>(ids: impl Iterator<Item = (&'a str, &'a Path)>) -> HashMap<&'a str, Vec<&'a Path>> {
    let mut by_id: HashMap<&str, Vec<&Path>> = HashMap::new();
    for (id, path) in ids {
        by_id.entry(id).or_default().push(path);
    }
    by_id.retain(|_, paths| paths.len() > 1);
    by_id
}

/// Loads the case files `found` (see [`case_files`]); ids used by two
/// files fail both (see [`duplicates`]).
pub fn load_cases(found: Vec<Result<PathBuf, InputError>>) -> (Vec<LoadedCase>, Vec<InputError>) {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for found in found {
        match found.and_then(|path| load_case(&path).map(|case| LoadedCase { path, case })) {
            Ok(l) => loaded.push(l),
            Err(e) => errors.push(e),
        }
    }
    let dup: HashMap<String, Vec<PathBuf>> =
        duplicates(loaded.iter().map(|l| (l.case.id.0.as_str(), l.path.as_path())))
            .into_iter()
            .map(|(id, paths)| (id.to_string(), paths.into_iter().map(Path::to_path_buf).collect()))
            .collect();
    if !dup.is_empty() {
        loaded.retain(|l| match dup.get(&l.case.id.0) {
            Some(paths) => {
                let others: Vec<&Path> = paths.iter().map(PathBuf::as_path).filter(|p| *p != l.path).collect();
                errors.push(duplicate_id(&l.path, &l.case.id.0, &others));
                false
            }
            None => true,
        });
    }
    errors.sort_by(|a, b| a.file.cmp(&b.file));
    (loaded, errors)
}

/// A failed cross-field check: the dotted path of the field it points at.
struct Issue {
    place: String,
    message: String,
}

fn issue(place: impl Into<String>, message: String) -> Result<(), Issue> {
    Err(Issue { place: place.into(), message })
}

/// Checks that need more than one field.
fn validate_case(case: &Case) -> Result<(), Issue> {
    if case.invoices.is_empty() {
        return issue(
            "invoices",
            "un dossier a au moins une facture ; attendu : une liste de factures avec number, date, due et amount"
                .into(),
        );
    }
    if case.invoices.len() > MAX_INVOICES {
        return issue(
            "invoices",
            format!(
                "{} factures ; un dossier en liste au plus {MAX_INVOICES} (une lettre les couvre toutes) : répartissez-les en plusieurs dossiers",
                case.invoices.len()
            ),
        );
    }
    let total: rust_decimal::Decimal = case.invoices.iter().map(|i| i.amount.0).sum();
    if total > rust_decimal::Decimal::new(99_999_999_999_999, 2) {
        return issue(
            "invoices",
            format!(
                "les factures totalisent {} ; un dossier réclame au plus 999 999 999 999,99 €",
                crate::money::format_eur(total)
            ),
        );
    }
    let mut numbers = HashSet::new();
    for (i, inv) in case.invoices.iter().enumerate() {
        if inv.number.trim().is_empty() {
            return issue(
                format!("invoices[{i}].number"),
                "numéro de facture vide ; attendu : le numéro imprimé sur la facture, p. ex. F-2026-0042".into(),
            );
        }
        if !numbers.insert(inv.number.as_str()) {
            return issue(
                format!("invoices[{i}].number"),
                format!(
                    "le numéro de facture {} figure deux fois dans ce dossier ; chaque facture une seule fois",
                    quote(&inv.number)
                ),
            );
        }
        if inv.due.0 < inv.date.0 {
            return issue(
                format!("invoices[{i}].due"),
                format!(
                    "échéance {} antérieure à la date de la facture {} ; attendu : une échéance à la date de la facture ou après",
                    inv.due.0, inv.date.0
                ),
            );
        }
    }
    for (i, p) in case.payments.iter().enumerate() {
        if let Some(n) = &p.invoice
            && !numbers.contains(n.as_str())
        {
            let known: Vec<&str> = case.invoices.iter().map(|i| i.number.as_str()).collect();
            return issue(
                format!("payments[{i}].invoice"),
                format!(
                    "le paiement désigne la facture {}, absente de ce dossier ; attendu : {} ou aucune facture (il va alors à la plus ancienne échue)",
                    quote(n),
                    known.join(", ")
                ),
            );
        }
    }
    if let Some(plan) = &case.echeancier
        && let Some((field, message)) = plan.problem()
    {
        return issue(format!("echeancier.{field}"), message);
    }
    for (i, l) in case.letters.iter().enumerate() {
        if let Some(r) = l.received
            && r.0 < l.date.0
        {
            return issue(
                format!("letters[{i}].received"),
                format!(
                    "reçue le {} avant d'être envoyée le {} ; attendu : la date de l'avis de réception, le jour de l'envoi ou après",
                    r.0, l.date.0
                ),
            );
        }
    }
    let d = &case.debtor;
    if d.name.trim().is_empty() {
        return issue("debtor.name", "nom du débiteur vide ; attendu : le nom imprimé sur l'enveloppe".into());
    }
    if d.address.is_empty() {
        return issue("debtor.address", "adresse vide ; attendu : au moins la ligne de la rue".into());
    }
    let too_long = |s: &str| s.chars().count() > ADDRESS_MAX_CHARS;
    let limit = format!("au plus {ADDRESS_MAX_CHARS} caractères par ligne dans la fenêtre de l'enveloppe (NF Z10-011)");
    if too_long(&d.name) {
        return issue(
            "debtor.name",
            format!("{} fait {} caractères ; {limit}", quote(&d.name), d.name.chars().count()),
        );
    }
    if let Some(c) = &d.contact
        && too_long(&format!("À l’attention de {c}"))
    {
        return issue("debtor.contact", format!("{} est trop long ; {limit}", quote(&format!("À l’attention de {c}"))));
    }
    for (i, line) in d.address.iter().enumerate() {
        if too_long(line) {
            return issue(
                format!("debtor.address[{i}]"),
                format!("{} fait {} caractères ; {limit}", quote(line), line.chars().count()),
            );
        }
    }
    if too_long(&format!("{} {}", d.postal_code.0, d.city)) {
        return issue("debtor.city", format!("code postal et ville sont trop longs ; {limit}"));
    }
    let lines = d.address_lines().len();
    if lines > ADDRESS_MAX_LINES {
        return issue(
            "debtor.address",
            format!(
                "l'adresse prend {lines} lignes avec le nom, le contact et la ville ; la fenêtre de l'enveloppe en contient au plus {ADDRESS_MAX_LINES} (NF Z10-011)"
            ),
        );
    }
    Ok(())
}

/// Finds the line and column of the value at a dotted field path
/// (`invoices[0].due`, `policy.mise-en-demeure.channel`) by reading the text
/// again as a tree of spanned nodes. Only done when there is an error to
/// report, so it costs nothing on good input.
pub(crate) fn locate(text: &str, path: &str) -> Option<(u64, u64)> {
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, yaml_options()).ok()?;
    let mut node = &root;
    for seg in path_segments(path) {
        node = match (&node.value, seg) {
            (Node::Map(entries), Segment::Key(k)) => &entries.iter().find(|(key, _)| *key == k)?.1,
            (Node::Seq(items), Segment::Index(i)) => items.get(i)?,
            _ => return None,
        };
    }
    Some((node.referenced.line(), node.referenced.column()))
}

/// Last resort when the document cannot be read as a tree (it broke a
/// limit): the first line where the field's last key is written.
fn locate_key_text(text: &str, path: &str) -> Option<(u64, u64)> {
    let key = path.rsplit('.').next()?.split('[').next()?;
    if key.is_empty() {
        return None;
    }
    text.lines().enumerate().find_map(|(i, line)| {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let rest = trimmed.strip_prefix(key)?;
        rest.starts_with(':').then(|| (i as u64 + 1, (line.len() - trimmed.len()) as u64 + 1))
    })
}

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        // Indices are the `[N]` at the end of a part; whatever is before
        // them is the key, brackets included (`a]]b[]]c` is a key: a fuzz
        // finding, which used to make this parser slice backwards).
        let mut key = part;
        let mut indices = Vec::new();
        while let Some(inner) = key.strip_suffix(']') {
            let Some(open) = inner.rfind('[') else { break };
            let Ok(i) = inner[open + 1..].parse() else { break };
            indices.push(Segment::Index(i));
            key = &inner[..open];
        }
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        out.extend(indices.into_iter().rev());
    }
    out
}

/// A YAML document as a tree of positions, for [`locate`].
enum Node {
    Map(Vec<(String, Spanned<Node>)>),
    Seq(Vec<Spanned<Node>>),
    Leaf,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(super::Text(key)) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Node::Map(entries))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Leaf)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Node, D2::Error> {
                Node::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_fields() {
        let text = "id: A\ninvoices:\n  - number: F-1\n    due: 2026-01-01\n  - number: F-2\n    due: 2026-02-01\npolicy:\n  mise-en-demeure: { channel: lrar }\n";
        assert_eq!(locate(text, "id"), Some((1, 5)));
        assert_eq!(locate(text, "invoices[1].due"), Some((6, 10)));
        assert_eq!(locate(text, "invoices[1]").map(|p| p.0), Some(5));
        assert_eq!(locate(text, "policy.mise-en-demeure.channel"), Some((8, 31)));
        assert_eq!(locate(text, "invoices[7].due"), None);
    }

    #[test]
    fn brackets_inside_a_key_are_part_of_the_key() {
        // A fuzz finding: this path made the index parser slice backwards.
        let segments = path_segments("debtor]]a[]]]icy.x[2][0]");
        assert!(matches!(
            segments[..],
            [Segment::Key("debtor]]a[]]]icy"), Segment::Key("x"), Segment::Index(2), Segment::Index(0)]
        ));
        assert!(matches!(
            path_segments("invoices[1].due")[..],
            [Segment::Key("invoices"), Segment::Index(1), Segment::Key("due")]
        ));
    }
}
