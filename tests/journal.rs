//! The journal of what was issued: daily runs send each letter once, the
//! next level comes after the policy's delay from the last recorded
//! letter, a reprint or a draft records nothing, a void is ignored by
//! escalation, and hostile journal files give errors with their place.

use crate::util::*;

fn journal_files(dir: &Dir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("journal"))
        .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".jsonl"));
    names.sort();
    names
}

fn build(dir: &Dir, date: &str, out: &str, extra: &[&str]) -> Outcome {
    let mut cmd = dir.relance(["build", ".", "--date", date, "--out", out]);
    for a in extra {
        cmd = cmd.arg(a);
    }
    cmd.run()
}

#[test]
fn daily_runs_issue_each_letter_once_and_escalate_from_the_journal() {
    let dir = Dir::with_fixtures();
    assert_eq!(build(&dir, "2026-11-22", "d1", &[]).output.status.code(), Some(0));
    assert_eq!(dir.letters("d1").len(), 6);
    assert_eq!(journal_files(&dir).len(), 1);
    // The same day again: the same letters, byte for byte, nothing recorded twice.
    assert_eq!(build(&dir, "2026-11-22", "d1-again", &[]).output.status.code(), Some(0));
    assert_eq!(dir.letters("d1-again"), dir.letters("d1"));
    for name in dir.letters("d1") {
        let a = std::fs::read(dir.join("d1/letters").join(&name)).unwrap();
        let b = std::fs::read(dir.join("d1-again/letters").join(&name)).unwrap();
        assert!(a == b, "{name} differs");
    }
    assert_eq!(journal_files(&dir).len(), 1, "no second journal file");
    // The next day: nothing became due.
    build(&dir, "2026-11-23", "d2", &[]);
    assert!(dir.letters("d2").is_empty(), "{:?}", dir.letters("d2"));
    // The policy: formelle 15 days after the amicale; DUPONT had its formelle
    // on the 22nd, so its avertissement is due on 7 December, not before.
    build(&dir, "2026-12-06", "d15", &[]);
    assert!(!dir.letters("d15").iter().any(|l| l.starts_with("DUPONT-001")), "{:?}", dir.letters("d15"));
    build(&dir, "2026-12-07", "d16", &[]);
    assert!(dir.letters("d16").contains(&"DUPONT-001-avertissement.pdf".to_string()), "{:?}", dir.letters("d16"));
    let history = dir.relance(["journal", ".", "--case", "DUPONT-001"]).expect_code(0).stdout();
    assert!(
        history.contains("DUPONT-001/formelle/2026-11-22") && history.contains("DUPONT-001/avertissement/2026-12-07"),
        "{history}"
    );
    // The avertissement cites the formelle issued by relance.
    let text = dir.pdf_text("d16/letters/DUPONT-001-avertissement.pdf");
    assert!(text.contains("22 novembre 2026"), "{text}");
}

#[test]
fn drafts_reprints_and_plans_record_nothing() {
    let dir = Dir::with_fixtures();
    build(&dir, "2026-11-22", "draft", &["--draft"]);
    build(&dir, "2026-11-22", "reprint", &["--no-record"]);
    dir.relance(["plan", ".", "--date", "2026-11-22"]).expect_code(0);
    assert!(journal_files(&dir).is_empty(), "{:?}", journal_files(&dir));
    assert_eq!(dir.letters("reprint").len(), 6);
}

#[test]
fn a_date_before_the_last_entry_fails_that_case_unless_forced() {
    let dir = Dir::with_fixtures();
    build(&dir, "2026-11-22", "d1", &[]);
    let out = build(&dir, "2026-11-20", "early", &[]);
    assert_eq!(out.output.status.code(), Some(1), "{}", out.stderr());
    assert!(
        out.stderr().contains("dupont.yaml: le journal a déjà une lettre (formelle) du 2026-11-22 pour ce dossier, après la date de production 2026-11-20"),
        "{}",
        out.stderr()
    );
    // Cases without such a letter are decided as usual.
    assert!(out.stderr().contains("en erreur"));
    let forced = build(&dir, "2026-11-20", "forced", &["--force"]);
    assert_eq!(forced.output.status.code(), Some(0), "{}", forced.stderr());
}

#[test]
fn a_voided_letter_is_ignored_by_escalation() {
    let dir = Dir::with_fixtures();
    build(&dir, "2026-11-22", "d1", &[]);
    dir.relance(["journal", "void", "DUPONT-001/formelle/2026-11-22", "--reason", "bourrage", "--date", "2026-11-22"])
        .expect_code(0);
    // The formelle was never posted: the next day it is due again.
    build(&dir, "2026-11-23", "d2", &[]);
    assert_eq!(dir.letters("d2"), ["DUPONT-001-formelle.pdf"]);
    let history = dir.relance(["journal", ".", "--case", "DUPONT-001"]).expect_code(0).stdout();
    assert!(history.contains("annulée le 2026-11-22 : bourrage"), "{history}");
    let again = dir
        .relance(["journal", "void", "DUPONT-001/formelle/2026-11-22", "--reason", "x", "--date", "2026-11-23"])
        .expect_code(2);
    assert!(again.stderr().contains("déjà enregistrée comme non envoyée (bourrage)"), "{}", again.stderr());
    let unknown = dir.relance(["journal", "void", "NOPE/amicale/2026-11-22", "--reason", "x"]).expect_code(2);
    assert!(
        unknown.stderr().contains("aucune lettre « NOPE/amicale/2026-11-22 » dans ce journal"),
        "{}",
        unknown.stderr()
    );
}

#[test]
fn letters_written_but_not_recorded_are_issued_again_identically_and_recorded() {
    let dir = Dir::with_fixtures();
    // As if killed after the letters and before the journal.
    build(&dir, "2026-11-22", "out", &["--no-record"]);
    let first: Vec<Vec<u8>> =
        dir.letters("out").iter().map(|n| std::fs::read(dir.join("out/letters").join(n)).unwrap()).collect();
    build(&dir, "2026-11-22", "out", &[]);
    let again: Vec<Vec<u8>> =
        dir.letters("out").iter().map(|n| std::fs::read(dir.join("out/letters").join(n)).unwrap()).collect();
    assert!(first == again);
    assert_eq!(journal_files(&dir).len(), 1);
}

#[test]
fn hostile_journal_files_are_errors_with_their_place() {
    let header = "{\"relance_journal\":1,\"run\":\"x\",\"date\":\"2026-11-01\",\"shard\":null}\n";
    // A line that names a case but is wrong: that case fails, the others build.
    let dir = Dir::with_fixtures();
    dir.write(
        "journal/a.jsonl",
        format!("{header}{{\"kind\":\"issued\",\"case\":\"DUPONT-001\",\"level\":\"sommation\"}}\n"),
    );
    let out = build(&dir, "2026-11-22", "out", &[]);
    assert_eq!(out.output.status.code(), Some(1), "{}", out.stderr());
    assert!(out.stderr().contains("journal/a.jsonl:2: entry: entrée illisible"), "{}", out.stderr());
    assert!(dir.letters("out").contains(&"MOREAU-003-avertissement.pdf".to_string()));
    // A line of which no case can be read: nothing can be trusted.
    let dir = Dir::with_fixtures();
    dir.write("journal/b.jsonl", format!("{header}not json\n"));
    let out = build(&dir, "2026-11-22", "out", &[]);
    assert_eq!(out.output.status.code(), Some(2), "{}", out.stderr());
    assert!(out.stderr().contains("journal/b.jsonl:2: case: entrée illisible"), "{}", out.stderr());
    // A newer format.
    let dir = Dir::with_fixtures();
    dir.write("journal/c.jsonl", "{\"relance_journal\":9,\"run\":\"x\",\"date\":\"2026-11-01\"}\n");
    let out = build(&dir, "2026-11-22", "out", &[]);
    assert_eq!(out.output.status.code(), Some(2));
    assert!(
        out.stderr().contains("journal/c.jsonl:1: relance_journal: journal au format 9, plus récent"),
        "{}",
        out.stderr()
    );
    // A hand-edited id that does not match its letter.
    let dir = Dir::with_fixtures();
    dir.write(
        "journal/d.jsonl",
        format!("{header}{{\"kind\":\"issued\",\"entry\":\"DUPONT-001/x\",\"case\":\"DUPONT-001\",\"level\":\"formelle\",\"channel\":\"courrier\",\"date\":\"2026-11-01\",\"deadline\":\"2026-11-09\",\"invoices\":[],\"total\":\"0\",\"file\":\"f\",\"sha256\":\"s\",\"run\":\"x\"}}\n"),
    );
    let out = build(&dir, "2026-11-22", "out", &[]);
    assert!(
        out.stderr().contains(
            "journal/d.jsonl:2: entry: identifiant « DUPONT-001/x » ; attendu : DUPONT-001/formelle/2026-11-01"
        ),
        "{}",
        out.stderr()
    );
    // A file with no header.
    let dir = Dir::with_fixtures();
    dir.write("journal/e.jsonl", "");
    let out = build(&dir, "2026-11-22", "out", &[]);
    assert_eq!(out.output.status.code(), Some(2));
    assert!(out.stderr().contains("journal/e.jsonl: fichier de journal vide"), "{}", out.stderr());
}

/// The entries of every journal file of `dir`, without their run id.
fn entries(dir: &Dir) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for name in journal_files(dir) {
        let text = std::fs::read_to_string(dir.join("journal").join(name)).unwrap();
        for line in text.lines().skip(1) {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            v.as_object_mut().unwrap().remove("run");
            all.push(v);
        }
    }
    all.sort_by_key(|v| v["entry"].as_str().unwrap().to_string());
    all
}

#[test]
fn four_shards_record_what_the_whole_run_records() {
    let whole = Dir::with_fixtures();
    build(&whole, "2026-11-22", "out", &[]);
    let sharded = Dir::with_fixtures();
    for k in 0..4 {
        let out = build(&sharded, "2026-11-22", &format!("out-{k}"), &["--shard", &format!("{k}/4")]);
        assert_eq!(out.output.status.code(), Some(0), "{}", out.stderr());
    }
    assert!(journal_files(&sharded).iter().all(|n| n.contains("-shard-")), "{:?}", journal_files(&sharded));
    assert_eq!(entries(&sharded), entries(&whole));
    assert_eq!(entries(&whole).len(), 6);
}

#[test]
fn two_runs_at_once_on_one_journal_cannot_both_issue() {
    let dir = Dir::with_fixtures();
    let template = std::fs::read_to_string(dir.join("moreau.yaml")).unwrap();
    for i in 0..300 {
        dir.write(&format!("many/c{i:03}.yaml"), template.replace("MOREAU-003", &format!("M-{i:03}")));
    }
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(dir.path())
        .args(["build", ".", "--date", "2026-11-22", "--out", "one"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Once the first run has started writing letters, it holds the lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(dir.join("one.relance-new/letters")).map(|d| d.count()).unwrap_or(0) < 2 {
        assert!(std::time::Instant::now() < deadline, "no letter after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let second = build(&dir, "2026-11-22", "two", &[]);
    assert_eq!(first.wait().unwrap().code(), Some(0));
    assert_eq!(second.output.status.code(), Some(2), "{}", second.stderr());
    assert!(second.stderr().contains("une autre production utilise ce journal en ce moment"), "{}", second.stderr());
    assert!(!dir.join("two/letters").exists());
    // Once it is done, the journal is free; the same day's letters are not recorded twice.
    let third = build(&dir, "2026-11-22", "three", &[]);
    assert_eq!(third.output.status.code(), Some(0));
    assert_eq!(journal_files(&dir).len(), 1);
}

#[test]
fn the_shards_of_a_job_run_together_but_not_beside_a_whole_run() {
    let dir = Dir::with_fixtures();
    let journal = dir.join("journal");
    std::fs::create_dir_all(&journal).unwrap();
    // Shard 0/2 holds its locks, as a running shard would.
    let shard = relance::journal::Lock::acquire(&journal, Some("0/2")).unwrap();
    let other = build(&dir, "2026-11-22", "s1", &["--shard", "1/2"]);
    assert_eq!(other.output.status.code(), Some(0), "the other shard runs: {}", other.stderr());
    let same = build(&dir, "2026-11-22", "s0", &["--shard", "0/2"]);
    assert_eq!(same.output.status.code(), Some(2), "the same shard twice: {}", same.stderr());
    let whole = build(&dir, "2026-11-22", "w", &[]);
    assert_eq!(whole.output.status.code(), Some(2), "a whole run beside a shard: {}", whole.stderr());
    drop(shard);
    assert_eq!(build(&dir, "2026-11-22", "w", &[]).output.status.code(), Some(0));
}

#[test]
fn record_reads_back_the_deposit_list_and_an_unknown_address_stops_the_post() {
    let dir = Dir::with_fixtures();
    build(&dir, "2026-11-22", "out", &[]);
    let csv = std::fs::read_to_string(dir.join("out/depot-lrar.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    assert!(lines[0].ends_with("registered_number,first_presented,delivered,returned"), "{}", lines[0]);
    // STAR: numbered, returned « destinataire inconnu »; GARNIER: a bad S10 check digit.
    assert!(lines[1].contains("STAR-004/mise-en-demeure") && lines[2].contains("GARNIER-005/mise-en-demeure"));
    lines[1] = lines[1].trim_end_matches(",,,,").to_string()
        + ",1A 123 456 7890 1,2026-11-24,,destinataire inconnu à l'adresse";
    lines[2] = lines[2].trim_end_matches(",,,,").to_string() + ",RR123456789FR,,,";
    dir.write("filled.csv", lines.join("\n") + "\n");
    let out = dir.relance(["record", ".", "filled.csv", "--date", "2026-11-25"]).expect_code(1);
    let err = out.stderr();
    assert!(
        err.contains(
            "error: filled.csv:3: registered_number: « RR123456789FR » a une clé de contrôle fausse (norme UPU S10)"
        ),
        "{err}"
    );
    assert!(err.contains("1 pli(s) enregistré(s), 0 déjà à jour, 0 sans numéro, 1 ligne(s) en erreur"), "{err}");
    let history = dir.relance(["journal", ".", "--case", "STAR-004"]).expect_code(0).stdout();
    assert!(
        history.contains("journal ; recommandé n° 1A12345678901 ; présenté le 2026-11-24 ; retourné : destinataire inconnu à l'adresse"),
        "{history}"
    );
    // Recorded once: the same list again changes nothing.
    let again = dir.relance(["record", ".", "filled.csv", "--date", "2026-11-25"]).expect_code(1);
    assert!(again.stderr().contains("0 pli(s) enregistré(s), 1 déjà à jour"), "{}", again.stderr());
    // No more letters by post to that address, even forced.
    let plan = dir.relance(["plan", ".", "--date", "2026-12-20", "--level", "mise-en-demeure"]).expect_code(0).stdout();
    let star = plan.lines().find(|l| l.starts_with("STAR-004")).unwrap();
    assert!(
        star.contains("adresse à vérifier : la lettre recommandée n° 1A12345678901 du 2026-11-22 est revenue"),
        "{star}"
    );
    // A new address lifts it.
    dir.edit("star-bureau.yaml", |t| t.replacen("3 rue de la République", "7 rue de la République", 1));
    let plan = dir.relance(["plan", ".", "--date", "2026-12-20", "--level", "mise-en-demeure"]).expect_code(0).stdout();
    let star = plan.lines().find(|l| l.starts_with("STAR-004")).unwrap();
    assert!(star.contains("mise-en-demeure  lrar"), "{star}");
}

#[test]
fn a_recorded_tracking_number_is_cited_by_the_next_letter() {
    let dir = Dir::with_fixtures();
    dir.edit("relance.yaml", |t| {
        t.replace(
            "avertissement:    { after_previous: 15, channel: courrier,",
            "avertissement:    { after_previous: 15, channel: lrar,    ",
        )
    });
    build(&dir, "2026-11-22", "d1", &[]);
    assert!(dir.letters("d1").contains(&"MOREAU-003-avertissement.pdf".to_string()));
    dir.fill_deposit_list("d1", "MOREAU-003/avertissement", "1A 123 456 7890 1,,,");
    dir.relance(["record", ".", "filled.csv", "--date", "2026-11-24"]).expect_code(0);
    build(&dir, "2026-12-02", "d2", &[]);
    let text = dir.pdf_text("d2/letters/MOREAU-003-mise-en-demeure.pdf");
    assert!(text.contains("du 22 novembre 2026 (lettre recommandée n° 1A12345678901)"), "{text}");
}

#[test]
fn a_received_mise_en_demeure_starts_its_deadline_and_the_consumer_interest() {
    let dir = Dir::with_fixtures();
    build(&dir, "2026-11-22", "d1", &[]);
    // MOREAU (a consumer) had her avertissement on the 22nd: mise en demeure
    // by registered letter ten days later.
    build(&dir, "2026-12-02", "d2", &[]);
    assert!(dir.letters("d2").contains(&"MOREAU-003-mise-en-demeure.pdf".to_string()), "{:?}", dir.letters("d2"));
    let plan = dir.relance(["plan", ".", "--date", "2026-12-03"]).expect_code(0).stdout();
    let moreau = plan.lines().find(|l| l.starts_with("MOREAU-003")).unwrap();
    assert!(moreau.contains("en attente de la réception de la mise en demeure envoyée le 2 décembre 2026 (enregistrez l'avis de réception (relance record))"), "{moreau}");
    dir.fill_deposit_list("d2", "MOREAU-003/mise-en-demeure", "1A 123 456 7890 1,2026-12-03,2026-12-04,");
    dir.relance(["record", ".", "filled.csv", "--date", "2026-12-05"]).expect_code(0);
    // The 8 days to pay run from the receipt on the 4th (C. civ. 1344).
    let plan = dir.relance(["plan", ".", "--date", "2026-12-10"]).expect_code(0).stdout();
    let moreau = plan.lines().find(|l| l.starts_with("MOREAU-003")).unwrap();
    assert!(
        moreau
            .contains("en attente jusqu'au 12 décembre 2026 : délai de paiement de la mise en demeure envoyée le 2 décembre 2026, reçue le 4 décembre 2026 ; ensuite, contentieux"),
        "{moreau}"
    );
    assert!(moreau.contains("2026-12-13"), "next step the day after: {moreau}");
    let plan = dir.relance(["plan", ".", "--date", "2026-12-13"]).expect_code(0).stdout();
    let moreau = plan.lines().find(|l| l.starts_with("MOREAU-003")).unwrap();
    assert!(moreau.contains("délai expiré le 12 décembre 2026 : à transmettre au contentieux"), "{moreau}");
    // Legal interest from the 5th. The built-in table stops at 2026 S1, so
    // this test supplies a 2026 S2 row (a test value, not the published rate).
    let table = std::fs::read_to_string(env!("CARGO_MANIFEST_DIR").to_string() + "/data/rates.csv").unwrap()
        + "2026-S2,2.15,2025-06-11,6.67,3.00,\"valeur d'essai\"\n";
    dir.write("rates.csv", table);
    let text =
        dir.relance(["explain", "moreau.yaml", "--date", "2026-12-31", "--rates", "rates.csv"]).expect_code(0).stdout();
    // 05/12–31/12: 27 days on 645.90 at 3 %: 645.90 × 3 × 27 / 36500 = 1.4333… → 1.43
    assert!(
        text.contains("intérêts au taux légal depuis la réception de la mise en demeure le 4 décembre 2026"),
        "{text}"
    );
    assert!(text.contains("05/12/2026") && text.contains("645,90 × 0,03 × 27 / 365"), "{text}");
    assert!(
        text.contains("Total des intérêts : 1,43\u{a0}€") && text.contains("Total réclamé : 647,33\u{a0}€"),
        "{text}"
    );
}

/// The container command of `deploy/cronjob.yaml`, and its number of shards.
fn cronjob() -> (String, usize) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/cronjob.yaml")).unwrap();
    let job: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(job["kind"], "CronJob");
    assert_eq!(job["spec"]["timeZone"], "Europe/Paris");
    assert_eq!(job["spec"]["concurrencyPolicy"], "Forbid");
    let spec = &job["spec"]["jobTemplate"]["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().unwrap() as usize;
    assert_eq!(spec["parallelism"].as_u64().unwrap() as usize, n, "the shards of one job run together");
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["command"], serde_json::json!(["sh", "-c"]));
    // The image's user (Containerfile) is the one the pod asks for.
    let containerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Containerfile")).unwrap();
    let user = pod["securityContext"]["runAsUser"].as_u64().unwrap();
    assert!(containerfile.contains(&format!("USER {user}")), "runAsUser {user} is not the Containerfile's USER");
    assert_eq!(containerfile.matches("\nFROM ").count(), 2, "two stages");
    (container["args"][0].as_str().unwrap().to_string(), n)
}

#[test]
fn the_cronjob_runs_its_indexed_shards_at_once_and_records_what_one_run_would() {
    let (script, n) = cronjob();
    assert!(script.contains(&format!("--shard \"$JOB_COMPLETION_INDEX/{n}\"")), "{script}");
    let whole = Dir::with_fixtures();
    whole.relance(["build", ".", "--out", "out"]).expect_code(0);
    // The pod's command as the cluster runs it, with the volumes mapped to
    // folders here; the N pods start at once.
    let sharded = Dir::with_fixtures();
    let out = sharded.join("volume-out");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_relance")).parent().unwrap().to_path_buf();
    let script = script
        .replace("/cases", &sharded.join("").display().to_string())
        .replace("/out/", &format!("{}/", out.display()));
    let pods: Vec<_> = (0..n)
        .map(|k| {
            std::process::Command::new("sh")
                .args(["-c", &script])
                .env("JOB_COMPLETION_INDEX", k.to_string())
                .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for pod in pods {
        let done = pod.wait_with_output().unwrap();
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    }
    let days: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(days.len(), 1, "one folder for the day: {days:?}");
    let shards: Vec<_> = std::fs::read_dir(&days[0]).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(shards.len(), n, "{shards:?}");
    // One file per shard that issued something.
    let files = journal_files(&sharded);
    assert!(
        !files.is_empty() && files.len() <= n && files.iter().all(|f| f.contains(&format!("-of-{n}."))),
        "{files:?}"
    );
    assert!(!entries(&whole).is_empty());
    assert_eq!(entries(&sharded), entries(&whole));
}
