//! Data never becomes code: debtors' names full of Typst, Jinja, control
//! characters, RTL marks and emoji print literally; templates cannot read
//! outside their folder.

use std::path::Path;

use crate::util::*;
use proptest::prelude::*;
use relance::escape::{escape_typst, expected_print, visible};
use relance::templates::TemplateSet;
use relance::typeset::{Fonts, LetterWorld};

fn world() -> LetterWorld {
    let templates = TemplateSet::builtin();
    LetterWorld::new(Fonts::load(&templates), templates)
}

/// Values a debtor could type, each at most 38 characters (the window).
const HOSTILE: &[&str] = &[
    "#read(\"/etc/passwd\")",
    "#include \"layout.typ\"",
    "#import \"@preview/x:1.0.0\": *",
    "$x^2$ and $$",
    "*gras* _italique_",
    "<label> @ref @r",
    "back\\slash \\u{41} \\",
    "// not a comment",
    "/* not a comment */",
    "] ) } [ ( {",
    "`raw` ```rust fn main() {}```",
    "{{ 7*7 }} {% if true %}x{% endif %}",
    "{# jinja comment #}",
    "= Titre",
    "- item + enum 1. list",
    "~ -- --- ... -? 'q' \"dq\"",
    "https://evil.example/x?a=b",
    "Ligne\nsuivante\tavec tab",
    "cloche\u{7} nul\u{0} esc\u{1b}[31m",
    "\u{202E}gnp.exe\u{202C} \u{200F}שלום\u{200E}",
    "Café 🍷 Ŝ ñ ß œ Æ",
    "\u{2028}sépar\u{2029}ateurs",
];

#[test]
fn hostile_values_typeset_to_exactly_their_text() {
    let mut w = world();
    for value in HOSTILE {
        let printed = w.typeset_text(&escape_typst(value)).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(visible(&printed), visible(&expected_print(value)), "{value:?}");
    }
}

/// Found by the `typst_escape` fuzz target and the code point scan that
/// followed it: right-to-left runs of several fonts laid out in visual
/// order, a trailing soft hyphen laid out twice, a combining mark
/// Typst raises into an item of its own read back twice ("a̎a̎b"), invisible
/// characters alone, and two values in a row whose only difference is one
/// character of another UTF-8 length (typst-syntax's `Source::replace`
/// panicked on it).
#[test]
fn fuzz_findings_stay_fixed() {
    let mut w = world();
    for value in [
        "ggggggggggg\\u{4\u{AD}",
        "x\u{AD}",
        "a\u{30E}b",
        "a\u{30E}\u{30E}a\u{30E}",
        "\u{200B}",
        "\u{FE0F}\u{200D}",
        "👨\u{200D}👩 Sàrl",
        "a\u{10FFFF}b",
        "a\u{D7FF}b",
        "a\u{10FFFF}b",
        "\r\0\0\0\0\0\u{1}in?ܭ=\u{10}ح?ܩ",
        "Sarl مرحبا (Lyon) שלום!",
    ] {
        let printed = w.typeset_text(&escape_typst(value)).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(visible(&printed), visible(&expected_print(value)), "{value:?}");
    }
    assert_eq!(escape_typst("x\u{AD}y"), "xy", "soft hyphens are dropped");
}

#[test]
fn hostile_debtor_names_print_literally_in_the_letter() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures().join("relance.yaml"), dir.path().join("relance.yaml")).unwrap();
    for (i, name) in HOSTILE.iter().enumerate() {
        let quoted = serde_json::to_string(name).unwrap();
        let debtor = debtor("professionnel")
            .replace("name: Bad SARL", &format!("name: {quoted}"))
            .replace("[\"1 rue X\"]", &format!("[{quoted}]"));
        let case = format!(
            "id: H-{i:02}\n{debtor}invoices:\n  - {{number: F-{i}, date: 2026-09-01, due: 2026-09-30, amount: 100.00}}\n"
        );
        std::fs::write(dir.path().join(format!("h{i:02}.yaml")), case).unwrap();
    }
    let out = dir.path().join("out");
    let o = build(dir.path(), &out, &[]);
    // A name with a line break or a control character is refused where it
    // is read (it could add a line to an e-mail or a letter); the others
    // are built and print literally.
    let one_line = |name: &str| !name.chars().any(relance::text::breaks_a_line);
    let refused: Vec<usize> = (0..HOSTILE.len()).filter(|i| !one_line(HOSTILE[*i])).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    for i in &refused {
        let line = format!("h{i:02}.yaml:4:9: debtor.name: ");
        assert!(
            stderr(&o).lines().any(|l| l.contains(&line) && l.contains("attendu : une seule ligne de texte")),
            "{}",
            stderr(&o)
        );
    }
    for (i, name) in HOSTILE.iter().enumerate().filter(|(_, n)| one_line(n)) {
        let text = pdf_text(&out.join(format!("letters/H-{i:02}-amicale.pdf")));
        // pdftotext guesses spaces from glyph gaps (it misses the narrow ones
        // between brackets): compare without spaces; the exact spacing is
        // checked on Typst's own layout above.
        // pdftotext also wraps right-to-left runs in its own embedding marks.
        let squash = |s: &str| {
            s.chars()
                .filter(|c| *c != ' ' && !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'))
                .collect::<String>()
        };
        let want = squash(&fold(&expected_print(name)));
        assert!(squash(&text).contains(&want), "{name:?}: {want:?} not in\n{text}");
        assert!(!text.contains("root:x:0:0"), "a file was read");
        assert!(!text.contains("49"), "Jinja in data was evaluated");
    }
}

/// A copy of the shipped templates with `edit` applied to amicale.typ.j2.
fn templates_with(dir: &Path, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    let t = dir.join("templates");
    copy_tree(&root().join("letter-templates"), &t);
    let f = t.join("amicale.typ.j2");
    std::fs::write(&f, edit(std::fs::read_to_string(&f).unwrap())).unwrap();
    t
}

#[test]
fn templates_cannot_read_outside_their_folder() {
    let attempts = [
        ("#read(\"/etc/passwd\")", "file not found"),
        ("#read(\"../../../../etc/passwd\")", "would escape the project root"),
        ("#image(\"/etc/hostname\")", "file not found"),
        ("#import \"@preview/cetz:0.3.0\";", "access denied"),
        ("{% include \"../../../etc/passwd\" %}", "template not found"),
        ("{% include \"/etc/passwd\" %}", "template not found"),
    ];
    for (code, why) in attempts {
        let dir = tempfile::tempdir().unwrap();
        let t = templates_with(dir.path(), |s| s.replace("{% block body %}", &format!("{{% block body %}}{code}\n")));
        let out = dir.path().join("out");
        let o = build(
            &fixtures().join("atelier-bleu.yaml"),
            &out,
            &["--config", fixtures().join("relance.yaml").to_str().unwrap(), "--templates", t.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(1), "{code}: {}", stderr(&o));
        let err = stderr(&o).to_lowercase();
        assert!(err.contains(why), "{code}: expected {why:?} in\n{err}");
        assert!(!out.join("letters/ATELIER-BLEU-002-amicale.pdf").exists());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any text, escaped, typesets to exactly that text.
    #[test]
    fn escaped_text_typesets_to_the_input(text in r#"[ -~àéèçœ€«»\u{a0}\u{202f}\t\n\u{7}\u{2028}\u{ad}\u{30e}\u{301}\u{200b}\u{200d}\u{fe0f}#$*_`\\/<>@\[\]{}~=+-]{0,40}"#) {
        let mut w = world();
        let printed = w.typeset_text(&escape_typst(&text)).unwrap();
        prop_assert_eq!(visible(&printed), visible(&expected_print(&text)));
    }
}
