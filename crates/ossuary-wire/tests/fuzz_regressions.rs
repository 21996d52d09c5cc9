//! The `wire_frame` fuzz target under `cargo test` (docs/FUZZING.md):
//!
//! - every crash the fuzzer ever found, kept in
//!   `tests/fuzz-regressions/wire_frame/`, replayed through the same fuzz
//!   function (`ossuary_wire::fuzzing::wire_frame`);
//! - the committed seed corpus `fuzz/corpus/wire_frame/`, replayed too;
//! - that corpus rebuilt from `docs/vectors/*.json` (every message and
//!   record frame, each file's whole session, a plaintext RESET) and compared
//!   with the committed files; `OSSUARY_BLESS=1` rewrites them.

use std::path::{Path, PathBuf};

use ossuary_wire::fuzzing::{check_seeds, replay_dir, wire_frame};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn wire_frame_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/wire_frame");
    replay_dir(&dir, wire_frame);
}

#[test]
fn wire_frame_seed_corpus_replays() {
    let n = replay_dir(&repo().join("fuzz/corpus/wire_frame"), wire_frame);
    assert!(n >= seeds().len());
}

#[test]
fn wire_frame_seed_corpus_matches_the_vectors() {
    check_seeds(&repo().join("fuzz/corpus/wire_frame"), &seeds());
}

fn hex(v: &Value) -> Vec<u8> {
    let s = v.as_str().expect("a hex string");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Seeds: the frames of both vector files, one per file, and each file's
/// whole session as one stream.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for name in ["mutual", "anonymous"] {
        let path = repo().join(format!("docs/vectors/handshake-{name}.json"));
        let text = std::fs::read_to_string(&path).expect("vector file");
        let v: Value = serde_json::from_str(&text).expect("vector JSON");
        let mut session = Vec::new();
        for msg in ["client_hello", "server_hello", "client_auth"] {
            let bytes = hex(&v["messages"][msg]);
            session.extend_from_slice(&bytes);
            seeds.push((format!("{name}-{msg}"), bytes));
        }
        for (i, record) in v["records"].as_array().expect("records").iter().enumerate() {
            let bytes = hex(&record["frame"]);
            session.extend_from_slice(&bytes);
            seeds.push((format!("{name}-record-{i}"), bytes));
        }
        seeds.push((format!("{name}-session"), session));
    }
    // A plaintext RESET (reason 3, HANDSHAKE_FAILURE): not in the vectors.
    seeds.push(("reset-plain".to_owned(), vec![0x20, 0x00, 0x01, 0x03]));
    seeds
}
