//! The `session_open` and `io_stream` fuzz targets under `cargo test`
//! (docs/FUZZING.md; needs the testkit's `core` feature):
//!
//! - every crash the fuzzer ever found, kept in
//!   `tests/fuzz-regressions/<target>/`, replayed through the same fuzz
//!   function (`ossuary_testkit::core::{session_open,io_stream}_bytes`); a
//!   target gets its replay test with its first crash file;
//! - the committed seed corpora `fuzz/corpus/<target>/`, replayed too;
//! - those corpora rebuilt from `docs/vectors/*.json` and compared with the
//!   committed files (`OSSUARY_BLESS=1` rewrites them), after checking that
//!   the fuzz functions' honest session starts with the vector files' bytes.

use std::path::{Path, PathBuf};

use ossuary_testkit::core::{
    SessionInput, SessionOp, StreamInput, StreamOp, honest_session, io_stream_bytes,
    session_open_bytes,
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
fn session_open_regressions() {
    let n = replay_dir(&regressions("session_open"), session_open_bytes);
    assert_eq!(n, 1, "{n} inputs replayed");
}

#[test]
fn io_stream_regressions() {
    let n = replay_dir(&regressions("io_stream"), io_stream_bytes);
    assert_eq!(n, 1, "{n} inputs replayed");
}

#[test]
fn session_open_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("session_open"), session_open_bytes);
    assert!(n >= session_seeds().len(), "{n} inputs replayed");
}

#[test]
fn io_stream_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("io_stream"), io_stream_bytes);
    assert!(n >= stream_seeds().len(), "{n} inputs replayed");
}

#[test]
fn session_open_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus_dir("session_open"), &session_seeds());
}

#[test]
fn io_stream_seed_corpus_matches_the_vectors() {
    check_seeds(&corpus_dir("io_stream"), &stream_seeds());
}

/// The fuzz functions' honest session is the vector files' session, extended:
/// the same handshake messages, the same first records, and the files' CLOSE
/// frames among the alternatives.
#[test]
fn honest_session_extends_the_vectors() {
    for v in HandshakeVectors::all() {
        let s = honest_session(v.mutual);
        let (client_records, server_records) = (v.records_from(true), v.records_from(false));
        assert_eq!(
            s.client.handshake,
            [v.client_hello.clone(), v.client_auth.clone()]
        );
        assert_eq!(s.server.handshake, std::slice::from_ref(&v.server_hello));
        // Client: DATA, KEY_UPDATE, DATA, then the files' CLOSE.
        assert_eq!(s.client.records[..3], client_records[..3]);
        assert_eq!(s.client.alternatives[0], client_records[3]);
        // Server: DATA, empty DATA, then the files' CLOSE.
        assert_eq!(s.server.records[..2], server_records[..2]);
        assert_eq!(s.server.alternatives[0], server_records[2]);
    }
}

/// What the peer of the side under test sends: handshake messages, records.
fn peer(v: &HandshakeVectors, is_client: bool) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    if is_client {
        (vec![v.server_hello.clone()], v.records_from(false))
    } else {
        (
            vec![v.client_hello.clone(), v.client_auth.clone()],
            v.records_from(true),
        )
    }
}

fn raw(frames: &[Vec<u8>]) -> impl Iterator<Item = Piece> + '_ {
    frames.iter().cloned().map(Piece::Raw)
}

fn session_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in HandshakeVectors::all() {
        for is_client in [true, false] {
            let side = if is_client { "client" } else { "server" };
            let (handshake, records) = peer(&v, is_client);
            let frames = honest_session(v.mutual);
            let peer = if is_client {
                &frames.server
            } else {
                &frames.client
            };
            let all = u8::try_from(peer.frames().len()).expect("few frames");
            let hs = u8::try_from(peer.handshake.len()).expect("few frames");
            let base = SessionInput {
                mutual: v.mutual,
                is_client,
                auto_handshake: false,
                tofu: false,
                approve: true,
                small_records: false,
                refuse_unknown: false,
                pin_other: false,
                chunk: 0,
                out_len: 0,
                ops: raw(&handshake)
                    .chain(raw(&records))
                    .map(SessionOp::Piece)
                    .collect(),
            };
            let mut cases = vec![
                ("vector", base.clone()),
                (
                    "honest-all",
                    SessionInput {
                        ops: (0..all)
                            .map(|i| SessionOp::Piece(Piece::Honest(i)))
                            .collect(),
                        ..base.clone()
                    },
                ),
                (
                    "chunked",
                    SessionInput {
                        chunk: 7,
                        out_len: 5,
                        ..base.clone()
                    },
                ),
                (
                    "in-place",
                    SessionInput {
                        auto_handshake: true,
                        ops: vec![SessionOp::InPlace(Piece::Raw(records.concat()))],
                        ..base.clone()
                    },
                ),
                (
                    "mixed",
                    SessionInput {
                        auto_handshake: true,
                        small_records: true,
                        ops: vec![
                            SessionOp::Send(300),
                            SessionOp::SealInPlace(10),
                            SessionOp::Piece(Piece::Raw(records[0].clone())),
                            SessionOp::UpdateKeys,
                            SessionOp::Drain,
                            SessionOp::Piece(Piece::Mutated(
                                hs + 1,
                                vec![Mutation::Xor { at: 5, mask: 1 }],
                            )),
                            SessionOp::Reset,
                            SessionOp::Piece(Piece::Raw(vec![0x20, 0x00, 0x01, 0x07])),
                            SessionOp::Piece(Piece::Honest(0)),
                            SessionOp::Advance(11),
                            SessionOp::Close,
                        ],
                        ..base.clone()
                    },
                ),
            ];
            if is_client {
                for approve in [true, false] {
                    cases.push((
                        if approve {
                            "tofu-approve"
                        } else {
                            "tofu-reject"
                        },
                        SessionInput {
                            auto_handshake: true,
                            tofu: true,
                            approve,
                            ops: raw(&records).map(SessionOp::Piece).collect(),
                            ..base.clone()
                        },
                    ));
                }
            }
            for (case, input) in cases {
                seeds.push((format!("{}-{side}-{case}", v.name), input.to_bytes()));
            }
        }
    }
    seeds
}

fn stream_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for v in HandshakeVectors::all() {
        for is_client in [true, false] {
            let side = if is_client { "client" } else { "server" };
            let (handshake, records) = peer(&v, is_client);
            let mut ops: Vec<StreamOp> = raw(&handshake).map(StreamOp::Piece).collect();
            ops.push(StreamOp::Handshake);
            ops.extend(raw(&records).map(StreamOp::Piece));
            ops.extend(std::iter::repeat_n(StreamOp::Read(4096), 4));
            ops.extend([StreamOp::Write(10), StreamOp::Close]);
            let base = StreamInput {
                mutual: v.mutual,
                is_client,
                auto_handshake: false,
                tofu: false,
                approve: true,
                refuse_unknown: false,
                pin_other: false,
                read_chunk: 0,
                write_chunk: 0,
                ops,
            };
            let mut faults = vec![
                StreamOp::ReadFault(0),
                StreamOp::Read(100),
                StreamOp::Piece(Piece::Raw(records.concat())),
                StreamOp::ReadFault(1),
                StreamOp::Read(100),
                StreamOp::WriteFault(0),
                StreamOp::Write(50),
                StreamOp::WriteFault(1),
                StreamOp::Flush,
            ];
            faults.extend(std::iter::repeat_n(StreamOp::Read(4096), 3));
            let mut cases = vec![
                ("vector", base.clone()),
                (
                    "chunked",
                    StreamInput {
                        read_chunk: 3,
                        write_chunk: 5,
                        ..base.clone()
                    },
                ),
                (
                    "faults",
                    StreamInput {
                        auto_handshake: true,
                        ops: faults,
                        ..base.clone()
                    },
                ),
            ];
            if is_client {
                let mut ops = vec![StreamOp::Handshake, StreamOp::Trust];
                ops.extend(raw(&records).map(StreamOp::Piece));
                ops.extend(std::iter::repeat_n(StreamOp::Read(4096), 3));
                cases.push((
                    "tofu",
                    StreamInput {
                        auto_handshake: true,
                        tofu: true,
                        ops,
                        ..base.clone()
                    },
                ));
            }
            for (case, input) in cases {
                seeds.push((format!("{}-{side}-{case}", v.name), input.to_bytes()));
            }
        }
    }
    seeds
}
