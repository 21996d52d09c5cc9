//! The record layer against an attacker who replays, reorders, drops,
//! truncates, reflects or re-injects records (PROTOCOL.md sections 7, 9,
//! 11.4). Every case is a record failure and releases no plaintext.

mod common;

use common::*;
use ossuary_core::{Error, FrameType, ResetReason, Stream};
use std::io::{ErrorKind, Read, Write};

/// Seals `msg` on `side` and returns the record bytes, leaving the wire empty.
fn seal(p: &mut Pair, side: Side, msg: &[u8]) -> Vec<u8> {
    p.send(side, msg).unwrap();
    std::mem::take(p.outbound(side))
}

/// Asserts the server failed with `err`, released nothing
/// and answered with a sealed RESET (reason 7).
fn assert_server_failed(p: &mut Pair, err: Error) {
    assert_eq!(p.server_err, Some(err));
    assert_eq!(p.server.handshake_status(), Err(err));
    assert!(p.server_rx.is_empty(), "released {:?}", p.server_rx);
    assert!(!p.server.peer_closed());
    p.transmit(Side::Server);
    let frames = split_frames(&p.s2c);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, RESET);
    assert_eq!(frames[0].1.len(), 20, "sealed RESET");
    // The client opens it: the reason is authenticated.
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(sealed_reset_error(ResetReason::RECORD_FAILURE))
    );
}

#[test]
fn records_in_order_are_accepted() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"one");
    let r2 = seal(&mut p, Side::Client, b"two");
    p.c2s = [r1, r2].concat();
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"onetwo");
}

#[test]
fn replayed_record_is_rejected() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"pay 100");
    p.c2s = r1.clone();
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"pay 100");
    p.c2s = r1;
    p.deliver(Side::Server);
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn replayed_record_right_after_itself_is_rejected() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"pay 100");
    p.c2s = [r1.clone(), r1].concat();
    p.deliver(Side::Server);
    p.server_rx.clear(); // see the next test
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn plaintext_before_a_failing_record_in_the_same_input_is_delivered() {
    // A genuine record followed, in the same input, by a bad one (here a
    // replay of it). The first record opened and its plaintext was written
    // to `out`, but recv_data returns Err and the Progress is lost: the
    // application never sees authentic data that preceded the failure.
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"pay 100");
    let input = [r1.clone(), r1].concat();
    let mut out = [0u8; 64];
    let first = p.server.recv_data(&input, &mut out);
    assert_eq!(
        first.map(|p| p.produced),
        Ok(7),
        "the first record's plaintext must be returned"
    );
    assert_eq!(&out[..7], b"pay 100");
    // The failure is reported by the next call (it is sticky).
    assert_eq!(p.server.recv_data(&[], &mut out), Err(Error::BadRecord));
}

#[test]
fn plaintext_before_a_failing_record_is_delivered_when_fed_separately() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"pay 100");
    let mut out = [0u8; 64];
    let got = p.server.recv_data(&r1, &mut out).unwrap();
    assert_eq!(&out[..got.produced], b"pay 100");
    assert_eq!(
        recv_data_now(&mut p.server, &r1, &mut out),
        Err(Error::BadRecord)
    );
}

#[test]
fn reordered_records_are_rejected() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"first");
    let r2 = seal(&mut p, Side::Client, b"second");
    p.c2s = [r2, r1].concat();
    p.deliver(Side::Server);
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn dropped_record_is_detected() {
    let mut p = Pair::connected();
    let _r1 = seal(&mut p, Side::Client, b"dropped");
    let r2 = seal(&mut p, Side::Client, b"delivered");
    p.c2s = r2;
    p.deliver(Side::Server);
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn dropped_record_from_the_server_is_detected() {
    let mut p = Pair::connected();
    let _r1 = seal(&mut p, Side::Server, b"dropped");
    let r2 = seal(&mut p, Side::Server, b"delivered");
    p.s2c = r2;
    p.deliver(Side::Client);
    assert_eq!(p.client_err, Some(Error::BadRecord));
    assert!(p.client_rx.is_empty());
}

#[test]
fn reflected_record_is_rejected() {
    // The client's own record sent back to it: the directions use
    // different keys.
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"echo?");
    p.s2c = r1;
    p.deliver(Side::Client);
    assert_eq!(p.client_err, Some(Error::BadRecord));
    assert!(p.client_rx.is_empty());
}

#[test]
fn record_from_another_session_is_rejected() {
    let mut a = Pair::connected();
    let mut b = Pair::connected();
    let r = seal(&mut a, Side::Client, b"for a");
    b.c2s = r;
    b.deliver(Side::Server);
    assert_server_failed(&mut b, Error::BadRecord);
}

#[test]
fn truncated_record_in_memory_releases_nothing() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"complete me");
    let (head, last) = r1.split_at(r1.len() - 1);
    // The partial frame is taken in and kept; no plaintext comes out.
    let mut out = [0u8; 64];
    let got = p.server.recv_data(head, &mut out).unwrap();
    assert_eq!((got.consumed, got.produced), (head.len(), 0));
    // Several calls with nothing new change nothing.
    for _ in 0..3 {
        let got = p.server.recv_data(&[], &mut out).unwrap();
        assert_eq!((got.consumed, got.produced), (0, 0));
    }
    // The last byte completes it.
    let got = p.server.recv_data(last, &mut out).unwrap();
    assert_eq!((got.consumed, got.produced), (1, 11));
    assert_eq!(&out[..11], b"complete me");
}

#[test]
fn truncated_record_followed_by_the_next_is_rejected() {
    // A record missing its last byte, then the next record: the bytes no
    // longer line up and the first frame fails to open.
    let mut p = Pair::connected();
    // The next record's first byte (its type) slides into the missing
    // place; pick a record whose last byte differs, or it would be intact.
    let mut r1 = seal(&mut p, Side::Client, b"cut short");
    for _ in 0..16 {
        if r1.last() != Some(&DATA) {
            break;
        }
        p.c2s = r1;
        p.drive();
        p.server_rx.clear();
        r1 = seal(&mut p, Side::Client, b"cut short");
    }
    assert_ne!(r1.last(), Some(&DATA));
    let r2 = seal(&mut p, Side::Client, b"next");
    p.c2s = [&r1[..r1.len() - 1], &r2[..]].concat();
    p.deliver(Side::Server);
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn truncated_record_then_eof_via_stream_is_unexpected_eof() {
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"never complete");
    let (_, server) = p.into_parts();
    let (mut wire, end) = mem_duplex();
    let mut stream = Stream::new(server, end);
    wire.write_all(&r1[..r1.len() - 1]).unwrap();
    wire.shutdown_write();
    let mut buf = [0u8; 64];
    let err = stream.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert!(!stream.connection().peer_closed());
}

#[test]
fn eof_at_a_record_boundary_via_stream_is_unexpected_eof() {
    // Whole records, then the wire is cut without CLOSE: the data is
    // delivered, then the cut is an error, never a clean end.
    let mut p = Pair::connected();
    let r1 = seal(&mut p, Side::Client, b"all of it");
    let (_, server) = p.into_parts();
    let (mut wire, end) = mem_duplex();
    let mut stream = Stream::new(server, end);
    wire.write_all(&r1).unwrap();
    wire.shutdown_write();
    let mut buf = [0u8; 64];
    assert_eq!(stream.read(&mut buf).unwrap(), 9);
    assert_eq!(&buf[..9], b"all of it");
    let err = stream.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
}

#[test]
fn handshake_frame_after_the_handshake_is_rejected() {
    let mut p = Pair::connected();
    // A duplicate CLIENT_HELLO (1253 bytes, legal length) to the server.
    let mut hello = vec![CLIENT_HELLO, 0x04, 0xe2];
    hello.resize(1253, 7);
    p.c2s = hello;
    p.deliver(Side::Server);
    assert_eq!(
        p.server_err,
        Some(unexpected(RECORD_FRAMES, FrameType::CLIENT_HELLO))
    );
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(sealed_reset_error(ResetReason::RECORD_FAILURE))
    );
}

#[test]
fn unknown_frame_type_is_rejected() {
    let mut p = Pair::connected();
    p.c2s = vec![0x7f, 0, 2, 1, 2];
    p.deliver(Side::Server);
    // Refused at its header: no state takes an unknown type.
    assert_eq!(p.server_err, Some(unexpected(&[], FrameType(0x7f))));
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(sealed_reset_error(ResetReason::DECODE_ERROR))
    );
}

#[test]
fn illegal_length_is_a_decode_error() {
    let mut p = Pair::connected();
    // DATA needs at least a tag (16 bytes of body).
    p.c2s = vec![DATA, 0, 15];
    p.deliver(Side::Server);
    assert!(
        matches!(p.server_err, Some(Error::Decode(_))),
        "{:?}",
        p.server_err
    );
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(sealed_reset_error(ResetReason::DECODE_ERROR))
    );
}

#[test]
fn altered_header_is_rejected() {
    // The header is associated data: a KEY_UPDATE cannot pass for a CLOSE
    // (same length, same empty plaintext, same counter).
    let mut p = Pair::connected();
    p.client.update_keys().unwrap();
    let mut r = Vec::new();
    move_output(&mut p.client, &mut r);
    assert_eq!(r.len(), 19);
    assert_eq!(r[0], KEY_UPDATE);
    r[0] = CLOSE;
    p.c2s = r;
    p.deliver(Side::Server);
    assert!(!p.server.peer_closed());
    assert_server_failed(&mut p, Error::BadRecord);
}

#[test]
fn errors_are_sticky() {
    let mut p = Pair::connected();
    let _ = seal(&mut p, Side::Client, b"dropped");
    let r2 = seal(&mut p, Side::Client, b"delivered");
    p.c2s = r2;
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
    let mut out = [0u8; 128];
    assert_eq!(p.server.send_data(b"x"), Err(Error::BadRecord));
    assert_eq!(p.server.recv_data(b"", &mut out), Err(Error::BadRecord));
    assert_eq!(p.server.update_keys(), Err(Error::BadRecord));
    assert_eq!(p.server.close(), Err(Error::BadRecord));
    assert_eq!(handshake_done(&mut p.server), Err(Error::BadRecord));
    assert_eq!(p.server.handshake_status(), Err(Error::BadRecord));
}

#[test]
fn data_followed_by_the_peers_reset_in_the_same_input_is_delivered() {
    // The server sends a record, then fails (a tampered record from the
    // client) and queues its sealed RESET right behind it. Both arrive in
    // one read. The record was sent before the RESET, so it belongs to the
    // session and must reach the application (PROTOCOL.md 10.4 only loses
    // what the peer sent after its RESET); recv_data returns
    // Err(PeerReset) and the plaintext it had already written is lost.
    let mut p = Pair::connected();
    p.send(Side::Server, b"last words").unwrap();
    let mut bad = seal(&mut p, Side::Client, b"tampered");
    bad[5] ^= 1;
    p.c2s = bad;
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
    p.transmit(Side::Server);
    assert_eq!(frame_types(&p.s2c), [DATA, RESET]);
    let mut out = [0u8; 64];
    let first = p.client.recv_data(&p.s2c, &mut out);
    assert_eq!(first.map(|p| p.produced), Ok(10));
    assert_eq!(&out[..10], b"last words");
    assert_eq!(
        p.client.recv_data(&[], &mut out),
        Err(sealed_reset_error(ResetReason::RECORD_FAILURE))
    );
}
