//! The key schedule (PROTOCOL.md §6 and §8): every derivation, HKDF-SHA-256
//! (RFC 5869) from the ML-KEM-768 and X25519 shared secrets to the handshake keys, the traffic
//! secrets, the record keys and each key update.
//!
//! ```text
//!  KemSharedSecret (K), SharedSecret (dh)
//!       │ HKDF-Extract(salt = "ossuary v1 handshake", IKM = K || dh)
//!       ▼
//!  HandshakeSecret (hs_secret) ──Expand("c hs key", TH2)──▶ HandshakeKeys.client (c_hs_key)
//!       │                      ──Expand("s hs key", TH2)──▶ HandshakeKeys.server (s_hs_key)
//!       │ into_traffic(TH)
//!       ├──Expand("c ap traffic", TH)──▶ c_ap_0 ┐
//!       └──Expand("s ap traffic", TH)──▶ s_ap_0 ┴ TrafficSecrets ──into_record_keys(role)──▶
//!                                                          (RecordSealer, RecordOpener)
//!
//!  each RecordSealer / RecordOpener holds one direction's x_ap_n and the cipher of
//!      x_key_n = Expand(x_ap_n, "record key", "")
//!  update():   x_ap_{n+1} = Expand(x_ap_n, "key update", ""), new cipher, counter 0
//!
//!  Expand(secret, label, ctx) = HKDF-Expand(PRK = secret, info, L = 32)
//!  info = u8(len("ossuary v1 " || label)) || "ossuary v1 " || label || u8(len(ctx)) || ctx
//! ```
//!
//! Each stage consumes the one before it, so a secret is wiped as soon as the
//! next stage exists. The record module holds only the cipher and its counter.

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{AeadKey, NONCE_LEN};
use crate::error::Error;
use crate::lengths::{HASH_LEN, KEM_SHARED_SECRET_LEN, TAG_LEN};
use crate::mlkem::KemSharedSecret;
use crate::record::{HEADER_LEN, RecordCipher};
use crate::x25519::SharedSecret;

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

/// `Expand(secret, label, ctx)` of PROTOCOL.md §6.2, always 32 bytes. `context` is a
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

/// `x_key_n = Expand(x_ap_n, "record key", "")`.
pub(crate) fn record_key(traffic_secret: &[u8; HASH_LEN]) -> Secret {
    expand_label(traffic_secret, RECORD_KEY, None)
}

/// `x_ap_{n+1} = Expand(x_ap_n, "key update", "")`.
pub(crate) fn next_traffic_secret(traffic_secret: &[u8; HASH_LEN]) -> Secret {
    expand_label(traffic_secret, KEY_UPDATE, None)
}

/// Which side of the connection we are: picks which traffic secret seals and
/// which opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The initiator: seals with `c_ap_n`, opens with `s_ap_n`.
    Client,
    /// The responder: seals with `s_ap_n`, opens with `c_ap_n`.
    Server,
}

/// The handshake secret `hs_secret = HKDF-Extract("ossuary v1 handshake", K || dh)`.
///
/// It derives the two handshake keys (from TH2) and is then consumed by
/// [`into_traffic`](Self::into_traffic) (with TH). Wiped on drop; `Debug` is
/// redacted.
pub struct HandshakeSecret {
    prk: Secret,
}

impl HandshakeSecret {
    /// Extracts a handshake secret from the X25519 output alone, consuming
    /// it. Not the Ossuary handshake's key schedule, which is always hybrid
    /// ([`Self::from_hybrid`]); it serves tests of the layers below the
    /// handshake (records, key updates) that need a session's keys without
    /// an ML-KEM exchange.
    pub fn from_shared(shared: SharedSecret) -> Self {
        Self {
            prk: hkdf_extract(HANDSHAKE_SALT, shared.as_bytes()),
        }
    }

    /// Extracts the handshake secret from both shared secrets of the hybrid
    /// key exchange, consuming them: `IKM = K || dh`, the ML-KEM-768 secret
    /// first (as X25519MLKEM768 in TLS and `mlkem768x25519-sha256` in SSH
    /// order them), then the X25519 output. The handshake keys and traffic
    /// secrets then bind the transcript, which holds `e_c`, `ek`, `e_s` and
    /// `ct` (PROTOCOL.md §4, §6).
    pub fn from_hybrid(dh: SharedSecret, kem: KemSharedSecret) -> Self {
        let mut ikm = Zeroizing::new([0u8; KEM_SHARED_SECRET_LEN + HASH_LEN]);
        let (k, d) = ikm.split_at_mut(KEM_SHARED_SECRET_LEN);
        k.copy_from_slice(kem.as_bytes());
        d.copy_from_slice(dh.as_bytes());
        Self {
            prk: hkdf_extract(HANDSHAKE_SALT, ikm.as_slice()),
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
    /// `buf` then holds no plaintext (the ciphertext or zeros, depending on
    /// the AEAD backend).
    pub fn open_in_place(
        self,
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.key.open_in_place(&HANDSHAKE_NONCE, ad, buf, tag)
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
        (
            RecordSealer(TrafficSecret::new(send)),
            RecordOpener(TrafficSecret::new(receive)),
        )
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

/// One direction's traffic secret `x_ap_n` and the record cipher keyed with
/// `x_key_n`, derived from it once.
struct TrafficSecret {
    secret: Secret,
    cipher: RecordCipher,
}

impl TrafficSecret {
    fn new(secret: Secret) -> Self {
        let cipher = RecordCipher::new(&record_key(&secret));
        Self { secret, cipher }
    }

    /// Key update: `x_ap_{n+1}`, a cipher for `x_key_{n+1}` at counter 0.
    /// The old secret and key are wiped as they are replaced.
    fn update(&mut self) {
        let next = next_traffic_secret(&self.secret);
        self.cipher = RecordCipher::new(&record_key(&next));
        self.secret = next;
    }
}

// The secret and the cipher wipe themselves on drop.
impl ZeroizeOnDrop for TrafficSecret {}

/// Seals outgoing records under the current send key.
///
/// Wiped on drop; `Debug` shows only the counter.
pub struct RecordSealer(TrafficSecret);

impl RecordSealer {
    /// Encrypts `buf` in place as the body of the frame whose 3-byte
    /// `header` (type || length) is the associated data, and returns the tag.
    /// The counter advances only on success.
    ///
    /// The caller sends `header || buf || tag`; `header`'s length field is
    /// `buf.len() + 16`.
    ///
    /// # Errors
    ///
    /// - [`Error::CounterExhausted`] if the counter has reached 2^64 - 1: call
    ///   [`update`](Self::update) (long before).
    /// - [`Error::MessageTooLong`] if `buf` is longer than the AEAD allows
    ///   (far beyond any frame).
    pub fn seal_in_place(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let mut tag = [0u8; TAG_LEN];
        self.seal_in_place_into(header, buf, &mut tag)?;
        Ok(tag)
    }

    /// As [`seal_in_place`](Self::seal_in_place), writing the tag to
    /// `tag_out`: a frame is sealed where it lies, with `header`, `buf` and
    /// `tag_out` its three parts. On error nothing is written and the
    /// counter does not move.
    ///
    /// # Errors
    ///
    /// As [`seal_in_place`](Self::seal_in_place).
    pub fn seal_in_place_into(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag_out: &mut [u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.0.cipher.seal_in_place_into(header, buf, tag_out)
    }

    /// The counter the next record will be sealed with.
    pub fn counter(&self) -> u64 {
        self.0.cipher.counter()
    }

    /// Switches to the next traffic secret and key (KEY_UPDATE), with the
    /// counter back at 0.
    pub fn update(&mut self) {
        self.0.update();
    }

    /// Sets the counter, so tests can reach exhaustion.
    ///
    /// For tests only. Never use this in production: reusing a counter reuses
    /// a nonce, which breaks the AEAD.
    #[cfg(feature = "hazmat")]
    pub fn set_counter_for_testing_only(&mut self, counter: u64) {
        self.0.cipher.set_counter(counter);
    }
}

// The only field wipes itself on drop.
impl ZeroizeOnDrop for RecordSealer {}

impl fmt::Debug for RecordSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordSealer")
            .field("counter", &self.counter())
            .finish_non_exhaustive()
    }
}

/// Opens incoming records under the current receive key.
///
/// Wiped on drop; `Debug` shows only the counter.
pub struct RecordOpener(TrafficSecret);

impl RecordOpener {
    /// Checks `tag` over `header` and the ciphertext in `buf`, then decrypts
    /// `buf` in place. The counter advances only on success. On failure `buf`
    /// holds no plaintext, and its contents are otherwise unspecified: the
    /// ciphertext with the pure-Rust AEAD, zeros with `ring`. A failure is
    /// fatal for the connection (PROTOCOL.md §7.3).
    ///
    /// # Errors
    ///
    /// - [`Error::Decrypt`] if the record does not authenticate (tampered, out
    ///   of order, wrong key).
    /// - [`Error::CounterExhausted`] if 2^64 - 1 records were already opened
    ///   under this key (a correct peer never seals that many).
    pub fn open_in_place(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.0.cipher.open_in_place(header, buf, tag)
    }

    /// The counter the next record is expected to carry.
    pub fn counter(&self) -> u64 {
        self.0.cipher.counter()
    }

    /// Switches to the next traffic secret and key after the peer's
    /// KEY_UPDATE was opened, with the counter back at 0.
    pub fn update(&mut self) {
        self.0.update();
    }

    /// Sets the counter, so tests can reach exhaustion or skip ahead.
    ///
    /// For tests only. Never use this in production.
    #[cfg(feature = "hazmat")]
    pub fn set_counter_for_testing_only(&mut self, counter: u64) {
        self.0.cipher.set_counter(counter);
    }
}

// The only field wipes itself on drop.
impl ZeroizeOnDrop for RecordOpener {}

impl fmt::Debug for RecordOpener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordOpener")
            .field("counter", &self.counter())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
