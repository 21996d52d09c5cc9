use std::format;

use ossuary_testkit::PresetRng;
use proptest::prelude::*;

use super::{KemDecapsulationKey, KemEncapsulationKey};
use crate::error::Error;
use crate::lengths::{KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN};
use crate::test_support::FailingRng;

fn key_pair(seed: u8) -> KemDecapsulationKey {
    let bytes = [seed; 64];
    let mut rng = PresetRng::new(&bytes);
    let dk = KemDecapsulationKey::generate(&mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "generate draws exactly 64 bytes");
    dk
}

#[test]
fn encapsulate_then_decapsulate_agree() {
    let dk = key_pair(1);
    let ek = KemEncapsulationKey::from_bytes(dk.encapsulation_key()).unwrap();
    let m = [2u8; 32];
    let mut rng = PresetRng::new(&m);
    let (ct, sent) = ek.encapsulate(&mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "encapsulate draws exactly 32 bytes");
    let received = dk.decapsulate(&ct);
    assert_eq!(sent.as_bytes(), received.as_bytes());
}

#[test]
fn altered_ciphertext_gives_an_unrelated_secret() {
    let dk = key_pair(3);
    let ek = KemEncapsulationKey::from_bytes(dk.encapsulation_key()).unwrap();
    let (mut ct, sent) = ek.encapsulate(&mut PresetRng::new(&[4; 32])).unwrap();
    ct[KEM_CIPHERTEXT_LEN - 1] ^= 1;
    assert_ne!(sent.as_bytes(), dk.decapsulate(&ct).as_bytes());
}

#[test]
fn unreduced_coefficient_is_refused() {
    let dk = key_pair(5);
    let mut ek = *dk.encapsulation_key();
    // Coefficient 0 is the low 12 bits of bytes 0..2: set it to q = 3329.
    ek[0] = 0x01;
    ek[1] = (ek[1] & 0xF0) | 0x0D;
    assert_eq!(
        KemEncapsulationKey::from_bytes(&ek).unwrap_err(),
        Error::InvalidKemKey
    );
}

#[test]
fn wrong_length_is_refused() {
    let dk = key_pair(6);
    let ek = dk.encapsulation_key();
    for len in [0, 32, KEM_ENCAPSULATION_KEY_LEN - 1] {
        assert_eq!(
            KemEncapsulationKey::try_from(&ek[..len]).unwrap_err(),
            Error::InvalidKemKey
        );
    }
    let mut long = std::vec::Vec::from(&ek[..]);
    long.push(0);
    assert_eq!(
        KemEncapsulationKey::try_from(&long[..]).unwrap_err(),
        Error::InvalidKemKey
    );
    assert!(KemEncapsulationKey::try_from(&ek[..]).is_ok());
}

#[test]
fn rng_failure_is_an_error() {
    assert_eq!(
        KemDecapsulationKey::generate(&mut FailingRng).unwrap_err(),
        Error::Rng
    );
    let ek = KemEncapsulationKey::from_bytes(key_pair(7).encapsulation_key()).unwrap();
    assert_eq!(ek.encapsulate(&mut FailingRng).unwrap_err(), Error::Rng);
}

#[test]
fn debug_shows_no_secret() {
    let dk = key_pair(8);
    let ek = KemEncapsulationKey::from_bytes(dk.encapsulation_key()).unwrap();
    let (_, k) = ek.encapsulate(&mut PresetRng::new(&[9; 32])).unwrap();
    assert_eq!(format!("{dk:?}"), "KemDecapsulationKey { .. }");
    assert_eq!(format!("{ek:?}"), "KemEncapsulationKey { .. }");
    assert_eq!(format!("{k:?}"), "KemSharedSecret { .. }");
}

proptest! {
    /// Any 1184 bytes: accepted or refused, never a panic; accepted exactly
    /// when every coefficient is below q.
    #[test]
    fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), KEM_ENCAPSULATION_KEY_LEN)) {
        let reduced = bytes[..1152].chunks(3).all(|c| {
            let a = u16::from(c[0]) | (u16::from(c[1] & 0x0F) << 8);
            let b = u16::from(c[1] >> 4) | (u16::from(c[2]) << 4);
            a < 3329 && b < 3329
        });
        prop_assert_eq!(KemEncapsulationKey::try_from(&bytes[..]).is_ok(), reduced);
    }

    /// Every generated key parses, and its encapsulations decapsulate.
    #[test]
    fn generated_keys_round_trip(seed in any::<[u8; 32]>(), m in any::<[u8; 32]>()) {
        let mut both = [0u8; 64];
        both[..32].copy_from_slice(&seed);
        both[32..].copy_from_slice(&m);
        let dk = KemDecapsulationKey::generate(&mut PresetRng::new(&both)).unwrap();
        let ek = KemEncapsulationKey::from_bytes(dk.encapsulation_key()).unwrap();
        let (ct, sent) = ek.encapsulate(&mut PresetRng::new(&m)).unwrap();
        let received = dk.decapsulate(&ct);
        prop_assert_eq!(sent.as_bytes(), received.as_bytes());
    }
}

/// NIST's ACVP vectors for ML-KEM-768 (tests/vectors/fips203_mlkem768.json,
/// extracted by extract_fips203.py with every value unchanged), run against
/// the backend this build uses (`libcrux` or `ml-kem`).
mod fips203 {
    use ossuary_testkit::PresetRng;
    use serde_json::Value;

    use super::super::{DecapsulationKey, KemDecapsulationKey, KemEncapsulationKey};
    use crate::test_support::{array, hex};

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../tests/vectors/fips203_mlkem768.json")).unwrap()
    }

    fn field(t: &Value, name: &str) -> std::vec::Vec<u8> {
        hex(t[name].as_str().unwrap())
    }

    #[test]
    fn key_generation() {
        let v = vectors();
        let tests = v["keyGen"].as_array().unwrap();
        assert_eq!(tests.len(), 5);
        for t in tests {
            let mut seed = field(t, "d");
            seed.extend(field(t, "z"));
            let dk = KemDecapsulationKey::generate(&mut PresetRng::new(&seed)).unwrap();
            assert_eq!(
                &dk.encapsulation_key()[..],
                &field(t, "ek")[..],
                "tcId {}",
                t["tcId"]
            );
        }
    }

    #[test]
    fn encapsulation() {
        let v = vectors();
        let tests = v["encapsulation"].as_array().unwrap();
        assert_eq!(tests.len(), 5);
        for t in tests {
            let ek = KemEncapsulationKey::try_from(&field(t, "ek")[..]).unwrap();
            let (c, k) = ek.encapsulate(&mut PresetRng::new(&field(t, "m"))).unwrap();
            assert_eq!(&c[..], &field(t, "c")[..], "tcId {}", t["tcId"]);
            assert_eq!(&k.as_bytes()[..], &field(t, "k")[..], "tcId {}", t["tcId"]);
            // The same ciphertext, decapsulated with the vector's key.
            let dk = expanded(&field(t, "dk"), &field(t, "ek"));
            assert_eq!(
                &dk.decapsulate(&array(&c)).as_bytes()[..],
                &field(t, "k")[..]
            );
        }
    }

    /// FIPS 203 §7.2 modulus check, on NIST's first ML-KEM-768 key with one
    /// coefficient raised to q (the smallest unreduced value) or to 4095 (the
    /// largest a 12-bit field holds): first coefficient, last coefficient.
    #[test]
    fn modulus_check_refuses_unreduced_nist_keys() {
        let v = vectors();
        let ek = field(&v["keyGen"][0], "ek");
        assert!(KemEncapsulationKey::try_from(&ek[..]).is_ok());
        for (coefficient, value) in [(0usize, 3329u16), (0, 4095), (767, 3329), (767, 4095)] {
            let mut bad = ek.clone();
            let at = coefficient / 2 * 3;
            if coefficient % 2 == 0 {
                bad[at] = value as u8;
                bad[at + 1] = (bad[at + 1] & 0xF0) | (value >> 8) as u8;
            } else {
                bad[at + 1] = (bad[at + 1] & 0x0F) | ((value & 0x0F) << 4) as u8;
                bad[at + 2] = (value >> 4) as u8;
            }
            assert_eq!(
                KemEncapsulationKey::try_from(&bad[..]).unwrap_err(),
                crate::error::Error::InvalidKemKey,
                "coefficient {coefficient} = {value}"
            );
            // One below q is reduced and accepted.
            let mut ok = bad;
            if coefficient % 2 == 0 {
                ok[at] = 0x00;
                ok[at + 1] = (ok[at + 1] & 0xF0) | 0x0D;
            } else {
                ok[at + 1] &= 0x0F;
                ok[at + 2] = 0xD0;
            }
            assert!(
                KemEncapsulationKey::try_from(&ok[..]).is_ok(),
                "coefficient {coefficient} = 3328"
            );
        }
    }

    /// Decapsulation, including the implicit rejection of modified
    /// ciphertexts ("modify ciphertext": K is then J(z || c)).
    #[test]
    fn decapsulation() {
        let v = vectors();
        let group = &v["decapsulation"];
        let tests = group["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 10);
        let dk_bytes = field(group, "dk");
        // The expanded key is dk_PKE (1152 bytes) || ek || H(ek) || z.
        let ek_bytes = dk_bytes[1152..1152 + 1184].to_vec();
        for t in tests {
            let dk = expanded(&dk_bytes, &ek_bytes);
            let k = dk.decapsulate(&array(&field(t, "c")));
            assert_eq!(&k.as_bytes()[..], &field(t, "k")[..], "tcId {}", t["tcId"]);
        }
    }

    /// A key pair from FIPS 203's 2400-byte expanded form (the ACVP vectors
    /// carry no seeds for these tests).
    fn expanded(dk: &[u8], ek: &[u8]) -> KemDecapsulationKey {
        KemDecapsulationKey {
            dk: DecapsulationKey::from_expanded(&array(dk)),
            ek: array(ek),
        }
    }
}

/// With both backends compiled: libcrux-ml-kem and RustCrypto `ml-kem` give
/// the same bytes for the same seeds, and accept and refuse the same
/// encapsulation keys.
#[cfg(feature = "libcrux")]
mod libcrux_matches_ml_kem {
    use proptest::prelude::*;

    use super::super::{libcrux, rustcrypto};
    use crate::lengths::{KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN};

    /// Sets 12-bit coefficient `i` (0..768) of an encapsulation key.
    fn set_coefficient(ek: &mut [u8; KEM_ENCAPSULATION_KEY_LEN], i: usize, value: u16) {
        let at = i / 2 * 3;
        if i.is_multiple_of(2) {
            ek[at] = value as u8;
            ek[at + 1] = (ek[at + 1] & 0xF0) | (value >> 8) as u8;
        } else {
            ek[at + 1] = (ek[at + 1] & 0x0F) | ((value & 0x0F) << 4) as u8;
            ek[at + 2] = (value >> 4) as u8;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// ek from KeyGen_internal(d, z); ct and K from Encaps_internal(ek,
        /// m); K from decapsulating that ct and a ct with one bit flipped
        /// (implicit rejection, which depends on z): identical.
        #[test]
        fn same_bytes(
            seed in any::<[u8; 64]>(),
            m in any::<[u8; 32]>(),
            flip in 0..KEM_CIPHERTEXT_LEN * 8,
        ) {
            let (lx_dk, lx_ek) = libcrux::DecapsulationKey::from_seed(&seed);
            let (rc_dk, rc_ek) = rustcrypto::DecapsulationKey::from_seed(&seed);
            prop_assert_eq!(&lx_ek[..], &rc_ek[..]);

            let (lx_ct, lx_k) = libcrux::EncapsulationKey::new(&lx_ek).unwrap().encapsulate(&m);
            let (rc_ct, rc_k) = rustcrypto::EncapsulationKey::new(&rc_ek).unwrap().encapsulate(&m);
            prop_assert_eq!(&lx_ct[..], &rc_ct[..]);
            prop_assert_eq!(lx_k.as_bytes(), rc_k.as_bytes());

            let (lx_back, rc_back) = (lx_dk.decapsulate(&lx_ct), rc_dk.decapsulate(&rc_ct));
            prop_assert_eq!(lx_back.as_bytes(), lx_k.as_bytes());
            prop_assert_eq!(rc_back.as_bytes(), rc_k.as_bytes());

            let mut bad = lx_ct;
            bad[flip / 8] ^= 1 << (flip % 8);
            let (lx_rejected, rc_rejected) = (lx_dk.decapsulate(&bad), rc_dk.decapsulate(&bad));
            prop_assert_eq!(lx_rejected.as_bytes(), rc_rejected.as_bytes());
            prop_assert_ne!(lx_rejected.as_bytes(), lx_k.as_bytes());
        }

        /// A generated key with one coefficient set to any 12-bit value
        /// (half of them unreduced, 3329..=4095): both accept exactly when
        /// it is below q.
        #[test]
        fn same_modulus_check(
            seed in any::<[u8; 64]>(),
            i in 0usize..768,
            value in prop_oneof![3329u16..4096, 0u16..4096],
        ) {
            let (_, mut ek) = rustcrypto::DecapsulationKey::from_seed(&seed);
            set_coefficient(&mut ek, i, value);
            let lx = libcrux::EncapsulationKey::new(&ek).is_some();
            let rc = rustcrypto::EncapsulationKey::new(&ek).is_some();
            prop_assert_eq!(lx, rc);
            prop_assert_eq!(lx, value < 3329);
        }

        /// Any 1184 bytes (almost never a valid key): the same verdict.
        #[test]
        fn same_verdict_on_any_bytes(
            bytes in proptest::collection::vec(any::<u8>(), KEM_ENCAPSULATION_KEY_LEN),
        ) {
            let ek: [u8; KEM_ENCAPSULATION_KEY_LEN] = bytes.try_into().unwrap();
            prop_assert_eq!(
                libcrux::EncapsulationKey::new(&ek).is_some(),
                rustcrypto::EncapsulationKey::new(&ek).is_some()
            );
        }
    }
}
