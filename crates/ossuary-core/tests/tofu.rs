//! Trust-On-First-Use (PROTOCOL.md section 11.2): the pause on an unknown
//! server key (only when the application asked for TOFU), approval,
//! rejection, pinning, and a pinned key that does not match the server's
//! (refused, never paused: issue 10, item 5).

mod common;

use common::*;
use ossuary_core::{ApiMisuse, Error, HandshakeStatus, ResetReason, Role};

#[test]
fn unknown_server_key_pauses_with_that_key() {
    let sid = Identity::generate();
    let mut p = Pair::new(tofu_client(None, &[]), server(Role::OpenServer, &sid, &[]));
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
        tofu_client(Some(&cid), &[]),
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
    let mut p = Pair::new(tofu_client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    let untrusted = Error::UntrustedServer { key: sid.public() };
    assert_eq!(p.client.reject_server(), Err(untrusted));
    assert_eq!(p.client.handshake_status(), Err(untrusted));
    // The RESET is plaintext with reason 5, and nothing else is sent.
    p.transmit(Side::Client);
    assert_eq!(p.c2s, plain_reset(ResetReason::SERVER_NOT_TRUSTED));
    p.drive();
    let reset = Error::PeerReset {
        reason: ResetReason::SERVER_NOT_TRUSTED,
        authenticated: false,
    };
    assert_eq!(p.server_err, Some(reset));
    assert_eq!(p.server.handshake_status(), Err(reset));
    assert_eq!(p.server.remote_public_key(), None);
    // The decision is final.
    assert!(p.client.trust_server().is_err());
    assert!(p.client.reject_server().is_err());
    assert_eq!(p.client.handshake_status(), Err(untrusted));
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
    let mut p = Pair::new(tofu_client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    let seen = *p.client.remote_public_key().unwrap();
    p.client.trust_server().unwrap();
    p.connect();
    // The application stores `seen`; the next connection does not ask.
    let mut p = Pair::new(client(None, &[seen]), server(Role::OpenServer, &sid, &[]));
    p.connect();
}

/// Issue 10, item 5: a key other than the pinned one is refused at once,
/// naming both keys, with RESET 5 and no CLIENT_AUTH; never a pause (this
/// test used to expect the TOFU pause).
#[test]
fn pinned_key_that_does_not_match_the_server_is_refused_without_a_pause() {
    let (a, b) = (Identity::generate(), Identity::generate());
    // Pinned to A, but the server holds B.
    let mut p = Pair::new(
        client(None, &[a.public()]),
        server(Role::OpenServer, &b, &[]),
    );
    let changed = Error::ServerKeyChanged {
        expected: a.public(),
        got: b.public(),
    };
    // CLIENT_HELLO to the server, SERVER_HELLO back.
    p.transmit(Side::Client);
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(p.client_err, Some(changed));
    assert_eq!(p.client.handshake_status(), Err(changed));
    // All the client sends next is RESET 5: no CLIENT_AUTH for B.
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::SERVER_NOT_TRUSTED)
    );
    p.drive();
    assert_eq!(
        p.server.handshake_status(),
        Err(Error::PeerReset {
            reason: ResetReason::SERVER_NOT_TRUSTED,
            authenticated: false,
        })
    );
    // Nothing to approve: the decision was the library's.
    assert_eq!(p.client.trust_server(), Err(changed));
}

/// Issue 10, item 5: Trust-On-First-Use is for servers the application
/// knows nothing about; a key that differs from the pinned one is refused
/// the same way with TOFU on.
#[test]
fn changed_server_key_is_refused_even_with_trust_on_first_use() {
    let (a, b) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        tofu_client(None, &[a.public()]),
        server(Role::OpenServer, &b, &[]),
    );
    let changed = Error::ServerKeyChanged {
        expected: a.public(),
        got: b.public(),
    };
    p.transmit(Side::Client);
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(p.client.handshake_status(), Err(changed));
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::SERVER_NOT_TRUSTED)
    );
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Err(changed));
    assert_eq!(
        s,
        Err(Error::PeerReset {
            reason: ResetReason::SERVER_NOT_TRUSTED,
            authenticated: false,
        })
    );
}

/// Issue 10, item 5: the error names both keys as users know them from
/// OpenSSH (`SHA256:` and unpadded base64 of the SHA-256 of the key).
#[test]
fn server_key_changed_names_both_fingerprints() {
    let (a, b) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client(None, &[a.public()]),
        server(Role::OpenServer, &b, &[]),
    );
    p.drive();
    let err = p.client.handshake_status().unwrap_err();
    assert!(matches!(err, Error::ServerKeyChanged { .. }), "{err:?}");
    let text = err.to_string();
    for key in [a.public(), b.public()] {
        let fp = fingerprint_text(&key);
        assert!(fp.starts_with("SHA256:") && fp.len() == 7 + 43, "{fp}");
        assert!(text.contains(&fp), "{text:?} does not name {fp}");
    }
}

/// Issue 10, item 5: without Trust-On-First-Use an unknown server is
/// refused at once, with its key, RESET 5 and no pause (it used to pause).
#[test]
fn unknown_server_is_refused_without_trust_on_first_use() {
    let sid = Identity::generate();
    let mut p = Pair::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.transmit(Side::Client);
    p.deliver(Side::Server);
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    let untrusted = Error::UntrustedServer { key: sid.public() };
    assert_eq!(p.client_err, Some(untrusted));
    assert_eq!(p.client.handshake_status(), Err(untrusted));
    assert_eq!(
        p.client.trust_server(),
        Err(untrusted),
        "no pause to approve"
    );
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::SERVER_NOT_TRUSTED)
    );
    p.drive();
    assert_eq!(
        p.server.handshake_status(),
        Err(Error::PeerReset {
            reason: ResetReason::SERVER_NOT_TRUSTED,
            authenticated: false,
        })
    );
    assert!(
        untrusted
            .to_string()
            .contains(&fingerprint_text(&sid.public()))
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
    let mut p = Pair::new(tofu_client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    // A stray SERVER_HELLO while waiting for the application.
    let mut stray = vec![SERVER_HELLO, 0x04, 0xd2];
    stray.resize(1237, 0);
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
    let mut p = Pair::new(tofu_client(None, &[]), server(Role::OpenServer, &sid, &[]));
    p.drive_to_pause();
    // The server gave up (section 11.2: e.g. its deadline passed).
    p.s2c
        .extend_from_slice(&plain_reset(ResetReason::HANDSHAKE_TIMEOUT));
    p.deliver(Side::Client);
    let reset = Error::PeerReset {
        reason: ResetReason::HANDSHAKE_TIMEOUT,
        authenticated: false,
    };
    assert_eq!(p.client_err, Some(reset));
    assert!(p.client.trust_server().is_err());
    assert_eq!(p.client.handshake_status(), Err(reset));
    // It answers with its own RESET (reason 0) and sends no CLIENT_AUTH.
    p.transmit(Side::Client);
    assert_eq!(p.c2s, plain_reset(ResetReason::UNSPECIFIED));
}
