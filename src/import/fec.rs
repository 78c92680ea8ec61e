//! The FEC (fichier des écritures comptables, art. A47 A-1 du livre des
//! procédures fiscales): its customer accounts read as receivables.
//!
//! Streamed line by line: memory grows with the customer lines and the
//! entries' balances, not with the file. The 18 columns are found by name
//! in the header, tab or `|` separated; dates AAAAMMJJ; amounts with a
//! decimal comma (or point); UTF-8 (with or without BOM) or ISO-8859-15,
//! detected on the first 64 KiB.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::case::InputError;

/// An invoice still open (or partly paid) on a customer account.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenInvoice {
    /// PieceRef.
    pub number: String,
    /// PieceDate (else EcritureDate).
    pub date: NaiveDate,
    /// The due date of a due-date column, or `None` (date + payment days).
    pub due: Option<NaiveDate>,
    /// The debit.
    pub amount: Decimal,
    /// Settled by its lettering: kept only to close an existing case.
    pub settled: bool,
    /// A copy of the invoice, relative to the case file.
    pub file: Option<String>,
}

/// A credit on a customer account: a payment or a credit note.
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// EcritureDate.
    pub date: NaiveDate,
    /// The credit.
    pub amount: Decimal,
    /// The invoice it is lettered with, when exactly one.
    pub invoice: Option<String>,
    /// Part of a lettering that settles its invoices.
    pub settled: bool,
}

/// One customer (sub-account) and what its account holds.
#[derive(Debug, Clone, Default)]
pub struct Customer {
    /// CompAuxNum (else CompteNum).
    pub account: String,
    /// CompAuxLib (else CompteLib).
    pub name: String,
    /// Invoices, in order of appearance.
    pub invoices: Vec<OpenInvoice>,
    /// Credits not part of a settled lettering.
    pub credits: Vec<Credit>,
}

/// What reading a FEC gave.
#[derive(Debug, Default)]
pub struct Fec {
    /// "UTF-8", "UTF-8 (BOM)" or "ISO-8859-15".
    pub encoding: &'static str,
    /// Tab or `|`.
    pub separator: char,
    /// Lines read after the header.
    pub lines: u64,
    /// The customers with something on their account, by account.
    pub customers: BTreeMap<String, Customer>,
    /// Lines that could not be read, and unbalanced entries; the rest is read.
    pub errors: Vec<InputError>,
    /// Whether due dates came from a column of the file.
    pub due_column: bool,
}

/// The 18 columns of art. A47 A-1.
const COLUMNS: [&str; 18] = [
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

/// Due-date columns some software adds.
const DUE_COLUMNS: [&str; 4] = ["DateEcheance", "EcheanceDate", "DateEch", "Echeance"];

/// One customer line kept for the second pass.
struct Line {
    journal: String,
    date: NaiveDate,
    piece: String,
    piece_date: Option<NaiveDate>,
    debit: Decimal,
    credit: Decimal,
    letter: String,
    due: Option<NaiveDate>,
}

fn fec_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    if t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y%m%d").ok()
}

fn fec_amount(text: &str) -> Option<Decimal> {
    let t = text.trim().replace(['\u{a0}', ' '], "");
    if t.is_empty() {
        return Some(Decimal::ZERO);
    }
    let t = t.replace(',', ".");
    t.parse::<Decimal>().ok().filter(|d| d.scale() <= 2 && *d >= Decimal::ZERO)
}

/// Reads the customer accounts (411…) of the FEC at `path`.
pub fn read(path: &Path) -> Result<Fec, InputError> {
    let file = std::fs::File::open(path).map_err(|e| InputError::new(path, format!("lecture impossible : {e}")))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    // The encoding, from the start of the file.
    let head = reader.fill_buf().map_err(|e| InputError::new(path, format!("lecture impossible : {e}")))?.to_vec();
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        // A character cut at the end of the first block is not an error.
        Err(e) => e.error_len().is_none(),
    };
    let mut fec = Fec {
        encoding: if bom {
            "UTF-8 (BOM)"
        } else if utf8 {
            "UTF-8"
        } else {
            "ISO-8859-15"
        },
        ..Fec::default()
    };
    let decode = |bytes: &[u8]| -> String {
        if utf8 {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            encoding_rs::ISO_8859_15.decode_without_bom_handling(bytes).0.into_owned()
        }
    };
    let at = |n: u64, column: Option<usize>, field: &str, message: String| {
        let mut e = InputError::field(path, field, message);
        e.line = Some(n);
        e.column = column.map(|c| c as u64);
        e
    };
    let mut buf = Vec::new();
    let mut n: u64 = 0;
    // The header.
    let header = loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| InputError::new(path, e.to_string()))?;
        if read == 0 {
            return Err(InputError::new(
                path,
                "fichier vide ; attendu : un FEC dont la première ligne nomme les 18 colonnes",
            ));
        }
        n += 1;
        let mut text = decode(&buf);
        if n == 1 {
            text = text.trim_start_matches('\u{feff}').to_string();
        }
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if !text.trim().is_empty() {
            break text;
        }
    };
    fec.separator = if header.contains('\t') { '\t' } else { '|' };
    let names: Vec<String> = header.split(fec.separator).map(|h| h.trim().to_string()).collect();
    let find = |name: &str| names.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut col = [0usize; 18];
    for (k, name) in COLUMNS.iter().enumerate() {
        col[k] = find(name).ok_or_else(|| {
            at(
                1,
                None,
                name,
                format!(
                    "colonne {name} absente de l'en-tête ; attendu : les 18 colonnes du FEC (art. A47 A-1 du LPF), séparées par une tabulation ou |"
                ),
            )
        })?;
    }
    let due_col = DUE_COLUMNS.iter().find_map(|c| find(c));
    fec.due_column = due_col.is_some();
    let [
        journal_c,
        _,
        num_c,
        date_c,
        account_c,
        account_lib_c,
        aux_c,
        aux_lib_c,
        piece_c,
        piece_date_c,
        _,
        debit_c,
        credit_c,
        let_c,
        ..,
    ] = col;
    // Entries' balances: (journal, number) → (debit − credit, first line).
    let mut balance: HashMap<(String, String), (Decimal, u64)> = HashMap::new();
    let mut lines: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    let mut labels: HashMap<String, String> = HashMap::new();
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf).map_err(|e| InputError::new(path, e.to_string()))?;
        if read == 0 {
            break;
        }
        n += 1;
        let text = decode(&buf);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            continue;
        }
        fec.lines += 1;
        let cells: Vec<&str> = text.split(fec.separator).collect();
        if cells.len() != names.len() {
            fec.errors.push(at(
                n,
                None,
                "ligne",
                format!("{} colonnes ; attendu : {} comme l'en-tête", cells.len(), names.len()),
            ));
            continue;
        }
        // The column (1-based, in characters) where cell `k` starts.
        let column_of = |k: usize| -> usize { cells[..k].iter().map(|c| c.chars().count() + 1).sum::<usize>() + 1 };
        let (Some(debit), Some(credit)) = (fec_amount(cells[debit_c]), fec_amount(cells[credit_c])) else {
            let k = if fec_amount(cells[debit_c]).is_none() { debit_c } else { credit_c };
            fec.errors.push(at(
                n,
                Some(column_of(k)),
                COLUMNS[if k == debit_c { 11 } else { 12 }],
                format!(
                    "montant « {} » illisible ; attendu : un nombre positif, virgule décimale, 2 décimales au plus (p. ex. 1234,56)",
                    cells[k].trim()
                ),
            ));
            continue;
        };
        let Some(date) = fec_date(cells[date_c]) else {
            fec.errors.push(at(
                n,
                Some(column_of(date_c)),
                "EcritureDate",
                format!("date « {} » illisible ; attendu : AAAAMMJJ, p. ex. 20261122", cells[date_c].trim()),
            ));
            continue;
        };
        let entry = (cells[journal_c].trim().to_string(), cells[num_c].trim().to_string());
        let b = balance.entry(entry).or_insert((Decimal::ZERO, n));
        b.0 += debit - credit;
        let account = cells[account_c].trim();
        if !account.starts_with("411") {
            continue;
        }
        let aux = cells[aux_c].trim();
        let key = if aux.is_empty() { account.to_string() } else { aux.to_string() };
        let label = if aux.is_empty() { cells[account_lib_c].trim() } else { cells[aux_lib_c].trim() };
        if !label.is_empty() {
            labels.entry(key.clone()).or_insert_with(|| label.to_string());
        }
        let due = match due_col {
            Some(c) if !cells[c].trim().is_empty() => match fec_date(cells[c]) {
                Some(d) => Some(d),
                None => {
                    fec.errors.push(at(
                        n,
                        Some(column_of(c)),
                        names[c].as_str(),
                        format!("date d'échéance « {} » illisible ; attendu : AAAAMMJJ", cells[c].trim()),
                    ));
                    continue;
                }
            },
            _ => None,
        };
        lines.entry(key).or_default().push(Line {
            journal: cells[journal_c].trim().to_string(),
            date,
            piece: cells[piece_c].trim().to_string(),
            piece_date: fec_date(cells[piece_date_c]),
            debit,
            credit,
            letter: cells[let_c].trim().to_string(),
            due,
        });
    }
    let mut unbalanced: Vec<((String, String), (Decimal, u64))> =
        balance.into_iter().filter(|(_, (d, _))| !d.is_zero()).collect();
    unbalanced.sort_by_key(|(_, (_, line))| *line);
    for ((journal, num), (diff, line)) in unbalanced {
        fec.errors.push(at(
            line,
            None,
            "EcritureNum",
            format!(
                "écriture {num} du journal {journal} déséquilibrée : débit − crédit = {} ; attendu : une écriture équilibrée (ses lignes sont lues quand même)",
                diff.normalize()
            ),
        ));
    }
    for (key, list) in lines {
        let customer = customer(&key, labels.remove(&key).unwrap_or_else(|| key.clone()), &list);
        fec.customers.insert(key, customer);
    }
    Ok(fec)
}

/// A customer's account, its lettering applied: a lettering whose debits
/// and credits balance is settled; a partial one leaves its invoice open
/// with its credits imputed to it; an unlettered credit is a payment that
/// names no invoice. An opening entry (journal AN/RAN) that repeats an
/// invoice of an earlier year is not counted twice.
fn customer(key: &str, name: String, list: &[Line]) -> Customer {
    let mut c = Customer { account: key.to_string(), name, ..Customer::default() };
    let mut groups: BTreeMap<&str, (Decimal, Decimal)> = BTreeMap::new();
    for l in list.iter().filter(|l| !l.letter.is_empty()) {
        let g = groups.entry(l.letter.as_str()).or_default();
        g.0 += l.debit;
        g.1 += l.credit;
    }
    let settled: HashSet<&str> = groups.iter().filter(|(_, (d, c))| d == c).map(|(k, _)| *k).collect();
    let regular: HashSet<&str> =
        list.iter().filter(|l| l.debit > Decimal::ZERO && !is_opening(&l.journal)).map(|l| l.piece.as_str()).collect();
    // Invoices by lettering code, to name the credits of a partial lettering.
    let mut invoice_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in list.iter().filter(|l| l.debit > Decimal::ZERO) {
        if is_opening(&l.journal) && regular.contains(l.piece.as_str()) {
            continue;
        }
        if !l.letter.is_empty() {
            invoice_of.entry(l.letter.as_str()).or_default().push(l.piece.as_str());
        }
        let is_settled = settled.contains(l.letter.as_str());
        match c.invoices.iter_mut().find(|i| i.number == l.piece) {
            Some(existing) => {
                existing.amount += l.debit;
                existing.settled &= is_settled;
            }
            None => c.invoices.push(OpenInvoice {
                number: l.piece.clone(),
                date: l.piece_date.unwrap_or(l.date),
                due: l.due,
                amount: l.debit,
                settled: is_settled,
                file: None,
            }),
        }
    }
    for l in list.iter().filter(|l| l.credit > Decimal::ZERO) {
        let named = invoice_of.get(l.letter.as_str()).filter(|v| v.len() == 1).map(|v| v[0].to_string());
        let settled = settled.contains(l.letter.as_str());
        c.credits.push(Credit { date: l.date, amount: l.credit, invoice: named, settled });
    }
    c
}

fn is_opening(journal: &str) -> bool {
    matches!(journal.to_ascii_uppercase().as_str(), "AN" | "RAN" | "ANOUV")
}

/// Where the file was, for messages.
pub fn describe(path: &Path, fec: &Fec) -> String {
    format!(
        "{} : {} ligne(s), encodage {}, séparateur {}",
        PathBuf::from(path).display(),
        fec.lines,
        fec.encoding,
        if fec.separator == '\t' { "tabulation" } else { "|" }
    )
}
