//! An active attacker between two real endpoints (issue 4, "Adversarial
//! peer tests"): reflected and replayed handshake messages and records, and
//! messages spliced between concurrent sessions of one server.
//!
//! The attacker is [`Adversary`] (`adversary/harness.rs`): it owns the two
//! byte queues, parses every frame, and can drop, replay, reorder, rewrite,
//! reflect, inject, or splice frames from other sessions. Each test asserts
//! the specific rejection: the exact error on the side that must detect it,
//! that no plaintext was delivered, that the other side did not end
//! established with the attacker, and which RESET went out (PROTOCOL.md
//! §10.1, §11). The other adversary files: `adversary_replay.rs`,
//! `adversary_identity.rs`, `adversary_framing.rs`, `adversary_records.rs`.
//!
//! Related attacks covered elsewhere and not repeated here: single-bit flips
//! of every message (`tampering.rs`), substituted ephemeral keys and a
//! relaying MITM (`mitm.rs`).

mod common;
#[path = "adversary/harness.rs"]
mod harness;
#[path = "adversary/helpers.rs"]
mod helpers;

use common::*;
use harness::{Adversary, ResetFrame};
use helpers::*;
use ossuary_core::{Error, FrameType, HandshakeStatus, ResetReason, Role};

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
        unexpected(RECORD_FRAMES, FrameType::CLIENT_AUTH),
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
    let duplicate = unexpected(RECORD_FRAMES, FrameType::SERVER_HELLO);
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
    let duplicate = unexpected(RECORD_FRAMES, FrameType::CLIENT_AUTH);
    adv.assert_rejected(Side::Server, duplicate, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);

    // A second SERVER_HELLO while the client is paused on an unknown key
    // (WAIT_TRUST): the pause ends in Fail(3), and approving is too late.
    let mut adv = Adversary::new(
        tofu_client(Some(&cid), &[]),
        server(Role::OpenServer, &sid, &[]),
    );
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
