//! [`Connection`]: the filter between the application and the wire.
//!
//! ```text
//!   network bytes ──recv_handshake / recv_data──▶ ┌────────────┐ ──▶ plaintext
//!                                                │ Connection │
//!   network bytes ◀──send_handshake / flush───── └────────────┘ ◀── send_data
//! ```
//!
//! A partial frame is kept inside until the rest arrives; output that does
//! not fit the caller's buffer is kept until [`Connection::flush`].
//!
//! This file holds the type and its public API; `steps.rs` processes one
//! frame (a handshake step or a record), `reset.rs` the failure and
//! re-handshake rules, `buffers.rs` the byte queues.

use std::time::Instant;

use ossuary_crypto::{PublicKey, SecretKey, Signer};
use ossuary_handshake::{ClientConfig, ClientState, ServerState};

use crate::config::{Config, Role};
use crate::entropy::{Entropy, OsEntropy, draw};
use crate::error::{ApiMisuse, Error};
use crate::record::{CONTROL_FRAME_LEN, Opened, RECORD_OVERHEAD, RecordLayer};

mod buffers;
mod reset;
mod steps;

use reset::deferred;

/// How much of the input was used and how much output was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[must_use]
pub struct Progress {
    /// Bytes taken from the input.
    pub consumed: usize,
    /// Bytes written to the output.
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

enum State {
    /// Nothing exchanged yet (a client sends CLIENT_HELLO on first use).
    Fresh,
    Client(ClientState),
    Server(ServerState),
    Established(RecordLayer),
    Failed {
        error: Error,
        peer_reset_seen: bool,
    },
    /// We sent RESET; frames are discarded until the peer's RESET.
    AwaitPeerReset,
    /// Only seen if a step panicked midway, which it must not.
    Poisoned,
}

/// One end of an Ossuary channel. See the crate docs for a full example.
pub struct Connection {
    role: Role,
    config: Config,
    identity: Option<Box<dyn Signer + Send + Sync>>,
    authorized: Vec<PublicKey>,
    entropy: Box<dyn Entropy>,
    state: State,
    remote: Option<PublicKey>,
    /// The frame being received; after a DATA record opened, its plaintext.
    rx: Vec<u8>,
    rx_plain: core::ops::Range<usize>,
    /// Bytes for the network not yet handed out; `tx_pos` is how far.
    tx: Vec<u8>,
    tx_pos: usize,
    resets_left: u32,
    reset_sent: bool,
    deadline: Option<Instant>,
    peer_closed: bool,
    /// True until the buffers that carried the handshake are given back
    /// (once the session is established and its handshake output is out), so
    /// an idle session holds no buffer memory. Records reuse fresh buffers.
    handshake_buffers: bool,
}

impl Connection {
    /// A connection for `role` with the default [`Config`]. A server gets a
    /// random identity key (replace it with [`Self::set_secret_key`]).
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random number generator fails.
    pub fn new(role: Role) -> Result<Self, Error> {
        Self::with_config(role, Config::default())
    }

    /// A connection for `role` with explicit limits.
    ///
    /// # Errors
    /// [`Error::Entropy`] if the OS random number generator fails.
    pub fn with_config(role: Role, config: Config) -> Result<Self, Error> {
        Self::with_entropy(role, config, Box::new(OsEntropy))
    }

    /// A connection for `role` that proves the identity of `signer`, as
    /// [`Self::with_config`] followed by [`Self::set_signer`] but without the
    /// random key a server would first generate (one key generation less per
    /// connection). A server that serves many connections loads its key once
    /// and shares it, for instance as an `Arc<SecretKey>` (see [`Signer`]).
    ///
    /// # Errors
    /// None today; `Result` keeps the constructors alike.
    pub fn with_signer(
        role: Role,
        config: Config,
        signer: Box<dyn Signer + Send + Sync>,
    ) -> Result<Self, Error> {
        Self::build(role, config, Box::new(OsEntropy), Some(signer))
    }

    pub(crate) fn with_entropy(
        role: Role,
        config: Config,
        mut entropy: Box<dyn Entropy>,
    ) -> Result<Self, Error> {
        let identity: Option<Box<dyn Signer + Send + Sync>> = if role.is_server() {
            let bytes = draw::<32>(entropy.as_mut())?;
            Some(Box::new(SecretKey::from_bytes(&bytes)))
        } else {
            None
        };
        Self::build(role, config, entropy, identity)
    }

    pub(crate) fn build(
        role: Role,
        config: Config,
        entropy: Box<dyn Entropy>,
        identity: Option<Box<dyn Signer + Send + Sync>>,
    ) -> Result<Self, Error> {
        let state = if role.is_server() {
            State::Server(ServerState::new())
        } else {
            State::Fresh
        };
        Ok(Self {
            role,
            resets_left: config.max_resets,
            config,
            identity,
            authorized: Vec::new(),
            entropy,
            state,
            remote: None,
            rx: Vec::new(),
            rx_plain: 0..0,
            tx: Vec::new(),
            tx_pos: 0,
            reset_sent: false,
            deadline: None,
            peer_closed: false,
            handshake_buffers: true,
        })
    }

    /// A connection whose handshake randomness comes from `bytes`, in order
    /// (for known-answer vectors). Never use outside tests.
    ///
    /// # Errors
    /// [`Error::Entropy`] when `bytes` runs out.
    #[cfg(feature = "hazmat")]
    pub fn with_fixed_entropy_for_testing_only(
        role: Role,
        config: Config,
        bytes: Vec<u8>,
    ) -> Result<Self, Error> {
        Self::with_entropy(role, config, Box::new(crate::entropy::Fixed::new(bytes)))
    }

    /// This connection's role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// Sets the identity key from its 32 secret bytes.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] unless `key` is 32 bytes;
    /// [`ApiMisuse::HandshakeStarted`] once the handshake has begun.
    pub fn set_secret_key(&mut self, key: &[u8]) -> Result<(), Error> {
        let key = SecretKey::try_from(key).map_err(|_| Error::InvalidKey)?;
        self.set_signer(Box::new(key))
    }

    /// Uses `signer` as the identity: a key held in an HSM, TPM or secure
    /// element only needs to sign.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeStarted`] once the handshake has begun.
    pub fn set_signer(&mut self, signer: Box<dyn Signer + Send + Sync>) -> Result<(), Error> {
        self.check_not_started()?;
        self.identity = Some(signer);
        Ok(())
    }

    /// Adds a key this side accepts: a trusted server key for a client, an
    /// authorized client key for an authenticating server.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if `key` is not a valid Ed25519 public key.
    pub fn add_authorized_key(&mut self, key: &[u8]) -> Result<(), Error> {
        let key = PublicKey::try_from(key).map_err(|_| Error::InvalidKey)?;
        if !self.authorized.contains(&key) {
            self.authorized.push(key);
        }
        Ok(())
    }

    /// Adds a key this side accepts, already validated: a list of keys
    /// parsed once (with [`PublicKey::try_from`]) and given to every
    /// connection costs no further checks.
    pub fn add_authorized_public_key(&mut self, key: PublicKey) {
        if !self.authorized.contains(&key) {
            self.authorized.push(key);
        }
    }

    /// Adds several keys; all are checked before any is added.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] if any key is invalid (then none is added).
    pub fn add_authorized_keys<'k, I>(&mut self, keys: I) -> Result<usize, Error>
    where
        I: IntoIterator<Item = &'k [u8]>,
    {
        let parsed = keys
            .into_iter()
            .map(|k| PublicKey::try_from(k).map_err(|_| Error::InvalidKey))
            .collect::<Result<Vec<_>, _>>()?;
        let n = parsed.len();
        for key in parsed {
            if !self.authorized.contains(&key) {
                self.authorized.push(key);
            }
        }
        Ok(n)
    }

    /// The peer's verified identity key: the server's once it is proven
    /// (including while paused for trust), the client's when it sent one.
    #[must_use]
    pub fn remote_public_key(&self) -> Option<&PublicKey> {
        match &self.state {
            State::Client(ClientState::UntrustedServer(auth)) => Some(auth.server_key()),
            _ => self.remote.as_ref(),
        }
    }

    /// This side's identity key, if it has one.
    #[must_use]
    pub fn local_public_key(&self) -> Option<PublicKey> {
        self.identity.as_ref().map(|s| s.public_key())
    }

    /// Where the handshake stands, without side effects.
    ///
    /// # Errors
    /// The connection's sticky error, if it failed.
    pub fn handshake_status(&self) -> Result<HandshakeStatus, Error> {
        Ok(match &self.state {
            State::Failed { error, .. } => return Err(*error),
            State::Established(_) => HandshakeStatus::Done,
            State::Client(ClientState::UntrustedServer(auth)) => {
                HandshakeStatus::UntrustedServer(*auth.server_key())
            }
            _ => HandshakeStatus::InProgress,
        })
    }

    /// Whether the handshake is done. Checks the deadline.
    ///
    /// # Errors
    /// The sticky error if the handshake failed or timed out.
    pub fn handshake_done(&mut self) -> Result<bool, Error> {
        self.check_deadline()?;
        Ok(self.handshake_status()? == HandshakeStatus::Done)
    }

    /// Writes pending handshake bytes to `out` (a client's first call
    /// creates CLIENT_HELLO). Returns the bytes written; what does not fit
    /// stays for the next call.
    ///
    /// # Errors
    /// The sticky error, a timeout, or [`Error::Entropy`].
    pub fn send_handshake(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        if !matches!(self.state, State::Failed { .. }) {
            self.guard(Self::start_if_fresh)?;
            self.check_deadline()?;
        }
        Ok(self.drain_into(out))
    }

    /// Feeds handshake bytes from the network. Stops after the last
    /// handshake frame, so bytes of records that follow are left for
    /// [`Self::recv_data`]. Returns the bytes consumed.
    ///
    /// # Errors
    /// Any handshake failure; the error is sticky.
    pub fn recv_handshake(&mut self, input: &[u8]) -> Result<usize, Error> {
        self.guard(Self::start_if_fresh)?;
        self.check_deadline()?;
        let mut consumed = 0;
        while !matches!(self.state, State::Established(_)) {
            let Some(rest) = input.get(consumed..).filter(|r| !r.is_empty()) else {
                break;
            };
            if self.deadline.is_none() {
                self.deadline = Some(self.config.clock.now() + self.config.handshake_timeout);
            }
            if matches!(self.state, State::AwaitPeerReset) {
                match self.discard_until_reset(rest) {
                    Ok(n) => consumed += n,
                    Err(e) => return deferred(e, consumed),
                }
                continue;
            }
            let (n, complete) = match self.guard(|c| c.buffer_frame(rest)) {
                Ok(v) => v,
                Err(e) => return deferred(e, consumed),
            };
            consumed += n;
            if !complete {
                break;
            }
            if let Err(e) = self.guard(Self::on_frame_during_handshake) {
                return deferred(e, consumed);
            }
            if matches!(self.state, State::Client(ClientState::UntrustedServer(_))) {
                break;
            }
        }
        Ok(consumed)
    }

    /// Approves the untrusted server key the handshake paused on, and
    /// queues CLIENT_AUTH. The application should also record the key.
    ///
    /// # Errors
    /// [`ApiMisuse::NotAwaitingTrust`] if not paused; handshake errors.
    pub fn trust_server(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        if !matches!(self.state, State::Client(ClientState::UntrustedServer(_))) {
            return Err(ApiMisuse::NotAwaitingTrust.into());
        }
        self.check_deadline()?;
        self.guard(|c| {
            let State::Client(ClientState::UntrustedServer(auth)) = c.take_state() else {
                return Err(ApiMisuse::NotAwaitingTrust.into());
            };
            let mut out = [0u8; 128];
            let cfg = ClientConfig::new(c.identity_ref(), &c.authorized);
            let (done, n) = auth.finish(&cfg, &mut out)?;
            c.queue(out.get(..n).unwrap_or_default());
            c.establish(done);
            Ok(())
        })
    }

    /// Refuses the untrusted server key: the connection fails with
    /// [`Error::UntrustedServer`] and a RESET (reason 5) is queued.
    ///
    /// # Errors
    /// [`ApiMisuse::NotAwaitingTrust`] if not paused; otherwise always
    /// returns the resulting [`Error::UntrustedServer`].
    pub fn reject_server(&mut self) -> Result<(), Error> {
        if let Some(error) = self.error() {
            return Err(error);
        }
        if !matches!(self.state, State::Client(ClientState::UntrustedServer(_))) {
            return Err(ApiMisuse::NotAwaitingTrust.into());
        }
        self.guard(|_| Err(Error::UntrustedServer))
    }

    /// Encrypts `plaintext` into records written to `out`. A record that
    /// does not fit `out` is kept for [`Self::flush`], and no more plaintext
    /// is taken until it is flushed. Pending output is written first.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`] after
    /// [`Self::close`], the sticky error.
    pub fn send_data(&mut self, plaintext: &[u8], out: &mut [u8]) -> Result<Progress, Error> {
        self.check_established()?;
        if self.is_closed() && !plaintext.is_empty() {
            // Refused before draining, so a pending CLOSE stays queued.
            return Err(Error::Closed);
        }
        let mut produced = self.drain_into(out);
        let mut consumed = 0;
        while self.pending_output().is_empty() {
            let Some(rest) = plaintext.get(consumed..).filter(|r| !r.is_empty()) else {
                break;
            };
            let chunk = rest.len().min(self.max_plaintext());
            let room = out.get_mut(produced..).unwrap_or_default();
            let n = self.guard(|c| c.seal_data(rest.get(..chunk).unwrap_or_default(), room))?;
            consumed += chunk;
            produced += n;
            produced += self.drain_into(out.get_mut(produced..).unwrap_or_default());
        }
        Ok(Progress { consumed, produced })
    }

    /// Feeds network bytes and writes decrypted application data to `out`.
    /// Key updates are applied as they arrive. After the peer's CLOSE,
    /// [`Self::peer_closed`] is true and no more data comes.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`]; [`Error::BadRecord`] for any altered,
    /// replayed, reordered, dropped or forged record; [`Error::PeerReset`];
    /// the sticky error.
    pub fn recv_data(&mut self, input: &[u8], out: &mut [u8]) -> Result<Progress, Error> {
        match self.state {
            State::Established(_) | State::AwaitPeerReset => {}
            _ => self.check_established()?,
        }
        let mut p = Progress::default();
        loop {
            p.produced += self.take_plaintext(out.get_mut(p.produced..).unwrap_or_default());
            if !self.rx_plain.is_empty() || p.produced == out.len() && !out.is_empty() {
                break;
            }
            // After the peer's CLOSE, any further frame is opened and fails
            // as unexpected (PROTOCOL.md §9), so it is not skipped silently.
            if !matches!(self.state, State::Established(_)) {
                if matches!(self.state, State::AwaitPeerReset) {
                    match self.discard_until_reset(input.get(p.consumed..).unwrap_or_default()) {
                        Ok(n) => p.consumed += n,
                        Err(e) => return deferred(e, p),
                    }
                }
                break;
            }
            let Some(rest) = input.get(p.consumed..).filter(|r| !r.is_empty()) else {
                break;
            };
            let room = out.get_mut(p.produced..).unwrap_or_default();
            match self.guard(|c| c.open_data_into(rest, room)) {
                Ok(Some((used, plain))) => {
                    p.consumed += used;
                    p.produced += plain;
                    continue;
                }
                Ok(None) => {}
                Err(e) => return deferred(e, p),
            }
            let (n, complete) = match self.guard(|c| c.buffer_frame(rest)) {
                Ok(v) => v,
                Err(e) => return deferred(e, p),
            };
            p.consumed += n;
            if !complete {
                break;
            }
            if let Err(e) = self.guard(Self::on_record) {
                // Plaintext already copied out is authentic: deliver it first.
                return deferred(e, p);
            }
        }
        Ok(p)
    }

    /// Writes pending output (handshake messages, records, RESET) to `out`.
    /// Returns the bytes written; the rest stays for the next call.
    ///
    /// # Errors
    /// None today; the `Result` keeps room for transports with limits.
    pub fn flush(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        Ok(self.drain_into(out))
    }

    /// Bytes waiting to go to the network, without copying. After writing
    /// some of them, call [`Self::advance_output`].
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        self.tx.get(self.tx_pos..).unwrap_or_default()
    }

    /// Marks `n` bytes of [`Self::pending_output`] as sent.
    pub fn advance_output(&mut self, n: usize) {
        self.tx_pos = self.tx_pos.saturating_add(n).min(self.tx.len());
        if self.tx_pos == self.tx.len() {
            self.tx.clear();
            self.tx_pos = 0;
            self.release_handshake_buffers();
        }
    }

    /// Queues an authenticated CLOSE; nothing can be sent after it.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`] if already closed.
    pub fn close(&mut self) -> Result<(), Error> {
        self.check_established()?;
        self.guard(|c| {
            let mut buf = [0u8; CONTROL_FRAME_LEN];
            let n = c.records()?.write_close(&mut buf)?;
            c.queue(buf.get(..n).unwrap_or_default());
            Ok(())
        })
    }

    /// Queues a KEY_UPDATE now and switches to the next send key.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`].
    pub fn update_keys(&mut self) -> Result<(), Error> {
        self.check_established()?;
        self.guard(|c| {
            let mut buf = [0u8; CONTROL_FRAME_LEN];
            let n = c.records()?.write_key_update(&mut buf)?;
            c.queue(buf.get(..n).unwrap_or_default());
            Ok(())
        })
    }

    /// Whether the peer closed the session cleanly (authenticated CLOSE).
    #[must_use]
    pub fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Whether this side has sent CLOSE.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(&self.state, State::Established(r) if r.sent_close())
    }

    /// After an error, starts over with a new handshake on the same stream
    /// (PROTOCOL.md §10). Allowed `Config::max_resets` times per connection.
    ///
    /// # Errors
    /// [`ApiMisuse::NotFailed`] if the connection has not failed;
    /// [`Error::ResetLimit`] when no re-handshakes are left.
    pub fn reset(&mut self) -> Result<(), Error> {
        let State::Failed {
            peer_reset_seen, ..
        } = self.state
        else {
            return Err(ApiMisuse::NotFailed.into());
        };
        if self.resets_left == 0 {
            return Err(Error::ResetLimit);
        }
        self.resets_left -= 1;
        self.remote = None;
        self.peer_closed = false;
        self.rx_plain = 0..0;
        self.reset_sent = false;
        self.handshake_buffers = true;
        // The wait for the peer's RESET is bounded like a handshake.
        self.deadline = Some(self.config.clock.now() + self.config.handshake_timeout);
        if peer_reset_seen {
            self.become_fresh();
        } else {
            self.state = State::AwaitPeerReset;
        }
        Ok(())
    }

    /// The sticky error, if the connection has failed.
    #[must_use]
    pub fn error(&self) -> Option<Error> {
        match self.state {
            State::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Re-handshakes still allowed.
    #[must_use]
    pub fn resets_left(&self) -> u32 {
        self.resets_left
    }

    /// Seals `buf[3..3 + len]` as one DATA record in place, writing its
    /// header and tag; returns the frame length (`len + 19`). Pass 19 more
    /// bytes than that so an automatic key update can follow the record
    /// (it is then included in the returned length). Allocates nothing.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `buf` cannot hold `len + 19` bytes;
    /// [`ApiMisuse::BufferedData`] if buffered output is pending;
    /// [`ApiMisuse::HandshakeNotDone`]; [`Error::Closed`].
    #[inline]
    pub fn seal_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        // The DATA fast path inlines into the caller (docs/PERFORMANCE.md);
        // everything else, errors included, goes through
        // `seal_in_place_general`.
        if self.tx_pos >= self.tx.len()
            && len <= self.max_plaintext()
            && let State::Established(records) = &mut self.state
            && let Some(sealed) = records.seal_data_fast(buf, len)
        {
            return sealed.map_err(|e| self.record_failed(e));
        }
        self.seal_in_place_general(buf, len)
    }

    /// [`Self::seal_in_place`] for every state and size.
    #[inline(never)]
    fn seal_in_place_general(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let max = self.max_plaintext();
        let buffered = self.tx_pos < self.tx.len();
        let State::Established(records) = &mut self.state else {
            self.check_established()?;
            return Err(ApiMisuse::HandshakeNotDone.into());
        };
        if buffered {
            return Err(ApiMisuse::BufferedData.into());
        }
        if len > max || buf.len() < len + RECORD_OVERHEAD {
            return Err(Error::BufferTooSmall {
                needed: len.min(max) + RECORD_OVERHEAD,
            });
        }
        records
            .seal_data(buf, len)
            .map_err(|e| self.record_failed(e))
    }

    /// Opens one whole frame in place. Application data is
    /// `frame[range]` of [`Opened::Data`]. Allocates nothing.
    ///
    /// # Errors
    /// [`ApiMisuse::BufferedData`] if a partial frame is buffered inside;
    /// [`Error::BadRecord`] and the other record errors (sticky).
    #[inline]
    pub fn open_in_place(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        // The DATA fast path inlines into the caller, so the result need not
        // go through memory (docs/PERFORMANCE.md); everything else, errors
        // included, goes through `open_in_place_general`.
        if self.rx.is_empty()
            && self.rx_plain.is_empty()
            && let State::Established(records) = &mut self.state
            && let Some(opened) = records.open_data(frame)
        {
            return match opened {
                Ok(range) => Ok(Opened::Data(range)),
                Err(e) => Err(self.record_failed(e)),
            };
        }
        self.open_in_place_general(frame)
    }

    /// [`Self::open_in_place`] for every frame and state.
    #[inline(never)]
    fn open_in_place_general(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        let buffered = !self.rx.is_empty() || !self.rx_plain.is_empty();
        let State::Established(records) = &mut self.state else {
            self.check_established()?;
            return Err(ApiMisuse::HandshakeNotDone.into());
        };
        if buffered {
            return Err(ApiMisuse::BufferedData.into());
        }
        let opened = records.open(frame);
        let checked = match &opened {
            Ok(o) => self.after_open(o),
            Err(e) => Err(*e),
        };
        match checked {
            Ok(()) => opened,
            Err(e) => Err(self.record_failed(e)),
        }
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

    /// The send direction's record sealer (known-answer vectors only).
    #[cfg(feature = "hazmat")]
    #[must_use]
    pub fn sealer_for_testing_only(&self) -> Option<&ossuary_crypto::RecordSealer> {
        match &self.state {
            State::Established(r) => Some(r.sealer()),
            _ => None,
        }
    }

    // ---- internals ----
    /// Runs `f`; a peer-caused error becomes the sticky failure.
    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if let State::Failed { error, .. } = self.state {
            return Err(error);
        }
        let result = f(self);
        result.map_err(|e| self.record_failed(e))
    }

    fn take_state(&mut self) -> State {
        core::mem::replace(&mut self.state, State::Poisoned)
    }

    fn check_not_started(&self) -> Result<(), Error> {
        let fresh = match &self.state {
            State::Fresh => true,
            State::Server(ServerState::ExpectClientHello(_)) => self.rx.is_empty(),
            _ => false,
        };
        if fresh && self.deadline.is_none() {
            Ok(())
        } else {
            Err(ApiMisuse::HandshakeStarted.into())
        }
    }

    fn check_established(&self) -> Result<(), Error> {
        match &self.state {
            State::Established(_) => Ok(()),
            State::Failed { error, .. } => Err(*error),
            _ => Err(ApiMisuse::HandshakeNotDone.into()),
        }
    }

    fn check_deadline(&mut self) -> Result<(), Error> {
        let handshaking = matches!(
            self.state,
            State::Client(_) | State::Server(_) | State::AwaitPeerReset
        );
        match self.deadline {
            Some(d) if handshaking && self.config.clock.now() > d => {
                self.guard(|_| Err(Error::HandshakeTimeout))
            }
            _ => Ok(()),
        }
    }

    fn identity_ref(&self) -> Option<&dyn Signer> {
        self.identity.as_deref().map(|s| s as &dyn Signer)
    }

    fn records(&mut self) -> Result<&mut RecordLayer, Error> {
        match &mut self.state {
            State::Established(r) => Ok(r),
            _ => Err(ApiMisuse::HandshakeNotDone.into()),
        }
    }

    fn max_plaintext(&self) -> usize {
        self.config
            .max_record_plaintext
            .clamp(1, ossuary_wire::MAX_RECORD_PLAINTEXT)
    }
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &self.state {
            State::Fresh => "fresh",
            State::Client(_) | State::Server(_) => "handshaking",
            State::Established(_) => "established",
            State::Failed { .. } => "failed",
            State::AwaitPeerReset => "awaiting peer reset",
            State::Poisoned => "poisoned",
        };
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &state)
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}
