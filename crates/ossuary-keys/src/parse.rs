//! The public constructors of `Fingerprint` and `HostPort` that return
//! `Error`.
//!
//! They are here, not beside the types, because `Error` names both types:
//! `fingerprint.rs` and `host_port.rs` import only `Found`, and these wrap
//! it in [`Error::Parse`] with [`Expected::Fingerprint`] or
//! [`Expected::HostPort`].

use std::net::SocketAddr;
use std::str::FromStr;

use crate::error::Error;
use crate::expected::Expected;
use crate::fingerprint::Fingerprint;
use crate::found::Found;
use crate::host_port::HostPort;

/// A parse error with no file or line.
fn error(expected: Expected) -> impl Fn(Found) -> Error {
    move |found| Error::parse(None, None, expected, found)
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Parses `SHA256:` and 43 characters of unpadded standard base64.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with [`Found::Other`] without the prefix,
    /// [`Found::InvalidBase64`] or [`Found::KeyLength`] for the rest.
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s).map_err(error(Expected::Fingerprint))
    }
}

impl HostPort {
    /// A host and port. `host` is a host name, an IPv4 address, or an IPv6
    /// address with or without brackets.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with [`Found::InvalidHost`] or [`Found::InvalidPort`]
    /// (port 0).
    pub fn new(host: &str, port: u16) -> Result<Self, Error> {
        Self::from_parts(host, port).map_err(error(Expected::HostPort))
    }
}

impl FromStr for HostPort {
    type Err = Error;

    /// Parses `name:port`, `192.0.2.1:port` or `[2001:db8::1]:port`.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with [`Found::MissingPort`], [`Found::InvalidPort`] or
    /// [`Found::InvalidHost`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s).map_err(error(Expected::HostPort))
    }
}

impl TryFrom<SocketAddr> for HostPort {
    type Error = Error;

    /// The address and port of a socket address.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] with [`Found::InvalidPort`] for port 0.
    fn try_from(addr: SocketAddr) -> Result<Self, Error> {
        Self::from_socket_addr(addr).map_err(error(Expected::HostPort))
    }
}
