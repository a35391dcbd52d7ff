//! SQL values as ksqlDB's REST API writes them in JSON, through the engine's one JSON
//! writer ([`crate::formats::json::write_cell`], client style).
//!
//! | SQL type    | JSON                                         |
//! |-------------|----------------------------------------------|
//! | `INTEGER`, `BIGINT` | number                               |
//! | `DOUBLE`    | number as Java prints it (`"NaN"`, `"Infinity"` as strings) |
//! | `DECIMAL`   | number with the type's scale (`1.10`)        |
//! | `STRING`    | string                                       |
//! | `BOOLEAN`   | `true` / `false`                             |
//! | `BYTES`     | base64 string                                |
//! | `TIMESTAMP` | `"2020-01-01T00:00:00.000"` (UTC)            |
//! | `DATE`      | `"2020-01-01"`                               |
//! | `TIME`      | `"12:00:00"` (`"12:00:00.250"` with millis)  |
//! | `ARRAY`     | array                                        |
//! | `MAP`       | object                                       |
//! | `STRUCT`    | object keyed by the type's field names       |

use serde_json::Value as Json;
use wasp_sql::{DataType, Value};

use crate::formats::json::{write_cell, Style};
use crate::formats::Cells;

/// Writes one value of the given SQL type as JSON text the way ksqlDB's REST API
/// does. DECIMAL keeps its digits and scale (`1.10`); a `serde_json::Value` would turn
/// it into a double, so responses are written as text.
pub fn write_client_value(buf: &mut Vec<u8>, value: &Value, data_type: &DataType) {
    let array = crate::columnar::array_of(data_type, std::slice::from_ref(value));
    write_cell(buf, &Cells::new(array.as_ref()), 0, Style::CLIENT);
}

/// [`write_client_value`], parsed back into a `serde_json::Value` (for tests and tools
/// that compare JSON; a DECIMAL becomes a JSON number there).
pub fn value_to_json(value: &Value, data_type: &DataType) -> Json {
    let mut buf = Vec::new();
    write_client_value(&mut buf, value, data_type);
    serde_json::from_slice(&buf).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use wasp_sql::types::StructField;
    use wasp_sql::value::Decimal;

    use super::*;

    fn text(v: &Value, t: &DataType) -> String {
        let mut buf = Vec::new();
        write_client_value(&mut buf, v, t);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn scalars_follow_ksqldb() {
        assert_eq!(text(&Value::Int(3), &DataType::Int), "3");
        assert_eq!(text(&Value::BigInt(-3), &DataType::BigInt), "-3");
        assert_eq!(text(&Value::Double(1.5), &DataType::Double), "1.5");
        assert_eq!(text(&Value::Double(1e20), &DataType::Double), "1.0E20");
        assert_eq!(text(&Value::Double(f64::NAN), &DataType::Double), "\"NaN\"");
        // DECIMAL keeps its scale: never through a double.
        let dec = DataType::Decimal { precision: 4, scale: 2 };
        assert_eq!(text(&Value::Decimal(Decimal::new(110, 2)), &dec), "1.10");
        assert_eq!(text(&Value::Decimal(Decimal::new(1234, 2)), &dec), "12.34");
        assert_eq!(text(&Value::string("a\"b"), &DataType::String), "\"a\\\"b\"");
        assert_eq!(text(&Value::Boolean(true), &DataType::Boolean), "true");
        assert_eq!(text(&Value::Null, &DataType::Int), "null");
        assert_eq!(text(&Value::Bytes(Arc::from(&b"hi"[..])), &DataType::Bytes), "\"aGk=\"");
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
