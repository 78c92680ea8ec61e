//! `relance send` against a real SMTP server (aiosmtpd, started by each
//! test): each message accepted once, recorded with its Message-ID, a
//! refused recipient and a dropped connection left "not sent" and tried
//! again by the next send, escalation counting an e-mail only once sent.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::util::*;

/// A real SMTP server on 127.0.0.1, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
    store: tempfile::TempDir,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let store = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/smtp_server.py");
        let mut child = Command::new("/usr/bin/python3")
            .args(["-W", "ignore"])
            .arg(script)
            .arg("--store")
            .arg(store.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (Debian package python3-aiosmtpd; .ci/test.sh installs it)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the SMTP server did not start: {line:?}"));
        Server { child, port, store }
    }

    /// The messages accepted, in order: (envelope recipient, content).
    fn messages(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.store.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let bytes = std::fs::read(f).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                let mut lines = text.split("\r\n");
                lines.next();
                let to = lines.next().unwrap().trim_start_matches("X-Envelope-To: ").to_string();
                // Past the two envelope lines, the message as sent; SMTP ends
                // it with one more line break.
                let start = bytes.windows(2).enumerate().filter(|(_, w)| w == b"\r\n").nth(1).unwrap().0 + 2;
                let mut content = bytes[start..].to_vec();
                if content.ends_with(b"\r\n\r\n") {
                    content.truncate(content.len() - 2);
                }
                (to, content)
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The fixtures' creditor, its SMTP server on `port`, and three cases whose
/// amicale goes by e-mail on 2026-11-22.
fn cases(port: u16, smtp_extra: &str) -> Dir {
    let dir = Dir::new();
    let config = std::fs::read_to_string(fixtures().join("relance.yaml")).unwrap();
    dir.write(
        "relance.yaml",
        format!("{config}\nsmtp: {{ host: 127.0.0.1, port: {port}, security: none{smtp_extra} }}\n"),
    );
    for (id, mailbox) in [("MAIL-A", "a"), ("MAIL-B", "b"), ("MAIL-C", "c")] {
        dir.write(
            &format!("{id}.yaml"),
            format!(
                "id: {id}\n{}  email: {mailbox}@debiteur.example\ninvoices:\n  - {{number: F-{id}, date: 2026-10-01, due: 2026-10-31, amount: 100.00}}\n",
                debtor("professionnel")
            ),
        );
    }
    dir
}

/// Points the `smtp:` of `dir` at `server`.
fn use_server(dir: &Dir, server: &Server) {
    dir.edit("relance.yaml", |t| {
        let at = t.rfind("port: ").unwrap();
        let end = at + t[at..].find(',').unwrap();
        format!("{}port: {}{}", &t[..at], server.port, &t[end..])
    });
}

fn history(dir: &Dir, case: &str) -> String {
    dir.relance(["journal", ".", "--case", case]).expect_code(0).stdout()
}

#[test]
fn each_email_is_sent_once_byte_for_byte_and_counts_from_its_acceptance() {
    let server = Server::start(&[]);
    let dir = cases(server.port, "");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    // Not sent yet: the next level waits for it.
    let plan = dir.relance(["plan", ".", "--date", "2026-12-10"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("MAIL-A")).unwrap();
    assert!(
        row.contains("en attente d'envoi : l'e-mail amicale du 2026-11-22 n'a pas été accepté par le serveur"),
        "{row}"
    );
    let dry = dir.relance(["send", ".", "d1", "--date", "2026-11-22", "--dry-run"]).expect_code(0);
    assert!(dry.stderr().contains("3 e-mail(s) à envoyer (--dry-run)"), "{}", dry.stderr());
    assert!(server.messages().is_empty());
    let sent = dir.relance(["send", ".", "d1", "--date", "2026-11-23"]).expect_code(0);
    assert!(sent.stderr().contains("3 e-mail(s) accepté(s) par le serveur, 0 déjà envoyé(s)"), "{}", sent.stderr());
    let got = server.messages();
    assert_eq!(
        got.iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(),
        ["a@debiteur.example", "b@debiteur.example", "c@debiteur.example"]
    );
    assert_eq!(got[0].1, std::fs::read(dir.join("d1/emails/MAIL-A.eml")).unwrap(), "sent as written");
    // Sent again: nothing goes twice.
    let again = dir.relance(["send", ".", "d1", "--date", "2026-11-23"]).expect_code(0);
    assert!(again.stderr().contains("0 e-mail(s) accepté(s) par le serveur, 3 déjà envoyé(s)"), "{}", again.stderr());
    assert_eq!(server.messages().len(), 3);
    // Recorded with its Message-ID and the server's reply.
    let journal: Vec<serde_json::Value> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .flat_map(|e| {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            text.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect::<Vec<_>>()
        })
        .filter(|v: &serde_json::Value| v["kind"] == "mailed")
        .collect();
    assert_eq!(journal.len(), 3);
    let a = journal.iter().find(|v| v["entry"] == "MAIL-A/amicale/2026-11-22").unwrap();
    assert!(a["message_id"].as_str().unwrap().starts_with("relance."), "{a}");
    assert!(a["reply"].as_str().unwrap().starts_with("250 2.0.0 Ok: queued as TEST"), "{a}");
    assert!(history(&dir, "MAIL-A").contains("e-mail accepté le 2026-11-23 par le serveur (a@debiteur.example)"));
    // The formelle comes 15 days after the day the server took the e-mail.
    let plan = dir.relance(["plan", ".", "--date", "2026-12-07"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("MAIL-A")).unwrap();
    assert!(row.contains("seconde relance à partir du 8 décembre 2026"), "{row}");
}

#[test]
fn a_refused_recipient_is_not_sent_and_holds_its_case_until_sent() {
    let server = Server::start(&["--refuse", "b@debiteur.example"]);
    let dir = cases(server.port, "");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let out = dir.relance(["send", ".", "d1", "--date", "2026-11-22"]).expect_code(1);
    let err = out.stderr();
    assert!(
        err.contains("NON ENVOYÉ : MAIL-B/amicale/2026-11-22 → b@debiteur.example") && err.contains("User unknown"),
        "{err}"
    );
    assert!(err.contains("(refus définitif : corrigez l'adresse)"), "{err}");
    assert!(err.contains("2 e-mail(s) accepté(s) par le serveur, 0 déjà envoyé(s), 1 non envoyé(s)"), "{err}");
    assert_eq!(server.messages().len(), 2);
    assert!(history(&dir, "MAIL-B").contains("e-mail NON ENVOYÉ"), "{}", history(&dir, "MAIL-B"));
    let plan = dir.relance(["plan", ".", "--date", "2026-12-10"]).expect_code(0).stdout();
    let row = plan.lines().find(|l| l.starts_with("MAIL-B")).unwrap();
    assert!(row.contains("en attente d'envoi") && row.contains("User unknown"), "{row}");
    // The address corrected on the server's side: the next send sends B only.
    drop(server);
    let fixed = Server::start(&[]);
    use_server(&dir, &fixed);
    let out = dir.relance(["send", ".", "d1", "--date", "2026-11-24"]).expect_code(0);
    assert!(out.stderr().contains("1 e-mail(s) accepté(s) par le serveur, 2 déjà envoyé(s)"), "{}", out.stderr());
    assert_eq!(fixed.messages().iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(), ["b@debiteur.example"]);
}

#[test]
fn a_server_that_drops_the_connection_mid_run_leaves_the_rest_for_the_next_send() {
    let server = Server::start(&["--drop-after", "1"]);
    let dir = cases(server.port, ", timeout_seconds: 5");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let out = dir.relance(["send", ".", "d1", "--date", "2026-11-22"]).expect_code(1);
    assert!(
        out.stderr().contains("1 e-mail(s) accepté(s) par le serveur, 0 déjà envoyé(s), 2 non envoyé(s)"),
        "{}",
        out.stderr()
    );
    assert_eq!(server.messages().len(), 1);
    drop(server);
    // Nobody listens any more: nothing is recorded as sent.
    let out = dir.relance(["send", ".", "d1", "--date", "2026-11-22"]).expect_code(1);
    assert!(
        out.stderr().contains("0 e-mail(s) accepté(s) par le serveur, 1 déjà envoyé(s), 2 non envoyé(s)"),
        "{}",
        out.stderr()
    );
    let back = Server::start(&[]);
    use_server(&dir, &back);
    let out = dir.relance(["send", ".", "d1", "--date", "2026-11-23"]).expect_code(0);
    assert!(out.stderr().contains("2 e-mail(s) accepté(s) par le serveur, 1 déjà envoyé(s)"), "{}", out.stderr());
    assert_eq!(back.messages().len(), 2);
}

#[test]
fn the_password_comes_from_the_environment_never_from_the_yaml() {
    let server = Server::start(&["--auth", "relance:s3cret"]);
    let dir = cases(server.port, ", user: relance");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let out = dir.relance(["send", ".", "d1"]).expect_code(2);
    assert!(
        out.stderr().contains("la variable d'environnement RELANCE_SMTP_PASSWORD est vide ou absente"),
        "{}",
        out.stderr()
    );
    let ok = Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(dir.path())
        .args(["send", ".", "d1", "--date", "2026-11-22"])
        .env("RELANCE_SMTP_PASSWORD", "s3cret")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(server.messages().len(), 3);
    dir.edit("relance.yaml", |t| t.replace(", user: relance", ", user: relance, password: s3cret"));
    let out = dir.relance(["send", ".", "d1"]).expect_code(2);
    assert!(
        out.stderr().contains("smtp.password")
            && out.stderr().contains("un mot de passe ne s'écrit jamais dans relance.yaml"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_draft_or_a_reprint_is_never_sent() {
    let server = Server::start(&[]);
    let dir = cases(server.port, "");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "draft", "--draft"]).expect_code(0);
    let out = dir.relance(["send", ".", "draft"]).expect_code(2);
    assert!(out.stderr().contains("cette production n'a rien enregistré au journal"), "{}", out.stderr());
    assert!(server.messages().is_empty());
}

#[test]
fn the_rate_limit_spaces_the_messages() {
    // 120 a minute: half a second between two messages, so three take at
    // least one second (a lower bound: a busy machine only adds to it).
    let server = Server::start(&[]);
    let dir = cases(server.port, ", per_minute: 120");
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "d1"]).expect_code(0);
    let started = std::time::Instant::now();
    dir.relance(["send", ".", "d1", "--date", "2026-11-22"]).expect_code(0);
    assert!(started.elapsed() >= std::time::Duration::from_millis(1000), "{:?}", started.elapsed());
    assert_eq!(server.messages().len(), 3);
}
