//! `relance import`: the case files made and kept up to date from the books.
//!
//! One case file per customer account, `<cases>/<id>.yaml`, id `C-<account>`.
//! An import writes only the case's `invoices:` and `payments:` blocks: the
//! rest of the file — the debtor's address, contact, e-mail, a hold, a
//! promise, the letters, every comment — is the clerk's and is left as it
//! is. A new case gets the name from the books, an address to complete and
//! a hold until it is completed (the books have no postal address).

pub mod csv;
pub mod facturx;
pub mod fec;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::case::InputError;

/// How an import reads what the books leave out.
#[derive(Debug, Clone)]
pub struct Options {
    /// Days from the invoice date to its due date when the FEC has none.
    pub payment_days: u32,
    /// `professionnel` or `particulier`, for the new cases.
    pub debtor_type: String,
    /// Write nothing, say what would change.
    pub dry_run: bool,
    /// The import date, written in the new cases' hold.
    pub date: NaiveDate,
}

/// What an import does to one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new case file.
    Nouveau,
    /// Its invoices or payments changed.
    MisAJour,
    /// Nothing open any more: its invoices are shown paid.
    Solde,
    /// Nothing changed.
    Inchange,
}

impl Action {
    fn label(&self) -> &'static str {
        match self {
            Action::Nouveau => "nouveau",
            Action::MisAJour => "mis à jour",
            Action::Solde => "soldé",
            Action::Inchange => "inchangé",
        }
    }
}

/// One line of the import's report.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The case id.
    pub case: String,
    /// Its file.
    pub file: PathBuf,
    /// What happened to it.
    pub action: Action,
    /// The debtor's name in the books.
    pub name: String,
    /// Open invoices now.
    pub open_invoices: usize,
    /// Still owed on them (invoices less credits).
    #[serde(with = "rust_decimal::serde::str")]
    pub open_amount: Decimal,
    /// Invoices new to the case.
    pub added: Vec<String>,
    /// Invoices whose amount changed.
    pub changed: Vec<String>,
    /// Invoices of the case no longer in the books: removed, and said here.
    pub disappeared: Vec<String>,
}

/// A case id from an account number: `C-` and the account, characters
/// outside `[A-Za-z0-9._-]` as `-`.
pub fn case_id(account: &str) -> String {
    let mut id = format!("C-{}", safe_name(account));
    id.truncate(64);
    id
}

/// `text` with every character outside `[A-Za-z0-9._-]` as `-`: a case id,
/// a file name.
fn safe_name(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect()
}

/// YAML text of a string, double-quoted (JSON strings are YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d)
}

/// The `invoices:` and `payments:` blocks of a customer.
fn blocks(
    customer: &fec::Customer,
    keep_settled: &BTreeSet<String>,
    options: &Options,
) -> (String, Vec<(String, Decimal)>, Decimal) {
    let included: Vec<&fec::OpenInvoice> =
        customer.invoices.iter().filter(|i| !i.settled || keep_settled.contains(&i.number)).collect();
    let mut text = String::from("invoices:\n");
    let mut listed = Vec::new();
    for i in &included {
        let (due, note) = match i.due {
            Some(d) => (d, String::new()),
            None => (
                i.date.checked_add_days(Days::new(u64::from(options.payment_days))).unwrap_or(i.date),
                format!("   # échéance : date + {} jours (absente de la source)", options.payment_days),
            ),
        };
        let file = i.file.as_deref().map(|f| format!(", file: {}", q(f))).unwrap_or_default();
        text.push_str(&format!(
            "  - {{ number: {}, date: {}, due: {}, amount: {}{file} }}{note}\n",
            q(&i.number),
            i.date,
            due,
            money(i.amount)
        ));
        listed.push((i.number.clone(), i.amount));
    }
    let numbers: BTreeSet<&str> = included.iter().map(|i| i.number.as_str()).collect();
    let credits: Vec<&fec::Credit> = customer
        .credits
        .iter()
        .filter(|c| !c.settled || c.invoice.as_deref().is_some_and(|n| keep_settled.contains(n)))
        .collect();
    let mut paid = Decimal::ZERO;
    if !credits.is_empty() {
        text.push_str("payments:\n");
        for c in credits {
            paid += c.amount;
            let invoice = c
                .invoice
                .as_deref()
                .filter(|n| numbers.contains(n))
                .map(|n| format!(", invoice: {}", q(n)))
                .unwrap_or_default();
            text.push_str(&format!("  - {{ date: {}, amount: {}{invoice} }}\n", c.date, money(c.amount)));
        }
    }
    let owed: Decimal = listed.iter().map(|(_, a)| *a).sum::<Decimal>() - paid;
    (text, listed, owed.max(Decimal::ZERO))
}

/// Replaces the top-level `invoices:` and `payments:` blocks of a case's
/// text by `new`, leaving every other line (and comment) as it is.
fn replace_blocks(text: &str, new: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    let mut placed = false;
    for line in text.split_inclusive('\n') {
        let top = !line.starts_with([' ', '\t', '#', '\n', '\r']) && !line.trim().is_empty();
        if top {
            let key = line.split(':').next().unwrap_or("").trim();
            skipping = key == "invoices" || key == "payments";
            if skipping && !placed {
                out.push_str(new);
                placed = true;
            }
        } else if skipping && line.starts_with('#') {
            skipping = false; // a comment of the clerk's ends the block
        }
        if !skipping {
            out.push_str(line);
        }
    }
    if !placed {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        out.push_str(new);
    }
    out
}

/// A new case's text: the debtor from the directory when it has the
/// customer; else the name from the books, the rest to complete and a hold.
fn new_case(
    id: &str,
    customer: &fec::Customer,
    known: Option<&csv::Directory>,
    blocks: &str,
    options: &Options,
    source: &str,
) -> String {
    let head = format!(
        "# Créé par relance import ({source}, compte {account}) le {date}.\n\
         # relance import ne touche qu'aux blocs invoices et payments ;\n\
         # tout le reste de ce fichier vous appartient.\n",
        account = customer.account,
        date = options.date,
    );
    match known {
        Some(d) => {
            let mut debtor = format!(
                "debtor:\n  type: {}\n  name: {}\n  address: [{}]\n  postal_code: {}\n  city: {}\n",
                options.debtor_type,
                q(&d.name),
                q(&d.address),
                q(&d.postal_code),
                q(&d.city)
            );
            if let Some(e) = &d.email {
                debtor.push_str(&format!("  email: {}\n", q(e)));
            }
            if let Some(s) = &d.siren {
                debtor.push_str(&format!("  siren: {}\n", q(s)));
            }
            format!("{head}id: {id}\n{debtor}{blocks}")
        }
        None => format!(
            "{head}# Complétez l'adresse et retirez « hold ».\n\
             id: {id}\n\
             debtor:\n  type: {kind}\n  name: {name}\n  address: [\"ADRESSE À COMPLÉTER\"]\n  postal_code: \"00000\"\n  city: VILLE À COMPLÉTER\n\
             hold: {hold}\n\
             {blocks}",
            kind = options.debtor_type,
            name = q(&customer.name),
            hold = q("adresse à compléter (dossier créé par l'import comptable)"),
        ),
    }
}

/// Applies `customers` (from a FEC or open items) to the case files of `cases`; returns a
/// change per customer with something on its account (or a case), and the
/// errors of cases that could not be written.
pub fn apply(
    cases: &Path,
    customers: &std::collections::BTreeMap<String, fec::Customer>,
    directory: &std::collections::BTreeMap<String, csv::Directory>,
    options: &Options,
    source: &str,
) -> (Vec<Change>, Vec<InputError>) {
    let mut changes = Vec::new();
    let mut errors = Vec::new();
    for customer in customers.values() {
        let id = case_id(&customer.account);
        let file = cases.join(format!("{id}.yaml"));
        let existing = std::fs::read_to_string(&file).ok();
        let before: Vec<(String, Decimal)> = match &existing {
            Some(text) => match crate::case::parse_case(&file, text) {
                Ok(case) => case.invoices.iter().map(|i| (i.number.clone(), i.amount.0)).collect(),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            None => Vec::new(),
        };
        let keep_settled: BTreeSet<String> = before.iter().map(|(n, _)| n.clone()).collect();
        let (block, listed, owed) = blocks(customer, &keep_settled, options);
        let open: Vec<&fec::OpenInvoice> = customer.invoices.iter().filter(|i| !i.settled).collect();
        if existing.is_none() && open.is_empty() {
            continue; // nothing open, no case
        }
        let in_books: BTreeSet<&str> = customer.invoices.iter().map(|i| i.number.as_str()).collect();
        let added: Vec<String> =
            listed.iter().filter(|(n, _)| !before.iter().any(|(b, _)| b == n)).map(|(n, _)| n.clone()).collect();
        let changed: Vec<String> = listed
            .iter()
            .filter(|(n, a)| before.iter().any(|(b, ba)| b == n && ba != a))
            .map(|(n, _)| n.clone())
            .collect();
        let disappeared: Vec<String> =
            before.iter().filter(|(n, _)| !in_books.contains(n.as_str())).map(|(n, _)| n.clone()).collect();
        let text = match &existing {
            None => new_case(&id, customer, directory.get(&customer.account), &block, options, source),
            Some(text) => {
                let mut block = block.clone();
                for d in &disappeared {
                    block
                        .push_str(&format!("# {d} : absente de l'import du {}, retirée de ce dossier\n", options.date));
                }
                replace_blocks(text, &block)
            }
        };
        let action = if existing.is_none() {
            Action::Nouveau
        } else if open.is_empty() {
            Action::Solde
        } else if existing.as_deref() == Some(text.as_str()) {
            Action::Inchange
        } else {
            Action::MisAJour
        };
        // Whatever is written must be a case `build` reads.
        if listed.is_empty() {
            continue;
        }
        if let Err(e) = crate::case::parse_case(&file, &text) {
            errors.push(e);
            continue;
        }
        if !options.dry_run
            && existing.as_deref() != Some(text.as_str())
            && let Err(e) = crate::atomic::write_atomic(&file, text.as_bytes())
        {
            errors.push(InputError::new(&file, format!("écriture impossible : {e}")));
            continue;
        }
        changes.push(Change {
            case: id,
            file,
            action,
            name: customer.name.clone(),
            open_invoices: open.len(),
            open_amount: owed,
            added,
            changed,
            disappeared,
        });
    }
    (changes, errors)
}

/// The changes as a text table.
pub fn table(changes: &[Change]) -> String {
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            vec![
                c.case.clone(),
                c.action.label().to_string(),
                c.name.clone(),
                c.open_invoices.to_string(),
                money(c.open_amount),
                c.added.join(" "),
                c.changed.join(" "),
                c.disappeared.join(" "),
            ]
        })
        .collect();
    crate::table::render(
        "",
        &["dossier", "action", "débiteur", "factures ouvertes", "reste dû", "nouvelles", "modifiées", "disparues"],
        &rows,
        &[3, 4],
    )
}

/// The Factur-X invoices of `paths`, copied into `<cases>/factures/` (the
/// copy attached to the letters), added to their buyers' cases: an
/// invoice already in a case is left as it is; the case's other invoices
/// and payments stay.
pub fn facturx(
    cases: &Path,
    paths: &[PathBuf],
    options: &Options,
) -> (
    std::collections::BTreeMap<String, fec::Customer>,
    std::collections::BTreeMap<String, csv::Directory>,
    Vec<InputError>,
) {
    let mut customers: std::collections::BTreeMap<String, fec::Customer> = Default::default();
    let mut directory: std::collections::BTreeMap<String, csv::Directory> = Default::default();
    let mut errors = Vec::new();
    // The buyers with an invoice their case does not have yet: the others
    // are left untouched.
    let mut fresh = BTreeSet::new();
    for path in paths {
        let inv = match facturx::read(path) {
            Ok(i) => i,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let account = inv.buyer_key.clone();
        let rel = format!("factures/{}.pdf", safe_name(&inv.number));
        if !options.dry_run {
            let copied = std::fs::read(path).and_then(|b| crate::atomic::write_atomic(&cases.join(&rel), &b));
            if let Err(e) = copied {
                errors
                    .push(InputError::new(path, format!("copie dans {} impossible : {e}", cases.join(&rel).display())));
                continue;
            }
        }
        let customer = customers.entry(account.clone()).or_insert_with(|| {
            // The invoices and payments the case has already.
            let mut c = fec::Customer { account: account.clone(), name: inv.buyer.name.clone(), ..Default::default() };
            let file = cases.join(format!("{}.yaml", case_id(&account)));
            if let Ok(case) = std::fs::read_to_string(&file)
                .map_err(|_| ())
                .and_then(|t| crate::case::parse_case(&file, &t).map_err(|_| ()))
            {
                for i in &case.invoices {
                    c.invoices.push(fec::OpenInvoice {
                        number: i.number.clone(),
                        date: i.date.0,
                        due: Some(i.due.0),
                        amount: i.amount.0,
                        settled: false,
                        file: i.file.clone(),
                    });
                }
                for p in &case.payments {
                    c.credits.push(fec::Credit {
                        date: p.date.0,
                        amount: p.amount.0,
                        invoice: p.invoice.clone(),
                        settled: false,
                    });
                }
            }
            c
        });
        if customer.invoices.iter().any(|i| i.number == inv.number) {
            continue;
        }
        fresh.insert(account.clone());
        customer.invoices.push(fec::OpenInvoice {
            number: inv.number.clone(),
            date: inv.date,
            due: inv.due,
            amount: inv.amount_due,
            settled: false,
            file: Some(rel),
        });
        if inv.has_address {
            directory.insert(account, inv.buyer.clone());
        }
    }
    customers.retain(|k, _| fresh.contains(k));
    (customers, directory, errors)
}
