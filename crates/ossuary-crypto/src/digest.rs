//! A streaming SHA-256 for callers that hash their own data (a file being
//! sent or received), so that they need not name a hash crate themselves.

use core::fmt;

use sha2::Digest as _;

use crate::lengths::HASH_LEN;

/// SHA-256 over bytes given in pieces.
///
/// ```
/// use ossuary_crypto::Sha256;
///
/// let mut hash = Sha256::new();
/// hash.update(b"a");
/// hash.update(b"bc");
/// // FIPS 180-2: SHA-256("abc") starts ba7816bf.
/// assert_eq!(hash.finalize()[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
#[derive(Clone, Default)]
pub struct Sha256(sha2::Sha256);

impl Sha256 {
    /// An empty hash.
    pub fn new() -> Self {
        Self(sha2::Sha256::new())
    }

    /// Appends `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The SHA-256 of everything appended.
    pub fn finalize(self) -> [u8; HASH_LEN] {
        self.0.finalize().into()
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sha256").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Sha256;
    use crate::test_support::{array, hex};

    #[test]
    fn known_answers() {
        // FIPS 180-2 examples and the empty string.
        let cases: [(&[u8], &str); 3] = [
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (input, expected) in cases {
            let mut hash = Sha256::new();
            hash.update(input);
            assert_eq!(hash.finalize(), array(&hex(expected)));
        }
    }

    proptest! {
        /// Any split of the input gives the same hash as one piece.
        #[test]
        fn pieces_do_not_matter(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
            let cut = cut.min(data.len());
            let mut whole = Sha256::new();
            whole.update(&data);
            let mut split = Sha256::new();
            split.update(&data[..cut]);
            split.update(&data[cut..]);
            prop_assert_eq!(whole.finalize(), split.finalize());
        }
    }
}
