//! The `ffi_calls` fuzz target under `cargo test`, through the very driver
//! the target runs (`fuzz_driver/mod.rs`): every input that ever crashed it
//! (`tests/fuzz-regressions/ffi_calls/`) replays; its seed corpus is
//! generated here and must match `fuzz/corpus/ffi_calls/` (regenerate with
//! `OSSUARY_BLESS=1`), and every seed replays, the ones that exercise the
//! handshakes and records with plaintext the driver checked.

#[path = "../fuzz_driver/mod.rs"]
mod ffi_driver;

use ffi_driver::{Op, Outcome, Program};
use ossuary_testkit::replay::{check_seeds, corpus_dir, replay_dir};

/// A region argument: the whole room of half A or B at offset 0.
const ROOM_A: [u8; 2] = [4, 0];
const ROOM_B: [u8; 2] = [4 | 8, 0];
/// A region argument of exactly the length the call needs, in half A.
const EXACT_A: [u8; 3] = [7, 0, 1];
/// A key argument: the secret seed `k`, or its public key.
const fn seed(k: u8) -> u8 {
    1 | k << 3
}
const fn public(k: u8) -> u8 {
    2 | k << 3
}
/// The remote key of handle `k`.
const fn remote(k: u8) -> u8 {
    5 | k << 3
}
/// A non-NULL output or length pointer.
const PTR: u8 = 1;
/// The flags argument 0, and `OSSUARY_FLAG_TRUST_ON_FIRST_USE`.
const NO_FLAGS: u8 = 0;
const TOFU: u8 = 2;

fn be(n: u16) -> [u8; 2] {
    n.to_be_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// `ossuary_send_handshake` from `a`, `ossuary_recv_handshake` into `b`.
fn original_exchange(p: Program, a: u8, b: u8) -> Program {
    p.op(Op::SendHandshake, &cat(&[&[a], &ROOM_A, &[PTR]]))
        .op(Op::RecvHandshake, &cat(&[&[b, a], &ROOM_A, &[PTR]]))
}

/// The original API: a TOFU client accepts an open server by adding its
/// key, then data both ways, decrypted in place and shifted.
fn original_tofu_data() -> Vec<u8> {
    let mut p = Program::new()
        .op(Op::Create, &[0, 0, 0])
        .op(Op::Create, &[1, 2, seed(1)]);
    p = original_exchange(p, 0, 1);
    p = original_exchange(p, 1, 0);
    p = p
        .op(Op::HandshakeDone, &[0])
        .op(Op::RemoteKey, &cat(&[&[0], &ROOM_B]))
        .op(Op::AddKey, &[0, remote(0)]);
    p = original_exchange(p, 0, 1);
    p.op(Op::HandshakeDone, &[0])
        .op(Op::HandshakeDone, &[1])
        .op(
            Op::SendData,
            &cat(&[&[0], &be(100), &EXACT_A, &ROOM_B, &[PTR]]),
        )
        .op(Op::RecvData, &cat(&[&[1, 0, 1], &ROOM_A, &[0]]))
        .op(
            Op::SendData,
            &cat(&[&[1], &be(3000), &EXACT_A, &[4 | 8, 0], &[PTR]]),
        )
        .op(Op::Flush, &cat(&[&[1], &ROOM_B]))
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 2], &ROOM_A, &[3], &be(4096), &[0]]),
        )
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 3], &ROOM_A, &[5], &be(700), &[0]]),
        )
        .into_bytes()
}

/// The typed API with signer callbacks on both sides of a mutual
/// handshake, records copied and in place, a key update, a close, then
/// use after destroy.
fn typed_mutual_signers() -> Vec<u8> {
    Program::new()
        // Client: token seed 0, its own public key, user_data, free.
        .op(Op::NewWithSigner, &[0, 0, 0, 0x00, 1, NO_FLAGS, PTR, 1])
        // Authenticating server: token seed 1.
        .op(Op::NewWithSigner, &[1, 1, 1, 0x10, 1, NO_FLAGS, PTR, 1])
        .op(Op::ConnAddKey, &[0, public(1)])
        .op(Op::ConnAddKey, &[1, public(0)])
        .op(Op::Pump, &[0, 1, 3])
        .op(Op::HandshakeStatus, &[0])
        .op(Op::HandshakeStatus, &[1])
        .op(Op::ConnSend, &cat(&[&[0], &be(300), &EXACT_A, &[PTR]]))
        .op(Op::Pump, &[0, 1, 0])
        .op(Op::ConnSend, &cat(&[&[1], &be(1200), &EXACT_A, &[PTR]]))
        .op(Op::TakeOutput, &cat(&[&[1], &ROOM_B, &[PTR]]))
        .op(Op::ConnRecv, &cat(&[&[0, 1, 0], &ROOM_A, &ROOM_B, &[0]]))
        .op(Op::SealInPlace, &cat(&[&[0], &be(50), &ROOM_A, &[PTR]]))
        .op(Op::OpenInPlace, &cat(&[&[1, 0, 0], &ROOM_A]))
        .op(Op::UpdateKeys, &[0])
        .op(Op::Pump, &[0, 1, 0])
        .op(Op::Close, &[0])
        .op(Op::Pump, &[0, 1, 0])
        .op(Op::PeerClosed, &[1])
        .op(Op::EndOfInput, &[1])
        .op(Op::Destroy, &[0, 2])
        .op(Op::HandshakeStatus, &[0])
        .op(Op::ConnSend, &cat(&[&[0], &be(10), &EXACT_A, &[PTR]]))
        .op(Op::Destroy, &[1, 1])
        .into_bytes()
}

/// Signers that fail or lie, on a server and on a client.
fn failing_signers() -> Vec<u8> {
    Program::new()
        // Open server whose signer fails (mode 1); TOFU anonymous client.
        .op(Op::NewWithSigner, &[1, 1, 2, 0x01, 1, NO_FLAGS, PTR, 1])
        .op(Op::NewClient, &[0, 0, TOFU, PTR])
        .op(Op::Pump, &[0, 1, 2])
        .op(Op::HandshakeStatus, &[1])
        .op(Op::HandshakeStatus, &[0])
        // A client whose signer flips a bit (mode 2), pinned server key.
        .op(Op::NewWithSigner, &[2, 0, 0, 0x22, 1, NO_FLAGS, PTR, 1])
        .op(Op::NewServer, &[3, 1, seed(3), NO_FLAGS, PTR])
        .op(Op::ConnAddKey, &[2, public(3)])
        .op(Op::ConnAddKey, &[3, public(2)])
        .op(Op::Pump, &[2, 3, 2])
        .op(Op::HandshakeStatus, &[2])
        .op(Op::HandshakeStatus, &[3])
        // A signer set on an original client, replaced, then refused.
        .op(Op::Create, &[0, 0, 0])
        .op(Op::SetSigner, &[0, 0x20, 1, 1])
        .op(Op::SetSigner, &[0, 0x30, 1, 1])
        .op(Op::SetSecretKey, &[0, seed(1)])
        .into_bytes()
}

/// Trust refused, the RESET delivered, both sides reset, a new handshake
/// accepted.
fn tofu_reject_reset() -> Vec<u8> {
    let mut p = Program::new()
        .op(Op::NewClient, &[0, 0, TOFU, PTR])
        .op(Op::Create, &[1, 2, 0])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::RejectServer, &[0])
        .op(Op::Pump, &[0, 1, 0])
        .op(Op::Reset, &[0])
        .op(Op::Reset, &[1])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::TrustServer, &[0])
        .op(Op::Pump, &[0, 1, 1]);
    p = p.op(Op::ConnSend, &cat(&[&[1], &be(64), &EXACT_A, &[PTR]]));
    p.op(Op::Pump, &[1, 0, 0]).into_bytes()
}

/// Tampering and made-up bytes: a flipped record, a truncated handshake,
/// raw bytes, then the sticky errors.
fn tampering() -> Vec<u8> {
    Program::new()
        .op(Op::NewClient, &[0, 0, TOFU, PTR])
        .op(Op::NewServer, &[1, 2, seed(0), NO_FLAGS, PTR])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::TrustServer, &[0])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::ConnSend, &cat(&[&[0], &be(40), &EXACT_A, &[PTR]]))
        .op(Op::TakeOutput, &cat(&[&[0], &ROOM_B, &[PTR]]))
        .op(Op::Mutate, &[0, 0, 0, 10, 0x40])
        .op(Op::ConnRecv, &cat(&[&[1, 0, 1], &ROOM_A, &[0]]))
        .op(Op::HandshakeStatus, &[1])
        .op(
            Op::ConnRecv,
            &cat(&[&[1, 7, 5, 1, 2, 3, 4, 5, 0], &ROOM_A, &ROOM_B, &[0]]),
        )
        .op(Op::NewServer, &[2, 1, seed(2), NO_FLAGS, PTR])
        .op(
            Op::RecvHandshake,
            &cat(&[&[2, 7, 4, 0x10, 0, 0x30, 1], &ROOM_A, &[PTR]]),
        )
        .op(Op::HandshakeDone, &[2])
        .into_bytes()
}

/// A record that fails behind one whose plaintext is staged in the handle
/// (an in-place receive with room for one byte), then a receive with no
/// room, then one with room: the failure must come only after the staged
/// plaintext, and then for good (it came first once: see
/// `recv_data_reports_a_failure_only_after_the_plaintext_before_it`).
fn staged_then_failure() -> Vec<u8> {
    Program::new()
        .op(Op::NewClient, &[0, 0, TOFU, PTR])
        .op(Op::NewServer, &[1, 2, seed(0), NO_FLAGS, PTR])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::TrustServer, &[0])
        .op(Op::Pump, &[0, 1, 1])
        .op(Op::ConnSend, &cat(&[&[1], &be(1000), &EXACT_A, &[PTR]]))
        .op(Op::ConnSend, &cat(&[&[1], &be(10), &EXACT_A, &[PTR]]))
        .op(Op::TakeOutput, &cat(&[&[1], &ROOM_B, &[PTR]]))
        .op(Op::Mutate, &cat(&[&[1, 0], &be(1030), &[0x40]]))
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 2], &ROOM_A, &[0], &be(1), &[0]]),
        )
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 2], &ROOM_A, &[0], &be(0), &[0]]),
        )
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 2], &ROOM_A, &[0], &be(4096), &[0]]),
        )
        .op(
            Op::RecvData,
            &cat(&[&[0, 1, 2], &ROOM_A, &[0], &be(4096), &[0]]),
        )
        .into_bytes()
}

/// Bad arguments everywhere: NULL, huge lengths, invalid enums and flags,
/// overlapping key pair buffers, the keys functions.
fn bad_arguments() -> Vec<u8> {
    let huge = [5u8, 0, 0];
    Program::new()
        .op(Op::Create, &[0, 7, 0x7f, 0xff, 0xff, 0xff, 0])
        .op(Op::Create, &[1, 4, 0])
        .op(Op::NewClient, &[0, seed(0), 4, PTR])
        .op(Op::NewClient, &[0, seed(0), NO_FLAGS, 0])
        .op(Op::NewServer, &[1, 0, seed(1), NO_FLAGS, PTR])
        .op(Op::NewServer, &[1, 5, seed(1), NO_FLAGS, PTR])
        .op(Op::NewServer, &[1, 1, 0, NO_FLAGS, PTR])
        .op(
            Op::NewServer,
            &[1, 1, seed(1), 5, 0xff, 0xff, 0xff, 0xfe, PTR],
        )
        .op(
            Op::NewWithSigner,
            &[2, 0, 0, 0x00, 0x04, 4, NO_FLAGS, PTR, 1],
        )
        .op(Op::NewWithSigner, &[2, 0, 0, 0x00, 1, NO_FLAGS, PTR, 0])
        .op(Op::NewWithSigner, &[2, 1, 3, 0x00, 1, NO_FLAGS, PTR, 1])
        .op(Op::NewClient, &[0, seed(0), NO_FLAGS, PTR])
        .op(Op::ConnSend, &cat(&[&[0], &be(10), &huge, &[PTR]]))
        .op(Op::TakeOutput, &cat(&[&[0], &huge, &[PTR]]))
        .op(Op::TakeOutput, &cat(&[&[0], &[0, 0, 9], &[PTR]]))
        .op(Op::LocalKey, &cat(&[&[0], &huge]))
        .op(Op::LocalKey, &cat(&[&[0], &[7, 0, 0]]))
        .op(Op::RemoteKey, &cat(&[&[0], &[7, 0, 0]]))
        .op(Op::SealInPlace, &cat(&[&[0], &be(10), &huge, &[PTR]]))
        .op(Op::ConnRecv, &cat(&[&[0, 1, 1], &huge, &[0]]))
        .op(Op::AddKeys, &[0, 3, public(1), 0, 4, 3])
        .op(Op::AddKeys, &[0, 2, public(1), public(2), 0x82])
        .op(Op::GenerateKeypair, &[7, 0, 1, 7, 16, 1])
        .op(Op::GenerateKeypair, &[7, 0, 1, 7 | 8, 0, 1])
        .op(Op::ErrorString, &[0xff, 0xff, 0xff, 0xa1])
        .op(Op::ErrorString, &[0x80, 0, 0, 0])
        .op(Op::Version, &[])
        .op(Op::KeyText, &[0, public(0), 7 | 8, 0, 1, PTR])
        .op(Op::KeyText, &[1, 4, 4 | 8, 0, PTR])
        .op(Op::KeyText, &[2, 0, 1, 3, b'a', b'b', b'c', 4 | 8, 0])
        .op(
            Op::KeyText,
            &[
                3,
                public(0),
                2,
                4,
                b'a',
                b':',
                b'1',
                b'\n',
                0,
                22,
                3,
                b'a',
                b'.',
                b'b',
                1,
            ],
        )
        .op(Op::KeyText, &[4, public(0), 2, 1, b'#', 0, 0, 0, 1])
        .op(Op::KeyText, &[5, 0, 2, 1, 4 | 8, 0])
        .op(Op::KeyText, &[6, seed(0), 1, 1])
        .op(Op::Destroy, &[0, 0])
        .op(Op::Destroy, &[0, 1])
        .op(Op::HandshakeDone, &[0])
        .op(Op::SetSigner, &[0, 0x00, 1, 1])
        .into_bytes()
}

/// Every program above, one after the other, on the same handles (and a
/// longest seed, which lets libFuzzer grow its inputs that far).
fn all_in_sequence() -> Vec<u8> {
    [
        original_tofu_data(),
        typed_mutual_signers(),
        failing_signers(),
        tofu_reject_reset(),
        tampering(),
        staged_then_failure(),
        bad_arguments(),
    ]
    .concat()
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    [
        ("original-tofu-data", original_tofu_data()),
        ("typed-mutual-signers", typed_mutual_signers()),
        ("failing-signers", failing_signers()),
        ("tofu-reject-reset", tofu_reject_reset()),
        ("tampering", tampering()),
        ("staged-then-failure", staged_then_failure()),
        ("bad-arguments", bad_arguments()),
        ("all-in-sequence", all_in_sequence()),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_owned(), bytes))
    .collect()
}

#[test]
fn ffi_calls_regressions() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/ffi_calls");
    let n = replay_dir(&dir, |bytes| {
        ffi_driver::run(bytes);
    });
    assert_eq!(n, 3, "{n} inputs replayed");
}

#[test]
fn ffi_calls_seed_corpus_matches_the_programs() {
    check_seeds(&corpus_dir("ffi_calls"), &seeds());
}

#[test]
fn ffi_calls_seed_corpus_replays() {
    let n = replay_dir(&corpus_dir("ffi_calls"), |bytes| {
        ffi_driver::run(bytes);
    });
    assert_eq!(n, seeds().len());
}

/// The seeds reach what they are for: handshakes completed and records
/// whose plaintext the driver checked, and signer callbacks called.
#[test]
fn the_seeds_reach_sessions_and_signers() {
    let outcome = |bytes: &[u8]| -> Outcome { ffi_driver::run(bytes) };
    let original = outcome(&original_tofu_data());
    assert_eq!(original.checked_plaintext, 100 + 3000, "{original:?}");
    assert_eq!(original.plaintext, original.checked_plaintext);
    let signers = outcome(&typed_mutual_signers());
    assert_eq!(signers.checked_plaintext, 300 + 1200 + 50, "{signers:?}");
    assert_eq!(signers.signer_calls, 2);
    let failing = outcome(&failing_signers());
    assert_eq!(failing.signer_calls, 2, "{failing:?}");
    // After the resets the streams are beyond the oracle, but the new
    // session carries the data.
    let reset = outcome(&tofu_reject_reset());
    assert_eq!(reset.plaintext, 64, "{reset:?}");
    let tampered = outcome(&tampering());
    assert_eq!(tampered.plaintext, 0, "{tampered:?}");
    let staged = outcome(&staged_then_failure());
    assert_eq!(staged.plaintext, 1000, "{staged:?}");
    outcome(&bad_arguments());
    let all = outcome(&all_in_sequence());
    assert!(all.signer_calls >= 4, "{all:?}");
}
