//! The client-side quota: France Travail allows a fixed number of calls per second per
//! client, and refuses the excess with 429s that would slow a whole batch down.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Spaces calls evenly so that no one-second window holds more than the allowed number.
pub(crate) struct RateGate {
    limiter: DefaultDirectRateLimiter,
}

impl RateGate {
    /// A gate letting through at most `per_second` calls in any second.
    pub(crate) fn per_second(per_second: NonZeroU32) -> Self {
        // No burst, and 10 % wider spacing than the quota: France Travail counts arrivals,
        // and a request delayed on the way (network, a busy host) could otherwise land in
        // the same second as n others.
        let period = Duration::from_secs(1) * 11 / per_second.get().saturating_mul(10);
        let quota = Quota::with_period(period.max(Duration::from_micros(1)))
            .unwrap_or_else(|| Quota::per_second(per_second));
        Self {
            limiter: RateLimiter::direct(quota),
        }
    }

    /// Waits for the next free slot.
    pub(crate) async fn wait(&self) {
        self.limiter.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn calls_are_spaced_by_the_quota() {
        let gate = RateGate::per_second(NonZeroU32::new(20).unwrap());
        let start = Instant::now();
        for _ in 0..11 {
            gate.wait().await;
        }
        // 11 calls at 20/s need at least 10 intervals of 50 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(500),
            "{:?}",
            start.elapsed()
        );
    }
}
