//! Record protection (PROTOCOL.md §7): the cipher of one direction and its
//! counter.
//!
//! ```text
//!  nonce = 0x00000000 || u64_be(counter)      counter: per direction, from 0
//!  ad    = frame header (type || length, 3 bytes)
//!  body  = ChaCha20-Poly1305(key_n, nonce, ad, plaintext) = ciphertext || tag
//! ```
//!
//! The key comes from the key schedule, which also owns the traffic secret
//! and replaces the whole cipher on key update (`key_schedule.rs`).

use core::fmt;

use zeroize::ZeroizeOnDrop;

use crate::aead::{AeadKey, KEY_LEN, NONCE_LEN};
use crate::error::Error;
use crate::lengths::TAG_LEN;

/// Length of the frame header used as associated data.
pub(crate) const HEADER_LEN: usize = 3;

/// The first counter value that may not be used: a sender never seals with
/// counter 2^64 - 1 (PROTOCOL.md §7.2).
const COUNTER_LIMIT: u64 = u64::MAX;

/// One direction's record key `key_n` and its counter.
///
/// Wiped on drop; `Debug` shows only the counter.
pub(crate) struct RecordCipher {
    key: AeadKey,
    counter: u64,
}

impl RecordCipher {
    /// A cipher for `key`, at counter 0.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self {
            key: AeadKey::new(key),
            counter: 0,
        }
    }

    /// The counter of the next record.
    pub(crate) fn counter(&self) -> u64 {
        self.counter
    }

    /// Sets the counter (tests reach exhaustion with it). Reusing a counter
    /// reuses a nonce, which breaks the AEAD.
    #[cfg(any(test, feature = "hazmat"))]
    pub(crate) fn set_counter(&mut self, counter: u64) {
        self.counter = counter;
    }

    /// Seals `buf` in place under the next counter with `header` as the
    /// associated data, writing the tag to `tag_out`. The counter advances
    /// only on success; on error nothing is written.
    pub(crate) fn seal_in_place_into(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag_out: &mut [u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = self.nonce()?;
        self.key.seal_in_place_into(&nonce, header, buf, tag_out)?;
        self.advance();
        Ok(())
    }

    /// Opens `buf` in place under the next counter. The counter advances only
    /// on success; on failure `buf` holds no plaintext (see
    /// [`AeadKey::open_in_place`]).
    pub(crate) fn open_in_place(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = self.nonce()?;
        self.key.open_in_place(&nonce, header, buf, tag)?;
        self.advance();
        Ok(())
    }

    /// The nonce for the current counter, or [`Error::CounterExhausted`].
    fn nonce(&self) -> Result<[u8; NONCE_LEN], Error> {
        if self.counter == COUNTER_LIMIT {
            return Err(Error::CounterExhausted);
        }
        let mut nonce = [0u8; NONCE_LEN];
        if let Some(tail) = nonce.last_chunk_mut::<8>() {
            *tail = self.counter.to_be_bytes();
        }
        Ok(nonce)
    }

    /// Moves the counter on after a successful seal or open. Cannot overflow:
    /// [`nonce`](Self::nonce) refused the limit.
    fn advance(&mut self) {
        self.counter = self.counter.saturating_add(1);
    }
}

// The key wipes itself on drop; the counter is not secret.
impl ZeroizeOnDrop for RecordCipher {}

impl fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordCipher")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::vec::Vec;

    use super::{COUNTER_LIMIT, RecordCipher};
    use crate::aead::AeadKey;
    use crate::error::Error;
    use crate::lengths::TAG_LEN;
    use crate::test_support::assert_redacted;

    const HEADER: [u8; 3] = [0x10, 0x00, 0x15];

    /// A sealing and an opening cipher for the same key.
    fn pair(byte: u8) -> (RecordCipher, RecordCipher) {
        (
            RecordCipher::new(&[byte; 32]),
            RecordCipher::new(&[byte; 32]),
        )
    }

    fn seal(cipher: &mut RecordCipher, msg: &[u8]) -> (Vec<u8>, [u8; TAG_LEN]) {
        let mut buf = msg.to_vec();
        let mut tag = [0u8; TAG_LEN];
        cipher
            .seal_in_place_into(&HEADER, &mut buf, &mut tag)
            .unwrap();
        (buf, tag)
    }

    #[test]
    fn round_trip_and_counters() {
        let (mut sealer, mut opener) = pair(1);
        for i in 0u8..5 {
            let msg = [i; 5];
            let (mut buf, tag) = seal(&mut sealer, &msg);
            assert_ne!(buf, msg);
            opener.open_in_place(&HEADER, &mut buf, &tag).unwrap();
            assert_eq!(buf, msg);
        }
        assert_eq!((sealer.counter(), opener.counter()), (5, 5));
        let (mut buf, tag) = seal(&mut sealer, b"");
        assert!(buf.is_empty());
        opener.open_in_place(&HEADER, &mut buf, &tag).unwrap();
        assert_eq!((sealer.counter(), opener.counter()), (6, 6));
    }

    #[test]
    fn nonce_layout() {
        let mut cipher = RecordCipher::new(&[3; 32]);
        assert_eq!(cipher.nonce(), Ok([0; 12]));
        cipher.set_counter(0x0102_0304_0506_0708);
        assert_eq!(cipher.nonce(), Ok([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
        // The same record sealed by hand with that nonce and key.
        let key = AeadKey::new(&[3; 32]);
        let mut by_hand = *b"abc";
        let expected_tag = key
            .seal_in_place(&[0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], &HEADER, &mut by_hand)
            .unwrap();
        let (buf, tag) = seal(&mut cipher, b"abc");
        assert_eq!((buf, tag), (by_hand.to_vec(), expected_tag));
    }

    #[test]
    fn tampering_is_detected_and_releases_no_plaintext() {
        let (mut sealer, mut opener) = pair(1);
        let (buf, tag) = seal(&mut sealer, b"attack at dawn");

        // Ciphertext bit.
        let mut bad = buf.clone();
        bad[3] ^= 0x01;
        assert_eq!(
            opener.open_in_place(&HEADER, &mut bad, &tag),
            Err(Error::Decrypt)
        );
        // Tag bit.
        let mut bad_tag = tag;
        bad_tag[15] ^= 0x80;
        let mut copy = buf.clone();
        assert_eq!(
            opener.open_in_place(&HEADER, &mut copy, &bad_tag),
            Err(Error::Decrypt)
        );
        assert!(
            copy == buf || copy.iter().all(|&b| b == 0),
            "a failed open leaves the ciphertext (pure Rust) or zeros (ring), never plaintext"
        );
        // Header (associated data).
        let mut copy = buf.clone();
        assert_eq!(
            opener.open_in_place(&[0x11, 0x00, 0x15], &mut copy, &tag),
            Err(Error::Decrypt)
        );
        // Truncated ciphertext.
        let mut short = buf[..buf.len() - 1].to_vec();
        assert_eq!(
            opener.open_in_place(&HEADER, &mut short, &tag),
            Err(Error::Decrypt)
        );
        assert_eq!(opener.counter(), 0, "counter advances only on success");

        // The untouched record still opens afterwards.
        let mut good = buf.clone();
        opener.open_in_place(&HEADER, &mut good, &tag).unwrap();
        assert_eq!(good, b"attack at dawn");
        assert_eq!(opener.counter(), 1);
    }

    #[test]
    fn wrong_counter_fails() {
        let (mut sealer, mut opener) = pair(1);
        let (first, first_tag) = seal(&mut sealer, b"one");
        let (mut second, second_tag) = seal(&mut sealer, b"two");
        // Reordered: record 1 at counter 0 (on a copy: a failed open may zero it).
        assert_eq!(
            opener.open_in_place(&HEADER, &mut second.clone(), &second_tag),
            Err(Error::Decrypt)
        );
        let mut first_copy = first.clone();
        opener
            .open_in_place(&HEADER, &mut first_copy, &first_tag)
            .unwrap();
        // Replayed: record 0 at counter 1.
        let mut replay = first.clone();
        assert_eq!(
            opener.open_in_place(&HEADER, &mut replay, &first_tag),
            Err(Error::Decrypt)
        );
        opener
            .open_in_place(&HEADER, &mut second, &second_tag)
            .unwrap();
        assert_eq!(second, b"two");
    }

    #[test]
    fn wrong_key_fails() {
        let (mut sealer, _) = pair(1);
        let (_, mut other) = pair(2);
        let (mut buf, tag) = seal(&mut sealer, b"reflected");
        assert_eq!(
            other.open_in_place(&HEADER, &mut buf, &tag),
            Err(Error::Decrypt)
        );
    }

    #[test]
    fn counter_exhaustion() {
        let (mut sealer, mut opener) = pair(1);
        sealer.set_counter(COUNTER_LIMIT - 1);
        opener.set_counter(COUNTER_LIMIT - 1);
        // 2^64 - 2 is the last usable counter.
        let (mut buf, tag) = seal(&mut sealer, b"last");
        opener.open_in_place(&HEADER, &mut buf, &tag).unwrap();
        assert_eq!(sealer.counter(), u64::MAX);
        let mut buf = *b"one too many";
        let mut tag_out = [0u8; TAG_LEN];
        assert_eq!(
            sealer.seal_in_place_into(&HEADER, &mut buf, &mut tag_out),
            Err(Error::CounterExhausted)
        );
        assert_eq!(&buf, b"one too many", "nothing was encrypted");
        assert_eq!(tag_out, [0u8; TAG_LEN], "no tag was written");
        assert_eq!(sealer.counter(), u64::MAX);
        assert_eq!(
            opener.open_in_place(&HEADER, &mut buf, &tag),
            Err(Error::CounterExhausted)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = [0xa7; 32];
        let mut cipher = RecordCipher::new(&key);
        let _ = seal(&mut cipher, b"x");
        let s = format!("{cipher:?}");
        assert_eq!(s, "RecordCipher { counter: 1, .. }");
        assert_redacted(&s, &key);
    }
}
