//! Fingerprints as users know them from OpenSSH: `SHA256:` and unpadded base64.
//!
//! `Error` names this type, so its `FromStr` (which returns `Error`) is in
//! `parse.rs`.

use std::fmt;

use base64ct::{Base64Unpadded, Encoding as _};
use ossuary_crypto::PublicKey;

use crate::found::Found;

/// The SHA-256 fingerprint of a public key.
///
/// `Display` writes it as OpenSSH does, `SHA256:` and the unpadded standard
/// base64 of the hash (43 characters); `FromStr` reads that form back. The
/// hash is over the 32 public key bytes (OpenSSH hashes its own key blob, so
/// an Ossuary fingerprint never equals an OpenSSH one for the same key).
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::Fingerprint;
///
/// let key = SecretKey::from_bytes(&[7; 32]).public_key();
/// let fingerprint = Fingerprint::of(&key);
/// let text = fingerprint.to_string();
/// assert!(text.starts_with("SHA256:"));
/// assert_eq!(text.len(), 7 + 43);
/// assert_eq!(text.parse::<Fingerprint>(), Ok(fingerprint));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The prefix of the text form.
    const PREFIX: &'static str = "SHA256:";

    /// The fingerprint of `key`: SHA-256 of its 32 bytes.
    pub fn of(key: &PublicKey) -> Self {
        Self(key.fingerprint())
    }

    /// The 32-byte hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl From<&PublicKey> for Fingerprint {
    fn from(key: &PublicKey) -> Self {
        Self::of(key)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 43];
        let text = Base64Unpadded::encode(&self.0, &mut buf).map_err(|_| fmt::Error)?;
        write!(f, "{}{text}", Self::PREFIX)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Fingerprint {
    /// Parses `SHA256:` and 43 characters of unpadded standard base64;
    /// `FromStr` (in `parse.rs`) wraps the error.
    pub(crate) fn parse(s: &str) -> Result<Self, Found> {
        let encoded = s.strip_prefix(Self::PREFIX).ok_or(Found::Other)?;
        let bytes = Base64Unpadded::decode_vec(encoded).map_err(|_| Found::InvalidBase64)?;
        let hash =
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| Found::KeyLength(bytes.len()))?;
        Ok(Self(hash))
    }
}

#[cfg(test)]
mod tests {
    use ossuary_crypto::PublicKey;
    use proptest::prelude::*;

    use super::Fingerprint;

    #[test]
    fn known_answer() {
        // RFC 8032 §7.1 TEST 1's public key; SHA-256 of its bytes is
        // 21fe31df…21b9, computed with `xxd -r -p | sha256sum | xxd -r -p |
        // base64`.
        let key: PublicKey = "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
            .parse()
            .unwrap();
        let fp = Fingerprint::of(&key);
        assert_eq!(
            fp.to_string(),
            "SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk"
        );
        assert_eq!(
            format!("{fp:?}"),
            "Fingerprint(SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk)"
        );
        assert_eq!(Fingerprint::from(&key), fp);
    }

    #[test]
    fn parse_rejects_other_forms() {
        for bad in [
            "",
            "If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk",
            "SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk=",
            "SHA256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XI",
            "MD5:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk",
            "sha256:If4x36FUomFia/hUBG/SJxt77UtqvkWqWId+9H+XIbk",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(hash in proptest::array::uniform32(any::<u8>())) {
            let fp = Fingerprint(hash);
            prop_assert_eq!(fp.to_string().parse::<Fingerprint>(), Ok(fp));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = s.parse::<Fingerprint>();
        }
    }
}
