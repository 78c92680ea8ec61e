//! Print packs (one PDF per postal channel, ready for a duplex printer) and
//! the LRAR deposit list.
//!
//! A pack is itself a Typst document whose pages are the pages of the
//! letters and of the invoice copies, embedded as vector PDF images: nothing
//! is rasterised and the fonts of the letters stay embedded.

use std::path::PathBuf;

use serde::Serialize;

use std::borrow::Cow;

use crate::csv_out::{CsvRecord, CsvWriter};
use crate::escape::escape_typst;

/// A PDF file to put in a pack, with its page count.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its file name.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its page count.
    pub pages: usize,
}

/// Where the bytes of a page of a pack are, until the pack is made: a run
/// of 100,000 letters does not keep them in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A file this run wrote, relative to the output (read back through
    /// [`super::Sink::read`]).
    Output(PathBuf),
    /// A file of the input (an invoice copy next to its case).
    Input(PathBuf),
}

/// A PDF of a pack: its page count and where to read it.
#[derive(Debug, Clone)]
pub(crate) struct PackDoc {
    pub(crate) pages: usize,
    pub(crate) origin: Origin,
}

/// Most letters in one pack file. A larger batch is cut into volumes
/// (`pack-courrier-001.pdf`, …), each typeset on its own, so that memory
/// stays bounded however many letters a run builds; a volume (about 200
/// pages) is also a reasonable stack for a print shop's duplex printer.
pub(crate) const VOLUME_LETTERS: usize = 100;

/// Most pages of letters and invoice copies one volume embeds. Memory while
/// a volume is typeset follows the pages it embeds, not its letters: in a
/// 100,000-case run the volumes of 100 two-page mises en demeure took the
/// peak 20–25 MiB above the one-page letters' volumes.
pub(crate) const VOLUME_PAGES: usize = 100;

/// Cuts a sorted pack into volumes: at most [`VOLUME_LETTERS`] letters and
/// [`VOLUME_PAGES`] embedded pages each (a letter longer than that alone
/// still gets a volume), in pack order.
pub(crate) fn volumes(items: &[PackItem]) -> Vec<&[PackItem]> {
    let mut out = Vec::new();
    let (mut start, mut pages) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = item.pages();
        if i > start && (i - start == VOLUME_LETTERS || pages + n > VOLUME_PAGES) {
            out.push(&items[start..i]);
            (start, pages) = (i, 0);
        }
        pages += n;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// The file names of `volumes` volumes of a pack: the documented
/// `pack-<channel>.pdf` when one volume is enough.
pub(crate) fn volume_names(stem: &str, volumes: usize) -> Vec<String> {
    if volumes <= 1 {
        vec![format!("{stem}.pdf")]
    } else {
        (1..=volumes).map(|k| format!("{stem}-{k:03}.pdf")).collect()
    }
}

/// One letter of a pack and what follows it.
#[derive(Debug, Clone)]
pub(crate) struct PackItem {
    pub(crate) id: String,
    pub(crate) postal_code: String,
    pub(crate) letter: PackDoc,
    /// Copies of the invoices, printed after the letter.
    pub(crate) copies: Vec<PackDoc>,
    /// For the deposit list.
    pub(crate) recipient: String,
    pub(crate) address: String,
    pub(crate) reference: String,
}

impl PackItem {
    /// Pages the letter and its copies take, without a blank verso.
    pub(crate) fn pages(&self) -> usize {
        self.letter.pages + self.copies.iter().map(|c| c.pages).sum::<usize>()
    }
}

/// Where a letter landed in a pack (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// The case id.
    pub id: String,
    /// First page of the letter, 1-based.
    pub first_page: usize,
    /// Last page including copies and the blank verso, if any.
    pub last_page: usize,
    /// Whether a blank page follows, so the next letter starts on a recto.
    pub blank_verso: bool,
}

/// An invoice copy that is not a PDF relance can put in a pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PdfError {
    /// lopdf could not read it.
    #[error("PDF illisible ({0})")]
    Unreadable(String),
    /// A PDF with no page to print.
    #[error("PDF sans aucune page")]
    NoPages,
}

/// Counts the pages of a PDF (for invoice copies supplied by the user).
pub(crate) fn page_count(bytes: &[u8]) -> Result<usize, PdfError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| PdfError::Unreadable(e.to_string()))?;
    match doc.get_pages().len() {
        0 => Err(PdfError::NoPages),
        n => Ok(n),
    }
}

/// Orders a pack: by postal code, then id (docs/outputs.md).
pub(crate) fn sort_items(items: &mut [PackItem]) {
    items.sort_by(|a, b| a.postal_code.cmp(&b.postal_code).then_with(|| a.id.cmp(&b.id)));
}

/// A page run of a pack, in order: a PDF's pages, or a blank verso.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Every page of this PDF (it has that many).
    Pdf(Origin, usize),
    /// A blank page.
    Blank,
}

/// The order of a pack's pages and where each letter starts. Each letter
/// starts on an odd page: a blank page is added after any letter (with its
/// copies) that ends on an odd page.
pub(crate) fn pack_layout(items: &[PackItem]) -> (Vec<Slot>, Vec<Placement>) {
    let mut slots = Vec::new();
    let mut placements = Vec::new();
    let mut page = 0usize;
    for item in items {
        let start = page + 1;
        for doc in std::iter::once(&item.letter).chain(item.copies.iter()) {
            slots.push(Slot::Pdf(doc.origin.clone(), doc.pages));
            page += doc.pages;
        }
        let blank_verso = (page - start + 1) % 2 == 1;
        if blank_verso {
            slots.push(Slot::Blank);
            page += 1;
        }
        placements.push(Placement { id: item.id.clone(), first_page: start, last_page: page, blank_verso });
    }
    (slots, placements)
}

/// The baseline way to make a pack (`--pack-mode typeset`, for the
/// benchmark): a Typst document whose pages are the pages of the letters
/// and copies embedded as PDF images, typeset again. Returns the markup
/// and the data files it reads.
pub(crate) fn pack_markup(slots: &[Slot]) -> (String, Vec<(String, Origin)>) {
    let mut markup = String::from("#set document(title: \"Pli de relances\")\n#set page(paper: \"a4\", margin: 0pt)\n");
    let mut data = Vec::new();
    let mut first = true;
    let mut emit = |content: String| {
        if !first {
            markup.push_str("#pagebreak()\n");
        }
        first = false;
        markup.push_str(&content);
        markup.push('\n');
    };
    for slot in slots {
        match slot {
            Slot::Pdf(origin, pages) => {
                let key = format!("{}.pdf", data.len());
                for p in 1..=*pages {
                    emit(format!(
                        "#image(\"/{}{key}\", page: {p}, width: 100%, height: 100%, fit: \"contain\")",
                        crate::typeset::DATA_DIR
                    ));
                }
                data.push((key, origin.clone()));
            }
            Slot::Blank => emit("#box()".to_string()),
        }
    }
    (markup, data)
}

/// The liste de dépôt of registered letters, as Typst markup: one row per
/// letter, with an empty column for the number La Poste assigns.
pub(crate) fn deposit_markup(items: &[PackItem], sender: &str, sender_address: &str, date: &str) -> String {
    let mut m = String::new();
    m.push_str("#set document(title: \"Liste de dépôt des lettres recommandées\")\n");
    m.push_str("#set page(paper: \"a4\", flipped: true, margin: 14mm, footer: context align(right, text(size: 8pt)[Page #counter(page).display() / #counter(page).final().first()]))\n");
    m.push_str("#set text(font: \"Libertinus Serif\", size: 9.5pt, lang: \"fr\", hyphenate: false)\n");
    m.push_str(&format!(
        "#text(size: 14pt, weight: \"bold\")[Liste de dépôt — lettres recommandées avec accusé de réception]\n\nExpéditeur : {} — {} #h(1fr) Dépôt du {} — {} pli(s)\n\n",
        escape_typst(sender),
        escape_typst(sender_address),
        escape_typst(date),
        items.len()
    ));
    m.push_str("#table(columns: (auto, 1.4fr, 2.4fr, 1.2fr, auto, 1.3fr), stroke: 0.4pt + luma(150), inset: 4pt,\n");
    m.push_str(
        "  table.header([*N°*], [*Destinataire*], [*Adresse*], [*Référence*], [*Pages*], [*N° de recommandé*]),\n",
    );
    for (i, it) in items.iter().enumerate() {
        m.push_str(&format!(
            "  [{}], [{}], [{}], [{}], [{}], [],\n",
            i + 1,
            escape_typst(&it.recipient),
            escape_typst(&it.address),
            escape_typst(&it.reference),
            it.pages()
        ));
    }
    m.push_str(")\n");
    m
}

/// A row of the deposit list CSV.
struct DepositRow<'a> {
    number: usize,
    item: &'a PackItem,
}

impl CsvRecord for DepositRow<'_> {
    const HEADER_FR: &'static [&'static str] = &[
        "numero",
        "destinataire",
        "adresse",
        "code_postal",
        "reference",
        "pages",
        "numero_recommande",
        "premiere_presentation",
        "distribution",
        "retour",
    ];
    const HEADER: &'static [&'static str] = &[
        "number",
        "recipient",
        "address",
        "postal_code",
        "reference",
        "pages",
        "registered_number",
        "first_presented",
        "delivered",
        "returned",
    ];

    fn cells(&self) -> Vec<Cow<'_, str>> {
        let it = self.item;
        vec![
            self.number.to_string().into(),
            it.recipient.as_str().into(),
            it.address.as_str().into(),
            it.postal_code.as_str().into(),
            it.reference.as_str().into(),
            it.pages().to_string().into(),
            "".into(),
            "".into(),
            "".into(),
            "".into(),
        ]
    }
}

/// The deposit list as CSV (same rows), through the one CSV writer.
pub(crate) fn deposit_csv(items: &[PackItem], format: crate::csv_out::CsvFormat) -> std::io::Result<Vec<u8>> {
    let mut w = CsvWriter::with_format(Vec::new(), format);
    for (i, item) in items.iter().enumerate() {
        w.write(&DepositRow { number: i + 1, item })?;
    }
    w.finish::<DepositRow>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, cp: &str, pages: usize, copies: &[usize]) -> PackItem {
        let doc = |name: &str, pages: usize| PackDoc { pages, origin: Origin::Input(name.into()) };
        PackItem {
            id: id.into(),
            postal_code: cp.into(),
            letter: doc(id, pages),
            copies: copies.iter().map(|p| doc("copy", *p)).collect(),
            recipient: id.into(),
            address: String::new(),
            reference: id.into(),
        }
    }

    #[test]
    fn letters_start_on_odd_pages() {
        let mut items = vec![item("B", "69003", 1, &[1]), item("A", "69003", 1, &[]), item("C", "13001", 2, &[1])];
        sort_items(&mut items);
        let (slots, placements) = pack_layout(&items);
        let got: Vec<(String, usize, usize, bool)> =
            placements.into_iter().map(|p| (p.id, p.first_page, p.last_page, p.blank_verso)).collect();
        assert_eq!(
            got,
            [
                ("C".to_string(), 1, 4, true),  // 2 + 1 copy = 3 pages, blank verso
                ("A".to_string(), 5, 6, true),  // 1 page + blank
                ("B".to_string(), 7, 8, false), // 1 + 1 copy
            ]
        );
        assert_eq!(slots.iter().filter(|s| matches!(s, Slot::Pdf(..))).count(), 5);
        assert_eq!(slots.iter().filter(|s| **s == Slot::Blank).count(), 2);
    }

    #[test]
    fn large_packs_are_cut_into_numbered_volumes() {
        assert_eq!(volume_names("pack-lrar", 0), ["pack-lrar.pdf"]);
        assert_eq!(volume_names("pack-lrar", 1), ["pack-lrar.pdf"]);
        assert_eq!(
            volume_names("pack-courrier", 3),
            ["pack-courrier-001.pdf", "pack-courrier-002.pdf", "pack-courrier-003.pdf"]
        );
    }

    #[test]
    fn volumes_hold_at_most_100_letters_and_100_embedded_pages() {
        let sizes = |items: &[PackItem]| volumes(items).iter().map(|v| v.len()).collect::<Vec<_>>();
        let ones: Vec<PackItem> = (0..201).map(|i| item(&format!("A{i:03}"), "75001", 1, &[])).collect();
        assert_eq!(sizes(&ones), [100, 100, 1]);
        // Two-page letters: 50 a volume.
        let twos: Vec<PackItem> = (0..101).map(|i| item(&format!("B{i:03}"), "75001", 2, &[])).collect();
        assert_eq!(sizes(&twos), [50, 50, 1]);
        // A letter with its copies over the limit is a volume of its own.
        let big = vec![item("C1", "75001", 1, &[]), item("C2", "75001", 3, &[120]), item("C3", "75001", 1, &[])];
        assert_eq!(sizes(&big), [1, 1, 1]);
        assert!(volumes(&[]).is_empty());
        // Every letter once, in order.
        let all: Vec<&str> = volumes(&twos).into_iter().flatten().map(|i| i.id.as_str()).collect();
        assert_eq!(all, twos.iter().map(|i| i.id.as_str()).collect::<Vec<_>>());
    }
}
