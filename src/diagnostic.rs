//! Errors as a person reads them on a terminal: one `error:` line, and for a
//! template that Typst refused, the offending markup underlined with
//! Typst's message and hints (rendered by `annotate-snippets`). What is
//! printed is decided here; only the command line prints it.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::typeset::{TypesetError, TypstDiagnostic};

/// The text printed for an error: `error: <message>`, then, when Typst
/// refused a template's markup, each of its diagnostics with the line of
/// markup and the offending text underlined.
pub fn report(message: &str, typeset: Option<(&str, &TypesetError)>) -> String {
    let mut out = format!("error: {message}\n");
    if let Some((template, error)) = typeset {
        for d in &error.diagnostics {
            out.push_str(&snippet(template, d));
            out.push('\n');
        }
    }
    out
}

/// One Typst diagnostic with its markup line underlined.
fn snippet(template: &str, d: &TypstDiagnostic) -> String {
    let title = match d.place.as_ref().and_then(|p| p.template_line.as_ref()) {
        Some((name, line)) => format!("in {template}, from {name} line {line}: {}", d.message),
        None => format!("in {template}: {}", d.message),
    };
    let title = Level::NOTE.primary_title(title);
    let group = match &d.place {
        Some(p) => {
            // An empty span still gets a mark.
            let range = if p.range.is_empty() {
                p.range.start..(p.range.start + 1).min(p.source_line.len())
            } else {
                p.range.clone()
            };
            title.element(
                Snippet::source(p.source_line.as_str())
                    .line_start(p.line)
                    .path(p.file.as_str())
                    .annotation(AnnotationKind::Primary.span(range)),
            )
        }
        None => Group::with_title(title),
    };
    let mut report: Vec<Group> = vec![group];
    for h in &d.hints {
        report.push(Group::with_title(Level::HELP.secondary_title(h.as_str())));
    }
    Renderer::plain().render(&report).to_string()
}
