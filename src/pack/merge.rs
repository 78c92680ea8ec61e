//! A print pack made by copying the pages of the letters' PDFs and of the
//! invoice copies as they are into one PDF (lopdf), with a blank page where
//! a letter must end on a verso (`--pack-mode pages`). An attempt to save
//! the packs' Typst pass, kept for the benchmark: on 1,000 cases it took
//! 1.04–1.20 s where Typst, which embeds the pages without laying them out
//! again, took 0.56–0.62 s (README, Speed).

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};

/// A part of a pack, in order.
pub(crate) enum Part {
    /// Every page of a PDF.
    Pdf(Vec<u8>),
    /// A blank A4 page (a blank verso).
    Blank,
}

/// The attributes a page may inherit from its page tree, made its own
/// before the page leaves its tree.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// A4 in points, for a blank page that follows no page.
const A4: [f32; 4] = [0.0, 0.0, 595.276, 841.89];

/// The objects a page needs: everything it refers to, but its parent.
fn reachable(doc: &Document, page: ObjectId, out: &mut BTreeSet<ObjectId>) {
    let mut todo = vec![page];
    while let Some(id) = todo.pop() {
        if !out.insert(id) {
            continue;
        }
        let Ok(object) = doc.get_object(id) else { continue };
        let mut refs = Vec::new();
        collect(object, &mut refs);
        todo.extend(refs.into_iter().filter(|r| !out.contains(r)));
    }
}

fn collect(object: &Object, refs: &mut Vec<ObjectId>) {
    match object {
        Object::Reference(id) => refs.push(*id),
        Object::Array(items) => items.iter().for_each(|o| collect(o, refs)),
        Object::Dictionary(d) => collect_dict(d, refs),
        Object::Stream(s) => collect_dict(&s.dict, refs),
        _ => {}
    }
}

fn collect_dict(d: &Dictionary, refs: &mut Vec<ObjectId>) {
    for (key, value) in d.iter() {
        if key.as_slice() != b"Parent" {
            collect(value, refs);
        }
    }
}

/// The value of an inheritable attribute of a page: its own, else its
/// nearest ancestor's.
fn inherited(doc: &Document, page: &Dictionary, key: &[u8]) -> Option<Object> {
    if let Ok(value) = page.get(key) {
        return Some(value.clone());
    }
    let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok();
    for _ in 0..64 {
        let node = doc.get_dictionary(parent?).ok()?;
        if let Ok(value) = node.get(key) {
            return Some(value.clone());
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok();
    }
    None
}

/// Puts `parts` together in one PDF; returns it and its page count. The
/// same parts give the same bytes.
pub(crate) fn merge(parts: Vec<Part>, title: &str) -> Result<(Vec<u8>, usize), String> {
    let mut out = Document::with_version("1.7");
    let pages_id: ObjectId = (1, 0);
    let catalog_id: ObjectId = (2, 0);
    let mut next = 3u32;
    let mut kids: Vec<Object> = Vec::new();
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut last_box: Option<Object> = None;
    for part in parts {
        match part {
            Part::Blank => {
                let media =
                    last_box.clone().unwrap_or_else(|| Object::Array(A4.iter().map(|v| Object::Real(*v)).collect()));
                let mut page = Dictionary::new();
                page.set("Type", Object::Name(b"Page".to_vec()));
                page.set("Parent", Object::Reference(pages_id));
                page.set("MediaBox", media);
                page.set("Resources", Object::Dictionary(Dictionary::new()));
                let id = (next, 0);
                next += 1;
                objects.insert(id, Object::Dictionary(page));
                kids.push(Object::Reference(id));
            }
            Part::Pdf(bytes) => {
                let mut doc = Document::load_mem(&bytes).map_err(|e| format!("PDF illisible ({e})"))?;
                // Inherited attributes onto each page, before renumbering.
                let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
                for id in &pages {
                    let Ok(page) = doc.get_dictionary(*id) else { continue };
                    let found: Vec<(&[u8], Object)> =
                        INHERITED.iter().filter_map(|k| inherited(&doc, page, k).map(|v| (*k, v))).collect();
                    if let Ok(page) = doc.get_dictionary_mut(*id) {
                        for (key, value) in found {
                            page.set(key, value);
                        }
                    }
                }
                doc.renumber_objects_with(next);
                let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
                let mut keep = BTreeSet::new();
                for id in &pages {
                    reachable(&doc, *id, &mut keep);
                }
                for id in keep {
                    if let Some(mut object) = doc.objects.remove(&id) {
                        if pages.contains(&id)
                            && let Object::Dictionary(d) = &mut object
                        {
                            d.set("Parent", Object::Reference(pages_id));
                            d.remove(b"StructParents");
                            last_box = d.get(b"MediaBox").ok().cloned();
                        }
                        objects.insert(id, object);
                    }
                }
                kids.extend(pages.iter().map(|id| Object::Reference(*id)));
                next = next.max(doc.max_id + 1);
            }
        }
    }
    let count = kids.len();
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set("Count", Object::Integer(count as i64));
    tree.set("Kids", Object::Array(kids));
    objects.insert(pages_id, Object::Dictionary(tree));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    objects.insert(catalog_id, Object::Dictionary(catalog));
    let info_id: ObjectId = (next, 0);
    let mut info = Dictionary::new();
    info.set("Title", Object::string_literal(title));
    info.set("Producer", Object::string_literal(format!("relance {}", env!("CARGO_PKG_VERSION"))));
    objects.insert(info_id, Object::Dictionary(info));
    out.objects = objects;
    out.max_id = next;
    out.trailer.set("Root", Object::Reference(catalog_id));
    out.trailer.set("Info", Object::Reference(info_id));
    let mut bytes = Vec::new();
    out.save_to(&mut bytes).map_err(|e| e.to_string())?;
    Ok((bytes, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    /// A one-page PDF whose page inherits its MediaBox and Resources.
    fn inheriting_pdf(text: &str) -> Vec<u8> {
        let mut doc = Document::with_version("1.4");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
        let contents = doc.add_object(lopdf::Stream::new(Dictionary::new(), content.into_bytes()));
        let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => contents });
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn pages_are_copied_with_what_they_inherit_and_blanks_added() {
        let parts = vec![Part::Pdf(inheriting_pdf("premier")), Part::Blank, Part::Pdf(inheriting_pdf("second"))];
        let (bytes, pages) = merge(parts, "Pli").unwrap();
        assert_eq!(pages, 3);
        let doc = Document::load_mem(&bytes).unwrap();
        let ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
        assert_eq!(ids.len(), 3);
        for id in [ids[0], ids[2]] {
            let page = doc.get_dictionary(id).unwrap();
            assert!(page.get(b"MediaBox").is_ok() && page.get(b"Resources").is_ok());
        }
        assert_eq!(doc.extract_text(&[1]).unwrap().trim(), "premier");
        assert_eq!(doc.extract_text(&[3]).unwrap().trim(), "second");
        // The same parts, the same bytes.
        let again =
            merge(vec![Part::Pdf(inheriting_pdf("premier")), Part::Blank, Part::Pdf(inheriting_pdf("second"))], "Pli")
                .unwrap();
        assert_eq!(bytes, again.0);
    }
}
