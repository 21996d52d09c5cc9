//! Every single-bit flip of every handshake message (CLIENT_HELLO,
//! SERVER_HELLO, CLIENT_AUTH in both forms) and of a DATA record must end in
//! a typed error on one side: never a panic, never both sides completing.
//!
//! Thousands of handshakes are too slow in a debug build if every one
//! generates keys, so the handshakes are made deterministic with fixed
//! randomness (`hazmat::connection_with_rng`, so this file needs the
//! `hazmat` feature): identities are created once, the
//! client always sends the same CLIENT_HELLO and the server always answers
//! with the same SERVER_HELLO. A flipped message can then be fed to a fresh
//! receiver in exactly the state the original message was meant for, and
//! the server is recycled with `reset()` instead of being rebuilt. The
//! server's signatures are remembered ([`MemoSigner`]), since it signs the
//! same transcript every time. Even so this is the slowest file (about
//! 2 700 handshakes' worth of X25519); the larger loops are split in two so
//! the test threads share them.

mod common;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use common::*;
use ossuary_core::{
    Config, Connection, CryptoError, Error, HandshakeError, HandshakeStatus, PeerMisbehaved,
    PublicKey, ResetReason, Role, Signer,
};

/// The client's handshake randomness: `e_c_sk`, `random_c`, then the
/// ML-KEM seed `d || z`.
const CLIENT_RANDOM: [u8; 128] = {
    let mut r = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        r[i] = (i as u8).wrapping_mul(37).wrapping_add(11);
        i += 1;
    }
    r
};

/// The server's per-handshake randomness: `e_s_sk`, then ML-KEM `m`.
const SERVER_RANDOM: [u8; 64] = [0x5a; 64];

const MESSAGE: &[u8] = b"ok";

const DECRYPT_FAILED: Error = Error::Handshake(HandshakeError::PeerMisbehaved(
    PeerMisbehaved::HandshakeDecryptFailed,
));

/// The server's identity as a signer that remembers its signatures. The
/// deterministic server signs the same transcript again and again; Ed25519
/// is deterministic, so returning the remembered signature is exactly what
/// signing again would give (a signer in an HSM could do the same), and it
/// saves a scalar multiplication per handshake in a debug build.
///
/// With `blind` set it does not sign transcripts it has not seen but
/// returns zeros: see [`flip_client_hello`] for why that is sound there.
#[derive(Clone)]
struct MemoSigner {
    inner: Arc<dyn Signer + Send + Sync>,
    memo: Arc<Mutex<HashMap<Vec<u8>, [u8; 64]>>>,
    blind: bool,
}

impl Signer for MemoSigner {
    fn public_key(&self) -> PublicKey {
        self.inner.public_key()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], CryptoError> {
        if let Some(sig) = self.memo.lock().unwrap().get(msg) {
            return Ok(*sig);
        }
        if self.blind {
            return Ok([0; 64]);
        }
        let sig = self.inner.sign(msg)?;
        self.memo.lock().unwrap().insert(msg.to_vec(), sig);
        Ok(sig)
    }
}

/// Deterministic parties and the messages of one reference handshake.
struct Fixture {
    sid: Identity,
    server_signer: MemoSigner,
    cid: Option<Identity>,
    role: Role,
    client_hello: Vec<u8>,
    server_hello: Vec<u8>,
    client_auth: Vec<u8>,
    /// A DATA record carrying [`MESSAGE`] from client to server.
    record: Vec<u8>,
    /// The frame the server last refused at its header, as its length field
    /// describes it: the library consumed none of it, so the stream still
    /// holds it, and [`Fixture::recycle`] offers it again after `reset()`
    /// (it is then skipped by its length).
    unread: RefCell<Vec<u8>>,
}

impl Fixture {
    /// `mutual`: client identity and authenticating server; otherwise an
    /// anonymous client and an open server.
    fn new(mutual: bool) -> Self {
        let sid = Identity::generate();
        let mut fx = Self {
            server_signer: MemoSigner {
                inner: Arc::from(sid.signer()),
                memo: Arc::default(),
                blind: false,
            },
            sid,
            cid: mutual.then(Identity::generate),
            role: if mutual {
                Role::AuthenticatingServer
            } else {
                Role::OpenServer
            },
            client_hello: Vec::new(),
            server_hello: Vec::new(),
            client_auth: Vec::new(),
            record: Vec::new(),
            unread: RefCell::default(),
        };
        let mut c = fx.client();
        let mut s = fx.server(1);
        fx.client_hello = output(&mut c);
        assert_eq!(fx.client_hello.len(), 1253);
        assert_eq!(s.recv_handshake(&fx.client_hello), Ok(1253));
        fx.server_hello = output(&mut s);
        assert_eq!(fx.server_hello.len(), 1237);
        assert_eq!(c.recv_handshake(&fx.server_hello), Ok(1237));
        assert_eq!(c.handshake_status(), Ok(HandshakeStatus::Done));
        fx.client_auth = output(&mut c);
        assert_eq!(fx.client_auth.len(), if mutual { 116 } else { 20 });
        assert_eq!(s.recv_handshake(&fx.client_auth), Ok(fx.client_auth.len()));
        assert_eq!(s.handshake_status(), Ok(HandshakeStatus::Done));
        assert_eq!(c.send_data(MESSAGE), Ok(MESSAGE.len()));
        fx.record = output(&mut c);
        assert_eq!(fx.record.len(), MESSAGE.len() + 19);
        let mut plain = [0u8; 64];
        let got = s.recv_data(&fx.record, &mut plain).unwrap();
        assert_eq!(&plain[..got.produced], MESSAGE);
        fx
    }

    /// A client that has queued the reference CLIENT_HELLO.
    fn client(&self) -> Connection {
        let signer = self.cid.as_ref().map(Identity::signer);
        let mut c = fixed_connection(
            Role::Client,
            Config::default(),
            signer,
            CLIENT_RANDOM.to_vec(),
        );
        configure(&mut c, self.cid.as_ref(), &[self.sid.public()]);
        c
    }

    /// A server answering every CLIENT_HELLO with the same randomness, for
    /// up to `handshakes` handshakes, with unlimited resets.
    fn server(&self, handshakes: usize) -> Connection {
        self.server_with(handshakes, self.server_signer.clone())
    }

    /// A server that does not sign transcripts it has not signed before.
    fn blind_server(&self, handshakes: usize) -> Connection {
        let blind = MemoSigner {
            blind: true,
            ..self.server_signer.clone()
        };
        self.server_with(handshakes, blind)
    }

    fn server_with(&self, handshakes: usize, signer: MemoSigner) -> Connection {
        let entropy = SERVER_RANDOM.repeat(handshakes);
        let config = Config {
            max_resets: u32::MAX,
            ..Config::default()
        };
        let mut s = fixed_connection(self.role, config, Some(Box::new(signer)), entropy);
        let authorized: Vec<PublicKey> = self.cid.iter().map(Identity::public).collect();
        configure(&mut s, Some(&self.sid), &authorized);
        s
    }

    /// Brings a server back to waiting for CLIENT_HELLO, whatever its state.
    fn recycle(&self, s: &mut Connection) {
        let reset = plain_reset(ResetReason::UNSPECIFIED);
        let peer_reset = match s.handshake_status() {
            Err(e) => matches!(e, Error::PeerReset { .. }),
            Ok(HandshakeStatus::Done) => {
                // A plaintext RESET is refused once established.
                let mut out = [0u8; 16];
                assert_eq!(recv_data_now(s, &reset, &mut out), Err(Error::BadRecord));
                false
            }
            Ok(_) => {
                assert!(matches!(
                    recv_handshake_now(s, &reset),
                    Err(Error::PeerReset { .. })
                ));
                true
            }
        };
        s.reset().unwrap();
        let unread = self.unread.take();
        if !peer_reset {
            // Waiting for the peer's RESET: the rest of the stream (a refused
            // frame, skipped by its length field), then the RESET.
            let rest = [&unread[..], &reset[..]].concat();
            assert_eq!(s.recv_handshake(&rest), Ok(rest.len()));
        } else {
            assert!(unread.is_empty());
        }
        s.advance_output(usize::MAX);
        assert_eq!(s.handshake_status(), Ok(HandshakeStatus::InProgress));
    }

    /// `recv_handshake_now` on the server; a frame refused at its header
    /// (nothing consumed) is remembered for [`Self::recycle`].
    fn server_handshake(&self, server: &mut Connection, input: &[u8]) -> Result<usize, Error> {
        match server.recv_handshake(input) {
            Err(e) => {
                self.unread.replace(as_declared(input));
                Err(e)
            }
            Ok(n) => server.handshake_status().map(|_| n),
        }
    }

    /// `recv_data_now` on the server, remembering a refused frame as
    /// [`Self::server_handshake`] does.
    fn server_data(
        &self,
        server: &mut Connection,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<ossuary_core::Progress, Error> {
        match server.recv_data(input, out) {
            Err(e) => {
                self.unread.replace(as_declared(input));
                Err(e)
            }
            Ok(p) => server.handshake_status().map(|_| p),
        }
    }

    /// A recycled server that has answered the reference CLIENT_HELLO.
    fn server_awaiting_client_auth(&self, s: &mut Connection) {
        self.recycle(s);
        assert_eq!(s.recv_handshake(&self.client_hello), Ok(1253));
        assert_eq!(s.pending_output(), &self.server_hello[..]);
        s.advance_output(usize::MAX);
    }

    /// A client that has sent the reference CLIENT_HELLO.
    fn client_awaiting_server_hello(&self) -> Connection {
        let mut c = self.client();
        assert_eq!(output(&mut c), self.client_hello);
        c
    }
}

/// The frame that starts `bytes` as its length field describes it: cut to
/// that length, or padded with zeros up to it.
fn as_declared(bytes: &[u8]) -> Vec<u8> {
    let declared = 3 + usize::from(u16::from_be_bytes([bytes[1], bytes[2]]));
    let mut frame = bytes[..declared.min(bytes.len())].to_vec();
    frame.resize(declared, 0);
    frame
}

/// Everything `conn` has to send.
fn output(conn: &mut Connection) -> Vec<u8> {
    take_output(conn)
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[bit / 8] ^= 1 << (bit % 8);
    v
}

/// Runs `check` for every bit of `message`, catching panics, and fails with
/// a list of the bits that were not handled properly.
fn for_every_bit(
    message: &[u8],
    bytes: Range<usize>,
    mut check: impl FnMut(usize, Vec<u8>) -> Result<(), String>,
) {
    let mut failures = Vec::new();
    let bits = bytes.start * 8..bytes.end * 8;
    let count = bits.len();
    for bit in bits {
        let flipped = flip(message, bit);
        match catch_unwind(AssertUnwindSafe(|| check(bit, flipped))) {
            Ok(Ok(())) => {}
            Ok(Err(msg)) => failures.push(format!("bit {bit}: {msg}")),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                failures.push(format!("bit {bit}: PANIC {what:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} flips mishandled:\n{}",
        failures.len(),
        count,
        failures.join("\n")
    );
}

/// The error a handshake step may legitimately report for a flipped
/// message: malformed framing, a frame of the wrong type, or a handshake
/// failure.
fn is_handshake_rejection(e: &Error) -> bool {
    matches!(
        e,
        Error::Decode(_) | Error::UnexpectedFrame { .. } | Error::Handshake(_)
    )
}

/// Finishes a handshake that a flip did not stop, and describes how far it
/// got. Both sides completing is what must never happen; if they do, check
/// whether a record still crosses (it would only if the flip hit nothing).
fn finish(client: Connection, server: Connection, c2s: Vec<u8>, s2c: Vec<u8>) -> String {
    let mut p = Pair::new(client, server);
    p.c2s = c2s;
    p.s2c = s2c;
    if let Ok(HandshakeStatus::UntrustedServer(_)) = p.client.handshake_status() {
        return "the client paused on an untrusted key".into();
    }
    let statuses = p.drive_handshake();
    if statuses == (Ok(HandshakeStatus::Done), Ok(HandshakeStatus::Done)) {
        let got = p.transfer(Side::Client, MESSAGE);
        format!(
            "BOTH SIDES COMPLETED; a record {}",
            if got == MESSAGE {
                "still round-trips"
            } else {
                "does not round-trip (different keys)"
            }
        )
    } else {
        format!("undetected by its receiver; then {statuses:?}")
    }
}

#[test]
fn every_bit_of_client_hello_header_and_ephemeral_key() {
    // Type, length, version, flags, e_c.
    flip_client_hello(0..37);
}

#[test]
fn every_bit_of_client_hello_random() {
    flip_client_hello(37..69);
}

#[test]
fn every_bit_of_client_hello_kem_key() {
    // ek: a flip either leaves a coefficient unreduced (the server refuses
    // the key) or gives another valid key, to which the server encapsulates
    // a secret the client cannot decapsulate.
    flip_client_hello(69..1253);
}

/// The server cannot authenticate CLIENT_HELLO; a flip it does not refuse
/// as malformed changes its SERVER_HELLO, which the client must refuse: a
/// changed e_c gives another DH output, a changed ek another ML-KEM secret,
/// a changed random_c another TH2, so
/// either way the sealed identity does not open. The client therefore never
/// looks at the signature, and the server may skip computing it (a blind
/// signer), which halves the cost of this loop. Because of that the
/// client's error must be exactly HandshakeDecryptFailed: any other outcome
/// fails the test.
fn flip_client_hello(bytes: Range<usize>) {
    let fx = Fixture::new(true);
    let mut server = fx.blind_server(1253 * 8 + 1);
    for_every_bit(&fx.client_hello, bytes, |_, flipped| {
        judge_client_hello(&fx, &mut server, &flipped)
    });
}

fn judge_client_hello(fx: &Fixture, server: &mut Connection, hello: &[u8]) -> Result<(), String> {
    fx.recycle(server);
    match fx.server_handshake(server, hello) {
        Err(e) => {
            // Malformed: the server refuses it and sends a plaintext RESET.
            if !is_handshake_rejection(&e) {
                return Err(format!("server error {e:?}"));
            }
            let reset = output(server);
            if reset.len() != 4 || reset[0] != RESET {
                return Err(format!("server sent {reset:?} instead of a RESET"));
            }
            Ok(())
        }
        Ok(n) => {
            if n != 1253 || server.handshake_status() != Ok(HandshakeStatus::InProgress) {
                return Err(format!("server took {n} bytes: {server:?}"));
            }
            let answer = output(server);
            if answer == fx.server_hello {
                return Err("the server's answer did not change".into());
            }
            let mut client = fx.client_awaiting_server_hello();
            match recv_handshake_now(&mut client, &answer) {
                Err(DECRYPT_FAILED) => Ok(()),
                Err(e) => Err(format!("client error {e:?}")),
                Ok(_) => Err(format!(
                    "client accepted the answer: {:?}",
                    client.handshake_status()
                )),
            }
        }
    }
}

#[test]
fn every_bit_of_server_hello_clear_part_and_identity() {
    // Type, length, version, flags, e_s, ct, then the sealed S_id.
    flip_server_hello(0..1157);
}

#[test]
fn every_bit_of_server_hello_signature_and_tag() {
    flip_server_hello(1157..1237);
}

fn flip_server_hello(bytes: Range<usize>) {
    let fx = Fixture::new(true);
    for_every_bit(&fx.server_hello, bytes, |_, flipped| {
        judge_server_hello(&fx, &flipped)
    });
}

fn judge_server_hello(fx: &Fixture, hello: &[u8]) -> Result<(), String> {
    let mut client = fx.client_awaiting_server_hello();
    match recv_handshake_now(&mut client, hello) {
        Err(e) if is_handshake_rejection(&e) => {
            if client.handshake_status() != Err(e) {
                return Err("error not sticky".into());
            }
            let reset = output(&mut client);
            if reset.len() != 4 || reset[0] != RESET {
                return Err(format!("client sent {reset:?} instead of a RESET"));
            }
            Ok(())
        }
        Err(e) => Err(format!("client error {e:?}")),
        Ok(_) => {
            // Undetected: let the real server (which sent the original)
            // see where this leads.
            let c2s = output(&mut client);
            let mut server = fx.server(1);
            assert_eq!(server.recv_handshake(&fx.client_hello), Ok(1253));
            server.advance_output(usize::MAX);
            Err(format!(
                "client accepted: {}",
                finish(client, server, c2s, vec![])
            ))
        }
    }
}

#[test]
fn every_bit_of_identity_client_auth() {
    flip_client_auth(&Fixture::new(true));
}

#[test]
fn every_bit_of_anonymous_client_auth() {
    flip_client_auth(&Fixture::new(false));
}

/// Flips every bit of the fixture's CLIENT_AUTH in front of a server that
/// answered the reference CLIENT_HELLO.
fn flip_client_auth(fx: &Fixture) {
    let mut server = fx.server(fx.client_auth.len() * 8 + 1);
    for_every_bit(&fx.client_auth, 0..fx.client_auth.len(), |_, flipped| {
        judge_client_auth(fx, &mut server, &flipped)
    });
}

fn judge_client_auth(fx: &Fixture, server: &mut Connection, auth: &[u8]) -> Result<(), String> {
    fx.server_awaiting_client_auth(server);
    match fx.server_handshake(server, auth) {
        Err(e) if is_handshake_rejection(&e) => {
            if server.remote_public_key().is_some() {
                return Err("server exposes a remote key".into());
            }
            // No traffic keys: the RESET is plaintext.
            let reset = output(server);
            if reset.len() != 4 || reset[0] != RESET {
                return Err(format!("server sent {reset:?} instead of a RESET"));
            }
            Ok(())
        }
        Err(e) => Err(format!("server error {e:?}")),
        Ok(n) if n < auth.len() => Err(format!("server waits: took {n} bytes")),
        Ok(_) => {
            // The client is established after sending CLIENT_AUTH.
            let mut client = fx.client_awaiting_server_hello();
            assert_eq!(client.recv_handshake(&fx.server_hello), Ok(1237));
            client.advance_output(usize::MAX);
            let s = std::mem::replace(server, fx.server(fx.client_auth.len() * 8));
            Err(format!(
                "server accepted: {}",
                finish(client, s, vec![], vec![])
            ))
        }
    }
}

#[test]
fn every_bit_of_a_data_record() {
    let fx = Fixture::new(false);
    let mut server = fx.server(fx.record.len() * 8 + 1);
    for_every_bit(&fx.record, 0..fx.record.len(), |_, flipped| {
        judge_record(&fx, &mut server, flipped)
    });
}

fn judge_record(fx: &Fixture, server: &mut Connection, mut record: Vec<u8>) -> Result<(), String> {
    fx.server_awaiting_client_auth(server);
    assert_eq!(server.recv_handshake(&fx.client_auth), Ok(20));
    assert_eq!(server.handshake_status(), Ok(HandshakeStatus::Done));
    // A longer length field waits for more bytes: supply them, so the frame
    // is complete and must be judged.
    let declared = 3 + usize::from(u16::from_be_bytes([record[1], record[2]]));
    if declared > record.len() {
        record.resize(declared, 0);
    }
    let mut plain = vec![0u8; 1 << 16];
    match fx.server_data(server, &record, &mut plain) {
        Err(Error::BadRecord | Error::Decode(_) | Error::UnexpectedFrame { .. }) => {
            if server.peer_closed() {
                return Err("reported as a clean close".into());
            }
            // Established: the RESET is sealed (20 bytes).
            let reset = output(server);
            if reset.len() != 20 || reset[0] != RESET {
                return Err(format!("server sent {reset:?} instead of a sealed RESET"));
            }
            Ok(())
        }
        Err(e) => Err(format!("server error {e:?}")),
        Ok(p) => Err(format!(
            "accepted: consumed {}, released {:?}",
            p.consumed,
            &plain[..p.produced]
        )),
    }
}

#[test]
fn the_judges_notice_an_unmodified_message() {
    // Each judge must report the original message as accepted: otherwise
    // the loops above would pass without checking anything.
    let fx = Fixture::new(true);
    let mut server = fx.blind_server(4);
    let verdict = judge_client_hello(&fx, &mut server, &fx.client_hello);
    assert!(verdict.is_err(), "{verdict:?}");
    let verdict = judge_server_hello(&fx, &fx.server_hello).unwrap_err();
    assert!(
        verdict.contains("BOTH SIDES COMPLETED; a record still round-trips"),
        "{verdict}"
    );
    let verdict = judge_client_auth(&fx, &mut server, &fx.client_auth).unwrap_err();
    assert!(verdict.contains("BOTH SIDES COMPLETED"), "{verdict}");
    let fx = Fixture::new(false);
    let mut server = fx.server(2);
    let verdict = judge_record(&fx, &mut server, fx.record.clone()).unwrap_err();
    assert!(verdict.contains("accepted"), "{verdict}");
}

#[test]
fn fixture_handshakes_are_deterministic() {
    // The whole approach relies on this: the same randomness gives the same
    // messages, and a recycled server answers like a new one.
    let fx = Fixture::new(true);
    let mut server = fx.server(3);
    for _ in 0..2 {
        fx.server_awaiting_client_auth(&mut server);
        assert_eq!(server.recv_handshake(&fx.client_auth), Ok(116));
        assert_eq!(server.handshake_status(), Ok(HandshakeStatus::Done));
        assert_eq!(
            server.remote_public_key(),
            fx.cid.as_ref().map(|c| c.public()).as_ref()
        );
        let mut plain = [0u8; 64];
        let got = server.recv_data(&fx.record, &mut plain).unwrap();
        assert_eq!(&plain[..got.produced], MESSAGE);
    }
}
