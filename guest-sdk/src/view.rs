//! Zero-copy typed views over argument columns.
//!
//! A view checks a column's buffers once, when it is made (sizes and bounds; in a
//! debug build also what the ABI makes the host promise: offsets that never
//! decrease, STRING data that is UTF-8), and then reads values straight out of the
//! buffers the host lowered: no copy, no allocation, and one `unsafe` (a STRING
//! column's data becomes a `&str` without a pass over it, see `host_text`).
//! Fixed-width values are read with `from_le_bytes`, which compiles to one
//! unaligned load on WebAssembly (the ABI promises no alignment).

use std::marker::PhantomData;

use crate::bitmap::Bitmap;
use crate::layout::{ColumnRef, LayoutError};

/// A fixed-width little-endian value type of the layout: `i32` (INT, DATE, TIME),
/// `i64` (BIGINT, TIMESTAMP), `f64` (DOUBLE), `i128` (DECIMAL).
pub trait Native: Copy + Default + PartialEq + std::fmt::Debug + 'static {
    /// Bytes per value.
    const WIDTH: usize;
    /// Reads a value from exactly `WIDTH` bytes.
    fn read_le(bytes: &[u8]) -> Self;
    /// Appends the value's `WIDTH` bytes.
    fn extend_le(self, out: &mut Vec<u8>);
}

macro_rules! native {
    ($($t:ty),*) => {$(
        impl Native for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
            #[inline]
            fn read_le(bytes: &[u8]) -> $t {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
            #[inline]
            fn extend_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
native!(i32, i64, u64, f64, i128);

/// The validity bitmap of a column, if it has one.
fn validity<'a>(col: &ColumnRef<'a>) -> Result<Option<Bitmap<'a>>, LayoutError> {
    col.validity.map(|bytes| Bitmap::new(bytes, col.len as usize, "validity")).transpose()
}

/// Whether every byte is ASCII: one OR over 8-byte words, which compiles to vector
/// instructions (core's `is_ascii` is built without WebAssembly SIMD, and a byte
/// loop does not vectorize).
fn is_ascii(bytes: &[u8]) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut any = 0u64;
    for word in &mut words {
        any |= u64::read_le(word);
    }
    for &b in words.remainder() {
        any |= u64::from(b);
    }
    any & HIGH_BITS == 0
}

/// The data of a STRING column as text.
///
/// That it is UTF-8 is the host's promise (the ABI says so, and wasp lowers STRING
/// columns from Arrow string arrays, which hold nothing else), so a release build
/// takes it without a pass over the text, as wit-bindgen's Rust bindings take the
/// component model's own `string`. A debug build, which is what unit tests and
/// `cargo test` run, checks it and refuses other bytes.
#[allow(unsafe_code)]
fn host_text(bytes: &[u8]) -> Result<&str, LayoutError> {
    if cfg!(debug_assertions) {
        return std::str::from_utf8(bytes).map_err(|e| LayoutError(format!("STRING data is not UTF-8: {e}")));
    }
    // SAFETY: the bytes are UTF-8, which the ABI requires of the host for a STRING
    // column's data (see above). Row boundaries are not assumed: `StrView::value`
    // slices the text with `str`'s own checks, so an offset inside a character
    // panics (a trap the host contains) rather than making a bad `&str`.
    Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// Checked `len + 1` offsets: returns the first and last.
fn check_offsets(offsets: Option<&[u8]>, len: usize, data_len: usize) -> Result<(usize, usize), LayoutError> {
    let offsets = offsets.ok_or_else(|| LayoutError("a variable-width column has no offsets".into()))?;
    let need = (len + 1) * 4;
    if offsets.len() < need {
        return Err(LayoutError(format!("{len} rows need {need} offset bytes, found {}", offsets.len())));
    }
    let offsets = &offsets[..need];
    let first = i32::read_le(&offsets[..4]);
    if first < 0 {
        return Err(LayoutError(format!("offset 0 is negative ({first})")));
    }
    // That they never decrease is the host's promise, like STRING's UTF-8 (see
    // `host_text`): a debug build checks it, a release build takes it. Reading rows
    // never relies on it for safety: a row is a checked slice of the data, so
    // decreasing offsets would panic (a trap the host contains), not misread memory.
    let last = offset_i32(offsets, len);
    if cfg!(debug_assertions) {
        for i in 1..=len {
            let (a, b) = (offset_i32(offsets, i - 1), offset_i32(offsets, i));
            if b < a {
                return Err(LayoutError(format!("offsets decrease at row {}: {a} then {b}", i - 1)));
            }
        }
    }
    let first = first as usize;
    let last = last as usize;
    if last < first {
        return Err(LayoutError(format!("the last offset ({last}) is before the first ({first})")));
    }
    if last > data_len {
        return Err(LayoutError(format!("offsets reach byte {last} of a {data_len}-byte data buffer")));
    }
    Ok((first, last))
}

#[inline]
fn offset_i32(offsets: &[u8], i: usize) -> i32 {
    i32::read_le(&offsets[i * 4..i * 4 + 4])
}

#[inline]
fn offset(offsets: &[u8], i: usize) -> usize {
    offset_i32(offsets, i) as usize
}

/// A column of fixed-width values: `PrimitiveView<i64>` for BIGINT, and so on.
#[derive(Debug, Clone, Copy)]
pub struct PrimitiveView<'a, T: Native> {
    values: &'a [u8],
    validity: Option<Bitmap<'a>>,
    len: usize,
    _type: PhantomData<T>,
}

impl<'a, T: Native> PrimitiveView<'a, T> {
    pub fn new(col: ColumnRef<'a>) -> Result<Self, LayoutError> {
        let len = col.len as usize;
        let need = len * T::WIDTH;
        if col.values.len() < need {
            return Err(LayoutError(format!(
                "{len} rows of {}-byte values need {need} bytes, found {}",
                T::WIDTH,
                col.values.len()
            )));
        }
        Ok(PrimitiveView { values: &col.values[..need], validity: validity(&col)?, len, _type: PhantomData })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether row `i` is NULL.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.is_some_and(|v| !v.get(i))
    }

    /// The number of NULL rows.
    pub fn null_count(&self) -> usize {
        self.validity.map_or(0, |v| v.count_zeros())
    }

    /// The value bytes of row `i`, NULL or not (a NULL's value is unspecified).
    #[inline]
    pub fn value(&self, i: usize) -> T {
        T::read_le(&self.values[i * T::WIDTH..(i + 1) * T::WIDTH])
    }

    /// Row `i`, `None` when NULL.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T> {
        if self.is_null(i) {
            None
        } else {
            Some(self.value(i))
        }
    }

    /// Every row, `None` for NULLs.
    pub fn iter(&self) -> impl Iterator<Item = Option<T>> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// Every value, NULL rows included (with unspecified values): the tight loop for
    /// kernels that apply the validity afterwards.
    pub fn values(&self) -> impl Iterator<Item = T> + 'a {
        self.values.chunks_exact(T::WIDTH).map(T::read_le)
    }
}

/// A BOOLEAN column: a bitmap of values and one of validity.
#[derive(Debug, Clone, Copy)]
pub struct BoolView<'a> {
    values: Bitmap<'a>,
    validity: Option<Bitmap<'a>>,
}

impl<'a> BoolView<'a> {
    pub fn new(col: ColumnRef<'a>) -> Result<Self, LayoutError> {
        Ok(BoolView { values: Bitmap::new(col.values, col.len as usize, "BOOLEAN values")?, validity: validity(&col)? })
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.is_some_and(|v| !v.get(i))
    }

    #[inline]
    pub fn value(&self, i: usize) -> bool {
        self.values.get(i)
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<bool> {
        if self.is_null(i) {
            None
        } else {
            Some(self.value(i))
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<bool>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// A BYTES column: offsets into one data buffer.
#[derive(Debug, Clone, Copy)]
pub struct BytesView<'a> {
    offsets: &'a [u8],
    data: &'a [u8],
    validity: Option<Bitmap<'a>>,
    len: usize,
}

impl<'a> BytesView<'a> {
    pub fn new(col: ColumnRef<'a>) -> Result<Self, LayoutError> {
        let len = col.len as usize;
        check_offsets(col.offsets, len, col.values.len())?;
        let offsets = col.offsets.map_or(&[][..], |o| &o[..(len + 1) * 4]);
        Ok(BytesView { offsets, data: col.values, validity: validity(&col)?, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.is_some_and(|v| !v.get(i))
    }

    /// The bytes of row `i`, borrowed from the batch (empty for a NULL).
    #[inline]
    pub fn value(&self, i: usize) -> &'a [u8] {
        &self.data[offset(self.offsets, i)..offset(self.offsets, i + 1)]
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if self.is_null(i) {
            None
        } else {
            Some(self.value(i))
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&'a [u8]>> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}

/// A STRING column: offsets into one UTF-8 data buffer. The offsets are checked
/// once, when the view is made (the text is the host's promise, see `host_text`);
/// reading a value is then a slice of the batch's buffer, which `str` checks falls
/// on character boundaries.
#[derive(Debug, Clone, Copy)]
pub struct StrView<'a> {
    offsets: &'a [u8],
    /// The data from the first offset to the last.
    data: &'a str,
    /// The first offset, subtracted from every offset.
    base: usize,
    validity: Option<Bitmap<'a>>,
    len: usize,
}

impl<'a> StrView<'a> {
    pub fn new(col: ColumnRef<'a>) -> Result<Self, LayoutError> {
        let len = col.len as usize;
        let (first, last) = check_offsets(col.offsets, len, col.values.len())?;
        let offsets = col.offsets.map_or(&[][..], |o| &o[..(len + 1) * 4]);
        let data = host_text(&col.values[first..last])?;
        if cfg!(debug_assertions) {
            for i in 1..len {
                if !data.is_char_boundary(offset(offsets, i) - first) {
                    return Err(LayoutError(format!("STRING row {i} starts inside a UTF-8 character")));
                }
            }
        }
        Ok(StrView { offsets, data, base: first, validity: validity(&col)?, len })
    }

    /// Whether the text of every row is ASCII, in one vector pass over it: a kernel
    /// may then map bytes without decoding characters. A kernel that reads every
    /// byte anyway can find it in its own pass instead (see `udfs/ucase/rust`).
    pub fn is_ascii(&self) -> bool {
        is_ascii(self.data.as_bytes())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.validity.is_some_and(|v| !v.get(i))
    }

    /// The number of NULL rows.
    pub fn null_count(&self) -> usize {
        self.validity.map_or(0, |v| v.count_zeros())
    }

    /// The validity bitmap; `None` when no row is NULL.
    pub fn validity(&self) -> Option<Bitmap<'a>> {
        self.validity
    }

    /// The text of every row, one after the other (NULL rows are usually empty):
    /// for kernels that work on the whole column at once, such as an ASCII case
    /// mapping. Row `i` is `text()[offset(i)..offset(i + 1)]`, offsets rebased to
    /// start at 0 (see [`offsets`](Self::offsets)).
    pub fn text(&self) -> &'a str {
        self.data
    }

    /// The `len + 1` offsets of the rows into [`text`](Self::text), starting at 0.
    pub fn offsets(&self) -> impl ExactSizeIterator<Item = usize> + 'a {
        let base = self.base;
        self.offsets.chunks_exact(4).map(move |o| i32::read_le(o) as usize - base)
    }

    /// The text of row `i`, borrowed from the batch (empty for a NULL).
    #[inline]
    pub fn value(&self, i: usize) -> &'a str {
        &self.data[offset(self.offsets, i) - self.base..offset(self.offsets, i + 1) - self.base]
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        if self.is_null(i) {
            None
        } else {
            Some(self.value(i))
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<&'a str>> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le_i32s(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn col<'a>(len: u32, validity: Option<&'a [u8]>, values: &'a [u8], offsets: Option<&'a [u8]>) -> ColumnRef<'a> {
        ColumnRef { len, validity, values, offsets, children: &[] }
    }

    #[test]
    fn primitive_views_read_unaligned_little_endian_values() {
        // One byte of padding in front makes the i64s unaligned.
        let mut bytes = vec![0xaa];
        for v in [1i64, -2, i64::MAX] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        let view = PrimitiveView::<i64>::new(col(3, Some(&[0b101]), &bytes[1..], None)).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), vec![Some(1), None, Some(i64::MAX)]);
        assert_eq!(view.values().collect::<Vec<_>>(), vec![1, -2, i64::MAX]);
        assert_eq!(view.null_count(), 1);

        let doubles: Vec<u8> = [0.5f64, f64::NAN].iter().flat_map(|v| v.to_le_bytes()).collect();
        let view = PrimitiveView::<f64>::new(col(2, None, &doubles, None)).unwrap();
        assert_eq!(view.get(0), Some(0.5));
        assert!(view.value(1).is_nan());
    }

    #[test]
    fn short_buffers_are_layout_errors() {
        let err = PrimitiveView::<i32>::new(col(3, None, &[0; 11], None)).unwrap_err();
        assert_eq!(err.0, "3 rows of 4-byte values need 12 bytes, found 11");
        assert!(PrimitiveView::<i32>::new(col(9, Some(&[0xff]), &[0; 36], None)).is_err());
        assert!(BoolView::new(col(9, None, &[0xff], None)).is_err());
    }

    #[test]
    fn strings_are_slices_of_the_data_buffer() {
        let data = "héllo€x".as_bytes();
        // Rows: "hé", NULL, "llo€", "" ; offsets need not start at 0 ("x" unused at the end,
        // nothing unused at the start here, see below).
        let offsets = le_i32s(&[0, 3, 3, 9, 9]);
        let view = StrView::new(col(4, Some(&[0b1101]), data, Some(&offsets))).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), vec![Some("hé"), None, Some("llo€"), Some("")]);
        assert_eq!(view.null_count(), 1);
        let first = view.value(0);
        assert!(std::ptr::eq(first.as_ptr(), data.as_ptr()), "zero copy: the value points into the batch");

        // A sliced Arrow array: offsets start past 0.
        let offsets = le_i32s(&[3, 9]);
        let view = StrView::new(col(1, None, data, Some(&offsets))).unwrap();
        assert_eq!(view.value(0), "llo€");
    }

    #[test]
    fn bad_string_layouts_are_refused() {
        let data = "aé".as_bytes(); // 'é' is bytes 1..3
        let cases: Vec<(Vec<i32>, &[u8], &str)> = vec![
            (vec![0, 2, 3], data, "starts inside a UTF-8 character"),
            (vec![0, 4], data, "reach byte 4 of a 3-byte"),
            (vec![2, 1], data, "decrease at row 0"),
            (vec![-1, 1], data, "negative"),
            (vec![0, 2], &[0x61, 0xff], "not UTF-8"),
        ];
        for (offsets, data, expected) in cases {
            let len = offsets.len() as u32 - 1;
            let offsets = le_i32s(&offsets);
            let err = StrView::new(col(len, None, data, Some(&offsets))).unwrap_err();
            assert!(err.0.contains(expected), "{} does not contain {expected}", err.0);
        }
        assert!(StrView::new(col(1, None, b"ab", None)).unwrap_err().0.contains("no offsets"));
        assert!(StrView::new(col(2, None, b"ab", Some(&le_i32s(&[0, 1])))).unwrap_err().0.contains("need 12 offset"));
    }

    #[test]
    fn ascii_is_found_in_any_word_and_in_the_tail() {
        // 203 bytes: 25 whole 8-byte words and a 3-byte tail.
        let ascii = "user_000042,".repeat(17)[..203].to_string();
        let offsets = le_i32s(&[0, 100, 203]);
        assert!(StrView::new(col(2, None, ascii.as_bytes(), Some(&offsets))).unwrap().is_ascii());
        for at in [0, 7, 64, 150, 201] {
            let mut text = ascii.clone();
            text.replace_range(at..at + 2, "é");
            let view = StrView::new(col(2, None, text.as_bytes(), Some(&offsets))).unwrap();
            assert!(!view.is_ascii(), "'é' at byte {at}");
            assert_eq!(format!("{}{}", view.value(0), view.value(1)), text);
        }
        // Invalid UTF-8 deep in a long buffer (the vector path) names its position.
        let mut bad = ascii.into_bytes();
        bad[150] = 0xff;
        let err = StrView::new(col(2, None, &bad, Some(&offsets))).unwrap_err();
        assert!(err.0.contains("from index 150"), "{}", err.0);
    }

    #[test]
    fn bytes_and_booleans() {
        let offsets = le_i32s(&[0, 2, 2]);
        let view = BytesView::new(col(2, None, &[0xff, 0x00], Some(&offsets))).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), vec![Some(&[0xff, 0x00][..]), Some(&[][..])]);
        let view = BoolView::new(col(3, Some(&[0b011]), &[0b110], None)).unwrap();
        assert_eq!(view.iter().collect::<Vec<_>>(), vec![Some(false), Some(true), None]);
    }
}
