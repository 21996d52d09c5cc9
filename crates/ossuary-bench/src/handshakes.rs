//! Full handshakes in memory, both sides, against the sum of the primitive
//! operations they need and against the peers' handshakes.
//!
//! Every handshake contender builds its two ends from long-lived keys or
//! configurations (as an application does per connection) and runs the
//! handshake to completion on both.
//!
//! Primitive operations an Ossuary handshake needs (PROTOCOL.md §5):
//!
//! | mode      | X25519 keygen | X25519 DH | Ed25519 sign | Ed25519 verify |
//! |-----------|---------------|-----------|--------------|----------------|
//! | mutual    | 2             | 2         | 2            | 2              |
//! | anonymous | 2             | 2         | 1            | 1              |
//!
//! plus SHA-256 transcript hashing, HKDF and the AEAD over the handshake
//! messages, which are not counted in the sum (a few µs).

use std::hint::black_box;

use ed25519_dalek::{Signer as _, SigningKey};
#[cfg(not(feature = "aws-lc"))]
use x25519_dalek::{PublicKey as XPublic, StaticSecret};

use crate::BenchResult;
use crate::harness::{Body, Contender, Group, timed};
use crate::noise::{self, NoiseKeys, Pattern};
use crate::oss::{self, KeyInstall, Keys, Mode};
use crate::tls::{self, Pki, Provider, Suite, TlsSetup};

pub(crate) const OSS_MUTUAL: &str = "oss-mutual";
pub(crate) const OSS_ANON: &str = "oss-anon";
pub(crate) const OSS_BUILD: &str = "oss-build";
pub(crate) const KEYGEN: &str = "x25519-keygen";
pub(crate) const DH: &str = "x25519-dh";
pub(crate) const SIGN: &str = "ed25519-sign";
pub(crate) const VERIFY: &str = "ed25519-verify";
pub(crate) const RING_X25519: &str = "ring-x25519";
pub(crate) const RING_SIGN: &str = "ring-sign";
pub(crate) const RING_VERIFY: &str = "ring-verify";
pub(crate) const AWS_X25519: &str = "aws-x25519";
pub(crate) const AWS_SIGN: &str = "aws-sign";
pub(crate) const AWS_VERIFY: &str = "aws-verify";
pub(crate) const SNOW_XX: &str = "snow-xx";
pub(crate) const SNOW_IK: &str = "snow-ik";
pub(crate) const TLS_RING_SERVER: &str = "tls-ring-server";
pub(crate) const TLS_RING_MUTUAL: &str = "tls-ring-mutual";
pub(crate) const TLS_AWS_SERVER: &str = "tls-aws-server";
pub(crate) const TLS_AWS_MUTUAL: &str = "tls-aws-mutual";

/// The peers' mutually authenticated handshakes.
pub(crate) const PEER_MUTUAL: &[&str] = &[SNOW_XX, SNOW_IK, TLS_RING_MUTUAL, TLS_AWS_MUTUAL];
/// The peers' server-only authenticated handshakes.
pub(crate) const PEER_SERVER_AUTH: &[&str] = &[TLS_RING_SERVER, TLS_AWS_SERVER];

/// Primitive counts per mode: (keygen, DH, sign, verify).
pub(crate) const MUTUAL_OPS: [f64; 4] = [2.0, 2.0, 2.0, 2.0];
pub(crate) const ANON_OPS: [f64; 4] = [2.0, 2.0, 1.0, 1.0];

/// The message Ossuary signs: a 27-byte label, a zero byte, a 32-byte hash.
const SIGNED_LEN: usize = 60;

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("OS random number generator");
    b
}

fn ossuary(keys: Keys, mode: Mode) -> Body {
    Box::new(move |iters| {
        timed(iters, || {
            let (mut c, mut s) =
                oss::new_pair(&keys, mode, KeyInstall::Shared).expect("new connections");
            oss::handshake(&mut c, &mut s).expect("Ossuary handshake");
            black_box((c, s));
        })
    })
}

/// Building the two connections of a mutual pair, without the handshake
/// (included in the handshake figures; shown alone for information).
fn ossuary_build(keys: Keys) -> Body {
    Box::new(move |iters| {
        timed(iters, || {
            let pair = oss::new_pair(&keys, Mode::Mutual, KeyInstall::Shared).expect("new");
            black_box(pair);
        })
    })
}

// The four primitive rows time each operation in the library Ossuary's build
// uses for it (ossuary-crypto's `aws-lc` feature: AWS-LC for X25519 and
// signing; otherwise curve25519-dalek), so the "sum of primitives" is what
// this build's handshake cannot avoid. Verification is always ed25519-dalek's
// `verify_strict`.

/// Which library computes X25519 and Ed25519 signatures in this build.
#[cfg(feature = "aws-lc")]
pub(crate) const BACKEND: &str = "aws-lc-rs";
#[cfg(not(feature = "aws-lc"))]
pub(crate) const BACKEND: &str = "dalek";

/// X25519 keygen as a handshake does it: 32 bytes from the OS, then the
/// public key (one fixed-base scalar multiplication).
#[cfg(feature = "aws-lc")]
fn keygen() -> Body {
    use aws_lc_rs::agreement::{PrivateKey, X25519};
    Box::new(|iters| {
        timed(iters, || {
            let key = PrivateKey::from_private_key(&X25519, &random32()).expect("key");
            black_box(key.compute_public_key().expect("public key"));
        })
    })
}

#[cfg(not(feature = "aws-lc"))]
fn keygen() -> Body {
    Box::new(|iters| {
        timed(iters, || {
            let secret = StaticSecret::from(random32());
            black_box(XPublic::from(&secret));
        })
    })
}

#[cfg(feature = "aws-lc")]
fn dh() -> Body {
    use aws_lc_rs::agreement::{PrivateKey, UnparsedPublicKey, X25519, agree};
    let key = PrivateKey::from_private_key(&X25519, &random32()).expect("key");
    let peer = PrivateKey::from_private_key(&X25519, &random32()).expect("key");
    let peer = peer
        .compute_public_key()
        .expect("public key")
        .as_ref()
        .to_vec();
    Box::new(move |iters| {
        timed(iters, || {
            let peer = UnparsedPublicKey::new(&X25519, black_box(&peer));
            let shared = agree(&key, peer, (), |s| Ok(black_box(s.first().copied())));
            black_box(shared.expect("agreement"));
        })
    })
}

#[cfg(not(feature = "aws-lc"))]
fn dh() -> Body {
    let secret = StaticSecret::from(random32());
    let peer = XPublic::from(&StaticSecret::from(random32()));
    Box::new(move |iters| {
        timed(iters, || {
            black_box(secret.diffie_hellman(black_box(&peer)));
        })
    })
}

#[cfg(feature = "aws-lc")]
fn sign() -> Body {
    let key = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(&random32()).expect("key");
    let msg = [0x5au8; SIGNED_LEN];
    Box::new(move |iters| {
        timed(iters, || {
            black_box(key.sign(black_box(&msg)));
        })
    })
}

#[cfg(not(feature = "aws-lc"))]
fn sign() -> Body {
    let key = SigningKey::from_bytes(&random32());
    let msg = [0x5au8; SIGNED_LEN];
    Box::new(move |iters| {
        timed(iters, || {
            black_box(key.sign(black_box(&msg)));
        })
    })
}

/// `verify_strict` from the 32 key bytes, as Ossuary verifies the identity a
/// peer sends (decoding the key included, as in the ring and aws-lc-rs rows).
fn verify() -> Body {
    let key = SigningKey::from_bytes(&random32());
    let public = key.verifying_key().to_bytes();
    let msg = [0x5au8; SIGNED_LEN];
    let sig = key.sign(&msg);
    Box::new(move |iters| {
        timed(iters, || {
            ed25519_dalek::VerifyingKey::from_bytes(black_box(&public))
                .expect("key")
                .verify_strict(black_box(&msg), black_box(&sig))
                .expect("verify");
        })
    })
}

/// ring's X25519: one side's ephemeral keygen, public key and agreement.
fn ring_x25519() -> BenchResult<Body> {
    use ring::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
    let rng = ring::rand::SystemRandom::new();
    let peer = EphemeralPrivateKey::generate(&X25519, &rng)?.compute_public_key()?;
    let peer = peer.as_ref().to_vec();
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let key = EphemeralPrivateKey::generate(&X25519, &rng).expect("keygen");
            black_box(key.compute_public_key().expect("public key"));
            let shared = agree_ephemeral(key, &UnparsedPublicKey::new(&X25519, &peer), |s| {
                black_box(s.first().copied())
            });
            black_box(shared.expect("agreement"));
        })
    }))
}

/// aws-lc-rs's X25519: one side's ephemeral keygen, public key and agreement.
fn aws_x25519() -> BenchResult<Body> {
    use aws_lc_rs::agreement::{EphemeralPrivateKey, UnparsedPublicKey, X25519, agree_ephemeral};
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let peer = EphemeralPrivateKey::generate(&X25519, &rng)?.compute_public_key()?;
    let peer = peer.as_ref().to_vec();
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let key = EphemeralPrivateKey::generate(&X25519, &rng).expect("keygen");
            black_box(key.compute_public_key().expect("public key"));
            let shared = agree_ephemeral(key, UnparsedPublicKey::new(&X25519, &peer), (), |s| {
                Ok(black_box(s.first().copied()))
            });
            black_box(shared.expect("agreement"));
        })
    }))
}

fn ring_sign() -> BenchResult<Body> {
    let key = ring::signature::Ed25519KeyPair::from_seed_unchecked(&random32())?;
    let msg = [0x5au8; SIGNED_LEN];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            black_box(key.sign(black_box(&msg)));
        })
    }))
}

fn aws_sign() -> BenchResult<Body> {
    let key = aws_lc_rs::signature::Ed25519KeyPair::from_seed_unchecked(&random32())?;
    let msg = [0x5au8; SIGNED_LEN];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            black_box(key.sign(black_box(&msg)));
        })
    }))
}

/// ring's Ed25519 verification from the 32 key bytes (decoding included).
fn ring_verify() -> BenchResult<Body> {
    use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
    let key = Ed25519KeyPair::from_seed_unchecked(&random32())?;
    let public = key.public_key().as_ref().to_vec();
    let msg = [0x5au8; SIGNED_LEN];
    let sig = key.sign(&msg);
    Ok(Box::new(move |iters| {
        timed(iters, || {
            UnparsedPublicKey::new(&ED25519, &public)
                .verify(black_box(&msg), black_box(sig.as_ref()))
                .expect("verify");
        })
    }))
}

/// aws-lc-rs's Ed25519 verification from the 32 key bytes (decoding included).
fn aws_verify() -> BenchResult<Body> {
    use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
    let key = Ed25519KeyPair::from_seed_unchecked(&random32())?;
    let public = key.public_key().as_ref().to_vec();
    let msg = [0x5au8; SIGNED_LEN];
    let sig = key.sign(&msg);
    Ok(Box::new(move |iters| {
        timed(iters, || {
            UnparsedPublicKey::new(&ED25519, &public)
                .verify(black_box(&msg), black_box(sig.as_ref()))
                .expect("verify");
        })
    }))
}

fn snow(pattern: Pattern, keys: NoiseKeys) -> Body {
    Box::new(move |iters| {
        timed(iters, || {
            black_box(noise::handshake(pattern, &keys).expect("Noise handshake"));
        })
    })
}

fn rustls(setup: TlsSetup) -> Body {
    let mut wire = Vec::with_capacity(8192);
    Box::new(move |iters| {
        timed(iters, || {
            let (mut c, mut s) = setup.pair().expect("TLS connections");
            tls::handshake(&mut c, &mut s, &mut wire).expect("TLS handshake");
            black_box((c, s));
        })
    })
}

pub(crate) fn group(pki: &Pki) -> BenchResult<Group> {
    let tls = |provider, mutual| TlsSetup::new(pki, provider, Suite::ChaCha20Poly1305, mutual);
    Ok(Group::new(
        "handshakes",
        vec![
            Contender::latency(
                OSS_MUTUAL,
                "Ossuary mutual (pinned server key, authorized client key)",
                ossuary(Keys::generate()?, Mode::Mutual),
            ),
            Contender::latency(
                OSS_ANON,
                "Ossuary server-auth only (anonymous client, pinned server key)",
                ossuary(Keys::generate()?, Mode::Anonymous),
            ),
            Contender::latency(
                OSS_BUILD,
                "Ossuary: building the two connections alone (info)",
                ossuary_build(Keys::generate()?),
            ),
            Contender::latency(
                KEYGEN,
                format!("X25519 keygen, {BACKEND} (OS random + base mult)"),
                keygen(),
            ),
            Contender::latency(DH, format!("X25519 DH, {BACKEND}"), dh()),
            Contender::latency(
                SIGN,
                format!("Ed25519 sign, {BACKEND} (60-byte message)"),
                sign(),
            ),
            Contender::latency(
                VERIFY,
                "Ed25519 verify_strict, dalek (key decoding included)",
                verify(),
            ),
            Contender::latency(
                RING_X25519,
                "ring X25519 keygen + DH, one side (info)",
                ring_x25519()?,
            ),
            Contender::latency(RING_SIGN, "ring Ed25519 sign (info)", ring_sign()?),
            Contender::latency(
                RING_VERIFY,
                "ring Ed25519 verify, key decoding included (info)",
                ring_verify()?,
            ),
            Contender::latency(
                AWS_X25519,
                "aws-lc-rs X25519 keygen + DH, one side (info)",
                aws_x25519()?,
            ),
            Contender::latency(AWS_SIGN, "aws-lc-rs Ed25519 sign (info)", aws_sign()?),
            Contender::latency(
                AWS_VERIFY,
                "aws-lc-rs Ed25519 verify, key decoding included (info)",
                aws_verify()?,
            ),
            Contender::latency(
                SNOW_XX,
                "snow Noise_XX_25519_ChaChaPoly_SHA256",
                snow(Pattern::Xx, NoiseKeys::generate()?),
            ),
            Contender::latency(
                SNOW_IK,
                "snow Noise_IK_25519_ChaChaPoly_SHA256",
                snow(Pattern::Ik, NoiseKeys::generate()?),
            ),
            Contender::latency(
                TLS_RING_SERVER,
                "rustls + ring, server-auth",
                rustls(tls(Provider::Ring, false)?),
            ),
            Contender::latency(
                TLS_RING_MUTUAL,
                "rustls + ring, mutual",
                rustls(tls(Provider::Ring, true)?),
            ),
            Contender::latency(
                TLS_AWS_SERVER,
                "rustls + aws-lc-rs, server-auth",
                rustls(tls(Provider::AwsLc, false)?),
            ),
            Contender::latency(
                TLS_AWS_MUTUAL,
                "rustls + aws-lc-rs, mutual",
                rustls(tls(Provider::AwsLc, true)?),
            ),
        ],
    ))
}

/// The sum of a mutual handshake's primitives (2 x (keygen + DH), 2 signs,
/// 2 verifications) with another library's primitives, per round.
pub(crate) fn other_mutual_sum(group: &Group, x25519: &str, sign: &str, verify: &str) -> Vec<f64> {
    let series = [
        group.samples(x25519),
        group.samples(sign),
        group.samples(verify),
    ];
    crate::harness::per_round(&series, |r| 2.0 * (r[0] + r[1] + r[2]))
}

/// The sum of primitive costs for a mode, per round, from the group's
/// primitive samples.
pub(crate) fn primitive_sum(group: &Group, ops: [f64; 4]) -> Vec<f64> {
    let series = [
        group.samples(KEYGEN),
        group.samples(DH),
        group.samples(SIGN),
        group.samples(VERIFY),
    ];
    crate::harness::per_round(&series, |r| {
        r.iter().zip(ops).map(|(cost, n)| cost * n).sum()
    })
}
