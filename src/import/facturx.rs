//! Factur-X / ZUGFeRD invoices: the CII XML a PDF/A-3 carries (profiles
//! MINIMUM to EXTENDED), read for what a dunning letter needs.

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::csv::Directory;
use crate::case::InputError;

/// What one Factur-X invoice says.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// BT-1.
    pub number: String,
    /// BT-2.
    pub date: NaiveDate,
    /// BT-9, when the profile has it.
    pub due: Option<NaiveDate>,
    /// BT-115, the amount due.
    pub amount_due: Decimal,
    /// The buyer's key: its SIREN (BT-47, scheme 0002), else its name.
    pub buyer_key: String,
    /// The buyer (BT-44, BT-49, BT-50…BT-55) when the profile gives its address.
    pub buyer: Directory,
    /// Whether the address is complete.
    pub has_address: bool,
}

/// The XML file attached to a Factur-X PDF.
fn attachment(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, InputError> {
    let bad = |m: &str| InputError::new(path, m.to_string());
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| bad(&format!("PDF illisible : {e}")))?;
    let deref = |o: &lopdf::Object| -> Option<lopdf::Object> { doc.dereference(o).ok().map(|(_, o)| o.clone()) };
    let catalog = doc.catalog().map_err(|_| bad("PDF sans catalogue"))?;
    let names = catalog.get(b"Names").ok().and_then(deref).and_then(|o| o.as_dict().ok().cloned());
    let tree = names.and_then(|n| n.get(b"EmbeddedFiles").ok().and_then(deref)).and_then(|o| o.as_dict().ok().cloned());
    let list = tree.and_then(|t| t.get(b"Names").ok().and_then(deref)).and_then(|o| o.as_array().ok().cloned());
    let Some(list) = list else {
        return Err(bad("pas de fichier joint : ce n'est pas une facture Factur-X (PDF/A-3 avec factur-x.xml)"));
    };
    for pair in list.chunks(2) {
        let [name, spec] = pair else { continue };
        let name = deref(name).and_then(|n| n.as_str().ok().map(|s| String::from_utf8_lossy(s).to_lowercase()));
        if !name.as_deref().is_some_and(|n| n.ends_with(".xml")) {
            continue;
        }
        let spec = deref(spec).and_then(|s| s.as_dict().ok().cloned());
        let ef = spec.and_then(|s| s.get(b"EF").ok().and_then(deref)).and_then(|e| e.as_dict().ok().cloned());
        let stream = ef.and_then(|e| e.get(b"F").ok().and_then(deref)).and_then(|s| s.as_stream().ok().cloned());
        if let Some(stream) = stream {
            return stream
                .decompressed_content()
                .or_else(|_| Ok(stream.content.clone()))
                .map_err(|e: lopdf::Error| bad(&e.to_string()));
        }
    }
    Err(bad("pas de factur-x.xml parmi les fichiers joints"))
}

fn date_102(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y%m%d").ok()
}

/// Reads the Factur-X invoice at `path`.
pub fn read(path: &Path) -> Result<Invoice, InputError> {
    let bytes =
        crate::safe_read::read(path, 64 * 1024 * 1024, None).map_err(|e| InputError::new(path, e.to_string()))?;
    let xml = attachment(path, &bytes)?;
    let text = String::from_utf8(xml).map_err(|_| InputError::new(path, "XML Factur-X pas en UTF-8"))?;
    let doc = roxmltree::Document::parse(&text)
        .map_err(|e| InputError::new(path, format!("XML Factur-X illisible : {e}")))?;
    let field = |name: &str, m: String| InputError::field(path, name, m);
    // The first element of that local name under `within` (any namespace prefix).
    fn find<'a>(within: roxmltree::Node<'a, 'a>, path: &[&str]) -> Option<roxmltree::Node<'a, 'a>> {
        let mut node = within;
        for step in path {
            node = node.descendants().find(|n| n.is_element() && n.tag_name().name() == *step)?;
        }
        Some(node)
    }
    let root = doc.root();
    let text_of = |path: &[&str]| find(root, path).and_then(|n| n.text()).map(|t| t.trim().to_string());
    let number = text_of(&["ExchangedDocument", "ID"])
        .filter(|n| !n.is_empty())
        .ok_or_else(|| field("BT-1", "numéro de facture absent".into()))?;
    let date = text_of(&["ExchangedDocument", "IssueDateTime", "DateTimeString"])
        .and_then(|d| date_102(&d))
        .ok_or_else(|| field("BT-2", "date de facture absente ou illisible (attendu : AAAAMMJJ, format 102)".into()))?;
    let due = text_of(&["SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString"]).and_then(|d| date_102(&d));
    let amount_due = text_of(&["SpecifiedTradeSettlementHeaderMonetarySummation", "DuePayableAmount"])
        .and_then(|a| a.parse::<Decimal>().ok())
        .filter(|a| *a >= Decimal::ZERO && a.normalize().scale() <= 2)
        .map(|a| a.round_dp(2))
        .ok_or_else(|| field("BT-115", "montant dû absent ou illisible".into()))?;
    let buyer = find(root, &["BuyerTradeParty"]).ok_or_else(|| field("BG-7", "acheteur absent".into()))?;
    let sub = |path: &[&str]| {
        find(buyer, path).and_then(|n| n.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
    };
    let name = sub(&["Name"]).ok_or_else(|| field("BT-44", "nom de l'acheteur absent".into()))?;
    let siren = find(buyer, &["SpecifiedLegalOrganization", "ID"])
        .filter(|n| n.attribute("schemeID").is_none_or(|s| s == "0002"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string());
    let email = find(buyer, &["URIUniversalCommunication", "URIID"])
        .filter(|n| n.attribute("schemeID").is_none_or(|s| s == "EM"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string());
    let line_one = sub(&["PostalTradeAddress", "LineOne"]);
    let line_two = sub(&["PostalTradeAddress", "LineTwo"]);
    let postcode = sub(&["PostalTradeAddress", "PostcodeCode"]);
    let city = sub(&["PostalTradeAddress", "CityName"]);
    let has_address = line_one.is_some() && postcode.is_some() && city.is_some();
    let address = [line_one, line_two].into_iter().flatten().collect::<Vec<_>>().join(", ");
    Ok(Invoice {
        number,
        date,
        due,
        amount_due,
        buyer_key: siren.clone().unwrap_or_else(|| name.clone()),
        buyer: Directory {
            name,
            address,
            postal_code: postcode.unwrap_or_default(),
            city: city.unwrap_or_default(),
            email,
            siren,
        },
        has_address,
    })
}
