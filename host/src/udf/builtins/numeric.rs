//! Numeric functions. Integer and decimal inputs keep their type where ksqlDB keeps it
//! (`ABS(INT)` is an `INT`); everything else computes in `DOUBLE`. Rounding follows
//! ksqlDB, which follows Java's `Math.round`: halves round towards positive infinity.
//!
//! Bodies work on whole columns: Arrow's `unary` and `binary` kernels where a function
//! is one infallible operation per value (ABS, CEIL, FLOOR, SIGN, the DOUBLE functions),
//! typed loops over native values (`f64`, `i64`, unscaled `i128`) elsewhere. A constant
//! argument is computed once rather than once per row, and ROUND and TRUNC work out
//! their powers of ten once per batch when the number of places is a constant.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow_arith::arity::{binary, unary};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType,
};
use arrow_array::{new_null_array, Array, ArrayRef, Decimal128Array, Float64Array, PrimitiveArray};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer};
use arrow_schema::DataType as ArrowType;
use wasp_sql::value::Decimal;
use wasp_sql::DataType;

use super::{check_args, check_variants, common_of, each_row, is_orderable, reject, Builtin};
use crate::columnar::operand::{arc, Ints};
use crate::columnar::{to_arrow, Operand};
use crate::expr::cast_array;
use crate::udf::{RowErrors, ScalarArgs, UdfError};

const D: DataType = DataType::Double;
const I: DataType = DataType::Int;
const L: DataType = DataType::BigInt;

/// How a decimal loses digits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Java's `Math.round`: to nearest, halves towards positive infinity.
    HalfUp,
    /// Towards zero.
    Down,
    Ceiling,
    Floor,
}

/// The quotient `q` of `unscaled / factor` (remainder `r`) moved to where `mode` rounds.
#[inline]
fn round_quotient(unscaled: i128, q: i128, r: i128, factor: i128, mode: Mode) -> i128 {
    let half = || r.unsigned_abs().saturating_mul(2).cmp(&factor.unsigned_abs());
    match mode {
        Mode::Down => q,
        Mode::Ceiling => q + i128::from(r > 0),
        Mode::Floor => q - i128::from(r < 0),
        Mode::HalfUp if unscaled > 0 => q + i128::from(half().is_ge()),
        Mode::HalfUp => q - i128::from(half().is_gt()),
    }
}

/// `d` rounded to `places` digits after the point (negative: before it), at scale
/// `max(places, 0)`; `d` itself when it has no more digits than that.
fn round_decimal(d: Decimal, places: i32, mode: Mode) -> Option<Decimal> {
    let scale = i32::from(d.scale);
    if places >= scale {
        return Some(d);
    }
    let drop = u32::try_from(scale - places).ok()?;
    let (q, r, factor) = match 10i128.checked_pow(drop) {
        Some(f) => (d.unscaled / f, d.unscaled % f, f),
        // Every digit goes: the quotient is 0 and the remainder all of it.
        None => (0, d.unscaled, i128::MAX),
    };
    let q = round_quotient(d.unscaled, q, r, factor, mode);
    if places >= 0 {
        Some(Decimal::new(q, places as u8))
    } else {
        let up = 10i128.checked_pow(places.unsigned_abs())?;
        Some(Decimal::new(q.checked_mul(up)?, 0))
    }
}

/// Why a decimal could not be rounded.
#[derive(Debug)]
enum RoundError {
    /// Rounding itself overflowed.
    Rounding,
    /// The rounded value (this one) does not fit the result's scale.
    Fitting(Decimal),
}

/// What [`DecimalRounding::apply`] does, worked out once.
#[derive(Clone, Copy, Debug)]
enum Plan {
    /// The value is already at the result scale with no digit to drop.
    Keep,
    /// Divide by `factor`, round the quotient, multiply by `back`: the result at the
    /// output scale.
    Divide { factor: i128, back: i128 },
    /// [`round_decimal`], then `rescale`.
    General,
}

/// Rounds unscaled values of scale `in_scale` to `places` digits and puts the result at
/// `out_scale` (the scale of the return type): [`round_decimal`] then `rescale`, with
/// the powers of ten computed once.
#[derive(Clone, Copy, Debug)]
struct DecimalRounding {
    mode: Mode,
    in_scale: u8,
    places: i32,
    out_scale: u8,
    plan: Plan,
}

impl DecimalRounding {
    fn new(mode: Mode, in_scale: u8, places: i32, out_scale: u8) -> DecimalRounding {
        let pow10 = |digits: i32| u32::try_from(digits).ok().and_then(|d| 10i128.checked_pow(d));
        let plan = if places >= i32::from(in_scale) {
            if out_scale == in_scale {
                Plan::Keep
            } else {
                Plan::General
            }
        } else {
            match (pow10(i32::from(in_scale) - places), pow10(i32::from(out_scale) - places)) {
                (Some(factor), Some(back)) => Plan::Divide { factor, back },
                _ => Plan::General,
            }
        };
        DecimalRounding { mode, in_scale, places, out_scale, plan }
    }

    #[inline]
    fn apply(&self, v: i128) -> Result<i128, RoundError> {
        match self.plan {
            Plan::Keep => Ok(v),
            Plan::Divide { factor, back } => {
                let q = round_quotient(v, v / factor, v % factor, factor, self.mode);
                match q.checked_mul(back) {
                    Some(r) => Ok(r),
                    // Overflowed: the general route says at which step.
                    None => self.general(v),
                }
            }
            Plan::General => self.general(v),
        }
    }

    fn general(&self, v: i128) -> Result<i128, RoundError> {
        let r = round_decimal(Decimal::new(v, self.in_scale), self.places, self.mode).ok_or(RoundError::Rounding)?;
        r.rescale(self.out_scale).map(|d| d.unscaled).ok_or(RoundError::Fitting(r))
    }
}

/// Where the binary fast path of [`round_double`] is exact: below 2^31 a double's
/// error is far smaller than the 1e-6 margin kept from a rounding boundary.
const FAST_LIMIT: f64 = 2_147_483_648.0;

/// Rounds a double through its shortest decimal representation, as ksqlDB does with
/// `BigDecimal.valueOf(double)`. `m` is `10^places`; `scratch` holds the decimal text
/// when the exact route is taken.
fn round_double(v: f64, places: i32, m: f64, mode: Mode, scratch: &mut String) -> f64 {
    if !v.is_finite() {
        return v;
    }
    // Fast path: away from a rounding boundary, binary arithmetic rounds the same way
    // the decimal text does. Only near a boundary (x.5 at the last place for HALF_UP,
    // a whole number for the directed modes, where the double's binary value and its
    // shortest decimal text may fall on either side) is the exact decimal route taken.
    if (0..=15).contains(&places) {
        let x = v * m;
        if x.abs() < FAST_LIMIT {
            let frac = x - x.floor();
            let near_half = (frac - 0.5).abs() < 1e-6;
            let near_whole = !(1e-6..=1.0 - 1e-6).contains(&frac);
            if !near_half && (mode == Mode::HalfUp || !near_whole) {
                let r = match mode {
                    Mode::HalfUp => x.round(),
                    Mode::Down => x.trunc(),
                    Mode::Ceiling => x.ceil(),
                    Mode::Floor => x.floor(),
                };
                // `+ 0.0` turns -0.0 into 0.0, as the decimal route (and Java) gives.
                return r / m + 0.0;
            }
        }
    }
    scratch.clear();
    // Writing to a String cannot fail.
    let _ = write!(scratch, "{v}");
    match Decimal::parse(scratch).and_then(|d| round_decimal(d, places, mode)) {
        Some(d) => d.to_f64(),
        None => {
            let x = v * m;
            let r = match mode {
                Mode::HalfUp => java_round(x) as f64,
                Mode::Down => x.trunc(),
                Mode::Ceiling => x.ceil(),
                Mode::Floor => x.floor(),
            };
            r / m
        }
    }
}

/// Java's `Math.round(double)`: nearest, halves up, NaN to 0, saturating.
fn java_round(v: f64) -> i64 {
    let f = v.floor();
    (if v - f >= 0.5 { f + 1.0 } else { f }) as i64
}

/// The type rule shared by ROUND and TRUNC. TRUNC of a DECIMAL(p, s) keeps its p - s
/// integer digits, as ksqlDB's does; ROUND keeps one more, since rounding up can
/// carry into a new digit (9.5 to 10), where ksqlDB's DECIMAL(p - s, 0) overflows
/// (see docs/ksqldb-differences.md).
fn round_type(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let valid = |n: &str| {
        reject(
            n,
            args,
            &[
                &format!("{n}(BIGINT)"),
                &format!("{n}(DECIMAL)"),
                &format!("{n}(DOUBLE)"),
                &format!("{n}(DECIMAL, INT)"),
                &format!("{n}(DOUBLE, INT)"),
            ],
        )
    };
    match args {
        [t] => match t {
            DataType::Int | DataType::BigInt | DataType::Double | DataType::Null => Ok(L),
            DataType::Decimal { precision, scale } => {
                let carry = u8::from(name == "ROUND");
                Ok(DataType::Decimal { precision: (precision - scale + carry).clamp(1, 38), scale: 0 })
            }
            _ => Err(valid(name)),
        },
        [t, places] if places.widens_to(&I) => match t {
            DataType::Double | DataType::Null => Ok(D),
            DataType::Decimal { .. } => Ok(t.clone()),
            DataType::Int | DataType::BigInt => {
                let (precision, scale) = t.as_decimal().unwrap_or((19, 0));
                Ok(DataType::Decimal { precision, scale })
            }
            _ => Err(valid(name)),
        },
        _ => Err(valid(name)),
    }
}

fn failed(function: &str, message: impl Into<String>) -> UdfError {
    UdfError::Failed { function: function.to_string(), message: message.into() }
}

/// An all-NULL column of `t`.
fn null_column(t: &DataType, rows: usize) -> ArrayRef {
    new_null_array(&to_arrow(t), rows)
}

/// A constant's value, `None` when NULL.
#[inline]
fn first<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>) -> Option<T::Native> {
    (!a.is_empty() && a.is_valid(0)).then(|| a.value(0))
}

/// `f` applied to every value of `op`, a column or constant of Arrow type `I`: Arrow's
/// `unary` kernel over a column (NULLs kept), one call for a constant. `None` when `op`
/// is of another type (a `NULL` literal).
fn map_unary<I, O>(op: &Operand, rows: usize, f: impl Fn(I::Native) -> O::Native) -> Option<PrimitiveArray<O>>
where
    I: ArrowPrimitiveType,
    O: ArrowPrimitiveType,
{
    let a = op.array().as_primitive_opt::<I>()?;
    Some(if !op.is_scalar() {
        unary(a, f)
    } else {
        match first(a) {
            Some(v) => PrimitiveArray::from_value(f(v), rows),
            None => PrimitiveArray::new_null(rows),
        }
    })
}

/// A typed loop over `op`, a column or constant of Arrow type `I`: `f(row, value)` for
/// every non-NULL row gives the result, `Ok(None)` for NULL; an `Err` makes the row
/// NULL and goes to `errors`. `None` when `op` is of another type (a `NULL` literal).
fn try_map<I, O>(
    op: &Operand,
    rows: usize,
    errors: &mut RowErrors,
    mut f: impl FnMut(usize, I::Native) -> Result<Option<O::Native>, String>,
) -> Option<PrimitiveArray<O>>
where
    I: ArrowPrimitiveType,
    O: ArrowPrimitiveType,
{
    let a = op.array().as_primitive_opt::<I>()?;
    let scalar = op.is_scalar();
    let mut values: Vec<O::Native> = Vec::with_capacity(rows);
    let mut valid = BooleanBufferBuilder::new(rows);
    for row in 0..rows {
        let i = if scalar { 0 } else { row };
        let result = if i < a.len() && a.is_valid(i) { f(row, a.value(i)) } else { Ok(None) };
        match result {
            Ok(Some(v)) => {
                values.push(v);
                valid.append(true);
            }
            Ok(None) => {
                values.push(O::Native::default());
                valid.append(false);
            }
            Err(e) => {
                errors.push(row, e);
                values.push(O::Native::default());
                valid.append(false);
            }
        }
    }
    let nulls = NullBuffer::new(valid.finish());
    Some(PrimitiveArray::new(values.into(), (nulls.null_count() > 0).then_some(nulls)))
}

/// A decimal column at the precision and scale of `ret`.
fn decimal_column(function: &str, a: Decimal128Array, ret: &DataType) -> Result<ArrayRef, UdfError> {
    match to_arrow(ret) {
        ArrowType::Decimal128(p, s) => {
            a.with_precision_and_scale(p, s).map(arc).map_err(|e| failed(function, format!("internal: {e}")))
        }
        other => Err(failed(function, format!("internal: {other} is not a decimal type"))),
    }
}

/// `op`'s values as doubles, widened once per batch the way `Value::as_f64` widens
/// (`None` for a `NULL` literal). A DOUBLE column is shared, not copied.
fn doubles(op: &Operand) -> Option<Float64Array> {
    let a = op.array();
    Some(match a.data_type() {
        ArrowType::Float64 => a.as_primitive::<Float64Type>().clone(),
        ArrowType::Int32 => unary(a.as_primitive::<Int32Type>(), f64::from),
        ArrowType::Int64 => unary(a.as_primitive::<Int64Type>(), |v| v as f64),
        ArrowType::Decimal128(_, s) => {
            let f = 10f64.powi(i32::from(*s));
            unary(a.as_primitive::<Decimal128Type>(), move |v| v as f64 / f)
        }
        _ => return None,
    })
}

/// A DOUBLE function of one DOUBLE argument (any numeric type widens).
fn double_unary(args: ScalarArgs<'_>, f: impl Fn(f64) -> f64) -> Result<ArrayRef, UdfError> {
    let (op, rows) = (&args.args[0], args.rows);
    let Some(a) = doubles(op) else { return Ok(args.null_output()) };
    let out = if !op.is_scalar() {
        unary(&a, f)
    } else {
        match first(&a) {
            Some(v) => Float64Array::from_value(f(v), rows),
            None => Float64Array::new_null(rows),
        }
    };
    Ok(Arc::new(out))
}

/// A DOUBLE function of two DOUBLE arguments: Arrow's `binary` kernel over two
/// columns, `unary` with a constant on one side.
fn double_binary(function: &str, args: ScalarArgs<'_>, f: impl Fn(f64, f64) -> f64) -> Result<ArrayRef, UdfError> {
    let (x, y, rows) = (&args.args[0], &args.args[1], args.rows);
    let (Some(a), Some(b)) = (doubles(x), doubles(y)) else { return Ok(args.null_output()) };
    let out = match (x.is_scalar(), y.is_scalar()) {
        (false, false) => binary(&a, &b, f).map_err(|e| failed(function, format!("internal: {e}")))?,
        (true, false) => match first(&a) {
            Some(u) => unary(&b, |v| f(u, v)),
            None => Float64Array::new_null(rows),
        },
        (false, true) => match first(&b) {
            Some(v) => unary(&a, |u| f(u, v)),
            None => Float64Array::new_null(rows),
        },
        (true, true) => match (first(&a), first(&b)) {
            (Some(u), Some(v)) => Float64Array::from_value(f(u, v), rows),
            _ => Float64Array::new_null(rows),
        },
    };
    Ok(Arc::new(out))
}

/// A type-preserving unary numeric function (ABS, CEIL, FLOOR).
fn same_numeric(name: &str, args: &[DataType]) -> Result<DataType, String> {
    match args {
        [t] if t.is_numeric() => Ok(t.clone()),
        [DataType::Null] => Ok(I),
        _ => Err(reject(
            name,
            args,
            &[
                &format!("{name}(INT)"),
                &format!("{name}(BIGINT)"),
                &format!("{name}(DECIMAL)"),
                &format!("{name}(DOUBLE)"),
            ],
        )),
    }
}

/// ABS: Java's wrapping `Math.abs` for integers (`ABS` of the smallest INT is itself).
fn abs(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let (op, rows, ret) = (&args.args[0], args.rows, args.return_type);
    let out = match op.data_type() {
        ArrowType::Int32 => map_unary::<Int32Type, Int32Type>(op, rows, i32::wrapping_abs).map(arc),
        ArrowType::Int64 => map_unary::<Int64Type, Int64Type>(op, rows, i64::wrapping_abs).map(arc),
        ArrowType::Float64 => map_unary::<Float64Type, Float64Type>(op, rows, f64::abs).map(arc),
        ArrowType::Decimal128(..) => match map_unary::<Decimal128Type, Decimal128Type>(op, rows, i128::wrapping_abs) {
            Some(a) => Some(decimal_column("ABS", a, ret)?),
            None => None,
        },
        _ => None,
    };
    Ok(out.unwrap_or_else(|| args.null_output()))
}

/// CEIL and FLOOR: integers as they are, doubles through `f64::ceil` / `floor`,
/// decimals rounded to a whole number at their own scale.
fn ceil_floor(args: ScalarArgs<'_>, mode: Mode, function: &str) -> Result<ArrayRef, UdfError> {
    let ScalarArgs { args: ops, rows, return_type: ret, errors, .. } = args;
    let op = &ops[0];
    match op.data_type() {
        ArrowType::Int32 | ArrowType::Int64 if *op.data_type() == to_arrow(ret) => Ok(op.to_array(rows)),
        ArrowType::Float64 => {
            let f = if mode == Mode::Ceiling { f64::ceil } else { f64::floor };
            Ok(map_unary::<Float64Type, Float64Type>(op, rows, f).map_or_else(|| null_column(ret, rows), arc))
        }
        ArrowType::Decimal128(_, s) => {
            let scale = (*s).max(0) as u8;
            let out_scale = match ret {
                DataType::Decimal { scale, .. } => *scale,
                _ => scale,
            };
            let rounding = DecimalRounding::new(mode, scale, 0, out_scale);
            let out = try_map::<Decimal128Type, Decimal128Type>(op, rows, errors, |_, v| match rounding.apply(v) {
                Ok(r) => Ok(Some(r)),
                Err(_) => Err(format!("{} overflows {ret}", Decimal::new(v, scale))),
            });
            match out {
                Some(a) => decimal_column(function, a, ret),
                None => Ok(null_column(ret, rows)),
            }
        }
        _ => Ok(null_column(ret, rows)),
    }
}

/// SIGN: -1, 0 or 1 as an INT; NaN is 0.
fn sign(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let (op, rows) = (&args.args[0], args.rows);
    let out = match op.data_type() {
        ArrowType::Int32 => map_unary::<Int32Type, Int32Type>(op, rows, i32::signum),
        ArrowType::Int64 => map_unary::<Int64Type, Int32Type>(op, rows, |v| v.signum() as i32),
        ArrowType::Decimal128(..) => map_unary::<Decimal128Type, Int32Type>(op, rows, |v| v.signum() as i32),
        ArrowType::Float64 => map_unary::<Float64Type, Int32Type>(op, rows, |f| {
            if f > 0.0 {
                1
            } else if f < 0.0 {
                -1
            } else {
                0
            }
        }),
        _ => None,
    };
    Ok(out.map_or_else(|| args.null_output(), arc))
}

/// The number of places of ROUND and TRUNC: a constant (0 when not given) or a column.
enum Places<'a> {
    Fixed(i32),
    Column(Ints<'a>),
}

impl Places<'_> {
    /// Row `row`'s number of places, `None` when NULL.
    #[inline]
    fn get(&self, row: usize) -> Result<Option<i32>, String> {
        match self {
            Places::Fixed(p) => Ok(Some(*p)),
            Places::Column(c) => match c.get(row) {
                Some(p) => i32::try_from(p).map(Some).map_err(|_| format!("{p} decimal places is out of range")),
                None => Ok(None),
            },
        }
    }
}

/// The body shared by ROUND and TRUNC.
fn round(args: ScalarArgs<'_>, mode: Mode, function: &str) -> Result<ArrayRef, UdfError> {
    let ScalarArgs { args: ops, rows, return_type: ret, errors, .. } = args;
    let value = &ops[0];
    let places = match ops.get(1) {
        None => Places::Fixed(0),
        Some(p) if p.is_scalar() => match p.ints().get(0) {
            Some(n) => match i32::try_from(n) {
                Ok(n) => Places::Fixed(n),
                // Reported on every row.
                Err(_) => Places::Column(p.ints()),
            },
            None => return Ok(null_column(ret, rows)),
        },
        Some(p) => Places::Column(p.ints()),
    };
    match ret {
        DataType::BigInt => Ok(round_to_bigint(value, rows, mode).unwrap_or_else(|| null_column(ret, rows))),
        DataType::Double => {
            Ok(round_doubles(value, rows, &places, mode, errors).map_or_else(|| null_column(ret, rows), arc))
        }
        DataType::Decimal { scale, .. } => round_decimals(function, value, rows, &places, mode, *scale, ret, errors),
        other => Err(failed(function, format!("internal: unexpected return type {other}"))),
    }
}

/// ROUND(x) and TRUNC(x) of an integer or a double, as a BIGINT.
fn round_to_bigint(value: &Operand, rows: usize, mode: Mode) -> Option<ArrayRef> {
    match value.data_type() {
        ArrowType::Float64 if mode == Mode::HalfUp => {
            map_unary::<Float64Type, Int64Type>(value, rows, java_round).map(arc)
        }
        // Saturating, NaN to 0, as Java's `(long)` cast.
        ArrowType::Float64 => map_unary::<Float64Type, Int64Type>(value, rows, |v| v as i64).map(arc),
        ArrowType::Int32 => map_unary::<Int32Type, Int64Type>(value, rows, i64::from).map(arc),
        ArrowType::Int64 => Some(value.to_array(rows)),
        _ => None,
    }
}

/// ROUND(x, places) and TRUNC(x, places) of a double.
fn round_doubles(
    value: &Operand,
    rows: usize,
    places: &Places<'_>,
    mode: Mode,
    errors: &mut RowErrors,
) -> Option<Float64Array> {
    let a = value.array().as_primitive_opt::<Float64Type>()?;
    let mut scratch = String::new();
    if let (Places::Fixed(p), false) = (places, value.is_scalar()) {
        // The common case: a column and a constant number of places; NULLs are kept
        // as they are (the values under them are rounded and ignored).
        let (p, m) = (*p, 10f64.powi(*p));
        let values: Vec<f64> = a.values().iter().map(|&v| round_double(v, p, m, mode, &mut scratch)).collect();
        return Some(Float64Array::new(values.into(), a.nulls().cloned()));
    }
    try_map::<Float64Type, Float64Type>(value, rows, errors, |row, v| {
        Ok(places.get(row)?.map(|p| round_double(v, p, 10f64.powi(p), mode, &mut scratch)))
    })
}

/// ROUND(x[, places]) and TRUNC(x[, places]) of a decimal or an integer, as a decimal
/// at the scale of the return type.
#[allow(clippy::too_many_arguments)]
fn round_decimals(
    function: &str,
    value: &Operand,
    rows: usize,
    places: &Places<'_>,
    mode: Mode,
    out_scale: u8,
    ret: &DataType,
    errors: &mut RowErrors,
) -> Result<ArrayRef, UdfError> {
    let in_scale = match value.data_type() {
        ArrowType::Decimal128(_, s) => (*s).max(0) as u8,
        ArrowType::Int32 | ArrowType::Int64 => 0,
        _ => return Ok(null_column(ret, rows)),
    };
    let fixed = match places {
        Places::Fixed(p) => Some(*p),
        Places::Column(_) => None,
    };
    let mut rounding = DecimalRounding::new(mode, in_scale, fixed.unwrap_or(0), out_scale);
    let mut step = |row: usize, v: i128| -> Result<Option<i128>, String> {
        if fixed.is_none() {
            let Some(p) = places.get(row)? else { return Ok(None) };
            if p != rounding.places {
                rounding = DecimalRounding::new(mode, in_scale, p, out_scale);
            }
        }
        match rounding.apply(v) {
            Ok(r) => Ok(Some(r)),
            Err(RoundError::Rounding) => {
                Err(format!("{} rounded to {} places overflows", Decimal::new(v, in_scale), rounding.places))
            }
            Err(RoundError::Fitting(r)) => Err(format!("{r} does not fit {ret}")),
        }
    };
    let out = match value.data_type() {
        ArrowType::Int32 => {
            try_map::<Int32Type, Decimal128Type>(value, rows, errors, |row, v| step(row, i128::from(v)))
        }
        ArrowType::Int64 => {
            try_map::<Int64Type, Decimal128Type>(value, rows, errors, |row, v| step(row, i128::from(v)))
        }
        _ => try_map::<Decimal128Type, Decimal128Type>(value, rows, errors, &mut step),
    };
    match out {
        Some(a) => decimal_column(function, a, ret),
        None => Ok(null_column(ret, rows)),
    }
}

/// GREATEST and LEAST: the common type of every argument, NULLs ignored. Strings
/// next to DATE, TIME or TIMESTAMP values are read as that type (ksqlDB casts a string
/// literal there), so `GREATEST(d, '2022-06-14')` compares dates.
fn extreme_type(name: &str, args: &[DataType]) -> Result<DataType, String> {
    let temporal = |t: &DataType| matches!(t, DataType::Date | DataType::Time | DataType::Timestamp);
    let others: Vec<DataType> = args.iter().filter(|t| **t != DataType::String).cloned().collect();
    let common = match common_of(&others) {
        Some(t) if temporal(&t) => Some(t),
        _ => common_of(args),
    };
    match common {
        Some(t) if !args.is_empty() && is_orderable(&t) && t != DataType::Boolean => Ok(t),
        _ => Err(reject(
            name,
            args,
            &[&format!("{name}(T, T, ...) for T a number, STRING, BYTES, DATE, TIME or TIMESTAMP")],
        )),
    }
}

/// The first of `values` that no later one beats (`cmp(later, best) == want`); NULLs
/// are skipped, and a value that does not compare (NaN) does not replace the best.
#[inline]
fn pick<T>(
    values: impl Iterator<Item = Option<T>>,
    want: Ordering,
    cmp: impl Fn(&T, &T) -> Option<Ordering>,
) -> Option<T> {
    let mut best: Option<T> = None;
    for v in values.flatten() {
        match &best {
            Some(b) if cmp(&v, b) != Some(want) => {}
            _ => best = Some(v),
        }
    }
    best
}

/// GREATEST (`want` = `Greater`) and LEAST (`Less`): every argument is read widened to
/// the return type (exactly for integers and decimals, as `DOUBLE` when that is the
/// common type) and compared there.
fn extreme(args: ScalarArgs<'_>, want: Ordering) -> Result<ArrayRef, UdfError> {
    let ret = args.return_type;
    if matches!(ret, DataType::Date | DataType::Time | DataType::Timestamp)
        && args.arg_types.contains(&DataType::String)
    {
        // Strings among temporal arguments: parse them as the return type once per
        // batch (a constant stays a one-row constant), then compare natively.
        let mut cast = Vec::with_capacity(args.args.len());
        for (op, t) in args.args.iter().zip(args.arg_types) {
            if *t != DataType::String {
                cast.push(op.clone());
                continue;
            }
            let converted = cast_array(op.array(), t, ret, args.errors);
            cast.push(if op.is_scalar() { Operand::Scalar(converted) } else { Operand::Array(converted) });
        }
        let types = vec![ret.clone(); cast.len()];
        let args =
            ScalarArgs { args: &cast, rows: args.rows, arg_types: &types, return_type: ret, errors: args.errors };
        return extreme_typed(args, want);
    }
    extreme_typed(args, want)
}

/// [`extreme`] once every argument has the return type or widens to it.
fn extreme_typed(args: ScalarArgs<'_>, want: Ordering) -> Result<ArrayRef, UdfError> {
    let (ops, ret) = (args.args, args.return_type);
    match ret {
        DataType::Double => {
            let views: Vec<_> = ops.iter().map(Operand::nums).collect();
            each_row(args, |row, out| {
                if let Some(v) = pick(views.iter().map(|n| n.get(row)), want, |a: &f64, b| a.partial_cmp(b)) {
                    out.push_f64(v);
                }
                Ok(())
            })
        }
        DataType::BigInt | DataType::Timestamp => {
            let views: Vec<_> = ops.iter().map(Operand::ints).collect();
            each_row(args, |row, out| {
                if let Some(v) = pick(views.iter().map(|n| n.get(row)), want, |a, b| Some(a.cmp(b))) {
                    out.push_i64(v);
                }
                Ok(())
            })
        }
        DataType::Int => extreme_i32::<Int32Type>(args, want),
        DataType::Date => extreme_i32::<Date32Type>(args, want),
        DataType::Time => extreme_i32::<Time32MillisecondType>(args, want),
        DataType::Decimal { scale, .. } => {
            let views: Vec<_> = ops.iter().map(Operand::decimals).collect();
            each_row(args, |row, out| {
                let best = pick(views.iter().map(|n| n.get(row)), want, |a: &Decimal, b| Some(a.cmp_value(b)));
                if let Some(d) = best {
                    let d = d.rescale(*scale).ok_or_else(|| format!("{d} does not fit {ret}"))?;
                    out.push_i128(d.unscaled);
                }
                Ok(())
            })
        }
        DataType::String => {
            let views: Vec<_> = ops.iter().map(Operand::strs).collect();
            each_row(args, |row, out| {
                if let Some(v) = pick(views.iter().map(|n| n.get(row)), want, |a, b| Some(a.cmp(b))) {
                    out.push_str(v);
                }
                Ok(())
            })
        }
        DataType::Bytes => {
            let views: Vec<_> = ops.iter().map(Operand::bytes).collect();
            each_row(args, |row, out| {
                if let Some(v) = pick(views.iter().map(|n| n.get(row)), want, |a, b| Some(a.cmp(b))) {
                    out.push_bytes(v);
                }
                Ok(())
            })
        }
        _ => Ok(args.null_output()),
    }
}

/// GREATEST and LEAST of 32-bit values (INT, DATE, TIME), all of one type.
fn extreme_i32<T: ArrowPrimitiveType<Native = i32>>(
    args: ScalarArgs<'_>,
    want: Ordering,
) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let views: Vec<_> = ops.iter().map(|op| op.typed::<PrimitiveArray<T>>()).collect();
    each_row(args, |row, out| {
        if let Some(v) = pick(views.iter().map(|n| n.get(row)), want, |a, b| Some(a.cmp(b))) {
            out.push_i32(v);
        }
        Ok(())
    })
}

/// GENERATE_SERIES never builds more elements than this in one row.
const MAX_SERIES: i128 = 1_000_000;

/// The step and the number of elements of a series.
fn series_plan(start: i64, end: i64, step: Option<i64>) -> Result<(i64, i64), String> {
    let step = match step {
        Some(s) => s,
        None if end >= start => 1,
        None => -1,
    };
    if step == 0 {
        return Err("GENERATE_SERIES step cannot be zero".into());
    }
    if start != end && (end > start) != (step > 0) {
        return Err("GENERATE_SERIES step has wrong sign".into());
    }
    let count = (i128::from(end) - i128::from(start)) / i128::from(step) + 1;
    if count > MAX_SERIES {
        return Err(format!("GENERATE_SERIES would return {count} elements; the limit is {MAX_SERIES}"));
    }
    Ok((step, count as i64))
}

fn generate_series(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let (start, end) = (ops[0].ints(), ops[1].ints());
    let step = ops.get(2).map(Operand::ints);
    let int_elems = *args.return_type == DataType::Array(Box::new(I));
    each_row(args, |row, out| {
        let (Some(start), Some(end)) = (start.get(row), end.get(row)) else { return Ok(()) };
        let step = match &step {
            Some(s) => match s.get(row) {
                Some(s) => Some(s),
                None => return Ok(()),
            },
            None => None,
        };
        let (step, count) = series_plan(start, end, step)?;
        let items = out.list_items().ok_or("internal: GENERATE_SERIES returns an array")?;
        for i in 0..count {
            // Every element lies between start and end.
            let v = start.wrapping_add(i.wrapping_mul(step));
            if int_elems {
                items.push_i32(v as i32);
            } else {
                items.push_i64(v);
            }
        }
        out.close_list();
        Ok(())
    })
}

/// A uniformly distributed double in [0, 1) from the operating system's generator.
fn random() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75;
    bits as f64 / (1u64 << 53) as f64
}

/// The earth's radius in a GEO_DISTANCE unit (kilometres when none is given).
/// A NULL or blank unit means kilometres, as in ksqlDB.
fn earth_radius(unit: Option<&str>) -> Result<f64, String> {
    const KM: [&str; 5] = ["KM", "KILOMETER", "KILOMETERS", "KILOMETRE", "KILOMETRES"];
    const MI: [&str; 3] = ["MI", "MILE", "MILES"];
    match unit.map(str::trim) {
        None | Some("") => Ok(6371.0),
        Some(u) if KM.iter().any(|k| k.eq_ignore_ascii_case(u)) => Ok(6371.0),
        Some(u) if MI.iter().any(|k| k.eq_ignore_ascii_case(u)) => Ok(3959.0),
        Some(u) => Err(format!("GEO_DISTANCE unit must be KM or MI, got '{}'", u.to_ascii_uppercase())),
    }
}

fn geo_distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64, unit: Option<&str>) -> Result<f64, String> {
    for lat in [lat1, lat2] {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(format!("valid latitude values for GEO_DISTANCE are in [-90, 90], got {lat}"));
        }
    }
    for lon in [lon1, lon2] {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(format!("valid longitude values for GEO_DISTANCE are in [-180, 180], got {lon}"));
        }
    }
    let radius = earth_radius(unit)?;
    // The haversine formula, with ksqlDB's order of operations (and its degrees to
    // radians, `x / 180 * PI`) so the last digits agree.
    let haversin = |x: f64| (x / 2.0).sin().powi(2);
    let radians = |x: f64| x / 180.0 * std::f64::consts::PI;
    let (dphi, dlambda) = (radians(lat2 - lat1), radians(lon2 - lon1));
    let a = haversin(dphi) + haversin(dlambda) * radians(lat1).cos() * radians(lat2).cos();
    Ok(2.0 * a.sqrt().asin() * radius)
}

fn geo_distance_column(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let (lat1, lon1, lat2, lon2) = (ops[0].nums(), ops[1].nums(), ops[2].nums(), ops[3].nums());
    let unit = ops.get(4).map(Operand::strs);
    each_row(args, |row, out| {
        let (Some(a), Some(b), Some(c), Some(d)) = (lat1.get(row), lon1.get(row), lat2.get(row), lon2.get(row)) else {
            return Ok(());
        };
        let unit = unit.as_ref().and_then(|u| u.get(row));
        out.push_f64(geo_distance(a, b, c, d, unit)?);
        Ok(())
    })
}

macro_rules! double_fn {
    ($name:literal, $desc:literal, $f:expr) => {
        Builtin {
            name: $name,
            category: "NUMERIC",
            description: $desc,
            signatures: &[concat!($name, "(value DOUBLE) -> DOUBLE")],
            return_type: |args| check_args($name, args, &[DataType::Double]).map(|_| DataType::Double),
            eval: |args| {
                let f: fn(f64) -> f64 = $f;
                double_unary(args, f)
            },
        }
    };
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "ABS",
        category: "NUMERIC",
        description: "The absolute value, of the same type.",
        signatures: &["ABS(INT) -> INT", "ABS(BIGINT) -> BIGINT", "ABS(DECIMAL) -> DECIMAL", "ABS(DOUBLE) -> DOUBLE"],
        return_type: |args| same_numeric("ABS", args),
        eval: abs,
    },
    Builtin {
        name: "CEIL",
        category: "NUMERIC",
        description: "The smallest integral value not less than the argument, of the same type.",
        signatures: &["CEIL(INT) -> INT", "CEIL(BIGINT) -> BIGINT", "CEIL(DECIMAL) -> DECIMAL", "CEIL(DOUBLE) -> DOUBLE"],
        return_type: |args| same_numeric("CEIL", args),
        eval: |args| ceil_floor(args, Mode::Ceiling, "CEIL"),
    },
    Builtin {
        name: "FLOOR",
        category: "NUMERIC",
        description: "The largest integral value not greater than the argument, of the same type.",
        signatures: &["FLOOR(INT) -> INT", "FLOOR(BIGINT) -> BIGINT", "FLOOR(DECIMAL) -> DECIMAL", "FLOOR(DOUBLE) -> DOUBLE"],
        return_type: |args| same_numeric("FLOOR", args),
        eval: |args| ceil_floor(args, Mode::Floor, "FLOOR"),
    },
    Builtin {
        name: "ROUND",
        category: "NUMERIC",
        description: "Rounds to the given number of decimal places (default 0; negative rounds left of the point); halves round up.",
        signatures: &[
            "ROUND(BIGINT) -> BIGINT",
            "ROUND(DOUBLE) -> BIGINT",
            "ROUND(DECIMAL(p, s)) -> DECIMAL(p - s + 1, 0)",
            "ROUND(DOUBLE, places INT) -> DOUBLE",
            "ROUND(DECIMAL(p, s), places INT) -> DECIMAL(p, s)",
        ],
        return_type: |args| round_type("ROUND", args),
        eval: |args| round(args, Mode::HalfUp, "ROUND"),
    },
    Builtin {
        name: "TRUNC",
        category: "NUMERIC",
        description: "Truncates towards zero to the given number of decimal places (default 0).",
        signatures: &[
            "TRUNC(BIGINT) -> BIGINT",
            "TRUNC(DOUBLE) -> BIGINT",
            "TRUNC(DECIMAL(p, s)) -> DECIMAL(p - s, 0)",
            "TRUNC(DOUBLE, places INT) -> DOUBLE",
            "TRUNC(DECIMAL(p, s), places INT) -> DECIMAL(p, s)",
        ],
        return_type: |args| round_type("TRUNC", args),
        eval: |args| round(args, Mode::Down, "TRUNC"),
    },
    Builtin {
        name: "SIGN",
        category: "NUMERIC",
        description: "-1, 0 or 1 as the argument is negative, zero or positive.",
        signatures: &["SIGN(INT) -> INT", "SIGN(BIGINT) -> INT", "SIGN(DECIMAL) -> INT", "SIGN(DOUBLE) -> INT"],
        return_type: |args| same_numeric("SIGN", args).map(|_| I),
        eval: sign,
    },
    double_fn!("SQRT", "The square root.", f64::sqrt),
    double_fn!("CBRT", "The cube root.", f64::cbrt),
    double_fn!("EXP", "e raised to the power of the argument.", f64::exp),
    double_fn!("LN", "The natural logarithm.", f64::ln),
    double_fn!("SIN", "The sine of an angle in radians.", f64::sin),
    double_fn!("COS", "The cosine of an angle in radians.", f64::cos),
    double_fn!("TAN", "The tangent of an angle in radians.", f64::tan),
    double_fn!("COT", "The cotangent of an angle in radians.", |x| 1.0 / x.tan()),
    double_fn!("ASIN", "The arc sine, in radians.", f64::asin),
    double_fn!("ACOS", "The arc cosine, in radians.", f64::acos),
    double_fn!("ATAN", "The arc tangent, in radians.", f64::atan),
    double_fn!("SINH", "The hyperbolic sine.", f64::sinh),
    double_fn!("COSH", "The hyperbolic cosine.", f64::cosh),
    double_fn!("TANH", "The hyperbolic tangent.", f64::tanh),
    double_fn!("DEGREES", "Converts radians to degrees.", f64::to_degrees),
    double_fn!("RADIANS", "Converts degrees to radians.", f64::to_radians),
    Builtin {
        name: "LOG",
        category: "NUMERIC",
        description: "The natural logarithm of a value, or its logarithm in the given base (NaN for a base that is not positive or is 1).",
        signatures: &["LOG(value DOUBLE) -> DOUBLE", "LOG(base DOUBLE, value DOUBLE) -> DOUBLE"],
        return_type: |args| check_variants("LOG", args, &[&[D], &[D, D]]).map(|_| D),
        eval: |args| match args.args.len() {
            1 => double_unary(args, f64::ln),
            // As ksqlDB: a base that is not positive, or is 1, has no logarithm.
            2 => double_binary("LOG", args, |b, v| if b <= 0.0 || b == 1.0 { f64::NAN } else { v.ln() / b.ln() }),
            _ => Err(failed("LOG", "LOG takes one or two arguments")),
        },
    },
    Builtin {
        name: "POWER",
        category: "NUMERIC",
        description: "A base raised to an exponent.",
        signatures: &["POWER(base DOUBLE, exponent DOUBLE) -> DOUBLE"],
        return_type: |args| check_args("POWER", args, &[D, D]).map(|_| D),
        eval: |args| double_binary("POWER", args, f64::powf),
    },
    Builtin {
        name: "ATAN2",
        category: "NUMERIC",
        description: "The angle of the point (x, y), in radians.",
        signatures: &["ATAN2(y DOUBLE, x DOUBLE) -> DOUBLE"],
        return_type: |args| check_args("ATAN2", args, &[D, D]).map(|_| D),
        eval: |args| double_binary("ATAN2", args, f64::atan2),
    },
    Builtin {
        name: "PI",
        category: "NUMERIC",
        description: "The constant pi.",
        signatures: &["PI() -> DOUBLE"],
        return_type: |args| check_args("PI", args, &[]).map(|_| D),
        eval: |args| Ok(Arc::new(Float64Array::from_value(std::f64::consts::PI, args.rows))),
    },
    Builtin {
        name: "RANDOM",
        category: "NUMERIC",
        description: "A random DOUBLE in [0, 1).",
        signatures: &["RANDOM() -> DOUBLE"],
        return_type: |args| check_args("RANDOM", args, &[]).map(|_| D),
        eval: |args| Ok(Arc::new(Float64Array::from_iter_values((0..args.rows).map(|_| random())))),
    },
    Builtin {
        name: "GREATEST",
        category: "NUMERIC",
        description: "The largest of the arguments, ignoring NULLs; strings among DATE, TIME or TIMESTAMP arguments are read as that type.",
        signatures: &["GREATEST(T, T, ...) -> T"],
        return_type: |args| extreme_type("GREATEST", args),
        eval: |args| extreme(args, Ordering::Greater),
    },
    Builtin {
        name: "LEAST",
        category: "NUMERIC",
        description: "The smallest of the arguments, ignoring NULLs; strings among DATE, TIME or TIMESTAMP arguments are read as that type.",
        signatures: &["LEAST(T, T, ...) -> T"],
        return_type: |args| extreme_type("LEAST", args),
        eval: |args| extreme(args, Ordering::Less),
    },
    Builtin {
        name: "GENERATE_SERIES",
        category: "NUMERIC",
        description: "The integers from start to end inclusive, by step (default 1 or -1).",
        signatures: &[
            "GENERATE_SERIES(start INT, end INT) -> ARRAY<INT>",
            "GENERATE_SERIES(start INT, end INT, step INT) -> ARRAY<INT>",
            "GENERATE_SERIES(start BIGINT, end BIGINT) -> ARRAY<BIGINT>",
            "GENERATE_SERIES(start BIGINT, end BIGINT, step BIGINT) -> ARRAY<BIGINT>",
        ],
        return_type: |args| {
            check_variants("GENERATE_SERIES", args, &[&[I, I], &[I, I, I], &[L, L], &[L, L, L]])
                .map(|i| DataType::Array(Box::new(if i < 2 { I } else { L })))
        },
        eval: generate_series,
    },
    Builtin {
        name: "GEO_DISTANCE",
        category: "NUMERIC",
        description: "The great-circle distance between two latitude/longitude points, in KM (default, also for a NULL or blank unit) or MI.",
        signatures: &[
            "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) -> DOUBLE",
            "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, unit STRING) -> DOUBLE",
        ],
        return_type: |args| {
            check_variants("GEO_DISTANCE", args, &[&[D, D, D, D], &[D, D, D, D, DataType::String]]).map(|_| D)
        },
        eval: geo_distance_column,
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    fn d(v: f64) -> Value {
        Value::Double(v)
    }

    fn dt(p: u8, s: u8) -> DataType {
        DataType::Decimal { precision: p, scale: s }
    }

    fn approx(v: Value, want: f64) {
        match v {
            Value::Double(x) => assert!((x - want).abs() < 1e-9, "{x} != {want}"),
            other => panic!("not a double: {other:?}"),
        }
    }

    #[test]
    fn abs_keeps_type() {
        assert_eq!(call("ABS", vec![Value::Int(-3)]), Value::Int(3));
        assert_eq!(call("ABS", vec![Value::BigInt(-3)]), Value::BigInt(3));
        assert_eq!(call("ABS", vec![d(-2.5)]), d(2.5));
        assert_eq!(call("ABS", vec![dec("-1.50")]), dec("1.50"));
        assert_eq!(ret("ABS", &[DataType::Int]), Ok(DataType::Int));
        assert_eq!(ret("ABS", &[dt(4, 2)]), Ok(dt(4, 2)));
        assert_eq!(call_typed("ABS", &[DataType::Int], vec![N]).0, N);
        let err = ret("ABS", &[DataType::String]).unwrap_err();
        assert!(err.starts_with("function ABS does not accept parameters (STRING)"), "{err}");
        assert!(err.contains("ABS(DOUBLE)"));
        // A narrower value than declared (the planner widened INT to BIGINT).
        assert_eq!(call_typed("ABS", &[DataType::BigInt], vec![Value::Int(-4)]).0, Value::BigInt(4));
    }

    #[test]
    fn ceil_floor() {
        assert_eq!(call("CEIL", vec![d(1.2)]), d(2.0));
        assert_eq!(call("CEIL", vec![d(-1.2)]), d(-1.0));
        assert_eq!(call("FLOOR", vec![d(-1.2)]), d(-2.0));
        assert_eq!(call("CEIL", vec![Value::Int(5)]), Value::Int(5));
        assert_eq!(call("CEIL", vec![dec("1.20")]), dec("2.00"));
        assert_eq!(call("CEIL", vec![dec("-1.20")]), dec("-1.00"));
        assert_eq!(call("FLOOR", vec![dec("-1.20")]), dec("-2.00"));
        assert_eq!(call("FLOOR", vec![dec("1.99")]), dec("1.00"));
        assert!(ret("FLOOR", &[DataType::Boolean]).is_err());
    }

    #[test]
    fn round_follows_java() {
        assert_eq!(call("ROUND", vec![d(1.5)]), Value::BigInt(2));
        assert_eq!(call("ROUND", vec![d(-1.5)]), Value::BigInt(-1));
        assert_eq!(call("ROUND", vec![d(-1.6)]), Value::BigInt(-2));
        assert_eq!(call("ROUND", vec![d(2.4)]), Value::BigInt(2));
        assert_eq!(call("ROUND", vec![Value::Int(7)]), Value::BigInt(7));
        assert_eq!(call("ROUND", vec![d(1.255), Value::Int(2)]), d(1.26));
        assert_eq!(call("ROUND", vec![d(-1.255), Value::Int(2)]), d(-1.25));
        assert_eq!(call("ROUND", vec![d(1234.5), Value::Int(-2)]), d(1200.0));
        assert_eq!(call("ROUND", vec![d(f64::NAN), Value::Int(2)]).to_string(), "NaN");
        assert_eq!(ret("ROUND", &[dt(5, 2)]), Ok(dt(4, 0)));
        assert_eq!(call("ROUND", vec![dec("123.45")]), dec("123"));
        assert_eq!(call("ROUND", vec![dec("123.50")]), dec("124"));
        assert_eq!(call("ROUND", vec![dec("-123.50")]), dec("-123"));
        assert_eq!(call("ROUND", vec![dec("-123.51")]), dec("-124"));
        assert_eq!(ret("ROUND", &[dt(5, 3), DataType::Int]), Ok(dt(5, 3)));
        assert_eq!(call("ROUND", vec![dec("12.345"), Value::Int(1)]), dec("12.300"));
        assert_eq!(call("ROUND", vec![dec("12.345"), Value::Int(-1)]), dec("10.000"));
        assert_eq!(call("ROUND", vec![Value::Int(1250), Value::Int(-2)]), dec("1300"));
        assert_eq!(call_typed("ROUND", &[DataType::Double, DataType::Int], vec![d(1.5), N]).0, N);
        assert!(ret("ROUND", &[DataType::Double, DataType::Double]).unwrap_err().contains("ROUND(DOUBLE, INT)"));
        assert!(ret("ROUND", &[DataType::String]).is_err());
    }

    #[test]
    fn trunc() {
        assert_eq!(call("TRUNC", vec![d(1.9)]), Value::BigInt(1));
        assert_eq!(call("TRUNC", vec![d(-1.9)]), Value::BigInt(-1));
        assert_eq!(call("TRUNC", vec![d(1.999), Value::Int(2)]), d(1.99));
        assert_eq!(call("TRUNC", vec![d(-1.999), Value::Int(2)]), d(-1.99));
        assert_eq!(call("TRUNC", vec![dec("12.345")]), dec("12"));
        assert_eq!(call("TRUNC", vec![dec("12.345"), Value::Int(2)]), dec("12.340"));
        assert_eq!(call("TRUNC", vec![Value::BigInt(9)]), Value::BigInt(9));
    }

    #[test]
    fn sign() {
        assert_eq!(call("SIGN", vec![Value::Int(-5)]), Value::Int(-1));
        assert_eq!(call("SIGN", vec![d(0.0)]), Value::Int(0));
        assert_eq!(call("SIGN", vec![dec("0.01")]), Value::Int(1));
        assert_eq!(call("SIGN", vec![Value::BigInt(7)]), Value::Int(1));
        assert_eq!(call("SIGN", vec![d(f64::NAN)]), Value::Int(0));
    }

    #[test]
    fn double_functions() {
        assert_eq!(call("SQRT", vec![Value::Int(16)]), d(4.0));
        assert_eq!(call("SQRT", vec![d(-1.0)]).to_string(), "NaN");
        assert_eq!(call("CBRT", vec![d(27.0)]), d(3.0));
        approx(call("EXP", vec![Value::Int(1)]), std::f64::consts::E);
        approx(call("LN", vec![d(std::f64::consts::E)]), 1.0);
        assert_eq!(call("LN", vec![d(0.0)]), d(f64::NEG_INFINITY));
        approx(call("LOG", vec![d(100.0)]), 100f64.ln());
        approx(call("LOG", vec![Value::Int(10), Value::Int(1000)]), 3.0);
        approx(call("LOG", vec![Value::Int(2), d(8.0)]), 3.0);
        assert_eq!(call("POWER", vec![Value::Int(2), Value::Int(10)]), d(1024.0));
        approx(call("POWER", vec![d(4.0), d(0.5)]), 2.0);
        approx(call("SIN", vec![d(std::f64::consts::FRAC_PI_2)]), 1.0);
        approx(call("COS", vec![d(0.0)]), 1.0);
        approx(call("TAN", vec![d(std::f64::consts::FRAC_PI_4)]), 1.0);
        approx(call("COT", vec![d(std::f64::consts::FRAC_PI_4)]), 1.0);
        approx(call("ASIN", vec![d(1.0)]), std::f64::consts::FRAC_PI_2);
        approx(call("ACOS", vec![d(1.0)]), 0.0);
        approx(call("ATAN", vec![d(1.0)]), std::f64::consts::FRAC_PI_4);
        approx(call("ATAN2", vec![d(1.0), d(1.0)]), std::f64::consts::FRAC_PI_4);
        approx(call("SINH", vec![d(0.0)]), 0.0);
        approx(call("COSH", vec![d(0.0)]), 1.0);
        approx(call("TANH", vec![d(0.0)]), 0.0);
        approx(call("DEGREES", vec![d(std::f64::consts::PI)]), 180.0);
        approx(call("RADIANS", vec![Value::Int(180)]), std::f64::consts::PI);
        approx(call("PI", vec![]), std::f64::consts::PI);
        assert_eq!(call("SQRT", vec![dec("2.25")]), d(1.5));
        assert_eq!(call_typed("SQRT", &[DataType::Double], vec![N]).0, N);
        let err = ret("SQRT", &[DataType::String]).unwrap_err();
        assert!(err.contains("SQRT(DOUBLE)"), "{err}");
        assert!(ret("PI", &[DataType::Int]).is_err());
    }

    #[test]
    fn random_is_in_range() {
        let (out, _) = call_cols("RANDOM", &[], vec![]);
        for v in out {
            let x = v.as_f64().unwrap_or(-1.0);
            assert!((0.0..1.0).contains(&x), "{x}");
        }
        assert_ne!(call("RANDOM", vec![]), call("RANDOM", vec![]));
    }

    #[test]
    fn greatest_least() {
        assert_eq!(call("GREATEST", vec![Value::Int(1), Value::Int(5), Value::Int(3)]), Value::Int(5));
        assert_eq!(call("LEAST", vec![Value::Int(1), Value::Int(5), Value::Int(3)]), Value::Int(1));
        assert_eq!(call("GREATEST", vec![Value::Int(1), d(2.5)]), d(2.5));
        assert_eq!(call("GREATEST", vec![Value::Int(3), d(2.5)]), d(3.0));
        assert_eq!(call("LEAST", vec![s("b"), s("a")]), s("a"));
        let t = [DataType::Int, DataType::Int];
        assert_eq!(call_typed("GREATEST", &t, vec![N, Value::Int(2)]).0, Value::Int(2));
        assert_eq!(call_typed("GREATEST", &t, vec![N, N]).0, N);
        assert_eq!(ret("GREATEST", &[DataType::Int, DataType::BigInt]), Ok(DataType::BigInt));
        assert_eq!(
            call_typed("GREATEST", &[DataType::Int, DataType::BigInt], vec![Value::Int(9), Value::BigInt(2)]).0,
            Value::BigInt(9)
        );
        assert!(ret("GREATEST", &[DataType::Int, DataType::String]).unwrap_err().contains("GREATEST(T, T, ...)"));
        assert!(ret("LEAST", &[DataType::Boolean]).is_err());
    }

    #[test]
    fn generate_series() {
        assert_eq!(
            call("GENERATE_SERIES", vec![Value::Int(1), Value::Int(3)]),
            arr(vec![Value::Int(1), Value::Int(2), Value::Int(3)])
        );
        assert_eq!(
            call("GENERATE_SERIES", vec![Value::Int(3), Value::Int(1)]),
            arr(vec![Value::Int(3), Value::Int(2), Value::Int(1)])
        );
        assert_eq!(
            call("GENERATE_SERIES", vec![Value::Int(0), Value::Int(9), Value::Int(4)]),
            arr(vec![Value::Int(0), Value::Int(4), Value::Int(8)])
        );
        assert_eq!(call("GENERATE_SERIES", vec![Value::BigInt(5), Value::BigInt(5)]), arr(vec![Value::BigInt(5)]));
        assert_eq!(ret("GENERATE_SERIES", &[DataType::Int, DataType::BigInt]), Ok(arr_of(DataType::BigInt)));
        let (v, e) = call_row("GENERATE_SERIES", vec![Value::Int(1), Value::Int(5), Value::Int(0)]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("cannot be zero"));
        let (_, e) = call_row("GENERATE_SERIES", vec![Value::Int(1), Value::Int(5), Value::Int(-1)]);
        assert!(e.errors[0].1.contains("wrong sign"));
        let (_, e) = call_row("GENERATE_SERIES", vec![Value::BigInt(0), Value::BigInt(i64::MAX)]);
        assert!(e.errors[0].1.contains("limit"));
        assert!(ret("GENERATE_SERIES", &[DataType::Double, DataType::Double]).is_err());
    }

    #[test]
    fn geo_distance() {
        let (v, _) = call_row("GEO_DISTANCE", vec![d(37.4439), d(-122.1663), d(51.5257), d(-0.1122)]);
        let km = v.as_f64().unwrap_or_default();
        assert!((km - 8634.6).abs() < 1.0, "{km}");
        let (v, _) = call_row("GEO_DISTANCE", vec![d(37.4439), d(-122.1663), d(51.5257), d(-0.1122), s("mi")]);
        let mi = v.as_f64().unwrap_or_default();
        assert!((mi - 5365.0).abs() < 2.0, "{mi}");
        let (v, e) = call_row("GEO_DISTANCE", vec![d(91.0), d(0.0), d(0.0), d(0.0)]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("latitude"));
        let (_, e) = call_row("GEO_DISTANCE", vec![d(1.0), d(0.0), d(0.0), d(0.0), s("parsec")]);
        assert!(e.errors[0].1.contains("KM or MI"));
    }

    #[test]
    fn constant_arguments() {
        let (out, e) = call_scalars("ROUND", &[DataType::Double, DataType::Int], vec![d(1.255), Value::Int(2)], 3);
        assert_eq!(out, vec![d(1.26); 3]);
        assert!(e.is_empty());
        assert_eq!(call_scalars("ROUND", &[DataType::Double, DataType::Int], vec![d(1.5), N], 3).0, vec![N; 3]);
        assert_eq!(call_scalars("ROUND", &[DataType::Double], vec![d(-1.5)], 3).0, vec![Value::BigInt(-1); 3]);
        let (out, _) = call_scalars("ROUND", &[dt(5, 3), DataType::Int], vec![dec("12.345"), Value::Int(1)], 3);
        assert_eq!(out, vec![dec("12.300"); 3]);
        assert_eq!(
            call_scalars("ABS", &[DataType::Int], vec![Value::Int(i32::MIN)], 3).0,
            vec![Value::Int(i32::MIN); 3]
        );
        assert_eq!(call_scalars("CEIL", &[dt(4, 2)], vec![dec("-1.20")], 3).0, vec![dec("-1.00"); 3]);
        assert_eq!(call_scalars("SIGN", &[DataType::Int], vec![N], 3).0, vec![N; 3]);
        assert_eq!(
            call_scalars("POWER", &[DataType::Double, DataType::Int], vec![d(2.0), Value::Int(10)], 3).0,
            vec![d(1024.0); 3]
        );
        assert_eq!(call_scalars("SQRT", &[DataType::Int], vec![Value::Int(16)], 3).0, vec![d(4.0); 3]);
        assert_eq!(call_scalars("PI", &[], vec![], 3).0, vec![d(std::f64::consts::PI); 3]);
        assert_eq!(
            call_scalars("GREATEST", &[DataType::Int, DataType::Double], vec![Value::Int(3), d(2.5)], 3).0,
            vec![d(3.0); 3]
        );
        assert_eq!(
            call_scalars("LEAST", &[DataType::Int, DataType::Null], vec![Value::Int(3), N], 3).0,
            vec![Value::Int(3); 3]
        );
        let (out, _) =
            call_scalars("GENERATE_SERIES", &[DataType::Int, DataType::Int], vec![Value::Int(1), Value::Int(2)], 3);
        assert_eq!(out, vec![arr(vec![Value::Int(1), Value::Int(2)]); 3]);
        let four = vec![DataType::Double, DataType::Double, DataType::Double, DataType::Double];
        let (out, e) = call_scalars("GEO_DISTANCE", &four, vec![d(91.0), d(0.0), d(0.0), d(0.0)], 3);
        assert_eq!(out, vec![N; 3]);
        assert_eq!(e.errors.len(), 3);
    }

    #[test]
    fn round_with_a_column_of_places() {
        let (out, _) = call_cols(
            "ROUND",
            &[DataType::Double, DataType::Int],
            vec![vec![d(1.255), d(2.5), d(7.23456)], vec![Value::Int(2), N, Value::Int(3)]],
        );
        assert_eq!(out, vec![d(1.26), N, d(7.235)]);
        let values = vec![dec("12.345"), dec("-12.345"), dec("1.005"), N];
        let (out, _) = call_cols(
            "ROUND",
            &[dt(6, 3), DataType::Int],
            vec![values, vec![Value::Int(2), Value::Int(-1), N, Value::Int(1)]],
        );
        assert_eq!(out, vec![dec("12.350"), dec("-10.000"), N, N]);
        let (out, _) = call_cols(
            "TRUNC",
            &[DataType::BigInt, DataType::Int],
            vec![vec![Value::BigInt(-1299)], vec![Value::Int(-2)]],
        );
        assert_eq!(out, vec![dec("-1200")]);
        let (v, e) = call_typed("ROUND", &[dt(3, 1), DataType::Int], vec![dec("99.9"), Value::Int(-60)]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("overflows"), "{e:?}");
    }

    #[test]
    fn round_double_fast_path_matches_the_decimal_route() {
        use super::{round_decimal, round_double, Mode};
        use wasp_sql::value::Decimal;
        let exact = |v: f64, places: i32, mode: Mode| {
            Decimal::parse(&format!("{v}")).and_then(|d| round_decimal(d, places, mode)).map(|d| d.to_f64())
        };
        let mut scratch = String::new();
        for i in -5_000i32..5_000 {
            let k = f64::from(i);
            for v in
                [k / 1000.0 * 1.1, 10.0 + k / 10.0 * 1.1, k * 0.005, (k + 0.5) / 100.0, 2e7 + k * 0.005, k * 1.1e-3]
            {
                for places in 0..4 {
                    for mode in [Mode::HalfUp, Mode::Down, Mode::Ceiling, Mode::Floor] {
                        let got = round_double(v, places, 10f64.powi(places), mode, &mut scratch);
                        if let Some(want) = exact(v, places, mode) {
                            assert!(
                                got == want && got.is_sign_negative() == want.is_sign_negative(),
                                "{v} {places} {mode:?}: {got} != {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn decimal_rounding_plan_matches_the_general_route() {
        use super::{DecimalRounding, Mode, RoundError};
        let values = [
            0i128,
            1,
            -1,
            5,
            -5,
            15,
            -15,
            12345,
            -12345,
            99999,
            -99999,
            10i128.pow(37) - 1,
            -(10i128.pow(37)),
            1 << 100,
        ];
        for in_scale in [0u8, 1, 3, 6] {
            for places in -4..8 {
                for out_scale in [0u8, in_scale] {
                    for mode in [Mode::HalfUp, Mode::Down, Mode::Ceiling, Mode::Floor] {
                        let r = DecimalRounding::new(mode, in_scale, places, out_scale);
                        for v in values {
                            let key = |x: Result<i128, RoundError>| match x {
                                Ok(v) => Ok(v),
                                Err(RoundError::Rounding) => Err(None),
                                Err(RoundError::Fitting(d)) => Err(Some(d)),
                            };
                            assert_eq!(
                                key(r.apply(v)),
                                key(r.general(v)),
                                "{v} {in_scale} {places} {out_scale} {mode:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn round_decimal_edges() {
        use super::{round_decimal, Mode};
        use wasp_sql::value::Decimal;
        let d = |s: &str| Decimal::parse(s).unwrap_or(Decimal::new(0, 0));
        assert_eq!(round_decimal(d("0.5"), 0, Mode::HalfUp), Some(d("1")));
        assert_eq!(round_decimal(d("-0.5"), 0, Mode::HalfUp), Some(d("0")));
        assert_eq!(round_decimal(d("1.23"), 5, Mode::HalfUp), Some(d("1.23")));
        assert_eq!(round_decimal(d("-1.21"), 1, Mode::Ceiling), Some(d("-1.2")));
        assert_eq!(round_decimal(d("-1.21"), 1, Mode::Floor), Some(d("-1.3")));
        assert_eq!(round_decimal(d("99.9"), -60, Mode::HalfUp), None);
    }
}
