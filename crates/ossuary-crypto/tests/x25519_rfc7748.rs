//! RFC 7748 known-answer tests for X25519 (`tests/vectors/rfc7748_x25519.json`).

mod common;

use common::{ephemeral, field, vectors};
use ossuary_crypto::Error;
use ossuary_testkit::bytes::array;
use ossuary_testkit::x25519::low_order_points;

/// §6.1: the public keys of Alice and Bob, through `EphemeralSecret::generate`
/// with an RNG that returns the RFC's private keys.
#[test]
fn section_6_1_public_keys() {
    let v = vectors("rfc7748_x25519.json");
    let s = &v["section_6_1"];
    for who in ["alice", "bob"] {
        let secret = ephemeral(&array(&field(s, &format!("{who}_private"))));
        assert_eq!(
            secret.public_key().to_vec(),
            field(s, &format!("{who}_public")),
            "{who}"
        );
    }
}

/// §6.1: both sides reach a (contributory) shared secret.
#[test]
fn section_6_1_exchange_succeeds() {
    let v = vectors("rfc7748_x25519.json");
    let s = &v["section_6_1"];
    let alice = ephemeral(&array(&field(s, "alice_private")));
    let bob = ephemeral(&array(&field(s, "bob_private")));
    assert!(
        alice
            .diffie_hellman(&array(&field(s, "bob_public")))
            .is_ok()
    );
    assert!(
        bob.diffie_hellman(&array(&field(s, "alice_public")))
            .is_ok()
    );
}

/// Every small-order point (and its non-canonical aliases) gives the
/// all-zero output, which is refused (RFC 7748 §6.1).
#[test]
fn low_order_points_are_rejected() {
    let v = vectors("rfc7748_x25519.json");
    let alice_private: [u8; 32] = array(&field(&v["section_6_1"], "alice_private"));
    let points = low_order_points();
    assert_eq!(points.len(), 14);
    for point in points {
        let alice = ephemeral(&alice_private);
        assert_eq!(
            alice.diffie_hellman(&point).map(|_| ()),
            Err(Error::NonContributory),
            "{point:02x?}"
        );
    }
}

#[cfg(feature = "hazmat")]
mod hazmat {
    use ossuary_crypto::EphemeralSecret;

    use ossuary_testkit::bytes::array;

    use super::common::{field, vectors};

    fn x25519(scalar: [u8; 32], u: &[u8; 32]) -> [u8; 32] {
        EphemeralSecret::from_bytes_for_testing_only(scalar)
            .diffie_hellman(u)
            .unwrap()
            .to_bytes_for_testing_only()
    }

    /// §6.1: the shared secret itself, both ways.
    #[test]
    fn section_6_1_shared_secret() {
        let v = vectors("rfc7748_x25519.json");
        let s = &v["section_6_1"];
        let shared = field(s, "shared");
        assert_eq!(
            x25519(
                array(&field(s, "alice_private")),
                &array(&field(s, "bob_public"))
            )
            .to_vec(),
            shared
        );
        assert_eq!(
            x25519(
                array(&field(s, "bob_private")),
                &array(&field(s, "alice_public"))
            )
            .to_vec(),
            shared
        );
    }

    /// §5.2: the two scalar/u-coordinate vectors (the second u has its top
    /// bit set, which X25519 must ignore).
    #[test]
    fn section_5_2_vectors() {
        let v = vectors("rfc7748_x25519.json");
        let cases = v["section_5_2"].as_array().unwrap();
        assert_eq!(cases.len(), 2);
        for case in cases {
            let out = x25519(array(&field(case, "scalar")), &array(&field(case, "u")));
            assert_eq!(out.to_vec(), field(case, "output"));
        }
    }

    /// §5.2 iterated test: 1 and 1,000 iterations (1,000,000 is too slow
    /// for a unit run).
    #[test]
    fn section_5_2_iterated() {
        let v = vectors("rfc7748_x25519.json");
        let it = &v["section_5_2_iterated"];
        let mut k: [u8; 32] = array(&field(it, "start"));
        let mut u = k;
        for i in 1..=1000 {
            let result = x25519(k, &u);
            u = k;
            k = result;
            if i == 1 {
                assert_eq!(k.to_vec(), field(it, "after_1"));
            }
        }
        assert_eq!(k.to_vec(), field(it, "after_1000"));
    }
}
