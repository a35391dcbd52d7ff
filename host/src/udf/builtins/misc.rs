//! Functions about NULLs: COALESCE, IFNULL, NULLIF.
//!
//! COALESCE and IFNULL widen each argument to the common type once per batch (numeric
//! widening, element-wise in arrays and maps), then take every row's first non-NULL
//! value with Arrow's `interleave` kernel. NULLIF compares its arguments with Arrow's
//! `eq` kernel where that is SQL equality (both of one flat type other than DOUBLE),
//! with typed loops for numbers of mixed types and for doubles (IEEE: NaN differs from
//! itself, -0.0 equals 0.0), and cell by cell for nested values; Arrow's `nullif` then
//! clears the equal rows.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType,
    TimestampMillisecondType,
};
use arrow_array::{
    new_null_array, Array, ArrayRef, BooleanArray, Decimal128Array, ListArray, MapArray, PrimitiveArray, Scalar,
    StructArray,
};
use arrow_schema::DataType as ArrowType;
use arrow_select::interleave::interleave;
use wasp_sql::value::Decimal;
use wasp_sql::DataType;

use super::{common_of, reject, Builtin};
use crate::columnar::types::{list_field, map_entries_field};
use crate::columnar::{to_arrow, Operand};
use crate::udf::{ScalarArgs, UdfError};

fn failed(function: &str, message: impl Into<String>) -> UdfError {
    UdfError::Failed { function: function.to_string(), message: message.into() }
}

/// Whether cell `i` of `a` is NULL (every cell of a `NULL`-typed array is).
#[inline]
fn null_at(a: &dyn Array, i: usize) -> bool {
    *a.data_type() == ArrowType::Null || a.is_null(i)
}

/// `array` as a column of SQL type `to`, converted the way `coerce` converts values:
/// INT to BIGINT; integers and decimals to DOUBLE (as `Value::as_f64` does); integers
/// and decimals to a decimal's scale (NULL where that overflows); element-wise in
/// arrays and maps. An array already of `to`'s Arrow type is returned as it is.
pub(super) fn widen(array: &ArrayRef, to: &DataType) -> Result<ArrayRef, String> {
    let target = to_arrow(to);
    if *array.data_type() == target {
        return Ok(array.clone());
    }
    let out: ArrayRef = match (array.data_type(), to) {
        (ArrowType::Null, _) => new_null_array(&target, array.len()),
        (ArrowType::Int32, DataType::BigInt) => {
            Arc::new(array.as_primitive::<Int32Type>().unary::<_, Int64Type>(i64::from))
        }
        (ArrowType::Int32, DataType::Double) => {
            Arc::new(array.as_primitive::<Int32Type>().unary::<_, Float64Type>(f64::from))
        }
        (ArrowType::Int64, DataType::Double) => {
            Arc::new(array.as_primitive::<Int64Type>().unary::<_, Float64Type>(|v| v as f64))
        }
        (ArrowType::Decimal128(_, s), DataType::Double) => {
            let f = 10f64.powi(i32::from(*s));
            Arc::new(array.as_primitive::<Decimal128Type>().unary::<_, Float64Type>(move |v| v as f64 / f))
        }
        (ArrowType::Int32, DataType::Decimal { .. }) => {
            to_decimal(array.as_primitive::<Int32Type>(), 0, &target, i128::from)?
        }
        (ArrowType::Int64, DataType::Decimal { .. }) => {
            to_decimal(array.as_primitive::<Int64Type>(), 0, &target, i128::from)?
        }
        (ArrowType::Decimal128(_, s), DataType::Decimal { .. }) => {
            to_decimal(array.as_primitive::<Decimal128Type>(), (*s).max(0) as u8, &target, |v| v)?
        }
        (ArrowType::List(_), DataType::Array(item)) => {
            let list = array.as_list::<i32>();
            let values = widen(list.values(), item)?;
            let out = ListArray::try_new(list_field(item), list.offsets().clone(), values, list.nulls().cloned());
            Arc::new(out.map_err(|e| e.to_string())?)
        }
        (ArrowType::Map(..), DataType::Map(k, v)) => {
            let map = array.as_map();
            let (keys, values) = (widen(map.keys(), k)?, widen(map.values(), v)?);
            let field = map_entries_field(k, v);
            let ArrowType::Struct(fields) = field.data_type() else {
                return Err(format!("internal: map entries of type {}", field.data_type()));
            };
            let entries = StructArray::try_new(fields.clone(), vec![keys, values], map.entries().nulls().cloned())
                .map_err(|e| e.to_string())?;
            let out = MapArray::try_new(field, map.offsets().clone(), entries, map.nulls().cloned(), false);
            Arc::new(out.map_err(|e| e.to_string())?)
        }
        _ => arrow_cast::cast(array, &target).map_err(|e| e.to_string())?,
    };
    Ok(out)
}

/// Integers or decimals (of scale `from_scale`) as decimals of the Arrow type `target`.
fn to_decimal<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    from_scale: u8,
    target: &ArrowType,
    unscaled: impl Fn(T::Native) -> i128,
) -> Result<ArrayRef, String> {
    let ArrowType::Decimal128(precision, scale) = *target else {
        return Err(format!("internal: {target} is not a decimal type"));
    };
    let to_scale = scale.max(0) as u8;
    let out: Decimal128Array = if from_scale == to_scale {
        a.unary(unscaled)
    } else {
        (0..a.len())
            .map(|i| {
                a.is_valid(i)
                    .then(|| Decimal::new(unscaled(a.value(i)), from_scale).rescale(to_scale).map(|d| d.unscaled))
                    .flatten()
            })
            .collect()
    };
    Ok(Arc::new(out.with_precision_and_scale(precision, scale).map_err(|e| e.to_string())?))
}

/// COALESCE and IFNULL: each row's first non-NULL argument, at the return type.
fn coalesce(function: &str, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let (ops, rows, ret) = (args.args, args.rows, args.return_type);
    if *ret == DataType::Null {
        return Ok(args.null_output());
    }
    // The arguments that can supply a value, widened; nothing after the first non-NULL
    // constant is ever reached, and a NULL constant never is.
    let mut sources: Vec<(ArrayRef, bool)> = Vec::with_capacity(ops.len());
    for op in ops {
        let scalar = op.is_scalar();
        if scalar && null_at(op.array().as_ref(), 0) {
            continue;
        }
        sources.push((widen(op.array(), ret).map_err(|e| failed(function, e))?, scalar));
        if scalar {
            break;
        }
    }
    match sources.as_slice() {
        [] => return Ok(args.null_output()),
        [(a, true), ..] => return Ok(Operand::Scalar(a.clone()).into_array(rows)),
        [(a, false), ..] if a.null_count() == 0 || sources.len() == 1 => return Ok(a.clone()),
        _ => {}
    }
    let null = new_null_array(&to_arrow(ret), 1);
    let indices: Vec<(usize, usize)> = (0..rows)
        .map(|row| {
            sources
                .iter()
                .enumerate()
                .find_map(|(j, (a, scalar))| {
                    let i = if *scalar { 0 } else { row };
                    a.is_valid(i).then_some((j, i))
                })
                .unwrap_or((sources.len(), 0))
        })
        .collect();
    let mut values: Vec<&dyn Array> = sources.iter().map(|(a, _)| a.as_ref()).collect();
    values.push(null.as_ref());
    interleave(&values, &indices).map_err(|e| failed(function, e.to_string()))
}

/// NULLIF: the first argument, NULL where it equals the second.
fn nullif(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let (ops, rows, ret) = (args.args, args.rows, args.return_type);
    let (a, b) = (&ops[0], &ops[1]);
    if *a.data_type() == ArrowType::Null {
        return Ok(args.null_output());
    }
    let fail = |e: String| failed("NULLIF", e);
    // Two constants: one row, repeated.
    let constant = a.is_scalar() && b.is_scalar();
    let first = if constant { a.array().clone() } else { a.to_array(rows) };
    let first = widen(&first, ret).map_err(fail)?;
    let mask = equal_mask(a, b, first.len()).map_err(fail)?;
    let out = arrow_select::nullif::nullif(first.as_ref(), &mask).map_err(|e| fail(e.to_string()))?;
    Ok(if constant { Operand::Scalar(out).into_array(rows) } else { out })
}

fn is_numeric(t: &ArrowType) -> bool {
    matches!(t, ArrowType::Int32 | ArrowType::Int64 | ArrowType::Float64 | ArrowType::Decimal128(..))
}

/// Types whose Arrow equality is SQL equality.
fn is_flat(t: &ArrowType) -> bool {
    matches!(
        t,
        ArrowType::Boolean
            | ArrowType::Int32
            | ArrowType::Int64
            | ArrowType::Decimal128(..)
            | ArrowType::Utf8
            | ArrowType::Binary
            | ArrowType::Date32
            | ArrowType::Time32(_)
            | ArrowType::Timestamp(..)
    )
}

/// For each of `n` rows, whether `a` and `b` are equal as `same` (mod.rs) says: SQL
/// equality with numeric widening, or equal structure (NULL equal to NULL).
fn equal_mask(a: &Operand, b: &Operand, n: usize) -> Result<BooleanArray, String> {
    let (ta, tb) = (a.data_type(), b.data_type());
    if *ta == ArrowType::Null || *tb == ArrowType::Null {
        return Ok(BooleanArray::from(vec![false; n]));
    }
    if is_numeric(ta) && is_numeric(tb) && (ta != tb || *ta == ArrowType::Float64) {
        let mask: Vec<bool> = if *ta == ArrowType::Float64 || *tb == ArrowType::Float64 {
            let (x, y) = (a.nums(), b.nums());
            (0..n).map(|row| matches!((x.get(row), y.get(row)), (Some(u), Some(v)) if u == v)).collect()
        } else {
            let (x, y) = (a.decimals(), b.decimals());
            (0..n)
                .map(|row| matches!((x.get(row), y.get(row)), (Some(u), Some(v)) if u.cmp_value(&v) == Ordering::Equal))
                .collect()
        };
        return Ok(BooleanArray::from(mask));
    }
    let one_row = |op: &Operand| !op.is_scalar() || op.array().len() == 1;
    if ta == tb && is_flat(ta) && one_row(a) && one_row(b) {
        let (x, y) = (a.array(), b.array());
        let eq = match (a.is_scalar(), b.is_scalar()) {
            (true, false) => arrow_ord::cmp::eq(&Scalar::new(x.clone()), y),
            (false, true) => arrow_ord::cmp::eq(x, &Scalar::new(y.clone())),
            _ => arrow_ord::cmp::eq(x, y),
        };
        return eq.map_err(|e| e.to_string());
    }
    let (x, y) = (a.array().as_ref(), b.array().as_ref());
    let mask: Vec<bool> = (0..n).map(|row| same_cell(x, a.index(row), y, b.index(row))).collect();
    Ok(BooleanArray::from(mask))
}

/// `same` (mod.rs) on cell `i` of `a` and cell `j` of `b`, without building values.
fn same_cell(a: &dyn Array, i: usize, b: &dyn Array, j: usize) -> bool {
    match (null_at(a, i), null_at(b, j)) {
        (true, true) => true,
        (false, false) => sql_equal(a, i, b, j) || value_eq(a, i, b, j),
        _ => false,
    }
}

/// A number read for comparison.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Dec(Decimal),
    Double(f64),
}

fn num_at(a: &dyn Array, i: usize) -> Option<Num> {
    Some(match a.data_type() {
        ArrowType::Int32 => Num::Int(i64::from(a.as_primitive_opt::<Int32Type>()?.value(i))),
        ArrowType::Int64 => Num::Int(a.as_primitive_opt::<Int64Type>()?.value(i)),
        ArrowType::Float64 => Num::Double(a.as_primitive_opt::<Float64Type>()?.value(i)),
        ArrowType::Decimal128(_, s) => {
            Num::Dec(Decimal::new(a.as_primitive_opt::<Decimal128Type>()?.value(i), (*s).max(0) as u8))
        }
        _ => return None,
    })
}

/// `Value::sql_cmp(x, y) == Some(Equal)` for two numbers.
fn num_equal(x: Num, y: Num) -> bool {
    let f = |n: Num| match n {
        Num::Int(v) => v as f64,
        Num::Dec(d) => d.to_f64(),
        Num::Double(v) => v,
    };
    match (x, y) {
        (Num::Int(u), Num::Int(v)) => u == v,
        (Num::Dec(u), Num::Dec(v)) => u.cmp_value(&v) == Ordering::Equal,
        (Num::Dec(d), Num::Int(v)) | (Num::Int(v), Num::Dec(d)) => {
            d.cmp_value(&Decimal::from_i64(v)) == Ordering::Equal
        }
        _ => f(x) == f(y),
    }
}

/// The positions in a list's or map's child that row `i` covers.
fn range(offsets: &[i32], i: usize) -> Range<usize> {
    match (offsets.get(i), offsets.get(i + 1)) {
        (Some(&start), Some(&end)) => start.max(0) as usize..end.max(start).max(0) as usize,
        _ => 0..0,
    }
}

/// `Value::sql_cmp(x, y) == Some(Equal)` for two cells: NULL equals nothing, numbers
/// compare across types, arrays element-wise, structs field-wise (a NULL field equal
/// to a NULL field), maps regardless of entry order.
fn sql_equal(a: &dyn Array, i: usize, b: &dyn Array, j: usize) -> bool {
    if null_at(a, i) || null_at(b, j) {
        return false;
    }
    if let (Some(x), Some(y)) = (num_at(a, i), num_at(b, j)) {
        return num_equal(x, y);
    }
    if let (Some(x), Some(y)) = (a.as_list_opt::<i32>(), b.as_list_opt::<i32>()) {
        let (rx, ry) = (range(x.value_offsets(), i), range(y.value_offsets(), j));
        let (vx, vy) = (x.values().as_ref(), y.values().as_ref());
        return rx.len() == ry.len() && rx.zip(ry).all(|(p, q)| sql_equal(vx, p, vy, q));
    }
    if let (Some(x), Some(y)) = (a.as_struct_opt(), b.as_struct_opt()) {
        return x.num_columns() == y.num_columns()
            && x.columns().iter().zip(y.columns()).all(|(c, d)| {
                (null_at(c.as_ref(), i) && null_at(d.as_ref(), j)) || sql_equal(c.as_ref(), i, d.as_ref(), j)
            });
    }
    if let (Some(x), Some(y)) = (a.as_map_opt(), b.as_map_opt()) {
        let (rx, ry) = (range(x.value_offsets(), i), range(y.value_offsets(), j));
        let (xk, xv, yk, yv) = (x.keys().as_ref(), x.values().as_ref(), y.keys().as_ref(), y.values().as_ref());
        return rx.len() == ry.len()
            && rx.clone().all(|p| {
                ry.clone()
                    .any(|q| sql_equal(xk, p, yk, q) && (sql_equal(xv, p, yv, q) || (null_at(xv, p) && null_at(yv, q))))
            });
    }
    flat_equal(a, i, b, j)
}

/// `Value`'s `==` for two cells: NULL equals NULL, values of different types differ.
fn value_eq(a: &dyn Array, i: usize, b: &dyn Array, j: usize) -> bool {
    match (null_at(a, i), null_at(b, j)) {
        (true, true) => return true,
        (false, false) => {}
        _ => return false,
    }
    match (a.data_type(), b.data_type()) {
        (ArrowType::Int32, ArrowType::Int32) => prim_equal::<Int32Type>(a, i, b, j),
        (ArrowType::Int64, ArrowType::Int64) => prim_equal::<Int64Type>(a, i, b, j),
        (ArrowType::Float64, ArrowType::Float64) => prim_equal::<Float64Type>(a, i, b, j),
        (ArrowType::Decimal128(_, s), ArrowType::Decimal128(_, t)) => {
            (*s).max(0) == (*t).max(0) && prim_equal::<Decimal128Type>(a, i, b, j)
        }
        (ArrowType::List(_), ArrowType::List(_)) => match (a.as_list_opt::<i32>(), b.as_list_opt::<i32>()) {
            (Some(x), Some(y)) => {
                let (rx, ry) = (range(x.value_offsets(), i), range(y.value_offsets(), j));
                let (vx, vy) = (x.values().as_ref(), y.values().as_ref());
                rx.len() == ry.len() && rx.zip(ry).all(|(p, q)| value_eq(vx, p, vy, q))
            }
            _ => false,
        },
        (ArrowType::Map(..), ArrowType::Map(..)) => match (a.as_map_opt(), b.as_map_opt()) {
            (Some(x), Some(y)) => {
                let (rx, ry) = (range(x.value_offsets(), i), range(y.value_offsets(), j));
                let (xk, xv, yk, yv) = (x.keys().as_ref(), x.values().as_ref(), y.keys().as_ref(), y.values().as_ref());
                rx.len() == ry.len() && rx.zip(ry).all(|(p, q)| value_eq(xk, p, yk, q) && value_eq(xv, p, yv, q))
            }
            _ => false,
        },
        (ArrowType::Struct(_), ArrowType::Struct(_)) => match (a.as_struct_opt(), b.as_struct_opt()) {
            (Some(x), Some(y)) => {
                x.num_columns() == y.num_columns()
                    && x.columns().iter().zip(y.columns()).all(|(c, d)| value_eq(c.as_ref(), i, d.as_ref(), j))
            }
            _ => false,
        },
        _ => flat_equal(a, i, b, j),
    }
}

fn prim_equal<T: ArrowPrimitiveType>(a: &dyn Array, i: usize, b: &dyn Array, j: usize) -> bool
where
    T::Native: PartialEq,
{
    match (a.as_primitive_opt::<T>(), b.as_primitive_opt::<T>()) {
        (Some(x), Some(y)) => x.value(i) == y.value(j),
        _ => false,
    }
}

/// Equality of two non-NULL cells of one flat, non-numeric type.
fn flat_equal(a: &dyn Array, i: usize, b: &dyn Array, j: usize) -> bool {
    match (a.data_type(), b.data_type()) {
        (ArrowType::Boolean, ArrowType::Boolean) => match (a.as_boolean_opt(), b.as_boolean_opt()) {
            (Some(x), Some(y)) => x.value(i) == y.value(j),
            _ => false,
        },
        (ArrowType::Utf8, ArrowType::Utf8) => match (a.as_string_opt::<i32>(), b.as_string_opt::<i32>()) {
            (Some(x), Some(y)) => x.value(i) == y.value(j),
            _ => false,
        },
        (ArrowType::Binary, ArrowType::Binary) => match (a.as_binary_opt::<i32>(), b.as_binary_opt::<i32>()) {
            (Some(x), Some(y)) => x.value(i) == y.value(j),
            _ => false,
        },
        (ArrowType::Timestamp(..), ArrowType::Timestamp(..)) => prim_equal::<TimestampMillisecondType>(a, i, b, j),
        (ArrowType::Date32, ArrowType::Date32) => prim_equal::<Date32Type>(a, i, b, j),
        (ArrowType::Time32(_), ArrowType::Time32(_)) => prim_equal::<Time32MillisecondType>(a, i, b, j),
        _ => false,
    }
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "AS_VALUE",
        category: "OTHER",
        description: "Its argument unchanged: copies a key column into the value (SELECT id, AS_VALUE(id) AS id_copy).",
        signatures: &["AS_VALUE(T) -> T"],
        return_type: |args| match args {
            [t] => Ok(t.clone()),
            _ => Err(reject("AS_VALUE", args, &["AS_VALUE(T)"])),
        },
        eval: |args| Ok(args.args[0].to_array(args.rows)),
    },
    Builtin {
        name: "COALESCE",
        category: "OTHER",
        description: "The first non-NULL argument, at the common type of all arguments.",
        signatures: &["COALESCE(T, T, ...) -> T"],
        return_type: |args| match common_of(args) {
            Some(t) if !args.is_empty() => Ok(t),
            _ => Err(reject("COALESCE", args, &["COALESCE(T, T, ...) with arguments of one type (numbers widen)"])),
        },
        eval: |args| coalesce("COALESCE", args),
    },
    Builtin {
        name: "IFNULL",
        category: "OTHER",
        description: "The first argument, or the second if the first is NULL.",
        signatures: &["IFNULL(T, T) -> T"],
        return_type: |args| match (args, common_of(args)) {
            ([_, _], Some(t)) => Ok(t),
            _ => Err(reject("IFNULL", args, &["IFNULL(T, T)"])),
        },
        eval: |args| coalesce("IFNULL", args),
    },
    Builtin {
        name: "NULLIF",
        category: "OTHER",
        description: "NULL if the two arguments are equal, else the first.",
        signatures: &["NULLIF(T, T) -> T"],
        return_type: |args| match (args, common_of(args)) {
            ([first, _], Some(_)) => {
                Ok(if *first == DataType::Null { common_of(args).unwrap_or(DataType::Null) } else { first.clone() })
            }
            _ => Err(reject("NULLIF", args, &["NULLIF(T, T)"])),
        },
        eval: nullif,
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    #[test]
    fn as_value_returns_its_argument() {
        assert_eq!(call("AS_VALUE", vec![Value::Int(7)]), Value::Int(7));
        assert_eq!(call("AS_VALUE", vec![s("k")]), s("k"));
        assert_eq!(call_typed("AS_VALUE", &[DataType::Int], vec![N]).0, N);
    }

    #[test]
    fn coalesce() {
        let t = [DataType::Int, DataType::Int, DataType::Int];
        assert_eq!(call_typed("COALESCE", &t, vec![N, Value::Int(2), Value::Int(3)]).0, Value::Int(2));
        assert_eq!(call_typed("COALESCE", &t, vec![N, N, N]).0, N);
        assert_eq!(call("COALESCE", vec![s("a")]), s("a"));
        let t = [DataType::Int, DataType::Double];
        assert_eq!(ret("COALESCE", &t), Ok(DataType::Double));
        assert_eq!(call_typed("COALESCE", &t, vec![Value::Int(1), Value::Double(2.5)]).0, Value::Double(1.0));
        assert_eq!(ret("COALESCE", &[DataType::Null, DataType::String]), Ok(DataType::String));
        let err = ret("COALESCE", &[DataType::String, DataType::Int]).unwrap_err();
        assert!(err.starts_with("function COALESCE does not accept parameters (STRING, INTEGER)"), "{err}");
        assert!(ret("COALESCE", &[]).is_err());
        let a = arr_of(DataType::Int);
        let (v, _) = call_typed("COALESCE", &[a.clone(), a], vec![N, arr(vec![Value::Int(1)])]);
        assert_eq!(v, arr(vec![Value::Int(1)]));
    }

    #[test]
    fn ifnull() {
        let t = [DataType::String, DataType::String];
        assert_eq!(call_typed("IFNULL", &t, vec![N, s("b")]).0, s("b"));
        assert_eq!(call_typed("IFNULL", &t, vec![s("a"), s("b")]).0, s("a"));
        assert_eq!(call_typed("IFNULL", &t, vec![N, N]).0, N);
        let t = [DataType::Int, DataType::BigInt];
        assert_eq!(call_typed("IFNULL", &t, vec![Value::Int(1), Value::BigInt(2)]).0, Value::BigInt(1));
        assert!(ret("IFNULL", &[DataType::Int]).is_err());
        assert!(ret("IFNULL", &[DataType::Int, DataType::Boolean]).is_err());
    }

    #[test]
    fn nullif() {
        assert_eq!(call("NULLIF", vec![Value::Int(1), Value::Int(1)]), N);
        assert_eq!(call("NULLIF", vec![Value::Int(1), Value::Int(2)]), Value::Int(1));
        assert_eq!(call("NULLIF", vec![s("a"), s("b")]), s("a"));
        assert_eq!(call_typed("NULLIF", &[DataType::Int, DataType::Int], vec![Value::Int(1), N]).0, Value::Int(1));
        assert_eq!(ret("NULLIF", &[DataType::Int, DataType::BigInt]), Ok(DataType::Int));
        assert!(ret("NULLIF", &[DataType::Int, DataType::String]).is_err());
    }

    #[test]
    fn constant_arguments() {
        let (i, l) = (DataType::Int, DataType::BigInt);
        let (out, e) = call_scalars("COALESCE", &[DataType::Null, i.clone(), i.clone()], vec![N, Value::Int(5), N], 3);
        assert_eq!(out, vec![Value::Int(5); 3]);
        assert!(e.is_empty());
        assert_eq!(call_scalars("COALESCE", &[i.clone(), l.clone()], vec![N, N], 3).0, vec![N; 3]);
        assert_eq!(
            call_scalars("IFNULL", &[i.clone(), l.clone()], vec![N, Value::BigInt(7)], 3).0,
            vec![Value::BigInt(7); 3]
        );
        assert_eq!(
            call_scalars("IFNULL", &[DataType::String, DataType::String], vec![s("a"), N], 3).0,
            vec![s("a"); 3]
        );
        assert_eq!(
            call_scalars("NULLIF", &[i.clone(), i.clone()], vec![Value::Int(1), Value::Int(1)], 3).0,
            vec![N; 3]
        );
        assert_eq!(
            call_scalars("NULLIF", &[i.clone(), l], vec![Value::Int(1), Value::BigInt(2)], 3).0,
            vec![Value::Int(1); 3]
        );
        assert_eq!(call_scalars("NULLIF", &[DataType::Null, i], vec![N, Value::Int(2)], 3).0, vec![N; 3]);
    }

    #[test]
    fn coalesce_columns_widen() {
        let (out, _) = call_cols(
            "COALESCE",
            &[DataType::Int, DataType::Double],
            vec![vec![Value::Int(1), N, N], vec![Value::Double(9.0), Value::Double(2.5), N]],
        );
        assert_eq!(out, vec![Value::Double(1.0), Value::Double(2.5), N]);
        let (d1, d2) = (DataType::Decimal { precision: 3, scale: 1 }, DataType::Decimal { precision: 4, scale: 2 });
        let (out, _) = call_cols("COALESCE", &[d1, d2], vec![vec![dec("1.5"), N], vec![dec("2.25"), dec("3.75")]]);
        assert_eq!(out, vec![dec("1.50"), dec("3.75")]);
        let (ai, al) = (arr_of(DataType::Int), arr_of(DataType::BigInt));
        let (out, _) = call_cols(
            "IFNULL",
            &[ai, al],
            vec![vec![arr(vec![Value::Int(1), N]), N], vec![N, arr(vec![Value::BigInt(2)])]],
        );
        assert_eq!(out, vec![arr(vec![Value::BigInt(1), N]), arr(vec![Value::BigInt(2)])]);
        let m = |v: DataType| DataType::Map(Box::new(DataType::String), Box::new(v));
        let (out, _) = call_cols(
            "COALESCE",
            &[m(DataType::Int), m(DataType::Double)],
            vec![
                vec![Value::Map(vec![(s("a"), Value::Int(1))]), N],
                vec![N, Value::Map(vec![(s("b"), Value::Double(0.5))])],
            ],
        );
        assert_eq!(
            out,
            vec![Value::Map(vec![(s("a"), Value::Double(1.0))]), Value::Map(vec![(s("b"), Value::Double(0.5))])]
        );
    }

    #[test]
    fn nullif_compares_like_sql() {
        let dd = [DataType::Double, DataType::Double];
        let (out, _) = call_cols(
            "NULLIF",
            &dd,
            vec![
                vec![Value::Double(f64::NAN), Value::Double(0.0), Value::Double(1.0), N],
                vec![Value::Double(f64::NAN), Value::Double(-0.0), N, Value::Double(1.0)],
            ],
        );
        assert_eq!(out[0].to_string(), "NaN");
        assert_eq!(out[1..], [N, Value::Double(1.0), N]);
        let t = [DataType::Decimal { precision: 3, scale: 1 }, DataType::Int];
        assert_eq!(call_typed("NULLIF", &t, vec![dec("2.0"), Value::Int(2)]).0, N);
        assert_eq!(call_typed("NULLIF", &t, vec![dec("2.5"), Value::Int(2)]).0, dec("2.5"));
        let t = [DataType::Int, DataType::Double];
        assert_eq!(call_typed("NULLIF", &t, vec![Value::Int(2), Value::Double(2.0)]).0, N);
        let a = arr_of(DataType::Int);
        let with_null = arr(vec![Value::Int(1), N]);
        assert_eq!(call_typed("NULLIF", &[a.clone(), a.clone()], vec![with_null.clone(), with_null.clone()]).0, N);
        let other = arr(vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(call_typed("NULLIF", &[a.clone(), a], vec![with_null.clone(), other]).0, with_null);
        let m = DataType::Map(Box::new(DataType::String), Box::new(DataType::Int));
        let ab = Value::Map(vec![(s("a"), Value::Int(1)), (s("b"), Value::Int(2))]);
        let ba = Value::Map(vec![(s("b"), Value::Int(2)), (s("a"), Value::Int(1))]);
        assert_eq!(call_typed("NULLIF", &[m.clone(), m], vec![ab, ba]).0, N);
        let (out, _) = call_cols(
            "NULLIF",
            &[DataType::String, DataType::String],
            vec![vec![s("a"), s("b"), N], vec![s("a"), s("c"), s("c")]],
        );
        assert_eq!(out, vec![N, s("b"), N]);
    }
}
