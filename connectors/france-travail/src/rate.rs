//! The client-side quota: France Travail allows a fixed number of calls per second per
//! client, and refuses the excess with 429s that would slow a whole batch down.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// Spaces calls evenly so that no one-second window holds more than the allowed number, and
/// holds every call back while France Travail asked us to wait (`Retry-After`).
pub(crate) struct RateGate {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
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
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for the next free slot outside any pause.
    pub(crate) async fn wait(&self) {
        loop {
            if let Some(until) = self.pause_end() {
                tokio::time::sleep_until(until).await;
            }
            self.limiter.until_ready().await;
            // A 429 may have come back while this call waited for its slot.
            if self.pause_end().is_none() {
                return;
            }
        }
    }

    /// Holds every call back for `wait` from now (a longer pause already set stays).
    pub(crate) fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |current| current.max(until)));
        }
    }

    /// When the current pause ends, if one is under way.
    fn pause_end(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().ok()?;
        paused.filter(|until| *until > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn a_pause_holds_every_call_back_until_it_ends() {
        let gate = RateGate::per_second(NonZeroU32::new(100).unwrap());
        gate.pause(Duration::from_millis(300));
        gate.pause(Duration::from_millis(100));
        let start = Instant::now();
        gate.wait().await;
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "{:?}",
            start.elapsed()
        );
    }

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
