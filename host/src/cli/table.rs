//! Tables drawn the way the ksql CLI draws them.
//!
//! Listings (`SHOW STREAMS`, `DESCRIBE`, command messages) use [`Table`]:
//!
//! ```text
//!  Stream Name | Kafka Topic | Key Format | Value Format | Windowed
//! -----------------------------------------------------------------
//!  RATINGS     | ratings     | KAFKA      | JSON         | false
//! -----------------------------------------------------------------
//! ```
//!
//! Query results use [`TabularRow`]: fixed-width cells that share the terminal width,
//! wrapped onto more lines when a value is longer than its cell:
//!
//! ```text
//! +----------+----------+
//! |NAME      |N         |
//! +----------+----------+
//! |a         |1         |
//! ```

use std::fmt::Write as _;

/// A listing with column headers, rows, and lines of text above and below.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub header_lines: Vec<String>,
    pub footer_lines: Vec<String>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table { headers: headers.into_iter().map(Into::into).collect(), ..Table::default() }
    }

    pub fn row<S: Into<String>>(mut self, cells: impl IntoIterator<Item = S>) -> Table {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    pub fn footer(mut self, line: impl Into<String>) -> Table {
        self.footer_lines.push(line.into());
        self
    }

    /// Renders the table; the separator lines are at most `width` characters.
    pub fn render(&self, width: usize) -> String {
        let mut out = String::new();
        for line in &self.header_lines {
            out.push_str(line);
            out.push('\n');
        }
        if !self.headers.is_empty() {
            let widths: Vec<usize> = (0..self.headers.len())
                .map(|i| {
                    let cells = self.rows.iter().map(|r| r.get(i).map_or(0, |c| longest_line(c)));
                    cells.fold(text_width(&self.headers[i]), usize::max)
                })
                .collect();
            let separator_len = widths.iter().map(|w| w + 3).sum::<usize>().saturating_sub(1);
            let separator = "-".repeat(separator_len.min(width));
            write_row(&mut out, &widths, &self.headers);
            out.push_str(&separator);
            out.push('\n');
            for row in &self.rows {
                write_row(&mut out, &widths, row);
            }
            out.push_str(&separator);
            out.push('\n');
        }
        for line in &self.footer_lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

/// ` a   | b   \n`: each cell left-aligned in its column, ` | ` between columns.
fn write_row(out: &mut String, widths: &[usize], cells: &[String]) {
    out.push(' ');
    for (i, w) in widths.iter().enumerate() {
        if i > 0 {
            out.push_str(" | ");
        }
        let cell = cells.get(i).map_or("", String::as_str);
        let _ = write!(out, "{cell}");
        out.push_str(&" ".repeat(w.saturating_sub(text_width(cell))));
    }
    out.push_str(" \n");
}

fn text_width(s: &str) -> usize {
    s.chars().count()
}

fn longest_line(s: &str) -> usize {
    s.lines().map(text_width).max().unwrap_or(0)
}

/// The smallest cell a query result column gets.
const MIN_CELL_WIDTH: usize = 5;

/// One line (or, wrapped, a few lines) of a query result.
#[derive(Debug, Clone, PartialEq)]
pub struct TabularRow {
    cells: Vec<String>,
    cell_width: usize,
    is_header: bool,
}

impl TabularRow {
    /// The column names between separator lines.
    pub fn header(width: usize, names: &[String]) -> TabularRow {
        TabularRow { cells: names.to_vec(), cell_width: cell_width(width, names.len()), is_header: true }
    }

    /// A row of values.
    pub fn row(width: usize, values: &[String]) -> TabularRow {
        TabularRow { cells: values.to_vec(), cell_width: cell_width(width, values.len()), is_header: false }
    }

    pub fn render(&self) -> String {
        if self.cells.is_empty() {
            return String::new();
        }
        let w = self.cell_width;
        let separator = format!("+{}", format!("{}+", "-".repeat(w)).repeat(self.cells.len()));
        let chunks: Vec<Vec<String>> = self.cells.iter().map(|c| split_fixed(c, w)).collect();
        let lines = chunks.iter().map(Vec::len).max().unwrap_or(1);
        let mut out = String::new();
        if self.is_header {
            out.push_str(&separator);
            out.push('\n');
        }
        for line in 0..lines {
            out.push('|');
            for cell in &chunks {
                match cell.get(line) {
                    Some(part) => out.push_str(part),
                    None => out.push_str(&" ".repeat(w)),
                }
                out.push('|');
            }
            if line + 1 < lines {
                out.push('\n');
            }
        }
        if self.is_header {
            out.push('\n');
            out.push_str(&separator);
        }
        out
    }
}

/// Each cell gets an equal share of the width, less its borders.
fn cell_width(width: usize, columns: usize) -> usize {
    if columns == 0 {
        return MIN_CELL_WIDTH;
    }
    (width / columns).saturating_sub(2).max(MIN_CELL_WIDTH)
}

/// Cuts `value` into pieces of `width` characters, the last one padded.
fn split_fixed(value: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = value.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    if chars.is_empty() {
        return vec![" ".repeat(width)];
    }
    chars
        .chunks(width)
        .map(|chunk| {
            let mut s: String = chunk.iter().collect();
            s.push_str(&" ".repeat(width - chunk.len()));
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_looks_like_ksql() {
        let t = Table::new(["Stream Name", "Kafka Topic", "Key Format", "Value Format", "Windowed"])
            .row(["RATINGS", "ratings", "KAFKA", "JSON", "false"])
            .row(["KSQL_PROCESSING_LOG", "default_ksql_processing_log", "KAFKA", "JSON", "false"]);
        let expected = concat!(
            " Stream Name         | Kafka Topic                 | Key Format | Value Format | Windowed \n",
            "------------------------------------------------------------------------------------------\n",
            " RATINGS             | ratings                     | KAFKA      | JSON         | false    \n",
            " KSQL_PROCESSING_LOG | default_ksql_processing_log | KAFKA      | JSON         | false    \n",
            "------------------------------------------------------------------------------------------\n",
        );
        assert_eq!(t.render(200), expected);
    }

    #[test]
    fn message_table_and_narrow_terminal() {
        let t = Table::new(["Message"]).row(["Stream created"]).footer("done");
        assert_eq!(t.render(200), " Message        \n----------------\n Stream created \n----------------\ndone\n");
        assert!(t.render(5).contains("\n-----\n"));
    }

    #[test]
    fn query_rows_have_fixed_cells() {
        let names = vec!["NAME".to_string(), "N".to_string()];
        assert_eq!(
            TabularRow::header(24, &names).render(),
            "+----------+----------+\n|NAME      |N         |\n+----------+----------+"
        );
        let row = TabularRow::row(24, &["a".to_string(), "1".to_string()]);
        assert_eq!(row.render(), "|a         |1         |");
    }

    #[test]
    fn long_values_wrap() {
        let row = TabularRow::row(14, &["abcdefghij".to_string(), "x".to_string()]);
        assert_eq!(row.render(), "|abcde|x    |\n|fghij|     |");
        let empty = TabularRow::row(14, &[String::new(), "é".to_string()]);
        assert_eq!(empty.render(), "|     |é    |");
    }
}
