//! The handshake state machines end to end: every role combination, TOFU, and
//! every message in a state that does not accept it (PROTOCOL.md §11).

mod common;

use common::*;
use ossuary_crypto::{PublicKey, SecretKey, Transcript};
use ossuary_handshake::{
    ClientConfig, ClientState, Error, ExpectClientHello, ExpectServerHello, ServerConfig,
    ServerState,
};
use ossuary_testkit::PresetRng;
use ossuary_wire::{CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_FRAME_LEN, Frame, FrameType};

// ---------------------------------------------------------------------------
// Role combinations
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum ClientKind {
    Anonymous,
    Authorized,
    Unauthorized,
}

const CLIENT_KINDS: [ClientKind; 3] = [
    ClientKind::Anonymous,
    ClientKind::Authorized,
    ClientKind::Unauthorized,
];

/// Runs one combination with the server key either trusted up front or
/// approved on first use, and checks the outcome against PROTOCOL.md §11.3.
fn run_combination(kind: ClientKind, require_client_auth: bool, server_trusted: bool) {
    let server_key = server_identity();
    let authorized_key = client_identity();
    let stranger_key = stranger_identity();
    let trusted_list = [server_key.public_key()];
    let trusted: &[PublicKey] = if server_trusted { &trusted_list } else { &[] };
    let identity: Option<&SecretKey> = match kind {
        ClientKind::Anonymous => None,
        ClientKind::Authorized => Some(&authorized_key),
        ClientKind::Unauthorized => Some(&stranger_key),
    };
    let client = ClientConfig::new(identity.map(|k| k as _), trusted);
    // The authorized list holds the authorized client and an unrelated key.
    let authorized = [server_key.public_key(), authorized_key.public_key()];
    let server = ServerConfig::new(&server_key, require_client_auth, &authorized);
    let ctx =
        format!("{kind:?}, require_client_auth={require_client_auth}, trusted={server_trusted}");

    let result = try_handshake(&client, &server);
    let outcome = match (kind, require_client_auth) {
        (ClientKind::Anonymous, true) => {
            // The client fails before sending anything (and before pausing).
            let err = result.map(|_| ()).unwrap_err();
            assert_eq!(err, (Side::Client, Error::ClientIdentityRequired), "{ctx}");
            return;
        }
        (ClientKind::Unauthorized, true) => {
            let err = result.map(|_| ()).unwrap_err();
            // The refused key is the verified identity the client proved.
            let refused = Error::UnauthorizedClient(Some(stranger_key.public_key()));
            assert_eq!(err, (Side::Server, refused), "{ctx}");
            return;
        }
        _ => result.unwrap_or_else(|e| panic!("{ctx}: {e:?}")),
    };

    assert_eq!(outcome.paused, !server_trusted, "{ctx}");
    assert_eq!(
        outcome.client.remote_identity(),
        Some(&server_key.public_key()),
        "{ctx}"
    );
    assert_eq!(
        outcome.server.remote_identity(),
        identity.map(SecretKey::public_key).as_ref(),
        "{ctx}"
    );
    let m = &outcome.messages;
    assert_eq!(m.client_hello.len(), 1253);
    assert_eq!(m.server_hello.len(), 1237);
    assert_eq!(
        m.client_auth.len(),
        if identity.is_some() {
            CLIENT_AUTH_IDENTITY_FRAME_LEN
        } else {
            CLIENT_AUTH_ANON_FRAME_LEN
        },
        "{ctx}"
    );
    // The flags byte announces the server's policy (PROTOCOL.md §3.2).
    assert_eq!(m.server_hello[4], u8::from(require_client_auth), "{ctx}");

    // TH = H(M1 || M2 || M3), the same on both sides.
    let mut th = Transcript::new();
    th.update(&m.client_hello);
    th.update(&m.server_hello);
    th.update(&m.client_auth);
    assert_eq!(outcome.client.transcript_hash(), &th.hash(), "{ctx}");
    assert_eq!(
        outcome.client.transcript_hash(),
        outcome.server.transcript_hash(),
        "{ctx}"
    );

    assert_records_interoperate(outcome.client, outcome.server);
}

#[test]
fn every_role_combination_with_a_trusted_server() {
    for kind in CLIENT_KINDS {
        for require in [false, true] {
            run_combination(kind, require, true);
        }
    }
}

#[test]
fn every_role_combination_with_a_server_approved_on_first_use() {
    for kind in CLIENT_KINDS {
        for require in [false, true] {
            run_combination(kind, require, false);
        }
    }
}

#[test]
fn handshake_is_deterministic_and_fresh_randomness_changes_everything() {
    let server_key = server_identity();
    let client_key = client_identity();
    let trusted = [server_key.public_key()];
    let client = ClientConfig::new(Some(&client_key), &trusted);
    let server = ServerConfig::new(&server_key, false, &[]);
    let a = handshake(&client, &server);
    let b = handshake(&client, &server);
    assert_eq!(a.messages, b.messages);
    assert_eq!(a.client.transcript_hash(), b.client.transcript_hash());

    let c = try_handshake_with(&OTHER_CLIENT_RNG, &OTHER_SERVER_RNG, &client, &server).unwrap();
    assert_ne!(a.messages.client_hello, c.messages.client_hello);
    assert_ne!(a.messages.server_hello, c.messages.server_hello);
    assert_ne!(a.messages.client_auth, c.messages.client_auth);
    assert_ne!(a.client.transcript_hash(), c.client.transcript_hash());

    // Records of one session do not open in another.
    let (mut a_seal, _, _) = a.client.into_parts();
    let (_, mut c_open, _) = c.server.into_parts();
    let header = [0x10, 0x00, 0x14];
    let mut buf = *b"data";
    let tag = a_seal.seal_in_place(&header, &mut buf).unwrap();
    assert!(c_open.open_in_place(&header, &mut buf, &tag).is_err());
}

#[test]
fn client_hello_layout() {
    let (_, m1) = start_client(&CLIENT_RNG);
    assert_eq!(m1[..5], [0x01, 0x04, 0xe2, 0x01, 0x00]);
    // random_c is the second 32 bytes drawn (PROTOCOL.md §3.1).
    assert_eq!(m1[37..69], CLIENT_RNG[32..64]);
    // ek is ML-KEM-768's KeyGen_internal(d, z) with d || z the last 64.
    assert_eq!(m1[69..], kem_key(&CLIENT_RNG));
    // e_c = X25519(e_c_sk, 9) with e_c_sk the first 32 bytes drawn.
    let mut rng = PresetRng::new(&CLIENT_RNG[..32]);
    let e = ossuary_crypto::EphemeralSecret::generate(&mut rng).unwrap();
    assert_eq!(m1[5..37], e.public_key());
}

// ---------------------------------------------------------------------------
// Trust-On-First-Use
// ---------------------------------------------------------------------------

/// Runs CLIENT_HELLO / SERVER_HELLO with the default randomness; returns the
/// client's step on SERVER_HELLO, the server's state and SERVER_HELLO.
fn client_after_server_hello(
    client: &ClientConfig<'_>,
    server: &ServerConfig<'_>,
) -> (Result<(ClientState, usize), Error>, ServerState, Vec<u8>) {
    let (c, m1) = start_client(&CLIENT_RNG);
    let (s, m2) = answer_client_hello(server, &SERVER_RNG, &m1).unwrap();
    let mut out = [0u8; 2048];
    (c.handle(&frame(&m2), client, &mut out), s, m2)
}

#[test]
fn untrusted_server_pauses_and_exposes_its_key() {
    let server_key = server_identity();
    let client_key = client_identity();
    // Trusting other keys does not help.
    let trusted = [stranger_identity().public_key(), client_key.public_key()];
    let client = ClientConfig::new(Some(&client_key), &trusted);
    let authorized = [client_key.public_key()];
    let server = ServerConfig::new(&server_key, true, &authorized);

    let (result, s, _) = client_after_server_hello(&client, &server);
    let (state, n) = result.unwrap();
    assert_eq!(n, 0, "nothing is written while paused");
    let ClientState::UntrustedServer(auth) = state else {
        panic!("expected the TOFU pause, got {state:?}");
    };
    assert_eq!(auth.server_key(), &server_key.public_key());
    assert!(auth.client_auth_required());

    // Approve.
    let mut out = [0u8; 2048];
    let (client_done, n) = auth.finish(&client, &mut out).unwrap();
    assert_eq!(n, CLIENT_AUTH_IDENTITY_FRAME_LEN);
    let (s, _) = s
        .handle(
            &frame(&out[..n]),
            &server,
            &mut PresetRng::new(&[]),
            &mut [],
        )
        .unwrap();
    let ServerState::Complete(server_done) = s else {
        panic!("server did not complete");
    };
    assert_eq!(
        client_done.remote_identity(),
        Some(&server_key.public_key())
    );
    assert_eq!(
        server_done.remote_identity(),
        Some(&client_key.public_key())
    );
    assert_eq!(client_done.transcript_hash(), server_done.transcript_hash());
    assert_records_interoperate(client_done, server_done);
}

#[test]
fn approving_gives_the_same_session_as_trusting() {
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, false, &[]);
    let trusted = [server_key.public_key()];
    let a = handshake(&ClientConfig::new(None, &trusted), &server);
    let b = handshake(&ClientConfig::new(None, &[]), &server);
    assert!(!a.paused);
    assert!(b.paused);
    assert_eq!(a.messages, b.messages);
    assert_eq!(a.client.transcript_hash(), b.client.transcript_hash());
}

#[test]
fn rejecting_the_server_is_untrusted_server() {
    let server_key = server_identity();
    let client = ClientConfig::new(None, &[]);
    let server = ServerConfig::new(&server_key, false, &[]);
    let (result, _, _) = client_after_server_hello(&client, &server);
    let ClientState::UntrustedServer(auth) = result.unwrap().0 else {
        panic!("expected the TOFU pause");
    };
    assert!(!auth.client_auth_required());
    let err = auth.reject();
    assert_eq!(err, Error::UntrustedServer);
}

#[test]
fn paused_client_accepts_no_frame() {
    let server_key = server_identity();
    let client = ClientConfig::new(None, &[]);
    let server = ServerConfig::new(&server_key, false, &[]);
    for t in [
        FrameType::SERVER_HELLO,
        FrameType::CLIENT_HELLO,
        FrameType::DATA,
        FrameType::RESET,
        FrameType(0x7f),
    ] {
        let (result, _, m2) = client_after_server_hello(&client, &server);
        let state = result.unwrap().0;
        assert!(matches!(state, ClientState::UntrustedServer(_)));
        let body = if t == FrameType::SERVER_HELLO {
            m2[3..].to_vec()
        } else {
            vec![0u8; legal_len(t)]
        };
        let err = state
            .handle(&raw_frame(t, &body), &client, &mut [0u8; 2048])
            .unwrap_err();
        assert_eq!(
            err,
            Error::UnexpectedFrame {
                expected: &[],
                got: t
            }
        );
    }
}

#[test]
fn client_identity_required_comes_before_the_pause() {
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, true, &[]);
    for trusted in [&[][..], &[server_key.public_key()][..]] {
        let client = ClientConfig::new(None, trusted);
        let (result, _, _) = client_after_server_hello(&client, &server);
        assert_eq!(result.unwrap_err(), Error::ClientIdentityRequired);
    }

    // Through the per-state API: the key is verified and exposed, but
    // `finish` refuses to send an anonymous CLIENT_AUTH.
    let client = ClientConfig::new(None, &[]);
    let (c, m1) = start_client(&CLIENT_RNG);
    let ClientState::ExpectServerHello(c) = c else {
        unreachable!()
    };
    let (_, m2) = answer_client_hello(&server, &SERVER_RNG, &m1).unwrap();
    let auth = c.handle(&frame(&m2), &client).unwrap();
    assert!(auth.client_auth_required());
    assert_eq!(auth.server_key(), &server_key.public_key());
    let mut out = [0u8; 2048];
    assert_eq!(
        auth.finish(&client, &mut out).unwrap_err(),
        Error::ClientIdentityRequired
    );
    assert_eq!(out, [0u8; 2048], "nothing written");
}

#[test]
fn anonymous_client_auth_to_an_authenticating_server_is_unauthorized() {
    // An honest client never sends it; build it by hand.
    let server_key = server_identity();
    let authorized = [client_identity().public_key()];
    let server = ServerConfig::new(&server_key, true, &authorized);
    let (_, m1) = start_client(&CLIENT_RNG);
    let (s, m2) = answer_client_hello(&server, &SERVER_RNG, &m1).unwrap();
    let m3 = forge_client_auth_plain(&client_ephemeral_secret(&CLIENT_RNG), &m1, &m2, &[0x00]);
    assert_eq!(m3.len(), CLIENT_AUTH_ANON_FRAME_LEN);
    let err = s
        .handle(&frame(&m3), &server, &mut PresetRng::new(&[]), &mut [])
        .unwrap_err();
    // An anonymous client: no key to name.
    assert_eq!(err, Error::UnauthorizedClient(None));
}

// ---------------------------------------------------------------------------
// Messages in the wrong state
// ---------------------------------------------------------------------------

/// A legal body length for `t` (PROTOCOL.md §2.2); unknown types get 5.
fn legal_len(t: FrameType) -> usize {
    match t {
        FrameType::CLIENT_HELLO => 1250,
        FrameType::SERVER_HELLO => 1234,
        FrameType::CLIENT_AUTH => 17,
        FrameType::DATA | FrameType::KEY_UPDATE | FrameType::CLOSE => 16,
        FrameType::RESET => 1,
        _ => 5,
    }
}

const KNOWN: [FrameType; 7] = [
    FrameType::CLIENT_HELLO,
    FrameType::SERVER_HELLO,
    FrameType::CLIENT_AUTH,
    FrameType::DATA,
    FrameType::KEY_UPDATE,
    FrameType::CLOSE,
    FrameType::RESET,
];

const UNKNOWN: [FrameType; 8] = [
    FrameType(0x00),
    FrameType(0x04),
    FrameType(0x0f),
    FrameType(0x13),
    FrameType(0x21),
    FrameType(0x7f),
    FrameType(0x80),
    FrameType(0xff),
];

/// Every frame type a state should refuse, with the bodies to send.
fn refused_types(accepted: Option<FrameType>) -> Vec<FrameType> {
    KNOWN
        .iter()
        .chain(UNKNOWN.iter())
        .copied()
        .filter(|t| Some(*t) != accepted)
        .collect()
}

/// `err` is `UnexpectedFrame { expected, got }` from a handshake state; known
/// types in the wrong state are a handshake failure (3), unknown types a
/// decode error (1) (PROTOCOL.md §11, §10.1).
fn assert_unexpected(err: Error, expected: &[FrameType], got: FrameType) {
    assert_unexpected_frame(err, expected, got);
}

/// `err` is `UnexpectedFrame { expected, got }` from a `Complete` state. Only
/// the reason for unknown types is checked here; see
/// `handshake_frame_after_complete_is_a_record_failure` for known ones.
fn assert_unexpected_after_complete(err: Error, got: FrameType) {
    assert_unexpected_frame(err, &[FrameType::DATA], got);
}

fn assert_unexpected_frame(err: Error, expected: &[FrameType], got: FrameType) {
    match err {
        Error::UnexpectedFrame {
            expected: e,
            got: g,
        } => {
            assert_eq!(e, expected, "expected list for {got:?}");
            assert_eq!(g, got);
        }
        other => panic!("{got:?}: expected UnexpectedFrame, got {other:?}"),
    }
}

/// Drives the server to ExpectClientAuth; also returns the honest messages.
fn server_expecting_client_auth(server: &ServerConfig<'_>) -> (ServerState, Vec<u8>, Vec<u8>) {
    let (_, m1) = start_client(&CLIENT_RNG);
    let (s, m2) = answer_client_hello(server, &SERVER_RNG, &m1).unwrap();
    (s, m1, m2)
}

#[test]
fn server_expecting_client_hello_refuses_everything_else() {
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, false, &[]);
    for t in refused_types(Some(FrameType::CLIENT_HELLO)) {
        let body = vec![0x01; legal_len(t)];
        let f = raw_frame(t, &body);
        let mut rng = PresetRng::new(&SERVER_RNG);
        let mut out = [0u8; 2048];
        let err = ServerState::new()
            .handle(&f, &server, &mut rng, &mut out)
            .unwrap_err();
        assert_unexpected(err, &[FrameType::CLIENT_HELLO], t);
        assert_eq!(rng.remaining(), 64, "{t:?}: no randomness drawn");
        assert_eq!(out, [0u8; 2048], "{t:?}: nothing written");
        // The per-state API agrees.
        let err = ExpectClientHello
            .handle(&f, &server, &mut rng, &mut out)
            .unwrap_err();
        assert_unexpected(err, &[FrameType::CLIENT_HELLO], t);
    }
}

#[test]
fn early_client_auth_is_refused() {
    // CLIENT_AUTH before CLIENT_HELLO: the honest CLIENT_AUTH of a session
    // this server never saw.
    let m = honest_mutual();
    let server_key = server_identity();
    let authorized = [client_identity().public_key()];
    let server = ServerConfig::new(&server_key, true, &authorized);
    let err = ServerState::new()
        .handle(
            &frame(&m.client_auth),
            &server,
            &mut PresetRng::new(&SERVER_RNG),
            &mut [0u8; 2048],
        )
        .unwrap_err();
    assert_unexpected(err, &[FrameType::CLIENT_HELLO], FrameType::CLIENT_AUTH);
}

#[test]
fn server_hello_sent_to_a_server_is_refused() {
    // A server's own SERVER_HELLO reflected to another (fresh) server, and to
    // the same server while it waits for CLIENT_AUTH.
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, false, &[]);
    let (s, _, m2) = server_expecting_client_auth(&server);
    let err = ServerState::new()
        .handle(
            &frame(&m2),
            &server,
            &mut PresetRng::new(&OTHER_SERVER_RNG),
            &mut [0u8; 2048],
        )
        .unwrap_err();
    assert_unexpected(err, &[FrameType::CLIENT_HELLO], FrameType::SERVER_HELLO);
    let err = s
        .handle(&frame(&m2), &server, &mut PresetRng::new(&[]), &mut [])
        .unwrap_err();
    assert_unexpected(err, &[FrameType::CLIENT_AUTH], FrameType::SERVER_HELLO);
}

#[test]
fn server_expecting_client_auth_refuses_everything_else() {
    let signer = CachedSigner::new(server_identity());
    let server = ServerConfig::new(&signer, false, &[]);
    for t in refused_types(Some(FrameType::CLIENT_AUTH)) {
        let (s, m1, _) = server_expecting_client_auth(&server);
        // A second CLIENT_HELLO is the very same one; other types get filler.
        let body = if t == FrameType::CLIENT_HELLO {
            m1[3..].to_vec()
        } else {
            vec![0x01; legal_len(t)]
        };
        let mut rng = PresetRng::new(&OTHER_SERVER_RNG);
        let err = s
            .handle(&raw_frame(t, &body), &server, &mut rng, &mut [0u8; 2048])
            .unwrap_err();
        assert_unexpected(err, &[FrameType::CLIENT_AUTH], t);
        assert_eq!(rng.remaining(), 64, "{t:?}: no randomness drawn");
    }
}

#[test]
fn second_client_hello_is_refused() {
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, false, &[]);
    let (s, m1, _) = server_expecting_client_auth(&server);
    let ServerState::ExpectClientAuth(s) = s else {
        unreachable!()
    };
    let err = s.handle(&frame(&m1), &server).unwrap_err();
    assert_unexpected(err, &[FrameType::CLIENT_AUTH], FrameType::CLIENT_HELLO);
}

#[test]
fn client_expecting_server_hello_refuses_everything_else() {
    let client = ClientConfig::new(None, &[]);
    for t in refused_types(Some(FrameType::SERVER_HELLO)) {
        let (c, m1) = start_client(&CLIENT_RNG);
        // The client's own CLIENT_HELLO reflected back to it.
        let body = if t == FrameType::CLIENT_HELLO {
            m1[3..].to_vec()
        } else {
            vec![0x01; legal_len(t)]
        };
        let mut out = [0u8; 2048];
        let err = c
            .handle(&raw_frame(t, &body), &client, &mut out)
            .unwrap_err();
        assert_unexpected(err, &[FrameType::SERVER_HELLO], t);
        assert_eq!(out, [0u8; 2048], "{t:?}: nothing written");
    }
}

#[test]
fn reflected_client_hello_is_refused_by_the_client() {
    let client = ClientConfig::new(None, &[]);
    let (c, m1) = start_client(&CLIENT_RNG);
    let ClientState::ExpectServerHello(c) = c else {
        unreachable!()
    };
    let err = c.handle(&frame(&m1), &client).unwrap_err();
    assert_unexpected(err, &[FrameType::SERVER_HELLO], FrameType::CLIENT_HELLO);
    // And as a fresh client would see it through ExpectServerHello::start.
    let (c, _) =
        ExpectServerHello::start(&mut PresetRng::new(&CLIENT_RNG), &mut [0u8; 1253]).unwrap();
    let err = c.handle(&frame(&m1), &client).unwrap_err();
    assert_unexpected(err, &[FrameType::SERVER_HELLO], FrameType::CLIENT_HELLO);
}

#[test]
fn complete_states_refuse_every_frame() {
    // Cached signatures: this test runs 15 identical handshakes.
    let server_key = CachedSigner::new(server_identity());
    let client_key = CachedSigner::new(client_identity());
    let trusted = [server_identity().public_key()];
    let client = ClientConfig::new(Some(&client_key), &trusted);
    let server = ServerConfig::new(&server_key, false, &[]);

    let all: Vec<FrameType> = KNOWN.iter().chain(UNKNOWN.iter()).copied().collect();
    for t in all {
        // Drive both sides to Complete, keeping the states (not Established).
        let (c, m1) = start_client(&CLIENT_RNG);
        let (s, m2) = answer_client_hello(&server, &SERVER_RNG, &m1).unwrap();
        let mut out = [0u8; 2048];
        let (c, n) = c.handle(&frame(&m2), &client, &mut out).unwrap();
        assert!(matches!(c, ClientState::Complete(_)));
        let m3 = out[..n].to_vec();
        let (s, _) = s
            .handle(&frame(&m3), &server, &mut PresetRng::new(&[]), &mut [])
            .unwrap();
        assert!(matches!(s, ServerState::Complete(_)));

        // Duplicates use the real messages: a second SERVER_HELLO to the
        // client, a second CLIENT_AUTH to the server.
        let body = match t {
            FrameType::CLIENT_HELLO => m1[3..].to_vec(),
            FrameType::SERVER_HELLO => m2[3..].to_vec(),
            FrameType::CLIENT_AUTH => m3[3..].to_vec(),
            _ => vec![0x01; legal_len(t)],
        };
        let f = raw_frame(t, &body);
        let err = c.handle(&f, &client, &mut out).unwrap_err();
        assert_unexpected_after_complete(err, t);
        let err = s
            .handle(&f, &server, &mut PresetRng::new(&[]), &mut out)
            .unwrap_err();
        assert_unexpected_after_complete(err, t);
    }
}

#[test]
fn second_server_hello_after_complete() {
    let server_key = server_identity();
    let trusted = [server_key.public_key()];
    let client = ClientConfig::new(None, &trusted);
    let server = ServerConfig::new(&server_key, false, &[]);
    let (c, m1) = start_client(&CLIENT_RNG);
    let (_, m2) = answer_client_hello(&server, &SERVER_RNG, &m1).unwrap();
    let mut out = [0u8; 2048];
    let (c, n) = c.handle(&frame(&m2), &client, &mut out).unwrap();
    assert_eq!(n, CLIENT_AUTH_ANON_FRAME_LEN);
    let mut out2 = [0u8; 2048];
    let err = c.handle(&frame(&m2), &client, &mut out2).unwrap_err();
    assert_unexpected_after_complete(err, FrameType::SERVER_HELLO);
    assert_eq!(out2, [0u8; 2048]);
}

#[test]
fn handshake_frame_after_complete_is_a_record_failure() {
    let server_key = server_identity();
    let trusted = [server_key.public_key()];
    let client = ClientConfig::new(None, &trusted);
    let server = ServerConfig::new(&server_key, false, &[]);
    let (c, m1) = start_client(&CLIENT_RNG);
    let (s, m2) = answer_client_hello(&server, &SERVER_RNG, &m1).unwrap();
    let mut out = [0u8; 2048];
    let (c, n) = c.handle(&frame(&m2), &client, &mut out).unwrap();
    let m3 = out[..n].to_vec();
    let (s, _) = s
        .handle(&frame(&m3), &server, &mut PresetRng::new(&[]), &mut [])
        .unwrap();
    // A duplicate SERVER_HELLO at the client (UNCONFIRMED: "CLIENT_HELLO,
    // SERVER_HELLO, CLIENT_AUTH: Fail(7)") ...
    let err = c.handle(&frame(&m2), &client, &mut out).unwrap_err();
    assert_unexpected_frame(err, &[FrameType::DATA], FrameType::SERVER_HELLO);
    // ... and a duplicate CLIENT_AUTH at the server (ESTABLISHED: "Handshake
    // frames: Fail(7)").
    let err = s
        .handle(&frame(&m3), &server, &mut PresetRng::new(&[]), &mut [])
        .unwrap_err();
    assert_unexpected_frame(err, &[FrameType::DATA], FrameType::CLIENT_AUTH);
}

#[test]
fn signer_failures_are_reported() {
    let server_key = server_identity();
    let failing_server = FailingSigner(server_key.public_key());
    let failing_client = FailingSigner(client_identity().public_key());
    let trusted = [server_key.public_key()];

    // The server signs SERVER_HELLO.
    let server = ServerConfig::new(&failing_server, false, &[]);
    let (_, m1) = start_client(&CLIENT_RNG);
    let mut out = [0u8; 2048];
    let err = ServerState::new()
        .handle(
            &frame(&m1),
            &server,
            &mut PresetRng::new(&SERVER_RNG),
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err, Error::Signer);

    // The client signs CLIENT_AUTH, trusted server or after the pause.
    let server = ServerConfig::new(&server_key, false, &[]);
    for trusted in [&trusted[..], &[]] {
        let client = ClientConfig::new(Some(&failing_client), trusted);
        let err = try_handshake(&client, &server).map(|_| ()).unwrap_err();
        assert_eq!(err, (Side::Client, Error::Signer));
    }
}

#[test]
fn client_auth_sent_to_a_client_is_refused() {
    let m = honest_anonymous();
    let client = ClientConfig::new(None, &[]);
    let (c, _) = start_client(&CLIENT_RNG);
    let err = c
        .handle(&frame(&m.client_auth), &client, &mut [0u8; 2048])
        .unwrap_err();
    assert_unexpected(err, &[FrameType::SERVER_HELLO], FrameType::CLIENT_AUTH);
}

#[test]
fn unknown_type_carrying_a_valid_body_is_refused() {
    // A CLIENT_HELLO body under an unassigned type byte is not a CLIENT_HELLO.
    let (_, m1) = start_client(&CLIENT_RNG);
    let server_key = server_identity();
    let server = ServerConfig::new(&server_key, false, &[]);
    for b in [0x04u8, 0x41, 0x81] {
        let f = Frame::new(FrameType(b), &m1[3..]).unwrap();
        let err = ServerState::new()
            .handle(
                &f,
                &server,
                &mut PresetRng::new(&SERVER_RNG),
                &mut [0u8; 2048],
            )
            .unwrap_err();
        assert_unexpected(err, &[FrameType::CLIENT_HELLO], FrameType(b));
    }
}

#[test]
fn error_display_names_the_frames() {
    let err = Error::UnexpectedFrame {
        expected: &[FrameType::CLIENT_AUTH],
        got: FrameType(0x7f),
    };
    assert_eq!(
        err.to_string(),
        "unexpected FrameType(0x7f) frame, expected one of [CLIENT_AUTH]"
    );
    use std::error::Error as _;
    assert!(err.source().is_none());
    let err = Error::PeerMisbehaved(ossuary_handshake::PeerMisbehaved::BadServerSignature);
    assert_eq!(
        err.to_string(),
        "peer misbehaved: server signature does not verify"
    );
    assert!(err.source().is_some());
    let err = Error::from(ossuary_wire::DecodeError::BufferTooSmall { needed: 69 });
    assert_eq!(err, Error::BufferTooSmall { needed: 69 });
}
