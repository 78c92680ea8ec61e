//! Any bytes as a case file: loading must return a case or an error with a
//! place, never panic, loop or exhaust memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let path = std::path::Path::new("fuzz.yaml");
        if let Err(e) = relance::case::parse_case(path, text) {
            assert!(!e.message.is_empty());
            assert_eq!(e.file, path);
        }
        let _ = relance::case::parse_config(path, text);
    }
});
