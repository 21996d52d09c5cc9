//! Key logging for known-answer vectors (`hazmat` only).
//!
//! With the `hazmat` feature the state machines report every intermediate
//! value of the key schedule to a [`KeyLog`], under the names used by the
//! fields of `docs/vectors/*.json` (`keys.*`, `transcript.*`). Anything that
//! receives these values can decrypt the session: never enable in production.

/// Receives named secrets and transcript hashes as the handshake derives them.
pub trait KeyLog {
    /// Records `value` under `name` (for example `"keys.hs_secret"`).
    fn log(&self, name: &'static str, value: &[u8]);
}

/// Logs `value` under `name` when a key log is configured.
#[cfg(feature = "hazmat")]
pub(crate) fn log(log: Option<&dyn KeyLog>, name: &'static str, value: &[u8]) {
    if let Some(l) = log {
        l.log(name, value);
    }
}
