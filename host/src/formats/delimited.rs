//! The DELIMITED format: one field per column, in column order, separated by a
//! delimiter; fields containing the delimiter or quotes are double-quoted (RFC 4180).
//! An empty field is NULL.

use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Decimal, Value};

/// Decodes one record into `out` (one slot per field).
pub fn decode(bytes: &[u8], delimiter: u8, fields: &[(String, DataType)], out: &mut [Value]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "record is not valid UTF-8".to_owned())?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut parts: Vec<String> = Vec::with_capacity(fields.len());
    let mut present: Vec<bool> = Vec::with_capacity(fields.len());
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    let delim = delimiter as char;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.is_empty() {
            quoted = true;
            was_quoted = true;
        } else if c == delim {
            present.push(was_quoted || !cur.is_empty());
            parts.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    present.push(was_quoted || !cur.is_empty());
    parts.push(cur);
    if parts.len() != fields.len() {
        return Err(format!("expected {} fields, found {}", fields.len(), parts.len()));
    }
    for (i, ((name, t), part)) in fields.iter().zip(&parts).enumerate() {
        out[i] =
            if !present[i] { Value::Null } else { parse_field(part, t).map_err(|e| format!("field {name}: {e}"))? };
    }
    Ok(())
}

fn parse_field(s: &str, t: &DataType) -> Result<Value, String> {
    let bad = || format!("'{s}' is not a valid {t}");
    Ok(match t {
        DataType::String => Value::String(Arc::from(s)),
        DataType::Boolean => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => return Err(bad()),
        },
        DataType::Int => Value::Int(s.trim().parse().map_err(|_| bad())?),
        DataType::BigInt => Value::BigInt(s.trim().parse().map_err(|_| bad())?),
        DataType::Double => Value::Double(s.trim().parse().map_err(|_| bad())?),
        DataType::Decimal { precision, scale } => {
            Value::Decimal(Decimal::parse(s).and_then(|d| d.fit(*precision, *scale)).ok_or_else(bad)?)
        }
        DataType::Timestamp => match s.trim().parse::<i64>() {
            Ok(ms) => Value::Timestamp(ms),
            Err(_) => Value::Timestamp(super::parse_iso_timestamp(s).ok_or_else(bad)?),
        },
        DataType::Date => match s.trim().parse::<i32>() {
            Ok(d) => Value::Date(d),
            Err(_) => Value::Date(super::parse_iso_date(s).ok_or_else(bad)?),
        },
        DataType::Time => match s.trim().parse::<i32>() {
            Ok(d) => Value::Time(d),
            Err(_) => Value::Time(super::parse_iso_time(s).ok_or_else(bad)?),
        },
        DataType::Bytes => {
            Value::Bytes(Arc::from(base64::engine::general_purpose::STANDARD.decode(s.trim()).map_err(|_| bad())?))
        }
        _ => return Err(format!("type {t} is not supported by DELIMITED")),
    })
}

/// Encodes the values, quoting where needed.
pub fn encode<'a>(buf: &mut Vec<u8>, delimiter: u8, values: impl Iterator<Item = (&'a DataType, &'a Value)>) {
    let mut field = String::new();
    for (i, (_, v)) in values.enumerate() {
        if i > 0 {
            buf.push(delimiter);
        }
        field.clear();
        match v {
            Value::Null => continue,
            Value::Double(d) => field.push_str(&format_double(*d)),
            Value::Bytes(b) => field.push_str(&base64::engine::general_purpose::STANDARD.encode(b)),
            Value::String(s) => field.push_str(s),
            other => {
                use std::fmt::Write as _;
                let _ = write!(field, "{other}");
            }
        }
        let needs_quotes = field.bytes().any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
            || (field.is_empty() && matches!(v, Value::String(_)));
        if needs_quotes {
            buf.push(b'"');
            let _ = buf.write_all(field.replace('"', "\"\"").as_bytes());
            buf.push(b'"');
        } else {
            buf.extend_from_slice(field.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_quotes_and_nulls() {
        let fields = vec![
            ("A".to_owned(), DataType::Int),
            ("B".to_owned(), DataType::String),
            ("C".to_owned(), DataType::Double),
        ];
        let mut out = vec![Value::Null; 3];
        decode(b"1,\"x,\"\"y\",", b',', &fields, &mut out).unwrap();
        assert_eq!(out, vec![Value::Int(1), Value::string("x,\"y"), Value::Null]);
        let mut buf = Vec::new();
        encode(&mut buf, b',', fields.iter().map(|(_, t)| t).zip(out.iter()));
        assert_eq!(buf, b"1,\"x,\"\"y\",");
        assert!(decode(b"1,2", b',', &fields, &mut out).is_err());
        assert!(decode(b"x,a,1.0", b',', &fields, &mut out).unwrap_err().contains("field A"));
    }
}
