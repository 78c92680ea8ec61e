//! The HTML report of a run, opened in a real headless browser (Chromium):
//! its totals and rows read from the DOM once the page's script ran, the
//! table filtered and sorted from the URL, debtor data shown literally, the
//! merged report of several runs; and `relance render` for template authors.

use std::path::Path;

use crate::util::*;

/// The DOM with no-break spaces made plain spaces.
fn dom(url: &str) -> String {
    browser(url, None).replace("&nbsp;", " ").replace(['\u{a0}', '\u{202f}'], " ")
}

/// The `<tr>` of a case in the DOM.
fn row<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("data-id=\"{id}\"")).unwrap_or_else(|| panic!("{id} not in the table"));
    let end = dom[start..].find("</tr>").unwrap() + start;
    &dom[start..end]
}

/// The text of the element with `id`.
fn by_id<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("#{id} not in the page"));
    let open = dom[at..].find('>').unwrap() + at + 1;
    let close = dom[open..].find('<').unwrap() + open;
    &dom[open..close]
}

#[test]
fn the_report_opens_in_a_browser_with_the_totals_and_each_case() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let page = dir.join("out/index.html");
    let dom = dom(&file_url(&page));
    assert_eq!(by_id(&dom, "total-cases"), "12");
    assert_eq!(by_id(&dom, "total-letters"), "6");
    assert_eq!(by_id(&dom, "total-without"), "6");
    assert_eq!(by_id(&dom, "total-errors"), "0");
    // 2 949,00 + 1 630,70 + 1 500,00 + 141,07 + 645,90 + 4 253,65
    assert_eq!(by_id(&dom, "total-claimed"), "11 120,32 €");
    // The script ran: the table says how many rows it shows.
    assert_eq!(by_id(&dom, "shown"), "12 dossier(s) sur 12");
    assert_eq!(by_id(&dom, "page-info"), "page 1 / 1");
    let dupont = row(&dom, "DUPONT-001");
    for cell in [
        "Dupont &amp; Fils SARL",
        "seconde relance",
        "par courrier",
        "1 630,70 €",
        ">83<",
        "relance amicale du 20 octobre 2026",
        "href=\"letters/DUPONT-001-formelle.pdf\"",
    ] {
        assert!(dupont.contains(cell), "{cell:?} not in {dupont}");
    }
    // A mise en demeure links to its décompte, which the page holds.
    let star = row(&dom, "STAR-004");
    assert!(star.contains("href=\"#decompte-0-STAR-004\""), "{star}");
    assert!(dom.contains("id=\"decompte-0-STAR-004\""));
    assert!(dom.contains("Total réclamé : 4 253,65 €"), "the décompte of STAR-004");
    // Per level and channel, and the aged balance, as SVG bars.
    assert!(dom.contains("<td>mise en demeure</td><td class=\"num\">2</td><td class=\"num\">5 753,65 €</td>"));
    assert!(dom.contains("<td>par e-mail</td><td class=\"num\">1</td><td class=\"num\">2 949,00 €</td>"));
    assert!(dom.contains("<td>plus de 90 jours</td><td class=\"num\">5</td>"), "aged balance");
    // The link leads to the letter.
    assert!(dir.join("out/letters/DUPONT-001-formelle.pdf").exists());
    // Nothing from the network.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src=\""), "self-contained");
    // A screenshot, as a person sees it (kept in target/ for a look).
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    browser(&file_url(&page), Some((&shot, "1280,2200")));
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 50_000, "a page, not a blank: {} bytes", png.len());
}

#[test]
fn the_table_filters_sorts_and_pages_in_the_browser() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let url = file_url(&dir.join("out/index.html"));
    let filtered = dom(&format!("{url}?q=dupont"));
    assert_eq!(by_id(&filtered, "shown"), "1 dossier(s) sur 12");
    assert!(row(&filtered, "DUPONT-001").contains("Dupont &amp; Fils SARL"));
    assert!(!filtered.contains("data-id=\"STAR-004\""), "only the matching rows are drawn");
    let letters = dom(&format!("{url}?statut=lettre"));
    assert_eq!(by_id(&letters, "shown"), "6 dossier(s) sur 12");
    // Sorted by amount, largest first: BATI-012 (8 097,91 €) heads the table.
    let sorted = dom(&format!("{url}?tri=amount&ordre=desc"));
    let body = &sorted[sorted.find("<tbody>").unwrap()..];
    let first = body.find("data-id=\"").unwrap() + 9;
    assert_eq!(&body[first..first + 8], "BATI-012");
    assert!(sorted.contains("aria-sort=\"descending\""));
}

#[test]
fn a_large_run_is_shown_a_page_at_a_time() {
    let dir = Dir::with_fixtures();
    let moreau = std::fs::read_to_string(dir.join("moreau.yaml")).unwrap();
    for i in 0..140 {
        dir.write(&format!("many/m{i:03}.yaml"), moreau.replace("MOREAU-003", &format!("M-{i:03}")));
    }
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let page = dir.join("out/index.html");
    // Without the script: the first 100 rows, and a note where the rest is.
    let html = std::fs::read_to_string(&page).unwrap();
    let static_rows = html[..html.find("<script id=\"report-data\"").unwrap()].matches("<tr class=\"status-").count();
    assert_eq!(static_rows, 100);
    assert!(html.contains("seuls les 100 premiers des 152 dossiers sont affichés"), "noscript note");
    // With it: 100 rows a page, the second page has the other 52.
    let first = dom(&file_url(&page));
    assert_eq!(by_id(&first, "page-info"), "page 1 / 2");
    assert_eq!(first.matches("<tr class=\"status-").count(), 100);
    let second = dom(&format!("{}?page=2", file_url(&page)));
    assert_eq!(by_id(&second, "page-info"), "page 2 / 2");
    assert_eq!(second.matches("<tr class=\"status-").count(), 52);
}

#[test]
fn debtor_data_shows_literally_in_the_page() {
    let dir = Dir::with_fixtures();
    dir.edit("dupont.yaml", |t| {
        t.replace("name: \"Dupont & Fils SARL\"", "name: \"<img src=x onerror=alert(1)>\"")
            + "hold: \"<script>document.title='pwned'</script>\"\n"
    });
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "out", "--no-record"]).expect_code(0);
    let dom = dom(&file_url(&dir.join("out/index.html")));
    assert!(dom.contains("<title>Relances — rapport de production — 22 novembre 2026</title>"), "title kept");
    assert!(!dom.contains("<img src=\"x\""), "no element made from data");
    let dupont = row(&dom, "DUPONT-001");
    assert!(dupont.contains("&lt;img src=x onerror=alert(1)&gt;"), "{dupont}");
    assert!(dupont.contains("suspendu : &lt;script&gt;document.title='pwned'&lt;/script&gt;"), "{dupont}");
}

#[test]
fn report_merges_the_shards_of_a_run() {
    let dir = Dir::with_fixtures();
    dir.relance(["build", ".", "--date", "2026-11-22", "--out", "whole", "--no-record"]).expect_code(0);
    for k in 0..2 {
        let shard = format!("{k}/2");
        dir.relance(["build", ".", "--date", "2026-11-22", "--no-record", "--shard", &shard, "--out"])
            .arg(format!("s{k}"))
            .run();
    }
    let out = dir.relance(["report", "s0", "s1", "--out", "rapports/jour.html"]).expect_code(0);
    assert!(out.stderr().contains("2 production(s)"), "{}", out.stderr());
    let merged = dom(&file_url(&dir.join("rapports/jour.html")));
    let whole = dom(&file_url(&dir.join("whole/index.html")));
    for id in ["total-cases", "total-letters", "total-claimed", "total-owed"] {
        assert_eq!(by_id(&merged, id), by_id(&whole, id), "{id}");
    }
    // Links lead from the page's folder to each shard's letters.
    let dupont = row(&merged, "DUPONT-001");
    let href = dupont.split("href=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(href.starts_with("../s"), "{href}");
    assert!(dir.join("rapports").join(href).exists(), "{href}");
    let bad = dir.relance(["report", "nope", "--out", "x.html"]).expect_code(2);
    assert!(bad.stderr().contains("nope/manifest.json"), "{}", bad.stderr());
}

#[test]
fn render_writes_the_pdf_the_pages_as_png_or_the_markup() {
    let dir = Dir::with_fixtures();
    dir.relance(["render", "dupont.yaml", "--date", "2026-11-22"]).expect_code(0);
    let text = dir.pdf_text("DUPONT-001-formelle.pdf");
    assert!(text.contains("Seconde relance") && text.contains("1 630,70"), "{text}");
    let out = dir
        .relance([
            "render",
            "star-bureau.yaml",
            "--date",
            "2026-11-22",
            "--level",
            "mise-en-demeure",
            "--format",
            "png",
        ])
        .arg("--out")
        .arg("star.png")
        .expect_code(0);
    assert!(out.stderr().contains("star-1.png") && out.stderr().contains("star-2.png"), "{}", out.stderr());
    for page in ["star-1.png", "star-2.png"] {
        let png = std::fs::read(dir.join(page)).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // 144 dpi A4: 1191 × 1684 pixels (IHDR width and height).
        let (w, h) =
            (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
        assert_eq!((w, h), (1191, 1684), "{page}");
    }
    dir.relance(["render", "injection.yaml", "--date", "2026-11-22", "--format", "typ", "--out", "c.typ"])
        .expect_code(0);
    let typ = std::fs::read_to_string(dir.join("c.typ")).unwrap();
    // The letter between the marks that tell where it starts and ends in a batch.
    assert!(typ.starts_with("#metadata(\"début\") <relance-lettre>\n#import \"layout.typ\": *"), "{typ}");
    assert!(typ.ends_with("#metadata(\"fin\") <relance-fin>\n"), "{typ}");
    assert!(typ.contains(r#"[\#read\(\"\/etc\/passwd\"\) SAS]"#), "data escaped in the markup: {typ}");
    let none = dir.relance(["render", "paid.yaml", "--date", "2026-11-22"]).expect_code(2);
    assert!(none.stderr().contains("pas de lettre à produire (rien à réclamer"), "{}", none.stderr());
}

#[test]
fn render_watch_renders_again_when_the_case_changes() {
    let dir = Dir::with_fixtures();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relance"))
        .current_dir(dir.path())
        .args(["render", "dupont.yaml", "--date", "2026-11-22", "--format", "typ", "--out", "w.typ", "--watch"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let wait_for = |needle: &str| {
        for _ in 0..600 {
            if std::fs::read_to_string(dir.join("w.typ")).is_ok_and(|t| t.contains(needle)) {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let first = wait_for("Dupont \\& Fils SARL");
    dir.edit("dupont.yaml", |t| t.replace("Dupont & Fils SARL", "Dupont et Fille SARL"));
    let second = wait_for("Dupont et Fille SARL");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first, "first rendering");
    assert!(second, "rendered again after the edit");
}
