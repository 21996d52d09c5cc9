//! An active attacker misusing signatures: signatures from another session,
//! over the wrong message, non-canonical or with a small-order `R`, weak or
//! impostor identity keys, reflected signatures (PROTOCOL.md §5, §11).

mod common;

use common::*;
use ossuary_crypto::{SecretKey, Transcript};
use ossuary_handshake::{ClientConfig, ClientState, Error, ServerConfig, ServerState};
use ossuary_testkit::{hex, to_hex};
use ossuary_wire::DecodeError;

// ---------------------------------------------------------------------------
// Server signature
// ---------------------------------------------------------------------------

/// A SERVER_HELLO for this session with `S_id` = `identity` and `sig_s` from `sign`.
fn server_hello_with(identity: [u8; 32], sign: &dyn Fn(&[u8; 32]) -> [u8; 64]) -> Vec<u8> {
    let (_, m1) = start_client(&CLIENT_RNG);
    forge_server_hello(
        &m1,
        &ServerHelloSpec {
            ephemeral_secret: SERVER_RNG,
            version: 1,
            flags: 0x01,
            identity,
            sign,
        },
    )
}

#[test]
fn server_signature_from_another_session_is_refused() {
    let server_key = server_identity();
    let client = MutualClient::new();
    let server = MutualServer::new();
    let other = try_handshake_with(
        &OTHER_CLIENT_RNG,
        &OTHER_SERVER_RNG,
        &client.config(),
        &server.config(),
    )
    .unwrap()
    .messages;
    // The signature the server really sent in the other session.
    let mut ths = Transcript::new();
    ths.update(&other.client_hello);
    ths.update(&other.server_hello[..1125]);
    ths.update(server_key.public_key().as_bytes());
    let other_sig = sign_transcript(&server_key, SERVER_LABEL, &ths.hash());
    let replayed = forge_server_hello(
        &other.client_hello,
        &ServerHelloSpec {
            ephemeral_secret: OTHER_SERVER_RNG,
            ..ServerHelloSpec::honest(&server_key, 0x01, &|_| other_sig)
        },
    );
    assert_eq!(replayed, other.server_hello, "it is the real signature");

    // Correctly sealed for this session, but signed for the other one.
    let m2 = server_hello_with(server_key.public_key().to_bytes(), &|_| other_sig);
    let err = client_receives(&client.config(), &m2).unwrap_err();
    assert_eq!(err, BAD_SERVER_SIG);
}

#[test]
fn server_signature_over_the_wrong_message_is_refused() {
    let server_key = server_identity();
    let client = MutualClient::new();
    let (_, m1) = start_client(&CLIENT_RNG);
    // TH2 (the transcript without S_id): computed from the honest SERVER_HELLO.
    let m = honest_mutual();
    let mut th2 = Transcript::new();
    th2.update(&m1);
    th2.update(&m.server_hello[..1125]);
    let th2 = th2.hash();

    let raw = |msg: Vec<u8>| -> [u8; 64] {
        use ossuary_crypto::Signer;
        server_key.sign(&msg).unwrap()
    };
    let cases: Vec<(&str, SignFn<'_>)> = vec![
        // Role confusion: the server key under the client label.
        (
            "client label",
            Box::new(|ths| sign_transcript(&server_key, CLIENT_LABEL, ths)),
        ),
        (
            "no zero separator",
            Box::new(|ths| raw([SERVER_LABEL, &ths[..]].concat())),
        ),
        ("bare hash", Box::new(|ths| raw(ths.to_vec()))),
        (
            "TH2 instead of THs",
            Box::new(|_| sign_transcript(&server_key, SERVER_LABEL, &th2)),
        ),
        // Right transcript, wrong key (a key the client does not know signed).
        (
            "stranger's key",
            Box::new(|ths| sign_transcript(&stranger_identity(), SERVER_LABEL, ths)),
        ),
        ("all zero", Box::new(|_| [0; 64])),
    ];
    for (name, sign) in cases {
        let m2 = server_hello_with(server_key.public_key().to_bytes(), sign.as_ref());
        assert_eq!(
            client_receives(&client.config(), &m2).unwrap_err(),
            BAD_SERVER_SIG,
            "{name}"
        );
    }
}

#[test]
fn server_signature_with_non_canonical_s_is_refused() {
    let server_key = server_identity();
    let client = MutualClient::new();
    let m2 = server_hello_with(server_key.public_key().to_bytes(), &|ths| {
        add_group_order_to_s(&honest_server_sig(ths))
    });
    assert_eq!(
        client_receives(&client.config(), &m2).unwrap_err(),
        BAD_SERVER_SIG
    );
    // The same signature with S reduced is accepted.
    let m2 = server_hello_with(server_key.public_key().to_bytes(), &honest_server_sig);
    assert!(matches!(
        client_receives(&client.config(), &m2),
        Ok(ClientState::Complete(_))
    ));
}

/// A signature by `key` over `msg` with `R` the neutral point (small order)
/// and `S = k·a`, so that the cofactorless equation `[S]B - [k]A = R` holds:
/// a non-strict verifier accepts it, rule 2 of PROTOCOL.md §5.3 refuses it.
fn small_order_r_signature(key: &SecretKey, msg: &[u8]) -> [u8; 64] {
    use curve25519_dalek::Scalar;
    use sha2::{Digest, Sha512};

    let h: [u8; 64] = Sha512::digest(key.to_bytes().as_slice()).into();
    let mut a: [u8; 32] = h[..32].try_into().unwrap();
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a);
    let mut r = [0u8; 32];
    r[0] = 1;
    let mut hasher = Sha512::new();
    hasher.update(r);
    hasher.update(key.public_key().as_bytes());
    hasher.update(msg);
    let k: [u8; 64] = hasher.finalize().into();
    let s = Scalar::from_bytes_mod_order_wide(&k) * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(s.as_bytes());

    // Only strictness stands between this signature and acceptance.
    use ed25519_dalek::Verifier;
    let vk = ed25519_dalek::VerifyingKey::from_bytes(key.public_key().as_bytes()).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&sig);
    assert!(vk.verify(msg, &signature).is_ok(), "non-strict accepts");
    assert!(vk.verify_strict(msg, &signature).is_err(), "strict refuses");
    sig
}

fn labelled(label: &[u8], hash: &[u8; 32]) -> Vec<u8> {
    [label, &[0], hash].concat()
}

#[test]
fn signatures_with_small_order_r_are_refused() {
    let server_key = server_identity();
    let client = MutualClient::new();
    let m2 = server_hello_with(server_key.public_key().to_bytes(), &|ths| {
        small_order_r_signature(&server_key, &labelled(SERVER_LABEL, ths))
    });
    assert_eq!(
        client_receives(&client.config(), &m2).unwrap_err(),
        BAD_SERVER_SIG
    );

    let (m1, _) = mutual_messages();
    let client_key = client_identity();
    let server = MutualServer::new();
    let m3 = client_auth_with(client_key.public_key().to_bytes(), &|thc| {
        small_order_r_signature(&client_key, &labelled(CLIENT_LABEL, thc))
    });
    assert_eq!(
        server_receives(&server.config(), &m1, &m3).unwrap_err(),
        BAD_CLIENT_SIG
    );
}

#[test]
fn weak_server_identity_is_refused() {
    let client = MutualClient::new();
    for weak in [
        // the neutral point, the point of order 2
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let identity: [u8; 32] = hex(weak).try_into().unwrap();
        let m2 = server_hello_with(identity, &|_| [0; 64]);
        assert_eq!(
            client_receives(&client.config(), &m2).unwrap_err(),
            INVALID_KEY,
            "{weak}"
        );
    }
}

#[test]
fn tofu_never_exposes_an_unproven_key() {
    // PROTOCOL.md §11.2: the signature is checked before the trusted set, so a
    // client that trusts nobody still fails (rather than pausing) on a bad one.
    let server_key = server_identity();
    let client_key = client_identity();
    let client = ClientConfig::new(Some(&client_key), &[]);
    for sign in [
        &(|ths: &[u8; 32]| sign_transcript(&server_key, CLIENT_LABEL, ths)) as &dyn Fn(&_) -> _,
        &|ths: &[u8; 32]| add_group_order_to_s(&honest_server_sig(ths)),
        &|_: &[u8; 32]| [0; 64],
    ] {
        let m2 = server_hello_with(server_key.public_key().to_bytes(), sign);
        assert_eq!(client_receives(&client, &m2).unwrap_err(), BAD_SERVER_SIG);
    }
}

#[test]
fn impostor_with_its_own_valid_key_is_not_trusted() {
    // A man in the middle that completes the handshake with its own identity
    // gets no further than the TOFU pause, which names its key.
    let stranger = stranger_identity();
    let client = MutualClient::new();
    let m2 = server_hello_with(stranger.public_key().to_bytes(), &|ths| {
        sign_transcript(&stranger, SERVER_LABEL, ths)
    });
    match client_receives(&client.config(), &m2) {
        Ok(ClientState::UntrustedServer(auth)) => {
            assert_eq!(auth.server_key(), &stranger.public_key());
        }
        other => panic!("expected the TOFU pause, got {other:?}"),
    }
}

#[test]
fn bad_server_signature_comes_before_client_identity_required() {
    // PROTOCOL.md §11.1: step 5 (signature) before step 6 (identity needed).
    let trusted = [server_identity().public_key()];
    let client = ClientConfig::new(None, &trusted);
    let m2 = server_hello_with(server_identity().public_key().to_bytes(), &|ths| {
        sign_transcript(&server_identity(), CLIENT_LABEL, ths)
    });
    assert_eq!(client_receives(&client, &m2).unwrap_err(), BAD_SERVER_SIG);
}

// ---------------------------------------------------------------------------
// Client signature
// ---------------------------------------------------------------------------

/// CLIENT_HELLO and SERVER_HELLO of the default mutual session.
fn mutual_messages() -> (Vec<u8>, Vec<u8>) {
    let m = honest_mutual();
    (m.client_hello, m.server_hello)
}

fn client_auth_with(identity: [u8; 32], sign: &dyn Fn(&[u8; 32]) -> [u8; 64]) -> Vec<u8> {
    let (m1, m2) = mutual_messages();
    forge_client_auth(&e_c_sk(), &m1, &m2, &identity, sign)
}

#[test]
fn client_signature_misuse_is_refused() {
    let (m1, m2) = mutual_messages();
    let client_key = client_identity();
    let id = client_key.public_key().to_bytes();
    let server = MutualServer::new();

    // TH3h (the transcript without 0x01 || C_id).
    let mut th3h = Transcript::new();
    th3h.update(&m1);
    th3h.update(&m2);
    th3h.update(&[0x03, 0x00, 0x71]);
    let th3h = th3h.hash();

    // A signature the client really made in another session.
    let other = try_handshake_with(
        &OTHER_CLIENT_RNG,
        &OTHER_SERVER_RNG,
        &MutualClient::new().config(),
        &server.config(),
    )
    .unwrap()
    .messages;
    let mut other_thc = Transcript::new();
    other_thc.update(&other.client_hello);
    other_thc.update(&other.server_hello);
    other_thc.update(&[0x03, 0x00, 0x71, 0x01]);
    other_thc.update(&id);
    let other_sig = sign_transcript(&client_key, CLIENT_LABEL, &other_thc.hash());
    assert_eq!(
        forge_client_auth(
            &client_ephemeral_secret(&OTHER_CLIENT_RNG),
            &other.client_hello,
            &other.server_hello,
            &id,
            &|_| other_sig,
        ),
        other.client_auth,
        "it is the real signature"
    );

    let cases: Vec<(&str, SignFn<'_>)> = vec![
        // Role confusion: the client key under the server label.
        (
            "server label",
            Box::new(|thc| sign_transcript(&client_key, SERVER_LABEL, thc)),
        ),
        (
            "TH3h instead of THc",
            Box::new(|_| sign_transcript(&client_key, CLIENT_LABEL, &th3h)),
        ),
        ("another session", Box::new(|_| other_sig)),
        (
            "stranger's key",
            Box::new(|thc| sign_transcript(&stranger_identity(), CLIENT_LABEL, thc)),
        ),
        (
            "non-canonical S",
            Box::new(|thc| add_group_order_to_s(&honest_client_sig(thc))),
        ),
        ("all zero", Box::new(|_| [0; 64])),
    ];
    for (name, sign) in cases {
        let m3 = forge_client_auth(&e_c_sk(), &m1, &m2, &id, sign.as_ref());
        let err = server_receives(&server.config(), &m1, &m3).unwrap_err();
        assert_eq!(err, BAD_CLIENT_SIG, "{name}");
    }
}

#[test]
fn server_signature_reflected_as_client_signature_is_refused() {
    // A client claiming the server's own identity, replaying the server's
    // signature over THs as sig_c (the labels and hashes differ).
    let (m1, m2) = mutual_messages();
    let server_key = server_identity();
    let mut ths = Transcript::new();
    ths.update(&m1);
    ths.update(&m2[..1125]);
    ths.update(server_key.public_key().as_bytes());
    let sig_s = honest_server_sig(&ths.hash());
    let signer = CachedSigner::new(server_identity());
    // Even a server that authorizes its own key refuses it.
    let authorized = [server_key.public_key()];
    let server = ServerConfig::new(&signer, true, &authorized);
    let m3 = client_auth_with(server_key.public_key().to_bytes(), &|_| sig_s);
    assert_eq!(
        server_receives(&server, &m1, &m3).unwrap_err(),
        BAD_CLIENT_SIG
    );
}

#[test]
fn bad_client_signature_comes_before_authorization() {
    // PROTOCOL.md §11.3: step 3 (signature) before step 4 (authorized?).
    let (m1, _) = mutual_messages();
    let stranger = stranger_identity();
    let server = MutualServer::new();
    let m3 = client_auth_with(stranger.public_key().to_bytes(), &|thc| {
        sign_transcript(&stranger, SERVER_LABEL, thc)
    });
    assert_eq!(
        server_receives(&server.config(), &m1, &m3).unwrap_err(),
        BAD_CLIENT_SIG
    );
    // Correctly signed, the stranger is merely unauthorized.
    let m3 = client_auth_with(stranger.public_key().to_bytes(), &|thc| {
        sign_transcript(&stranger, CLIENT_LABEL, thc)
    });
    assert_eq!(
        server_receives(&server.config(), &m1, &m3).unwrap_err(),
        Error::UnauthorizedClient(Some(stranger.public_key()))
    );
}

#[test]
fn weak_client_identity_is_refused() {
    let (m1, _) = mutual_messages();
    let server = MutualServer::new();
    let m3 = client_auth_with(
        hex("0100000000000000000000000000000000000000000000000000000000000000")
            .try_into()
            .unwrap(),
        &|_| [0; 64],
    );
    assert_eq!(
        server_receives(&server.config(), &m1, &m3).unwrap_err(),
        INVALID_KEY
    );
}

#[test]
fn malformed_client_auth_plaintext_is_a_decode_error() {
    // Sealed correctly, so only the plaintext parser can object (§3.3).
    let a = honest_anonymous();
    let (m1, m2) = (a.client_hello, a.server_hello);
    let signer = CachedSigner::new(server_identity());
    let server = ServerConfig::new(&signer, false, &[]);
    let mut anon_body_97 = vec![0x00];
    anon_body_97.extend_from_slice(&[0x11; 96]);
    let mut kind_5_97 = vec![0x05];
    kind_5_97.extend_from_slice(&[0x11; 96]);
    let cases: [(&[u8], DecodeError); 4] = [
        (&[0x02], DecodeError::UnknownClientAuthKind(2)),
        (
            &[0x01],
            DecodeError::Truncated {
                context: "client identity",
            },
        ),
        (
            &anon_body_97,
            DecodeError::TrailingData {
                context: "client identity",
            },
        ),
        (&kind_5_97, DecodeError::UnknownClientAuthKind(5)),
    ];
    for (plain, expected) in cases {
        let m3 = forge_client_auth_plain(&e_c_sk(), &m1, &m2, plain);
        let err = server_receives(&server, &m1, &m3).unwrap_err();
        assert_eq!(err, Error::Decode(expected), "P = {}", to_hex(plain));
    }
    // The well-formed anonymous plaintext is accepted by the open server.
    let m3 = forge_client_auth_plain(&e_c_sk(), &m1, &m2, &[0x00]);
    assert!(matches!(
        server_receives(&server, &m1, &m3),
        Ok(ServerState::Complete(_))
    ));
}
