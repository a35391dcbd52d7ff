//! Runtime values.
//!
//! A `Value` is one cell of a batch. Strings and byte strings are reference counted so
//! that projections and copies between operators never copy the text.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use crate::types::DataType;

/// One SQL value. `Null` is a member of every type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int(i32),
    BigInt(i64),
    Double(f64),
    Decimal(Decimal),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Days since the Unix epoch.
    Date(i32),
    /// Milliseconds since midnight.
    Time(i32),
    Array(Vec<Value>),
    /// Entries in insertion order; keys are unique.
    Map(Vec<(Value, Value)>),
    /// Field values in the order of the struct type's fields.
    Struct(Vec<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as `i64` if it is an integer of any width.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(i64::from(*v)),
            Value::BigInt(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as `f64` if it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(v) => Some(f64::from(*v)),
            Value::BigInt(v) => Some(*v as f64),
            Value::Double(v) => Some(*v),
            Value::Decimal(d) => Some(d.to_f64()),
            _ => None,
        }
    }

    /// The value as a string slice if it is a `STRING`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a boolean if it is a `BOOLEAN`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// SQL comparison of two non-null values of comparable types, with numeric
    /// widening. `None` when either side is null or the types do not compare.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Boolean(a), Boolean(b)) => Some(a.cmp(b)),
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (Int(_) | BigInt(_), Int(_) | BigInt(_)) => Some(self.as_i64()?.cmp(&other.as_i64()?)),
            (Decimal(a), Decimal(b)) => Some(a.cmp_value(b)),
            (Decimal(a), Int(_) | BigInt(_)) => Some(a.cmp_value(&crate::value::Decimal::from_i64(other.as_i64()?))),
            (Int(_) | BigInt(_), Decimal(b)) => Some(crate::value::Decimal::from_i64(self.as_i64()?).cmp_value(b)),
            (Double(_) | Int(_) | BigInt(_) | Decimal(_), Double(_) | Int(_) | BigInt(_) | Decimal(_)) => {
                self.as_f64()?.partial_cmp(&other.as_f64()?)
            }
            (String(a), String(b)) => Some(a.cmp(b)),
            (Bytes(a), Bytes(b)) => Some(a.cmp(b)),
            (Timestamp(a), Timestamp(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (Time(a), Time(b)) => Some(a.cmp(b)),
            (Array(a), Array(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.sql_cmp(y) {
                        Some(Ordering::Equal) => continue,
                        other => return other,
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (Struct(a), Struct(b)) | (Array(a), Struct(b)) => {
                if a.len() != b.len() {
                    return None;
                }
                for (x, y) in a.iter().zip(b.iter()) {
                    match (x, y) {
                        (Null, Null) => continue,
                        _ => match x.sql_cmp(y) {
                            Some(Ordering::Equal) => continue,
                            other => return other,
                        },
                    }
                }
                Some(Ordering::Equal)
            }
            (Map(a), Map(b)) => {
                if a.len() != b.len() {
                    return None;
                }
                let all = a.iter().all(|(k, v)| {
                    b.iter().any(|(k2, v2)| {
                        k.sql_cmp(k2) == Some(Ordering::Equal)
                            && (v.sql_cmp(v2) == Some(Ordering::Equal) || (v.is_null() && v2.is_null()))
                    })
                });
                all.then_some(Ordering::Equal)
            }
            _ => None,
        }
    }

    /// The most specific type of this value when nothing else is known.
    pub fn natural_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Boolean(_) => DataType::Boolean,
            Value::Int(_) => DataType::Int,
            Value::BigInt(_) => DataType::BigInt,
            Value::Double(_) => DataType::Double,
            Value::Decimal(d) => DataType::Decimal { precision: d.precision().max(d.scale), scale: d.scale },
            Value::String(_) => DataType::String,
            Value::Bytes(_) => DataType::Bytes,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::Array(items) => DataType::Array(Box::new(
                items.iter().map(Value::natural_type).find(|t| *t != DataType::Null).unwrap_or(DataType::Null),
            )),
            Value::Map(entries) => DataType::Map(
                Box::new(DataType::String),
                Box::new(
                    entries
                        .iter()
                        .map(|(_, v)| v.natural_type())
                        .find(|t| *t != DataType::Null)
                        .unwrap_or(DataType::Null),
                ),
            ),
            Value::Struct(_) => DataType::Struct(Vec::new()),
        }
    }
}

impl fmt::Display for Value {
    /// Prints the value the way the ksql CLI shows it in a table cell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::BigInt(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{}", format_double(*v)),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::String(s) => f.write_str(s),
            Value::Bytes(b) => {
                for byte in b.iter() {
                    write!(f, "{byte:02x}")?;
                }
                Ok(())
            }
            Value::Timestamp(ms) => write!(f, "{ms}"),
            Value::Date(d) => write!(f, "{d}"),
            Value::Time(t) => write!(f, "{t}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}={v}")?;
                }
                f.write_str("}")
            }
            Value::Struct(fields) => {
                f.write_str("{")?;
                for (i, v) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Formats a double the way Java's `Double.toString` does for common values:
/// always with a fractional part (`1.0`), scientific notation for large magnitudes.
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    if v == v.trunc() && v.abs() < 1e7 {
        format!("{v:.1}")
    } else if v.abs() >= 1e7 || (v != 0.0 && v.abs() < 1e-3) {
        let s = format!("{v:E}");
        if s.contains('.') {
            s
        } else {
            // Java prints at least two digits, the two closest to the exact value:
            // Double.MIN_VALUE is 4.9E-324, not 5.0E-324.
            format!("{v:.1E}")
        }
    } else {
        format!("{v}")
    }
}

/// A fixed-point decimal: `unscaled * 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub unscaled: i128,
    pub scale: u8,
}

impl Decimal {
    pub fn new(unscaled: i128, scale: u8) -> Decimal {
        Decimal { unscaled, scale }
    }

    pub fn from_i64(v: i64) -> Decimal {
        Decimal { unscaled: i128::from(v), scale: 0 }
    }

    /// Number of significant digits of the unscaled value.
    pub fn precision(&self) -> u8 {
        let mut n = self.unscaled.unsigned_abs();
        let mut digits = 1u8;
        while n >= 10 {
            n /= 10;
            digits += 1;
        }
        digits
    }

    pub fn to_f64(&self) -> f64 {
        self.unscaled as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// Rounds (half up, as Java's `HALF_UP`) or pads to `scale` digits.
    pub fn rescale(&self, scale: u8) -> Option<Decimal> {
        use std::cmp::Ordering::*;
        match scale.cmp(&self.scale) {
            Equal => Some(*self),
            Greater => {
                let factor = 10i128.checked_pow(u32::from(scale - self.scale))?;
                Some(Decimal { unscaled: self.unscaled.checked_mul(factor)?, scale })
            }
            Less => {
                let factor = 10i128.checked_pow(u32::from(self.scale - scale))?;
                let q = self.unscaled / factor;
                let r = self.unscaled % factor;
                let adjust = if r.abs() * 2 >= factor { self.unscaled.signum() } else { 0 };
                Some(Decimal { unscaled: q + adjust, scale })
            }
        }
    }

    /// Whether the value fits `DECIMAL(precision, scale)` after rescaling.
    pub fn fit(&self, precision: u8, scale: u8) -> Option<Decimal> {
        let d = self.rescale(scale)?;
        (d.precision() <= precision || d.unscaled == 0).then_some(d)
    }

    pub fn from_f64(v: f64, scale: u8) -> Option<Decimal> {
        if !v.is_finite() {
            return None;
        }
        Decimal::parse(&format!("{:.*}", usize::from(scale), v))
    }

    /// Parses `-12.345`, `1e3` is not accepted (ksqlDB decimals are plain).
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) || frac.len() > 38 {
            return None;
        }
        let mut unscaled: i128 = 0;
        for c in int.chars().chain(frac.chars()) {
            unscaled = unscaled.checked_mul(10)?.checked_add(i128::from(c as u8 - b'0'))?;
        }
        Some(Decimal { unscaled: if neg { -unscaled } else { unscaled }, scale: frac.len() as u8 })
    }

    /// Compares two decimals by value, whatever their scales.
    pub fn cmp_value(&self, other: &Decimal) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.rescale(scale), other.rescale(scale)) {
            (Some(a), Some(b)) => a.unscaled.cmp(&b.unscaled),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.unscaled.unsigned_abs().to_string();
        let sign = if self.unscaled < 0 { "-" } else { "" };
        let scale = usize::from(self.scale);
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded =
            if digits.len() <= scale { format!("{}{}", "0".repeat(scale - digits.len() + 1), digits) } else { digits };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_and_rounds_half_up() {
        let d = Decimal::parse("-12.345").unwrap();
        assert_eq!(d.to_string(), "-12.345");
        assert_eq!(d.rescale(2).unwrap().to_string(), "-12.35");
        assert_eq!(Decimal::parse("0.05").unwrap().to_string(), "0.05");
        assert_eq!(Decimal::parse("1.5").unwrap().rescale(0).unwrap().to_string(), "2");
        assert!(Decimal::parse("123.4").unwrap().fit(3, 1).is_none());
    }

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(format_double(1.0), "1.0");
        assert_eq!(format_double(2.5), "2.5");
        assert_eq!(format_double(1e10), "1.0E10");
    }

    #[test]
    fn comparison_widens() {
        assert_eq!(Value::Int(3).sql_cmp(&Value::BigInt(3)), Some(Ordering::Equal));
        assert_eq!(Value::Int(3).sql_cmp(&Value::Double(3.5)), Some(Ordering::Less));
        assert_eq!(Value::Null.sql_cmp(&Value::Int(1)), None);
    }
}
