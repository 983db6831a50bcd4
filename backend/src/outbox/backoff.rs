//! When to try again, and how fast to create content on the host. Pure functions of the
//! times passed in, so tests drive them with a manual clock and never sleep.

use std::collections::VecDeque;
use std::time::Duration;

/// Retry policy of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    /// Attempts before a job fails and waits for an admin.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        // 2 s doubling to the 10-minute cap: 15 attempts span about 75 minutes, long enough to
        // ride out a GitHub incident before a person has to step in.
        Self { base: Duration::from_secs(2), max: Duration::from_secs(10 * 60), max_attempts: 15 }
    }
}

impl Backoff {
    /// The wait after failed attempt number `attempt` (1-based): exponential, capped, with
    /// "equal jitter" (half fixed, half random; `jitter` in `[0, 1]`), and never shorter than
    /// the host's own `retry_after`.
    pub fn delay(&self, attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)));
        let capped = exp.min(self.max);
        let half = capped / 2;
        let jittered = half + half.mul_f64(jitter.clamp(0.0, 1.0));
        jittered.max(retry_after.unwrap_or(Duration::ZERO))
    }
}

/// GitHub's documented limits on content-creating requests: 80 per minute, 500 per hour.
#[derive(Clone, Debug)]
pub struct Pacer {
    limits: Vec<(i64, u32)>,
    /// (time, cost) of recent reservations, oldest first.
    spent: VecDeque<(i64, u32)>,
}

impl Pacer {
    pub fn github() -> Self {
        Self::new(&[(Duration::from_secs(60), 80), (Duration::from_secs(3600), 500)])
    }

    /// No limits (the local git repository).
    pub fn unlimited() -> Self {
        Self::new(&[])
    }

    pub fn new(limits: &[(Duration, u32)]) -> Self {
        let limits =
            limits.iter().map(|(window, n)| (i64::try_from(window.as_millis()).unwrap_or(i64::MAX), *n)).collect();
        Self { limits, spent: VecDeque::new() }
    }

    pub fn is_unlimited(&self) -> bool {
        self.limits.is_empty()
    }

    /// The longest window: reservations older than this no longer count.
    pub fn longest_window_ms(&self) -> i64 {
        self.limits.iter().map(|(w, _)| *w).max().unwrap_or(0)
    }

    /// Replaces what was spent with `spent` (time, cost), oldest first: the reservations
    /// every replica recorded in the database.
    pub fn set_spent(&mut self, spent: impl IntoIterator<Item = (i64, u32)>) {
        self.spent = spent.into_iter().collect();
    }

    /// Takes `cost` content-creating calls at `now_ms`, or says when they will fit.
    pub fn reserve(&mut self, now_ms: i64, cost: u32) -> Result<(), i64> {
        let longest = self.limits.iter().map(|(w, _)| *w).max().unwrap_or(0);
        while self.spent.front().is_some_and(|(at, _)| *at <= now_ms - longest) {
            self.spent.pop_front();
        }
        let mut ready_at = now_ms;
        for &(window, limit) in &self.limits {
            let in_window: Vec<(i64, u32)> =
                self.spent.iter().copied().filter(|(at, _)| *at > now_ms - window).collect();
            let used: u32 = in_window.iter().map(|(_, c)| c).sum();
            if used + cost > limit {
                // Wait until enough of the oldest reservations leave the window.
                let mut freed = 0;
                for (at, c) in &in_window {
                    freed += c;
                    if used - freed + cost <= limit {
                        ready_at = ready_at.max(at + window);
                        break;
                    }
                }
            }
        }
        if ready_at > now_ms {
            return Err(ready_at);
        }
        self.spent.push_back((now_ms, cost));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_are_capped_and_honour_the_hosts_hint() {
        let b = Backoff::default();
        assert_eq!(b.delay(1, 1.0, None), Duration::from_secs(2));
        assert_eq!(b.delay(1, 0.0, None), Duration::from_secs(1));
        assert_eq!(b.delay(4, 1.0, None), Duration::from_secs(16));
        assert_eq!(b.delay(30, 1.0, None), Duration::from_secs(600));
        assert_eq!(b.delay(200, 0.5, None), Duration::from_secs(450));
        assert_eq!(b.delay(1, 0.0, Some(Duration::from_secs(30))), Duration::from_secs(30));
        assert_eq!(b.delay(12, 1.0, Some(Duration::from_secs(30))), Duration::from_secs(600));
    }

    #[test]
    fn the_pacer_keeps_to_80_a_minute_and_500_an_hour() {
        let mut p = Pacer::github();
        let mut now = 0;
        let mut per_minute = std::collections::BTreeMap::<i64, u32>::new();
        let mut done = 0;
        // 200 pull requests of 5 calls each, as fast as the pacer allows.
        while done < 200 {
            match p.reserve(now, 5) {
                Ok(()) => {
                    *per_minute.entry(now / 60_000).or_default() += 5;
                    done += 1;
                }
                Err(at) => {
                    assert!(at > now);
                    now = at;
                }
            }
        }
        assert!(per_minute.values().all(|&n| n <= 80), "{per_minute:?}");
        // 1000 calls: the second 500 wait for the first hour's to leave the window.
        assert!(now >= 3_600_000, "finished at {now} ms");
        for start in 0..=now / 60_000 {
            let hour: u32 = per_minute.range(start..start + 60).map(|(_, n)| n).sum();
            assert!(hour <= 500, "minutes {start}..+60: {hour}");
        }
    }

    #[test]
    fn unlimited_never_waits() {
        let mut p = Pacer::unlimited();
        assert!((0..10_000).all(|_| p.reserve(0, 5).is_ok()));
    }
}
