//! [`Connection`]: the filter between the application and the wire.
//!
//! ```text
//!   network bytes ──recv_handshake / recv_data──▶ ┌────────────┐ ──▶ plaintext
//!                                                │ Connection │
//!   network bytes ◀──pending_output / advance─── └────────────┘ ◀── send_data
//! ```
//!
//! This file holds the type and its public API. `state.rs` holds the
//! phases and their data, `pump.rs` the input path (each frame parsed once
//! and dispatched), `send.rs` the output path, `in_place.rs` the zero-copy
//! record API, `reset.rs` failure and re-handshake, `buffers.rs` the byte
//! queues.

use std::time::Instant;

use ossuary_crypto::{PublicKey, Signer};
use ossuary_handshake::{ClientState, ServerState};

use crate::config::{Config, Role};
use crate::error::{ApiMisuse, Error};
use crate::rng::Randomness;

mod buffers;
mod in_place;
mod pump;
mod reset;
mod send;
mod state;

use buffers::{Inbox, Outbox};
use state::{FirstPeer, State};

/// How much of the input was used and how much plaintext was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct Progress {
    /// Bytes taken from the input.
    pub consumed: usize,
    /// Plaintext bytes written to the output.
    pub produced: usize,
}

/// Where the handshake stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeStatus {
    /// Still exchanging messages.
    InProgress,
    /// Paused: the server proved this identity key, which is not trusted.
    /// Call [`Connection::trust_server`] or [`Connection::reject_server`].
    UntrustedServer(PublicKey),
    /// Done: records can flow.
    Done,
}

/// A signer shared by the connection (any [`Signer`] that may move between
/// threads).
type Identity = Box<dyn Signer + Send + Sync>;

/// One end of an Ossuary channel. See the crate docs for a full example.
///
/// Bytes for the network, from the handshake and the records alike, wait in
/// one place: [`Self::pending_output`]; write them to the transport and call
/// [`Self::advance_output`] with how many went out.
pub struct Connection {
    role: Role,
    config: Config,
    identity: Option<Identity>,
    authorized: Vec<PublicKey>,
    rng: Randomness,
    state: State,
    resets_left: u32,
    /// Who the first handshake authenticated: every re-handshake must
    /// authenticate the same peer (unless the configuration allows a change).
    first_peer: FirstPeer,
    inbox: Inbox,
    outbox: Outbox,
}

impl Connection {
    /// An anonymous client. It queues its CLIENT_HELLO at once (take it
    /// with [`Self::pending_output`]), and its handshake deadline starts now.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random number generator fails.
    pub fn client(config: Config) -> Result<Self, Error> {
        Self::build(Role::Client, config, None, Randomness::Os)
    }

    /// A connection for `role` that proves the identity of `signer`: every
    /// server, and a client that authenticates itself. The handshake
    /// deadline starts now. A server that serves many connections loads its
    /// key once and shares it, for instance as an `Arc<SecretKey>` (see
    /// [`Signer`]); a key in an HSM, TPM or secure element only needs to
    /// sign. Generating a key is its own call
    /// ([`generate_keypair`](crate::generate_keypair)), so that a server's
    /// identity never changes by accident.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random number generator fails (a client
    /// draws its first message's randomness here).
    pub fn with_identity(role: Role, config: Config, signer: Identity) -> Result<Self, Error> {
        Self::build(role, config, Some(signer), Randomness::Os)
    }

    pub(crate) fn build(
        role: Role,
        config: Config,
        identity: Option<Identity>,
        rng: Randomness,
    ) -> Result<Self, Error> {
        let mut conn = Self {
            role,
            resets_left: config.max_resets,
            config,
            identity,
            authorized: Vec::new(),
            rng,
            state: State::interrupted(),
            first_peer: FirstPeer::Unknown,
            inbox: Inbox::default(),
            outbox: Outbox::default(),
        };
        conn.state = conn.fresh_state()?;
        Ok(conn)
    }

    /// This connection's role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// Replaces the identity with `signer`. Allowed until the peer's first
    /// byte arrives.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeStarted`] once the peer has sent anything.
    pub fn set_identity(&mut self, signer: Identity) -> Result<(), Error> {
        let waiting = match &self.state {
            State::Client { handshake, .. } => {
                matches!(**handshake, ClientState::ExpectServerHello(_))
            }
            State::Server { handshake, .. } => {
                matches!(handshake, ServerState::ExpectClientHello(_))
            }
            _ => false,
        };
        if !waiting || self.heard_from_peer() {
            return Err(ApiMisuse::HandshakeStarted.into());
        }
        self.identity = Some(signer);
        Ok(())
    }

    /// Adds a key this side accepts. For a client, a pinned server key: a
    /// server that proves another key is refused with
    /// [`Error::ServerKeyChanged`] (naming both). For an authenticating
    /// server, an authorized client key. Parse keys once (`PublicKey::try_from`,
    /// or the text forms of [`keys`](crate::keys)) and add them to every
    /// connection.
    ///
    /// # Errors
    /// [`ApiMisuse::NotAuthenticatingServer`] for an open server, which
    /// accepts any client and so has no use for the key.
    pub fn add_authorized_key(&mut self, key: PublicKey) -> Result<(), Error> {
        if self.role == Role::OpenServer {
            return Err(ApiMisuse::NotAuthenticatingServer.into());
        }
        if !self.authorized.contains(&key) {
            self.authorized.push(key);
        }
        Ok(())
    }

    /// Tells the connection that the transport has ended (a read returned 0
    /// bytes). Returns `Ok` only after the peer's authenticated CLOSE: any
    /// other end is a truncation, data may be missing, and the connection
    /// fails with [`Error::Truncated`].
    ///
    /// # Errors
    /// [`Error::Truncated`] unless the peer closed cleanly; the sticky
    /// error if the connection had failed already.
    pub fn end_of_input(&mut self) -> Result<(), Error> {
        if self.peer_closed() && self.inbox.is_empty() {
            return Ok(());
        }
        self.guard(|_| Err(Error::Truncated))
    }

    /// The peer's verified identity key: the server's once it is proven
    /// (including while paused for trust), the client's when it sent one.
    /// After a failure it names the peer that was refused, when the refusal
    /// was about its key (an unauthorized client, an untrusted or changed
    /// server key, another client on a re-handshake).
    #[must_use]
    pub fn remote_public_key(&self) -> Option<&PublicKey> {
        match &self.state {
            State::Client { handshake, .. } => match &**handshake {
                ClientState::UntrustedServer(auth) => Some(auth.server_key()),
                _ => None,
            },
            State::Established(session) => session.remote.as_ref(),
            State::Failed(failure) => failure.remote.as_ref(),
            _ => None,
        }
    }

    /// This side's identity key, if it has one.
    #[must_use]
    pub fn local_public_key(&self) -> Option<PublicKey> {
        self.identity.as_ref().map(|s| s.public_key())
    }

    /// Where the handshake stands. Changes nothing: the deadline is checked
    /// by the calls that take input.
    ///
    /// # Errors
    /// The connection's sticky error, if it failed.
    pub fn handshake_status(&self) -> Result<HandshakeStatus, Error> {
        Ok(match &self.state {
            State::Failed(failure) => return Err(failure.error),
            State::Established(_) => HandshakeStatus::Done,
            State::Client { handshake, .. } => match &**handshake {
                ClientState::UntrustedServer(auth) => {
                    HandshakeStatus::UntrustedServer(*auth.server_key())
                }
                _ => HandshakeStatus::InProgress,
            },
            _ => HandshakeStatus::InProgress,
        })
    }

    /// When the running handshake (or the wait for the peer's RESET after
    /// [`Self::reset`]) times out, if one is running. A transport adapter
    /// waits for input no longer than this, then calls
    /// [`Self::recv_handshake`] so the deadline fires.
    #[must_use]
    pub fn handshake_deadline(&self) -> Option<Instant> {
        self.state.deadline()
    }

    /// Whether the peer closed the session cleanly (authenticated CLOSE),
    /// also after a later failure, until [`Self::reset`].
    #[must_use]
    pub fn peer_closed(&self) -> bool {
        match &self.state {
            State::Established(session) => session.records.received_close(),
            State::Failed(failure) => failure.peer_closed,
            _ => false,
        }
    }

    /// Whether this side has sent CLOSE.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(&self.state, State::Established(s) if s.records.sent_close())
    }

    /// Re-handshakes still allowed.
    #[must_use]
    pub fn resets_left(&self) -> u32 {
        self.resets_left
    }

    // ---- internals shared by the other files of this module ----

    /// Whether any byte of the running handshake has come from the peer.
    fn heard_from_peer(&self) -> bool {
        !self.inbox.is_empty()
            || match &self.state {
                State::Client { handshake, .. } => {
                    !matches!(**handshake, ClientState::ExpectServerHello(_))
                }
                State::Server { handshake, .. } => {
                    !matches!(handshake, ServerState::ExpectClientHello(_))
                }
                _ => true,
            }
    }

    /// A fresh handshake for this role, with its deadline running: a client
    /// queues CLIENT_HELLO.
    fn fresh_state(&mut self) -> Result<State, Error> {
        let deadline = self.config.clock.now() + self.config.handshake_timeout;
        if self.role.is_server() {
            return Ok(State::Server {
                handshake: ServerState::new(),
                deadline,
            });
        }
        let rng = &mut self.rng;
        let mut handshake = None;
        self.outbox
            .write_with(ossuary_wire::CLIENT_HELLO_FRAME_LEN, |out| {
                let (state, n) = ClientState::start(rng, out)?;
                handshake = Some(state);
                Ok::<_, Error>(n)
            })?;
        let handshake = Box::new(handshake.ok_or(Error::Poisoned)?);
        Ok(State::Client {
            handshake,
            deadline,
        })
    }

    /// Runs `f`; a peer-caused error becomes the sticky failure.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if let State::Failed(failure) = &self.state {
            return Err(failure.error);
        }
        let result = f(self);
        result.map_err(|e| self.record_failed(e))
    }

    /// Makes a peer-caused error sticky (a caller's error is not) and
    /// returns it: the rule `guard` and the record fast paths share.
    #[cold]
    #[inline(never)]
    fn record_failed(&mut self, e: Error) -> Error {
        if !e.is_caller_error() {
            self.fail(e);
        }
        e
    }

    /// Takes the state out for a step that consumes it.
    fn take_state(&mut self) -> State {
        core::mem::replace(&mut self.state, State::interrupted())
    }

    /// Fails the handshake if its deadline has passed.
    fn check_deadline(&mut self) -> Result<(), Error> {
        match self.state.deadline() {
            Some(deadline) if self.config.clock.now() > deadline => {
                let heard_from_peer = self.heard_from_peer();
                self.guard(|_| Err(Error::HandshakeTimeout { heard_from_peer }))
            }
            _ => Ok(()),
        }
    }

    /// The established session, or why there is none.
    fn check_established(&self) -> Result<(), Error> {
        match &self.state {
            State::Established(_) => Ok(()),
            State::Failed(failure) => Err(failure.error),
            _ => Err(ApiMisuse::HandshakeNotDone.into()),
        }
    }
}

/// The identity as the handshake takes it.
fn signer(identity: &Option<Identity>) -> Option<&dyn Signer> {
    identity.as_deref().map(|s| s as &dyn Signer)
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state.name())
            .field("remote", &self.remote_public_key())
            .finish_non_exhaustive()
    }
}
