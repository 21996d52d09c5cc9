//! The lengths of keys, signatures, tags and hashes.
//!
//! A leaf module: every other module may use these without importing the crate
//! root.

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
/// Length of an ML-KEM-768 encapsulation key (FIPS 203, `ek`).
pub const KEM_ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext (FIPS 203, `c`).
pub const KEM_CIPHERTEXT_LEN: usize = 1088;
/// Length of an ML-KEM shared secret (FIPS 203, `K`).
pub const KEM_SHARED_SECRET_LEN: usize = 32;
