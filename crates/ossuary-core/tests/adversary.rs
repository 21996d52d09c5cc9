//! An active attacker between two real endpoints (issue 4, "Adversarial
//! peer tests"): one test per attack, each asserting the specific rejection
//! — the exact error on the side that must detect it, that no plaintext was
//! delivered, that the other side did not end established with the
//! attacker, and which RESET went out (PROTOCOL.md §10.1, §11).
//!
//! The attacker is [`Adversary`] (`adversary/harness.rs`): it owns the two
//! byte queues, parses every frame, and can drop, replay, reorder, rewrite,
//! reflect, inject, or splice frames from other sessions. Where an attack
//! needs handshake cryptography (a malicious peer sealing its own messages,
//! or a control showing that only the seal stopped an attack) it is built
//! by hand in `adversary/forge.rs`.
//!
//! Related attacks already covered elsewhere and not repeated here:
//! single-bit flips of every message (`tampering.rs`), substituted
//! ephemeral keys and a relaying MITM (`mitm.rs`), forged records with a
//! random tag (`injection.rs`), dropped and replayed KEY_UPDATE
//! (`key_update.rs`).

mod common;
#[path = "adversary/forge.rs"]
mod forge;
#[path = "adversary/harness.rs"]
mod harness;

use std::collections::VecDeque;
use std::time::Duration;

use common::*;
use forge::*;
use harness::{Adversary, ResetFrame};
use ossuary_core::{
    Config, Connection, DecodeError, Error, FrameType, HandshakeError, HandshakeStatus,
    PeerMisbehaved, PublicKey, ResetReason, Role,
};

// ------------------------------------------------------------ helpers ----

const fn misbehaved(p: PeerMisbehaved) -> Error {
    Error::Handshake(HandshakeError::PeerMisbehaved(p))
}

const DECRYPT_FAILED: Error = misbehaved(PeerMisbehaved::HandshakeDecryptFailed);
const NON_CONTRIBUTORY: Error = misbehaved(PeerMisbehaved::NonContributoryKeyShare);
const BAD_SERVER_SIG: Error = misbehaved(PeerMisbehaved::BadServerSignature);
const BAD_CLIENT_SIG: Error = misbehaved(PeerMisbehaved::BadClientSignature);

const PLAIN_3: ResetFrame = ResetFrame::Plain(ResetReason::HANDSHAKE_FAILURE);

const SIDES: [Side; 2] = [Side::Client, Side::Server];

/// A well-formed frame arriving in a handshake state that does not take it.
fn unexpected(expected: &'static [FrameType], got: FrameType) -> Error {
    Error::Handshake(HandshakeError::UnexpectedFrame { expected, got })
}

fn bad_length(frame_type: FrameType, len: usize) -> Error {
    Error::Decode(DecodeError::BadLength { frame_type, len })
}

const fn fill<const N: usize>(seed: u8) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = seed.wrapping_add((i as u8).wrapping_mul(29)) ^ 0x36;
        i += 1;
    }
    out
}

/// A fixed-entropy client's randomness: `e_c_sk`, then `random_c`.
const CLIENT_RNG: [u8; 64] = fill(0x11);
/// Mallory's client randomness.
const MALLORY_RNG: [u8; 64] = fill(0x22);
/// Mallory's ephemeral secret when she plays a server.
const MALLORY_E: [u8; 32] = fill(0x33);

/// The ephemeral secret in a client's randomness.
fn e_sk(rng: &[u8; 64]) -> [u8; 32] {
    rng[..32].try_into().unwrap()
}

/// A client whose handshake randomness is `rng` (so the test knows its
/// ephemeral secret), with an optional identity, trusting `trusted`.
fn fixed_client(identity: Option<&Identity>, trusted: &[PublicKey], rng: &[u8; 64]) -> Connection {
    let mut c = Connection::with_fixed_entropy_for_testing_only(
        Role::Client,
        Config::default(),
        rng.to_vec(),
    )
    .unwrap();
    if let Some(id) = identity {
        c.set_signer(id.signer()).unwrap();
    }
    for k in trusted {
        c.add_authorized_key(k.as_bytes()).unwrap();
    }
    c
}

/// A server whose ephemeral secret is `e_s_sk`.
fn fixed_server(
    role: Role,
    identity: &Identity,
    authorized: &[PublicKey],
    e_s_sk: &[u8; 32],
) -> Connection {
    // The first 32 bytes become the random identity a server starts with,
    // replaced by `set_signer` below.
    let entropy = [[0u8; 32], *e_s_sk].concat();
    let mut s =
        Connection::with_fixed_entropy_for_testing_only(role, Config::default(), entropy).unwrap();
    s.set_signer(identity.signer()).unwrap();
    for k in authorized {
        s.add_authorized_key(k.as_bytes()).unwrap();
    }
    s
}

/// A frame of `ty` with a `len`-byte body that no key sealed.
fn forged(ty: u8, len: u16) -> Vec<u8> {
    let mut f = vec![ty, (len >> 8) as u8, len as u8];
    f.extend(pattern(usize::from(len)));
    f
}

/// The first frame of type `ty` in `frames`.
fn first_of(frames: &[Vec<u8>], ty: u8) -> Vec<u8> {
    frames
        .iter()
        .find(|f| f[0] == ty)
        .unwrap_or_else(|| panic!("no frame of type {ty:#04x}"))
        .clone()
}

/// Runs the handshake up to the client's CLIENT_AUTH, which stays held.
fn to_client_auth(adv: &mut Adversary) {
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    adv.forward(Side::Server);
    adv.capture(Side::Client);
    assert_eq!(adv.held_types(Side::Client), [CLIENT_AUTH]);
}

/// A complete session between `cid` and `sid`: handshake, data and a key
/// update each way, CLOSE each way. Every frame is in the logs.
fn recorded_session(cid: &Identity, sid: &Identity) -> Adversary {
    let mut adv = Adversary::mutual(cid, sid);
    adv.connect();
    adv.send(Side::Client, b"transfer 100 to mallory");
    adv.send(Side::Server, b"done");
    for side in SIDES {
        adv.conn_mut(side).update_keys().unwrap();
    }
    adv.send(Side::Client, b" and log out");
    for side in SIDES {
        adv.conn_mut(side).close().unwrap();
    }
    adv.run();
    assert_eq!(adv.rx(Side::Server), b"transfer 100 to mallory and log out");
    assert_eq!(adv.rx(Side::Client), b"done");
    assert!(adv.conn(Side::Client).peer_closed() && adv.conn(Side::Server).peer_closed());
    adv
}

fn assert_no_remote(adv: &Adversary, side: Side) {
    assert_eq!(adv.conn(side).remote_public_key(), None, "{side:?}");
}

// --------------------------------------------------------- reflection ----

#[test]
fn reflected_client_hello_is_refused_by_the_client() {
    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.capture(Side::Client);
    assert_eq!(adv.held_types(Side::Client), [CLIENT_HELLO]);
    adv.reflect(Side::Client);
    adv.assert_rejected(
        Side::Client,
        unexpected(&[FrameType::SERVER_HELLO], FrameType::CLIENT_HELLO),
        PLAIN_3,
    );
    assert_no_remote(&adv, Side::Client);
    // The server never saw the CLIENT_HELLO; the RESET ends its wait.
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
}

#[test]
fn reflected_server_hello_is_refused_by_the_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut adv = Adversary::mutual(&cid, &sid);
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    assert_eq!(adv.held_types(Side::Server), [SERVER_HELLO]);
    // A copy goes back to the server; the original still goes on.
    let hello = adv.held(Side::Server)[0].clone();
    adv.inject(Side::Server, &hello);
    let refused = unexpected(&[FrameType::CLIENT_AUTH], FrameType::SERVER_HELLO);
    adv.assert_rejected(Side::Server, refused, PLAIN_3);
    // The client completes on the genuine SERVER_HELLO; the server's RESET
    // (in the client's "server unconfirmed" window) then ends its session.
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    // Its CLIENT_AUTH, arriving after the failure, changes nothing.
    adv.capture(Side::Client);
    adv.forward_all(Side::Client);
    assert_eq!(adv.conn(Side::Server).handshake_status(), Err(refused));
    assert_no_remote(&adv, Side::Server);

    // A server that has not sent anything refuses it too.
    let mut fresh = Adversary::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    fresh.inject(Side::Server, &hello);
    fresh.assert_rejected(
        Side::Server,
        unexpected(&[FrameType::CLIENT_HELLO], FrameType::SERVER_HELLO),
        PLAIN_3,
    );
}

#[test]
fn reflected_client_auth_is_refused_by_the_client() {
    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    to_client_auth(&mut adv);
    let auth = adv.held(Side::Client)[0].clone();
    adv.inject(Side::Client, &auth);
    // Established (unconfirmed): a handshake frame is a record failure.
    adv.assert_rejected(
        Side::Client,
        Error::UnexpectedFrame {
            got: FrameType::CLIENT_AUTH,
        },
        ResetFrame::Sealed,
    );
    // The server accepts the genuine CLIENT_AUTH, then opens the RESET.
    adv.assert_peer_learns(Side::Client, ResetReason::RECORD_FAILURE);
}

#[test]
fn reflected_data_record_does_not_open() {
    for side in SIDES {
        let mut adv = Adversary::connected();
        adv.send(side, b"attack at dawn");
        let record = adv.held(side)[0].clone();
        adv.forward(side);
        assert_eq!(adv.take_rx(side.peer()), b"attack at dawn");
        // Each direction has its own key (PROTOCOL.md §13.9).
        adv.inject(side, &record);
        adv.assert_rejected(side, Error::BadRecord, ResetFrame::Sealed);
        adv.assert_peer_learns(side, ResetReason::RECORD_FAILURE);
    }
}

#[test]
fn reflected_close_is_not_a_clean_close() {
    for side in SIDES {
        let mut adv = Adversary::connected();
        adv.conn_mut(side).close().unwrap();
        adv.capture(side);
        assert_eq!(adv.held_types(side), [CLOSE]);
        let close = adv.held(side)[0].clone();
        adv.forward(side);
        assert!(adv.conn(side.peer()).peer_closed());
        adv.inject(side, &close);
        assert_eq!(adv.err(side), Some(Error::BadRecord));
        assert!(!adv.conn(side).peer_closed(), "{side:?}: not a clean close");
        // Having sent CLOSE, it sends nothing more, not even a RESET (§10.2).
        assert_eq!(adv.capture(side), 0);
    }
}

// ------------------------------------------------------------- replay ----

#[test]
fn replayed_client_flight_to_a_fresh_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let old = recorded_session(&cid, &sid);
    let flight = old.log(Side::Client).to_vec();
    assert_eq!(flight[0][0], CLIENT_HELLO);
    assert_eq!(flight[1][0], CLIENT_AUTH);
    // The same server identity and policy, on a new connection.
    let mut adv = Adversary::new(
        client(None, &[]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    adv.inject(Side::Server, &flight[0]);
    adv.capture(Side::Server);
    let answer = adv.take(Side::Server);
    assert_eq!(answer[0], SERVER_HELLO);
    assert_ne!(answer, old.log(Side::Server)[0], "a fresh e_s");
    // CLIENT_AUTH was sealed for the old transcript; the records after it
    // (DATA, KEY_UPDATE, CLOSE) are never looked at.
    for frame in &flight[1..] {
        adv.inject(Side::Server, frame);
    }
    adv.assert_rejected(Side::Server, DECRYPT_FAILED, PLAIN_3);
    assert_no_remote(&adv, Side::Server);
}

#[test]
fn replayed_server_flight_to_a_fresh_client() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let old = recorded_session(&cid, &sid);
    let flight = old.log(Side::Server).to_vec();
    assert_eq!(flight[0][0], SERVER_HELLO);
    let mut adv = Adversary::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    adv.capture(Side::Client);
    let hello = adv.take(Side::Client);
    assert_ne!(hello, old.log(Side::Client)[0], "a fresh e_c and random_c");
    for frame in &flight {
        adv.inject(Side::Client, frame);
    }
    adv.assert_rejected(Side::Client, DECRYPT_FAILED, PLAIN_3);
    // No CLIENT_AUTH went out: the client's identity stayed sealed away.
    assert_eq!(adv.held_types(Side::Client), [RESET]);
    assert_no_remote(&adv, Side::Client);
}

#[test]
fn handshake_messages_replayed_within_the_session() {
    // PROTOCOL.md §11.4, "duplicate": Fail(3) during the handshake, Fail(7)
    // once established. The duplicate follows the genuine message at once.
    let (cid, sid) = (Identity::generate(), Identity::generate());

    // A second CLIENT_HELLO to a server waiting for CLIENT_AUTH.
    let mut adv = Adversary::mutual(&cid, &sid);
    adv.capture(Side::Client);
    let hello = adv.forward(Side::Client);
    adv.inject(Side::Server, &hello);
    let duplicate = unexpected(&[FrameType::CLIENT_AUTH], FrameType::CLIENT_HELLO);
    adv.capture(Side::Server);
    adv.take(Side::Server);
    adv.assert_rejected(Side::Server, duplicate, PLAIN_3);

    // A second SERVER_HELLO to a client that has sent CLIENT_AUTH.
    let mut adv = Adversary::mutual(&cid, &sid);
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let hello = adv.forward(Side::Server);
    adv.capture(Side::Client);
    adv.take(Side::Client);
    adv.inject(Side::Client, &hello);
    let duplicate = Error::UnexpectedFrame {
        got: FrameType::SERVER_HELLO,
    };
    adv.assert_rejected(Side::Client, duplicate, ResetFrame::Sealed);

    // A second CLIENT_AUTH to an established server.
    let mut adv = Adversary::mutual(&cid, &sid);
    to_client_auth(&mut adv);
    let auth = adv.forward(Side::Client);
    assert_eq!(
        adv.conn(Side::Server).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
    adv.inject(Side::Server, &auth);
    let duplicate = Error::UnexpectedFrame {
        got: FrameType::CLIENT_AUTH,
    };
    adv.assert_rejected(Side::Server, duplicate, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);

    // A second SERVER_HELLO while the client is paused on an unknown key
    // (WAIT_TRUST): the pause ends in Fail(3), and approving is too late.
    let mut adv = Adversary::new(client(Some(&cid), &[]), server(Role::OpenServer, &sid, &[]));
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let hello = adv.forward(Side::Server);
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::UntrustedServer(sid.public()))
    );
    adv.inject(Side::Client, &hello);
    let duplicate = unexpected(&[], FrameType::SERVER_HELLO);
    assert_eq!(adv.conn_mut(Side::Client).trust_server(), Err(duplicate));
    adv.assert_rejected(Side::Client, duplicate, PLAIN_3);
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&adv, Side::Client);
}

// ---------------------------------------------- concurrent handshakes ----

/// Two clients, A and B, each connecting to its own connection of the same
/// authenticating server identity, which authorizes both.
fn two_sessions(sid: &Identity) -> (Adversary, Adversary, Identity) {
    let (a, b) = (Identity::generate(), Identity::generate());
    let authorized = [a.public(), b.public()];
    let session = |id: &Identity| {
        Adversary::new(
            client(Some(id), &[sid.public()]),
            server(Role::AuthenticatingServer, sid, &authorized),
        )
    };
    (session(&a), session(&b), a)
}

#[test]
fn client_auth_spliced_into_a_concurrent_session() {
    let sid = Identity::generate();
    let (mut a, mut b, a_id) = two_sessions(&sid);
    to_client_auth(&mut a);
    to_client_auth(&mut b);
    let a_auth = a.held(Side::Client)[0].clone();
    b.take(Side::Client);
    b.inject(Side::Server, &a_auth);
    b.assert_rejected(Side::Server, DECRYPT_FAILED, PLAIN_3);
    assert_no_remote(&b, Side::Server);
    b.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    // A's session is unharmed by the copy.
    a.connect();
    assert_eq!(
        a.conn(Side::Server).remote_public_key(),
        Some(&a_id.public())
    );
    a.send(Side::Client, b"still fine");
    a.run();
    assert_eq!(a.rx(Side::Server), b"still fine");
}

#[test]
fn server_hello_spliced_into_a_concurrent_session() {
    let sid = Identity::generate();
    let (mut a, mut b, _) = two_sessions(&sid);
    for adv in [&mut a, &mut b] {
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
    }
    let hello_a = a.take(Side::Server);
    b.take(Side::Server);
    b.inject(Side::Client, &hello_a);
    // Signed by the right key, but for A's ephemeral keys and transcript.
    b.assert_rejected(Side::Client, DECRYPT_FAILED, PLAIN_3);
    assert_eq!(b.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&b, Side::Client);
    b.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
    // In its own session the same SERVER_HELLO completes the handshake.
    a.inject(Side::Client, &hello_a);
    a.connect();
}

// ------------------------------------------------ identity substitution ----

#[test]
fn attacker_identity_with_a_valid_signature_in_server_hello() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut adv = Adversary::mutual(&cid, &sid);
    adv.capture(Side::Client);
    let hello = adv.take(Side::Client);
    // Mallory answers with her own identity, validly signed over this very
    // transcript, and sealed under keys she shares with the client.
    let mut mallory_server = server(Role::OpenServer, &mallory, &[]);
    assert_eq!(mallory_server.recv_handshake(&hello), Ok(69));
    let mut answer = Vec::new();
    move_output(&mut mallory_server, &mut answer);
    adv.inject(Side::Client, &answer);
    // It verifies, but it is not the pinned key: the client pauses and
    // sends nothing, so its identity is not revealed to her.
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::UntrustedServer(mallory.public()))
    );
    assert_eq!(adv.capture(Side::Client), 0);
    let rejected = adv.conn_mut(Side::Client).reject_server();
    assert_eq!(
        adv.note(Side::Client, rejected),
        Err(Error::UntrustedServer)
    );
    adv.assert_rejected(
        Side::Client,
        Error::UntrustedServer,
        ResetFrame::Plain(ResetReason::SERVER_NOT_TRUSTED),
    );
    // Mallory's server never receives a CLIENT_AUTH.
    adv.forward_all(Side::Client);
    assert_eq!(
        mallory_server.handshake_status(),
        Ok(HandshakeStatus::InProgress)
    );
    assert_eq!(mallory_server.remote_public_key(), None);
}

/// Mallory, herself an authorized client of the server, relays an honest
/// client's CLIENT_HELLO and SERVER_HELLO, then replaces its CLIENT_AUTH with
/// one naming her identity, validly signed over this session's THc (which is
/// public), sealed under `sealer`'s handshake key. She wants the server to
/// bind the honest client's session to her (identity misbinding, §13.2).
fn claim_the_session(sealer: Knows) -> (Adversary, Identity) {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut adv = Adversary::new(
        fixed_client(Some(&cid), &[sid.public()], &CLIENT_RNG),
        server(
            Role::AuthenticatingServer,
            &sid,
            &[cid.public(), mallory.public()],
        ),
    );
    to_client_auth(&mut adv);
    adv.take(Side::Client);
    let (ch, sh) = (
        adv.log(Side::Client)[0].clone(),
        adv.log(Side::Server)[0].clone(),
    );
    let m_id = mallory.public().to_bytes();
    let sig = sign(
        mallory.secret_bytes(),
        &signed_message(CLIENT_LABEL, &th_c(&ch, &sh, &m_id)),
    );
    let auth = sealer.seal_client_auth(&ch, &sh, &identity_plaintext(&m_id, &sig));
    adv.inject(Side::Server, &auth);
    (adv, mallory)
}

#[test]
fn attacker_identity_with_a_valid_signature_in_client_auth() {
    // Without the session's DH she can only seal with a key of her own.
    let (mut adv, _) = claim_the_session(Knows::Client(e_sk(&MALLORY_RNG)));
    adv.assert_rejected(Side::Server, DECRYPT_FAILED, PLAIN_3);
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);

    // Control: with the client's ephemeral secret the very same message is
    // accepted, so the seal (SIGMA's MAC) is all that stopped her.
    let (adv, mallory) = claim_the_session(Knows::Client(e_sk(&CLIENT_RNG)));
    assert_eq!(adv.err(Side::Server), None);
    assert_eq!(
        adv.conn(Side::Server).remote_public_key(),
        Some(&mallory.public())
    );
}

#[test]
fn honest_server_key_with_a_bad_signature() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let s_id = sid.public().to_bytes();
    // A genuine sig_s over another transcript: Mallory's own session with
    // the real server, whose SERVER_HELLO she can open.
    let elsewhere: [u8; 64] = {
        let mut m = Adversary::new(
            fixed_client(None, &[sid.public()], &MALLORY_RNG),
            server(Role::OpenServer, &sid, &[]),
        );
        m.capture(Side::Client);
        m.forward(Side::Client);
        m.capture(Side::Server);
        let plain = Knows::Client(e_sk(&MALLORY_RNG))
            .open_server_hello(&m.log(Side::Client)[0], &m.log(Side::Server)[0]);
        assert_eq!(plain[..32], s_id);
        plain[32..].try_into().unwrap()
    };
    // Mallory answers the victim's CLIENT_HELLO herself: her ephemeral key,
    // the real S_id, and `signature` for the given THs.
    let attempt = |signature: &dyn Fn(&[u8; 32]) -> [u8; 64]| {
        let mut adv = Adversary::mutual(&cid, &sid);
        adv.capture(Side::Client);
        let ch = adv.take(Side::Client);
        let mut clear = vec![SERVER_HELLO, 0x00, 0x92, 0x01, 0x01];
        clear.extend_from_slice(&x25519_public(&MALLORY_E));
        let ths = transcript_hash(&[&ch, &clear, &s_id]);
        let mut plain = [0u8; 96];
        plain[..32].copy_from_slice(&s_id);
        plain[32..].copy_from_slice(&signature(&ths));
        let forged = Knows::Server(MALLORY_E).seal_server_hello(&ch, &clear, &plain);
        adv.inject(Side::Client, &forged);
        adv
    };
    for sig in [[0x5a; 64], elsewhere] {
        let mut adv = attempt(&|_| sig);
        adv.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
        assert_no_remote(&adv, Side::Client);
    }
    // Control: the server's signature over this transcript would pass;
    // Mallory lacks only the server's key.
    let adv = attempt(&|ths| sign(sid.secret_bytes(), &signed_message(SERVER_LABEL, ths)));
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn honest_client_key_with_a_bad_signature() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let c_id = cid.public().to_bytes();
    // A genuine sig_c over another transcript: the honest client also uses
    // Mallory's service, and she opens the CLIENT_AUTH it sends her.
    let elsewhere = {
        let mut m = Adversary::new(
            client(Some(&cid), &[mallory.public()]),
            fixed_server(Role::OpenServer, &mallory, &[], &MALLORY_E),
        );
        m.connect();
        let log = m.log(Side::Client);
        let plain =
            Knows::Server(MALLORY_E).open_client_auth(&log[0], &m.log(Side::Server)[0], &log[1]);
        assert_eq!(plain[1..33], c_id);
        signature_of(&plain)
    };
    // Mallory connects to the real server as a client claiming C_id, with
    // `signature` for the given THc, sealed under her own session's key.
    let attempt = |signature: &dyn Fn(&[u8; 32]) -> [u8; 64]| {
        let mut adv = Adversary::new(
            fixed_client(None, &[sid.public()], &MALLORY_RNG),
            server(Role::AuthenticatingServer, &sid, &[cid.public()]),
        );
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        let sh = adv.take(Side::Server);
        let ch = adv.log(Side::Client)[0].clone();
        let plain = identity_plaintext(&c_id, &signature(&th_c(&ch, &sh, &c_id)));
        let auth = Knows::Client(e_sk(&MALLORY_RNG)).seal_client_auth(&ch, &sh, &plain);
        adv.inject(Side::Server, &auth);
        adv
    };
    for sig in [[0xa5; 64], elsewhere] {
        let mut adv = attempt(&|_| sig);
        adv.assert_rejected(Side::Server, BAD_CLIENT_SIG, PLAIN_3);
        assert_no_remote(&adv, Side::Server);
    }
    // Control: the client's signature over this transcript would pass.
    let adv = attempt(&|thc| sign(cid.secret_bytes(), &signed_message(CLIENT_LABEL, thc)));
    assert_eq!(
        adv.conn(Side::Server).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
    assert_eq!(
        adv.conn(Side::Server).remote_public_key(),
        Some(&cid.public())
    );
}

// ---------------------------------------------------------- downgrade ----

#[test]
fn version_rewritten_in_client_hello() {
    for version in [0u8, 2] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][3] = version;
        adv.forward(Side::Client);
        let unsupported = Error::Handshake(HandshakeError::Decode(
            DecodeError::UnsupportedVersion(version),
        ));
        adv.assert_rejected(
            Side::Server,
            unsupported,
            ResetFrame::Plain(ResetReason::UNSUPPORTED_VERSION),
        );
        adv.assert_only_plain_reset(Side::Server, ResetReason::UNSUPPORTED_VERSION);
        adv.assert_peer_learns(Side::Server, ResetReason::UNSUPPORTED_VERSION);
        // No fallback (PROTOCOL.md §14): the client answers RESET(0) and
        // sends no second CLIENT_HELLO.
        adv.assert_only_plain_reset(Side::Client, ResetReason::UNSPECIFIED);
    }
}

#[test]
fn version_rewritten_in_server_hello() {
    for version in [0u8, 2] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][3] = version;
        adv.forward(Side::Server);
        let unsupported = Error::Handshake(HandshakeError::Decode(
            DecodeError::UnsupportedVersion(version),
        ));
        adv.assert_rejected(
            Side::Client,
            unsupported,
            ResetFrame::Plain(ResetReason::UNSUPPORTED_VERSION),
        );
        adv.assert_only_plain_reset(Side::Client, ResetReason::UNSUPPORTED_VERSION);
        adv.assert_peer_learns(Side::Client, ResetReason::UNSUPPORTED_VERSION);
    }
}

/// Rewrites the SERVER_HELLO flags byte to `flags`, first in transit (the
/// AEAD fails: the flags are in TH2, the AD and the context of `s_hs_key`),
/// then as an attacker who knows the session's DH and re-seals (the
/// signature fails: the flags are in THs). A control re-seals the original
/// flags and gets `control`.
fn rewrite_server_flags(
    role: Role,
    client_id: Option<&Identity>,
    flags: u8,
    control: Result<HandshakeStatus, Error>,
) {
    let sid = Identity::generate();
    let authorized: Vec<PublicKey> = client_id.iter().map(|c| c.public()).collect();
    let session = || {
        Adversary::new(
            fixed_client(client_id, &[sid.public()], &CLIENT_RNG),
            server(role, &sid, &authorized),
        )
    };
    let mut adv = session();
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let (ch, original) = (adv.log(Side::Client)[0].clone(), adv.take(Side::Server));
    assert_ne!(original[4], flags);
    let mut clear = original[..M2_CLEAR].to_vec();
    clear[4] = flags;

    adv.inject(Side::Client, &[&clear[..], &original[M2_CLEAR..]].concat());
    adv.assert_rejected(Side::Client, DECRYPT_FAILED, PLAIN_3);
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);

    // The same client randomness in a new session: the same CLIENT_HELLO.
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let plain = knows.open_server_hello(&ch, &original);
    let replay_to = || {
        let mut victim = session();
        victim.capture(Side::Client);
        assert_eq!(victim.take(Side::Client), ch);
        victim
    };
    let mut victim = replay_to();
    victim.inject(Side::Client, &knows.seal_server_hello(&ch, &clear, &plain));
    victim.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
    assert_no_remote(&victim, Side::Client);

    let mut victim = replay_to();
    victim.inject(
        Side::Client,
        &knows.seal_server_hello(&ch, &original[..M2_CLEAR], &plain),
    );
    assert_eq!(victim.conn(Side::Client).handshake_status(), control);
}

#[test]
fn client_auth_required_cleared_in_server_hello() {
    // An authenticating server made to look open, to an identified client
    // and to an anonymous one (which would then go on anonymously).
    let cid = Identity::generate();
    rewrite_server_flags(
        Role::AuthenticatingServer,
        Some(&cid),
        0x00,
        Ok(HandshakeStatus::Done),
    );
    rewrite_server_flags(
        Role::AuthenticatingServer,
        None,
        0x00,
        Err(Error::Handshake(HandshakeError::ClientIdentityRequired)),
    );
}

#[test]
fn client_auth_required_set_in_server_hello() {
    // An open server made to look authenticating, to turn away a client
    // without an identity: it fails with reason 3, not a misleading 4.
    rewrite_server_flags(Role::OpenServer, None, 0x01, Ok(HandshakeStatus::Done));
}

#[test]
fn reserved_flag_bits_are_refused() {
    for flags in [0x01u8, 0x80] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][4] = flags;
        adv.forward(Side::Client);
        assert!(
            matches!(
                adv.err(Side::Server),
                Some(Error::Handshake(HandshakeError::Decode(DecodeError::ReservedFlags { flags: f, .. }))) if f == flags
            ),
            "{:?}",
            adv.err(Side::Server)
        );
        let error = adv.err(Side::Server).unwrap();
        let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
        adv.assert_rejected(Side::Server, error, decode);
        adv.assert_peer_learns(Side::Server, ResetReason::DECODE_ERROR);
    }
    for flags in [0x02u8, 0x81] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][4] = flags;
        adv.forward(Side::Server);
        assert!(
            matches!(
                adv.err(Side::Client),
                Some(Error::Handshake(HandshakeError::Decode(DecodeError::ReservedFlags { flags: f, .. }))) if f == flags
            ),
            "{:?}",
            adv.err(Side::Client)
        );
        let error = adv.err(Side::Client).unwrap();
        let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
        adv.assert_rejected(Side::Client, error, decode);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    }
}

// --------------------------------------------------- low-order X25519 ----

#[test]
fn low_order_client_ephemeral_key() {
    let sid = Identity::generate();
    for point in low_order_points() {
        let mut adv = Adversary::new(
            client(None, &[sid.public()]),
            server(Role::OpenServer, &sid, &[]),
        );
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][5..37].copy_from_slice(&point);
        adv.forward(Side::Client);
        adv.assert_rejected(Side::Server, NON_CONTRIBUTORY, PLAIN_3);
        // No SERVER_HELLO: nothing was signed or sealed for this key.
        adv.assert_only_plain_reset(Side::Server, ResetReason::HANDSHAKE_FAILURE);
        adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    }
}

#[test]
fn low_order_server_ephemeral_key() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    for point in low_order_points() {
        let mut adv = Adversary::mutual(&cid, &sid);
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][5..37].copy_from_slice(&point);
        adv.forward(Side::Server);
        // Refused before any key is derived or anything opened (§11.1).
        adv.assert_rejected(Side::Client, NON_CONTRIBUTORY, PLAIN_3);
        adv.assert_only_plain_reset(Side::Client, ResetReason::HANDSHAKE_FAILURE);
        assert_no_remote(&adv, Side::Client);
        adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
    }
}

// ------------------------------------------------- Ed25519 malleation ----

#[test]
fn hand_built_ed25519_matches_the_library() {
    // The hand-written SHA-512 and mod-L arithmetic in forge.rs, against a
    // FIPS 180-4 example (one block and two blocks)...
    assert_eq!(
        sha512(&[b"abc"]).to_vec(),
        hex(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    );
    assert_eq!(
        sha512(&[
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn",
            b"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        ])
        .to_vec(),
        hex(
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        )
    );
    // ...and against the library's signatures: recomputing S from R with
    // them gives the library's S, so `small_order_r_signature` computes
    // S = k·a correctly and only strictness rejects it.
    let id = Identity::generate();
    for msg in [&b""[..], b"abc", &[0xa5; 300]] {
        let sig = sign(id.secret_bytes(), msg);
        assert_eq!(recompute_s(id.secret_bytes(), msg, &sig[..32]), sig[32..]);
    }
}

/// Lets the real server answer a fixed-entropy client, then re-seals the
/// SERVER_HELLO with its plaintext `S_id || sig_s` changed by
/// `edit(server identity, THs, plaintext)`: what a malicious server, or
/// anyone holding the session's DH, could send.
fn tampered_server_hello(edit: impl FnOnce(&Identity, &[u8; 32], &mut [u8; 96])) -> Adversary {
    let sid = Identity::generate();
    let mut adv = Adversary::new(
        fixed_client(None, &[sid.public()], &CLIENT_RNG),
        server(Role::OpenServer, &sid, &[]),
    );
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    let (ch, sh) = (adv.log(Side::Client)[0].clone(), adv.take(Side::Server));
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let mut plain = knows.open_server_hello(&ch, &sh);
    edit(&sid, &th_s(&ch, &sh, &sid.public().to_bytes()), &mut plain);
    adv.inject(
        Side::Client,
        &knows.seal_server_hello(&ch, &sh[..M2_CLEAR], &plain),
    );
    adv
}

/// As [`tampered_server_hello`], for the plaintext `0x01 || C_id || sig_c`
/// of an IDENTITY CLIENT_AUTH, fed to a server of `role`.
fn tampered_client_auth(
    role: Role,
    edit: impl FnOnce(&Identity, &[u8; 32], &mut Vec<u8>),
) -> Adversary {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut adv = Adversary::new(
        fixed_client(Some(&cid), &[sid.public()], &CLIENT_RNG),
        server(role, &sid, &[cid.public()]),
    );
    to_client_auth(&mut adv);
    let ca = adv.take(Side::Client);
    let (ch, sh) = (
        adv.log(Side::Client)[0].clone(),
        adv.log(Side::Server)[0].clone(),
    );
    let knows = Knows::Client(e_sk(&CLIENT_RNG));
    let mut plain = knows.open_client_auth(&ch, &sh, &ca);
    assert_eq!(plain.len(), 97);
    edit(&cid, &th_c(&ch, &sh, &cid.public().to_bytes()), &mut plain);
    adv.inject(Side::Server, &knows.seal_client_auth(&ch, &sh, &plain));
    adv
}

/// [`tampered_server_hello`] replacing `sig_s` by `malleate(key, sig_s, THs)`.
fn malleated_server_signature(
    malleate: impl Fn(&Identity, [u8; 64], &[u8; 32]) -> [u8; 64],
) -> Adversary {
    tampered_server_hello(|sid, ths, plain| {
        let sig = malleate(sid, plain[32..].try_into().unwrap(), ths);
        plain[32..].copy_from_slice(&sig);
    })
}

/// [`tampered_client_auth`] (authenticating server) replacing `sig_c` by
/// `malleate(key, sig_c, THc)`.
fn malleated_client_signature(
    malleate: impl Fn(&Identity, [u8; 64], &[u8; 32]) -> [u8; 64],
) -> Adversary {
    tampered_client_auth(Role::AuthenticatingServer, |cid, thc, plain| {
        let sig = malleate(cid, signature_of(plain), thc);
        plain[33..97].copy_from_slice(&sig);
    })
}

fn assert_server_signature_refused(mut adv: Adversary) {
    adv.assert_rejected(Side::Client, BAD_SERVER_SIG, PLAIN_3);
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&adv, Side::Client);
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
}

fn assert_client_signature_refused(mut adv: Adversary) {
    adv.assert_rejected(Side::Server, BAD_CLIENT_SIG, PLAIN_3);
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
}

#[test]
fn server_signature_with_non_canonical_s() {
    assert_server_signature_refused(malleated_server_signature(|_, sig, _| {
        add_group_order_to_s(&sig)
    }));
    // Control: re-sealed unchanged, it is accepted.
    let adv = malleated_server_signature(|_, sig, _| sig);
    assert_eq!(
        adv.conn(Side::Client).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn server_signature_with_small_order_r() {
    assert_server_signature_refused(malleated_server_signature(|sid, _, ths| {
        small_order_r_signature(sid.secret_bytes(), &signed_message(SERVER_LABEL, ths))
    }));
}

#[test]
fn client_signature_with_non_canonical_s() {
    assert_client_signature_refused(malleated_client_signature(|_, sig, _| {
        add_group_order_to_s(&sig)
    }));
    let adv = malleated_client_signature(|_, sig, _| sig);
    assert_eq!(
        adv.conn(Side::Server).handshake_status(),
        Ok(HandshakeStatus::Done)
    );
}

#[test]
fn client_signature_with_small_order_r() {
    assert_client_signature_refused(malleated_client_signature(|cid, _, thc| {
        small_order_r_signature(cid.secret_bytes(), &signed_message(CLIENT_LABEL, thc))
    }));
}

#[test]
fn weak_identity_keys_are_refused() {
    // Small-order Ed25519 keys: under the neutral point, (R = neutral,
    // S = 0) satisfies the cofactorless equation for every message, with no
    // secret at all (PROTOCOL.md §5.3 rule 1, §13.8). The open server would
    // accept any verified identity, so only the key check stands in the way.
    let invalid_key = misbehaved(PeerMisbehaved::InvalidIdentityKey);
    let mut universal = [0u8; 64];
    universal[0] = 1;
    for weak in [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let weak: [u8; 32] = hex(weak).try_into().unwrap();
        let mut adv = tampered_server_hello(|_, _, plain| {
            plain[..32].copy_from_slice(&weak);
            plain[32..].copy_from_slice(&universal);
        });
        adv.assert_rejected(Side::Client, invalid_key, PLAIN_3);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
        assert_no_remote(&adv, Side::Client);

        let mut adv = tampered_client_auth(Role::OpenServer, |_, _, plain| {
            plain[1..33].copy_from_slice(&weak);
            plain[33..97].copy_from_slice(&universal);
        });
        adv.assert_rejected(Side::Server, invalid_key, PLAIN_3);
        assert_no_remote(&adv, Side::Server);
        adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    }
}

// ------------------------------------------------------ length fields ----

#[test]
fn client_hello_header_claiming_65535_bytes() {
    let sid = Identity::generate();
    let mut adv = Adversary::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    // The header alone decides: the server neither waits for nor buffers
    // the 65535 bytes it announces.
    adv.inject(Side::Server, &[CLIENT_HELLO, 0xff, 0xff]);
    let refused = bad_length(FrameType::CLIENT_HELLO, 65535);
    let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
    adv.assert_rejected(Side::Server, refused, decode);
    // The body that follows is not read.
    let more = vec![0u8; 4096];
    assert_eq!(
        adv.conn_mut(Side::Server).recv_handshake(&more),
        Err(refused)
    );
}

#[test]
fn oversized_frame_of_an_unknown_type_is_read_once() {
    // An unassigned type may carry 65535 bytes; the server takes exactly
    // one such frame, then refuses it, and reads nothing after it.
    let sid = Identity::generate();
    let mut s = server(Role::OpenServer, &sid, &[]);
    let mut input = vec![0x7f, 0xff, 0xff];
    input.resize(3 + 65535 + 4096, 0xee);
    assert_eq!(s.recv_handshake(&input), Ok(3 + 65535));
    let refused = unexpected(&[FrameType::CLIENT_HELLO], FrameType(0x7f));
    assert_eq!(s.error(), Some(refused));
    assert_eq!(s.recv_handshake(&input[3 + 65535..]), Err(refused));
    assert_eq!(
        s.pending_output(),
        plain_reset(ResetReason::DECODE_ERROR),
        "only the RESET"
    );
}

#[test]
fn zero_length_frames_of_types_that_need_a_body() {
    let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
    // Handshake frames, each where it would be expected.
    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.inject(Side::Server, &[CLIENT_HELLO, 0, 0]);
    adv.assert_rejected(Side::Server, bad_length(FrameType::CLIENT_HELLO, 0), decode);

    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.capture(Side::Client);
    adv.inject(Side::Client, &[SERVER_HELLO, 0, 0]);
    adv.assert_rejected(Side::Client, bad_length(FrameType::SERVER_HELLO, 0), decode);

    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    adv.take(Side::Server);
    adv.inject(Side::Server, &[CLIENT_AUTH, 0, 0]);
    adv.assert_rejected(Side::Server, bad_length(FrameType::CLIENT_AUTH, 0), decode);
    assert_no_remote(&adv, Side::Server);

    // Records, to either established side.
    for ty in [DATA, KEY_UPDATE, CLOSE, RESET] {
        for to in SIDES {
            let mut adv = Adversary::connected();
            adv.inject(to, &[ty, 0, 0]);
            adv.assert_rejected(to, bad_length(FrameType(ty), 0), ResetFrame::Sealed);
            adv.assert_peer_learns(to, ResetReason::DECODE_ERROR);
        }
    }
}

#[test]
fn data_record_with_a_cut_length_field() {
    // Shortened but legal: the frame ends early, inside the ciphertext.
    let mut adv = Adversary::connected();
    adv.send(Side::Client, &[0x42; 40]);
    let mut record = adv.take(Side::Client);
    assert_eq!(record.len(), 3 + 40 + 16);
    record[2] -= 10;
    adv.inject(Side::Server, &record);
    adv.assert_rejected(Side::Server, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);

    // Shortened below the tag: a decode error.
    let mut adv = Adversary::connected();
    adv.send(Side::Client, &[0x42; 40]);
    let mut record = adv.take(Side::Client);
    record[1..3].copy_from_slice(&15u16.to_be_bytes());
    adv.inject(Side::Server, &record);
    let decode = bad_length(FrameType::DATA, 15);
    adv.assert_rejected(Side::Server, decode, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::DECODE_ERROR);
}

#[test]
fn data_record_with_a_lengthened_length_field() {
    let mut adv = Adversary::connected();
    adv.send(Side::Client, b"first record");
    adv.send(Side::Client, b"second record");
    let mut first = adv.take(Side::Client);
    first[2] += 8;
    adv.inject(Side::Server, &first);
    // A frame cut short waits for the rest: nothing released, no error.
    assert_eq!(adv.err(Side::Server), None);
    assert!(adv.rx(Side::Server).is_empty());
    // The next record's first bytes complete it; it does not open, and
    // neither record's plaintext is released.
    adv.forward(Side::Client);
    adv.assert_rejected(Side::Server, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);
}

// ------------------------------------------------------------- floods ----

#[test]
fn flood_of_client_hellos_to_fresh_servers() {
    // One genuine CLIENT_HELLO replayed to 10 000 new server connections
    // (a SYN-flood-like start of handshakes). Each half-open connection
    // holds its SERVER_HELLO and nothing more, the oldest are dropped (a
    // bounded accept backlog), and the ones kept all time out. The library
    // has no global state: the next honest client connects as usual.
    const STARTS: usize = 10_000;
    const BACKLOG: usize = 64;
    let sid = Identity::generate();
    let clock = FakeClock::new();
    let mut hello = vec![0u8; 69];
    assert_eq!(client(None, &[]).send_handshake(&mut hello), Ok(69));
    let mut backlog = VecDeque::new();
    for _ in 0..STARTS {
        let mut s = Connection::with_config(Role::OpenServer, config_with_clock(&clock)).unwrap();
        s.set_signer(sid.signer()).unwrap();
        assert_eq!(s.recv_handshake(&hello), Ok(69));
        assert_eq!(s.pending_output().len(), 149);
        assert_eq!(s.pending_output()[0], SERVER_HELLO);
        backlog.push_back(s);
        if backlog.len() > BACKLOG {
            backlog.pop_front();
        }
    }
    clock.advance(Duration::from_secs(10) + Duration::from_nanos(1));
    for s in &mut backlog {
        assert_eq!(s.handshake_done(), Err(Error::HandshakeTimeout));
        assert_eq!(s.pending_output().len(), 149 + 4);
        assert_eq!(
            &s.pending_output()[149..],
            plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
        );
    }
    let mut adv = Adversary::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    adv.connect();
}

#[test]
fn garbage_flood_on_one_server_is_bounded() {
    // One server connection, fed 10 000 malformed or misplaced first
    // frames, re-handshaking after each (the application allows it): every
    // round ends in exactly one 4-byte RESET and no other output, and the
    // connection still serves an honest client afterwards.
    const ROUNDS: usize = 10_000;
    let sid = Identity::generate();
    let config = Config {
        max_resets: u32::MAX,
        ..Config::default()
    };
    let mut s = server_with(Role::OpenServer, config, &sid, &[]);
    let mut early_data = vec![DATA, 0, 16];
    early_data.extend([0u8; 16]);
    let mut version_9 = vec![CLIENT_HELLO, 0, 66, 9];
    version_9.extend([0u8; 65]);
    let garbage: [(&[u8], ResetReason); 6] = [
        (&[CLIENT_HELLO, 0xff, 0xff], ResetReason::DECODE_ERROR),
        (&[0x7f, 0, 2, 1, 2], ResetReason::DECODE_ERROR),
        (&[CLIENT_AUTH, 0, 3, 1, 2, 3], ResetReason::DECODE_ERROR),
        (&early_data, ResetReason::HANDSHAKE_FAILURE),
        (&forged(RESET, 17), ResetReason::HANDSHAKE_FAILURE),
        (&version_9, ResetReason::UNSUPPORTED_VERSION),
    ];
    let peer_reset = plain_reset(ResetReason::UNSPECIFIED);
    for round in 0..ROUNDS {
        let (bytes, reason) = garbage[round % garbage.len()];
        assert!(recv_handshake_now(&mut s, bytes).is_err());
        assert_eq!(s.pending_output(), plain_reset(reason), "round {round}");
        s.advance_output(4);
        s.reset().unwrap();
        // The peer's RESET ends the wait; the server is fresh again.
        assert_eq!(s.recv_handshake(&peer_reset), Ok(4));
        assert_eq!(s.handshake_status(), Ok(HandshakeStatus::InProgress));
        assert!(s.pending_output().is_empty());
    }
    let mut adv = Adversary::new(client(None, &[sid.public()]), s);
    adv.connect();

    // With the default limit the garbage ends the connection for good after
    // three re-handshakes; after that nothing is read and nothing is sent.
    let mut s = server(Role::OpenServer, &sid, &[]);
    for _ in 0..3 {
        assert!(recv_handshake_now(&mut s, garbage[0].0).is_err());
        s.advance_output(4);
        s.reset().unwrap();
        assert_eq!(s.recv_handshake(&peer_reset), Ok(4));
    }
    let refused = bad_length(FrameType::CLIENT_HELLO, 65535);
    assert_eq!(recv_handshake_now(&mut s, garbage[0].0), Err(refused));
    s.advance_output(4);
    assert_eq!(s.reset(), Err(Error::ResetLimit));
    for (bytes, _) in garbage {
        assert_eq!(s.recv_handshake(bytes), Err(refused));
    }
    assert!(s.pending_output().is_empty());
}

// ---------------------------------------------------------- slow peer ----

const TIMEOUT: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_nanos(1);

#[test]
fn slow_client_auth_times_out_the_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client_clock, server_clock) = (FakeClock::new(), FakeClock::new());
    let mut adv = Adversary::new(
        client_with(
            config_with_clock(&client_clock),
            Some(&cid),
            &[sid.public()],
        ),
        server_with(
            Role::AuthenticatingServer,
            config_with_clock(&server_clock),
            &sid,
            &[cid.public()],
        ),
    );
    to_client_auth(&mut adv);
    // The client is established and sends at once; the adversary holds it
    // all back past the server's deadline.
    adv.send(Side::Client, b"early data");
    server_clock.advance(TIMEOUT + TICK);
    let late = adv.conn_mut(Side::Server).handshake_done();
    assert_eq!(adv.note(Side::Server, late), Err(Error::HandshakeTimeout));
    // The late CLIENT_AUTH and data change nothing.
    adv.forward_all(Side::Client);
    adv.assert_rejected(
        Side::Server,
        Error::HandshakeTimeout,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_TIMEOUT);
}

#[test]
fn slow_server_hello_times_out_the_client() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client_clock, server_clock) = (FakeClock::new(), FakeClock::new());
    let mut adv = Adversary::new(
        client_with(
            config_with_clock(&client_clock),
            Some(&cid),
            &[sid.public()],
        ),
        server_with(
            Role::AuthenticatingServer,
            config_with_clock(&server_clock),
            &sid,
            &[cid.public()],
        ),
    );
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    client_clock.advance(TIMEOUT + TICK);
    let late = adv.conn_mut(Side::Client).handshake_done();
    assert_eq!(adv.note(Side::Client, late), Err(Error::HandshakeTimeout));
    adv.forward_all(Side::Server);
    adv.assert_rejected(
        Side::Client,
        Error::HandshakeTimeout,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&adv, Side::Client);
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_TIMEOUT);
}

#[test]
fn slowloris_client_hello_times_out_the_server() {
    // One byte a second: arriving bytes do not extend the deadline, which
    // runs from the first byte (PROTOCOL.md §12).
    let sid = Identity::generate();
    let clock = FakeClock::new();
    let mut adv = Adversary::new(
        client(None, &[sid.public()]),
        server_with(Role::OpenServer, config_with_clock(&clock), &sid, &[]),
    );
    adv.capture(Side::Client);
    let hello = adv.take(Side::Client);
    for (second, byte) in hello.iter().enumerate().take(11) {
        assert!(second <= 10);
        adv.inject(Side::Server, &[*byte]);
        assert_eq!(adv.err(Side::Server), None, "second {second}");
        clock.advance(Duration::from_secs(1));
    }
    // At 11 s the next byte finds the deadline passed.
    adv.inject(Side::Server, &hello[11..12]);
    adv.assert_rejected(
        Side::Server,
        Error::HandshakeTimeout,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    adv.assert_only_plain_reset(Side::Server, ResetReason::HANDSHAKE_TIMEOUT);
}

// ----------------------------------- unauthenticated control frames ----

/// Injects `frame` into a confirmed session towards `to`, between two of
/// its peer's genuine records, and asserts it is rejected as a record
/// failure: the record before it is delivered, the one after it is not,
/// `to` does not see a clean close, and its sealed RESET tells the peer.
fn assert_injection_rejected(to: Side, frame: &[u8], what: &str) {
    let mut adv = Adversary::connected();
    adv.send(to.peer(), b"before");
    adv.forward_all(to.peer());
    assert_eq!(adv.take_rx(to), b"before", "{what}");
    adv.send(to.peer(), b"after");
    adv.inject(to, frame);
    adv.forward_all(to.peer());
    assert_eq!(adv.err(to), Some(Error::BadRecord), "{what} to {to:?}");
    adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
}

#[test]
fn injected_close_is_rejected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let earlier = recorded_session(&cid, &sid);
    for to in SIDES {
        let genuine_elsewhere = first_of(earlier.log(to.peer()), CLOSE);
        assert_injection_rejected(to, &forged(CLOSE, 16), "a forged CLOSE");
        assert_injection_rejected(to, &genuine_elsewhere, "an earlier session's CLOSE");
    }
}

#[test]
fn frame_injected_after_a_close_is_refused() {
    // PROTOCOL.md §9: after the peer's CLOSE any frame is a record failure,
    // here a replay of the peer's last DATA record. The clean close that
    // was reported stays reported (it was authentic); the error follows.
    for to in SIDES {
        let mut adv = Adversary::connected();
        adv.send(to.peer(), b"the end");
        let record = adv.held(to.peer())[0].clone();
        adv.conn_mut(to.peer()).close().unwrap();
        adv.run();
        assert_eq!(adv.take_rx(to), b"the end");
        assert!(adv.conn(to).peer_closed());
        adv.inject(to, &record);
        let after_close = Error::UnexpectedFrame {
            got: FrameType::DATA,
        };
        assert_eq!(adv.err(to), Some(after_close));
        assert!(adv.rx(to).is_empty());
        assert_eq!(adv.reset_sent(to), ResetFrame::Sealed);
        // The closed peer still reads: it opens the RESET.
        adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
    }
}

#[test]
fn injected_reset_is_rejected() {
    // A sealed RESET genuinely sent in an earlier session (after a forged
    // record), by each side.
    let mut sealed_elsewhere = Vec::new();
    for side in SIDES {
        let mut earlier = Adversary::connected();
        earlier.inject(side, &forged(DATA, 20));
        assert_eq!(earlier.reset_sent(side), ResetFrame::Sealed);
        sealed_elsewhere.push(first_of(earlier.log(side), RESET));
    }
    for (to, genuine_elsewhere) in [
        (Side::Client, &sealed_elsewhere[1]),
        (Side::Server, &sealed_elsewhere[0]),
    ] {
        for reason in [ResetReason::UNSPECIFIED, ResetReason::APPLICATION] {
            // Plaintext: refused once the client has heard from the server
            // (the window of §10.3 is closed), and always by the server.
            assert_injection_rejected(to, &plain_reset(reason), "a plaintext RESET");
        }
        assert_injection_rejected(to, &forged(RESET, 17), "a forged sealed RESET");
        assert_injection_rejected(to, genuine_elsewhere, "an earlier session's RESET");
    }
}

#[test]
fn injected_key_update_is_rejected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let earlier = recorded_session(&cid, &sid);
    for to in SIDES {
        let genuine_elsewhere = first_of(earlier.log(to.peer()), KEY_UPDATE);
        assert_injection_rejected(to, &forged(KEY_UPDATE, 16), "a forged KEY_UPDATE");
        assert_injection_rejected(to, &genuine_elsewhere, "an earlier session's KEY_UPDATE");
    }
    // The peer's own KEY_UPDATE of this session, replayed later.
    for to in SIDES {
        let mut adv = Adversary::connected();
        adv.conn_mut(to.peer()).update_keys().unwrap();
        adv.send(to.peer(), b"under the new key");
        let update = adv.held(to.peer())[0].clone();
        assert_eq!(update[0], KEY_UPDATE);
        adv.forward_all(to.peer());
        assert_eq!(adv.take_rx(to), b"under the new key");
        adv.send(to.peer(), b"after");
        adv.inject(to, &update);
        adv.forward_all(to.peer());
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
        adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
    }
}

#[test]
fn tampered_record_leaves_no_plaintext_in_the_callers_buffers() {
    // One ciphertext bit flipped: a stream cipher opened before its tag is
    // checked would put the message, with one bit flipped, where the
    // application reads. Neither recv_data (whose fast path opens straight
    // into the caller's buffer) nor open_in_place may leave it there.
    let msg = pattern(1000);
    let leaked = |buf: &[u8]| buf.iter().zip(&msg).filter(|(a, b)| a == b).count();
    for side in SIDES {
        let to = side.peer();
        let mut adv = Adversary::connected();
        adv.send(side, &msg);
        let mut record = adv.take(side);
        record[3 + 500] ^= 1;
        let mut out = vec![0u8; 4096];
        let r = adv.conn_mut(to).recv_data(&record, &mut out);
        assert_eq!(adv.note(to, r), Err(Error::BadRecord));
        assert!(
            leaked(&out) < 100,
            "{} plaintext bytes in out",
            leaked(&out)
        );
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);

        let mut adv = Adversary::connected();
        adv.send(side, &msg);
        let mut record = adv.take(side);
        record[3 + 500] ^= 1;
        let r = adv.conn_mut(to).open_in_place(&mut record).map(|_| ());
        assert_eq!(adv.note(to, r), Err(Error::BadRecord));
        let body = &record[3..1003];
        assert!(
            leaked(body) < 100,
            "{} plaintext bytes in place",
            leaked(body)
        );
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
    }
}

// --------------------------------------------------- key update races ----

#[test]
fn simultaneous_key_updates_with_records_in_flight() {
    // Both sides send and update their keys without waiting for each other;
    // the adversary lets only one frame through each way per round, so
    // updates and records cross in flight in every order.
    let mut adv = Adversary::connected();
    let mut expected = [Vec::new(), Vec::new()];
    for round in 0..12u8 {
        for (i, side) in SIDES.into_iter().enumerate() {
            let msg = [b'a' + round, i as u8, round];
            adv.send(side, &msg);
            expected[1 - i].extend_from_slice(&msg);
            if round % 3 != 2 {
                adv.conn_mut(side).update_keys().unwrap();
                adv.capture(side);
            }
        }
        for side in SIDES {
            adv.forward(side);
        }
    }
    adv.run();
    assert_eq!(adv.err(Side::Client), None);
    assert_eq!(adv.err(Side::Server), None);
    assert_eq!(adv.take_rx(Side::Client), expected[0]);
    assert_eq!(adv.take_rx(Side::Server), expected[1]);
}

#[test]
fn key_update_reordered_with_records_is_detected() {
    // [DATA "one", KEY_UPDATE, DATA "two"]: any swap desynchronises the
    // keys or counters.
    for (i, j, delivered) in [(0, 1, &b""[..]), (1, 2, b"one")] {
        for side in SIDES {
            let mut adv = Adversary::connected();
            adv.send(side, b"one");
            adv.conn_mut(side).update_keys().unwrap();
            adv.send(side, b"two");
            assert_eq!(adv.held_types(side), [DATA, KEY_UPDATE, DATA]);
            adv.held_mut(side).swap(i, j);
            adv.forward_all(side);
            assert_eq!(adv.take_rx(side.peer()), delivered);
            adv.assert_rejected(side.peer(), Error::BadRecord, ResetFrame::Sealed);
            adv.assert_peer_learns(side.peer(), ResetReason::RECORD_FAILURE);
        }
    }
}

#[test]
fn key_update_racing_a_close() {
    // Both sides update and close at once; the frames cross one by one.
    let mut adv = Adversary::connected();
    for side in SIDES {
        adv.send(side, b"last words");
        adv.conn_mut(side).update_keys().unwrap();
        adv.conn_mut(side).close().unwrap();
        adv.capture(side);
        assert_eq!(adv.held_types(side), [DATA, KEY_UPDATE, CLOSE]);
    }
    for _ in 0..3 {
        for side in SIDES {
            adv.forward(side);
        }
    }
    for side in SIDES {
        assert_eq!(adv.err(side), None);
        assert!(adv.conn(side).peer_closed());
        assert_eq!(adv.take_rx(side), b"last words");
        // After its CLOSE a side cannot update any more (a caller error
        // that changes nothing).
        assert_eq!(adv.conn_mut(side).update_keys(), Err(Error::Closed));
        assert_eq!(adv.capture(side), 0);
    }

    // The receiver of a CLOSE may still update and send.
    let mut adv = Adversary::connected();
    adv.conn_mut(Side::Client).close().unwrap();
    adv.run();
    assert!(adv.conn(Side::Server).peer_closed());
    adv.conn_mut(Side::Server).update_keys().unwrap();
    adv.send(Side::Server, b"one more thing");
    adv.run();
    assert_eq!(adv.take_rx(Side::Client), b"one more thing");
    assert_eq!((adv.err(Side::Client), adv.err(Side::Server)), (None, None));

    // The adversary drops, or delays, the KEY_UPDATE before a CLOSE: the
    // CLOSE, sealed under the new key, does not open, and the cut is not a
    // clean end. (The closed sender sends nothing more, so the receiver's
    // RESET is the last word.)
    for delay in [false, true] {
        for side in SIDES {
            let mut adv = Adversary::connected();
            adv.conn_mut(side).update_keys().unwrap();
            adv.conn_mut(side).close().unwrap();
            adv.capture(side);
            let update = adv.take(side);
            adv.forward(side);
            if delay {
                adv.inject(side.peer(), &update);
            }
            adv.assert_rejected(side.peer(), Error::BadRecord, ResetFrame::Sealed);
            adv.assert_peer_learns(side.peer(), ResetReason::RECORD_FAILURE);
            assert_eq!(adv.capture(side), 0, "a closed side sends no RESET");
        }
    }
}
