//! `relance import fec`: a generated FEC of some 3,800 lines and 120
//! customers, in two files and two encodings (UTF-8 with BOM and tabs;
//! ISO-8859-15 with `|`), with settled and partial lettering, credit notes
//! and an unlettered payment, imports into cases whose build gives the
//! expected levels; a re-import after the clerk's edits keeps them.

use crate::util::*;

const HEADER: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// Writes FEC lines for customers `range`; returns the lines (no header).
struct Fec {
    lines: Vec<Vec<String>>,
    entry: u32,
}

impl Fec {
    fn line(
        &mut self,
        journal: &str,
        date: &str,
        (account, aux, name): (&str, &str, &str),
        piece: &str,
        (debit, credit): (u64, u64),
        letter: &str,
    ) {
        let cents = |c: u64| if c == 0 { "0,00".to_string() } else { format!("{},{:02}", c / 100, c % 100) };
        self.lines.push(
            [
                journal,
                journal,
                &self.entry.to_string(),
                date,
                account,
                "Compte",
                aux,
                name,
                piece,
                date,
                "libellé",
                &cents(debit),
                &cents(credit),
                letter,
                if letter.is_empty() { "" } else { date },
                date,
                "",
                "",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        );
    }

    /// An invoice: 411 debit, 706 and 44571 credits.
    fn invoice(&mut self, date: &str, aux: &str, name: &str, piece: &str, cents: u64, letter: &str) {
        self.entry += 1;
        let vat = cents / 6;
        self.line("VE", date, ("411000", aux, name), piece, (cents, 0), letter);
        self.line("VE", date, ("706000", "", ""), piece, (0, cents - vat), "");
        self.line("VE", date, ("445710", "", ""), piece, (0, vat), "");
    }

    /// A payment: 411 credit, 512 debit.
    fn payment(&mut self, date: &str, aux: &str, name: &str, piece: &str, cents: u64, letter: &str) {
        self.entry += 1;
        self.line("BQ", date, ("411000", aux, name), piece, (0, cents), letter);
        self.line("BQ", date, ("512000", "", ""), piece, (cents, 0), "");
    }
}

/// The open invoices and what is still owed, by customer kind.
fn generate(range: std::ops::Range<usize>, accents: bool) -> Fec {
    let mut f = Fec { lines: Vec::new(), entry: 0 };
    for k in range {
        let aux = format!("C{k:03}");
        let name = if accents { format!("Œuvres Société {k} Éts") } else { format!("Client {k} SARL") };
        // A history of five invoices settled by their payments (lettering balanced).
        for h in 0..5 {
            let letter = format!("H{h}{k}");
            let piece = format!("F{k}-H{h}");
            f.invoice("20260105", &aux, &name, &piece, 10_000 + h * 100, &letter);
            f.payment("20260210", &aux, &name, &format!("V{k}-H{h}"), 10_000 + h * 100, &letter);
        }
        match k % 4 {
            // Nothing open: no case.
            0 => {}
            // One invoice open, due 01/10 (date + 30 days).
            1 => f.invoice("20260901", &aux, &name, &format!("F{k}-A"), 120_000, ""),
            // Partly paid: 400 € lettered with it (partial lettering).
            2 => {
                f.invoice("20260901", &aux, &name, &format!("F{k}-A"), 120_000, &format!("P{k}"));
                f.payment("20261005", &aux, &name, &format!("V{k}-A"), 40_000, &format!("P{k}"));
            }
            // A credit note of 100 € on one invoice, another invoice not yet due,
            // and a payment nobody lettered.
            _ => {
                f.invoice("20260901", &aux, &name, &format!("F{k}-A"), 120_000, &format!("P{k}"));
                f.entry += 1;
                f.line("VE", "20260915", ("411000", &aux, &name), &format!("AV{k}"), (0, 10_000), &format!("P{k}"));
                f.line("VE", "20260915", ("706000", "", ""), &format!("AV{k}"), (10_000, 0), "");
                f.invoice("20261110", &aux, &name, &format!("F{k}-B"), 50_000, "");
                f.payment("20261020", &aux, &name, &format!("V{k}-X"), 5_000, "");
            }
        }
    }
    f
}

fn text(f: &Fec, sep: &str) -> String {
    let mut t = HEADER.join(sep);
    t.push_str("\r\n");
    for l in &f.lines {
        t.push_str(&l.join(sep));
        t.push_str("\r\n");
    }
    t
}

#[test]
fn a_fec_in_two_encodings_imports_into_cases_that_build_the_expected_letters() {
    let dir = Dir::new();
    dir.write("relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    let a = generate(0..60, false);
    let b = generate(60..120, true);
    assert!(a.lines.len() + b.lines.len() >= 2000, "{} lines", a.lines.len() + b.lines.len());
    let mut utf8 = b"\xEF\xBB\xBF".to_vec();
    utf8.extend(text(&a, "\t").as_bytes());
    // One broken line: reported with its place, the rest imported.
    utf8.extend(b"VE\tVentes\t999\t20260901\t411000\n");
    dir.write("fec-a.txt", utf8);
    let b_text = text(&b, "|");
    let (latin9, _, bad) = encoding_rs::ISO_8859_15.encode(&b_text);
    assert!(!bad);
    dir.write("fec-b.txt", &latin9);

    let out = dir.relance(["import", "fec", "fec-a.txt", "--date", "2026-11-22"]).expect_code(1);
    let err = out.stderr();
    assert!(err.contains("encodage UTF-8 (BOM), séparateur tabulation"), "{err}");
    assert!(
        err.contains(&format!("fec-a.txt:{}: ligne: 5 colonnes ; attendu : 18 comme l'en-tête", a.lines.len() + 2)),
        "{err}"
    );
    assert!(err.contains("45 nouveau(x)"), "{err}");
    let out = dir.relance(["import", "fec", "fec-b.txt", "--date", "2026-11-22"]).expect_code(0);
    assert!(out.stderr().contains("encodage ISO-8859-15, séparateur |"), "{}", out.stderr());
    let case = std::fs::read_to_string(dir.join("C-C061.yaml")).unwrap();
    assert!(case.contains("name: \"Œuvres Société 61 Éts\""), "{case}");
    assert!(!dir.join("C-C000.yaml").exists(), "nothing open, no case");

    // Partial lettering: 1200 € less 400 € lettered with the invoice.
    let case = std::fs::read_to_string(dir.join("C-C002.yaml")).unwrap();
    assert!(case.contains("{ date: 2026-10-05, amount: 400.00, invoice: \"F2-A\" }"), "{case}");
    assert!(!case.contains("F2-H0"), "settled history stays out: {case}");
    // Credit note lettered with its invoice; an unlettered payment names none.
    let case = std::fs::read_to_string(dir.join("C-C003.yaml")).unwrap();
    assert!(case.contains("{ date: 2026-09-15, amount: 100.00, invoice: \"F3-A\" }"), "{case}");
    assert!(case.contains("{ date: 2026-10-20, amount: 50.00 }"), "{case}");

    // The clerk completes every new case (address, hold lifted, a note).
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("C-") {
            dir.edit(&name, |t| {
                t.replace("[\"ADRESSE À COMPLÉTER\"]", "[\"1 rue de la Paix\"]  # vérifiée au téléphone")
                    .replace("\"00000\"", "\"75002\"")
                    .replace("VILLE À COMPLÉTER", "Paris")
                    .replace("hold: \"adresse à compléter (dossier créé par l'import comptable)\"\n", "")
            });
        }
    }
    // Re-import: the edits stay; the invoices are refreshed (nothing changed).
    let out = dir.relance(["import", "fec", "fec-b.txt", "--date", "2026-11-23", "--dry-run"]).expect_code(0);
    assert!(out.stderr().contains("0 nouveau(x), 0 mis à jour, 0 soldé(s), 45 inchangé(s)"), "{}", out.stderr());
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let manifest = std::fs::read_to_string(dir.join("out/manifest.csv")).unwrap();
    let amicales = manifest.lines().filter(|l| l.contains(",letter,amicale,")).count();
    assert_eq!(amicales, 90, "every customer with an invoice due since 1 October:\n{manifest}");
    let c003 = manifest.lines().find(|l| l.starts_with("C-C003,")).unwrap();
    // 1200 + 500 invoiced; 100 credit note and 50 paid; the 500 € of F3-B fall
    // due on 10/12: 1050 € of principal claimed (F3-A), the credits imputed to
    // its penalties first (C. civ. 1343-1).
    assert!(c003.contains(",letter,amicale,"), "{c003}");
    let case = std::fs::read_to_string(dir.join("C-C063.yaml")).unwrap();
    assert!(case.contains("# vérifiée au téléphone") && case.contains("city: Paris"), "{case}");
}

#[test]
fn a_re_import_keeps_the_clerks_edits_and_reports_what_disappeared() {
    let dir = Dir::new();
    dir.write("relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    let mut f = Fec { lines: Vec::new(), entry: 0 };
    f.invoice("20260901", "C1", "Dupont SARL", "F-1", 120_000, "");
    f.invoice("20260905", "C1", "Dupont SARL", "F-2", 30_000, "");
    dir.write("fec.txt", text(&f, "\t"));
    dir.relance(["import", "fec", "fec.txt", "--date", "2026-11-22"]).expect_code(0);
    dir.edit("C-C1.yaml", |t| {
        t.replace(
            "hold: \"adresse à compléter (dossier créé par l'import comptable)\"\n",
            "# client historique, ménager\nhold: \"litige sur F-2\"\n",
        )
        .replace("  city: VILLE À COMPLÉTER", "  contact: Mme Martin\n  city: Lyon")
    });
    // Next month: F-2 is gone from the books (cancelled), F-1 half paid.
    let mut g = Fec { lines: Vec::new(), entry: 0 };
    g.invoice("20260901", "C1", "Dupont SARL", "F-1", 120_000, "L1");
    g.payment("20261201", "C1", "Dupont SARL", "V-1", 60_000, "L1");
    dir.write("fec2.txt", text(&g, "\t"));
    let dry = dir
        .relance(["import", "fec", "fec2.txt", "--date", "2026-12-02", "--dry-run", "--format", "json"])
        .expect_code(0);
    let changes: serde_json::Value = serde_json::from_str(&dry.stdout()).unwrap();
    assert_eq!(changes[0]["action"], "mis_a_jour");
    assert_eq!(changes[0]["disappeared"], serde_json::json!(["F-2"]));
    assert!(std::fs::read_to_string(dir.join("C-C1.yaml")).unwrap().contains("F-2"), "--dry-run writes nothing");
    dir.relance(["import", "fec", "fec2.txt", "--date", "2026-12-02"]).expect_code(0);
    let case = std::fs::read_to_string(dir.join("C-C1.yaml")).unwrap();
    for kept in ["# client historique, ménager", "hold: \"litige sur F-2\"", "contact: Mme Martin", "city: Lyon"] {
        assert!(case.contains(kept), "{kept:?} lost:\n{case}");
    }
    assert!(case.contains("{ date: 2026-12-01, amount: 600.00, invoice: \"F-1\" }"), "{case}");
    assert!(case.contains("# F-2 : absente de l'import du 2026-12-02, retirée de ce dossier"), "{case}");
    assert!(!case.contains("number: \"F-2\""), "{case}");
}

#[test]
fn open_items_and_a_customer_directory_as_csv_import_into_cases_ready_to_build() {
    let dir = Dir::new();
    let config = std::fs::read_to_string(fixtures().join("relance.yaml")).unwrap();
    dir.write(
        "relance.yaml",
        format!(
            "{config}import:\n  open_items:\n    columns: {{ customer: Code, name: Client, number: Facture, date: Date, due: Échéance, amount: TTC, paid: Réglé }}\n  customers:\n    columns: {{ customer: Code, name: Raison sociale, address: Adresse, postal_code: CP, city: Ville, email: Courriel }}\n"
        ),
    );
    dir.write(
        "encours.csv",
        "Code;Client;Facture;Date;Échéance;TTC;Réglé\n\
         411DUP;Dupont;FA-1;01/09/2026;01/10/2026;1 234,56;200,00\n\
         411DUP;Dupont;FA-2;10/09/2026;10/10/2026;480,00;\n\
         411MAR;Martin;FA-3;15/09/2026;15/10/2026;douze;\n\
         411LEF;Lefèvre;FA-4;15/11/2026;15/12/2026;99,99;\n",
    );
    dir.write(
        "clients.csv",
        "Code;Raison sociale;Adresse;CP;Ville;Courriel\n\
         411DUP;Dupont & Fils SARL;12 rue des Lilas;69003;Lyon;compta@dupont.example\n",
    );
    let out = dir
        .relance(["import", "csv", "encours.csv", "--customers", "clients.csv", "--date", "2026-11-22"])
        .expect_code(1);
    let err = out.stderr();
    assert!(err.contains("encours.csv:4:42: TTC: « douze » ; attendu : un montant comme 1 234,56"), "{err}");
    assert!(err.contains("2 nouveau(x)"), "{err}");
    let case = std::fs::read_to_string(dir.join("C-411DUP.yaml")).unwrap();
    assert!(
        case.contains("name: \"Dupont & Fils SARL\"") && case.contains("city: \"Lyon\"") && !case.contains("hold:"),
        "{case}"
    );
    assert!(case.contains("{ number: \"FA-1\", date: 2026-09-01, due: 2026-10-01, amount: 1234.56 }"), "{case}");
    assert!(case.contains("{ date: 2026-10-01, amount: 200.00, invoice: \"FA-1\" }"), "{case}");
    // Not in the directory: an address to complete, on hold.
    assert!(std::fs::read_to_string(dir.join("C-411LEF.yaml")).unwrap().contains("hold:"));
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let text = fold(&dir.pdf_text("out/letters/C-411DUP-amicale.pdf"));
    assert!(text.contains("Dupont & Fils SARL") && text.contains("69003 LYON") && text.contains("FA-2"), "{text}");
}

#[test]
fn an_unbalanced_entry_is_reported_with_its_line_and_the_rest_imported() {
    let dir = Dir::new();
    dir.write("relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    let mut f = Fec { lines: Vec::new(), entry: 0 };
    f.invoice("20260901", "C1", "Dupont SARL", "F-1", 120_000, "");
    f.invoice("20260905", "C2", "Martin SA", "F-2", 30_000, "");
    // The VAT line of F-2 lost: 300 € debit, 250 € credit.
    f.lines.pop();
    dir.write("fec.txt", text(&f, "\t"));
    let out = dir.relance(["import", "fec", "fec.txt", "--date", "2026-11-22"]).expect_code(1);
    assert!(
        out.stderr().contains("fec.txt:5: EcritureNum: écriture 2 du journal VE déséquilibrée : débit − crédit = 50"),
        "{}",
        out.stderr()
    );
    assert!(out.stderr().contains("2 nouveau(x)"), "{}", out.stderr());
}

/// Five Factur-X invoices written by drafthorse (a real Factur-X writer,
/// PyPI package installed by .ci/test.sh) on one of the fixtures' PDFs.
fn facturx_invoices(dir: &Dir) -> Vec<std::path::PathBuf> {
    let out = dir.join("recues");
    let status = std::process::Command::new("python3")
        .arg(root().join("tests/data/make_facturx.py"))
        .arg(fixtures().join("invoices/F-2026-0042.pdf"))
        .arg(&out)
        .status()
        .expect("python3 with drafthorse (pip install drafthorse; .ci/test.sh installs it)");
    assert!(status.success());
    let mut files: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 5);
    files
}

#[test]
fn factur_x_invoices_from_a_real_writer_import_and_travel_with_the_letters() {
    let dir = Dir::new();
    dir.write("relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    let files = facturx_invoices(&dir);
    let mut cmd = dir.relance(["import", "facturx", "--date", "2026-11-22"]);
    for f in &files {
        cmd = cmd.arg(f);
    }
    let out = cmd.expect_code(0);
    assert!(out.stderr().contains("4 nouveau(x)"), "{}", out.stderr());
    // BT-1, BT-2, BT-9, BT-115; buyer BT-44, BT-47, BT-49, BT-50, BT-52, BT-53.
    let case = std::fs::read_to_string(dir.join("C-732829320.yaml")).unwrap();
    for want in [
        "name: \"Dupont & Fils SARL\"",
        "address: [\"12 rue des Lilas\"]",
        "postal_code: \"69003\"",
        "city: \"Lyon\"",
        "email: \"compta@dupont.example\"",
        "siren: \"732829320\"",
        "{ number: \"FX-2026-001\", date: 2026-09-01, due: 2026-10-01, amount: 1200.00, file: \"factures/FX-2026-001.pdf\" }",
        "{ number: \"FX-2026-002\", date: 2026-09-15, due: 2026-10-15, amount: 300.00, file: \"factures/FX-2026-002.pdf\" }",
    ] {
        assert!(case.contains(want), "{want:?} not in\n{case}");
    }
    // No BT-9: the invoice date + 30 days, said in the case.
    let roux = std::fs::read_to_string(dir.join("C-404833048.yaml")).unwrap();
    assert!(roux.contains("due: 2026-11-04, amount: 90.00") && roux.contains("# échéance : date + 30 jours"), "{roux}");
    // Imported again: nothing twice.
    let mut again = dir.relance(["import", "facturx", "--date", "2026-11-23"]);
    for f in &files {
        again = again.arg(f);
    }
    let again = again.expect_code(0);
    assert!(again.stderr().contains("0 nouveau(x), 0 mis à jour"), "{}", again.stderr());
    // The letters carry the Factur-X PDF as the invoice copy.
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let manifest = std::fs::read_to_string(dir.join("out/manifest.csv")).unwrap();
    let garnier = manifest.lines().find(|l| l.starts_with("C-552100554,")).unwrap();
    assert!(garnier.contains(",letter,amicale,") && garnier.contains("FX-2026-003.pdf"), "{garnier}");
    let pack = dir.join("out/pack-courrier.pdf");
    assert!(pdf_text(&pack).contains("F-2026-0042"), "the Factur-X PDF (made on F-2026-0042's page) is in the pack");
    let eml = std::fs::read_to_string(dir.join("out/emails/C-732829320.eml")).unwrap();
    assert!(eml.contains("FX-2026-001.pdf") && eml.contains("FX-2026-002.pdf"), "both copies attached");
}

#[test]
fn two_fiscal_years_in_one_fec_count_an_invoice_carried_forward_once() {
    // F-9 invoiced in 2025 (VE), restated in the opening entries of 2026
    // (journal AN): one invoice of 500 €, not two.
    let dir = Dir::new();
    dir.write("relance.yaml", std::fs::read(fixtures().join("relance.yaml")).unwrap());
    let mut f = Fec { lines: Vec::new(), entry: 0 };
    f.invoice("20251201", "C9", "Faure SA", "F-9", 50_000, "");
    f.entry += 1;
    f.line("AN", "20260101", ("411000", "C9", "Faure SA"), "F-9", (50_000, 0), "");
    f.line("AN", "20260101", ("890000", "", ""), "F-9", (0, 50_000), "");
    f.invoice("20260301", "C9", "Faure SA", "F-10", 12_000, "");
    dir.write("fec.txt", text(&f, "|"));
    dir.relance(["import", "fec", "fec.txt", "--date", "2026-11-22"]).expect_code(0);
    let case = std::fs::read_to_string(dir.join("C-C9.yaml")).unwrap();
    assert_eq!(case.matches("number: \"F-9\"").count(), 1, "{case}");
    assert!(case.contains("{ number: \"F-9\", date: 2025-12-01, due: 2025-12-31, amount: 500.00 }"), "{case}");
    assert!(case.contains("number: \"F-10\""), "{case}");
}
