//! The running transcript hash (PROTOCOL.md §4).

use core::fmt;

use sha2::{Digest, Sha256};

use crate::lengths::HASH_LEN;

/// A running SHA-256 over the exact frame bytes, in order.
///
/// [`hash`](Self::hash) takes a snapshot without disturbing the running state,
/// so one transcript yields all the named hashes (TH2, THs, TH3h, THc, TH).
#[derive(Clone, Default)]
pub struct Transcript(Sha256);

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self(Sha256::new())
    }

    /// Appends `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// SHA-256 of everything appended so far. The transcript can keep growing.
    pub fn hash(&self) -> [u8; HASH_LEN] {
        self.0.clone().finalize().into()
    }
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::Transcript;
    use crate::test_support::{array, hex};

    #[test]
    fn empty_is_sha256_of_nothing() {
        assert_eq!(
            Transcript::new().hash(),
            array(&hex(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            ))
        );
    }

    #[test]
    fn snapshots_do_not_disturb_the_running_hash() {
        let mut t = Transcript::new();
        t.update(b"a");
        let h1 = t.hash();
        assert_eq!(h1, t.hash());
        t.update(b"bc");
        // FIPS 180-2 example: SHA-256("abc").
        assert_eq!(
            t.hash(),
            array(&hex(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            ))
        );
        let mut fork = t.clone();
        fork.update(b"d");
        assert_ne!(fork.hash(), t.hash());
        assert_ne!(h1, t.hash());
    }
}
