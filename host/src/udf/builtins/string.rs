//! String functions, with ksqlDB's semantics: 1-based positions, negative positions
//! counting from the end, Java regular expressions (as far as the `regex` crate can
//! express them) and `NULL` in, `NULL` out unless a function says otherwise.
//!
//! Positions and lengths count Unicode scalar values (ksqlDB counts UTF-16 units;
//! the two agree outside the astral planes).
//!
//! Every function reads its arguments through typed views downcast once per batch and
//! writes into the result column's builder; per-row text goes through one scratch
//! buffer per call. UCASE, LCASE and LEN convert a column whose text is all ASCII in
//! one pass over its data buffer.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType as ArrowType;
use base64::Engine as _;
use regex::Regex;
use wasp_sql::DataType;

use super::{check_args, check_variants, each_row, reject, Builtin, Compiled};
use crate::columnar::operand::{Ints, Typed};
use crate::columnar::{ColumnBuilder, Operand};
use crate::udf::{ScalarArgs, UdfError};

const S: DataType = DataType::String;
const I: DataType = DataType::Int;
const B: DataType = DataType::Bytes;

type Strs<'a> = Typed<'a, StringArray>;

fn compile_regex(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("invalid regular expression '{pattern}': {e}"))
}

/// Rewrites a Java replacement string (`$1`, `${name}`, `\$`) into the `regex` crate's
/// syntax, where `$1a` would otherwise name a group called `1a`.
fn java_replacement(rep: &str) -> String {
    let mut out = String::with_capacity(rep.len() + 4);
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => {}
            },
            '$' => match chars.peek() {
                Some('{') => out.push('$'),
                Some(d) if d.is_ascii_digit() => {
                    out.push_str("${");
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        out.push(d);
                        chars.next();
                    }
                    out.push('}');
                }
                _ => out.push_str("$$"),
            },
            c => out.push(c),
        }
    }
    out
}

/// The string or bytes family of a call: every argument must be one or the other.
fn all_of(args: &[DataType], t: &DataType) -> bool {
    args.iter().all(|a| a.widens_to(t))
}

/// The item builder of a list result.
fn list_items(out: &mut ColumnBuilder) -> Result<&mut ColumnBuilder, String> {
    out.list_items().ok_or_else(|| "internal: the result column is not an ARRAY".to_string())
}

/// An optional trailing INT argument at `row`: `Some(default)` when the call left it
/// out, `None` when it is NULL.
fn opt_int(view: &Option<Ints<'_>>, row: usize, default: i64) -> Option<i64> {
    match view {
        Some(v) => v.get(row),
        None => Some(default),
    }
}

/// The bytes a string column's rows span in its data buffer (a sliced column spans
/// part of it).
fn text_data(a: &StringArray) -> Option<&[u8]> {
    let offsets = a.value_offsets();
    let first = usize::try_from(*offsets.first()?).ok()?;
    let last = usize::try_from(*offsets.last()?).ok()?;
    a.value_data().get(first..last)
}

/// UCASE / LCASE of a column whose text is all ASCII: one converted copy of the data,
/// with the input's offsets and nulls. `None` when some of the text is not ASCII.
fn ascii_case_column(a: &StringArray, upper: bool) -> Option<ArrayRef> {
    let data = text_data(a)?;
    if !data.is_ascii() {
        return None;
    }
    let converted: Vec<u8> = if upper {
        data.iter().map(u8::to_ascii_uppercase).collect()
    } else {
        data.iter().map(u8::to_ascii_lowercase).collect()
    };
    let first = *a.value_offsets().first()?;
    let offsets = if first == 0 {
        a.offsets().clone()
    } else {
        OffsetBuffer::new(ScalarBuffer::from(a.value_offsets().iter().map(|o| o - first).collect::<Vec<i32>>()))
    };
    StringArray::try_new(offsets, Buffer::from_vec(converted), a.nulls().cloned()).ok().map(|a| Arc::new(a) as ArrayRef)
}

/// UCASE and LCASE. ASCII text (a whole column at once, or row by row through one
/// scratch string) maps byte by byte; other text takes the Unicode mapping of
/// `str::to_uppercase` / `to_lowercase` (char by char into the scratch string, but for
/// LCASE's final sigma).
fn change_case(args: ScalarArgs<'_>, upper: bool) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let input = ops[0].strs();
    let convert = |s: &str, scratch: &mut String| {
        scratch.clear();
        if s.is_ascii() {
            scratch.push_str(s);
            if upper {
                scratch.make_ascii_uppercase();
            } else {
                scratch.make_ascii_lowercase();
            }
        } else if upper {
            scratch.extend(s.chars().flat_map(char::to_uppercase));
        } else if s.contains('Σ') {
            // The one context-dependent mapping (final sigma) is `str`'s.
            scratch.push_str(&s.to_lowercase());
        } else {
            scratch.extend(s.chars().flat_map(char::to_lowercase));
        }
    };
    let mut scratch = String::new();
    if ops[0].is_scalar() {
        let value = input.get(0).map(|s| {
            convert(s, &mut scratch);
            scratch.clone()
        });
        return each_row(args, |_, out| {
            if let Some(v) = &value {
                out.push_str(v);
            }
            Ok(())
        });
    }
    if let Some(out) = input.array().and_then(|a| ascii_case_column(a, upper)) {
        return Ok(out);
    }
    each_row(args, |row, out| {
        if let Some(s) = input.get(row) {
            convert(s, &mut scratch);
            out.push_str(&scratch);
        }
        Ok(())
    })
}

/// LEN / LENGTH: characters of a string, bytes of bytes. A BYTES column, and a STRING
/// column of ASCII text, take Arrow's `length` kernel (the offsets' differences).
fn len(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    if let Operand::Array(a) = &ops[0] {
        let bulk = match a.data_type() {
            ArrowType::Binary => true,
            ArrowType::Utf8 => text_data(a.as_string::<i32>()).is_some_and(<[u8]>::is_ascii),
            _ => false,
        };
        if bulk {
            if let Ok(out) = arrow_string::length::length(a.as_ref()) {
                return Ok(out);
            }
        }
    }
    let (s, b) = (ops[0].strs(), ops[0].bytes());
    each_row(args, |row, out| {
        let n = if let Some(v) = s.get(row) {
            v.chars().count()
        } else if let Some(v) = b.get(row) {
            v.len()
        } else {
            return Ok(());
        };
        out.push_i32(i32::try_from(n).map_err(|_| format!("{n} is out of range for INTEGER"))?);
        Ok(())
    })
}

/// ksqlDB's start index for `SUBSTRING`: 1-based, 0 counts as 1, negative from the end.
fn start_index(len: usize, pos: i64) -> usize {
    let len = len as i64;
    let start = if pos < 0 { (len + pos).max(0) } else { (pos - 1).min(len).max(0) };
    start as usize
}

fn end_index(len: usize, start: usize, length: i64) -> usize {
    let end = (start as i64).saturating_add(length).min(len as i64);
    end.max(start as i64) as usize
}

/// Characters `start..end` of `s` (character positions, `start <= end`).
fn char_slice(s: &str, start: usize, end: usize) -> &str {
    let mut bounds = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len()));
    let from = bounds.nth(start).unwrap_or(s.len());
    let to = if end > start { bounds.nth(end - start - 1).unwrap_or(s.len()) } else { from };
    s.get(from..to).unwrap_or_default()
}

fn substring(s: &str, pos: i64, length: Option<i64>) -> &str {
    let chars = s.chars().count();
    let start = start_index(chars, pos);
    let end = length.map_or(chars, |l| end_index(chars, start, l));
    if chars == s.len() {
        // One byte per character: ASCII.
        s.get(start..end).unwrap_or_default()
    } else {
        char_slice(s, start, end)
    }
}

/// Java's `String.trim`: strips every char <= U+0020.
fn java_trim_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c <= ' ')
}

fn java_trim_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| c <= ' ')
}

/// A function of one STRING that returns a part of it.
fn str_slice(args: ScalarArgs<'_>, f: fn(&str) -> &str) -> Result<ArrayRef, UdfError> {
    let input = args.args[0].strs();
    each_row(args, |row, out| {
        if let Some(s) = input.get(row) {
            out.push_str(f(s));
        }
        Ok(())
    })
}

/// LPAD and RPAD: a negative length or an empty padding gives NULL; longer input is
/// truncated to its first `length` characters (or bytes).
fn pad(args: ScalarArgs<'_>, left: bool) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let target = ops[1].ints();
    if *args.return_type == B {
        let (input, padding) = (ops[0].bytes(), ops[2].bytes());
        let mut buf = Vec::new();
        return each_row(args, |row, out| {
            let (Some(input), Some(target), Some(padding)) = (input.get(row), target.get(row), padding.get(row)) else {
                return Ok(());
            };
            let Ok(target) = usize::try_from(target) else { return Ok(()) };
            if padding.is_empty() {
                return Ok(());
            }
            buf.clear();
            match target.checked_sub(input.len()) {
                None | Some(0) => buf.extend_from_slice(input.get(..target).unwrap_or(input)),
                Some(missing) => {
                    let fill = padding.iter().copied().cycle().take(missing);
                    if left {
                        buf.extend(fill);
                        buf.extend_from_slice(input);
                    } else {
                        buf.extend_from_slice(input);
                        buf.extend(fill);
                    }
                }
            }
            out.push_bytes(&buf);
            Ok(())
        });
    }
    let (input, padding) = (ops[0].strs(), ops[2].strs());
    let mut buf = String::new();
    each_row(args, |row, out| {
        let (Some(input), Some(target), Some(padding)) = (input.get(row), target.get(row), padding.get(row)) else {
            return Ok(());
        };
        let Ok(target) = usize::try_from(target) else { return Ok(()) };
        if padding.is_empty() {
            return Ok(());
        }
        let chars = input.chars().count();
        buf.clear();
        match target.checked_sub(chars) {
            None | Some(0) => buf.push_str(char_slice(input, 0, target.min(chars))),
            Some(missing) => {
                let fill = padding.chars().cycle().take(missing);
                if left {
                    buf.extend(fill);
                    buf.push_str(input);
                } else {
                    buf.push_str(input);
                    buf.extend(fill);
                }
            }
        }
        out.push_str(&buf);
        Ok(())
    })
}

/// `str::replace` into a reused buffer.
fn replace_into(s: &str, from: &str, to: &str, out: &mut String) {
    out.clear();
    let mut last = 0;
    for (i, m) in s.match_indices(from) {
        out.push_str(s.get(last..i).unwrap_or_default());
        out.push_str(to);
        last = i + m.len();
    }
    out.push_str(s.get(last..).unwrap_or_default());
}

/// The replacement characters of the MASK family; `None` keeps that class as is.
#[derive(Clone, Copy)]
struct Masker {
    upper: Option<char>,
    lower: Option<char>,
    digit: Option<char>,
    other: Option<char>,
}

impl Masker {
    const DEFAULT: Masker = Masker { upper: Some('X'), lower: Some('x'), digit: Some('n'), other: Some('-') };

    /// Reads the optional four mask arguments (`views` is empty when the call left
    /// them out).
    fn from_views(views: &[Strs<'_>], row: usize) -> Result<Masker, String> {
        let [upper, lower, digit, other] = views else {
            return Ok(Masker::DEFAULT);
        };
        let one = |v: &Strs<'_>| -> Result<Option<char>, String> {
            match v.get(row) {
                None => Ok(None),
                Some(s) => {
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Ok(Some(c)),
                        _ => Err(format!("invalid mask character: must be a single character, but was '{s}'")),
                    }
                }
            }
        };
        Ok(Masker { upper: one(upper)?, lower: one(lower)?, digit: one(digit)?, other: one(other)? })
    }

    fn mask_char(&self, c: char) -> char {
        let repl = if c.is_uppercase() {
            self.upper
        } else if c.is_lowercase() {
            self.lower
        } else if c.is_ascii_digit() {
            self.digit
        } else {
            self.other
        };
        repl.unwrap_or(c)
    }
}

fn mask_types(name: &str, args: &[DataType], with_count: bool) -> Result<DataType, String> {
    let variants: [&[DataType]; 2] = if with_count { [&[S, I], &[S, I, S, S, S, S]] } else { [&[S], &[S, S, S, S, S]] };
    check_variants(name, args, &variants).map(|_| S)
}

/// MASK: every character, with the default or the given mask characters.
fn mask_all(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let input = ops[0].strs();
    let masks: Vec<Strs<'_>> = ops[1..].iter().map(Operand::strs).collect();
    let mut buf = String::new();
    each_row(args, |row, out| {
        let Some(s) = input.get(row) else { return Ok(()) };
        let masker = Masker::from_views(&masks, row)?;
        buf.clear();
        buf.extend(s.chars().map(|c| masker.mask_char(c)));
        out.push_str(&buf);
        Ok(())
    })
}

/// The MASK_LEFT family: `part(chars, n)` is the range of character positions to mask
/// in a string of `chars` characters, `n` already capped at `chars`.
fn mask_part(
    args: ScalarArgs<'_>,
    name: &'static str,
    part: fn(usize, usize) -> Range<usize>,
) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let (input, count) = (ops[0].strs(), ops[1].ints());
    let masks: Vec<Strs<'_>> = ops[2..].iter().map(Operand::strs).collect();
    let mut buf = String::new();
    each_row(args, |row, out| {
        let (Some(s), Some(n)) = (input.get(row), count.get(row)) else { return Ok(()) };
        if n < 0 {
            return Err(format!("function {name} requires a non-negative number of characters to mask or skip"));
        }
        let masker = Masker::from_views(&masks, row)?;
        let chars = s.chars().count();
        let masked = part(chars, usize::try_from(n).unwrap_or(usize::MAX).min(chars));
        buf.clear();
        buf.extend(s.chars().enumerate().map(|(i, c)| if masked.contains(&i) { masker.mask_char(c) } else { c }));
        out.push_str(&buf);
        Ok(())
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Hex,
    Utf8,
    Ascii,
    Base64,
}

/// ENCODE's error for an unknown encoding, or the same one twice.
const UNSUPPORTED_PAIR: &str = "supported input and output encodings are: hex, utf8, ascii and base64";

/// An encoding name, in any case.
fn encoding(name: &str) -> Result<Encoding, String> {
    let known =
        [("hex", Encoding::Hex), ("utf8", Encoding::Utf8), ("ascii", Encoding::Ascii), ("base64", Encoding::Base64)];
    known.iter().find(|(n, _)| name.eq_ignore_ascii_case(n)).map(|(_, e)| *e).ok_or_else(|| {
        format!("unsupported encoding '{}': supported are hex, utf8, ascii and base64", name.to_ascii_lowercase())
    })
}

/// Appends the bytes `input` stands for in `encoding` to `out`.
fn decode(input: &str, encoding: Encoding, out: &mut Vec<u8>) -> Result<(), String> {
    match encoding {
        Encoding::Hex => {
            let digits = strip_hex(input);
            if !digits.len().is_multiple_of(2) {
                return Err(format!("'{input}' is not valid hex: odd number of digits"));
            }
            for i in (0..digits.len()).step_by(2) {
                let byte = digits
                    .get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(|| format!("'{input}' is not valid hex"))?;
                out.push(byte);
            }
            Ok(())
        }
        Encoding::Utf8 => {
            out.extend_from_slice(input.as_bytes());
            Ok(())
        }
        Encoding::Ascii => {
            out.extend(input.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }));
            Ok(())
        }
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode_vec(input.trim_end_matches('\n'), out)
            .map_err(|e| format!("'{input}' is not valid base64: {e}")),
    }
}

/// `0xAB`, `X'AB'` and `AB` all mean the bytes 0xAB.
fn strip_hex(input: &str) -> Cow<'_, str> {
    if let Some(rest) = input.strip_prefix("0x") {
        if !rest.len().is_multiple_of(2) {
            return Cow::Owned(format!("0{rest}"));
        }
        return Cow::Borrowed(rest);
    }
    if input.len() >= 3 && (input.starts_with("x'") || input.starts_with("X'")) && input.ends_with('\'') {
        if let Some(inner) = input.get(2..input.len() - 1) {
            return Cow::Borrowed(inner);
        }
    }
    Cow::Borrowed(input)
}

/// Appends `data` written in `encoding` to `out`.
fn encode(data: &[u8], encoding: Encoding, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match encoding {
        Encoding::Hex => {
            for b in data {
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        Encoding::Utf8 => out.push_str(&String::from_utf8_lossy(data)),
        Encoding::Ascii => out.extend(data.iter().map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' })),
        Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode_string(data, out),
    }
}

/// Splits on a literal delimiter; an empty delimiter splits into characters.
fn split_str<'a>(s: &'a str, delim: &str, mut emit: impl FnMut(&'a str)) {
    if delim.is_empty() {
        if s.is_empty() {
            emit("");
        }
        for (i, c) in s.char_indices() {
            emit(s.get(i..i + c.len_utf8()).unwrap_or_default());
        }
        return;
    }
    s.split(delim).for_each(emit);
}

/// Splits bytes on a literal delimiter; an empty delimiter splits into single bytes
/// (and empty input into one empty element, as for strings).
fn split_bytes(b: &[u8], delim: &[u8], mut emit: impl FnMut(&[u8])) {
    if delim.is_empty() {
        if b.is_empty() {
            emit(b);
        }
        b.iter().for_each(|x| emit(std::slice::from_ref(x)));
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while i + delim.len() <= b.len() {
        if b.get(i..i + delim.len()) == Some(delim) {
            emit(b.get(start..i).unwrap_or_default());
            i += delim.len();
            start = i;
        } else {
            i += 1;
        }
    }
    emit(b.get(start..).unwrap_or_default());
}

/// The index of the `n`-th (1-based) occurrence of `needle` in `hay` at or after
/// `from`, overlapping matches allowed (commons-lang `ordinalIndexOf`).
fn nth_index<T: PartialEq>(hay: &[T], needle: &[T], from: usize, n: i64) -> Option<usize> {
    if n <= 0 {
        return None;
    }
    let mut found = 0;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        if hay.get(i..i + needle.len()) == Some(needle) {
            found += 1;
            if found == n {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Like [`nth_index`] searching backwards: the start of the `n`-th occurrence of
/// `needle` that ends at least `from` elements before the end of `hay`.
fn nth_index_back<T: PartialEq>(hay: &[T], needle: &[T], from: usize, n: i64) -> Option<usize> {
    if n <= 0 {
        return None;
    }
    let mut i = hay.len().checked_sub(needle.len())?.checked_sub(from)?;
    let mut found = 0;
    loop {
        if hay.get(i..i + needle.len()) == Some(needle) {
            found += 1;
            if found == n {
                return Some(i);
            }
        }
        i = i.checked_sub(1)?;
    }
}

/// INSTR over characters (or bytes, for ASCII text): the 1-based position, 0 if absent.
fn instr<T: PartialEq>(hay: &[T], needle: &[T], pos: i64, occurrence: i64) -> i32 {
    let len = hay.len() as u64;
    if pos == 0 || pos.unsigned_abs() > len {
        return 0;
    }
    let from = (pos.unsigned_abs() - 1) as usize;
    let found =
        if pos > 0 { nth_index(hay, needle, from, occurrence) } else { nth_index_back(hay, needle, from, occurrence) };
    found.and_then(|i| i32::try_from(i + 1).ok()).unwrap_or(0)
}

fn instr_column(args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let (hay, needle) = (ops[0].strs(), ops[1].strs());
    let (pos, occurrence) = (ops.get(2).map(Operand::ints), ops.get(3).map(Operand::ints));
    let (mut hay_chars, mut needle_chars) = (Vec::new(), Vec::new());
    each_row(args, |row, out| {
        let (Some(h), Some(n)) = (hay.get(row), needle.get(row)) else {
            out.push_i32(0);
            return Ok(());
        };
        let (Some(pos), Some(occurrence)) = (opt_int(&pos, row, 1), opt_int(&occurrence, row, 1)) else {
            return Ok(());
        };
        let at = if h.is_ascii() && n.is_ascii() {
            instr(h.as_bytes(), n.as_bytes(), pos, occurrence)
        } else {
            hay_chars.clear();
            hay_chars.extend(h.chars());
            needle_chars.clear();
            needle_chars.extend(n.chars());
            instr(&hay_chars, &needle_chars, pos, occurrence)
        };
        out.push_i32(at);
        Ok(())
    })
}

fn initcap(s: &str, out: &mut String) {
    out.clear();
    let mut at_start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            at_start = true;
            out.push(c);
        } else if at_start {
            out.extend(c.to_uppercase());
            at_start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// CHR of a `\uXXXX` string, as ksqlDB's `StringEscapeUtils.unescapeJava`: every
/// `\uXXXX` escape is one UTF-16 unit (so a surrogate pair `\ud820\udeb8` is one
/// character), the common backslash escapes are unescaped and other text is kept. A
/// string that does not start with `\u`, is shorter than six characters, or leaves a
/// lone surrogate gives NULL.
fn chr_escape(s: &str, out: &mut String) -> bool {
    if !s.starts_with("\\u") || s.chars().count() < 6 {
        return false;
    }
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let unit = match chars.next() {
            Some('u') => {
                while chars.peek() == Some(&'u') {
                    chars.next();
                }
                let hex: String = chars.by_ref().take(4).collect();
                match (hex.len(), u16::from_str_radix(&hex, 16)) {
                    (4, Ok(u)) => u,
                    _ => return false,
                }
            }
            Some('n') => u16::from(b'\n'),
            Some('t') => u16::from(b'\t'),
            Some('r') => u16::from(b'\r'),
            Some('b') => 0x08,
            Some('f') => 0x0c,
            Some(other) => {
                let mut buf = [0u16; 2];
                units.extend_from_slice(other.encode_utf16(&mut buf));
                continue;
            }
            None => u16::from(b'\\'),
        };
        units.push(unit);
    }
    match String::from_utf16(&units) {
        Ok(text) => {
            *out = text;
            true
        }
        Err(_) => false,
    }
}

fn regex_group_count(re: &Regex) -> i64 {
    re.captures_len() as i64 - 1
}

/// A regular expression for REGEXP_SPLIT_TO_ARRAY, with whether it matches "".
fn compile_splitter(pattern: &str) -> Result<(Regex, bool), String> {
    compile_regex(pattern).map(|re| {
        let empty = re.is_match("");
        (re, empty)
    })
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "UCASE",
        category: "STRING",
        description: "Converts a string to upper case.",
        signatures: &["UCASE(input STRING) -> STRING"],
        return_type: |args| check_args("UCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| change_case(args, true),
    },
    Builtin {
        name: "LCASE",
        category: "STRING",
        description: "Converts a string to lower case.",
        signatures: &["LCASE(input STRING) -> STRING"],
        return_type: |args| check_args("LCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| change_case(args, false),
    },
    Builtin {
        name: "CONCAT",
        category: "STRING",
        description: "Concatenates strings or bytes; NULL arguments are skipped.",
        signatures: &["CONCAT(input STRING, ...) -> STRING", "CONCAT(input BYTES, ...) -> BYTES"],
        return_type: |args| {
            if !args.is_empty() && all_of(args, &S) {
                Ok(S)
            } else if !args.is_empty() && all_of(args, &B) {
                Ok(B)
            } else {
                Err(reject("CONCAT", args, &["CONCAT(STRING, ...)", "CONCAT(BYTES, ...)"]))
            }
        },
        eval: |args| {
            let ops = args.args;
            if *args.return_type == B {
                let inputs: Vec<_> = ops.iter().map(Operand::bytes).collect();
                let mut buf = Vec::new();
                return each_row(args, |row, out| {
                    buf.clear();
                    for b in inputs.iter().filter_map(|v| v.get(row)) {
                        buf.extend_from_slice(b);
                    }
                    out.push_bytes(&buf);
                    Ok(())
                });
            }
            let inputs: Vec<_> = ops.iter().map(Operand::strs).collect();
            let mut buf = String::new();
            each_row(args, |row, out| {
                buf.clear();
                for s in inputs.iter().filter_map(|v| v.get(row)) {
                    buf.push_str(s);
                }
                out.push_str(&buf);
                Ok(())
            })
        },
    },
    Builtin {
        name: "CONCAT_WS",
        category: "STRING",
        description: "Concatenates strings or bytes with a separator; NULL values are skipped, a NULL separator gives NULL.",
        signatures: &[
            "CONCAT_WS(separator STRING, input STRING, ...) -> STRING",
            "CONCAT_WS(separator BYTES, input BYTES, ...) -> BYTES",
        ],
        return_type: |args| {
            if args.len() >= 2 && all_of(args, &S) {
                Ok(S)
            } else if args.len() >= 2 && all_of(args, &B) {
                Ok(B)
            } else {
                Err(reject("CONCAT_WS", args, &["CONCAT_WS(STRING, STRING, ...)", "CONCAT_WS(BYTES, BYTES, ...)"]))
            }
        },
        eval: |args| {
            let ops = args.args;
            if *args.return_type == B {
                let sep = ops[0].bytes();
                let inputs: Vec<_> = ops[1..].iter().map(Operand::bytes).collect();
                let mut buf = Vec::new();
                return each_row(args, |row, out| {
                    let Some(sep) = sep.get(row) else { return Ok(()) };
                    buf.clear();
                    for (i, b) in inputs.iter().filter_map(|v| v.get(row)).enumerate() {
                        if i > 0 {
                            buf.extend_from_slice(sep);
                        }
                        buf.extend_from_slice(b);
                    }
                    out.push_bytes(&buf);
                    Ok(())
                });
            }
            let sep = ops[0].strs();
            let inputs: Vec<_> = ops[1..].iter().map(Operand::strs).collect();
            let mut buf = String::new();
            each_row(args, |row, out| {
                let Some(sep) = sep.get(row) else { return Ok(()) };
                buf.clear();
                for (i, s) in inputs.iter().filter_map(|v| v.get(row)).enumerate() {
                    if i > 0 {
                        buf.push_str(sep);
                    }
                    buf.push_str(s);
                }
                out.push_str(&buf);
                Ok(())
            })
        },
    },
    Builtin {
        name: "LEN",
        category: "STRING",
        description: "The length of a string in characters, or of bytes in bytes.",
        signatures: &["LEN(input STRING) -> INT", "LEN(input BYTES) -> INT"],
        return_type: |args| check_variants("LEN", args, &[&[S], &[B]]).map(|_| I),
        eval: len,
    },
    Builtin {
        name: "LENGTH",
        category: "STRING",
        description: "Synonym for LEN.",
        signatures: &["LENGTH(input STRING) -> INT", "LENGTH(input BYTES) -> INT"],
        return_type: |args| check_variants("LENGTH", args, &[&[S], &[B]]).map(|_| I),
        eval: len,
    },
    Builtin {
        name: "SUBSTRING",
        category: "STRING",
        description: "The part of a string or bytes from a 1-based position (negative counts from the end), optionally of a given length.",
        signatures: &[
            "SUBSTRING(str STRING, pos INT) -> STRING",
            "SUBSTRING(str STRING, pos INT, len INT) -> STRING",
            "SUBSTRING(bytes BYTES, pos INT) -> BYTES",
            "SUBSTRING(bytes BYTES, pos INT, len INT) -> BYTES",
        ],
        return_type: |args| {
            check_variants("SUBSTRING", args, &[&[S, I], &[S, I, I], &[B, I], &[B, I, I]])
                .map(|i| if i < 2 { S } else { B })
        },
        eval: |args| {
            let ops = args.args;
            let (pos, length) = (ops[1].ints(), ops.get(2).map(Operand::ints));
            // The length, `Some(None)` when the call has none, `None` when it is NULL.
            let length_at = move |row: usize| match &length {
                Some(l) => l.get(row).map(Some),
                None => Some(None),
            };
            if *args.return_type == B {
                let input = ops[0].bytes();
                return each_row(args, |row, out| {
                    let (Some(b), Some(pos), Some(length)) = (input.get(row), pos.get(row), length_at(row)) else {
                        return Ok(());
                    };
                    let start = start_index(b.len(), pos);
                    let end = length.map_or(b.len(), |l| end_index(b.len(), start, l));
                    out.push_bytes(b.get(start..end).unwrap_or_default());
                    Ok(())
                });
            }
            let input = ops[0].strs();
            each_row(args, |row, out| {
                let (Some(s), Some(pos), Some(length)) = (input.get(row), pos.get(row), length_at(row)) else {
                    return Ok(());
                };
                out.push_str(substring(s, pos, length));
                Ok(())
            })
        },
    },
    Builtin {
        name: "TRIM",
        category: "STRING",
        description: "Removes leading and trailing whitespace (and control characters).",
        signatures: &["TRIM(input STRING) -> STRING"],
        return_type: |args| check_args("TRIM", args, &[S]).map(|_| S),
        eval: |args| str_slice(args, |s| java_trim_end(java_trim_start(s))),
    },
    Builtin {
        name: "LTRIM",
        category: "STRING",
        description: "Removes leading whitespace (and control characters).",
        signatures: &["LTRIM(input STRING) -> STRING"],
        return_type: |args| check_args("LTRIM", args, &[S]).map(|_| S),
        eval: |args| str_slice(args, java_trim_start),
    },
    Builtin {
        name: "RTRIM",
        category: "STRING",
        description: "Removes trailing whitespace (and control characters).",
        signatures: &["RTRIM(input STRING) -> STRING"],
        return_type: |args| check_args("RTRIM", args, &[S]).map(|_| S),
        eval: |args| str_slice(args, java_trim_end),
    },
    Builtin {
        name: "LPAD",
        category: "STRING",
        description: "Pads the input on the left with the padding, repeated, to the given length (truncating longer input).",
        signatures: &[
            "LPAD(input STRING, length INT, padding STRING) -> STRING",
            "LPAD(input BYTES, length INT, padding BYTES) -> BYTES",
        ],
        return_type: |args| check_variants("LPAD", args, &[&[S, I, S], &[B, I, B]]).map(|i| if i == 0 { S } else { B }),
        eval: |args| pad(args, true),
    },
    Builtin {
        name: "RPAD",
        category: "STRING",
        description: "Pads the input on the right with the padding, repeated, to the given length (truncating longer input).",
        signatures: &[
            "RPAD(input STRING, length INT, padding STRING) -> STRING",
            "RPAD(input BYTES, length INT, padding BYTES) -> BYTES",
        ],
        return_type: |args| check_variants("RPAD", args, &[&[S, I, S], &[B, I, B]]).map(|i| if i == 0 { S } else { B }),
        eval: |args| pad(args, false),
    },
    Builtin {
        name: "REPLACE",
        category: "STRING",
        description: "Replaces every occurrence of a substring with another string.",
        signatures: &["REPLACE(input STRING, old STRING, new STRING) -> STRING"],
        return_type: |args| check_args("REPLACE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            let ops = args.args;
            let (input, old, new) = (ops[0].strs(), ops[1].strs(), ops[2].strs());
            let mut buf = String::new();
            each_row(args, |row, out| {
                let (Some(s), Some(old), Some(new)) = (input.get(row), old.get(row), new.get(row)) else {
                    return Ok(());
                };
                replace_into(s, old, new, &mut buf);
                out.push_str(&buf);
                Ok(())
            })
        },
    },
    Builtin {
        name: "REGEXP_REPLACE",
        category: "STRING",
        description: "Replaces every match of a regular expression; the replacement may refer to groups as $1.",
        signatures: &["REGEXP_REPLACE(input STRING, regex STRING, replacement STRING) -> STRING"],
        return_type: |args| check_args("REGEXP_REPLACE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            let ops = args.args;
            let (input, pattern, replacement) = (ops[0].strs(), ops[1].strs(), ops[2].strs());
            let mut regexes = Compiled::new(compile_regex);
            let mut reps = Compiled::new(|r| Ok(java_replacement(r)));
            each_row(args, |row, out| {
                let (Some(s), Some(pattern), Some(replacement)) =
                    (input.get(row), pattern.get(row), replacement.get(row))
                else {
                    return Ok(());
                };
                let re = regexes.get(pattern)?;
                let rep = reps.get(replacement)?;
                out.push_str(&re.replace_all(s, rep.as_str()));
                Ok(())
            })
        },
    },
    Builtin {
        name: "REGEXP_EXTRACT",
        category: "STRING",
        description: "The first substring matching a regular expression, or the given capturing group of that match.",
        signatures: &[
            "REGEXP_EXTRACT(regex STRING, input STRING) -> STRING",
            "REGEXP_EXTRACT(regex STRING, input STRING, group INT) -> STRING",
        ],
        return_type: |args| check_variants("REGEXP_EXTRACT", args, &[&[S, S], &[S, S, I]]).map(|_| S),
        eval: |args| {
            let ops = args.args;
            let (pattern, input, group) = (ops[0].strs(), ops[1].strs(), ops.get(2).map(Operand::ints));
            let mut regexes = Compiled::new(compile_regex);
            each_row(args, |row, out| {
                let (Some(pattern), Some(s), Some(group)) = (pattern.get(row), input.get(row), opt_int(&group, row, 0))
                else {
                    return Ok(());
                };
                let re = regexes.get(pattern)?;
                if group < 0 || group > regex_group_count(re) {
                    return Ok(());
                }
                if let Some(m) = re.captures(s).and_then(|c| c.get(group as usize)) {
                    out.push_str(m.as_str());
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "REGEXP_EXTRACT_ALL",
        category: "STRING",
        description: "Every substring matching a regular expression, or the given capturing group of each match.",
        signatures: &[
            "REGEXP_EXTRACT_ALL(regex STRING, input STRING) -> ARRAY<STRING>",
            "REGEXP_EXTRACT_ALL(regex STRING, input STRING, group INT) -> ARRAY<STRING>",
        ],
        return_type: |args| {
            check_variants("REGEXP_EXTRACT_ALL", args, &[&[S, S], &[S, S, I]]).map(|_| DataType::Array(Box::new(S)))
        },
        eval: |args| {
            let ops = args.args;
            let (pattern, input, group) = (ops[0].strs(), ops[1].strs(), ops.get(2).map(Operand::ints));
            let mut regexes = Compiled::new(compile_regex);
            each_row(args, |row, out| {
                let (Some(pattern), Some(s), Some(group)) = (pattern.get(row), input.get(row), opt_int(&group, row, 0))
                else {
                    return Ok(());
                };
                let re = regexes.get(pattern)?;
                if group < 0 || group > regex_group_count(re) {
                    return Ok(());
                }
                let items = list_items(out)?;
                for c in re.captures_iter(s) {
                    match c.get(group as usize) {
                        Some(m) => items.push_str(m.as_str()),
                        None => items.append_null(),
                    }
                }
                out.close_list();
                Ok(())
            })
        },
    },
    Builtin {
        name: "REGEXP_SPLIT_TO_ARRAY",
        category: "STRING",
        description: "Splits a string around matches of a regular expression; an empty regex splits into characters.",
        signatures: &["REGEXP_SPLIT_TO_ARRAY(input STRING, regex STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("REGEXP_SPLIT_TO_ARRAY", args, &[S, S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            let ops = args.args;
            let (input, pattern) = (ops[0].strs(), ops[1].strs());
            let mut regexes = Compiled::new(compile_splitter);
            let mut pieces: Vec<&str> = Vec::new();
            each_row(args, |row, out| {
                let (Some(input), Some(pattern)) = (input.get(row), pattern.get(row)) else { return Ok(()) };
                if pattern.is_empty() {
                    let items = list_items(out)?;
                    split_str(input, "", |p| items.push_str(p));
                    out.close_list();
                    return Ok(());
                }
                let (re, matches_empty) = regexes.get(pattern)?;
                // Java drops the empty leading piece a zero-width match at 0 would make.
                pieces.clear();
                let mut last = 0;
                for m in re.find_iter(input) {
                    if m.start() == 0 && m.end() == 0 {
                        continue;
                    }
                    pieces.push(input.get(last..m.start()).unwrap_or_default());
                    last = m.end();
                }
                pieces.push(input.get(last..).unwrap_or_default());
                // A regex that matches the empty string splits like Java's `Pattern.split`,
                // which drops trailing empty strings; others keep them (Guava's splitter).
                if *matches_empty {
                    while pieces.len() > 1 && pieces.last() == Some(&"") {
                        pieces.pop();
                    }
                }
                let items = list_items(out)?;
                for p in &pieces {
                    items.push_str(p);
                }
                out.close_list();
                Ok(())
            })
        },
    },
    Builtin {
        name: "SPLIT",
        category: "STRING",
        description: "Splits a string or bytes around a literal delimiter; an empty delimiter splits into characters.",
        signatures: &["SPLIT(input STRING, delimiter STRING) -> ARRAY<STRING>", "SPLIT(input BYTES, delimiter BYTES) -> ARRAY<BYTES>"],
        return_type: |args| {
            check_variants("SPLIT", args, &[&[S, S], &[B, B]]).map(|i| DataType::Array(Box::new(if i == 0 { S } else { B })))
        },
        eval: |args| {
            let ops = args.args;
            if matches!(args.return_type, DataType::Array(item) if **item == B) {
                let (input, delim) = (ops[0].bytes(), ops[1].bytes());
                return each_row(args, |row, out| {
                    let (Some(b), Some(d)) = (input.get(row), delim.get(row)) else { return Ok(()) };
                    let items = list_items(out)?;
                    split_bytes(b, d, |p| items.push_bytes(p));
                    out.close_list();
                    Ok(())
                });
            }
            let (input, delim) = (ops[0].strs(), ops[1].strs());
            each_row(args, |row, out| {
                let (Some(s), Some(d)) = (input.get(row), delim.get(row)) else { return Ok(()) };
                let items = list_items(out)?;
                split_str(s, d, |p| items.push_str(p));
                out.close_list();
                Ok(())
            })
        },
    },
    Builtin {
        name: "SPLIT_TO_MAP",
        category: "STRING",
        description: "Splits a string into entries, and each entry into key and value; the last value of a repeated key wins.",
        signatures: &["SPLIT_TO_MAP(input STRING, entryDelimiter STRING, kvDelimiter STRING) -> MAP<STRING, STRING>"],
        return_type: |args| {
            check_args("SPLIT_TO_MAP", args, &[S, S, S]).map(|_| DataType::Map(Box::new(S), Box::new(S)))
        },
        eval: |args| {
            let ops = args.args;
            let (input, entry, kv) = (ops[0].strs(), ops[1].strs(), ops[2].strs());
            let mut entries: Vec<(&str, &str)> = Vec::new();
            each_row(args, |row, out| {
                let (Some(input), Some(entry), Some(kv)) = (input.get(row), entry.get(row), kv.get(row)) else {
                    return Ok(());
                };
                if entry.is_empty() || kv.is_empty() || entry == kv {
                    return Ok(());
                }
                entries.clear();
                for e in input.split(entry).filter(|e| !e.is_empty()) {
                    let Some((k, v)) = e.split_once(kv) else { continue };
                    // Guava's splitter yields more than two parts here; ksqlDB keeps the second.
                    let v = v.split(kv).next().unwrap_or(v);
                    match entries.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(slot) => slot.1 = v,
                        None => entries.push((k, v)),
                    }
                }
                let (keys, values) =
                    out.map_entries().ok_or_else(|| "internal: the result column is not a MAP".to_string())?;
                for (k, v) in &entries {
                    keys.push_str(k);
                    values.push_str(v);
                }
                out.close_map();
                Ok(())
            })
        },
    },
    Builtin {
        name: "INSTR",
        category: "STRING",
        description: "The 1-based position of the n-th occurrence of a substring at or after a position (negative searches backwards from the end), 0 if absent.",
        signatures: &[
            "INSTR(str STRING, substring STRING) -> INT",
            "INSTR(str STRING, substring STRING, position INT) -> INT",
            "INSTR(str STRING, substring STRING, position INT, occurrence INT) -> INT",
        ],
        return_type: |args| check_variants("INSTR", args, &[&[S, S], &[S, S, I], &[S, S, I, I]]).map(|_| I),
        eval: instr_column,
    },
    Builtin {
        name: "INITCAP",
        category: "STRING",
        description: "Capitalizes the first letter of each word and lower-cases the rest.",
        signatures: &["INITCAP(input STRING) -> STRING"],
        return_type: |args| check_args("INITCAP", args, &[S]).map(|_| S),
        eval: |args| {
            let input = args.args[0].strs();
            let mut buf = String::new();
            each_row(args, |row, out| {
                if let Some(s) = input.get(row) {
                    initcap(s, &mut buf);
                    out.push_str(&buf);
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "MASK",
        category: "STRING",
        description: "Masks every character: upper case to 'X', lower case to 'x', digits to 'n', others to '-', or to the given characters (NULL keeps that class).",
        signatures: &["MASK(input STRING) -> STRING", "MASK(input STRING, upper STRING, lower STRING, digit STRING, other STRING) -> STRING"],
        return_type: |args| mask_types("MASK", args, false),
        eval: mask_all,
    },
    Builtin {
        name: "MASK_LEFT",
        category: "STRING",
        description: "Masks the first n characters.",
        signatures: &[
            "MASK_LEFT(input STRING, n INT) -> STRING",
            "MASK_LEFT(input STRING, n INT, upper STRING, lower STRING, digit STRING, other STRING) -> STRING",
        ],
        return_type: |args| mask_types("MASK_LEFT", args, true),
        eval: |args| mask_part(args, "MASK_LEFT", |_, n| 0..n),
    },
    Builtin {
        name: "MASK_RIGHT",
        category: "STRING",
        description: "Masks the last n characters.",
        signatures: &[
            "MASK_RIGHT(input STRING, n INT) -> STRING",
            "MASK_RIGHT(input STRING, n INT, upper STRING, lower STRING, digit STRING, other STRING) -> STRING",
        ],
        return_type: |args| mask_types("MASK_RIGHT", args, true),
        eval: |args| mask_part(args, "MASK_RIGHT", |len, n| len - n..len),
    },
    Builtin {
        name: "MASK_KEEP_LEFT",
        category: "STRING",
        description: "Masks all but the first n characters.",
        signatures: &[
            "MASK_KEEP_LEFT(input STRING, n INT) -> STRING",
            "MASK_KEEP_LEFT(input STRING, n INT, upper STRING, lower STRING, digit STRING, other STRING) -> STRING",
        ],
        return_type: |args| mask_types("MASK_KEEP_LEFT", args, true),
        eval: |args| mask_part(args, "MASK_KEEP_LEFT", |len, n| n..len),
    },
    Builtin {
        name: "MASK_KEEP_RIGHT",
        category: "STRING",
        description: "Masks all but the last n characters.",
        signatures: &[
            "MASK_KEEP_RIGHT(input STRING, n INT) -> STRING",
            "MASK_KEEP_RIGHT(input STRING, n INT, upper STRING, lower STRING, digit STRING, other STRING) -> STRING",
        ],
        return_type: |args| mask_types("MASK_KEEP_RIGHT", args, true),
        eval: |args| mask_part(args, "MASK_KEEP_RIGHT", |len, n| 0..len - n),
    },
    Builtin {
        name: "CHR",
        category: "STRING",
        description: "The character with a decimal code point, or of UTF-16 escapes written '\\u004b' (a surrogate pair for characters beyond U+FFFF).",
        signatures: &["CHR(code INT) -> STRING", "CHR(code STRING) -> STRING"],
        return_type: |args| check_variants("CHR", args, &[&[I], &[S]]).map(|_| S),
        eval: |args| {
            let (escapes, codes) = (args.args[0].strs(), args.args[0].ints());
            let mut buf = String::new();
            each_row(args, |row, out| {
                if let Some(s) = escapes.get(row) {
                    if chr_escape(s, &mut buf) {
                        out.push_str(&buf);
                    }
                } else if let Some(c) = codes.get(row).and_then(|c| u32::try_from(c).ok()).and_then(char::from_u32) {
                    out.push_str(c.encode_utf8(&mut [0; 4]));
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "ENCODE",
        category: "STRING",
        description: "Re-encodes a string from one of hex, utf8, ascii, base64 into another.",
        signatures: &["ENCODE(input STRING, inputEncoding STRING, outputEncoding STRING) -> STRING"],
        return_type: |args| check_args("ENCODE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            let ops = args.args;
            let (input, from, to) = (ops[0].strs(), ops[1].strs(), ops[2].strs());
            let (mut data, mut text) = (Vec::new(), String::new());
            each_row(args, |row, out| {
                let (Some(input), Some(from), Some(to)) = (input.get(row), from.get(row), to.get(row)) else {
                    return Ok(());
                };
                let (Ok(from), Ok(to)) = (encoding(from), encoding(to)) else { return Err(UNSUPPORTED_PAIR.into()) };
                if from == to {
                    return Err(UNSUPPORTED_PAIR.into());
                }
                data.clear();
                decode(input, from, &mut data)?;
                text.clear();
                encode(&data, to, &mut text);
                out.push_str(&text);
                Ok(())
            })
        },
    },
    Builtin {
        name: "TO_BYTES",
        category: "STRING",
        description: "Converts a string to bytes using an encoding: hex, utf8, ascii or base64.",
        signatures: &["TO_BYTES(input STRING, encoding STRING) -> BYTES"],
        return_type: |args| check_args("TO_BYTES", args, &[S, S]).map(|_| B),
        eval: |args| {
            let ops = args.args;
            let (input, enc) = (ops[0].strs(), ops[1].strs());
            let mut data = Vec::new();
            each_row(args, |row, out| {
                let (Some(input), Some(enc)) = (input.get(row), enc.get(row)) else { return Ok(()) };
                data.clear();
                decode(input, encoding(enc)?, &mut data)?;
                out.push_bytes(&data);
                Ok(())
            })
        },
    },
    Builtin {
        name: "FROM_BYTES",
        category: "STRING",
        description: "Converts bytes to a string using an encoding: hex, utf8, ascii or base64.",
        signatures: &["FROM_BYTES(input BYTES, encoding STRING) -> STRING"],
        return_type: |args| check_args("FROM_BYTES", args, &[B, S]).map(|_| S),
        eval: |args| {
            let ops = args.args;
            let (input, enc) = (ops[0].bytes(), ops[1].strs());
            let mut text = String::new();
            each_row(args, |row, out| {
                let (Some(input), Some(enc)) = (input.get(row), enc.get(row)) else { return Ok(()) };
                text.clear();
                encode(input, encoding(enc)?, &mut text);
                out.push_str(&text);
                Ok(())
            })
        },
    },
    Builtin {
        name: "UUID",
        category: "STRING",
        description: "A random type 4 UUID, or the UUID whose 16 bytes are given.",
        signatures: &["UUID() -> STRING", "UUID(bytes BYTES) -> STRING"],
        return_type: |args| check_variants("UUID", args, &[&[], &[B]]).map(|_| S),
        eval: |args| {
            let mut buf = uuid::Uuid::encode_buffer();
            let Some(op) = args.args.first() else {
                return each_row(args, |_, out| {
                    out.push_str(uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf));
                    Ok(())
                });
            };
            let input = op.bytes();
            each_row(args, |row, out| {
                let Some(b) = input.get(row) else { return Ok(()) };
                let u = uuid::Uuid::from_slice(b).map_err(|_| format!("a UUID needs 16 bytes, got {}", b.len()))?;
                out.push_str(u.hyphenated().encode_lower(&mut buf));
                Ok(())
            })
        },
    },
    Builtin {
        name: "ELT",
        category: "STRING",
        description: "The n-th (1-based) of the following strings, NULL if n is out of range.",
        signatures: &["ELT(n INT, args STRING, ...) -> STRING"],
        return_type: |args| {
            if !args.is_empty() && args[0].widens_to(&I) && all_of(&args[1..], &S) {
                Ok(S)
            } else {
                Err(reject("ELT", args, &["ELT(INT, STRING, ...)"]))
            }
        },
        eval: |args| {
            let ops = args.args;
            let n = ops[0].ints();
            let choices: Vec<_> = ops[1..].iter().map(Operand::strs).collect();
            each_row(args, |row, out| {
                let Some(n) = n.get(row) else { return Ok(()) };
                let chosen = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)).and_then(|i| choices.get(i));
                if let Some(s) = chosen.and_then(|c| c.get(row)) {
                    out.push_str(s);
                }
                Ok(())
            })
        },
    },
    Builtin {
        name: "FIELD",
        category: "STRING",
        description: "The 1-based position of a string among the following strings, 0 if absent or NULL.",
        signatures: &["FIELD(str STRING, args STRING, ...) -> INT"],
        return_type: |args| {
            if !args.is_empty() && all_of(args, &S) {
                Ok(I)
            } else {
                Err(reject("FIELD", args, &["FIELD(STRING, STRING, ...)"]))
            }
        },
        eval: |args| {
            let ops = args.args;
            let needle = ops[0].strs();
            let choices: Vec<_> = ops[1..].iter().map(Operand::strs).collect();
            each_row(args, |row, out| {
                let pos = needle
                    .get(row)
                    .and_then(|s| choices.iter().position(|c| c.get(row) == Some(s)))
                    .map_or(0, |p| p + 1);
                out.push_i32(i32::try_from(pos).unwrap_or(0));
                Ok(())
            })
        },
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;

    const N: Value = Value::Null;

    fn b(v: &[u8]) -> Value {
        Value::Bytes(std::sync::Arc::from(v))
    }

    #[test]
    fn case_conversion() {
        assert_eq!(call("UCASE", vec![s("alice")]), s("ALICE"));
        assert_eq!(call("LCASE", vec![s("ÄBC")]), s("äbc"));
        assert_eq!(call_typed("UCASE", &[DataType::String], vec![N]).0, N);
        let err = ret("UCASE", &[DataType::Int]).unwrap_err();
        assert!(err.starts_with("function UCASE does not accept parameters (INTEGER)"), "{err}");
        assert!(err.contains("UCASE(STRING)"), "{err}");
    }

    #[test]
    fn concat_skips_nulls() {
        assert_eq!(call("CONCAT", vec![s("a"), s("b"), s("c")]), s("abc"));
        assert_eq!(call_typed("CONCAT", &[DataType::String, DataType::String], vec![s("a"), N]).0, s("a"));
        assert_eq!(call_typed("CONCAT", &[DataType::String, DataType::String], vec![N, N]).0, s(""));
        assert_eq!(call("CONCAT", vec![b(b"ab"), b(b"c")]), b(b"abc"));
        assert!(ret("CONCAT", &[DataType::String, DataType::Int]).unwrap_err().contains("CONCAT(STRING, ...)"));
        assert!(ret("CONCAT", &[]).is_err());
        assert_eq!(ret("CONCAT", &[DataType::Null, DataType::String]), Ok(DataType::String));
    }

    #[test]
    fn concat_ws() {
        assert_eq!(call("CONCAT_WS", vec![s(", "), s("a"), s("b")]), s("a, b"));
        let t = [DataType::String, DataType::String, DataType::String];
        assert_eq!(call_typed("CONCAT_WS", &t, vec![s("-"), N, s("b")]).0, s("b"));
        assert_eq!(call_typed("CONCAT_WS", &t, vec![N, s("a"), s("b")]).0, N);
        assert_eq!(call("CONCAT_WS", vec![b(b"|"), b(b"a"), b(b"b")]), b(b"a|b"));
        assert!(ret("CONCAT_WS", &[DataType::String]).is_err());
    }

    #[test]
    fn len_counts_chars_and_bytes() {
        assert_eq!(call("LEN", vec![s("héllo")]), Value::Int(5));
        assert_eq!(call("LENGTH", vec![s("")]), Value::Int(0));
        assert_eq!(call("LEN", vec![b(&[1, 2, 3])]), Value::Int(3));
        assert_eq!(call_typed("LEN", &[DataType::String], vec![N]).0, N);
        assert!(ret("LEN", &[DataType::Int]).is_err());
    }

    #[test]
    fn substring_follows_ksqldb() {
        let sub = |str: &str, pos: i32| call("SUBSTRING", vec![s(str), Value::Int(pos)]);
        let sub3 = |str: &str, pos: i32, len: i32| call("SUBSTRING", vec![s(str), Value::Int(pos), Value::Int(len)]);
        assert_eq!(sub("alice", 2), s("lice"));
        assert_eq!(sub3("alice", 2, 3), s("lic"));
        assert_eq!(sub3("alice", 0, 2), s("al"));
        assert_eq!(sub3("alice", 1, 100), s("alice"));
        assert_eq!(sub("alice", -3), s("ice"));
        assert_eq!(sub3("alice", -3, 2), s("ic"));
        assert_eq!(sub("alice", -10), s("alice"));
        assert_eq!(sub("alice", 10), s(""));
        assert_eq!(sub3("alice", 2, -1), s(""));
        assert_eq!(sub3("héllo", 2, 2), s("él"));
        assert_eq!(call("SUBSTRING", vec![b(&[1, 2, 3, 4]), Value::Int(2), Value::Int(2)]), b(&[2, 3]));
        let t = [DataType::String, DataType::Int, DataType::Int];
        assert_eq!(call_typed("SUBSTRING", &t, vec![s("abc"), Value::Int(1), N]).0, N);
        assert!(ret("SUBSTRING", &[DataType::String, DataType::BigInt]).is_err());
        assert!(ret("SUBSTRING", &[DataType::String]).is_err());
    }

    #[test]
    fn trims() {
        assert_eq!(call("TRIM", vec![s("  a b \t\n")]), s("a b"));
        assert_eq!(call("LTRIM", vec![s("  a  ")]), s("a  "));
        assert_eq!(call("RTRIM", vec![s("  a  ")]), s("  a"));
        assert_eq!(call("TRIM", vec![s("")]), s(""));
    }

    #[test]
    fn pads() {
        let lpad = |i: &str, n: i32, p: &str| call("LPAD", vec![s(i), Value::Int(n), s(p)]);
        let rpad = |i: &str, n: i32, p: &str| call("RPAD", vec![s(i), Value::Int(n), s(p)]);
        assert_eq!(lpad("Foo", 7, "Bar"), s("BarBFoo"));
        assert_eq!(lpad("Foo", 2, "Bar"), s("Fo"));
        assert_eq!(lpad("Foo", 0, "Bar"), s(""));
        assert_eq!(lpad("Foo", -1, "Bar"), N);
        assert_eq!(lpad("Foo", 5, ""), N);
        assert_eq!(rpad("Foo", 7, "Bar"), s("FooBarB"));
        assert_eq!(rpad("Foo", 2, "Bar"), s("Fo"));
        assert_eq!(call("LPAD", vec![b(&[1]), Value::Int(3), b(&[0])]), b(&[0, 0, 1]));
        assert_eq!(call("RPAD", vec![b(&[1]), Value::Int(3), b(&[0])]), b(&[1, 0, 0]));
        assert!(ret("LPAD", &[DataType::String, DataType::Int, DataType::Bytes]).is_err());
    }

    #[test]
    fn replace_and_regexp_replace() {
        assert_eq!(call("REPLACE", vec![s("a.b.c"), s("."), s("-")]), s("a-b-c"));
        assert_eq!(call("REPLACE", vec![s("abc"), s(""), s("x")]), s("xaxbxcx"));
        assert_eq!(call("REGEXP_REPLACE", vec![s("a1b22c"), s("[0-9]+"), s("#")]), s("a#b#c"));
        assert_eq!(call("REGEXP_REPLACE", vec![s("john smith"), s("(\\w+) (\\w+)"), s("$2a, $1")]), s("smitha, john"));
        assert_eq!(call("REGEXP_REPLACE", vec![s("cost"), s("cost"), s("\\$5")]), s("$5"));
        let (v, errors) = call_row("REGEXP_REPLACE", vec![s("x"), s("("), s("y")]);
        assert_eq!(v, N);
        assert!(errors.errors[0].1.contains("invalid regular expression"), "{errors:?}");
    }

    #[test]
    fn regexp_replace_compiles_once_per_batch() {
        let t = [DataType::String, DataType::String, DataType::String];
        let cols = vec![
            vec![s("a1"), s("b2"), N, s("c3")],
            vec![s("\\d"), s("\\d"), s("\\d"), s("(")],
            vec![s("#"), s("#"), s("#"), s("#")],
        ];
        let (out, errors) = call_cols("REGEXP_REPLACE", &t, cols);
        assert_eq!(out, vec![s("a#"), s("b#"), N, N]);
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].0, 3);
    }

    #[test]
    fn regexp_extract() {
        assert_eq!(call("REGEXP_EXTRACT", vec![s("\\d+"), s("ab123cd45")]), s("123"));
        assert_eq!(call("REGEXP_EXTRACT", vec![s("(\\w)(\\d+)"), s("ab123"), Value::Int(2)]), s("123"));
        assert_eq!(call("REGEXP_EXTRACT", vec![s("(\\w)(\\d+)"), s("ab123"), Value::Int(3)]), N);
        assert_eq!(call("REGEXP_EXTRACT", vec![s("z"), s("abc")]), N);
        assert_eq!(call("REGEXP_EXTRACT_ALL", vec![s("\\d+"), s("a1b22c333")]), strs(&["1", "22", "333"]));
        assert_eq!(call("REGEXP_EXTRACT_ALL", vec![s("(\\w)(\\d)"), s("a1b2"), Value::Int(1)]), strs(&["a", "b"]));
        assert_eq!(call("REGEXP_EXTRACT_ALL", vec![s("z"), s("abc")]), strs(&[]));
        assert!(ret("REGEXP_EXTRACT", &[DataType::String, DataType::String, DataType::String]).is_err());
    }

    #[test]
    fn regexp_split() {
        assert_eq!(call("REGEXP_SPLIT_TO_ARRAY", vec![s("a.b|c"), s("[.|]")]), strs(&["a", "b", "c"]));
        assert_eq!(call("REGEXP_SPLIT_TO_ARRAY", vec![s(",a,,b,"), s(",")]), strs(&["", "a", "", "b", ""]));
        assert_eq!(call("REGEXP_SPLIT_TO_ARRAY", vec![s("abc"), s("")]), strs(&["a", "b", "c"]));
        assert_eq!(call("REGEXP_SPLIT_TO_ARRAY", vec![s("abc"), s("x*")]), strs(&["a", "b", "c"]));
    }

    #[test]
    fn split() {
        assert_eq!(call("SPLIT", vec![s("a,b,,c,"), s(",")]), strs(&["a", "b", "", "c", ""]));
        assert_eq!(call("SPLIT", vec![s("a.b"), s(".")]), strs(&["a", "b"]));
        assert_eq!(call("SPLIT", vec![s("abc"), s("")]), strs(&["a", "b", "c"]));
        assert_eq!(call("SPLIT", vec![s("abc"), s("x")]), strs(&["abc"]));
        assert_eq!(call("SPLIT", vec![b(&[1, 0, 2]), b(&[0])]), arr(vec![b(&[1]), b(&[2])]));
        assert_eq!(call("SPLIT", vec![b(&[]), b(&[])]), arr(vec![b(&[])]));
        assert_eq!(ret("SPLIT", &[DataType::Bytes, DataType::Bytes]), Ok(arr_of(DataType::Bytes)));
        assert_eq!(call_typed("SPLIT", &[DataType::String, DataType::String], vec![N, s(",")]).0, N);
    }

    #[test]
    fn split_to_map() {
        let m = call("SPLIT_TO_MAP", vec![s("a=1;b=2;;c;a=3"), s(";"), s("=")]);
        assert_eq!(m, Value::Map(vec![(s("a"), s("3")), (s("b"), s("2"))]));
        assert_eq!(call("SPLIT_TO_MAP", vec![s("a=1"), s(""), s("=")]), N);
        assert_eq!(call("SPLIT_TO_MAP", vec![s("a=1"), s("="), s("=")]), N);
    }

    #[test]
    fn instr() {
        let i2 = |a: &str, b: &str| call("INSTR", vec![s(a), s(b)]);
        let i4 = |a: &str, b: &str, p: i32, o: i32| call("INSTR", vec![s(a), s(b), Value::Int(p), Value::Int(o)]);
        assert_eq!(i2("CORPORATE FLOOR", "OR"), Value::Int(2));
        assert_eq!(i4("CORPORATE FLOOR", "OR", 3, 1), Value::Int(5));
        assert_eq!(i4("CORPORATE FLOOR", "OR", 3, 2), Value::Int(14));
        assert_eq!(i4("CORPORATE FLOOR", "OR", 3, 5), Value::Int(0));
        assert_eq!(i4("CORPORATE FLOOR", "OR", -3, 2), Value::Int(2));
        assert_eq!(i4("CORPORATE FLOOR", "OR", -1, 1), Value::Int(14));
        assert_eq!(i4("CORPORATE FLOOR", "OR", 100, 1), Value::Int(0));
        assert_eq!(i2("abc", "z"), Value::Int(0));
        assert_eq!(call_typed("INSTR", &[DataType::String, DataType::String], vec![N, s("a")]).0, Value::Int(0));
        assert!(ret("INSTR", &[DataType::String]).is_err());
    }

    #[test]
    fn initcap() {
        assert_eq!(call("INITCAP", vec![s("the QUICK  brown")]), s("The Quick  Brown"));
        assert_eq!(call("INITCAP", vec![s("")]), s(""));
    }

    #[test]
    fn masks() {
        assert_eq!(call("MASK", vec![s("AbC-12 z")]), s("XxX-nn-x"));
        let t5 = [DataType::String, DataType::String, DataType::String, DataType::String, DataType::String];
        let (v, _) = call_typed("MASK", &t5, vec![s("Ab1!"), s("U"), N, s("#"), N]);
        assert_eq!(v, s("Ub#!"));
        let (v, errors) = call_typed("MASK", &t5, vec![s("Ab1!"), s("UU"), N, N, N]);
        assert_eq!(v, N);
        assert!(errors.errors[0].1.contains("single character"));
        assert_eq!(call("MASK_LEFT", vec![s("Abc123"), Value::Int(4)]), s("Xxxn23"));
        assert_eq!(call("MASK_LEFT", vec![s("Ab"), Value::Int(10)]), s("Xx"));
        assert_eq!(call("MASK_RIGHT", vec![s("Abc123"), Value::Int(2)]), s("Abc1nn"));
        assert_eq!(call("MASK_KEEP_LEFT", vec![s("Abc123"), Value::Int(2)]), s("Abxnnn"));
        assert_eq!(call("MASK_KEEP_RIGHT", vec![s("Abc123"), Value::Int(2)]), s("Xxxn23"));
        let t6 =
            [DataType::String, DataType::Int, DataType::String, DataType::String, DataType::String, DataType::String];
        let (v, _) = call_typed("MASK_LEFT", &t6, vec![s("Ab1"), Value::Int(3), s("*"), s("*"), s("*"), s("*")]);
        assert_eq!(v, s("***"));
        let (v, errors) = call_row("MASK_LEFT", vec![s("abc"), Value::Int(-1)]);
        assert_eq!(v, N);
        assert!(errors.errors[0].1.contains("non-negative"));
        assert!(ret("MASK_LEFT", &[DataType::String]).is_err());
        assert!(ret("MASK", &[DataType::String, DataType::String]).is_err());
    }

    #[test]
    fn chr() {
        assert_eq!(call("CHR", vec![Value::Int(75)]), s("K"));
        assert_eq!(call("CHR", vec![Value::Int(22909)]), s("好"));
        assert_eq!(call("CHR", vec![s("\\u004b")]), s("K"));
        assert_eq!(call("CHR", vec![s("U+004B")]), N);
        assert_eq!(call("CHR", vec![s("\\ud820\\udeb8")]), s("\u{182b8}"));
        assert_eq!(call("CHR", vec![s("\\ud820")]), N);
        assert_eq!(call("CHR", vec![s("004b")]), N);
        assert_eq!(call("CHR", vec![Value::Int(-1)]), N);
    }

    #[test]
    fn encodings() {
        let enc = |v: &str, a: &str, b: &str| call("ENCODE", vec![s(v), s(a), s(b)]);
        assert_eq!(enc("4b61666b61", "hex", "utf8"), s("Kafka"));
        assert_eq!(enc("0x4b", "hex", "ascii"), s("K"));
        assert_eq!(enc("X'4b'", "hex", "ascii"), s("K"));
        assert_eq!(enc("Kafka", "utf8", "base64"), s("S2Fma2E="));
        assert_eq!(enc("S2Fma2E=", "base64", "hex"), s("4b61666b61"));
        assert_eq!(enc("Kafka", "ascii", "HEX"), s("4b61666b61"));
        let (v, errors) = call_row("ENCODE", vec![s("x"), s("utf8"), s("ebcdic")]);
        assert_eq!(v, N);
        assert!(errors.errors[0].1.contains("hex, utf8, ascii and base64"));
        let (_, errors) = call_row("ENCODE", vec![s("zz"), s("hex"), s("utf8")]);
        assert!(errors.errors[0].1.contains("not valid hex"));
        assert_eq!(call("TO_BYTES", vec![s("AQID"), s("base64")]), b(&[1, 2, 3]));
        assert_eq!(call("TO_BYTES", vec![s("abc"), s("utf8")]), b(b"abc"));
        assert_eq!(call("FROM_BYTES", vec![b(&[1, 2, 255]), s("hex")]), s("0102ff"));
        assert_eq!(call("FROM_BYTES", vec![b(b"hi"), s("base64")]), s("aGk="));
        let (_, errors) = call_row("TO_BYTES", vec![s("abc"), s("utf16")]);
        assert!(errors.errors[0].1.contains("unsupported encoding"));
    }

    #[test]
    fn uuid() {
        let a = call("UUID", vec![]);
        let text = a.as_str().unwrap_or_default().to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.as_bytes()[14], b'4');
        assert_ne!(call("UUID", vec![]), a);
        let bytes: Vec<u8> = (0..16).collect();
        assert_eq!(call("UUID", vec![b(&bytes)]), s("00010203-0405-0607-0809-0a0b0c0d0e0f"));
        let (v, errors) = call_row("UUID", vec![b(&[1])]);
        assert_eq!(v, N);
        assert_eq!(errors.errors.len(), 1);
    }

    #[test]
    fn elt_and_field() {
        assert_eq!(call("ELT", vec![Value::Int(2), s("a"), s("b")]), s("b"));
        assert_eq!(call("ELT", vec![Value::Int(0), s("a")]), N);
        assert_eq!(call("ELT", vec![Value::Int(3), s("a"), s("b")]), N);
        assert_eq!(call("FIELD", vec![s("b"), s("a"), s("b")]), Value::Int(2));
        assert_eq!(call("FIELD", vec![s("z"), s("a"), s("b")]), Value::Int(0));
        assert_eq!(call_typed("FIELD", &[DataType::String, DataType::String], vec![N, N]).0, Value::Int(0));
        assert!(ret("ELT", &[DataType::String, DataType::String]).unwrap_err().contains("ELT(INT, STRING, ...)"));
        assert!(ret("FIELD", &[DataType::String, DataType::Int]).is_err());
    }

    #[test]
    fn constant_arguments_cover_every_row() {
        let rows = |v: Value| vec![v; 3];
        let (out, errors) = call_scalars("UCASE", &[DataType::String], vec![s("abc")], 3);
        assert_eq!((out, errors.is_empty()), (rows(s("ABC")), true));
        assert_eq!(call_scalars("LCASE", &[DataType::String], vec![s("ÄBC")], 3).0, rows(s("äbc")));
        assert_eq!(call_scalars("LEN", &[DataType::String], vec![s("héllo")], 3).0, rows(Value::Int(5)));
        assert_eq!(call_scalars("LEN", &[DataType::Bytes], vec![b(&[1, 2])], 3).0, rows(Value::Int(2)));
        let t = [DataType::String, DataType::Int, DataType::Int];
        assert_eq!(call_scalars("SUBSTRING", &t, vec![s("alice"), Value::Int(2), Value::Int(3)], 3).0, rows(s("lic")));
        let t = [DataType::String, DataType::String];
        assert_eq!(call_scalars("CONCAT", &t, vec![s("a"), N], 3).0, rows(s("a")));
        assert_eq!(call_scalars("INSTR", &t, vec![N, s("a")], 3).0, rows(Value::Int(0)));
        assert_eq!(call_scalars("SPLIT", &t, vec![s("a,b"), s(",")], 3).0, rows(strs(&["a", "b"])));
        let t = [DataType::String, DataType::String, DataType::String];
        let (out, errors) = call_scalars("REGEXP_REPLACE", &t, vec![s("a1"), s("("), s("#")], 3);
        assert_eq!((out, errors.errors.len()), (rows(N), 3));
        assert_eq!(call_scalars("UUID", &[], vec![], 3).0.len(), 3);
    }

    #[test]
    fn case_and_length_over_columns() {
        let t = [DataType::String];
        let ascii = vec![vec![s("ab"), N, s("Cd"), s("")]];
        assert_eq!(call_cols("UCASE", &t, ascii.clone()).0, vec![s("AB"), N, s("CD"), s("")]);
        assert_eq!(call_cols("LCASE", &t, ascii.clone()).0, vec![s("ab"), N, s("cd"), s("")]);
        assert_eq!(call_cols("LEN", &t, ascii).0, vec![Value::Int(2), N, Value::Int(2), Value::Int(0)]);
        let mixed = vec![vec![s("ab"), s("straße"), N, s("ΟΔΟΣ")]];
        assert_eq!(call_cols("LCASE", &t, vec![vec![s("ΣΑΣ Σ"), s("ÀÉ")]]).0, vec![s("σας σ"), s("àé")]);
        assert_eq!(call_cols("UCASE", &t, mixed.clone()).0, vec![s("AB"), s("STRASSE"), N, s("ΟΔΟΣ")]);
        assert_eq!(call_cols("LCASE", &t, mixed.clone()).0, vec![s("ab"), s("straße"), N, s("οδος")]);
        assert_eq!(call_cols("LEN", &t, mixed).0, vec![Value::Int(2), Value::Int(6), N, Value::Int(4)]);
        let bytes = vec![vec![b(&[1, 2, 3]), N]];
        assert_eq!(call_cols("LENGTH", &[DataType::Bytes], bytes).0, vec![Value::Int(3), N]);
    }

    #[test]
    fn ascii_case_of_a_sliced_column() {
        use arrow_array::cast::AsArray;
        use arrow_array::{Array, StringArray};
        let full = StringArray::from(vec![Some("zz"), Some("aB"), None, Some("c")]);
        let sliced = full.slice(1, 3);
        let out = super::ascii_case_column(&sliced, true).unwrap_or_else(|| panic!("not converted"));
        let out = out.as_string::<i32>();
        assert_eq!(out.len(), 3);
        assert_eq!((out.value(0), out.is_null(1), out.value(2)), ("AB", true, "C"));
        let greek = StringArray::from(vec!["é"]);
        assert!(super::ascii_case_column(&greek, true).is_none());
    }

    #[test]
    fn instr_counts_characters() {
        let i4 = |a: &str, b: &str, p: i32, o: i32| call("INSTR", vec![s(a), s(b), Value::Int(p), Value::Int(o)]);
        assert_eq!(i4("héhé", "é", 1, 2), Value::Int(4));
        assert_eq!(i4("héhé", "é", -1, 1), Value::Int(4));
        assert_eq!(i4("héhé", "é", -2, 1), Value::Int(2));
        assert_eq!(i4("abc", "", -1, 1), Value::Int(4));
        assert_eq!(call("SUBSTRING", vec![s("héllo"), Value::Int(-2)]), s("lo"));
        assert_eq!(call("LPAD", vec![s("é"), Value::Int(3), s("ü")]), s("üüé"));
        assert_eq!(call("RPAD", vec![s("héllo"), Value::Int(2), s("x")]), s("hé"));
        // The fifth byte is inside a character.
        assert_eq!(call("CHR", vec![s("\\u000é")]), N);
    }

    #[test]
    fn java_replacement_syntax() {
        assert_eq!(super::java_replacement("$1a"), "${1}a");
        assert_eq!(super::java_replacement("${name}"), "${name}");
        assert_eq!(super::java_replacement("\\$x"), "$$x");
        assert_eq!(super::java_replacement("a$"), "a$$");
    }
}
