//! Hand-built handshake cryptography for the adversary (PROTOCOL.md §3–6),
//! written against the public `ossuary-crypto` primitives only, so the
//! attacks do not borrow the library's own handshake code.
//!
//! An attacker on the path knows no ephemeral secret and so cannot open or
//! seal a handshake message of someone else's session. Some tests give her
//! one on purpose ([`Knows`]): a fixed-entropy endpoint whose ephemeral
//! secret the test knows, or an ephemeral key of her own. That is how a
//! malicious *peer* is modelled (it seals its own messages correctly and
//! lies only where the test says), and how a test shows that the seal, and
//! nothing else, is what stopped an attack.
//!
//! Ed25519 edge cases (PROTOCOL.md §5.3) need SHA-512 and arithmetic modulo
//! the group order, which ossuary-core's tests cannot import
//! (`curve25519-dalek` and `sha2` are not its dependencies). Both are
//! written out below; `hand_built_ed25519_matches_the_library` in
//! `adversary.rs` checks them against real signatures.

use ossuary_crypto::{
    EphemeralSecret, HandshakeKeys, HandshakeSecret, KemDecapsulationKey, KemEncapsulationKey,
    SecretKey,
};
use ossuary_crypto::{Signer, Transcript};

use crate::common::FixedRng;

/// The role label of the server's transcript signature (PROTOCOL.md §5.1).
pub(crate) const SERVER_LABEL: &[u8] = b"ossuary v1 server signature";
/// The role label of the client's transcript signature (PROTOCOL.md §5.1).
pub(crate) const CLIENT_LABEL: &[u8] = b"ossuary v1 client signature";

/// Length of the SERVER_HELLO clear part `M2clear` (PROTOCOL.md §4).
pub(crate) const M2_CLEAR: usize = 1125;

/// SHA-256 of the concatenation of `parts` (a transcript snapshot).
pub(crate) fn transcript_hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut t = Transcript::new();
    for p in parts {
        t.update(p);
    }
    t.hash()
}

/// The X25519 public key of a 32-byte ephemeral secret, drawn as the
/// library draws it.
pub(crate) fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    EphemeralSecret::generate(&mut FixedRng::new(*secret))
        .expect("preset randomness")
        .public_key()
}

/// Which ephemeral secrets of a session someone knows: all the randomness
/// one side drew for it.
#[derive(Clone, Copy)]
pub(crate) enum Knows {
    /// The client's draws `e_c_sk || random_c || d || z`: the peer's shares
    /// are `e_s` and `ct` in SERVER_HELLO.
    Client([u8; 128]),
    /// The server's draws `e_s_sk || m`: the peer's shares are `e_c` and `ek`
    /// in CLIENT_HELLO.
    Server([u8; 64]),
}

impl Knows {
    /// The ML-KEM ciphertext a server with these draws sends for
    /// `client_hello` (bytes 37..1125 of its SERVER_HELLO).
    pub(crate) fn kem_ciphertext(&self, client_hello: &[u8]) -> [u8; 1088] {
        let Self::Server(draws) = self else {
            panic!("only a server encapsulates");
        };
        KemEncapsulationKey::try_from(&client_hello[69..1253])
            .unwrap()
            .encapsulate(&mut FixedRng::new(&draws[32..]))
            .unwrap()
            .0
    }

    /// `c_hs_key` and `s_hs_key` of the session `client_hello` /
    /// `server_clear` (the first 1125 bytes of SERVER_HELLO), as this party
    /// derives them (PROTOCOL.md §6.2).
    pub(crate) fn handshake_keys(&self, client_hello: &[u8], server_clear: &[u8]) -> HandshakeKeys {
        let dh = |secret: &[u8], peer: &[u8]| {
            let peer: [u8; 32] = peer.try_into().unwrap();
            EphemeralSecret::generate(&mut FixedRng::new(secret))
                .expect("preset randomness")
                .diffie_hellman(&peer)
                .expect("a contributory key share")
        };
        let (shared, kem) = match self {
            Self::Client(draws) => {
                let dk = KemDecapsulationKey::generate(&mut FixedRng::new(&draws[64..])).unwrap();
                (
                    dh(&draws[..32], &server_clear[5..37]),
                    dk.decapsulate(server_clear[37..M2_CLEAR].try_into().unwrap()),
                )
            }
            Self::Server(draws) => {
                let (_, k) = KemEncapsulationKey::try_from(&client_hello[69..1253])
                    .unwrap()
                    .encapsulate(&mut FixedRng::new(&draws[32..]))
                    .unwrap();
                (dh(&draws[..32], &client_hello[5..37]), k)
            }
        };
        let th2 = transcript_hash(&[client_hello, &server_clear[..M2_CLEAR]]);
        HandshakeSecret::from_hybrid(shared, kem).handshake_keys(&th2)
    }

    /// Opens the sealed part of `server_hello`: `S_id || sig_s`.
    pub(crate) fn open_server_hello(&self, client_hello: &[u8], server_hello: &[u8]) -> [u8; 96] {
        let (clear, sealed) = server_hello.split_at(M2_CLEAR);
        let th2 = transcript_hash(&[client_hello, clear]);
        let mut plain: [u8; 96] = sealed[..96].try_into().unwrap();
        let tag: [u8; 16] = sealed[96..].try_into().unwrap();
        self.handshake_keys(client_hello, clear)
            .server
            .open_in_place(&th2, &mut plain, &tag)
            .expect("the server's seal opens");
        plain
    }

    /// Builds SERVER_HELLO from its clear part (1125 bytes, any version,
    /// flags, `e_s` or `ct`) and the plaintext `S_id || sig_s`, sealed under the keys of
    /// that transcript (PROTOCOL.md §3.2).
    pub(crate) fn seal_server_hello(
        &self,
        client_hello: &[u8],
        clear: &[u8],
        plain: &[u8; 96],
    ) -> Vec<u8> {
        assert_eq!(clear.len(), M2_CLEAR);
        let th2 = transcript_hash(&[client_hello, clear]);
        let mut sealed = *plain;
        let tag = self
            .handshake_keys(client_hello, clear)
            .server
            .seal_in_place(&th2, &mut sealed);
        [clear, &sealed, &tag].concat()
    }

    /// Opens CLIENT_AUTH: returns the plaintext `P` (PROTOCOL.md §3.3).
    pub(crate) fn open_client_auth(
        &self,
        client_hello: &[u8],
        server_hello: &[u8],
        client_auth: &[u8],
    ) -> Vec<u8> {
        let th3h = transcript_hash(&[client_hello, server_hello, &client_auth[..3]]);
        let (plain, tag) = client_auth[3..].split_at(client_auth.len() - 3 - 16);
        let mut plain = plain.to_vec();
        let tag: [u8; 16] = tag.try_into().unwrap();
        self.handshake_keys(client_hello, server_hello)
            .client
            .open_in_place(&th3h, &mut plain, &tag)
            .expect("the client's seal opens");
        plain
    }

    /// Builds CLIENT_AUTH around the plaintext `P`: the header announces
    /// `P.len() + 16` and the associated data is TH3h (PROTOCOL.md §3.3).
    pub(crate) fn seal_client_auth(
        &self,
        client_hello: &[u8],
        server_hello: &[u8],
        plain: &[u8],
    ) -> Vec<u8> {
        let len = u16::try_from(plain.len() + 16).unwrap();
        let header = [0x03, (len >> 8) as u8, len as u8];
        let th3h = transcript_hash(&[client_hello, server_hello, &header]);
        let mut sealed = plain.to_vec();
        let tag = self
            .handshake_keys(client_hello, server_hello)
            .client
            .seal_in_place(&th3h, &mut sealed);
        [&header[..], &sealed, &tag].concat()
    }
}

/// `THs = H(M1 || M2clear || S_id)` (PROTOCOL.md §4).
pub(crate) fn th_s(client_hello: &[u8], server_hello: &[u8], server_id: &[u8; 32]) -> [u8; 32] {
    transcript_hash(&[client_hello, &server_hello[..M2_CLEAR], server_id])
}

/// `THc = H(M1 || M2 || M3hdr || 0x01 || C_id)` for an IDENTITY
/// CLIENT_AUTH (PROTOCOL.md §4).
pub(crate) fn th_c(client_hello: &[u8], server_hello: &[u8], client_id: &[u8; 32]) -> [u8; 32] {
    transcript_hash(&[
        client_hello,
        server_hello,
        &[0x03, 0x00, 0x71, 0x01],
        client_id,
    ])
}

/// The 60-byte signed message `label || 0x00 || hash` (PROTOCOL.md §5.1).
pub(crate) fn signed_message(label: &[u8], hash: &[u8; 32]) -> Vec<u8> {
    [label, &[0], hash].concat()
}

/// A pure Ed25519 signature of `msg` by the key with this 32-byte seed.
pub(crate) fn sign(seed: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    SecretKey::from_bytes(seed).sign(msg).unwrap()
}

/// An IDENTITY CLIENT_AUTH plaintext: `0x01 || C_id || sig_c`.
pub(crate) fn identity_plaintext(client_id: &[u8; 32], signature: &[u8; 64]) -> Vec<u8> {
    [&[0x01][..], client_id, signature].concat()
}

/// The signature in an IDENTITY CLIENT_AUTH plaintext.
pub(crate) fn signature_of(plain: &[u8]) -> [u8; 64] {
    plain[33..97].try_into().unwrap()
}

// ------------------------------------------------------------ Ed25519 ----

/// The Ed25519 group order L, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `(R, S + L)`: the same signature with a non-canonical `S`, which a
/// verifier that skips the `S < L` check would still accept.
pub(crate) fn add_group_order_to_s(signature: &[u8; 64]) -> [u8; 64] {
    let mut out = *signature;
    let mut carry = 0u16;
    for (i, l) in GROUP_ORDER.iter().enumerate() {
        let sum = u16::from(out[32 + i]) + u16::from(*l) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    // S < L < 2^253, so S + L < 2^254: no carry out of the 32 bytes.
    assert_eq!(carry, 0);
    out
}

/// A signature of `msg` by the key with this seed whose `R` is the neutral
/// point (of small order) and `S = k·a mod L`, `k = SHA-512(R || A || msg)`.
/// The cofactorless equation `[S]B - [k]A = R` holds (both sides are the
/// neutral point), so a verifier that does not reject a small-order `R`
/// accepts it: rule 2 of PROTOCOL.md §5.3 is all that refuses it.
pub(crate) fn small_order_r_signature(seed: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    let a = secret_scalar(seed);
    let public = SecretKey::from_bytes(seed).public_key().to_bytes();
    let mut r = [0u8; 32];
    r[0] = 1; // y = 1, x = 0: the neutral point
    let k = reduce(&sha512(&[&r, &public, msg]));
    let s = mul_mod_l(&k, &a);
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(&s);
    sig
}

/// Recomputes the `S` half of an honest signature from its `R` half with
/// the hand-written arithmetic: `S = r + k·a mod L` (RFC 8032 §5.1.6).
pub(crate) fn recompute_s(seed: &[u8; 32], msg: &[u8], r_point: &[u8]) -> [u8; 32] {
    let h = sha512(&[seed]);
    let a = secret_scalar(seed);
    let public = SecretKey::from_bytes(seed).public_key().to_bytes();
    let r = reduce(&sha512(&[&h[32..], msg]));
    let k = reduce(&sha512(&[r_point, &public, msg]));
    add_mod_l(&r, &mul_mod_l(&k, &a))
}

/// The clamped secret scalar `a` of a seed, reduced mod L (RFC 8032 §5.1.5).
fn secret_scalar(seed: &[u8; 32]) -> [u8; 32] {
    let h = sha512(&[seed]);
    let mut a: [u8; 32] = h[..32].try_into().unwrap();
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    reduce(&a)
}

/// Little-endian bytes as four little-endian 64-bit limbs (at most 32 bytes).
type Limbs = [u64; 4];

fn limbs(bytes: &[u8; 32]) -> Limbs {
    core::array::from_fn(|i| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap()))
}

fn to_bytes(x: &Limbs) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, limb) in x.iter().enumerate() {
        out[8 * i..8 * i + 8].copy_from_slice(&limb.to_le_bytes());
    }
    out
}

fn geq(a: &Limbs, b: &Limbs) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

fn sub(a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    assert!(!borrow);
    out
}

fn add(a: &Limbs, b: &Limbs) -> Limbs {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = a[i].overflowing_add(b[i]);
        let (s, c2) = s.overflowing_add(u64::from(carry));
        out[i] = s;
        carry = c1 || c2;
    }
    assert!(!carry, "operands below 2^254 cannot overflow 256 bits");
    out
}

/// `x mod L` for a little-endian integer of any length, bit by bit.
fn reduce(bytes: &[u8]) -> [u8; 32] {
    let l = limbs(&GROUP_ORDER);
    let mut r: Limbs = [0; 4];
    for byte in bytes.iter().rev() {
        for bit in (0..8).rev() {
            // r < L < 2^253, so 2r + 1 < 2^254 fits.
            r = add(&r, &r);
            r[0] |= u64::from((byte >> bit) & 1);
            if geq(&r, &l) {
                r = sub(&r, &l);
            }
        }
    }
    to_bytes(&r)
}

fn add_mod_l(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let l = limbs(&GROUP_ORDER);
    let s = add(&limbs(a), &limbs(b));
    to_bytes(&if geq(&s, &l) { sub(&s, &l) } else { s })
}

/// `a·b mod L` for `a, b < L`, by double-and-add.
fn mul_mod_l(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    let mut r = [0u8; 32];
    for byte in b.iter().rev() {
        for bit in (0..8).rev() {
            r = add_mod_l(&r, &r);
            if (byte >> bit) & 1 == 1 {
                r = add_mod_l(&r, a);
            }
        }
    }
    r
}

/// SHA-512 (FIPS 180-4) of the concatenation of `parts`.
pub(crate) fn sha512(parts: &[&[u8]]) -> [u8; 64] {
    const K: [u64; 80] = [
        0x428a2f98d728ae22,
        0x7137449123ef65cd,
        0xb5c0fbcfec4d3b2f,
        0xe9b5dba58189dbbc,
        0x3956c25bf348b538,
        0x59f111f1b605d019,
        0x923f82a4af194f9b,
        0xab1c5ed5da6d8118,
        0xd807aa98a3030242,
        0x12835b0145706fbe,
        0x243185be4ee4b28c,
        0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f,
        0x80deb1fe3b1696b1,
        0x9bdc06a725c71235,
        0xc19bf174cf692694,
        0xe49b69c19ef14ad2,
        0xefbe4786384f25e3,
        0x0fc19dc68b8cd5b5,
        0x240ca1cc77ac9c65,
        0x2de92c6f592b0275,
        0x4a7484aa6ea6e483,
        0x5cb0a9dcbd41fbd4,
        0x76f988da831153b5,
        0x983e5152ee66dfab,
        0xa831c66d2db43210,
        0xb00327c898fb213f,
        0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2,
        0xd5a79147930aa725,
        0x06ca6351e003826f,
        0x142929670a0e6e70,
        0x27b70a8546d22ffc,
        0x2e1b21385c26c926,
        0x4d2c6dfc5ac42aed,
        0x53380d139d95b3df,
        0x650a73548baf63de,
        0x766a0abb3c77b2a8,
        0x81c2c92e47edaee6,
        0x92722c851482353b,
        0xa2bfe8a14cf10364,
        0xa81a664bbc423001,
        0xc24b8b70d0f89791,
        0xc76c51a30654be30,
        0xd192e819d6ef5218,
        0xd69906245565a910,
        0xf40e35855771202a,
        0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8,
        0x1e376c085141ab53,
        0x2748774cdf8eeb99,
        0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63,
        0x4ed8aa4ae3418acb,
        0x5b9cca4f7763e373,
        0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc,
        0x78a5636f43172f60,
        0x84c87814a1f0ab72,
        0x8cc702081a6439ec,
        0x90befffa23631e28,
        0xa4506cebde82bde9,
        0xbef9a3f7b2c67915,
        0xc67178f2e372532b,
        0xca273eceea26619c,
        0xd186b8c721c0c207,
        0xeada7dd6cde0eb1e,
        0xf57d4f7fee6ed178,
        0x06f067aa72176fba,
        0x0a637dc5a2c898a6,
        0x113f9804bef90dae,
        0x1b710b35131c471b,
        0x28db77f523047d84,
        0x32caab7b40c72493,
        0x3c9ebe0a15c9bebc,
        0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6,
        0x597f299cfc657e2a,
        0x5fcb6fab3ad6faec,
        0x6c44198c4a475817,
    ];
    let mut h: [u64; 8] = [
        0x6a09e667f3bcc908,
        0xbb67ae8584caa73b,
        0x3c6ef372fe94f82b,
        0xa54ff53a5f1d36f1,
        0x510e527fade682d1,
        0x9b05688c2b3e6c1f,
        0x1f83d9abfb41bd6b,
        0x5be0cd19137e2179,
    ];
    let mut msg: Vec<u8> = parts.concat();
    let bit_len = (msg.len() as u128) * 8;
    msg.push(0x80);
    while msg.len() % 128 != 112 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(128) {
        let mut w = [0u64; 80];
        for (i, word) in block.chunks_exact(8).enumerate() {
            w[i] = u64::from_be_bytes(word.try_into().unwrap());
        }
        for i in 16..80 {
            let s0 = w[i - 15].rotate_right(1) ^ w[i - 15].rotate_right(8) ^ (w[i - 15] >> 7);
            let s1 = w[i - 2].rotate_right(19) ^ w[i - 2].rotate_right(61) ^ (w[i - 2] >> 6);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..80 {
            let s1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 64];
    for (i, x) in h.iter().enumerate() {
        out[8 * i..8 * i + 8].copy_from_slice(&x.to_be_bytes());
    }
    out
}
