//! Plain-text tables for the terminal (`plan`, `explain`): columns as wide
//! as their widest cell, some right-aligned (amounts), no trailing spaces.
//! A leaf module.

/// A text table: a header and rows of cells, each line ending in `\n`.
pub fn render(indent: &str, header: &[&str], rows: &[Vec<String>], right: &[usize]) -> String {
    let width = |i: usize| {
        rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).chain([header[i].chars().count()]).max()
    };
    let widths: Vec<usize> = (0..header.len()).map(|i| width(i).unwrap_or(0)).collect();
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::from(indent);
        for (i, c) in cells.iter().enumerate() {
            let pad = " ".repeat(widths.get(i).copied().unwrap_or(0).saturating_sub(c.chars().count()));
            if right.contains(&i) {
                s.push_str(&pad);
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&pad);
            }
            s.push_str("  ");
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_align_and_lines_end_clean() {
        let rows = vec![
            vec!["A".to_string(), "1,00 €".to_string(), "x".to_string()],
            vec!["BB".to_string(), "10,00 €".to_string(), String::new()],
        ];
        let t = super::render("  ", &["id", "total", "note"], &rows, &[1]);
        assert_eq!(t, "  id    total  note\n  A    1,00 €  x\n  BB  10,00 €\n");
    }
}
