//! SQL values as ksqlDB's REST API writes them in JSON.
//!
//! | SQL type    | JSON                                         |
//! |-------------|----------------------------------------------|
//! | `INTEGER`, `BIGINT` | number                               |
//! | `DOUBLE`    | number (`"NaN"`, `"Infinity"` as strings)   |
//! | `DECIMAL`   | number                                       |
//! | `STRING`    | string                                       |
//! | `BOOLEAN`   | `true` / `false`                             |
//! | `BYTES`     | base64 string                                |
//! | `TIMESTAMP` | `"2020-01-01T00:00:00.000"` (UTC)            |
//! | `DATE`      | `"2020-01-01"`                               |
//! | `TIME`      | `"12:00:00"` (`"12:00:00.250"` with millis)  |
//! | `ARRAY`     | array                                        |
//! | `MAP`       | object                                       |
//! | `STRUCT`    | object keyed by the type's field names       |

use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};
use wasp_sql::{DataType, Value};

/// Encodes one value of the given SQL type the way ksqlDB's REST API does.
///
/// The type supplies what the value alone does not know, chiefly the field names of a
/// `STRUCT`. When value and type disagree, the value's own shape wins.
pub fn value_to_json(value: &Value, data_type: &DataType) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(v) => Json::from(*v),
        Value::BigInt(v) => Json::from(*v),
        Value::Double(v) => double_to_json(*v),
        Value::Decimal(d) => {
            if d.scale == 0 {
                if let Ok(v) = i64::try_from(d.unscaled) {
                    return Json::from(v);
                }
            }
            double_to_json(d.to_f64())
        }
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Value::Timestamp(ms) => Json::String(format_timestamp(*ms)),
        Value::Date(days) => Json::String(format_date(*days)),
        Value::Time(ms) => Json::String(format_time(*ms)),
        Value::Array(items) => {
            let element = match data_type {
                DataType::Array(t) => Some(t.as_ref()),
                _ => None,
            };
            Json::Array(items.iter().map(|item| encode_with(item, element)).collect())
        }
        Value::Map(entries) => {
            let value_type = match data_type {
                DataType::Map(_, v) => Some(v.as_ref()),
                _ => None,
            };
            let mut object = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Value::String(s) => s.to_string(),
                    other => other.to_string(),
                };
                object.insert(key, encode_with(v, value_type));
            }
            Json::Object(object)
        }
        Value::Struct(values) => {
            let fields = match data_type {
                DataType::Struct(fields) => fields.as_slice(),
                _ => &[],
            };
            let mut object = Map::new();
            for (i, v) in values.iter().enumerate() {
                match fields.get(i) {
                    Some(field) => {
                        object.insert(field.name.clone(), value_to_json(v, &field.data_type));
                    }
                    None => {
                        object.insert(format!("FIELD{i}"), encode_with(v, None));
                    }
                }
            }
            Json::Object(object)
        }
    }
}

/// Encodes a value with its type if known, else with the value's own natural type.
fn encode_with(value: &Value, data_type: Option<&DataType>) -> Json {
    match data_type {
        Some(t) => value_to_json(value, t),
        None => value_to_json(value, &value.natural_type()),
    }
}

/// Finite doubles are numbers; Jackson writes the others as quoted names.
fn double_to_json(v: f64) -> Json {
    match Number::from_f64(v) {
        Some(n) => Json::Number(n),
        None if v.is_nan() => Json::String("NaN".into()),
        None if v > 0.0 => Json::String("Infinity".into()),
        None => Json::String("-Infinity".into()),
    }
}

/// `2020-01-01T00:00:00.000`, in UTC, as ksqlDB prints timestamps.
pub fn format_timestamp(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// `2020-01-01`.
pub fn format_date(days: i32) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1);
    match epoch.and_then(|e| e.checked_add_signed(chrono::TimeDelta::days(i64::from(days)))) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => days.to_string(),
    }
}

/// `12:00:00`, or `12:00:00.250` when there are milliseconds.
pub fn format_time(ms: i32) -> String {
    let ms = ms.rem_euclid(86_400_000);
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if frac == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{frac:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;
    use wasp_sql::types::StructField;
    use wasp_sql::value::Decimal;

    #[test]
    fn scalars_follow_ksqldb() {
        assert_eq!(value_to_json(&Value::Int(3), &DataType::Int), json!(3));
        assert_eq!(value_to_json(&Value::BigInt(-3), &DataType::BigInt), json!(-3));
        assert_eq!(value_to_json(&Value::Double(1.5), &DataType::Double), json!(1.5));
        assert_eq!(value_to_json(&Value::Double(f64::NAN), &DataType::Double), json!("NaN"));
        assert_eq!(
            value_to_json(&Value::Decimal(Decimal::new(1234, 2)), &DataType::Decimal { precision: 4, scale: 2 }),
            json!(12.34)
        );
        assert_eq!(value_to_json(&Value::string("a"), &DataType::String), json!("a"));
        assert_eq!(value_to_json(&Value::Boolean(true), &DataType::Boolean), json!(true));
        assert_eq!(value_to_json(&Value::Null, &DataType::Int), Json::Null);
        assert_eq!(value_to_json(&Value::Bytes(Arc::from(&b"hi"[..])), &DataType::Bytes), json!("aGk="));
    }

    #[test]
    fn temporal_values_are_iso_strings() {
        assert_eq!(
            value_to_json(&Value::Timestamp(1_577_836_800_000), &DataType::Timestamp),
            json!("2020-01-01T00:00:00.000")
        );
        assert_eq!(
            value_to_json(&Value::Timestamp(1_577_836_800_123), &DataType::Timestamp),
            json!("2020-01-01T00:00:00.123")
        );
        assert_eq!(value_to_json(&Value::Date(18262), &DataType::Date), json!("2020-01-01"));
        assert_eq!(value_to_json(&Value::Time(43_200_000), &DataType::Time), json!("12:00:00"));
        assert_eq!(value_to_json(&Value::Time(43_200_250), &DataType::Time), json!("12:00:00.250"));
    }

    #[test]
    fn containers_use_the_declared_types() {
        let t = DataType::Struct(vec![
            StructField { name: "A".into(), data_type: DataType::Int },
            StructField { name: "B".into(), data_type: DataType::Array(Box::new(DataType::Date)) },
        ]);
        let v = Value::Struct(vec![Value::Int(1), Value::Array(vec![Value::Date(0), Value::Null])]);
        assert_eq!(value_to_json(&v, &t), json!({"A": 1, "B": ["1970-01-01", null]}));

        let m = Value::Map(vec![(Value::string("k"), Value::BigInt(7))]);
        let mt = DataType::Map(Box::new(DataType::String), Box::new(DataType::BigInt));
        assert_eq!(value_to_json(&m, &mt), json!({"k": 7}));
    }
}
