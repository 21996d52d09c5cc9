//! Shared harness for the integration tests (in the style of quinn-proto's
//! `tests/util.rs`): a deterministic in-memory [`Pair`] of connections, key
//! helpers, a fake [`Clock`] and in-memory transports for [`Stream`].
//!
//! Nothing here sleeps, and every loop is bounded.
//!
//! [`Stream`]: ossuary_core::Stream
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ossuary_core::{
    Clock, Config, Connection, CryptoError, Error, HandshakeStatus, PublicKey, ResetReason, Role,
    SecretKey, Signer, generate_keypair,
};

/// Steps a [`Pair`] may take before it is expected to have settled.
pub(crate) const MAX_STEPS: usize = 16;

/// Plaintext buffer used when feeding records.
const RX_CHUNK: usize = 64 * 1024;

// ---------------------------------------------------------------- keys ----

/// An identity keypair, kept so many connections can share it.
#[derive(Clone)]
pub(crate) struct Identity {
    secret: [u8; 32],
    public: PublicKey,
    key: Arc<SecretKey>,
}

impl Identity {
    /// A fresh keypair from `ossuary_core::generate_keypair`.
    pub(crate) fn generate() -> Self {
        let (secret, public) = generate_keypair().expect("OS entropy");
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&secret.to_bytes()[..]);
        Self {
            secret: bytes,
            public,
            key: Arc::new(secret),
        }
    }

    /// A signer sharing this identity's key. Unlike `set_secret_key`, which
    /// derives the public key again, installing it costs nothing (for the
    /// tests that build thousands of connections).
    pub(crate) fn signer(&self) -> Box<dyn Signer + Send + Sync> {
        Box::new(SharedSigner(self.key.clone()))
    }

    /// The public key.
    pub(crate) fn public(&self) -> PublicKey {
        self.public
    }

    /// The 32 secret bytes (for `Connection::set_secret_key`).
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        &self.secret
    }
}

/// A client, optionally with an identity, trusting `trusted` server keys.
pub(crate) fn client(identity: Option<&Identity>, trusted: &[PublicKey]) -> Connection {
    client_with(Config::default(), identity, trusted)
}

/// [`client`] with an explicit configuration.
pub(crate) fn client_with(
    config: Config,
    identity: Option<&Identity>,
    trusted: &[PublicKey],
) -> Connection {
    let mut c = Connection::with_config(Role::Client, config).expect("client");
    configure(&mut c, identity, trusted);
    c
}

/// A server of `role` with `identity`, authorizing `authorized` client keys.
pub(crate) fn server(role: Role, identity: &Identity, authorized: &[PublicKey]) -> Connection {
    server_with(role, Config::default(), identity, authorized)
}

/// [`server`] with an explicit configuration.
pub(crate) fn server_with(
    role: Role,
    config: Config,
    identity: &Identity,
    authorized: &[PublicKey],
) -> Connection {
    assert!(role.is_server());
    let mut s = Connection::with_config(role, config).expect("server");
    configure(&mut s, Some(identity), authorized);
    s
}

fn configure(conn: &mut Connection, identity: Option<&Identity>, keys: &[PublicKey]) {
    if let Some(id) = identity {
        conn.set_secret_key(id.secret_bytes())
            .expect("set_secret_key");
        assert_eq!(conn.local_public_key(), Some(id.public()));
    }
    for k in keys {
        conn.add_authorized_key(k.as_bytes())
            .expect("add_authorized_key");
    }
}

struct SharedSigner(Arc<SecretKey>);

impl Signer for SharedSigner {
    fn public_key(&self) -> PublicKey {
        Signer::public_key(&*self.0)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], CryptoError> {
        Signer::sign(&*self.0, msg)
    }
}

// --------------------------------------------------------------- clock ----

/// A clock that only moves when a test calls [`FakeClock::advance`].
#[derive(Debug)]
pub(crate) struct FakeClock {
    start: Instant,
    offset: Mutex<Duration>,
}

impl FakeClock {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        })
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock lock") += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().expect("clock lock")
    }
}

/// The default configuration with `clock` as time source.
pub(crate) fn config_with_clock(clock: &Arc<FakeClock>) -> Config {
    Config {
        clock: clock.clone(),
        ..Config::default()
    }
}

// ---------------------------------------------------------------- pair ----

/// One end of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

impl Side {
    pub(crate) fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

/// The handshake status of both sides after [`Pair::drive_handshake`].
pub(crate) type Statuses = (
    Result<HandshakeStatus, Error>,
    Result<HandshakeStatus, Error>,
);

/// A client and a server joined by two in-memory byte queues.
///
/// `c2s` holds bytes the client sent that the server has not read yet (and
/// `s2c` the reverse). Tests may read, alter, drop or inject bytes there
/// between [`Pair::transmit`] and [`Pair::deliver`].
pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
    pub(crate) c2s: Vec<u8>,
    pub(crate) s2c: Vec<u8>,
    /// Plaintext the client application received.
    pub(crate) client_rx: Vec<u8>,
    /// Plaintext the server application received.
    pub(crate) server_rx: Vec<u8>,
    /// The last error the client reported while being driven.
    pub(crate) client_err: Option<Error>,
    /// The last error the server reported while being driven.
    pub(crate) server_err: Option<Error>,
    /// Bytes of a partial frame each side has taken in (see [`feed`]).
    client_partial: Vec<u8>,
    server_partial: Vec<u8>,
}

impl Pair {
    pub(crate) fn new(client: Connection, server: Connection) -> Self {
        Self {
            client,
            server,
            c2s: Vec::new(),
            s2c: Vec::new(),
            client_rx: Vec::new(),
            server_rx: Vec::new(),
            client_err: None,
            server_err: None,
            client_partial: Vec::new(),
            server_partial: Vec::new(),
        }
    }

    /// A pinned, mutually authenticated pair (client identity authorized).
    pub(crate) fn mutual(client_id: &Identity, server_id: &Identity) -> Self {
        Self::new(
            client(Some(client_id), &[server_id.public()]),
            server(Role::AuthenticatingServer, server_id, &[client_id.public()]),
        )
    }

    /// A pinned, mutually authenticated pair with fresh keys, connected.
    pub(crate) fn connected() -> Self {
        let mut p = Self::mutual(&Identity::generate(), &Identity::generate());
        p.connect();
        p
    }

    pub(crate) fn conn(&self, side: Side) -> &Connection {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    pub(crate) fn conn_mut(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// The queue of bytes travelling away from `side`.
    pub(crate) fn outbound(&mut self, side: Side) -> &mut Vec<u8> {
        match side {
            Side::Client => &mut self.c2s,
            Side::Server => &mut self.s2c,
        }
    }

    pub(crate) fn err(&self, side: Side) -> Option<Error> {
        match side {
            Side::Client => self.client_err,
            Side::Server => self.server_err,
        }
    }

    /// Takes the plaintext `side`'s application received so far.
    pub(crate) fn take_rx(&mut self, side: Side) -> Vec<u8> {
        match side {
            Side::Client => std::mem::take(&mut self.client_rx),
            Side::Server => std::mem::take(&mut self.server_rx),
        }
    }

    /// Moves everything `side` has to send onto its outbound queue (a
    /// client's first call creates CLIENT_HELLO). Returns the bytes moved.
    pub(crate) fn transmit(&mut self, side: Side) -> usize {
        let (conn, wire, err) = match side {
            Side::Client => (&mut self.client, &mut self.c2s, &mut self.client_err),
            Side::Server => (&mut self.server, &mut self.s2c, &mut self.server_err),
        };
        if let Ok(HandshakeStatus::InProgress) = conn.handshake_status()
            && let Err(e) = conn.send_handshake(&mut [])
        {
            *err = Some(e);
        }
        move_output(conn, wire)
    }

    /// Feeds `side` the bytes waiting for it. Returns whether any input was
    /// used or any plaintext came out.
    pub(crate) fn deliver(&mut self, side: Side) -> bool {
        let (conn, wire, rx, err, partial) = match side {
            Side::Client => (
                &mut self.client,
                &mut self.s2c,
                &mut self.client_rx,
                &mut self.client_err,
                &mut self.client_partial,
            ),
            Side::Server => (
                &mut self.server,
                &mut self.c2s,
                &mut self.server_rx,
                &mut self.server_err,
                &mut self.server_partial,
            ),
        };
        let (progress, e) = feed(conn, wire, rx, partial);
        if e.is_some() {
            *err = e;
        }
        progress
    }

    /// Moves all pending output each way, then feeds both sides. Returns
    /// whether anything happened.
    pub(crate) fn step(&mut self) -> bool {
        let mut progress = self.transmit(Side::Client) > 0;
        progress |= self.transmit(Side::Server) > 0;
        progress |= self.deliver(Side::Server);
        progress |= self.deliver(Side::Client);
        // Output queued while being fed (an answer, a RESET) moves next step.
        progress
            || !self.client.pending_output().is_empty()
            || !self.server.pending_output().is_empty()
    }

    /// Steps until nothing happens any more; panics after [`MAX_STEPS`].
    pub(crate) fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            if !self.step() {
                return;
            }
        }
        panic!("pair did not settle within {MAX_STEPS} steps");
    }

    /// Drives the pair (at most [`MAX_STEPS`] steps) and returns where each
    /// side's handshake stands.
    pub(crate) fn drive_handshake(&mut self) -> Statuses {
        self.drive();
        (
            self.client.handshake_status(),
            self.server.handshake_status(),
        )
    }

    /// Drives the handshake until the client pauses on an untrusted server
    /// key (Trust-On-First-Use); returns that key.
    pub(crate) fn drive_to_pause(&mut self) -> PublicKey {
        match self.drive_handshake() {
            (Ok(HandshakeStatus::UntrustedServer(key)), Ok(HandshakeStatus::InProgress)) => key,
            other => panic!("expected a pause on an untrusted key, got {other:?}"),
        }
    }

    /// Drives the handshake and asserts that both sides completed.
    pub(crate) fn connect(&mut self) {
        let statuses = self.drive_handshake();
        assert_eq!(
            statuses,
            (Ok(HandshakeStatus::Done), Ok(HandshakeStatus::Done)),
            "handshake did not complete"
        );
        assert_eq!(self.client_err, None);
        assert_eq!(self.server_err, None);
    }

    /// Seals `msg` on `side` and puts the records on its outbound queue.
    pub(crate) fn send(&mut self, side: Side, msg: &[u8]) -> Result<(), Error> {
        let (conn, wire) = match side {
            Side::Client => (&mut self.client, &mut self.c2s),
            Side::Server => (&mut self.server, &mut self.s2c),
        };
        let mut sent = 0;
        // Each call seals at least one byte once the output is drained.
        for _ in 0..=msg.len() + 1 {
            move_output(conn, wire);
            if sent == msg.len() {
                return Ok(());
            }
            let p = conn.send_data(&msg[sent..], &mut [])?;
            sent += p.consumed;
        }
        panic!("send_data made no progress");
    }

    /// Sends `msg` from `from`, drives the pair and returns what the peer's
    /// application received.
    pub(crate) fn transfer(&mut self, from: Side, msg: &[u8]) -> Vec<u8> {
        self.send(from, msg).expect("send");
        self.drive();
        self.take_rx(from.peer())
    }

    /// Asserts that `msg` crosses from `from` to its peer intact.
    pub(crate) fn assert_roundtrip(&mut self, from: Side, msg: &[u8]) {
        let got = self.transfer(from, msg);
        assert!(
            got == msg,
            "{from:?} sent {} bytes, peer got {}",
            msg.len(),
            got.len()
        );
        assert_eq!(self.client_err, None);
        assert_eq!(self.server_err, None);
    }

    /// Asserts data crosses both ways.
    pub(crate) fn assert_data_flows(&mut self) {
        self.assert_roundtrip(Side::Client, b"ping from the client");
        self.assert_roundtrip(Side::Server, b"pong from the server");
    }

    /// Forgets the errors seen so far (after a reset).
    pub(crate) fn clear_errors(&mut self) {
        self.client_err = None;
        self.server_err = None;
    }

    /// Gives the connections back.
    pub(crate) fn into_parts(self) -> (Connection, Connection) {
        (self.client, self.server)
    }
}

/// Appends all of `conn`'s pending output to `wire`.
pub(crate) fn move_output(conn: &mut Connection, wire: &mut Vec<u8>) -> usize {
    let out = conn.pending_output();
    let n = out.len();
    wire.extend_from_slice(out);
    conn.advance_output(n);
    n
}

/// Feeds `input` to `conn` (handshake or records, as its state requires),
/// removing what it used and appending plaintext to `rx`. Returns whether
/// anything happened and the error that stopped it, if any.
///
/// Input goes in one frame at a time, so each failure is tied to the frame
/// that caused it. (A call that consumed input before failing returns `Ok`
/// with its progress and the next call returns the sticky error.)
/// `partial` mirrors the bytes of an incomplete frame the connection holds.
pub(crate) fn feed(
    conn: &mut Connection,
    input: &mut Vec<u8>,
    rx: &mut Vec<u8>,
    partial: &mut Vec<u8>,
) -> (bool, Option<Error>) {
    let mut buf = vec![0u8; RX_CHUNK];
    let mut progress = false;
    // Every round uses input or produces plaintext, so this bound is generous.
    for _ in 0..input.len() + 2 * MAX_STEPS {
        let status = match conn.handshake_status() {
            Ok(status) => status,
            Err(e) => {
                partial.clear();
                return (progress, Some(e));
            }
        };
        let chunk = frame_remaining(partial, input);
        let result = match status {
            HandshakeStatus::Done => conn.recv_data(&input[..chunk], &mut buf).map(|p| {
                rx.extend_from_slice(&buf[..p.produced]);
                (p.consumed, p.produced)
            }),
            _ => conn.recv_handshake(&input[..chunk]).map(|n| (n, 0)),
        };
        match result {
            Ok((0, 0)) => return (progress, None),
            Ok((consumed, _)) => {
                partial.extend(input.drain(..consumed));
                let complete = partial.len() >= 3
                    && partial.len()
                        >= 3 + usize::from(u16::from_be_bytes([partial[1], partial[2]]));
                if complete {
                    partial.clear();
                }
                progress = true;
            }
            Err(e) => {
                input.drain(..chunk);
                partial.clear();
                return (true, Some(e));
            }
        }
    }
    panic!("feeding did not settle");
}

/// How many bytes of `input` complete the frame whose first bytes are
/// `partial` (all of `input` if the header is not complete yet).
fn frame_remaining(partial: &[u8], input: &[u8]) -> usize {
    let header: Vec<u8> = partial.iter().chain(input).take(3).copied().collect();
    if header.len() < 3 {
        return input.len();
    }
    let frame_len = 3 + usize::from(u16::from_be_bytes([header[1], header[2]]));
    frame_len.saturating_sub(partial.len()).min(input.len())
}

/// Splits `bytes` into whole frames (type byte, whole frame). A trailing
/// partial frame is returned last as it is.
pub(crate) fn split_frames(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut frames = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 3 {
        let len = 3 + usize::from(u16::from_be_bytes([rest[1], rest[2]]));
        let (frame, tail) = rest.split_at(len.min(rest.len()));
        frames.push((frame[0], frame));
        rest = tail;
    }
    if !rest.is_empty() {
        frames.push((rest[0], rest));
    }
    frames
}

/// The frame types in `bytes`, in order.
pub(crate) fn frame_types(bytes: &[u8]) -> Vec<u8> {
    split_frames(bytes).into_iter().map(|(t, _)| t).collect()
}

/// A plaintext RESET frame (PROTOCOL.md section 10.2).
pub(crate) fn plain_reset(reason: ResetReason) -> [u8; 4] {
    [0x20, 0, 1, reason.0]
}

/// Frame type bytes (PROTOCOL.md section 2.2).
pub(crate) const CLIENT_HELLO: u8 = 0x01;
pub(crate) const SERVER_HELLO: u8 = 0x02;
pub(crate) const CLIENT_AUTH: u8 = 0x03;
pub(crate) const DATA: u8 = 0x10;
pub(crate) const KEY_UPDATE: u8 = 0x11;
pub(crate) const CLOSE: u8 = 0x12;
pub(crate) const RESET: u8 = 0x20;

/// A deterministic message of `len` bytes (not all equal, not periodic at
/// the record size).
pub(crate) fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

// ---------------------------------------------------------- transports ----

/// One end of an in-memory duplex pipe for [`ossuary_core::Stream`]. A read
/// with nothing buffered returns `WouldBlock`, or `Ok(0)` once the other end
/// has been shut down.
#[derive(Clone)]
pub(crate) struct MemEnd {
    rx: Rc<RefCell<Queue>>,
    tx: Rc<RefCell<Queue>>,
    /// Largest read returned at once (1 delivers byte by byte).
    pub(crate) max_read: usize,
}

#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    shut: bool,
}

/// Two connected in-memory ends.
pub(crate) fn mem_duplex() -> (MemEnd, MemEnd) {
    let a = Rc::new(RefCell::new(Queue::default()));
    let b = Rc::new(RefCell::new(Queue::default()));
    (
        MemEnd {
            rx: a.clone(),
            tx: b.clone(),
            max_read: usize::MAX,
        },
        MemEnd {
            rx: b,
            tx: a,
            max_read: usize::MAX,
        },
    )
}

impl MemEnd {
    /// Ends this side's output: the peer then reads EOF (a cut wire).
    pub(crate) fn shutdown_write(&self) {
        self.tx.borrow_mut().shut = true;
    }

    /// Bytes written by the peer and not yet read here.
    pub(crate) fn pending_in(&self) -> usize {
        self.rx.borrow().bytes.len()
    }

    /// Takes every byte the peer wrote that this end has not read.
    pub(crate) fn take_incoming(&self) -> Vec<u8> {
        self.rx.borrow_mut().bytes.drain(..).collect()
    }

    /// Mutable access to the bytes travelling towards this end.
    pub(crate) fn with_incoming<T>(&self, f: impl FnOnce(&mut VecDeque<u8>) -> T) -> T {
        f(&mut self.rx.borrow_mut().bytes)
    }
}

impl Read for MemEnd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.borrow_mut();
        if q.bytes.is_empty() {
            return if q.shut {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(q.bytes.len()).min(self.max_read);
        for (dst, src) in buf.iter_mut().zip(q.bytes.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

impl Write for MemEnd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut q = self.tx.borrow_mut();
        if q.shut {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        q.bytes.extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Read and write timeout for every test socket.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected loopback TCP pair (client end, server end) on an ephemeral
/// port, with read and write timeouts set.
pub(crate) fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let client = TcpStream::connect(addr).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        s.set_write_timeout(Some(IO_TIMEOUT))
            .expect("write timeout");
        s.set_nodelay(true).expect("nodelay");
    }
    (client, server)
}

/// Drives the handshakes of two streams over non-blocking transports (a
/// [`mem_duplex`]) in turn until neither makes progress; returns each
/// side's last result (`WouldBlock` while still waiting).
pub(crate) fn drive_streams<A: Read + Write, B: Read + Write>(
    c: &mut ossuary_core::Stream<A>,
    s: &mut ossuary_core::Stream<B>,
) -> (io::Result<HandshakeStatus>, io::Result<HandshakeStatus>) {
    let mut last = (
        Err(io::ErrorKind::WouldBlock.into()),
        Err(io::ErrorKind::WouldBlock.into()),
    );
    for _ in 0..4 * MAX_STEPS {
        last = (c.complete_handshake(), s.complete_handshake());
        let settled = |r: &io::Result<HandshakeStatus>| match r {
            Ok(HandshakeStatus::InProgress) => false,
            Ok(_) => true,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        };
        if settled(&last.0) && settled(&last.1) {
            break;
        }
    }
    last
}

/// Retries `f` while it returns `WouldBlock`, at most `max` times.
pub(crate) fn retry<T>(max: usize, mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    for _ in 0..max {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
    }
    panic!("still WouldBlock after {max} attempts");
}

/// The [`Error`] inside an `io::Error` produced by `Stream`, if any.
pub(crate) fn ossuary_error(e: &io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().copied()
}

/// `recv_handshake`, with the error reported on this call even when the
/// call consumed input first (the library then reports progress and keeps
/// the error, sticky, for the next call).
pub(crate) fn recv_handshake_now(conn: &mut Connection, input: &[u8]) -> Result<usize, Error> {
    let n = conn.recv_handshake(input)?;
    conn.error().map_or(Ok(n), Err)
}

/// `recv_data`, with the error reported on this call (see
/// [`recv_handshake_now`]).
pub(crate) fn recv_data_now(
    conn: &mut Connection,
    input: &[u8],
    out: &mut [u8],
) -> Result<ossuary_core::Progress, Error> {
    let p = conn.recv_data(input, out)?;
    conn.error().map_or(Ok(p), Err)
}
