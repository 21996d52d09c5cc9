#![doc = include_str!("../README.md")]
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

mod client_auth;
mod client_hello;
mod codec;
mod error;
mod frame;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod reset;
mod server_hello;

pub use client_auth::{
    CLIENT_AUTH_ANON_BODY_LEN, CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_BODY_LEN,
    CLIENT_AUTH_IDENTITY_FRAME_LEN, CLIENT_IDENTITY_ANON_LEN, CLIENT_IDENTITY_IDENTITY_LEN,
    ClientIdentity,
};
pub use client_hello::{CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN, ClientHello};
pub use codec::Reader;
pub use error::DecodeError;
pub use frame::{Frame, FrameType, Header, Parsed};
pub use reset::{RESET_PLAIN_BODY_LEN, RESET_PLAIN_FRAME_LEN, RESET_SEALED_BODY_LEN, ResetReason};
pub use server_hello::{
    SEALED_SERVER_IDENTITY_LEN, SERVER_HELLO_BODY_LEN, SERVER_HELLO_CLEAR_LEN,
    SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, ServerFlags, ServerHello, ServerIdentity,
};

/// Length of a frame header: `type:u8 || length:u16`.
pub const HEADER_LEN: usize = 3;

/// Largest legal frame body (the `length` field is a `u16`).
pub const MAX_BODY_LEN: usize = 65535;

/// Length of a ChaCha20-Poly1305 authentication tag.
pub const TAG_LEN: usize = 16;

/// Largest plaintext one DATA record can carry: [`MAX_BODY_LEN`] minus the tag.
pub const MAX_RECORD_PLAINTEXT: usize = MAX_BODY_LEN - TAG_LEN;

/// The only protocol version this crate speaks.
pub const VERSION_1: u8 = 1;

/// Length of an X25519 public key or an Ed25519 identity key.
pub(crate) const KEY_LEN: usize = 32;

/// Length of an Ed25519 signature.
pub(crate) const SIGNATURE_LEN: usize = 64;
