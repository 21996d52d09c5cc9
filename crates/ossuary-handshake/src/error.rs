//! The handshake's error type.

use core::fmt;

use ossuary_wire::{DecodeError, FrameType, ResetReason};

/// Why a handshake failed. Every error is final: the state that returned it
/// was consumed, and a new handshake must start from the beginning.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A frame or message did not parse.
    Decode(DecodeError),
    /// A well-formed frame arrived in a state that does not accept it.
    UnexpectedFrame {
        /// The frame types this state accepts.
        expected: &'static [FrameType],
        /// The frame type that arrived.
        got: FrameType,
    },
    /// The peer sent something cryptographically wrong.
    PeerMisbehaved(PeerMisbehaved),
    /// The server requires client authentication and this client has no identity.
    ClientIdentityRequired,
    /// The client was anonymous, or its key is not on the server's authorized list.
    UnauthorizedClient,
    /// The application refused the server's identity key.
    UntrustedServer,
    /// The local signer failed to produce a signature.
    Signer,
    /// The random number generator failed; nothing was sent.
    Rng,
    /// The output buffer cannot hold the message; nothing was written.
    BufferTooSmall {
        /// Bytes the message needs.
        needed: usize,
    },
}

/// Cryptographic misbehaviour by the peer (or by an attacker in the middle).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerMisbehaved {
    /// The sealed part of a handshake message failed to authenticate.
    HandshakeDecryptFailed,
    /// The peer's ephemeral key gave an all-zero X25519 output (low-order point).
    NonContributoryKeyShare,
    /// The peer's identity key is not a valid, non-weak Ed25519 point.
    InvalidIdentityKey,
    /// The server's transcript signature did not verify (strictly).
    BadServerSignature,
    /// The client's transcript signature did not verify (strictly).
    BadClientSignature,
}

impl Error {
    /// The RESET reason code that reports this error to the peer (PROTOCOL.md §10).
    #[must_use]
    pub fn reset_reason(&self) -> ResetReason {
        match self {
            Self::Decode(DecodeError::UnsupportedVersion(_)) => ResetReason::UNSUPPORTED_VERSION,
            // A finished handshake expects records: there, a stray known
            // frame is a record failure (PROTOCOL.md §11.4).
            Self::UnexpectedFrame { expected, got }
                if got.is_known() && expected.contains(&FrameType::DATA) =>
            {
                ResetReason::RECORD_FAILURE
            }
            Self::UnexpectedFrame { got, .. } if got.is_known() => ResetReason::HANDSHAKE_FAILURE,
            Self::Decode(_) | Self::UnexpectedFrame { .. } => ResetReason::DECODE_ERROR,
            Self::PeerMisbehaved(_) => ResetReason::HANDSHAKE_FAILURE,
            Self::ClientIdentityRequired | Self::UnauthorizedClient => {
                ResetReason::CLIENT_NOT_AUTHORIZED
            }
            Self::UntrustedServer => ResetReason::SERVER_NOT_TRUSTED,
            Self::Signer | Self::Rng | Self::BufferTooSmall { .. } => ResetReason::UNSPECIFIED,
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

impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Self::PeerMisbehaved(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "malformed handshake message: {e}"),
            Self::UnexpectedFrame { expected, got } => {
                write!(f, "unexpected {got:?} frame, expected one of {expected:?}")
            }
            Self::PeerMisbehaved(e) => write!(f, "peer misbehaved: {e}"),
            Self::ClientIdentityRequired => {
                f.write_str("the server requires client authentication and no identity is set")
            }
            Self::UnauthorizedClient => f.write_str("client is not authorized"),
            Self::UntrustedServer => f.write_str("server identity key was not trusted"),
            Self::Signer => f.write_str("the identity signer failed"),
            Self::Rng => f.write_str("the random number generator failed"),
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
        }
    }
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HandshakeDecryptFailed => "handshake message failed to authenticate",
            Self::NonContributoryKeyShare => "ephemeral key share is a low-order point",
            Self::InvalidIdentityKey => "identity key is not a valid Ed25519 key",
            Self::BadServerSignature => "server signature does not verify",
            Self::BadClientSignature => "client signature does not verify",
        })
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            Self::PeerMisbehaved(e) => Some(e),
            _ => None,
        }
    }
}

impl core::error::Error for PeerMisbehaved {}
