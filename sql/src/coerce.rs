//! Implicit coercion, as ksqlDB does it when binding.
//!
//! - Lists the user writes (`x IN (...)`, `ARRAY[...]`, the keys and the values of
//!   `MAP(...)`) get one common type, found in order from the first non-NULL item:
//!   numbers widen, structs take the union of their fields, and literals are lax: a
//!   string literal may stand for a number or a boolean (`'4.000'`, `'yes'`), and a
//!   number or boolean literal for a string. Literals are converted when the query is
//!   bound, so a string that is no number fails the statement, not the rows.
//! - A string literal compared with `ROWTIME` is a (partial) timestamp: `ROWTIME >=
//!   '2020-01'` compares with the epoch milliseconds of 2020-01-01T00:00:00.000 UTC.

use crate::ast::{Expr, Literal};
use crate::error::SqlError;
use crate::expr::BoundExpr;
use crate::plan::Binder;
use crate::types::{DataType, StructField};
use crate::value::{Decimal, Value};

/// The common type of a user-written list, or `None` when it is empty or all NULL.
pub(crate) fn common_type(binder: &Binder<'_>, items: &[(&Expr, DataType)]) -> Result<Option<DataType>, SqlError> {
    let mut common: Option<DataType> = None;
    for (expr, t) in items {
        common = match common {
            None => (*t != DataType::Null).then(|| t.clone()),
            Some(target) => Some(resolve(binder, &target, expr, t)?),
        };
    }
    Ok(common)
}

/// `bound` (of `expr`) converted to `common`: literals now, other expressions by a CAST.
pub(crate) fn convert(expr: &Expr, bound: BoundExpr, common: &DataType) -> Result<BoundExpr, SqlError> {
    let t = bound.data_type();
    if t == *common || t == DataType::Null {
        return Ok(bound.cast_to(common));
    }
    if let (Expr::Literal(Literal::String(s)), BoundExpr::Literal { .. }) = (strip(expr), &bound) {
        if let Some(v) = parse_literal(s, common).map_err(|e| SqlError::type_error(expr.pos(), e))? {
            return Ok(BoundExpr::Literal { value: v, data_type: common.clone() });
        }
    }
    Ok(bound.cast_to(common))
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip(inner),
        other => other,
    }
}

/// The common type of `target` and the item `expr` of type `t`.
fn resolve(binder: &Binder<'_>, target: &DataType, expr: &Expr, t: &DataType) -> Result<DataType, SqlError> {
    if *t == DataType::Null {
        return Ok(target.clone());
    }
    let mismatch = || {
        SqlError::type_error(
            expr.pos(),
            format!(
                "operator does not exist: {target} = {t} ({expr}) Hint: You might need to add explicit type casts."
            ),
        )
    };
    // A constructor that does not fit is named whole, as ksqlDB names it
    // (`ARRAY<BIGINT> = ARRAY<BOOLEAN> (ARRAY[VAL1])`), not by the item inside it.
    let whole = |r: Result<DataType, SqlError>| match r {
        Err(SqlError::Type { message, .. }) if message.starts_with("operator does not exist") => Err(mismatch()),
        other => other,
    };
    match strip(expr) {
        Expr::Array(_) | Expr::Map(_) | Expr::Struct(_) => whole(resolve_constructor(binder, target, expr, t)),
        Expr::Literal(Literal::String(s)) if target.is_numeric() => {
            let from =
                string_number_type(s).ok_or_else(|| SqlError::type_error(expr.pos(), invalid_syntax(s, target)))?;
            Ok(DataType::common_type(&from, target).unwrap_or(DataType::Double))
        }
        Expr::Literal(Literal::String(s)) if *target == DataType::Boolean => match parse_boolean(s) {
            Some(_) => Ok(DataType::Boolean),
            None => Err(SqlError::type_error(expr.pos(), invalid_syntax(s, target))),
        },
        other => {
            let lax = matches!(other, Expr::Literal(_));
            can_coerce(t, target, lax).or_else(|| can_coerce(target, t, lax)).ok_or_else(mismatch)
        }
    }
}

/// The common type of `target` and the ARRAY, MAP or STRUCT constructor `expr` (of
/// type `t`), item by item.
fn resolve_constructor(
    binder: &Binder<'_>,
    target: &DataType,
    expr: &Expr,
    t: &DataType,
) -> Result<DataType, SqlError> {
    let mismatch = || {
        SqlError::type_error(
            expr.pos(),
            format!(
                "operator does not exist: {target} = {t} ({expr}) Hint: You might need to add explicit type casts."
            ),
        )
    };
    match strip(expr) {
        Expr::Array(items) => {
            let DataType::Array(item) = target else { return Err(mismatch()) };
            let typed = typed(binder, items.iter())?;
            Ok(DataType::Array(Box::new(resolve_structured(binder, item, &typed)?)))
        }
        Expr::Map(entries) => {
            let DataType::Map(k, v) = target else { return Err(mismatch()) };
            let keys = typed(binder, entries.iter().map(|(k, _)| k))?;
            let values = typed(binder, entries.iter().map(|(_, v)| v))?;
            Ok(DataType::Map(
                Box::new(resolve_structured(binder, k, &keys)?),
                Box::new(resolve_structured(binder, v, &values)?),
            ))
        }
        Expr::Struct(fields) => {
            let DataType::Struct(target_fields) = target else { return Err(mismatch()) };
            let mut out: Vec<StructField> = Vec::new();
            for (name, e) in fields {
                let ft = binder.bind(e)?.data_type();
                let data_type = match target_fields.iter().find(|f| f.name == *name) {
                    Some(tf) => resolve(binder, &tf.data_type, e, &ft)?,
                    None => ft,
                };
                out.push(StructField { name: name.clone(), data_type });
            }
            for tf in target_fields {
                if !out.iter().any(|f| f.name == tf.name) {
                    out.push(tf.clone());
                }
            }
            Ok(DataType::Struct(out))
        }
        _ => Err(mismatch()),
    }
}

fn typed<'e>(
    binder: &Binder<'_>,
    items: impl Iterator<Item = &'e Expr>,
) -> Result<Vec<(&'e Expr, DataType)>, SqlError> {
    items.map(|e| Ok((e, binder.bind(e)?.data_type()))).collect()
}

/// The common type of a nested constructor's items and the type they must meet.
fn resolve_structured(
    binder: &Binder<'_>,
    target: &DataType,
    items: &[(&Expr, DataType)],
) -> Result<DataType, SqlError> {
    let mut common = target.clone();
    for (e, t) in items {
        common = resolve(binder, &common, e, t)?;
    }
    Ok(common)
}

/// The type `from` values take to meet `to`, if they can: numbers widen, strings read as
/// times and bytes, containers element by element, structs as the union of their
/// fields. Literals (`lax`) also read strings as numbers and booleans, and anything
/// scalar as a string.
fn can_coerce(from: &DataType, to: &DataType, lax: bool) -> Option<DataType> {
    use DataType::*;
    match (from, to) {
        (Null, t) => Some(t.clone()),
        (a, b) if a.is_numeric() && b.is_numeric() => a.widens_to(b).then(|| DataType::common_type(a, b)).flatten(),
        (Array(a), Array(b)) => can_coerce(a, b, lax).map(|t| Array(Box::new(t))),
        (Map(ka, va), Map(kb, vb)) => Some(Map(Box::new(can_coerce(ka, kb, lax)?), Box::new(can_coerce(va, vb, lax)?))),
        (Struct(a), Struct(b)) => {
            let mut out: Vec<StructField> = Vec::new();
            for f in a {
                let data_type = match b.iter().find(|g| g.name == f.name) {
                    Some(g) => can_coerce(&f.data_type, &g.data_type, lax)?,
                    None => f.data_type.clone(),
                };
                out.push(StructField { name: f.name.clone(), data_type });
            }
            out.extend(b.iter().filter(|g| !a.iter().any(|f| f.name == g.name)).cloned());
            Some(Struct(out))
        }
        (a, b) if a == b => Some(b.clone()),
        (String, Timestamp | Time | Date | Bytes) => Some(to.clone()),
        (Boolean | Int | BigInt | Decimal { .. } | Double | Timestamp | Time | Date, String) if lax => Some(String),
        (String, Boolean | Int | BigInt | Decimal { .. } | Double) if lax => Some(to.clone()),
        _ => None,
    }
}

/// ksqlDB's message for a literal that does not read as the type it must have.
fn invalid_syntax(s: &str, t: &DataType) -> String {
    let base = match t {
        DataType::Decimal { .. } => "DECIMAL".to_owned(),
        other => other.to_string(),
    };
    format!("invalid input syntax for type {base}: \"{s}\".")
}

/// The numeric type a string literal reads as: INTEGER or BIGINT for whole numbers that
/// fit, else the DECIMAL of its digits.
fn string_number_type(s: &str) -> Option<DataType> {
    let text = s.trim();
    let d = parse_decimal(text)?;
    if !text.contains(['.', 'e', 'E']) && d.scale == 0 {
        if i32::try_from(d.unscaled).is_ok() {
            return Some(DataType::Int);
        }
        if i64::try_from(d.unscaled).is_ok() {
            return Some(DataType::BigInt);
        }
    }
    Some(DataType::Decimal { precision: d.precision().max(d.scale).clamp(1, 38), scale: d.scale })
}

/// A decimal in plain or scientific notation (`2e1` is 20).
fn parse_decimal(text: &str) -> Option<Decimal> {
    match text.split_once(['e', 'E']) {
        None => Decimal::parse(text),
        Some((mantissa, exp)) => {
            let m = Decimal::parse(mantissa)?;
            let exp: i32 = exp.parse().ok()?;
            let scale = i32::from(m.scale) - exp;
            if scale >= 0 {
                Some(Decimal::new(m.unscaled, u8::try_from(scale).ok()?))
            } else {
                let factor = 10i128.checked_pow(u32::try_from(-scale).ok()?)?;
                Some(Decimal::new(m.unscaled.checked_mul(factor)?, 0))
            }
        }
    }
}

/// ksqlDB's exact boolean reading: `true`, `yes` or a prefix of either is TRUE; `false`,
/// `no` or a prefix of either is FALSE; case is ignored.
pub(crate) fn parse_boolean(s: &str) -> Option<bool> {
    let s = s.trim().to_ascii_lowercase();
    let matches = |word: &str| !s.is_empty() && word.starts_with(s.as_str());
    if matches("true") || matches("yes") {
        Some(true)
    } else if matches("false") || matches("no") {
        Some(false)
    } else {
        None
    }
}

/// A string literal read as `t`: `Ok(None)` when `t` is not a type read here (the
/// host's CAST converts it), an error when the text does not read as `t`.
fn parse_literal(s: &str, t: &DataType) -> Result<Option<Value>, String> {
    let text = s.trim();
    let bad = || invalid_syntax(s, t);
    Ok(Some(match t {
        DataType::Boolean => Value::Boolean(parse_boolean(text).ok_or_else(bad)?),
        DataType::Int => Value::Int(text.parse().map_err(|_| bad())?),
        DataType::BigInt => Value::BigInt(text.parse().map_err(|_| bad())?),
        DataType::Double => Value::Double(text.parse().map_err(|_| bad())?),
        DataType::Decimal { precision, scale } => {
            Value::Decimal(parse_decimal(text).and_then(|d| d.fit(*precision, *scale)).ok_or_else(bad)?)
        }
        _ => return Ok(None),
    }))
}

/// Epoch milliseconds of a full or partial ISO timestamp, as ksqlDB reads the string
/// compared with `ROWTIME`: `2020`, `2020-05`, `2020-05-26`, `2020-05-26T23`, ... up to
/// `2020-05-26T23:59:58.000`, with an optional `Z` or `+hhmm`/`-hh:mm` offset (UTC
/// when absent).
pub(crate) fn partial_timestamp(text: &str) -> Result<i64, String> {
    let fail = |why: &str| {
        format!(
            "Failed to parse timestamp '{text}': {why}. Required format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\", \
             with an optional numeric 4-digit timezone, for example: '2020-05-26T23:59:58.000' or with tz: \
             '2020-05-26T23:59:58.000+0200'. Partials are also supported, for example \"2020-05-26\""
        )
    };
    let (date, rest) = match text.split_once('T') {
        Some((d, r)) => (d.to_owned(), r),
        None => {
            let parts = text.split('-').count();
            let d = match parts {
                1 => format!("{text}-01-01"),
                2 => format!("{text}-01"),
                _ => text.to_owned(),
            };
            (d, "")
        }
    };
    let (time, offset_ms) = match rest.find(['+', '-']) {
        Some(i) => (&rest[..i], parse_offset(&rest[i..]).ok_or_else(|| fail("bad timezone"))?),
        None => (rest.strip_suffix('Z').unwrap_or(rest), 0),
    };
    const PATTERN: &str = "00:00:00.000";
    let time = if time.len() >= PATTERN.len() { time.to_owned() } else { format!("{time}{}", &PATTERN[time.len()..]) };
    let num = |s: &str| s.parse::<i64>().ok();
    let d: Vec<&str> = date.split('-').collect();
    let (Some(y), Some(m), Some(day)) =
        (d.first().and_then(|s| num(s)), d.get(1).and_then(|s| num(s)), d.get(2).and_then(|s| num(s)))
    else {
        return Err(fail("not a date"));
    };
    if d.len() != 3 || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(fail("not a date"));
    }
    let (hms, millis) = time.split_once('.').unwrap_or((time.as_str(), "0"));
    let t: Vec<Option<i64>> = hms.split(':').map(num).collect();
    let (Some(Some(h)), Some(Some(mi)), Some(Some(s)), Some(ms)) = (t.first(), t.get(1), t.get(2), num(millis)) else {
        return Err(fail("not a time"));
    };
    if t.len() != 3 || *h > 23 || *mi > 59 || *s > 59 {
        return Err(fail("not a time"));
    }
    let days = days_from_civil(y, m, day);
    Ok(days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + ms - offset_ms)
}

/// `+02`, `+0200`, `+02:00`, `-0530` as milliseconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?),
        _ => return None,
    };
    Some(sign * (h * 3_600_000 + m * 60_000))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_timestamps_complete_to_the_start() {
        assert_eq!(partial_timestamp("1970-01-01T00:00:00.001"), Ok(1));
        assert_eq!(partial_timestamp("2020"), Ok(1_577_836_800_000));
        assert_eq!(partial_timestamp("2020-01-01T00"), Ok(1_577_836_800_000));
        assert_eq!(partial_timestamp("2020-01-01T02:00+0200"), Ok(1_577_836_800_000));
        assert_eq!(partial_timestamp("2020-01-01T00:00:00Z"), Ok(1_577_836_800_000));
        assert!(partial_timestamp("not a time").is_err());
    }

    #[test]
    fn booleans_read_prefixes() {
        assert_eq!(parse_boolean("TrUe"), Some(true));
        assert_eq!(parse_boolean("tr"), Some(true));
        assert_eq!(parse_boolean("Y"), Some(true));
        assert_eq!(parse_boolean("n"), Some(false));
        assert_eq!(parse_boolean("Not a boolean"), None);
    }

    #[test]
    fn strings_read_as_numbers() {
        assert_eq!(string_number_type("42"), Some(DataType::Int));
        assert_eq!(string_number_type("2147483648"), Some(DataType::BigInt));
        assert_eq!(string_number_type("4.000"), Some(DataType::Decimal { precision: 4, scale: 3 }));
        assert_eq!(parse_decimal("2e1"), Some(Decimal::new(20, 0)));
        assert_eq!(string_number_type("x"), None);
    }
}
