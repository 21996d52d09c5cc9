#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod aead;
mod error;
mod identity;
mod key_schedule;
mod preset_rng;
mod record;
mod transcript;
mod x25519;

use core::fmt;

pub use rand_core::CryptoRng;

pub use crate::error::Error;
pub use crate::identity::{PublicKey, SecretKey, Signer};
pub use crate::key_schedule::{HandshakeKey, HandshakeKeys, HandshakeSecret, Role, TrafficSecrets};
pub use crate::preset_rng::PresetRng;
pub use crate::record::{RecordOpener, RecordSealer};
pub use crate::transcript::Transcript;
pub use crate::x25519::{EphemeralSecret, SharedSecret};

/// Length of an X25519 or Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 secret key (seed).
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an AEAD tag.
pub const TAG_LEN: usize = 16;
/// Length of a SHA-256 hash (transcript hashes, secrets).
pub const HASH_LEN: usize = 32;

/// Formats public bytes as lowercase hex.
struct HexBytes<'a>(&'a [u8]);

impl fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod test_support {
    //! Helpers shared by the unit tests.

    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use crate::x25519::{EphemeralSecret, SharedSecret};

    /// Decodes hex (panics on bad input: test data only).
    pub(crate) fn hex(s: &str) -> Vec<u8> {
        assert!(s.len().is_multiple_of(2), "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    pub(crate) fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub(crate) fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
        bytes.try_into().unwrap()
    }

    /// Asserts a `Debug` string shows `secret` neither as hex (either case)
    /// nor as the default `[1, 2, ..]` array form.
    pub(crate) fn assert_redacted(debug: &str, secret: &(impl AsRef<[u8]> + ?Sized)) {
        let secret = secret.as_ref();
        let hex = to_hex(secret);
        assert!(!debug.contains(&hex), "{debug} leaks {hex}");
        assert!(!debug.to_lowercase().contains(&hex), "{debug} leaks {hex}");
        let list = format!("{secret:?}");
        let inner = list.trim_start_matches('[').trim_end_matches(']');
        assert!(!debug.contains(inner), "{debug} leaks {list}");
        // Not even a prefix of the secret.
        assert!(!debug.contains(&hex[..16]), "{debug} leaks part of {hex}");
    }

    /// A JSON object of hex strings from a vector file.
    pub(crate) struct Vectors(serde_json::Value);

    impl Vectors {
        pub(crate) fn parse(json: &str) -> Self {
            Self(serde_json::from_str(json).unwrap())
        }

        pub(crate) fn hex(&self, name: &str) -> Vec<u8> {
            let s = self.0[name]
                .as_str()
                .unwrap_or_else(|| panic!("missing {name}"));
            hex(s)
        }
    }

    /// The operating system's RNG.
    pub(crate) fn test_rng() -> impl rand_core::CryptoRng {
        getrandom::rand_core::UnwrapErr(getrandom::SysRng)
    }

    /// Two `SharedSecret`s from one fresh X25519 exchange (equal values).
    pub(crate) fn shared_pair() -> (SharedSecret, SharedSecret) {
        let mut rng = test_rng();
        let a = EphemeralSecret::generate(&mut rng);
        let b = EphemeralSecret::generate(&mut rng);
        let (pa, pb) = (a.public_key(), b.public_key());
        (
            a.diffie_hellman(&pb).unwrap(),
            b.diffie_hellman(&pa).unwrap(),
        )
    }
}
