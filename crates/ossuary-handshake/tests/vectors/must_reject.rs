//! `docs/vectors/must-reject.json` (PROTOCOL.md §15.5): handshake messages
//! of the mutual vector session with exactly one defect each, built by this
//! suite acting as the honest other party with the session's fixed keys,
//! and the RESET the receiver must answer with. Generated here, where
//! curve25519-dalek and SHA-512 are at hand to build the signatures that
//! only a strict verifier refuses, and checked against the state machines;
//! `ossuary-core`'s vector test feeds every entry to a `Connection`.

use std::cell::RefCell;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ossuary_crypto::{PublicKey, SecretKey, Signer};
use ossuary_handshake::{ClientConfig, Error, PeerMisbehaved, ServerConfig, ServerState};
use ossuary_testkit::x25519::low_order_points;
use ossuary_testkit::{PresetRng, to_hex};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use crate::common::{
    CLIENT_LABEL, SERVER_LABEL, ServerHelloSpec, add_group_order_to_s, answer_client_hello,
    forge_client_auth, forge_server_hello, frame, start_client,
};

/// The file name under `docs/vectors/`.
pub(crate) const FILE: &str = "must-reject.json";

/// The fixed parties of one vector session.
pub(crate) struct Session {
    pub(crate) file: &'static str,
    pub(crate) server_key: SecretKey,
    pub(crate) client_key: SecretKey,
    pub(crate) server_flags: u8,
    /// `e_c_sk || random_c || d || z`.
    pub(crate) client_rng: Vec<u8>,
    /// `e_s_sk || m`.
    pub(crate) server_rng: Vec<u8>,
    pub(crate) client_hello: Vec<u8>,
    pub(crate) server_hello: Vec<u8>,
}

struct Entry {
    name: String,
    receiver: &'static str,
    state: &'static str,
    before: Vec<Vec<u8>>,
    frame: Vec<u8>,
    defect: &'static str,
    value: Vec<u8>,
    error: PeerMisbehaved,
    lax: Option<&'static str>,
}

fn scalar_of_seed(seed: &[u8; 32]) -> Scalar {
    let h: [u8; 64] = Sha512::digest(seed).into();
    let mut a: [u8; 32] = h[..32].try_into().unwrap();
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    Scalar::from_bytes_mod_order(a)
}

/// `k = SHA-512(R || A || M) mod L`.
fn challenge(r: &[u8], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn point(bytes: &[u8]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(bytes.try_into().unwrap()).decompress()
}

/// `[S]B - [k]A`, with `S` reduced or required canonical.
fn s_b_minus_k_a(a: &[u8; 32], sig: &[u8; 64], msg: &[u8], reduce: bool) -> Option<EdwardsPoint> {
    let s_bytes: [u8; 32] = sig[32..].try_into().unwrap();
    let s = if reduce {
        Scalar::from_bytes_mod_order(s_bytes)
    } else {
        Option::from(Scalar::from_canonical_bytes(s_bytes))?
    };
    let k = challenge(&sig[..32], a, msg);
    Some(EdwardsPoint::mul_base(&s) - point(a)? * k)
}

/// Which non-strict verifier accepts `sig` (PROTOCOL.md §15.5): the
/// cofactorless equation without the small-order checks, the cofactored
/// one, or the cofactorless one reducing `S` mod L instead of refusing it.
fn lax_verdict(a: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> Option<&'static str> {
    let r = &sig[..32];
    let lhs = s_b_minus_k_a(a, sig, msg, false);
    if lhs.is_some_and(|p| p.compress().as_bytes() == r) {
        return Some("cofactorless");
    }
    if let (Some(lhs), Some(r)) = (lhs, point(r))
        && (lhs - r).mul_by_cofactor().is_identity()
    {
        return Some("cofactored");
    }
    s_b_minus_k_a(a, sig, msg, true)
        .filter(|p| p.compress().as_bytes() == r)
        .map(|_| "s_mod_l")
}

/// `(R, S = k·a)` with `R` given: for `R` of small order a cofactored
/// verifier accepts it, and a cofactorless one too when `R` is the identity.
fn small_order_r_signature(seed: &[u8; 32], a: &[u8; 32], msg: &[u8], r: &[u8; 32]) -> [u8; 64] {
    let s = challenge(r, a, msg) * scalar_of_seed(seed);
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(r);
    sig[32..].copy_from_slice(s.as_bytes());
    sig
}

/// A signature "by" the small-order key `a`: `(R = [s]B, s)` for the first
/// `s` (from a counter) with `[k]A` the identity, which the cofactorless
/// equation without the small-order check accepts.
fn small_order_a_signature(a: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    let a_point = point(a).expect("a small-order point decodes");
    for i in 0u32.. {
        let wide: [u8; 64] =
            Sha512::digest([&b"ossuary must-reject nonce "[..], &i.to_be_bytes()].concat()).into();
        let s = Scalar::from_bytes_mod_order_wide(&wide);
        let r = EdwardsPoint::mul_base(&s).compress();
        if (a_point * challenge(r.as_bytes(), a, msg)).is_identity() {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(r.as_bytes());
            sig[32..].copy_from_slice(s.as_bytes());
            return sig;
        }
    }
    unreachable!()
}

fn labelled(label: &[u8], hash: &[u8; 32]) -> Vec<u8> {
    [label, &[0], hash].concat()
}

impl Session {
    /// A SERVER_HELLO of this session with `S_id = identity` and `sig_s`
    /// from `sign(identity, signed message)`; returns it, the signature and
    /// the signed message.
    fn server_hello(
        &self,
        identity: [u8; 32],
        sign: &dyn Fn(&[u8]) -> [u8; 64],
    ) -> (Vec<u8>, [u8; 64], Vec<u8>) {
        let seen = RefCell::new((Vec::new(), [0u8; 64]));
        let sign_ths = |ths: &[u8; 32]| {
            let msg = labelled(SERVER_LABEL, ths);
            let sig = sign(&msg);
            *seen.borrow_mut() = (msg, sig);
            sig
        };
        let m2 = forge_server_hello(
            &self.client_hello,
            &ServerHelloSpec {
                ephemeral_secret: self.server_rng.clone().try_into().unwrap(),
                version: 1,
                flags: self.server_flags,
                identity,
                sign: &sign_ths,
            },
        );
        let (msg, sig) = seen.into_inner();
        (m2, sig, msg)
    }

    /// An IDENTITY CLIENT_AUTH of this session with `C_id = identity`.
    fn client_auth(
        &self,
        identity: [u8; 32],
        sign: &dyn Fn(&[u8]) -> [u8; 64],
    ) -> (Vec<u8>, [u8; 64], Vec<u8>) {
        let seen = RefCell::new((Vec::new(), [0u8; 64]));
        let sign_thc = |thc: &[u8; 32]| {
            let msg = labelled(CLIENT_LABEL, thc);
            let sig = sign(&msg);
            *seen.borrow_mut() = (msg, sig);
            sig
        };
        let m3 = forge_client_auth(
            &crate::client_ephemeral_secret(&self.client_rng),
            &self.client_hello,
            &self.server_hello,
            &identity,
            &sign_thc,
        );
        let (msg, sig) = seen.into_inner();
        (m3, sig, msg)
    }

    fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        let (m1, m2) = (&self.client_hello, &self.server_hello);
        let s_seed: [u8; 32] = *self.server_key.to_bytes();
        let c_seed: [u8; 32] = *self.client_key.to_bytes();
        let s_id = self.server_key.public_key().to_bytes();
        let c_id = self.client_key.public_key().to_bytes();

        // X25519 points of small order as the peer's ephemeral key (§6.2, §13.7).
        for (i, p) in low_order_points().into_iter().enumerate() {
            let ch = [&m1[..5], &p, &m1[37..]].concat();
            let sh = [&m2[..5], &p, &m2[37..]].concat();
            for (msg, receiver, state, frame) in [
                ("client_hello", "server", "WAIT_CH", ch),
                ("server_hello", "client", "WAIT_SH", sh),
            ] {
                out.push(Entry {
                    name: format!("{msg}/x25519_low_order/{i}"),
                    receiver,
                    state,
                    before: vec![],
                    frame,
                    defect: "x25519_low_order",
                    value: p.to_vec(),
                    error: PeerMisbehaved::NonContributoryKeyShare,
                    lax: None,
                });
            }
        }

        // An ML-KEM-768 encapsulation key that fails the FIPS 203 modulus
        // check (§3.1): the honest `ek` with its first 12-bit coefficient
        // (bytes 69..71 of CLIENT_HELLO) set to q = 3329, then to 4095.
        for (i, coefficient) in [3329u16, 4095].into_iter().enumerate() {
            let mut ch = m1.clone();
            ch[69] = coefficient as u8;
            ch[70] = (ch[70] & 0xf0) | (coefficient >> 8) as u8;
            out.push(Entry {
                name: format!("client_hello/mlkem_unreduced/{i}"),
                receiver: "server",
                state: "WAIT_CH",
                before: vec![],
                value: ch[69..71].to_vec(),
                frame: ch,
                defect: "mlkem_unreduced",
                error: PeerMisbehaved::InvalidKemKey,
                lax: None,
            });
        }

        // Signatures: small-order R, non-canonical S, small-order A (§5.3).
        let torsion: Vec<[u8; 32]> = EIGHT_TORSION
            .iter()
            .map(|t| t.compress().to_bytes())
            .collect();
        let mut sig_entry = |server: bool,
                             defect: &'static str,
                             i: usize,
                             identity: [u8; 32],
                             sign: &dyn Fn(&[u8]) -> [u8; 64]| {
            let (frame, sig, msg) = if server {
                self.server_hello(identity, sign)
            } else {
                self.client_auth(identity, sign)
            };
            let value = match defect {
                "ed25519_small_order_r" => sig[..32].to_vec(),
                "ed25519_non_canonical_s" => sig[32..].to_vec(),
                _ => identity.to_vec(),
            };
            let lax = lax_verdict(&identity, &sig, &msg);
            assert!(lax.is_some(), "{defect} {i}: only strictness may refuse it");
            let (name, receiver, state, before, error) = if server {
                (
                    "server_hello",
                    "client",
                    "WAIT_SH",
                    vec![],
                    if defect == "ed25519_small_order_a" {
                        PeerMisbehaved::InvalidIdentityKey
                    } else {
                        PeerMisbehaved::BadServerSignature
                    },
                )
            } else {
                (
                    "client_auth",
                    "server",
                    "WAIT_CA",
                    vec![m1.clone()],
                    if defect == "ed25519_small_order_a" {
                        PeerMisbehaved::InvalidIdentityKey
                    } else {
                        PeerMisbehaved::BadClientSignature
                    },
                )
            };
            out.push(Entry {
                name: format!("{name}/{defect}/{i}"),
                receiver,
                state,
                before,
                frame,
                defect,
                value,
                error,
                lax,
            });
        };
        for server in [true, false] {
            let (seed, id) = if server {
                (s_seed, s_id)
            } else {
                (c_seed, c_id)
            };
            let key = SecretKey::from_bytes(&seed);
            for (i, r) in torsion.iter().enumerate() {
                sig_entry(server, "ed25519_small_order_r", i, id, &|msg| {
                    small_order_r_signature(&seed, &id, msg, r)
                });
            }
            sig_entry(server, "ed25519_non_canonical_s", 0, id, &|msg| {
                add_group_order_to_s(&key.sign(msg).unwrap())
            });
            for (i, a) in torsion.iter().enumerate() {
                sig_entry(server, "ed25519_small_order_a", i, *a, &|msg| {
                    small_order_a_signature(a, msg)
                });
            }
        }
        out
    }

    /// Feeds `entry` to the state machine of its receiver and returns the error.
    fn refuse(&self, e: &Entry) -> Error {
        let trusted = [self.server_key.public_key()];
        let authorized: Vec<PublicKey> = vec![self.client_key.public_key()];
        let server = ServerConfig::new(&self.server_key, self.server_flags == 1, &authorized);
        let client = ClientConfig::new(Some(&self.client_key as &dyn Signer), &trusted);
        let mut out = [0u8; 2048];
        match e.state {
            "WAIT_CH" => {
                assert!(e.before.is_empty());
                ServerState::new()
                    .handle(
                        &frame(&e.frame),
                        &server,
                        &mut PresetRng::new(&self.server_rng),
                        &mut out,
                    )
                    .err()
            }
            "WAIT_SH" => {
                let (c, m1) = start_client(&self.client_rng);
                assert_eq!(m1, self.client_hello);
                c.handle(&frame(&e.frame), &client, &mut out).err()
            }
            "WAIT_CA" => {
                assert_eq!(e.before, std::slice::from_ref(&self.client_hello));
                let (s, m2) =
                    answer_client_hello(&server, &self.server_rng, &self.client_hello).unwrap();
                assert_eq!(m2, self.server_hello);
                s.handle(&frame(&e.frame), &server, &mut PresetRng::new(&[]), &mut [])
                    .err()
            }
            other => panic!("state {other}"),
        }
        .unwrap_or_else(|| panic!("{}: accepted", e.name))
    }

    /// The file's text; every entry refused by the state machines first.
    pub(crate) fn must_reject_file(&self) -> String {
        let mut entries = Vec::new();
        for e in self.entries() {
            let err = self.refuse(&e);
            assert_eq!(err, Error::PeerMisbehaved(e.error), "{}", e.name);
            // A peer that misbehaved in the handshake is a handshake
            // failure, reason 3 (PROTOCOL.md §10.1); `ossuary-core` maps
            // errors to reasons, and its vector test checks the RESET sent.
            let reason: u8 = 3;
            entries.push(json!({
                "name": e.name,
                "session": self.file,
                "receiver": e.receiver,
                "state": e.state,
                "before": e.before.iter().map(|b| to_hex(b)).collect::<Vec<_>>(),
                "frame": to_hex(&e.frame),
                "defect": e.defect,
                "value": to_hex(&e.value),
                "lax_verifier_accepts": e.lax,
                "error": format!("{:?}", e.error),
                "reason": reason,
                "reset": to_hex(&[0x20, 0x00, 0x01, reason]),
            }));
        }
        let v: Value = json!({ "entries": entries });
        let mut text = serde_json::to_string_pretty(&v).unwrap();
        text.push('\n');
        text
    }
}
