//! The AEAD behind [`HandshakeKey`](crate::HandshakeKey) and the record layer:
//! ChaCha20-Poly1305 (RFC 8439).
//!
//! This is the only module that names the AEAD crate. Another backend slots in
//! by providing the same [`AeadKey`] (`new`, `seal_in_place`, `open_in_place`)
//! behind a cargo feature; nothing else in the crate changes.

use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit};
use zeroize::ZeroizeOnDrop;
#[cfg(feature = "hazmat")]
use zeroize::Zeroizing;

use crate::TAG_LEN;
use crate::error::Error;

/// AEAD key length in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// AEAD nonce length in bytes.
pub(crate) const NONCE_LEN: usize = 12;

/// A ChaCha20-Poly1305 key, set up once and used for many messages.
pub(crate) struct AeadKey {
    cipher: ChaCha20Poly1305,
    #[cfg(feature = "hazmat")]
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl AeadKey {
    /// Sets up the cipher for `key`.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(key.into()),
            #[cfg(feature = "hazmat")]
            bytes: Zeroizing::new(*key),
        }
    }

    /// Encrypts `buf` in place and returns the tag over `ad` and the ciphertext.
    ///
    /// Fails only if `buf` is longer than the cipher allows under one nonce
    /// (about 256 GiB): [`Error::MessageTooLong`].
    pub(crate) fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .cipher
            .encrypt_inout_detached(nonce.into(), ad, buf.into())
            .map_err(|_| Error::MessageTooLong)?;
        Ok(tag.into())
    }

    /// Checks `tag` over `ad` and the ciphertext in `buf`, then decrypts `buf`
    /// in place. On failure `buf` is left as it was and the error is the opaque
    /// [`Error::Decrypt`].
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.cipher
            .decrypt_inout_detached(nonce.into(), ad, buf.into(), tag.into())
            .map_err(|_| Error::Decrypt)
    }

    /// The raw key. Known-answer vectors only.
    #[cfg(feature = "hazmat")]
    pub(crate) fn to_bytes_for_testing_only(&self) -> [u8; KEY_LEN] {
        *self.bytes
    }
}

// The cipher (with chacha20poly1305's `zeroize` feature) and the optional byte
// copy both wipe themselves on drop.
impl ZeroizeOnDrop for AeadKey {}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AeadKey").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::vec::Vec;

    use super::{AeadKey, KEY_LEN, NONCE_LEN};
    use crate::TAG_LEN;
    use crate::error::Error;
    use crate::test_support::{Vectors, array, to_hex};

    /// RFC 8439 §2.8.2, the ChaCha20-Poly1305 AEAD example.
    #[test]
    fn rfc8439_section_2_8_2() {
        let v = Vectors::parse(include_str!("../tests/vectors/rfc8439_aead.json"));
        let key = AeadKey::new(&array::<KEY_LEN>(&v.hex("key")));
        let nonce = array::<NONCE_LEN>(&v.hex("nonce"));
        let aad = v.hex("aad");
        let plaintext = v.hex("plaintext");
        let ciphertext = v.hex("ciphertext");
        let expected_tag = array::<TAG_LEN>(&v.hex("tag"));

        let mut buf = plaintext.clone();
        let tag = key.seal_in_place(&nonce, &aad, &mut buf).unwrap();
        assert_eq!(buf, ciphertext);
        assert_eq!(tag, expected_tag);

        key.open_in_place(&nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, plaintext);
    }

    #[test]
    fn failed_open_leaves_buffer_untouched() {
        let key = AeadKey::new(&[7; KEY_LEN]);
        let nonce = [1; NONCE_LEN];
        let mut buf: Vec<u8> = (0u8..40).collect();
        let mut tag = key.seal_in_place(&nonce, b"ad", &mut buf).unwrap();
        let sealed = buf.clone();
        tag[0] ^= 1;
        assert_eq!(
            key.open_in_place(&nonce, b"ad", &mut buf, &tag),
            Err(Error::Decrypt)
        );
        assert_eq!(buf, sealed);
    }

    #[test]
    fn empty_plaintext_is_tag_only() {
        let key = AeadKey::new(&[9; KEY_LEN]);
        let nonce = [0; NONCE_LEN];
        let tag = key.seal_in_place(&nonce, b"hdr", &mut []).unwrap();
        key.open_in_place(&nonce, b"hdr", &mut [], &tag).unwrap();
        assert_eq!(
            key.open_in_place(&nonce, b"hdx", &mut [], &tag),
            Err(Error::Decrypt)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let bytes = [0xa5; KEY_LEN];
        let key = AeadKey::new(&bytes);
        let s = format!("{key:?}");
        assert_eq!(s, "AeadKey { .. }");
        assert!(!s.contains(&to_hex(&bytes)));
    }
}
