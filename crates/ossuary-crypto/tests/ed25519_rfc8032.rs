//! RFC 8032 §7.1 known-answer tests for Ed25519, TEST 1–3
//! (`tests/vectors/rfc8032_ed25519.json`).

mod common;

use common::{field, vectors};
use ossuary_crypto::{Error, PublicKey, SecretKey, Signer};
use ossuary_testkit::bytes::array;

#[test]
fn tests_1_to_3_sign_and_verify() {
    let v = vectors("rfc8032_ed25519.json");
    let tests = v["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 3);
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let sk = SecretKey::from_bytes(&array(&field(t, "secret_key")));
        let pk_bytes: [u8; 32] = array(&field(t, "public_key"));
        let msg = field(t, "message");
        let sig: [u8; 64] = array(&field(t, "signature"));

        // Key derivation and deterministic signing.
        assert_eq!(sk.public_key().to_bytes(), pk_bytes, "{name}: public key");
        assert_eq!(Signer::public_key(&sk).to_bytes(), pk_bytes, "{name}");
        assert_eq!(sk.sign(&msg).unwrap(), sig, "{name}: signature");

        // Strict verification.
        let pk = PublicKey::from_bytes(&pk_bytes).unwrap();
        assert_eq!(pk, sk.public_key());
        pk.verify(&msg, &sig).unwrap();

        // Any change to the message or signature is rejected.
        let mut other = msg.clone();
        other.push(0);
        assert_eq!(pk.verify(&other, &sig), Err(Error::BadSignature), "{name}");
        for i in [0, 31, 32, 63] {
            let mut bad = sig;
            bad[i] ^= 0x01;
            assert_eq!(
                pk.verify(&msg, &bad),
                Err(Error::BadSignature),
                "{name}: byte {i}"
            );
        }
    }
}

#[test]
fn non_canonical_s_is_rejected() {
    // TEST 1 with S replaced by S + L (the group order): the same signature
    // for a lax verifier, but not canonical, so strict verification rejects it.
    let v = vectors("rfc8032_ed25519.json");
    let t = &v["tests"][0];
    let pk = PublicKey::from_bytes(&array(&field(t, "public_key"))).unwrap();
    let msg = field(t, "message");
    let sig: [u8; 64] = array(&field(t, "signature"));
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10,
    ];
    let mut bad = sig;
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        bad[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L still fits in 32 bytes");
    assert_eq!(pk.verify(&msg, &bad), Err(Error::BadSignature));
}

#[test]
fn secret_key_round_trips() {
    let v = vectors("rfc8032_ed25519.json");
    let seed = field(&v["tests"][1], "secret_key");
    let sk = SecretKey::try_from(seed.as_slice()).unwrap();
    assert_eq!(sk.to_bytes().to_vec(), seed);
}
