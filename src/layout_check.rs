//! What a laid-out letter must not do, checked on Typst's own layout before
//! the PDF is written: run past the edge of the page, or print text over
//! other text (a long invoice number running into the next column, a name
//! wider than the envelope window). A letter that does is refused with the
//! text at fault, rather than printed wrong.

use typst::layout::{Frame, FrameItem, Point};
use typst_layout::PagedDocument;

/// Text laid out where it should not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// 1-based page.
    pub page: usize,
    /// The text at fault.
    pub text: String,
    /// The text it is printed over, if it is not the page's edge.
    pub over: Option<String>,
}

/// One run of text and the box it takes, in points.
struct Run {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    text: String,
}

/// The first overflow of the document, if any.
pub fn first_overflow(document: &PagedDocument) -> Option<Overflow> {
    for (i, page) in document.pages().iter().enumerate() {
        let mut runs = Vec::new();
        collect(&page.frame, Point::zero(), &mut runs);
        let width = page.frame.width().to_pt();
        // Half a point of slack: glyph advances are rounded by Typst.
        if let Some(r) = runs.iter().find(|r| r.x0 < -0.5 || r.x1 > width + 0.5) {
            return Some(Overflow { page: i + 1, text: r.text.clone(), over: None });
        }
        for (a, ra) in runs.iter().enumerate() {
            for rb in &runs[a + 1..] {
                let across = ra.x1.min(rb.x1) - ra.x0.max(rb.x0);
                let down = ra.y1.min(rb.y1) - ra.y0.max(rb.y0);
                let height = (ra.y1 - ra.y0).min(rb.y1 - rb.y0);
                if across > 1.0 && down > 0.3 * height {
                    // Report the longer run: it is the one that overflowed.
                    let (at, over) =
                        if ra.text.chars().count() >= rb.text.chars().count() { (ra, rb) } else { (rb, ra) };
                    return Some(Overflow { page: i + 1, text: at.text.clone(), over: Some(over.text.clone()) });
                }
            }
        }
    }
    None
}

/// The text runs of `frame`, placed at `origin`. Rotated or scaled groups
/// (the PROJET watermark of drafts) and clipped groups (cut visibly) are
/// not checked.
fn collect(frame: &Frame, origin: Point, out: &mut Vec<Run>) {
    for (pos, item) in frame.items() {
        let at = origin + *pos;
        match item {
            FrameItem::Group(g) => {
                let t = g.transform;
                let translation_only = t.sx.get() == 1.0 && t.sy.get() == 1.0 && t.kx.get() == 0.0 && t.ky.get() == 0.0;
                if translation_only && g.clip.is_none() {
                    collect(&g.frame, at + Point::new(t.tx, t.ty), out);
                }
            }
            FrameItem::Text(t) => {
                let size = t.size.to_pt();
                let text = t.text.trim();
                if text.is_empty() {
                    continue;
                }
                out.push(Run {
                    x0: at.x.to_pt(),
                    x1: at.x.to_pt() + t.width().to_pt(),
                    y0: at.y.to_pt() - 0.7 * size,
                    y1: at.y.to_pt() + 0.2 * size,
                    text: text.to_string(),
                });
            }
            _ => {}
        }
    }
}
