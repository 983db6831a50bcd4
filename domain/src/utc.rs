//! Unix milliseconds as UTC calendar text, by plain arithmetic: the server and the browser
//! (wasm; hydration compares the text) print the same, and audit exports carry the same
//! instant as `at_ms` in a readable form. No time zones: every time shown is UTC.

/// A UTC calendar date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millisecond: i64,
}

impl DateTime {
    /// The calendar time of `ms` milliseconds since 1970-01-01T00:00:00Z (proleptic
    /// Gregorian calendar, also before 1970).
    pub fn from_unix_ms(ms: i64) -> DateTime {
        let secs = ms.div_euclid(1000);
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        DateTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: rest / 3600,
            minute: rest % 3600 / 60,
            second: rest % 60,
            millisecond: ms.rem_euclid(1000),
        }
    }
}

/// `1764012345678` → `2025-11-24 19:25 UTC` (the pages' times).
pub fn minutes(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year, t.month, t.day, t.hour, t.minute)
}

/// `1764012345678` → `2025-11-24 19:25:45 UTC`.
pub fn seconds(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", t.year, t.month, t.day, t.hour, t.minute, t.second)
}

/// `1764000000123` → `2025-11-24T16:00:00.123Z` (RFC 3339, the audit exports' `at`).
pub fn rfc3339_ms(ms: i64) -> String {
    let t = DateTime::from_unix_ms(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millisecond
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_utc() {
        assert_eq!(minutes(0), "1970-01-01 00:00 UTC");
        assert_eq!(minutes(1_795_636_800_000), "2026-11-25 20:00 UTC");
        assert_eq!(minutes(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(seconds(1_764_000_007_000), "2025-11-24 16:00:07 UTC");
        assert_eq!(rfc3339_ms(1_764_000_000_123), "2025-11-24T16:00:00.123Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }
}
