//! Lifting: the columns a guest returned into an Arrow array of the function's
//! return type.
//!
//! Nothing the guest sends is trusted: every index, length, bitmap and offset is
//! checked, and every array is built through Arrow's validating constructors
//! (offsets in bounds and non-decreasing, UTF-8 valid, each string starting on a
//! character), so a buggy or hostile guest gets a call error, never a malformed
//! array in the engine. STRING and BYTES, the common results, are checked in a few
//! vector passes (`check_offsets`, then `try_new`'s one UTF-8 pass) rather than by
//! `ArrayData`'s row-by-row validation.

use arrow_array::{make_array, Array, ArrayRef, BinaryArray, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_data::ArrayData;
use arrow_schema::{ArrowError, DataType as ArrowType};
use wasp_sql::DataType;

use super::bindings::ColumnResult as Column;
use crate::columnar::to_arrow;

/// The array of type `ty` and `rows` rows in `columns[0]` (and its children). The
/// columns' buffers become the array's buffers without another copy (moved out of
/// `columns`; a buffer a guest names twice is empty the second time, and refused).
pub fn lift(columns: &mut [Column], ty: &DataType, rows: usize) -> Result<ArrayRef, String> {
    let data = column(columns, 0, &to_arrow(ty), Some(rows))?;
    Ok(make_array(data))
}

fn column(columns: &mut [Column], at: usize, ty: &ArrowType, want_len: Option<usize>) -> Result<ArrayData, String> {
    let col = columns.get_mut(at).ok_or_else(|| format!("column {at} is missing"))?;
    let len = col.len as usize;
    let validity = col.validity.take();
    let values = std::mem::take(&mut col.values);
    let offsets_bytes = col.offsets.take();
    let children = std::mem::take(&mut col.children);
    if let Some(want) = want_len {
        if len != want {
            return Err(format!("column {at} has {len} rows, expected {want}"));
        }
    }
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
        ArrowType::Utf8 | ArrowType::Binary => {
            let offsets = check_offsets(offsets(offsets_bytes)?, len, values.len(), at)?;
            let values = Buffer::from_vec(values);
            let nulls = validity.map(|v| NullBuffer::new(BooleanBuffer::new(v, 0, len)));
            let invalid = |e: ArrowError| format!("column {at}: {e}");
            return Ok(if matches!(ty, ArrowType::Utf8) {
                StringArray::try_new(offsets, values, nulls).map_err(invalid)?.into_data()
            } else {
                BinaryArray::try_new(offsets, values, nulls).map_err(invalid)?.into_data()
            });
        }
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
    let sorted = offsets.windows(2).fold(true, |sorted, w| sorted & (w[0] <= w[1]));
    if !sorted {
        let row = offsets.windows(2).position(|w| w[0] > w[1]).unwrap_or(0);
        return Err(format!("column {at}: offsets decrease at row {row}: {} then {}", offsets[row], offsets[row + 1]));
    }
    if last as usize > data_len {
        return Err(format!("column {at}: offsets reach byte {last} of a {data_len}-byte data buffer"));
    }
    Ok(OffsetBuffer::new(offsets))
}

/// A bitmap of at least `(len + 7) / 8` bytes.
fn bitmap(bytes: Vec<u8>, len: usize, at: usize, what: &str) -> Result<Buffer, String> {
    let need = len.div_ceil(8);
    if bytes.len() < need {
        return Err(format!("column {at} has a {what} bitmap of {} bytes, {len} rows need {need}", bytes.len()));
    }
    Ok(Buffer::from_vec(bytes).slice_with_length(0, need))
}
