//! The `wire_frame` fuzz target under `cargo test` (docs/FUZZING.md):
//!
//! - the committed seed corpus `fuzz/corpus/wire_frame/`, replayed through
//!   the same fuzz function (`ossuary_testkit::wire::wire_frame`);
//! - that corpus rebuilt from `docs/vectors/*.json` (every message and
//!   record frame, each file's whole session, a plaintext RESET) and compared
//!   with the committed files; `OSSUARY_BLESS=1` rewrites them.
//!
//! Crash files go to `tests/fuzz-regressions/wire_frame/`; none has been
//! found yet, so there is no replay test for that folder (its README says
//! what to add with the first file: a replay of an empty folder would pass
//! without testing anything).

use ossuary_testkit::replay::{check_seeds, corpus_dir, replay_dir};
use ossuary_testkit::vectors::HandshakeVectors;
use ossuary_testkit::wire::wire_frame;

#[test]
fn wire_frame_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("wire_frame"), wire_frame);
    assert!(n >= seeds().len(), "{n} inputs replayed");
}

#[test]
fn wire_frame_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus_dir("wire_frame"), &seeds());
}

/// Seeds: the frames of both vector files, one per file, and each file's
/// whole session as one stream.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in HandshakeVectors::all() {
        let mut session = Vec::new();
        for (msg, bytes) in [
            ("client_hello", &v.client_hello),
            ("server_hello", &v.server_hello),
            ("client_auth", &v.client_auth),
        ] {
            session.extend_from_slice(bytes);
            seeds.push((format!("{}-{msg}", v.name), bytes.clone()));
        }
        for (i, record) in v.records.iter().enumerate() {
            session.extend_from_slice(&record.frame);
            seeds.push((format!("{}-record-{i}", v.name), record.frame.clone()));
        }
        seeds.push((format!("{}-session", v.name), session));
    }
    // A plaintext RESET (reason 3, HANDSHAKE_FAILURE): not in the vectors.
    seeds.push(("reset-plain".to_owned(), vec![0x20, 0x00, 0x01, 0x03]));
    seeds
}
