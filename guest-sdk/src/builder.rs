//! Builders for the result column, producing the WIT layout directly: the buffers
//! they fill are the buffers the host copies out, with no re-encoding.
//!
//! A validity bitmap costs nothing until the first NULL: a column without NULLs is
//! sent with `validity: none`.

use std::fmt;

use crate::bitmap::BitmapBuilder;
use crate::layout::OwnedColumn;
use crate::view::Native;

/// What every result builder does: take NULLs, count rows and finish into a column.
pub trait ColumnBuilder {
    /// A builder with room for `rows` rows.
    fn with_capacity(rows: usize) -> Self
    where
        Self: Sized;
    /// Appends a NULL row.
    fn append_null(&mut self);
    /// The rows so far.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The finished column.
    fn finish(self) -> OwnedColumn
    where
        Self: Sized;
}

/// The validity of a column being built: no bitmap until the first NULL.
#[derive(Debug, Clone, Default)]
struct ValidityBuilder {
    bitmap: Option<BitmapBuilder>,
    len: usize,
    capacity: usize,
}

impl ValidityBuilder {
    fn with_capacity(capacity: usize) -> Self {
        ValidityBuilder { bitmap: None, len: 0, capacity }
    }

    #[inline]
    fn push(&mut self, valid: bool) {
        match (&mut self.bitmap, valid) {
            (Some(bitmap), _) => bitmap.push(valid),
            (None, true) => {}
            (None, false) => {
                let mut bitmap = BitmapBuilder::all_set(self.len, self.capacity);
                bitmap.push(false);
                self.bitmap = Some(bitmap);
            }
        }
        self.len += 1;
    }

    fn finish(self) -> Option<Vec<u8>> {
        self.bitmap.map(BitmapBuilder::finish)
    }
}

fn row_count(len: usize) -> u32 {
    // A batch has at most u32::MAX rows, and the builder one row per batch row.
    u32::try_from(len).expect("a result column longer than u32::MAX rows")
}

/// Builds a column of fixed-width values (`PrimitiveBuilder<i64>` for BIGINT).
#[derive(Debug, Clone, Default)]
pub struct PrimitiveBuilder<T: Native> {
    values: Vec<u8>,
    validity: ValidityBuilder,
    _type: std::marker::PhantomData<T>,
}

impl<T: Native> PrimitiveBuilder<T> {
    #[inline]
    pub fn append(&mut self, value: T) {
        value.extend_le(&mut self.values);
        self.validity.push(true);
    }

    #[inline]
    pub fn append_option(&mut self, value: Option<T>) {
        match value {
            Some(v) => self.append(v),
            None => self.append_null(),
        }
    }
}

impl<T: Native> ColumnBuilder for PrimitiveBuilder<T> {
    fn with_capacity(rows: usize) -> Self {
        PrimitiveBuilder {
            values: Vec::with_capacity(rows * T::WIDTH),
            validity: ValidityBuilder::with_capacity(rows),
            _type: std::marker::PhantomData,
        }
    }

    #[inline]
    fn append_null(&mut self) {
        T::default().extend_le(&mut self.values);
        self.validity.push(false);
    }

    fn len(&self) -> usize {
        self.validity.len
    }

    fn finish(self) -> OwnedColumn {
        OwnedColumn {
            len: row_count(self.validity.len),
            validity: self.validity.finish(),
            values: self.values,
            offsets: None,
            children: Vec::new(),
        }
    }
}

/// Builds a BOOLEAN column.
#[derive(Debug, Clone, Default)]
pub struct BoolBuilder {
    values: BitmapBuilder,
    validity: ValidityBuilder,
}

impl BoolBuilder {
    #[inline]
    pub fn append(&mut self, value: bool) {
        self.values.push(value);
        self.validity.push(true);
    }

    #[inline]
    pub fn append_option(&mut self, value: Option<bool>) {
        match value {
            Some(v) => self.append(v),
            None => self.append_null(),
        }
    }
}

impl ColumnBuilder for BoolBuilder {
    fn with_capacity(rows: usize) -> Self {
        BoolBuilder { values: BitmapBuilder::with_capacity(rows), validity: ValidityBuilder::with_capacity(rows) }
    }

    #[inline]
    fn append_null(&mut self) {
        self.values.push(false);
        self.validity.push(false);
    }

    fn len(&self) -> usize {
        self.validity.len
    }

    fn finish(self) -> OwnedColumn {
        OwnedColumn {
            len: row_count(self.validity.len),
            validity: self.validity.finish(),
            values: self.values.finish(),
            offsets: None,
            children: Vec::new(),
        }
    }
}

/// Builds a BYTES column: one data buffer and the offsets into it.
///
/// A value can be appended whole ([`append`](Self::append)) or written in pieces
/// ([`extend`](Self::extend), then [`end_value`](Self::end_value)), with no
/// intermediate allocation.
#[derive(Debug, Clone, Default)]
pub struct BytesBuilder {
    data: Vec<u8>,
    offsets: Vec<u8>,
    validity: ValidityBuilder,
}

impl BytesBuilder {
    /// A builder with room for `rows` rows and `bytes` bytes of data.
    pub fn with_capacity_and_bytes(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity((rows + 1) * 4);
        offsets.extend_from_slice(&0i32.to_le_bytes());
        BytesBuilder { data: Vec::with_capacity(bytes), offsets, validity: ValidityBuilder::with_capacity(rows) }
    }

    /// Appends bytes to the value being written.
    #[inline]
    pub fn extend(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
    }

    /// Ends the value being written (empty if nothing was written).
    #[inline]
    pub fn end_value(&mut self) {
        // Data past i32::MAX bytes cannot be addressed by the layout's offsets; a batch
        // that large is far past any memory limit a host sets.
        let end = i32::try_from(self.data.len()).expect("result data past i32::MAX bytes");
        self.offsets.extend_from_slice(&end.to_le_bytes());
        self.validity.push(true);
    }

    #[inline]
    pub fn append(&mut self, value: &[u8]) {
        self.extend(value);
        self.end_value();
    }

    #[inline]
    pub fn append_option(&mut self, value: Option<&[u8]>) {
        match value {
            Some(v) => self.append(v),
            None => self.append_null(),
        }
    }

    /// Drops what was written of the current value (before `end_value`).
    pub fn discard_value(&mut self) {
        let start = i32::read_le(&self.offsets[self.offsets.len() - 4..]) as usize;
        self.data.truncate(start);
    }

    /// The bytes written so far of the value being written.
    pub fn pending(&self) -> &[u8] {
        let start = i32::read_le(&self.offsets[self.offsets.len() - 4..]) as usize;
        &self.data[start..]
    }
}

impl ColumnBuilder for BytesBuilder {
    fn with_capacity(rows: usize) -> Self {
        Self::with_capacity_and_bytes(rows, rows * 16)
    }

    #[inline]
    fn append_null(&mut self) {
        self.discard_value();
        let end = i32::read_le(&self.offsets[self.offsets.len() - 4..]);
        self.offsets.extend_from_slice(&end.to_le_bytes());
        self.validity.push(false);
    }

    fn len(&self) -> usize {
        self.validity.len
    }

    fn finish(self) -> OwnedColumn {
        OwnedColumn {
            len: row_count(self.validity.len),
            validity: self.validity.finish(),
            values: self.data,
            offsets: Some(self.offsets),
            children: Vec::new(),
        }
    }
}

/// Builds a STRING column. Text is written straight into the column's data buffer,
/// whole ([`append`](Self::append)) or in pieces through [`fmt::Write`] and then
/// [`end_value`](Self::end_value):
///
/// ```
/// use std::fmt::Write;
/// use wasp_guest::{ColumnBuilder, StringBuilder, StrView};
///
/// let mut out = StringBuilder::with_capacity(2);
/// out.append("plain");
/// write!(out, "{}-{}", "a", 1).unwrap();
/// out.end_value();
/// let column = out.finish();
/// let view = StrView::new(column.as_ref()).unwrap();
/// assert_eq!(view.value(1), "a-1");
/// ```
#[derive(Debug, Clone, Default)]
pub struct StringBuilder {
    bytes: BytesBuilder,
}

impl StringBuilder {
    /// A builder with room for `rows` rows and `bytes` bytes of text.
    pub fn with_capacity_and_bytes(rows: usize, bytes: usize) -> Self {
        StringBuilder { bytes: BytesBuilder::with_capacity_and_bytes(rows, bytes) }
    }

    /// Appends text to the value being written.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.bytes.extend(s.as_bytes());
    }

    /// Appends one character to the value being written.
    #[inline]
    pub fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Ends the value being written.
    #[inline]
    pub fn end_value(&mut self) {
        self.bytes.end_value();
    }

    /// Appends a whole value.
    #[inline]
    pub fn append(&mut self, value: &str) {
        self.bytes.append(value.as_bytes());
    }

    #[inline]
    pub fn append_option(&mut self, value: Option<&str>) {
        match value {
            Some(v) => self.append(v),
            None => self.append_null(),
        }
    }

    /// Drops what was written of the current value.
    pub fn discard_value(&mut self) {
        self.bytes.discard_value();
    }
}

impl fmt::Write for StringBuilder {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

impl ColumnBuilder for StringBuilder {
    fn with_capacity(rows: usize) -> Self {
        StringBuilder { bytes: BytesBuilder::with_capacity(rows) }
    }

    #[inline]
    fn append_null(&mut self) {
        self.bytes.append_null();
    }

    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn finish(self) -> OwnedColumn {
        self.bytes.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{BoolView, BytesView, PrimitiveView, StrView};

    #[test]
    fn no_validity_until_the_first_null() {
        let mut b = PrimitiveBuilder::<i64>::with_capacity(3);
        b.append(1);
        b.append(-1);
        let col = b.finish();
        assert_eq!(col.validity, None);
        assert_eq!(col.values, [1i64.to_le_bytes(), (-1i64).to_le_bytes()].concat());
        assert_eq!(col.len, 2);
    }

    #[test]
    fn primitive_column_with_nulls_round_trips_through_the_view() {
        let mut b = PrimitiveBuilder::<i32>::with_capacity(10);
        let input: Vec<Option<i32>> = (0..10).map(|i| if i % 3 == 1 { None } else { Some(i * 100) }).collect();
        for v in &input {
            b.append_option(*v);
        }
        let col = b.finish();
        assert_eq!(col.validity, Some(vec![0b0110_1101, 0b11]));
        assert_eq!(col.values.len(), 40, "NULL rows keep their slot");
        let view = PrimitiveView::<i32>::new(col.as_ref()).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), input);
    }

    #[test]
    fn strings_in_the_arrow_layout() {
        let mut b = StringBuilder::with_capacity(4);
        b.append("ab");
        b.append_null();
        b.push_str("c");
        b.push('€');
        b.end_value();
        b.push_str("dropped");
        b.append_null();
        let col = b.finish();
        let offsets: Vec<u8> = [0i32, 2, 2, 6, 6].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(col.offsets.as_deref(), Some(&offsets[..]));
        assert_eq!(col.values, "abc€".as_bytes());
        assert_eq!(col.validity, Some(vec![0b0101]));
        let view = StrView::new(col.as_ref()).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), vec![Some("ab"), None, Some("c€"), None]);
    }

    #[test]
    fn bytes_and_booleans_round_trip() {
        let mut b = BytesBuilder::with_capacity(2);
        b.append(&[1, 2]);
        b.extend(&[3]);
        assert_eq!(b.pending(), &[3]);
        b.end_value();
        let col = b.finish();
        let view = BytesView::new(col.as_ref()).unwrap();
        assert_eq!(view.value(1), &[3]);

        let mut b = BoolBuilder::with_capacity(9);
        for v in [Some(true), None, Some(false), Some(true), None, None, None, None, Some(true)] {
            b.append_option(v);
        }
        let col = b.finish();
        let view = BoolView::new(col.as_ref()).unwrap();
        assert_eq!(
            view.iter().collect::<Vec<_>>(),
            vec![Some(true), None, Some(false), Some(true), None, None, None, None, Some(true)]
        );
    }
}
