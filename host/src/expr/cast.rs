//! `CAST`, with ksqlDB's rules, a column at a time.
//!
//! Arrow's cast kernel differs from ksqlDB in most conversions that involve text or
//! narrowing (`CAST(2.7 AS INT)` truncates like Java, BIGINT to INT wraps, doubles print
//! like `Double.toString`, booleans parse `yes`/`no`...), so each conversion here is a
//! typed loop over native values; only exact widenings go through `arrow_cast`.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{new_null_array, Array, ArrayRef, ListArray, MapArray, StructArray};
use arrow_schema::DataType as ArrowType;
use wasp_sql::value::format_double;
use wasp_sql::{DataType, Decimal};

use crate::columnar::{to_arrow, value_at, ColumnBuilder, Operand};
use crate::formats::{format_date, format_time, format_timestamp, parse_iso_date, parse_iso_time, parse_iso_timestamp};
use crate::udf::RowErrors;

// The `each!` bodies push a value and report success as `Some(push(..))`.
#[allow(clippy::unit_arg)]
/// Casts every row of `array` (of SQL type `from`) to `to`. A row that does not
/// convert is NULL, with its error in `errors` at the row's index.
pub fn cast_array(array: &ArrayRef, from: &DataType, to: &DataType, errors: &mut RowErrors) -> ArrayRef {
    if from == to {
        return array.clone();
    }
    let rows = array.len();
    if *from == DataType::Null || array.null_count() == rows {
        return new_null_array(&to_arrow(to), rows);
    }
    let op = Operand::Array(array.clone());
    let mut out = ColumnBuilder::new(to, rows);
    let fail = |errors: &mut RowErrors, i: usize| {
        let mut text = String::new();
        render_cell(array.as_ref(), i, &mut text);
        if matches!(to, DataType::Decimal { .. }) && from.is_numeric() {
            errors.push(i, format!("{text} does not fit {to}"));
        } else {
            errors.push(i, format!("cannot cast {from} '{text}' to {to}"));
        }
    };
    macro_rules! each {
        ($view:expr, |$v:ident| $body:expr) => {{
            let view = $view;
            for i in 0..rows {
                match view.get(i) {
                    None => out.append_null(),
                    Some($v) => {
                        #[allow(clippy::redundant_closure_call)]
                        let r: Option<()> = (|| -> Option<()> { $body })();
                        if r.is_none() {
                            out.truncate(i);
                            out.append_null();
                            fail(errors, i);
                        }
                    }
                }
            }
        }};
    }
    match (to, from) {
        (DataType::String, _) => {
            let mut text = String::new();
            for i in 0..rows {
                if array.is_null(i) {
                    out.append_null();
                } else {
                    text.clear();
                    render_cell(array.as_ref(), i, &mut text);
                    out.push_str(&text);
                }
            }
        }
        (DataType::Boolean, DataType::String) => each!(op.strs(), |s| {
            match s.trim().to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "y" | "1" => Some(out.push_bool(true)),
                "false" | "f" | "no" | "n" | "0" => Some(out.push_bool(false)),
                _ => None,
            }
        }),
        (DataType::Int, DataType::BigInt) => each!(op.ints(), |v| Some(out.push_i32(v as i32))),
        // Java's (int) of a double: truncates toward zero, saturates, NaN is 0; Rust's
        // `as` does the same.
        (DataType::Int, DataType::Double) => each!(op.nums(), |v| Some(out.push_i32(v as i32))),
        // Like Java's BigDecimal.intValue(): the fraction is dropped, not rounded.
        (DataType::Int, DataType::Decimal { .. }) => {
            each!(op.decimals(), |d| Some(out.push_i32(truncate(d) as i32)))
        }
        (DataType::Int, DataType::String) => {
            each!(op.strs(), |s| s.trim().parse::<i32>().ok().map(|v| out.push_i32(v)))
        }
        (DataType::BigInt, DataType::Int | DataType::Timestamp) => each!(op.ints(), |v| {
            out.push_i64(v);
            Some(())
        }),
        (DataType::BigInt, DataType::Double) => each!(op.nums(), |v| {
            out.push_i64(v as i64);
            Some(())
        }),
        (DataType::BigInt, DataType::Decimal { .. }) => each!(op.decimals(), |d| {
            out.push_i64(truncate(d) as i64);
            Some(())
        }),
        (DataType::BigInt, DataType::String) => each!(op.strs(), |s| {
            let v = s.trim().parse::<i64>().ok()?;
            out.push_i64(v);
            Some(())
        }),
        (DataType::Double, DataType::String) => {
            each!(op.strs(), |s| s.trim().parse::<f64>().ok().map(|v| out.push_f64(v)))
        }
        (DataType::Double, DataType::Int | DataType::BigInt | DataType::Decimal { .. }) => {
            each!(op.nums(), |v| Some(out.push_f64(v)))
        }
        (DataType::Decimal { scale, .. }, DataType::Double) => {
            each!(op.nums(), |v| Decimal::from_f64(v, *scale).filter(|d| out.push_decimal(*d)).map(|_| ()))
        }
        (DataType::Decimal { .. }, DataType::Int | DataType::BigInt | DataType::Decimal { .. }) => {
            each!(op.decimals(), |d| out.push_decimal(d).then_some(()))
        }
        (DataType::Decimal { .. }, DataType::String) => {
            each!(op.strs(), |s| Decimal::parse(s).filter(|d| out.push_decimal(*d)).map(|_| ()))
        }
        (DataType::Timestamp, DataType::BigInt | DataType::Int) => each!(op.ints(), |v| {
            out.push_i64(v);
            Some(())
        }),
        (DataType::Timestamp, DataType::Date) => {
            each!(op.typed::<arrow_array::Date32Array>(), |d| {
                out.push_i64(i64::from(d) * 86_400_000);
                Some(())
            })
        }
        (DataType::Timestamp, DataType::String) => each!(op.strs(), |s| {
            let ms = parse_iso_timestamp(s)?;
            out.push_i64(ms);
            Some(())
        }),
        (DataType::Date, DataType::Timestamp) => {
            each!(op.ints(), |ms| Some(out.push_i32(ms.div_euclid(86_400_000) as i32)))
        }
        (DataType::Date, DataType::String) => each!(op.strs(), |s| parse_iso_date(s).map(|d| out.push_i32(d))),
        (DataType::Time, DataType::Timestamp) => {
            each!(op.ints(), |ms| Some(out.push_i32(ms.rem_euclid(86_400_000) as i32)))
        }
        (DataType::Time, DataType::String) => each!(op.strs(), |s| parse_iso_time(s).map(|t| out.push_i32(t))),
        (DataType::Bytes, DataType::String) => each!(op.strs(), |s| Some(out.push_bytes(s.as_bytes()))),
        (DataType::Array(to_item), DataType::Array(from_item)) => {
            let list = array.as_list::<i32>();
            let mut item_errors = RowErrors::default();
            let values = cast_array(list.values(), from_item, to_item, &mut item_errors);
            report_children(&item_errors, list.value_offsets(), errors);
            let field = crate::columnar::types::list_field(to_item);
            return Arc::new(ListArray::new(field, list.offsets().clone(), values, list.nulls().cloned()));
        }
        (DataType::Map(tk, tv), DataType::Map(fk, fv)) => {
            let map = array.as_map();
            let mut item_errors = RowErrors::default();
            let keys = cast_array(map.keys(), fk, tk, &mut item_errors);
            let values = cast_array(map.values(), fv, tv, &mut item_errors);
            report_children(&item_errors, map.value_offsets(), errors);
            let field = crate::columnar::types::map_entries_field(tk, tv);
            let ArrowType::Struct(fields) = field.data_type().clone() else {
                return new_null_array(&to_arrow(to), rows);
            };
            let entries = StructArray::new(fields, vec![keys, values], None);
            return Arc::new(MapArray::new(field, map.offsets().clone(), entries, map.nulls().cloned(), false));
        }
        (DataType::Struct(to_fields), DataType::Struct(from_fields)) => {
            // Fields match by name, as ksqlDB's struct coercion does: a target field the
            // source lacks is NULL, a source field the target lacks is dropped.
            let s = array.as_struct();
            let columns = to_fields
                .iter()
                .map(|t| match from_fields.iter().position(|f| f.name == t.name) {
                    Some(i) => cast_array(s.column(i), &from_fields[i].data_type, &t.data_type, errors),
                    None => new_null_array(&to_arrow(&t.data_type), rows),
                })
                .collect();
            return Arc::new(StructArray::new(
                crate::columnar::types::struct_fields(to_fields),
                columns,
                s.nulls().cloned(),
            ));
        }
        _ => {
            for i in 0..rows {
                out.append_null();
                if !array.is_null(i) {
                    fail(errors, i);
                }
            }
        }
    }
    out.finish()
}

/// Maps errors of a list's or map's items to the rows that hold them.
fn report_children(items: &RowErrors, offsets: &[i32], errors: &mut RowErrors) {
    for (item, message) in &items.errors {
        let row = offsets.partition_point(|o| (*o as usize) <= *item).saturating_sub(1);
        errors.push(row, message.clone());
    }
}

/// The integer part of a decimal, rounded toward zero.
fn truncate(d: Decimal) -> i128 {
    d.unscaled / 10i128.pow(u32::from(d.scale))
}

/// Appends one cell as ksqlDB renders it for `CAST(x AS STRING)`: doubles as Java
/// prints them, timestamps in ISO form, lists as `[a, b]`, maps as `{k=v}`, structs as
/// Kafka Connect's `Struct{A=1,B=x}` (NULL fields left out), NULL as `null`.
pub fn render_cell(array: &dyn Array, i: usize, out: &mut String) {
    if array.is_null(i) {
        out.push_str("null");
        return;
    }
    match array.data_type() {
        ArrowType::Boolean => out.push_str(if array.as_boolean().value(i) { "true" } else { "false" }),
        ArrowType::Int32 => {
            let _ = write!(out, "{}", array.as_primitive::<Int32Type>().value(i));
        }
        ArrowType::Int64 => {
            let _ = write!(out, "{}", array.as_primitive::<Int64Type>().value(i));
        }
        ArrowType::Float64 => out.push_str(&format_double(array.as_primitive::<Float64Type>().value(i))),
        ArrowType::Decimal128(_, s) => {
            let d = Decimal::new(array.as_primitive::<Decimal128Type>().value(i), (*s).max(0) as u8);
            let _ = write!(out, "{d}");
        }
        ArrowType::Utf8 => out.push_str(array.as_string::<i32>().value(i)),
        ArrowType::Timestamp(..) => out
            .push_str(&format_timestamp(array.as_primitive::<arrow_array::types::TimestampMillisecondType>().value(i))),
        ArrowType::Date32 => {
            out.push_str(&format_date(array.as_primitive::<arrow_array::types::Date32Type>().value(i)))
        }
        ArrowType::Time32(_) => {
            out.push_str(&format_time(array.as_primitive::<arrow_array::types::Time32MillisecondType>().value(i)))
        }
        ArrowType::List(_) => {
            let items = array.as_list::<i32>().value(i);
            out.push('[');
            for j in 0..items.len() {
                if j > 0 {
                    out.push_str(", ");
                }
                render_cell(&items, j, out);
            }
            out.push(']');
        }
        ArrowType::Map(..) => {
            let entries = array.as_map().value(i);
            out.push('{');
            for j in 0..entries.len() {
                if j > 0 {
                    out.push_str(", ");
                }
                render_cell(entries.column(0), j, out);
                out.push('=');
                render_cell(entries.column(1), j, out);
            }
            out.push('}');
        }
        ArrowType::Struct(fields) => {
            let s = array.as_struct();
            out.push_str("Struct{");
            let mut first = true;
            for (f, c) in fields.iter().zip(s.columns()) {
                if c.is_null(i) {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(f.name());
                out.push('=');
                render_cell(c.as_ref(), i, out);
            }
            out.push('}');
        }
        _ => {
            // BYTES and anything else: the value's own text (hex for BYTES).
            let _ = write!(out, "{}", value_at(array, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use wasp_sql::Value;

    use super::*;
    use crate::columnar::{array_of, values_of};

    fn cast1(v: Value, from: DataType, to: DataType) -> (Value, RowErrors) {
        let mut errors = RowErrors::default();
        let out = cast_array(&array_of(&from, &[v]), &from, &to, &mut errors);
        (values_of(&out).remove(0), errors)
    }

    #[test]
    fn casts_follow_ksqldb() {
        assert_eq!(cast1(Value::string(" 42"), DataType::String, DataType::Int).0, Value::Int(42));
        let (v, e) = cast1(Value::string("x"), DataType::String, DataType::Int);
        assert_eq!(v, Value::Null);
        assert_eq!(e.errors[0].1, "cannot cast STRING 'x' to INTEGER");
        assert_eq!(cast1(Value::Double(2.0), DataType::Double, DataType::String).0, Value::string("2.0"));
        assert_eq!(cast1(Value::Double(2.7), DataType::Double, DataType::Int).0, Value::Int(2));
        assert_eq!(cast1(Value::BigInt(1 << 32 | 5), DataType::BigInt, DataType::Int).0, Value::Int(5));
        let dec = DataType::Decimal { precision: 3, scale: 2 };
        let d = |s: &str| Value::Decimal(Decimal::parse(s).unwrap());
        assert_eq!(cast1(d("-0.50"), dec.clone(), DataType::Int).0, Value::Int(0));
        assert_eq!(cast1(Value::string("1.1"), DataType::String, dec.clone()).0, d("1.10"));
        assert_eq!(
            cast1(Value::Timestamp(1_600_000_000_000), DataType::Timestamp, DataType::String).0,
            Value::string("2020-09-13T12:26:40.000")
        );
        assert_eq!(cast1(Value::string("yes"), DataType::String, DataType::Boolean).0, Value::Boolean(true));
    }

    #[test]
    fn nested_casts_report_the_row() {
        let from = DataType::Array(Box::new(DataType::String));
        let to = DataType::Array(Box::new(DataType::Int));
        let rows = [Value::Array(vec![Value::string("1")]), Value::Array(vec![Value::string("2"), Value::string("x")])];
        let mut errors = RowErrors::default();
        let out = cast_array(&array_of(&from, &rows), &from, &to, &mut errors);
        assert_eq!(values_of(&out)[1], Value::Array(vec![Value::Int(2), Value::Null]));
        assert_eq!(errors.errors[0].0, 1);
    }

    #[test]
    fn structs_render_like_kafka_connect() {
        let t = DataType::Struct(vec![
            wasp_sql::StructField { name: "A".into(), data_type: DataType::Int },
            wasp_sql::StructField { name: "B".into(), data_type: DataType::String },
        ]);
        let v = Value::Struct(vec![Value::Int(1), Value::Null]);
        assert_eq!(cast1(v, t, DataType::String).0, Value::string("Struct{A=1}"));
    }
}
