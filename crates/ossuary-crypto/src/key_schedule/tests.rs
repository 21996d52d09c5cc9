//! Unit tests of the key schedule, the traffic secrets and key update.

use std::format;
use std::vec::Vec;

use super::{
    C_AP_TRAFFIC, C_HS_KEY, HandshakeKey, HandshakeSecret, KEY_UPDATE, RECORD_KEY, RecordOpener,
    RecordSealer, Role, S_AP_TRAFFIC, S_HS_KEY, Secret, TrafficSecret, expand_label, hkdf_expand,
    hkdf_extract, next_traffic_secret, record_key,
};
use crate::aead::AeadKey;
use crate::error::Error;
use crate::lengths::HASH_LEN;
use crate::mlkem::KemSharedSecret;
use crate::test_support::{Vectors, array, assert_redacted, test_rng};
use crate::x25519::{EphemeralSecret, SharedSecret};

/// Two `SharedSecret`s from one fresh X25519 exchange (equal values).
fn shared_pair() -> (SharedSecret, SharedSecret) {
    let mut rng = test_rng();
    let a = EphemeralSecret::generate(&mut rng).unwrap();
    let b = EphemeralSecret::generate(&mut rng).unwrap();
    let (pa, pb) = (a.public_key(), b.public_key());
    (
        a.diffie_hellman(&pb).unwrap(),
        b.diffie_hellman(&pa).unwrap(),
    )
}

const HEADER: [u8; 3] = [0x10, 0x00, 0x15];

fn secret(byte: u8) -> Secret {
    Secret::new([byte; 32])
}

/// A client sealer/opener and the matching server pair.
fn pairs() -> ((RecordSealer, RecordOpener), (RecordSealer, RecordOpener)) {
    let sealer = |b| RecordSealer(TrafficSecret::new(secret(b)));
    let opener = |b| RecordOpener(TrafficSecret::new(secret(b)));
    ((sealer(1), opener(2)), (sealer(2), opener(1)))
}

fn seal(sealer: &mut RecordSealer, msg: &[u8]) -> (Vec<u8>, [u8; 16]) {
    let mut buf = msg.to_vec();
    let tag = sealer.seal_in_place(&HEADER, &mut buf).unwrap();
    (buf, tag)
}

/// RFC 5869 Appendix A.1, test case 1 (SHA-256).
#[test]
fn rfc5869_test_case_1() {
    let v = Vectors::parse(include_str!("../../tests/vectors/rfc5869_hkdf.json"));
    let prk = hkdf_extract(&v.hex("salt"), &v.hex("ikm"));
    assert_eq!(&prk[..], &v.hex("prk")[..]);
    let expected = v.hex("okm");
    let mut okm = std::vec![0u8; expected.len()];
    let info = v.hex("info");
    hkdf_expand(&prk, &[&info], &mut okm).unwrap();
    assert_eq!(okm, expected);
    // Splitting info into pieces changes nothing.
    let (a, b) = info.split_at(3);
    okm.fill(0);
    hkdf_expand(&prk, &[a, &[], b], &mut okm).unwrap();
    assert_eq!(okm, expected);
}

#[test]
fn expand_rejects_too_long_output() {
    let mut okm = std::vec![0u8; 255 * 32 + 1];
    assert_eq!(hkdf_expand(&[1; 32], &[], &mut okm), Err(()));
}

#[test]
fn info_encoding() {
    // Expand(secret, "c hs key", th) equals HKDF-Expand with the info
    // spelled out byte by byte.
    let secret = [0x33; HASH_LEN];
    let th = [0x44; HASH_LEN];
    let mut info = Vec::new();
    info.push(19); // len("ossuary v1 c hs key")
    info.extend_from_slice(b"ossuary v1 c hs key");
    info.push(32);
    info.extend_from_slice(&th);
    let mut expected = [0u8; 32];
    hkdf_expand(&secret, &[&info], &mut expected).unwrap();
    assert_eq!(*expand_label(&secret, C_HS_KEY, Some(&th)), expected);

    let mut info = Vec::new();
    info.push(21);
    info.extend_from_slice(b"ossuary v1 key update");
    info.push(0);
    hkdf_expand(&secret, &[&info], &mut expected).unwrap();
    assert_eq!(*expand_label(&secret, KEY_UPDATE, None), expected);
}

#[test]
fn labels_are_distinct() {
    let secret = [0x55; HASH_LEN];
    let th = [0x66; HASH_LEN];
    let outs = [
        expand_label(&secret, C_HS_KEY, Some(&th)),
        expand_label(&secret, S_HS_KEY, Some(&th)),
        expand_label(&secret, C_AP_TRAFFIC, Some(&th)),
        expand_label(&secret, S_AP_TRAFFIC, Some(&th)),
        expand_label(&secret, RECORD_KEY, None),
        expand_label(&secret, KEY_UPDATE, None),
        expand_label(&secret, RECORD_KEY, Some(&th)),
    ];
    for (i, a) in outs.iter().enumerate() {
        for b in outs.iter().skip(i + 1) {
            assert_ne!(**a, **b);
        }
    }
}

/// Independent cross-check of the whole schedule against values computed
/// outside this crate (Python's `hmac`/`hashlib`; see the vector file).
#[test]
fn schedule_matches_independent_vector() {
    let v = Vectors::parse(include_str!("../../tests/vectors/key_schedule.json"));
    let hs = hkdf_extract(b"ossuary v1 handshake", &v.hex("dh"));
    assert_eq!(&hs[..], &v.hex("hs_secret")[..]);
    let th2 = array::<32>(&v.hex("th2"));
    let th = array::<32>(&v.hex("th"));
    let c_ap_0 = expand_label(&hs, C_AP_TRAFFIC, Some(&th));
    let s_ap_0 = expand_label(&hs, S_AP_TRAFFIC, Some(&th));
    let checks = [
        ("c_hs_key", expand_label(&hs, C_HS_KEY, Some(&th2))),
        ("s_hs_key", expand_label(&hs, S_HS_KEY, Some(&th2))),
        ("c_key_0", record_key(&c_ap_0)),
        ("s_key_0", record_key(&s_ap_0)),
        ("c_ap_1", next_traffic_secret(&c_ap_0)),
        ("s_ap_1", next_traffic_secret(&s_ap_0)),
    ];
    assert_eq!(&c_ap_0[..], &v.hex("c_ap_0")[..]);
    assert_eq!(&s_ap_0[..], &v.hex("s_ap_0")[..]);
    for (name, got) in checks {
        assert_eq!(&got[..], &v.hex(name)[..], "{name}");
    }
}

#[test]
fn handshake_keys_both_sides_and_directions() {
    let (a, b) = shared_pair();
    let client = HandshakeSecret::from_shared(a);
    let server = HandshakeSecret::from_shared(b);
    let th2 = [7; 32];

    // Server seals with s_hs_key; client opens with its copy.
    let mut buf = *b"server identity and signature";
    let tag = server
        .handshake_keys(&th2)
        .server
        .seal_in_place(b"TH2", &mut buf);
    let mut tampered = buf;
    assert_eq!(
        client
            .handshake_keys(&th2)
            .server
            .open_in_place(b"TH3", &mut tampered, &tag),
        Err(Error::Decrypt)
    );
    // The client key cannot open what the server key sealed.
    assert_eq!(
        client
            .handshake_keys(&th2)
            .client
            .open_in_place(b"TH2", &mut tampered, &tag),
        Err(Error::Decrypt)
    );
    // A different TH2 gives different keys.
    assert_eq!(
        client
            .handshake_keys(&[8; 32])
            .server
            .open_in_place(b"TH2", &mut tampered, &tag),
        Err(Error::Decrypt)
    );
    client
        .handshake_keys(&th2)
        .server
        .open_in_place(b"TH2", &mut buf, &tag)
        .unwrap();
    assert_eq!(&buf, b"server identity and signature");

    // And the other way with c_hs_key.
    let mut buf = [0x01, 0x02];
    let tag = client
        .handshake_keys(&th2)
        .client
        .seal_in_place(b"", &mut buf);
    server
        .handshake_keys(&th2)
        .client
        .open_in_place(b"", &mut buf, &tag)
        .unwrap();
    assert_eq!(buf, [0x01, 0x02]);
}

#[test]
fn traffic_secrets_pair_up_by_role() {
    let (a, b) = shared_pair();
    let th = [9; 32];
    let (mut c_seal, mut c_open) = HandshakeSecret::from_shared(a)
        .into_traffic(&th)
        .into_record_keys(Role::Client);
    let (mut s_seal, mut s_open) = HandshakeSecret::from_shared(b)
        .into_traffic(&th)
        .into_record_keys(Role::Server);
    let header = [0x10, 0x00, 0x13];

    let mut buf = *b"ping";
    let tag = c_seal.seal_in_place(&header, &mut buf).unwrap();
    s_open.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"ping");

    let mut buf = *b"pong";
    let tag = s_seal.seal_in_place(&header, &mut buf).unwrap();
    c_open.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"pong");
}

#[test]
fn different_transcripts_give_different_traffic_keys() {
    let (a, b) = shared_pair();
    let (mut seal, _) = HandshakeSecret::from_shared(a)
        .into_traffic(&[1; 32])
        .into_record_keys(Role::Client);
    let (_, mut open) = HandshakeSecret::from_shared(b)
        .into_traffic(&[2; 32])
        .into_record_keys(Role::Server);
    let header = [0x10, 0x00, 0x11];
    let mut buf = [0u8; 1];
    let tag = seal.seal_in_place(&header, &mut buf).unwrap();
    assert_eq!(
        open.open_in_place(&header, &mut buf, &tag),
        Err(Error::Decrypt)
    );
}

#[test]
fn debug_is_redacted() {
    let (a, _) = shared_pair();
    let hs = HandshakeSecret::from_shared(a);
    let s = format!("{hs:?}");
    assert_eq!(s, "HandshakeSecret { .. }");
    assert_redacted(&s, &hs.prk);

    let th2 = [3; 32];
    let c_hs = expand_label(&hs.prk, C_HS_KEY, Some(&th2));
    let s_hs = expand_label(&hs.prk, S_HS_KEY, Some(&th2));
    let keys = hs.handshake_keys(&th2);
    let s = format!("{keys:?}");
    assert_eq!(
        s,
        "HandshakeKeys { client: HandshakeKey { .. }, server: HandshakeKey { .. } }"
    );
    assert_redacted(&s, &c_hs);
    assert_redacted(&s, &s_hs);
    let single: &HandshakeKey = &keys.client;
    assert_eq!(format!("{single:?}"), "HandshakeKey { .. }");

    let traffic = hs.into_traffic(&[4; 32]);
    let s = format!("{traffic:?}");
    assert_eq!(s, "TrafficSecrets { .. }");
    assert_redacted(&s, &traffic.client);
    assert_redacted(&s, &traffic.server);
}

#[test]
fn role_is_plain_data() {
    assert_ne!(Role::Client, Role::Server);
    assert_eq!(format!("{:?}", Role::Client), "Client");
}

#[test]
fn derivations_are_the_labelled_expansions() {
    let s = [0x21; HASH_LEN];
    assert_eq!(*record_key(&s), *expand_label(&s, RECORD_KEY, None));
    assert_eq!(
        *next_traffic_secret(&s),
        *expand_label(&s, KEY_UPDATE, None)
    );
}

#[test]
fn records_round_trip_with_counters_per_direction() {
    let ((mut c_seal, mut c_open), (mut s_seal, mut s_open)) = pairs();
    for i in 0u8..5 {
        let msg = [i; 5];
        let (mut buf, tag) = seal(&mut c_seal, &msg);
        assert_ne!(buf, msg);
        s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
        assert_eq!(buf, msg);
    }
    assert_eq!((c_seal.counter(), s_open.counter()), (5, 5));
    let (mut buf, tag) = seal(&mut s_seal, b"");
    c_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    assert_eq!((s_seal.counter(), c_open.counter()), (1, 1));
}

#[test]
fn record_key_is_derived_from_the_traffic_secret() {
    let ((mut c_seal, _), _) = pairs();
    let key = AeadKey::new(&record_key(&secret(1)));
    let mut by_hand = *b"abc";
    let expected_tag = key.seal_in_place(&[0; 12], &HEADER, &mut by_hand).unwrap();
    let (buf, tag) = seal(&mut c_seal, b"abc");
    assert_eq!((buf, tag), (by_hand.to_vec(), expected_tag));
}

#[test]
fn wrong_direction_key_fails() {
    let ((mut c_seal, mut c_open), _) = pairs();
    // A client cannot open its own records: they are under c_ap, it opens
    // with s_ap.
    let (mut buf, tag) = seal(&mut c_seal, b"reflected");
    assert_eq!(
        c_open.open_in_place(&HEADER, &mut buf, &tag),
        Err(Error::Decrypt)
    );
}

#[test]
fn key_update_both_sides_agree() {
    let ((mut c_seal, _), (_, mut s_open)) = pairs();
    for _ in 0..3 {
        let (mut buf, tag) = seal(&mut c_seal, b"before");
        s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    }
    // KEY_UPDATE: sealed under the old key, then both switch.
    let (mut buf, tag) = seal(&mut c_seal, b"");
    c_seal.update();
    s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    s_open.update();
    assert_eq!((c_seal.counter(), s_open.counter()), (0, 0));

    let (mut buf, tag) = seal(&mut c_seal, b"after");
    s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    assert_eq!(buf, b"after");

    // The new secret and key are exactly PROTOCOL.md §8's.
    let expected_secret = expand_label(&secret(1), KEY_UPDATE, None);
    assert_eq!(*c_seal.0.secret, *expected_secret);
    assert_eq!(*s_open.0.secret, *expected_secret);
    let expected_key = AeadKey::new(&expand_label(&expected_secret, RECORD_KEY, None));
    let mut by_hand = *b"x";
    let t1 = expected_key
        .seal_in_place(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], &HEADER, &mut by_hand)
        .unwrap();
    let (buf, t2) = seal(&mut c_seal, b"x");
    assert_eq!((by_hand.to_vec(), t1), (buf, t2));
}

#[test]
fn update_on_one_side_only_fails() {
    let ((mut c_seal, _), (_, mut s_open)) = pairs();
    c_seal.update();
    let (mut buf, tag) = seal(&mut c_seal, b"x");
    assert_eq!(
        s_open.open_in_place(&HEADER, &mut buf, &tag),
        Err(Error::Decrypt)
    );
}

#[test]
fn update_makes_an_exhausted_direction_usable() {
    let ((mut c_seal, _), (_, mut s_open)) = pairs();
    c_seal.0.cipher.set_counter(u64::MAX);
    s_open.0.cipher.set_counter(u64::MAX);
    let mut buf = *b"one too many";
    assert_eq!(
        c_seal.seal_in_place(&HEADER, &mut buf),
        Err(Error::CounterExhausted)
    );
    c_seal.update();
    s_open.update();
    let (mut buf, tag) = seal(&mut c_seal, b"fresh");
    s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    assert_eq!(buf, b"fresh");
}

#[test]
fn sealer_and_opener_debug_is_redacted() {
    let ((mut c_seal, c_open), _) = pairs();
    let _ = seal(&mut c_seal, b"x");
    let s = format!("{c_seal:?}");
    assert_eq!(s, "RecordSealer { counter: 1, .. }");
    assert_redacted(&s, &secret(1));
    assert_redacted(&s, &record_key(&secret(1)));
    let s = format!("{c_open:?}");
    assert_eq!(s, "RecordOpener { counter: 0, .. }");
    assert_redacted(&s, &secret(2));
    assert_redacted(&s, &record_key(&secret(2)));
}

/// The four secrets a handshake derives from `hs_secret`, as bytes:
/// `c_hs_key`, `s_hs_key` (from TH2), `c_ap_0`, `s_ap_0` (from TH).
fn derived(k: [u8; 32], dh: [u8; 32], th2: [u8; 32], th: [u8; 32]) -> [[u8; 32]; 4] {
    let hs = HandshakeSecret::from_hybrid(
        SharedSecret::from_bytes_for_tests(dh),
        KemSharedSecret::from_bytes_for_tests(k),
    );
    [
        *expand_label(&hs.prk, C_HS_KEY, Some(&th2)),
        *expand_label(&hs.prk, S_HS_KEY, Some(&th2)),
        *expand_label(&hs.prk, C_AP_TRAFFIC, Some(&th)),
        *expand_label(&hs.prk, S_AP_TRAFFIC, Some(&th)),
    ]
}

/// `hs_secret = HKDF-Extract(salt, K || dh)`: the ML-KEM secret first.
#[test]
fn hybrid_extract_is_kem_then_dh() {
    let hs = HandshakeSecret::from_hybrid(
        SharedSecret::from_bytes_for_tests([2; 32]),
        KemSharedSecret::from_bytes_for_tests([1; 32]),
    );
    let mut ikm = [1u8; 64];
    ikm[32..].fill(2);
    assert_eq!(*hs.prk, *hkdf_extract(super::HANDSHAKE_SALT, &ikm));
}

/// Changing one bit of either shared secret changes every derived key; a
/// transcript hash changes every key derived from it. (The public keys and
/// the ciphertext reach the keys through the transcript hashes.)
#[test]
fn every_input_changes_every_derived_key() {
    let base = derived([1; 32], [2; 32], [3; 32], [4; 32]);
    for bit in [0usize, 7, 128, 255] {
        let mut flip = [0u8; 32];
        flip[bit / 8] ^= 1 << (bit % 8);
        let x = |v: u8| core::array::from_fn::<u8, 32, _>(|i| v ^ flip[i]);
        for (input, changed) in [
            ("K", derived(x(1), [2; 32], [3; 32], [4; 32])),
            ("dh", derived([1; 32], x(2), [3; 32], [4; 32])),
        ] {
            for (i, (a, b)) in base.iter().zip(&changed).enumerate() {
                assert_ne!(a, b, "{input} bit {bit}: output {i} unchanged");
            }
        }
        let th2 = derived([1; 32], [2; 32], x(3), [4; 32]);
        assert_ne!(base[0], th2[0]);
        assert_ne!(base[1], th2[1]);
        assert_eq!(
            base[2..],
            th2[2..],
            "TH2 does not enter the traffic secrets"
        );
        let th = derived([1; 32], [2; 32], [3; 32], x(4));
        assert_eq!(base[..2], th[..2], "TH does not enter the handshake keys");
        assert_ne!(base[2], th[2]);
        assert_ne!(base[3], th[3]);
    }
    // Swapping the two secrets is a different input, too.
    assert_ne!(derived([2; 32], [1; 32], [3; 32], [4; 32]), base);
}
