//! Long-term Ed25519 (RFC 8032) identities: [`PublicKey`], [`SecretKey`] and
//! the [`Signer`] trait.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::str::FromStr;

use base64ct::{Base64, Encoding as _};
use ed25519_dalek::Signer as _;
use rand_core::CryptoRng;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::hex::HexBytes;
use crate::lengths::{HASH_LEN, PUBLIC_KEY_LEN, SECRET_KEY_LEN, SIGNATURE_LEN};

/// Base64 (standard, padded) of a 32-byte key: 44 characters.
const PUBLIC_KEY_BASE64_LEN: usize = 44;

/// A validated Ed25519 public key (identity).
///
/// Constructing one checks, once, that the 32 bytes are the canonical encoding
/// of a curve point and that the point is not of small order (a "weak" key, for
/// which a signature can verify for almost any message). After that it is never
/// re-checked.
///
/// `Display` writes the key's one text form, and `FromStr` parses exactly
/// that form back:
///
/// ```text
/// ossuary-ed25519 <standard base64, with padding, of the 32 bytes>
/// ```
///
/// (one line, as OpenSSH writes `ssh-ed25519 AAAA…`). Base64 decoding is
/// canonical, so each key has exactly one text form. `Debug` shows the bytes
/// as lowercase hex.
///
/// ```
/// use ossuary_crypto::{PublicKey, SecretKey};
///
/// let key = SecretKey::from_bytes(&[7; 32]).public_key();
/// let text = key.to_string();
/// assert!(text.starts_with("ossuary-ed25519 "));
/// assert_eq!(text.parse::<PublicKey>(), Ok(key));
/// ```
///
/// It holds only the 32-byte encoding, so key lists and sessions stay small
/// (a decompressed point is 160 bytes more); [`PublicKey::verify`]
/// decompresses it again. A key that arrives with a signature to check (a
/// peer's identity in a handshake) is better read with
/// [`PublicKey::from_bytes_verifying`], which decompresses it once for both.
#[derive(Clone, Copy)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Parses and validates a public key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] if `bytes` do not decode to a curve point,
    /// are not the canonical encoding of that point, or the point has small
    /// order.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, Error> {
        decode(bytes).map(|_| Self(*bytes))
    }

    /// Parses and validates a public key as [`from_bytes`](Self::from_bytes)
    /// does, then verifies `signature` over `msg` with it as
    /// [`verify`](Self::verify) does, decoding the point only once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPublicKey`] if the key is invalid (checked first);
    /// [`Error::BadSignature`] if the signature does not verify.
    pub fn from_bytes_verifying(
        bytes: &[u8; PUBLIC_KEY_LEN],
        msg: &[u8],
        signature: &[u8; SIGNATURE_LEN],
    ) -> Result<Self, Error> {
        let key = decode(bytes)?;
        verify_strict(&key, msg, signature)?;
        Ok(Self(*bytes))
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// The 32-byte encoding, copied.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0
    }

    /// The type tag that starts the key's text form (`Display`, `FromStr`).
    pub const TEXT_TAG: &'static str = "ossuary-ed25519";

    /// SHA-256 of the 32-byte encoding, the hash behind the `SHA256:…`
    /// fingerprints users see (OpenSSH hashes its own key blob instead, so
    /// the two never coincide for the same key).
    pub fn fingerprint(&self) -> [u8; HASH_LEN] {
        Sha256::digest(self.0).into()
    }

    /// Verifies an Ed25519 signature over `msg`, strictly: `S` must be
    /// canonical and neither `R` nor the key may have small order
    /// (`verify_strict`).
    ///
    /// # Errors
    ///
    /// [`Error::BadSignature`] if the signature does not verify.
    pub fn verify(&self, msg: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Result<(), Error> {
        // The bytes were validated at construction, so this decodes.
        let key =
            ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| Error::BadSignature)?;
        verify_strict(&key, msg, signature)
    }
}

/// Decodes and validates a public key: a curve point, canonically encoded,
/// not of small order.
fn decode(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<ed25519_dalek::VerifyingKey, Error> {
    let key =
        ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| Error::InvalidPublicKey)?;
    // Decoding accepts two kinds of non-canonical encoding: a y-coordinate
    // of p or more (y + p for y in 0..19), and x = 0 with the sign bit set.
    // The first is excluded here, from the bytes, without re-encoding the
    // point (a field inversion); x = 0 only for y = 1 and y = -1, the
    // identity and the point of order 2, which `is_weak` rejects.
    if !y_is_canonical(bytes) || key.is_weak() {
        return Err(Error::InvalidPublicKey);
    }
    Ok(key)
}

/// Whether the y-coordinate in `bytes` (the low 255 bits, little-endian) is
/// below p = 2^255 - 19. Not constant-time: public keys are public.
fn y_is_canonical(bytes: &[u8; PUBLIC_KEY_LEN]) -> bool {
    // y >= p exactly when bits 8..255 are all ones and the low byte is at
    // least 0xed (p's low byte).
    let [low, middle @ .., high] = bytes;
    !(*high & 0x7f == 0x7f && middle.iter().all(|&b| b == 0xff) && *low >= 0xed)
}

/// `verify_strict`, mapped to our error.
fn verify_strict(
    key: &ed25519_dalek::VerifyingKey,
    msg: &[u8],
    signature: &[u8; SIGNATURE_LEN],
) -> Result<(), Error> {
    let signature = ed25519_dalek::Signature::from_bytes(signature);
    key.verify_strict(msg, &signature)
        .map_err(|_| Error::BadSignature)
}

impl TryFrom<&[u8]> for PublicKey {
    type Error = Error;

    /// Parses a public key from a slice that must be exactly 32 bytes long.
    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: &[u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidPublicKey)?;
        Self::from_bytes(bytes)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey")
            .field(&HexBytes(self.as_bytes()))
            .finish()
    }
}

impl fmt::Display for PublicKey {
    /// The key's text form: `ossuary-ed25519 <base64>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; PUBLIC_KEY_BASE64_LEN];
        let text = Base64::encode(&self.0, &mut buf).map_err(|_| fmt::Error)?;
        write!(f, "{} {text}", Self::TEXT_TAG)
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    /// Parses exactly what `Display` writes: `ossuary-ed25519`, one space,
    /// and the canonical padded base64 of a valid key; nothing before or
    /// after (a comment belongs to a key *line*, which `ossuary-keys` parses).
    fn from_str(s: &str) -> Result<Self, Error> {
        let encoded = s
            .strip_prefix(Self::TEXT_TAG)
            .and_then(|rest| rest.strip_prefix(' '))
            .filter(|b64| b64.len() == PUBLIC_KEY_BASE64_LEN)
            .ok_or(Error::InvalidPublicKey)?;
        // Room for one byte more than a key, so a 44-character text that
        // decodes to 33 bytes is told apart; the exact length is checked after.
        let mut buf = [0u8; PUBLIC_KEY_LEN + 1];
        let bytes = Base64::decode(encoded, &mut buf).map_err(|_| Error::InvalidPublicKey)?;
        Self::try_from(bytes)
    }
}

/// An Ed25519 signing key (the 32-byte RFC 8032 seed).
///
/// No `Clone`; wiped on drop; `Debug` shows only the public key. Equality is
/// constant-time.
pub struct SecretKey {
    key: ed25519_dalek::SigningKey,
    /// The same key in AWS-LC, when it could be loaded: it signs faster, and
    /// Ed25519 signatures are deterministic, so both give the same bytes.
    #[cfg(feature = "aws-lc")]
    fast: Option<aws_lc_rs::signature::Ed25519KeyPair>,
}

impl SecretKey {
    /// Generates a new key from `rng`, drawing exactly 32 bytes with one
    /// `fill_bytes` call and using them as the seed.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut seed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        rng.fill_bytes(seed.as_mut_slice());
        Self::from_bytes(&seed)
    }

    /// Uses `bytes` as the seed. Every 32-byte string is a valid key.
    pub fn from_bytes(bytes: &[u8; SECRET_KEY_LEN]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(bytes),
            #[cfg(feature = "aws-lc")]
            fast: aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(bytes).ok(),
        }
    }

    /// The 32-byte seed, in a buffer that is wiped on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        Zeroizing::new(self.key.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        // A key derived from a secret is a multiple of the base point, so it is
        // canonical and of prime order: no validation needed.
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// Signs `msg` (pure Ed25519).
    fn sign_bytes(&self, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        #[cfg(feature = "aws-lc")]
        if let Some(signature) = self
            .fast
            .as_ref()
            .and_then(|key| key.try_sign(msg).ok())
            .and_then(|sig| <[u8; SIGNATURE_LEN]>::try_from(sig.as_ref()).ok())
        {
            return signature;
        }
        self.key.sign(msg).to_bytes()
    }
}

impl TryFrom<&[u8]> for SecretKey {
    type Error = Error;

    /// Reads a seed from a slice that must be exactly 32 bytes long.
    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: &[u8; SECRET_KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidSecretKey)?;
        Ok(Self::from_bytes(bytes))
    }
}

impl PartialEq for SecretKey {
    /// Constant-time comparison of the seeds.
    fn eq(&self, other: &Self) -> bool {
        self.key.as_bytes().ct_eq(other.key.as_bytes()).into()
    }
}

impl Eq for SecretKey {}

// The dalek signing key wipes itself on drop; AWS-LC wipes the memory of its
// copy when it frees it (`OPENSSL_free` cleanses).
impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// Something that can sign with an Ed25519 identity: a [`SecretKey`] in
/// memory, or a key held elsewhere (an HSM, an agent).
pub trait Signer {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// Signs `msg` with pure Ed25519 (RFC 8032).
    ///
    /// # Errors
    ///
    /// [`Error::Signer`] if the signature cannot be produced (never for
    /// [`SecretKey`]).
    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], Error>;
}

/// A key loaded once and shared by many connections.
#[cfg(feature = "std")]
impl<T: Signer + ?Sized> Signer for std::sync::Arc<T> {
    fn public_key(&self) -> PublicKey {
        T::public_key(self)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], Error> {
        T::sign(self, msg)
    }
}

/// A boxed signer, as a connection holds it.
#[cfg(feature = "std")]
impl<T: Signer + ?Sized> Signer for std::boxed::Box<T> {
    fn public_key(&self) -> PublicKey {
        T::public_key(self)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], Error> {
        T::sign(self, msg)
    }
}

impl Signer for SecretKey {
    fn public_key(&self) -> PublicKey {
        SecretKey::public_key(self)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; SIGNATURE_LEN], Error> {
        Ok(self.sign_bytes(msg))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::format;
    use std::string::ToString;

    use ossuary_testkit::PresetRng;

    use std::string::String;

    use super::{PublicKey, SecretKey, Signer};
    use crate::error::Error;
    use crate::test_support::{assert_redacted, test_rng, to_hex};

    #[test]
    fn sign_verify_round_trip() {
        let sk = SecretKey::generate(&mut test_rng());
        let pk = sk.public_key();
        let sig = sk.sign(b"hello").unwrap();
        pk.verify(b"hello", &sig).unwrap();
        assert_eq!(pk.verify(b"hellp", &sig), Err(Error::BadSignature));
        let mut bad = sig;
        bad[63] ^= 0x10;
        assert_eq!(pk.verify(b"hello", &bad), Err(Error::BadSignature));
        let other = SecretKey::generate(&mut test_rng()).public_key();
        assert_eq!(other.verify(b"hello", &sig), Err(Error::BadSignature));
    }

    proptest::proptest! {
        /// Whichever backend signs, the signature is the dalek one.
        #[test]
        fn signatures_match_the_dalek_reference(
            seed in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
        ) {
            use ed25519_dalek::Signer as _;
            let expected = ed25519_dalek::SigningKey::from_bytes(&seed).sign(&msg).to_bytes();
            proptest::prop_assert_eq!(SecretKey::from_bytes(&seed).sign(&msg).unwrap(), expected);
        }
    }

    #[test]
    fn rfc8032_test_1() {
        // RFC 8032 §7.1, TEST 1 (empty message).
        let seed = crate::test_support::array::<32>(&crate::test_support::hex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        let sk = SecretKey::from_bytes(&seed);
        assert_eq!(
            to_hex(sk.public_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            to_hex(&sk.sign(b"").unwrap()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn shared_and_boxed_signers_sign_as_the_key() {
        let sk = SecretKey::from_bytes(&[5; 32]);
        let direct = sk.sign(b"m").unwrap();
        let shared = std::sync::Arc::new(SecretKey::from_bytes(&[5; 32]));
        assert_eq!(Signer::sign(&shared, b"m").unwrap(), direct);
        assert_eq!(Signer::public_key(&shared), sk.public_key());
        let boxed: std::boxed::Box<dyn Signer> = std::boxed::Box::new(shared);
        assert_eq!(Signer::sign(&boxed, b"m").unwrap(), direct);
        assert_eq!(Signer::public_key(&boxed), sk.public_key());
    }

    #[test]
    fn signer_trait_object() {
        let sk = SecretKey::generate(&mut test_rng());
        let signer: &dyn Signer = &sk;
        let sig = signer.sign(b"m").unwrap();
        signer.public_key().verify(b"m", &sig).unwrap();
        assert_eq!(signer.public_key(), sk.public_key());
    }

    #[test]
    fn generate_draws_exactly_32_bytes() {
        let seed = [0x11; 32];
        let mut rng = PresetRng::new(&seed);
        let sk = SecretKey::generate(&mut rng);
        assert_eq!(rng.remaining(), 0);
        assert!(!rng.overdrawn());
        assert_eq!(*sk.to_bytes(), seed);
        assert_eq!(sk, SecretKey::from_bytes(&seed));
        assert_ne!(sk, SecretKey::from_bytes(&[0x12; 32]));
    }

    #[test]
    fn public_key_parsing() {
        let pk = SecretKey::generate(&mut test_rng()).public_key();
        assert_eq!(PublicKey::from_bytes(pk.as_bytes()), Ok(pk));
        assert_eq!(PublicKey::try_from(&pk.as_bytes()[..]), Ok(pk));
        assert_eq!(
            PublicKey::try_from(&pk.as_bytes()[..31]),
            Err(Error::InvalidPublicKey)
        );
        assert_eq!(
            PublicKey::try_from(&[0u8; 33][..]),
            Err(Error::InvalidPublicKey)
        );
    }

    #[test]
    fn rejects_points_not_on_the_curve() {
        // y = 2 is not the y-coordinate of any point on edwards25519.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        assert_eq!(PublicKey::from_bytes(&bytes), Err(Error::InvalidPublicKey));
    }

    #[test]
    fn rejects_weak_keys() {
        // Small-order points: the identity (y = 1), the point of order 2
        // (y = -1), and the two order-4 points (y = 0, both signs of x).
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        let order_two = {
            let mut b = [0xff; 32];
            b[0] = 0xec;
            b[31] = 0x7f;
            b
        };
        let order_four = [0u8; 32];
        let order_four_neg = {
            let mut b = [0u8; 32];
            b[31] = 0x80;
            b
        };
        // An order-8 point.
        let order_eight: [u8; 32] = [
            0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
            0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
            0x92, 0xac, 0x03, 0x7a,
        ];
        for bytes in [identity, order_two, order_four, order_four_neg, order_eight] {
            assert_eq!(
                PublicKey::from_bytes(&bytes),
                Err(Error::InvalidPublicKey),
                "{}",
                to_hex(&bytes)
            );
        }
    }

    #[test]
    fn rejects_non_canonical_encodings() {
        // y = 1 with the sign bit set: x = 0 cannot be negative, so this is a
        // non-canonical encoding (of the identity).
        let neg_zero_identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b[31] = 0x80;
            b
        };
        assert_eq!(
            PublicKey::from_bytes(&neg_zero_identity),
            Err(Error::InvalidPublicKey)
        );
    }

    /// The validation before the inversion-free canonical check: decode,
    /// re-encode, compare, and reject weak points.
    fn reference_validation(bytes: &[u8; 32]) -> bool {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .is_ok_and(|k| k.to_edwards().compress().to_bytes() == *bytes && !k.is_weak())
    }

    #[test]
    fn rejects_y_of_p_or_more() {
        // Every y in 0..19 that is on the curve, encoded canonically and as
        // y + p (both signs): only the canonical, non-weak ones are keys.
        let mut on_curve = 0;
        for y in 0u8..19 {
            for sign in [0u8, 0x80] {
                let mut canonical = [0u8; 32];
                canonical[0] = y;
                canonical[31] = sign;
                let mut plus_p = [0xffu8; 32];
                plus_p[0] = 0xed + y;
                plus_p[31] = 0x7f | sign;
                if ed25519_dalek::VerifyingKey::from_bytes(&plus_p).is_ok() {
                    on_curve += 1;
                }
                assert_eq!(PublicKey::from_bytes(&plus_p), Err(Error::InvalidPublicKey));
                assert_eq!(
                    PublicKey::from_bytes(&canonical).is_ok(),
                    reference_validation(&canonical),
                    "{}",
                    to_hex(&canonical)
                );
            }
        }
        // Some of them decode, so the check is what rejects them.
        assert!(on_curve > 0);
    }

    proptest::proptest! {
        #[test]
        fn validation_matches_the_reference(bytes in proptest::array::uniform32(proptest::prelude::any::<u8>())) {
            proptest::prop_assert_eq!(PublicKey::from_bytes(&bytes).is_ok(), reference_validation(&bytes));
        }

        #[test]
        fn from_bytes_verifying_matches_from_bytes_then_verify(
            seed in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            msg in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            flip in proptest::option::of(0usize..64 * 8),
        ) {
            let sk = SecretKey::from_bytes(&seed);
            let mut sig = sk.sign(&msg).unwrap();
            if let Some(bit) = flip {
                sig[bit / 8] ^= 1 << (bit % 8);
            }
            let pk = sk.public_key();
            let separate = PublicKey::from_bytes(pk.as_bytes()).and_then(|k| k.verify(&msg, &sig).map(|()| k));
            proptest::prop_assert_eq!(PublicKey::from_bytes_verifying(pk.as_bytes(), &msg, &sig), separate);
            proptest::prop_assert_eq!(separate.is_ok(), flip.is_none());
        }
    }

    #[test]
    fn from_bytes_verifying_checks_the_key_first() {
        let sk = SecretKey::from_bytes(&[9; 32]);
        let sig = sk.sign(b"m").unwrap();
        assert_eq!(
            PublicKey::from_bytes_verifying(&[0; 32], b"m", &sig),
            Err(Error::InvalidPublicKey)
        );
        assert_eq!(
            PublicKey::from_bytes_verifying(sk.public_key().as_bytes(), b"n", &sig),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn public_key_displays_its_text_form_and_debugs_as_hex() {
        // RFC 8032 §7.1 TEST 1: the key d75a98…511a.
        let pk: PublicKey = "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
            .parse()
            .unwrap();
        assert_eq!(
            to_hex(pk.as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            pk.to_string(),
            "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        let hex = to_hex(pk.as_bytes());
        assert_eq!(format!("{pk:?}"), format!("PublicKey({hex})"));
        let mut set = HashSet::new();
        set.insert(SecretKey::from_bytes(&[3; 32]).public_key());
        assert!(set.contains(&SecretKey::from_bytes(&[3; 32]).public_key()));
        assert!(!set.contains(&pk));
    }

    #[test]
    fn secret_key_try_from_slice() {
        assert_eq!(
            SecretKey::try_from(&[0u8; 31][..]).map(|_| ()),
            Err(Error::InvalidSecretKey)
        );
        let sk = SecretKey::try_from(&[4u8; 32][..]).unwrap();
        assert_eq!(*sk.to_bytes(), [4; 32]);
    }

    #[test]
    fn from_str_accepts_only_the_display_form() {
        let pk = SecretKey::from_bytes(&[3; 32]).public_key();
        let text = pk.to_string();
        assert_eq!(text.parse::<PublicKey>(), Ok(pk));
        let b64 = text.strip_prefix("ossuary-ed25519 ").unwrap();
        for bad in [
            String::new(),
            b64.to_string(),
            format!("ossuary-ed25519  {b64}"),
            format!("ossuary-ed25519\t{b64}"),
            format!(" {text}"),
            format!("{text} "),
            format!("{text}\n"),
            format!("{text} comment"),
            format!("ssh-ed25519 {b64}"),
            format!("OSSUARY-ED25519 {b64}"),
            format!("ossuary-ed25519 {}", b64.trim_end_matches('=')),
            format!("ossuary-ed25519 {}", &b64[..40]),
            // 33 bytes.
            format!("ossuary-ed25519 {}AA==", &b64[..40]),
        ] {
            assert_eq!(
                bad.parse::<PublicKey>(),
                Err(Error::InvalidPublicKey),
                "{bad:?}"
            );
        }
        // A weak key (the identity, 01 00…00) in the right shape is still
        // refused.
        assert_eq!(
            "ossuary-ed25519 AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse::<PublicKey>(),
            Err(Error::InvalidPublicKey)
        );
        // Non-canonical trailing bits ("…AAB=" decodes to the same bytes as
        // "…AAA=") are refused, so each key has one text form.
        assert!(
            "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
                .parse::<PublicKey>()
                .is_ok()
        );
        assert_eq!(
            "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=".parse::<PublicKey>(),
            Err(Error::InvalidPublicKey)
        );
    }

    /// SHA-256 of RFC 8032 §7.1 TEST 1's public key.
    const FINGERPRINT_TEST_1: &str =
        "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";

    #[test]
    fn fingerprint_is_sha256_of_the_key_bytes() {
        // SHA-256 of RFC 8032 §7.1 TEST 1's public key, computed with
        // `xxd -r -p | sha256sum`.
        let pk = SecretKey::from_bytes(&crate::test_support::array(&crate::test_support::hex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )))
        .public_key();
        assert_eq!(to_hex(&pk.fingerprint()), FINGERPRINT_TEST_1);
    }

    proptest::proptest! {
        #[test]
        fn text_form_round_trips(seed in proptest::array::uniform32(proptest::prelude::any::<u8>())) {
            let pk = SecretKey::from_bytes(&seed).public_key();
            proptest::prop_assert_eq!(pk.to_string().parse::<PublicKey>(), Ok(pk));
        }

        #[test]
        fn from_str_never_panics(s in "\\PC*") {
            let _ = s.parse::<PublicKey>();
        }

        #[test]
        fn from_str_never_panics_near_the_form(s in "ossuary-ed25519 [A-Za-z0-9+/=]{0,48}") {
            if let Ok(pk) = s.parse::<PublicKey>() {
                proptest::prop_assert_eq!(pk.to_string(), s);
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let seed = [0x6b; 32];
        let sk = SecretKey::from_bytes(&seed);
        let s = format!("{sk:?}");
        assert!(s.starts_with("SecretKey { public_key: PublicKey("));
        assert!(s.ends_with(", .. }"));
        assert_redacted(&s, &seed);
    }
}
