//! Regenerates the invoice copies the fixtures attach (`fixtures/cases/
//! invoices/*.pdf`): plain one- or two-page invoices typeset with relance's
//! own embedded Typst, so the fixtures need no outside tool.
//!
//! cargo run --example invoice-copies

use chrono::NaiveDate;
use relance::escape::escape_typst;
use relance::templates::TemplateSet;
use relance::typeset::{Export, Fonts, LetterWorld};

struct Invoice {
    number: &'static str,
    date: &'static str,
    client: &'static str,
    lines: &'static [(&'static str, &'static str)],
    total: &'static str,
    /// Add the general terms of sale on a second page.
    cgv_page: bool,
}

const INVOICES: &[Invoice] = &[
    Invoice {
        number: "F-2026-0042",
        date: "01/08/2026",
        client: "Dupont & Fils SARL",
        lines: &[("Agencement boutique, lot 1", "850,00 €"), ("Pose et finitions", "178,80 €")],
        total: "1 234,56 €",
        cgv_page: false,
    },
    Invoice {
        number: "F-2026-0101",
        date: "03/10/2026",
        client: "L'Atelier Bleu",
        lines: &[("Mobilier sur mesure", "2 408,33 €")],
        total: "2 890,00 €",
        cgv_page: false,
    },
    Invoice {
        number: "F-2026-0012",
        date: "15/01/2026",
        client: "*Star* _Bureau_ $Conseil #1 @ <b>",
        lines: &[("Étude et plans", "1 500,00 €"), ("Réalisation", "1 500,00 €")],
        total: "3 600,00 €",
        cgv_page: true,
    },
    Invoice {
        number: "F-2026-0031",
        date: "02/03/2026",
        client: "Bâti Rhône SARL",
        lines: &[("Agencement de bureaux (devis D-2026-014)", "6 233,33 €")],
        total: "7 480,00 €",
        cgv_page: false,
    },
];

fn main() {
    let templates = TemplateSet::builtin();
    let fonts = Fonts::load(&templates);
    let mut world = LetterWorld::new(fonts, templates);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases/invoices");
    std::fs::create_dir_all(&out).unwrap();
    for inv in INVOICES {
        let mut m = String::from(
            "#set page(paper: \"a4\", margin: 22mm)\n#set text(font: \"Libertinus Serif\", size: 10.5pt, lang: \"fr\")\n#set document(title: \"Facture\")\n",
        );
        m.push_str("#text(size: 16pt, weight: \"bold\")[Atelier Martin SAS] \\ 4 place Bellecour, 69002 Lyon \\ SIREN 842 156 739\n\n#v(10mm)\n");
        m.push_str(&format!(
            "#align(right)[*Client :* {}]\n\n#text(size: 14pt, weight: \"bold\")[FACTURE n° {}] \\ Date : {}\n\n#v(6mm)\n",
            escape_typst(inv.client),
            escape_typst(inv.number),
            escape_typst(inv.date)
        ));
        m.push_str("#table(columns: (1fr, auto), stroke: 0.5pt, [*Désignation*], [*Montant HT*],\n");
        for (label, amount) in inv.lines {
            m.push_str(&format!("  [{}], [{}],\n", escape_typst(label), escape_typst(amount)));
        }
        m.push_str(&format!("  [*Total TTC*], [*{}*],\n)\n", escape_typst(inv.total)));
        m.push_str("\nPénalités de retard : 12 % l'an. Indemnité forfaitaire pour frais de recouvrement : 40 €.\n");
        if inv.cgv_page {
            m.push_str("#pagebreak()\n= Conditions générales de vente\n\nArticle 1 — Les prix s'entendent TTC. Article 2 — Paiement à 30 jours.\n");
        }
        let export = Export {
            date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ident: format!("invoice/{}", inv.number),
            archival: false,
            data: vec![],
            checks: None,
        };
        let (pdf, pages) = world.compile_pdf(m, export).map_err(|e| format!("{e:?}")).expect("invoice typesets");
        std::fs::write(out.join(format!("{}.pdf", inv.number)), pdf).unwrap();
        println!("{}: {pages} page(s)", inv.number);
    }
}
