//! A small deterministic random generator (SplitMix64) for the seeder: the same seed gives the
//! same data on every machine and with every version of the `rand` crate.

#[derive(Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items` (not empty).
    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Uniform in `lo..=hi` milliseconds.
    pub(super) fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below(u64::try_from(hi - lo + 1).unwrap_or(1)) as i64
    }

    /// Exponentially distributed around `mean`, capped at ten times it.
    pub(super) fn exp(&mut self, mean: i64) -> i64 {
        let x = -(1.0 - self.unit()).ln() * mean as f64;
        (x as i64).min(mean * 10)
    }

    /// `n` random bytes as lowercase hex.
    pub(super) fn hex(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n * 2);
        while out.len() < n * 2 {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(n * 2);
        out
    }

    /// A version 4 UUID, as a form's idempotency key or a claim token is.
    pub(super) fn uuid(&mut self) -> String {
        let h = self.hex(16);
        let variant = ["8", "9", "a", "b"][self.below(4) as usize];
        format!("{}-{}-4{}-{variant}{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let x = a.between(5, 9);
            assert!((5..=9).contains(&x));
            b.between(5, 9);
        }
        let uuid = a.uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}
