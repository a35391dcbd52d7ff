//! SQL types, as ksqlDB names them.
//!
//! `DataType` is the static type of a column or expression. Its `Display` prints the
//! canonical ksqlDB spelling (`INTEGER`, `STRING`, `ARRAY<BIGINT>`,
//! `STRUCT<`A` INTEGER>`), which is also what `DESCRIBE` and the REST API report.

use std::fmt;

/// The type of a column, literal or expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataType {
    Boolean,
    /// 32-bit signed integer (`INT`, `INTEGER`).
    Int,
    /// 64-bit signed integer.
    BigInt,
    /// 64-bit IEEE float.
    Double,
    /// Fixed-point decimal with `precision` digits, `scale` of them after the point.
    Decimal {
        precision: u8,
        scale: u8,
    },
    /// UTF-8 text (`VARCHAR`, `STRING`).
    String,
    Bytes,
    /// Milliseconds since the Unix epoch, UTC.
    Timestamp,
    /// Days since the Unix epoch.
    Date,
    /// Milliseconds since midnight.
    Time,
    Array(Box<DataType>),
    /// Map from keys (ksqlDB: strings) to values.
    Map(Box<DataType>, Box<DataType>),
    Struct(Vec<StructField>),
    /// The type of the `NULL` literal before it meets a context; coerces to anything.
    Null,
}

/// One named field of a `STRUCT` type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StructField {
    pub name: String,
    pub data_type: DataType,
}

impl DataType {
    /// True for the numeric types that take part in implicit widening.
    pub fn is_numeric(&self) -> bool {
        matches!(self, DataType::Int | DataType::BigInt | DataType::Double | DataType::Decimal { .. })
    }

    /// True for `STRING`.
    pub fn is_string(&self) -> bool {
        matches!(self, DataType::String)
    }

    /// The widening rank of a numeric type: INT < BIGINT < DECIMAL < DOUBLE.
    fn numeric_rank(&self) -> Option<u8> {
        match self {
            DataType::Int => Some(0),
            DataType::BigInt => Some(1),
            DataType::Decimal { .. } => Some(2),
            DataType::Double => Some(3),
            _ => None,
        }
    }

    /// Whether a value of `self` can be used where `target` is expected without an
    /// explicit `CAST`, as ksqlDB allows: `NULL` to anything, numeric widening
    /// (INT -> BIGINT -> DECIMAL -> DOUBLE), and element-wise for containers.
    pub fn widens_to(&self, target: &DataType) -> bool {
        if self == target || *self == DataType::Null {
            return true;
        }
        match (self, target) {
            (DataType::Decimal { .. }, DataType::Decimal { .. }) => true,
            (a, b) if a.is_numeric() && b.is_numeric() => a.numeric_rank() <= b.numeric_rank(),
            (DataType::Array(a), DataType::Array(b)) => a.widens_to(b),
            (DataType::Map(ka, va), DataType::Map(kb, vb)) => ka.widens_to(kb) && va.widens_to(vb),
            _ => false,
        }
    }

    /// The common type two operands widen to, if any (used by arithmetic,
    /// comparison, `CASE`, `COALESCE`, `IN`).
    pub fn common_type(a: &DataType, b: &DataType) -> Option<DataType> {
        if a == b {
            return Some(a.clone());
        }
        match (a, b) {
            (DataType::Null, t) | (t, DataType::Null) => Some(t.clone()),
            (DataType::Decimal { precision: p1, scale: s1 }, DataType::Decimal { precision: p2, scale: s2 }) => {
                let scale = (*s1).max(*s2);
                let int_digits = (p1 - s1).max(p2 - s2);
                Some(DataType::Decimal { precision: (int_digits + scale).min(38), scale })
            }
            (x, y) if x.is_numeric() && y.is_numeric() => {
                let (lo, hi) = if x.numeric_rank() < y.numeric_rank() { (x, y) } else { (y, x) };
                match (lo, hi) {
                    (DataType::Int, DataType::Decimal { precision, scale }) => {
                        Some(DataType::Decimal { precision: (*precision).max(10 + scale).min(38), scale: *scale })
                    }
                    (DataType::BigInt, DataType::Decimal { precision, scale }) => {
                        Some(DataType::Decimal { precision: (*precision).max(19 + scale).min(38), scale: *scale })
                    }
                    _ => Some(hi.clone()),
                }
            }
            (DataType::Array(x), DataType::Array(y)) => {
                DataType::common_type(x, y).map(|t| DataType::Array(Box::new(t)))
            }
            (DataType::Map(kx, vx), DataType::Map(ky, vy)) => {
                Some(DataType::Map(Box::new(DataType::common_type(kx, ky)?), Box::new(DataType::common_type(vx, vy)?)))
            }
            _ => None,
        }
    }

    /// The decimal type that holds every value of an integer type exactly.
    pub fn as_decimal(&self) -> Option<(u8, u8)> {
        match self {
            DataType::Int => Some((10, 0)),
            DataType::BigInt => Some((19, 0)),
            DataType::Decimal { precision, scale } => Some((*precision, *scale)),
            _ => None,
        }
    }

    /// Parses a ksqlDB type name such as `INT`, `VARCHAR`, `DECIMAL(4,2)`,
    /// `ARRAY<STRING>`, `MAP<STRING, INT>` or `STRUCT<a INT, b STRING>`.
    pub fn parse(text: &str) -> Result<DataType, crate::SqlError> {
        crate::parser::Parser::new(text)?.parse_standalone_type()
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Boolean => f.write_str("BOOLEAN"),
            DataType::Int => f.write_str("INTEGER"),
            DataType::BigInt => f.write_str("BIGINT"),
            DataType::Double => f.write_str("DOUBLE"),
            DataType::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            DataType::String => f.write_str("STRING"),
            DataType::Bytes => f.write_str("BYTES"),
            DataType::Timestamp => f.write_str("TIMESTAMP"),
            DataType::Date => f.write_str("DATE"),
            DataType::Time => f.write_str("TIME"),
            DataType::Array(t) => write!(f, "ARRAY<{t}>"),
            DataType::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            DataType::Struct(fields) => {
                f.write_str("STRUCT<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "`{}` {}", field.name, field.data_type)?;
                }
                f.write_str(">")
            }
            DataType::Null => f.write_str("NULL"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_follows_ksqldb() {
        assert!(DataType::Int.widens_to(&DataType::BigInt));
        assert!(DataType::BigInt.widens_to(&DataType::Double));
        assert!(!DataType::Double.widens_to(&DataType::Int));
        assert!(!DataType::String.widens_to(&DataType::Int));
        assert_eq!(DataType::common_type(&DataType::Int, &DataType::Double), Some(DataType::Double));
        assert_eq!(DataType::common_type(&DataType::String, &DataType::Int), None);
    }

    #[test]
    fn display_is_canonical() {
        let t = DataType::Map(Box::new(DataType::String), Box::new(DataType::Array(Box::new(DataType::Int))));
        assert_eq!(t.to_string(), "MAP<STRING, ARRAY<INTEGER>>");
    }
}
