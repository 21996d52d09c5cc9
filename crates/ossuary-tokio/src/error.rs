//! [`Error`]: why [`connect`](crate::connect), [`connect_tofu`](crate::connect_tofu)
//! or [`accept`](crate::accept) failed.

use core::fmt;
use std::io;

use ossuary_core::Role;

/// Why a handshake future failed.
///
/// Converts into [`io::Error`] for code that works in `io::Result`; the
/// Ossuary error stays inside, so both forms tell the same story:
///
/// | `Error` | `io::Error` |
/// |---|---|
/// | [`Error::Session`]`(e)` | the kind `ossuary_core` gives `e` (`TimedOut` for the handshake deadline, `PermissionDenied` for an untrusted server or an unauthorized client, `UnexpectedEof` for truncation, ...), with `e` inside: `err.get_ref().and_then(\|e\| e.downcast_ref::<ossuary_core::Error>())` |
/// | [`Error::Io`]`(e)` | `e` itself |
/// | [`Error::WrongRole`] | `InvalidInput`, with this `Error` inside |
///
/// The stream's own reads and writes return `io::Error` directly, built
/// the same way: an Ossuary error inside, or the transport's error as it
/// came.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The session failed: the handshake deadline passed
    /// ([`ossuary_core::Error::HandshakeTimeout`]), the server's key is not
    /// trusted or changed, the client is not authorized, the peer sent a
    /// RESET or something that is not Ossuary, the transport ended
    /// ([`ossuary_core::Error::Truncated`]), ... The meaning of each, and
    /// what to do, is in the user's guide (docs/GUIDE.md, section 12).
    /// The peer was sent a RESET saying why, if the transport took it.
    Session(ossuary_core::Error),
    /// The transport failed (reset by the peer, for example).
    Io(io::Error),
    /// The connection is for the other end: [`connect`](crate::connect)
    /// needs a client's, [`accept`](crate::accept) a server's. Nothing was
    /// sent.
    WrongRole(Role),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(e) => fmt::Display::fmt(e, f),
            Self::Io(e) => write!(f, "transport error: {e}"),
            Self::WrongRole(role) => write!(
                f,
                "connect needs a client's connection and accept a server's; this one is {role:?}"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::WrongRole(_) => None,
        }
    }
}

impl From<ossuary_core::Error> for Error {
    fn from(e: ossuary_core::Error) -> Self {
        Self::Session(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Session(e) => e.into(),
            Error::Io(e) => e,
            wrong @ Error::WrongRole(_) => io::Error::new(io::ErrorKind::InvalidInput, wrong),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed error survives the trip through `io::Error`.
    #[test]
    fn io_errors_keep_the_typed_error() {
        let timeout = ossuary_core::Error::HandshakeTimeout {
            heard_from_peer: false,
        };
        let e = io::Error::from(Error::Session(timeout));
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        let inner = e
            .get_ref()
            .and_then(|e| e.downcast_ref::<ossuary_core::Error>());
        assert_eq!(inner, Some(&timeout));

        let e = io::Error::from(Error::Io(io::ErrorKind::ConnectionReset.into()));
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);

        let e = io::Error::from(Error::WrongRole(Role::Client));
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let inner = e.get_ref().and_then(|e| e.downcast_ref::<Error>());
        assert!(matches!(inner, Some(Error::WrongRole(Role::Client))), "{e}");
    }
}
