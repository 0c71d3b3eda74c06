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

#[cfg(test)]
mod tests {
    use super::*;

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
