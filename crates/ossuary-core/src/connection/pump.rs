//! The input path: one frame pump for the handshake and the records.
//!
//! Each frame's header is parsed once, where the frame starts: a frame that
//! lies whole in the caller's input is handled there (a DATA record is
//! opened straight into the caller's output); one that arrives in pieces is
//! assembled in the inbox. Then it is dispatched on the state.

use ossuary_handshake::{ClientConfig, ClientState, Established, ServerConfig, ServerState};
use ossuary_wire::{
    Frame, FrameType, HEADER_LEN, Header, Parsed, RESET_PLAIN_BODY_LEN, ResetReason, TAG_LEN,
};

use super::state::{Session, State};
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
    /// next call (see [`Error`]).
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
    /// call (see [`Error`]).
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
                State::Client {
                    handshake: ClientState::UntrustedServer(_),
                    ..
                } if p.consumed > 0 => break,
                _ => {}
            }
            let rest = input.get(p.consumed..).unwrap_or_default();
            if rest.is_empty() {
                break;
            }
            if let State::Server { deadline, .. } = &mut self.state {
                deadline.get_or_insert(self.config.clock.now() + self.config.handshake_timeout);
            }
            let (used, next) = match self.next_frame(rest) {
                Ok(next) => next,
                Err(e) => {
                    if let State::AwaitPeerReset { .. } = self.state {
                        // Framing is lost: no later RESET could be found. Final.
                        self.resets_left = 0;
                    }
                    return deferred(self.record_failed(e), p);
                }
            };
            p.consumed += used;
            let room = out.get_mut(p.produced..).unwrap_or_default();
            let result = match next {
                Next::Incomplete => break,
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
    fn next_frame<'i>(&mut self, input: &'i [u8]) -> Result<(usize, Next<'i>), Error> {
        if self.inbox.is_empty()
            && let Parsed::Complete { value: header, .. } = Header::parse(input)?
            && let Some(frame) = input.get(..header.frame_len())
        {
            return Ok((frame.len(), Next::Borrowed(header, frame)));
        }
        let (used, header) = self.inbox.fill(input)?;
        Ok((used, header.map_or(Next::Incomplete, Next::Buffered)))
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
            return Err(Error::PeerReset(ResetReason::parse(frame.body)?));
        }
        let result = match self.take_state() {
            State::Client {
                handshake,
                deadline,
            } => self.client_step(handshake, &frame).map(|next| match next {
                ClientState::Complete(done) => self.established(done),
                handshake => State::Client {
                    handshake,
                    deadline,
                },
            }),
            State::Server {
                handshake,
                deadline,
            } => self.server_step(handshake, &frame).map(|next| match next {
                ServerState::Complete(done) => self.established(done),
                handshake => State::Server {
                    handshake,
                    deadline,
                },
            }),
            other => {
                self.state = other;
                return Err(ApiMisuse::HandshakeNotDone.into());
            }
        };
        self.state = result?;
        Ok(())
    }

    fn client_step(&mut self, state: ClientState, frame: &Frame<'_>) -> Result<ClientState, Error> {
        let config = ClientConfig::new(signer(&self.identity), &self.authorized);
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
    pub(super) fn established(&self, done: Established) -> State {
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

/// An error met after a call made progress: report the progress now; the
/// failure is sticky, so the next call returns it.
fn deferred(error: Error, progress: Progress) -> Result<Progress, Error> {
    if progress.consumed > 0 || progress.produced > 0 {
        Ok(progress)
    } else {
        Err(error)
    }
}
