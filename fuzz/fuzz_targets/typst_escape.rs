//! Property of the Typst escaper: any text, escaped and typeset, prints
//! exactly that text (control characters dropped, white space folded as in
//! any Typst paragraph, invisible default-ignorable characters aside) and
//! never runs as code.
#![no_main]

use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use relance::templates::TemplateSet;
use relance::typeset::{Fonts, LetterWorld};

static WORLD: Mutex<Option<LetterWorld>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if text.len() > 200 {
        return;
    }
    let mut guard = WORLD.lock().unwrap();
    let world = guard.get_or_insert_with(|| {
        let templates = TemplateSet::builtin();
        LetterWorld::new(Fonts::load(&templates), templates)
    });
    let printed = world.typeset_text(&relance::escape::escape_typst(text)).expect("escaped text always typesets");
    let expected = relance::escape::expected_print(text);
    assert_eq!(relance::escape::visible(&printed), relance::escape::visible(&expected), "input {text:?}");
});
