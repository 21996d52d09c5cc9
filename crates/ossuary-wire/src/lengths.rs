//! Every length of the framing and of the handshake messages (PROTOCOL.md §2
//! and §3), and the version they are defined for.
//!
//! A leaf module: it imports nothing from the crate, so the frame rules
//! ([`FrameType`](crate::FrameType)) and the message codecs can both use these
//! numbers without importing each other.

/// The only protocol version this crate speaks.
pub const VERSION_1: u8 = 1;

/// Length of a frame header: `type:u8 || length:u16`.
pub const HEADER_LEN: usize = 3;

/// Largest legal frame body (the `length` field is a `u16`).
pub const MAX_BODY_LEN: usize = 65535;

/// Length of a ChaCha20-Poly1305 authentication tag.
pub const TAG_LEN: usize = 16;

/// Largest plaintext one DATA record can carry: [`MAX_BODY_LEN`] minus the tag.
pub const MAX_RECORD_PLAINTEXT: usize = MAX_BODY_LEN - TAG_LEN;

/// Length of an X25519 public key or an Ed25519 identity key.
pub(crate) const KEY_LEN: usize = 32;

/// Length of an Ed25519 signature.
pub(crate) const SIGNATURE_LEN: usize = 64;

/// Length of an ML-KEM-768 encapsulation key `ek` (FIPS 203).
pub const KEM_ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of an ML-KEM-768 ciphertext `ct` (FIPS 203).
pub const KEM_CIPHERTEXT_LEN: usize = 1088;

// CLIENT_HELLO (PROTOCOL.md §3.1).

/// Body length of a CLIENT_HELLO frame: version, flags, `e_c`, `random_c`, `ek`.
pub const CLIENT_HELLO_BODY_LEN: usize = 1 + 1 + KEY_LEN + 32 + KEM_ENCAPSULATION_KEY_LEN;

/// Length of a whole CLIENT_HELLO frame (the transcript's `M1`).
pub const CLIENT_HELLO_FRAME_LEN: usize = HEADER_LEN + CLIENT_HELLO_BODY_LEN;

// SERVER_HELLO (PROTOCOL.md §3.2).

/// Plaintext length of the sealed part of SERVER_HELLO: `S_id [32] || sig_s [64]`.
pub const SERVER_IDENTITY_LEN: usize = KEY_LEN + SIGNATURE_LEN;

/// Length of the sealed part of SERVER_HELLO: ciphertext and tag.
pub const SEALED_SERVER_IDENTITY_LEN: usize = SERVER_IDENTITY_LEN + TAG_LEN;

/// Body length of a SERVER_HELLO frame: version, flags, `e_s`, `ct`, sealed identity.
pub const SERVER_HELLO_BODY_LEN: usize =
    1 + 1 + KEY_LEN + KEM_CIPHERTEXT_LEN + SEALED_SERVER_IDENTITY_LEN;

/// Length of a whole SERVER_HELLO frame.
pub const SERVER_HELLO_FRAME_LEN: usize = HEADER_LEN + SERVER_HELLO_BODY_LEN;

/// Frame bytes before the sealed part (the transcript's `M2clear`):
/// header, version, flags, `e_s` and `ct`.
pub const SERVER_HELLO_CLEAR_LEN: usize = HEADER_LEN + 1 + 1 + KEY_LEN + KEM_CIPHERTEXT_LEN;

// CLIENT_AUTH (PROTOCOL.md §3.3).

/// Plaintext length of an anonymous CLIENT_AUTH: the kind byte alone.
pub const CLIENT_IDENTITY_ANON_LEN: usize = 1;

/// Plaintext length of an identity CLIENT_AUTH: kind, `C_id [32]`, `sig_c [64]`.
pub const CLIENT_IDENTITY_IDENTITY_LEN: usize = 1 + KEY_LEN + SIGNATURE_LEN;

/// Body length of an anonymous CLIENT_AUTH frame (sealed kind byte).
pub const CLIENT_AUTH_ANON_BODY_LEN: usize = CLIENT_IDENTITY_ANON_LEN + TAG_LEN;

/// Body length of an identity CLIENT_AUTH frame.
pub const CLIENT_AUTH_IDENTITY_BODY_LEN: usize = CLIENT_IDENTITY_IDENTITY_LEN + TAG_LEN;

/// Length of a whole anonymous CLIENT_AUTH frame.
pub const CLIENT_AUTH_ANON_FRAME_LEN: usize = HEADER_LEN + CLIENT_AUTH_ANON_BODY_LEN;

/// Length of a whole identity CLIENT_AUTH frame.
pub const CLIENT_AUTH_IDENTITY_FRAME_LEN: usize = HEADER_LEN + CLIENT_AUTH_IDENTITY_BODY_LEN;

// RESET (PROTOCOL.md §2.2 and §10.2).

/// Body length of a plaintext RESET frame: the reason byte.
pub const RESET_PLAIN_BODY_LEN: usize = 1;

/// Body length of a sealed RESET frame: the sealed reason byte and tag.
pub const RESET_SEALED_BODY_LEN: usize = RESET_PLAIN_BODY_LEN + TAG_LEN;

/// Length of a whole plaintext RESET frame.
pub const RESET_PLAIN_FRAME_LEN: usize = HEADER_LEN + RESET_PLAIN_BODY_LEN;

// The encoders write these body lengths into a `u16` length field.
const _: () = assert!(CLIENT_HELLO_BODY_LEN <= MAX_BODY_LEN);
const _: () = assert!(SERVER_HELLO_BODY_LEN <= MAX_BODY_LEN);
const _: () = assert!(CLIENT_AUTH_IDENTITY_BODY_LEN <= MAX_BODY_LEN);
const _: () = assert!(RESET_SEALED_BODY_LEN <= MAX_BODY_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_lengths() {
        assert_eq!(CLIENT_HELLO_FRAME_LEN, 1253);
        assert_eq!(SERVER_HELLO_FRAME_LEN, 1237);
        assert_eq!(SERVER_HELLO_CLEAR_LEN, 1125);
        assert_eq!(CLIENT_AUTH_ANON_FRAME_LEN, 20);
        assert_eq!(CLIENT_AUTH_IDENTITY_FRAME_LEN, 116);
        assert_eq!(RESET_PLAIN_FRAME_LEN, 4);
        assert_eq!(RESET_SEALED_BODY_LEN, 17);
        assert_eq!(MAX_RECORD_PLAINTEXT, 65519);
    }
}
