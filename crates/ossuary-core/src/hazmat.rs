//! Dangerous constructors for known-answer tests. Behind the `hazmat`
//! feature, which no production build enables.

use crate::config::{Config, Role};
use crate::connection::Connection;
use crate::error::Error;
use crate::rng::Randomness;

/// A connection whose handshake randomness comes from `rng` instead of the
/// operating system: with a fixed generator every message is reproducible
/// (the known-answer vectors in `docs/vectors/`). A server's identity comes
/// from `identity`. Never use outside tests: fixed randomness reuses
/// ephemeral keys, which destroys forward secrecy.
///
/// # Errors
/// As [`Connection::with_identity`].
pub fn connection_with_rng(
    role: Role,
    config: Config,
    identity: Option<Box<dyn ossuary_crypto::Signer + Send + Sync>>,
    rng: Box<dyn rand_core::CryptoRng + Send>,
) -> Result<Connection, Error> {
    Connection::build(role, config, identity, Randomness::Supplied(rng))
}
