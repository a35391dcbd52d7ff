//! The JSON format: one object per record, fields matched to columns by name
//! (case-insensitively, as ksqlDB does).
//!
//! Decoding goes straight from bytes to typed `Value`s through a serde visitor, with no
//! intermediate JSON tree; encoding writes into a reused buffer.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Decimal, StructField, Value};

/// Decodes a JSON object into `out`, one slot per entry of `fields` (name, type).
/// Missing fields are NULL. Fails on invalid JSON or a value of the wrong type.
pub fn decode_object(bytes: &[u8], fields: &[(String, DataType)], out: &mut [Value]) -> Result<(), String> {
    decode_object_projected(bytes, fields, None, out)
}

/// Like [`decode_object`], but only materializes the fields whose `needed` flag is
/// set; the others are still type-checked (so a bad record is still refused), and a
/// STRING field nobody reads, which accepts any JSON, is skipped without copying.
pub fn decode_object_projected(
    bytes: &[u8],
    fields: &[(String, DataType)],
    needed: Option<&[bool]>,
    out: &mut [Value],
) -> Result<(), String> {
    for v in out.iter_mut() {
        *v = Value::Null;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    RowSeed { fields, needed, out }.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// Decodes a bare JSON value (a single-column key or an unwrapped value) of `data_type`.
pub fn decode_single(bytes: &[u8], data_type: &DataType) -> Result<Value, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = TypedSeed(data_type).deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(v)
}

/// Decodes a JSON value of any shape into its natural `Value` (used by `PRINT` and
/// schema-less paths): objects become maps, numbers BIGINT or DOUBLE.
pub fn to_value(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::BigInt(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::string(s),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        serde_json::Value::Object(m) => Value::Map(m.iter().map(|(k, v)| (Value::string(k), to_value(v))).collect()),
    }
}

/// Converts an already-parsed JSON value to `data_type` (used by `/inserts-stream`).
pub fn from_json(json: &serde_json::Value, data_type: &DataType) -> Result<Value, String> {
    TypedSeed(data_type).deserialize(json).map_err(|e| e.to_string())
}

struct RowSeed<'a> {
    fields: &'a [(String, DataType)],
    needed: Option<&'a [bool]>,
    out: &'a mut [Value],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

fn find_field(fields: &[(String, DataType)], key: &str, hint: usize) -> Option<usize> {
    // Records of a topic usually list their fields in the same order: try the field
    // after the previous one first.
    if fields.get(hint).is_some_and(|(n, _)| n.eq_ignore_ascii_case(key)) {
        return Some(hint);
    }
    fields.iter().position(|(n, _)| n == key).or_else(|| fields.iter().position(|(n, _)| n.eq_ignore_ascii_case(key)))
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut hint = 0;
        while let Some(key) = map.next_key::<KeyStr<'_>>()? {
            let key = key.as_str();
            let found = find_field(self.fields, key, hint);
            if let Some(i) = found {
                hint = i + 1;
            }
            match found {
                Some(i) if self.needed.is_some_and(|n| !n[i]) => {
                    if self.fields[i].1 == DataType::String {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        map.next_value_seed(TypedSeed(&self.fields[i].1))
                            .map_err(|e| de::Error::custom(format!("field {}: {e}", self.fields[i].0)))?;
                    }
                }
                Some(i) => {
                    let t = &self.fields[i].1;
                    self.out[i] = map
                        .next_value_seed(TypedSeed(t))
                        .map_err(|e| de::Error::custom(format!("field {}: {e}", self.fields[i].0)))?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A map key, borrowed when possible.
enum KeyStr<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl KeyStr<'_> {
    fn as_str(&self) -> &str {
        match self {
            KeyStr::Borrowed(s) => s,
            KeyStr::Owned(s) => s,
        }
    }
}

impl<'de> de::Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyStr<'de>, E> {
                Ok(KeyStr::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// Deserializes one JSON value as a given SQL type.
struct TypedSeed<'a>(&'a DataType);

impl<'de> DeserializeSeed<'de> for TypedSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn type_err<E: de::Error>(t: &DataType, found: &str) -> E {
    E::custom(format!("cannot read {found} as {t}"))
}

impl<'de> Visitor<'de> for TypedSeed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of type {}", self.0)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        match self.0 {
            DataType::Boolean => Ok(Value::Boolean(v)),
            DataType::String => Ok(Value::string(if v { "true" } else { "false" })),
            t => Err(type_err(t, "a boolean")),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        match self.0 {
            DataType::Int => {
                i32::try_from(v).map(Value::Int).map_err(|_| E::custom(format!("{v} does not fit INTEGER")))
            }
            DataType::BigInt => Ok(Value::BigInt(v)),
            DataType::Double => Ok(Value::Double(v as f64)),
            DataType::Decimal { precision, scale } => Decimal::from_i64(v)
                .fit(*precision, *scale)
                .map(Value::Decimal)
                .ok_or_else(|| E::custom(format!("{v} does not fit {}", self.0))),
            DataType::Timestamp => Ok(Value::Timestamp(v)),
            DataType::Date => i32::try_from(v).map(Value::Date).map_err(|_| E::custom("date out of range")),
            DataType::Time => i32::try_from(v).map(Value::Time).map_err(|_| E::custom("time out of range")),
            DataType::String => Ok(Value::string(&v.to_string())),
            t => Err(type_err(t, "a number")),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        match i64::try_from(v) {
            Ok(i) => self.visit_i64(i),
            Err(_) => self.visit_f64(v as f64),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        match self.0 {
            DataType::Double => Ok(Value::Double(v)),
            DataType::Decimal { precision, scale } => Decimal::from_f64(v, *scale)
                .and_then(|d| d.fit(*precision, *scale))
                .map(Value::Decimal)
                .ok_or_else(|| E::custom(format!("{v} does not fit {}", self.0))),
            DataType::Int | DataType::BigInt if v.fract() == 0.0 && v.abs() < 9.0e15 => self.visit_i64(v as i64),
            DataType::String => Ok(Value::string(&format_double(v))),
            t => Err(type_err(t, "a fractional number")),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        match self.0 {
            DataType::String => Ok(Value::String(Arc::from(v))),
            DataType::Int => v.trim().parse::<i32>().map(Value::Int).map_err(|_| type_err(self.0, "a string")),
            DataType::BigInt => v.trim().parse::<i64>().map(Value::BigInt).map_err(|_| type_err(self.0, "a string")),
            DataType::Double => v.trim().parse::<f64>().map(Value::Double).map_err(|_| type_err(self.0, "a string")),
            DataType::Boolean => match v.trim().to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Boolean(true)),
                "false" => Ok(Value::Boolean(false)),
                _ => Err(type_err(self.0, "a string")),
            },
            DataType::Decimal { precision, scale } => Decimal::parse(v)
                .and_then(|d| d.fit(*precision, *scale))
                .map(Value::Decimal)
                .ok_or_else(|| E::custom(format!("'{v}' is not a {}", self.0))),
            DataType::Bytes => base64::engine::general_purpose::STANDARD
                .decode(v)
                .map(|b| Value::Bytes(Arc::from(b)))
                .map_err(|_| E::custom("BYTES must be base64")),
            DataType::Timestamp => crate::formats::parse_iso_timestamp(v)
                .map(Value::Timestamp)
                .ok_or_else(|| E::custom(format!("'{v}' is not an ISO-8601 timestamp"))),
            DataType::Date => crate::formats::parse_iso_date(v)
                .map(Value::Date)
                .ok_or_else(|| E::custom(format!("'{v}' is not a yyyy-MM-dd date"))),
            DataType::Time => crate::formats::parse_iso_time(v)
                .map(Value::Time)
                .ok_or_else(|| E::custom(format!("'{v}' is not a HH:mm:ss time"))),
            t => Err(type_err(t, "a string")),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value, E> {
        self.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.visit_str(&v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        match self.0 {
            DataType::Array(item) => {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(v) = seq.next_element_seed(TypedSeed(item))? {
                    out.push(v);
                }
                Ok(Value::Array(out))
            }
            DataType::String => {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    items.push(v);
                }
                Ok(Value::string(&serde_json::Value::Array(items).to_string()))
            }
            t => Err(type_err(t, "an array")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        match self.0 {
            DataType::Map(k, v) => {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let key = match k.as_ref() {
                        DataType::String => Value::string(&key),
                        other => {
                            TypedSeed(other).deserialize(serde::de::value::StrDeserializer::<A::Error>::new(&key))?
                        }
                    };
                    let value = map.next_value_seed(TypedSeed(v))?;
                    out.push((key, value));
                }
                Ok(Value::Map(out))
            }
            DataType::Struct(fields) => {
                let mut out = vec![Value::Null; fields.len()];
                while let Some(key) = map.next_key::<String>()? {
                    match struct_field(fields, &key) {
                        Some(i) => out[i] = map.next_value_seed(TypedSeed(&fields[i].data_type))?,
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Value::Struct(out))
            }
            DataType::String => {
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    obj.insert(k, v);
                }
                Ok(Value::string(&serde_json::Value::Object(obj).to_string()))
            }
            t => Err(type_err(t, "an object")),
        }
    }
}

fn struct_field(fields: &[StructField], key: &str) -> Option<usize> {
    fields.iter().position(|f| f.name == key).or_else(|| fields.iter().position(|f| f.name.eq_ignore_ascii_case(key)))
}

/// Writes `{"NAME":value,...}` for the given columns.
pub fn encode_object<'a>(buf: &mut Vec<u8>, fields: impl Iterator<Item = (&'a str, &'a DataType, &'a Value)>) {
    buf.push(b'{');
    for (i, (name, t, v)) in fields.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_str(buf, name);
        buf.push(b':');
        write_value(buf, v, t);
    }
    buf.push(b'}');
}

/// Writes one value as JSON, as ksqlDB stores it in Kafka records: TIMESTAMP as epoch
/// millis, DATE as days, TIME as millis of day, BYTES as base64, DECIMAL as a number.
pub fn write_value(buf: &mut Vec<u8>, v: &Value, t: &DataType) {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Boolean(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => buf.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::BigInt(i) | Value::Timestamp(i) => buf.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::Date(d) | Value::Time(d) => buf.extend_from_slice(itoa::Buffer::new().format(*d).as_bytes()),
        Value::Double(d) => write_double(buf, *d),
        Value::Decimal(d) => {
            let _ = write!(buf, "{d}");
        }
        Value::String(s) => write_str(buf, s),
        Value::Bytes(b) => {
            buf.push(b'"');
            buf.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(b).as_bytes());
            buf.push(b'"');
        }
        Value::Array(items) => {
            let item_t = match t {
                DataType::Array(it) => it.as_ref(),
                _ => &DataType::Null,
            };
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_value(buf, item, item_t);
            }
            buf.push(b']');
        }
        Value::Map(entries) => {
            let vt = match t {
                DataType::Map(_, vt) => vt.as_ref(),
                _ => &DataType::Null,
            };
            buf.push(b'{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                match k {
                    Value::String(s) => write_str(buf, s),
                    other => write_str(buf, &other.to_string()),
                }
                buf.push(b':');
                write_value(buf, val, vt);
            }
            buf.push(b'}');
        }
        Value::Struct(values) => {
            let fields: &[StructField] = match t {
                DataType::Struct(f) => f,
                _ => &[],
            };
            buf.push(b'{');
            for (i, val) in values.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                match fields.get(i) {
                    Some(f) => {
                        write_str(buf, &f.name);
                        buf.push(b':');
                        write_value(buf, val, &f.data_type);
                    }
                    None => {
                        write_str(buf, &format!("F{i}"));
                        buf.push(b':');
                        write_value(buf, val, &DataType::Null);
                    }
                }
            }
            buf.push(b'}');
        }
    }
}

/// Writes a double as Java's `Double.toString` does (as ksqlDB's Jackson writes it):
/// plain decimal with at least one fractional digit between 10^-3 and 10^7, scientific
/// outside; non-finite values are written as `null` (JSON has no NaN).
fn write_double(buf: &mut Vec<u8>, d: f64) {
    if !d.is_finite() {
        buf.extend_from_slice(b"null");
    } else if d == 0.0 || (1e-3..1e7).contains(&d.abs()) {
        // ryu's shortest form is plain decimal in this range and ends in ".0" for
        // whole numbers, like Java's.
        buf.extend_from_slice(ryu::Buffer::new().format_finite(d).as_bytes());
    } else {
        let _ = write!(buf, "{}", format_double(d));
    }
}

/// Writes a JSON string literal with escapes.
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0..=0x1f => None,
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => buf.extend_from_slice(e),
            None => {
                let _ = write!(buf, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<(String, DataType)> {
        vec![
            ("ID".into(), DataType::BigInt),
            ("NAME".into(), DataType::String),
            ("TAGS".into(), DataType::Array(Box::new(DataType::String))),
            ("ADDR".into(), DataType::Struct(vec![StructField { name: "CITY".into(), data_type: DataType::String }])),
        ]
    }

    #[test]
    fn decodes_case_insensitively_and_ignores_extra_fields() {
        let mut out = vec![Value::Null; 4];
        decode_object(
            br#"{"id": 7, "Name": "x\"y", "extra": [1,{}], "tags": ["a"], "addr": {"city": "Paris"}}"#,
            &fields(),
            &mut out,
        )
        .unwrap();
        assert_eq!(out[0], Value::BigInt(7));
        assert_eq!(out[1], Value::string("x\"y"));
        assert_eq!(out[2], Value::Array(vec![Value::string("a")]));
        assert_eq!(out[3], Value::Struct(vec![Value::string("Paris")]));
    }

    #[test]
    fn rejects_bad_json_and_wrong_types() {
        let mut out = vec![Value::Null; 4];
        assert!(decode_object(b"{\"id\": 1", &fields(), &mut out).is_err());
        let err = decode_object(br#"{"id": "abc"}"#, &fields(), &mut out).unwrap_err();
        assert!(err.contains("ID"), "{err}");
        assert!(decode_object(b"not json", &fields(), &mut out).is_err());
    }

    #[test]
    fn encodes_round_trip() {
        let f = fields();
        let values = vec![
            Value::BigInt(1),
            Value::string("a\nb"),
            Value::Array(vec![Value::string("t")]),
            Value::Struct(vec![Value::Null]),
        ];
        let mut buf = Vec::new();
        encode_object(&mut buf, f.iter().zip(&values).map(|((n, t), v)| (n.as_str(), t, v)));
        assert_eq!(std::str::from_utf8(&buf).unwrap(), r#"{"ID":1,"NAME":"a\nb","TAGS":["t"],"ADDR":{"CITY":null}}"#);
        let mut out = vec![Value::Null; 4];
        decode_object(&buf, &f, &mut out).unwrap();
        assert_eq!(out, values);
    }
}
