//! Serialization formats for record keys and values: JSON, DELIMITED and KAFKA.
//!
//! A [`RowCodec`] is built once per query from a source or sink schema and its
//! formats; it decodes record bytes into row slots and encodes rows into reused
//! buffers.

pub mod delimited;
pub mod json;
pub mod kafka;

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use wasp_sql::{ColumnRole, DataType, Field, Value};

/// A serialization format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Json,
    /// Comma (or other single character) separated values.
    Delimited {
        delimiter: u8,
    },
    /// Kafka's primitive serializers: big-endian INT/BIGINT/DOUBLE, UTF-8 STRING.
    Kafka,
    /// No data (a stream without key columns).
    None,
}

impl Format {
    /// Parses a `KEY_FORMAT` / `VALUE_FORMAT` name.
    pub fn parse(name: &str, delimiter: Option<&str>) -> Result<Format, String> {
        match name.to_ascii_uppercase().as_str() {
            "JSON" => Ok(Format::Json),
            "DELIMITED" => {
                let delimiter = match delimiter.map(|d| d.to_ascii_uppercase()) {
                    None => b',',
                    Some(d) if d == "TAB" => b'\t',
                    Some(d) if d == "SPACE" => b' ',
                    Some(d) if d.len() == 1 => d.as_bytes()[0],
                    Some(d) => return Err(format!("VALUE_DELIMITER must be one character, TAB or SPACE, got '{d}'")),
                };
                Ok(Format::Delimited { delimiter })
            }
            "KAFKA" => Ok(Format::Kafka),
            "NONE" => Ok(Format::None),
            "AVRO" | "PROTOBUF" | "JSON_SR" | "PROTOBUF_NOSR" => Err(format!(
                "format {name} is not supported yet (it needs Schema Registry support); use JSON, DELIMITED or KAFKA"
            )),
            other => Err(format!("unknown format {other}; use JSON, DELIMITED or KAFKA")),
        }
    }

    /// Checks that the format can carry these columns.
    pub fn check_columns(&self, fields: &[&Field], what: &str) -> Result<(), String> {
        match self {
            Format::Kafka => {
                if fields.len() > 1 {
                    return Err(format!("the KAFKA format supports a single {what} column, found {}", fields.len()));
                }
                for f in fields {
                    if !matches!(
                        f.data_type,
                        DataType::Int | DataType::BigInt | DataType::Double | DataType::String | DataType::Bytes
                    ) {
                        return Err(format!(
                            "the KAFKA format does not support {what} column {} of type {}",
                            f.name, f.data_type
                        ));
                    }
                }
                Ok(())
            }
            Format::Delimited { .. } => {
                for f in fields {
                    if matches!(f.data_type, DataType::Array(_) | DataType::Map(..) | DataType::Struct(_)) {
                        return Err(format!(
                            "the DELIMITED format does not support {what} column {} of type {}",
                            f.name, f.data_type
                        ));
                    }
                }
                Ok(())
            }
            Format::None => {
                if fields.is_empty() {
                    Ok(())
                } else {
                    Err(format!("the NONE format cannot carry {what} columns"))
                }
            }
            Format::Json => Ok(()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Delimited { .. } => "DELIMITED",
            Format::Kafka => "KAFKA",
            Format::None => "NONE",
        })
    }
}

/// Decodes and encodes the key and value of records for one row layout.
#[derive(Debug, Clone)]
pub struct RowCodec {
    key_format: Format,
    value_format: Format,
    /// (name, type) of key columns, and where each goes in the row.
    key_fields: Vec<(String, DataType)>,
    key_slots: Vec<usize>,
    value_fields: Vec<(String, DataType)>,
    value_slots: Vec<usize>,
    /// Per value field: whether the query reads it (all, unless `set_needed` narrowed it).
    value_needed: Vec<bool>,
    scratch: Vec<Value>,
}

impl RowCodec {
    /// A codec for rows laid out as `fields` (only key and value columns are coded).
    pub fn new(fields: &[Field], key_format: Format, value_format: Format) -> RowCodec {
        let mut key_fields = Vec::new();
        let mut key_slots = Vec::new();
        let mut value_fields = Vec::new();
        let mut value_slots = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            match f.role {
                ColumnRole::Key => {
                    key_fields.push((f.name.clone(), f.data_type.clone()));
                    key_slots.push(i);
                }
                ColumnRole::Value => {
                    value_fields.push((f.name.clone(), f.data_type.clone()));
                    value_slots.push(i);
                }
                ColumnRole::Pseudo => {}
            }
        }
        let width = key_fields.len().max(value_fields.len());
        RowCodec {
            key_format,
            value_format,
            key_fields,
            key_slots,
            value_needed: vec![true; value_fields.len()],
            value_fields,
            value_slots,
            scratch: vec![Value::Null; width],
        }
    }

    /// Tells the decoder which row positions the query reads; JSON values then leave
    /// the other fields NULL instead of building them (they are still type-checked).
    pub fn set_needed(&mut self, needed: &[bool]) {
        for (flag, slot) in self.value_needed.iter_mut().zip(&self.value_slots) {
            *flag = needed.get(*slot).copied().unwrap_or(true);
        }
    }

    pub fn has_key(&self) -> bool {
        !self.key_fields.is_empty()
    }

    /// Decodes a record's key and value into `row` (indexed by the layout's positions).
    /// A null value (tombstone) decodes to all-NULL value columns.
    pub fn decode(&mut self, key: Option<&[u8]>, value: Option<&[u8]>, row: &mut [Value]) -> Result<(), String> {
        if !self.key_fields.is_empty() {
            let n = self.key_fields.len();
            decode_with(&self.key_format, key, &self.key_fields, None, &mut self.scratch[..n])
                .map_err(|e| format!("key: {e}"))?;
            for (slot, v) in self.key_slots.iter().zip(self.scratch[..n].iter_mut()) {
                row[*slot] = std::mem::replace(v, Value::Null);
            }
        }
        if !self.value_fields.is_empty() {
            let n = self.value_fields.len();
            let needed = (self.value_format == Format::Json).then_some(&self.value_needed[..]);
            decode_with(&self.value_format, value, &self.value_fields, needed, &mut self.scratch[..n])
                .map_err(|e| format!("value: {e}"))?;
            for (slot, v) in self.value_slots.iter().zip(self.scratch[..n].iter_mut()) {
                row[*slot] = std::mem::replace(v, Value::Null);
            }
        }
        Ok(())
    }

    /// Encodes the key columns of `row` into `buf`; returns false when there is no key.
    pub fn encode_key<'v>(&self, row: &dyn Fn(usize) -> &'v Value, buf: &mut Vec<u8>) -> bool {
        buf.clear();
        if self.key_fields.is_empty() {
            return false;
        }
        if self.key_slots.iter().all(|s| row(*s).is_null()) {
            return false;
        }
        encode_with(&self.key_format, &self.key_fields, &self.key_slots, row, buf, true);
        true
    }

    /// Encodes the value columns of `row` into `buf`.
    pub fn encode_value<'v>(&self, row: &dyn Fn(usize) -> &'v Value, buf: &mut Vec<u8>) {
        buf.clear();
        encode_with(&self.value_format, &self.value_fields, &self.value_slots, row, buf, false);
    }
}

fn decode_with(
    format: &Format,
    bytes: Option<&[u8]>,
    fields: &[(String, DataType)],
    needed: Option<&[bool]>,
    out: &mut [Value],
) -> Result<(), String> {
    let Some(bytes) = bytes else {
        out.iter_mut().for_each(|v| *v = Value::Null);
        return Ok(());
    };
    match format {
        Format::Json => {
            if fields.len() == 1 && !bytes.trim_ascii_start().starts_with(b"{") {
                // An unwrapped single value (ksqlDB's keys and WRAP_SINGLE_VALUE=false).
                out[0] = json::decode_single(bytes, &fields[0].1)?;
                Ok(())
            } else {
                json::decode_object_projected(bytes, fields, needed, out)
            }
        }
        Format::Delimited { delimiter } => delimited::decode(bytes, *delimiter, fields, out),
        Format::Kafka => {
            out[0] = kafka::decode(bytes, &fields[0].1)?;
            Ok(())
        }
        Format::None => Ok(()),
    }
}

fn encode_with<'v>(
    format: &Format,
    fields: &[(String, DataType)],
    slots: &[usize],
    row: &dyn Fn(usize) -> &'v Value,
    buf: &mut Vec<u8>,
    is_key: bool,
) {
    match format {
        Format::Json => {
            if is_key && fields.len() == 1 {
                json::write_value(buf, row(slots[0]), &fields[0].1);
            } else {
                json::encode_object(buf, fields.iter().zip(slots).map(|((n, t), s)| (n.as_str(), t, row(*s))));
            }
        }
        Format::Delimited { delimiter } => {
            delimited::encode(buf, *delimiter, fields.iter().zip(slots).map(|((_, t), s)| (t, row(*s))))
        }
        Format::Kafka => {
            if let Some(s) = slots.first() {
                kafka::encode(buf, row(*s));
            }
        }
        Format::None => {}
    }
}

/// Parses `2020-01-01T10:00:00[.SSS][Z|+hh:mm]` or `2020-01-01 10:00:00` as UTC millis.
pub fn parse_iso_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Parses `yyyy-MM-dd` as days since the epoch.
pub fn parse_iso_date(s: &str) -> Option<i32> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

/// Parses `HH:mm[:ss[.SSS]]` as milliseconds since midnight.
pub fn parse_iso_time(s: &str) -> Option<i32> {
    let s = s.trim();
    for fmt in ["%H:%M:%S%.f", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
            let ms = chrono::Timelike::num_seconds_from_midnight(&t) as i64 * 1000
                + i64::from(chrono::Timelike::nanosecond(&t) / 1_000_000);
            return i32::try_from(ms).ok();
        }
    }
    None
}

/// Renders a timestamp as ksqlDB does in query results: `2020-01-01T10:00:00.000`.
pub fn format_timestamp(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// Renders days since the epoch as `yyyy-MM-dd`.
pub fn format_date(days: i32) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(days))))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| days.to_string())
}

/// Renders milliseconds since midnight as `HH:mm:ss` (with `.SSS` when not whole).
pub fn format_time(ms: i32) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if millis == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{millis:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let ms = parse_iso_timestamp("2020-09-13T12:26:40.000").unwrap();
        assert_eq!(ms, 1_600_000_000_000);
        assert_eq!(format_timestamp(ms), "2020-09-13T12:26:40.000");
        assert_eq!(parse_iso_timestamp("2020-09-13T12:26:40Z"), Some(ms));
        assert_eq!(format_date(parse_iso_date("2021-03-04").unwrap()), "2021-03-04");
        assert_eq!(format_time(parse_iso_time("01:02:03").unwrap()), "01:02:03");
    }

    #[test]
    fn codec_decodes_key_and_value() {
        let fields = vec![
            Field::new("ID", DataType::Int, ColumnRole::Key),
            Field::new("NAME", DataType::String, ColumnRole::Value),
        ];
        let mut codec = RowCodec::new(&fields, Format::Kafka, Format::Json);
        let mut row = vec![Value::Null; 2];
        codec.decode(Some(&7i32.to_be_bytes()), Some(br#"{"name":"a"}"#), &mut row).unwrap();
        assert_eq!(row, vec![Value::Int(7), Value::string("a")]);
        let mut buf = Vec::new();
        assert!(codec.encode_key(&|i| &row[i], &mut buf));
        assert_eq!(buf, 7i32.to_be_bytes());
        codec.encode_value(&|i| &row[i], &mut buf);
        assert_eq!(buf, br#"{"NAME":"a"}"#);
        assert!(codec.decode(Some(b"xx"), Some(b"{}"), &mut row).unwrap_err().starts_with("key:"));
    }
}
