//! Shared harness for the integration tests (in the style of quinn-proto's
//! `tests/util.rs`): a deterministic in-memory [`Pair`] of connections, key
//! helpers, a fake [`Clock`], fixed randomness ([`FixedRng`]), hex and
//! low-order points, and in-memory transports for [`Stream`].
//!
//! Nothing here sleeps, and every loop is bounded.
//!
//! [`Stream`]: ossuary_core::Stream
#![allow(dead_code)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ossuary_core::{
    Clock, Config, Connection, CryptoError, Error, FrameType, HandshakeStatus, PublicKey,
    ResetReason, Role, SecretKey, Signer, generate_keypair,
};
use rand_core::{TryCryptoRng, TryRng};

mod pair;
mod transport;

#[allow(unused_imports)]
pub(crate) use pair::*;
#[allow(unused_imports)]
pub(crate) use transport::*;

/// Steps a [`Pair`] may take before it is expected to have settled.
pub(crate) const MAX_STEPS: usize = 16;

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

    /// A signer sharing this identity's key. Unlike `SecretKey::try_from`,
    /// which derives the public key again, installing it costs nothing (for
    /// the tests that build thousands of connections).
    pub(crate) fn signer(&self) -> Box<dyn Signer + Send + Sync> {
        Box::new(SharedSigner(self.key.clone()))
    }

    /// The public key.
    pub(crate) fn public(&self) -> PublicKey {
        self.public
    }

    /// The 32 secret bytes (the Ed25519 seed).
    pub(crate) fn secret_bytes(&self) -> &[u8; 32] {
        &self.secret
    }
}

/// A client, optionally with an identity, trusting `trusted` server keys.
pub(crate) fn client(identity: Option<&Identity>, trusted: &[PublicKey]) -> Connection {
    client_with(Config::default(), identity, trusted)
}

/// The default configuration with Trust-On-First-Use on: an unknown server
/// key pauses the handshake for the application's decision.
pub(crate) fn tofu_config() -> Config {
    Config {
        trust_on_first_use: true,
        ..Config::default()
    }
}

/// A client with Trust-On-First-Use on (see [`tofu_config`]).
pub(crate) fn tofu_client(identity: Option<&Identity>, trusted: &[PublicKey]) -> Connection {
    client_with(tofu_config(), identity, trusted)
}

/// [`client`] with an explicit configuration.
pub(crate) fn client_with(
    config: Config,
    identity: Option<&Identity>,
    trusted: &[PublicKey],
) -> Connection {
    let mut c = match identity {
        Some(id) => Connection::with_identity(Role::Client, config, id.signer()),
        None => Connection::client(config),
    }
    .expect("client");
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
    let mut s = Connection::with_identity(role, config, identity.signer()).expect("server");
    configure(&mut s, Some(identity), authorized);
    s
}

/// Checks the identity and adds the authorized keys.
pub(crate) fn configure(conn: &mut Connection, identity: Option<&Identity>, keys: &[PublicKey]) {
    assert_eq!(conn.local_public_key(), identity.map(Identity::public));
    for k in keys {
        conn.add_authorized_key(*k).expect("add_authorized_key");
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

    /// The current instant (also `Clock::now`).
    pub(crate) fn now(&self) -> Instant {
        self.start + *self.offset.lock().expect("clock lock")
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Instant {
        FakeClock::now(self)
    }
}

/// The default configuration with `clock` as time source.
pub(crate) fn config_with_clock(clock: &Arc<FakeClock>) -> Config {
    Config {
        clock: clock.clone(),
        ..Config::default()
    }
}

/// While `conn` is handshaking, lets a passed deadline fire
/// (`recv_handshake` with no input); returns the error that caused.
pub(crate) fn check_deadline(conn: &mut Connection) -> Option<Error> {
    match conn.handshake_status() {
        Ok(HandshakeStatus::InProgress) => conn.recv_handshake(&[]).err(),
        _ => None,
    }
}

/// The handshake deadline passed and the peer never sent a byte (it may not
/// be an Ossuary endpoint).
pub(crate) const SILENT: Error = Error::HandshakeTimeout {
    heard_from_peer: false,
};

/// The handshake deadline passed after the peer had sent something.
pub(crate) const STALLED: Error = Error::HandshakeTimeout {
    heard_from_peer: true,
};

/// What `handshake_done()` used to be: fires a passed deadline, then
/// reports whether the handshake completed (the sticky error if it failed).
pub(crate) fn handshake_done(conn: &mut Connection) -> Result<bool, Error> {
    conn.recv_handshake(&[])?;
    Ok(conn.handshake_status()? == HandshakeStatus::Done)
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

/// The error a connection reports for the peer's RESET sealed under the
/// traffic keys (after the handshake): its reason is authenticated.
pub(crate) fn sealed_reset_error(reason: ResetReason) -> Error {
    Error::PeerReset {
        reason,
        authenticated: true,
    }
}

/// The error a connection reports for the peer's plaintext RESET (during
/// the handshake): anyone on the path could have sent it.
pub(crate) fn plain_reset_error(reason: ResetReason) -> Error {
    Error::PeerReset {
        reason,
        authenticated: false,
    }
}

/// The frame types an established session takes: what
/// [`Error::UnexpectedFrame`] lists as expected once records flow.
pub(crate) const RECORD_FRAMES: &[FrameType] = &[
    FrameType::DATA,
    FrameType::KEY_UPDATE,
    FrameType::CLOSE,
    FrameType::RESET,
];

/// A well-formed frame of type `got` where the connection takes only
/// `expected`.
pub(crate) fn unexpected(expected: &'static [FrameType], got: FrameType) -> Error {
    Error::UnexpectedFrame { expected, got }
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

/// `recv_handshake`, with the error reported on this call even when the
/// call consumed input first (the library then reports progress and keeps
/// the error, sticky, for the next call; `handshake_status` shows it).
pub(crate) fn recv_handshake_now(conn: &mut Connection, input: &[u8]) -> Result<usize, Error> {
    let n = conn.recv_handshake(input)?;
    conn.handshake_status().map(|_| n)
}

/// `recv_data`, with the error reported on this call (see
/// [`recv_handshake_now`]).
pub(crate) fn recv_data_now(
    conn: &mut Connection,
    input: &[u8],
    out: &mut [u8],
) -> Result<ossuary_core::Progress, Error> {
    let p = conn.recv_data(input, out)?;
    conn.handshake_status().map(|_| p)
}

/// Every byte `conn` has queued for the network, taken.
pub(crate) fn take_output(conn: &mut Connection) -> Vec<u8> {
    let mut wire = Vec::new();
    move_output(conn, &mut wire);
    wire
}

/// The CLIENT_HELLO of a fresh client (it is queued at construction).
pub(crate) fn some_client_hello() -> Vec<u8> {
    let hello = take_output(&mut client(None, &[]));
    assert_eq!(hello.len(), 1253);
    hello
}

// ----------------------------------------------- fixed randomness ----

/// Preset bytes as the handshake's RNG, returned in order; drawing more than
/// was given panics (the test then learns that a step draws more than it
/// thought). Draws happen in this order: a client's ephemeral secret (32
/// bytes) then its random (32) at construction (and again at each
/// re-handshake); a server's ephemeral secret (32) per CLIENT_HELLO.
pub(crate) struct FixedRng {
    bytes: Vec<u8>,
    drawn: usize,
}

impl FixedRng {
    pub(crate) fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            drawn: 0,
        }
    }

    /// Boxed, as `ossuary_core::hazmat::connection_with_rng` takes it.
    pub(crate) fn boxed(bytes: impl Into<Vec<u8>>) -> Box<dyn rand_core::CryptoRng + Send> {
        Box::new(Self::new(bytes))
    }
}

impl TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let end = self.drawn + dst.len();
        let Some(src) = self.bytes.get(self.drawn..end) else {
            panic!(
                "fixed randomness ran out: {} bytes asked, {} of {} left",
                dst.len(),
                self.bytes.len() - self.drawn,
                self.bytes.len()
            );
        };
        dst.copy_from_slice(src);
        self.drawn = end;
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// A connection whose handshake randomness is `rng` (known-answer and
/// attack tests: the test knows every ephemeral secret).
#[cfg(feature = "hazmat")]
pub(crate) fn fixed_connection(
    role: Role,
    config: Config,
    identity: Option<Box<dyn Signer + Send + Sync>>,
    rng: impl Into<Vec<u8>>,
) -> Connection {
    ossuary_core::hazmat::connection_with_rng(role, config, identity, FixedRng::boxed(rng))
        .expect("connection with fixed randomness")
}

// ------------------------------------------------------ test data ----

/// Decodes hex (test data only).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A key's fingerprint as OpenSSH prints it: `SHA256:` and the unpadded
/// base64 of the SHA-256 of the key (encoded here, independently of the
/// library).
pub(crate) fn fingerprint_text(key: &PublicKey) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digest = key.fingerprint();
    let mut out = String::from("SHA256:");
    for chunk in digest.chunks(3) {
        let mut b = [0u8; 3];
        b[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
        }
    }
    out
}

/// X25519 public keys of small order and their non-canonical aliases (with
/// and without the ignored top bit): every one gives an all-zero shared
/// secret. The same list as `ossuary-handshake/tests/common/mod.rs`.
pub(crate) fn low_order_points() -> Vec<[u8; 32]> {
    let canonical = [
        // 0 and 1
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        // the two points of order 8
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        // p - 1 (order 2), p (= 0), p + 1 (= 1)
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    let mut out = Vec::new();
    for h in canonical {
        let p: [u8; 32] = hex(h).try_into().unwrap();
        out.push(p);
        let mut top = p;
        top[31] ^= 0x80;
        out.push(top);
    }
    out
}
