//! Lowering: the host's Arrow arrays into the ABI's columns.
//!
//! A lowered column borrows the array's own buffers (Arrow buffers are shared,
//! reference-counted memory), so its bytes are copied once, by wasmtime, straight
//! into the guest's memory. Only what Arrow does not hold in the ABI's layout is
//! made for the call: a bitmap that starts mid-byte (a slice) realigned to bit 0,
//! offsets of a slice shifted to start at 0, and the zero bits of a NULL column. A
//! nested column appends its child columns after itself and names them by index.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::{BooleanBuffer, Buffer, OffsetBuffer};
use arrow_schema::DataType as ArrowType;

use super::bindings::ColumnParam;

// The ABI is little-endian; Arrow buffers are native-endian. They agree here.
const _: () = assert!(cfg!(target_endian = "little"), "the wasp guest ABI needs a little-endian host");

/// Bytes of a lowered column: a range of one of the array's buffers, or bytes made
/// for the call.
#[derive(Debug, Clone)]
pub enum Bytes {
    Shared(Buffer),
    Made(Vec<u8>),
}

impl Bytes {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Shared(b) => b.as_slice(),
            Bytes::Made(v) => v,
        }
    }
}

/// One column in the ABI's layout, its bytes still the host's.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub len: u32,
    pub validity: Option<Bytes>,
    pub values: Bytes,
    pub offsets: Option<Bytes>,
    pub children: Vec<u32>,
}

impl Lowered {
    /// The column as the call's argument, borrowing its bytes.
    pub fn param(&self) -> ColumnParam<'_> {
        ColumnParam {
            len: self.len,
            validity: self.validity.as_ref().map(Bytes::as_slice),
            values: self.values.as_slice(),
            offsets: self.offsets.as_ref().map(Bytes::as_slice),
            children: &self.children,
        }
    }
}

/// An empty column, to be filled by [`lower_into`].
pub fn placeholder() -> Lowered {
    Lowered { len: 0, validity: None, values: Bytes::Made(Vec::new()), offsets: None, children: Vec::new() }
}

/// Appends `array` (and its children) to `columns`; returns its index.
pub fn lower(array: &dyn Array, columns: &mut Vec<Lowered>) -> Result<u32, String> {
    let at = columns.len();
    columns.push(placeholder());
    lower_into(array, at, columns)?;
    Ok(at as u32)
}

/// Fills `columns[at]` with `array`, appending its children to `columns`.
pub fn lower_into(array: &dyn Array, at: usize, columns: &mut Vec<Lowered>) -> Result<(), String> {
    let len = u32::try_from(array.len()).map_err(|_| format!("a column of {} rows is too long", array.len()))?;
    let validity = match array.logical_nulls() {
        Some(n) if n.null_count() > 0 => Some(bitmap(n.inner())),
        _ => None,
    };
    columns[at].len = len;
    columns[at].validity = validity;
    let fixed = |width: usize| -> Bytes {
        let data = array.to_data();
        Bytes::Shared(data.buffers()[0].slice_with_length(data.offset() * width, array.len() * width))
    };
    let (values, offsets, children) = match array.data_type() {
        ArrowType::Null => (Bytes::Made(vec![0; array.len().div_ceil(8)]), None, Vec::new()),
        ArrowType::Boolean => (bitmap(array.as_boolean().values()), None, Vec::new()),
        ArrowType::Int32 | ArrowType::Date32 | ArrowType::Time32(_) => (fixed(4), None, Vec::new()),
        ArrowType::Int64 | ArrowType::Float64 | ArrowType::Timestamp(_, _) => (fixed(8), None, Vec::new()),
        ArrowType::Decimal128(_, _) => (fixed(16), None, Vec::new()),
        ArrowType::Utf8 => {
            let a = array.as_string::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            (Bytes::Shared(a.values().slice_with_length(range.start, range.len())), Some(offsets), Vec::new())
        }
        ArrowType::Binary => {
            let a = array.as_binary::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            (Bytes::Shared(a.values().slice_with_length(range.start, range.len())), Some(offsets), Vec::new())
        }
        ArrowType::List(_) => {
            let a = array.as_list::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            let items = a.values().slice(range.start, range.len());
            (Bytes::Made(Vec::new()), Some(offsets), vec![lower(items.as_ref(), columns)?])
        }
        ArrowType::Map(_, _) => {
            let a = array.as_map();
            let (offsets, range) = offsets_from_zero(a.offsets());
            let keys: ArrayRef = a.keys().slice(range.start, range.len());
            let values: ArrayRef = a.values().slice(range.start, range.len());
            let k = lower(keys.as_ref(), columns)?;
            let v = lower(values.as_ref(), columns)?;
            (Bytes::Made(Vec::new()), Some(offsets), vec![k, v])
        }
        ArrowType::Struct(_) => {
            let a = array.as_struct();
            let mut children = Vec::with_capacity(a.num_columns());
            for c in a.columns() {
                children.push(lower(c.as_ref(), columns)?);
            }
            (Bytes::Made(Vec::new()), None, children)
        }
        other => return Err(format!("the Arrow type {other} has no ABI layout")),
    };
    let col = &mut columns[at];
    col.values = values;
    col.offsets = offsets;
    col.children = children;
    Ok(())
}

/// A bitmap starting at bit 0, `(len + 7) / 8` bytes: the array's own bytes when it
/// starts on a byte boundary, else realigned.
fn bitmap(bits: &BooleanBuffer) -> Bytes {
    let bytes = bits.len().div_ceil(8);
    if bits.offset().is_multiple_of(8) {
        Bytes::Shared(bits.inner().slice_with_length(bits.offset() / 8, bytes))
    } else {
        Bytes::Shared(bits.sliced().slice_with_length(0, bytes))
    }
}

/// The offsets as little-endian bytes starting at 0, and the range of the data they
/// cover: the array's own offsets when they start at 0 (an array that is not a
/// slice), otherwise each shifted.
fn offsets_from_zero(offsets: &OffsetBuffer<i32>) -> (Bytes, Range<usize>) {
    let first = offsets[0];
    let last = offsets[offsets.len() - 1];
    let bytes = if first == 0 {
        Bytes::Shared(offsets.inner().inner().clone())
    } else {
        let mut out = Vec::with_capacity(offsets.len() * 4);
        for o in offsets.iter() {
            out.extend_from_slice(&(o - first).to_le_bytes());
        }
        Bytes::Made(out)
    };
    (bytes, first.max(0) as usize..last.max(0) as usize)
}
