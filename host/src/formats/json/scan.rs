//! The fast path of JSON record decoding: a scanner for the common shape of a record
//! (one flat object, keys without escapes, strings without escapes, numbers, literals)
//! that hands each value straight to the same typed visitor the serde path uses, so
//! both paths read every value the same way.
//!
//! Anything else (an escape, a nested value, a malformed record, a value of the wrong
//! type) makes the scanner give up with [`Fallback`]; the caller takes the partial row
//! back out of the builders and decodes the record with serde_json, which also gives
//! the error message for a bad record. Bad records are rare, so the cost of decoding
//! them twice does not matter; good flat records skip serde's per-token machinery and
//! its per-string UTF-8 checks (the record is checked once, up front).

use serde::de::Visitor;

use super::{Into, ObjectLayout};
use crate::columnar::ColumnBuilder;
use wasp_sql::DataType;

/// The record needs the full decoder.
#[derive(Debug)]
pub struct Fallback;

type Scan<T> = Result<T, Fallback>;

/// An error type for calling the visitor directly; its message is never read (the
/// serde path reproduces the error with position information).
type VisitError = serde::de::value::Error;

struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, b: u8) -> Scan<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Fallback)
        }
    }

    /// A string without escapes or control characters, after its opening quote;
    /// returns its contents and leaves the cursor after the closing quote.
    #[inline]
    fn plain_string(&mut self) -> Scan<&'a str> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        let len = string_end(rest).ok_or(Fallback)?;
        if rest[len] != b'"' {
            return Err(Fallback);
        }
        self.pos = start + len + 1;
        // Both ends are ASCII bytes, so they are character boundaries.
        self.text.get(start..start + len).ok_or(Fallback)
    }

    /// A number token, checked against JSON's grammar; returns its text and whether it
    /// is an integer (no fraction, no exponent).
    #[inline]
    fn number(&mut self) -> Scan<(&'a str, bool)> {
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = b.get(i) {
                    i += 1;
                }
            }
            _ => return Err(Fallback),
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i += 1;
            let digits = i;
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
            if i == digits {
                return Err(Fallback);
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let digits = i;
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
            if i == digits {
                return Err(Fallback);
            }
        }
        self.pos = i;
        Ok((self.text.get(start..i).ok_or(Fallback)?, integer))
    }

    /// `true`, `false` or `null`.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Scan<()> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Fallback)
        }
    }
}

/// A field name prepared to match a JSON key with one 64-bit compare, ASCII case
/// ignored: for names of one to eight bytes of printable ASCII without a quote or a
/// backslash (any other name has no pattern and takes [`find_key`]).
#[derive(Debug, Clone, Copy)]
pub struct KeyPattern {
    /// The name's length; 0 for no pattern.
    len: usize,
    /// The name's bytes, letters in lower case, little-endian, zero-padded.
    lower: u64,
    /// 0x20 at each letter's byte: OR-ing it folds either case of that letter to lower
    /// case, and turns no other byte into a lower-case letter.
    fold: u64,
    /// Ones over the name's bytes.
    mask: u64,
}

impl KeyPattern {
    pub fn new(name: &str) -> KeyPattern {
        let bytes = name.as_bytes();
        if bytes.is_empty()
            || bytes.len() > 8
            || bytes.iter().any(|&b| !(0x20..0x7f).contains(&b) || b == b'"' || b == b'\\')
        {
            return KeyPattern { len: 0, lower: 0, fold: 0, mask: 0 };
        }
        let (mut lower, mut fold) = ([0u8; 8], [0u8; 8]);
        for (i, &b) in bytes.iter().enumerate() {
            fold[i] = if b.is_ascii_alphabetic() { 0x20 } else { 0 };
            lower[i] = b | fold[i];
        }
        let mask = if bytes.len() == 8 { u64::MAX } else { (1u64 << (8 * bytes.len())) - 1 };
        KeyPattern { len: bytes.len(), lower: u64::from_le_bytes(lower), fold: u64::from_le_bytes(fold), mask }
    }

    /// Whether `rest`, the bytes after a key's opening quote, starts with this name
    /// and its closing quote; the name's bytes hold no escape, so the key is exactly
    /// the name, up to ASCII case.
    #[inline]
    fn matches(&self, rest: &[u8]) -> bool {
        let (Some(word), Some(b'"')) = (rest.first_chunk::<8>(), rest.get(self.len)) else { return false };
        self.len > 0 && (u64::from_le_bytes(*word) | self.fold) & self.mask == self.lower
    }
}

/// The value of a decimal number token of at most 15 significant digits, without an
/// exponent:
/// the digits as an integer, exact in an `f64`, divided by a power of ten, also exact,
/// which IEEE division rounds correctly, so the result is the one `str::parse` gives.
/// `None` for other tokens, which `str::parse` reads.
#[inline]
fn short_f64(token: &str) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (negative, digits) = match token.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        all => (false, all),
    };
    // Eighteen characters hold at most eighteen digits, which cannot overflow a u64.
    if digits.len() > 18 {
        return None;
    }
    let (mut mantissa, mut count, mut fraction, mut point) = (0u64, 0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                // Leading zeros are not significant: they add nothing to the mantissa.
                count += usize::from(mantissa != 0 || b != b'0');
                mantissa = mantissa * 10 + u64::from(b - b'0');
                fraction += usize::from(point);
            }
            b'.' if !point => point = true,
            _ => return None,
        }
    }
    if count > 15 {
        return None;
    }
    let value = mantissa as f64 / POW10.get(fraction)?;
    Some(if negative { -value } else { value })
}

/// The index of the first byte of `bytes` that ends a plain string: a quote, a
/// backslash or a control character (which JSON requires escaped). Eight bytes at a
/// time: in each 64-bit word, the classic "has a zero byte" test flags bytes equal to
/// `"` or `\\` and bytes below 0x20; its lowest flag is always exact, so the first
/// flagged byte is the answer.
#[inline]
fn string_end(bytes: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*word);
        let quote = w ^ (LO * u64::from(b'"'));
        let backslash = w ^ (LO * u64::from(b'\\'));
        let flags = ((quote.wrapping_sub(LO) & !quote)
            | (backslash.wrapping_sub(LO) & !backslash)
            | (w.wrapping_sub(LO * 0x20) & !w))
            & HI;
        if flags != 0 {
            return Some(i + (flags.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).map(|p| i + p)
}

/// The digits of an integer of at most 18 digits (so it fits `i64` either sign);
/// longer ones take the full decoder.
#[inline]
fn small_int(digits: &str) -> Scan<u64> {
    if digits.len() > 18 {
        return Err(Fallback);
    }
    Ok(digits.bytes().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')))
}

/// The field a key names, as `super::find_field` finds it: the field after the
/// previous one first (records list fields in the same order), compared ignoring
/// ASCII case; else an exact match; else any match ignoring case.
#[inline]
fn find_key(fields: &[(String, DataType)], key: &str, hint: usize) -> Option<usize> {
    let same = |name: &str| {
        name.len() == key.len()
            && name.bytes().zip(key.bytes()).all(|(n, k)| n == k || (n ^ 0x20 == k && n.is_ascii_alphabetic()))
    };
    if fields.get(hint).is_some_and(|(n, _)| same(n)) {
        return Some(hint);
    }
    fields.iter().position(|(n, _)| n == key).or_else(|| fields.iter().position(|(n, _)| same(n)))
}

/// Decodes a flat JSON object as row `row`, or gives up (see the module docs). On
/// `Fallback` the builders may hold part of the row.
pub fn decode_flat_object(
    bytes: &[u8],
    layout: &ObjectLayout,
    builders: &mut [ColumnBuilder],
    scratch: &mut [ColumnBuilder],
    row: usize,
) -> Scan<()> {
    // simdutf8: 16 ns for a 184-byte record against std's 23 (AVX2 when the CPU has it).
    let text = simdutf8::basic::from_utf8(bytes).map_err(|_| Fallback)?;
    let mut c = Cursor { text, bytes, pos: 0 };
    c.skip_ws();
    c.expect(b'{')?;
    c.skip_ws();
    if c.peek() == Some(b'}') {
        c.pos += 1;
        return finish(&mut c);
    }
    let fields = &layout.fields;
    let mut hint = 0;
    loop {
        c.expect(b'"')?;
        // Most records list their fields in the schema's order: try the next one first.
        let field = match layout.keys.get(hint) {
            Some(pattern) if pattern.matches(&c.bytes[c.pos..]) => {
                c.pos += pattern.len + 1;
                Some(hint)
            }
            _ => find_key(fields, c.plain_string()?, hint),
        };
        c.skip_ws();
        c.expect(b':')?;
        c.skip_ws();
        match field {
            Some(i) => {
                hint = i + 1;
                let t = &fields[i].1;
                if !layout.needed[i] {
                    if matches!(t, DataType::String) {
                        skip_scalar(&mut c)?;
                    } else {
                        let check = &mut scratch[i];
                        check.truncate(0);
                        value(&mut c, check, t)?;
                    }
                } else {
                    let out = &mut builders[layout.slots[i]];
                    if out.len() > row {
                        // A key given twice: the last one wins.
                        out.truncate(row);
                    }
                    value(&mut c, out, t)?;
                }
            }
            None => skip_scalar(&mut c)?,
        }
        c.skip_ws();
        match c.peek() {
            Some(b',') => {
                c.pos += 1;
                c.skip_ws();
            }
            Some(b'}') => {
                c.pos += 1;
                return finish(&mut c);
            }
            _ => return Err(Fallback),
        }
    }
}

fn finish(c: &mut Cursor<'_>) -> Scan<()> {
    c.skip_ws();
    if c.pos == c.bytes.len() {
        Ok(())
    } else {
        Err(Fallback)
    }
}

/// Skips a value nobody reads; only scalars (a nested value falls back).
fn skip_scalar(c: &mut Cursor<'_>) -> Scan<()> {
    match c.peek() {
        Some(b'"') => {
            c.pos += 1;
            c.plain_string().map(drop)
        }
        Some(b't') => c.literal(b"true"),
        Some(b'f') => c.literal(b"false"),
        Some(b'n') => c.literal(b"null"),
        Some(b'-' | b'0'..=b'9') => c.number().map(drop),
        _ => Err(Fallback),
    }
}

/// Reads one scalar value of type `t` into `out` through the serde path's visitor.
#[inline]
fn value(c: &mut Cursor<'_>, out: &mut ColumnBuilder, t: &DataType) -> Scan<()> {
    let into = Into { out, t };
    let start = c.pos;
    let result: Result<(), VisitError> = match c.peek() {
        Some(b'"') => {
            c.pos += 1;
            let s = c.plain_string()?;
            if let DataType::Decimal { .. } = t {
                // The decimal reader takes the raw token, quotes included.
                into.decimal_from_raw(&c.text[start..c.pos])
            } else {
                into.visit_str(s)
            }
        }
        Some(b'-' | b'0'..=b'9') => {
            let (n, integer) = c.number()?;
            if let DataType::Decimal { .. } = t {
                into.decimal_from_raw(n)
            } else if integer {
                // As serde_json reads it: u64 when non-negative, i64 when negative;
                // anything wider goes through the full decoder.
                match n.strip_prefix('-') {
                    Some(digits) => into.visit_i64(-(small_int(digits)? as i64)),
                    None => into.visit_u64(small_int(n)?),
                }
            } else {
                let v = match short_f64(n) {
                    Some(v) => v,
                    None => n.parse::<f64>().map_err(|_| Fallback)?,
                };
                into.visit_f64(v)
            }
        }
        Some(b't') => {
            c.literal(b"true")?;
            into.visit_bool(true)
        }
        Some(b'f') => {
            c.literal(b"false")?;
            into.visit_bool(false)
        }
        Some(b'n') => {
            c.literal(b"null")?;
            if let DataType::Decimal { .. } = t {
                into.decimal_from_raw("null")
            } else {
                into.visit_unit()
            }
        }
        _ => return Err(Fallback),
    };
    result.map_err(|_| Fallback)
}

#[cfg(test)]
mod tests {
    use wasp_sql::Value;

    use super::*;
    use crate::columnar::values_of;

    fn layout(fields: &[(&str, DataType)]) -> ObjectLayout {
        let mut layout = ObjectLayout::default();
        for (i, (name, t)) in fields.iter().enumerate() {
            layout.push(name, t.clone(), i);
        }
        layout
    }

    /// Decodes with the fast path (`None` when it falls back) and with serde.
    fn both(bytes: &[u8], l: &ObjectLayout) -> (Option<Vec<Value>>, Result<Vec<Value>, String>) {
        let run = |fast: bool| -> Result<Vec<Value>, String> {
            let mut builders: Vec<ColumnBuilder> = l.fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
            let mut scratch: Vec<ColumnBuilder> = l.fields.iter().map(|(_, t)| ColumnBuilder::new(t, 1)).collect();
            if fast {
                decode_flat_object(bytes, l, &mut builders, &mut scratch, 0).map_err(|_| "fallback".to_owned())?;
            } else {
                super::super::decode_object_serde(bytes, l, &mut builders, &mut scratch, 0)?;
            }
            Ok(builders
                .iter_mut()
                .map(|b| {
                    if b.is_empty() {
                        b.append_null();
                    }
                    values_of(b.finish().as_ref()).remove(0)
                })
                .collect())
        };
        (run(true).ok(), run(false))
    }

    #[test]
    fn the_fast_path_reads_what_serde_reads() {
        let l = layout(&[
            ("ID", DataType::BigInt),
            ("NAME", DataType::String),
            ("AMOUNT", DataType::Double),
            ("OK", DataType::Boolean),
            ("N", DataType::Int),
            ("D", DataType::Decimal { precision: 5, scale: 2 }),
        ]);
        let records: &[&[u8]] = &[
            br#"{"id":1,"name":"a b","amount":10.5,"ok":true,"n":-3,"d":1.1}"#,
            br#" { "ID" : 18446744073709551615 , "extra" : "x" } "#,
            br#"{"id":"7","name":12,"amount":1e3,"ok":null,"n":"4","d":"2.345"}"#,
            br#"{"amount":-0.0,"n":2147483647,"d":-12}"#,
            br#"{"id":1,"id":2}"#,
            br#"{}"#,
        ];
        for r in records {
            let (fast, serde) = both(r, &l);
            // Falling back is always allowed (the serde path reads it); reading
            // differently never is.
            if let Some(f) = fast {
                assert_eq!(Ok(f), serde, "{}", String::from_utf8_lossy(r));
            }
        }
        // The common shape takes the fast path.
        assert!(both(records[0], &l).0.is_some());
    }

    #[test]
    fn string_ends_are_found_eight_bytes_at_a_time() {
        for text in ["", "a", "abcdefg", "abcdefgh", "abcdefghijklmnopqrstuvwxyz", "héllo wörld ✓ ünïcode"] {
            for (end, stop) in [(b'"', true), (b'\\', true), (0x01, true), (b'x', false)] {
                let mut bytes = text.as_bytes().to_vec();
                bytes.push(end);
                bytes.extend_from_slice(b"tail\"");
                let want = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                assert_eq!(string_end(&bytes), want, "{text:?} + {end}");
                if stop {
                    assert_eq!(want, Some(text.len()));
                }
            }
        }
    }

    #[test]
    fn anything_unusual_falls_back() {
        let l = layout(&[("ID", DataType::BigInt), ("NAME", DataType::String)]);
        let unusual: &[&[u8]] = &[
            br#"{"name":"tab\tescaped"}"#,
            br#"{"name":["nested"]}"#,
            br#"{"id":01}"#,
            br#"{"id":1,}"#,
            br#"{"id":1} x"#,
            br#"{"id":"x"}"#,
            b"{\"name\":\"ctl\x01\"}",
            br#"{"id":1"#,
            br#"[1]"#,
            br#"{"n\u0041me":"x"}"#,
        ];
        for r in unusual {
            assert!(both(r, &l).0.is_none(), "{}", String::from_utf8_lossy(r));
        }
    }

    #[test]
    fn key_patterns_match_the_name_in_either_case_and_nothing_else() {
        let p = KeyPattern::new("AMOUNT_1");
        assert!(p.matches(br#"amount_1":5}"#));
        assert!(p.matches(br#"AmOuNt_1"  :5}"#));
        // Not a prefix, not another byte where the name has a digit or an underscore.
        assert!(!p.matches(br#"amount_12":5}"#));
        assert!(!p.matches(br#"amount\x01":5}"#));
        assert!(!p.matches(br#"amountQ1":5}"#));
        assert!(!p.matches(br#"amount_"#));
        let short = KeyPattern::new("ID");
        assert!(short.matches(br#"id":1,"name":"x"}"#));
        assert!(!short.matches(br#"ie":1,"name":"x"}"#));
        // '@' | 0x20 is '`', not a letter: a name with '@' matches only '@'.
        let at = KeyPattern::new("A@B");
        assert!(at.matches(br#"a@b":1}        "#));
        assert!(!at.matches(br#"a`b":1}        "#));
        // Too long, or bytes a key would have to escape: no pattern, never a match.
        for name in ["AMOUNT_12", "A\"B", "A\\B", "", "Ä"] {
            let p = KeyPattern::new(name);
            assert!(!p.matches(format!("{name}\"         ").as_bytes()), "{name}");
        }
        // Through the decoder: keys in any case, in the schema's order or not.
        let l = layout(&[("ID", DataType::BigInt), ("NAME", DataType::String)]);
        for r in [&br#"{"Id":7,"name":"x"}"#[..], br#"{"name":"x","ID":7}"#, br#"{"nAmE":"x","other":1,"id":7}"#] {
            let (fast, slow) = both(r, &l);
            assert_eq!(fast, Some(vec![Value::BigInt(7), Value::string("x")]));
            assert_eq!(fast.as_ref(), slow.as_ref().ok());
        }
    }

    #[test]
    fn short_numbers_read_as_str_parse_reads_them() {
        let mut tokens: Vec<String> =
            ["0", "-0", "0.0", "-0.0", "1.1", "0.1", "0.3", "123456789012345", "1234567890.12345"]
                .iter()
                .map(|t| t.to_string())
                .collect();
        // A spread of values with up to 15 digits and up to 15 of them after the point.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 15 + 1) as usize;
            let mantissa = (x >> 8) % 10u64.pow(digits as u32);
            let point = (x >> 4) as usize % (digits + 1);
            let text = format!("{mantissa:0digits$}");
            let (int, frac) = text.split_at(digits - point);
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            let sign = if x & 1 == 1 { "-" } else { "" };
            tokens.push(if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") });
        }
        for t in &tokens {
            let want: f64 = t.parse().unwrap();
            let got = short_f64(t).unwrap_or_else(|| panic!("{t} has a fast path"));
            assert_eq!(got.to_bits(), want.to_bits(), "{t}");
        }
        for long in ["1234567890123456", "0.1234567890123456", "1e5", "1.5E-3"] {
            assert_eq!(short_f64(long), None, "{long}");
        }
    }
}
