//! The `handshake_initiator` and `handshake_responder` fuzz targets under
//! `cargo test` (docs/FUZZING.md):
//!
//! - every crash the fuzzer ever found, kept in
//!   `tests/fuzz-regressions/<target>/`, replayed through the same fuzz
//!   function (`ossuary_testkit::handshake::{initiator,responder}_bytes`);
//!   a target gets its replay test with its first crash file
//!   (`handshake_responder` has none yet);
//! - the committed seed corpora `fuzz/corpus/<target>/`, replayed too;
//! - those corpora rebuilt from `docs/vectors/*.json` and compared with the
//!   committed files (`OSSUARY_BLESS=1` rewrites them), after checking that
//!   the fuzz functions' fixed parties send exactly the vector files' messages.

use std::path::{Path, PathBuf};

use ossuary_testkit::handshake::{
    InitiatorInput, ResponderInput, honest, initiator_bytes, responder_bytes,
};
use ossuary_testkit::input::{Mutation, Piece};
use ossuary_testkit::replay::{check_seeds, corpus_dir, replay_dir};
use ossuary_testkit::vectors::HandshakeVectors;

fn regressions(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target)
}

#[test]
fn handshake_initiator_regressions() {
    let n = replay_dir(&regressions("handshake_initiator"), initiator_bytes);
    assert!(n >= 1, "{n} inputs replayed");
}

#[test]
fn handshake_initiator_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("handshake_initiator"), initiator_bytes);
    assert!(n >= initiator_seeds().len(), "{n} inputs replayed");
}

#[test]
fn handshake_responder_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("handshake_responder"), responder_bytes);
    assert!(n >= responder_seeds().len(), "{n} inputs replayed");
}

#[test]
fn handshake_initiator_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus_dir("handshake_initiator"), &initiator_seeds());
}

#[test]
fn handshake_responder_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus_dir("handshake_responder"), &responder_seeds());
}

/// The fuzz functions' honest handshakes are the vector files' handshakes.
#[test]
fn fixed_parties_send_the_vector_messages() {
    for v in HandshakeVectors::all() {
        let h = honest(v.mutual, v.mutual);
        assert_eq!(h.client_hello, v.client_hello, "{}", v.name);
        assert_eq!(h.server_hello, v.server_hello, "{}", v.name);
        assert_eq!(h.client_auth.as_ref(), Some(&v.client_auth), "{}", v.name);
    }
}

const RESET_PLAIN: [u8; 4] = [0x20, 0x00, 0x01, 0x03];

fn initiator_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in HandshakeVectors::all() {
        let base = InitiatorInput {
            client_identity: v.mutual,
            require_auth: v.mutual,
            trusted: true,
            approve: true,
            out_len: None,
            pieces: vec![Piece::Raw(v.server_hello.clone())],
        };
        let mut with_records = base.clone();
        with_records
            .pieces
            .extend(v.records_from(false).into_iter().map(Piece::Raw));
        let cases = [
            ("pinned", base.clone()),
            (
                "tofu-approve",
                InitiatorInput {
                    trusted: false,
                    ..base.clone()
                },
            ),
            (
                "tofu-reject",
                InitiatorInput {
                    trusted: false,
                    approve: false,
                    ..base.clone()
                },
            ),
            ("then-records", with_records),
            (
                "short-out",
                InitiatorInput {
                    out_len: Some(19),
                    ..base.clone()
                },
            ),
            (
                "mutated",
                InitiatorInput {
                    pieces: vec![Piece::Mutated(0, vec![Mutation::Xor { at: 100, mask: 1 }])],
                    ..base.clone()
                },
            ),
            (
                "reset-plain",
                InitiatorInput {
                    pieces: vec![Piece::Raw(RESET_PLAIN.to_vec())],
                    ..base.clone()
                },
            ),
        ];
        for (case, input) in cases {
            seeds.push((format!("{}-{case}", v.name), input.to_bytes()));
        }
    }
    for (c, r) in [(false, false), (false, true), (true, false), (true, true)] {
        let input = InitiatorInput {
            client_identity: c,
            require_auth: r,
            trusted: true,
            approve: true,
            out_len: None,
            pieces: vec![Piece::Honest(0)],
        };
        seeds.push((
            format!("honest-c{}-r{}", u8::from(c), u8::from(r)),
            input.to_bytes(),
        ));
    }
    seeds
}

fn responder_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in HandshakeVectors::all() {
        let base = ResponderInput {
            client_identity: v.mutual,
            require_auth: v.mutual,
            authorized: true,
            out_len: None,
            pieces: vec![
                Piece::Raw(v.client_hello.clone()),
                Piece::Raw(v.client_auth.clone()),
            ],
        };
        let mut with_records = base.clone();
        with_records
            .pieces
            .extend(v.records_from(true).into_iter().map(Piece::Raw));
        let cases = [
            ("accept", base.clone()),
            (
                "unauthorized",
                ResponderInput {
                    authorized: false,
                    ..base.clone()
                },
            ),
            ("then-records", with_records),
            (
                "short-out",
                ResponderInput {
                    out_len: Some(100),
                    ..base.clone()
                },
            ),
            (
                "mutated-auth",
                ResponderInput {
                    pieces: vec![
                        Piece::Raw(v.client_hello.clone()),
                        Piece::Mutated(1, vec![Mutation::Xor { at: 10, mask: 0x80 }]),
                    ],
                    ..base.clone()
                },
            ),
            (
                "hello-twice",
                ResponderInput {
                    pieces: vec![
                        Piece::Raw(v.client_hello.clone()),
                        Piece::Raw(v.client_hello.clone()),
                    ],
                    ..base.clone()
                },
            ),
        ];
        for (case, input) in cases {
            seeds.push((format!("{}-{case}", v.name), input.to_bytes()));
        }
    }
    for (c, r) in [(false, false), (false, true), (true, false), (true, true)] {
        let input = ResponderInput {
            client_identity: c,
            require_auth: r,
            authorized: true,
            out_len: None,
            pieces: vec![Piece::Honest(0), Piece::Honest(1)],
        };
        seeds.push((
            format!("honest-c{}-r{}", u8::from(c), u8::from(r)),
            input.to_bytes(),
        ));
    }
    seeds
}
