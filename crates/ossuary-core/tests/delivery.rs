//! Awkward delivery: one byte at a time, small caller buffers, and a 4 MiB
//! message through `send_data`/`recv_data` and through `Stream`.

mod common;

use std::io::{Read, Write};

use common::*;
use ossuary_core::{Connection, Error, HandshakeStatus, Stream};

const FOUR_MIB: usize = 4 << 20;

/// Feeds `wire` to `conn` one byte per call, asserting each byte is taken.
fn trickle(conn: &mut Connection, wire: &mut Vec<u8>, rx: &mut Vec<u8>) -> Result<(), Error> {
    let mut out = [0u8; 7];
    for &b in wire.iter() {
        let consumed = if conn.handshake_status()? == HandshakeStatus::Done {
            let p = conn.recv_data(&[b], &mut out)?;
            rx.extend_from_slice(&out[..p.produced]);
            // Drain what did not fit the small buffer.
            for _ in 0..1 << 17 {
                let more = conn.recv_data(&[], &mut out)?;
                if more.produced == 0 {
                    break;
                }
                rx.extend_from_slice(&out[..more.produced]);
            }
            p.consumed
        } else {
            conn.recv_handshake(&[b])?
        };
        assert_eq!(consumed, 1, "one byte offered, one byte taken");
    }
    wire.clear();
    Ok(())
}

#[test]
fn handshake_and_records_one_byte_at_a_time() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::mutual(&cid, &sid);
    let msg_c = pattern(300);
    let msg_s = pattern(200);
    let mut handshake_sent = false;
    for _ in 0..MAX_STEPS {
        p.transmit(Side::Client);
        p.transmit(Side::Server);
        if !handshake_sent && p.client.handshake_status() == Ok(HandshakeStatus::Done) {
            // Records right behind CLIENT_AUTH, in the same byte stream.
            p.send(Side::Client, &msg_c).unwrap();
            handshake_sent = true;
        }
        if p.server.handshake_status() == Ok(HandshakeStatus::Done) && p.client_rx.is_empty() {
            p.send(Side::Server, &msg_s).unwrap();
        }
        if p.c2s.is_empty() && p.s2c.is_empty() {
            break;
        }
        trickle(&mut p.server, &mut p.c2s, &mut p.server_rx).unwrap();
        trickle(&mut p.client, &mut p.s2c, &mut p.client_rx).unwrap();
    }
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(p.server.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(p.server.remote_public_key(), Some(&cid.public()));
    assert_eq!(p.server_rx, msg_c);
    assert_eq!(p.client_rx, msg_s);
}

#[test]
fn handshake_over_stream_one_byte_at_a_time() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client, server) = Pair::mutual(&cid, &sid).into_parts();
    let (mut a, mut b) = mem_duplex();
    a.max_read = 1;
    b.max_read = 1;
    let mut c = Stream::new(client, a);
    let mut s = Stream::new(server, b);
    let mut done = (false, false);
    for _ in 0..10_000 {
        if !done.0 {
            done.0 = matches!(c.complete_handshake(), Ok(HandshakeStatus::Done));
        }
        if !done.1 {
            done.1 = matches!(s.complete_handshake(), Ok(HandshakeStatus::Done));
        }
        if done == (true, true) {
            break;
        }
    }
    assert_eq!(done, (true, true));
    c.write_all(b"byte by byte").unwrap();
    let mut got = [0u8; 12];
    retry(1000, || s.read_exact(&mut got)).unwrap();
    assert_eq!(&got, b"byte by byte");
}

#[test]
fn four_mib_with_small_output_buffers() {
    let mut p = Pair::connected();
    let msg = pattern(FOUR_MIB);
    let mut wire = Vec::with_capacity(FOUR_MIB + FOUR_MIB / 1000);
    let mut out = vec![0u8; 1000];
    let mut sent = 0;
    // Each call either takes plaintext or drains output; bound it.
    for _ in 0..FOUR_MIB {
        if sent == msg.len() {
            break;
        }
        sent += p.client.send_data(&msg[sent..]).unwrap();
        // Take the output through a small buffer, in pieces of two sizes.
        let small = out.len();
        for piece in (0..1000).map(|i| if i % 2 == 0 { 333 } else { small }) {
            let pending = p.client.pending_output();
            if pending.is_empty() {
                break;
            }
            let n = pending.len().min(piece);
            out[..n].copy_from_slice(&pending[..n]);
            p.client.advance_output(n);
            wire.extend_from_slice(&out[..n]);
        }
    }
    assert_eq!(sent, msg.len());
    assert!(p.client.pending_output().is_empty());

    // Receive through a small plaintext buffer, with input in odd pieces.
    let mut got = Vec::with_capacity(FOUR_MIB);
    let mut plain = vec![0u8; 777];
    let mut pos = 0;
    for _ in 0..4 * FOUR_MIB {
        if pos == wire.len() && got.len() == msg.len() {
            break;
        }
        let end = (pos + 4099).min(wire.len());
        let r = p.server.recv_data(&wire[pos..end], &mut plain).unwrap();
        pos += r.consumed;
        got.extend_from_slice(&plain[..r.produced]);
        assert!(r.consumed > 0 || r.produced > 0 || pos == wire.len());
    }
    assert_eq!(pos, wire.len());
    assert_eq!(got.len(), msg.len());
    assert!(got == msg, "4 MiB arrived altered");
}

#[test]
fn four_mib_through_stream() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let (client, server) = Pair::mutual(&cid, &sid).into_parts();
    let (a, mut b) = mem_duplex();
    b.max_read = 10_000;
    let mut c = Stream::new(client, a);
    let mut s = Stream::new(server, b);
    let msg = pattern(FOUR_MIB);
    let mut written = 0;
    let mut got = Vec::with_capacity(FOUR_MIB);
    let mut buf = vec![0u8; 50_000];
    // Alternate between writer and reader; WouldBlock means "the other one".
    for _ in 0..100_000 {
        if written < msg.len() {
            match c.write(&msg[written..(written + 100_000).min(msg.len())]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
        match s.read(&mut buf) {
            Ok(0) => panic!("unexpected end"),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
        if got.len() == msg.len() {
            break;
        }
    }
    assert_eq!(got.len(), msg.len());
    assert!(got == msg, "4 MiB arrived altered");
    assert_eq!(s.connection().remote_public_key(), Some(&cid.public()));
}
