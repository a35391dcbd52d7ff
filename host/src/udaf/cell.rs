//! [`Cell`]: one value an aggregate keeps between rows (a group's minimum, the items
//! of a COLLECT_LIST), in the few physical kinds ksqlDB's aggregates take, with the
//! order the SQL values have and a byte form for the state store.

use std::cmp::Ordering;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::Array;
use arrow_schema::DataType as ArrowType;

use crate::columnar::ColumnBuilder;

/// A kept value. Integers of every width (INT, BIGINT, TIMESTAMP, DATE, TIME) are
/// `Int`, decimals their unscaled `Dec` at the column's scale, strings `Bytes`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Bool(bool),
    Int(i64),
    Float(f64),
    Dec(i128),
    Bytes(Box<[u8]>),
}

impl Cell {
    /// Row `i` of `array`, `None` when it is NULL or of a kind no aggregate keeps.
    pub fn read(array: &dyn Array, i: usize) -> Option<Cell> {
        if array.is_null(i) {
            return None;
        }
        Some(match array.data_type() {
            ArrowType::Boolean => Cell::Bool(array.as_boolean().value(i)),
            ArrowType::Int32 => Cell::Int(i64::from(array.as_primitive::<Int32Type>().value(i))),
            ArrowType::Int64 => Cell::Int(array.as_primitive::<Int64Type>().value(i)),
            ArrowType::Timestamp(..) => Cell::Int(array.as_primitive::<TimestampMillisecondType>().value(i)),
            ArrowType::Date32 => Cell::Int(i64::from(array.as_primitive::<Date32Type>().value(i))),
            ArrowType::Time32(_) => Cell::Int(i64::from(array.as_primitive::<Time32MillisecondType>().value(i))),
            ArrowType::Float64 => Cell::Float(array.as_primitive::<Float64Type>().value(i)),
            ArrowType::Decimal128(..) => Cell::Dec(array.as_primitive::<Decimal128Type>().value(i)),
            ArrowType::Utf8 => Cell::Bytes(array.as_string::<i32>().value(i).as_bytes().into()),
            ArrowType::Binary => Cell::Bytes(array.as_binary::<i32>().value(i).into()),
            _ => return None,
        })
    }

    /// Whether row `i` of `array` would sort before (`Less`) or after this cell,
    /// without copying it; `None` for a NULL or a kind no aggregate keeps.
    pub fn compare_row(&self, array: &dyn Array, i: usize) -> Option<Ordering> {
        if array.is_null(i) {
            return None;
        }
        Some(match (self, array.data_type()) {
            (Cell::Bytes(b), ArrowType::Utf8) => array.as_string::<i32>().value(i).as_bytes().cmp(b.as_ref()),
            (Cell::Bytes(b), ArrowType::Binary) => array.as_binary::<i32>().value(i).cmp(b.as_ref()),
            _ => Cell::read(array, i)?.total_cmp(self),
        })
    }

    /// The SQL order; doubles as Java's `Double.compare` (NaN above everything).
    pub fn total_cmp(&self, other: &Cell) -> Ordering {
        match (self, other) {
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (Cell::Int(a), Cell::Int(b)) => a.cmp(b),
            (Cell::Float(a), Cell::Float(b)) => a.total_cmp(b),
            (Cell::Dec(a), Cell::Dec(b)) => a.cmp(b),
            (Cell::Bytes(a), Cell::Bytes(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Cell::Bool(_) => 0,
            Cell::Int(_) => 1,
            Cell::Float(_) => 2,
            Cell::Dec(_) => 3,
            Cell::Bytes(_) => 4,
        }
    }

    /// Appends the cell to a column of the type it was read from.
    pub fn push(&self, out: &mut ColumnBuilder) {
        match self {
            Cell::Bool(b) => out.push_bool(*b),
            Cell::Int(v) => {
                if !out.push_i64(*v) {
                    out.append_null();
                }
            }
            Cell::Float(v) => out.push_f64(*v),
            Cell::Dec(v) => out.push_i128(*v),
            Cell::Bytes(b) => {
                if matches!(out, ColumnBuilder::String(_)) {
                    out.push_str(std::str::from_utf8(b).unwrap_or_default());
                } else {
                    out.push_bytes(b);
                }
            }
        }
    }

    /// The byte form: a tag, then the value (little-endian, or length-prefixed).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Cell::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
            Cell::Int(v) => {
                out.push(2);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Cell::Float(v) => {
                out.push(3);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Cell::Dec(v) => {
                out.push(4);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Cell::Bytes(b) => {
                out.push(5);
                out.extend_from_slice(&(b.len() as u32).to_le_bytes());
                out.extend_from_slice(b);
            }
        }
    }

    /// Reads what [`encode`](Self::encode) wrote, advancing `input`.
    pub fn decode(input: &mut &[u8]) -> Result<Cell, String> {
        let tag = take(input, 1)?[0];
        Ok(match tag {
            1 => Cell::Bool(take(input, 1)?[0] != 0),
            2 => Cell::Int(i64::from_le_bytes(fixed(input)?)),
            3 => Cell::Float(f64::from_le_bytes(fixed(input)?)),
            4 => Cell::Dec(i128::from_le_bytes(fixed(input)?)),
            5 => {
                let n = u32::from_le_bytes(fixed(input)?) as usize;
                Cell::Bytes(take(input, n)?.into())
            }
            t => return Err(format!("unknown cell tag {t} in aggregate state")),
        })
    }
}

/// The next `n` bytes of `input`.
pub fn take<'a>(input: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if input.len() < n {
        return Err("aggregate state is truncated".into());
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Ok(head)
}

/// The next `N` bytes of `input` as an array.
pub fn fixed<const N: usize>(input: &mut &[u8]) -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(input, N)?);
    Ok(out)
}
