//! An active attacker changing messages: flipped bits, low-order key shares,
//! replayed and hand-built handshake messages (PROTOCOL.md §3–5, §11). The
//! signature attacks are in `signatures.rs`.

mod common;

use std::ops::Range;

use common::*;
use ossuary_handshake::{Error, ServerConfig, ServerState};
use ossuary_testkit::x25519::low_order_points;
use ossuary_testkit::{PresetRng, to_hex};
use ossuary_wire::{ClientHello, DecodeError, HEADER_LEN};

// ---------------------------------------------------------------------------
// The forgers are faithful
// ---------------------------------------------------------------------------

#[test]
fn forgers_reproduce_honest_messages() {
    let m = honest_mutual();
    let server_key = server_identity();
    let m2 = forge_server_hello(
        &m.client_hello,
        &ServerHelloSpec::honest(&server_key, 0x01, &honest_server_sig),
    );
    assert_eq!(m2, m.server_hello);
    let m3 = forge_client_auth(
        &e_c_sk(),
        &m.client_hello,
        &m.server_hello,
        &client_identity().public_key().to_bytes(),
        &honest_client_sig,
    );
    assert_eq!(m3, m.client_auth);

    let a = honest_anonymous();
    let m2 = forge_server_hello(
        &a.client_hello,
        &ServerHelloSpec::honest(&server_key, 0x00, &honest_server_sig),
    );
    assert_eq!(m2, a.server_hello);
    let m3 = forge_client_auth_plain(&e_c_sk(), &a.client_hello, &a.server_hello, &[0x00]);
    assert_eq!(m3, a.client_auth);
}

// ---------------------------------------------------------------------------
// Bit flips in SERVER_HELLO and CLIENT_AUTH
// ---------------------------------------------------------------------------

/// Every bit of a byte, flipped one at a time (2,208 handshake steps in all
/// over SERVER_HELLO and both CLIENT_AUTH forms).
const ALL_BITS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

/// Flips bits of the SERVER_HELLO body bytes in `range`, one at a time.
fn flip_server_hello_bits(range: Range<usize>) {
    let m = honest_mutual();
    let client = MutualClient::new();
    let client = client.config();
    let flags = m.server_hello[HEADER_LEN + 1];
    assert_eq!(flags, 0x01);
    for i in range {
        // Includes the top bit of e_s (i == 33), which X25519 ignores but
        // which still enters TH2.
        for bit in ALL_BITS {
            let mask = 1u8 << bit;
            let mut m2 = m.server_hello.clone();
            m2[HEADER_LEN + i] ^= mask;
            let err = client_receives(&client, &m2).unwrap_err();
            let ok = match i {
                // version
                0 => err == Error::Decode(DecodeError::UnsupportedVersion(1 ^ mask)),
                // flags: bit 0 is CLIENT_AUTH_REQUIRED, which is legal but
                // bound by TH2; the other bits are reserved.
                1 if bit == 0 => err == DECRYPT,
                1 => {
                    err == Error::Decode(DecodeError::ReservedFlags {
                        context: "SERVER_HELLO",
                        flags: flags ^ mask,
                    })
                }
                // e_s: a different DH (or, for the ignored top bit, the same
                // DH under a different TH2).
                2..34 => err == DECRYPT || err == NON_CONTRIBUTORY,
                // the ML-KEM ciphertext (a different K by implicit
                // rejection), the sealed S_id || sig_s and its tag
                _ => err == DECRYPT,
            };
            // The variant decides the RESET reason (ossuary-core's table).
            assert!(ok, "SERVER_HELLO body byte {i} bit {bit}: {err:?}");
        }
    }
}

#[test]
fn server_hello_version_flags_and_ephemeral_bits_flipped() {
    flip_server_hello_bits(0..34);
}

#[test]
fn server_hello_kem_ciphertext_bits_flipped_1() {
    flip_server_hello_bits(34..578);
}

#[test]
fn server_hello_kem_ciphertext_bits_flipped_2() {
    flip_server_hello_bits(578..1122);
}

#[test]
fn server_hello_sealed_bits_flipped() {
    flip_server_hello_bits(1122..1234);
}

// ---------------------------------------------------------------------------
// Every bit of CLIENT_AUTH
// ---------------------------------------------------------------------------

fn flip_client_auth_bits(anonymous: bool, range: Range<usize>) {
    let signer = CachedSigner::new(server_identity());
    let authorized = [client_identity().public_key()];
    let server = ServerConfig::new(&signer, !anonymous, &authorized);
    let m = if anonymous {
        honest_anonymous()
    } else {
        honest_mutual()
    };
    // The untouched message is accepted.
    assert!(matches!(
        server_receives(&server, &m.client_hello, &m.client_auth),
        Ok(ServerState::Complete(_))
    ));
    for i in range {
        // All bits of the (encrypted) kind byte, which decides the parse.
        for bit in ALL_BITS {
            let mut m3 = m.client_auth.clone();
            m3[HEADER_LEN + i] ^= 1 << bit;
            let err = server_receives(&server, &m.client_hello, &m3).unwrap_err();
            assert_eq!(err, DECRYPT, "CLIENT_AUTH body byte {i} bit {bit}");
        }
    }
}

#[test]
fn client_auth_anonymous_bits_flipped() {
    flip_client_auth_bits(true, 0..17);
}

#[test]
fn client_auth_identity_bits_flipped_1() {
    flip_client_auth_bits(false, 0..57);
}

#[test]
fn client_auth_identity_bits_flipped_2() {
    flip_client_auth_bits(false, 57..113);
}

#[test]
fn client_auth_under_another_type_byte_is_refused() {
    let m = honest_mutual();
    let server = MutualServer::new();
    let server = server.config();
    let mut m3 = m.client_auth.clone();
    m3[0] = 0x13;
    let err = server_receives(&server, &m.client_hello, &m3).unwrap_err();
    assert!(matches!(err, Error::UnexpectedFrame { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------
// CLIENT_HELLO tampering
// ---------------------------------------------------------------------------

#[test]
fn client_hello_version_and_flags_bits() {
    let (_, m1) = start_client(&CLIENT_RNG);
    let server = MutualServer::new();
    let server = server.config();
    for (i, bit) in (0..2).flat_map(|i| (0..8).map(move |b| (i, b))) {
        let mask = 1u8 << bit;
        let mut bad = m1.clone();
        bad[HEADER_LEN + i] ^= mask;
        let mut rng = PresetRng::new(&SERVER_RNG);
        let mut out = [0u8; 2048];
        let err = ServerState::new()
            .handle(&frame(&bad), &server, &mut rng, &mut out)
            .unwrap_err();
        let expected = if i == 0 {
            DecodeError::UnsupportedVersion(1 ^ mask)
        } else {
            DecodeError::ReservedFlags {
                context: "CLIENT_HELLO",
                flags: mask,
            }
        };
        assert_eq!(err, Error::Decode(expected), "byte {i} bit {bit}");
        assert_eq!(rng.remaining(), 64, "nothing drawn for a malformed hello");
        assert_eq!(out, [0u8; 2048]);
    }
    // Version is checked before flags (PROTOCOL.md §3.1).
    let mut bad = m1.clone();
    bad[3] = 2;
    bad[4] = 0x80;
    let err = ServerState::new()
        .handle(
            &frame(&bad),
            &server,
            &mut PresetRng::new(&SERVER_RNG),
            &mut [0u8; 2048],
        )
        .unwrap_err();
    assert_eq!(err, Error::Decode(DecodeError::UnsupportedVersion(2)));
}

#[test]
fn tampered_client_hello_is_caught_by_the_client() {
    // The server cannot tell, but it signs and seals over the modified M1, so
    // the client's SERVER_HELLO check fails.
    let (_, m1) = start_client(&CLIENT_RNG);
    let server = MutualServer::new();
    let server = server.config();
    let client = MutualClient::new();
    let client = client.config();
    // e_c first bit, e_c top bit (ignored by X25519: same DH, other TH2),
    // random_c first and last bits.
    for (i, bit) in [(2, 0), (17, 3), (33, 7), (34, 0), (65, 7)] {
        let mut bad = m1.clone();
        bad[HEADER_LEN + i] ^= 1 << bit;
        let (_, m2) = answer_client_hello(&server, &SERVER_RNG, &bad).unwrap();
        assert_eq!(
            client_receives(&client, &m2).unwrap_err(),
            DECRYPT,
            "CLIENT_HELLO body byte {i} bit {bit}"
        );
    }
}

// ---------------------------------------------------------------------------
// Non-contributory key shares
// ---------------------------------------------------------------------------

#[test]
fn low_order_client_ephemeral_is_refused() {
    let server = MutualServer::new();
    let server = server.config();
    for point in low_order_points() {
        let mut m1 = [0u8; 1253];
        ClientHello::new(point, [0x42; 32], kem_key(&CLIENT_RNG))
            .encode(&mut m1)
            .unwrap();
        let mut out = [0u8; 1280];
        let err = ServerState::new()
            .handle(
                &frame(&m1),
                &server,
                &mut PresetRng::new(&SERVER_RNG),
                &mut out,
            )
            .unwrap_err();
        assert_eq!(err, NON_CONTRIBUTORY, "e_c = {}", to_hex(&point));
        assert_eq!(out, [0u8; 1280], "no SERVER_HELLO is written");
    }
}

#[test]
fn low_order_server_ephemeral_is_refused() {
    let m = honest_mutual();
    let client = MutualClient::new();
    let client = client.config();
    for point in low_order_points() {
        let mut m2 = m.server_hello.clone();
        m2[5..37].copy_from_slice(&point);
        assert_eq!(
            client_receives(&client, &m2).unwrap_err(),
            NON_CONTRIBUTORY,
            "e_s = {}",
            to_hex(&point)
        );
    }
}

// ---------------------------------------------------------------------------
// Replays across sessions
// ---------------------------------------------------------------------------

#[test]
fn messages_from_another_session_do_not_open() {
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
    let m = honest_mutual();
    assert_eq!(
        client_receives(&client.config(), &other.server_hello).unwrap_err(),
        DECRYPT
    );
    assert_eq!(
        server_receives(&server.config(), &m.client_hello, &other.client_auth).unwrap_err(),
        DECRYPT
    );
}
