//! The one set of rules for text that comes from the clerk's data, applied
//! when a file is read so that every output (letter, e-mail header and body,
//! manifest, CSV) gets the same clean text: a field is one line; control
//! characters and line breaks are refused; invisible bidirectional controls
//! (which can make a printed name read otherwise than it is, "Trojan
//! Source") are dropped. Also how a value is quoted back in an error: cut
//! when long, invisible characters shown by their code. A leaf module.

/// Longest part of a value quoted in an error message, in characters.
const QUOTE_MAX: usize = 60;

/// The bidirectional controls and marks: never printed, never kept.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that would break a one-line value: a line or paragraph
/// separator, a tab, or any other control character.
pub fn breaks_a_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

/// A value refused for a one-line field: the character that breaks the
/// line, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The value, quoted for a message.
    pub quoted: String,
    /// The character at fault.
    pub found: char,
    /// Its position, 1-based, in characters.
    pub position: usize,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let what = match self.found {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => "un saut de ligne",
            '\t' => "une tabulation",
            _ => "un caractère de contrôle",
        };
        write!(
            f,
            "{} contient {what} ({}) au caractère {} ; attendu : une seule ligne de texte, sans caractère de contrôle",
            self.quoted,
            code(self.found),
            self.position
        )
    }
}

impl std::error::Error for LineError {}

/// A one-line field's value: refused if it holds a line break or a control
/// character, and without its bidirectional controls otherwise.
pub fn one_line(value: &str) -> Result<String, LineError> {
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| breaks_a_line(*c)) {
        return Err(LineError { quoted: quote(value), found: c, position: i + 1 });
    }
    Ok(value.chars().filter(|c| !is_bidi_control(*c)).collect())
}

/// `s` with its first letter in capitals (« Relance amicale »).
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// `value` in « » for an error message: invisible and control characters
/// shown as `<U+200B>`, and cut after 60 characters with the length said.
pub fn quote(value: &str) -> String {
    let count = value.chars().count();
    let mut out = String::from("« ");
    for c in value.chars().take(QUOTE_MAX) {
        if breaks_a_line(c) || is_invisible(c) {
            out.push_str(&format!("<{}>", code(c)));
        } else {
            out.push(c);
        }
    }
    if count > QUOTE_MAX {
        out.push_str(&format!("… » ({count} caractères)"));
    } else {
        out.push_str(" »");
    }
    out
}

/// A field path or key as it can be shown: invisible characters by their
/// code, cut when long.
pub fn visible_key(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i == QUOTE_MAX {
            out.push('…');
            break;
        }
        if breaks_a_line(c) || is_invisible(c) {
            out.push_str(&format!("<{}>", code(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// `U+200B`.
fn code(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Characters that draw nothing: format characters, zero-width spaces and
/// joiners, bidirectional controls, variation selectors, the BOM.
fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || matches!(c, '\u{AD}' | '\u{34F}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_refuses_breaks_and_drops_bidi_controls() {
        assert_eq!(one_line("Dupont\u{202E}SARL").unwrap(), "DupontSARL");
        let err = one_line("Dupont\r\nBcc: x@evil.example").unwrap_err().to_string();
        assert!(err.contains("un saut de ligne (U+000D) au caractère 7"), "{err}");
        assert!(one_line("a\tb").unwrap_err().to_string().contains("une tabulation"));
        assert!(one_line("a\u{0}b").unwrap_err().to_string().contains("un caractère de contrôle (U+0000)"));
        assert_eq!(one_line("Léa Müller – ح").unwrap(), "Léa Müller – ح");
    }

    #[test]
    fn quotes_are_cut_and_show_invisible_characters() {
        assert_eq!(quote("ci\u{200B}ty"), "« ci<U+200B>ty »");
        let long = "A".repeat(4_000_000);
        let q = quote(&long);
        assert!(q.ends_with("… » (4000000 caractères)") && q.chars().count() < 100, "{q}");
        assert_eq!(visible_key("debtor.ci\u{200B}ty"), "debtor.ci<U+200B>ty");
    }
}
