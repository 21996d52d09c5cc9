//! ML-KEM-768 (FIPS 203) key encapsulation, the post-quantum half of the
//! hybrid key exchange (PROTOCOL.md §6).
//!
//! ```text
//!  client                                          server
//!  KemDecapsulationKey::generate(rng)   -- ek -->  KemEncapsulationKey::from_bytes(ek)   (modulus check)
//!                                                  .encapsulate(rng) = (ct, K)
//!  .decapsulate(ct) = K                 <-- ct --
//! ```
//!
//! The implementation (docs/PERFORMANCE.md, "ML-KEM-768: the implementation")
//! is libcrux-ml-kem with the `libcrux` feature (formally verified, AVX2 code
//! chosen at run time; ossuary-core's default) and RustCrypto's `ml-kem`
//! without it (the size-bounded C library). Both are driven through FIPS
//! 203's deterministic internal functions, so that every random byte comes
//! from the caller's RNG and both give the same bytes:
//! `ML-KEM.KeyGen_internal(d, z)` and `ML-KEM.Encaps_internal(ek, m)`.

use core::fmt;

use rand_core::TryCryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

#[cfg(feature = "libcrux")]
use self::libcrux::{DecapsulationKey, EncapsulationKey};
#[cfg(not(feature = "libcrux"))]
use self::rustcrypto::{DecapsulationKey, EncapsulationKey};

use crate::error::Error;
use crate::lengths::{KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN, KEM_SHARED_SECRET_LEN};

/// The client's single-use ML-KEM-768 key pair for one handshake.
///
/// [`decapsulate`](Self::decapsulate) consumes it, so it cannot be used
/// twice. It has no `Clone`, the decapsulation key is wiped on drop, and
/// `Debug` shows nothing of it.
pub struct KemDecapsulationKey {
    dk: DecapsulationKey,
    ek: [u8; KEM_ENCAPSULATION_KEY_LEN],
}

impl KemDecapsulationKey {
    /// Generates a fresh key pair from `rng`.
    ///
    /// This draws exactly 64 bytes from `rng` with one `try_fill_bytes` call:
    /// `d` (32 bytes) then `z` (32 bytes), the two seeds of FIPS 203
    /// `ML-KEM.KeyGen_internal(d, z)`. Known-answer vectors depend on this.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`] if `rng` fails; whatever it wrote is wiped.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut seed = Zeroizing::new([0u8; 64]);
        rng.try_fill_bytes(seed.as_mut_slice())
            .map_err(|_| Error::Rng)?;
        let (dk, ek) = DecapsulationKey::from_seed(&seed);
        Ok(Self { dk, ek })
    }

    /// The encapsulation key `ek` the client sends in CLIENT_HELLO.
    pub fn encapsulation_key(&self) -> &[u8; KEM_ENCAPSULATION_KEY_LEN] {
        &self.ek
    }

    /// Decapsulates the server's ciphertext, consuming the key pair.
    ///
    /// ML-KEM decapsulation never fails: a ciphertext that was not produced
    /// for this key yields an unrelated pseudorandom secret (FIPS 203
    /// implicit rejection), and the handshake then fails at the first AEAD
    /// open.
    pub fn decapsulate(self, ciphertext: &[u8; KEM_CIPHERTEXT_LEN]) -> KemSharedSecret {
        self.dk.decapsulate(ciphertext)
    }
}

// The decapsulation key wipes itself on drop (ml-kem's `zeroize` feature, or
// the libcrux backend's `Drop`); `ek` is public.
impl ZeroizeOnDrop for KemDecapsulationKey {}

impl fmt::Debug for KemDecapsulationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemDecapsulationKey")
            .finish_non_exhaustive()
    }
}

/// A peer's ML-KEM-768 encapsulation key, validated.
///
/// The only way to build one is [`from_bytes`](Self::from_bytes) (or
/// `TryFrom<&[u8]>`), which performs the FIPS 203 §7.2 input check, so an
/// unchecked key can never be encapsulated to.
pub struct KemEncapsulationKey {
    ek: EncapsulationKey,
}

impl KemEncapsulationKey {
    /// Parses and validates an encapsulation key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKemKey`] if the key fails FIPS 203's modulus check:
    /// one of its 768 12-bit coefficients is not below q = 3329, so that
    /// `ByteEncode12(ByteDecode12(ek)) != ek`.
    pub fn from_bytes(bytes: &[u8; KEM_ENCAPSULATION_KEY_LEN]) -> Result<Self, Error> {
        EncapsulationKey::new(bytes)
            .map(|ek| Self { ek })
            .ok_or(Error::InvalidKemKey)
    }

    /// Encapsulates a fresh shared secret to this key: returns the
    /// ciphertext for the peer and the shared secret.
    ///
    /// This draws exactly 32 bytes from `rng` with one `try_fill_bytes` call,
    /// the `m` of FIPS 203 `ML-KEM.Encaps_internal(ek, m)`.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`] if `rng` fails; whatever it wrote is wiped.
    pub fn encapsulate<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<([u8; KEM_CIPHERTEXT_LEN], KemSharedSecret), Error> {
        let mut m = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(m.as_mut_slice())
            .map_err(|_| Error::Rng)?;
        Ok(self.ek.encapsulate(&m))
    }
}

impl TryFrom<&[u8]> for KemEncapsulationKey {
    type Error = Error;

    /// As [`KemEncapsulationKey::from_bytes`]; a slice that is not 1184 bytes
    /// long is [`Error::InvalidKemKey`] too.
    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        let bytes = <&[u8; KEM_ENCAPSULATION_KEY_LEN]>::try_from(bytes)
            .map_err(|_| Error::InvalidKemKey)?;
        Self::from_bytes(bytes)
    }
}

impl fmt::Debug for KemEncapsulationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemEncapsulationKey")
            .finish_non_exhaustive()
    }
}

/// The 32-byte ML-KEM shared secret `K`.
///
/// It enters the key schedule together with the X25519 output
/// ([`HandshakeSecret::from_hybrid`](crate::HandshakeSecret::from_hybrid)),
/// which consumes it. No `Clone`, wiped on drop, `Debug` is redacted.
pub struct KemSharedSecret(Zeroizing<[u8; KEM_SHARED_SECRET_LEN]>);

impl KemSharedSecret {
    fn from_slice(k: &[u8]) -> Self {
        let mut out = Zeroizing::new([0u8; KEM_SHARED_SECRET_LEN]);
        out.copy_from_slice(k);
        Self(out)
    }

    /// A shared secret with the given bytes, for the key schedule's tests.
    #[cfg(test)]
    pub(crate) fn from_bytes_for_tests(bytes: [u8; KEM_SHARED_SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw secret, for the key schedule.
    pub(crate) fn as_bytes(&self) -> &[u8; KEM_SHARED_SECRET_LEN] {
        &self.0
    }

    /// The raw secret.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn to_bytes_for_testing_only(&self) -> [u8; KEM_SHARED_SECRET_LEN] {
        *self.0
    }
}

// The only field wipes itself on drop.
impl ZeroizeOnDrop for KemSharedSecret {}

impl fmt::Debug for KemSharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemSharedSecret").finish_non_exhaustive()
    }
}

#[cfg(feature = "libcrux")]
mod libcrux;
// Without `libcrux` the backend; with it, the reference in the tests.
#[cfg(any(not(feature = "libcrux"), test))]
mod rustcrypto;
#[cfg(test)]
mod tests;
