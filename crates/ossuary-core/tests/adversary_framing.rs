//! An active attacker between two real endpoints (issue 4, "Adversarial
//! peer tests"): rewritten versions and reserved flags, low-order X25519
//! keys, lying length fields, floods of handshakes and garbage, and peers
//! too slow for the handshake deadline.
//!
//! The attacker is [`Adversary`] (`adversary/harness.rs`): it owns the two
//! byte queues, parses every frame, and can drop, replay, reorder, rewrite,
//! reflect, inject, or splice frames from other sessions. Each test asserts
//! the specific rejection: the exact error on the side that must detect it,
//! that no plaintext was delivered, that the other side did not end
//! established with the attacker, and which RESET went out (PROTOCOL.md
//! §10.1, §11). The other adversary files: `adversary_replay.rs`,
//! `adversary_identity.rs`, `adversary_framing.rs`, `adversary_records.rs`.

mod common;
#[path = "adversary/harness.rs"]
mod harness;
#[path = "adversary/helpers.rs"]
mod helpers;

use std::collections::VecDeque;
use std::time::Duration;

use common::*;
use harness::{Adversary, ResetFrame};
use helpers::*;
use ossuary_core::{
    Config, Connection, DecodeError, Error, FrameType, HandshakeStatus, ResetReason, Role,
};

// ---------------------------------------------------------- downgrade ----

#[test]
fn version_rewritten_in_client_hello() {
    for version in [0u8, 2] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][3] = version;
        adv.forward(Side::Client);
        let unsupported = Error::Decode(DecodeError::UnsupportedVersion(version));
        adv.assert_rejected(
            Side::Server,
            unsupported,
            ResetFrame::Plain(ResetReason::UNSUPPORTED_VERSION),
        );
        adv.assert_only_plain_reset(Side::Server, ResetReason::UNSUPPORTED_VERSION);
        adv.assert_peer_learns(Side::Server, ResetReason::UNSUPPORTED_VERSION);
        // No fallback (PROTOCOL.md §14): the client answers RESET(0) and
        // sends no second CLIENT_HELLO.
        adv.assert_only_plain_reset(Side::Client, ResetReason::UNSPECIFIED);
    }
}

#[test]
fn version_rewritten_in_server_hello() {
    for version in [0u8, 2] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][3] = version;
        adv.forward(Side::Server);
        let unsupported = Error::Decode(DecodeError::UnsupportedVersion(version));
        adv.assert_rejected(
            Side::Client,
            unsupported,
            ResetFrame::Plain(ResetReason::UNSUPPORTED_VERSION),
        );
        adv.assert_only_plain_reset(Side::Client, ResetReason::UNSUPPORTED_VERSION);
        adv.assert_peer_learns(Side::Client, ResetReason::UNSUPPORTED_VERSION);
    }
}

#[test]
fn reserved_flag_bits_are_refused() {
    for flags in [0x01u8, 0x80] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][4] = flags;
        adv.forward(Side::Client);
        assert!(
            matches!(
                adv.err(Side::Server),
                Some(Error::Decode(DecodeError::ReservedFlags { flags: f, .. })) if f == flags
            ),
            "{:?}",
            adv.err(Side::Server)
        );
        let error = adv.err(Side::Server).unwrap();
        let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
        adv.assert_rejected(Side::Server, error, decode);
        adv.assert_peer_learns(Side::Server, ResetReason::DECODE_ERROR);
    }
    for flags in [0x02u8, 0x81] {
        let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][4] = flags;
        adv.forward(Side::Server);
        assert!(
            matches!(
                adv.err(Side::Client),
                Some(Error::Decode(DecodeError::ReservedFlags { flags: f, .. })) if f == flags
            ),
            "{:?}",
            adv.err(Side::Client)
        );
        let error = adv.err(Side::Client).unwrap();
        let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
        adv.assert_rejected(Side::Client, error, decode);
        assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    }
}

// --------------------------------------------------- low-order X25519 ----

#[test]
fn low_order_client_ephemeral_key() {
    let sid = Identity::generate();
    for point in low_order_points() {
        let mut adv = Adversary::new(
            client(None, &[sid.public()]),
            server(Role::OpenServer, &sid, &[]),
        );
        adv.capture(Side::Client);
        adv.held_mut(Side::Client)[0][5..37].copy_from_slice(&point);
        adv.forward(Side::Client);
        adv.assert_rejected(Side::Server, NON_CONTRIBUTORY, PLAIN_3);
        // No SERVER_HELLO: nothing was signed or sealed for this key.
        adv.assert_only_plain_reset(Side::Server, ResetReason::HANDSHAKE_FAILURE);
        adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_FAILURE);
    }
}

#[test]
fn low_order_server_ephemeral_key() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    for point in low_order_points() {
        let mut adv = Adversary::mutual(&cid, &sid);
        adv.capture(Side::Client);
        adv.forward(Side::Client);
        adv.capture(Side::Server);
        adv.held_mut(Side::Server)[0][5..37].copy_from_slice(&point);
        adv.forward(Side::Server);
        // Refused before any key is derived or anything opened (§11.1).
        adv.assert_rejected(Side::Client, NON_CONTRIBUTORY, PLAIN_3);
        adv.assert_only_plain_reset(Side::Client, ResetReason::HANDSHAKE_FAILURE);
        assert_no_remote(&adv, Side::Client);
        adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_FAILURE);
    }
}

// ------------------------------------------------------ length fields ----

#[test]
fn client_hello_header_claiming_65535_bytes() {
    let sid = Identity::generate();
    let mut adv = Adversary::new(client(None, &[]), server(Role::OpenServer, &sid, &[]));
    // The header alone decides: the server neither waits for nor buffers
    // the 65535 bytes it announces.
    adv.inject(Side::Server, &[CLIENT_HELLO, 0xff, 0xff]);
    let refused = bad_length(FrameType::CLIENT_HELLO, 65535);
    let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
    adv.assert_rejected(Side::Server, refused, decode);
    // The body that follows is not read.
    let more = vec![0u8; 4096];
    assert_eq!(
        adv.conn_mut(Side::Server).recv_handshake(&more),
        Err(refused)
    );
}

#[test]
fn oversized_frame_of_an_unknown_type_is_refused_at_its_header() {
    // An unassigned type may announce 65535 bytes; no state takes it, so
    // the server refuses it as soon as its header is in, consumes none of
    // it (issue 10: it used to read the whole frame first), and reads
    // nothing after it.
    let sid = Identity::generate();
    let mut s = server(Role::OpenServer, &sid, &[]);
    let mut input = vec![0x7f, 0xff, 0xff];
    input.resize(3 + 65535 + 4096, 0xee);
    let refused = unexpected(&[], FrameType(0x7f));
    assert_eq!(s.recv_handshake(&input[..3]), Err(refused));
    assert_eq!(s.handshake_status(), Err(refused));
    assert_eq!(s.recv_handshake(&input), Err(refused));
    assert_eq!(s.recv_handshake(&input[3 + 65535..]), Err(refused));
    assert_eq!(
        s.pending_output(),
        plain_reset(ResetReason::DECODE_ERROR),
        "only the RESET"
    );
}

#[test]
fn zero_length_frames_of_types_that_need_a_body() {
    let decode = ResetFrame::Plain(ResetReason::DECODE_ERROR);
    // Handshake frames, each where it would be expected.
    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.inject(Side::Server, &[CLIENT_HELLO, 0, 0]);
    adv.assert_rejected(Side::Server, bad_length(FrameType::CLIENT_HELLO, 0), decode);

    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.capture(Side::Client);
    adv.inject(Side::Client, &[SERVER_HELLO, 0, 0]);
    adv.assert_rejected(Side::Client, bad_length(FrameType::SERVER_HELLO, 0), decode);

    let mut adv = Adversary::mutual(&Identity::generate(), &Identity::generate());
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    adv.take(Side::Server);
    adv.inject(Side::Server, &[CLIENT_AUTH, 0, 0]);
    adv.assert_rejected(Side::Server, bad_length(FrameType::CLIENT_AUTH, 0), decode);
    assert_no_remote(&adv, Side::Server);

    // Records, to either established side.
    for ty in [DATA, KEY_UPDATE, CLOSE, RESET] {
        for to in SIDES {
            let mut adv = Adversary::connected();
            adv.inject(to, &[ty, 0, 0]);
            adv.assert_rejected(to, bad_length(FrameType(ty), 0), ResetFrame::Sealed);
            adv.assert_peer_learns(to, ResetReason::DECODE_ERROR);
        }
    }
}

#[test]
fn data_record_with_a_cut_length_field() {
    // Shortened but legal: the frame ends early, inside the ciphertext.
    let mut adv = Adversary::connected();
    adv.send(Side::Client, &[0x42; 40]);
    let mut record = adv.take(Side::Client);
    assert_eq!(record.len(), 3 + 40 + 16);
    record[2] -= 10;
    adv.inject(Side::Server, &record);
    adv.assert_rejected(Side::Server, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);

    // Shortened below the tag: a decode error.
    let mut adv = Adversary::connected();
    adv.send(Side::Client, &[0x42; 40]);
    let mut record = adv.take(Side::Client);
    record[1..3].copy_from_slice(&15u16.to_be_bytes());
    adv.inject(Side::Server, &record);
    let decode = bad_length(FrameType::DATA, 15);
    adv.assert_rejected(Side::Server, decode, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::DECODE_ERROR);
}

#[test]
fn data_record_with_a_lengthened_length_field() {
    let mut adv = Adversary::connected();
    adv.send(Side::Client, b"first record");
    adv.send(Side::Client, b"second record");
    let mut first = adv.take(Side::Client);
    first[2] += 8;
    adv.inject(Side::Server, &first);
    // A frame cut short waits for the rest: nothing released, no error.
    assert_eq!(adv.err(Side::Server), None);
    assert!(adv.rx(Side::Server).is_empty());
    // The next record's first bytes complete it; it does not open, and
    // neither record's plaintext is released.
    adv.forward(Side::Client);
    adv.assert_rejected(Side::Server, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(Side::Server, ResetReason::RECORD_FAILURE);
}

// ------------------------------------------------------------- floods ----

#[test]
fn flood_of_client_hellos_to_fresh_servers() {
    // One genuine CLIENT_HELLO replayed to 10 000 new server connections
    // (a SYN-flood-like start of handshakes). Each half-open connection
    // holds its SERVER_HELLO and nothing more, the oldest are dropped (a
    // bounded accept backlog), and the ones kept all time out. The library
    // has no global state: the next honest client connects as usual.
    const STARTS: usize = 10_000;
    const BACKLOG: usize = 64;
    let sid = Identity::generate();
    let clock = FakeClock::new();
    let hello = some_client_hello();
    let mut backlog = VecDeque::new();
    for _ in 0..STARTS {
        let mut s =
            Connection::with_identity(Role::OpenServer, config_with_clock(&clock), sid.signer())
                .unwrap();
        assert_eq!(s.recv_handshake(&hello), Ok(1253));
        assert_eq!(s.pending_output().len(), 1237);
        assert_eq!(s.pending_output()[0], SERVER_HELLO);
        backlog.push_back(s);
        if backlog.len() > BACKLOG {
            backlog.pop_front();
        }
    }
    clock.advance(Duration::from_secs(10) + Duration::from_nanos(1));
    for s in &mut backlog {
        assert_eq!(handshake_done(s), Err(STALLED));
        assert_eq!(s.pending_output().len(), 1237 + 4);
        assert_eq!(
            &s.pending_output()[1237..],
            plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
        );
    }
    let mut adv = Adversary::new(
        client(None, &[sid.public()]),
        server(Role::OpenServer, &sid, &[]),
    );
    adv.connect();
}

#[test]
fn garbage_flood_on_one_server_is_bounded() {
    // One server connection, fed 10 000 malformed or misplaced first
    // frames, re-handshaking after each (the application allows it): every
    // round ends in exactly one 4-byte RESET and no other output, and the
    // connection still serves an honest client afterwards.
    const ROUNDS: usize = 10_000;
    let sid = Identity::generate();
    let config = Config {
        max_resets: u32::MAX,
        ..Config::default()
    };
    let mut s = server_with(Role::OpenServer, config, &sid, &[]);
    // Whole frames by their length fields, as a byte stream carries them.
    let mut huge_hello = vec![CLIENT_HELLO, 0xff, 0xff];
    huge_hello.resize(3 + 65535, 0xee);
    let mut early_data = vec![DATA, 0, 16];
    early_data.extend([0u8; 16]);
    let mut version_9 = vec![CLIENT_HELLO, 0x04, 0xe2, 9];
    version_9.extend([0u8; 1249]);
    let garbage: [(&[u8], ResetReason); 6] = [
        (&huge_hello, ResetReason::DECODE_ERROR),
        (&[0x7f, 0, 2, 1, 2], ResetReason::DECODE_ERROR),
        (&[CLIENT_AUTH, 0, 3, 1, 2, 3], ResetReason::DECODE_ERROR),
        (&early_data, ResetReason::HANDSHAKE_FAILURE),
        (&forged(RESET, 17), ResetReason::HANDSHAKE_FAILURE),
        (&version_9, ResetReason::UNSUPPORTED_VERSION),
    ];
    let peer_reset = plain_reset(ResetReason::UNSPECIFIED);
    for round in 0..ROUNDS {
        let (bytes, reason) = garbage[round % garbage.len()];
        // A refused header consumes nothing; a frame refused after its
        // body was in is consumed whole.
        let consumed = s.recv_handshake(bytes).unwrap_or(0);
        assert!(s.handshake_status().is_err());
        assert_eq!(s.pending_output(), plain_reset(reason), "round {round}");
        s.advance_output(4);
        s.reset().unwrap();
        // The rest of the stream: what was not consumed (skipped by its
        // length field), then the peer's RESET, which ends the wait; the
        // server is fresh again.
        let rest = [&bytes[consumed..], &peer_reset[..]].concat();
        assert_eq!(s.recv_handshake(&rest), Ok(rest.len()), "round {round}");
        assert_eq!(s.handshake_status(), Ok(HandshakeStatus::InProgress));
        assert!(s.pending_output().is_empty());
    }
    let mut adv = Adversary::new(client(None, &[sid.public()]), s);
    adv.connect();

    // With the default limit the garbage ends the connection for good after
    // three re-handshakes; after that nothing is read and nothing is sent.
    let mut s = server(Role::OpenServer, &sid, &[]);
    let rest = [garbage[0].0, &peer_reset[..]].concat();
    for _ in 0..3 {
        assert!(recv_handshake_now(&mut s, garbage[0].0).is_err());
        s.advance_output(4);
        s.reset().unwrap();
        assert_eq!(s.recv_handshake(&rest), Ok(rest.len()));
    }
    let refused = bad_length(FrameType::CLIENT_HELLO, 65535);
    assert_eq!(recv_handshake_now(&mut s, garbage[0].0), Err(refused));
    s.advance_output(4);
    assert_eq!(s.reset(), Err(Error::ResetLimit));
    for (bytes, _) in garbage {
        assert_eq!(s.recv_handshake(bytes), Err(refused));
    }
    assert!(s.pending_output().is_empty());
}

// ---------------------------------------------------------- slow peer ----

const TIMEOUT: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_nanos(1);

#[test]
fn slow_client_auth_times_out_the_server() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client_clock, server_clock) = (FakeClock::new(), FakeClock::new());
    let mut adv = Adversary::new(
        client_with(
            config_with_clock(&client_clock),
            Some(&cid),
            &[sid.public()],
        ),
        server_with(
            Role::AuthenticatingServer,
            config_with_clock(&server_clock),
            &sid,
            &[cid.public()],
        ),
    );
    to_client_auth(&mut adv);
    // The client is established and sends at once; the adversary holds it
    // all back past the server's deadline.
    adv.send(Side::Client, b"early data");
    server_clock.advance(TIMEOUT + TICK);
    let late = handshake_done(adv.conn_mut(Side::Server));
    assert_eq!(adv.note(Side::Server, late), Err(STALLED));
    // The late CLIENT_AUTH and data change nothing.
    adv.forward_all(Side::Client);
    adv.assert_rejected(
        Side::Server,
        STALLED,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    assert_no_remote(&adv, Side::Server);
    adv.assert_peer_learns(Side::Server, ResetReason::HANDSHAKE_TIMEOUT);
}

#[test]
fn slow_server_hello_times_out_the_client() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client_clock, server_clock) = (FakeClock::new(), FakeClock::new());
    let mut adv = Adversary::new(
        client_with(
            config_with_clock(&client_clock),
            Some(&cid),
            &[sid.public()],
        ),
        server_with(
            Role::AuthenticatingServer,
            config_with_clock(&server_clock),
            &sid,
            &[cid.public()],
        ),
    );
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    client_clock.advance(TIMEOUT + TICK);
    let late = handshake_done(adv.conn_mut(Side::Client));
    // The SERVER_HELLO is held back: the client never heard from its peer.
    assert_eq!(adv.note(Side::Client, late), Err(SILENT));
    adv.forward_all(Side::Server);
    adv.assert_rejected(
        Side::Client,
        SILENT,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    assert_eq!(adv.held_types(Side::Client), [RESET], "no CLIENT_AUTH");
    assert_no_remote(&adv, Side::Client);
    adv.assert_peer_learns(Side::Client, ResetReason::HANDSHAKE_TIMEOUT);
}

#[test]
fn slowloris_client_hello_times_out_the_server() {
    // One byte a second: arriving bytes do not extend the deadline, which
    // runs from the server's construction (PROTOCOL.md §12).
    let sid = Identity::generate();
    let clock = FakeClock::new();
    let mut adv = Adversary::new(
        client(None, &[sid.public()]),
        server_with(Role::OpenServer, config_with_clock(&clock), &sid, &[]),
    );
    adv.capture(Side::Client);
    let hello = adv.take(Side::Client);
    for (second, byte) in hello.iter().enumerate().take(11) {
        assert!(second <= 10);
        adv.inject(Side::Server, &[*byte]);
        assert_eq!(adv.err(Side::Server), None, "second {second}");
        clock.advance(Duration::from_secs(1));
    }
    // At 11 s the next byte finds the deadline passed.
    adv.inject(Side::Server, &hello[11..12]);
    adv.assert_rejected(
        Side::Server,
        STALLED,
        ResetFrame::Plain(ResetReason::HANDSHAKE_TIMEOUT),
    );
    adv.assert_only_plain_reset(Side::Server, ResetReason::HANDSHAKE_TIMEOUT);
}
