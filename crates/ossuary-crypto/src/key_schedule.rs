//! The key schedule (SPEC §5): HKDF-SHA-256 (RFC 5869) from the X25519 output
//! to the handshake keys and the first traffic secrets.
//!
//! ```text
//!  SharedSecret (dh)
//!       │ HKDF-Extract(salt = "ossuary v1 handshake", IKM = dh)
//!       ▼
//!  HandshakeSecret (hs_secret) ──Expand("c hs key", TH2)──▶ HandshakeKeys.client (c_hs_key)
//!       │                      ──Expand("s hs key", TH2)──▶ HandshakeKeys.server (s_hs_key)
//!       │ into_traffic(TH)
//!       ├──Expand("c ap traffic", TH)──▶ c_ap_0 ┐
//!       └──Expand("s ap traffic", TH)──▶ s_ap_0 ┴ TrafficSecrets ──into_record_keys(role)──▶
//!                                                          (RecordSealer, RecordOpener)
//!
//!  Expand(secret, label, ctx) = HKDF-Expand(PRK = secret, info, L = 32)
//!  info = u8(len("ossuary v1 " || label)) || "ossuary v1 " || label || u8(len(ctx)) || ctx
//! ```
//!
//! Each stage consumes the one before it, so a secret is wiped as soon as the
//! next stage exists.

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{AeadKey, NONCE_LEN};
use crate::error::Error;
use crate::record::{RecordOpener, RecordSealer};
use crate::x25519::SharedSecret;
use crate::{HASH_LEN, TAG_LEN};

/// Prefix of every HKDF label.
const LABEL_PREFIX: &[u8] = b"ossuary v1 ";

/// HKDF-Extract salt for the handshake secret.
pub(crate) const HANDSHAKE_SALT: &[u8] = b"ossuary v1 handshake";
/// Label of the client handshake key.
pub(crate) const C_HS_KEY: Label = Label::new("c hs key");
/// Label of the server handshake key.
pub(crate) const S_HS_KEY: Label = Label::new("s hs key");
/// Label of the first client traffic secret.
pub(crate) const C_AP_TRAFFIC: Label = Label::new("c ap traffic");
/// Label of the first server traffic secret.
pub(crate) const S_AP_TRAFFIC: Label = Label::new("s ap traffic");
/// Label of a record key, derived from a traffic secret.
pub(crate) const RECORD_KEY: Label = Label::new("record key");
/// Label of the next traffic secret (key update).
pub(crate) const KEY_UPDATE: Label = Label::new("key update");

/// Handshake AEAD nonce: each handshake key seals exactly one message.
const HANDSHAKE_NONCE: [u8; NONCE_LEN] = [0; NONCE_LEN];

/// A 32-byte secret that is wiped on drop.
pub(crate) type Secret = Zeroizing<[u8; HASH_LEN]>;

/// An HKDF label (without the `"ossuary v1 "` prefix) and the length byte
/// that precedes the prefixed label in `info`.
#[derive(Clone, Copy)]
pub(crate) struct Label {
    text: &'static [u8],
    info_len: u8,
}

impl Label {
    /// Only used for the constants above, so a label too long for its length
    /// byte fails the build, not a run.
    const fn new(text: &'static str) -> Self {
        let len = LABEL_PREFIX.len() + text.len();
        assert!(len <= u8::MAX as usize, "HKDF label too long");
        Self {
            text: text.as_bytes(),
            // Cannot truncate: checked just above.
            info_len: len as u8,
        }
    }
}

/// HKDF-Extract (RFC 5869 §2.2) with SHA-256.
pub(crate) fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> Secret {
    let (mut prk, _) = Hkdf::<Sha256>::extract(Some(salt), ikm);
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    out.copy_from_slice(&prk);
    prk.as_mut_slice().zeroize();
    out
}

/// HKDF-Expand (RFC 5869 §2.3) with SHA-256: PRK = `prk`, info = the
/// concatenation of `info`, L = `okm.len()`.
///
/// Fails only if `okm` is longer than 255 · 32 bytes.
pub(crate) fn hkdf_expand(prk: &[u8; HASH_LEN], info: &[&[u8]], okm: &mut [u8]) -> Result<(), ()> {
    let hkdf = Hkdf::<Sha256>::from_prk(prk).map_err(|_| ())?;
    hkdf.expand_multi_info(info, okm).map_err(|_| ())
}

/// `Expand(secret, label, ctx)` of SPEC §5, always 32 bytes. `context` is a
/// transcript hash, or `None` for the empty context.
pub(crate) fn expand_label(
    secret: &[u8; HASH_LEN],
    label: Label,
    context: Option<&[u8; HASH_LEN]>,
) -> Secret {
    let (context_len, context): (u8, &[u8]) = match context {
        Some(hash) => (HASH_LEN_U8, hash),
        None => (0, &[]),
    };
    let info: [&[u8]; 5] = [
        &[label.info_len],
        LABEL_PREFIX,
        label.text,
        &[context_len],
        context,
    ];
    let mut out = Zeroizing::new([0u8; HASH_LEN]);
    // Invariant: the PRK is HashLen bytes and L = HashLen <= 255 * HashLen, so
    // HKDF-Expand cannot fail (RFC 5869 §2.3).
    #[allow(clippy::expect_used)]
    hkdf_expand(secret, &info, out.as_mut_slice()).expect("HKDF-Expand of 32 bytes cannot fail");
    out
}

/// `HASH_LEN` as the context length byte.
const HASH_LEN_U8: u8 = 32;
const _: () = assert!(HASH_LEN_U8 as usize == HASH_LEN);

/// Which side of the connection we are: picks which traffic secret seals and
/// which opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The initiator: seals with `c_ap_n`, opens with `s_ap_n`.
    Client,
    /// The responder: seals with `s_ap_n`, opens with `c_ap_n`.
    Server,
}

/// The handshake secret `hs_secret = HKDF-Extract("ossuary v1 handshake", dh)`.
///
/// It derives the two handshake keys (from TH2) and is then consumed by
/// [`into_traffic`](Self::into_traffic) (with TH). Wiped on drop; `Debug` is
/// redacted.
pub struct HandshakeSecret {
    prk: Secret,
}

impl HandshakeSecret {
    /// Extracts the handshake secret from the X25519 output, consuming it.
    pub fn from_shared(shared: SharedSecret) -> Self {
        Self {
            prk: hkdf_extract(HANDSHAKE_SALT, shared.as_bytes()),
        }
    }

    /// Derives `c_hs_key` and `s_hs_key` from the transcript hash TH2.
    pub fn handshake_keys(&self, th2: &[u8; HASH_LEN]) -> HandshakeKeys {
        HandshakeKeys {
            client: HandshakeKey::new(&expand_label(&self.prk, C_HS_KEY, Some(th2))),
            server: HandshakeKey::new(&expand_label(&self.prk, S_HS_KEY, Some(th2))),
        }
    }

    /// Derives the first traffic secrets `c_ap_0` and `s_ap_0` from the final
    /// transcript hash TH, consuming (and wiping) the handshake secret.
    pub fn into_traffic(self, th: &[u8; HASH_LEN]) -> TrafficSecrets {
        TrafficSecrets {
            client: expand_label(&self.prk, C_AP_TRAFFIC, Some(th)),
            server: expand_label(&self.prk, S_AP_TRAFFIC, Some(th)),
        }
    }

    /// The raw `hs_secret`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn to_bytes_for_testing_only(&self) -> [u8; HASH_LEN] {
        *self.prk
    }
}

// The only field wipes itself on drop.
impl ZeroizeOnDrop for HandshakeSecret {}

impl fmt::Debug for HandshakeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeSecret").finish_non_exhaustive()
    }
}

/// The two handshake keys derived from TH2.
#[derive(Debug)]
pub struct HandshakeKeys {
    /// `c_hs_key`: seals CLIENT_AUTH.
    pub client: HandshakeKey,
    /// `s_hs_key`: seals the encrypted part of SERVER_HELLO.
    pub server: HandshakeKey,
}

/// A one-shot handshake AEAD key (ChaCha20-Poly1305, nonce = 0^12).
///
/// Sealing or opening consumes the key, so the fixed nonce is never reused.
/// Wiped on drop; `Debug` is redacted.
pub struct HandshakeKey {
    key: AeadKey,
}

impl HandshakeKey {
    fn new(key: &[u8; HASH_LEN]) -> Self {
        Self {
            key: AeadKey::new(key),
        }
    }

    /// Encrypts `buf` in place with associated data `ad` and returns the tag.
    ///
    /// # Panics
    ///
    /// If `buf` is longer than ChaCha20-Poly1305 allows (about 256 GiB).
    /// Handshake plaintexts are at most 97 bytes.
    // Invariant: the AEAD fails only for a message over 256 GiB (documented).
    #[allow(clippy::expect_used)]
    pub fn seal_in_place(self, ad: &[u8], buf: &mut [u8]) -> [u8; TAG_LEN] {
        self.key
            .seal_in_place(&HANDSHAKE_NONCE, ad, buf)
            .expect("handshake message longer than 256 GiB")
    }

    /// Checks `tag` and decrypts `buf` in place.
    ///
    /// # Errors
    ///
    /// [`Error::Decrypt`] if the tag does not match `ad` and the ciphertext;
    /// `buf` is then left unchanged.
    pub fn open_in_place(
        self,
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.key.open_in_place(&HANDSHAKE_NONCE, ad, buf, tag)
    }

    /// The raw key.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn to_bytes_for_testing_only(&self) -> [u8; HASH_LEN] {
        self.key.to_bytes_for_testing_only()
    }
}

// The only field wipes itself on drop.
impl ZeroizeOnDrop for HandshakeKey {}

impl fmt::Debug for HandshakeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeKey").finish_non_exhaustive()
    }
}

/// The first traffic secrets, `c_ap_0` and `s_ap_0`.
///
/// Exposes nothing (outside `hazmat`); [`into_record_keys`](Self::into_record_keys)
/// turns them into a sealer and an opener for one side. Wiped on drop; `Debug`
/// is redacted.
pub struct TrafficSecrets {
    client: Secret,
    server: Secret,
}

impl TrafficSecrets {
    /// The record protection for `role`: a client seals with the client
    /// secret and opens with the server's; a server the reverse.
    pub fn into_record_keys(self, role: Role) -> (RecordSealer, RecordOpener) {
        let Self { client, server } = self;
        let (send, receive) = match role {
            Role::Client => (client, server),
            Role::Server => (server, client),
        };
        (RecordSealer::new(send), RecordOpener::new(receive))
    }

    /// The raw `c_ap_0`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn client_secret_bytes_for_testing_only(&self) -> [u8; HASH_LEN] {
        *self.client
    }

    /// The raw `s_ap_0`.
    ///
    /// For known-answer vectors only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn server_secret_bytes_for_testing_only(&self) -> [u8; HASH_LEN] {
        *self.server
    }
}

// Both fields wipe themselves on drop.
impl ZeroizeOnDrop for TrafficSecrets {}

impl fmt::Debug for TrafficSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrafficSecrets").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::format;
    use std::vec::Vec;

    use super::{
        C_AP_TRAFFIC, C_HS_KEY, HandshakeKey, HandshakeSecret, KEY_UPDATE, RECORD_KEY, Role,
        S_AP_TRAFFIC, S_HS_KEY, expand_label, hkdf_expand, hkdf_extract,
    };
    use crate::HASH_LEN;
    use crate::error::Error;
    use crate::test_support::{Vectors, array, assert_redacted, shared_pair};

    /// RFC 5869 Appendix A.1, test case 1 (SHA-256).
    #[test]
    fn rfc5869_test_case_1() {
        let v = Vectors::parse(include_str!("../tests/vectors/rfc5869_hkdf.json"));
        let prk = hkdf_extract(&v.hex("salt"), &v.hex("ikm"));
        assert_eq!(&prk[..], &v.hex("prk")[..]);
        let expected = v.hex("okm");
        let mut okm = std::vec![0u8; expected.len()];
        let info = v.hex("info");
        hkdf_expand(&prk, &[&info], &mut okm).unwrap();
        assert_eq!(okm, expected);
        // Splitting info into pieces changes nothing.
        let (a, b) = info.split_at(3);
        okm.fill(0);
        hkdf_expand(&prk, &[a, &[], b], &mut okm).unwrap();
        assert_eq!(okm, expected);
    }

    #[test]
    fn expand_rejects_too_long_output() {
        let mut okm = std::vec![0u8; 255 * 32 + 1];
        assert_eq!(hkdf_expand(&[1; 32], &[], &mut okm), Err(()));
    }

    #[test]
    fn info_encoding() {
        // Expand(secret, "c hs key", th) equals HKDF-Expand with the info
        // spelled out byte by byte.
        let secret = [0x33; HASH_LEN];
        let th = [0x44; HASH_LEN];
        let mut info = Vec::new();
        info.push(19); // len("ossuary v1 c hs key")
        info.extend_from_slice(b"ossuary v1 c hs key");
        info.push(32);
        info.extend_from_slice(&th);
        let mut expected = [0u8; 32];
        hkdf_expand(&secret, &[&info], &mut expected).unwrap();
        assert_eq!(*expand_label(&secret, C_HS_KEY, Some(&th)), expected);

        let mut info = Vec::new();
        info.push(21);
        info.extend_from_slice(b"ossuary v1 key update");
        info.push(0);
        hkdf_expand(&secret, &[&info], &mut expected).unwrap();
        assert_eq!(*expand_label(&secret, KEY_UPDATE, None), expected);
    }

    #[test]
    fn labels_are_distinct() {
        let secret = [0x55; HASH_LEN];
        let th = [0x66; HASH_LEN];
        let outs = [
            expand_label(&secret, C_HS_KEY, Some(&th)),
            expand_label(&secret, S_HS_KEY, Some(&th)),
            expand_label(&secret, C_AP_TRAFFIC, Some(&th)),
            expand_label(&secret, S_AP_TRAFFIC, Some(&th)),
            expand_label(&secret, RECORD_KEY, None),
            expand_label(&secret, KEY_UPDATE, None),
            expand_label(&secret, RECORD_KEY, Some(&th)),
        ];
        for (i, a) in outs.iter().enumerate() {
            for b in outs.iter().skip(i + 1) {
                assert_ne!(**a, **b);
            }
        }
    }

    /// Independent cross-check of the whole schedule against values computed
    /// outside this crate (Python's `hmac`/`hashlib`; see the vector file).
    #[test]
    fn schedule_matches_independent_vector() {
        let v = Vectors::parse(include_str!("../tests/vectors/key_schedule.json"));
        let hs = hkdf_extract(b"ossuary v1 handshake", &v.hex("dh"));
        assert_eq!(&hs[..], &v.hex("hs_secret")[..]);
        let th2 = array::<32>(&v.hex("th2"));
        let th = array::<32>(&v.hex("th"));
        let c_ap_0 = expand_label(&hs, C_AP_TRAFFIC, Some(&th));
        let s_ap_0 = expand_label(&hs, S_AP_TRAFFIC, Some(&th));
        let checks = [
            ("c_hs_key", expand_label(&hs, C_HS_KEY, Some(&th2))),
            ("s_hs_key", expand_label(&hs, S_HS_KEY, Some(&th2))),
            ("c_key_0", expand_label(&c_ap_0, RECORD_KEY, None)),
            ("s_key_0", expand_label(&s_ap_0, RECORD_KEY, None)),
            ("c_ap_1", expand_label(&c_ap_0, KEY_UPDATE, None)),
            ("s_ap_1", expand_label(&s_ap_0, KEY_UPDATE, None)),
        ];
        assert_eq!(&c_ap_0[..], &v.hex("c_ap_0")[..]);
        assert_eq!(&s_ap_0[..], &v.hex("s_ap_0")[..]);
        for (name, got) in checks {
            assert_eq!(&got[..], &v.hex(name)[..], "{name}");
        }
    }

    #[test]
    fn handshake_keys_both_sides_and_directions() {
        let (a, b) = shared_pair();
        let client = HandshakeSecret::from_shared(a);
        let server = HandshakeSecret::from_shared(b);
        let th2 = [7; 32];

        // Server seals with s_hs_key; client opens with its copy.
        let mut buf = *b"server identity and signature";
        let tag = server
            .handshake_keys(&th2)
            .server
            .seal_in_place(b"TH2", &mut buf);
        let mut tampered = buf;
        assert_eq!(
            client
                .handshake_keys(&th2)
                .server
                .open_in_place(b"TH3", &mut tampered, &tag),
            Err(Error::Decrypt)
        );
        // The client key cannot open what the server key sealed.
        assert_eq!(
            client
                .handshake_keys(&th2)
                .client
                .open_in_place(b"TH2", &mut tampered, &tag),
            Err(Error::Decrypt)
        );
        // A different TH2 gives different keys.
        assert_eq!(
            client
                .handshake_keys(&[8; 32])
                .server
                .open_in_place(b"TH2", &mut tampered, &tag),
            Err(Error::Decrypt)
        );
        client
            .handshake_keys(&th2)
            .server
            .open_in_place(b"TH2", &mut buf, &tag)
            .unwrap();
        assert_eq!(&buf, b"server identity and signature");

        // And the other way with c_hs_key.
        let mut buf = [0x01, 0x02];
        let tag = client
            .handshake_keys(&th2)
            .client
            .seal_in_place(b"", &mut buf);
        server
            .handshake_keys(&th2)
            .client
            .open_in_place(b"", &mut buf, &tag)
            .unwrap();
        assert_eq!(buf, [0x01, 0x02]);
    }

    #[test]
    fn traffic_secrets_pair_up_by_role() {
        let (a, b) = shared_pair();
        let th = [9; 32];
        let (mut c_seal, mut c_open) = HandshakeSecret::from_shared(a)
            .into_traffic(&th)
            .into_record_keys(Role::Client);
        let (mut s_seal, mut s_open) = HandshakeSecret::from_shared(b)
            .into_traffic(&th)
            .into_record_keys(Role::Server);
        let header = [0x10, 0x00, 0x13];

        let mut buf = *b"ping";
        let tag = c_seal.seal_in_place(&header, &mut buf).unwrap();
        s_open.open_in_place(&header, &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"ping");

        let mut buf = *b"pong";
        let tag = s_seal.seal_in_place(&header, &mut buf).unwrap();
        c_open.open_in_place(&header, &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"pong");
    }

    #[test]
    fn different_transcripts_give_different_traffic_keys() {
        let (a, b) = shared_pair();
        let (mut seal, _) = HandshakeSecret::from_shared(a)
            .into_traffic(&[1; 32])
            .into_record_keys(Role::Client);
        let (_, mut open) = HandshakeSecret::from_shared(b)
            .into_traffic(&[2; 32])
            .into_record_keys(Role::Server);
        let header = [0x10, 0x00, 0x11];
        let mut buf = [0u8; 1];
        let tag = seal.seal_in_place(&header, &mut buf).unwrap();
        assert_eq!(
            open.open_in_place(&header, &mut buf, &tag),
            Err(Error::Decrypt)
        );
    }

    #[test]
    fn debug_is_redacted() {
        let (a, _) = shared_pair();
        let hs = HandshakeSecret::from_shared(a);
        let s = format!("{hs:?}");
        assert_eq!(s, "HandshakeSecret { .. }");
        assert_redacted(&s, &hs.prk);

        let th2 = [3; 32];
        let c_hs = expand_label(&hs.prk, C_HS_KEY, Some(&th2));
        let s_hs = expand_label(&hs.prk, S_HS_KEY, Some(&th2));
        let keys = hs.handshake_keys(&th2);
        let s = format!("{keys:?}");
        assert_eq!(
            s,
            "HandshakeKeys { client: HandshakeKey { .. }, server: HandshakeKey { .. } }"
        );
        assert_redacted(&s, &c_hs);
        assert_redacted(&s, &s_hs);
        let single: &HandshakeKey = &keys.client;
        assert_eq!(format!("{single:?}"), "HandshakeKey { .. }");

        let traffic = hs.into_traffic(&[4; 32]);
        let s = format!("{traffic:?}");
        assert_eq!(s, "TrafficSecrets { .. }");
        assert_redacted(&s, &traffic.client);
        assert_redacted(&s, &traffic.server);
    }

    #[test]
    fn role_is_plain_data() {
        assert_ne!(Role::Client, Role::Server);
        assert_eq!(format!("{:?}", Role::Client), "Client");
    }
}
