//! Ossuary's handshake: a sans-IO SIGMA-I key exchange, one typed state
//! machine per role.
//!
//! ```text
//!  client                                        server
//!  ClientState::start ── CLIENT_HELLO ─────────▶ ServerState::ExpectClientHello
//!  ExpectServerHello ◀── SERVER_HELLO ────────── ExpectClientAuth
//!   (verify; TOFU pause if the key is unknown)
//!  Complete ──────────── CLIENT_AUTH ──────────▶ Complete
//! ```
//!
//! The crate reads no clock and calls no OS RNG: randomness comes in as a
//! `&mut impl TryCryptoRng` (any `CryptoRng` is one; a failed draw is
//! [`Error::Rng`]), frames come in already parsed by `ossuary-wire`,
//! and messages go out into the caller's buffer. A state is consumed by
//! each step, so a failed step leaves nothing half-updated, and a finished
//! handshake ([`Established`]) can only be turned into record keys.
//!
//! The byte-level protocol is `docs/PROTOCOL.md`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod buf;
pub mod client;
mod error;
mod established;
#[cfg(feature = "hazmat")]
mod key_log;
pub mod server;
mod signature;

pub use client::{ClientConfig, ClientState, ExpectServerHello, ServerAuthenticated};
pub use error::{Error, PeerMisbehaved};
pub use established::Established;
#[cfg(feature = "hazmat")]
pub use key_log::KeyLog;
pub use server::{ExpectClientAuth, ExpectClientHello, ServerConfig, ServerState};
