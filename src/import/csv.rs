//! Open items and a customer directory as CSV, for accounting software
//! without a FEC at hand; the columns are named in relance.yaml (`import:`).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::fec::{Credit, Customer, OpenInvoice};
use crate::case::{CsvLayout, CustomerColumns, InputError, OpenItemColumns};

/// A customer of the directory.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Name.
    pub name: String,
    /// Street line.
    pub address: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// E-mail.
    pub email: Option<String>,
    /// SIREN.
    pub siren: Option<String>,
}

fn separator(layout_sep: &str) -> u8 {
    match layout_sep {
        "\\t" | "\t" | "tab" => b'\t',
        s => s.bytes().next().unwrap_or(b';'),
    }
}

fn text(path: &Path) -> Result<String, InputError> {
    let bytes =
        crate::safe_read::read(path, 512 * 1024 * 1024, None).map_err(|e| InputError::new(path, e.to_string()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(e.as_bytes()).0.into_owned(),
    };
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// A CSV's rows with a cell getter by column name; errors name the place.
fn rows<C>(
    path: &Path,
    layout: &CsvLayout<C>,
    wanted: &[&str],
    mut each: impl FnMut(u64, &dyn Fn(&str) -> (String, u64)) -> Result<(), InputError>,
) -> Result<Vec<InputError>, InputError> {
    let text = text(path)?;
    let mut reader =
        csv::ReaderBuilder::new().delimiter(separator(&layout.separator)).flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| InputError::new(path, format!("en-tête illisible : {e}")))?.clone();
    let mut index = BTreeMap::new();
    for w in wanted {
        let i = headers.iter().position(|h| h.trim() == *w).ok_or_else(|| {
            let mut e = InputError::field(
                path,
                *w,
                format!(
                    "colonne « {w} » absente ; colonnes du fichier : {} (corrigez import: dans relance.yaml)",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            );
            e.line = Some(1);
            e
        })?;
        index.insert(w.to_string(), i);
    }
    let mut errors = Vec::new();
    for record in reader.records() {
        let r = match record {
            Ok(r) => r,
            Err(e) => {
                let mut err = InputError::new(path, format!("ligne illisible : {e}"));
                err.line = e.position().map(|p| p.line());
                errors.push(err);
                continue;
            }
        };
        let line = r.position().map_or(0, |p| p.line());
        let get = |name: &str| -> (String, u64) {
            let Some(&i) = index.get(name) else { return (String::new(), 0) };
            let column = r.iter().take(i).map(|c| c.chars().count() as u64 + 1).sum::<u64>() + 1;
            (r.get(i).unwrap_or("").trim().to_string(), column)
        };
        if let Err(e) = each(line, &get) {
            errors.push(e);
        }
    }
    Ok(errors)
}

fn amount(text: &str, decimal_comma: bool) -> Option<Decimal> {
    let t = text.replace(['\u{a0}', '\u{202f}', ' ', '€'], "");
    let t = if decimal_comma { t.replace('.', "").replace(',', ".") } else { t.replace(',', "") };
    if t.is_empty() {
        return Some(Decimal::ZERO);
    }
    t.parse::<Decimal>().ok().filter(|d| *d >= Decimal::ZERO && d.scale() <= 2)
}

/// The open items, as customers with their open invoices; an amount already
/// paid becomes a payment on the invoice dated its due date (the file does
/// not say when: no penalty is claimed on what was paid).
pub fn read_open_items(
    path: &Path,
    layout: &CsvLayout<OpenItemColumns>,
) -> Result<(BTreeMap<String, Customer>, Vec<InputError>), InputError> {
    let c = &layout.columns;
    let mut wanted = vec![c.customer.as_str(), c.number.as_str(), c.date.as_str(), c.due.as_str(), c.amount.as_str()];
    wanted.extend(c.name.as_deref());
    wanted.extend(c.paid.as_deref());
    let mut customers: BTreeMap<String, Customer> = BTreeMap::new();
    let errors = rows(path, layout, &wanted, |line, get| {
        let at = |(value, column): (String, u64), field: &str, expected: &str| {
            let mut e = InputError::field(path, field, format!("« {value} » ; attendu : {expected}"));
            e.line = Some(line);
            e.column = Some(column);
            e
        };
        let date = |name: &str| {
            let cell = get(name);
            NaiveDate::parse_from_str(&cell.0, &layout.date_format).map_err(|_| {
                at(
                    cell,
                    name,
                    &format!(
                        "une date au format {}",
                        layout.date_format.replace("%d", "JJ").replace("%m", "MM").replace("%Y", "AAAA")
                    ),
                )
            })
        };
        let money = |name: &str| {
            let cell = get(name);
            amount(&cell.0, layout.decimal_comma).ok_or_else(|| {
                at(
                    cell,
                    name,
                    if layout.decimal_comma { "un montant comme 1 234,56" } else { "un montant comme 1234.56" },
                )
            })
        };
        let (code, _) = get(&c.customer);
        if code.is_empty() {
            return Err(at(get(&c.customer), &c.customer, "le code du client"));
        }
        let (number, _) = get(&c.number);
        let invoice = OpenInvoice {
            number: number.clone(),
            date: date(&c.date)?,
            due: Some(date(&c.due)?),
            amount: money(&c.amount)?,
            settled: false,
            file: None,
        };
        let paid = match &c.paid {
            Some(p) => money(p)?,
            None => Decimal::ZERO,
        };
        let customer = customers.entry(code.clone()).or_insert_with(|| Customer {
            account: code.clone(),
            name: c.name.as_deref().map(|n| get(n).0).filter(|n| !n.is_empty()).unwrap_or_else(|| code.clone()),
            ..Customer::default()
        });
        if paid > Decimal::ZERO {
            let on = invoice
                .due
                .unwrap_or(invoice.date)
                .min(invoice.date.checked_add_days(Days::new(3650)).unwrap_or(invoice.date));
            customer.credits.push(Credit { date: on, amount: paid, invoice: Some(number), settled: false });
        }
        customer.invoices.push(invoice);
        Ok(())
    })?;
    Ok((customers, errors))
}

/// The customer directory, by customer code.
pub fn read_directory(
    path: &Path,
    layout: &CsvLayout<CustomerColumns>,
) -> Result<(BTreeMap<String, Directory>, Vec<InputError>), InputError> {
    let c = &layout.columns;
    let mut wanted =
        vec![c.customer.as_str(), c.name.as_str(), c.address.as_str(), c.postal_code.as_str(), c.city.as_str()];
    wanted.extend(c.email.as_deref());
    wanted.extend(c.siren.as_deref());
    let mut directory = BTreeMap::new();
    let errors = rows(path, layout, &wanted, |_, get| {
        let opt = |name: &Option<String>| name.as_deref().map(|n| get(n).0).filter(|v| !v.is_empty());
        directory.insert(
            get(&c.customer).0,
            Directory {
                name: get(&c.name).0,
                address: get(&c.address).0,
                postal_code: get(&c.postal_code).0,
                city: get(&c.city).0,
                email: opt(&c.email),
                siren: opt(&c.siren),
            },
        );
        Ok(())
    })?;
    Ok((directory, errors))
}
