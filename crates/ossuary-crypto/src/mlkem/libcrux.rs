//! ML-KEM-768 from libcrux-ml-kem (the `libcrux` feature): formally verified
//! with hax and F*, and with its AVX2 code (x86_64) or NEON code (aarch64),
//! chosen at run time by CPU detection, about 4x faster than `ml-kem` here
//! (docs/PERFORMANCE.md, "ML-KEM-768: the implementation"). Same bytes as the
//! `ml-kem` backend for the same seeds; the tests check both.

use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey, MlKem768PublicKey};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::KemSharedSecret;
use crate::lengths::{KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN};

/// A decapsulation key: FIPS 203's 2400-byte form
/// (`dk_PKE || ek || H(ek) || z`), which is libcrux's private key type.
///
/// libcrux's type has no `zeroize` support, so `Drop` wipes its bytes
/// through its `IndexMut`. Copies this does not reach, as with `ml-kem`:
/// the key pair libcrux returns by value and moves into this struct (and
/// moves of this struct) may leave bytes in dead stack slots, as may
/// libcrux's own intermediate values (the seed it was passed by value, the
/// secret vector before encoding) during key generation and decapsulation.
pub(super) struct DecapsulationKey(MlKem768PrivateKey);

impl DecapsulationKey {
    /// FIPS 203 `ML-KEM.KeyGen_internal(d, z)` from `seed = d || z`: the
    /// decapsulation key and the encapsulation key's bytes.
    pub(super) fn from_seed(seed: &[u8; 64]) -> (Self, [u8; KEM_ENCAPSULATION_KEY_LEN]) {
        let (dk, ek) = mlkem768::generate_key_pair(*seed).into_parts();
        (Self(dk), ek.into())
    }

    /// A decapsulation key from FIPS 203's 2400-byte expanded form, for
    /// NIST's vectors (which carry no seeds for decapsulation).
    #[cfg(test)]
    pub(super) fn from_expanded(dk: &[u8; 2400]) -> Self {
        Self(MlKem768PrivateKey::from(dk))
    }

    /// FIPS 203 `ML-KEM.Decaps_internal(dk, c)`; never fails (implicit
    /// rejection).
    pub(super) fn decapsulate(&self, ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> KemSharedSecret {
        let mut k = mlkem768::decapsulate(&self.0, &MlKem768Ciphertext::from(ciphertext));
        let shared = KemSharedSecret::from_slice(&k);
        k.zeroize();
        shared
    }
}

impl Drop for DecapsulationKey {
    fn drop(&mut self) {
        // All 2400 bytes (`IndexMut<RangeFrom<usize>>` is libcrux's only
        // mutable view of the whole key; `0..` cannot panic).
        self.0[0..].zeroize();
    }
}

impl ZeroizeOnDrop for DecapsulationKey {}

/// An encapsulation key that passed FIPS 203's modulus check.
pub(super) struct EncapsulationKey(MlKem768PublicKey);

impl EncapsulationKey {
    /// The key, if every coefficient is below q (FIPS 203 §7.2: libcrux's
    /// `validate_public_key` is `ByteEncode12(ByteDecode12(ek)) == ek`).
    pub(super) fn new(bytes: &[u8; KEM_ENCAPSULATION_KEY_LEN]) -> Option<Self> {
        let ek = MlKem768PublicKey::from(bytes);
        if mlkem768::validate_public_key(&ek) {
            Some(Self(ek))
        } else {
            None
        }
    }

    /// FIPS 203 `ML-KEM.Encaps_internal(ek, m)`: the ciphertext and `K`.
    pub(super) fn encapsulate(&self, m: &[u8; 32]) -> ([u8; KEM_CIPHERTEXT_LEN], KemSharedSecret) {
        // `m` is passed by value: that copy is libcrux's, not wiped.
        let (ct, mut k) = mlkem768::encapsulate(&self.0, *m);
        let shared = KemSharedSecret::from_slice(&k);
        k.zeroize();
        (ct.into(), shared)
    }
}
