//! Typst escaping: data printed literally, never read as markup or code.
//! A leaf module: it imports nothing of the pipeline.

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

/// A Typst string literal holding `text` exactly, every character kept
/// (line breaks and control characters as escapes): data a PDF carries
/// byte for byte, such as the JSON attached to a letter.
pub fn typst_string_exact(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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
