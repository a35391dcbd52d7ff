//! `ucase(s VARCHAR) RETURNS VARCHAR`: the text in upper case (Unicode's full case
//! mapping, as Java's `toUpperCase` and ksqlDB's `UCASE` do). The string twin of the
//! built-in, for `wasp bench --functions`; the same function as `udfs/ucase/python`
//! and `udfs/ucase/js`.
//!
//! Two forms of one function, so the benchmark shows what each costs:
//!
//! - `ucase` is a column kernel ([`wasp::ScalarFunction`]), the way the built-in is
//!   written: the text of the whole batch is mapped byte by byte in one pass that
//!   also finds whether it is all ASCII; when it is, that is the result, with the
//!   offsets and validity copied whole; other batches go row by row through one
//!   builder.
//! - `ucase_rows` is the plain per-row function of `#[wasp::udf]`: the shortest to
//!   write, and a `String` allocated per row.

use wasp::{
    Args, CallError, ColumnBuilder, FunctionDef, Output, OwnedColumn, Param, ScalarFunction, SqlType, StringBuilder,
};

/// The text in upper case, row by row.
#[wasp::udf]
pub fn ucase_rows(s: &str) -> String {
    s.to_uppercase()
}

/// `ucase` over whole columns.
pub struct Ucase;

impl ScalarFunction for Ucase {
    fn def(&self) -> FunctionDef {
        let mut def = FunctionDef::new("ucase", vec![Param { name: "s".into(), ty: SqlType::String }], SqlType::String);
        def.description = "The text in upper case.".into();
        def
    }

    fn invoke(&self, args: &Args<'_>) -> Result<Output, CallError> {
        let arg = args.column(0)?;
        let view = arg.str()?;
        let text = view.text();
        let ascii = if arg.constant { None } else { ascii_upper(text.as_bytes()) };
        if let Some(values) = ascii {
            let raw = &arg.column.offsets.unwrap_or_default()[..(view.len() + 1) * 4];
            let offsets = if raw[..4] == [0; 4] {
                raw.to_vec()
            } else {
                view.offsets().flat_map(|o| (o as i32).to_le_bytes()).collect()
            };
            let validity = view.validity().map(|v| v.as_bytes().to_vec());
            return Ok(Output::new(OwnedColumn {
                len: view.len() as u32,
                validity,
                values,
                offsets: Some(offsets),
                children: Vec::new(),
            }));
        }
        let rows = args.rows();
        let mut out = StringBuilder::with_capacity_and_bytes(rows, text.len() * if arg.constant { rows } else { 1 });
        for row in 0..rows {
            match view.get(arg.row(row)) {
                Some(s) => {
                    for c in s.chars().flat_map(char::to_uppercase) {
                        out.push(c);
                    }
                    out.end_value();
                }
                None => out.append_null(),
            }
        }
        Ok(Output::new(out.finish()))
    }
}

/// `text` in upper case when every byte is ASCII (`None` otherwise), in one pass
/// that maps each byte and collects the high bits.
fn ascii_upper(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let blocks = text.len() - text.len() % 64;
    let mut high = simd::upper_blocks(&text[..blocks], &mut out);
    out.extend(text[blocks..].iter().map(|&b| {
        high |= b;
        b.to_ascii_uppercase()
    }));
    (high < 0x80).then_some(out)
}

/// Appends `text` (whole 64-byte blocks) in upper case to `out`, with WebAssembly
/// SIMD: four 16-byte vectors per loop iteration, so that wasmtime's cost per
/// iteration (the timeout check, and the spills around it) is paid once per 64
/// bytes; the compiler's own vectorization of the byte loop goes 16 at a time.
/// Returns the OR of the bytes.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod simd {
    use core::arch::wasm32::*;

    pub fn upper_blocks(text: &[u8], out: &mut Vec<u8>) -> u8 {
        assert!(text.len().is_multiple_of(64) && out.capacity() - out.len() >= text.len());
        // `b - 'a' < 26` (unsigned) as one signed compare: `b + (0x80 - 'a')` is
        // below `-128 + 26` exactly for the lower-case letters.
        let shift = i8x16_splat(0x80u8.wrapping_sub(b'a') as i8);
        let limit = i8x16_splat(-128 + 26);
        let case = u8x16_splat(0x20);
        let mut high = u8x16_splat(0);
        let dst = out.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        for (at, block) in (0..text.len()).step_by(64).zip(text.chunks_exact(64)) {
            for k in (0..64).step_by(16) {
                // SAFETY: bytes `k..k + 16` of a 64-byte block are in `text`, and
                // `at + k + 16 <= text.len()` bytes of spare capacity (asserted
                // above) are in `out`; WebAssembly needs no alignment for these.
                unsafe {
                    let v = v128_load(block.as_ptr().add(k).cast());
                    let lower = i8x16_lt(i8x16_add(v, shift), limit);
                    high = v128_or(high, v);
                    v128_store(dst.add(at + k).cast(), v128_xor(v, v128_and(lower, case)));
                }
            }
        }
        // SAFETY: the loop wrote the `text.len()` bytes past the old length.
        unsafe { out.set_len(out.len() + text.len()) };
        let mut bytes = [0u8; 16];
        // SAFETY: `bytes` holds 16 bytes.
        unsafe { v128_store(bytes.as_mut_ptr().cast(), high) };
        bytes.iter().fold(0, |a, &b| a | b)
    }
}

/// The same for native builds (the unit tests), byte by byte.
#[cfg(not(target_arch = "wasm32"))]
mod simd {
    pub fn upper_blocks(text: &[u8], out: &mut Vec<u8>) -> u8 {
        out.extend(text.iter().map(u8::to_ascii_uppercase));
        text.iter().fold(0, |a, &b| a | b)
    }
}

fn functions() -> wasp::Registry {
    let mut registry = wasp::Registry::new();
    registry.register(Ucase);
    registry.register(ucase_rows {});
    registry
}

wasp::export_registry!(functions);

#[cfg(test)]
mod tests {
    use super::*;
    use wasp::{Batch, ColumnRef, StrView};

    fn column(values: &[&str], nulls: &[usize]) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
        let mut data = Vec::new();
        let mut offsets = 0i32.to_le_bytes().to_vec();
        for v in values {
            data.extend_from_slice(v.as_bytes());
            offsets.extend_from_slice(&(data.len() as i32).to_le_bytes());
        }
        let validity = (!nulls.is_empty()).then(|| {
            let mut bits = vec![0xffu8; values.len().div_ceil(8)];
            for &n in nulls {
                bits[n / 8] &= !(1 << (n % 8));
            }
            bits
        });
        (data, offsets, validity)
    }

    fn call(f: &dyn ScalarFunction, values: &[&str], nulls: &[usize]) -> Vec<Option<String>> {
        let (data, offsets, validity) = column(values, nulls);
        let columns = [ColumnRef {
            len: values.len() as u32,
            validity: validity.as_deref(),
            values: &data,
            offsets: Some(&offsets),
            children: &[],
        }];
        let batch = Batch { rows: values.len() as u32, args: 1, columns: &columns };
        let out = f.invoke(&Args::new(batch)).unwrap();
        let view = StrView::new(out.result().unwrap().as_ref()).unwrap();
        view.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn upper_case_as_java_maps_it() {
        assert_eq!(ucase_rows("user_000042"), "USER_000042");
        assert_eq!(ucase_rows("straße"), "STRASSE");
        assert_eq!(ucase_rows(""), "");
    }

    #[test]
    fn the_kernel_agrees_with_the_row_function() {
        let cases: [&[&str]; 3] = [&["user_1", "", "bob"], &["straße", "ab", "ὀδός"], &["x"]];
        for values in cases {
            for nulls in [&[][..], &[0][..]] {
                let want: Vec<Option<String>> =
                    values.iter().enumerate().map(|(i, v)| (!nulls.contains(&i)).then(|| ucase_rows(v))).collect();
                assert_eq!(call(&Ucase, values, nulls), want, "{values:?} with NULL rows {nulls:?}");
                assert_eq!(call(&ucase_rows {}, values, nulls), want);
            }
        }
    }
}
