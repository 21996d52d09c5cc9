//! The input path: one frame pump for the handshake and the records.
//!
//! Each frame's header is parsed once, where the frame starts: a frame that
//! lies whole in the caller's input is handled there (a DATA record is
//! opened straight into the caller's output); one that arrives in pieces is
//! assembled in the inbox. Then it is dispatched on the state.

use std::time::Instant;

use ossuary_crypto::PublicKey;
use ossuary_handshake::{
    ClientConfig, ClientState, Established, ServerAuthenticated, ServerConfig, ServerState,
};
use ossuary_wire::{
    Frame, FrameType, HEADER_LEN, Header, Parsed, RESET_PLAIN_BODY_LEN, ResetReason, TAG_LEN,
};

use super::state::{FirstPeer, Session, State};
use super::{Connection, Progress, signer};
use crate::config::Role;
use crate::error::{ApiMisuse, Error};
use crate::record::{Opened, RecordLayer, UpdatePolicy};

/// Largest handshake message either role writes in reply to a frame.
pub(super) const MAX_HANDSHAKE_REPLY: usize = ossuary_wire::SERVER_HELLO_FRAME_LEN;

/// Where the next frame is.
enum Next<'i> {
    /// Whole in the input: its header, and the frame's bytes.
    Borrowed(Header, &'i [u8]),
    /// Whole in the inbox.
    Buffered(Header),
    /// Not complete yet; everything offered was taken.
    Incomplete,
    /// A malformed frame met while waiting for the peer's RESET: skipped by
    /// its length field.
    Skipped,
}

impl Connection {
    /// Feeds handshake bytes from the network. Stops after the frame that
    /// completes the handshake (bytes of records that follow are left for
    /// [`Self::recv_data`]) or pauses it for a trust decision. Returns the
    /// bytes consumed. Calling it with no input checks the deadline.
    ///
    /// # Errors
    /// Any handshake failure, [`Error::HandshakeTimeout`]; the error is
    /// sticky. A failure after some input was consumed is reported by the
    /// next call (see [`Error`]). A frame refused at its header (an illegal
    /// length, an unknown type) is not consumed: after [`Self::reset`],
    /// offer the unconsumed bytes again and the frame is skipped by its
    /// length field, so the stream stays in step.
    pub fn recv_handshake(&mut self, input: &[u8]) -> Result<usize, Error> {
        self.check_deadline()?;
        if let State::Failed(failure) = &self.state {
            return Err(failure.error);
        }
        let progress = self.pump(input, &mut [], false)?;
        Ok(progress.consumed)
    }

    /// Feeds network bytes and writes decrypted application data to `out`.
    /// Key updates are applied as they arrive. After the peer's CLOSE,
    /// [`Self::peer_closed`] is true and no more data comes.
    ///
    /// Call it again while it makes progress (plaintext that did not fit
    /// `out` waits inside); read the transport when a call makes none.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`]; [`Error::BadRecord`] for any altered,
    /// replayed, reordered, dropped or forged record; [`Error::PeerReset`];
    /// the sticky error. A failure after progress is reported by the next
    /// call (see [`Error`]). A frame refused at its header is not consumed
    /// (see [`Self::recv_handshake`]).
    pub fn recv_data(&mut self, input: &[u8], out: &mut [u8]) -> Result<Progress, Error> {
        match &self.state {
            State::Established(_) | State::AwaitPeerReset { .. } => {}
            State::Failed(failure) => return Err(failure.error),
            _ => return Err(ApiMisuse::HandshakeNotDone.into()),
        }
        self.check_deadline()?;
        self.pump(input, out, true)
    }

    /// The pump: frames from `input` until it runs out, `out` is full, or
    /// the phase the call is for ends (`records` false: the handshake).
    fn pump(&mut self, input: &[u8], out: &mut [u8], records: bool) -> Result<Progress, Error> {
        let mut p = Progress::default();
        loop {
            p.produced += self
                .inbox
                .take_plaintext(out.get_mut(p.produced..).unwrap_or_default());
            if self.inbox.has_plaintext() || (!out.is_empty() && p.produced == out.len()) {
                break;
            }
            match &self.state {
                State::Failed(failure) => return deferred(failure.error, p),
                State::Established(_) if !records => break,
                // After the peer's RESET: the new handshake is not for `recv_data`.
                State::Client { .. } | State::Server { .. } if records => break,
                // Paused for a trust decision by the frame just handled: the
                // caller decides before more is read. A frame that arrives
                // during the pause fails the handshake (PROTOCOL.md §11.2).
                State::Client { handshake, .. }
                    if p.consumed > 0 && matches!(**handshake, ClientState::UntrustedServer(_)) =>
                {
                    break;
                }
                _ => {}
            }
            let rest = input.get(p.consumed..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            if self.inbox.skipping() {
                // The rest of a refused frame (PROTOCOL.md §2.3).
                p.consumed += self.inbox.skip(rest);
                continue;
            }
            let (used, next) = match self.next_frame(rest) {
                Ok(next) => next,
                Err(e) => return deferred(self.record_failed(e), p),
            };
            p.consumed += used;
            let room = out.get_mut(p.produced..).unwrap_or_default();
            let result = match next {
                Next::Incomplete => break,
                Next::Skipped => continue,
                Next::Borrowed(header, frame) => self.on_borrowed(header, frame, room),
                Next::Buffered(header) => self.on_buffered(header).map(|()| 0),
            };
            match result {
                Ok(n) => p.produced += n,
                Err(e) => return deferred(self.record_failed(e), p),
            }
        }
        self.settle();
        Ok(p)
    }

    /// Finds the next frame, parsing its header once.
    ///
    /// A header that is refused (an illegal length for its type, an unknown
    /// type) fails at once, before its body arrives; the frame is then
    /// skipped by its length field when the stream is read on after
    /// [`Self::reset`] (PROTOCOL.md §2.3, §10.4). Its bytes in `input` are
    /// not consumed: the caller offers them again after the reset.
    fn next_frame<'i>(&mut self, input: &'i [u8]) -> Result<(usize, Next<'i>), Error> {
        let awaiting_reset = matches!(self.state, State::AwaitPeerReset { .. });
        let held = self.inbox.len();
        if held == 0 {
            let header =
                Header::parse(input)
                    .map_err(Error::from)
                    .and_then(|parsed| match parsed {
                        Parsed::Complete { value, .. } => {
                            check_header(value, awaiting_reset).map(Some)
                        }
                        Parsed::Incomplete { .. } => Ok(None),
                    });
            match header {
                Ok(Some(header)) => {
                    if let Some(frame) = input.get(..header.frame_len()) {
                        return Ok((frame.len(), Next::Borrowed(header, frame)));
                    }
                }
                Ok(None) => {}
                Err(e) => return self.refuse(e, raw_frame_len(input), 0),
            }
        }
        match self
            .inbox
            .fill(input, |header| check_header(header, awaiting_reset))
        {
            Ok((used, Some(header))) => Ok((used, Next::Buffered(header))),
            Ok((used, None)) => Ok((used, Next::Incomplete)),
            Err(e) => {
                let frame_len = raw_frame_len(self.inbox.frame());
                self.refuse(e, frame_len, held)
            }
        }
    }

    /// Refuses a frame whose header is malformed: the rest of it, by its
    /// length field (`held` bytes were consumed by earlier calls), is to be
    /// skipped. While waiting for the peer's RESET that is all; otherwise
    /// the connection fails with `error`.
    fn refuse<'i>(
        &mut self,
        error: Error,
        frame_len: usize,
        held: usize,
    ) -> Result<(usize, Next<'i>), Error> {
        self.inbox.refuse(frame_len.saturating_sub(held));
        match self.state {
            State::AwaitPeerReset { .. } => Ok((0, Next::Skipped)),
            _ => Err(error),
        }
    }

    /// Handles a frame that lies whole in the caller's input. Returns the
    /// plaintext written to `out`.
    fn on_borrowed(
        &mut self,
        header: Header,
        frame: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let body = frame.get(HEADER_LEN..).unwrap_or_default();
        match &mut self.state {
            State::Established(session) => {
                // A DATA record whose plaintext fits `out` is opened there:
                // one copy. Anything else is opened in place in the inbox.
                if header.frame_type == FrameType::DATA
                    && let Some(plain_len) = body.len().checked_sub(TAG_LEN)
                    && let (Some(dst), Some(ciphertext), Some(tag)) = (
                        out.get_mut(..plain_len),
                        body.get(..plain_len),
                        body.get(plain_len..).and_then(|t| t.try_into().ok()),
                    )
                {
                    dst.copy_from_slice(ciphertext);
                    session
                        .records
                        .open_data_detached(&header.to_bytes(), dst, tag)?;
                    return Ok(plain_len);
                }
                self.inbox.load(header, frame);
                self.on_buffered(header)?;
                Ok(0)
            }
            _ => {
                self.dispatch_handshake(Frame { header, body })?;
                Ok(0)
            }
        }
    }

    /// Handles the whole frame held in the inbox.
    fn on_buffered(&mut self, header: Header) -> Result<(), Error> {
        if let State::Established(session) = &mut self.state {
            let opened = session.records.open_frame(header, self.inbox.frame_mut());
            return match opened {
                Ok(Opened::Data(range)) => {
                    self.inbox.keep_plaintext(range);
                    Ok(())
                }
                Ok(Opened::KeyUpdate | Opened::Close) => {
                    self.inbox.clear();
                    Ok(())
                }
                Err(e) => Err(e),
            };
        }
        let inbox = core::mem::take(&mut self.inbox);
        let body = inbox.frame().get(HEADER_LEN..).unwrap_or_default();
        let result = self.dispatch_handshake(Frame { header, body });
        // The frame is done; keep its memory for the next one.
        self.inbox = inbox;
        self.inbox.clear();
        result
    }

    /// One handshake-phase frame: a handshake step, the peer's RESET, or
    /// (while waiting for the peer's RESET) a frame to skip.
    fn dispatch_handshake(&mut self, frame: Frame<'_>) -> Result<(), Error> {
        let ty = frame.header.frame_type;
        if let State::AwaitPeerReset { .. } = self.state {
            if ty == FrameType::RESET {
                self.start_over();
            }
            return Ok(());
        }
        if ty == FrameType::RESET && frame.body.len() == RESET_PLAIN_BODY_LEN {
            // Plaintext RESET: the only kind a peer without keys can send. A
            // sealed one cannot be opened here: the handshake refuses it.
            return Err(Error::PeerReset {
                reason: ResetReason::parse(frame.body)?,
                authenticated: false,
            });
        }
        self.state = match self.take_state() {
            State::Client {
                handshake,
                deadline,
            } => match self.client_step(*handshake, &frame)? {
                ClientState::Complete(done) => self.complete(done)?,
                ClientState::UntrustedServer(auth) => self.untrusted_server(auth, deadline)?,
                handshake => State::Client {
                    handshake: Box::new(handshake),
                    deadline,
                },
            },
            State::Server {
                handshake,
                deadline,
            } => match self.server_step(handshake, &frame)? {
                ServerState::Complete(done) => self.complete(done)?,
                handshake => State::Server {
                    handshake,
                    deadline,
                },
            },
            other => {
                self.state = other;
                return Err(ApiMisuse::HandshakeNotDone.into());
            }
        };
        Ok(())
    }

    /// The client's trust policy for a server key it was not told to
    /// accept (PROTOCOL.md §11.2): a key other than the expected one is
    /// refused, naming both; an unknown server pauses for the application
    /// only if it asked for Trust-On-First-Use; otherwise it is refused.
    fn untrusted_server(
        &self,
        auth: ServerAuthenticated,
        deadline: Instant,
    ) -> Result<State, Error> {
        let got = *auth.server_key();
        if let Some(expected) = self.expected_server_key() {
            return Err(Error::ServerKeyChanged { expected, got });
        }
        if !self.config.trust_on_first_use {
            return Err(Error::UntrustedServer { key: got });
        }
        Ok(State::Client {
            handshake: Box::new(ClientState::UntrustedServer(auth)),
            deadline,
        })
    }

    /// The server key this client expects: the first handshake's on a
    /// re-handshake (unless a change is allowed), else the first pinned one.
    fn expected_server_key(&self) -> Option<PublicKey> {
        match self.first_peer {
            FirstPeer::Known(Some(first)) if !self.config.allow_identity_change_on_reset => {
                Some(first)
            }
            _ => self.authorized.first().copied(),
        }
    }

    /// A completed handshake: the peer must be the one the first handshake
    /// authenticated (unless a change is allowed); then records flow.
    pub(super) fn complete(&mut self, done: Established) -> Result<State, Error> {
        let now = done.remote_identity().copied();
        match self.first_peer {
            FirstPeer::Known(first)
                if first != now && !self.config.allow_identity_change_on_reset =>
            {
                return Err(match (first, now) {
                    (Some(expected), Some(got)) if self.role == Role::Client => {
                        Error::ServerKeyChanged { expected, got }
                    }
                    _ => Error::ClientIdentityChanged { first, now },
                });
            }
            _ => self.first_peer = FirstPeer::Known(now),
        }
        Ok(self.established(done))
    }

    fn client_step(&mut self, state: ClientState, frame: &Frame<'_>) -> Result<ClientState, Error> {
        // On a re-handshake only the first handshake's server is trusted
        // without a question (unless a change is allowed).
        let expected = match self.first_peer {
            FirstPeer::Known(Some(first)) if !self.config.allow_identity_change_on_reset => {
                Some(first)
            }
            _ => None,
        };
        let trusted = match &expected {
            Some(first) => core::slice::from_ref(first),
            None => &self.authorized[..],
        };
        let config = ClientConfig::new(signer(&self.identity), trusted);
        let mut next = None;
        self.outbox.write_with(MAX_HANDSHAKE_REPLY, |out| {
            let (state, n) = state.handle(frame, &config, out)?;
            next = Some(state);
            Ok::<_, Error>(n)
        })?;
        next.ok_or(Error::Poisoned)
    }

    fn server_step(&mut self, state: ServerState, frame: &Frame<'_>) -> Result<ServerState, Error> {
        let identity = self.identity.as_deref().ok_or(Error::InvalidKey)?;
        let config = ServerConfig::new(
            identity,
            self.role == Role::AuthenticatingServer,
            &self.authorized,
        );
        let rng = &mut self.rng;
        let mut next = None;
        self.outbox.write_with(MAX_HANDSHAKE_REPLY, |out| {
            let (state, n) = state.handle(frame, &config, rng, out)?;
            next = Some(state);
            Ok::<_, Error>(n)
        })?;
        next.ok_or(Error::Poisoned)
    }

    /// The state a completed handshake leads to.
    fn established(&self, done: Established) -> State {
        let (sealer, opener, remote) = done.into_parts();
        let policy = UpdatePolicy {
            records: self.config.key_update_records.clamp(1, 1 << 62),
            bytes: self.config.key_update_bytes.max(1),
        };
        State::Established(Session {
            records: RecordLayer::new(sealer, opener, policy, self.role == Role::Client),
            remote,
            handshake_buffers: true,
        })
    }
}

/// Refuses frame types no state accepts as soon as their header is in, so
/// a peer that does not speak Ossuary (an HTTP or SSH server, say) is found
/// out at once instead of at the deadline. While waiting for the peer's
/// RESET every frame is skipped, whatever its type.
fn check_header(header: Header, awaiting_reset: bool) -> Result<Header, Error> {
    if header.frame_type.is_known() || awaiting_reset {
        Ok(header)
    } else {
        Err(Error::UnexpectedFrame {
            expected: &[],
            got: header.frame_type,
        })
    }
}

/// The length a frame header's length field gives (3 header bytes and
/// the body), whether or not that length is legal for the type.
fn raw_frame_len(bytes: &[u8]) -> usize {
    match bytes {
        [_, hi, lo, ..] => HEADER_LEN + usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => HEADER_LEN,
    }
}

/// An error met after a call made progress: report the progress now; the
/// failure is sticky, so the next call returns it.
fn deferred(error: Error, progress: Progress) -> Result<Progress, Error> {
    if progress.consumed > 0 || progress.produced > 0 {
        Ok(progress)
    } else {
        Err(error)
    }
}
