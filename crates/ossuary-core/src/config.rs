//! Connection settings: role, limits and clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which end of the channel a [`Connection`](crate::Connection) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Starts the handshake; authenticates the server (TOFU when unknown).
    Client,
    /// Server that accepts only clients whose keys were added with
    /// [`Connection::add_authorized_key`](crate::Connection::add_authorized_key).
    AuthenticatingServer,
    /// Server that accepts anonymous clients and any client identity.
    OpenServer,
}

impl Role {
    /// Whether this role is a server.
    #[must_use]
    pub fn is_server(self) -> bool {
        !matches!(self, Self::Client)
    }
}

/// A monotonic time source. The default reads [`Instant::now`]; tests pass
/// a fake clock to drive deadlines without sleeping.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The default clock: [`Instant::now`].
#[derive(Debug, Default, Clone, Copy)]
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Limits and policies. The defaults are the safe choice.
#[derive(Clone)]
pub struct Config {
    /// Re-handshakes allowed after errors over the connection's life (default 3).
    pub max_resets: u32,
    /// Time allowed for a handshake, from the connection's creation (or the
    /// re-handshake's start) to completion (default 10 s).
    pub handshake_timeout: Duration,
    /// Records sent under one key before an automatic key update (default 2^24).
    pub key_update_records: u64,
    /// Plaintext bytes sent under one key before an automatic key update (default 2^34).
    pub key_update_bytes: u64,
    /// Largest plaintext per record this side sends (default and maximum 65519).
    pub max_record_plaintext: usize,
    /// The time source for the handshake deadline.
    pub clock: Arc<dyn Clock>,
    /// Client: pause the handshake for the application's decision when the
    /// server proves a key and no key was pinned for it
    /// (Trust-On-First-Use). Off by default: an unknown server is refused
    /// with [`Error::UntrustedServer`](crate::Error::UntrustedServer). A
    /// server key that differs from a pinned one is refused either way.
    pub trust_on_first_use: bool,
    /// Let a re-handshake (after [`Connection::reset`](crate::Connection::reset))
    /// authenticate a different peer than the first handshake did. Off by
    /// default: the peer identity of a connection never changes silently.
    pub allow_identity_change_on_reset: bool,
}

impl Config {
    /// The largest plaintext this side puts in one record: the configured
    /// size, clamped to 1 ..= [`MAX_RECORD_PLAINTEXT`](crate::MAX_RECORD_PLAINTEXT).
    pub(crate) fn max_plaintext(&self) -> usize {
        self.max_record_plaintext
            .clamp(1, ossuary_wire::MAX_RECORD_PLAINTEXT)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_resets: 3,
            handshake_timeout: Duration::from_secs(10),
            key_update_records: 1 << 24,
            key_update_bytes: 1 << 34,
            max_record_plaintext: ossuary_wire::MAX_RECORD_PLAINTEXT,
            clock: Arc::new(SystemClock),
            trust_on_first_use: false,
            allow_identity_change_on_reset: false,
        }
    }
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("max_resets", &self.max_resets)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("key_update_records", &self.key_update_records)
            .field("key_update_bytes", &self.key_update_bytes)
            .field("max_record_plaintext", &self.max_record_plaintext)
            .field("trust_on_first_use", &self.trust_on_first_use)
            .field(
                "allow_identity_change_on_reset",
                &self.allow_identity_change_on_reset,
            )
            .finish_non_exhaustive()
    }
}
