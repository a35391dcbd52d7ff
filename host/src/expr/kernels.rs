//! The operator kernels of [`super::Evaluator`].
//!
//! Each takes operands (a column, or a one-row constant) and returns an array of the
//! output length `n` (1 when every input is a constant). Arrow's kernels do the work
//! where their semantics are ksqlDB's: comparisons (`arrow_ord::cmp`), three-valued
//! AND/OR (`and_kleene`, `or_kleene`), wrapping integer and IEEE float arithmetic,
//! `||` (`concat_elements_utf8`), `CASE` (`zip`), subscripts (`take`), array literals
//! (`interleave`). Typed loops cover the rest, each saying which ksqlDB rule it keeps.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_arith::boolean::{and, and_kleene, is_not_null, is_null as arrow_is_null, not as arrow_not, or_kleene};
use arrow_arith::numeric;
use arrow_array::cast::AsArray;
use arrow_array::{
    new_empty_array, new_null_array, Array, ArrayRef, BooleanArray, Datum, ListArray, MapArray, Scalar, StructArray,
    UInt32Array,
};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_ord::cmp;
use arrow_ord::ord::make_comparator;
use arrow_schema::{ArrowError, DataType as ArrowType, SortOptions};
use wasp_sql::ast::BinaryOp;
use wasp_sql::{DataType, Decimal};

use super::LikePattern;
use crate::columnar::types::{list_field, map_entries_field, struct_fields};
use crate::columnar::{to_arrow, ColumnBuilder, Operand};
use crate::udf::RowErrors;

type KernelResult = Result<ArrayRef, String>;

fn err(e: ArrowError) -> String {
    format!("internal: {e}")
}

/// The operand as an Arrow `Datum`: a scalar stays a scalar.
fn datum(o: &Operand) -> Box<dyn Datum + '_> {
    match o {
        Operand::Array(a) => Box::new(a.clone()),
        Operand::Scalar(a) => Box::new(Scalar::new(a.clone())),
    }
}

/// The operand as a boolean column `n` long (NULL-typed operands read as NULL).
fn booleans(o: &Operand, n: usize) -> BooleanArray {
    let a = if o.is_scalar() && n != 1 { o.to_array(n) } else { o.array().clone() };
    match a.as_boolean_opt() {
        Some(b) => b.clone(),
        None => BooleanArray::new_null(a.len()),
    }
}

pub(super) fn not(v: &Operand) -> KernelResult {
    let b = booleans(v, v.array().len());
    Ok(Arc::new(arrow_not(&b).map_err(err)?))
}

pub(super) fn negate(v: &Operand) -> KernelResult {
    if v.data_type() == &ArrowType::Null {
        return Ok(v.array().clone());
    }
    // Java negation wraps (-Integer.MIN_VALUE is itself); so does neg_wrapping.
    numeric::neg_wrapping(v.array().as_ref()).map_err(err)
}

pub(super) fn logic(op: BinaryOp, l: &Operand, r: &Operand, rows: usize) -> KernelResult {
    let n = if l.is_scalar() && r.is_scalar() { 1 } else { rows };
    let (a, b) = (booleans(l, n), booleans(r, n));
    // SQL three-valued logic: TRUE OR NULL is TRUE, FALSE AND NULL is FALSE.
    let out = if op == BinaryOp::And { and_kleene(&a, &b) } else { or_kleene(&a, &b) };
    Ok(Arc::new(out.map_err(err)?))
}

/// Comparison, arithmetic and `||` over operands of the operator's input types.
pub(super) fn binary(
    op: BinaryOp,
    l: &Operand,
    r: &Operand,
    lt: &DataType,
    rt: &DataType,
    out_type: &DataType,
    n: usize,
    errors: &mut RowErrors,
) -> KernelResult {
    if op.is_comparison() {
        return compare(op, l, r, n);
    }
    if l.data_type() == &ArrowType::Null || r.data_type() == &ArrowType::Null {
        return Ok(new_null_array(&to_arrow(out_type), n));
    }
    match (op, out_type) {
        (BinaryOp::Concat, _) => {
            let (a, b) = (l.to_array(n), r.to_array(n));
            match (a.as_string_opt::<i32>(), b.as_string_opt::<i32>()) {
                (Some(a), Some(b)) => {
                    Ok(Arc::new(arrow_string::concat_elements::concat_elements_utf8(a, b).map_err(err)?))
                }
                _ => Err(format!("internal: '||' needs STRING operands, got {lt} and {rt}")),
            }
        }
        (_, DataType::Decimal { precision, scale }) => Ok(decimal_arith(op, l, r, *precision, *scale, n, errors)),
        (BinaryOp::Divide | BinaryOp::Modulo, DataType::Int | DataType::BigInt) => {
            Ok(int_divide(op, l, r, out_type, n, errors))
        }
        (_, DataType::Int | DataType::BigInt | DataType::Double) => {
            let (a, b) = (datum(l), datum(r));
            // INT arithmetic wraps at 32 bits, BIGINT at 64, as Java's does; DOUBLE is IEEE.
            let result = match op {
                BinaryOp::Add => numeric::add_wrapping(&*a, &*b),
                BinaryOp::Subtract => numeric::sub_wrapping(&*a, &*b),
                BinaryOp::Multiply => numeric::mul_wrapping(&*a, &*b),
                BinaryOp::Divide => numeric::div(&*a, &*b),
                BinaryOp::Modulo => numeric::rem(&*a, &*b),
                other => return Err(format!("operator {} does not apply to {out_type}", other.symbol())),
            };
            result.map_err(err)
        }
        _ => Err(format!("operator {} does not apply to {lt} and {rt}", op.symbol())),
    }
}

/// Integer `/` and `%`: Java wraps `MIN / -1`; division by zero fails the row (ksqlDB
/// logs it and writes NULL) instead of failing the batch as Arrow's kernel would.
fn int_divide(op: BinaryOp, l: &Operand, r: &Operand, t: &DataType, n: usize, errors: &mut RowErrors) -> ArrayRef {
    let (a, b) = (l.ints(), r.ints());
    let mut out = ColumnBuilder::new(t, n);
    let narrow = *t == DataType::Int;
    for row in 0..n {
        match (a.get(row), b.get(row)) {
            (Some(_), Some(0)) => {
                out.append_null();
                errors.push(row, "division by zero");
            }
            (Some(x), Some(y)) => {
                let v = if op == BinaryOp::Divide { x.wrapping_div(y) } else { x.wrapping_rem(y) };
                if narrow {
                    out.push_i32(v as i32);
                } else {
                    out.push_i64(v);
                }
            }
            _ => out.append_null(),
        }
    }
    out.finish()
}

/// DECIMAL arithmetic at the result type's scale, rounding half up as Java's
/// `BigDecimal` with `HALF_UP` does; overflow and division by zero fail the row.
fn decimal_arith(
    op: BinaryOp,
    l: &Operand,
    r: &Operand,
    precision: u8,
    scale: u8,
    n: usize,
    errors: &mut RowErrors,
) -> ArrayRef {
    let (a, b) = (l.decimals(), r.decimals());
    let mut out = ColumnBuilder::new(&DataType::Decimal { precision, scale }, n);
    for row in 0..n {
        let (Some(x), Some(y)) = (a.get(row), b.get(row)) else {
            out.append_null();
            continue;
        };
        match decimal_op(op, x, y, scale) {
            Ok(d) => out.push_i128(d.unscaled),
            Err(e) => {
                out.append_null();
                errors.push(row, e);
            }
        }
    }
    out.finish()
}

fn decimal_op(op: BinaryOp, x: Decimal, y: Decimal, result_scale: u8) -> Result<Decimal, String> {
    let overflow = || "DECIMAL overflow".to_owned();
    let scale = x.scale.max(y.scale);
    let (a, b) = (x.rescale(scale).ok_or_else(overflow)?, y.rescale(scale).ok_or_else(overflow)?);
    let d = match op {
        BinaryOp::Add => Decimal::new(a.unscaled.checked_add(b.unscaled).ok_or_else(overflow)?, scale),
        BinaryOp::Subtract => Decimal::new(a.unscaled.checked_sub(b.unscaled).ok_or_else(overflow)?, scale),
        BinaryOp::Multiply => Decimal::new(x.unscaled.checked_mul(y.unscaled).ok_or_else(overflow)?, x.scale + y.scale),
        BinaryOp::Divide => {
            if y.unscaled == 0 {
                return Err("division by zero".into());
            }
            // (x / 10^xs) / (y / 10^ys) = x * 10^(ys + out - xs) / y, rounded half up.
            let shift = i32::from(y.scale) + i32::from(result_scale) - i32::from(x.scale);
            let num = if shift >= 0 {
                x.unscaled.checked_mul(10i128.checked_pow(shift as u32).ok_or_else(overflow)?).ok_or_else(overflow)?
            } else {
                x.unscaled / 10i128.pow((-shift) as u32)
            };
            let q = num / y.unscaled;
            let rem = num % y.unscaled;
            let adjust = if rem.abs() * 2 >= y.unscaled.abs() { num.signum() * y.unscaled.signum() } else { 0 };
            Decimal::new(q + adjust, result_scale)
        }
        BinaryOp::Modulo => {
            if b.unscaled == 0 {
                return Err("division by zero".into());
            }
            Decimal::new(a.unscaled % b.unscaled, scale)
        }
        other => return Err(format!("operator {} does not apply to DECIMAL", other.symbol())),
    };
    d.rescale(result_scale).ok_or_else(overflow)
}

fn is_nested(t: &ArrowType) -> bool {
    matches!(t, ArrowType::List(_) | ArrowType::Struct(_) | ArrowType::Map(..))
}

/// `=`, `<>`, `<`, `<=`, `>`, `>=` over operands of one type: FALSE when either side
/// is NULL, as ksqlDB's comparisons are never NULL. `IS [NOT] DISTINCT FROM` treats two
/// NULLs as the same value and a NULL as different from any value.
fn compare(op: BinaryOp, l: &Operand, r: &Operand, n: usize) -> KernelResult {
    if l.data_type() == &ArrowType::Null || r.data_type() == &ArrowType::Null {
        return compare_with_null(op, l, r, n);
    }
    if is_nested(l.data_type()) {
        return compare_nested(op, l, r, n);
    }
    let (a, b) = (datum(l), datum(r));
    let out = match op {
        BinaryOp::Eq => cmp::eq(&*a, &*b),
        BinaryOp::NotEq => cmp::neq(&*a, &*b),
        BinaryOp::Lt => cmp::lt(&*a, &*b),
        BinaryOp::LtEq => cmp::lt_eq(&*a, &*b),
        BinaryOp::Gt => cmp::gt(&*a, &*b),
        BinaryOp::IsDistinctFrom => cmp::distinct(&*a, &*b),
        BinaryOp::IsNotDistinctFrom => cmp::not_distinct(&*a, &*b),
        _ => cmp::gt_eq(&*a, &*b),
    };
    Ok(Arc::new(null_as_false(out.map_err(err)?)))
}

/// A comparison's NULLs (an operand was NULL) read as FALSE.
fn null_as_false(b: BooleanArray) -> BooleanArray {
    match b.nulls() {
        Some(nulls) => BooleanArray::new(b.values() & nulls.inner(), None),
        None => b,
    }
}

/// A comparison where one side is the untyped NULL: FALSE, except that `IS [NOT]
/// DISTINCT FROM` asks whether the other side is NULL too.
fn compare_with_null(op: BinaryOp, l: &Operand, r: &Operand, n: usize) -> KernelResult {
    let other = if l.data_type() == &ArrowType::Null { r } else { l };
    let other_null = arrow_is_null(other.to_array(n).as_ref()).map_err(err)?;
    Ok(Arc::new(match op {
        BinaryOp::IsDistinctFrom => arrow_not(&other_null).map_err(err)?,
        BinaryOp::IsNotDistinctFrom => other_null,
        _ => BooleanArray::from(vec![false; n]),
    }))
}

/// Comparison of ARRAY, STRUCT and MAP values, element by element: FALSE when either
/// side is NULL (both NULL are not distinct).
fn compare_nested(op: BinaryOp, l: &Operand, r: &Operand, n: usize) -> KernelResult {
    let (a, b) = (l.array(), r.array());
    let mut out = arrow_array::builder::BooleanBuilder::with_capacity(n);
    let decide = |o: Ordering| match op {
        BinaryOp::Eq | BinaryOp::IsNotDistinctFrom => o == Ordering::Equal,
        BinaryOp::NotEq | BinaryOp::IsDistinctFrom => o != Ordering::Equal,
        BinaryOp::Lt => o == Ordering::Less,
        BinaryOp::LtEq => o != Ordering::Greater,
        BinaryOp::Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    };
    // The outcome when one side or both are NULL.
    let with_null = |both: bool| match op {
        BinaryOp::IsDistinctFrom => !both,
        BinaryOp::IsNotDistinctFrom => both,
        _ => false,
    };
    if let ArrowType::Map(..) = a.data_type() {
        // Maps are equal when they hold the same entries, in any order.
        let (ma, mb) = (a.as_map(), b.as_map());
        for row in 0..n {
            let (i, j) = (l.index(row), r.index(row));
            if ma.is_null(i) || mb.is_null(j) {
                out.append_value(with_null(ma.is_null(i) && mb.is_null(j)));
                continue;
            }
            let (ea, eb) = (ma.value(i), mb.value(j));
            let equal = ea.len() == eb.len() && {
                let keys = make_comparator(ea.column(0), eb.column(0), SortOptions::default()).map_err(err)?;
                let values = make_comparator(ea.column(1), eb.column(1), SortOptions::default()).map_err(err)?;
                (0..ea.len())
                    .all(|x| (0..eb.len()).any(|y| keys(x, y) == Ordering::Equal && values(x, y) == Ordering::Equal))
            };
            out.append_value(decide(if equal { Ordering::Equal } else { Ordering::Less }));
        }
        return Ok(Arc::new(out.finish()));
    }
    let c = make_comparator(a.as_ref(), b.as_ref(), SortOptions::default()).map_err(err)?;
    for row in 0..n {
        let (i, j) = (l.index(row), r.index(row));
        if a.is_null(i) || b.is_null(j) {
            out.append_value(with_null(a.is_null(i) && b.is_null(j)));
        } else {
            out.append_value(decide(c(i, j)));
        }
    }
    Ok(Arc::new(out.finish()))
}

pub(super) fn like(v: &Operand, pattern: Option<&LikePattern>, negated: bool) -> ArrayRef {
    let n = v.array().len();
    let Some(pattern) = pattern else { return new_null_array(&ArrowType::Boolean, n) };
    let s = v.strs();
    let mut out = arrow_array::builder::BooleanBuilder::with_capacity(n);
    for row in 0..n {
        match s.get(row) {
            Some(text) => out.append_value(pattern.matches(text) != negated),
            None => out.append_null(),
        }
    }
    Arc::new(out.finish())
}

pub(super) fn like_dynamic(v: &Operand, p: &Operand, escape: Option<char>, negated: bool, n: usize) -> ArrayRef {
    let (s, ps) = (v.strs(), p.strs());
    let mut cache: Option<(String, LikePattern)> = None;
    let mut out = arrow_array::builder::BooleanBuilder::with_capacity(n);
    for row in 0..n {
        match (s.get(row), ps.get(row)) {
            (Some(text), Some(pat)) => {
                if !matches!(&cache, Some((k, _)) if k == pat) {
                    cache = Some((pat.to_owned(), LikePattern::new(pat, escape)));
                }
                let matched = cache.as_ref().is_some_and(|(_, lp)| lp.matches(text));
                out.append_value(matched != negated);
            }
            _ => out.append_null(),
        }
    }
    Arc::new(out.finish())
}

/// `x IN (a, b, ...)`: TRUE on a match, else FALSE (a NULL matches nothing, as in
/// ksqlDB, so the result is never NULL).
pub(super) fn in_list(v: &Operand, items: &[Operand], negated: bool, n: usize) -> KernelResult {
    let mut acc: Option<BooleanArray> = None;
    for item in items {
        let eq = compare(BinaryOp::Eq, v, item, n)?;
        let eq = booleans(&Operand::Array(eq), n);
        acc = Some(match acc {
            None => eq,
            Some(a) => or_kleene(&a, &eq).map_err(err)?,
        });
    }
    let out = acc.unwrap_or_else(|| BooleanArray::from(vec![false; n]));
    let out = if negated { arrow_not(&out).map_err(err)? } else { out };
    Ok(Arc::new(out))
}

/// `x BETWEEN lo AND hi`: `x >= lo AND x <= hi`, FALSE when any operand is NULL.
pub(super) fn between(v: &Operand, lo: &Operand, hi: &Operand, negated: bool, n: usize) -> KernelResult {
    let ge = booleans(&Operand::Array(compare(BinaryOp::GtEq, v, lo, n)?), n);
    let le = booleans(&Operand::Array(compare(BinaryOp::LtEq, v, hi, n)?), n);
    let both = and(&ge, &le).map_err(err)?;
    Ok(Arc::new(if negated { arrow_not(&both).map_err(err)? } else { both }))
}

pub(super) fn is_null(v: &Operand, negated: bool) -> KernelResult {
    let a = v.array();
    let out = if negated { is_not_null(a.as_ref()) } else { arrow_is_null(a.as_ref()) };
    Ok(Arc::new(out.map_err(err)?))
}

/// Searched `CASE`: the first WHEN that is TRUE (not NULL) picks its THEN.
pub(super) fn case(whens: &[(Operand, Operand)], otherwise: Option<&Operand>, t: &DataType, n: usize) -> KernelResult {
    let mut acc: ArrayRef = match otherwise {
        Some(o) => o.to_array(n),
        None => new_null_array(&to_arrow(t), n),
    };
    for (cond, result) in whens.iter().rev() {
        let mask = booleans(cond, n);
        let mask = match mask.nulls() {
            Some(nulls) => BooleanArray::new(mask.values() & nulls.inner(), None),
            None => mask,
        };
        acc = arrow_select::zip::zip(&mask, &*datum(result), &acc).map_err(err)?;
    }
    Ok(acc)
}

/// `a[i]` (1-based, negative from the end, NULL out of range) and `m[k]`.
pub(super) fn subscript(v: &Operand, index: &Operand, t: &DataType, n: usize) -> KernelResult {
    let a = v.array();
    match a.data_type() {
        ArrowType::List(_) => {
            let list = a.as_list::<i32>();
            let offsets = list.value_offsets();
            let idx = index.ints();
            let indices: UInt32Array = (0..n)
                .map(|row| {
                    let r = v.index(row);
                    let k = idx.get(row)?;
                    if list.is_null(r) {
                        return None;
                    }
                    let (start, len) = (i64::from(offsets[r]), i64::from(offsets[r + 1] - offsets[r]));
                    let pos = if k > 0 { k - 1 } else { len + k };
                    (k != 0 && pos >= 0 && pos < len).then(|| (start + pos) as u32)
                })
                .collect();
            arrow_select::take::take(list.values().as_ref(), &indices, None).map_err(err)
        }
        ArrowType::Map(..) => {
            let map = a.as_map();
            let offsets = map.value_offsets();
            let keys =
                make_comparator(map.keys().as_ref(), index.array().as_ref(), SortOptions::default()).map_err(err)?;
            let indices: UInt32Array = (0..n)
                .map(|row| {
                    let (r, k) = (v.index(row), index.index(row));
                    if map.is_null(r) || index.array().is_null(k) {
                        return None;
                    }
                    let (start, end) = (offsets[r] as usize, offsets[r + 1] as usize);
                    (start..end).find(|j| keys(*j, k) == Ordering::Equal).map(|j| j as u32)
                })
                .collect();
            arrow_select::take::take(map.values().as_ref(), &indices, None).map_err(err)
        }
        _ => Ok(new_null_array(&to_arrow(t), n)),
    }
}

/// `s->f`: the field's column, NULL where the struct is NULL.
pub(super) fn field(v: &Operand, index: usize) -> KernelResult {
    let a = v.array();
    let Some(s) = a.as_struct_opt() else { return Ok(new_null_array(&ArrowType::Null, a.len())) };
    let Some(child) = s.columns().get(index) else {
        return Err(format!("internal: struct has no field {index}"));
    };
    if s.null_count() == 0 {
        return Ok(child.clone());
    }
    let parent_null = arrow_is_null(a.as_ref()).map_err(err)?;
    arrow_select::nullif::nullif(child.as_ref(), &parent_null).map_err(err)
}

fn item_type(t: &DataType) -> DataType {
    match t {
        DataType::Array(item) => (**item).clone(),
        _ => DataType::Null,
    }
}

/// `ARRAY[a, b, ...]`.
pub(super) fn make_array(items: &[Operand], t: &DataType, n: usize) -> KernelResult {
    let item = item_type(t);
    let k = items.len();
    let values = if k == 0 {
        new_empty_array(&to_arrow(&item))
    } else {
        let arrays: Vec<&dyn Array> = items.iter().map(|o| o.array().as_ref()).collect();
        let mut idx = Vec::with_capacity(n * k);
        for row in 0..n {
            idx.extend(items.iter().enumerate().map(|(j, o)| (j, o.index(row))));
        }
        arrow_select::interleave::interleave(&arrays, &idx).map_err(err)?
    };
    let offsets = OffsetBuffer::new(ScalarBuffer::from((0..=n).map(|r| (r * k) as i32).collect::<Vec<_>>()));
    Ok(Arc::new(ListArray::try_new(list_field(&item), offsets, values, None).map_err(err)?))
}

/// `MAP(k := v, ...)`: NULL keys are left out; a repeated key keeps its first place
/// and its last value.
pub(super) fn make_map(entries: &[(Operand, Operand)], t: &DataType, n: usize) -> KernelResult {
    let DataType::Map(kt, vt) = t else { return Ok(new_null_array(&to_arrow(t), n)) };
    let k = entries.len();
    let key_arrays: Vec<&dyn Array> = entries.iter().map(|(key, _)| key.array().as_ref()).collect();
    let value_arrays: Vec<&dyn Array> = entries.iter().map(|(_, v)| v.array().as_ref()).collect();
    // Key comparators between every pair of entries (maps are written with few keys).
    let mut same_key = Vec::with_capacity(k * k);
    for a in &key_arrays {
        for b in &key_arrays {
            same_key.push(make_comparator(*a, *b, SortOptions::default()).map_err(err)?);
        }
    }
    let (mut key_idx, mut value_idx) = (Vec::new(), Vec::new());
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0i32);
    for row in 0..n {
        let start = key_idx.len();
        for (j, (key, value)) in entries.iter().enumerate() {
            let kr = key.index(row);
            if key.array().is_null(kr) {
                continue;
            }
            let existing = (start..key_idx.len()).find(|e| {
                let (ej, er): (usize, usize) = key_idx[*e];
                same_key[ej * k + j](er, kr) == Ordering::Equal
            });
            match existing {
                Some(e) => value_idx[e] = (j, value.index(row)),
                None => {
                    key_idx.push((j, kr));
                    value_idx.push((j, value.index(row)));
                }
            }
        }
        offsets.push(key_idx.len() as i32);
    }
    let (keys, values) = if key_idx.is_empty() {
        (new_empty_array(&to_arrow(kt)), new_empty_array(&to_arrow(vt)))
    } else {
        (
            arrow_select::interleave::interleave(&key_arrays, &key_idx).map_err(err)?,
            arrow_select::interleave::interleave(&value_arrays, &value_idx).map_err(err)?,
        )
    };
    let field = map_entries_field(kt, vt);
    let ArrowType::Struct(fields) = field.data_type().clone() else {
        return Err("internal: map entries are not a struct".into());
    };
    let entries = StructArray::try_new(fields, vec![keys, values], None).map_err(err)?;
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(MapArray::try_new(field, offsets, entries, None, false).map_err(err)?))
}

/// `STRUCT(a := x, ...)`.
pub(super) fn make_struct(fields: &[Operand], t: &DataType, n: usize) -> KernelResult {
    let DataType::Struct(defs) = t else { return Ok(new_null_array(&to_arrow(t), n)) };
    if defs.is_empty() {
        return Ok(Arc::new(StructArray::new_empty_fields(n, None)));
    }
    let columns: Vec<ArrayRef> = fields.iter().map(|f| f.to_array(n)).collect();
    Ok(Arc::new(StructArray::try_new(struct_fields(defs), columns, None).map_err(err)?))
}
