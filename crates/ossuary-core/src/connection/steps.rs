//! Processing one frame: a handshake step, or a record.

use ossuary_handshake::{ClientConfig, ClientState, Established, ServerConfig, ServerState};
use ossuary_wire::{Frame, FrameType, HEADER_LEN, Parsed, ResetReason};

use super::{Connection, State};
use crate::config::Role;
use crate::entropy::draw;
use crate::error::{ApiMisuse, Error};
use crate::record::{CONTROL_FRAME_LEN, Opened, RECORD_OVERHEAD, RecordLayer, UpdatePolicy};

impl Connection {
    pub(super) fn start_if_fresh(&mut self) -> Result<(), Error> {
        if !matches!(self.state, State::Fresh) {
            return Ok(());
        }
        let random = draw::<64>(self.entropy.as_mut())?;
        let mut rng = ossuary_crypto::PresetRng::new(&random[..]);
        let mut out = [0u8; ossuary_wire::CLIENT_HELLO_FRAME_LEN];
        let (state, n) = ClientState::start(&mut rng, &mut out)?;
        if rng.overdrawn() {
            return Err(Error::Entropy);
        }
        self.queue(out.get(..n).unwrap_or_default());
        self.state = State::Client(state);
        self.deadline = Some(self.config.clock.now() + self.config.handshake_timeout);
        Ok(())
    }

    pub(super) fn on_frame_during_handshake(&mut self) -> Result<(), Error> {
        let rx = core::mem::take(&mut self.rx);
        let result = self.handshake_step(&rx);
        self.rx = rx;
        self.rx.clear();
        self.release_handshake_buffers();
        result
    }

    pub(super) fn handshake_step(&mut self, rx: &[u8]) -> Result<(), Error> {
        let Parsed::Complete { value: frame, .. } = Frame::parse(rx)? else {
            return Err(Error::Decode(ossuary_wire::DecodeError::Truncated {
                context: "frame",
            }));
        };
        if let (FrameType::RESET, [reason]) = (frame.header.frame_type, frame.body) {
            // Plaintext RESET: the only kind a peer without keys can send.
            // A sealed one here cannot be opened and fails as an unexpected frame.
            return Err(Error::PeerReset(ResetReason(*reason)));
        }
        let mut out = [0u8; ossuary_wire::SERVER_HELLO_FRAME_LEN];
        match self.take_state() {
            State::Client(state) => {
                let cfg = ClientConfig::new(self.identity_ref(), &self.authorized);
                let (next, n) = state.handle(&frame, &cfg, &mut out)?;
                self.queue(out.get(..n).unwrap_or_default());
                match next {
                    ClientState::Complete(done) => self.establish(done),
                    other => self.state = State::Client(other),
                }
            }
            State::Server(state) => {
                // Only CLIENT_HELLO needs randomness (the server's ephemeral key).
                let random = if matches!(state, ServerState::ExpectClientHello(_))
                    && frame.header.frame_type == FrameType::CLIENT_HELLO
                {
                    draw::<32>(self.entropy.as_mut())?
                } else {
                    zeroize::Zeroizing::new([0u8; 32])
                };
                let mut rng = ossuary_crypto::PresetRng::new(&random[..]);
                let identity = self.identity_ref().ok_or(Error::InvalidKey)?;
                let cfg = ServerConfig::new(
                    identity,
                    self.role == Role::AuthenticatingServer,
                    &self.authorized,
                );
                let (next, n) = state.handle(&frame, &cfg, &mut rng, &mut out)?;
                if rng.overdrawn() {
                    return Err(Error::Entropy);
                }
                self.queue(out.get(..n).unwrap_or_default());
                match next {
                    ServerState::Complete(done) => self.establish(done),
                    other => self.state = State::Server(other),
                }
            }
            _ => return Err(ApiMisuse::HandshakeNotDone.into()),
        }
        Ok(())
    }

    pub(super) fn establish(&mut self, done: Established) {
        let (sealer, opener, remote) = done.into_parts();
        self.remote = remote;
        self.deadline = None;
        let policy = UpdatePolicy {
            records: self.config.key_update_records.clamp(1, 1 << 62),
            bytes: self.config.key_update_bytes.max(1),
        };
        self.state = State::Established(RecordLayer::new(
            sealer,
            opener,
            policy,
            self.role == Role::Client,
        ));
    }

    pub(super) fn seal_data(&mut self, plaintext: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let len = plaintext.len();
        let need = len + RECORD_OVERHEAD + CONTROL_FRAME_LEN;
        if out.len() >= need {
            write_plain(out, plaintext);
            return self.records()?.seal_data(out, len);
        }
        // Not enough room: seal into the output queue (kept for flush).
        let mut tx = core::mem::take(&mut self.tx);
        let base = tx.len();
        tx.resize(base + need, 0);
        let room = tx.get_mut(base..).unwrap_or_default();
        write_plain(room, plaintext);
        let result = self.records().and_then(|r| r.seal_data(room, len));
        tx.truncate(base + *result.as_ref().unwrap_or(&0));
        self.tx = tx;
        result.map(|_| 0)
    }

    /// The fast path for records: when nothing is buffered and `input` starts
    /// with a whole DATA frame whose plaintext fits `out`, its ciphertext is
    /// copied straight into `out` and opened there (one copy instead of two).
    /// Returns `(input used, plaintext bytes)`, or `None` to take the
    /// buffered path.
    pub(super) fn open_data_into(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<Option<(usize, usize)>, Error> {
        if !self.rx.is_empty() || !self.rx_plain.is_empty() {
            return Ok(None);
        }
        let Ok(Parsed::Complete {
            value: frame,
            consumed,
        }) = Frame::parse(input)
        else {
            return Ok(None);
        };
        if frame.header.frame_type != FrameType::DATA {
            return Ok(None);
        }
        let Some(plain_len) = frame.body.len().checked_sub(ossuary_crypto::TAG_LEN) else {
            return Ok(None);
        };
        let (Some(dst), Some(ciphertext), Some(tag)) = (
            out.get_mut(..plain_len),
            frame.body.get(..plain_len),
            frame.body.get(plain_len..).and_then(|t| t.try_into().ok()),
        ) else {
            return Ok(None);
        };
        dst.copy_from_slice(ciphertext);
        let header = frame.header.to_bytes();
        self.records()?.open_data_detached(&header, dst, tag)?;
        Ok(Some((consumed, plain_len)))
    }

    pub(super) fn on_record(&mut self) -> Result<(), Error> {
        let mut rx = core::mem::take(&mut self.rx);
        let opened = self.records().and_then(|r| r.open(&mut rx));
        self.rx = rx;
        match opened {
            Ok(Opened::Data(range)) => {
                self.rx_plain = range;
                if self.rx_plain.is_empty() {
                    self.rx.clear();
                }
                Ok(())
            }
            Ok(other) => {
                self.rx.clear();
                self.after_open(&other)
            }
            Err(e) => {
                self.rx.clear();
                Err(e)
            }
        }
    }

    pub(super) fn after_open(&mut self, opened: &Opened) -> Result<(), Error> {
        match opened {
            Opened::Close => self.peer_closed = true,
            Opened::Reset { reason, .. } => return Err(Error::PeerReset(*reason)),
            Opened::Data(_) | Opened::KeyUpdate => {}
        }
        Ok(())
    }
}

/// Copies `plaintext` to `buf[3..]`, where a record's plaintext goes.
fn write_plain(buf: &mut [u8], plaintext: &[u8]) {
    if let Some(dst) = buf.get_mut(HEADER_LEN..HEADER_LEN + plaintext.len()) {
        dst.copy_from_slice(plaintext);
    }
}
