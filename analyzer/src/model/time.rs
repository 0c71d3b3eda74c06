//! Durations: parsing `250ms`-style text and printing nanoseconds for people.

/// Formats nanoseconds with a unit suited to the size (`850ns`, `12.5µs`, `3.20ms`, `1.500s`).
pub fn fmt_ns(ns: u64) -> String {
    match ns {
        0..1_000 => format!("{ns}ns"),
        1_000..1_000_000 => format!("{:.1}µs", ns as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.2}ms", ns as f64 / 1e6),
        _ => format!("{:.3}s", ns as f64 / 1e9),
    }
}

/// Formats a signed nanosecond amount.
pub fn fmt_signed_ns(ns: i64) -> String {
    if ns < 0 { format!("-{}", fmt_ns(ns.unsigned_abs())) } else { fmt_ns(ns as u64) }
}

/// Parses `500ms`, `2s`, `1.5ms`, `250us`, `250µs`, `100ns`, `1m` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale: f64 = match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "" => {
            return Err(format!("duration {text:?} has no unit (use ns, us, ms, s or m)"));
        }
        u => {
            return Err(format!("duration {text:?} has an unknown unit {u:?} (use ns, us, ms, s or m)"));
        }
    };
    let n: f64 = num.parse().map_err(|_| format!("duration {text:?} does not start with a number"))?;
    let ns = n * scale;
    if !ns.is_finite() || ns < 0.0 || ns > u64::MAX as f64 {
        return Err(format!("duration {text:?} is out of range"));
    }
    Ok(ns.round() as u64)
}

/// Nanoseconds since the Unix epoch of an RFC 3339 time (`2017-01-26T16:46:31.639875139-05:00`,
/// `2024-05-01T10:00:00Z`; a space may stand for the `T`; up to nine fraction digits are
/// kept). `None` when it is not one, or before 1970.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.trim().as_bytes();
    let digits = |from: usize, to: usize| -> Option<i64> {
        let part = b.get(from..to)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |k: usize, c: &[u8]| b.get(k).is_some_and(|x| c.contains(x));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 7)?, digits(8, 10)?);
    let (hour, minute, second) = (digits(11, 13)?, digits(14, 16)?, digits(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut k = 19;
    let mut frac: u64 = 0;
    if at(k, b".") {
        k += 1;
        let start = k;
        while at(k, b"0123456789") {
            k += 1;
        }
        if k == start {
            return None;
        }
        for i in 0..9 {
            frac = frac * 10 + b.get(start + i).filter(|_| start + i < k).map_or(0, |d| u64::from(d - b'0'));
        }
    }
    let offset = match b.get(k) {
        Some(b'Z' | b'z') if k + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if k + 6 == b.len() && at(k + 3, b":") => {
            let o = digits(k + 1, k + 3)? * 3600 + digits(k + 4, k + 6)? * 60;
            if sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).ok()?.checked_mul(1_000_000_000)?.checked_add(frac)
}

/// Days since 1970-01-01 of a calendar date written `YYYY-MM-DD`; `None` when it is not
/// one (February 30 included).
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &b[r];
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month).contains(&day).then(|| days_from_civil(year, month, day))
}

/// Today (UTC) as days since 1970-01-01.
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Years counted from March, so the leap day ends a year; eras of 400 years.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_calendar_dates() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2024-02-29"), Some(19_782));
        assert_eq!(super::parse_date("2023-02-29"), None);
        assert_eq!(super::parse_date("2100-02-29"), None);
        assert_eq!(super::parse_date("2026-04-31"), None);
        assert_eq!(super::parse_date("2026-13-01"), None);
        assert_eq!(super::parse_date("2026-1-01"), None);
        assert_eq!(super::parse_date("2026-01-01T00:00:00Z"), None);
    }

    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2017-01-26T16:46:31.639875139-05:00"), Some(1_485_467_191_639_875_139));
        assert_eq!(parse_rfc3339("2024-02-29T12:00:00.5+01:00"), Some(1_709_204_400_500_000_000));
        assert_eq!(parse_rfc3339("2000-03-01 00:00:00Z"), Some(951_868_800_000_000_000));
        for bad in ["2017-01-26", "2017-13-01T00:00:00Z", "1969-12-31T23:59:59Z", "2017-01-26T16:46:31", "x"] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500_000));
        assert_eq!(parse_duration("250µs"), Ok(250_000));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5h").is_err());
        assert_eq!(fmt_ns(999), "999ns");
        assert_eq!(fmt_ns(3_200_000), "3.20ms");
        assert_eq!(fmt_signed_ns(-1_500), "-1.5µs");
    }
}
