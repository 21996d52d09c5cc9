//! Property tests of the record layer: any plaintext and header round-trip,
//! and any single bit flip in ciphertext, tag or header is rejected.

mod common;

use common::record_keys;
use ossuary_crypto::{Error, RecordOpener, RecordSealer};
use proptest::prelude::*;

/// Fresh keys per case; the scalars only need to differ.
fn client_to_server(seed: u8) -> (RecordSealer, RecordOpener) {
    let ((seal, _), (_, open)) = record_keys(&[seed; 32], &[seed ^ 0xff; 32], &[seed; 32]);
    (seal, open)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn seal_open_round_trip(
        seed in any::<u8>(),
        header in any::<[u8; 3]>(),
        plaintexts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..2048), 1..4),
    ) {
        let (mut seal, mut open) = client_to_server(seed);
        for (i, plaintext) in plaintexts.iter().enumerate() {
            let mut buf = plaintext.clone();
            let tag = seal.seal_in_place(&header, &mut buf).unwrap();
            if plaintext.len() >= 16 {
                prop_assert_ne!(&buf, plaintext);
            }
            open.open_in_place(&header, &mut buf, &tag).unwrap();
            prop_assert_eq!(&buf, plaintext);
            prop_assert_eq!(seal.counter(), i as u64 + 1);
            prop_assert_eq!(open.counter(), i as u64 + 1);
        }
    }

    #[test]
    fn any_bit_flip_fails(
        seed in any::<u8>(),
        header in any::<[u8; 3]>(),
        plaintext in prop::collection::vec(any::<u8>(), 0..512),
        flip in any::<prop::sample::Index>(),
    ) {
        let (mut seal, mut open) = client_to_server(seed);
        let mut ciphertext = plaintext.clone();
        let tag = seal.seal_in_place(&header, &mut ciphertext).unwrap();

        // Bits are numbered over header || ciphertext || tag.
        let total_bits = (3 + ciphertext.len() + 16) * 8;
        let bit = flip.index(total_bits);
        let (mut h, mut c, mut t) = (header, ciphertext.clone(), tag);
        let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
        if byte < 3 {
            h[byte] ^= mask;
        } else if byte < 3 + c.len() {
            c[byte - 3] ^= mask;
        } else {
            t[byte - 3 - c.len()] ^= mask;
        }
        let c_before = c.clone();
        prop_assert_eq!(open.open_in_place(&h, &mut c, &t), Err(Error::Decrypt));
        prop_assert_eq!(open.counter(), 0);
        // No plaintext is released: the ciphertext is left as it was (pure
        // Rust) or zeroed (ring).
        prop_assert!(c == c_before || c.iter().all(|&b| b == 0));

        // The untouched record still opens: the failure changed nothing.
        let mut buf = ciphertext;
        open.open_in_place(&header, &mut buf, &tag).unwrap();
        prop_assert_eq!(buf, plaintext);
    }
}
