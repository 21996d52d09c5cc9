//! Fuzz functions behind `fuzz/` (see `docs/FUZZING.md`): a [`Connection`]
//! receiving arbitrary bytes ([`session_open`]) and the [`Stream`] adapter over
//! an in-memory transport ([`io_stream`]). Not part of the API: compiled only
//! with the `fuzzing` feature, which nothing but the fuzz targets and the
//! regression tests enables.
//!
//! Both parties use the fixed keys and randomness of `docs/vectors` (see
//! `ossuary_handshake::fuzzing`), so everything an honest peer sends is known
//! in advance: [`honest_session`] runs two real connections once and records
//! their handshake messages and a script of records in each direction. The
//! side under test is then built alone, per input, and fed any mix of those
//! honest frames, mutated copies ([`Piece`]) and raw bytes.
//!
//! The invariant that matters most: **plaintext is released only if the
//! honest peer sealed it, in order.** Everything the side under test hands
//! the application must be a prefix of the honest peer's plaintext stream.

// A fuzz function reports a broken invariant by panicking: that is its job.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use ossuary_crypto::{PublicKey, SecretKey, Signer};
use ossuary_handshake::fuzzing::{client_entropy, keys, server_entropy};
use ossuary_wire::fuzzing::{Piece, read_u8, read_u16, split_frames};
use ossuary_wire::{FrameType, HEADER_LEN};

use crate::config::{Clock, Config, Role};
use crate::connection::{Connection, HandshakeStatus};
use crate::error::Error;
use crate::io::Stream;
use crate::record::{Opened, RECORD_OVERHEAD};

// ---- the fixed parties ----

/// A signer borrowing one of the fixed keys (building a connection then
/// derives nothing).
struct FixedSigner(&'static SecretKey);

impl Signer for FixedSigner {
    fn public_key(&self) -> PublicKey {
        Signer::public_key(self.0)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], ossuary_crypto::Error> {
        Signer::sign(self.0, msg)
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct FuzzClock {
    start: Instant,
    elapsed_ms: AtomicU64,
}

impl FuzzClock {
    /// A clock standing at a fixed instant.
    pub fn new() -> Arc<Self> {
        static START: OnceLock<Instant> = OnceLock::new();
        Arc::new(Self {
            start: *START.get_or_init(Instant::now),
            elapsed_ms: AtomicU64::new(0),
        })
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.elapsed_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for FuzzClock {
    fn now(&self) -> Instant {
        self.start + Duration::from_millis(self.elapsed_ms.load(Ordering::Relaxed))
    }
}

/// Handshakes a connection may run: the first and `Config::max_resets` more.
const EPOCHS: u8 = 4;

/// A connection of the fixed parties.
///
/// `mutual`: the client has an identity and the server is an authenticating
/// server that authorizes it (`handshake-mutual.json`); otherwise an
/// anonymous client and an open server (`handshake-anonymous.json`).
/// `pinned`: a client trusts the server's key in advance (else TOFU).
///
/// The first handshake that draws randomness gets the vector files' bytes;
/// any later one (after [`Connection::reset`]) gets different bytes, so the
/// honest messages cannot complete a second handshake.
pub fn fixed_connection(mutual: bool, is_client: bool, pinned: bool, config: Config) -> Connection {
    let k = keys();
    let later = |epoch: u8, len: usize| {
        (0..len).map(move |i| (i as u8).wrapping_mul(7) ^ epoch.wrapping_mul(0x35))
    };
    let mut entropy = Vec::new();
    if is_client {
        entropy.extend(client_entropy(mutual));
        for epoch in 1..EPOCHS {
            entropy.extend(later(epoch, 64));
        }
        let mut c =
            Connection::with_fixed_entropy_for_testing_only(Role::Client, config, entropy).unwrap();
        if mutual {
            c.set_signer(Box::new(FixedSigner(&k.client))).unwrap();
        }
        if pinned {
            c.add_authorized_key(k.server_public.as_bytes()).unwrap();
        }
        c
    } else {
        // Built with its identity (as `Connection::with_signer`), so the
        // server draws no throwaway key: its first draw is the ephemeral.
        entropy.extend(server_entropy(mutual));
        for epoch in 1..EPOCHS {
            entropy.extend(later(epoch, 32));
        }
        let role = if mutual {
            Role::AuthenticatingServer
        } else {
            Role::OpenServer
        };
        let signer: Box<dyn Signer + Send + Sync> = Box::new(FixedSigner(&k.server));
        let mut s = Connection::build(
            role,
            config,
            Box::new(crate::entropy::Fixed::new(entropy)),
            Some(signer),
        )
        .unwrap();
        if mutual {
            s.add_authorized_key(k.client_public.as_bytes()).unwrap();
        }
        s
    }
}

// ---- the honest session ----

/// One record an honest sender sends.
#[derive(Clone, Copy, Debug)]
enum Rec {
    Data(&'static [u8]),
    KeyUpdate,
    Close,
    /// The sealed RESET a sender writes when a forged record makes it fail.
    Reset,
}

/// The client's records. The first three are the vector files' records 0, 3
/// and 4; their CLOSE (record 5) is [`CLIENT_ALTERNATIVES`]' first entry.
const CLIENT_RECORDS: &[Rec] = &[
    Rec::Data(b"ping: client to server, key generation 0"),
    Rec::KeyUpdate,
    Rec::Data(b"client to server after KEY_UPDATE, key generation 1"),
    Rec::Data(b""),
    Rec::Data(b"A"),
    Rec::Data(&[0x33; 300]),
    Rec::KeyUpdate,
    Rec::Data(&[0x44; 5000]),
    Rec::Data(b"last from the client"),
    Rec::Close,
];

/// The server's records. The first two are the vector files' records 1 and
/// 2; their CLOSE (record 6) is [`SERVER_ALTERNATIVES`]' first entry.
const SERVER_RECORDS: &[Rec] = &[
    Rec::Data(b"pong: server to client, key generation 0"),
    Rec::Data(b""),
    Rec::Data(b"B"),
    Rec::Data(&[0x55; 300]),
    Rec::KeyUpdate,
    Rec::Data(&[0x66; 5000]),
    Rec::Data(b"last from the server"),
    Rec::Close,
];

/// Records the honest client could have sent instead of record `n` of
/// [`CLIENT_RECORDS`] (ending the session there).
const CLIENT_ALTERNATIVES: &[(usize, Rec)] = &[(3, Rec::Close), (0, Rec::Reset), (9, Rec::Reset)];

/// Records the honest server could have sent instead of record `n` of
/// [`SERVER_RECORDS`].
const SERVER_ALTERNATIVES: &[(usize, Rec)] = &[(2, Rec::Close), (0, Rec::Reset), (7, Rec::Reset)];

/// What one honest party sends in a session, frame by frame.
#[derive(Clone, Debug, Default)]
pub struct HonestSide {
    /// Its handshake frames (client: CLIENT_HELLO, CLIENT_AUTH; server:
    /// SERVER_HELLO).
    pub handshake: Vec<Vec<u8>>,
    /// Its records in order, ending with CLOSE.
    pub records: Vec<Vec<u8>>,
    /// Records it could have sent instead of one of `records`, ending the
    /// session there: a CLOSE (the vector files' CLOSE is one) or a sealed
    /// RESET.
    pub alternatives: Vec<Vec<u8>>,
    /// The plaintext of its DATA records, concatenated.
    pub plaintext: Vec<u8>,
    /// How much of `plaintext` precedes each of its possible CLOSEs.
    pub close_points: Vec<usize>,
}

impl HonestSide {
    /// Every frame: handshake, records, alternatives. The honest frame list
    /// that [`Piece`]s index.
    pub fn frames(&self) -> Vec<Vec<u8>> {
        self.handshake
            .iter()
            .chain(&self.records)
            .chain(&self.alternatives)
            .cloned()
            .collect()
    }
}

/// Both directions of an honest session.
#[derive(Clone, Debug)]
pub struct HonestSession {
    /// What the client sends.
    pub client: HonestSide,
    /// What the server sends.
    pub server: HonestSide,
}

/// The honest session of the mutual or the anonymous parties, computed once.
pub fn honest_session(mutual: bool) -> &'static HonestSession {
    static SESSIONS: OnceLock<[HonestSession; 2]> = OnceLock::new();
    &SESSIONS.get_or_init(|| [run_honest(false), run_honest(true)])[usize::from(mutual)]
}

fn run_honest(mutual: bool) -> HonestSession {
    let (client, server) = run_pair(mutual, CLIENT_RECORDS, SERVER_RECORDS);
    let mut out = HonestSession { client, server };
    assert_eq!(CLIENT_ALTERNATIVES.len(), SERVER_ALTERNATIVES.len());
    for (&(c_at, c_rec), &(s_at, s_rec)) in CLIENT_ALTERNATIVES.iter().zip(SERVER_ALTERNATIVES) {
        let c_script = [&CLIENT_RECORDS[..c_at], &[c_rec]].concat();
        let s_script = [&SERVER_RECORDS[..s_at], &[s_rec]].concat();
        let (c, s) = run_pair(mutual, &c_script, &s_script);
        for (side, alt, at, rec) in [
            (&mut out.client, c, c_at, c_rec),
            (&mut out.server, s, s_at, s_rec),
        ] {
            assert_eq!(alt.handshake, side.handshake);
            assert_eq!(alt.records[..at], side.records[..at]);
            side.alternatives.push(alt.records[at].clone());
            if matches!(rec, Rec::Close) {
                side.close_points.push(alt.plaintext.len());
            }
        }
    }
    out
}

/// Runs a handshake between the fixed parties, then each side's script.
fn run_pair(
    mutual: bool,
    client_script: &[Rec],
    server_script: &[Rec],
) -> (HonestSide, HonestSide) {
    let config = || Config {
        clock: FuzzClock::new(),
        ..Config::default()
    };
    let mut client = fixed_connection(mutual, true, true, config());
    let mut server = fixed_connection(mutual, false, false, config());
    let mut sides = (HonestSide::default(), HonestSide::default());
    let mut buf = vec![0u8; 1024];
    for _ in 0..4 {
        let n = client.send_handshake(&mut buf).unwrap();
        sides.0.handshake.extend(frames_of(&buf[..n]));
        assert_eq!(server.recv_handshake(&buf[..n]).unwrap(), n);
        let n = server.send_handshake(&mut buf).unwrap();
        sides.1.handshake.extend(frames_of(&buf[..n]));
        assert_eq!(client.recv_handshake(&buf[..n]).unwrap(), n);
        if client.handshake_done().unwrap() && server.handshake_done().unwrap() {
            break;
        }
    }
    assert!(client.handshake_done().unwrap() && server.handshake_done().unwrap());
    for (conn, script, side) in [
        (&mut client, client_script, &mut sides.0),
        (&mut server, server_script, &mut sides.1),
    ] {
        side.records = send_script(conn, script);
        for rec in script {
            match rec {
                Rec::Data(p) => side.plaintext.extend_from_slice(p),
                Rec::Close => side.close_points.push(side.plaintext.len()),
                _ => {}
            }
        }
    }
    sides
}

/// Sends `script` and returns one frame per record.
fn send_script(conn: &mut Connection, script: &[Rec]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 8192];
    for rec in script {
        let n = match rec {
            Rec::Data([]) => conn.seal_in_place(&mut buf, 0).unwrap(),
            Rec::Data(p) => {
                let sent = conn.send_data(p, &mut buf).unwrap();
                assert_eq!(sent.consumed, p.len());
                sent.produced
            }
            Rec::KeyUpdate => {
                conn.update_keys().unwrap();
                conn.flush(&mut buf).unwrap()
            }
            Rec::Reset => {
                let forged = [
                    FrameType::DATA.0,
                    0,
                    16,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ];
                let mut plain = [0u8; 16];
                assert!(conn.recv_data(&forged, &mut plain).is_err());
                conn.flush(&mut buf).unwrap()
            }
            Rec::Close => {
                conn.close().unwrap();
                conn.flush(&mut buf).unwrap()
            }
        };
        let got = frames_of(&buf[..n]);
        assert_eq!(got.len(), 1, "one frame per record");
        frames.extend(got);
    }
    if let Some(Rec::Reset) = script.last() {
        let reset = frames.last().unwrap();
        assert_eq!(reset.len(), HEADER_LEN + 1 + 16);
        assert_eq!(reset[0], FrameType::RESET.0);
    }
    frames
}

/// Splits whole frames (all bytes must be covered).
fn frames_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let (frames, covered) = split_frames(bytes);
    assert_eq!(covered, bytes.len(), "not whole frames");
    frames.into_iter().map(<[u8]>::to_vec).collect()
}

// ---- shared bookkeeping ----

/// What the side under test may receive and must release.
struct Expect {
    /// The honest peer's frames (handshake, then records).
    frames: Vec<Vec<u8>>,
    /// The honest peer's handshake bytes, concatenated.
    handshake: Vec<u8>,
    /// Every handshake the side under test may complete on: `handshake`,
    /// and for a client also the SERVER_HELLO of the same honest server
    /// with the other client-authentication policy (its flags byte differs,
    /// and it is just as honest).
    handshakes: Vec<Vec<u8>>,
    /// The honest peer's DATA plaintext, concatenated.
    plaintext: &'static [u8],
    /// How much plaintext precedes each CLOSE the honest peer could send.
    close_points: &'static [usize],
    /// The peer identity a completed handshake must report.
    remote: Option<PublicKey>,
}

impl Expect {
    fn new(mutual: bool, is_client: bool) -> Self {
        let session = honest_session(mutual);
        let peer = if is_client {
            &session.server
        } else {
            &session.client
        };
        let k = keys();
        let handshake = peer.handshake.concat();
        let mut handshakes = vec![handshake.clone()];
        if is_client {
            let other_policy = ossuary_handshake::fuzzing::honest(mutual, !mutual);
            handshakes.push(other_policy.server_hello.clone());
        }
        Self {
            frames: peer.frames(),
            handshake,
            handshakes,
            plaintext: &peer.plaintext,
            close_points: &peer.close_points,
            remote: if is_client {
                Some(k.server_public)
            } else {
                mutual.then_some(k.client_public)
            },
        }
    }
}

/// Plaintext released so far, checked against the honest stream.
struct Released<'e> {
    expect: &'e Expect,
    bytes: Vec<u8>,
}

impl Released<'_> {
    fn push(&mut self, plain: &[u8]) {
        self.bytes.extend_from_slice(plain);
        assert!(
            self.expect.plaintext.starts_with(&self.bytes),
            "released plaintext the honest peer did not send at this position"
        );
    }

    /// After the peer's authenticated CLOSE, everything the peer sent before
    /// that CLOSE was released.
    fn check_closed(&self, conn: &Connection) {
        if conn.peer_closed() {
            assert!(
                self.expect.close_points.contains(&self.bytes.len()),
                "CLOSE accepted after {} of the peer's plaintext bytes, not at an honest CLOSE",
                self.bytes.len()
            );
        }
    }
}

/// Every byte a connection emitted must split into whole, valid frames.
fn check_emitted(emitted: &[u8]) {
    let (_, covered) = split_frames(emitted);
    assert_eq!(covered, emitted.len(), "emitted bytes are not whole frames");
}

/// A peer-caused error must be sticky.
fn check_error(conn: &Connection, e: &Error) {
    let _ = e.reset_reason();
    assert!(!e.to_string().is_empty());
    if !e.is_caller_error() {
        assert_eq!(conn.error(), Some(*e), "a peer-caused error is not sticky");
    }
}

fn bit(byte: u8, n: u32) -> bool {
    byte >> n & 1 == 1
}

// ---- session_open ----

/// One step of a [`SessionInput`].
///
/// Layout: a tag byte taken modulo 11; `0..3`: a [`Piece`] body; `3`, `4`: a
/// length (u16, big-endian); `7`: a [`Piece`] (tag and body); `10`: seconds
/// (one byte); the others nothing.
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
}

impl SessionOp {
    fn read(u: &mut Unstructured<'_>) -> Self {
        match read_u8(u) % 11 {
            tag @ 0..=2 => Self::Piece(Piece::read_body(tag, u)),
            3 => Self::Send(read_u16(u)),
            4 => Self::SealInPlace(read_u16(u)),
            5 => Self::UpdateKeys,
            6 => Self::Close,
            7 => Self::InPlace(Piece::read(u)),
            8 => Self::Reset,
            9 => Self::Drain,
            _ => Self::Advance(read_u8(u)),
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
        }
    }
}

/// The `session_open` target's input: one side of a session and what happens
/// to it.
///
/// Layout: a configuration byte (bit 0 `mutual`, bit 1 `is_client`, bit 2
/// `auto_handshake`, bit 3 `tofu`, bit 4 `approve`, bit 5 `small_records`),
/// a chunk size byte, an output size byte, then [`SessionOp`]s to the end.
/// The honest frame list is the peer's [`HonestSide::frames`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInput {
    /// The mutual parties (else anonymous client, open server).
    pub mutual: bool,
    /// The side under test is the client (else the server).
    pub is_client: bool,
    /// Deliver the honest peer's handshake first.
    pub auto_handshake: bool,
    /// A client does not pin the server key (it pauses: TOFU).
    pub tofu: bool,
    /// At the TOFU pause, approve (else reject).
    pub approve: bool,
    /// Own records of at most 100 bytes and a key update every 2 records.
    pub small_records: bool,
    /// Bytes per `recv_*` call; 0: a whole piece at once.
    pub chunk: u8,
    /// Size of the plaintext/output buffer; 0: 64 KiB.
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
            chunk,
            out_len,
            ops,
        })
    }
}

impl SessionInput {
    /// The input bytes that read back as `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let config = u8::from(self.mutual)
            | u8::from(self.is_client) << 1
            | u8::from(self.auto_handshake) << 2
            | u8::from(self.tofu) << 3
            | u8::from(self.approve) << 4
            | u8::from(self.small_records) << 5;
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

/// The side under test of [`session_open`] and its bookkeeping.
struct Receiver<'e> {
    conn: Connection,
    clock: Arc<FuzzClock>,
    expect: &'e Expect,
    released: Released<'e>,
    chunk: usize,
    out: Vec<u8>,
    approve: bool,
    /// Handshake bytes consumed since the last `reset`.
    handshake_in: Vec<u8>,
    /// Everything the connection wrote.
    emitted: Vec<u8>,
    /// Successful `reset`s so far.
    epoch: u32,
    /// The epoch whose handshake completed, if one did.
    done_epoch: Option<u32>,
}

/// The `session_open` target: one side of a session, built alone with the
/// fixed keys, fed a mix of the honest peer's frames, mutated copies and raw
/// bytes, between its own calls (send, seal, key update, close, in-place
/// open, reset, time passing).
///
/// Invariants, each asserted:
/// - released plaintext is always a prefix of the honest peer's plaintext
///   stream, only in the session of the completed handshake, and never after
///   a failure;
/// - the handshake completes only on the honest peer's exact handshake
///   bytes, reports the right peer identity, and at most once (after a
///   `reset`, replayed honest bytes must not complete another one);
/// - after the peer's authenticated CLOSE, everything it sent before that
///   CLOSE was released;
/// - `recv_handshake` and `recv_data` never consume more than given, never
///   write more than the buffer holds, and always make progress on
///   non-empty input (consume, release, or finish the handshake), so a
///   caller's loop cannot spin;
/// - every peer-caused error is sticky, every error has a RESET reason;
/// - every byte the connection writes forms whole, valid frames.
pub fn session_open(input: &SessionInput) {
    let expect = Expect::new(input.mutual, input.is_client);
    let clock = FuzzClock::new();
    let config = Config {
        clock: clock.clone(),
        key_update_records: if input.small_records { 2 } else { 1 << 24 },
        max_record_plaintext: if input.small_records {
            100
        } else {
            Config::MAX_RECORD_PLAINTEXT
        },
        ..Config::default()
    };
    let pinned = !(input.is_client && input.tofu);
    let conn = fixed_connection(input.mutual, input.is_client, pinned, config);
    let out_len = match input.out_len {
        0 => 1 << 16,
        n => usize::from(n),
    };
    let mut r = Receiver {
        conn,
        clock,
        expect: &expect,
        released: Released {
            expect: &expect,
            bytes: Vec::new(),
        },
        chunk: usize::from(input.chunk),
        out: vec![0u8; out_len],
        approve: input.approve,
        handshake_in: Vec::new(),
        emitted: Vec::new(),
        epoch: 0,
        done_epoch: None,
    };
    r.pump();
    if input.auto_handshake {
        for frame in &expect.handshake_frames() {
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

impl Expect {
    fn handshake_frames(&self) -> Vec<Vec<u8>> {
        let (frames, _) = split_frames(&self.handshake);
        frames.into_iter().map(<[u8]>::to_vec).collect()
    }
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
                match self.conn.send_data(&plain, &mut self.out) {
                    Ok(p) => {
                        assert!(p.consumed <= plain.len() && p.produced <= self.out.len());
                        self.emitted.extend_from_slice(&self.out[..p.produced]);
                    }
                    Err(e) => check_error(&self.conn, &e),
                }
            }
            SessionOp::SealInPlace(len) => {
                let len = usize::from(*len);
                let mut buf = pattern(len + 2 * RECORD_OVERHEAD);
                match self.conn.seal_in_place(&mut buf, len) {
                    Ok(n) => {
                        assert!(n == len + RECORD_OVERHEAD || n == len + 2 * RECORD_OVERHEAD);
                        self.emitted.extend_from_slice(&buf[..n]);
                    }
                    Err(e) => check_error(&self.conn, &e),
                }
            }
            SessionOp::UpdateKeys => {
                if let Err(e) = self.conn.update_keys() {
                    check_error(&self.conn, &e);
                }
            }
            SessionOp::Close => {
                if let Err(e) = self.conn.close() {
                    check_error(&self.conn, &e);
                }
            }
            SessionOp::Drain => self.drain(),
            SessionOp::InPlace(p) => {
                let bytes = p.bytes(&self.expect.frames);
                let (frames, _) = split_frames(&bytes);
                for frame in frames {
                    let mut frame = frame.to_vec();
                    match self.conn.open_in_place(&mut frame) {
                        Ok(Opened::Data(range)) => {
                            assert!(range.start >= HEADER_LEN && range.end <= frame.len());
                            self.release(&frame[range]);
                        }
                        Ok(Opened::Close) => assert!(self.conn.peer_closed()),
                        Ok(Opened::KeyUpdate) => {}
                        Ok(other) => panic!("open_in_place returned {other:?}"),
                        Err(e) => check_error(&self.conn, &e),
                    }
                    self.released.check_closed(&self.conn);
                    self.after_call();
                }
            }
            SessionOp::Reset => {
                let failed = self.conn.error().is_some();
                match self.conn.reset() {
                    Ok(()) => {
                        assert!(failed);
                        self.epoch += 1;
                        self.handshake_in.clear();
                    }
                    Err(e) => assert!(
                        matches!(e, Error::ResetLimit | Error::ApiMisuse(_)),
                        "reset: {e:?}"
                    ),
                }
            }
            SessionOp::Advance(secs) => self.clock.advance(Duration::from_secs(u64::from(*secs))),
        }
        self.after_call();
    }

    /// Feeds peer bytes in chunks until they are used up or refused.
    fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        let mut rounds = 0usize;
        while !rest.is_empty() {
            rounds += 1;
            assert!(
                rounds <= bytes.len() + self.expect.plaintext.len() + 16,
                "no progress feeding bytes"
            );
            if self.conn.error().is_some() {
                // A failed connection takes nothing more and releases nothing.
                assert!(self.conn.recv_data(rest, &mut self.out).is_err());
                assert!(self.conn.recv_handshake(rest).is_err());
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
                Err(e) => panic!("status failed without a sticky error: {e:?}"),
            };
            self.pump();
            self.after_call();
            rest = &rest[used..];
        }
    }

    fn recv_handshake(&mut self, input: &[u8]) -> usize {
        match self.conn.recv_handshake(input) {
            Ok(n) => {
                assert!(n <= input.len(), "consumed more than given");
                self.handshake_in.extend_from_slice(&input[..n]);
                if n == 0 {
                    // Only a finished handshake leaves input unread.
                    assert_eq!(self.conn.handshake_status(), Ok(HandshakeStatus::Done));
                }
                n
            }
            Err(e) => {
                check_error(&self.conn, &e);
                assert!(
                    self.conn.error().is_some(),
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
                check_error(&self.conn, &e);
                assert!(self.conn.error().is_some(), "recv_data error not sticky");
                0
            }
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
                    check_error(&self.conn, &e);
                    return;
                }
            }
        }
        panic!("plaintext kept coming");
    }

    /// Takes everything the connection wants to send.
    fn pump(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.conn.send_handshake(&mut buf) {
                Ok(0) => return,
                Ok(n) => self.emitted.extend_from_slice(&buf[..n]),
                Err(e) => {
                    check_error(&self.conn, &e);
                    // Failing queued a RESET: take it too.
                    let n = self.conn.flush(&mut buf).unwrap();
                    self.emitted.extend_from_slice(&buf[..n]);
                    if n == 0 {
                        return;
                    }
                }
            }
        }
    }

    /// At a TOFU pause, approves or rejects the server's key.
    fn settle(&mut self) {
        if let Ok(HandshakeStatus::UntrustedServer(key)) = self.conn.handshake_status() {
            assert_eq!(Some(key), self.expect.remote, "paused on the wrong key");
            if self.approve {
                self.conn
                    .trust_server()
                    .expect("approving the proven server");
            } else {
                assert_eq!(self.conn.reject_server(), Err(Error::UntrustedServer));
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
        if self.conn.handshake_status() != Ok(HandshakeStatus::Done)
            || self.done_epoch == Some(self.epoch)
        {
            return;
        }
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

/// `len` bytes of a recognisable pattern (at most 64 KiB + 38).
fn pattern(len: usize) -> Vec<u8> {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    let all = PATTERN.get_or_init(|| {
        (0..(1usize << 16) + 2 * RECORD_OVERHEAD)
            .map(|i| (i % 251) as u8)
            .collect()
    });
    all[..len].to_vec()
}

// ---- io_stream ----

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
/// `auto_handshake`, bit 3 `tofu`, bit 4 `approve`), a read chunk byte, a
/// write chunk byte, then [`StreamOp`]s to the end. The honest frame list is
/// the peer's [`HonestSide::frames`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInput {
    /// The mutual parties (else anonymous client, open server).
    pub mutual: bool,
    /// The side under test is the client (else the server).
    pub is_client: bool,
    /// The honest peer's handshake is waiting in the transport at the start.
    pub auto_handshake: bool,
    /// A client does not pin the server key (it pauses: TOFU).
    pub tofu: bool,
    /// At the TOFU pause, approve (else reject).
    pub approve: bool,
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
            read_chunk,
            write_chunk,
            ops,
        })
    }
}

impl StreamInput {
    /// The input bytes that read back as `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let config = u8::from(self.mutual)
            | u8::from(self.is_client) << 1
            | u8::from(self.auto_handshake) << 2
            | u8::from(self.tofu) << 3
            | u8::from(self.approve) << 4;
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

/// An in-memory transport that counts its calls: a `Stream` call that keeps
/// calling it without moving bytes is caught.
#[derive(Debug, Default)]
struct Transport {
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

impl Transport {
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

impl Read for Transport {
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

impl Write for Transport {
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
/// only after the peer's authenticated CLOSE, with all of its data read; a
/// completed handshake reports the right peer; reads and writes never report
/// more bytes than the buffer held; everything written to the transport
/// forms whole, valid frames once flushed.
pub fn io_stream(input: &StreamInput) {
    let expect = Expect::new(input.mutual, input.is_client);
    let config = Config {
        clock: FuzzClock::new(),
        ..Config::default()
    };
    let pinned = !(input.is_client && input.tofu);
    let conn = fixed_connection(input.mutual, input.is_client, pinned, config);
    let mut transport = Transport {
        read_chunk: usize::from(input.read_chunk),
        write_chunk: usize::from(input.write_chunk),
        ..Transport::default()
    };
    if input.auto_handshake {
        transport.incoming.extend_from_slice(&expect.handshake);
    }
    let mut stream = Stream::new(conn, transport);
    let mut released = Released {
        expect: &expect,
        bytes: Vec::new(),
    };
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
        t.budget = t.unread() + pending + 2 * op_len + 1024;
        match op {
            StreamOp::Piece(p) => {
                let bytes = p.bytes(&expect.frames);
                stream.get_mut().incoming.extend_from_slice(&bytes);
            }
            StreamOp::Read(n) => {
                let n = usize::from(*n).max(1);
                read_once(&mut stream, &mut buf[..n], &mut released);
            }
            StreamOp::Write(n) => {
                let data = pattern(usize::from(*n));
                if let Ok(k) = stream.write(&data) {
                    assert!(k <= data.len());
                }
            }
            StreamOp::Flush => {
                let _ = stream.flush();
            }
            StreamOp::Close => {
                let _ = stream.close();
            }
            StreamOp::Handshake => {
                if let Ok(HandshakeStatus::UntrustedServer(key)) = stream.complete_handshake() {
                    assert_eq!(Some(key), expect.remote, "paused on the wrong key");
                }
            }
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
                        assert_eq!(r, Err(Error::UntrustedServer));
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
        t.budget = t.unread() + pending + 1024;
        if !read_once(&mut stream, &mut buf[..4096], &mut released) {
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
fn read_once(stream: &mut Stream<Transport>, buf: &mut [u8], released: &mut Released<'_>) -> bool {
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
        Err(_) => false,
    }
}

/// A completed handshake reports the honest peer.
fn check_stream_peer(stream: &Stream<Transport>, expect: &Expect) {
    let conn = stream.connection();
    if conn.handshake_status() == Ok(HandshakeStatus::Done) {
        assert_eq!(conn.remote_public_key(), expect.remote.as_ref());
    }
}
