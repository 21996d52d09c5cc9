//! Where a connection stands: one variant per phase, each holding exactly
//! the data valid in it (PROTOCOL.md §11).
//!
//! ```text
//!            ┌────────── Client / Server ──────────┐   handshake frames; deadline
//!            │ complete                            │ error, timeout
//!            ▼                                     ▼
//!       Established ──────── error ─────────▶   Failed ──reset()──▶ AwaitPeerReset
//!       (records, peer identity,                   │                 │ peer's RESET
//!        close progress)                           └─ peer's RESET ──┴──▶ Client / Server
//! ```

use std::time::Instant;

use ossuary_crypto::PublicKey;
use ossuary_handshake::{ClientState, ServerState};

use crate::error::Error;
use crate::record::RecordLayer;

pub(super) enum State {
    /// The client's handshake: CLIENT_HELLO was queued when it began, at
    /// `deadline - handshake_timeout`. Boxed: its ML-KEM decapsulation key
    /// makes it about 4.5 KB, which every connection, a server's too, would
    /// otherwise carry inline.
    Client {
        handshake: Box<ClientState>,
        deadline: Instant,
    },
    /// The server's handshake.
    Server {
        handshake: ServerState,
        deadline: Instant,
    },
    /// Records flow.
    Established(Session),
    /// After [`Connection::reset`](super::Connection::reset): frames are
    /// skipped until the peer's RESET, then a new handshake starts.
    AwaitPeerReset { deadline: Instant },
    /// Failed; the error is sticky until `reset()`.
    Failed(Failure),
}

/// The peer identity the first handshake of a connection authenticated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FirstPeer {
    /// No handshake has completed yet.
    Unknown,
    /// The first handshake authenticated this peer (`None`: an anonymous
    /// client).
    Known(Option<PublicKey>),
}

/// An established session.
pub(super) struct Session {
    /// Keys, counters and close progress in both directions.
    pub(super) records: RecordLayer,
    /// The peer's verified identity; `None` for an anonymous client.
    pub(super) remote: Option<PublicKey>,
    /// Whether the buffers that carried the handshake are still held: they
    /// are given back once, when the handshake's last bytes are out, so an
    /// idle session holds no buffer memory.
    pub(super) handshake_buffers: bool,
}

/// A failed connection.
pub(super) struct Failure {
    pub(super) error: Error,
    /// The peer's RESET has been seen (it caused the failure, or arrived
    /// after it), so a re-handshake need not wait for one.
    pub(super) peer_reset_seen: bool,
    /// The peer's authenticated CLOSE had arrived before the failure.
    pub(super) peer_closed: bool,
    /// The identity the peer had proven before the failure, if any.
    pub(super) remote: Option<PublicKey>,
}

impl State {
    /// The state left behind while a step owns the real one: if the step
    /// were interrupted (a panic, which is a bug), the connection stays
    /// failed rather than half-updated.
    pub(super) fn interrupted() -> Self {
        Self::Failed(Failure {
            error: Error::Poisoned,
            peer_reset_seen: false,
            peer_closed: false,
            remote: None,
        })
    }

    /// The deadline that is running, if any.
    pub(super) fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Client { deadline, .. }
            | Self::Server { deadline, .. }
            | Self::AwaitPeerReset { deadline } => Some(*deadline),
            Self::Established(_) | Self::Failed(_) => None,
        }
    }

    /// A name for `Debug`.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Client { handshake, .. }
                if matches!(**handshake, ClientState::UntrustedServer(_)) =>
            {
                "awaiting trust decision"
            }
            Self::Client { .. } | Self::Server { .. } => "handshaking",
            Self::Established(_) => "established",
            Self::AwaitPeerReset { .. } => "awaiting peer reset",
            Self::Failed(_) => "failed",
        }
    }
}
