#![doc = include_str!("../README.md")]
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

mod armor;
mod authorized;
mod error;
mod expected;
mod files;
mod fingerprint;
mod found;
mod host_port;
mod known_hosts;
mod parse;
mod public;
mod secret;
mod text;

pub use crate::authorized::AuthorizedKeys;
pub use crate::error::Error;
pub use crate::expected::Expected;
pub use crate::fingerprint::Fingerprint;
pub use crate::found::Found;
pub use crate::host_port::HostPort;
pub use crate::known_hosts::{Accepted, HostKeyStatus, KnownHost, KnownHosts, append_known_host};
pub use crate::public::{PublicKeyLine, read_public_key, write_public_key};
pub use crate::secret::{
    format_secret_key, parse_secret_key, public_key_path, read_secret_key, write_key_pair,
    write_secret_key,
};
