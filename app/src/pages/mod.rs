//! One module per page.

pub mod account;
pub mod admin;
pub mod audit;
pub mod catalog;
pub mod changes;
pub mod delivery;
pub mod errors;
pub mod home;
pub mod login;
pub mod new_request;
pub mod queue;
pub mod request;
pub mod requests;
pub mod review;
pub mod timeline;

/// `1764012345678` → `2025-11-24 19:25 UTC` ([`domain::utc::minutes`]: plain arithmetic, so
/// the server and the browser print the same text, which hydration compares).
pub fn format_time(ms: i64) -> String {
    domain::utc::minutes(ms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn format_time_prints_utc() {
        assert_eq!(super::format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_time(1_795_636_800_000), "2026-11-25 20:00 UTC");
        assert_eq!(super::format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
