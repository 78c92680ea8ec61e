//! Letters sent by e-mail: one `.eml` per case, ready for any mail client or
//! relay, with the letter PDF and the invoice copies attached.
//!
//! Deterministic like the PDFs: the Date header is the run date, and the
//! Message-ID and MIME boundary are derived from the case, level and date.

use chrono::{NaiveDate, NaiveTime};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::mime::{BodyPart, MimePart};

use super::print::Document;

/// What an e-mail carries.
pub struct Email<'a> {
    /// The creditor's name.
    pub from_name: &'a str,
    /// The creditor's address.
    pub from: &'a str,
    /// The debtor's name.
    pub to_name: &'a str,
    /// The debtor's address.
    pub to: &'a str,
    /// The subject line.
    pub subject: String,
    /// The text of the message.
    pub body: String,
    /// The run date (the Date header, at 09:00 UTC).
    pub date: NaiveDate,
    /// Case id and level: make the Message-ID and boundary.
    pub key: String,
    /// The letter and the invoice copies.
    pub attachments: Vec<&'a Document>,
}

/// The subject docs/outputs.md asks for: "Facture impayée n° …".
pub fn subject(numbers: &[&str]) -> String {
    if numbers.len() > 1 {
        format!("Factures impayées n° {}", numbers.join(", "))
    } else {
        format!("Facture impayée n° {}", numbers.join(", "))
    }
}

/// The MIME boundary: derived from the case, level and date (so the file
/// is reproducible), and never a text the body holds: a body line reading
/// `--<boundary>` would end the text part there and let data forge a part
/// of its own (found by the `email` fuzz target). Attachments are base64,
/// which holds no `-`.
fn boundary(email: &Email) -> String {
    (0u32..)
        .map(|n| {
            let key = if n == 0 {
                format!("{}/{}", email.key, email.date)
            } else {
                format!("{}/{}/{n}", email.key, email.date)
            };
            format!("relance-{}", &crate::atomic::sha256_hex(key.as_bytes())[..24])
        })
        .find(|b| !email.body.contains(b.as_str()))
        .unwrap_or_else(|| "relance-boundary".to_string())
}

/// Serializes the message (CRLF line ends, base64 attachments).
pub fn build(email: &Email) -> Vec<u8> {
    let hash = crate::atomic::sha256_hex(format!("{}/{}", email.key, email.date).as_bytes());
    let domain = email.from.rsplit_once('@').map(|(_, d)| d).unwrap_or("relance.invalid");
    // 09:00 UTC on the run date: a fixed hour keeps the file reproducible.
    let timestamp = email.date.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("valid time")).and_utc().timestamp();
    let mut parts = vec![MimePart::new("text/plain", BodyPart::Text(email.body.clone().into()))];
    for doc in &email.attachments {
        parts.push(
            MimePart::new("application/pdf", BodyPart::Binary(doc.bytes.clone().into())).attachment(doc.name.clone()),
        );
    }
    let body = MimePart::new(
        ContentType::new("multipart/mixed").attribute("boundary", boundary(email)),
        BodyPart::Multipart(parts),
    );
    MessageBuilder::new()
        .from(Address::new_address(Some(email.from_name.to_string()), email.from.to_string()))
        .to(Address::new_address(Some(email.to_name.to_string()), email.to.to_string()))
        .subject(email.subject.clone())
        .date(timestamp)
        .message_id(format!("relance.{}@{domain}", &hash[..32]))
        .body(body)
        .write_to_vec()
        .expect("writing into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_bytes() {
        let doc = Document { name: "A-amicale.pdf".into(), bytes: b"%PDF-1.7 test".to_vec(), pages: 1 };
        let email = || Email {
            from_name: "Atelier Martin SAS",
            from: "compta@atelier-martin.example",
            to_name: "Dupont & Fils",
            to: "compta@dupont.example",
            subject: subject(&["F-1"]),
            body: "Madame, Monsieur,\n".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            key: "A/amicale".into(),
            attachments: vec![&doc],
        };
        let a = build(&email());
        assert_eq!(a, build(&email()));
        let text = String::from_utf8_lossy(&a);
        assert!(text.contains("Date: Sun, 22 Nov 2026 09:00:00 +0000"), "{text}");
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        assert!(text.contains("filename=\"A-amicale.pdf\""), "{text}");
        assert!(text.contains("@atelier-martin.example>"), "{text}");
    }

    /// The `email` fuzz target's finding: a body line holding the
    /// boundary of its own message ended the text part early.
    #[test]
    fn a_body_that_holds_the_boundary_gets_another_one() {
        let doc = Document { name: "A-amicale.pdf".into(), bytes: b"%PDF-1.7 test".to_vec(), pages: 1 };
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let usual = format!("relance-{}", &crate::atomic::sha256_hex(b"A/amicale/2026-11-22")[..24]);
        let body = format!("Madame, Monsieur,\n\n--{usual}\nContent-Type: application/pdf\n\nforged\n--{usual}--\n");
        let eml = build(&Email {
            from_name: "Atelier Martin SAS",
            from: "compta@atelier-martin.example",
            to_name: "Dupont",
            to: "compta@dupont.example",
            subject: subject(&["F-1"]),
            body: body.clone(),
            date,
            key: "A/amicale".into(),
            attachments: vec![&doc],
        });
        let text = String::from_utf8_lossy(&eml);
        assert!(!text.contains(&format!("boundary=\"{usual}\"")), "{text}");
        let message = mail_parser::MessageParser::default().parse(&eml).unwrap();
        assert_eq!(message.attachment_count(), 1, "only the letter is attached");
        assert_eq!(message.body_text(0).unwrap().replace("\r\n", "\n").trim_end(), body.trim_end());
    }

    #[test]
    fn subjects() {
        assert_eq!(subject(&["F-1"]), "Facture impayée n° F-1");
        assert_eq!(subject(&["F-1", "F-2"]), "Factures impayées n° F-1, F-2");
    }
}
