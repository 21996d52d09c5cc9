//! Trust-On-First-Use (PROTOCOL.md section 11.2): the pause on an unknown
//! server key, approval, rejection, pinning, and a pinned key that does not
//! match the server's.

mod common;

use common::*;
use ossuary_core::{ApiMisuse, Error, HandshakeStatus, ResetReason, Role};

#[test]
fn unknown_server_key_pauses_with_that_key() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(sid.public())));
    assert_eq!(s, Ok(HandshakeStatus::InProgress));
    // The key is exposed while paused, and it has been proven (signature).
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    assert_eq!(handshake_done(&mut p.client), Ok(false));
    // Nothing went out after CLIENT_HELLO: no CLIENT_AUTH during the pause.
    assert!(p.c2s.is_empty());
    assert!(p.client.pending_output().is_empty());
    assert_eq!(p.client_err, None);
    assert_eq!(p.server_err, None);
    // Records cannot flow while paused.
    assert_eq!(
        p.client.send_data(b"x"),
        Err(Error::ApiMisuse(ApiMisuse::HandshakeNotDone))
    );
}

#[test]
fn trust_server_completes_the_handshake() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client(Some(&cid), &[]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    let (c, _) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(sid.public())));
    p.client.trust_server().unwrap();
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLIENT_AUTH]);
    p.connect();
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    p.assert_data_flows();
    // Approval is one-shot.
    assert_eq!(
        p.client.trust_server(),
        Err(Error::ApiMisuse(ApiMisuse::NotAwaitingTrust))
    );
}

#[test]
fn reject_server_fails_and_resets_the_server() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    assert_eq!(p.client.reject_server(), Err(Error::UntrustedServer));
    assert_eq!(p.client.handshake_status(), Err(Error::UntrustedServer));
    // The RESET is plaintext with reason 5, and nothing else is sent.
    p.transmit(Side::Client);
    assert_eq!(p.c2s, plain_reset(ResetReason::SERVER_NOT_TRUSTED));
    p.drive();
    assert_eq!(
        p.server_err,
        Some(Error::PeerReset(ResetReason::SERVER_NOT_TRUSTED))
    );
    assert_eq!(
        p.server.handshake_status(),
        Err(Error::PeerReset(ResetReason::SERVER_NOT_TRUSTED))
    );
    assert_eq!(p.server.remote_public_key(), None);
    // The decision is final.
    assert!(p.client.trust_server().is_err());
    assert!(p.client.reject_server().is_err());
    assert_eq!(p.client.handshake_status(), Err(Error::UntrustedServer));
}

#[test]
fn pinned_server_key_does_not_pause() {
    let sid = Identity::generate();
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    for _ in 0..MAX_STEPS {
        assert_ne!(
            p.client.handshake_status(),
            Ok(HandshakeStatus::UntrustedServer(sid.public()))
        );
        if !p.step() {
            break;
        }
    }
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(p.server.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(p.client.remote_public_key(), Some(&sid.public()));
}

#[test]
fn approved_key_is_pinned_next_time() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    let seen = *p.client.remote_public_key().unwrap();
    p.client.trust_server().unwrap();
    p.connect();
    // The application stores `seen`; the next connection does not ask.
    let mut p = Pair::new(client(None, &[seen]), server(Role::OpenServer, &sid, &[]));
    p.connect();
}

#[test]
fn pinned_key_does_not_match_the_server() {
    let (a, b) = (Identity::generate(), Identity::generate());
    // Pinned to A, but the server holds B.
    let mut p = Pair::new(
        client(None, &[a.public()]),
        server(Role::OpenServer, &b, &[]),
    );
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(b.public())));
    assert_eq!(s, Ok(HandshakeStatus::InProgress));
    assert_eq!(p.client.remote_public_key(), Some(&b.public()));
    assert!(p.c2s.is_empty(), "no CLIENT_AUTH for an unpinned key");
    assert_eq!(p.client.reject_server(), Err(Error::UntrustedServer));
    p.drive();
    assert_eq!(
        p.server.handshake_status(),
        Err(Error::PeerReset(ResetReason::SERVER_NOT_TRUSTED))
    );
}

#[test]
fn trust_and_reject_are_misuse_when_not_paused() {
    let sid = Identity::generate();
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    let misuse = Err(Error::ApiMisuse(ApiMisuse::NotAwaitingTrust));
    // Before the handshake, on a server, and once done.
    assert_eq!(p.client.trust_server(), misuse);
    assert_eq!(p.client.reject_server(), misuse);
    assert_eq!(p.server.trust_server(), misuse);
    p.connect();
    assert_eq!(p.client.trust_server(), misuse);
    assert_eq!(p.client.reject_server(), misuse);
    // Caller mistakes are not sticky.
    p.assert_data_flows();
}

#[test]
fn frame_during_the_pause_fails_the_handshake() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    // A stray SERVER_HELLO while waiting for the application.
    let mut stray = vec![SERVER_HELLO, 0, 146];
    stray.resize(149, 0);
    p.s2c.extend_from_slice(&stray);
    p.deliver(Side::Client);
    assert!(
        matches!(
            p.client_err,
            Some(Error::UnexpectedFrame { .. } | Error::Handshake(_))
        ),
        "{:?}",
        p.client_err
    );
    assert!(p.client.trust_server().is_err());
    assert_eq!(p.client.handshake_status(), Err(p.client_err.unwrap()));
}

#[test]
fn server_reset_during_the_pause_ends_the_handshake() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    // The server gave up (section 11.2: e.g. its deadline passed).
    p.s2c
        .extend_from_slice(&plain_reset(ResetReason::HANDSHAKE_TIMEOUT));
    p.deliver(Side::Client);
    let reset = Error::PeerReset(ResetReason::HANDSHAKE_TIMEOUT);
    assert_eq!(p.client_err, Some(reset));
    assert!(p.client.trust_server().is_err());
    assert_eq!(p.client.handshake_status(), Err(reset));
    // It answers with its own RESET (reason 0) and sends no CLIENT_AUTH.
    p.transmit(Side::Client);
    assert_eq!(p.c2s, plain_reset(ResetReason::UNSPECIFIED));
}
