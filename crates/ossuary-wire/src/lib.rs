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
mod frame_type;
mod lengths;
mod reset;
mod server_hello;

pub use client_auth::ClientIdentity;
pub use client_hello::ClientHello;
pub use codec::Reader;
pub use error::DecodeError;
pub use frame::{Frame, Header, Parsed};
pub use frame_type::FrameType;
pub use lengths::{
    CLIENT_AUTH_ANON_BODY_LEN, CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_BODY_LEN,
    CLIENT_AUTH_IDENTITY_FRAME_LEN, CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN,
    CLIENT_IDENTITY_ANON_LEN, CLIENT_IDENTITY_IDENTITY_LEN, HEADER_LEN, KEM_CIPHERTEXT_LEN,
    KEM_ENCAPSULATION_KEY_LEN, MAX_BODY_LEN, MAX_RECORD_PLAINTEXT, RESET_PLAIN_BODY_LEN,
    RESET_PLAIN_FRAME_LEN, RESET_SEALED_BODY_LEN, SEALED_SERVER_IDENTITY_LEN,
    SERVER_HELLO_BODY_LEN, SERVER_HELLO_CLEAR_LEN, SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN,
    TAG_LEN, VERSION_1,
};
pub use reset::ResetReason;
pub use server_hello::{ServerFlags, ServerHello, ServerIdentity};
