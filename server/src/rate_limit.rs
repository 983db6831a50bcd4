//! Slows down repeated sign-in attempts from one client with governor's keyed GCRA
//! limiter, driven by the injectable clock so tests move time instead of sleeping.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use backend::clock::SharedClock;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::RateLimitConfig;

/// Adapts our clock to governor's: time since the Unix epoch as a `Duration`.
#[derive(Clone, Debug)]
pub struct GovernorClock(SharedClock);

impl Clock for GovernorClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.0.now_ms()).unwrap_or(0))
    }
}

pub struct LoginLimiter {
    limiter: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, GovernorClock, NoOpMiddleware<Duration>>,
    clock: GovernorClock,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

impl LoginLimiter {
    pub fn new(config: &RateLimitConfig, clock: SharedClock) -> Self {
        let burst = NonZeroU32::new(config.burst).unwrap_or(NonZeroU32::MIN);
        let per_minute = NonZeroU32::new(config.per_minute).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        let clock = GovernorClock(clock);
        Self { limiter: RateLimiter::new(quota, DefaultKeyedStateStore::default(), clock.clone()), clock }
    }

    /// Takes one attempt for `client`; `Err(wait)` when it has to wait that long.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter.check_key(&client).map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets clients that are back to a full burst (called periodically).
    pub fn shrink(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::ManualClock;
    use std::sync::Arc;

    #[test]
    fn burst_then_wait_then_allowed_again() {
        let clock = ManualClock::new(1_000_000);
        let limiter = LoginLimiter::new(&RateLimitConfig { burst: 3, per_minute: 6 }, Arc::new(clock.clone()));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
        }
        let wait = limiter.check(ip).unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        assert!(limiter.check(other).is_ok(), "limits are per client");
        clock.advance(Duration::from_secs(10));
        assert!(limiter.check(ip).is_ok());
        assert!(limiter.check(ip).is_err());
    }
}
