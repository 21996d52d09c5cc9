//! The ML-KEM-768 candidates side by side (docs/PERFORMANCE.md, "ML-KEM-768:
//! the implementation"): key generation, encapsulation and decapsulation of
//! aws-lc-rs, libcrux-ml-kem (portable and AVX2) and RustCrypto `ml-kem`, in
//! one process, interleaved round by round.
//!
//! Each operation is timed as the handshake uses it: key generation
//! includes encoding the encapsulation key to bytes, encapsulation includes
//! parsing and validating the peer's encapsulation key (the FIPS 203
//! modulus check), decapsulation takes the ciphertext as bytes.
//!
//! `cargo run -p ossuary-bench --release --bin mlkem-candidates [rounds]`
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::kem::{Ciphertext, DecapsulationKey, EncapsulationKey, ML_KEM_768};
use libcrux_ml_kem::mlkem768;
use ml_kem::MlKem768;
use ml_kem::kem::{Decapsulate, Encapsulate, FromSeed, KeyExport};

/// Fresh random bytes (the RNG is part of every contender's cost alike).
fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("OS RNG");
    b
}

/// Median per-operation time of `f` over a sample of about `sample`.
fn time(sample: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < sample {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

type Op = (&'static str, Box<dyn FnMut()>);

fn contenders() -> Vec<Op> {
    // Inputs prepared once per contender: an encapsulation key as bytes, a
    // decapsulation key and a ciphertext for it.
    let aws_dk = DecapsulationKey::generate(&ML_KEM_768).unwrap();
    let aws_ek = aws_dk
        .encapsulation_key()
        .unwrap()
        .key_bytes()
        .unwrap()
        .as_ref()
        .to_vec();
    let aws_ct = EncapsulationKey::new(&ML_KEM_768, &aws_ek)
        .unwrap()
        .encapsulate()
        .unwrap()
        .0
        .as_ref()
        .to_vec();

    let lx = mlkem768::generate_key_pair(random());
    let lx_ek: [u8; 1184] = *lx.public_key().as_slice();
    let (lx_ct, _) = mlkem768::encapsulate(lx.public_key(), random());
    let lx_ct: [u8; 1088] = *lx_ct.as_slice();
    let lx_sk = lx.private_key().clone();
    let lx_sk2 = lx_sk.clone();
    let lx_ek2 = lx_ek;

    let (rc_dk, rc_ek) = MlKem768::from_seed(&random::<64>().into());
    let rc_ek_bytes = rc_ek.to_bytes();
    let rc_ct = rc_ek.encapsulate_with_rng(&mut rand_core_rng()).0;

    let aws_ct2 = aws_ct.clone();
    vec![
        (
            "aws-lc-rs keygen",
            Box::new(|| {
                let dk = DecapsulationKey::generate(&ML_KEM_768).unwrap();
                black_box(dk.encapsulation_key().unwrap().key_bytes().unwrap());
            }),
        ),
        (
            "aws-lc-rs encaps",
            Box::new(move || {
                let ek = EncapsulationKey::new(&ML_KEM_768, black_box(&aws_ek)).unwrap();
                black_box(ek.encapsulate().unwrap());
            }),
        ),
        (
            "aws-lc-rs decaps",
            Box::new(move || {
                black_box(
                    aws_dk
                        .decapsulate(Ciphertext::from(black_box(&aws_ct2[..])))
                        .unwrap(),
                );
            }),
        ),
        (
            "libcrux (AVX2 if present) keygen",
            Box::new(|| {
                black_box(mlkem768::generate_key_pair(random()));
            }),
        ),
        (
            "libcrux (AVX2 if present) encaps",
            Box::new(move || {
                let pk = mlkem768::MlKem768PublicKey::from(black_box(lx_ek));
                assert!(mlkem768::validate_public_key(&pk));
                black_box(mlkem768::encapsulate(&pk, random()));
            }),
        ),
        (
            "libcrux (AVX2 if present) decaps",
            Box::new(move || {
                let ct = mlkem768::MlKem768Ciphertext::from(black_box(lx_ct));
                black_box(mlkem768::decapsulate(&lx_sk, &ct));
            }),
        ),
        (
            "libcrux portable keygen",
            Box::new(|| {
                black_box(mlkem768::portable::generate_key_pair(random()));
            }),
        ),
        (
            "libcrux portable encaps",
            Box::new(move || {
                let pk = mlkem768::MlKem768PublicKey::from(black_box(lx_ek2));
                assert!(mlkem768::portable::validate_public_key(&pk));
                black_box(mlkem768::portable::encapsulate(&pk, random()));
            }),
        ),
        (
            "libcrux portable decaps",
            Box::new(move || {
                let ct = mlkem768::MlKem768Ciphertext::from(black_box(lx_ct));
                black_box(mlkem768::portable::decapsulate(&lx_sk2, &ct));
            }),
        ),
        (
            "RustCrypto ml-kem keygen",
            Box::new(|| {
                let (_, ek) = MlKem768::from_seed(&random::<64>().into());
                black_box(ek.to_bytes());
            }),
        ),
        (
            "RustCrypto ml-kem encaps",
            Box::new(move || {
                let ek =
                    ml_kem::ml_kem_768::EncapsulationKey::new(black_box(&rc_ek_bytes)).unwrap();
                black_box(ek.encapsulate_with_rng(&mut rand_core_rng()));
            }),
        ),
        (
            "RustCrypto ml-kem decaps",
            Box::new(move || {
                black_box(rc_dk.decapsulate(black_box(&rc_ct)));
            }),
        ),
    ]
}

/// The OS RNG as a rand_core 0.10 `CryptoRng`.
fn rand_core_rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let sample = Duration::from_millis(40);
    let mut ops = contenders();
    let mut samples = vec![Vec::new(); ops.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in ops.iter_mut().enumerate() {
            samples[i].push(time(sample, f));
        }
    }
    println!("| operation | median µs | min µs |");
    println!("|---|---:|---:|");
    for ((name, _), mut s) in ops.iter().zip(samples) {
        s.sort_by(f64::total_cmp);
        println!("| {name} | {:.1} | {:.1} |", s[s.len() / 2], s[0]);
    }
}
