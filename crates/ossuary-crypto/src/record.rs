//! The record layer (SPEC §6): one [`RecordSealer`] and one [`RecordOpener`]
//! per connection side, each with its own traffic secret, key and counter.
//!
//! ```text
//!  nonce = 0x00000000 || u64_be(counter)      counter: per direction, from 0
//!  ad    = frame header (type || length, 3 bytes)
//!  body  = ChaCha20-Poly1305(key_n, nonce, ad, plaintext) = ciphertext || tag
//!
//!  x_ap_n ──Expand("record key", "")──▶ key_n
//!    │
//!    └─Expand("key update", "")──▶ x_ap_{n+1}      (update(): counter back to 0)
//! ```

use core::fmt;

use zeroize::ZeroizeOnDrop;

use crate::TAG_LEN;
use crate::aead::{AeadKey, NONCE_LEN};
use crate::error::Error;
use crate::key_schedule::{KEY_UPDATE, RECORD_KEY, Secret, expand_label};

/// Length of the frame header used as associated data.
const HEADER_LEN: usize = 3;

/// The first counter value that may not be used: a sender never seals with
/// counter 2^64 - 1 (SPEC §6).
const COUNTER_LIMIT: u64 = u64::MAX;

/// One direction's state: the current traffic secret `x_ap_n`, the record key
/// derived from it (once), and the record counter.
struct Direction {
    secret: Secret,
    key: AeadKey,
    counter: u64,
}

impl Direction {
    fn new(secret: Secret) -> Self {
        let key = AeadKey::new(&expand_label(&secret, RECORD_KEY, None));
        Self {
            secret,
            key,
            counter: 0,
        }
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

    /// `x_ap_{n+1} = Expand(x_ap_n, "key update", "")`, then the new record key
    /// and counter 0. The old secret and key are wiped as they are replaced.
    fn update(&mut self) {
        let next = expand_label(&self.secret, KEY_UPDATE, None);
        self.key = AeadKey::new(&expand_label(&next, RECORD_KEY, None));
        self.secret = next;
        self.counter = 0;
    }
}

/// Seals outgoing records under the current send key.
///
/// Wiped on drop; `Debug` shows only the counter.
pub struct RecordSealer(Direction);

impl RecordSealer {
    pub(crate) fn new(secret: Secret) -> Self {
        Self(Direction::new(secret))
    }

    /// Encrypts `buf` in place as the body of the frame whose 3-byte
    /// `header` (type || length) is the associated data, and returns the tag.
    /// The counter advances only on success.
    ///
    /// The caller sends `header || buf || tag`; `header`'s length field is
    /// `buf.len() + 16`.
    ///
    /// # Errors
    ///
    /// - [`Error::CounterExhausted`] if the counter has reached 2^64 - 1: call
    ///   [`update`](Self::update) (long before).
    /// - [`Error::MessageTooLong`] if `buf` is longer than the AEAD allows
    ///   (far beyond any frame).
    pub fn seal_in_place(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let mut tag = [0u8; TAG_LEN];
        self.seal_in_place_into(header, buf, &mut tag)?;
        Ok(tag)
    }

    /// As [`seal_in_place`](Self::seal_in_place), writing the tag to
    /// `tag_out`: a frame is sealed where it lies, with `header`, `buf` and
    /// `tag_out` its three parts. On error nothing is written and the
    /// counter does not move.
    ///
    /// # Errors
    ///
    /// As [`seal_in_place`](Self::seal_in_place).
    pub fn seal_in_place_into(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag_out: &mut [u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = self.0.nonce()?;
        self.0
            .key
            .seal_in_place_into(&nonce, header, buf, tag_out)?;
        self.0.advance();
        Ok(())
    }

    /// The counter the next record will be sealed with.
    pub fn counter(&self) -> u64 {
        self.0.counter
    }

    /// Switches to the next traffic secret and key (KEY_UPDATE), with the
    /// counter back at 0.
    pub fn update(&mut self) {
        self.0.update();
    }

    /// The current traffic secret `x_ap_n`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn secret_bytes_for_testing_only(&self) -> [u8; 32] {
        *self.0.secret
    }

    /// The current record key `key_n`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn key_bytes_for_testing_only(&self) -> [u8; 32] {
        self.0.key.to_bytes_for_testing_only()
    }

    /// Sets the counter, so tests can reach exhaustion.
    ///
    /// For tests only. Never use this in production: reusing a counter reuses
    /// a nonce, which breaks the AEAD.
    #[cfg(feature = "hazmat")]
    pub fn set_counter_for_testing_only(&mut self, counter: u64) {
        self.0.counter = counter;
    }
}

// Every secret field wipes itself on drop.
impl ZeroizeOnDrop for RecordSealer {}

impl fmt::Debug for RecordSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordSealer")
            .field("counter", &self.0.counter)
            .finish_non_exhaustive()
    }
}

/// Opens incoming records under the current receive key.
///
/// Wiped on drop; `Debug` shows only the counter.
pub struct RecordOpener(Direction);

impl RecordOpener {
    pub(crate) fn new(secret: Secret) -> Self {
        Self(Direction::new(secret))
    }

    /// Checks `tag` over `header` and the ciphertext in `buf`, then decrypts
    /// `buf` in place. The counter advances only on success; on failure `buf`
    /// is unchanged. A failure is fatal for the connection (SPEC §6).
    ///
    /// # Errors
    ///
    /// - [`Error::Decrypt`] if the record does not authenticate (tampered, out
    ///   of order, wrong key).
    /// - [`Error::CounterExhausted`] if 2^64 - 1 records were already opened
    ///   under this key (a correct peer never seals that many).
    pub fn open_in_place(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = self.0.nonce()?;
        self.0.key.open_in_place(&nonce, header, buf, tag)?;
        self.0.advance();
        Ok(())
    }

    /// The counter the next record is expected to carry.
    pub fn counter(&self) -> u64 {
        self.0.counter
    }

    /// Switches to the next traffic secret and key after the peer's
    /// KEY_UPDATE was opened, with the counter back at 0.
    pub fn update(&mut self) {
        self.0.update();
    }

    /// The current traffic secret `x_ap_n`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn secret_bytes_for_testing_only(&self) -> [u8; 32] {
        *self.0.secret
    }

    /// The current record key `key_n`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn key_bytes_for_testing_only(&self) -> [u8; 32] {
        self.0.key.to_bytes_for_testing_only()
    }

    /// Sets the counter, so tests can reach exhaustion or skip ahead.
    ///
    /// For tests only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn set_counter_for_testing_only(&mut self, counter: u64) {
        self.0.counter = counter;
    }
}

// Every secret field wipes itself on drop.
impl ZeroizeOnDrop for RecordOpener {}

impl fmt::Debug for RecordOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordOpener")
            .field("counter", &self.0.counter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::vec::Vec;

    use super::{COUNTER_LIMIT, Direction, RecordOpener, RecordSealer};
    use crate::aead::AeadKey;
    use crate::error::Error;
    use crate::key_schedule::{KEY_UPDATE, RECORD_KEY, Secret, expand_label};
    use crate::test_support::assert_redacted;

    const HEADER: [u8; 3] = [0x10, 0x00, 0x15];

    fn secret(byte: u8) -> Secret {
        Secret::new([byte; 32])
    }

    /// A client sealer/opener and the matching server pair.
    fn pairs() -> ((RecordSealer, RecordOpener), (RecordSealer, RecordOpener)) {
        (
            (RecordSealer::new(secret(1)), RecordOpener::new(secret(2))),
            (RecordSealer::new(secret(2)), RecordOpener::new(secret(1))),
        )
    }

    fn seal(sealer: &mut RecordSealer, msg: &[u8]) -> (Vec<u8>, [u8; 16]) {
        let mut buf = msg.to_vec();
        let tag = sealer.seal_in_place(&HEADER, &mut buf).unwrap();
        (buf, tag)
    }

    #[test]
    fn round_trip_and_counters() {
        let ((mut c_seal, mut c_open), (mut s_seal, mut s_open)) = pairs();
        for i in 0u8..5 {
            let msg = [i; 5];
            let (mut buf, tag) = seal(&mut c_seal, &msg);
            assert_ne!(buf, msg);
            s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
            assert_eq!(buf, msg);
        }
        assert_eq!(c_seal.counter(), 5);
        assert_eq!(s_open.counter(), 5);
        let (mut buf, tag) = seal(&mut s_seal, b"");
        assert!(buf.is_empty());
        c_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
        assert_eq!((s_seal.counter(), c_open.counter()), (1, 1));
    }

    #[test]
    fn nonce_layout() {
        let mut d = Direction::new(secret(3));
        assert_eq!(d.nonce(), Ok([0; 12]));
        d.counter = 0x0102_0304_0506_0708;
        assert_eq!(d.nonce(), Ok([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]));
        // The same record sealed by hand with that nonce and key_n.
        let key = AeadKey::new(&expand_label(&secret(3), RECORD_KEY, None));
        let mut by_hand = *b"abc";
        let expected_tag = key
            .seal_in_place(&[0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], &HEADER, &mut by_hand)
            .unwrap();
        let mut sealer = RecordSealer(d);
        let mut buf = *b"abc";
        let tag = sealer.seal_in_place(&HEADER, &mut buf).unwrap();
        assert_eq!((buf, tag), (by_hand, expected_tag));
    }

    #[test]
    fn tampering_is_detected_and_changes_nothing() {
        let ((mut c_seal, _), (_, mut s_open)) = pairs();
        let (buf, tag) = seal(&mut c_seal, b"attack at dawn");

        // Ciphertext bit.
        let mut bad = buf.clone();
        bad[3] ^= 0x01;
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut bad, &tag),
            Err(Error::Decrypt)
        );
        // Tag bit.
        let mut bad_tag = tag;
        bad_tag[15] ^= 0x80;
        let mut copy = buf.clone();
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut copy, &bad_tag),
            Err(Error::Decrypt)
        );
        assert!(
            copy == buf || copy.iter().all(|&b| b == 0),
            "a failed open leaves the ciphertext (pure Rust) or zeros (ring), never plaintext"
        );
        // Header (associated data).
        let mut copy = buf.clone();
        assert_eq!(
            s_open.open_in_place(&[0x11, 0x00, 0x15], &mut copy, &tag),
            Err(Error::Decrypt)
        );
        // Truncated ciphertext.
        let mut short = buf[..buf.len() - 1].to_vec();
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut short, &tag),
            Err(Error::Decrypt)
        );
        assert_eq!(s_open.counter(), 0, "counter advances only on success");

        // The untouched record still opens afterwards.
        let mut good = buf.clone();
        s_open.open_in_place(&HEADER, &mut good, &tag).unwrap();
        assert_eq!(good, b"attack at dawn");
        assert_eq!(s_open.counter(), 1);
    }

    #[test]
    fn wrong_counter_fails() {
        let ((mut c_seal, _), (_, mut s_open)) = pairs();
        let (first, first_tag) = seal(&mut c_seal, b"one");
        let (mut second, second_tag) = seal(&mut c_seal, b"two");
        // Reordered: record 1 at counter 0 (on a copy: a failed open may zero it).
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut second.clone(), &second_tag),
            Err(Error::Decrypt)
        );
        let mut first_copy = first.clone();
        s_open
            .open_in_place(&HEADER, &mut first_copy, &first_tag)
            .unwrap();
        // Replayed: record 0 at counter 1.
        let mut replay = first.clone();
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut replay, &first_tag),
            Err(Error::Decrypt)
        );
        s_open
            .open_in_place(&HEADER, &mut second, &second_tag)
            .unwrap();
        assert_eq!(second, b"two");
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

        // The new secret and key are exactly SPEC §5's.
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
    fn sealer_counter_exhaustion() {
        let ((mut c_seal, _), (_, mut s_open)) = pairs();
        c_seal.0.counter = COUNTER_LIMIT - 1;
        s_open.0.counter = COUNTER_LIMIT - 1;
        // 2^64 - 2 is the last usable counter.
        let (mut buf, tag) = seal(&mut c_seal, b"last");
        s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
        assert_eq!(c_seal.counter(), u64::MAX);
        let mut buf = *b"one too many";
        assert_eq!(
            c_seal.seal_in_place(&HEADER, &mut buf),
            Err(Error::CounterExhausted)
        );
        assert_eq!(&buf, b"one too many", "nothing was encrypted");
        assert_eq!(c_seal.counter(), u64::MAX);
        assert_eq!(
            s_open.open_in_place(&HEADER, &mut buf, &tag),
            Err(Error::CounterExhausted)
        );
        // An update makes the direction usable again.
        c_seal.update();
        s_open.update();
        let (mut buf, tag) = seal(&mut c_seal, b"fresh");
        s_open.open_in_place(&HEADER, &mut buf, &tag).unwrap();
    }

    #[test]
    fn debug_is_redacted() {
        let ((mut c_seal, c_open), _) = pairs();
        let _ = seal(&mut c_seal, b"x");
        let s = format!("{c_seal:?}");
        assert_eq!(s, "RecordSealer { counter: 1, .. }");
        assert_redacted(&s, &secret(1));
        assert_redacted(&s, &expand_label(&secret(1), RECORD_KEY, None));
        let s = format!("{c_open:?}");
        assert_eq!(s, "RecordOpener { counter: 0, .. }");
        assert_redacted(&s, &secret(2));
        assert_redacted(&s, &expand_label(&secret(2), RECORD_KEY, None));
    }
}
