//! The AEAD behind [`HandshakeKey`](crate::HandshakeKey) and the record layer:
//! ChaCha20-Poly1305 (RFC 8439).
//!
//! This is the only module that names an AEAD crate. Two backends provide the
//! same [`AeadKey`] (`new`, `seal_in_place`, `open_in_place`):
//!
//! - the pure-Rust `chacha20poly1305` crate (default; `no_std`, portable);
//! - `ring` (cargo feature `ring`), chosen by measurement (docs/PERFORMANCE.md).
//!
//! Both are checked against the same vectors.

#[cfg(not(feature = "ring"))]
use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit};
#[cfg(feature = "ring")]
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};
use zeroize::ZeroizeOnDrop;

use crate::error::Error;
use crate::lengths::TAG_LEN;

/// AEAD key length in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// AEAD nonce length in bytes.
pub(crate) const NONCE_LEN: usize = 12;

/// A ChaCha20-Poly1305 key, set up once and used for many messages.
pub(crate) struct AeadKey {
    #[cfg(not(feature = "ring"))]
    cipher: ChaCha20Poly1305,
    #[cfg(feature = "ring")]
    cipher: LessSafeKey,
}

impl AeadKey {
    /// Sets up the cipher for `key`.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: backend_key(key),
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
        let mut tag = [0u8; TAG_LEN];
        self.seal_in_place_into(nonce, ad, buf, &mut tag)?;
        Ok(tag)
    }

    /// As [`Self::seal_in_place`], writing the tag to `tag_out` (which the
    /// record layer points at the frame's tag field). On error `buf` and
    /// `tag_out` are unchanged. Chosen by measurement (docs/PERFORMANCE.md).
    pub(crate) fn seal_in_place_into(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buf: &mut [u8],
        tag_out: &mut [u8; TAG_LEN],
    ) -> Result<(), Error> {
        #[cfg(not(feature = "ring"))]
        {
            let tag = self
                .cipher
                .encrypt_inout_detached(nonce.into(), ad, buf.into())
                .map_err(|_| Error::MessageTooLong)?;
            tag_out.copy_from_slice(&tag);
            Ok(())
        }
        #[cfg(feature = "ring")]
        {
            let tag = self
                .cipher
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::from(ad),
                    buf,
                )
                .map_err(|_| Error::MessageTooLong)?;
            // ring's tag is always 16 bytes, so the conversion cannot fail.
            // Copied through a u128: chosen by measurement (docs/PERFORMANCE.md).
            let bytes: [u8; TAG_LEN] =
                tag.as_ref().try_into().map_err(|_| Error::MessageTooLong)?;
            *tag_out = u128::from_ne_bytes(bytes).to_ne_bytes();
            Ok(())
        }
    }

    /// Checks `tag` over `ad` and the ciphertext in `buf`, then decrypts `buf`
    /// in place. On failure the error is the opaque [`Error::Decrypt`] and no
    /// plaintext is left in `buf`, whose contents are otherwise unspecified:
    /// the pure-Rust backend checks the tag before decrypting and leaves the
    /// ciphertext, `ring` decrypts first and then overwrites it with zeros.
    pub(crate) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        #[cfg(not(feature = "ring"))]
        {
            self.cipher
                .decrypt_inout_detached(nonce.into(), ad, buf.into(), tag.into())
                .map_err(|_| Error::Decrypt)
        }
        #[cfg(feature = "ring")]
        {
            self.cipher
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(*nonce),
                    Aad::from(ad),
                    Tag::from(*tag),
                    buf,
                    0..,
                )
                .map(|_| ())
                .map_err(|_| Error::Decrypt)
        }
    }
}

#[cfg(not(feature = "ring"))]
fn backend_key(key: &[u8; KEY_LEN]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(key.into())
}

#[cfg(feature = "ring")]
fn backend_key(key: &[u8; KEY_LEN]) -> LessSafeKey {
    // Local invariant: ring rejects only keys of the wrong length, and this
    // is a 32-byte key for a 32-byte-key algorithm.
    #[allow(clippy::expect_used)]
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, key).expect("32-byte ChaCha20 key");
    LessSafeKey::new(unbound)
}

// `ring` keys do not wipe themselves: overwrite the key held in place with
// an all-zero key, and keep the store from being optimised away. This is
// best effort in safe Rust (the pure-Rust backend wipes itself through
// chacha20poly1305's `zeroize` feature).
#[cfg(feature = "ring")]
impl Drop for AeadKey {
    fn drop(&mut self) {
        self.cipher = backend_key(&[0u8; KEY_LEN]);
        core::hint::black_box(&self.cipher);
    }
}

// The cipher wipes itself on drop (ring's through the `Drop` above).
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
    use crate::error::Error;
    use crate::lengths::TAG_LEN;
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
    fn failed_open_releases_no_plaintext() {
        let key = AeadKey::new(&[7; KEY_LEN]);
        let nonce = [1; NONCE_LEN];
        let plaintext: Vec<u8> = (1u8..=40).collect();
        let mut buf = plaintext.clone();
        let mut tag = key.seal_in_place(&nonce, b"ad", &mut buf).unwrap();
        let sealed = buf.clone();
        tag[0] ^= 1;
        assert_eq!(
            key.open_in_place(&nonce, b"ad", &mut buf, &tag),
            Err(Error::Decrypt)
        );
        // The ciphertext is left as it was (pure Rust) or zeroed (ring).
        assert!(buf == sealed || buf.iter().all(|&b| b == 0), "{buf:?}");
        assert_ne!(buf, plaintext);
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
