//! ML-KEM-768 from RustCrypto's `ml-kem`: the backend of every build without
//! the `libcrux` feature (the C library's), and the reference the `libcrux`
//! backend is tested against.

use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::ml_kem_768;
use ml_kem::{FromSeed, MlKem768};
use zeroize::Zeroize;

use super::KemSharedSecret;
use crate::lengths::{KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN};

/// A decapsulation key. `ml-kem`'s `zeroize` feature wipes it on drop.
pub(super) struct DecapsulationKey(ml_kem_768::DecapsulationKey);

impl DecapsulationKey {
    /// FIPS 203 `ML-KEM.KeyGen_internal(d, z)` from `seed = d || z`: the
    /// decapsulation key and the encapsulation key's bytes.
    pub(super) fn from_seed(seed: &[u8; 64]) -> (Self, [u8; KEM_ENCAPSULATION_KEY_LEN]) {
        let (dk, ek) = MlKem768::from_seed(&(*seed).into());
        let mut ek_bytes = ek.to_bytes();
        let ek = ek_bytes.into();
        // Public, but the copy is left clean like every other temporary.
        ek_bytes.as_mut_slice().zeroize();
        (Self(dk), ek)
    }

    /// A decapsulation key from FIPS 203's 2400-byte expanded form, for
    /// NIST's vectors (which carry no seeds for decapsulation).
    #[cfg(all(test, not(feature = "libcrux")))]
    #[allow(deprecated)]
    pub(super) fn from_expanded(dk: &[u8; 2400]) -> Self {
        Self(ml_kem_768::DecapsulationKey::from_expanded(&(*dk).into()).unwrap())
    }

    /// FIPS 203 `ML-KEM.Decaps_internal(dk, c)`; never fails (implicit
    /// rejection).
    pub(super) fn decapsulate(&self, ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> KemSharedSecret {
        let mut k = self.0.decapsulate(&(*ciphertext).into());
        let shared = KemSharedSecret::from_slice(&k);
        k.as_mut_slice().zeroize();
        shared
    }
}

/// An encapsulation key that passed FIPS 203's modulus check.
pub(super) struct EncapsulationKey(ml_kem_768::EncapsulationKey);

impl EncapsulationKey {
    /// The key, if every coefficient is below q (FIPS 203 §7.2).
    pub(super) fn new(bytes: &[u8; KEM_ENCAPSULATION_KEY_LEN]) -> Option<Self> {
        ml_kem_768::EncapsulationKey::new(&(*bytes).into())
            .ok()
            .map(Self)
    }

    /// FIPS 203 `ML-KEM.Encaps_internal(ek, m)`: the ciphertext and `K`.
    pub(super) fn encapsulate(&self, m: &[u8; 32]) -> ([u8; KEM_CIPHERTEXT_LEN], KemSharedSecret) {
        let (ct, mut k) = self.0.encapsulate_deterministic(&(*m).into());
        let shared = KemSharedSecret::from_slice(&k);
        k.as_mut_slice().zeroize();
        (ct.into(), shared)
    }
}
