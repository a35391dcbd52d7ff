//! Date and time functions.
//!
//! Patterns are Java `DateTimeFormatter` patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), which
//! ksqlDB users already write. [`JavaPattern::translate`] turns one into chrono format
//! items once; a constant pattern is translated once per call, and a column of
//! patterns keeps the translations it met, so each distinct pattern is translated once
//! per batch, not once per row. Time zones and time units are handled the same way.
//!
//! Time zones are IANA names (`Europe/London`), `UTC`/`GMT`/`Z`, or offsets (`+01:00`,
//! `-0800`, `UTC+2`). Without a zone argument, formatting and parsing use UTC.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Int32Array, Int64Array, StringArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use chrono::format::{parse_and_remainder, Fixed, Item, Numeric, Pad, Parsed, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use wasp_sql::DataType;

use super::{check_args, check_variants, each_row, Builtin, Compiled};
use crate::columnar::operand::{repeat, Typed};
use crate::columnar::{to_arrow, ColumnBuilder, Operand};
use crate::udf::{ScalarArgs, UdfError};

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
            .or_else(|| local.checked_add_signed(chrono::Duration::hours(1)).and_then(earliest))
            .ok_or_else(|| format!("{local} does not exist in time zone {self:?}"))
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

/// What parsing does with text after the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trailing {
    Reject,
    Ignore,
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

    /// Formats an instant as seen in `zone`, appending to `out`.
    fn format_ms(&self, ms: i64, zone: Zone, out: &mut String) -> Result<(), String> {
        let utc = DateTime::from_timestamp_millis(ms).ok_or_else(|| format!("timestamp {ms} is out of range"))?;
        match zone {
            Zone::Named(tz) => self.format(&utc.with_timezone(&tz), &zone, out),
            Zone::Fixed(f) => self.format(&utc.with_timezone(&f), &zone, out),
        }
    }

    fn format<Z: TimeZone>(&self, dt: &DateTime<Z>, zone: &Zone, out: &mut String) -> Result<(), String>
    where
        Z::Offset: std::fmt::Display,
    {
        let failed = |_| "the value cannot be formatted with this pattern".to_string();
        for piece in &self.pieces {
            match piece {
                Piece::Items(items) => write!(out, "{}", dt.format_with_items(items.iter())).map_err(failed)?,
                Piece::Fraction(n) => {
                    // Nine digits, of which the first `n` stay.
                    let start = out.len();
                    write!(out, "{:09}", chrono::Timelike::nanosecond(dt) % 1_000_000_000).map_err(failed)?;
                    out.truncate(start + n);
                }
                Piece::ZoneId => match zone {
                    Zone::Named(tz) => out.push_str(tz.name()),
                    Zone::Fixed(f) => write!(out, "{f}").map_err(failed)?,
                },
                Piece::ZoneName => write!(out, "{}", dt.format("%Z")).map_err(failed)?,
            }
        }
        Ok(())
    }

    /// Parses `input` into fields; a zone named in the input is returned too. Text
    /// after the pattern is an error unless `trailing` is `Trailing::Ignore`.
    fn parse_fields(&self, input: &str, trailing: Trailing) -> Result<(Parsed, Option<Zone>), String> {
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
                    let text = &rest[..len];
                    let named = match piece {
                        Piece::ZoneName => zone_abbreviation(text),
                        _ => None,
                    };
                    zone = Some(match named {
                        Some(tz) => Zone::Named(tz),
                        None => Zone::parse(text).map_err(fail)?,
                    });
                    rest = &rest[len..];
                }
            }
        }
        if !rest.is_empty() && trailing == Trailing::Reject {
            return Err(fail(format!("unparsed text '{rest}'")));
        }
        Ok((parsed, zone))
    }

    /// Parses a date and time; missing fields default to 1970-01-01 00:00:00.
    fn parse_local(&self, input: &str) -> Result<(NaiveDateTime, Option<i32>, Option<Zone>), String> {
        self.parse_local_with(input, Trailing::Reject)
    }

    fn parse_local_with(
        &self,
        input: &str,
        trailing: Trailing,
    ) -> Result<(NaiveDateTime, Option<i32>, Option<Zone>), String> {
        let (mut p, zone) = self.parse_fields(input, trailing)?;
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

/// The instant of midnight (UTC) of days since the epoch.
fn days_ms(days: i64) -> Result<i64, String> {
    days.checked_mul(MS_PER_DAY).ok_or_else(|| "date out of range".to_string())
}

/// The zone a short zone name stands for when Java parses it with `z` (`PST` is
/// `America/Los_Angeles`, so a summer date in "PST" is read with daylight saving, as
/// Java reads it). Only names that are not zone ids themselves are listed.
fn zone_abbreviation(name: &str) -> Option<Tz> {
    Some(match name.to_ascii_uppercase().as_str() {
        "PST" | "PDT" => Tz::America__Los_Angeles,
        "MDT" => Tz::America__Denver,
        "CST" | "CDT" => Tz::America__Chicago,
        "EDT" => Tz::America__New_York,
        "AKST" | "AKDT" => Tz::America__Anchorage,
        "BST" => Tz::Europe__London,
        "CEST" => Tz::Europe__Paris,
        "IST" => Tz::Asia__Kolkata,
        "JST" => Tz::Asia__Tokyo,
        "AEST" | "AEDT" => Tz::Australia__Sydney,
        _ => return None,
    })
}

/// UTC, the zone when a function is given none.
const UTC: Zone = Zone::Named(Tz::UTC);

/// A STRING argument that is compiled before use (a pattern, a zone, a unit). A
/// constant is compiled once per call; a column goes through a [`Compiled`] memo, so
/// each distinct text is compiled once per call.
enum Arg<'a, T> {
    /// A constant, compiled; `None` when it is NULL.
    Const(Option<Result<T, String>>),
    /// A column of texts.
    Column(Typed<'a, StringArray>, Compiled<T>),
}

impl<'a, T> Arg<'a, T> {
    fn new(op: &'a Operand, compile: fn(&str) -> Result<T, String>) -> Arg<'a, T> {
        let texts = op.strs();
        if op.is_scalar() {
            Arg::Const(texts.get(0).map(compile))
        } else {
            Arg::Column(texts, Compiled::new(compile))
        }
    }

    /// An optional argument: `default` when absent.
    fn or(op: Option<&'a Operand>, compile: fn(&str) -> Result<T, String>, default: T) -> Arg<'a, T> {
        match op {
            Some(op) => Arg::new(op, compile),
            None => Arg::Const(Some(Ok(default))),
        }
    }

    /// Row `row`'s compiled value, `None` when it is NULL.
    #[inline]
    fn get(&mut self, row: usize) -> Option<Result<&T, String>> {
        match self {
            Arg::Const(c) => c.as_ref().map(|r| r.as_ref().map_err(Clone::clone)),
            Arg::Column(texts, memo) => texts.get(row).map(|t| memo.get(t)),
        }
    }
}

/// The formatting functions: the instant `value(row)` (epoch milliseconds; `None`
/// for NULL) formatted with the pattern in argument 1, in the zone in argument 2 or
/// UTC. NULL when any argument is NULL.
fn format_each(
    args: ScalarArgs<'_>,
    value: impl Fn(usize) -> Option<Result<i64, String>>,
) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let mut patterns = Arg::new(&ops[1], JavaPattern::translate);
    let mut zones = Arg::or(ops.get(2), Zone::parse, UTC);
    let mut text = String::new();
    each_row(args, |row, out| {
        let (Some(ms), Some(pattern), Some(zone)) = (value(row), patterns.get(row), zones.get(row)) else {
            return Ok(());
        };
        let ms = ms?;
        let zone = *zone?;
        text.clear();
        pattern?.format_ms(ms, zone, &mut text)?;
        out.push_str(&text);
        Ok(())
    })
}

/// The parsing functions: `emit` parses the text in argument 0 with the pattern in
/// argument 1 (and the zone in argument 2 or UTC) and appends the result. NULL when
/// any argument is NULL.
fn parse_each(
    args: ScalarArgs<'_>,
    mut emit: impl FnMut(&JavaPattern, &str, Zone, &mut ColumnBuilder) -> Result<(), String>,
) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let texts = ops[0].strs();
    let mut patterns = Arg::new(&ops[1], JavaPattern::translate);
    let mut zones = Arg::or(ops.get(2), Zone::parse, UTC);
    each_row(args, |row, out| {
        let (Some(text), Some(pattern), Some(zone)) = (texts.get(row), patterns.get(row), zones.get(row)) else {
            return Ok(());
        };
        let zone = *zone?;
        emit(pattern?, text, zone, out)
    })
}

/// A time unit, as Java's `TimeUnit`.
#[derive(Debug)]
struct Unit {
    /// As written, for messages.
    name: String,
    scale: Scale,
}

#[derive(Debug, Clone, Copy)]
enum Scale {
    /// This many units make a millisecond (truncating).
    Fraction(i64),
    /// A unit is this many milliseconds.
    Millis(i64),
}

impl Unit {
    fn parse(unit: &str) -> Result<Unit, String> {
        let u = unit.trim().to_ascii_uppercase();
        let u = u.strip_suffix('S').unwrap_or(&u);
        let scale = match u {
            "NANOSECOND" => Scale::Fraction(1_000_000),
            "MICROSECOND" => Scale::Fraction(1_000),
            "MILLISECOND" => Scale::Millis(1),
            "SECOND" => Scale::Millis(1_000),
            "MINUTE" => Scale::Millis(60_000),
            "HOUR" => Scale::Millis(3_600_000),
            "DAY" => Scale::Millis(MS_PER_DAY),
            _ => {
                return Err(format!(
                    "unknown time unit '{unit}': expected MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS"
                ))
            }
        };
        Ok(Unit { name: unit.to_string(), scale })
    }

    /// The milliseconds in `n` of this unit, as Java's `TimeUnit.toMillis`.
    fn ms(&self, n: i64) -> Result<i64, String> {
        match self.scale {
            Scale::Fraction(per_ms) => Ok(n / per_ms),
            Scale::Millis(ms) => n.checked_mul(ms).ok_or_else(|| format!("{n} {} is out of range", self.name)),
        }
    }
}

fn overflow() -> String {
    "the result is out of range".to_string()
}

/// DATEADD and friends: `(unit, interval, value)`, `sign` 1 to add and -1 to subtract.
/// `value(row)` reads the DATE, TIME or TIMESTAMP; `apply(value, delta_ms)` shifts it.
fn shift_each(
    args: ScalarArgs<'_>,
    sign: i64,
    value: impl Fn(usize) -> Option<i64>,
    apply: fn(i64, i64) -> Result<i64, String>,
) -> Result<ArrayRef, UdfError> {
    let ops = args.args;
    let mut units = Arg::new(&ops[0], Unit::parse);
    let intervals = ops[1].ints();
    each_row(args, |row, out| {
        let (Some(unit), Some(n), Some(v)) = (units.get(row), intervals.get(row), value(row)) else {
            return Ok(());
        };
        let delta = unit?.ms(n.saturating_mul(sign))?;
        if out.push_i64(apply(v, delta)?) {
            Ok(())
        } else {
            Err(overflow())
        }
    })
}

fn shift_date(days: i64, delta: i64) -> Result<i64, String> {
    let ms = days.checked_mul(MS_PER_DAY).and_then(|m| m.checked_add(delta)).ok_or_else(overflow)?;
    // Java's TimeUnit.toDays truncates towards zero.
    Ok(ms / MS_PER_DAY)
}

fn shift_time(ms: i64, delta: i64) -> Result<i64, String> {
    Ok(ms.checked_add(delta).ok_or_else(overflow)?.rem_euclid(MS_PER_DAY))
}

fn shift_timestamp(ms: i64, delta: i64) -> Result<i64, String> {
    ms.checked_add(delta).ok_or_else(overflow)
}

fn shift_date_each(args: ScalarArgs<'_>, sign: i64) -> Result<ArrayRef, UdfError> {
    let dates = args.args[2].typed::<Date32Array>();
    shift_each(args, sign, |row| dates.get(row).map(i64::from), shift_date)
}

fn shift_time_each(args: ScalarArgs<'_>, sign: i64) -> Result<ArrayRef, UdfError> {
    let times = args.args[2].typed::<Time32MillisecondArray>();
    shift_each(args, sign, |row| times.get(row).map(i64::from), shift_time)
}

fn shift_timestamp_each(args: ScalarArgs<'_>, sign: i64) -> Result<ArrayRef, UdfError> {
    let ts = args.args[2].ints();
    shift_each(args, sign, |row| ts.get(row), shift_timestamp)
}

/// UNIX_TIMESTAMP(ts), FROM_UNIXTIME, FROM_DAYS, UNIX_DATE: the same numbers as
/// another type. Arrow's cast reinterprets (or, from INT to TIMESTAMP, widens) the
/// values as they are, NULLs kept; a constant is cast once and then repeated.
fn reinterpret(name: &str, args: ScalarArgs<'_>) -> Result<ArrayRef, UdfError> {
    let op = &args.args[0];
    let cast = arrow_cast::cast(op.array().as_ref(), &to_arrow(args.return_type))
        .map_err(|e| UdfError::Failed { function: name.to_string(), message: e.to_string() })?;
    Ok(if op.is_scalar() { repeat(&cast, args.rows) } else { cast })
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
            let ms = args.args[0].ints();
            format_each(args, |row| ms.get(row).map(Ok))
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
            let ts = args.args[0].ints();
            format_each(args, |row| ts.get(row).map(Ok))
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
            parse_each(args, |p, text, zone, out| {
                out.push_i64(p.parse_ms(text, zone)?);
                Ok(())
            })
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
            parse_each(args, |p, text, zone, out| {
                out.push_i64(p.parse_ms(text, zone)?);
                Ok(())
            })
        },
    },
    Builtin {
        name: "FORMAT_DATE",
        category: "DATE / TIME",
        description: "Formats a DATE with a Java date pattern.",
        signatures: &["FORMAT_DATE(date DATE, pattern STRING) -> STRING"],
        return_type: |args| check_args("FORMAT_DATE", args, &[DATE, S]).map(|_| S),
        eval: |args| {
            let dates = args.args[0].typed::<Date32Array>();
            format_each(args, |row| dates.get(row).map(|d| days_ms(i64::from(d))))
        },
    },
    Builtin {
        name: "PARSE_DATE",
        category: "DATE / TIME",
        description: "Parses a string with a Java date pattern into a DATE.",
        signatures: &["PARSE_DATE(text STRING, pattern STRING) -> DATE"],
        return_type: |args| check_args("PARSE_DATE", args, &[S, S]).map(|_| DATE),
        // ksqlDB parses with commons-lang's FastDateFormat, which (as Java's
        // DateFormat.parse(String)) reads the pattern from the start of the text and
        // ignores what follows: '2003-12-24-01-01' with 'yyyy-MM-dd' is 2003-12-24.
        // Its other parsing functions use DateTimeFormatter, which refuses the rest.
        eval: |args| {
            parse_each(args, |p, text, _, out| {
                out.push_i32(date_to_days(p.parse_local_with(text, Trailing::Ignore)?.0.date())?);
                Ok(())
            })
        },
    },
    Builtin {
        name: "FORMAT_TIME",
        category: "DATE / TIME",
        description: "Formats a TIME with a Java time pattern.",
        signatures: &["FORMAT_TIME(time TIME, pattern STRING) -> STRING"],
        return_type: |args| check_args("FORMAT_TIME", args, &[TIME, S]).map(|_| S),
        eval: |args| {
            let times = args.args[0].typed::<Time32MillisecondArray>();
            format_each(args, |row| times.get(row).map(|t| Ok(i64::from(t))))
        },
    },
    Builtin {
        name: "PARSE_TIME",
        category: "DATE / TIME",
        description: "Parses a string with a Java time pattern into a TIME.",
        signatures: &["PARSE_TIME(text STRING, pattern STRING) -> TIME"],
        return_type: |args| check_args("PARSE_TIME", args, &[S, S]).map(|_| TIME),
        eval: |args| {
            parse_each(args, |p, text, _, out| {
                out.push_i32(time_ms(p.parse_local(text)?.0.time()));
                Ok(())
            })
        },
    },
    Builtin {
        name: "DATETOSTRING",
        category: "DATE / TIME",
        description: "Formats days since the epoch with a Java date pattern.",
        signatures: &["DATETOSTRING(epochDays INT, pattern STRING) -> STRING"],
        return_type: |args| check_args("DATETOSTRING", args, &[I, S]).map(|_| S),
        eval: |args| {
            let days = args.args[0].ints();
            format_each(args, |row| days.get(row).map(days_ms))
        },
    },
    Builtin {
        name: "STRINGTODATE",
        category: "DATE / TIME",
        description: "Parses a string with a Java date pattern into days since the epoch.",
        signatures: &["STRINGTODATE(text STRING, pattern STRING) -> INT"],
        return_type: |args| check_args("STRINGTODATE", args, &[S, S]).map(|_| I),
        eval: |args| {
            parse_each(args, |p, text, _, out| {
                out.push_i32(date_to_days(p.parse_local(text)?.0.date())?);
                Ok(())
            })
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
                return Ok(Arc::new(Int64Array::from_value(now_ms(), args.rows)));
            }
            reinterpret("UNIX_TIMESTAMP", args)
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
                return Ok(Arc::new(Int32Array::from_value(today, args.rows)));
            }
            reinterpret("UNIX_DATE", args)
        },
    },
    Builtin {
        name: "NOW",
        category: "DATE / TIME",
        description: "The current TIMESTAMP (not in ksqlDB; same as FROM_UNIXTIME(UNIX_TIMESTAMP())).",
        signatures: &["NOW() -> TIMESTAMP"],
        return_type: |args| check_args("NOW", args, &[]).map(|_| TS),
        eval: |args| Ok(Arc::new(TimestampMillisecondArray::from_value(now_ms(), args.rows))),
    },
    Builtin {
        name: "FROM_UNIXTIME",
        category: "DATE / TIME",
        description: "The TIMESTAMP of epoch milliseconds.",
        signatures: &["FROM_UNIXTIME(epochMilli BIGINT) -> TIMESTAMP"],
        return_type: |args| check_args("FROM_UNIXTIME", args, &[L]).map(|_| TS),
        eval: |args| reinterpret("FROM_UNIXTIME", args),
    },
    Builtin {
        name: "FROM_DAYS",
        category: "DATE / TIME",
        description: "The DATE of days since the epoch.",
        signatures: &["FROM_DAYS(days INT) -> DATE"],
        return_type: |args| check_args("FROM_DAYS", args, &[I]).map(|_| DATE),
        eval: |args| reinterpret("FROM_DAYS", args),
    },
    Builtin {
        name: "CONVERT_TZ",
        category: "DATE / TIME",
        description: "Shifts a TIMESTAMP read as local time in one zone to the same instant's local time in another.",
        signatures: &["CONVERT_TZ(ts TIMESTAMP, fromTimeZone STRING, toTimeZone STRING) -> TIMESTAMP"],
        return_type: |args| check_args("CONVERT_TZ", args, &[TS, S, S]).map(|_| TS),
        eval: |args| {
            let ops = args.args;
            let ts = ops[0].ints();
            let mut from_zones = Arg::new(&ops[1], Zone::parse);
            let mut to_zones = Arg::new(&ops[2], Zone::parse);
            each_row(args, |row, out| {
                let (Some(ts), Some(from), Some(to)) = (ts.get(row), from_zones.get(row), to_zones.get(row)) else {
                    return Ok(());
                };
                let from = from?.offset_at(ts)?;
                let to = to?.offset_at(ts)?;
                out.push_i64(ts + (i64::from(to) - i64::from(from)) * 1000);
                Ok(())
            })
        },
    },
    Builtin {
        name: "DATEADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit (DAYS, HOURS, ...) to a DATE.",
        signatures: &["DATEADD(unit, interval INT, date DATE) -> DATE"],
        return_type: |args| shift_fn("DATEADD", args, DATE),
        eval: |args| shift_date_each(args, 1),
    },
    Builtin {
        name: "DATESUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit (DAYS, HOURS, ...) from a DATE.",
        signatures: &["DATESUB(unit, interval INT, date DATE) -> DATE"],
        return_type: |args| shift_fn("DATESUB", args, DATE),
        eval: |args| shift_date_each(args, -1),
    },
    Builtin {
        name: "TIMESTAMPADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit (MILLISECONDS ... DAYS) to a TIMESTAMP.",
        signatures: &["TIMESTAMPADD(unit, interval INT, ts TIMESTAMP) -> TIMESTAMP"],
        return_type: |args| shift_fn("TIMESTAMPADD", args, TS),
        eval: |args| shift_timestamp_each(args, 1),
    },
    Builtin {
        name: "TIMESTAMPSUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit (MILLISECONDS ... DAYS) from a TIMESTAMP.",
        signatures: &["TIMESTAMPSUB(unit, interval INT, ts TIMESTAMP) -> TIMESTAMP"],
        return_type: |args| shift_fn("TIMESTAMPSUB", args, TS),
        eval: |args| shift_timestamp_each(args, -1),
    },
    Builtin {
        name: "TIMEADD",
        category: "DATE / TIME",
        description: "Adds an interval of a unit to a TIME, wrapping around midnight.",
        signatures: &["TIMEADD(unit, interval INT, time TIME) -> TIME"],
        return_type: |args| shift_fn("TIMEADD", args, TIME),
        eval: |args| shift_time_each(args, 1),
    },
    Builtin {
        name: "TIMESUB",
        category: "DATE / TIME",
        description: "Subtracts an interval of a unit from a TIME, wrapping around midnight.",
        signatures: &["TIMESUB(unit, interval INT, time TIME) -> TIME"],
        return_type: |args| shift_fn("TIMESUB", args, TIME),
        eval: |args| shift_time_each(args, -1),
    },
];

#[cfg(test)]
mod tests {
    use wasp_sql::{DataType, Value};

    use arrow_array::Array;

    use super::super::testing::*;
    use super::{JavaPattern, Zone};
    use crate::columnar::{array_of, scalar_of, to_arrow, values_of, Operand};
    use crate::udf::{RowErrors, ScalarArgs};

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
        // A short zone name in the text is its region, daylight saving included.
        assert_eq!(
            call("PARSE_TIMESTAMP", vec![s("2018-05-11T21:58:33 PST"), s("yyyy-MM-dd'T'HH:mm:ss zzz")]),
            Value::Timestamp(1_526_101_113_000)
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
        // Text after the pattern is ignored by PARSE_DATE only, as ksqlDB's parser does.
        assert_eq!(call("PARSE_DATE", vec![s("2020-09-13-01-01"), s("yyyy-MM-dd")]), d);
        let (v, e) = call_row("STRINGTODATE", vec![s("2020-09-13-01-01"), s("yyyy-MM-dd")]);
        assert_eq!(v, Value::Null);
        assert!(e.errors[0].1.contains("unparsed text '-01-01'"), "{e:?}");
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
    fn constant_arguments() {
        use DataType::{Date, Int, Null, String as Str, Timestamp};
        let ts = Value::Timestamp(T);
        let (out, e) = call_scalars(
            "FORMAT_TIMESTAMP",
            &[Timestamp, Str, Str],
            vec![ts.clone(), s("yyyy-MM-dd HH:mm"), s("Asia/Tokyo")],
            3,
        );
        assert_eq!((out, e.errors), (vec![s("2020-09-13 21:26"); 3], vec![]));
        let (out, _) = call_scalars("PARSE_DATE", &[Str, Str], vec![s("2020-09-13"), s("yyyy-MM-dd")], 3);
        assert_eq!(out, vec![Value::Date(18_518); 3]);
        let (out, _) =
            call_scalars("TIMESTAMPADD", &[Str, Int, Timestamp], vec![s("DAYS"), Value::Int(1), ts.clone()], 3);
        assert_eq!(out, vec![Value::Timestamp(T + 86_400_000); 3]);
        let (out, _) =
            call_scalars("CONVERT_TZ", &[Timestamp, Str, Str], vec![ts.clone(), s("+01:00"), s("+03:00")], 3);
        assert_eq!(out, vec![Value::Timestamp(T + 2 * 3_600_000); 3]);
        let (out, _) = call_scalars("FROM_UNIXTIME", &[DataType::BigInt], vec![Value::BigInt(T)], 3);
        assert_eq!(out, vec![ts.clone(); 3]);
        let (out, _) = call_scalars("FROM_UNIXTIME", &[Int], vec![Value::Int(7)], 3);
        assert_eq!(out, vec![Value::Timestamp(7); 3]);
        let (out, _) = call_scalars("UNIX_DATE", &[Date], vec![Value::Date(18_518)], 3);
        assert_eq!(out, vec![Value::Int(18_518); 3]);
        let (out, _) = call_scalars("NOW", &[], vec![], 3);
        assert!(out.iter().all(|v| matches!(v, Value::Timestamp(ms) if *ms > T)), "{out:?}");
        // A bad constant pattern is an error on every row; a NULL one is NULL, quietly.
        let (out, e) = call_scalars("FORMAT_TIMESTAMP", &[Timestamp, Str], vec![ts.clone(), s("QQ")], 3);
        assert_eq!(out, vec![N; 3]);
        assert_eq!(e.errors.iter().map(|(row, _)| *row).collect::<Vec<_>>(), vec![0, 1, 2]);
        let (out, e) = call_scalars("FORMAT_TIMESTAMP", &[Timestamp, Null], vec![ts.clone(), N], 3);
        assert_eq!((out, e.errors), (vec![N; 3], vec![]));
        let (out, e) = call_scalars("UNIX_TIMESTAMP", &[Null], vec![N], 3);
        assert_eq!((out, e.errors), (vec![N; 3], vec![]));
    }

    /// Calls `name` with the given operands (columns and constants mixed).
    fn call_operands(name: &str, types: &[DataType], args: Vec<Operand>, rows: usize) -> (Vec<Value>, RowErrors) {
        let f = super::FUNCTIONS.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"));
        let ret = (f.return_type)(types).unwrap_or_else(|e| panic!("{e}"));
        let mut errors = RowErrors::default();
        let out = (f.eval)(ScalarArgs { args: &args, rows, arg_types: types, return_type: &ret, errors: &mut errors })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.data_type(), &to_arrow(&ret));
        (values_of(&out), errors)
    }

    #[test]
    fn columns_with_constant_patterns() {
        use DataType::{Int, String as Str, Time, Timestamp};
        let column = |t: &DataType, v: Vec<Value>| Operand::Array(array_of(t, &v));
        let constant = |t: &DataType, v: Value| Operand::Scalar(scalar_of(t, &v));
        let stamps = || column(&Timestamp, vec![Value::Timestamp(T), N, Value::Timestamp(0)]);
        let args = vec![stamps(), constant(&Str, s("yyyy"))];
        let (out, e) = call_operands("FORMAT_TIMESTAMP", &[Timestamp, Str], args, 3);
        assert_eq!((out, e.errors), (vec![s("2020"), N, s("1970")], vec![]));
        // The NULL row stays quiet even though the pattern is bad.
        let args = vec![stamps(), constant(&Str, s("yyyy'"))];
        let (out, e) = call_operands("FORMAT_TIMESTAMP", &[Timestamp, Str], args, 3);
        assert_eq!(out, vec![N; 3]);
        assert_eq!(e.errors.iter().map(|(row, _)| *row).collect::<Vec<_>>(), vec![0, 2]);
        let texts = column(&Str, vec![s("01:02"), s("bad"), N]);
        let (out, e) = call_operands("PARSE_TIME", &[Str, Str], vec![texts, constant(&Str, s("HH:mm"))], 3);
        assert_eq!(out, vec![Value::Time(3_720_000), N, N]);
        assert_eq!(e.errors.len(), 1);
        let args = vec![
            constant(&Str, s("HOURS")),
            column(&Int, vec![Value::Int(1), Value::Int(-1), N]),
            constant(&Time, Value::Time(0)),
        ];
        let (out, _) = call_operands("TIMEADD", &[Str, Int, Time], args, 3);
        assert_eq!(out, vec![Value::Time(3_600_000), Value::Time(23 * 3_600_000), N]);
        let args = vec![column(&Timestamp, vec![Value::Timestamp(T), N])];
        let (out, _) = call_operands("UNIX_TIMESTAMP", &[Timestamp], args, 2);
        assert_eq!(out, vec![Value::BigInt(T), N]);
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
