//! The SLA clock: working hours Monday to Friday in one configured time zone.
//!
//! Times are Unix milliseconds, as everywhere in Infradesk (database columns, `Clock::now_ms`),
//! so callers need no date-time type of ours. Inside, jiff turns an instant into a local
//! date and a local date and time of day back into an instant, which is where daylight saving
//! time is handled: a working day is the real time between its opening and closing instants, so
//! a day that contains a clock change inside working hours is an hour shorter or longer.
//! Public holidays are not known; every Monday to Friday counts.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use std::time::Duration;

const MS_PER_HOUR: i64 = 3_600_000;

/// Checked working hours: a time zone and a daily window, Monday to Friday.
#[derive(Clone, Debug)]
pub struct WorkingHours {
    timezone: TimeZone,
    start: Time,
    end: Time,
}

impl WorkingHours {
    /// `start` must be before `end` (the window lies within one day); [`super::RoutingConfig::check`]
    /// makes sure of that with a message that names the configuration keys.
    pub(super) fn new(timezone: TimeZone, start: Time, end: Time) -> WorkingHours {
        WorkingHours { timezone, start, end }
    }

    /// The instant an SLA of `hours` working hours runs out for something submitted at
    /// `submitted_ms`. The clock starts at the first working moment at or after submission, so
    /// with 0 hours that moment is the result (Saturday → Monday at opening time). An SLA that
    /// ends exactly at closing time is due at closing time, not at the next opening.
    ///
    /// Time beyond what jiff can represent (the year 9999) saturates to `i64::MAX`.
    pub fn due_at(&self, submitted_ms: i64, hours: u32) -> i64 {
        let mut remaining = i64::from(hours) * MS_PER_HOUR;
        let Some(mut date) = self.local_date(submitted_ms) else { return i64::MAX };
        loop {
            if let Some((open, close)) = self.window(date) {
                let from = submitted_ms.max(open);
                if from < close {
                    let available = close - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => return i64::MAX,
            };
        }
    }

    /// Working time between two instants (zero when `to_ms` is not after `from_ms`): the age of
    /// a request measured against its SLA.
    pub fn working_time_between(&self, from_ms: i64, to_ms: i64) -> Duration {
        if to_ms <= from_ms {
            return Duration::ZERO;
        }
        let (Some(mut date), Some(last)) = (self.local_date(from_ms), self.local_date(to_ms)) else {
            return Duration::ZERO;
        };
        let mut total: u64 = 0;
        while date <= last {
            if let Some((open, close)) = self.window(date) {
                let overlap = close.min(to_ms) - open.max(from_ms);
                total += u64::try_from(overlap).unwrap_or(0);
            }
            date = match date.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        Duration::from_millis(total)
    }

    /// Whether an SLA of `hours` working hours from `submitted_ms` has run out at `now_ms`.
    pub fn is_overdue(&self, submitted_ms: i64, hours: u32, now_ms: i64) -> bool {
        now_ms > self.due_at(submitted_ms, hours)
    }

    /// The local calendar date of an instant.
    fn local_date(&self, ms: i64) -> Option<Date> {
        let ts = Timestamp::from_millisecond(ms).ok()?;
        Some(self.timezone.to_datetime(ts).date())
    }

    /// Opening and closing instants of `date`, or `None` on a weekend. A local time that falls
    /// in a DST gap resolves to the later side ("compatible" disambiguation, as RFC 5545 does).
    fn window(&self, date: Date) -> Option<(i64, i64)> {
        if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
            return None;
        }
        let open = self.timezone.to_timestamp(date.to_datetime(self.start)).ok()?.as_millisecond();
        let close = self.timezone.to_timestamp(date.to_datetime(self.end)).ok()?.as_millisecond();
        (open < close).then_some((open, close))
    }
}

/// Parses a time of day written `HH:MM` (two digits each, 00:00 to 23:59).
pub(super) fn parse_time_of_day(text: &str) -> Option<Time> {
    let (hour, minute) = text.split_once(':')?;
    let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(hour) || !two_digits(minute) {
        return None;
    }
    Time::new(hour.parse().ok()?, minute.parse().ok()?, 0, 0).ok()
}

/// Looks up an IANA time zone in the database bundled into the binary (no files are read, so
/// the browser build gets the same answer as the server).
pub(super) fn time_zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name).ok()
}
