//! The integers C sees: connection types, status codes, and the one table
//! that turns an [`ossuary_core::Error`] into a code (STYLE rule 6: only this
//! crate turns errors into integers).

use ossuary_core::{ApiMisuse as Misuse, CryptoError, Error, HandshakeError, keys};
use safer_ffi::prelude::*;

/// The role of a connection, as `ossuary_create_connection` takes it. The
/// values are the original libossuary's. Functions take it as a plain
/// integer and refuse any other value.
#[ffi_export]
#[derive_ReprC]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OssuaryConnType {
    /// A client: starts the handshake and authenticates the server.
    Client = 0,
    /// A server that accepts only clients whose keys were added with
    /// `ossuary_add_authorized_key(s)`.
    AuthenticatedServer = 1,
    /// A server that accepts anonymous clients and any client identity.
    UnauthenticatedServer = 2,
}

impl OssuaryConnType {
    /// The connection type with this value, if there is one.
    pub(crate) fn from_int(value: i32) -> Option<Self> {
        match value {
            0 => Some(Self::Client),
            1 => Some(Self::AuthenticatedServer),
            2 => Some(Self::UnauthenticatedServer),
            _ => None,
        }
    }
}

/// Status codes. Every function that returns `int32_t` returns one of these
/// when it fails; success is `OSSUARY_ERR_OK` (0) or a non-negative count. The
/// values are stable: the original libossuary's three keep their values and
/// new codes are only ever added. `ossuary_error_string` describes each.
#[ffi_export]
#[derive_ReprC]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OssuaryErr {
    /// Success (functions of the better-typed API).
    Ok = 0,
    /// An error none of the other codes describes (the original catch-all).
    Other = -1,
    /// A required pointer argument was NULL.
    NullArgument = -2,
    /// An argument is out of range: an unknown connection type, a length
    /// larger than the address space.
    InvalidArgument = -3,
    /// The library panicked (a bug); the connection may be unusable
    /// (`OSSUARY_ERR_POISONED` from then on). The process was not aborted.
    Panic = -4,
    /// A caller's buffer is too small; nothing changed.
    BufferTooSmall = -5,
    /// The connection has no such key: no remote key (the server has not
    /// proven its key yet, the client is anonymous), or no identity of its
    /// own (an anonymous client).
    NoKey = -6,
    /// No progress without more input (a partial frame was taken), or more
    /// output is waiting than fitted the buffer. Not a failure: the length
    /// arguments say what was consumed or written.
    Wouldblock = -64,
    /// The handshake is paused: the server proved a key this client does not
    /// know. Read it with `ossuary_remote_public_key`; accept it with
    /// `ossuary_add_authorized_key` or `ossuary_conn_trust_server`, refuse it
    /// with `ossuary_conn_reject_server`. After a refusal, the final error.
    UntrustedServer = -65,
    /// The peer sent bytes that are not a valid frame or message.
    Decode = -66,
    /// A well-formed frame arrived where it is not allowed (or the peer is
    /// not an Ossuary endpoint).
    UnexpectedFrame = -67,
    /// The handshake failed: the peer's signature or key share is bad, or
    /// the peer broke the protocol.
    Handshake = -68,
    /// The server refused this client (anonymous, or its key is not
    /// authorized), or, on a server, the client was refused.
    UnauthorizedClient = -69,
    /// A record failed to authenticate: altered, replayed, reordered,
    /// dropped or forged.
    BadRecord = -70,
    /// The peer abandoned the session with a RESET.
    PeerReset = -71,
    /// The handshake did not finish within its deadline.
    HandshakeTimeout = -72,
    /// The server proved a key other than the one pinned for it.
    ServerKeyChanged = -73,
    /// A re-handshake authenticated a different client.
    ClientIdentityChanged = -74,
    /// The transport ended without the peer's authenticated close: data may
    /// be missing.
    Truncated = -75,
    /// The session was closed: by this side for sending, by the peer's
    /// authenticated close for receiving.
    Closed = -76,
    /// The record counter of a key would wrap.
    CounterExhausted = -77,
    /// No re-handshakes are left.
    ResetLimit = -78,
    /// The operating system's random number generator failed.
    Entropy = -79,
    /// Key bytes given by the caller are not a valid key.
    InvalidKey = -80,
    /// A cryptographic operation failed in another way.
    Crypto = -81,
    /// An earlier call was interrupted by a panic; the connection cannot be
    /// used.
    Poisoned = -82,
    /// Records cannot flow before the handshake is done.
    HandshakeNotDone = -83,
    /// The identity can only change before the peer's first byte.
    HandshakeStarted = -84,
    /// The handshake is not paused on an untrusted server key.
    NotAwaitingTrust = -85,
    /// Buffered data must be drained before this call.
    BufferedData = -86,
    /// The connection has not failed.
    NotFailed = -87,
    /// A buffer is not exactly one whole frame.
    NotOneFrame = -88,
    /// The call needs an authenticating server or a client (an
    /// unauthenticated server has no authorized keys).
    NotAuthenticatingServer = -89,
    /// The call is not valid in the connection's current state (a reason
    /// none of the codes above names).
    ApiMisuse = -90,
    /// Key text (a public key, authorized-keys or known-hosts text, a key
    /// file's contents, a host name) is not in the expected form.
    KeyParse = -91,
    /// A secret key file can be read, written or run by its group or by
    /// others; it was not read (make it `chmod 600`).
    KeyPermissions = -92,
    /// A key file to be created already exists; nothing was written.
    KeyExists = -93,
    /// Reading or writing a key file failed (missing, no permission to
    /// open, disk full).
    KeyIo = -94,
    /// This side's identity could not sign: the signer callback
    /// (`ossuary_conn_new_client_with_signer` and the like) returned
    /// non-zero, or a signature that does not verify under the public key
    /// it was given. The signature was not sent; the peer gets a RESET.
    Signer = -95,
}

/// Every code, for `ossuary_error_string` and the tests.
pub(crate) const ALL: &[OssuaryErr] = {
    use OssuaryErr::*;
    &[
        Ok,
        Other,
        NullArgument,
        InvalidArgument,
        Panic,
        BufferTooSmall,
        NoKey,
        Wouldblock,
        UntrustedServer,
        Decode,
        UnexpectedFrame,
        Handshake,
        UnauthorizedClient,
        BadRecord,
        PeerReset,
        HandshakeTimeout,
        ServerKeyChanged,
        ClientIdentityChanged,
        Truncated,
        Closed,
        CounterExhausted,
        ResetLimit,
        Entropy,
        InvalidKey,
        Crypto,
        Poisoned,
        HandshakeNotDone,
        HandshakeStarted,
        NotAwaitingTrust,
        BufferedData,
        NotFailed,
        NotOneFrame,
        NotAuthenticatingServer,
        ApiMisuse,
        KeyParse,
        KeyPermissions,
        KeyExists,
        KeyIo,
        Signer,
    ]
};

impl OssuaryErr {
    /// The integer C sees.
    pub(crate) fn code(self) -> i32 {
        self as i32
    }

    /// The code with this value, if there is one.
    pub(crate) fn from_code(code: i32) -> Option<Self> {
        ALL.iter().copied().find(|s| s.code() == code)
    }

    /// A short description: static, NUL-terminated.
    pub(crate) fn description(self) -> char_p::Ref<'static> {
        use OssuaryErr::*;
        match self {
            Ok => c!("success"),
            Other => c!("error"),
            NullArgument => c!("a required pointer argument was NULL"),
            InvalidArgument => c!("an argument is out of range"),
            Panic => c!("internal error: the library panicked (a bug)"),
            BufferTooSmall => c!("buffer too small"),
            NoKey => c!("no such key"),
            Wouldblock => c!("would block: more input needed or more output waiting"),
            UntrustedServer => c!("the server's key is not trusted"),
            Decode => c!("malformed frame"),
            UnexpectedFrame => c!("unexpected frame"),
            Handshake => c!("handshake failed"),
            UnauthorizedClient => c!("client not authorized"),
            BadRecord => c!("record failed to authenticate"),
            PeerReset => c!("peer reset the session"),
            HandshakeTimeout => c!("handshake deadline passed"),
            ServerKeyChanged => c!("SERVER KEY CHANGED: refusing"),
            ClientIdentityChanged => {
                c!("a re-handshake authenticated another client")
            }
            Truncated => {
                c!("the transport ended without the peer's close: data may be missing")
            }
            Closed => c!("session closed"),
            CounterExhausted => c!("record counter exhausted"),
            ResetLimit => c!("no re-handshakes left"),
            Entropy => c!("the random number generator failed"),
            InvalidKey => c!("invalid key"),
            Crypto => c!("cryptographic failure"),
            Poisoned => c!("connection unusable after an internal error"),
            HandshakeNotDone => c!("the handshake is not done"),
            HandshakeStarted => c!("the handshake has started"),
            NotAwaitingTrust => c!("the handshake is not awaiting a trust decision"),
            BufferedData => c!("buffered data must be drained first"),
            NotFailed => c!("the connection has not failed"),
            NotOneFrame => c!("the buffer is not exactly one frame"),
            NotAuthenticatingServer => {
                c!("an unauthenticated server has no authorized keys")
            }
            ApiMisuse => c!("call not valid in the connection's state"),
            KeyParse => c!("key text is not in the expected form"),
            KeyPermissions => {
                c!("secret key file is accessible to others: refusing (chmod 600)")
            }
            KeyExists => c!("key file already exists: nothing written"),
            KeyIo => c!("key file could not be read or written"),
            Signer => c!("the identity signer failed or gave a signature that does not verify"),
        }
    }
}

impl From<Error> for OssuaryErr {
    fn from(e: Error) -> Self {
        use OssuaryErr::*;
        match e {
            Error::Decode(_) => Decode,
            Error::UnexpectedFrame { .. } => UnexpectedFrame,
            Error::Handshake(
                HandshakeError::UnauthorizedClient(_) | HandshakeError::ClientIdentityRequired,
            ) => UnauthorizedClient,
            Error::Handshake(HandshakeError::UntrustedServer) | Error::UntrustedServer { .. } => {
                UntrustedServer
            }
            Error::Handshake(HandshakeError::Signer) | Error::Crypto(CryptoError::Signer) => Signer,
            Error::Handshake(_) => Handshake,
            Error::BadRecord => BadRecord,
            Error::PeerReset { .. } => PeerReset,
            Error::HandshakeTimeout { .. } => HandshakeTimeout,
            Error::ServerKeyChanged { .. } => ServerKeyChanged,
            Error::ClientIdentityChanged { .. } => ClientIdentityChanged,
            Error::Truncated => Truncated,
            Error::Closed => Closed,
            Error::CounterExhausted => CounterExhausted,
            Error::ResetLimit => ResetLimit,
            Error::Entropy => Entropy,
            Error::InvalidKey => InvalidKey,
            Error::Crypto(_) => Crypto,
            Error::Poisoned => Poisoned,
            Error::BufferTooSmall { .. } => BufferTooSmall,
            Error::ApiMisuse(m) => match m {
                Misuse::HandshakeNotDone => HandshakeNotDone,
                Misuse::HandshakeStarted => HandshakeStarted,
                Misuse::NotAwaitingTrust => NotAwaitingTrust,
                Misuse::BufferedData => BufferedData,
                Misuse::NotFailed => NotFailed,
                Misuse::NotOneFrame => NotOneFrame,
                Misuse::NotAuthenticatingServer => NotAuthenticatingServer,
                _ => ApiMisuse,
            },
            _ => Other,
        }
    }
}

impl From<keys::Error> for OssuaryErr {
    fn from(e: keys::Error) -> Self {
        use OssuaryErr::*;
        match e {
            keys::Error::Parse { .. } => KeyParse,
            keys::Error::Permissions { .. } => KeyPermissions,
            keys::Error::AlreadyExists { .. } => KeyExists,
            keys::Error::Io { .. } => KeyIo,
            keys::Error::InvalidComment => InvalidArgument,
            keys::Error::HostKeyChanged { .. } => ServerKeyChanged,
            keys::Error::HostKeyRevoked { .. } | keys::Error::UnknownHost { .. } => UntrustedServer,
            _ => Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn original_codes_keep_their_values() {
        assert_eq!(OssuaryErr::Other.code(), -1);
        assert_eq!(OssuaryErr::Wouldblock.code(), -64);
        assert_eq!(OssuaryErr::UntrustedServer.code(), -65);
        assert_eq!(OssuaryConnType::Client as i32, 0);
        assert_eq!(OssuaryConnType::AuthenticatedServer as i32, 1);
        assert_eq!(OssuaryConnType::UnauthenticatedServer as i32, 2);
    }

    #[test]
    fn codes_are_distinct_negative_and_described() {
        let mut seen = std::collections::BTreeSet::new();
        for s in ALL {
            assert!(s.code() <= 0);
            assert!(seen.insert(s.code()), "{s:?} repeats a value");
            assert_eq!(OssuaryErr::from_code(s.code()), Some(*s));
            assert!(!s.description().to_str().is_empty());
        }
    }

    #[test]
    fn every_core_error_has_its_code() {
        use ossuary_core::{DecodeError, PeerMisbehaved};
        let cases = [
            (
                Error::Handshake(HandshakeError::UnauthorizedClient(None)),
                OssuaryErr::UnauthorizedClient,
            ),
            (
                Error::Handshake(HandshakeError::PeerMisbehaved(
                    PeerMisbehaved::HandshakeDecryptFailed,
                )),
                OssuaryErr::Handshake,
            ),
            (
                Error::Decode(DecodeError::UnsupportedVersion(9)),
                OssuaryErr::Decode,
            ),
            (Error::BadRecord, OssuaryErr::BadRecord),
            (Error::Handshake(HandshakeError::Signer), OssuaryErr::Signer),
            (Error::Crypto(CryptoError::Signer), OssuaryErr::Signer),
            (Error::Closed, OssuaryErr::Closed),
            (
                Error::ApiMisuse(Misuse::HandshakeNotDone),
                OssuaryErr::HandshakeNotDone,
            ),
        ];
        for (e, want) in cases {
            assert_eq!(OssuaryErr::from(e), want, "{e:?}");
        }
    }

    #[test]
    fn every_keys_error_has_its_code() {
        use std::path::PathBuf;
        let path = PathBuf::from("k");
        let cases = [
            (
                keys::Error::Io {
                    path: path.clone(),
                    kind: std::io::ErrorKind::NotFound,
                },
                OssuaryErr::KeyIo,
            ),
            (
                keys::Error::AlreadyExists { path: path.clone() },
                OssuaryErr::KeyExists,
            ),
            (
                keys::Error::Permissions { path, mode: 0o644 },
                OssuaryErr::KeyPermissions,
            ),
            (keys::Error::InvalidComment, OssuaryErr::InvalidArgument),
        ];
        for (e, want) in cases {
            assert_eq!(OssuaryErr::from(e.clone()), want, "{e:?}");
        }
        let parse = keys::PublicKeyLine::parse("not a key").map(|_| ());
        assert_eq!(parse.map_err(OssuaryErr::from), Err(OssuaryErr::KeyParse));
    }
}
