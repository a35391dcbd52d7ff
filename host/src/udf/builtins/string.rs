//! String functions, with ksqlDB's semantics: 1-based positions, negative positions
//! counting from the end, Java regular expressions (as far as the `regex` crate can
//! express them) and `NULL` in, `NULL` out unless a function says otherwise.
//!
//! Positions and lengths count Unicode scalar values (ksqlDB counts UTF-16 units;
//! the two agree outside the astral planes).

use std::sync::Arc;

use base64::Engine as _;
use regex::Regex;
use wasp_sql::{DataType, Value};

use super::{bytes, check_args, check_variants, int, int32, reject, text, Builtin, Compiled};
use crate::udf::{per_row, per_row_strict};

const S: DataType = DataType::String;
const I: DataType = DataType::Int;
const B: DataType = DataType::Bytes;

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

fn chars_of(s: &str) -> Vec<char> {
    s.chars().collect()
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

/// Java's `String.trim`: strips every char <= U+0020.
fn java_trim_start(s: &str) -> &str {
    s.trim_start_matches(|c: char| c <= ' ')
}

fn java_trim_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| c <= ' ')
}

fn pad(input: &Value, len: &Value, padding: &Value, left: bool) -> Result<Value, String> {
    let target = int(len)?;
    if target < 0 {
        return Ok(Value::Null);
    }
    let target = target as usize;
    match (input, padding) {
        (Value::String(input), Value::String(padding)) => {
            if padding.is_empty() {
                return Ok(Value::Null);
            }
            let input: Vec<char> = input.chars().collect();
            let fill: Vec<char> = padding.chars().cycle().take(target.saturating_sub(input.len())).collect();
            let out: String = if left {
                fill.iter().chain(input.iter()).take(target).collect()
            } else {
                input.iter().chain(fill.iter()).take(target).collect()
            };
            Ok(Value::string(&out))
        }
        (Value::Bytes(input), Value::Bytes(padding)) => {
            if padding.is_empty() {
                return Ok(Value::Null);
            }
            let fill: Vec<u8> = padding.iter().copied().cycle().take(target.saturating_sub(input.len())).collect();
            let out: Vec<u8> = if left {
                fill.iter().chain(input.iter()).take(target).copied().collect()
            } else {
                input.iter().chain(fill.iter()).take(target).copied().collect()
            };
            Ok(Value::Bytes(Arc::from(out)))
        }
        _ => Err(format!("cannot pad {input:?} with {padding:?}")),
    }
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

    /// Reads the optional four mask arguments starting at `from`.
    fn from_args(row: &[Value], from: usize) -> Result<Masker, String> {
        if row.len() <= from {
            return Ok(Masker::DEFAULT);
        }
        let one = |v: &Value| -> Result<Option<char>, String> {
            match v {
                Value::Null => Ok(None),
                v => {
                    let s = text(v)?;
                    let mut cs = s.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => Ok(Some(c)),
                        _ => Err(format!("invalid mask character: must be a single character, but was '{s}'")),
                    }
                }
            }
        };
        Ok(Masker {
            upper: one(&row[from])?,
            lower: one(&row[from + 1])?,
            digit: one(&row[from + 2])?,
            other: one(&row[from + 3])?,
        })
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

    fn mask(&self, s: impl Iterator<Item = char>) -> String {
        s.map(|c| self.mask_char(c)).collect()
    }
}

fn mask_types(name: &str, args: &[DataType], with_count: bool) -> Result<DataType, String> {
    let variants: [&[DataType]; 2] = if with_count { [&[S, I], &[S, I, S, S, S, S]] } else { [&[S], &[S, S, S, S, S]] };
    check_variants(name, args, &variants).map(|_| S)
}

/// The part of the MASK_LEFT family that differs: which chars of `n` to mask.
fn mask_part(name: &'static str, row: &[Value], f: fn(&[char], usize, &Masker) -> String) -> Result<Value, String> {
    if row[0].is_null() || row[1].is_null() {
        return Ok(Value::Null);
    }
    let n = int(&row[1])?;
    if n < 0 {
        return Err(format!("function {name} requires a non-negative number of characters to mask or skip"));
    }
    let masker = Masker::from_args(row, 2)?;
    let chars = chars_of(text(&row[0])?);
    let n = (n as usize).min(chars.len());
    Ok(Value::string(&f(&chars, n, &masker)))
}

fn decode(input: &str, encoding: &str) -> Result<Vec<u8>, String> {
    match encoding.to_ascii_lowercase().as_str() {
        "hex" => {
            let digits = strip_hex(input);
            if digits.len() % 2 != 0 {
                return Err(format!("'{input}' is not valid hex: odd number of digits"));
            }
            (0..digits.len())
                .step_by(2)
                .map(|i| {
                    digits
                        .get(i..i + 2)
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                        .ok_or_else(|| format!("'{input}' is not valid hex"))
                })
                .collect()
        }
        "utf8" => Ok(input.as_bytes().to_vec()),
        "ascii" => Ok(input.chars().map(|c| if c.is_ascii() { c as u8 } else { b'?' }).collect()),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(input.trim_end_matches('\n'))
            .map_err(|e| format!("'{input}' is not valid base64: {e}")),
        other => Err(format!("unsupported encoding '{other}': supported are hex, utf8, ascii and base64")),
    }
}

/// `0xAB`, `X'AB'` and `AB` all mean the bytes 0xAB.
fn strip_hex(input: &str) -> String {
    if let Some(rest) = input.strip_prefix("0x") {
        if rest.len() % 2 != 0 {
            return format!("0{rest}");
        }
        return rest.to_string();
    }
    if input.len() >= 3 && (input.starts_with("x'") || input.starts_with("X'")) && input.ends_with('\'') {
        return input[2..input.len() - 1].to_string();
    }
    input.to_string()
}

fn encode(data: &[u8], encoding: &str) -> Result<String, String> {
    match encoding.to_ascii_lowercase().as_str() {
        "hex" => Ok(data.iter().map(|b| format!("{b:02x}")).collect()),
        "utf8" => Ok(String::from_utf8_lossy(data).into_owned()),
        "ascii" => Ok(data.iter().map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' }).collect()),
        "base64" => Ok(base64::engine::general_purpose::STANDARD.encode(data)),
        other => Err(format!("unsupported encoding '{other}': supported are hex, utf8, ascii and base64")),
    }
}

/// Splits on a literal delimiter; an empty delimiter splits into characters.
fn split_str(s: &str, delim: &str) -> Vec<Value> {
    if delim.is_empty() {
        if s.is_empty() {
            return vec![Value::string("")];
        }
        return s.chars().map(|c| Value::string(c.encode_utf8(&mut [0; 4]))).collect();
    }
    s.split(delim).map(Value::string).collect()
}

fn split_bytes(b: &[u8], delim: &[u8]) -> Vec<Value> {
    let piece = |p: &[u8]| Value::Bytes(Arc::from(p));
    if delim.is_empty() {
        return b.iter().map(|x| piece(std::slice::from_ref(x))).collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + delim.len() <= b.len() {
        if &b[i..i + delim.len()] == delim {
            out.push(piece(&b[start..i]));
            i += delim.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(piece(&b[start..]));
    out
}

/// The index of the `n`-th (1-based) occurrence of `needle` in `hay` at or after
/// `from`, overlapping matches allowed (commons-lang `ordinalIndexOf`).
fn nth_index(hay: &[char], needle: &[char], from: usize, n: i64) -> Option<usize> {
    if n <= 0 {
        return None;
    }
    let mut found = 0;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        if hay[i..i + needle.len()] == *needle {
            found += 1;
            if found == n {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn instr(row: &[Value]) -> Result<Value, String> {
    if row[0].is_null() || row[1].is_null() {
        return Ok(Value::Int(0));
    }
    if row.iter().skip(2).any(Value::is_null) {
        return Ok(Value::Null);
    }
    let hay = chars_of(text(&row[0])?);
    let needle = chars_of(text(&row[1])?);
    let pos = row.get(2).map(int).transpose()?.unwrap_or(1);
    let occurrence = row.get(3).map(int).transpose()?.unwrap_or(1);
    let len = hay.len() as i64;
    if pos == 0 || pos.abs() > len {
        return Ok(Value::Int(0));
    }
    let result = if pos > 0 {
        nth_index(&hay, &needle, (pos - 1) as usize, occurrence).map(|i| i as i64 + 1)
    } else {
        let rhay: Vec<char> = hay.iter().rev().copied().collect();
        let rneedle: Vec<char> = needle.iter().rev().copied().collect();
        let p = -pos;
        nth_index(&rhay, &rneedle, (p - 1) as usize, occurrence).map(|i| len - i as i64 - needle.len() as i64 + 1)
    };
    Ok(Value::Int(result.and_then(|r| i32::try_from(r).ok()).unwrap_or(0)))
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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
    out
}

fn chr(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let hex = s.strip_prefix("\\u").or_else(|| s.strip_prefix("U+")).filter(|h| h.len() >= 4);
            let Some(hex) = hex else { return Value::Null };
            // Java unescapes `\uXXXX` and keeps what follows; a surrogate pair needs both.
            let (code, rest) = hex.split_at(4);
            match u32::from_str_radix(code, 16).ok().and_then(char::from_u32) {
                Some(c) => Value::string(&format!("{c}{rest}")),
                None => Value::Null,
            }
        }
        v => match v.as_i64().and_then(|c| u32::try_from(c).ok()).and_then(char::from_u32) {
            Some(c) => Value::string(c.encode_utf8(&mut [0; 4])),
            None => Value::Null,
        },
    }
}

fn regex_group_count(re: &Regex) -> i64 {
    re.captures_len() as i64 - 1
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "UCASE",
        category: "STRING",
        description: "Converts a string to upper case.",
        signatures: &["UCASE(input STRING) -> STRING"],
        return_type: |args| check_args("UCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(&text(&row[0])?.to_uppercase())))),
    },
    Builtin {
        name: "LCASE",
        category: "STRING",
        description: "Converts a string to lower case.",
        signatures: &["LCASE(input STRING) -> STRING"],
        return_type: |args| check_args("LCASE", args, &[DataType::String]).map(|_| DataType::String),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(&text(&row[0])?.to_lowercase())))),
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
            let is_bytes = *args.return_type == B;
            Ok(per_row(args, |row| {
                if is_bytes {
                    let mut out = Vec::new();
                    for v in row.iter().filter(|v| !v.is_null()) {
                        out.extend_from_slice(bytes(v)?);
                    }
                    Ok(Value::Bytes(Arc::from(out)))
                } else {
                    let mut out = String::new();
                    for v in row.iter().filter(|v| !v.is_null()) {
                        out.push_str(text(v)?);
                    }
                    Ok(Value::string(&out))
                }
            }))
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
            let is_bytes = *args.return_type == B;
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                let values = row[1..].iter().filter(|v| !v.is_null());
                if is_bytes {
                    let sep = bytes(&row[0])?;
                    let mut out = Vec::new();
                    for (i, v) in values.enumerate() {
                        if i > 0 {
                            out.extend_from_slice(sep);
                        }
                        out.extend_from_slice(bytes(v)?);
                    }
                    Ok(Value::Bytes(Arc::from(out)))
                } else {
                    let sep = text(&row[0])?;
                    let parts = values.map(text).collect::<Result<Vec<_>, _>>()?;
                    Ok(Value::string(&parts.join(sep)))
                }
            }))
        },
    },
    Builtin {
        name: "LEN",
        category: "STRING",
        description: "The length of a string in characters, or of bytes in bytes.",
        signatures: &["LEN(input STRING) -> INT", "LEN(input BYTES) -> INT"],
        return_type: |args| check_variants("LEN", args, &[&[S], &[B]]).map(|_| I),
        eval: |args| Ok(per_row_strict(args, len)),
    },
    Builtin {
        name: "LENGTH",
        category: "STRING",
        description: "Synonym for LEN.",
        signatures: &["LENGTH(input STRING) -> INT", "LENGTH(input BYTES) -> INT"],
        return_type: |args| check_variants("LENGTH", args, &[&[S], &[B]]).map(|_| I),
        eval: |args| Ok(per_row_strict(args, len)),
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
            Ok(per_row_strict(args, |row| {
                let pos = int(&row[1])?;
                let length = row.get(2).map(int).transpose()?;
                match &row[0] {
                    Value::Bytes(b) => {
                        let start = start_index(b.len(), pos);
                        let end = length.map_or(b.len(), |l| end_index(b.len(), start, l));
                        Ok(Value::Bytes(Arc::from(&b[start..end])))
                    }
                    v => {
                        let chars = chars_of(text(v)?);
                        let start = start_index(chars.len(), pos);
                        let end = length.map_or(chars.len(), |l| end_index(chars.len(), start, l));
                        Ok(Value::string(&chars[start..end].iter().collect::<String>()))
                    }
                }
            }))
        },
    },
    Builtin {
        name: "TRIM",
        category: "STRING",
        description: "Removes leading and trailing whitespace (and control characters).",
        signatures: &["TRIM(input STRING) -> STRING"],
        return_type: |args| check_args("TRIM", args, &[S]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(java_trim_end(java_trim_start(text(&row[0])?)))))),
    },
    Builtin {
        name: "LTRIM",
        category: "STRING",
        description: "Removes leading whitespace (and control characters).",
        signatures: &["LTRIM(input STRING) -> STRING"],
        return_type: |args| check_args("LTRIM", args, &[S]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(java_trim_start(text(&row[0])?))))),
    },
    Builtin {
        name: "RTRIM",
        category: "STRING",
        description: "Removes trailing whitespace (and control characters).",
        signatures: &["RTRIM(input STRING) -> STRING"],
        return_type: |args| check_args("RTRIM", args, &[S]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(java_trim_end(text(&row[0])?))))),
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
        eval: |args| Ok(per_row_strict(args, |row| pad(&row[0], &row[1], &row[2], true))),
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
        eval: |args| Ok(per_row_strict(args, |row| pad(&row[0], &row[1], &row[2], false))),
    },
    Builtin {
        name: "REPLACE",
        category: "STRING",
        description: "Replaces every occurrence of a substring with another string.",
        signatures: &["REPLACE(input STRING, old STRING, new STRING) -> STRING"],
        return_type: |args| check_args("REPLACE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::string(&text(&row[0])?.replace(text(&row[1])?, text(&row[2])?)))))
        },
    },
    Builtin {
        name: "REGEXP_REPLACE",
        category: "STRING",
        description: "Replaces every match of a regular expression; the replacement may refer to groups as $1.",
        signatures: &["REGEXP_REPLACE(input STRING, regex STRING, replacement STRING) -> STRING"],
        return_type: |args| check_args("REGEXP_REPLACE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            let mut regexes = Compiled::new(compile_regex);
            let mut reps = Compiled::new(|r| Ok(java_replacement(r)));
            Ok(per_row_strict(args, |row| {
                let re = regexes.get(text(&row[1])?)?;
                let rep = reps.get(text(&row[2])?)?;
                Ok(Value::string(&re.replace_all(text(&row[0])?, rep.as_str())))
            }))
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
            let mut regexes = Compiled::new(compile_regex);
            Ok(per_row_strict(args, |row| {
                let re = regexes.get(text(&row[0])?)?;
                let group = row.get(2).map(int).transpose()?.unwrap_or(0);
                if group < 0 || group > regex_group_count(re) {
                    return Ok(Value::Null);
                }
                Ok(re
                    .captures(text(&row[1])?)
                    .and_then(|c| c.get(group as usize))
                    .map_or(Value::Null, |m| Value::string(m.as_str())))
            }))
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
            let mut regexes = Compiled::new(compile_regex);
            Ok(per_row_strict(args, |row| {
                let re = regexes.get(text(&row[0])?)?;
                let group = row.get(2).map(int).transpose()?.unwrap_or(0);
                if group < 0 || group > regex_group_count(re) {
                    return Ok(Value::Null);
                }
                Ok(Value::Array(
                    re.captures_iter(text(&row[1])?)
                        .map(|c| c.get(group as usize).map_or(Value::Null, |m| Value::string(m.as_str())))
                        .collect(),
                ))
            }))
        },
    },
    Builtin {
        name: "REGEXP_SPLIT_TO_ARRAY",
        category: "STRING",
        description: "Splits a string around matches of a regular expression; an empty regex splits into characters.",
        signatures: &["REGEXP_SPLIT_TO_ARRAY(input STRING, regex STRING) -> ARRAY<STRING>"],
        return_type: |args| check_args("REGEXP_SPLIT_TO_ARRAY", args, &[S, S]).map(|_| DataType::Array(Box::new(S))),
        eval: |args| {
            let mut regexes = Compiled::new(compile_regex);
            Ok(per_row_strict(args, |row| {
                let input = text(&row[0])?;
                let pattern = text(&row[1])?;
                if pattern.is_empty() {
                    return Ok(Value::Array(split_str(input, "")));
                }
                let re = regexes.get(pattern)?;
                // Java drops the empty leading piece a zero-width match at 0 would make.
                let mut pieces = Vec::new();
                let mut last = 0;
                for m in re.find_iter(input) {
                    if m.start() == 0 && m.end() == 0 {
                        continue;
                    }
                    pieces.push(Value::string(&input[last..m.start()]));
                    last = m.end();
                }
                pieces.push(Value::string(&input[last..]));
                // A regex that matches the empty string splits like Java's `Pattern.split`,
                // which drops trailing empty strings; others keep them (Guava's splitter).
                if re.is_match("") {
                    while pieces.len() > 1 && pieces.last().and_then(Value::as_str) == Some("") {
                        pieces.pop();
                    }
                }
                Ok(Value::Array(pieces))
            }))
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
            Ok(per_row_strict(args, |row| match (&row[0], &row[1]) {
                (Value::Bytes(b), Value::Bytes(d)) => Ok(Value::Array(split_bytes(b, d))),
                (s, d) => Ok(Value::Array(split_str(text(s)?, text(d)?))),
            }))
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
            Ok(per_row_strict(args, |row| {
                let (input, entry, kv) = (text(&row[0])?, text(&row[1])?, text(&row[2])?);
                if entry.is_empty() || kv.is_empty() || entry == kv {
                    return Ok(Value::Null);
                }
                let mut out: Vec<(Value, Value)> = Vec::new();
                for e in input.split(entry).filter(|e| !e.is_empty()) {
                    let Some((k, v)) = e.split_once(kv) else { continue };
                    // Guava's splitter yields more than two parts here; ksqlDB keeps the second.
                    let v = v.split(kv).next().unwrap_or(v);
                    let (k, v) = (Value::string(k), Value::string(v));
                    match out.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
                Ok(Value::Map(out))
            }))
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
        eval: |args| Ok(per_row(args, instr)),
    },
    Builtin {
        name: "INITCAP",
        category: "STRING",
        description: "Capitalizes the first letter of each word and lower-cases the rest.",
        signatures: &["INITCAP(input STRING) -> STRING"],
        return_type: |args| check_args("INITCAP", args, &[S]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(&initcap(text(&row[0])?))))),
    },
    Builtin {
        name: "MASK",
        category: "STRING",
        description: "Masks every character: upper case to 'X', lower case to 'x', digits to 'n', others to '-', or to the given characters (NULL keeps that class).",
        signatures: &["MASK(input STRING) -> STRING", "MASK(input STRING, upper STRING, lower STRING, digit STRING, other STRING) -> STRING"],
        return_type: |args| mask_types("MASK", args, false),
        eval: |args| {
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                let masker = Masker::from_args(row, 1)?;
                Ok(Value::string(&masker.mask(text(&row[0])?.chars())))
            }))
        },
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
        eval: |args| {
            Ok(per_row(args, |row| {
                mask_part("MASK_LEFT", row, |c, n, m| m.mask(c[..n].iter().copied()) + &c[n..].iter().collect::<String>())
            }))
        },
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
        eval: |args| {
            Ok(per_row(args, |row| {
                mask_part("MASK_RIGHT", row, |c, n, m| {
                    let k = c.len() - n;
                    c[..k].iter().collect::<String>() + &m.mask(c[k..].iter().copied())
                })
            }))
        },
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
        eval: |args| {
            Ok(per_row(args, |row| {
                mask_part("MASK_KEEP_LEFT", row, |c, n, m| {
                    c[..n].iter().collect::<String>() + &m.mask(c[n..].iter().copied())
                })
            }))
        },
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
        eval: |args| {
            Ok(per_row(args, |row| {
                mask_part("MASK_KEEP_RIGHT", row, |c, n, m| {
                    let k = c.len() - n;
                    m.mask(c[..k].iter().copied()) + &c[k..].iter().collect::<String>()
                })
            }))
        },
    },
    Builtin {
        name: "CHR",
        category: "STRING",
        description: "The character with a decimal code point, or with a UTF-16 code written '\\u004b' or 'U+004B'.",
        signatures: &["CHR(code INT) -> STRING", "CHR(code STRING) -> STRING"],
        return_type: |args| check_variants("CHR", args, &[&[I], &[S]]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(chr(&row[0])))),
    },
    Builtin {
        name: "ENCODE",
        category: "STRING",
        description: "Re-encodes a string from one of hex, utf8, ascii, base64 into another.",
        signatures: &["ENCODE(input STRING, inputEncoding STRING, outputEncoding STRING) -> STRING"],
        return_type: |args| check_args("ENCODE", args, &[S, S, S]).map(|_| S),
        eval: |args| {
            Ok(per_row_strict(args, |row| {
                let (from, to) = (text(&row[1])?, text(&row[2])?);
                let known = |e: &str| ["hex", "utf8", "ascii", "base64"].contains(&e.to_ascii_lowercase().as_str());
                if !known(from) || !known(to) || from.eq_ignore_ascii_case(to) {
                    return Err("supported input and output encodings are: hex, utf8, ascii and base64".into());
                }
                Ok(Value::string(&encode(&decode(text(&row[0])?, from)?, to)?))
            }))
        },
    },
    Builtin {
        name: "TO_BYTES",
        category: "STRING",
        description: "Converts a string to bytes using an encoding: hex, utf8, ascii or base64.",
        signatures: &["TO_BYTES(input STRING, encoding STRING) -> BYTES"],
        return_type: |args| check_args("TO_BYTES", args, &[S, S]).map(|_| B),
        eval: |args| {
            Ok(per_row_strict(args, |row| Ok(Value::Bytes(Arc::from(decode(text(&row[0])?, text(&row[1])?)?)))))
        },
    },
    Builtin {
        name: "FROM_BYTES",
        category: "STRING",
        description: "Converts bytes to a string using an encoding: hex, utf8, ascii or base64.",
        signatures: &["FROM_BYTES(input BYTES, encoding STRING) -> STRING"],
        return_type: |args| check_args("FROM_BYTES", args, &[B, S]).map(|_| S),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::string(&encode(bytes(&row[0])?, text(&row[1])?)?)))),
    },
    Builtin {
        name: "UUID",
        category: "STRING",
        description: "A random type 4 UUID, or the UUID whose 16 bytes are given.",
        signatures: &["UUID() -> STRING", "UUID(bytes BYTES) -> STRING"],
        return_type: |args| check_variants("UUID", args, &[&[], &[B]]).map(|_| S),
        eval: |args| {
            if args.args.is_empty() {
                return Ok((0..args.rows).map(|_| Value::string(&uuid::Uuid::new_v4().to_string())).collect());
            }
            Ok(per_row_strict(args, |row| {
                let b = bytes(&row[0])?;
                uuid::Uuid::from_slice(b)
                    .map(|u| Value::string(&u.to_string()))
                    .map_err(|_| format!("a UUID needs 16 bytes, got {}", b.len()))
            }))
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
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Null);
                }
                let n = int(&row[0])?;
                Ok(if n >= 1 { row.get(n as usize).cloned().unwrap_or(Value::Null) } else { Value::Null })
            }))
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
            Ok(per_row(args, |row| {
                if row[0].is_null() {
                    return Ok(Value::Int(0));
                }
                let pos = row[1..].iter().position(|v| *v == row[0]).map_or(0, |p| p + 1);
                Ok(Value::Int(i32::try_from(pos).unwrap_or(0)))
            }))
        },
    },
];

fn len(row: &[Value]) -> Result<Value, String> {
    let n = match &row[0] {
        Value::Bytes(b) => b.len(),
        v => text(v)?.chars().count(),
    };
    Ok(Value::Int(int32(&Value::BigInt(n as i64))?))
}

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
        assert_eq!(call("CHR", vec![s("U+004B")]), s("K"));
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
    fn java_replacement_syntax() {
        assert_eq!(super::java_replacement("$1a"), "${1}a");
        assert_eq!(super::java_replacement("${name}"), "${name}");
        assert_eq!(super::java_replacement("\\$x"), "$$x");
        assert_eq!(super::java_replacement("a$"), "a$$");
    }
}
