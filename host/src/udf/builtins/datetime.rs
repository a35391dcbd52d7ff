//! Date and time functions.
//!
//! Patterns are Java `DateTimeFormatter` patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), which
//! ksqlDB users already write. [`JavaPattern::translate`] turns one into chrono format
//! items once; each batch keeps the translations of the patterns it met, so a pattern
//! that is constant over a batch is translated once per batch, not once per row.
//!
//! Time zones are IANA names (`Europe/London`), `UTC`/`GMT`/`Z`, or offsets (`+01:00`,
//! `-0800`, `UTC+2`). Without a zone argument, formatting and parsing use UTC.

use std::fmt::Write as _;
use std::str::FromStr;

use chrono::format::{parse_and_remainder, Fixed, Item, Numeric, Pad, Parsed, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use wasp_sql::{DataType, Value};

use super::{check_args, check_variants, int, text, Builtin, Compiled};
use crate::udf::per_row_strict;

const S: DataType = DataType::String;
const I: DataType = DataType::Int;
const L: DataType = DataType::BigInt;
const TS: DataType = DataType::Timestamp;
const DATE: DataType = DataType::Date;
const TIME: DataType = DataType::Time;

const MS_PER_DAY: i64 = 86_400_000;

/// A time zone argument.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Zone {
    fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if let Ok(tz) = Tz::from_str(t) {
            return Ok(Zone::Named(tz));
        }
        match t.to_ascii_uppercase().as_str() {
            "Z" | "UTC" | "UT" | "GMT" => return Ok(Zone::Named(Tz::UTC)),
            _ => {}
        }
        let upper = t.to_ascii_uppercase();
        let offset = ["UTC", "GMT", "UT"].iter().find_map(|p| upper.strip_prefix(p)).unwrap_or(&upper);
        parse_offset(offset).map(Zone::Fixed).ok_or_else(|| format!("unknown time zone '{text}'"))
    }

    /// The offset from UTC at the instant `ms`, in seconds.
    fn offset_at(&self, ms: i64) -> Result<i32, String> {
        let utc = DateTime::from_timestamp_millis(ms).ok_or_else(|| format!("timestamp {ms} is out of range"))?;
        Ok(match self {
            Zone::Named(tz) => tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc(),
            Zone::Fixed(f) => f.local_minus_utc(),
        })
    }

    /// The instant of a local date-time in this zone. In a gap (spring forward) the time
    /// moves forward by the gap; in an overlap (fall back) the earlier instant wins, as in Java.
    fn resolve(&self, local: NaiveDateTime) -> Result<i64, String> {
        let earliest = |naive: NaiveDateTime| -> Option<i64> {
            match self {
                Zone::Named(tz) => tz.from_local_datetime(&naive).earliest().map(|d| d.timestamp_millis()),
                Zone::Fixed(f) => f.from_local_datetime(&naive).earliest().map(|d| d.timestamp_millis()),
            }
        };
        earliest(local)
            .or_else(|| earliest(local + chrono::Duration::hours(1)))
            .ok_or_else(|| format!("{local} does not exist in time zone {self:?}"))
    }

    fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_string(),
            Zone::Fixed(f) => f.to_string(),
        }
    }
}

/// `+01:00`, `+0100`, `+01`, `-8`, `+01:00:30`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || digits.is_empty() {
        return None;
    }
    let num = |s: &str| s.parse::<i32>().ok();
    let (h, m, s) = match digits.len() {
        1 | 2 => (num(&digits)?, 0, 0),
        3 => (num(&digits[..1])?, num(&digits[1..])?, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?, 0),
        6 => (num(&digits[..2])?, num(&digits[2..4])?, num(&digits[4..])?),
        _ => return None,
    };
    if h > 18 || m > 59 || s > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60 + s))
}

/// One step of a translated pattern.
#[derive(Debug)]
enum Piece {
    /// Consecutive fields chrono formats and parses itself.
    Items(Vec<Item<'static>>),
    /// `S` repeated: the first `n` digits of the fraction of a second.
    Fraction(usize),
    /// `VV`: the zone id (`Europe/London`).
    ZoneId,
    /// `z`: the zone's short name when formatting; a zone id or name when parsing.
    ZoneName,
}

/// A Java date-time pattern, translated.
#[derive(Debug)]
pub struct JavaPattern {
    pieces: Vec<Piece>,
}

impl JavaPattern {
    /// Translates a `DateTimeFormatter` / `SimpleDateFormat` pattern.
    pub fn translate(pattern: &str) -> Result<JavaPattern, String> {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut items: Vec<Item<'static>> = Vec::new();
        let mut literal = String::new();
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let flush_literal = |literal: &mut String, items: &mut Vec<Item<'static>>| {
            if !literal.is_empty() {
                items.push(Item::OwnedLiteral(std::mem::take(literal).into_boxed_str()));
            }
        };
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                // 'quoted text', with '' for a quote.
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(format!("unterminated quote in pattern '{pattern}'")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            literal.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            literal.push(*other);
                            i += 1;
                        }
                    }
                }
                continue;
            }
            if !c.is_ascii_alphabetic() {
                if matches!(c, '[' | ']' | '{' | '}' | '#') {
                    return Err(format!("'{c}' in pattern '{pattern}' is not supported"));
                }
                literal.push(c);
                i += 1;
                continue;
            }
            let mut n = 1;
            while chars.get(i + n) == Some(&c) {
                n += 1;
            }
            i += n;
            flush_literal(&mut literal, &mut items);
            let special = match c {
                'S' => Some(Piece::Fraction(n.min(9))),
                'V' if n == 2 => Some(Piece::ZoneId),
                'z' => Some(Piece::ZoneName),
                _ => None,
            };
            if let Some(piece) = special {
                if !items.is_empty() {
                    pieces.push(Piece::Items(std::mem::take(&mut items)));
                }
                pieces.push(piece);
                continue;
            }
            let numeric = |field: Numeric, pad: Pad| vec![Item::Numeric(field, pad)];
            let strftime = |spec: &'static str| StrftimeItems::new(spec).collect::<Vec<_>>();
            let fixed = |f: Fixed| vec![Item::Fixed(f)];
            let translated = match (c, n) {
                ('y' | 'u', 2) => strftime("%y"),
                ('y' | 'u', 1) => numeric(Numeric::Year, Pad::None),
                ('y' | 'u', _) => strftime("%Y"),
                ('Y', 2) => strftime("%g"),
                ('Y', _) => strftime("%G"),
                ('M' | 'L', 1) => numeric(Numeric::Month, Pad::None),
                ('M' | 'L', 2) => strftime("%m"),
                ('M' | 'L', 3) => strftime("%b"),
                ('M' | 'L', _) => strftime("%B"),
                ('d', 1) => numeric(Numeric::Day, Pad::None),
                ('d', 2) => strftime("%d"),
                ('D', 1 | 2) => numeric(Numeric::Ordinal, Pad::None),
                ('D', 3) => strftime("%j"),
                ('w', _) => strftime("%V"),
                ('E', 1..=3) => strftime("%a"),
                ('E', _) => strftime("%A"),
                ('a', _) => strftime("%p"),
                ('H' | 'k', 1) => numeric(Numeric::Hour, Pad::None),
                ('H' | 'k', 2) => strftime("%H"),
                ('h' | 'K', 1) => numeric(Numeric::Hour12, Pad::None),
                ('h' | 'K', 2) => strftime("%I"),
                ('m', 1) => numeric(Numeric::Minute, Pad::None),
                ('m', 2) => strftime("%M"),
                ('s', 1) => numeric(Numeric::Second, Pad::None),
                ('s', 2) => strftime("%S"),
                ('n', _) => numeric(Numeric::Nanosecond, Pad::None),
                ('X', 1 | 2) => fixed(Fixed::TimezoneOffsetZ),
                ('X', 3) => fixed(Fixed::TimezoneOffsetColonZ),
                ('x' | 'Z', 1..=3) => strftime("%z"),
                ('x', 4) | ('Z', 4) => strftime("%:z"),
                ('x', 5) => strftime("%:z"),
                ('Z', 5) => fixed(Fixed::TimezoneOffsetColonZ),
                _ => {
                    return Err(format!("pattern letter '{}' in '{pattern}' is not supported", c.to_string().repeat(n)))
                }
            };
            if translated.iter().any(|it| matches!(it, Item::Error)) {
                return Err(format!("internal: cannot translate '{c}' in '{pattern}'"));
            }
            items.extend(translated);
        }
        flush_literal(&mut literal, &mut items);
        if !items.is_empty() {
            pieces.push(Piece::Items(items));
        }
        Ok(JavaPattern { pieces })
    }

    /// Formats an instant as seen in `zone`.
    fn format_ms(&self, ms: i64, zone: Zone) -> Result<String, String> {
        let utc = DateTime::from_timestamp_millis(ms).ok_or_else(|| format!("timestamp {ms} is out of range"))?;
        match zone {
            Zone::Named(tz) => self.format(&utc.with_timezone(&tz), &zone),
            Zone::Fixed(f) => self.format(&utc.with_timezone(&f), &zone),
        }
    }

    fn format<Z: TimeZone>(&self, dt: &DateTime<Z>, zone: &Zone) -> Result<String, String>
    where
        Z::Offset: std::fmt::Display,
    {
        let mut out = String::new();
        let failed = |_| "the value cannot be formatted with this pattern".to_string();
        for piece in &self.pieces {
            match piece {
                Piece::Items(items) => write!(out, "{}", dt.format_with_items(items.iter())).map_err(failed)?,
                Piece::Fraction(n) => {
                    let nanos = format!("{:09}", chrono::Timelike::nanosecond(dt) % 1_000_000_000);
                    out.push_str(&nanos[..*n]);
                }
                Piece::ZoneId => out.push_str(&zone.name()),
                Piece::ZoneName => write!(out, "{}", dt.format("%Z")).map_err(failed)?,
            }
        }
        Ok(out)
    }

    /// Parses `input` into fields; a zone named in the input is returned too.
    fn parse_fields(&self, input: &str) -> Result<(Parsed, Option<Zone>), String> {
        let fail = |why: String| format!("text '{input}' could not be parsed: {why}");
        let mut parsed = Parsed::new();
        let mut zone = None;
        let mut rest = input;
        for piece in &self.pieces {
            match piece {
                Piece::Items(items) => {
                    rest = parse_and_remainder(&mut parsed, rest, items.iter()).map_err(|e| fail(e.to_string()))?;
                }
                Piece::Fraction(n) => {
                    let digits = rest.bytes().take(*n).take_while(u8::is_ascii_digit).count();
                    if digits == 0 {
                        return Err(fail("expected fraction digits".into()));
                    }
                    let value: i64 = rest[..digits].parse().map_err(|_| fail("bad fraction".into()))?;
                    let nanos = value * 10i64.pow(9 - digits as u32);
                    parsed.set_nanosecond(nanos).map_err(|e| fail(e.to_string()))?;
                    rest = &rest[digits..];
                }
                Piece::ZoneId | Piece::ZoneName => {
                    let len = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '+' | '-' | ':')))
                        .unwrap_or(rest.len());
                    zone = Some(Zone::parse(&rest[..len]).map_err(fail)?);
                    rest = &rest[len..];
                }
            }
        }
        if !rest.is_empty() {
            return Err(fail(format!("unparsed text '{rest}'")));
        }
        Ok((parsed, zone))
    }

    /// Parses a date and time; missing fields default to 1970-01-01 00:00:00.
    fn parse_local(&self, input: &str) -> Result<(NaiveDateTime, Option<i32>, Option<Zone>), String> {
        let (mut p, zone) = self.parse_fields(input)?;
        let fail = |e: chrono::format::ParseError| format!("text '{input}' could not be parsed: {e}");
        let has_week = p.isoyear().is_some() || p.isoweek().is_some() || p.week_from_mon().is_some();
        if p.year().is_none() && p.year_mod_100().is_none() && !has_week {
            p.set_year(1970).map_err(fail)?;
        }
        if p.month().is_none() && p.ordinal().is_none() && !has_week {
            p.set_month(1).map_err(fail)?;
        }
        if p.day().is_none() && p.ordinal().is_none() && !has_week {
            p.set_day(1).map_err(fail)?;
        }
        if has_week && p.weekday().is_none() {
            p.set_weekday(chrono::Weekday::Mon).map_err(fail)?;
        }
        if p.hour_mod_12().is_none() {
            p.set_hour(0).map_err(fail)?;
        } else if p.hour_div_12().is_none() {
            p.set_ampm(false).map_err(fail)?;
        }
        if p.minute().is_none() {
            p.set_minute(0).map_err(fail)?;
        }
        if p.second().is_none() {
            p.set_second(0).map_err(fail)?;
        }
        if p.nanosecond().is_none() {
            p.set_nanosecond(0).map_err(fail)?;
        }
        let date = p.to_naive_date().map_err(fail)?;
        let time = p.to_naive_time().map_err(fail)?;
        Ok((date.and_time(time), p.offset(), zone))
    }

    /// Parses an instant; an offset or zone in the input wins over `zone`.
    fn parse_ms(&self, input: &str, zone: Zone) -> Result<i64, String> {
        let (local, offset, named) = self.parse_local(input)?;
        if let Some(off) = offset {
            return Ok(local.and_utc().timestamp_millis() - i64::from(off) * 1000);
        }
        named.unwrap_or(zone).resolve(local)
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::default()
}

fn date_to_days(date: NaiveDate) -> Result<i32, String> {
    i32::try_from((date - epoch()).num_days()).map_err(|_| format!("{date} is out of range"))
}

fn time_ms(t: NaiveTime) -> i32 {
    let ms = (t - NaiveTime::MIN).num_milliseconds();
    i32::try_from(ms).unwrap_or_default()
}

/// The shared state of one batch: translated patterns and parsed zones.
struct Formats {
    patterns: Compiled<JavaPattern>,
    zones: Compiled<Zone>,
}

impl Formats {
    fn new() -> Formats {
        Formats { patterns: Compiled::new(JavaPattern::translate), zones: Compiled::new(Zone::parse) }
    }

    /// The zone argument at `row[i]`, UTC when absent.
    fn zone(&mut self, row: &[Value], i: usize) -> Result<Zone, String> {
        match row.get(i) {
            Some(v) => self.zones.get(text(v)?).copied(),
            None => Ok(Zone::Named(Tz::UTC)),
        }
    }

    fn format_ms(&mut self, ms: i64, row: &[Value], pattern: usize) -> Result<Value, String> {
        let zone = self.zone(row, pattern + 1)?;
        let p = self.patterns.get(text(&row[pattern])?)?;
        p.format_ms(ms, zone).map(|s| Value::string(&s))
    }

    fn parse_ms(&mut self, row: &[Value]) -> Result<i64, String> {
        let zone = self.zone(row, 2)?;
        let p = self.patterns.get(text(&row[1])?)?;
        p.parse_ms(text(&row[0])?, zone)
    }

    fn parse_local(&mut self, row: &[Value]) -> Result<NaiveDateTime, String> {
        let p = self.patterns.get(text(&row[1])?)?;
        p.parse_local(text(&row[0])?).map(|(local, _, _)| local)
    }
}

/// The milliseconds in `n` of a time unit, as Java's `TimeUnit.toMillis`.
fn unit_ms(unit: &str, n: i64) -> Result<i64, String> {
    let u = unit.trim().to_ascii_uppercase();
    let u = u.strip_suffix('S').unwrap_or(&u);
    let ms = match u {
        "NANOSECOND" => return Ok(n / 1_000_000),
        "MICROSECOND" => return Ok(n / 1_000),
        "MILLISECOND" => 1,
        "SECOND" => 1_000,
        "MINUTE" => 60_000,
        "HOUR" => 3_600_000,
        "DAY" => MS_PER_DAY,
        _ => return Err(format!("unknown time unit '{unit}': expected MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS")),
    };
    n.checked_mul(ms).ok_or_else(|| format!("{n} {unit} is out of range"))
}

/// DATEADD and friends: `(unit, interval, value)`, `sign` 1 to add and -1 to subtract.
fn shift(row: &[Value], sign: i64) -> Result<Value, String> {
    let delta = unit_ms(text(&row[0])?, int(&row[1])?.saturating_mul(sign))?;
    let overflow = || "the result is out of range".to_string();
    match &row[2] {
        Value::Date(d) => {
            let ms = i64::from(*d).checked_mul(MS_PER_DAY).and_then(|m| m.checked_add(delta)).ok_or_else(overflow)?;
            // Java's TimeUnit.toDays truncates towards zero.
            Ok(Value::Date(i32::try_from(ms / MS_PER_DAY).map_err(|_| overflow())?))
        }
        Value::Time(t) => Ok(Value::Time((i64::from(*t) + delta).rem_euclid(MS_PER_DAY) as i32)),
        Value::Timestamp(ts) => Ok(Value::Timestamp(ts.checked_add(delta).ok_or_else(overflow)?)),
        other => Err(format!("expected a DATE, TIME or TIMESTAMP, got {other:?}")),
    }
}

fn timestamp_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Timestamp(ms) => Ok(*ms),
        v => int(v),
    }
}

fn date_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Date(d) => Ok(i64::from(*d)),
        v => int(v),
    }
}

fn time_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Time(t) => Ok(i64::from(*t)),
        v => int(v),
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn shift_fn(name: &str, args: &[DataType], target: DataType) -> Result<DataType, String> {
    check_args(name, args, &[S, I, target.clone()]).map(|_| target)
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    Builtin {
        name: "TIMESTAMPTOSTRING",
        category: "DATE / TIME",
        description: "Formats epoch milliseconds with a Java date-time pattern, in UTC or the given time zone.",
        signatures: &[
            "TIMESTAMPTOSTRING(epochMilli BIGINT, pattern STRING) -> STRING",
            "TIMESTAMPTOSTRING(epochMilli BIGINT, pattern STRING, timeZone STRING) -> STRING",
        ],
        return_type: |args| check_variants("TIMESTAMPTOSTRING", args, &[&[L, S], &[L, S, S]]).map(|_| S),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| f.format_ms(int(&row[0])?, row, 1)))
        },
    },
    Builtin {
        name: "FORMAT_TIMESTAMP",
        category: "DATE / TIME",
        description: "Formats a TIMESTAMP with a Java date-time pattern, in UTC or the given time zone.",
        signatures: &[
            "FORMAT_TIMESTAMP(ts TIMESTAMP, pattern STRING) -> STRING",
            "FORMAT_TIMESTAMP(ts TIMESTAMP, pattern STRING, timeZone STRING) -> STRING",
        ],
        return_type: |args| check_variants("FORMAT_TIMESTAMP", args, &[&[TS, S], &[TS, S, S]]).map(|_| S),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| f.format_ms(timestamp_arg(&row[0])?, row, 1)))
        },
    },
    Builtin {
        name: "STRINGTOTIMESTAMP",
        category: "DATE / TIME",
        description: "Parses a string with a Java date-time pattern into epoch milliseconds (UTC or the given time zone unless the text has an offset).",
        signatures: &[
            "STRINGTOTIMESTAMP(text STRING, pattern STRING) -> BIGINT",
            "STRINGTOTIMESTAMP(text STRING, pattern STRING, timeZone STRING) -> BIGINT",
        ],
        return_type: |args| check_variants("STRINGTOTIMESTAMP", args, &[&[S, S], &[S, S, S]]).map(|_| L),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| f.parse_ms(row).map(Value::BigInt)))
        },
    },
    Builtin {
        name: "PARSE_TIMESTAMP",
        category: "DATE / TIME",
        description: "Parses a string with a Java date-time pattern into a TIMESTAMP (UTC or the given time zone unless the text has an offset).",
        signatures: &[
            "PARSE_TIMESTAMP(text STRING, pattern STRING) -> TIMESTAMP",
            "PARSE_TIMESTAMP(text STRING, pattern STRING, timeZone STRING) -> TIMESTAMP",
        ],
        return_type: |args| check_variants("PARSE_TIMESTAMP", args, &[&[S, S], &[S, S, S]]).map(|_| TS),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| f.parse_ms(row).map(Value::Timestamp)))
        },
    },
    Builtin {
        name: "FORMAT_DATE",
        category: "DATE / TIME",
        description: "Formats a DATE with a Java date pattern.",
        signatures: &["FORMAT_DATE(date DATE, pattern STRING) -> STRING"],
        return_type: |args| check_args("FORMAT_DATE", args, &[DATE, S]).map(|_| S),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| {
                let ms = date_arg(&row[0])?.checked_mul(MS_PER_DAY).ok_or("date out of range")?;
                f.format_ms(ms, &row[..2], 1)
            }))
        },
    },
    Builtin {
        name: "PARSE_DATE",
        category: "DATE / TIME",
        description: "Parses a string with a Java date pattern into a DATE.",
        signatures: &["PARSE_DATE(text STRING, pattern STRING) -> DATE"],
        return_type: |args| check_args("PARSE_DATE", args, &[S, S]).map(|_| DATE),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| Ok(Value::Date(date_to_days(f.parse_local(row)?.date())?))))
        },
    },
    Builtin {
        name: "FORMAT_TIME",
        category: "DATE / TIME",
        description: "Formats a TIME with a Java time pattern.",
        signatures: &["FORMAT_TIME(time TIME, pattern STRING) -> STRING"],
        return_type: |args| check_args("FORMAT_TIME", args, &[TIME, S]).map(|_| S),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| f.format_ms(time_arg(&row[0])?, &row[..2], 1)))
        },
    },
    Builtin {
        name: "PARSE_TIME",
        category: "DATE / TIME",
        description: "Parses a string with a Java time pattern into a TIME.",
        signatures: &["PARSE_TIME(text STRING, pattern STRING) -> TIME"],
        return_type: |args| check_args("PARSE_TIME", args, &[S, S]).map(|_| TIME),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| Ok(Value::Time(time_ms(f.parse_local(row)?.time())))))
        },
    },
    Builtin {
        name: "DATETOSTRING",
        category: "DATE / TIME",
        description: "Formats days since the epoch with a Java date pattern.",
        signatures: &["DATETOSTRING(epochDays INT, pattern STRING) -> STRING"],
        return_type: |args| check_args("DATETOSTRING", args, &[I, S]).map(|_| S),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| {
                let ms = int(&row[0])?.checked_mul(MS_PER_DAY).ok_or("date out of range")?;
                f.format_ms(ms, &row[..2], 1)
            }))
        },
    },
    Builtin {
        name: "STRINGTODATE",
        category: "DATE / TIME",
        description: "Parses a string with a Java date pattern into days since the epoch.",
        signatures: &["STRINGTODATE(text STRING, pattern STRING) -> INT"],
        return_type: |args| check_args("STRINGTODATE", args, &[S, S]).map(|_| I),
        eval: |args| {
            let mut f = Formats::new();
            Ok(per_row_strict(args, |row| Ok(Value::Int(date_to_days(f.parse_local(row)?.date())?))))
        },
    },
    Builtin {
        name: "UNIX_TIMESTAMP",
        category: "DATE / TIME",
        description: "Milliseconds since the epoch, now or of the given TIMESTAMP.",
        signatures: &["UNIX_TIMESTAMP() -> BIGINT", "UNIX_TIMESTAMP(ts TIMESTAMP) -> BIGINT"],
        return_type: |args| check_variants("UNIX_TIMESTAMP", args, &[&[], &[TS]]).map(|_| L),
        eval: |args| {
            if args.args.is_empty() {
                return Ok(vec![Value::BigInt(now_ms()); args.rows]);
            }
            Ok(per_row_strict(args, |row| timestamp_arg(&row[0]).map(Value::BigInt)))
        },
    },
    Builtin {
        name: "UNIX_DATE",
        category: "DATE / TIME",
        description: "Days since the epoch, today (UTC) or of the given DATE.",
        signatures: &["UNIX_DATE() -> INT", "UNIX_DATE(date DATE) -> INT"],
        return_type: |args| check_variants("UNIX_DATE", args, &[&[], &[DATE]]).map(|_| I),
        eval: |args| {
            if args.args.is_empty() {
                let today = now_ms().div_euclid(MS_PER_DAY) as i32;
                return Ok(vec![Value::Int(today); args.rows]);
            }
            Ok(per_row_strict(args, |row| Ok(Value::Int(date_arg(&row[0])? as i32))))
        },
    },
    Builtin {
        name: "NOW",
        category: "DATE / TIME",
        description: "The current TIMESTAMP (not in ksqlDB; same as FROM_UNIXTIME(UNIX_TIMESTAMP())).",
        signatures: &["NOW() -> TIMESTAMP"],
        return_type: |args| check_args("NOW", args, &[]).map(|_| TS),
        eval: |args| Ok(vec![Value::Timestamp(now_ms()); args.rows]),
    },
    Builtin {
        name: "FROM_UNIXTIME",
        category: "DATE / TIME",
        description: "The TIMESTAMP of epoch milliseconds.",
        signatures: &["FROM_UNIXTIME(epochMilli BIGINT) -> TIMESTAMP"],
        return_type: |args| check_args("FROM_UNIXTIME", args, &[L]).map(|_| TS),
        eval: |args| Ok(per_row_strict(args, |row| int(&row[0]).map(Value::Timestamp))),
    },
    Builtin {
        name: "FROM_DAYS",
        category: "DATE / TIME",
        description: "The DATE of days since the epoch.",
        signatures: &["FROM_DAYS(days INT) -> DATE"],
        return_type: |args| check_args("FROM_DAYS", args, &[I]).map(|_| DATE),
        eval: |args| Ok(per_row_strict(args, |row| Ok(Value::Date(super::int32(&row[0])?)))),
    },
    Builtin {
        name: "CONVERT_TZ",
        category: "DATE / TIME",
        description: "Shifts a TIMESTAMP read as local time in one zone to the same instant's local time in another.",
        signatures: &["CONVERT_TZ(ts TIMESTAMP, fromTimeZone STRING, toTimeZone STRING) -> TIMESTAMP"],
        return_type: |args| check_args("CONVERT_TZ", args, &[TS, S, S]).map(|_| TS),
        eval: |args| {
            let mut zones = Compiled::new(Zone::parse);
            Ok(per_row_strict(args, |row| {
                let ts = timestamp_arg(&row[0])?;
                let from = zones.get(text(&row[1])?)?.offset_at(ts)?;
                let to = zones.get(text(&row[2])?)?.offset_at(ts)?;
                Ok(Value::Timestamp(ts + (i64::from(to) - i64::from(from)) * 1000))
            }))
        },
    },
    Builtin {
        name: "DATEADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit (DAYS, HOURS, ...) to a DATE.",
        signatures: &["DATEADD(unit, interval INT, date DATE) -> DATE"],
        return_type: |args| shift_fn("DATEADD", args, DATE),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, 1))),
    },
    Builtin {
        name: "DATESUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit (DAYS, HOURS, ...) from a DATE.",
        signatures: &["DATESUB(unit, interval INT, date DATE) -> DATE"],
        return_type: |args| shift_fn("DATESUB", args, DATE),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, -1))),
    },
    Builtin {
        name: "TIMESTAMPADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit (MILLISECONDS ... DAYS) to a TIMESTAMP.",
        signatures: &["TIMESTAMPADD(unit, interval INT, ts TIMESTAMP) -> TIMESTAMP"],
        return_type: |args| shift_fn("TIMESTAMPADD", args, TS),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, 1))),
    },
    Builtin {
        name: "TIMESTAMPSUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit (MILLISECONDS ... DAYS) from a TIMESTAMP.",
        signatures: &["TIMESTAMPSUB(unit, interval INT, ts TIMESTAMP) -> TIMESTAMP"],
        return_type: |args| shift_fn("TIMESTAMPSUB", args, TS),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, -1))),
    },
    Builtin {
        name: "TIMEADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit to a TIME, wrapping around midnight.",
        signatures: &["TIMEADD(unit, interval INT, time TIME) -> TIME"],
        return_type: |args| shift_fn("TIMEADD", args, TIME),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, 1))),
    },
    Builtin {
        name: "TIMESUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit from a TIME, wrapping around midnight.",
        signatures: &["TIMESUB(unit, interval INT, time TIME) -> TIME"],
        return_type: |args| shift_fn("TIMESUB", args, TIME),
        eval: |args| Ok(per_row_strict(args, |row| shift(row, -1))),
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use super::super::testing::*;
    use super::{JavaPattern, Zone};

    const N: Value = Value::Null;
    /// 2020-09-13T12:26:40Z, a Sunday.
    const T: i64 = 1_600_000_000_000;

    fn fmt(ms: i64, pattern: &str) -> String {
        let v = call("TIMESTAMPTOSTRING", vec![Value::BigInt(ms), s(pattern)]);
        v.as_str().unwrap_or("<null>").to_string()
    }

    fn fmt_tz(ms: i64, pattern: &str, tz: &str) -> String {
        let v = call("TIMESTAMPTOSTRING", vec![Value::BigInt(ms), s(pattern), s(tz)]);
        v.as_str().unwrap_or("<null>").to_string()
    }

    fn parse(text: &str, pattern: &str) -> Value {
        call("STRINGTOTIMESTAMP", vec![s(text), s(pattern)])
    }

    #[test]
    fn formats_java_patterns() {
        assert_eq!(fmt(T, "yyyy-MM-dd HH:mm:ss.SSS"), "2020-09-13 12:26:40.000");
        assert_eq!(fmt(T + 7, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), "2020-09-13T12:26:40.007Z");
        assert_eq!(fmt(T, "EEE, d MMM yyyy h:mm a"), "Sun, 13 Sep 2020 12:26 PM");
        assert_eq!(fmt(T, "EEEE MMMM"), "Sunday September");
        assert_eq!(fmt(T, "yy/M/d"), "20/9/13");
        assert_eq!(fmt(T, "DDD"), "257");
        assert_eq!(fmt(T + 123, "ss.S"), "40.1");
        assert_eq!(fmt(T, "'It''s' HH 'o''clock'"), "It's 12 o'clock");
        assert_eq!(fmt(T, "HHmmss"), "122640");
        assert_eq!(fmt(0, "yyyy-MM-dd"), "1970-01-01");
        assert_eq!(fmt(-1, "yyyy-MM-dd HH:mm:ss.SSS"), "1969-12-31 23:59:59.999");
    }

    #[test]
    fn formats_in_time_zones() {
        assert_eq!(fmt_tz(T, "yyyy-MM-dd HH:mm z", "Europe/London"), "2020-09-13 13:26 BST");
        assert_eq!(fmt_tz(T, "HH:mm Z", "America/Los_Angeles"), "05:26 -0700");
        assert_eq!(fmt_tz(T, "HH:mm XXX", "+05:30"), "17:56 +05:30");
        assert_eq!(fmt_tz(T, "HH:mm", "UTC"), "12:26");
        assert_eq!(fmt_tz(T, "HH:mm", "utc"), "12:26");
        assert_eq!(fmt_tz(T, "HH:mm", "GMT+2"), "14:26");
        assert_eq!(fmt_tz(T, "HH:mm VV", "Asia/Tokyo"), "21:26 Asia/Tokyo");
        let (v, e) = call_row("TIMESTAMPTOSTRING", vec![Value::BigInt(T), s("HH"), s("Mars/Base")]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("unknown time zone 'Mars/Base'"), "{e:?}");
    }

    #[test]
    fn parses_java_patterns() {
        assert_eq!(parse("2020-09-13 12:26:40.000", "yyyy-MM-dd HH:mm:ss.SSS"), Value::BigInt(T));
        assert_eq!(parse("2020-09-13T13:26:40+01:00", "yyyy-MM-dd'T'HH:mm:ssXXX"), Value::BigInt(T));
        assert_eq!(parse("2020-09-13T12:26:40Z", "yyyy-MM-dd'T'HH:mm:ssXXX"), Value::BigInt(T));
        assert_eq!(parse("20200913", "yyyyMMdd"), Value::BigInt(1_599_955_200_000));
        assert_eq!(parse("13 Sep 2020 12:26:40 PM", "dd MMM yyyy hh:mm:ss a"), Value::BigInt(T));
        assert_eq!(parse("12:26:40", "HH:mm:ss"), Value::BigInt(44_800_000));
        assert_eq!(parse("2020-09-13 12:26:40.5", "yyyy-MM-dd HH:mm:ss.S"), Value::BigInt(T + 500));
        assert_eq!(parse("2020-09-13 13:26 Europe/London", "yyyy-MM-dd HH:mm VV"), Value::BigInt(T - 40_000));
        let with_tz =
            call("STRINGTOTIMESTAMP", vec![s("2020-09-13 14:26:40"), s("yyyy-MM-dd HH:mm:ss"), s("Europe/Paris")]);
        assert_eq!(with_tz, Value::BigInt(T));
        let (v, e) = call_row("STRINGTOTIMESTAMP", vec![s("not a date"), s("yyyy-MM-dd")]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("could not be parsed"), "{e:?}");
        let (_, e) = call_row("STRINGTOTIMESTAMP", vec![s("2020-01-01 junk"), s("yyyy-MM-dd")]);
        assert!(e.errors[0].1.contains("unparsed text"), "{e:?}");
    }

    #[test]
    fn dst_gaps_and_overlaps() {
        let p = JavaPattern::translate("yyyy-MM-dd HH:mm").unwrap_or_else(|e| panic!("{e}"));
        let london = Zone::parse("Europe/London").unwrap_or_else(|e| panic!("{e}"));
        // 01:30 on 2020-03-29 does not exist in London; Java moves it to 02:30 BST.
        let gap = p.parse_ms("2020-03-29 01:30", london);
        assert_eq!(gap, Ok(1_585_445_400_000));
        // 01:30 on 2020-10-25 happens twice; the earlier (BST) wins.
        assert_eq!(p.parse_ms("2020-10-25 01:30", london), Ok(1_603_585_800_000));
    }

    #[test]
    fn pattern_errors() {
        let (v, e) = call_row("TIMESTAMPTOSTRING", vec![Value::BigInt(T), s("yyyy-QQ")]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("pattern letter 'QQ'"), "{e:?}");
        let (_, e) = call_row("TIMESTAMPTOSTRING", vec![Value::BigInt(T), s("yyyy'")]);
        assert!(e.errors[0].1.contains("unterminated quote"), "{e:?}");
        let (_, e) = call_row("TIMESTAMPTOSTRING", vec![Value::BigInt(T), s("[yyyy]")]);
        assert!(e.errors[0].1.contains("not supported"), "{e:?}");
    }

    #[test]
    fn pattern_is_translated_once_per_batch() {
        let t = [DataType::BigInt, DataType::String];
        let cols = vec![
            vec![Value::BigInt(0), Value::BigInt(T), N, Value::BigInt(T)],
            vec![s("yyyy"), s("yyyy"), s("yyyy"), s("QQ")],
        ];
        let (out, e) = call_cols("TIMESTAMPTOSTRING", &t, cols);
        assert_eq!(out, vec![s("1970"), s("2020"), N, N]);
        assert_eq!(e.errors.len(), 1);
        assert_eq!(e.errors[0].0, 3);
    }

    #[test]
    fn timestamp_type_functions() {
        let ts = Value::Timestamp(T);
        assert_eq!(call("FORMAT_TIMESTAMP", vec![ts.clone(), s("yyyy-MM-dd HH:mm:ss")]), s("2020-09-13 12:26:40"));
        assert_eq!(call("FORMAT_TIMESTAMP", vec![ts.clone(), s("HH:mm"), s("America/New_York")]), s("08:26"));
        assert_eq!(call("PARSE_TIMESTAMP", vec![s("2020-09-13 12:26:40"), s("yyyy-MM-dd HH:mm:ss")]), ts);
        assert_eq!(
            call("PARSE_TIMESTAMP", vec![s("2020-09-13 08:26:40"), s("yyyy-MM-dd HH:mm:ss"), s("America/New_York")]),
            ts
        );
        assert_eq!(call("UNIX_TIMESTAMP", vec![ts.clone()]), Value::BigInt(T));
        assert_eq!(call("FROM_UNIXTIME", vec![Value::BigInt(T)]), ts);
        let now = call("UNIX_TIMESTAMP", vec![]).as_i64().unwrap_or_default();
        assert!(now > T);
        assert!(matches!(call("NOW", vec![]), Value::Timestamp(ms) if ms > T));
        assert!(ret("FORMAT_TIMESTAMP", &[DataType::BigInt, DataType::String]).is_err());
        let err = ret("TIMESTAMPTOSTRING", &[DataType::Timestamp, DataType::String]).unwrap_err();
        assert!(err.starts_with("function TIMESTAMPTOSTRING does not accept parameters (TIMESTAMP, STRING)"), "{err}");
        assert_eq!(ret("TIMESTAMPTOSTRING", &[DataType::Int, DataType::String]), Ok(DataType::String));
    }

    #[test]
    fn dates_and_times() {
        let d = Value::Date(18_518); // 2020-09-13
        assert_eq!(call("FORMAT_DATE", vec![d.clone(), s("yyyy-MM-dd")]), s("2020-09-13"));
        assert_eq!(call("FORMAT_DATE", vec![d.clone(), s("dd/MM/yy EEE")]), s("13/09/20 Sun"));
        assert_eq!(call("PARSE_DATE", vec![s("2020-09-13"), s("yyyy-MM-dd")]), d);
        assert_eq!(call("PARSE_DATE", vec![s("13.9.2020"), s("d.M.yyyy")]), d);
        assert_eq!(call("PARSE_DATE", vec![s("1969-12-31"), s("yyyy-MM-dd")]), Value::Date(-1));
        let t = Value::Time(44_800_123);
        assert_eq!(call("FORMAT_TIME", vec![t.clone(), s("HH:mm:ss.SSS")]), s("12:26:40.123"));
        assert_eq!(call("FORMAT_TIME", vec![t.clone(), s("h:mm a")]), s("12:26 PM"));
        assert_eq!(call("PARSE_TIME", vec![s("12:26:40.123"), s("HH:mm:ss.SSS")]), t);
        assert_eq!(call("PARSE_TIME", vec![s("01:02"), s("HH:mm")]), Value::Time(3_720_000));
        assert_eq!(call("DATETOSTRING", vec![Value::Int(18_518), s("yyyy-MM-dd")]), s("2020-09-13"));
        assert_eq!(call("STRINGTODATE", vec![s("2020-09-13"), s("yyyy-MM-dd")]), Value::Int(18_518));
        assert_eq!(call("UNIX_DATE", vec![d.clone()]), Value::Int(18_518));
        assert!(call("UNIX_DATE", vec![]).as_i64().unwrap_or_default() > 18_518);
        assert_eq!(call("FROM_DAYS", vec![Value::Int(18_518)]), d);
        assert!(ret("FORMAT_DATE", &[DataType::Timestamp, DataType::String]).is_err());
        assert!(ret("PARSE_TIME", &[DataType::String]).is_err());
        let (v, _) = call_typed("FORMAT_DATE", &[DataType::Date, DataType::String], vec![N, s("yyyy")]);
        assert_eq!(v, N);
    }

    #[test]
    fn convert_tz() {
        let ts = Value::Timestamp(T);
        assert_eq!(
            call("CONVERT_TZ", vec![ts.clone(), s("UTC"), s("America/Los_Angeles")]),
            Value::Timestamp(T - 7 * 3_600_000)
        );
        assert_eq!(call("CONVERT_TZ", vec![ts.clone(), s("+01:00"), s("+03:00")]), Value::Timestamp(T + 2 * 3_600_000));
        let (v, e) = call_row("CONVERT_TZ", vec![ts, s("UTC"), s("Nowhere")]);
        assert_eq!(v, N);
        assert_eq!(e.errors.len(), 1);
    }

    #[test]
    fn date_arithmetic() {
        let ts = Value::Timestamp(T);
        let add = |f: &str, unit: &str, n: i32, v: Value| call(f, vec![s(unit), Value::Int(n), v]);
        assert_eq!(add("TIMESTAMPADD", "MINUTES", 5, ts.clone()), Value::Timestamp(T + 300_000));
        assert_eq!(add("TIMESTAMPADD", "day", 1, ts.clone()), Value::Timestamp(T + 86_400_000));
        assert_eq!(add("TIMESTAMPSUB", "SECONDS", 10, ts.clone()), Value::Timestamp(T - 10_000));
        assert_eq!(add("TIMESTAMPADD", "MILLISECONDS", -1, ts.clone()), Value::Timestamp(T - 1));
        assert_eq!(add("DATEADD", "DAYS", 3, Value::Date(10)), Value::Date(13));
        assert_eq!(add("DATEADD", "HOURS", 47, Value::Date(10)), Value::Date(11));
        assert_eq!(add("DATESUB", "DAYS", 3, Value::Date(10)), Value::Date(7));
        assert_eq!(add("TIMEADD", "HOURS", 2, Value::Time(23 * 3_600_000)), Value::Time(3_600_000));
        assert_eq!(add("TIMESUB", "MINUTES", 1, Value::Time(0)), Value::Time(86_340_000));
        let (v, e) = call_row("TIMESTAMPADD", vec![s("FORTNIGHTS"), Value::Int(1), ts.clone()]);
        assert_eq!(v, N);
        assert!(e.errors[0].1.contains("unknown time unit"), "{e:?}");
        assert!(ret("DATEADD", &[DataType::String, DataType::Int, DataType::Timestamp]).is_err());
        assert!(ret("TIMESTAMPADD", &[DataType::String, DataType::BigInt, DataType::Timestamp]).is_err());
        let t = [DataType::String, DataType::Int, DataType::Timestamp];
        assert_eq!(call_typed("TIMESTAMPADD", &t, vec![s("DAYS"), N, ts]).0, N);
    }

    #[test]
    fn zones_parse() {
        assert!(matches!(Zone::parse("Europe/London"), Ok(Zone::Named(_))));
        assert!(matches!(Zone::parse("Z"), Ok(Zone::Named(_))));
        for offset in ["+01:00", "+0100", "+01", "-8", "UTC+01:00", "GMT-03"] {
            assert!(matches!(Zone::parse(offset), Ok(Zone::Fixed(_))), "{offset}");
        }
        assert!(Zone::parse("+25:00").is_err());
        assert!(Zone::parse("").is_err());
    }
}
