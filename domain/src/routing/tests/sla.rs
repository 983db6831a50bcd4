//! The SLA clock: working hours Monday to Friday in the configured time zone.

use super::{DEFAULT_RULE, checked};
use crate::routing::Routing;
use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;

fn routing(tz: &str, start: &str, end: &str) -> Routing {
    checked(&format!(
        "[routing]\ntimezone = \"{tz}\"\nworking_hours = {{ start = \"{start}\", end = \"{end}\" }}\n{DEFAULT_RULE}"
    ))
}

fn berlin() -> Routing {
    routing("Europe/Berlin", "09:00", "17:00")
}

/// Unix milliseconds of a local time in `tz`.
fn local(tz: &str, y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
    TimeZone::get(tz).unwrap().to_timestamp(date(y, mo, d).at(h, mi, 0, 0)).unwrap().as_millisecond()
}

fn berlin_at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> i64 {
    local("Europe/Berlin", y, mo, d, h, mi)
}

/// A local time for assertions, weekday included: `Mon 2026-03-30 10:00 +02:00`.
fn show(tz: &str, ms: i64) -> String {
    let ts = Timestamp::from_millisecond(ms).unwrap();
    ts.to_zoned_datetime(TimeZone::get(tz).unwrap()).strftime("%a %Y-%m-%d %H:%M %:z").to_string()
}

fn due(routing: &Routing, submitted: i64, hours: u32) -> String {
    show("Europe/Berlin", routing.due_at(submitted, hours))
}

#[test]
fn friday_afternoon_continues_on_monday_across_the_spring_dst_change() {
    let r = berlin();
    // 2026-03-29 is the last Sunday of March: clocks go from +01 to +02.
    let friday = berlin_at(2026, 3, 27, 16, 0);
    assert_eq!(show("Europe/Berlin", friday), "Fri 2026-03-27 16:00 +01:00");
    assert_eq!(due(&r, friday, 2), "Mon 2026-03-30 10:00 +02:00");
    // One hour of the weekend did not exist: 66 hours on the wall clock, 65 real ones.
    assert_eq!(r.due_at(friday, 2) - friday, 65 * HOUR_MS);
}

#[test]
fn the_autumn_dst_change_gives_the_hour_back() {
    let r = berlin();
    let friday = berlin_at(2026, 10, 23, 16, 30);
    assert_eq!(due(&r, friday, 2), "Mon 2026-10-26 10:30 +01:00");
    assert_eq!(r.due_at(friday, 2) - friday, 67 * HOUR_MS);
}

#[test]
fn a_weekend_submission_starts_counting_on_monday_morning() {
    let r = berlin();
    assert_eq!(due(&r, berlin_at(2026, 5, 9, 11, 15), 3), "Mon 2026-05-11 12:00 +02:00");
    assert_eq!(due(&r, berlin_at(2026, 5, 10, 23, 59), 8), "Mon 2026-05-11 17:00 +02:00");
}

#[test]
fn outside_working_hours_counts_from_the_next_opening() {
    let r = berlin();
    assert_eq!(due(&r, berlin_at(2026, 5, 12, 7, 30), 1), "Tue 2026-05-12 10:00 +02:00");
    assert_eq!(due(&r, berlin_at(2026, 5, 12, 18, 0), 1), "Wed 2026-05-13 10:00 +02:00");
    assert_eq!(due(&r, berlin_at(2026, 5, 12, 17, 0), 1), "Wed 2026-05-13 10:00 +02:00");
}

#[test]
fn an_sla_ending_at_closing_time_is_due_at_closing_time() {
    let r = berlin();
    let friday = berlin_at(2026, 5, 15, 15, 0);
    assert_eq!(due(&r, friday, 2), "Fri 2026-05-15 17:00 +02:00");
    let closing = berlin_at(2026, 5, 15, 17, 0);
    assert!(!r.is_overdue(friday, 2, closing));
    assert!(r.is_overdue(friday, 2, closing + 1));
    // A whole week: Monday opening to Friday closing is exactly 40 working hours.
    let monday = berlin_at(2026, 5, 11, 9, 0);
    assert_eq!(due(&r, monday, 40), "Fri 2026-05-15 17:00 +02:00");
    assert_eq!(due(&r, monday, 41), "Mon 2026-05-18 10:00 +02:00");
}

#[test]
fn zero_hours_is_due_at_the_first_working_moment() {
    let r = berlin();
    let tuesday = berlin_at(2026, 5, 12, 11, 11);
    assert_eq!(r.due_at(tuesday, 0), tuesday);
    assert_eq!(due(&r, berlin_at(2026, 5, 16, 12, 0), 0), "Mon 2026-05-18 09:00 +02:00");
    assert_eq!(due(&r, berlin_at(2026, 5, 15, 17, 0), 0), "Mon 2026-05-18 09:00 +02:00");
}

#[test]
fn working_hours_are_read_in_the_configured_zone() {
    // Monday 2026-05-11 07:00 UTC is 09:00 in Berlin but 03:00 in New York.
    let submitted = local("UTC", 2026, 5, 11, 7, 0);
    assert_eq!(show("UTC", berlin().due_at(submitted, 1)), "Mon 2026-05-11 08:00 +00:00");
    let ny = routing("America/New_York", "09:00", "17:00");
    assert_eq!(show("America/New_York", ny.due_at(submitted, 1)), "Mon 2026-05-11 10:00 -04:00");
}

#[test]
fn a_dst_change_inside_working_hours_shortens_that_day() {
    // Cairo moved its clocks from 00:00 to 01:00 on Friday 2023-04-28, a working day.
    let cairo = routing("Africa/Cairo", "00:00", "04:00");
    let open = local("Africa/Cairo", 2023, 4, 28, 0, 0);
    let close = local("Africa/Cairo", 2023, 4, 28, 4, 0);
    assert_eq!(close - open, 3 * HOUR_MS, "00:00 does not exist that day, so the day opens at 01:00");
    assert_eq!(cairo.working_time_between(open - 12 * HOUR_MS, close + 12 * HOUR_MS), Duration::from_secs(3 * 3600));
    // Thursday has 4 hours; the fifth is the first real hour of Friday.
    let thursday = local("Africa/Cairo", 2023, 4, 27, 0, 0);
    assert_eq!(show("Africa/Cairo", cairo.due_at(thursday, 5)), "Fri 2023-04-28 02:00 +03:00");
}

#[test]
fn working_time_between_skips_nights_and_weekends() {
    let r = berlin();
    let friday = berlin_at(2026, 3, 27, 16, 0);
    let monday = berlin_at(2026, 3, 30, 10, 0);
    assert_eq!(r.working_time_between(friday, monday), Duration::from_secs(2 * 3600));
    assert_eq!(r.working_time_between(monday, friday), Duration::ZERO);
    assert_eq!(r.working_time_between(berlin_at(2026, 3, 28, 8, 0), berlin_at(2026, 3, 29, 20, 0)), Duration::ZERO);
    let minutes = r.working_time_between(berlin_at(2026, 3, 30, 8, 0), berlin_at(2026, 3, 30, 9, 45));
    assert_eq!(minutes, Duration::from_secs(45 * 60));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the start, the time from submission to due is exactly the SLA in working
    /// hours, and the due time lies inside working hours on a weekday.
    #[test]
    fn due_at_and_working_time_agree(offset_min in 0i64..(3 * 366 * 24 * 60), hours in 0u32..120) {
        let r = berlin();
        let submitted = berlin_at(2025, 1, 1, 0, 0) + offset_min * 60_000;
        let due_ms = r.due_at(submitted, hours);
        prop_assert!(due_ms >= submitted);
        prop_assert_eq!(r.working_time_between(submitted, due_ms), Duration::from_secs(u64::from(hours) * 3600));
        let shown = show("Europe/Berlin", due_ms);
        prop_assert!(!shown.starts_with("Sat") && !shown.starts_with("Sun"), "{}", shown);
        let local = TimeZone::get("Europe/Berlin").unwrap().to_datetime(Timestamp::from_millisecond(due_ms).unwrap());
        prop_assert!((9..=17).contains(&local.hour()), "{}", shown);
    }
}
