//! Ossuary's test machinery, kept out of the library crates (`publish = false`).
//!
//! Used by the integration tests of `ossuary-wire`, `ossuary-crypto` and
//! `ossuary-handshake`, by the fuzz targets in `fuzz/` and by the benchmark.
//! It depends on the libraries' public API only, with none of their optional
//! features: a crate whose tests use the testkit is still tested with its own
//! production features (see `docs/FUZZING.md`). The one exception is the
//! testkit's `core` feature, which adds `ossuary-core` with its `hazmat`
//! feature (fixed randomness) for the session fuzz functions; only the fuzz
//! targets and the testkit's own tests turn it on.
//!
//! - [`bytes`]: hex, fixed byte patterns.
//! - [`PresetRng`]: an RNG that hands out fixed bytes (known-answer tests).
//! - [`FakeClock`]: a clock that moves only when told to.
//! - [`x25519`]: the low-order X25519 points.
//! - [`vectors`]: the handshake vector files of `docs/vectors/`.
//! - [`replay`]: fuzz regression files and seed corpora under `cargo test`.
//! - [`input`]: the small input language the structured fuzz inputs share.
//! - [`wire`]: the `wire_frame` fuzz function and the checked frame parser.
//! - [`handshake`]: the fixed parties of `docs/vectors/`, their honest
//!   handshakes, and the `handshake_initiator` / `handshake_responder` fuzz
//!   functions.
//! - `core` (with the `core` feature): the fixed parties as
//!   `ossuary_core::Connection`s, their honest session, and the
//!   `session_open` / `io_stream` fuzz functions.
//!
//! A fuzz function reports a broken invariant by panicking: that is its job,
//! so this crate allows what the libraries deny.
#![forbid(unsafe_code)]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

pub mod bytes;
mod clock;
#[cfg(feature = "core")]
pub mod core;
pub mod handshake;
pub mod input;
pub mod replay;
mod rng;
pub mod vectors;
pub mod wire;
pub mod x25519;

pub use bytes::{hex, to_hex};
pub use clock::FakeClock;
pub use rng::PresetRng;
