//! Lifting: the columns a guest returned into an Arrow array of the function's
//! return type.
//!
//! Nothing the guest sends is trusted: every index, length, bitmap and offset is
//! checked (offsets in bounds and non-decreasing, UTF-8 valid, each string starting
//! on a character), so a buggy or hostile guest gets a call error, never a malformed
//! array in the engine. Nested arrays are built through Arrow's validating
//! constructors. STRING and BYTES, the common results, are checked here in vector
//! passes instead (`check_offsets`, then [`utf8`]'s ASCII or UTF-8 pass) rather than
//! by Arrow's scalar pass per row, and a top-level one becomes the result array
//! without a round trip through `ArrayData`.

use std::sync::Arc;

use arrow_array::{make_array, Array, ArrayRef, BinaryArray, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_data::ArrayData;
use arrow_schema::DataType as ArrowType;
use wasp_sql::DataType;

use super::bindings::ColumnResult as Column;
use crate::columnar::to_arrow;

/// The array of type `ty` and `rows` rows in `columns[0]` (and its children). The
/// columns' buffers become the array's buffers without another copy (moved out of
/// `columns`; a buffer a guest names twice is empty the second time, and refused).
pub fn lift(columns: &mut [Column], ty: &DataType, rows: usize) -> Result<ArrayRef, String> {
    match ty {
        DataType::String | DataType::Bytes => {
            let col = columns.first_mut().ok_or("column 0 is missing")?;
            if col.len as usize != rows {
                return Err(format!("column 0 has {} rows, expected {rows}", col.len));
            }
            bytes_column(col, matches!(ty, DataType::String), 0)
        }
        _ => Ok(make_array(column(columns, 0, &to_arrow(ty), Some(rows))?)),
    }
}

/// A STRING (`utf8`) or BYTES column, its buffers moved out of `col`.
fn bytes_column(col: &mut Column, utf8: bool, at: usize) -> Result<ArrayRef, String> {
    let len = col.len as usize;
    let validity = col.validity.take().map(|v| bitmap(v, len, at, "validity")).transpose()?;
    let values = std::mem::take(&mut col.values);
    let offsets = col.offsets.take().ok_or_else(|| format!("column {at} has no offsets"))?;
    if offsets.len() != (len + 1) * 4 {
        return Err(format!("column {at} has {} offset bytes, {len} rows need {}", offsets.len(), (len + 1) * 4));
    }
    let offsets = check_offsets(Buffer::from_vec(offsets), len, values.len(), at)?;
    let values = Buffer::from_vec(values);
    let nulls = validity.map(|v| NullBuffer::new(BooleanBuffer::new(v, 0, len)));
    Ok(if utf8 {
        Arc::new(self::utf8(offsets, values, nulls, at)?)
    } else {
        Arc::new(BinaryArray::try_new(offsets, values, nulls).map_err(|e| format!("column {at}: {e}"))?)
    })
}

/// A STRING array of `offsets` into `values`, after checking that they fit and the
/// text: one vector pass finds ASCII text (the common case: UTF-8 with
/// a character boundary at every byte); other text is checked by simdutf8 and each
/// row's start looked at.
#[allow(unsafe_code)]
fn utf8(
    offsets: OffsetBuffer<i32>,
    values: Buffer,
    nulls: Option<NullBuffer>,
    at: usize,
) -> Result<StringArray, String> {
    let rows = offsets.len() - 1;
    let end = offsets[rows] as usize;
    if end > values.len() {
        return Err(format!("column {at}: offsets reach byte {end} of a {}-byte data buffer", values.len()));
    }
    if nulls.as_ref().is_some_and(|n| n.len() != rows) {
        return Err(format!("column {at}: the validity does not have {rows} rows"));
    }
    let bytes = values.as_slice();
    if !bytes.is_ascii() {
        let text = simdutf8::basic::from_utf8(bytes).map_err(|_| match std::str::from_utf8(bytes) {
            Err(e) => format!("column {at}: the text is not UTF-8: {e}"),
            Ok(_) => format!("column {at}: the text is not UTF-8"),
        })?;
        if let Some(row) = offsets.iter().position(|&o| !text.is_char_boundary(o as usize)) {
            return Err(format!("column {at}: row {row} starts inside a UTF-8 character"));
        }
    }
    // SAFETY: `new_unchecked` needs what `try_new` checks, and it all holds here:
    // the offsets start at 0 or more and never decrease (an `OffsetBuffer` cannot be
    // made otherwise) and end within `values` (checked above); `values` is UTF-8
    // (ASCII, or simdutf8 said so) and every offset is on a character boundary
    // (every byte of ASCII is one; other text was checked row by row above); the
    // validity, if any, has one bit per row (checked above).
    Ok(unsafe { StringArray::new_unchecked(offsets, values, nulls) })
}

fn column(columns: &mut [Column], at: usize, ty: &ArrowType, want_len: Option<usize>) -> Result<ArrayData, String> {
    let col = columns.get_mut(at).ok_or_else(|| format!("column {at} is missing"))?;
    let len = col.len as usize;
    if let Some(want) = want_len.filter(|&want| want != len) {
        return Err(format!("column {at} has {len} rows, expected {want}"));
    }
    if matches!(ty, ArrowType::Utf8 | ArrowType::Binary) {
        return Ok(bytes_column(col, matches!(ty, ArrowType::Utf8), at)?.into_data());
    }
    let validity = col.validity.take();
    let values = std::mem::take(&mut col.values);
    let offsets_bytes = col.offsets.take();
    let children = std::mem::take(&mut col.children);
    let mut child = |i: usize, ty: &ArrowType, len: Option<usize>| -> Result<ArrayData, String> {
        let &index = children.get(i).ok_or_else(|| format!("column {at} lacks child column {i}"))?;
        let index = index as usize;
        if index <= at {
            return Err(format!("column {at} names child column {index}, which is not after it"));
        }
        column(columns, index, ty, len)
    };
    let validity = validity.map(|v| bitmap(v, len, at, "validity")).transpose()?;
    let mut b = ArrayData::builder(ty.clone()).len(len).align_buffers(true).null_bit_buffer(validity.clone());
    let fixed = |values: Vec<u8>, width: usize| -> Result<Buffer, String> {
        let need = len * width;
        if values.len() < need {
            return Err(format!("column {at} has {} value bytes for {len} rows of {width} bytes", values.len()));
        }
        Ok(Buffer::from_vec(values).slice_with_length(0, need))
    };
    let offsets = |o: Option<Vec<u8>>| -> Result<Buffer, String> {
        let o = o.ok_or_else(|| format!("column {at} has no offsets"))?;
        if o.len() != (len + 1) * 4 {
            return Err(format!("column {at} has {} offset bytes, {len} rows need {}", o.len(), (len + 1) * 4));
        }
        Ok(Buffer::from_vec(o))
    };
    b = match ty {
        ArrowType::Boolean => b.add_buffer(bitmap(values, len, at, "values")?),
        ArrowType::Int32 | ArrowType::Date32 | ArrowType::Time32(_) => b.add_buffer(fixed(values, 4)?),
        ArrowType::Int64 | ArrowType::Float64 | ArrowType::Timestamp(_, _) => b.add_buffer(fixed(values, 8)?),
        ArrowType::Decimal128(_, _) => b.add_buffer(fixed(values, 16)?),
        ArrowType::List(item) => {
            let items = child(0, item.data_type(), None)?;
            b.add_buffer(offsets(offsets_bytes)?).add_child_data(items)
        }
        ArrowType::Map(entries, _) => {
            let ArrowType::Struct(fields) = entries.data_type() else {
                return Err("a MAP without entries".into());
            };
            let keys = child(0, fields[0].data_type(), None)?;
            if keys.null_count() > 0 {
                return Err(format!("column {at}: a MAP key is NULL"));
            }
            let values = child(1, fields[1].data_type(), Some(keys.len()))?;
            let entries = ArrayData::builder(entries.data_type().clone())
                .len(keys.len())
                .add_child_data(keys)
                .add_child_data(values)
                .build()
                .map_err(|e| format!("column {at}: {e}"))?;
            b.add_buffer(offsets(offsets_bytes)?).add_child_data(entries)
        }
        ArrowType::Struct(fields) => {
            if children.len() != fields.len() {
                return Err(format!("column {at} has {} fields, expected {}", children.len(), fields.len()));
            }
            for (i, f) in fields.iter().enumerate() {
                b = b.add_child_data(child(i, f.data_type(), Some(len))?);
            }
            b
        }
        other => return Err(format!("no ABI layout for {other}")),
    };
    b.build().map_err(|e| format!("column {at}: {e}"))
}

/// `len + 1` offsets, checked so that `OffsetBuffer::new` and `try_new` cannot
/// panic on them: the first not negative, none smaller than the one before, the
/// last within the `data_len` bytes of data. The order check is one branch-free
/// pass (it vectorizes); the failing row is looked for only when there is one.
fn check_offsets(bytes: Buffer, len: usize, data_len: usize, at: usize) -> Result<OffsetBuffer<i32>, String> {
    let offsets: ScalarBuffer<i32> = if bytes.as_ptr().align_offset(std::mem::align_of::<i32>()) == 0 {
        ScalarBuffer::new(bytes, 0, len + 1)
    } else {
        bytes.as_slice().chunks_exact(4).map(|o| i32::from_le_bytes([o[0], o[1], o[2], o[3]])).collect()
    };
    let (first, last) = (offsets[0], offsets[len]);
    if first < 0 {
        return Err(format!("column {at}: offset 0 is negative ({first})"));
    }
    let sorted = offsets[..len].iter().zip(&offsets[1..]).fold(true, |sorted, (a, b)| sorted & (a <= b));
    if !sorted {
        let row = offsets.windows(2).position(|w| w[0] > w[1]).unwrap_or(0);
        return Err(format!("column {at}: offsets decrease at row {row}: {} then {}", offsets[row], offsets[row + 1]));
    }
    if last as usize > data_len {
        return Err(format!("column {at}: offsets reach byte {last} of a {data_len}-byte data buffer"));
    }
    // SAFETY: `new_unchecked` needs what `new` asserts (in a second, scalar pass):
    // at least one offset (`len + 1` of them), the first not negative and none
    // smaller than the one before, all checked above.
    #[allow(unsafe_code)]
    Ok(unsafe { OffsetBuffer::new_unchecked(offsets) })
}

/// A bitmap of at least `(len + 7) / 8` bytes.
fn bitmap(bytes: Vec<u8>, len: usize, at: usize, what: &str) -> Result<Buffer, String> {
    let need = len.div_ceil(8);
    if bytes.len() < need {
        return Err(format!("column {at} has a {what} bitmap of {} bytes, {len} rows need {need}", bytes.len()));
    }
    Ok(Buffer::from_vec(bytes).slice_with_length(0, need))
}
