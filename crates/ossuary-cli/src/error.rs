//! The command's one error type: each variant knows its exit status and
//! says, in its message, what went wrong, where, and what to do.

use std::fmt;
use std::io;
use std::path::PathBuf;

use ossuary_core::keys::{self, Fingerprint};
use ossuary_core::{HandshakeError, ResetReason};

use crate::exit::Status;

/// Which key file, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// This end's secret key (`--identity`).
    Identity,
    /// A server's authorized-keys file.
    AuthorizedKeys,
    /// A client's known-hosts file.
    KnownHosts,
    /// `--server-key`.
    ServerKey,
    /// The argument of `pubkey` or `fingerprint`.
    Argument,
}

impl fmt::Display for KeyUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Identity => "identity",
            Self::AuthorizedKeys => "authorized keys",
            Self::KnownHosts => "known hosts",
            Self::ServerKey => "--server-key",
            Self::Argument => "key",
        })
    }
}

/// Which end of the handshake we are, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// We connected.
    Client,
    /// We accepted.
    Server,
}

/// Everything that can stop the command.
#[derive(Debug)]
pub(crate) enum Error {
    /// A command line that clap accepted but that does not make sense.
    Usage(String),
    /// A default file is needed but `HOME` is not set.
    NoHome {
        /// The flag that names the file instead.
        flag: &'static str,
    },
    /// A key file cannot be used.
    Key {
        /// Which one.
        what: KeyUse,
        /// Why (its message names the file and line).
        error: keys::Error,
    },
    /// A local file or directory cannot be read or written.
    Local {
        /// The file.
        path: PathBuf,
        /// What we were doing ("read", "create", ...).
        action: &'static str,
        /// Why.
        error: io::Error,
    },
    /// Connecting failed.
    Connect {
        /// Where to.
        addr: String,
        /// Why.
        error: io::Error,
    },
    /// Connecting took longer than `--connect-timeout`.
    ConnectTimeout {
        /// Where to.
        addr: String,
        /// The timeout.
        secs: u64,
    },
    /// Listening failed.
    Listen {
        /// Where.
        addr: String,
        /// Why.
        error: io::Error,
    },
    /// The Ossuary session failed.
    Session {
        /// The peer, as an address.
        peer: String,
        /// Our role.
        side: Side,
        /// Whether the handshake had finished.
        established: bool,
        /// Why.
        error: ossuary_core::Error,
    },
    /// The transport failed under the session (reset by the peer, ...).
    Transport {
        /// The peer.
        peer: String,
        /// Why.
        error: io::Error,
    },
    /// Nothing moved for `--idle-timeout` or `--stall-timeout` seconds.
    Idle {
        /// The peer.
        peer: String,
        /// The timeout.
        secs: u64,
    },
    /// The server's key is unknown and was not approved.
    Untrusted {
        /// The server.
        peer: String,
        /// Its key's fingerprint.
        fingerprint: Fingerprint,
        /// Why it was not approved.
        why: Refusal,
    },
    /// The server proved a key other than the one expected.
    KeyChanged {
        /// The server.
        peer: String,
        /// The fingerprints expected (pinned or recorded).
        expected: Vec<Fingerprint>,
        /// The fingerprint it proved.
        got: Fingerprint,
        /// Where the expected keys came from.
        source: String,
    },
    /// The server proved a key revoked in known_hosts.
    Revoked(keys::Error),
    /// A file transfer failed.
    Transfer(String),
    /// SIGINT or SIGTERM.
    Signal(Status),
    /// Generating a key failed (the system's random number generator).
    Keygen(ossuary_core::Error),
}

/// Why an unknown server key was not approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// stdin is not a terminal and `--trust-first-use` was not given.
    NoTerminal {
        /// The known-hosts file, when the host could be recorded there.
        known_hosts: Option<PathBuf>,
    },
    /// A tunnel never asks, and `--trust-first-use` was not given.
    Tunnel {
        /// The known-hosts file, when the host could be recorded there.
        known_hosts: Option<PathBuf>,
    },
    /// The user answered no.
    Declined,
    /// No answer came before the handshake deadline.
    NoAnswer,
}

impl Error {
    /// The exit status for this error.
    pub(crate) fn status(&self) -> Status {
        match self {
            Self::Usage(_) | Self::NoHome { .. } => Status::Usage,
            Self::Key { error, .. } => key_status(error),
            Self::Local { .. } => Status::Failure,
            Self::Connect { .. } | Self::ConnectTimeout { .. } | Self::Listen { .. } => {
                Status::Unreachable
            }
            Self::Session {
                error, established, ..
            } => session_status(error, *established),
            Self::Transport { .. } | Self::Idle { .. } => Status::Cut,
            Self::Untrusted { .. } => Status::UntrustedServer,
            Self::KeyChanged { .. } | Self::Revoked(_) => Status::ServerKeyChanged,
            Self::Transfer(_) => Status::TransferFailed,
            Self::Signal(status) => *status,
            Self::Keygen(_) => Status::Failure,
        }
    }

    /// A failed operation on a local file.
    pub(crate) fn local(path: impl Into<PathBuf>, action: &'static str, error: io::Error) -> Self {
        Self::Local {
            path: path.into(),
            action,
            error,
        }
    }

    /// A failed handshake.
    pub(crate) fn handshake(peer: &str, side: Side, error: ossuary_tokio::Error) -> Self {
        match error {
            ossuary_tokio::Error::Session(error) => Self::Session {
                peer: peer.to_owned(),
                side,
                established: false,
                error,
            },
            ossuary_tokio::Error::Io(error) => Self::Transport {
                peer: peer.to_owned(),
                error,
            },
            other => Self::Transport {
                peer: peer.to_owned(),
                error: other.into(),
            },
        }
    }

    /// A failed read or write on an established session: the Ossuary
    /// error inside, if there is one, else the transport's.
    pub(crate) fn from_stream(peer: &str, side: Side, error: io::Error) -> Self {
        match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<ossuary_core::Error>())
        {
            Some(e) => Self::Session {
                peer: peer.to_owned(),
                side,
                established: true,
                error: *e,
            },
            None => Self::Transport {
                peer: peer.to_owned(),
                error,
            },
        }
    }
}

/// The status for a key file error.
fn key_status(error: &keys::Error) -> Status {
    match error {
        keys::Error::Permissions { .. } => Status::KeyPermissions,
        keys::Error::AlreadyExists { .. } => Status::Failure,
        keys::Error::InvalidComment => Status::Usage,
        keys::Error::HostKeyChanged { .. } | keys::Error::HostKeyRevoked { .. } => {
            Status::ServerKeyChanged
        }
        keys::Error::UnknownHost { .. } => Status::UntrustedServer,
        _ => Status::KeyFile,
    }
}

/// The status for a session error, during the handshake or after it.
fn session_status(error: &ossuary_core::Error, established: bool) -> Status {
    use ossuary_core::Error as E;
    match error {
        E::UntrustedServer { .. } => Status::UntrustedServer,
        E::ServerKeyChanged { .. } => Status::ServerKeyChanged,
        E::Handshake(HandshakeError::UnauthorizedClient(_))
        | E::Handshake(HandshakeError::ClientIdentityRequired)
        | E::ClientIdentityChanged { .. } => Status::Unauthorized,
        E::PeerReset { reason, .. } if *reason == ResetReason::CLIENT_NOT_AUTHORIZED => {
            Status::Unauthorized
        }
        E::PeerReset { reason, .. } if *reason == ResetReason::SERVER_NOT_TRUSTED => {
            Status::UntrustedServer
        }
        E::HandshakeTimeout {
            heard_from_peer: false,
        } => Status::NotOssuary,
        E::Decode(_) | E::UnexpectedFrame { .. } if !established => Status::NotOssuary,
        _ => Status::Cut,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) => f.write_str(message),
            Self::NoHome { flag } => write!(
                f,
                "HOME is not set, so there is no default ~/.ossuary: give {flag} FILE"
            ),
            Self::Key { what, error } => key_message(f, *what, error),
            Self::Local {
                path,
                action,
                error,
            } => write!(f, "{}: cannot {action}: {error}", path.display()),
            Self::Connect { addr, error } => write!(
                f,
                "cannot connect to {addr}: {error} (is the address right, and the peer running?)"
            ),
            Self::ConnectTimeout { addr, secs } => write!(
                f,
                "cannot connect to {addr}: no answer within {secs} s (--connect-timeout); \
                 check the address and the network"
            ),
            Self::Listen { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            Self::Session {
                peer,
                side,
                established,
                error,
            } => session_message(f, peer, *side, *established, error),
            // A peer that dies with our bytes unread resets the connection
            // instead of ending it: the same event as an end without CLOSE.
            Self::Transport { peer, error }
                if matches!(
                    error.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ) =>
            {
                write!(
                    f,
                    "{peer} vanished without closing the session ({error}): data may be \
                     incomplete"
                )
            }
            Self::Transport { peer, error } => write!(
                f,
                "{peer}: the connection failed: {error}; data may be incomplete"
            ),
            Self::Idle { peer, secs } => write!(
                f,
                "{peer}: nothing moved for {secs} s; gave up (data may be incomplete)"
            ),
            Self::Untrusted {
                peer,
                fingerprint,
                why,
            } => untrusted_message(f, peer, fingerprint, why),
            Self::KeyChanged {
                peer,
                expected,
                got,
                source,
            } => {
                write!(
                    f,
                    "SERVER KEY CHANGED: {peer} proved {got}, but {source} expects "
                )?;
                for (i, fp) in expected.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{fp}")?;
                }
                f.write_str(
                    ". Refusing: someone may be intercepting the connection, or the server's \
                     key was replaced. Find out which; only if the change is expected, update ",
                )?;
                f.write_str(source)
            }
            Self::Revoked(error) => write!(f, "REVOKED SERVER KEY: {error}; refusing"),
            Self::Transfer(message) => write!(f, "transfer failed: {message}"),
            Self::Signal(Status::Terminated) => f.write_str("terminated (SIGTERM)"),
            Self::Signal(_) => f.write_str("interrupted (SIGINT)"),
            Self::Keygen(error) => write!(f, "cannot generate a key: {error}"),
        }
    }
}

impl std::error::Error for Error {}

/// A key file error, with a hint where the keys crate's message cannot know
/// the command (a missing identity).
fn key_message(f: &mut fmt::Formatter<'_>, what: KeyUse, error: &keys::Error) -> fmt::Result {
    match error {
        keys::Error::Io {
            path,
            kind: io::ErrorKind::NotFound,
        } => {
            write!(f, "{what} file {}: not found", path.display())?;
            match what {
                KeyUse::Identity => {
                    write!(f, "; create it with `ossuary keygen -o {}`", path.display())
                }
                KeyUse::AuthorizedKeys => f.write_str(
                    "; it lists one public key line per client (`ossuary pubkey` prints one)",
                ),
                _ => Ok(()),
            }
        }
        keys::Error::Io { path, kind } => {
            write!(f, "{what} file {}: cannot read it: {kind}", path.display())
        }
        other => write!(f, "{what}: {other}"),
    }
}

/// A session error with what it means for the user.
fn session_message(
    f: &mut fmt::Formatter<'_>,
    peer: &str,
    side: Side,
    established: bool,
    error: &ossuary_core::Error,
) -> fmt::Result {
    use ossuary_core::Error as E;
    match (side, error) {
        (_, E::ServerKeyChanged { .. }) => write!(f, "{peer}: {error}"),
        (Side::Server, E::Handshake(HandshakeError::UnauthorizedClient(Some(key)))) => write!(
            f,
            "{peer}: client key {} is not in the authorized keys; refused (to allow it, add its \
             public key line to the authorized-keys file)",
            Fingerprint::of(key)
        ),
        (Side::Server, E::Handshake(HandshakeError::UnauthorizedClient(None))) => write!(
            f,
            "{peer}: an anonymous client was refused (only authorized keys may connect)"
        ),
        (Side::Client, E::Handshake(HandshakeError::ClientIdentityRequired)) => write!(
            f,
            "{peer} accepts only authorized clients, and this client has no identity: create \
             one (`ossuary keygen`), give it with --identity, and have its public key line \
             added to the server's authorized keys"
        ),
        (Side::Client, E::PeerReset { reason, .. })
            if *reason == ResetReason::CLIENT_NOT_AUTHORIZED =>
        {
            write!(
                f,
                "{peer} refused this client: not authorized. Have this client's public key line \
                 (`ossuary pubkey`) added to the server's authorized keys ({error})"
            )
        }
        (Side::Server, E::PeerReset { reason, .. })
            if *reason == ResetReason::CLIENT_NOT_AUTHORIZED =>
        {
            write!(
                f,
                "{peer}: the client has no identity, and only authorized keys may connect; it \
                 gave up ({error})"
            )
        }
        (Side::Server, E::PeerReset { reason, .. })
            if *reason == ResetReason::SERVER_NOT_TRUSTED =>
        {
            write!(
                f,
                "{peer}: the client does not trust this server's key; give it the public key \
                 line (`ossuary pubkey`) or its fingerprint ({error})"
            )
        }
        (
            _,
            E::HandshakeTimeout {
                heard_from_peer: false,
            },
        ) => write!(
            f,
            "{peer} did not answer the handshake in time: it may not be an Ossuary endpoint \
             (wrong address or port?)"
        ),
        (_, E::Decode(_) | E::UnexpectedFrame { .. }) if !established => write!(
            f,
            "{peer} does not speak Ossuary (it sent something else: {error}); check the \
             address and port"
        ),
        (_, E::Truncated) => write!(
            f,
            "{peer} vanished without closing the session: data may be incomplete"
        ),
        _ => write!(f, "{peer}: {error}"),
    }
}

/// Why an unknown server key was refused, and how to trust it.
fn untrusted_message(
    f: &mut fmt::Formatter<'_>,
    peer: &str,
    fingerprint: &Fingerprint,
    why: &Refusal,
) -> fmt::Result {
    write!(
        f,
        "{peer} is not a known server; its key fingerprint is {fingerprint}. "
    )?;
    match why {
        Refusal::Declined => f.write_str("Not trusted, as answered."),
        Refusal::NoAnswer => f.write_str("No answer came before the handshake deadline."),
        Refusal::NoTerminal { known_hosts } | Refusal::Tunnel { known_hosts } => {
            f.write_str(if matches!(why, Refusal::Tunnel { .. }) {
                "A tunnel never asks. "
            } else {
                "stdin is not a terminal, so nobody could be asked. "
            })?;
            f.write_str(
                "If that fingerprint is the server's (compare it with `ossuary fingerprint` \
                 run on the server), run again with --server-key ",
            )?;
            write!(f, "{fingerprint}")?;
            if let Some(file) = known_hosts {
                write!(
                    f,
                    ", or with --trust-first-use to record it in {}",
                    file.display()
                )?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_reset_connection_reads_as_a_peer_that_vanished() {
        for kind in [io::ErrorKind::ConnectionReset, io::ErrorKind::BrokenPipe] {
            let e = Error::Transport {
                peer: "127.0.0.1:9".to_owned(),
                error: io::Error::from(kind),
            };
            let text = e.to_string();
            assert!(
                text.contains("vanished without closing the session")
                    && text.contains("data may be incomplete"),
                "{text}"
            );
            assert_eq!(e.status(), Status::Cut);
        }
    }

    use std::io;
    use std::path::PathBuf;

    use ossuary_core::keys;
    use ossuary_core::{HandshakeError, ResetReason};

    use super::{Error, KeyUse, Side};
    use crate::exit::Status;

    fn session(error: ossuary_core::Error, side: Side, established: bool) -> Error {
        Error::Session {
            peer: "127.0.0.1:7000".into(),
            side,
            established,
            error,
        }
    }

    #[test]
    fn session_errors_map_to_what_the_user_does() {
        use ossuary_core::Error as E;
        let reset = |reason| E::PeerReset {
            reason,
            authenticated: false,
        };
        let cases = [
            (
                E::Handshake(HandshakeError::UnauthorizedClient(None)),
                Status::Unauthorized,
            ),
            (
                reset(ResetReason::CLIENT_NOT_AUTHORIZED),
                Status::Unauthorized,
            ),
            (
                reset(ResetReason::SERVER_NOT_TRUSTED),
                Status::UntrustedServer,
            ),
            (reset(ResetReason::RECORD_FAILURE), Status::Cut),
            (
                E::HandshakeTimeout {
                    heard_from_peer: false,
                },
                Status::NotOssuary,
            ),
            (
                E::HandshakeTimeout {
                    heard_from_peer: true,
                },
                Status::Cut,
            ),
            (E::Truncated, Status::Cut),
            (E::BadRecord, Status::Cut),
        ];
        for (error, status) in cases {
            assert_eq!(
                session(error, Side::Client, false).status(),
                status,
                "{error:?}"
            );
        }
        let decode = E::Decode(ossuary_core::DecodeError::UnsupportedVersion(9));
        assert_eq!(
            session(decode, Side::Client, false).status(),
            Status::NotOssuary
        );
        assert_eq!(session(decode, Side::Client, true).status(), Status::Cut);
    }

    #[test]
    fn stream_errors_keep_the_ossuary_error_inside() {
        let e = Error::from_stream(
            "p",
            Side::Client,
            io::Error::from(ossuary_core::Error::Truncated),
        );
        assert_eq!(e.status(), Status::Cut);
        assert!(e.to_string().contains("vanished without closing"), "{e}");
        let e = Error::from_stream("p", Side::Client, io::ErrorKind::ConnectionReset.into());
        assert!(matches!(e, Error::Transport { .. }));
    }

    #[test]
    fn key_errors_map_to_their_statuses() {
        let perms = keys::Error::Permissions {
            path: PathBuf::from("id"),
            mode: 0o644,
        };
        let e = Error::Key {
            what: KeyUse::Identity,
            error: perms,
        };
        assert_eq!(e.status(), Status::KeyPermissions);
        assert!(e.to_string().contains("chmod 600 id"), "{e}");

        let missing = keys::Error::Io {
            path: PathBuf::from("/k/id"),
            kind: io::ErrorKind::NotFound,
        };
        let e = Error::Key {
            what: KeyUse::Identity,
            error: missing,
        };
        assert_eq!(e.status(), Status::KeyFile);
        assert_eq!(
            e.to_string(),
            "identity file /k/id: not found; create it with `ossuary keygen -o /k/id`"
        );
    }
}
