//! `Cells`: a column downcast once per batch, so encoders read row `i` of any type
//! without a dynamic cast per cell. Every encoder (record values and keys, REST rows,
//! the JSON functions) reads arrays through it.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float64Type, Int32Type, Int64Type, Time32MillisecondType, TimestampMillisecondType,
};
use arrow_array::{
    Array, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, ListArray,
    MapArray, StringArray, StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow_schema::DataType as ArrowType;

/// One column, typed.
#[derive(Debug)]
pub enum Cells<'a> {
    /// A column of NULLs (or of a type no encoder writes).
    Null,
    Boolean(&'a BooleanArray),
    Int(&'a Int32Array),
    BigInt(&'a Int64Array),
    Double(&'a Float64Array),
    Decimal(&'a Decimal128Array, u8),
    String(&'a StringArray),
    Bytes(&'a BinaryArray),
    Timestamp(&'a TimestampMillisecondArray),
    Date(&'a Date32Array),
    Time(&'a Time32MillisecondArray),
    /// A list and its items (indexed by the list's offsets).
    List(&'a ListArray, Box<Cells<'a>>),
    /// A map and its keys and values (indexed by the map's offsets).
    Map(&'a MapArray, Box<Cells<'a>>, Box<Cells<'a>>),
    /// A struct and its fields, with their names.
    Struct(&'a StructArray, Vec<(&'a str, Cells<'a>)>),
}

impl<'a> Cells<'a> {
    pub fn new(array: &'a dyn Array) -> Cells<'a> {
        match array.data_type() {
            ArrowType::Boolean => Cells::Boolean(array.as_boolean()),
            ArrowType::Int32 => Cells::Int(array.as_primitive::<Int32Type>()),
            ArrowType::Int64 => Cells::BigInt(array.as_primitive::<Int64Type>()),
            ArrowType::Float64 => Cells::Double(array.as_primitive::<Float64Type>()),
            ArrowType::Decimal128(_, s) => Cells::Decimal(array.as_primitive::<Decimal128Type>(), (*s).max(0) as u8),
            ArrowType::Utf8 => Cells::String(array.as_string::<i32>()),
            ArrowType::Binary => Cells::Bytes(array.as_binary::<i32>()),
            ArrowType::Timestamp(..) => Cells::Timestamp(array.as_primitive::<TimestampMillisecondType>()),
            ArrowType::Date32 => Cells::Date(array.as_primitive::<Date32Type>()),
            ArrowType::Time32(_) => Cells::Time(array.as_primitive::<Time32MillisecondType>()),
            ArrowType::List(_) => {
                let list = array.as_list::<i32>();
                Cells::List(list, Box::new(Cells::new(list.values().as_ref())))
            }
            ArrowType::Map(..) => {
                let map = array.as_map();
                Cells::Map(map, Box::new(Cells::new(map.keys().as_ref())), Box::new(Cells::new(map.values().as_ref())))
            }
            ArrowType::Struct(fields) => {
                let s = array.as_struct();
                let children =
                    fields.iter().zip(s.columns()).map(|(f, c)| (f.name().as_str(), Cells::new(c.as_ref()))).collect();
                Cells::Struct(s, children)
            }
            _ => Cells::Null,
        }
    }

    /// Whether row `i` is NULL.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        match self {
            Cells::Null => true,
            Cells::Boolean(a) => a.is_null(i),
            Cells::Int(a) => a.is_null(i),
            Cells::BigInt(a) => a.is_null(i),
            Cells::Double(a) => a.is_null(i),
            Cells::Decimal(a, _) => a.is_null(i),
            Cells::String(a) => a.is_null(i),
            Cells::Bytes(a) => a.is_null(i),
            Cells::Timestamp(a) => a.is_null(i),
            Cells::Date(a) => a.is_null(i),
            Cells::Time(a) => a.is_null(i),
            Cells::List(a, _) => a.is_null(i),
            Cells::Map(a, ..) => a.is_null(i),
            Cells::Struct(a, _) => a.is_null(i),
        }
    }

    /// The item range of row `i` of a list or map.
    #[inline]
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        match self {
            Cells::List(a, _) => {
                let o = a.value_offsets();
                o[i] as usize..o[i + 1] as usize
            }
            Cells::Map(a, ..) => {
                let o = a.value_offsets();
                o[i] as usize..o[i + 1] as usize
            }
            _ => 0..0,
        }
    }
}
