//! Between `Value`s and Arrow arrays, for the edges of the engine: literals,
//! `INSERT ... VALUES`, rows shown to clients, and tests. Never per row on the data
//! path.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType as ArrowType, TimeUnit};
use wasp_sql::{DataType, Decimal, Value};

use super::builder::ColumnBuilder;

/// A column of `t` holding `values`.
pub fn array_of(t: &DataType, values: &[Value]) -> ArrayRef {
    let mut b = ColumnBuilder::new(t, values.len());
    for v in values {
        b.append_value(v);
    }
    b.finish()
}

/// A one-row column holding `v`: the form a constant takes in expressions and function
/// calls (a scalar `Datum`, never expanded to the batch's length).
pub fn scalar_of(t: &DataType, v: &Value) -> ArrayRef {
    array_of(t, std::slice::from_ref(v))
}

/// The value at `row` of `array`.
pub fn value_at(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        ArrowType::Null => Value::Null,
        ArrowType::Boolean => Value::Boolean(array.as_boolean().value(row)),
        ArrowType::Int32 => Value::Int(array.as_primitive::<Int32Type>().value(row)),
        ArrowType::Int64 => Value::BigInt(array.as_primitive::<Int64Type>().value(row)),
        ArrowType::Float64 => Value::Double(array.as_primitive::<Float64Type>().value(row)),
        ArrowType::Decimal128(_, s) => {
            Value::Decimal(Decimal::new(array.as_primitive::<Decimal128Type>().value(row), (*s).max(0) as u8))
        }
        ArrowType::Utf8 => Value::string(array.as_string::<i32>().value(row)),
        ArrowType::Binary => Value::Bytes(array.as_binary::<i32>().value(row).into()),
        ArrowType::Timestamp(TimeUnit::Millisecond, _) => {
            Value::Timestamp(array.as_primitive::<TimestampMillisecondType>().value(row))
        }
        ArrowType::Date32 => Value::Date(array.as_primitive::<Date32Type>().value(row)),
        ArrowType::Time32(TimeUnit::Millisecond) => {
            Value::Time(array.as_primitive::<Time32MillisecondType>().value(row))
        }
        ArrowType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            Value::Array((0..items.len()).map(|i| value_at(&items, i)).collect())
        }
        ArrowType::Map(..) => {
            let entries = array.as_map().value(row);
            let (k, v) = (entries.column(0), entries.column(1));
            Value::Map((0..entries.len()).map(|i| (value_at(k, i), value_at(v, i))).collect())
        }
        ArrowType::Struct(_) => {
            let s = array.as_struct();
            Value::Struct(s.columns().iter().map(|c| value_at(c, row)).collect())
        }
        _ => Value::Null,
    }
}

/// Every value of `array`.
pub fn values_of(array: &dyn Array) -> Vec<Value> {
    (0..array.len()).map(|i| value_at(array, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_arrays() {
        let cases: Vec<(DataType, Value)> = vec![
            (DataType::Int, Value::Int(-3)),
            (DataType::Decimal { precision: 4, scale: 2 }, Value::Decimal(Decimal::parse("1.10").unwrap())),
            (DataType::String, Value::string("héllo")),
            (DataType::Timestamp, Value::Timestamp(1_600_000_000_000)),
            (
                DataType::Map(Box::new(DataType::String), Box::new(DataType::Int)),
                Value::Map(vec![(Value::string("a"), Value::Int(1)), (Value::string("b"), Value::Null)]),
            ),
            (
                DataType::Array(Box::new(DataType::Array(Box::new(DataType::String)))),
                Value::Array(vec![Value::Array(vec![Value::string("x")]), Value::Null]),
            ),
        ];
        for (t, v) in cases {
            let a = array_of(&t, &[v.clone(), Value::Null]);
            assert_eq!(values_of(&a), vec![v, Value::Null], "{t}");
        }
    }
}
