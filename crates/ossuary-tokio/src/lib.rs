#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod clock;
mod driver;
mod error;
mod handshake;
mod input;
mod split;
mod stream;
mod wake;

pub use clock::TokioClock;
pub use error::Error;
pub use handshake::{Connected, UntrustedServer, accept, connect, connect_tofu};
pub use split::{ReadHalf, WriteHalf};
pub use stream::Stream;
