//! The one set of date and time conversions: ISO-8601 text to epoch values and back,
//! as ksqlDB reads and shows TIMESTAMP, DATE and TIME.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Parses `2020-01-01T10:00:00[.SSS][Z|+hh:mm]` or `2020-01-01 10:00:00` as UTC millis.
pub fn parse_iso_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Parses `yyyy-MM-dd` as days since the epoch.
pub fn parse_iso_date(s: &str) -> Option<i32> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

/// Parses `HH:mm[:ss[.SSS]]` as milliseconds since midnight.
pub fn parse_iso_time(s: &str) -> Option<i32> {
    let s = s.trim();
    for fmt in ["%H:%M:%S%.f", "%H:%M"] {
        if let Ok(t) = NaiveTime::parse_from_str(s, fmt) {
            let ms = chrono::Timelike::num_seconds_from_midnight(&t) as i64 * 1000
                + i64::from(chrono::Timelike::nanosecond(&t) / 1_000_000);
            return i32::try_from(ms).ok();
        }
    }
    None
}

/// Renders a timestamp as ksqlDB does in query results: `2020-01-01T10:00:00.000`.
pub fn format_timestamp(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// Renders days since the epoch as `yyyy-MM-dd`.
pub fn format_date(days: i32) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(days))))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| days.to_string())
}

/// Renders milliseconds since midnight as `HH:mm:ss` (with `.SSS` when not whole).
pub fn format_time(ms: i32) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if millis == 0 {
        format!("{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}.{millis:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let ms = parse_iso_timestamp("2020-09-13T12:26:40.000").unwrap();
        assert_eq!(ms, 1_600_000_000_000);
        assert_eq!(format_timestamp(ms), "2020-09-13T12:26:40.000");
        assert_eq!(parse_iso_timestamp("2020-09-13T12:26:40Z"), Some(ms));
        assert_eq!(format_date(parse_iso_date("2021-03-04").unwrap()), "2021-03-04");
        assert_eq!(format_time(parse_iso_time("01:02:03").unwrap()), "01:02:03");
    }
}
