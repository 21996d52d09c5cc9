//! The crate's one error type.

use core::fmt;

/// Everything that can go wrong in `ossuary-crypto`.
///
/// Errors carry no secret-dependent detail: a failed AEAD open is the single
/// opaque [`Error::Decrypt`], whatever the cause.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// An AEAD open failed: wrong key, wrong counter, or the ciphertext, tag or
    /// associated data were modified. Deliberately opaque.
    Decrypt,
    /// The X25519 output was all zeros: the peer sent a low-order point, so
    /// the shared secret would not depend on our key.
    NonContributory,
    /// An Ed25519 signature did not verify (strictly).
    BadSignature,
    /// The bytes are not an acceptable Ed25519 public key: wrong length, not
    /// a canonical encoding of a curve point, or a small-order (weak) point.
    InvalidPublicKey,
    /// The bytes are not an Ed25519 secret key (the length is not 32).
    InvalidSecretKey,
    /// The bytes are not an ML-KEM-768 encapsulation key: not 1184 bytes, or
    /// a coefficient is not reduced modulo q (the FIPS 203 §7.2 modulus check).
    InvalidKemKey,
    /// The record counter for this direction is used up; update the keys.
    CounterExhausted,
    /// The message is longer than the AEAD can protect under one nonce
    /// (ChaCha20-Poly1305: 256 GiB).
    MessageTooLong,
    /// A caller-provided buffer is too small.
    BufferTooSmall {
        /// The number of bytes the buffer needs to hold.
        needed: usize,
    },
    /// A [`Signer`](crate::Signer) implementation could not produce a signature.
    Signer,
    /// The random number generator failed to produce bytes; nothing was
    /// generated.
    Rng,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decrypt => f.write_str("decryption failed"),
            Self::NonContributory => f.write_str("non-contributory key exchange (all-zero output)"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::InvalidPublicKey => f.write_str("invalid public key"),
            Self::InvalidSecretKey => f.write_str("invalid secret key"),
            Self::InvalidKemKey => f.write_str("invalid ML-KEM encapsulation key"),
            Self::CounterExhausted => f.write_str("record counter exhausted"),
            Self::MessageTooLong => f.write_str("message too long for the AEAD"),
            Self::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
            Self::Signer => f.write_str("signer failed"),
            Self::Rng => f.write_str("the random number generator failed"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use super::Error;

    #[test]
    fn display_is_lowercase_without_detail() {
        assert_eq!(Error::Decrypt.to_string(), "decryption failed");
        assert_eq!(
            Error::BufferTooSmall { needed: 69 }.to_string(),
            "buffer too small: 69 bytes needed"
        );
        for e in [
            Error::Decrypt,
            Error::NonContributory,
            Error::BadSignature,
            Error::InvalidPublicKey,
            Error::InvalidSecretKey,
            Error::InvalidKemKey,
            Error::CounterExhausted,
            Error::MessageTooLong,
            Error::Signer,
            Error::Rng,
        ] {
            let s = e.to_string();
            assert!(!s.is_empty());
            assert!(!s.ends_with('.'));
        }
    }

    #[test]
    fn is_core_error() {
        fn assert_error<E: core::error::Error + Copy + Send + Sync + 'static>() {}
        assert_error::<Error>();
    }
}
