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
