//! [`FakeClock`]: time that moves only when a test says so.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A clock that starts at the instant it was made and moves only through
/// [`advance`](Self::advance). Shared through an `Arc` (`Send + Sync`), so a
/// test keeps one handle and gives another to the code under test.
///
/// [`now`](Self::now) is the one method a clock interface needs: a crate
/// with its own clock trait (`ossuary_core::Clock`) implements it by
/// forwarding to `now`.
#[derive(Debug)]
pub struct FakeClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl FakeClock {
    /// A clock standing at the current instant.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        })
    }

    /// The current (fake) instant.
    pub fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    /// How far the clock has been advanced since it was made.
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().expect("clock lock")
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock lock") += by;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::FakeClock;

    #[test]
    fn moves_only_when_advanced() {
        let clock = FakeClock::new();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::from_secs(3));
        assert_eq!(clock.now() - t0, Duration::from_secs(3));
        assert_eq!(clock.elapsed(), Duration::from_secs(3));
    }
}
