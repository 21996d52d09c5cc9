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
//! and, in both modes since the hybrid handshake (issue 14), one ML-KEM-768
//! key generation (client), one encapsulation to the client's key, parsed
//! and validated (server), and one decapsulation (client); plus SHA-256
//! transcript hashing, HKDF and the AEAD over the handshake messages, which
//! are not counted in the sum (a few µs).
//!
//! The group also times the two halves of the first exchange on their own:
//! a client building its connection, which queues CLIENT_HELLO, and a server
//! building its connection and answering one CLIENT_HELLO with SERVER_HELLO:
//! the work a server does for a message anyone can send.

use std::hint::black_box;

use ed25519_dalek::{Signer as _, SigningKey};
use ossuary_core::{Config, Connection, Role};
use ossuary_crypto::{KEM_ENCAPSULATION_KEY_LEN, KemDecapsulationKey, KemEncapsulationKey};
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
pub(crate) const KEM_KEYGEN: &str = "mlkem768-keygen";
pub(crate) const KEM_ENCAPS: &str = "mlkem768-encaps";
pub(crate) const KEM_KEYGEN_DECAPS: &str = "mlkem768-keygen-decaps";
pub(crate) const OSS_CLIENT_HELLO: &str = "oss-client-hello";
pub(crate) const OSS_SERVER_HELLO: &str = "oss-server-hello";
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
pub(crate) const TLS_PQ_SERVER: &str = "tls-aws-x25519mlkem768-server";
pub(crate) const TLS_PQ_MUTUAL: &str = "tls-aws-x25519mlkem768-mutual";

/// The peers' mutually authenticated handshakes with classical key exchange
/// (the targets of issue 3).
pub(crate) const PEER_MUTUAL: &[&str] = &[SNOW_XX, SNOW_IK, TLS_RING_MUTUAL, TLS_AWS_MUTUAL];
/// The peers' server-only authenticated handshakes with classical key exchange.
pub(crate) const PEER_SERVER_AUTH: &[&str] = &[TLS_RING_SERVER, TLS_AWS_SERVER];

/// Primitive counts per mode: (X25519 keygen, X25519 DH, Ed25519 sign,
/// Ed25519 verify, ML-KEM-768 keygen, encapsulation, keygen +
/// decapsulation). The client's ML-KEM keygen is counted in the last row,
/// which times both (a decapsulation consumes its key).
pub(crate) const MUTUAL_OPS: [f64; 7] = [2.0, 2.0, 2.0, 2.0, 0.0, 1.0, 1.0];
pub(crate) const ANON_OPS: [f64; 7] = [2.0, 2.0, 1.0, 1.0, 0.0, 1.0, 1.0];
/// What a server computes for one CLIENT_HELLO: its ephemeral key, the DH,
/// the encapsulation (key check included) and the signature in SERVER_HELLO.
pub(crate) const SERVER_HELLO_OPS: [f64; 7] = [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
/// What a client computes for its CLIENT_HELLO: two key generations.
pub(crate) const CLIENT_HELLO_OPS: [f64; 7] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0];

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

/// A mutual client building its connection, which queues its CLIENT_HELLO
/// (X25519 and ML-KEM-768 key generation, 32 random bytes, the frame).
fn ossuary_client_hello(keys: Keys) -> Body {
    Box::new(move |iters| {
        timed(iters, || {
            let (client, _) =
                oss::new_pair(&keys, Mode::Mutual, KeyInstall::Shared).expect("new connections");
            black_box(client.pending_output());
        })
    })
}

/// A CLIENT_HELLO as a mutual client sends it, taken once.
pub(crate) fn client_hello(keys: &Keys) -> BenchResult<Vec<u8>> {
    let (client, _) = oss::new_pair(keys, Mode::Mutual, KeyInstall::Shared)?;
    Ok(client.pending_output().to_vec())
}

/// An authenticating server building its connection (shared identity, one
/// authorized client key) and answering one CLIENT_HELLO with SERVER_HELLO.
/// The same CLIENT_HELLO is fed to every new server, as an attacker who
/// replays one captured message does: nothing in it is checked against
/// anything but itself before the server has done all its work.
fn ossuary_server_hello(keys: Keys) -> BenchResult<Body> {
    let hello = client_hello(&keys)?;
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let mut server = Connection::with_identity(
                Role::AuthenticatingServer,
                Config::default(),
                keys.server.signer(),
            )
            .expect("server");
            server
                .add_authorized_key(keys.client.public())
                .expect("authorized key");
            let used = server.recv_handshake(&hello).expect("CLIENT_HELLO");
            assert_eq!(used, hello.len(), "the whole CLIENT_HELLO");
            black_box(server.pending_output());
        })
    }))
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

// The three ML-KEM-768 rows time the handshake's own code, whichever
// backend ossuary-crypto is built with (libcrux in the Rust defaults):
// `KemDecapsulationKey::generate`, `KemEncapsulationKey::from_bytes` +
// `encapsulate`, and `generate` + `decapsulate`, with the OS generator the
// connection draws from (`getrandom::fill`). `decapsulate` consumes its key,
// as the client's single use of it does, so it is timed with the key
// generation before it: the client's two ML-KEM operations together.

/// ML-KEM-768 key generation as the client does it: 64 bytes from the OS,
/// `ML-KEM.KeyGen_internal(d, z)`, the encapsulation key encoded to bytes.
fn kem_keygen() -> Body {
    Box::new(|iters| {
        let mut rng = getrandom::SysRng;
        timed(iters, || {
            let dk = KemDecapsulationKey::generate(&mut rng).expect("keygen");
            black_box(dk.encapsulation_key());
            black_box(dk);
        })
    })
}

/// ML-KEM-768 encapsulation as the server does it: the client's 1184-byte
/// key parsed and validated (FIPS 203 modulus check), 32 bytes from the OS,
/// `ML-KEM.Encaps_internal(ek, m)`.
fn kem_encaps() -> BenchResult<Body> {
    let dk = KemDecapsulationKey::generate(&mut getrandom::SysRng)?;
    let ek: [u8; KEM_ENCAPSULATION_KEY_LEN] = *dk.encapsulation_key();
    Ok(Box::new(move |iters| {
        let mut rng = getrandom::SysRng;
        timed(iters, || {
            let key = KemEncapsulationKey::from_bytes(black_box(&ek)).expect("valid key");
            black_box(key.encapsulate(&mut rng).expect("encapsulate"));
        })
    }))
}

/// ML-KEM-768 key generation then decapsulation of a 1088-byte ciphertext,
/// as the client does them, through ossuary-crypto. The ciphertext was made
/// for another key, so decapsulation takes FIPS 203's implicit-rejection
/// result; it does the same work either way (re-encryption and a
/// constant-time comparison and selection).
fn kem_keygen_decaps() -> BenchResult<Body> {
    let other = KemDecapsulationKey::generate(&mut getrandom::SysRng)?;
    let ek = KemEncapsulationKey::from_bytes(other.encapsulation_key())?;
    let (ct, _) = ek.encapsulate(&mut getrandom::SysRng)?;
    Ok(Box::new(move |iters| {
        let mut rng = getrandom::SysRng;
        timed(iters, || {
            let dk = KemDecapsulationKey::generate(&mut rng).expect("keygen");
            black_box(dk.decapsulate(black_box(&ct)));
        })
    }))
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
                OSS_CLIENT_HELLO,
                "Ossuary client: new mutual connection, CLIENT_HELLO queued",
                ossuary_client_hello(Keys::generate()?),
            ),
            Contender::latency(
                OSS_SERVER_HELLO,
                "Ossuary server: new authenticating connection, one CLIENT_HELLO in, SERVER_HELLO out",
                ossuary_server_hello(Keys::generate()?)?,
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
                KEM_KEYGEN,
                "ML-KEM-768 keygen via ossuary-crypto (OS random + ek encoding)",
                kem_keygen(),
            ),
            Contender::latency(
                KEM_ENCAPS,
                "ML-KEM-768 encapsulation via ossuary-crypto (ek parsed + checked, OS random)",
                kem_encaps()?,
            ),
            Contender::latency(
                KEM_KEYGEN_DECAPS,
                "ML-KEM-768 keygen + decapsulation via ossuary-crypto (the client's two)",
                kem_keygen_decaps()?,
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
            Contender::latency(
                TLS_PQ_SERVER,
                "rustls + aws-lc-rs X25519MLKEM768, server-auth",
                rustls(tls(Provider::AwsLcMlKem, false)?),
            ),
            Contender::latency(
                TLS_PQ_MUTUAL,
                "rustls + aws-lc-rs X25519MLKEM768, mutual",
                rustls(tls(Provider::AwsLcMlKem, true)?),
            ),
        ],
    ))
}

/// The ML-KEM-768 part of every handshake (one keygen, one encapsulation,
/// one decapsulation: the last row times keygen and decapsulation), per
/// round.
fn kem_sum(group: &Group) -> Vec<f64> {
    let series = [group.samples(KEM_ENCAPS), group.samples(KEM_KEYGEN_DECAPS)];
    crate::harness::per_round(&series, |r| r.iter().sum())
}

/// The sum of a mutual handshake's primitives (2 x (keygen + DH), 2 signs,
/// 2 verifications) with another library's X25519 and Ed25519, plus the
/// ML-KEM-768 rows (ml-kem), per round.
pub(crate) fn other_mutual_sum(group: &Group, x25519: &str, sign: &str, verify: &str) -> Vec<f64> {
    let kem = kem_sum(group);
    let series = [
        group.samples(x25519),
        group.samples(sign),
        group.samples(verify),
        &kem,
    ];
    crate::harness::per_round(&series, |r| 2.0 * (r[0] + r[1] + r[2]) + r[3])
}

/// The sum of primitive costs for `ops` (see [`MUTUAL_OPS`]), per round,
/// from the group's primitive samples.
pub(crate) fn primitive_sum(group: &Group, ops: [f64; 7]) -> Vec<f64> {
    let series = [
        group.samples(KEYGEN),
        group.samples(DH),
        group.samples(SIGN),
        group.samples(VERIFY),
        group.samples(KEM_KEYGEN),
        group.samples(KEM_ENCAPS),
        group.samples(KEM_KEYGEN_DECAPS),
    ];
    crate::harness::per_round(&series, |r| {
        r.iter().zip(ops).map(|(cost, n)| cost * n).sum()
    })
}
