//! Ephemeral X25519 (RFC 7748) key agreement.

use core::fmt;

use rand_core::CryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::{HexBytes, PUBLIC_KEY_LEN};

/// Length of an X25519 shared secret in bytes.
const SHARED_SECRET_LEN: usize = 32;

/// A single-use X25519 secret for one handshake.
///
/// [`diffie_hellman`](Self::diffie_hellman) consumes it, so it cannot be used
/// twice. It has no `Clone`, is wiped on drop, and its `Debug` output shows only
/// the public key.
pub struct EphemeralSecret {
    secret: x25519_dalek::StaticSecret,
    public: [u8; PUBLIC_KEY_LEN],
}

impl EphemeralSecret {
    /// Generates a fresh secret from `rng`.
    ///
    /// This draws exactly 32 bytes from `rng` with one `fill_bytes` call and
    /// uses them, unmodified, as the X25519 scalar; X25519 clamps the scalar
    /// when it is used (RFC 7748 §5). Known-answer vectors depend on this: a
    /// [`PresetRng`](crate::PresetRng) holding fixed bytes yields the key pair
    /// with those bytes as its private key.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut scalar = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(scalar.as_mut_slice());
        Self::from_scalar(&scalar)
    }

    /// Uses `bytes` as the secret scalar, as [`generate`](Self::generate) does
    /// with the bytes it draws.
    ///
    /// For known-answer vectors only. Never use this in production: an
    /// ephemeral secret must be fresh randomness, used once.
    #[cfg(feature = "hazmat")]
    pub fn from_bytes_for_testing_only(bytes: [u8; 32]) -> Self {
        let scalar = Zeroizing::new(bytes);
        Self::from_scalar(&scalar)
    }

    fn from_scalar(scalar: &Zeroizing<[u8; 32]>) -> Self {
        let secret = x25519_dalek::StaticSecret::from(**scalar);
        let public = x25519_dalek::PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    /// The public key (Montgomery u-coordinate) to send to the peer.
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.public
    }

    /// Computes the shared secret with the peer's public key `peer`, consuming
    /// (and wiping) this secret.
    ///
    /// # Errors
    ///
    /// [`Error::NonContributory`] if the result is all zeros, which happens
    /// exactly when `peer` is a low-order point: the output would then not
    /// depend on our secret.
    pub fn diffie_hellman(self, peer: &[u8; PUBLIC_KEY_LEN]) -> Result<SharedSecret, Error> {
        let shared = self
            .secret
            .diffie_hellman(&x25519_dalek::PublicKey::from(*peer));
        if shared.was_contributory() {
            Ok(SharedSecret(shared))
        } else {
            Err(Error::NonContributory)
        }
    }
}

// The inner secret wipes itself on drop; the public key is not secret.
impl ZeroizeOnDrop for EphemeralSecret {}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EphemeralSecret")
            .field("public_key", &HexBytes(&self.public))
            .finish_non_exhaustive()
    }
}

/// The output of an X25519 key agreement, checked to be contributory.
///
/// Opaque: its only use is [`HandshakeSecret::from_shared`](crate::HandshakeSecret::from_shared).
/// Wiped on drop; `Debug` is redacted.
pub struct SharedSecret(x25519_dalek::SharedSecret);

impl SharedSecret {
    /// The shared secret bytes, for the key schedule.
    pub(crate) fn as_bytes(&self) -> &[u8; SHARED_SECRET_LEN] {
        self.0.as_bytes()
    }

    /// The raw shared secret.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn to_bytes_for_testing_only(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

// The inner value wipes itself on drop.
impl ZeroizeOnDrop for SharedSecret {}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSecret").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;

    use super::{EphemeralSecret, SharedSecret};
    use crate::PresetRng;
    use crate::error::Error;
    use crate::test_support::{assert_redacted, test_rng};

    #[test]
    fn both_sides_agree() {
        let mut rng = test_rng();
        let a = EphemeralSecret::generate(&mut rng);
        let b = EphemeralSecret::generate(&mut rng);
        let (pa, pb) = (a.public_key(), b.public_key());
        assert_ne!(pa, pb);
        let sa = a.diffie_hellman(&pb).unwrap();
        let sb = b.diffie_hellman(&pa).unwrap();
        assert_eq!(sa.as_bytes(), sb.as_bytes());
    }

    #[test]
    fn generate_draws_exactly_32_bytes() {
        let bytes = [0x42; 32];
        let mut rng = PresetRng::new(&bytes);
        let _ = EphemeralSecret::generate(&mut rng);
        assert_eq!(rng.remaining(), 0);
        assert!(!rng.overdrawn());
        // Same bytes, same key.
        let a = EphemeralSecret::generate(&mut PresetRng::new(&bytes));
        let b = EphemeralSecret::generate(&mut PresetRng::new(&bytes));
        assert_eq!(a.public_key(), b.public_key());
    }

    #[test]
    fn all_zero_peer_is_non_contributory() {
        let a = EphemeralSecret::generate(&mut test_rng());
        assert_eq!(
            a.diffie_hellman(&[0; 32]).map(|_| ()),
            Err(Error::NonContributory)
        );
    }

    #[test]
    fn low_order_peers_are_non_contributory() {
        // Points of order 1, 2, 4 and 8 on Curve25519 and their non-canonical
        // encodings (u + p), from the X25519 small-subgroup lists in libsodium
        // and Wycheproof: every one gives an all-zero output.
        let low_order: [[u8; 32]; 5] = [
            // u = 1 (order 4)
            {
                let mut u = [0; 32];
                u[0] = 1;
                u
            },
            // order 8
            [
                0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
                0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
                0x5f, 0x49, 0xb8, 0x00,
            ],
            // order 8
            [
                0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83,
                0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd,
                0xd0, 0x9f, 0x11, 0x57,
            ],
            // u = p - 1 (order 2)
            [
                0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0x7f,
            ],
            // u = p (non-canonical 0)
            [
                0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0x7f,
            ],
        ];
        let mut rng = test_rng();
        for point in low_order {
            let a = EphemeralSecret::generate(&mut rng);
            assert_eq!(
                a.diffie_hellman(&point).map(|_| ()),
                Err(Error::NonContributory),
                "{point:02x?}"
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        let scalar = [0x5c; 32];
        let a = EphemeralSecret::generate(&mut PresetRng::new(&scalar));
        let b = EphemeralSecret::generate(&mut test_rng());
        let pb = b.public_key();
        let s = format!("{a:?}");
        assert!(s.starts_with("EphemeralSecret {"));
        assert!(s.ends_with(", .. }"));
        assert_redacted(&s, &scalar);

        let shared: SharedSecret = a.diffie_hellman(&pb).unwrap();
        let s = format!("{shared:?}");
        assert_eq!(s, "SharedSecret { .. }");
        assert_redacted(&s, shared.as_bytes());
    }
}
