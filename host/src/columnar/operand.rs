//! `Operand`: an input to an expression node or a function, either a column or one
//! value shared by every row (a constant, kept as a one-row array and never expanded),
//! and typed views over it that downcast once per batch.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type, Int32Type, Int64Type, TimestampMillisecondType};
use arrow_array::{
    Array, ArrayAccessor, ArrayRef, BinaryArray, BooleanArray, Decimal128Array, Float64Array, Int32Array, Int64Array,
    ListArray, MapArray, StringArray, StructArray, TimestampMillisecondArray, UInt32Array,
};
use arrow_schema::DataType as ArrowType;
use wasp_sql::{Decimal, Value};

use super::values::value_at;

/// A value for every row of a batch.
#[derive(Debug, Clone)]
pub enum Operand {
    /// One value per row.
    Array(ArrayRef),
    /// One value for all rows: a one-row array.
    Scalar(ArrayRef),
}

impl Operand {
    /// The underlying array (one row for a scalar).
    pub fn array(&self) -> &ArrayRef {
        match self {
            Operand::Array(a) | Operand::Scalar(a) => a,
        }
    }

    pub fn is_scalar(&self) -> bool {
        matches!(self, Operand::Scalar(_))
    }

    pub fn data_type(&self) -> &ArrowType {
        self.array().data_type()
    }

    /// The position in [`array`](Self::array) that holds row `row`'s value.
    #[inline]
    pub fn index(&self, row: usize) -> usize {
        match self {
            Operand::Array(_) => row,
            Operand::Scalar(_) => 0,
        }
    }

    #[inline]
    pub fn is_null(&self, row: usize) -> bool {
        self.array().is_null(self.index(row))
    }

    /// Row `row` as a `Value` (for constants and slow paths; not per row on the data path).
    pub fn value(&self, row: usize) -> Value {
        value_at(self.array(), self.index(row))
    }

    /// A column of `rows` values: the array itself, or the scalar repeated.
    pub fn into_array(self, rows: usize) -> ArrayRef {
        match self {
            Operand::Array(a) => a,
            Operand::Scalar(a) => repeat(&a, rows),
        }
    }

    /// Like [`into_array`](Self::into_array), borrowing.
    pub fn to_array(&self, rows: usize) -> ArrayRef {
        self.clone().into_array(rows)
    }

    /// Downcasts to `A` once; rows of another type (a `NULL` literal) read as NULL.
    pub fn typed<'a, A: Array + 'static>(&'a self) -> Typed<'a, A> {
        Typed { array: self.array().as_any().downcast_ref::<A>(), scalar: self.is_scalar() }
    }

    pub fn strs(&self) -> Typed<'_, StringArray> {
        self.typed()
    }
    pub fn bytes(&self) -> Typed<'_, BinaryArray> {
        self.typed()
    }
    pub fn bools(&self) -> Typed<'_, BooleanArray> {
        self.typed()
    }
    pub fn lists(&self) -> Typed<'_, ListArray> {
        self.typed()
    }
    pub fn maps(&self) -> Typed<'_, MapArray> {
        self.typed()
    }
    pub fn structs(&self) -> Typed<'_, StructArray> {
        self.typed()
    }

    /// INT, BIGINT (and TIMESTAMP) values as `i64`.
    pub fn ints(&self) -> Ints<'_> {
        let a = self.array();
        let kind = match a.data_type() {
            ArrowType::Int32 => IntKind::I32(a.as_primitive::<Int32Type>()),
            ArrowType::Int64 => IntKind::I64(a.as_primitive::<Int64Type>()),
            ArrowType::Timestamp(..) => IntKind::Ts(a.as_primitive::<TimestampMillisecondType>()),
            _ => IntKind::None,
        };
        Ints { kind, scalar: self.is_scalar() }
    }

    /// Any numeric values as `f64`.
    pub fn nums(&self) -> Nums<'_> {
        let a = self.array();
        let kind = match a.data_type() {
            ArrowType::Int32 => NumKind::I32(a.as_primitive::<Int32Type>()),
            ArrowType::Int64 => NumKind::I64(a.as_primitive::<Int64Type>()),
            ArrowType::Float64 => NumKind::F64(a.as_primitive::<Float64Type>()),
            ArrowType::Decimal128(_, s) => NumKind::Dec(a.as_primitive::<Decimal128Type>(), 10f64.powi(i32::from(*s))),
            _ => NumKind::None,
        };
        Nums { kind, scalar: self.is_scalar() }
    }

    /// INT, BIGINT or DECIMAL values as `Decimal`.
    pub fn decimals(&self) -> Decimals<'_> {
        let a = self.array();
        let kind = match a.data_type() {
            ArrowType::Int32 => DecKind::I32(a.as_primitive::<Int32Type>()),
            ArrowType::Int64 => DecKind::I64(a.as_primitive::<Int64Type>()),
            ArrowType::Decimal128(_, s) => DecKind::Dec(a.as_primitive::<Decimal128Type>(), (*s).max(0) as u8),
            _ => DecKind::None,
        };
        Decimals { kind, scalar: self.is_scalar() }
    }
}

/// `array`'s first value, `rows` times.
pub fn repeat(array: &ArrayRef, rows: usize) -> ArrayRef {
    if array.len() == rows && rows <= 1 {
        return array.clone();
    }
    let indices = UInt32Array::from(vec![0u32; rows]);
    arrow_select::take::take(array.as_ref(), &indices, None)
        .unwrap_or_else(|_| arrow_array::new_null_array(array.data_type(), rows))
}

/// A typed view of an operand.
#[derive(Debug)]
pub struct Typed<'a, A> {
    array: Option<&'a A>,
    scalar: bool,
}

impl<A> Clone for Typed<'_, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A> Copy for Typed<'_, A> {}

impl<'a, A: Array> Typed<'a, A>
where
    &'a A: ArrayAccessor,
{
    /// Row `row`'s value, `None` when NULL.
    #[inline]
    pub fn get(&self, row: usize) -> Option<<&'a A as ArrayAccessor>::Item> {
        let a = self.array?;
        let i = if self.scalar { 0 } else { row };
        if a.is_null(i) {
            None
        } else {
            Some(a.value(i))
        }
    }
}

impl<'a, A> Typed<'a, A> {
    /// The downcast array, if the operand has this type.
    pub fn array(&self) -> Option<&'a A> {
        self.array
    }

    #[inline]
    pub fn index(&self, row: usize) -> usize {
        if self.scalar {
            0
        } else {
            row
        }
    }
}

#[derive(Debug)]
enum IntKind<'a> {
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    Ts(&'a TimestampMillisecondArray),
    None,
}

/// INT or BIGINT values, read as `i64`.
#[derive(Debug)]
pub struct Ints<'a> {
    kind: IntKind<'a>,
    scalar: bool,
}

impl Ints<'_> {
    #[inline]
    pub fn get(&self, row: usize) -> Option<i64> {
        let i = if self.scalar { 0 } else { row };
        match &self.kind {
            IntKind::I32(a) => (!a.is_null(i)).then(|| i64::from(a.value(i))),
            IntKind::I64(a) => (!a.is_null(i)).then(|| a.value(i)),
            IntKind::Ts(a) => (!a.is_null(i)).then(|| a.value(i)),
            IntKind::None => None,
        }
    }
}

#[derive(Debug)]
enum NumKind<'a> {
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    F64(&'a Float64Array),
    Dec(&'a Decimal128Array, f64),
    None,
}

/// Numeric values of any type, read as `f64`.
#[derive(Debug)]
pub struct Nums<'a> {
    kind: NumKind<'a>,
    scalar: bool,
}

impl Nums<'_> {
    #[inline]
    pub fn get(&self, row: usize) -> Option<f64> {
        let i = if self.scalar { 0 } else { row };
        match &self.kind {
            NumKind::I32(a) => (!a.is_null(i)).then(|| f64::from(a.value(i))),
            NumKind::I64(a) => (!a.is_null(i)).then(|| a.value(i) as f64),
            NumKind::F64(a) => (!a.is_null(i)).then(|| a.value(i)),
            NumKind::Dec(a, f) => (!a.is_null(i)).then(|| a.value(i) as f64 / f),
            NumKind::None => None,
        }
    }
}

#[derive(Debug)]
enum DecKind<'a> {
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    Dec(&'a Decimal128Array, u8),
    None,
}

/// INT, BIGINT or DECIMAL values, read as `Decimal`.
#[derive(Debug)]
pub struct Decimals<'a> {
    kind: DecKind<'a>,
    scalar: bool,
}

impl Decimals<'_> {
    #[inline]
    pub fn get(&self, row: usize) -> Option<Decimal> {
        let i = if self.scalar { 0 } else { row };
        match &self.kind {
            DecKind::I32(a) => (!a.is_null(i)).then(|| Decimal::from_i64(i64::from(a.value(i)))),
            DecKind::I64(a) => (!a.is_null(i)).then(|| Decimal::from_i64(a.value(i))),
            DecKind::Dec(a, s) => (!a.is_null(i)).then(|| Decimal::new(a.value(i), *s)),
            DecKind::None => None,
        }
    }
}

/// Wraps an array as an operand.
impl From<ArrayRef> for Operand {
    fn from(a: ArrayRef) -> Self {
        Operand::Array(a)
    }
}

/// An all-NULL column of `t`.
pub fn nulls(t: &ArrowType, rows: usize) -> ArrayRef {
    arrow_array::new_null_array(t, rows)
}

/// An `Arc`'d array.
pub fn arc<A: Array + 'static>(a: A) -> ArrayRef {
    Arc::new(a)
}
