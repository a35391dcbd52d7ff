//! Numeric functions. Integer and decimal inputs keep their type where ksqlDB keeps it
//! (`ABS(INT)` is an `INT`); everything else computes in `DOUBLE`. Rounding follows
//! ksqlDB, which follows Java's `Math.round`: halves round towards positive infinity.

use wasp_sql::value::Decimal;
use wasp_sql::{DataType, Value};

use super::{check_args, check_variants, coerce, common_of, decimal, float, int, is_orderable, reject, text, Builtin};
use crate::udf::{per_row, per_row_strict};

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
    let half = |r: i128| r.unsigned_abs().saturating_mul(2).cmp(&factor.unsigned_abs());
    let q = match mode {
        Mode::Down => q,
        Mode::Ceiling => q + i128::from(r > 0),
        Mode::Floor => q - i128::from(r < 0),
        Mode::HalfUp if d.unscaled > 0 => q + i128::from(half(r).is_ge()),
        Mode::HalfUp => q - i128::from(half(r).is_gt()),
    };
    if places >= 0 {
        Some(Decimal::new(q, places as u8))
    } else {
        let up = 10i128.checked_pow(places.unsigned_abs())?;
        Some(Decimal::new(q.checked_mul(up)?, 0))
    }
}

/// Rounds a double through its shortest decimal representation, as ksqlDB does with
/// `BigDecimal.valueOf(double)`.
fn round_double(v: f64, places: i32, mode: Mode) -> f64 {
    if !v.is_finite() {
        return v;
    }
    // Fast path: away from a rounding boundary, binary arithmetic rounds the same way
    // the decimal text does. Only near a boundary (x.5 at the last place, where the
    // double's binary value and its shortest decimal text may disagree) is the exact
    // decimal route taken.
    if (0..=15).contains(&places) && v.abs() < 1e15 {
        let m = 10f64.powi(places);
        let x = v * m;
        let frac = x - x.floor();
        let near_half = (frac - 0.5).abs() < 1e-6;
        let near_whole = !(1e-6..=1.0 - 1e-6).contains(&frac);
        if !near_half && !near_whole {
            let r = match mode {
                Mode::HalfUp => x.round(),
                Mode::Down => x.trunc(),
                Mode::Ceiling => x.ceil(),
                Mode::Floor => x.floor(),
            };
            return r / m;
        }
    }
    match Decimal::parse(&format!("{v}")).and_then(|d| round_decimal(d, places, mode)) {
        Some(d) => d.to_f64(),
        None => {
            let m = 10f64.powi(places);
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

/// The type rule shared by ROUND and TRUNC.
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
                Ok(DataType::Decimal { precision: (precision - scale + 1).clamp(1, 38), scale: 0 })
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

/// The body shared by ROUND and TRUNC.
fn round_row(row: &[Value], arg: &DataType, ret: &DataType, mode: Mode) -> Result<Value, String> {
    let places = match row.get(1) {
        Some(p) => i32::try_from(int(p)?).map_err(|_| format!("{p:?} decimal places is out of range"))?,
        None => 0,
    };
    match ret {
        DataType::BigInt => match arg {
            DataType::Double => {
                let v = float(&row[0])?;
                Ok(Value::BigInt(if mode == Mode::HalfUp { java_round(v) } else { v as i64 }))
            }
            _ => Ok(Value::BigInt(int(&row[0])?)),
        },
        DataType::Double => Ok(Value::Double(round_double(float(&row[0])?, places, mode))),
        DataType::Decimal { scale, .. } => {
            let d = decimal(&row[0])?;
            let r =
                round_decimal(d, places, mode).ok_or_else(|| format!("{d} rounded to {places} places overflows"))?;
            // ksqlDB keeps the declared scale of the result type.
            r.rescale(*scale).map(Value::Decimal).ok_or_else(|| format!("{r} does not fit {ret}"))
        }
        other => Err(format!("internal: unexpected return type {other}")),
    }
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

fn ceil_floor(row: &[Value], ret: &DataType, mode: Mode) -> Result<Value, String> {
    Ok(match ret {
        DataType::Int | DataType::BigInt => coerce(row[0].clone(), ret),
        DataType::Decimal { scale, .. } => {
            let d = decimal(&row[0])?;
            let r = round_decimal(d, 0, mode).and_then(|r| r.rescale(*scale));
            Value::Decimal(r.ok_or_else(|| format!("{d} overflows {ret}"))?)
        }
        _ => {
            let v = float(&row[0])?;
            Value::Double(if mode == Mode::Ceiling { v.ceil() } else { v.floor() })
        }
    })
}

/// GREATEST and LEAST: the common type of every argument, NULLs ignored.
fn extreme_type(name: &str, args: &[DataType]) -> Result<DataType, String> {
    match common_of(args) {
        Some(t) if !args.is_empty() && is_orderable(&t) && t != DataType::Boolean => Ok(t),
        _ => Err(reject(
            name,
            args,
            &[&format!("{name}(T, T, ...) for T a number, STRING, BYTES, DATE, TIME or TIMESTAMP")],
        )),
    }
}

fn extreme(row: &[Value], ret: &DataType, want: std::cmp::Ordering) -> Result<Value, String> {
    let mut best: Option<&Value> = None;
    for v in row.iter().filter(|v| !v.is_null()) {
        best = match best {
            Some(b) if v.sql_cmp(b) != Some(want) => Some(b),
            _ => Some(v),
        };
    }
    Ok(best.map_or(Value::Null, |v| coerce(v.clone(), ret)))
}

/// GENERATE_SERIES never builds more elements than this in one row.
const MAX_SERIES: i128 = 1_000_000;

fn series(row: &[Value], ret: &DataType) -> Result<Value, String> {
    let start = int(&row[0])?;
    let end = int(&row[1])?;
    let step = match row.get(2) {
        Some(s) => int(s)?,
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
    let int_elems = *ret == DataType::Array(Box::new(I));
    let items = (0..count as i64)
        .map(|i| {
            let v = start + i * step;
            if int_elems {
                Value::Int(v as i32)
            } else {
                Value::BigInt(v)
            }
        })
        .collect();
    Ok(Value::Array(items))
}

/// A uniformly distributed double in [0, 1) from the operating system's generator.
fn random() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() >> 75;
    bits as f64 / (1u64 << 53) as f64
}

fn geo_distance(row: &[Value]) -> Result<Value, String> {
    let (lat1, lon1, lat2, lon2) = (float(&row[0])?, float(&row[1])?, float(&row[2])?, float(&row[3])?);
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
    let radius = match row.get(4).map(text).transpose()?.map(str::to_ascii_uppercase).as_deref() {
        None | Some("KM" | "KILOMETER" | "KILOMETERS" | "KILOMETRE" | "KILOMETRES") => 6371.0,
        Some("MI" | "MILE" | "MILES") => 3959.0,
        Some(other) => return Err(format!("GEO_DISTANCE unit must be KM or MI, got '{other}'")),
    };
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    Ok(Value::Double(2.0 * radius * a.sqrt().asin()))
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
                Ok(per_row_strict(args, |row| Ok(Value::Double(f(float(&row[0])?)))))
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
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row_strict(args, |row| {
                Ok(match (&ret, coerce(row[0].clone(), &ret)) {
                    (_, Value::Int(v)) => Value::Int(v.wrapping_abs()),
                    (_, Value::BigInt(v)) => Value::BigInt(v.wrapping_abs()),
                    (_, Value::Decimal(d)) => Value::Decimal(Decimal::new(d.unscaled.abs(), d.scale)),
                    (_, v) => Value::Double(float(&v)?.abs()),
                })
            }))
        },
    },
    Builtin {
        name: "CEIL",
        category: "NUMERIC",
        description: "The smallest integral value not less than the argument, of the same type.",
        signatures: &["CEIL(INT) -> INT", "CEIL(BIGINT) -> BIGINT", "CEIL(DECIMAL) -> DECIMAL", "CEIL(DOUBLE) -> DOUBLE"],
        return_type: |args| same_numeric("CEIL", args),
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row_strict(args, |row| ceil_floor(row, &ret, Mode::Ceiling)))
        },
    },
    Builtin {
        name: "FLOOR",
        category: "NUMERIC",
        description: "The largest integral value not greater than the argument, of the same type.",
        signatures: &["FLOOR(INT) -> INT", "FLOOR(BIGINT) -> BIGINT", "FLOOR(DECIMAL) -> DECIMAL", "FLOOR(DOUBLE) -> DOUBLE"],
        return_type: |args| same_numeric("FLOOR", args),
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row_strict(args, |row| ceil_floor(row, &ret, Mode::Floor)))
        },
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
        eval: |args| {
            let (arg, ret) = (args.arg_types[0].clone(), args.return_type.clone());
            Ok(per_row_strict(args, |row| round_row(row, &arg, &ret, Mode::HalfUp)))
        },
    },
    Builtin {
        name: "TRUNC",
        category: "NUMERIC",
        description: "Truncates towards zero to the given number of decimal places (default 0).",
        signatures: &[
            "TRUNC(BIGINT) -> BIGINT",
            "TRUNC(DOUBLE) -> BIGINT",
            "TRUNC(DECIMAL(p, s)) -> DECIMAL(p - s + 1, 0)",
            "TRUNC(DOUBLE, places INT) -> DOUBLE",
            "TRUNC(DECIMAL(p, s), places INT) -> DECIMAL(p, s)",
        ],
        return_type: |args| round_type("TRUNC", args),
        eval: |args| {
            let (arg, ret) = (args.arg_types[0].clone(), args.return_type.clone());
            Ok(per_row_strict(args, |row| round_row(row, &arg, &ret, Mode::Down)))
        },
    },
    Builtin {
        name: "SIGN",
        category: "NUMERIC",
        description: "-1, 0 or 1 as the argument is negative, zero or positive.",
        signatures: &["SIGN(INT) -> INT", "SIGN(BIGINT) -> INT", "SIGN(DECIMAL) -> INT", "SIGN(DOUBLE) -> INT"],
        return_type: |args| same_numeric("SIGN", args).map(|_| I),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                let sign = match &row[0] {
                    Value::Decimal(d) => d.unscaled.signum() as i32,
                    v => match v.as_i64() {
                        Some(i) => i.signum() as i32,
                        None => {
                            let f = float(v)?;
                            if f > 0.0 {
                                1
                            } else if f < 0.0 {
                                -1
                            } else {
                                0
                            }
                        }
                    },
                };
                Ok(Value::Int(sign))
            }))
        },
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
        description: "The natural logarithm of a value, or its logarithm in the given base.",
        signatures: &["LOG(value DOUBLE) -> DOUBLE", "LOG(base DOUBLE, value DOUBLE) -> DOUBLE"],
        return_type: |args| check_variants("LOG", args, &[&[D], &[D, D]]).map(|_| D),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                Ok(Value::Double(match row {
                    [v] => float(v)?.ln(),
                    [b, v] => float(v)?.ln() / float(b)?.ln(),
                    _ => return Err("LOG takes one or two arguments".into()),
                }))
            }))
        },
    },
    Builtin {
        name: "POWER",
        category: "NUMERIC",
        description: "A base raised to an exponent.",
        signatures: &["POWER(base DOUBLE, exponent DOUBLE) -> DOUBLE"],
        return_type: |args| check_args("POWER", args, &[D, D]).map(|_| D),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::Double(float(&row[0])?.powf(float(&row[1])?))))),
    },
    Builtin {
        name: "ATAN2",
        category: "NUMERIC",
        description: "The angle of the point (x, y), in radians.",
        signatures: &["ATAN2(y DOUBLE, x DOUBLE) -> DOUBLE"],
        return_type: |args| check_args("ATAN2", args, &[D, D]).map(|_| D),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::Double(float(&row[0])?.atan2(float(&row[1])?))))),
    },
    Builtin {
        name: "PI",
        category: "NUMERIC",
        description: "The constant pi.",
        signatures: &["PI() -> DOUBLE"],
        return_type: |args| check_args("PI", args, &[]).map(|_| D),
        eval: |args| Ok(vec![Value::Double(std::f64::consts::PI); args.rows]),
    },
    Builtin {
        name: "RANDOM",
        category: "NUMERIC",
        description: "A random DOUBLE in [0, 1).",
        signatures: &["RANDOM() -> DOUBLE"],
        return_type: |args| check_args("RANDOM", args, &[]).map(|_| D),
        eval: |args| Ok((0..args.rows).map(|_| Value::Double(random())).collect()),
    },
    Builtin {
        name: "GREATEST",
        category: "NUMERIC",
        description: "The largest of the arguments, ignoring NULLs.",
        signatures: &["GREATEST(T, T, ...) -> T"],
        return_type: |args| extreme_type("GREATEST", args),
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row(args, |row| extreme(row, &ret, std::cmp::Ordering::Greater)))
        },
    },
    Builtin {
        name: "LEAST",
        category: "NUMERIC",
        description: "The smallest of the arguments, ignoring NULLs.",
        signatures: &["LEAST(T, T, ...) -> T"],
        return_type: |args| extreme_type("LEAST", args),
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row(args, |row| extreme(row, &ret, std::cmp::Ordering::Less)))
        },
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
        eval: |args| {
            let ret = args.return_type.clone();
            Ok(per_row_strict(args, |row| series(row, &ret)))
        },
    },
    Builtin {
        name: "GEO_DISTANCE",
        category: "NUMERIC",
        description: "The great-circle distance between two latitude/longitude points, in KM (default) or MI.",
        signatures: &[
            "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) -> DOUBLE",
            "GEO_DISTANCE(lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE, unit STRING) -> DOUBLE",
        ],
        return_type: |args| {
            check_variants("GEO_DISTANCE", args, &[&[D, D, D, D], &[D, D, D, D, DataType::String]]).map(|_| D)
        },
        eval: |args| Ok(per_row_strict(args, geo_distance)),
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
