//! The JSON format: one object per record, fields matched to columns by name
//! (case-insensitively, as ksqlDB does).
//!
//! Decoding goes straight from bytes into Arrow column builders, with no
//! intermediate JSON tree and no `Value`: flat records through a scanner ([`scan`]),
//! anything else through a serde visitor that both paths share; encoding writes a row of
//! Arrow columns into a reused buffer. The encoder is the one JSON writer of the
//! engine: record values and keys, the REST API's rows and the JSON functions all use
//! it.

mod scan;

use std::fmt;
use std::io::Write as _;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Decimal, StructField, Value};

use super::cells::Cells;
use super::datetime::{
    format_date, format_time, format_timestamp, parse_iso_date, parse_iso_time, parse_iso_timestamp,
};
use crate::columnar::{value_at, ColumnBuilder};

/// The value columns of a JSON object, and where their builders are.
#[derive(Debug, Clone, Default)]
pub struct ObjectLayout {
    /// (name, type) per field.
    pub fields: Vec<(String, DataType)>,
    /// The builder each field decodes into.
    pub slots: Vec<usize>,
    /// Whether the query reads the field; the others are type-checked and left NULL.
    pub needed: Vec<bool>,
    /// Each field's name, prepared for the scanner's one-compare key match.
    pub keys: Vec<scan::KeyPattern>,
}

impl ObjectLayout {
    /// Adds a field that decodes into builder `slot`, read by the query.
    pub fn push(&mut self, name: &str, data_type: DataType, slot: usize) {
        self.keys.push(scan::KeyPattern::new(name));
        self.fields.push((name.to_owned(), data_type));
        self.slots.push(slot);
        self.needed.push(true);
    }
}

/// Decodes a JSON object into the builders of `layout`, as row `row`. Fields missing
/// from the object are NULL; fields no column has are skipped; fields the query does
/// not read are type-checked into `scratch` (one builder per field) and dropped. On
/// error the builders may hold part of the row: the caller truncates them to `row`.
pub fn decode_object(
    bytes: &[u8],
    layout: &ObjectLayout,
    builders: &mut [ColumnBuilder],
    scratch: &mut [ColumnBuilder],
    row: usize,
) -> Result<(), String> {
    if scan::decode_flat_object(bytes, layout, builders, scratch, row).is_ok() {
        return Ok(());
    }
    for slot in &layout.slots {
        builders[*slot].truncate(row);
    }
    decode_object_serde(bytes, layout, builders, scratch, row)
}

/// [`decode_object`] through serde_json alone: any JSON, and the error messages.
fn decode_object_serde(
    bytes: &[u8],
    layout: &ObjectLayout,
    builders: &mut [ColumnBuilder],
    scratch: &mut [ColumnBuilder],
    row: usize,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    RowSeed { layout, builders, scratch, row }.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// Decodes a bare JSON value (a single-column key, or an unwrapped value) into `out`.
pub fn decode_single(bytes: &[u8], data_type: &DataType, out: &mut ColumnBuilder) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Into { out, t: data_type }.deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

/// Converts an already-parsed JSON value to `data_type` (used by `/inserts-stream`).
pub fn from_json(json: &serde_json::Value, data_type: &DataType) -> Result<Value, String> {
    let mut b = ColumnBuilder::new(data_type, 1);
    Into { out: &mut b, t: data_type }.deserialize(json).map_err(|e| e.to_string())?;
    Ok(value_at(b.finish().as_ref(), 0))
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

struct RowSeed<'a> {
    layout: &'a ObjectLayout,
    builders: &'a mut [ColumnBuilder],
    scratch: &'a mut [ColumnBuilder],
    row: usize,
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
        let fields = &self.layout.fields;
        let mut hint = 0;
        while let Some(key) = map.next_key::<KeyStr<'_>>()? {
            let Some(i) = find_field(fields, key.as_str(), hint) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            hint = i + 1;
            let (name, t) = &fields[i];
            let field_err = |e: A::Error| de::Error::custom(format!("field {name}: {e}"));
            if !self.layout.needed[i] {
                if *t == DataType::String {
                    // Any JSON reads as a STRING: nothing to check.
                    map.next_value::<IgnoredAny>()?;
                } else {
                    let check = &mut self.scratch[i];
                    check.truncate(0);
                    map.next_value_seed(Into { out: check, t }).map_err(field_err)?;
                }
                continue;
            }
            let out = &mut self.builders[self.layout.slots[i]];
            // A key given twice: the last one wins.
            out.truncate(self.row);
            map.next_value_seed(Into { out, t }).map_err(field_err)?;
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

/// Deserializes one JSON value of SQL type `t`, appending it to `out`.
struct Into<'b> {
    out: &'b mut ColumnBuilder,
    t: &'b DataType,
}

impl<'de> DeserializeSeed<'de> for Into<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if let DataType::Decimal { .. } = self.t {
            // A DECIMAL is read from the number's text, never through f64: `1.10`
            // keeps its digits.
            let raw = <Box<serde_json::value::RawValue> as de::Deserialize>::deserialize(d)?;
            return self.decimal_from_raw(raw.get());
        }
        d.deserialize_any(self)
    }
}

impl Into<'_> {
    fn decimal_from_raw<E: de::Error>(self, raw: &str) -> Result<(), E> {
        let raw = raw.trim();
        if raw == "null" {
            self.out.append_null();
            return Ok(());
        }
        let text: std::borrow::Cow<'_, str> = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw).map_err(E::custom)?.into()
        } else {
            raw.into()
        };
        let fits = parse_decimal(&text).is_some_and(|d| self.out.push_decimal(d));
        if fits {
            Ok(())
        } else {
            Err(E::custom(format!("'{text}' is not a {}", self.t)))
        }
    }
}

/// Parses a JSON number (`-12.50`, `1.5e3`) or decimal text exactly.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let Some(e) = text.find(['e', 'E']) else { return Decimal::parse(text) };
    let (mantissa, exponent) = (&text[..e], text[e + 1..].parse::<i32>().ok()?);
    let m = Decimal::parse(mantissa)?;
    let scale = i32::from(m.scale) - exponent;
    if scale >= 0 {
        Some(Decimal::new(m.unscaled, u8::try_from(scale).ok()?))
    } else {
        let factor = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
        Some(Decimal::new(m.unscaled.checked_mul(factor)?, 0))
    }
}

fn type_err<E: de::Error>(t: &DataType, found: &str) -> E {
    E::custom(format!("cannot read {found} as {t}"))
}

impl<'de> Visitor<'de> for Into<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a value of type {}", self.t)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.append_null();
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.t {
            DataType::Boolean => self.out.push_bool(v),
            DataType::String => self.out.push_str(if v { "true" } else { "false" }),
            t => return Err(type_err(t, "a boolean")),
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.t {
            DataType::Int | DataType::BigInt | DataType::Double | DataType::Timestamp => {
                if !self.out.push_i64(v) {
                    return Err(E::custom(format!("{v} does not fit INTEGER")));
                }
            }
            DataType::Decimal { .. } => {
                if !self.out.push_i64(v) {
                    return Err(E::custom(format!("{v} does not fit {}", self.t)));
                }
            }
            DataType::Date | DataType::Time => {
                if !self.out.push_i64(v) {
                    let what = if *self.t == DataType::Date { "date" } else { "time" };
                    return Err(E::custom(format!("{what} out of range")));
                }
            }
            DataType::String => self.out.push_str(itoa::Buffer::new().format(v)),
            t => return Err(type_err(t, "a number")),
        }
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match i64::try_from(v) {
            Ok(i) => self.visit_i64(i),
            Err(_) => self.visit_f64(v as f64),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.t {
            DataType::Double => self.out.push_f64(v),
            DataType::Decimal { scale, .. } => {
                let fits = Decimal::from_f64(v, *scale).is_some_and(|d| self.out.push_decimal(d));
                if !fits {
                    return Err(E::custom(format!("{v} does not fit {}", self.t)));
                }
            }
            // As Jackson's `intValue()`/`longValue()`: the fraction is cut off (toward
            // zero), and values beyond the type's range saturate.
            DataType::Int => self.out.push_i32(v as i32),
            DataType::BigInt => return self.visit_i64(v as i64),
            DataType::String => self.out.push_str(&format_double(v)),
            t => return Err(type_err(t, "a fractional number")),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let bad = |t: &DataType| type_err::<E>(t, "a string");
        match self.t {
            DataType::String => self.out.push_str(v),
            DataType::Int => self.out.push_i32(v.trim().parse::<i32>().map_err(|_| bad(self.t))?),
            DataType::BigInt => {
                self.out.push_i64(v.trim().parse::<i64>().map_err(|_| bad(self.t))?);
            }
            DataType::Double => self.out.push_f64(v.trim().parse::<f64>().map_err(|_| bad(self.t))?),
            DataType::Boolean => match v.trim().to_ascii_lowercase().as_str() {
                "true" => self.out.push_bool(true),
                "false" => self.out.push_bool(false),
                _ => return Err(bad(self.t)),
            },
            DataType::Decimal { .. } => {
                let fits = Decimal::parse(v).is_some_and(|d| self.out.push_decimal(d));
                if !fits {
                    return Err(E::custom(format!("'{v}' is not a {}", self.t)));
                }
            }
            DataType::Bytes => {
                let b = base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map_err(|_| E::custom("BYTES must be base64"))?;
                self.out.push_bytes(&b);
            }
            DataType::Timestamp => {
                let ms =
                    parse_iso_timestamp(v).ok_or_else(|| E::custom(format!("'{v}' is not an ISO-8601 timestamp")))?;
                self.out.push_i64(ms);
            }
            DataType::Date => self
                .out
                .push_i32(parse_iso_date(v).ok_or_else(|| E::custom(format!("'{v}' is not a yyyy-MM-dd date")))?),
            DataType::Time => {
                self.out.push_i32(parse_iso_time(v).ok_or_else(|| E::custom(format!("'{v}' is not a HH:mm:ss time")))?)
            }
            t => return Err(bad(t)),
        }
        Ok(())
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.visit_str(&v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.t {
            DataType::Array(item) => {
                if let Some(items) = self.out.list_items() {
                    while seq.next_element_seed(Into { out: &mut *items, t: item })?.is_some() {}
                }
                self.out.close_list();
                Ok(())
            }
            DataType::String => {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<serde_json::Value>()? {
                    items.push(v);
                }
                self.out.push_str(&serde_json::Value::Array(items).to_string());
                Ok(())
            }
            t => Err(type_err(t, "an array")),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.t {
            DataType::Map(k, v) => {
                if let Some((keys, values)) = self.out.map_entries() {
                    while let Some(key) = map.next_key::<KeyStr<'_>>()? {
                        match k.as_ref() {
                            DataType::String => keys.push_str(key.as_str()),
                            DataType::Decimal { .. } => {
                                Into { out: &mut *keys, t: k }.decimal_from_raw(key.as_str())?
                            }
                            other => Into { out: &mut *keys, t: other }
                                .deserialize(serde::de::value::StrDeserializer::<A::Error>::new(key.as_str()))?,
                        }
                        map.next_value_seed(Into { out: &mut *values, t: v })?;
                    }
                }
                self.out.close_map();
                Ok(())
            }
            DataType::Struct(fields) => {
                let row = self.out.len();
                if let Some(children) = self.out.struct_fields() {
                    while let Some(key) = map.next_key::<KeyStr<'_>>()? {
                        match struct_field(fields, key.as_str()) {
                            Some(i) => {
                                children[i].truncate(row);
                                map.next_value_seed(Into { out: &mut children[i], t: &fields[i].data_type })?;
                            }
                            None => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        }
                    }
                }
                self.out.close_struct();
                Ok(())
            }
            DataType::String => {
                let mut obj = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    obj.insert(k, v);
                }
                self.out.push_str(&serde_json::Value::Object(obj).to_string());
                Ok(())
            }
            t => Err(type_err(t, "an object")),
        }
    }
}

fn struct_field(fields: &[StructField], key: &str) -> Option<usize> {
    fields.iter().position(|f| f.name == key).or_else(|| fields.iter().position(|f| f.name.eq_ignore_ascii_case(key)))
}

/// How values are written, by who reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// TIMESTAMP, DATE and TIME as ISO text instead of numbers. (Non-finite doubles
    /// are always strings: `"NaN"`, `"Infinity"`, `"-Infinity"`.)
    pub text: bool,
    /// Map and struct keys in sorted order.
    pub sort_keys: bool,
}

impl Style {
    /// Kafka records: temporal values as numbers (epoch millis, days, millis of day),
    /// as ksqlDB stores them.
    pub const RECORD: Style = Style { text: false, sort_keys: false };
    /// Rows shown to clients (the REST API, the shell).
    pub const CLIENT: Style = Style { text: true, sort_keys: false };
    /// `TO_JSON_STRING`: ISO text, keys sorted.
    pub const FUNCTION: Style = Style { text: true, sort_keys: true };
}

/// Writes `{"NAME":value,...}` for row `row` of the given columns.
pub fn write_object(buf: &mut Vec<u8>, columns: &[(&str, Cells<'_>)], row: usize, style: Style) {
    buf.push(b'{');
    for (i, (name, cells)) in columns.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_str(buf, name);
        buf.push(b':');
        write_cell(buf, cells, row, style);
    }
    buf.push(b'}');
}

/// The names of an object's fields, each rendered once as `"NAME":`, so writing a
/// row only copies them.
#[derive(Debug, Clone, Default)]
pub struct FieldNames(Vec<Vec<u8>>);

impl FieldNames {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> FieldNames {
        FieldNames(
            names
                .into_iter()
                .map(|n| {
                    let mut b = Vec::with_capacity(n.len() + 3);
                    write_str(&mut b, n);
                    b.push(b':');
                    b
                })
                .collect(),
        )
    }
}

/// Writes `{"NAME":value,...}` for row `row` of `columns`, named by `names`.
pub fn write_named_object(buf: &mut Vec<u8>, names: &FieldNames, columns: &[Cells<'_>], row: usize, style: Style) {
    buf.push(b'{');
    for (i, (name, cells)) in names.0.iter().zip(columns).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(name);
        write_cell(buf, cells, row, style);
    }
    buf.push(b'}');
}

/// Writes row `i` of a column as JSON, as ksqlDB's Jackson writes it: DECIMAL as a
/// number with its scale, BYTES as base64, DOUBLE as Java prints it, temporal values
/// as `style` says.
pub fn write_cell(buf: &mut Vec<u8>, cells: &Cells<'_>, i: usize, style: Style) {
    if cells.is_null(i) {
        buf.extend_from_slice(b"null");
        return;
    }
    let int = |buf: &mut Vec<u8>, v: i64| buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    match cells {
        Cells::Null => buf.extend_from_slice(b"null"),
        Cells::Boolean(a) => buf.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
        Cells::Int(a) => int(buf, i64::from(a.value(i))),
        Cells::BigInt(a) => int(buf, a.value(i)),
        Cells::Double(a) => {
            let d = a.value(i);
            if !d.is_finite() {
                // As Jackson writes them: "NaN", "Infinity", "-Infinity", as strings.
                write_str(buf, &format_double(d));
            } else {
                write_double(buf, d);
            }
        }
        Cells::Decimal(a, s) => {
            let _ = write!(buf, "{}", Decimal::new(a.value(i), *s));
        }
        Cells::String(a) => write_str(buf, a.value(i)),
        Cells::Bytes(a) => {
            buf.push(b'"');
            buf.extend_from_slice(base64::engine::general_purpose::STANDARD.encode(a.value(i)).as_bytes());
            buf.push(b'"');
        }
        Cells::Timestamp(a) if style.text => write_str(buf, &format_timestamp(a.value(i))),
        Cells::Timestamp(a) => int(buf, a.value(i)),
        Cells::Date(a) if style.text => write_str(buf, &format_date(a.value(i))),
        Cells::Date(a) => int(buf, i64::from(a.value(i))),
        Cells::Time(a) if style.text => write_str(buf, &format_time(a.value(i))),
        Cells::Time(a) => int(buf, i64::from(a.value(i))),
        Cells::List(_, items) => {
            buf.push(b'[');
            for (n, j) in cells.range(i).enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                write_cell(buf, items, j, style);
            }
            buf.push(b']');
        }
        Cells::Map(_, keys, values) => {
            let key_text = |j: usize| -> String {
                match keys.as_ref() {
                    Cells::String(k) => k.value(j).to_owned(),
                    // A non-string key is written as the text of its JSON form.
                    other => {
                        let mut key = Vec::new();
                        write_cell(&mut key, other, j, style);
                        String::from_utf8_lossy(&key).into_owned()
                    }
                }
            };
            let mut entries: Vec<usize> = cells.range(i).collect();
            if style.sort_keys {
                entries.sort_by_cached_key(|j| key_text(*j));
            }
            buf.push(b'{');
            for (n, j) in entries.into_iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                match keys.as_ref() {
                    Cells::String(k) => write_str(buf, k.value(j)),
                    _ => write_str(buf, &key_text(j)),
                }
                buf.push(b':');
                write_cell(buf, values, j, style);
            }
            buf.push(b'}');
        }
        Cells::Struct(_, fields) => {
            let mut order: Vec<usize> = (0..fields.len()).collect();
            if style.sort_keys {
                order.sort_by_key(|f| fields[*f].0);
            }
            buf.push(b'{');
            for (n, f) in order.into_iter().enumerate() {
                if n > 0 {
                    buf.push(b',');
                }
                let (name, c) = &fields[f];
                write_str(buf, name);
                buf.push(b':');
                write_cell(buf, c, i, style);
            }
            buf.push(b'}');
        }
    }
}

/// Writes one `Value` of type `t` as a record would hold it (for tests and tools;
/// the data path writes arrays with [`write_cell`]).
pub fn write_value(buf: &mut Vec<u8>, v: &Value, t: &DataType) {
    let array = crate::columnar::array_of(t, std::slice::from_ref(v));
    write_cell(buf, &Cells::new(array.as_ref()), 0, Style::RECORD);
}

/// Writes a double as Java's `Double.toString` does (as ksqlDB's Jackson writes it):
/// plain decimal with at least one fractional digit between 10^-3 and 10^7, scientific
/// outside; non-finite values are written as `null` (JSON has no NaN).
pub fn write_double(buf: &mut Vec<u8>, d: f64) {
    if !d.is_finite() {
        buf.extend_from_slice(b"null");
    } else if d == 0.0 || (1e-3..1e7).contains(&d.abs()) {
        // ryu's shortest form is plain decimal in this range and ends in ".0" for
        // whole numbers, like Java's; short decimals (prices, ROUND(x, 2)) skip it.
        if !write_short_decimal(buf, d) {
            buf.extend_from_slice(ryu::Buffer::new().format_finite(d).as_bytes());
        }
    } else {
        let _ = write!(buf, "{}", format_double(d));
    }
}

/// Writes `d` when it is a decimal of at most three fraction digits, `m / 10^k` exactly
/// as a double divides it with `|m| < 2^53`, and says whether it did. With the least
/// such `k` this is the shortest text that reads back as `d`, and the only one of its
/// length (a double below 10^7 is finer than 10^-3): the digits ryu prints, without
/// its general algorithm. Callers keep `|d|` below 10^7.
fn write_short_decimal(buf: &mut Vec<u8>, d: f64) -> bool {
    const POWERS: [f64; 4] = [1.0, 10.0, 100.0, 1000.0];
    for (k, p) in POWERS.iter().enumerate() {
        let m = (d * p).round();
        if m.abs() >= 9_007_199_254_740_992.0 || m / p != d {
            continue;
        }
        let m = m.abs() as u64;
        let scale = 10u64.pow(k as u32);
        if d.is_sign_negative() {
            buf.push(b'-');
        }
        let mut digits = itoa::Buffer::new();
        buf.extend_from_slice(digits.format(m / scale).as_bytes());
        buf.push(b'.');
        if k == 0 {
            buf.push(b'0');
        } else {
            let frac = digits.format(m % scale);
            buf.extend(std::iter::repeat_n(b'0', k - frac.len()));
            buf.extend_from_slice(frac.as_bytes());
        }
        return true;
    }
    false
}

/// Writes a JSON string literal with escapes.
pub fn write_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    // Most text needs no escape: check with a branch-free pass (vectorized), copy.
    if !bytes.iter().fold(false, |esc, &b| esc | (b == b'"') | (b == b'\\') | (b < 0x20)) {
        buf.extend_from_slice(bytes);
        buf.push(b'"');
        return;
    }
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
    use crate::columnar::{array_of, values_of};

    #[test]
    fn short_decimals_are_written_as_ryu_writes_them() {
        let mut values = vec![0.0, -0.0, 0.001, -0.001, 0.05, 0.1, 0.3, 1.0, 10.5, 123.45, 9_999_999.999, 0.0011];
        // Prices and rounded values, and doubles that are not short decimals at all.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let k = (x % 4) as i32;
            let m = ((x >> 8) % 10_000_000_000) as f64;
            let sign = if x & 1 == 1 { -1.0 } else { 1.0 };
            values.push(sign * m / 10f64.powi(k));
            values.push(sign * f64::from_bits(0x3F50_0000_0000_0000 + (x >> 12) % 0x0170_0000_0000_0000));
        }
        let mut buf = Vec::new();
        for d in values.into_iter().filter(|d| *d == 0.0 || (1e-3..1e7).contains(&d.abs())) {
            buf.clear();
            write_double(&mut buf, d);
            let want = ryu::Buffer::new().format_finite(d).to_owned();
            assert_eq!(std::str::from_utf8(&buf).unwrap(), want, "{d:?}");
        }
    }

    fn layout() -> ObjectLayout {
        let mut layout = ObjectLayout::default();
        layout.push("ID", DataType::BigInt, 0);
        layout.push("NAME", DataType::String, 1);
        layout.push("TAGS", DataType::Array(Box::new(DataType::String)), 2);
        let addr = DataType::Struct(vec![StructField { name: "CITY".into(), data_type: DataType::String }]);
        layout.push("ADDR", addr, 3);
        layout
    }

    fn decode(bytes: &[u8]) -> Result<Vec<Value>, String> {
        let l = layout();
        let mut builders: Vec<ColumnBuilder> = l.fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
        let mut scratch: Vec<ColumnBuilder> = l.fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
        decode_object(bytes, &l, &mut builders, &mut scratch, 0)?;
        Ok(builders
            .iter_mut()
            .map(|b| {
                if b.is_empty() {
                    b.append_null();
                }
                values_of(b.finish().as_ref()).remove(0)
            })
            .collect())
    }

    #[test]
    fn decodes_case_insensitively_and_ignores_extra_fields() {
        let out =
            decode(br#"{"id": 7, "Name": "x\"y", "extra": [1,{}], "tags": ["a"], "addr": {"city": "Paris"}}"#).unwrap();
        assert_eq!(out[0], Value::BigInt(7));
        assert_eq!(out[1], Value::string("x\"y"));
        assert_eq!(out[2], Value::Array(vec![Value::string("a")]));
        assert_eq!(out[3], Value::Struct(vec![Value::string("Paris")]));
    }

    #[test]
    fn rejects_bad_json_and_wrong_types() {
        assert!(decode(b"{\"id\": 1").is_err());
        let err = decode(br#"{"id": "abc"}"#).unwrap_err();
        assert!(err.contains("ID"), "{err}");
        assert!(decode(b"not json").is_err());
    }

    #[test]
    fn encodes_round_trip() {
        let l = layout();
        let values = [
            Value::BigInt(1),
            Value::string("a\nb"),
            Value::Array(vec![Value::string("t")]),
            Value::Struct(vec![Value::Null]),
        ];
        let arrays: Vec<_> =
            l.fields.iter().zip(&values).map(|((_, t), v)| array_of(t, std::slice::from_ref(v))).collect();
        let columns: Vec<(&str, Cells<'_>)> =
            l.fields.iter().zip(&arrays).map(|((n, _), a)| (n.as_str(), Cells::new(a.as_ref()))).collect();
        let mut buf = Vec::new();
        write_object(&mut buf, &columns, 0, Style::RECORD);
        assert_eq!(std::str::from_utf8(&buf).unwrap(), r#"{"ID":1,"NAME":"a\nb","TAGS":["t"],"ADDR":{"CITY":null}}"#);
        assert_eq!(decode(&buf).unwrap(), values);
    }

    #[test]
    fn decimals_keep_their_scale() {
        let t = DataType::Decimal { precision: 4, scale: 2 };
        let mut b = ColumnBuilder::new(&t, 1);
        decode_single(b"1.1", &t, &mut b).unwrap();
        let a = b.finish();
        let mut buf = Vec::new();
        write_cell(&mut buf, &Cells::new(a.as_ref()), 0, Style::RECORD);
        assert_eq!(buf, b"1.10");
    }
}
