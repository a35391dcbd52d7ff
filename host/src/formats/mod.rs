//! Serialization formats for record keys and values: JSON, DELIMITED and KAFKA.
//!
//! - [`codec`]: [`RowCodec`], built once per query from a source or sink schema and
//!   its formats; it decodes record bytes into Arrow column builders and encodes a
//!   batch's arrays into reused buffers.
//! - [`cells`]: [`Cells`], a column downcast once per batch for the encoders.
//! - [`json`], [`delimited`], [`kafka`]: the formats.
//! - [`datetime`]: ISO-8601 text for TIMESTAMP, DATE and TIME, both ways.

pub mod cells;
pub mod codec;
pub mod datetime;
pub mod delimited;
pub mod json;
pub mod kafka;

use std::fmt;

use wasp_sql::{DataType, Field};

pub use cells::Cells;
pub use codec::RowCodec;
pub use datetime::{format_date, format_time, format_timestamp, parse_iso_date, parse_iso_time, parse_iso_timestamp};

/// A serialization format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// One JSON document per record. A value of a single column is an object holding
    /// it (`{"V":1}`) unless `wrap_single` is off (`WRAP_SINGLE_VALUE=false`), when it
    /// is the bare value (`1`); a key of a single column is always bare.
    Json { wrap_single: bool },
    /// Comma (or other single character) separated values.
    Delimited { delimiter: u8 },
    /// Kafka's primitive serializers: big-endian INT/BIGINT/DOUBLE, UTF-8 STRING.
    Kafka,
    /// No data (a stream without key columns).
    None,
}

impl Format {
    /// Parses a `KEY_FORMAT` / `VALUE_FORMAT` name.
    pub fn parse(name: &str, delimiter: Option<&str>) -> Result<Format, String> {
        let upper = name.to_ascii_uppercase();
        if delimiter.is_some() && upper != "DELIMITED" {
            return Err(format!("{upper} does not support the following configs: [delimiter]"));
        }
        match upper.as_str() {
            "JSON" => Ok(Format::JSON),
            "DELIMITED" => {
                // ksqlDB's messages, word for word.
                const INVALID: &str = "Failed to prepare statement: Configuration VALUE_DELIMITER is invalid";
                const EXAMPLE: &str = "Example valid value: ';'";
                let delimiter = match delimiter {
                    None => b',',
                    Some(d) if d.eq_ignore_ascii_case("TAB") => b'\t',
                    Some(d) if d.eq_ignore_ascii_case("SPACE") => b' ',
                    Some(d) if d.trim().is_empty() => return Err(format!(
                        "{INVALID}: Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'\n{EXAMPLE}"
                    )),
                    Some(d) if d.len() == 1 => d.as_bytes()[0],
                    Some(d) => return Err(format!(
                        "{INVALID}: Invalid delimiter value: '{d}'. Delimiter must be a single character or TAB,SPACE\n{EXAMPLE}"
                    )),
                };
                Ok(Format::Delimited { delimiter })
            }
            "KAFKA" => Ok(Format::Kafka),
            "NONE" => Ok(Format::None),
            "AVRO" | "PROTOBUF" | "JSON_SR" | "PROTOBUF_NOSR" => Err(format!(
                "format {name} is not supported yet (it needs Schema Registry support); use JSON, DELIMITED or KAFKA"
            )),
            other => Err(format!("Unknown format: {other} (use JSON, DELIMITED or KAFKA)")),
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
                        return Err(unsupported_type("KAFKA", f, what));
                    }
                }
                Ok(())
            }
            Format::Delimited { .. } => {
                for f in fields {
                    if matches!(f.data_type, DataType::Array(_) | DataType::Map(..) | DataType::Struct(_)) {
                        return Err(unsupported_type("DELIMITED", f, what));
                    }
                }
                Ok(())
            }
            Format::None => {
                if fields.is_empty() {
                    Ok(())
                } else {
                    let got: Vec<String> = fields
                        .iter()
                        .map(|f| {
                            let key = if what == "key" { " KEY" } else { "" };
                            format!("`{}` {}{key}", f.name, f.data_type)
                        })
                        .collect();
                    Err(format!(
                        "The 'NONE' format can only be used when no columns are defined. Got: [{}]",
                        got.join(", ")
                    ))
                }
            }
            Format::Json { .. } => {
                if fields.iter().any(|f| has_non_string_map_key(&f.data_type)) {
                    return Err("JSON only supports MAP types with STRING keys".into());
                }
                Ok(())
            }
        }
    }

    /// JSON with single-column values wrapped in an object, ksqlDB's default.
    pub const JSON: Format = Format::Json { wrap_single: true };

    /// This format with `WRAP_SINGLE_VALUE` set, for a value of `columns` columns:
    /// ksqlDB allows it only on a single value column, and only `false` on the formats
    /// that never wrap (DELIMITED, KAFKA).
    pub fn with_wrap_single(self, wrap: bool, columns: usize) -> Result<Format, String> {
        if columns != 1 {
            return Err("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas".into());
        }
        match self {
            Format::Json { .. } => Ok(Format::Json { wrap_single: wrap }),
            other if wrap => Err(format!("Format '{other}' does not support 'WRAP_SINGLE_VALUE' set to 'true'.")),
            other => Ok(other),
        }
    }

    /// This format as a sink inherits it from its source: wrapping is not inherited.
    pub fn inherited(&self) -> Format {
        match self {
            Format::Json { .. } => Format::JSON,
            other => other.clone(),
        }
    }
}

/// Whether `t` holds a MAP whose keys are not STRING, at any depth: a JSON object's
/// keys are strings, so JSON refuses such a map as ksqlDB does.
fn has_non_string_map_key(t: &DataType) -> bool {
    match t {
        DataType::Map(k, v) => **k != DataType::String || has_non_string_map_key(v),
        DataType::Array(e) => has_non_string_map_key(e),
        DataType::Struct(fields) => fields.iter().any(|f| has_non_string_map_key(&f.data_type)),
        _ => false,
    }
}

/// ksqlDB's message for a column type a format cannot carry, naming the column.
fn unsupported_type(format: &str, field: &Field, what: &str) -> String {
    let full = field.data_type.to_string();
    let base = full.split(['<', '(']).next().unwrap_or(&full);
    format!("The '{format}' format does not support type '{base}' ({what} column {} of type {full})", field.name)
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json { .. } => "JSON",
            Format::Delimited { .. } => "DELIMITED",
            Format::Kafka => "KAFKA",
            Format::None => "NONE",
        })
    }
}
