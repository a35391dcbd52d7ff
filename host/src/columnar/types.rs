//! SQL types as Arrow types, and back.
//!
//! | SQL            | Arrow                                        |
//! |----------------|----------------------------------------------|
//! | BOOLEAN        | Boolean                                      |
//! | INT            | Int32                                        |
//! | BIGINT         | Int64                                        |
//! | DOUBLE         | Float64                                      |
//! | DECIMAL(p, s)  | Decimal128(p, s)                             |
//! | STRING         | Utf8                                         |
//! | BYTES          | Binary                                       |
//! | TIMESTAMP      | Timestamp(Millisecond, no zone)              |
//! | DATE           | Date32                                       |
//! | TIME           | Time32(Millisecond)                          |
//! | ARRAY<T>       | List(item: T)                                |
//! | MAP<K, V>      | Map(entries: Struct(key: K, value: V))       |
//! | STRUCT<..>     | Struct(fields)                               |
//! | NULL (literal) | Null                                         |
//!
//! Utf8 rather than Utf8View: the JSON decoder appends into one contiguous data
//! buffer either way, and Utf8's offsets are what the WebAssembly ABI lowers as is.

use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field as ArrowField, Fields, TimeUnit};
use wasp_sql::{DataType, StructField};

/// The name of a list's item field and of a map's entry fields.
pub const LIST_ITEM: &str = "item";
pub const MAP_ENTRIES: &str = "entries";
pub const MAP_KEY: &str = "key";
pub const MAP_VALUE: &str = "value";

/// The Arrow type that holds values of `t`.
pub fn to_arrow(t: &DataType) -> ArrowType {
    match t {
        DataType::Boolean => ArrowType::Boolean,
        DataType::Int => ArrowType::Int32,
        DataType::BigInt => ArrowType::Int64,
        DataType::Double => ArrowType::Float64,
        DataType::Decimal { precision, scale } => ArrowType::Decimal128((*precision).clamp(1, 38), *scale as i8),
        DataType::String => ArrowType::Utf8,
        DataType::Bytes => ArrowType::Binary,
        DataType::Timestamp => ArrowType::Timestamp(TimeUnit::Millisecond, None),
        DataType::Date => ArrowType::Date32,
        DataType::Time => ArrowType::Time32(TimeUnit::Millisecond),
        DataType::Array(item) => ArrowType::List(list_field(item)),
        DataType::Map(k, v) => ArrowType::Map(map_entries_field(k, v), false),
        DataType::Struct(fields) => ArrowType::Struct(struct_fields(fields)),
        DataType::Null => ArrowType::Null,
    }
}

/// The item field of an `ARRAY<item>`.
pub fn list_field(item: &DataType) -> Arc<ArrowField> {
    Arc::new(ArrowField::new(LIST_ITEM, to_arrow(item), true))
}

/// The entries field of a `MAP<k, v>`. Keys are never null in Arrow; a NULL map key
/// is refused when the map is built.
pub fn map_entries_field(k: &DataType, v: &DataType) -> Arc<ArrowField> {
    let entries =
        Fields::from(vec![ArrowField::new(MAP_KEY, to_arrow(k), false), ArrowField::new(MAP_VALUE, to_arrow(v), true)]);
    Arc::new(ArrowField::new(MAP_ENTRIES, ArrowType::Struct(entries), false))
}

/// The Arrow fields of a `STRUCT<..>`.
pub fn struct_fields(fields: &[StructField]) -> Fields {
    fields.iter().map(|f| ArrowField::new(&f.name, to_arrow(&f.data_type), true)).collect()
}

/// The SQL type of an Arrow type this module produced; `None` for any other.
pub fn from_arrow(t: &ArrowType) -> Option<DataType> {
    Some(match t {
        ArrowType::Boolean => DataType::Boolean,
        ArrowType::Int32 => DataType::Int,
        ArrowType::Int64 => DataType::BigInt,
        ArrowType::Float64 => DataType::Double,
        ArrowType::Decimal128(p, s) => DataType::Decimal { precision: *p, scale: (*s).max(0) as u8 },
        ArrowType::Utf8 => DataType::String,
        ArrowType::Binary => DataType::Bytes,
        ArrowType::Timestamp(TimeUnit::Millisecond, _) => DataType::Timestamp,
        ArrowType::Date32 => DataType::Date,
        ArrowType::Time32(TimeUnit::Millisecond) => DataType::Time,
        ArrowType::List(f) => DataType::Array(Box::new(from_arrow(f.data_type())?)),
        ArrowType::Map(entries, _) => match entries.data_type() {
            ArrowType::Struct(kv) if kv.len() == 2 => {
                DataType::Map(Box::new(from_arrow(kv[0].data_type())?), Box::new(from_arrow(kv[1].data_type())?))
            }
            _ => return None,
        },
        ArrowType::Struct(fields) => DataType::Struct(
            fields
                .iter()
                .map(|f| Some(StructField { name: f.name().clone(), data_type: from_arrow(f.data_type())? }))
                .collect::<Option<_>>()?,
        ),
        ArrowType::Null => DataType::Null,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_type_round_trips() {
        let types = [
            DataType::Boolean,
            DataType::Int,
            DataType::BigInt,
            DataType::Double,
            DataType::Decimal { precision: 4, scale: 2 },
            DataType::String,
            DataType::Bytes,
            DataType::Timestamp,
            DataType::Date,
            DataType::Time,
            DataType::Array(Box::new(DataType::Int)),
            DataType::Map(Box::new(DataType::String), Box::new(DataType::Array(Box::new(DataType::Double)))),
            DataType::Struct(vec![
                StructField { name: "A".into(), data_type: DataType::String },
                StructField { name: "b".into(), data_type: DataType::Date },
            ]),
            DataType::Null,
        ];
        for t in types {
            assert_eq!(from_arrow(&to_arrow(&t)).as_ref(), Some(&t), "{t}");
        }
    }
}
