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
mod digest;
mod error;
#[cfg(feature = "hazmat")]
pub mod hazmat;
mod hex;
mod identity;
mod key_schedule;
mod lengths;
mod mlkem;
mod record;
#[cfg(test)]
mod test_support;
mod transcript;
mod x25519;

pub use rand_core::{CryptoRng, TryCryptoRng, TryRng};

pub use crate::digest::Sha256;
pub use crate::error::Error;
pub use crate::identity::{PublicKey, SecretKey, Signer};
pub use crate::key_schedule::{
    HandshakeKey, HandshakeKeys, HandshakeSecret, RecordOpener, RecordSealer, Role, TrafficSecrets,
};
pub use crate::lengths::{
    HASH_LEN, KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN, KEM_SHARED_SECRET_LEN, PUBLIC_KEY_LEN,
    SECRET_KEY_LEN, SIGNATURE_LEN, TAG_LEN,
};
pub use crate::mlkem::{KemDecapsulationKey, KemEncapsulationKey, KemSharedSecret};
pub use crate::transcript::Transcript;
pub use crate::x25519::{EphemeralSecret, SharedSecret};
