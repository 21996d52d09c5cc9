//! The handshake's error type.

use core::fmt;

use ossuary_crypto::PublicKey;
use ossuary_wire::{DecodeError, FrameType};

/// Why a handshake failed. Every error is final: the state that returned it
/// was consumed, and a new handshake must start from the beginning. Which
/// RESET reason reports an error to the peer is decided in one table, by
/// the session layer (`ossuary-core`), which knows the phase.
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
    /// The client was anonymous (`None`), or its verified key (`Some`) is
    /// not on the server's authorized list.
    UnauthorizedClient(Option<PublicKey>),
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
    /// The client's ML-KEM-768 encapsulation key failed the FIPS 203 modulus
    /// check (a coefficient not reduced modulo q).
    InvalidKemKey,
    /// The peer's identity key is not a valid, non-weak Ed25519 point.
    InvalidIdentityKey,
    /// The server's transcript signature did not verify (strictly).
    BadServerSignature,
    /// The client's transcript signature did not verify (strictly).
    BadClientSignature,
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
            Self::UnauthorizedClient(None) => f.write_str(
                "an anonymous client is not authorized (client authentication required)",
            ),
            Self::UnauthorizedClient(Some(key)) => {
                write!(f, "client key {key} is not authorized")
            }
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
            Self::InvalidKemKey => "ML-KEM encapsulation key fails the modulus check",
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
