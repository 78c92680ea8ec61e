//! The one CSV writer of relance (manifest, deposit list, and every CSV to
//! come): a header, then one row per record, and every cell that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return) given a leading apostrophe. A leaf module.

use std::borrow::Cow;
use std::io::Write;

/// A row of a CSV file: its column names and its cells, in order.
pub trait CsvRecord {
    /// The column names.
    const HEADER: &'static [&'static str];
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
}

impl<W: Write> CsvWriter<W> {
    /// A writer into `out`; the header goes before the first record (or at
    /// [`CsvWriter::finish`] when there is none).
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter { inner: csv::WriterBuilder::new().has_headers(false).from_writer(out), header_written: false }
    }

    /// Writes one record (and the header first).
    pub fn write<R: CsvRecord>(&mut self, record: &R) -> std::io::Result<()> {
        self.header::<R>()?;
        let cells = record.cells();
        debug_assert_eq!(cells.len(), R::HEADER.len());
        self.inner.write_record(cells.iter().map(|c| defuse(c).into_owned())).map_err(std::io::Error::other)
    }

    fn header<R: CsvRecord>(&mut self) -> std::io::Result<()> {
        if !self.header_written {
            self.inner.write_record(R::HEADER).map_err(std::io::Error::other)?;
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
