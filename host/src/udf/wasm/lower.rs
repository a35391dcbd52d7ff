//! Lowering: the host's Arrow arrays into the ABI's columns.
//!
//! Each Arrow buffer becomes one `list<u8>` with one bulk copy: validity bitmaps and
//! BOOLEAN values realigned to bit 0 when the array is a slice, fixed-width values
//! copied as they lie, offsets copied as they are (or shifted to start at 0 when the
//! array is a slice that does not start at the beginning of its data). A nested
//! column appends its child columns after itself and names them by index.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_buffer::{BooleanBuffer, OffsetBuffer};
use arrow_schema::DataType as ArrowType;

use super::bindings::Column;

// The ABI is little-endian; Arrow buffers are native-endian. They agree here.
const _: () = assert!(cfg!(target_endian = "little"), "the wasp guest ABI needs a little-endian host");

/// An empty column, to be filled by [`lower_into`].
pub fn placeholder() -> Column {
    Column { len: 0, validity: None, values: Vec::new(), offsets: None, children: Vec::new() }
}

/// Appends `array` (and its children) to `columns`; returns its index.
pub fn lower(array: &dyn Array, columns: &mut Vec<Column>) -> Result<u32, String> {
    let at = columns.len();
    columns.push(placeholder());
    lower_into(array, at, columns)?;
    Ok(at as u32)
}

/// Fills `columns[at]` with `array`, appending its children to `columns`.
pub fn lower_into(array: &dyn Array, at: usize, columns: &mut Vec<Column>) -> Result<(), String> {
    let len = u32::try_from(array.len()).map_err(|_| format!("a column of {} rows is too long", array.len()))?;
    let validity = match array.logical_nulls() {
        Some(n) if n.null_count() > 0 => Some(bitmap(n.inner())),
        _ => None,
    };
    columns[at].len = len;
    columns[at].validity = validity;
    let data = array.to_data();
    let fixed = |width: usize| -> Vec<u8> {
        let start = data.offset() * width;
        data.buffers()[0].as_slice()[start..start + array.len() * width].to_vec()
    };
    let (values, offsets, children) = match array.data_type() {
        ArrowType::Null => (vec![0; array.len().div_ceil(8)], None, Vec::new()),
        ArrowType::Boolean => (bitmap(array.as_boolean().values()), None, Vec::new()),
        ArrowType::Int32 | ArrowType::Date32 | ArrowType::Time32(_) => (fixed(4), None, Vec::new()),
        ArrowType::Int64 | ArrowType::Float64 | ArrowType::Timestamp(_, _) => (fixed(8), None, Vec::new()),
        ArrowType::Decimal128(_, _) => (fixed(16), None, Vec::new()),
        ArrowType::Utf8 => {
            let a = array.as_string::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            (a.values().as_slice()[range].to_vec(), Some(offsets), Vec::new())
        }
        ArrowType::Binary => {
            let a = array.as_binary::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            (a.values().as_slice()[range].to_vec(), Some(offsets), Vec::new())
        }
        ArrowType::List(_) => {
            let a = array.as_list::<i32>();
            let (offsets, range) = offsets_from_zero(a.offsets());
            let items = a.values().slice(range.start, range.len());
            (Vec::new(), Some(offsets), vec![lower(items.as_ref(), columns)?])
        }
        ArrowType::Map(_, _) => {
            let a = array.as_map();
            let (offsets, range) = offsets_from_zero(a.offsets());
            let keys: ArrayRef = a.keys().slice(range.start, range.len());
            let values: ArrayRef = a.values().slice(range.start, range.len());
            let k = lower(keys.as_ref(), columns)?;
            let v = lower(values.as_ref(), columns)?;
            (Vec::new(), Some(offsets), vec![k, v])
        }
        ArrowType::Struct(_) => {
            let a = array.as_struct();
            let mut children = Vec::with_capacity(a.num_columns());
            for c in a.columns() {
                children.push(lower(c.as_ref(), columns)?);
            }
            (Vec::new(), None, children)
        }
        other => return Err(format!("the Arrow type {other} has no ABI layout")),
    };
    let col = &mut columns[at];
    col.values = values;
    col.offsets = offsets;
    col.children = children;
    Ok(())
}

/// A bitmap starting at bit 0, `(len + 7) / 8` bytes.
fn bitmap(bits: &BooleanBuffer) -> Vec<u8> {
    if bits.offset().is_multiple_of(8) {
        let start = bits.offset() / 8;
        bits.inner().as_slice()[start..start + bits.len().div_ceil(8)].to_vec()
    } else {
        bits.sliced().as_slice()[..bits.len().div_ceil(8)].to_vec()
    }
}

/// The offsets as little-endian bytes starting at 0, and the range of the data they
/// cover. A copy as they are when they already start at 0 (an array that is not a
/// slice); otherwise each is shifted.
fn offsets_from_zero(offsets: &OffsetBuffer<i32>) -> (Vec<u8>, std::ops::Range<usize>) {
    let first = offsets[0];
    let last = offsets[offsets.len() - 1];
    let bytes = if first == 0 {
        offsets.inner().inner().as_slice().to_vec()
    } else {
        let mut out = Vec::with_capacity(offsets.len() * 4);
        for o in offsets.iter() {
            out.extend_from_slice(&(o - first).to_le_bytes());
        }
        out
    };
    (bytes, first.max(0) as usize..last.max(0) as usize)
}
