//! The DELIMITED format: one field per column, in column order, separated by a
//! delimiter; fields are double-quoted where ksqlDB's writer (commons-csv) quotes them
//! (see `needs_quotes`), quotes inside doubled. An empty field is NULL.

use std::fmt::Write as _;

use base64::Engine as _;
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Decimal};

use super::cells::Cells;
use super::datetime::{parse_iso_date, parse_iso_time, parse_iso_timestamp};
use crate::columnar::ColumnBuilder;

/// Splits records into fields, reusing its buffers from record to record.
#[derive(Debug, Default)]
pub struct Splitter {
    /// Every field's text, back to back; `ends[i]` is where field `i` ends.
    text: String,
    ends: Vec<usize>,
    /// Whether field `i` was present (quoted, or not empty).
    present: Vec<bool>,
}

impl Splitter {
    /// Splits `bytes`; afterwards [`field`](Self::field) reads the fields.
    pub fn split(&mut self, bytes: &[u8], delimiter: u8) -> Result<usize, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "record is not valid UTF-8".to_owned())?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        self.text.clear();
        self.ends.clear();
        self.present.clear();
        let delim = delimiter as char;
        let mut quoted = false;
        let mut was_quoted = false;
        let mut start = 0;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        self.text.push('"');
                    } else {
                        quoted = false;
                    }
                } else {
                    self.text.push(c);
                }
            } else if c == '"' && self.text.len() == start {
                quoted = true;
                was_quoted = true;
            } else if c == delim {
                self.present.push(was_quoted || self.text.len() > start);
                self.ends.push(self.text.len());
                start = self.text.len();
                was_quoted = false;
            } else {
                self.text.push(c);
            }
        }
        if quoted {
            return Err("unterminated quoted field".into());
        }
        self.present.push(was_quoted || self.text.len() > start);
        self.ends.push(self.text.len());
        Ok(self.ends.len())
    }

    /// Field `i` of the last record split, `None` when empty (NULL).
    pub fn field(&self, i: usize) -> Option<&str> {
        if !self.present.get(i).copied().unwrap_or(false) {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..self.ends[i]])
    }
}

/// Decodes the fields of the last record `splitter` split into `builders[slots[i]]`.
pub fn decode(
    splitter: &Splitter,
    fields: &[(String, DataType)],
    slots: &[usize],
    builders: &mut [ColumnBuilder],
) -> Result<(), String> {
    if splitter.ends.len() != fields.len() {
        return Err(format!("expected {} fields, found {}", fields.len(), splitter.ends.len()));
    }
    for (i, ((name, t), slot)) in fields.iter().zip(slots).enumerate() {
        let out = &mut builders[*slot];
        match splitter.field(i) {
            None => out.append_null(),
            Some(s) => parse_field(s, t, out).map_err(|e| format!("field {name}: {e}"))?,
        }
    }
    Ok(())
}

fn parse_field(s: &str, t: &DataType, out: &mut ColumnBuilder) -> Result<(), String> {
    let bad = || format!("'{s}' is not a valid {t}");
    match t {
        DataType::String => out.push_str(s),
        DataType::Boolean => match s.trim().to_ascii_lowercase().as_str() {
            "true" => out.push_bool(true),
            "false" => out.push_bool(false),
            _ => return Err(bad()),
        },
        DataType::Int => out.push_i32(s.trim().parse().map_err(|_| bad())?),
        DataType::BigInt => {
            out.push_i64(s.trim().parse().map_err(|_| bad())?);
        }
        DataType::Double => out.push_f64(s.trim().parse().map_err(|_| bad())?),
        DataType::Decimal { .. } => {
            if !Decimal::parse(s).is_some_and(|d| out.push_decimal(d)) {
                return Err(bad());
            }
        }
        DataType::Timestamp => {
            let ms = match s.trim().parse::<i64>() {
                Ok(ms) => ms,
                Err(_) => parse_iso_timestamp(s).ok_or_else(bad)?,
            };
            out.push_i64(ms);
        }
        DataType::Date => out.push_i32(match s.trim().parse::<i32>() {
            Ok(d) => d,
            Err(_) => parse_iso_date(s).ok_or_else(bad)?,
        }),
        DataType::Time => out.push_i32(match s.trim().parse::<i32>() {
            Ok(d) => d,
            Err(_) => parse_iso_time(s).ok_or_else(bad)?,
        }),
        DataType::Bytes => {
            out.push_bytes(&base64::engine::general_purpose::STANDARD.decode(s.trim()).map_err(|_| bad())?)
        }
        _ => return Err(format!("type {t} is not supported by DELIMITED")),
    }
    Ok(())
}

/// Encodes row `row` of `columns`, quoting where needed; `field` is scratch space.
pub fn encode(buf: &mut Vec<u8>, delimiter: u8, columns: &[Cells<'_>], row: usize, field: &mut String) {
    for (i, cells) in columns.iter().enumerate() {
        if i > 0 {
            buf.push(delimiter);
        }
        if cells.is_null(row) {
            continue;
        }
        field.clear();
        match cells {
            Cells::Double(a) => field.push_str(&format_double(a.value(row))),
            Cells::Bytes(a) => field.push_str(&base64::engine::general_purpose::STANDARD.encode(a.value(row))),
            Cells::String(a) => field.push_str(a.value(row)),
            Cells::Boolean(a) => field.push_str(if a.value(row) { "true" } else { "false" }),
            Cells::Int(a) => field.push_str(itoa::Buffer::new().format(a.value(row))),
            Cells::BigInt(a) => field.push_str(itoa::Buffer::new().format(a.value(row))),
            Cells::Timestamp(a) => field.push_str(itoa::Buffer::new().format(a.value(row))),
            Cells::Date(a) => field.push_str(itoa::Buffer::new().format(a.value(row))),
            Cells::Time(a) => field.push_str(itoa::Buffer::new().format(a.value(row))),
            Cells::Decimal(a, s) => {
                let _ = write!(field, "{}", Decimal::new(a.value(row), *s));
            }
            // check_columns refuses nested types for DELIMITED.
            Cells::Null | Cells::List(..) | Cells::Map(..) | Cells::Struct(..) => {}
        }
        if needs_quotes(field, i == 0, delimiter) {
            buf.push(b'"');
            for part in field.split_inclusive('"') {
                buf.extend_from_slice(part.as_bytes());
                if part.ends_with('"') {
                    buf.push(b'"');
                }
            }
            buf.push(b'"');
        } else {
            buf.extend_from_slice(field.as_bytes());
        }
    }
}

/// Whether a field is quoted, as ksqlDB's commons-csv (1.4, `QuoteMode.MINIMAL`)
/// decides: an empty first field (an empty record would have no field); a first field
/// that does not start with a letter or digit; a field that starts with a character up
/// to `#` or ends with one up to a space; a field holding the delimiter, a quote or a
/// line break.
fn needs_quotes(field: &str, first: bool, delimiter: u8) -> bool {
    let (Some(start), Some(end)) = (field.chars().next(), field.chars().next_back()) else { return first };
    (first && !start.is_ascii_alphanumeric())
        || start <= '#'
        || end <= ' '
        || field.bytes().any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
}

#[cfg(test)]
mod tests {
    use wasp_sql::Value;

    use super::*;
    use crate::columnar::{array_of, values_of};

    #[test]
    fn round_trips_with_quotes_and_nulls() {
        let fields = vec![
            ("A".to_owned(), DataType::Int),
            ("B".to_owned(), DataType::String),
            ("C".to_owned(), DataType::Double),
        ];
        let mut builders: Vec<ColumnBuilder> = fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
        let mut splitter = Splitter::default();
        splitter.split(b"1,\"x,\"\"y\",", b',').unwrap();
        decode(&splitter, &fields, &[0, 1, 2], &mut builders).unwrap();
        let arrays: Vec<_> = builders.iter_mut().map(ColumnBuilder::finish).collect();
        let row: Vec<Value> = arrays.iter().map(|a| values_of(a.as_ref()).remove(0)).collect();
        assert_eq!(row, vec![Value::Int(1), Value::string("x,\"y"), Value::Null]);
        let cells: Vec<Cells<'_>> = arrays.iter().map(|a| Cells::new(a.as_ref())).collect();
        let mut buf = Vec::new();
        encode(&mut buf, b',', &cells, 0, &mut String::new());
        assert_eq!(buf, b"1,\"x,\"\"y\",");
        for (field, first, quoted) in [
            ("-10", true, true),
            ("-10", false, false),
            (" x", false, true),
            ("x\t", false, true),
            ("#x", false, true),
            ("", true, true),
            ("", false, false),
            ("a$b", false, true),
            ("plain", true, false),
        ] {
            assert_eq!(needs_quotes(field, first, b'$'), quoted, "{field:?} first={first}");
        }
        splitter.split(b"1,2", b',').unwrap();
        assert!(decode(&splitter, &fields, &[0, 1, 2], &mut builders).is_err());
        splitter.split(b"x,a,1.0", b',').unwrap();
        assert!(decode(&splitter, &fields, &[0, 1, 2], &mut builders).unwrap_err().contains("field A"));
        let _ = array_of(&DataType::Int, &[]);
    }
}
