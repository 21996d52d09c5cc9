//! [`TokioClock`]: handshake deadlines on tokio's clock.

use std::time::Instant;

use ossuary_core::Clock;

/// A [`Clock`] that reads tokio's clock (`tokio::time::Instant::now`), for
/// `Config::clock`.
///
/// The handshake futures wait for the deadline with tokio's timer, and the
/// connection decides whether it has passed with its own clock. In
/// production both read the same monotonic time, and the default clock is
/// right. When tokio's time is paused (`tokio::time::pause`, tests), only
/// tokio's clock moves: give such connections this clock, so that the
/// deadline fires when tokio's time reaches it.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}
