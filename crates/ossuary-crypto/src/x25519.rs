//! Ephemeral X25519 (RFC 7748) key agreement.

use core::fmt;

use rand_core::TryCryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::hex::HexBytes;
use crate::lengths::PUBLIC_KEY_LEN;

/// Length of an X25519 shared secret in bytes.
const SHARED_SECRET_LEN: usize = 32;

/// A single-use X25519 secret for one handshake.
///
/// [`diffie_hellman`](Self::diffie_hellman) consumes it, so it cannot be used
/// twice. It has no `Clone`, is wiped on drop, and its `Debug` output shows only
/// the public key.
pub struct EphemeralSecret {
    /// The scalar as drawn (X25519 clamps it when it is used).
    scalar: Zeroizing<[u8; 32]>,
    /// The same key in AWS-LC, when it could be loaded.
    #[cfg(feature = "aws-lc")]
    fast: Option<aws_lc_rs::agreement::PrivateKey>,
    public: [u8; PUBLIC_KEY_LEN],
}

impl EphemeralSecret {
    /// Generates a fresh secret from `rng`.
    ///
    /// This draws exactly 32 bytes from `rng` with one `try_fill_bytes` call
    /// and uses them, unmodified, as the X25519 scalar; X25519 clamps the
    /// scalar when it is used (RFC 7748 §5). Known-answer vectors depend on
    /// this: an RNG that hands out fixed bytes yields the key pair with those
    /// bytes as its private key.
    ///
    /// Any [`CryptoRng`](rand_core::CryptoRng) is a `TryCryptoRng` that
    /// cannot fail; an RNG that can fail, such as getrandom's `SysRng`, is
    /// passed as it is.
    ///
    /// # Errors
    ///
    /// [`Error::Rng`] if `rng` fails; whatever it wrote is wiped.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        let mut scalar = Zeroizing::new([0u8; 32]);
        rng.try_fill_bytes(scalar.as_mut_slice())
            .map_err(|_| Error::Rng)?;
        Ok(Self::from_scalar(scalar))
    }

    /// Uses `bytes` as the secret scalar, as [`generate`](Self::generate) does
    /// with the bytes it draws.
    ///
    /// For known-answer vectors only. Never use this in production: an
    /// ephemeral secret must be fresh randomness, used once.
    #[cfg(feature = "hazmat")]
    pub fn from_bytes_for_testing_only(bytes: [u8; 32]) -> Self {
        Self::from_scalar(Zeroizing::new(bytes))
    }

    #[cfg(not(feature = "aws-lc"))]
    fn from_scalar(scalar: Zeroizing<[u8; 32]>) -> Self {
        let public = dalek_public(&scalar);
        Self { scalar, public }
    }

    #[cfg(feature = "aws-lc")]
    fn from_scalar(scalar: Zeroizing<[u8; 32]>) -> Self {
        use aws_lc_rs::agreement::{PrivateKey, X25519};
        let fast = PrivateKey::from_private_key(&X25519, scalar.as_slice()).ok();
        let public = fast
            .as_ref()
            .and_then(|key| key.compute_public_key().ok())
            .and_then(|p| <[u8; PUBLIC_KEY_LEN]>::try_from(p.as_ref()).ok())
            .unwrap_or_else(|| dalek_public(&scalar));
        Self {
            scalar,
            fast,
            public,
        }
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
        #[cfg(feature = "aws-lc")]
        if let Some(key) = &self.fast {
            let peer_key =
                aws_lc_rs::agreement::UnparsedPublicKey::new(&aws_lc_rs::agreement::X25519, peer);
            // AWS-LC refuses an all-zero output. It fails the same way when
            // it runs out of memory, so on failure the dalek code below
            // tells the two apart (and then gives the same bytes).
            let shared = aws_lc_rs::agreement::agree(key, peer_key, (), |bytes| {
                let mut out = Zeroizing::new([0u8; SHARED_SECRET_LEN]);
                if bytes.len() != SHARED_SECRET_LEN {
                    return Err(());
                }
                out.copy_from_slice(bytes);
                Ok(out)
            });
            if let Ok(shared) = shared {
                return Ok(SharedSecret(shared));
            }
        }
        let shared = x25519_dalek::StaticSecret::from(*self.scalar)
            .diffie_hellman(&x25519_dalek::PublicKey::from(*peer));
        if shared.was_contributory() {
            Ok(SharedSecret(Zeroizing::new(shared.to_bytes())))
        } else {
            Err(Error::NonContributory)
        }
    }
}

/// The X25519 public key of `scalar`, computed by curve25519-dalek.
fn dalek_public(scalar: &Zeroizing<[u8; 32]>) -> [u8; PUBLIC_KEY_LEN] {
    let secret = x25519_dalek::StaticSecret::from(**scalar);
    x25519_dalek::PublicKey::from(&secret).to_bytes()
}

// The scalar is `Zeroizing`; AWS-LC wipes the memory of its key copy when it
// frees it (`OPENSSL_free` cleanses); the public key is not secret.
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
/// Opaque: its only use is [`HandshakeSecret::from_hybrid`](crate::HandshakeSecret::from_hybrid).
/// Wiped on drop; `Debug` is redacted.
pub struct SharedSecret(Zeroizing<[u8; SHARED_SECRET_LEN]>);

impl SharedSecret {
    /// The shared secret bytes, for the key schedule.
    pub(crate) fn as_bytes(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.0
    }

    /// A shared secret with the given bytes, for the key schedule's tests.
    #[cfg(test)]
    pub(crate) fn from_bytes_for_tests(bytes: [u8; SHARED_SECRET_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw shared secret.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn to_bytes_for_testing_only(&self) -> [u8; 32] {
        *self.0
    }
}

// The inner value is `Zeroizing`.
impl ZeroizeOnDrop for SharedSecret {}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedSecret").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;

    use ossuary_testkit::PresetRng;

    use super::{EphemeralSecret, SharedSecret};
    use crate::error::Error;
    use crate::test_support::{FailingRng, assert_redacted, test_rng};

    #[test]
    fn both_sides_agree() {
        let mut rng = test_rng();
        let a = EphemeralSecret::generate(&mut rng).unwrap();
        let b = EphemeralSecret::generate(&mut rng).unwrap();
        let (pa, pb) = (a.public_key(), b.public_key());
        assert_ne!(pa, pb);
        let sa = a.diffie_hellman(&pb).unwrap();
        let sb = b.diffie_hellman(&pa).unwrap();
        assert_eq!(sa.as_bytes(), sb.as_bytes());
    }

    #[test]
    fn a_failing_rng_is_an_error() {
        assert_eq!(
            EphemeralSecret::generate(&mut FailingRng).err(),
            Some(Error::Rng)
        );
        // The OS RNG is a fallible `TryCryptoRng`, passed without a wrapper.
        let a = EphemeralSecret::generate(&mut getrandom::SysRng).unwrap();
        let b = EphemeralSecret::generate(&mut getrandom::SysRng).unwrap();
        assert_ne!(a.public_key(), b.public_key());
    }

    #[test]
    fn generate_draws_exactly_32_bytes() {
        let bytes = [0x42; 32];
        let mut rng = PresetRng::new(&bytes);
        let _ = EphemeralSecret::generate(&mut rng).unwrap();
        assert_eq!(rng.remaining(), 0);
        assert!(!rng.overdrawn());
        // Same bytes, same key.
        let a = EphemeralSecret::generate(&mut PresetRng::new(&bytes)).unwrap();
        let b = EphemeralSecret::generate(&mut PresetRng::new(&bytes)).unwrap();
        assert_eq!(a.public_key(), b.public_key());
    }

    #[test]
    fn all_zero_peer_is_non_contributory() {
        let a = EphemeralSecret::generate(&mut test_rng()).unwrap();
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
            let a = EphemeralSecret::generate(&mut rng).unwrap();
            assert_eq!(
                a.diffie_hellman(&point).map(|_| ()),
                Err(Error::NonContributory),
                "{point:02x?}"
            );
        }
    }

    /// The dalek computation, as the reference for either backend.
    fn reference(scalar: [u8; 32], peer: [u8; 32]) -> Option<[u8; 32]> {
        let shared = x25519_dalek::StaticSecret::from(scalar)
            .diffie_hellman(&x25519_dalek::PublicKey::from(peer));
        shared.was_contributory().then(|| shared.to_bytes())
    }

    proptest::proptest! {
        #[test]
        fn matches_the_dalek_reference(
            scalar in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            peer in proptest::array::uniform32(proptest::prelude::any::<u8>()),
        ) {
            let secret = EphemeralSecret::generate(&mut PresetRng::new(&scalar)).unwrap();
            let expected_public =
                x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(scalar)).to_bytes();
            proptest::prop_assert_eq!(secret.public_key(), expected_public);
            let got = secret.diffie_hellman(&peer).ok().map(|s| *s.as_bytes());
            proptest::prop_assert_eq!(got, reference(scalar, peer));
        }
    }

    #[test]
    fn rfc7748_vector() {
        // RFC 7748 §6.1 (Alice's private key, Bob's public key).
        let alice = crate::test_support::array::<32>(&crate::test_support::hex(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bob_public = crate::test_support::array::<32>(&crate::test_support::hex(
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        ));
        let secret = EphemeralSecret::generate(&mut PresetRng::new(&alice)).unwrap();
        assert_eq!(
            crate::test_support::to_hex(&secret.public_key()),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
        );
        let shared = secret.diffie_hellman(&bob_public).unwrap();
        assert_eq!(
            crate::test_support::to_hex(shared.as_bytes()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        );
    }

    #[test]
    fn debug_is_redacted() {
        let scalar = [0x5c; 32];
        let a = EphemeralSecret::generate(&mut PresetRng::new(&scalar)).unwrap();
        let b = EphemeralSecret::generate(&mut test_rng()).unwrap();
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
