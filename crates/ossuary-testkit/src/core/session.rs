//! The `session_open` target: one side of a session, a real [`Connection`]
//! built alone with the fixed keys, fed the honest peer's frames, mutated
//! copies and raw bytes between its own calls.

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use ossuary_core::{
    ApiMisuse, Config, Connection, DecodeError, Error, FrameType, HandshakeStatus, Opened,
    RECORD_OVERHEAD,
};
use ossuary_wire::{HEADER_LEN, MAX_BODY_LEN};

use super::{
    ClientTrust, CoreClock, Expect, Released, bit, check_emitted, fixed_connection, pattern,
};
use crate::input::{Piece, read_u8, read_u16};
use crate::wire::split_frames;

/// `send_data` takes plaintext while less than this much output waits
/// (`ossuary_core::Connection::send_data`).
const OUTPUT_LIMIT: usize = HEADER_LEN + MAX_BODY_LEN;

/// One step of a [`SessionInput`].
///
/// Layout: a tag byte taken modulo 12; `0..3`: a [`Piece`] body; `3`, `4`: a
/// length (u16, big-endian); `7`: a [`Piece`] (tag and body); `10`: seconds
/// (one byte); the others nothing. (`11` came last, so the bytes of every
/// earlier input still read the same.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionOp {
    /// Bytes from the peer, fed to `recv_handshake` or `recv_data`.
    Piece(Piece),
    /// The side under test sends `len` bytes with `send_data`.
    Send(u16),
    /// The side under test seals `len` bytes with `seal_in_place`.
    SealInPlace(u16),
    /// `update_keys`.
    UpdateKeys,
    /// `close`.
    Close,
    /// `recv_data` with no input, to take buffered plaintext.
    Drain,
    /// Bytes from the peer, each whole frame given to `open_in_place`.
    InPlace(Piece),
    /// `reset` after a failure (a new handshake).
    Reset,
    /// The clock moves forward by this many seconds.
    Advance(u8),
    /// The transport ended: `end_of_input`.
    EndOfInput,
}

impl SessionOp {
    fn read(u: &mut Unstructured<'_>) -> Self {
        match read_u8(u) % 12 {
            tag @ 0..=2 => Self::Piece(Piece::read_body(tag, u)),
            3 => Self::Send(read_u16(u)),
            4 => Self::SealInPlace(read_u16(u)),
            5 => Self::UpdateKeys,
            6 => Self::Close,
            7 => Self::InPlace(Piece::read(u)),
            8 => Self::Reset,
            9 => Self::Drain,
            10 => Self::Advance(read_u8(u)),
            _ => Self::EndOfInput,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Piece(p) => p.write(out),
            Self::Send(len) => {
                out.push(3);
                out.extend_from_slice(&len.to_be_bytes());
            }
            Self::SealInPlace(len) => {
                out.push(4);
                out.extend_from_slice(&len.to_be_bytes());
            }
            Self::UpdateKeys => out.push(5),
            Self::Close => out.push(6),
            Self::InPlace(p) => {
                out.push(7);
                p.write(out);
            }
            Self::Reset => out.push(8),
            Self::Drain => out.push(9),
            Self::Advance(s) => out.extend_from_slice(&[10, *s]),
            Self::EndOfInput => out.push(11),
        }
    }
}

/// The `session_open` target's input: one side of a session and what happens
/// to it.
///
/// Layout: a configuration byte (bit 0 `mutual`, bit 1 `is_client`, bit 2
/// `auto_handshake`, bit 3 `tofu`, bit 4 `approve`, bit 5 `small_records`,
/// bit 6 `refuse_unknown`, bit 7 `pin_other`), a chunk size byte, an output size byte, then [`SessionOp`]s to the end.
/// The honest frame list is the peer's
/// [`HonestSide::frames`](super::HonestSide::frames).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInput {
    /// The mutual parties (else anonymous client, open server).
    pub mutual: bool,
    /// The side under test is the client (else the server).
    pub is_client: bool,
    /// Deliver the honest peer's handshake first.
    pub auto_handshake: bool,
    /// A client does not pin the server key: it pauses (TOFU), unless
    /// `refuse_unknown`.
    pub tofu: bool,
    /// At the TOFU pause, approve (else reject).
    pub approve: bool,
    /// Own records of at most 100 bytes and a key update every 2 records.
    pub small_records: bool,
    /// The client does not opt in to Trust-On-First-Use
    /// (`Config::trust_on_first_use` off): an unknown server is refused.
    pub refuse_unknown: bool,
    /// A client that pins (not `tofu`) pins another key than the server's:
    /// the server is refused with `ServerKeyChanged`.
    pub pin_other: bool,
    /// Bytes per `recv_*` call; 0: a whole piece at once.
    pub chunk: u8,
    /// Size of the plaintext buffer of `recv_data`, and the most bytes taken
    /// from `pending_output` per `advance_output` (a transport that accepts
    /// that much per write); 0: 64 KiB.
    pub out_len: u8,
    /// What happens, in order.
    pub ops: Vec<SessionOp>,
}

impl<'a> Arbitrary<'a> for SessionInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let config = read_u8(u);
        let chunk = read_u8(u);
        let out_len = read_u8(u);
        let mut ops = Vec::new();
        while !u.is_empty() {
            ops.push(SessionOp::read(u));
        }
        Ok(Self {
            mutual: bit(config, 0),
            is_client: bit(config, 1),
            auto_handshake: bit(config, 2),
            tofu: bit(config, 3),
            approve: bit(config, 4),
            small_records: bit(config, 5),
            refuse_unknown: bit(config, 6),
            pin_other: bit(config, 7),
            chunk,
            out_len,
            ops,
        })
    }
}

impl SessionInput {
    /// What the client knows of the server key (a server ignores it).
    pub fn trust(&self) -> ClientTrust {
        ClientTrust::from_flags(self.tofu, self.pin_other)
    }

    /// The input bytes that read back as `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let config = u8::from(self.mutual)
            | u8::from(self.is_client) << 1
            | u8::from(self.auto_handshake) << 2
            | u8::from(self.tofu) << 3
            | u8::from(self.approve) << 4
            | u8::from(self.small_records) << 5
            | u8::from(self.refuse_unknown) << 6
            | u8::from(self.pin_other) << 7;
        let mut out = vec![config, self.chunk, self.out_len];
        for op in &self.ops {
            op.write(&mut out);
        }
        out
    }
}

/// [`session_open`] on raw fuzzer bytes (what the target and the regression
/// tests call).
pub fn session_open_bytes(data: &[u8]) {
    if let Ok(input) = SessionInput::arbitrary_take_rest(Unstructured::new(data)) {
        session_open(&input);
    }
}

/// The `session_open` target: one side of a session, built alone with the
/// fixed keys, fed a mix of the honest peer's frames, mutated copies and raw
/// bytes, between its own calls (send, seal, key update, close, in-place
/// open, reset, time passing, end of input).
///
/// Invariants, each asserted:
/// - released plaintext is always a prefix of the honest peer's plaintext
///   stream, only in the session of the completed handshake, and never after
///   a failure;
/// - the handshake completes only on the honest peer's exact handshake
///   bytes, reports the right peer identity, and at most once (after a
///   `reset`, replayed honest bytes must not complete another one);
/// - a client follows its trust: it pauses only if it pinned nothing and
///   opted in to TOFU, completes only with the pinned key or after
///   approving, and is refused with `UntrustedServer` (nothing pinned) or
///   `ServerKeyChanged` (another key pinned) naming the right keys;
/// - after the peer's authenticated CLOSE, everything it sent before that
///   CLOSE was released; `end_of_input` is `Ok` only then;
/// - `recv_handshake` and `recv_data` never consume more than given, never
///   write more than the buffer holds, and always make progress on
///   non-empty input (consume, release, or finish the handshake), so a
///   caller's loop cannot spin; a frame refused at its header fails with
///   its bytes not consumed (the caller offers them again after `reset`);
///   `send_data` takes all of its plaintext unless a full frame of output
///   waits;
/// - every peer-caused error is sticky (`handshake_status` returns it, later
///   calls fail and release nothing) and queues a RESET, unless this side
///   had sent CLOSE or was waiting for the peer's RESET after `reset` (one
///   RESET per session); a caller's error (`NotOneFrame` included) changes
///   nothing;
/// - every byte the connection writes forms whole, valid frames.
pub fn session_open(input: &SessionInput) {
    let trust = input.trust();
    let tofu = !input.refuse_unknown;
    let expect = Expect::new(input.mutual, input.is_client, trust, tofu);
    let clock = CoreClock::new();
    let config = Config {
        clock: clock.config_clock(),
        key_update_records: if input.small_records { 2 } else { 1 << 24 },
        max_record_plaintext: if input.small_records {
            100
        } else {
            ossuary_core::MAX_RECORD_PLAINTEXT
        },
        trust_on_first_use: tofu,
        ..Config::default()
    };
    let conn = fixed_connection(input.mutual, input.is_client, trust, config);
    let out_len = match input.out_len {
        0 => 1 << 16,
        n => usize::from(n),
    };
    let mut r = Receiver {
        conn,
        clock,
        expect: &expect,
        released: Released::new(&expect),
        chunk: usize::from(input.chunk),
        out: vec![0u8; out_len],
        approve: input.approve,
        handshake_in: Vec::new(),
        tail: Vec::new(),
        unconsumed: Vec::new(),
        emitted: Vec::new(),
        epoch: 0,
        done_epoch: None,
        failed: false,
        sent_close: false,
        awaiting_reset: false,
    };
    r.pump();
    if input.auto_handshake {
        for frame in expect.handshake_frames {
            r.feed(frame);
        }
        r.settle();
    }
    for op in &input.ops {
        r.op(op);
        r.pump();
        r.settle();
    }
    r.drain();
    r.pump();
    check_emitted(&r.emitted);
}

/// The side under test of [`session_open`] and its bookkeeping.
struct Receiver<'e> {
    conn: Connection,
    clock: CoreClock,
    expect: &'e Expect,
    released: Released<'e>,
    chunk: usize,
    out: Vec<u8>,
    approve: bool,
    /// Handshake bytes consumed since the last `reset`.
    handshake_in: Vec<u8>,
    /// The last (at most 2) peer bytes consumed since the last `reset`: a
    /// header refused in a later call may have begun there.
    tail: Vec<u8>,
    /// Peer bytes offered but not consumed when the connection failed, in
    /// order: a caller offers them again after `reset` (a refused frame's
    /// bytes among them are skipped by its length field).
    unconsumed: Vec<u8>,
    /// Everything the connection wrote.
    emitted: Vec<u8>,
    /// Successful `reset`s so far.
    epoch: u32,
    /// The epoch whose handshake completed, if one did.
    done_epoch: Option<u32>,
    /// The connection had failed when its output was last taken.
    failed: bool,
    /// This side sent CLOSE in the current session.
    sent_close: bool,
    /// After `reset` without the peer's RESET: the connection may still be
    /// waiting for it (it sends nothing until its new handshake starts, and
    /// a failure then queues no second RESET).
    awaiting_reset: bool,
}

impl Receiver<'_> {
    fn op(&mut self, op: &SessionOp) {
        match op {
            SessionOp::Piece(p) => {
                let bytes = p.bytes(&self.expect.frames);
                self.feed(&bytes);
            }
            SessionOp::Send(len) => {
                let plain = pattern(usize::from(*len));
                // The output was taken after the last call: only a full
                // frame of new output stops `send_data` taking plaintext.
                assert!(self.conn.pending_output().is_empty());
                match self.conn.send_data(&plain) {
                    Ok(k) => assert!(
                        k == plain.len()
                            || (k < plain.len()
                                && self.conn.pending_output().len() >= OUTPUT_LIMIT),
                        "send_data took {k} of {} bytes with {} bytes of output waiting",
                        plain.len(),
                        self.conn.pending_output().len()
                    ),
                    Err(e) => self.check_error(&e),
                }
            }
            SessionOp::SealInPlace(len) => {
                let len = usize::from(*len);
                // `len + 38` bytes, always (a key update may follow).
                let mut buf = pattern(len + 2 * RECORD_OVERHEAD);
                match self.conn.seal_in_place(&mut buf, len) {
                    Ok(n) => {
                        assert!(n == len + RECORD_OVERHEAD || n == len + 2 * RECORD_OVERHEAD);
                        self.emitted.extend_from_slice(&buf[..n]);
                    }
                    Err(e) => self.check_error(&e),
                }
            }
            SessionOp::UpdateKeys => {
                if let Err(e) = self.conn.update_keys() {
                    self.check_error(&e);
                }
            }
            SessionOp::Close => {
                if let Err(e) = self.conn.close() {
                    self.check_error(&e);
                }
            }
            SessionOp::Drain => self.drain(),
            SessionOp::InPlace(p) => {
                let bytes = p.bytes(&self.expect.frames);
                let (frames, covered) = split_frames(&bytes);
                for frame in frames {
                    self.open_in_place(frame.to_vec());
                }
                // What is left is not one whole frame: a caller's mistake
                // (nothing changes) unless the peer made its header illegal.
                if covered < bytes.len() {
                    self.open_in_place(bytes[covered..].to_vec());
                }
            }
            SessionOp::Reset => {
                let before = self.conn.handshake_status();
                match self.conn.reset() {
                    Ok(()) => {
                        let Err(e) = before else {
                            panic!("reset succeeded on a connection that had not failed");
                        };
                        self.epoch += 1;
                        self.handshake_in.clear();
                        self.tail.clear();
                        self.sent_close = false;
                        self.awaiting_reset = !matches!(e, Error::PeerReset { .. });
                        // A caller offers again what the connection had not
                        // taken when it failed.
                        let again = std::mem::take(&mut self.unconsumed);
                        self.pump();
                        self.feed(&again);
                    }
                    Err(e) => assert!(
                        matches!(e, Error::ResetLimit | Error::ApiMisuse(_)),
                        "reset: {e:?}"
                    ),
                }
            }
            SessionOp::Advance(secs) => self.clock.0.advance(Duration::from_secs(u64::from(*secs))),
            SessionOp::EndOfInput => {
                let before = self.conn.handshake_status();
                let closed = self.conn.peer_closed();
                match self.conn.end_of_input() {
                    Ok(()) => {
                        assert!(closed, "end_of_input accepted without the peer's CLOSE");
                        assert_eq!(self.conn.handshake_status(), before);
                    }
                    Err(e) => {
                        self.check_error(&e);
                        match before {
                            Err(sticky) => {
                                assert_eq!(e, sticky, "end_of_input: not the sticky error")
                            }
                            Ok(_) => assert_eq!(e, Error::Truncated, "end_of_input: {e:?}"),
                        }
                    }
                }
            }
        }
        self.after_call();
    }

    /// One `open_in_place` call on `frame`.
    fn open_in_place(&mut self, mut frame: Vec<u8>) {
        let before = self.conn.handshake_status();
        let pending = self.conn.pending_output().len();
        match self.conn.open_in_place(&mut frame) {
            Ok(Opened::Data(range)) => {
                assert!(range.start >= HEADER_LEN && range.end <= frame.len());
                self.release(&frame[range]);
            }
            Ok(Opened::Close) => assert!(self.conn.peer_closed()),
            Ok(Opened::KeyUpdate) => {}
            Err(e) => {
                self.check_error(&e);
                if e == Error::ApiMisuse(ApiMisuse::NotOneFrame) {
                    assert_eq!(self.conn.handshake_status(), before);
                    assert_eq!(self.conn.pending_output().len(), pending);
                }
            }
        }
        self.released.check_closed(&self.conn);
        self.after_call();
    }

    /// Feeds peer bytes in chunks until they are used up or refused; keeps
    /// what a failure left unconsumed, to offer it again after `reset`.
    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        let mut rounds = 0usize;
        while !rest.is_empty() {
            rounds += 1;
            assert!(
                rounds <= bytes.len() + self.expect.plaintext.len() + 16,
                "no progress feeding bytes"
            );
            if let Err(e) = self.conn.handshake_status() {
                if rounds > 1 {
                    // The failure came in this feed: a refused header is not
                    // consumed.
                    self.check_refused(&e, rest);
                }
                // A failed connection takes nothing more and releases nothing.
                assert!(self.conn.recv_data(rest, &mut self.out).is_err());
                assert!(self.conn.recv_handshake(rest).is_err());
                self.unconsumed.extend_from_slice(rest);
                return;
            }
            let step = match self.chunk {
                0 => rest.len(),
                n => n.min(rest.len()),
            };
            let input = &rest[..step];
            let used = match self.conn.handshake_status() {
                Ok(HandshakeStatus::Done) => self.recv_data(input),
                Ok(HandshakeStatus::UntrustedServer(_)) => {
                    self.settle();
                    0
                }
                Ok(HandshakeStatus::InProgress) => self.recv_handshake(input),
                Err(e) => panic!("status failed after checking it: {e:?}"),
            };
            let tail = [&self.tail[..], &input[..used]].concat();
            self.tail = tail[tail.len().saturating_sub(2)..].to_vec();
            self.pump();
            self.after_call();
            rest = &rest[used..];
        }
    }

    /// A frame refused at its header (an unknown type, an illegal length)
    /// fails before its body arrives, and its bytes are not consumed: its
    /// first byte is the first byte not consumed, or was consumed (into a
    /// partial header) by one of the last calls.
    fn check_refused(&self, e: &Error, unconsumed: &[u8]) {
        let ty = match *e {
            Error::UnexpectedFrame { expected: [], got } if !got.is_known() => got,
            Error::Decode(DecodeError::BadLength { frame_type, .. }) => frame_type,
            _ => return,
        };
        assert!(
            self.tail
                .iter()
                .chain(unconsumed.first())
                .any(|&b| b == ty.0),
            "a frame refused at its header ({e:?}) was consumed: next bytes {:02x?}",
            &unconsumed[..unconsumed.len().min(3)]
        );
    }

    fn recv_handshake(&mut self, input: &[u8]) -> usize {
        match self.conn.recv_handshake(input) {
            Ok(n) => {
                assert!(n <= input.len(), "consumed more than given");
                self.handshake_in.extend_from_slice(&input[..n]);
                // Non-empty input is consumed in part at least, unless the
                // handshake had ended (it stops after its last frame).
                assert!(
                    n > 0 || self.conn.handshake_status() == Ok(HandshakeStatus::Done),
                    "recv_handshake made no progress"
                );
                n
            }
            Err(e) => {
                self.check_error(&e);
                assert!(
                    self.conn.handshake_status().is_err(),
                    "recv_handshake error not sticky"
                );
                0
            }
        }
    }

    fn recv_data(&mut self, input: &[u8]) -> usize {
        match self.conn.recv_data(input, &mut self.out) {
            Ok(p) => {
                assert!(p.consumed <= input.len(), "consumed more than given");
                assert!(p.produced <= self.out.len(), "wrote past the buffer");
                assert!(
                    p.consumed > 0 || p.produced > 0,
                    "recv_data made no progress"
                );
                let out = std::mem::take(&mut self.out);
                self.release(&out[..p.produced]);
                self.out = out;
                self.released.check_closed(&self.conn);
                p.consumed
            }
            Err(e) => {
                self.check_error(&e);
                assert!(
                    self.conn.handshake_status().is_err(),
                    "recv_data error not sticky"
                );
                0
            }
        }
    }

    /// The shared error checks, and what this session knows: a sealed RESET
    /// comes only in an established session, and a deadline that passes
    /// before anything came from the peer says so.
    fn check_error(&self, e: &Error) {
        self.expect.check_error(&self.conn, e);
        match *e {
            Error::PeerReset {
                authenticated: true,
                ..
            } => assert_eq!(
                self.done_epoch,
                Some(self.epoch),
                "an authenticated RESET outside an established session"
            ),
            Error::HandshakeTimeout {
                heard_from_peer: false,
            } if self.epoch == 0 => assert!(
                self.handshake_in.is_empty(),
                "timeout says nothing came from the peer after {} bytes",
                self.handshake_in.len()
            ),
            _ => {}
        }
    }

    /// Plaintext handed to the application: only from the first, completed
    /// handshake's session, and only what the honest peer sent.
    fn release(&mut self, plain: &[u8]) {
        if !plain.is_empty() {
            assert_eq!(
                self.done_epoch,
                Some(self.epoch),
                "plaintext outside the session of the completed handshake"
            );
            self.released.push(plain);
        }
    }

    /// Takes plaintext still buffered inside.
    fn drain(&mut self) {
        for _ in 0..=self.expect.plaintext.len() {
            match self.conn.recv_data(&[], &mut self.out) {
                Ok(p) if p.produced > 0 => {
                    assert_eq!(p.consumed, 0);
                    let out = std::mem::take(&mut self.out);
                    self.release(&out[..p.produced]);
                    self.out = out;
                }
                Ok(_) => return,
                Err(e) => {
                    self.check_error(&e);
                    return;
                }
            }
        }
        panic!("plaintext kept coming");
    }

    /// Takes everything the connection has for the network, at most
    /// `out.len()` bytes per `advance_output`, and checks that a new
    /// failure queued a RESET: none after this side's CLOSE, and none
    /// while waiting for the peer's RESET after `reset` (this session's
    /// RESET went out before; only the deadline or the end of input can
    /// fail it there).
    fn pump(&mut self) {
        self.sent_close |= self.conn.is_closed();
        let status = self.conn.handshake_status();
        let pending = self.conn.pending_output();
        let (frames, _) = split_frames(pending);
        if let Err(e) = status
            && !self.failed
            && !self.sent_close
        {
            let queued_reset = frames.last().is_some_and(|f| f[0] == FrameType::RESET.0);
            if !queued_reset {
                assert!(
                    self.awaiting_reset
                        && pending.is_empty()
                        && matches!(e, Error::HandshakeTimeout { .. } | Error::Truncated),
                    "a failure queued no RESET: {e:?}"
                );
            }
            if self.awaiting_reset && self.expect.client_trust.is_some() {
                // A client's new handshake starts with its CLIENT_HELLO.
                assert!(
                    frames
                        .first()
                        .is_none_or(|f| f[0] == FrameType::CLIENT_HELLO.0),
                    "a second RESET while waiting for the peer's"
                );
            }
        }
        // Nothing is sent while waiting for the peer's RESET: output means
        // the new handshake has started.
        if status.is_ok() && !pending.is_empty() {
            self.awaiting_reset = false;
        }
        self.failed = status.is_err();
        let step = self.out.len();
        while !self.conn.pending_output().is_empty() {
            let pending = self.conn.pending_output();
            let n = step.min(pending.len());
            self.emitted.extend_from_slice(&pending[..n]);
            self.conn.advance_output(n);
        }
    }

    /// At a TOFU pause, approves or rejects the server's key.
    fn settle(&mut self) {
        if let Ok(HandshakeStatus::UntrustedServer(key)) = self.conn.handshake_status() {
            assert!(self.expect.may_pause(), "paused without TOFU");
            assert_eq!(Some(key), self.expect.remote, "paused on the wrong key");
            if self.approve {
                self.conn
                    .trust_server()
                    .expect("approving the proven server");
            } else {
                assert_eq!(
                    self.conn.reject_server(),
                    Err(Error::UntrustedServer { key })
                );
            }
            self.pump();
            self.after_call();
        }
    }

    /// Checks the handshake invariants after any call.
    ///
    /// The vector files' randomness is drawn once, by the first handshake
    /// that draws at all (a client's first; a server's first CLIENT_HELLO,
    /// which may come after a `reset`), so at most one handshake can ever
    /// complete, and only on the honest peer's bytes: all bytes of the
    /// first epoch, or, after a `reset`, the bytes that followed the frames
    /// skipped while waiting for the peer's RESET.
    fn after_call(&mut self) {
        let status = self.conn.handshake_status();
        if let Ok(HandshakeStatus::UntrustedServer(_)) = status {
            assert!(self.expect.may_pause(), "paused without TOFU");
        }
        if status != Ok(HandshakeStatus::Done) || self.done_epoch == Some(self.epoch) {
            return;
        }
        assert!(
            self.expect.may_complete(),
            "completed a handshake the client's trust refuses"
        );
        assert_eq!(
            self.done_epoch, None,
            "a second handshake completed (replayed honest bytes)"
        );
        self.done_epoch = Some(self.epoch);
        let honest = self.expect.handshakes.iter().any(|h| {
            if self.epoch == 0 {
                self.handshake_in == *h
            } else {
                self.handshake_in.ends_with(h)
            }
        });
        assert!(
            honest,
            "handshake completed on bytes the honest peer did not send: {:02x?}",
            self.handshake_in
        );
        assert_eq!(self.conn.remote_public_key(), self.expect.remote.as_ref());
    }
}
