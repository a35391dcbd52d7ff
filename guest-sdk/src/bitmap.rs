//! Bit-packed buffers in Arrow's order (bit `i % 8` of byte `i / 8`, least
//! significant first): validity bitmaps and BOOLEAN values.

use crate::layout::LayoutError;

/// A borrowed bitmap of `len` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bitmap<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> Bitmap<'a> {
    /// Wraps `bytes` as `len` bits, checking that the bytes are enough.
    pub fn new(bytes: &'a [u8], len: usize, what: &str) -> Result<Bitmap<'a>, LayoutError> {
        let need = len.div_ceil(8);
        if bytes.len() < need {
            return Err(LayoutError(format!("{what}: {len} rows need {need} bitmap bytes, found {}", bytes.len())));
        }
        Ok(Bitmap { bytes, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes that hold the `len` bits (the last byte's high bits unspecified),
    /// to copy the bitmap into a result column whole.
    pub fn as_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.len.div_ceil(8)]
    }

    /// Bit `i`. Panics when `i >= len`, as slice indexing does.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "bit {i} out of a bitmap of {}", self.len);
        self.bytes[i / 8] & (1 << (i % 8)) != 0
    }

    /// The number of clear bits (NULLs, for a validity bitmap).
    pub fn count_zeros(&self) -> usize {
        let full = self.len / 8;
        let mut ones: usize = self.bytes[..full].iter().map(|b| b.count_ones() as usize).sum();
        let rest = self.len % 8;
        if rest > 0 {
            ones += (self.bytes[full] & ((1u8 << rest) - 1)).count_ones() as usize;
        }
        self.len - ones
    }
}

/// Builds a bitmap bit by bit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitmapBuilder {
    bytes: Vec<u8>,
    len: usize,
}

impl BitmapBuilder {
    pub fn with_capacity(bits: usize) -> BitmapBuilder {
        BitmapBuilder { bytes: Vec::with_capacity(bits.div_ceil(8)), len: 0 }
    }

    /// `len` bits, all set: the start of a validity bitmap when the first NULL comes
    /// after `len` values.
    pub fn all_set(len: usize, capacity: usize) -> BitmapBuilder {
        let mut bytes = Vec::with_capacity(capacity.max(len).div_ceil(8));
        bytes.resize(len / 8, 0xff);
        if !len.is_multiple_of(8) {
            bytes.push((1u8 << (len % 8)) - 1);
        }
        BitmapBuilder { bytes, len }
    }

    #[inline]
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if bit {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 1 << (self.len % 8);
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes, `(len + 7) / 8` of them, unused high bits clear.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_least_significant_first() {
        let mut b = BitmapBuilder::default();
        for bit in [true, false, true, true, false, false, false, false, false, true] {
            b.push(bit);
        }
        let bytes = b.finish();
        assert_eq!(bytes, vec![0b0000_1101, 0b0000_0010]);
        let view = Bitmap::new(&bytes, 10, "test").unwrap();
        assert!(view.get(0) && !view.get(1) && view.get(9));
        assert_eq!(view.count_zeros(), 6);
    }

    #[test]
    fn all_set_then_push_continues_the_same_bitmap() {
        let mut b = BitmapBuilder::all_set(11, 16);
        b.push(false);
        assert_eq!(b.len(), 12);
        assert_eq!(b.finish(), vec![0xff, 0b0000_0111]);
    }

    #[test]
    fn short_buffers_and_ignored_trailing_bits() {
        assert!(Bitmap::new(&[0xff], 9, "validity").unwrap_err().0.contains("9 rows need 2 bitmap bytes, found 1"));
        // Bits past `len` are ignored, whatever they hold.
        assert_eq!(Bitmap::new(&[0b1111_0001], 3, "v").unwrap().count_zeros(), 2);
    }
}
