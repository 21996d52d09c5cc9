//! The session-level error type.

use core::fmt;

use ossuary_wire::{DecodeError, FrameType, ResetReason};

/// Everything that can go wrong with a [`Connection`](crate::Connection).
///
/// Errors caused by the peer or the network are final and sticky: every
/// later call returns the same error until [`Connection::reset`] starts a
/// new handshake (a bounded number of times). A call that consumed input
/// before failing reports that progress first (`Ok`), and the next call
/// returns the error, so the caller always knows how much was consumed.
/// [`Error::ApiMisuse`], [`Error::BufferTooSmall`] and [`Error::Closed`]
/// (sending after this side's CLOSE) report a caller mistake and change
/// nothing.
///
/// [`Connection::reset`]: crate::Connection::reset
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The peer sent bytes that are not a valid frame.
    Decode(DecodeError),
    /// The handshake failed.
    Handshake(ossuary_handshake::Error),
    /// A record failed to authenticate: altered, replayed, reordered,
    /// dropped or forged. Deliberately carries no detail.
    BadRecord,
    /// A well-formed frame arrived where it is not allowed.
    UnexpectedFrame {
        /// The frame type that arrived.
        got: FrameType,
    },
    /// The peer abandoned the session with this RESET reason. When it came
    /// before the peer had traffic keys the reason is unauthenticated.
    PeerReset(ResetReason),
    /// The handshake did not finish within the configured deadline.
    HandshakeTimeout,
    /// The server's identity key is not trusted (the application rejected it).
    UntrustedServer,
    /// The session was closed: by [`Connection::close`](crate::Connection::close)
    /// for sending, or by the peer's authenticated CLOSE for receiving.
    Closed,
    /// The record counter would wrap; the key was used for 2^64 - 1 records.
    CounterExhausted,
    /// No re-handshakes are left (`Config::max_resets`).
    ResetLimit,
    /// The operating system's random number generator failed.
    Entropy,
    /// Key bytes given by the caller are not a valid key.
    InvalidKey,
    /// The call is not valid in the connection's current state. Nothing changed.
    ApiMisuse(ApiMisuse),
    /// The caller's buffer is too small. Nothing changed.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
    },
}

/// Calls made in the wrong state.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiMisuse {
    /// The handshake has not completed; records cannot be sent or received yet.
    HandshakeNotDone,
    /// Keys and policy can only change before the handshake starts.
    HandshakeStarted,
    /// The handshake is not paused on an untrusted server key.
    NotAwaitingTrust,
    /// Buffered output or input must be drained before the in-place API is used.
    BufferedData,
    /// `reset` was called on a connection that has not failed.
    NotFailed,
}

impl Error {
    /// Whether this error leaves the connection unchanged (a caller mistake).
    #[must_use]
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Self::ApiMisuse(_) | Self::BufferTooSmall { .. } | Self::Closed
        )
    }

    /// The RESET reason that reports this error to the peer.
    #[must_use]
    pub fn reset_reason(&self) -> ResetReason {
        match self {
            Self::UnexpectedFrame { got } if got.is_known() => ResetReason::RECORD_FAILURE,
            Self::Decode(_) | Self::UnexpectedFrame { .. } => ResetReason::DECODE_ERROR,
            Self::Handshake(e) => e.reset_reason(),
            Self::BadRecord | Self::CounterExhausted => ResetReason::RECORD_FAILURE,
            Self::HandshakeTimeout => ResetReason::HANDSHAKE_TIMEOUT,
            Self::UntrustedServer => ResetReason::SERVER_NOT_TRUSTED,
            _ => ResetReason::UNSPECIFIED,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::BufferTooSmall { needed } => Self::BufferTooSmall { needed },
            other => Self::Decode(other),
        }
    }
}

impl From<ossuary_handshake::Error> for Error {
    fn from(e: ossuary_handshake::Error) -> Self {
        match e {
            ossuary_handshake::Error::UntrustedServer => Self::UntrustedServer,
            ossuary_handshake::Error::BufferTooSmall { needed } => Self::BufferTooSmall { needed },
            other => Self::Handshake(other),
        }
    }
}

impl From<ossuary_crypto::Error> for Error {
    fn from(e: ossuary_crypto::Error) -> Self {
        match e {
            ossuary_crypto::Error::CounterExhausted => Self::CounterExhausted,
            ossuary_crypto::Error::BufferTooSmall { needed } => Self::BufferTooSmall { needed },
            ossuary_crypto::Error::InvalidPublicKey => Self::InvalidKey,
            _ => Self::BadRecord,
        }
    }
}

impl From<ApiMisuse> for Error {
    fn from(e: ApiMisuse) -> Self {
        Self::ApiMisuse(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed frame: {e}"),
            Self::Handshake(e) => write!(f, "handshake failed: {e}"),
            Self::BadRecord => f.write_str("record failed to authenticate"),
            Self::UnexpectedFrame { got } => write!(f, "unexpected {got:?} frame"),
            Self::PeerReset(r) => write!(f, "peer reset the session ({r:?})"),
            Self::HandshakeTimeout => f.write_str("handshake deadline passed"),
            Self::UntrustedServer => f.write_str("server identity key not trusted"),
            Self::Closed => f.write_str("session closed"),
            Self::CounterExhausted => f.write_str("record counter exhausted"),
            Self::ResetLimit => f.write_str("no re-handshakes left"),
            Self::Entropy => f.write_str("the system random number generator failed"),
            Self::InvalidKey => f.write_str("invalid key"),
            Self::ApiMisuse(m) => write!(f, "API misuse: {m}"),
            Self::BufferTooSmall { needed } => write!(f, "buffer too small: {needed} bytes needed"),
        }
    }
}

impl fmt::Display for ApiMisuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HandshakeNotDone => "the handshake has not completed",
            Self::HandshakeStarted => "the handshake has already started",
            Self::NotAwaitingTrust => "the handshake is not waiting for a trust decision",
            Self::BufferedData => "buffered data must be drained first",
            Self::NotFailed => "the connection has not failed",
        })
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            Self::Handshake(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match e {
            Error::UntrustedServer => ErrorKind::PermissionDenied,
            Error::Handshake(ossuary_handshake::Error::UnauthorizedClient) => {
                ErrorKind::PermissionDenied
            }
            Error::HandshakeTimeout => ErrorKind::TimedOut,
            Error::PeerReset(_) => ErrorKind::ConnectionReset,
            Error::Closed => ErrorKind::BrokenPipe,
            Error::ApiMisuse(_) | Error::BufferTooSmall { .. } | Error::InvalidKey => {
                ErrorKind::InvalidInput
            }
            _ => ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}
