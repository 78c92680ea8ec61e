//! One letter: what its template sees ([`context`]) and the PDF made from it
//! ([`build`]): render the level's template, typeset it, attach the case.

use chrono::NaiveDate;
use minijinja::Value;

use crate::Session;
use crate::case::{Case, Level};
use crate::error::LetterError;
use crate::escalation::LetterDue;
use crate::escape::typst_string;
use crate::law::Statement;
use crate::templates::template_name;
use crate::typeset::{self, LetterWorld};

mod context;

pub(crate) use context::{LetterContext, context};

/// What was decided for one case on one date: the case, what it owes and
/// the letter it is due for. Everything a letter, its e-mail and its
/// manifest row are made from.
#[derive(Debug, Clone, Copy)]
pub struct Letter<'a> {
    /// The case file's content.
    pub case: &'a Case,
    /// What it owes at `date`.
    pub owed: &'a Statement,
    /// The letter due.
    pub due: &'a LetterDue,
    /// The run date, the letter's date.
    pub date: NaiveDate,
}

/// A letter typeset.
pub struct BuiltLetter {
    /// The PDF/A-3b.
    pub pdf: Vec<u8>,
    /// Its page count.
    pub pages: usize,
}

/// The "PROJET" watermark of drafts, set before the template's own markup
/// so that it covers every page.
pub(crate) const DRAFT_WATERMARK: &str = "#set page(foreground: place(center + horizon, rotate(-40deg, text(size: 120pt, weight: \"bold\", fill: rgb(200, 30, 30, 55))[PROJET])))\n";

/// Most pages a letter may take; past this a template is looping.
pub const MAX_PAGES: usize = 50;

/// The texts the fonts cannot print, when that is all Typst refused
/// (PDF/A requires every glyph): one per character, in order, each once.
fn missing_glyphs(error: &LetterError) -> Option<Vec<String>> {
    let LetterError::Typeset { error, .. } = error else { return None };
    let mut texts: Vec<String> = Vec::new();
    for d in &error.diagnostics {
        if !d.message.contains("could not be displayed with font") {
            return None;
        }
        let text = d.message.split("`\"").nth(1)?.split("\"`").next()?.to_string();
        if !texts.contains(&text) {
            texts.push(text);
        }
    }
    (!texts.is_empty()).then_some(texts)
}

/// The case's text fields that a letter prints, with their paths.
fn printed_fields(case: &Case) -> Vec<(String, &str)> {
    let d = &case.debtor;
    let mut fields: Vec<(String, &str)> = vec![("debtor.name".into(), &d.name), ("debtor.city".into(), &d.city)];
    fields.extend(d.contact.as_deref().map(|c| ("debtor.contact".to_string(), c)));
    fields.extend(d.address.iter().enumerate().map(|(i, l)| (format!("debtor.address[{i}]"), l.as_str())));
    fields.extend(
        case.invoices.iter().enumerate().map(|(i, inv)| (format!("invoices[{i}].number"), inv.number.as_str())),
    );
    fields.push(("id".into(), &case.id.0));
    fields
}

/// The field of `case` whose value holds `text` (a character no font has).
fn field_of_char(case: &Case, text: &str) -> Option<String> {
    printed_fields(case).into_iter().find(|(_, v)| v.contains(text)).map(|(f, _)| f)
}

/// The field of `case` whose value is (part of) `text`, for an overflow.
fn field_of(case: &Case, text: &str) -> Option<String> {
    let fields = printed_fields(case);
    // The value that is the text, else the longest value inside the text,
    // else a value the text is part of.
    let rank = |v: &str| {
        if v == text {
            Some((2, v.len()))
        } else if text.contains(v) {
            Some((1, v.len()))
        } else if v.contains(text) {
            Some((0, usize::MAX - v.len()))
        } else {
            None
        }
    };
    fields
        .into_iter()
        .filter(|(_, v)| v.chars().count() >= 4)
        .filter_map(|(f, v)| rank(v).map(|r| (r, f)))
        .max()
        .map(|(_, f)| f)
}

/// The file name of a letter: `<id>-<level>.pdf`.
pub fn file_name(id: &str, level: Level) -> String {
    format!("{id}-{}.pdf", level.as_str())
}

/// The markup that attaches `data` to a PDF/A-3b as `name`, with its
/// description: the bytes are in the markup, as an exact string literal,
/// so that a letter needs no file of its own and letters can be typeset
/// together.
pub(crate) fn attachment(name: &str, description: &str, data: &[u8]) -> String {
    format!(
        "\n#pdf.attach({}, bytes({}), relationship: \"data\", mime-type: \"application/json\", description: {})\n",
        typst_string(name),
        crate::escape::typst_string_exact(&String::from_utf8_lossy(data)),
        typst_string(description),
    )
}

/// Renders the template of a letter into Typst markup, with the case, the
/// décompte and the decision to attach as JSON: what to typeset, with how
/// to export it. `draft` adds the PROJET watermark.
pub fn markup(session: &Session, letter: &Letter, draft: bool) -> Result<typeset::LetterJob, LetterError> {
    let Letter { case, owed, due, date } = *letter;
    let level = due.level;
    let ctx = context(&session.config, letter);
    let rendered = session.renderer_for(case.profil.as_deref()).render(level, &Value::from_serialize(&ctx))?;
    let decision = crate::escalation::Decision::Send(due.clone());
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
    markup.push_str(&attachment(&format!("relance-{}.json", case.id), &description, &data));
    let export = typeset::Export {
        date,
        ident: format!("relance/{}/{}/{}", case.id, level, date),
        archival: true,
        data: vec![],
        checks: Some(typeset::LetterChecks { max_pages: MAX_PAGES }),
    };
    Ok(typeset::LetterJob {
        markup,
        export,
        title: format!("{} — dossier {}", crate::text::capitalised(level.label_fr()), case.id),
        author: session.config.creditor.name.clone(),
    })
}

/// A Typst error of a letter, with its place in the templates and the
/// case field at fault when one is.
pub fn locate(session: &Session, case: &Case, level: Level, error: typeset::CompileError) -> LetterError {
    let template = template_name(level);
    let mut error = LetterError::compile(&template, error);
    if let Some(missing) = missing_glyphs(&error) {
        let field = missing.first().and_then(|c| field_of_char(case, c));
        return LetterError::MissingGlyphs { template: template.clone(), field, text: missing };
    }
    match &mut error {
        LetterError::Typeset { error, .. } => error.locate_in(&session.templates, &template),
        LetterError::Overflow { field, overflow, .. } => *field = field_of(case, &overflow.text),
        _ => {}
    }
    error
}

/// Renders and typesets a letter: PDF/A-3b with the case, the décompte and
/// the decision attached as JSON. `draft` adds the PROJET watermark.
pub fn build(
    session: &Session,
    world: &mut LetterWorld,
    letter: &Letter,
    draft: bool,
) -> Result<BuiltLetter, LetterError> {
    let job = markup(session, letter, draft)?;
    let result = world.compile_letters(&[job]).pop().expect("one result per letter");
    let (pdf, pages) = result.map_err(|error| locate(session, letter.case, letter.due.level, error))?;
    Ok(BuiltLetter { pdf, pages })
}
