//! Any text as the debtor's name, the invoice number and a line of the body,
//! through the rules a case file's fields pass when read (one line, no
//! control character, no bidirectional control) and then into an e-mail:
//! the message parses back with exactly one recipient, the address given,
//! no Cc or Bcc, the subject and the name unchanged, and no header that the
//! data made up.

#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use relance::pack::Document;
use relance::pack::email::{Email, build, subject};

fuzz_target!(|input: (&str, &str, &str)| {
    let (name, number, line) = input;
    // What the loader lets through; anything else is a field error.
    let (Ok(name), Ok(number), Ok(line)) =
        (relance::text::one_line(name), relance::text::one_line(number), relance::text::one_line(line))
    else {
        return;
    };
    let doc = Document { name: "X-amicale.pdf".into(), bytes: b"%PDF-1.7".to_vec(), pages: 1 };
    let subject = subject(&[number.as_str()]);
    let eml = build(&Email {
        from_name: "Atelier Martin SAS",
        from: "compta@atelier-martin.example",
        to_name: &name,
        to: "compta@dupont.example",
        subject: subject.clone(),
        body: format!("Madame, Monsieur,\n\n{line}\n"),
        date: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        key: "X/amicale".into(),
        attachments: vec![&doc],
    });
    let message = mail_parser::MessageParser::default().parse(&eml).expect("the message parses");
    let to: Vec<_> = message.to().expect("a To header").iter().collect();
    assert_eq!(to.len(), 1, "one recipient");
    assert_eq!(to[0].address(), Some("compta@dupont.example"));
    assert!(message.cc().is_none() && message.bcc().is_none(), "no Cc or Bcc");
    assert!(message.reply_to().is_none(), "no Reply-To");
    // The headers are exactly the ones relance writes.
    for h in message.headers() {
        let n = h.name().to_ascii_lowercase();
        assert!(
            ["from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding"]
                .contains(&n.as_str()),
            "unexpected header {n}"
        );
    }
    let got_subject = message.subject().unwrap_or("");
    assert_eq!(got_subject.split_whitespace().collect::<Vec<_>>(), subject.split_whitespace().collect::<Vec<_>>());
    let body = message.body_text(0).expect("a text body");
    assert_eq!(body.lines().filter(|l| !l.trim().is_empty()).count(), 1 + usize::from(!line.trim().is_empty()));
});
