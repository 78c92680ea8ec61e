//! The one CSV writer of relance (manifest, deposit list, and every CSV to
//! come): a header, then one row per record, and every cell that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) given a leading apostrophe. A leaf module.

use std::borrow::Cow;
use std::io::Write;

/// How the CSV files of a run are written: the separator, a byte-order
/// mark, the decimal separator of amounts. The default (`,`, no BOM,
/// decimal point) is what a program reads; a French-locale spreadsheet
/// wants `;`, a BOM (to read UTF-8) and decimal commas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvFormat {
    /// The separator: `,`, `;` or a tab.
    pub separator: u8,
    /// Start the file with a UTF-8 byte-order mark.
    pub bom: bool,
    /// Write amounts with a decimal comma (`1630,70`).
    pub decimal_comma: bool,
    /// Name the columns in French (`dossier`, `debiteur`…).
    pub french_headers: bool,
}

impl Default for CsvFormat {
    fn default() -> CsvFormat {
        CsvFormat { separator: b',', bom: false, decimal_comma: false, french_headers: false }
    }
}

impl CsvFormat {
    /// The separator of `--csv-sep` or `csv.separator`: `,`, `;`, `tab`
    /// (or a tab character).
    pub fn parse_separator(text: &str) -> Result<u8, String> {
        match text {
            "," => Ok(b','),
            ";" => Ok(b';'),
            "tab" | "\t" | "\\t" => Ok(b'\t'),
            other => Err(format!("séparateur « {other} » ; attendu : « , », « ; » ou « tab »")),
        }
    }
}

/// A row of a CSV file: its column names and its cells, in order.
pub trait CsvRecord {
    /// The column names.
    const HEADER: &'static [&'static str];
    /// The column names in French, in the same order (empty: the file's
    /// columns are French already).
    const HEADER_FR: &'static [&'static str] = &[];
    /// The columns that hold amounts (`1630.70`), by their name in
    /// [`CsvRecord::HEADER`]: written with a decimal comma when asked.
    const AMOUNTS: &'static [&'static str] = &[];
    /// The cells, as many as the header has names.
    fn cells(&self) -> Vec<Cow<'_, str>>;
}

/// A cell as a spreadsheet may open it: never read as a formula.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes records of one kind as CSV.
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
    header_written: bool,
    format: CsvFormat,
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`; the header goes before the first record (or at
    /// [`CsvWriter::finish`] when there is none).
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter::with_format(out, CsvFormat::default())
    }

    /// A writer into `out` in `format` (the BOM is written at once).
    pub fn with_format(mut out: W, format: CsvFormat) -> CsvWriter<W> {
        // A write error shows again at the first record; the BOM is 3 bytes.
        if format.bom {
            let _ = out.write_all("\u{FEFF}".as_bytes());
        }
        CsvWriter {
            inner: csv::WriterBuilder::new().has_headers(false).delimiter(format.separator).from_writer(out),
            header_written: false,
            format,
        }
    }

    /// Writes one record (and the header first).
    pub fn write<R: CsvRecord>(&mut self, record: &R) -> std::io::Result<()> {
        self.header::<R>()?;
        let cells = record.cells();
        debug_assert_eq!(cells.len(), R::HEADER.len());
        let comma = self.format.decimal_comma;
        let cells = cells.iter().zip(R::HEADER).map(|(c, name)| {
            if comma && R::AMOUNTS.contains(name) { c.replace('.', ",") } else { defuse(c).into_owned() }
        });
        self.inner.write_record(cells).map_err(std::io::Error::other)
    }

    fn header<R: CsvRecord>(&mut self) -> std::io::Result<()> {
        if !self.header_written {
            let header = if self.format.french_headers && !R::HEADER_FR.is_empty() { R::HEADER_FR } else { R::HEADER };
            debug_assert_eq!(header.len(), R::HEADER.len());
            self.inner.write_record(header).map_err(std::io::Error::other)?;
            self.header_written = true;
        }
        Ok(())
    }

    /// Flushes and returns the output (with at least the header).
    pub fn finish<R: CsvRecord>(mut self) -> std::io::Result<W> {
        self.header::<R>()?;
        self.inner.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row(&'static str, &'static str);

    impl CsvRecord for Row {
        const HEADER: &'static [&'static str] = &["a", "b"];
        fn cells(&self) -> Vec<Cow<'_, str>> {
            vec![self.0.into(), self.1.into()]
        }
    }

    struct Amount(&'static str, &'static str);

    impl CsvRecord for Amount {
        const HEADER: &'static [&'static str] = &["ref", "total"];
        const AMOUNTS: &'static [&'static str] = &["total"];
        fn cells(&self) -> Vec<Cow<'_, str>> {
            vec![self.0.into(), self.1.into()]
        }
    }

    #[test]
    fn a_french_spreadsheet_gets_semicolons_a_bom_and_decimal_commas() {
        let format = CsvFormat { separator: b';', bom: true, decimal_comma: true, french_headers: true };
        let mut w = CsvWriter::with_format(Vec::new(), format);
        w.write(&Amount("F-2026.1", "1630.70")).unwrap();
        w.write(&Amount("x;y", "-12.5")).unwrap();
        let text = String::from_utf8(w.finish::<Amount>().unwrap()).unwrap();
        assert_eq!(text, "\u{FEFF}ref;total\nF-2026.1;1630,70\n\"x;y\";-12,5\n");
        assert_eq!(CsvFormat::parse_separator("tab"), Ok(b'\t'));
        assert!(CsvFormat::parse_separator("|").unwrap_err().contains("attendu"));
    }

    #[test]
    fn every_cell_is_defused() {
        let mut w = CsvWriter::new(Vec::new());
        w.write(&Row("=HYPERLINK(\"http://evil\")", "+1")).unwrap();
        w.write(&Row("@SUM(A1)", "ok")).unwrap();
        w.write(&Row("-2", "\tx")).unwrap();
        let text = String::from_utf8(w.finish::<Row>().unwrap()).unwrap();
        assert_eq!(text, "a,b\n\"'=HYPERLINK(\"\"http://evil\"\")\",'+1\n'@SUM(A1),ok\n'-2,'\tx\n");
        let empty = String::from_utf8(CsvWriter::new(Vec::new()).finish::<Row>().unwrap()).unwrap();
        assert_eq!(empty, "a,b\n");
    }
}
