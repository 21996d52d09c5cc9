//! Changing any single input of a handshake changes every key it derives
//! (issue 14). The inputs are each side's randomness: the client's X25519
//! scalar, `random_c` and the ML-KEM seed `d`; the server's X25519
//! scalar and the encapsulation randomness `m`. Through them each share
//! (`e_c`, `ek`, `e_s`, `ct`), each shared secret (`dh`, `K`) and the
//! transcript change. The other half of the ML-KEM seed, `z`, is the
//! implicit-rejection secret: it shapes neither `ek` nor an honest `K`, only
//! the secret a rejected ciphertext yields. An identity key changes the
//! traffic keys only: the
//! handshake keys come from TH2, which no identity enters (PROTOCOL.md §6).
//! ossuary-crypto's `every_input_changes_every_derived_key` checks the key
//! schedule itself, one bit of `K`, `dh`, TH2 and TH at a time.

mod common;

use common::*;
use ossuary_crypto::{HandshakeKey, SecretKey, Transcript};
use ossuary_handshake::{ClientConfig, ServerConfig};
use ossuary_wire::SERVER_HELLO_CLEAR_LEN;

/// A key's fingerprint: a fixed message sealed under it.
fn seal_probe(key: HandshakeKey) -> Vec<u8> {
    let mut buf = *b"probe";
    let tag = key.seal_in_place(b"ad", &mut buf);
    [buf.as_slice(), &tag].concat()
}

/// Fingerprints of the four keys a handshake derives: `c_hs_key`,
/// `s_hs_key` (as the client derives them, from its secrets and the
/// messages), then the first client and server records (`c_key_0`,
/// `s_key_0`), each of the same plaintext.
fn derived(client_rng: &[u8; 128], server_rng: &[u8; 64], client_key: &SecretKey) -> [Vec<u8>; 4] {
    let server_key = server_identity();
    let trusted = [server_key.public_key()];
    let authorized = [client_key.public_key()];
    let client = ClientConfig::new(Some(client_key), &trusted);
    let server = ServerConfig::new(&server_key, true, &authorized);
    let done = try_handshake_with(client_rng, server_rng, &client, &server)
        .unwrap_or_else(|e| panic!("handshake failed: {e:?}"));

    let hello = &done.messages.client_hello;
    let reply = &done.messages.server_hello;
    let mut transcript = Transcript::new();
    transcript.update(hello);
    transcript.update(&reply[..SERVER_HELLO_CLEAR_LEN]);
    let keys = client_keys(
        &client_ephemeral_secret(client_rng),
        reply,
        &transcript.hash(),
    );

    let record = |sealer: &mut ossuary_crypto::RecordSealer| {
        let mut buf = *b"first record";
        let tag = sealer.seal_in_place(&[0x04, 0, 28], &mut buf).unwrap();
        [buf.as_slice(), &tag].concat()
    };
    let (mut c_seal, _, _) = done.client.into_parts();
    let (mut s_seal, _, _) = done.server.into_parts();
    [
        seal_probe(keys.client),
        seal_probe(keys.server),
        record(&mut c_seal),
        record(&mut s_seal),
    ]
}

const NAMES: [&str; 4] = ["c_hs_key", "s_hs_key", "c_key_0", "s_key_0"];

#[test]
fn every_share_and_secret_changes_every_key() {
    let client_key = client_identity();
    let base = derived(&CLIENT_RNG, &SERVER_RNG, &client_key);
    // The client's draws: X25519 scalar, random_c, ML-KEM d.
    for (input, at) in [("e_c_sk", 0), ("random_c", 32), ("d", 64)] {
        let mut rng = CLIENT_RNG;
        rng[at + 5] ^= 0x01;
        let changed = derived(&rng, &SERVER_RNG, &client_key);
        for (i, (a, b)) in base.iter().zip(&changed).enumerate() {
            assert_ne!(a, b, "changing {input} left {} unchanged", NAMES[i]);
        }
    }
    // The server's draws: X25519 scalar, ML-KEM m.
    for (input, at) in [("e_s_sk", 0), ("m", 32)] {
        let mut rng = SERVER_RNG;
        rng[at + 5] ^= 0x01;
        let changed = derived(&CLIENT_RNG, &rng, &client_key);
        for (i, (a, b)) in base.iter().zip(&changed).enumerate() {
            assert_ne!(a, b, "changing {input} left {} unchanged", NAMES[i]);
        }
    }
}

#[test]
fn z_enters_only_a_rejected_ciphertext() {
    let key = client_identity();
    let mut rng = CLIENT_RNG;
    rng[96 + 5] ^= 0x01;
    assert_eq!(
        derived(&CLIENT_RNG, &SERVER_RNG, &key),
        derived(&rng, &SERVER_RNG, &key)
    );
}

#[test]
fn an_identity_key_changes_the_traffic_keys() {
    let base = derived(&CLIENT_RNG, &SERVER_RNG, &client_identity());
    let other = derived(&CLIENT_RNG, &SERVER_RNG, &stranger_identity());
    assert_eq!(base[..2], other[..2], "no identity enters TH2");
    assert_ne!(base[2], other[2]);
    assert_ne!(base[3], other[3]);
}

#[test]
fn the_same_inputs_give_the_same_keys() {
    let key = client_identity();
    assert_eq!(
        derived(&CLIENT_RNG, &SERVER_RNG, &key),
        derived(&CLIENT_RNG, &SERVER_RNG, &key)
    );
}
