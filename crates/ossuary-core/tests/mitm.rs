//! An active attacker on the wire: substituted ephemeral keys, a spliced
//! server identity, and a relay running two separate handshakes. None of it
//! may end in a completed handshake with the wrong party.

mod common;

use common::*;
use ossuary_core::{
    Connection, Error, HandshakeError, HandshakeStatus, PeerMisbehaved, ResetReason, Role,
};

const DECRYPT_FAILED: Error = Error::Handshake(HandshakeError::PeerMisbehaved(
    PeerMisbehaved::HandshakeDecryptFailed,
));

/// The SERVER_HELLO `server` answers to `client_hello`.
fn answer(server: &mut Connection, client_hello: &[u8]) -> Vec<u8> {
    assert_eq!(server.recv_handshake(client_hello), Ok(client_hello.len()));
    let out = take_output(server);
    assert_eq!(out.len(), 1237);
    out
}

fn assert_not_done(status: &Result<HandshakeStatus, Error>) {
    assert_ne!(status, &Ok(HandshakeStatus::Done));
}

#[test]
fn substituted_client_ephemeral_key_is_detected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLIENT_HELLO]);
    // e_c is at offset 5..37 (PROTOCOL.md 3.1); put the attacker's there.
    let attacker = some_client_hello();
    p.c2s[5..37].copy_from_slice(&attacker[5..37]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_eq!(p.client.remote_public_key(), None);
    // The server gets the client's RESET (reason 3) and never completes.
    assert_eq!(s, Err(plain_reset_error(ResetReason::HANDSHAKE_FAILURE)));
    assert_eq!(p.server.remote_public_key(), None);
}

#[test]
fn substituted_client_random_is_detected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    let attacker = some_client_hello();
    p.c2s[37..69].copy_from_slice(&attacker[37..69]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_not_done(&s);
}

#[test]
fn substituted_client_kem_key_is_detected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    // ek is at offset 69..1253 (PROTOCOL.md 3.1): the server encapsulates
    // to the attacker's key, and the client decapsulates another secret.
    let attacker = some_client_hello();
    p.c2s[69..1253].copy_from_slice(&attacker[69..1253]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_not_done(&s);
    assert_eq!(p.client.remote_public_key(), None);
}

#[test]
fn substituted_server_kem_ciphertext_is_detected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    let client_hello = p.c2s.clone();
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    // ct (offset 37..1125) of another server's answer to the same
    // CLIENT_HELLO: a valid encapsulation to the client's key, of a secret
    // the real server does not have.
    let mut other = server(Role::OpenServer, &Identity::generate(), &[]);
    let other_hello = answer(&mut other, &client_hello);
    p.s2c[37..1125].copy_from_slice(&other_hello[37..1125]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_not_done(&s);
    assert_eq!(p.client.remote_public_key(), None);
}

#[test]
fn substituted_server_ephemeral_key_is_detected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.step();
    p.transmit(Side::Server);
    assert_eq!(frame_types(&p.s2c), [SERVER_HELLO]);
    // e_s of another server's answer to another client (offset 5..37).
    let mut other = server(Role::OpenServer, &Identity::generate(), &[]);
    let other_hello = answer(&mut other, &some_client_hello());
    p.s2c[5..37].copy_from_slice(&other_hello[5..37]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_not_done(&s);
    assert_eq!(p.client.remote_public_key(), None);
}

#[test]
fn spliced_sealed_identity_of_another_server_is_rejected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    let client_hello = p.c2s.clone();
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    // A second server with another key answers the same CLIENT_HELLO; its
    // sealed identity and signature replace the real ones.
    let mallory = Identity::generate();
    let mut other = server(Role::AuthenticatingServer, &mallory, &[cid.public()]);
    let other_hello = answer(&mut other, &client_hello);
    p.s2c[1125..1237].copy_from_slice(&other_hello[1125..1237]);
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_not_done(&s);
}

#[test]
fn whole_server_hello_of_another_server_is_not_trusted() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    p.transmit(Side::Client);
    let client_hello = p.c2s.clone();
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    // Mallory answers the same CLIENT_HELLO with her own key; her
    // SERVER_HELLO replaces the real server's.
    let mallory = Identity::generate();
    let mut other = server(Role::AuthenticatingServer, &mallory, &[cid.public()]);
    p.s2c = answer(&mut other, &client_hello);
    p.deliver(Side::Client);
    // The signature is valid, but the key is not the pinned one: the client
    // refuses it at once, naming both keys (it used to pause for the
    // application), and sends only its RESET.
    let changed = Error::ServerKeyChanged {
        expected: sid.public(),
        got: mallory.public(),
    };
    assert_eq!(p.client.handshake_status(), Err(changed));
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::SERVER_NOT_TRUSTED)
    );
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(changed));
    assert_eq!(s, Err(plain_reset_error(ResetReason::SERVER_NOT_TRUSTED)));
    // Mallory's server never got a CLIENT_AUTH.
    assert_eq!(other.handshake_status(), Ok(HandshakeStatus::InProgress));
}

/// Client pinned to the real server; Mallory sits in between and runs one
/// handshake with each side, relaying records if she can.
struct Relay {
    /// Client ↔ Mallory's server half.
    front: Pair,
    /// Mallory's client half ↔ real server.
    back: Pair,
}

impl Relay {
    fn new(cid: &Identity, sid: &Identity, mallory: &Identity) -> Self {
        Self {
            front: Pair::new(
                client(Some(cid), &[sid.public()]),
                server(Role::OpenServer, mallory, &[]),
            ),
            back: Pair::new(
                client(Some(mallory), &[sid.public()]),
                server(Role::OpenServer, sid, &[]),
            ),
        }
    }
}

#[test]
fn relaying_mitm_with_her_own_key_is_not_trusted() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut r = Relay::new(&cid, &sid, &mallory);
    // The back half completes (Mallory really talks to the server)...
    r.back.connect();
    // ...but the client sees Mallory's key, not the pinned one, and refuses
    // it without asking the application.
    let (c, s) = r.front.drive_handshake();
    assert_eq!(
        c,
        Err(Error::ServerKeyChanged {
            expected: sid.public(),
            got: mallory.public(),
        })
    );
    assert_eq!(s, Err(plain_reset_error(ResetReason::SERVER_NOT_TRUSTED)));
}

#[test]
fn relaying_mitm_forwarding_the_real_server_hello_is_detected() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    let mut r = Relay::new(&cid, &sid, &mallory);
    // Mallory opens her own handshake with the real server (her ephemeral
    // key, so she could read the traffic) and forwards the server's signed
    // SERVER_HELLO to the client instead of answering herself.
    r.front.transmit(Side::Client);
    r.back.transmit(Side::Client);
    r.back.deliver(Side::Server);
    r.back.transmit(Side::Server);
    let real_hello = r.back.s2c.clone();
    assert_eq!(frame_types(&real_hello), [SERVER_HELLO]);
    r.front.c2s.clear();
    r.front.s2c = real_hello;
    let (c, _) = r.front.drive_handshake();
    // It is signed by the pinned key, but over another transcript.
    assert_eq!(c, Err(DECRYPT_FAILED));
    assert_eq!(r.front.client.remote_public_key(), None);
}

#[test]
fn relaying_mitm_forwarding_client_hello_cannot_read_or_finish() {
    let (cid, sid, mallory) = (
        Identity::generate(),
        Identity::generate(),
        Identity::generate(),
    );
    // Mallory forwards the client's CLIENT_HELLO to the real server and the
    // server's SERVER_HELLO back: that is a plain relay, the handshake is
    // between the real parties, and Mallory's keys play no part. She then
    // swaps the client's CLIENT_AUTH for one made by her own client half for
    // the same server: the transcripts differ, so the server rejects it.
    let mut real = Pair::new(
        client(Some(&cid), &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    real.step();
    real.step();
    assert_eq!(real.client.handshake_status(), Ok(HandshakeStatus::Done));
    real.transmit(Side::Client);
    let mut back = Pair::new(
        client(Some(&mallory), &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    back.step();
    back.step();
    back.transmit(Side::Client);
    assert_eq!(frame_types(&back.c2s), [CLIENT_AUTH]);
    real.c2s = back.c2s.clone();
    real.drive();
    assert_eq!(real.server_err, Some(DECRYPT_FAILED));
    assert_eq!(real.server.remote_public_key(), None);
    assert_eq!(
        real.client_err,
        Some(plain_reset_error(ResetReason::HANDSHAKE_FAILURE))
    );
}
