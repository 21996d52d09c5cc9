//! The `handshake_initiator` and `handshake_responder` fuzz targets under
//! `cargo test` (docs/FUZZING.md):
//!
//! - every crash the fuzzer ever found, kept in
//!   `tests/fuzz-regressions/<target>/`, replayed through the same fuzz
//!   function (`ossuary_handshake::fuzzing::{initiator,responder}_bytes`);
//! - the committed seed corpora `fuzz/corpus/<target>/`, replayed too;
//! - those corpora rebuilt from `docs/vectors/*.json` and compared with the
//!   committed files (`OSSUARY_BLESS=1` rewrites them), after checking that
//!   the fuzz functions' fixed parties send exactly the vector files' messages.

use std::path::{Path, PathBuf};

use ossuary_handshake::fuzzing::{
    InitiatorInput, ResponderInput, honest, initiator_bytes, responder_bytes,
};
use ossuary_wire::fuzzing::{Mutation, Piece, check_seeds, replay_dir};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn regressions(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target)
}

fn corpus(target: &str) -> PathBuf {
    repo().join("fuzz/corpus").join(target)
}

#[test]
fn handshake_initiator_regressions() {
    replay_dir(&regressions("handshake_initiator"), initiator_bytes);
}

#[test]
fn handshake_responder_regressions() {
    replay_dir(&regressions("handshake_responder"), responder_bytes);
}

#[test]
fn handshake_initiator_seed_corpus_replays() {
    let n = replay_dir(&corpus("handshake_initiator"), initiator_bytes);
    assert!(n >= initiator_seeds().len());
}

#[test]
fn handshake_responder_seed_corpus_replays() {
    let n = replay_dir(&corpus("handshake_responder"), responder_bytes);
    assert!(n >= responder_seeds().len());
}

#[test]
fn handshake_initiator_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus("handshake_initiator"), &initiator_seeds());
}

#[test]
fn handshake_responder_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus("handshake_responder"), &responder_seeds());
}

/// The fuzz functions' honest handshakes are the vector files' handshakes.
#[test]
fn fixed_parties_send_the_vector_messages() {
    for v in [Vectors::load("mutual"), Vectors::load("anonymous")] {
        let h = honest(v.mutual, v.mutual);
        assert_eq!(h.client_hello, v.client_hello, "{}", v.name);
        assert_eq!(h.server_hello, v.server_hello, "{}", v.name);
        assert_eq!(h.client_auth.as_ref(), Some(&v.client_auth), "{}", v.name);
    }
}

/// The messages and records of one vector file.
struct Vectors {
    name: &'static str,
    /// The mutual file (client identity, authenticating server).
    mutual: bool,
    client_hello: Vec<u8>,
    server_hello: Vec<u8>,
    client_auth: Vec<u8>,
    client_records: Vec<Vec<u8>>,
    server_records: Vec<Vec<u8>>,
}

impl Vectors {
    fn load(name: &'static str) -> Self {
        let path = repo().join(format!("docs/vectors/handshake-{name}.json"));
        let text = std::fs::read_to_string(&path).expect("vector file");
        let v: Value = serde_json::from_str(&text).expect("vector JSON");
        let records = |dir: &str| -> Vec<Vec<u8>> {
            v["records"]
                .as_array()
                .expect("records")
                .iter()
                .filter(|r| r["direction"] == dir)
                .map(|r| hex(&r["frame"]))
                .collect()
        };
        Self {
            name,
            mutual: name == "mutual",
            client_hello: hex(&v["messages"]["client_hello"]),
            server_hello: hex(&v["messages"]["server_hello"]),
            client_auth: hex(&v["messages"]["client_auth"]),
            client_records: records("client_to_server"),
            server_records: records("server_to_client"),
        }
    }
}

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("a hex string");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

const RESET_PLAIN: [u8; 4] = [0x20, 0x00, 0x01, 0x03];

fn initiator_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in [Vectors::load("mutual"), Vectors::load("anonymous")] {
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
            .extend(v.server_records.iter().cloned().map(Piece::Raw));
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
    for v in [Vectors::load("mutual"), Vectors::load("anonymous")] {
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
            .extend(v.client_records.iter().cloned().map(Piece::Raw));
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
