//! The `io_stream` target: [`Stream`] over an in-memory transport that
//! delivers the honest peer's frames, mutated copies and raw bytes in
//! chunks, with injected faults.

use std::io::{self, Read, Write};

use arbitrary::{Arbitrary, Unstructured};
use ossuary_core::{Config, Error, HandshakeStatus, Stream};

use super::{
    ClientTrust, CoreClock, Expect, Released, bit, check_emitted, fixed_connection, pattern,
};
use crate::input::{Piece, read_u8, read_u16};

/// One step of a [`StreamInput`].
///
/// Layout: a tag byte taken modulo 11; `0..3`: a [`Piece`] body; `3`, `4`: a
/// length (u16, big-endian); `9`, `10`: a fault kind byte; the others nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamOp {
    /// Bytes from the peer arrive at the transport.
    Piece(Piece),
    /// The application reads into a buffer of this many bytes (at least 1).
    Read(u16),
    /// The application writes this many bytes.
    Write(u16),
    /// `flush`.
    Flush,
    /// `close`.
    Close,
    /// `complete_handshake`.
    Handshake,
    /// At a TOFU pause: `trust_server` (approve) or `reject_server`.
    Trust,
    /// The transport's next read fails: would block, interrupted, an error,
    /// or the end of the stream (by kind modulo 4).
    ReadFault(u8),
    /// The transport's next write fails: would block, writes nothing, or an
    /// error (by kind modulo 3).
    WriteFault(u8),
}

impl StreamOp {
    fn read(u: &mut Unstructured<'_>) -> Self {
        match read_u8(u) % 11 {
            tag @ 0..=2 => Self::Piece(Piece::read_body(tag, u)),
            3 => Self::Read(read_u16(u)),
            4 => Self::Write(read_u16(u)),
            5 => Self::Flush,
            6 => Self::Close,
            7 => Self::Handshake,
            8 => Self::Trust,
            9 => Self::ReadFault(read_u8(u)),
            _ => Self::WriteFault(read_u8(u)),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Piece(p) => p.write(out),
            Self::Read(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_be_bytes());
            }
            Self::Write(n) => {
                out.push(4);
                out.extend_from_slice(&n.to_be_bytes());
            }
            Self::Flush => out.push(5),
            Self::Close => out.push(6),
            Self::Handshake => out.push(7),
            Self::Trust => out.push(8),
            Self::ReadFault(k) => out.extend_from_slice(&[9, *k]),
            Self::WriteFault(k) => out.extend_from_slice(&[10, *k]),
        }
    }
}

/// The `io_stream` target's input: a [`Stream`] for one side, its transport's
/// behaviour, and what happens.
///
/// Layout: a configuration byte (bit 0 `mutual`, bit 1 `is_client`, bit 2
/// `auto_handshake`, bit 3 `tofu`, bit 4 `approve`, bit 6 `refuse_unknown`,
/// bit 7 `pin_other`; as in [`SessionInput`](super::SessionInput)), a read
/// chunk byte, a write chunk byte, then [`StreamOp`]s to the end. The honest frame list is
/// the peer's [`HonestSide::frames`](super::HonestSide::frames).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInput {
    /// The mutual parties (else anonymous client, open server).
    pub mutual: bool,
    /// The side under test is the client (else the server).
    pub is_client: bool,
    /// The honest peer's handshake is waiting in the transport at the start.
    pub auto_handshake: bool,
    /// A client does not pin the server key: it pauses (TOFU), unless
    /// `refuse_unknown`.
    pub tofu: bool,
    /// At the TOFU pause, approve (else reject).
    pub approve: bool,
    /// The client does not opt in to Trust-On-First-Use: an unknown server
    /// is refused.
    pub refuse_unknown: bool,
    /// A client that pins (not `tofu`) pins another key than the server's.
    pub pin_other: bool,
    /// Most bytes one transport read returns; 0: no limit.
    pub read_chunk: u8,
    /// Most bytes one transport write takes; 0: no limit.
    pub write_chunk: u8,
    /// What happens, in order.
    pub ops: Vec<StreamOp>,
}

impl<'a> Arbitrary<'a> for StreamInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let config = read_u8(u);
        let read_chunk = read_u8(u);
        let write_chunk = read_u8(u);
        let mut ops = Vec::new();
        while !u.is_empty() {
            ops.push(StreamOp::read(u));
        }
        Ok(Self {
            mutual: bit(config, 0),
            is_client: bit(config, 1),
            auto_handshake: bit(config, 2),
            tofu: bit(config, 3),
            approve: bit(config, 4),
            refuse_unknown: bit(config, 6),
            pin_other: bit(config, 7),
            read_chunk,
            write_chunk,
            ops,
        })
    }
}

impl StreamInput {
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
            | u8::from(self.refuse_unknown) << 6
            | u8::from(self.pin_other) << 7;
        let mut out = vec![config, self.read_chunk, self.write_chunk];
        for op in &self.ops {
            op.write(&mut out);
        }
        out
    }
}

/// [`io_stream`] on raw fuzzer bytes (what the target and the regression
/// tests call).
pub fn io_stream_bytes(data: &[u8]) {
    if let Ok(input) = StreamInput::arbitrary_take_rest(Unstructured::new(data)) {
        io_stream(&input);
    }
}

/// Transport calls one operation may make beyond the bytes it is known to
/// move: the output it makes as it goes, written one byte a call at worst.
/// The largest is a handshake message (SERVER_HELLO, 1237 bytes, answers a
/// CLIENT_HELLO read in the same call), plus a RESET and records.
const CALL_MARGIN: usize = ossuary_wire::SERVER_HELLO_FRAME_LEN + 1024;

/// An in-memory transport that counts its calls: a `Stream` call that keeps
/// calling it without moving bytes is caught.
#[derive(Debug, Default)]
struct MemTransport {
    incoming: Vec<u8>,
    read_pos: usize,
    read_chunk: usize,
    write_chunk: usize,
    read_fault: Option<u8>,
    write_fault: Option<u8>,
    eof: bool,
    written: Vec<u8>,
    calls: usize,
    budget: usize,
}

/// No read timeouts: the defaults (the fake clock does not move here).
impl ossuary_core::Transport for MemTransport {}

impl MemTransport {
    fn tick(&mut self) {
        self.calls += 1;
        assert!(
            self.calls <= self.budget,
            "the Stream keeps calling its transport without progress"
        );
    }

    fn unread(&self) -> usize {
        self.incoming.len() - self.read_pos
    }
}

impl Read for MemTransport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tick();
        if let Some(kind) = self.read_fault.take() {
            return match kind % 4 {
                0 => Err(io::ErrorKind::WouldBlock.into()),
                1 => Err(io::ErrorKind::Interrupted.into()),
                2 => Err(io::Error::other("transport read failed")),
                _ => Ok(0),
            };
        }
        let available = &self.incoming[self.read_pos..];
        if available.is_empty() {
            return if self.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let limit = if self.read_chunk == 0 {
            usize::MAX
        } else {
            self.read_chunk
        };
        let n = buf.len().min(available.len()).min(limit);
        buf[..n].copy_from_slice(&available[..n]);
        self.read_pos += n;
        Ok(n)
    }
}

impl Write for MemTransport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tick();
        if let Some(kind) = self.write_fault.take() {
            return match kind % 3 {
                0 => Err(io::ErrorKind::WouldBlock.into()),
                1 => Ok(0),
                _ => Err(io::Error::other("transport write failed")),
            };
        }
        let limit = if self.write_chunk == 0 {
            usize::MAX
        } else {
            self.write_chunk
        };
        let n = buf.len().min(limit);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tick();
        Ok(())
    }
}

/// The `io_stream` target: a [`Stream`] over an in-memory transport that
/// delivers the honest peer's frames, mutated copies and raw bytes in chunks,
/// with injected `WouldBlock`, `Interrupted`, errors and end of stream.
///
/// Invariants, each asserted: no call spins on the transport (each call's
/// transport calls are bounded by the bytes it could move); plaintext read is
/// always a prefix of the honest peer's plaintext; a read returns `Ok(0)`
/// only after the peer's authenticated CLOSE, with all of its data read, and
/// a transport that ends before it fails the connection (`Truncated`); a
/// completed handshake reports the right peer; a client follows its trust
/// (pauses only with TOFU, completes only with the pinned key or after
/// approving, is refused naming the right keys); reads and writes never
/// report more bytes than the buffer held; everything written to the
/// transport forms whole, valid frames once flushed.
pub fn io_stream(input: &StreamInput) {
    let trust = input.trust();
    let tofu = !input.refuse_unknown;
    let expect = Expect::new(input.mutual, input.is_client, trust, tofu);
    let config = Config {
        clock: CoreClock::new().config_clock(),
        trust_on_first_use: tofu,
        ..Config::default()
    };
    let conn = fixed_connection(input.mutual, input.is_client, trust, config);
    let mut transport = MemTransport {
        read_chunk: usize::from(input.read_chunk),
        write_chunk: usize::from(input.write_chunk),
        ..MemTransport::default()
    };
    if input.auto_handshake {
        transport.incoming.extend_from_slice(expect.handshake());
    }
    let mut stream = Stream::new(conn, transport);
    let mut released = Released::new(&expect);
    let mut buf = vec![0u8; 1 << 16];
    for op in &input.ops {
        let op_len = match op {
            StreamOp::Read(n) | StreamOp::Write(n) => usize::from(*n),
            _ => 0,
        };
        let pending = stream.connection().pending_output().len();
        let t = stream.get_mut();
        t.calls = 0;
        // Each transport call moves at least one byte or ends the call: the
        // bytes waiting, the bytes to send (handshake messages, records,
        // RESET) and a margin bound them.
        t.budget = t.unread() + pending + 2 * op_len + CALL_MARGIN;
        match op {
            StreamOp::Piece(p) => {
                let bytes = p.bytes(&expect.frames);
                stream.get_mut().incoming.extend_from_slice(&bytes);
            }
            StreamOp::Read(n) => {
                let n = usize::from(*n).max(1);
                read_once(&mut stream, &mut buf[..n], &mut released, &expect);
            }
            StreamOp::Write(n) => {
                let data = pattern(usize::from(*n));
                match stream.write(&data) {
                    Ok(k) => assert!(k <= data.len()),
                    Err(e) => check_io_error(&expect, &e),
                }
            }
            StreamOp::Flush => {
                if let Err(e) = stream.flush() {
                    check_io_error(&expect, &e);
                }
            }
            StreamOp::Close => {
                if let Err(e) = stream.close() {
                    check_io_error(&expect, &e);
                }
            }
            StreamOp::Handshake => match stream.complete_handshake() {
                Ok(HandshakeStatus::UntrustedServer(key)) => {
                    assert!(expect.may_pause(), "paused without TOFU");
                    assert_eq!(Some(key), expect.remote, "paused on the wrong key");
                }
                Ok(_) => {}
                Err(e) => check_io_error(&expect, &e),
            },
            StreamOp::Trust => {
                let conn = stream.connection_mut();
                let paused = matches!(
                    conn.handshake_status(),
                    Ok(HandshakeStatus::UntrustedServer(_))
                );
                if input.approve {
                    let r = conn.trust_server();
                    if paused {
                        r.expect("approving the proven server");
                    }
                } else {
                    let r = conn.reject_server();
                    if paused {
                        let key = expect.remote.expect("a client expects the server's key");
                        assert_eq!(r, Err(Error::UntrustedServer { key }));
                    }
                }
            }
            StreamOp::ReadFault(kind) => stream.get_mut().read_fault = Some(*kind),
            StreamOp::WriteFault(kind) => stream.get_mut().write_fault = Some(*kind),
        }
        check_stream_peer(&stream, &expect);
    }

    // The transport ends: read what is left, then flush everything.
    let t = stream.get_mut();
    t.eof = true;
    t.read_fault = None;
    t.write_fault = None;
    for _ in 0..64 {
        let pending = stream.connection().pending_output().len();
        let t = stream.get_mut();
        t.calls = 0;
        t.budget = t.unread() + pending + CALL_MARGIN;
        if !read_once(&mut stream, &mut buf[..4096], &mut released, &expect) {
            break;
        }
    }
    let pending = stream.connection().pending_output().len();
    let t = stream.get_mut();
    t.calls = 0;
    t.budget = pending + 16;
    let _ = stream.flush();
    assert!(stream.connection().pending_output().is_empty());
    check_emitted(&stream.get_ref().written);
}

/// One application read; returns whether it returned data.
fn read_once(
    stream: &mut Stream<MemTransport>,
    buf: &mut [u8],
    released: &mut Released<'_>,
    expect: &Expect,
) -> bool {
    match stream.read(buf) {
        Ok(0) => {
            assert!(
                stream.connection().peer_closed(),
                "end of stream without the peer's authenticated CLOSE"
            );
            released.check_closed(stream.connection());
            false
        }
        Ok(k) => {
            assert!(k <= buf.len(), "read more than the buffer holds");
            released.push(&buf[..k]);
            true
        }
        Err(e) => {
            check_io_error(expect, &e);
            if inner_error(&e) == Some(Error::Truncated) {
                // The transport ended before the peer's CLOSE: the
                // connection knows (`end_of_input`), and stays failed.
                assert_eq!(
                    stream.connection().handshake_status(),
                    Err(Error::Truncated),
                    "a truncated stream did not fail its connection"
                );
            }
            false
        }
    }
}

/// The [`Error`] an `io::Error` from the stream wraps, if any.
fn inner_error(e: &io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().copied()
}

/// A stream's error wrapping a trust error names the right keys, and only
/// for the trust that causes it.
fn check_io_error(expect: &Expect, e: &io::Error) {
    if let Some(inner) = inner_error(e) {
        expect.check_trust_error(&inner);
    }
}

/// A completed handshake reports the honest peer, and only a client that
/// may trust it completes; only a TOFU client pauses.
fn check_stream_peer(stream: &Stream<MemTransport>, expect: &Expect) {
    let conn = stream.connection();
    match conn.handshake_status() {
        Ok(HandshakeStatus::Done) => {
            assert!(
                expect.may_complete(),
                "completed a handshake the client's trust refuses"
            );
            assert_eq!(conn.remote_public_key(), expect.remote.as_ref());
        }
        Ok(HandshakeStatus::UntrustedServer(_)) => {
            assert!(expect.may_pause(), "paused without TOFU");
        }
        _ => {}
    }
}
