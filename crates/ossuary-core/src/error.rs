//! The session-level error type, and the one table that turns an error into
//! the RESET reason the peer is told (PROTOCOL.md §10.1, §10.2).

use core::fmt;

use ossuary_crypto::PublicKey;
use ossuary_handshake::Error as HandshakeError;
use ossuary_wire::{DecodeError, FrameType, ResetReason};

/// Everything that can go wrong with a [`Connection`](crate::Connection).
///
/// Each failure has one spelling: a malformed frame is [`Error::Decode`]
/// and a frame in the wrong place is [`Error::UnexpectedFrame`], whether the
/// handshake or the record layer found it; [`Error::Handshake`] holds only
/// what is particular to the handshake (a bad signature, an unauthorized
/// client, a failing signer).
///
/// Errors caused by the peer or the network are final and sticky: every
/// later call returns the same error until [`Connection::reset`] starts a
/// new handshake (a bounded number of times). A call that made progress
/// before failing reports that progress first (`Ok`), and the next call,
/// made with the rest of the input or none, returns the error: keep calling
/// while calls make progress, and read the transport only when one makes
/// none. [`Error::ApiMisuse`], [`Error::BufferTooSmall`] and
/// [`Error::Closed`] (sending after this side's CLOSE) report a caller
/// mistake and change nothing.
///
/// [`Connection::reset`]: crate::Connection::reset
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The peer sent bytes that are not a valid frame or message.
    Decode(DecodeError),
    /// A well-formed frame arrived where it is not allowed.
    UnexpectedFrame {
        /// The frame types the connection accepted at that point.
        expected: &'static [FrameType],
        /// The frame type that arrived.
        got: FrameType,
    },
    /// The handshake failed for a reason particular to it: see
    /// [`HandshakeError`] (never its `Decode`, `UnexpectedFrame`,
    /// `UntrustedServer`, `BufferTooSmall` or `Rng`, which are spelled
    /// as this enum's own variants).
    Handshake(HandshakeError),
    /// A record failed to authenticate: altered, replayed, reordered,
    /// dropped or forged. Deliberately carries no detail.
    BadRecord,
    /// The peer abandoned the session with a RESET.
    PeerReset {
        /// The reason the peer gave (diagnostic only).
        reason: ResetReason,
        /// Whether the RESET was sealed under the peer's traffic key. A
        /// plaintext RESET (during the handshake, or in the client's
        /// server-unconfirmed window) can be forged by anyone on the path.
        authenticated: bool,
    },
    /// The handshake did not finish within the configured deadline.
    HandshakeTimeout {
        /// Whether any byte had come from the peer. A peer that never
        /// answers may not be an Ossuary endpoint at all (a wrong port?).
        heard_from_peer: bool,
    },
    /// The server proved an identity key this client does not trust: none
    /// was pinned and Trust-On-First-Use is off, or the application
    /// rejected it ([`Connection::reject_server`](crate::Connection::reject_server)).
    UntrustedServer {
        /// The key the server proved.
        key: PublicKey,
    },
    /// The server proved a key other than the one this client expects for
    /// it: pinned with `add_authorized_key`, or proven by the first
    /// handshake of this connection. Never paused for approval.
    ServerKeyChanged {
        /// The key the client expected (the first one pinned).
        expected: PublicKey,
        /// The key the server proved.
        got: PublicKey,
    },
    /// A re-handshake authenticated a different client than the first
    /// handshake of this connection (anonymous counts as an identity).
    /// Allowed only with `Config::allow_identity_change_on_reset`.
    ClientIdentityChanged {
        /// The client identity of the first handshake.
        first: Option<PublicKey>,
        /// The client identity of this one.
        now: Option<PublicKey>,
    },
    /// The transport ended without the peer's authenticated CLOSE: data may
    /// be missing (reported by [`Connection::end_of_input`](crate::Connection::end_of_input)).
    Truncated,
    /// The session was closed: by [`Connection::close`](crate::Connection::close)
    /// for sending, or by the peer's authenticated CLOSE for receiving.
    Closed,
    /// The record counter would wrap; the key was used for 2^64 - 1 records.
    CounterExhausted,
    /// No re-handshakes are left (`Config::max_resets`).
    ResetLimit,
    /// The random number generator failed.
    Entropy,
    /// Key bytes given by the caller are not a valid key.
    InvalidKey,
    /// A cryptographic operation failed in a way none of the variants above
    /// describes; the kind is kept.
    Crypto(ossuary_crypto::Error),
    /// An earlier call was interrupted midway (it panicked, which is a bug);
    /// the connection cannot be used.
    Poisoned,
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
    /// The identity can only change before the peer's first byte arrives.
    HandshakeStarted,
    /// The handshake is not paused on an untrusted server key.
    NotAwaitingTrust,
    /// Buffered output or input must be drained before the in-place API is used.
    BufferedData,
    /// `reset` was called on a connection that has not failed.
    NotFailed,
    /// The in-place API was given a buffer that is not exactly one whole
    /// frame (shorter, or longer than its length field says).
    NotOneFrame,
    /// An open server accepts any client: it has no authorized keys.
    NotAuthenticatingServer,
}

/// The frame types an established session accepts.
pub(crate) const RECORD_FRAMES: &[FrameType] = &[
    FrameType::DATA,
    FrameType::KEY_UPDATE,
    FrameType::CLOSE,
    FrameType::RESET,
];

impl Error {
    /// Whether this error leaves the connection unchanged (a caller mistake).
    pub(crate) fn is_caller_error(&self) -> bool {
        matches!(
            self,
            Self::ApiMisuse(_) | Self::BufferTooSmall { .. } | Self::Closed
        )
    }

    /// The RESET reason that reports this error to the peer, met while
    /// `established` (records flowing) or during the handshake: the one
    /// table (PROTOCOL.md §10.1, §11.4).
    pub(crate) fn reset_reason(&self, established: bool) -> ResetReason {
        match self {
            Self::Decode(DecodeError::UnsupportedVersion(_)) => ResetReason::UNSUPPORTED_VERSION,
            Self::Decode(_) => ResetReason::DECODE_ERROR,
            // A known frame in the wrong place: a record failure once records
            // flow (a frame after the peer's CLOSE included), a handshake
            // failure before (PROTOCOL.md §11.4).
            Self::UnexpectedFrame { got, .. } if got.is_known() => {
                if established {
                    ResetReason::RECORD_FAILURE
                } else {
                    ResetReason::HANDSHAKE_FAILURE
                }
            }
            Self::UnexpectedFrame { .. } => ResetReason::DECODE_ERROR,
            Self::Handshake(HandshakeError::PeerMisbehaved(_)) => ResetReason::HANDSHAKE_FAILURE,
            Self::Handshake(
                HandshakeError::ClientIdentityRequired | HandshakeError::UnauthorizedClient(_),
            )
            | Self::ClientIdentityChanged { .. } => ResetReason::CLIENT_NOT_AUTHORIZED,
            Self::BadRecord | Self::CounterExhausted => ResetReason::RECORD_FAILURE,
            Self::HandshakeTimeout { .. } => ResetReason::HANDSHAKE_TIMEOUT,
            Self::UntrustedServer { .. } | Self::ServerKeyChanged { .. } => {
                ResetReason::SERVER_NOT_TRUSTED
            }
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

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        match e {
            HandshakeError::Decode(d) => Self::from(d),
            HandshakeError::UnexpectedFrame { expected, got } => {
                Self::UnexpectedFrame { expected, got }
            }
            HandshakeError::BufferTooSmall { needed } => Self::BufferTooSmall { needed },
            HandshakeError::Rng => Self::Entropy,
            particular => Self::Handshake(particular),
        }
    }
}

impl From<ossuary_crypto::Error> for Error {
    fn from(e: ossuary_crypto::Error) -> Self {
        use ossuary_crypto::Error as Crypto;
        match e {
            Crypto::Decrypt => Self::BadRecord,
            Crypto::CounterExhausted => Self::CounterExhausted,
            Crypto::BufferTooSmall { needed } => Self::BufferTooSmall { needed },
            Crypto::InvalidPublicKey | Crypto::InvalidSecretKey => Self::InvalidKey,
            Crypto::Rng => Self::Entropy,
            other => Self::Crypto(other),
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
            Self::UnexpectedFrame { got, .. } if !got.is_known() => write!(
                f,
                "unknown frame type {:#04x}: the peer may not be an Ossuary endpoint",
                got.0
            ),
            Self::UnexpectedFrame { expected, got } => {
                write!(f, "unexpected {got:?} frame, expected one of {expected:?}")
            }
            Self::Handshake(e) => write!(f, "handshake failed: {e}"),
            Self::BadRecord => f.write_str("record failed to authenticate"),
            Self::PeerReset {
                reason,
                authenticated,
            } => {
                let how = if *authenticated {
                    "authenticated"
                } else {
                    "unauthenticated"
                };
                write!(f, "peer reset the session ({reason:?}, {how})")?;
                if *reason == ResetReason::HANDSHAKE_TIMEOUT {
                    f.write_str(
                        ": its handshake deadline passed (a trust decision that takes longer \
                         than the peer's deadline ends the handshake this way)",
                    )?;
                }
                Ok(())
            }
            Self::HandshakeTimeout {
                heard_from_peer: true,
            } => f.write_str("handshake deadline passed"),
            Self::HandshakeTimeout {
                heard_from_peer: false,
            } => f.write_str(
                "handshake deadline passed with no reply from the peer: \
                 it may not be an Ossuary endpoint (wrong address or port?)",
            ),
            Self::UntrustedServer { key } => write!(
                f,
                "server key {} is not trusted (not pinned, and trust on first use is off \
                 or the application refused it)",
                fingerprint(key)
            ),
            Self::ServerKeyChanged { expected, got } => write!(
                f,
                "SERVER KEY CHANGED: expected {}, the server proved {}; refusing \
                 (someone may be intercepting the connection, or the server's key was replaced)",
                fingerprint(expected),
                fingerprint(got)
            ),
            Self::ClientIdentityChanged { first, now } => write!(
                f,
                "a re-handshake authenticated another client ({} instead of {})",
                describe(*now),
                describe(*first)
            ),
            Self::Truncated => f.write_str(
                "the transport ended without the peer's authenticated close: data may be missing",
            ),
            Self::Closed => f.write_str("session closed"),
            Self::CounterExhausted => f.write_str("record counter exhausted"),
            Self::ResetLimit => f.write_str("no re-handshakes left"),
            Self::Entropy => f.write_str("the random number generator failed"),
            Self::InvalidKey => f.write_str("invalid key"),
            Self::Crypto(e) => write!(f, "cryptographic failure: {e}"),
            Self::Poisoned => {
                f.write_str("an earlier call was interrupted; the connection is unusable")
            }
            Self::ApiMisuse(m) => write!(f, "API misuse: {m}"),
            Self::BufferTooSmall { needed } => write!(f, "buffer too small: {needed} bytes needed"),
        }
    }
}

/// A key's fingerprint as users know it from OpenSSH (`SHA256:` and
/// unpadded base64).
fn fingerprint(key: &PublicKey) -> impl fmt::Display {
    ossuary_keys::Fingerprint::of(key)
}

/// A client identity for messages: its fingerprint, or "an anonymous client".
fn describe(identity: Option<PublicKey>) -> impl fmt::Display {
    struct Described(Option<PublicKey>);
    impl fmt::Display for Described {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match &self.0 {
                Some(key) => write!(f, "{}", fingerprint(key)),
                None => f.write_str("an anonymous client"),
            }
        }
    }
    Described(identity)
}

impl fmt::Display for ApiMisuse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::HandshakeNotDone => "the handshake has not completed",
            Self::HandshakeStarted => "the handshake has already started",
            Self::NotAwaitingTrust => "the handshake is not waiting for a trust decision",
            Self::BufferedData => "buffered data must be drained first",
            Self::NotFailed => "the connection has not failed",
            Self::NotOneFrame => "the buffer must hold exactly one whole frame",
            Self::NotAuthenticatingServer => "an open server has no authorized keys",
        })
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            Self::Handshake(e) => Some(e),
            Self::Crypto(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match e {
            Error::UntrustedServer { .. }
            | Error::ServerKeyChanged { .. }
            | Error::ClientIdentityChanged { .. }
            | Error::Handshake(
                HandshakeError::UnauthorizedClient(_) | HandshakeError::ClientIdentityRequired,
            ) => ErrorKind::PermissionDenied,
            Error::HandshakeTimeout { .. } => ErrorKind::TimedOut,
            Error::PeerReset { .. } => ErrorKind::ConnectionReset,
            Error::Truncated => ErrorKind::UnexpectedEof,
            Error::Closed => ErrorKind::BrokenPipe,
            Error::ApiMisuse(_) | Error::BufferTooSmall { .. } | Error::InvalidKey => {
                ErrorKind::InvalidInput
            }
            _ => ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

#[cfg(test)]
mod tests {
    use ossuary_handshake::PeerMisbehaved;

    use super::*;

    /// Lower errors that have a spelling of their own here never arrive
    /// wrapped: one spelling per failure.
    #[test]
    fn lower_errors_have_one_spelling() {
        let decode = DecodeError::Truncated { context: "test" };
        assert_eq!(
            Error::from(HandshakeError::Decode(decode)),
            Error::Decode(decode)
        );
        let got = FrameType::DATA;
        let expected: &'static [FrameType] = &[FrameType::SERVER_HELLO];
        assert_eq!(
            Error::from(HandshakeError::UnexpectedFrame { expected, got }),
            Error::UnexpectedFrame { expected, got }
        );
        assert_eq!(
            Error::from(HandshakeError::BufferTooSmall { needed: 9 }),
            Error::BufferTooSmall { needed: 9 }
        );
        assert_eq!(Error::from(HandshakeError::Rng), Error::Entropy);
        assert_eq!(
            Error::from(DecodeError::BufferTooSmall { needed: 4 }),
            Error::BufferTooSmall { needed: 4 }
        );
        let bad = HandshakeError::PeerMisbehaved(PeerMisbehaved::BadServerSignature);
        assert_eq!(Error::from(bad), Error::Handshake(bad));
    }

    /// A crypto error keeps its kind: only a failed open is a bad record.
    #[test]
    fn crypto_errors_keep_their_kind() {
        use ossuary_crypto::Error as Crypto;
        assert_eq!(Error::from(Crypto::Decrypt), Error::BadRecord);
        assert_eq!(
            Error::from(Crypto::CounterExhausted),
            Error::CounterExhausted
        );
        assert_eq!(Error::from(Crypto::Rng), Error::Entropy);
        assert_eq!(
            Error::from(Crypto::MessageTooLong),
            Error::Crypto(Crypto::MessageTooLong)
        );
        assert_eq!(Error::from(Crypto::Signer), Error::Crypto(Crypto::Signer));
    }

    /// A changed server key is reported with both fingerprints, as users
    /// know them from OpenSSH.
    #[test]
    fn a_changed_key_names_both_fingerprints() {
        let expected = crate::generate_keypair().unwrap().1;
        let got = crate::generate_keypair().unwrap().1;
        let text = Error::ServerKeyChanged { expected, got }.to_string();
        for key in [expected, got] {
            let fp = ossuary_keys::Fingerprint::of(&key).to_string();
            assert!(fp.starts_with("SHA256:"), "{fp}");
            assert!(text.contains(&fp), "{text} lacks {fp}");
        }
    }

    /// The reset-reason table (PROTOCOL.md §10.2), row by row.
    #[test]
    fn reset_reasons() {
        let known = FrameType::CLIENT_AUTH;
        let unknown = FrameType(0x7f);
        let hs: &'static [FrameType] = &[FrameType::SERVER_HELLO];
        let key = crate::generate_keypair().unwrap().1;
        let other = crate::generate_keypair().unwrap().1;
        // (error, established, reason)
        let cases = [
            (
                Error::Decode(DecodeError::UnsupportedVersion(9)),
                false,
                ResetReason::UNSUPPORTED_VERSION,
            ),
            (
                Error::Decode(DecodeError::Truncated { context: "x" }),
                true,
                ResetReason::DECODE_ERROR,
            ),
            (
                Error::UnexpectedFrame {
                    expected: RECORD_FRAMES,
                    got: known,
                },
                true,
                ResetReason::RECORD_FAILURE,
            ),
            // After the peer's CLOSE nothing is expected: still a record failure.
            (
                Error::UnexpectedFrame {
                    expected: &[],
                    got: FrameType::DATA,
                },
                true,
                ResetReason::RECORD_FAILURE,
            ),
            (
                Error::UnexpectedFrame {
                    expected: hs,
                    got: known,
                },
                false,
                ResetReason::HANDSHAKE_FAILURE,
            ),
            // The TOFU pause expects nothing: a handshake failure.
            (
                Error::UnexpectedFrame {
                    expected: &[],
                    got: FrameType::SERVER_HELLO,
                },
                false,
                ResetReason::HANDSHAKE_FAILURE,
            ),
            (
                Error::UnexpectedFrame {
                    expected: RECORD_FRAMES,
                    got: unknown,
                },
                true,
                ResetReason::DECODE_ERROR,
            ),
            (
                Error::UnexpectedFrame {
                    expected: hs,
                    got: unknown,
                },
                false,
                ResetReason::DECODE_ERROR,
            ),
            (
                Error::Handshake(HandshakeError::PeerMisbehaved(
                    PeerMisbehaved::HandshakeDecryptFailed,
                )),
                false,
                ResetReason::HANDSHAKE_FAILURE,
            ),
            (
                Error::Handshake(HandshakeError::UnauthorizedClient(None)),
                false,
                ResetReason::CLIENT_NOT_AUTHORIZED,
            ),
            (
                Error::Handshake(HandshakeError::ClientIdentityRequired),
                false,
                ResetReason::CLIENT_NOT_AUTHORIZED,
            ),
            (Error::BadRecord, true, ResetReason::RECORD_FAILURE),
            (Error::CounterExhausted, true, ResetReason::RECORD_FAILURE),
            (
                Error::HandshakeTimeout {
                    heard_from_peer: true,
                },
                false,
                ResetReason::HANDSHAKE_TIMEOUT,
            ),
            (
                Error::UntrustedServer { key },
                false,
                ResetReason::SERVER_NOT_TRUSTED,
            ),
            (
                Error::ServerKeyChanged {
                    expected: key,
                    got: other,
                },
                false,
                ResetReason::SERVER_NOT_TRUSTED,
            ),
            (
                Error::ClientIdentityChanged {
                    first: None,
                    now: Some(key),
                },
                false,
                ResetReason::CLIENT_NOT_AUTHORIZED,
            ),
            (Error::Entropy, false, ResetReason::UNSPECIFIED),
            (
                Error::Handshake(HandshakeError::Signer),
                false,
                ResetReason::UNSPECIFIED,
            ),
        ];
        for (error, established, reason) in cases {
            assert_eq!(error.reset_reason(established), reason, "{error:?}");
        }
    }
}
