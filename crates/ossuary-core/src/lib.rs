#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod config;
mod connection;
mod error;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod io;
mod keygen;
mod record;
mod rng;

pub use config::{Clock, Config, Role};
pub use connection::{Connection, HandshakeStatus, Progress};
pub use error::{ApiMisuse, Error};
pub use io::{Stream, Transport};
pub use keygen::generate_keypair;
pub use ossuary_crypto::{Error as CryptoError, PublicKey, SecretKey, Sha256, Signer};
pub use ossuary_handshake::{Error as HandshakeError, PeerMisbehaved};
/// Key text forms, fingerprints, authorized-keys and known-hosts lists, and
/// key files: the [`ossuary-keys`](ossuary_keys) crate.
pub use ossuary_keys as keys;
pub use ossuary_wire::{DecodeError, FrameType, MAX_RECORD_PLAINTEXT, ResetReason};
pub use record::{Opened, RECORD_OVERHEAD};

/// The repository README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// The user's guide's examples (docs/GUIDE.md), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/GUIDE.md")]
struct GuideDoctests;
