//! Authenticated close versus a cut wire (PROTOCOL.md section 9), in memory
//! and with `Stream` over loopback TCP.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::thread;

use common::*;
use ossuary_core::{Error, Stream};

#[test]
fn close_is_seen_by_the_peer() {
    let mut p = Pair::connected();
    assert!(!p.client.is_closed() && !p.server.peer_closed());
    p.send(Side::Client, b"goodbye").unwrap();
    p.client.close().unwrap();
    assert!(p.client.is_closed());
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [DATA, CLOSE]);
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"goodbye");
    assert!(p.server.peer_closed());
    assert!(!p.server.is_closed());
    assert!(!p.client.peer_closed());
    assert_eq!(p.server_err, None);
    assert_eq!(p.client_err, None);
}

#[test]
fn directions_close_independently() {
    let mut p = Pair::connected();
    p.client.close().unwrap();
    p.drive();
    assert!(p.server.peer_closed());
    // The server may still send until it closes too.
    p.assert_roundtrip(Side::Server, b"still talking");
    p.assert_roundtrip(Side::Server, &pattern(100_000));
    p.server.close().unwrap();
    p.drive();
    assert!(p.client.peer_closed());
    assert!(p.client.is_closed() && p.server.is_closed());
    assert_eq!((p.client_err, p.server_err), (None, None));
}

#[test]
fn sending_after_close_is_refused() {
    let mut p = Pair::connected();
    p.client.close().unwrap();
    p.transmit(Side::Client);
    // With the CLOSE on the wire (see the next test for when it is not).
    assert_eq!(p.client.send_data(b"late"), Err(Error::Closed));
    // Nothing was produced for the wire beyond the CLOSE.
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLOSE]);
    p.drive();
    assert!(p.server.peer_closed());
    assert!(p.server_rx.is_empty());
}

#[test]
fn refused_send_after_close_does_not_swallow_the_close() {
    // A send refused with Error::Closed while the CLOSE still waits in the
    // output must leave it there: were it dropped (or handed out with the
    // error, where the caller never looks), the peer would never get it and
    // would see a cut wire instead of a clean end.
    let mut p = Pair::connected();
    p.client.close().unwrap();
    assert_eq!(p.client.send_data(b"late"), Err(Error::Closed));
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLOSE], "the CLOSE must still go out");
}

#[test]
fn closing_twice_and_updating_after_close_are_refused() {
    let mut p = Pair::connected();
    p.client.close().unwrap();
    assert_eq!(p.client.close(), Err(Error::Closed));
    assert_eq!(p.client.update_keys(), Err(Error::Closed));
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLOSE], "no RESET after CLOSE");
}

#[test]
fn receiving_still_works_after_a_refused_send() {
    // Sending after our own CLOSE is refused with Error::Closed, as
    // documented. But the refusal goes through `guard`, which treats Closed
    // as a peer error and fails the whole connection: the receive direction
    // dies although the peer has not closed (Stream::close: "Reads still
    // work until the peer's CLOSE arrives"; PROTOCOL.md 9: the directions
    // are independent).
    let mut p = Pair::connected();
    p.client.close().unwrap();
    p.transmit(Side::Client);
    assert_eq!(p.client.send_data(b"late"), Err(Error::Closed));
    p.drive();
    assert!(p.server.peer_closed());
    p.send(Side::Server, b"the rest of the reply").unwrap();
    p.drive();
    assert_eq!(p.client_err, None);
    assert_eq!(p.take_rx(Side::Client), b"the rest of the reply");
}

#[test]
fn frame_after_the_peers_close_is_a_record_failure() {
    // PROTOCOL.md 9 and 11.1 (PEER_CLOSED: any frame is Fail(7)).
    let mut p = Pair::connected();
    p.client.close().unwrap();
    p.drive();
    assert!(p.server.peer_closed());
    let mut stray = vec![DATA, 0, 20];
    stray.extend(pattern(20));
    let mut out = [0u8; 64];
    let r = recv_data_now(&mut p.server, &stray, &mut out);
    assert!(
        matches!(r, Err(Error::UnexpectedFrame { .. } | Error::BadRecord)),
        "{r:?}"
    );
    assert!(p.server.peer_closed());
    // The server has not closed its direction: its RESET is sealed.
    p.transmit(Side::Server);
    assert_eq!(frame_types(&p.s2c), [RESET]);
    assert_eq!(p.s2c.len(), 20);
}

#[test]
fn stream_over_tcp_reads_zero_after_close() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let p = Pair::mutual(&cid, &sid);
    let (client, server) = p.into_parts();
    let (ct, st) = tcp_pair();
    let peer = thread::spawn(move || -> std::io::Result<Vec<u8>> {
        let mut s = Stream::new(server, st);
        s.write_all(b"hello, then goodbye")?;
        s.close()?;
        // Read until the client's CLOSE: Ok(0), not an error.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest)?;
        assert!(s.connection().peer_closed());
        Ok(rest)
    });
    let mut c = Stream::new(client, ct);
    let mut got = Vec::new();
    c.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"hello, then goodbye");
    assert!(c.connection().peer_closed());
    // Every later read is a clean end too.
    let mut buf = [0u8; 8];
    assert_eq!(c.read(&mut buf).unwrap(), 0);
    // Our direction is still open.
    c.write_all(b"ack").unwrap();
    c.close().unwrap();
    let err = c.write(b"more").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert_eq!(ossuary_error(&err), Some(Error::Closed));
    assert_eq!(peer.join().unwrap().unwrap(), b"ack");
}

#[test]
fn stream_over_tcp_cut_wire_is_unexpected_eof() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let p = Pair::mutual(&cid, &sid);
    let (client, server) = p.into_parts();
    let (ct, st) = tcp_pair();
    let peer = thread::spawn(move || -> std::io::Result<()> {
        let mut s = Stream::new(server, st);
        s.write_all(b"partial answer")?;
        s.flush()?;
        // The wire is cut: no CLOSE.
        s.get_ref().shutdown(Shutdown::Write)?;
        Ok(())
    });
    let mut c = Stream::new(client, ct);
    let mut got = Vec::new();
    let err = c.read_to_end(&mut got).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(ossuary_error(&err), Some(Error::Truncated));
    // What arrived before the cut is authentic and was delivered.
    assert_eq!(got, b"partial answer");
    assert!(!c.connection().peer_closed());
    peer.join().unwrap().unwrap();
}

#[test]
fn stream_over_tcp_cut_during_handshake_is_unexpected_eof() {
    let sid = Identity::generate();
    let p = Pair::new(
        client(None, &[sid.public()]),
        server(ossuary_core::Role::OpenServer, &sid, &[]),
    );
    let (client, _server) = p.into_parts();
    let (ct, st) = tcp_pair();
    let peer = thread::spawn(move || -> std::io::Result<usize> {
        // Read the CLIENT_HELLO, then hang up.
        let mut st = st;
        let mut buf = [0u8; 1253];
        st.read_exact(&mut buf)?;
        st.shutdown(Shutdown::Both)?;
        Ok(buf.len())
    });
    let mut c = Stream::new(client, ct);
    let err = c.complete_handshake().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(ossuary_error(&err), Some(Error::Truncated));
    assert_eq!(peer.join().unwrap().unwrap(), 1253);
}

// ---------------------------------------- end of input (issue 10, 8) ----

/// Issue 10, item 8: the transport ending without the peer's authenticated
/// CLOSE is a truncation the connection itself reports: `end_of_input()`
/// fails with `Truncated` (sticky), and the peer is sent a sealed RESET.
#[test]
fn end_of_input_without_the_peers_close_is_truncated() {
    let mut p = Pair::connected();
    p.assert_roundtrip(Side::Client, b"some of the data");
    assert_eq!(p.server.end_of_input(), Err(Error::Truncated));
    assert_eq!(p.server.handshake_status(), Err(Error::Truncated));
    assert_eq!(p.server.end_of_input(), Err(Error::Truncated), "sticky");
    assert!(!p.server.peer_closed());
    let out = p.server.pending_output();
    assert_eq!(frame_types(out), [RESET]);
    assert_eq!(out.len(), 20, "sealed under the traffic key");
    // This side's own CLOSE is not the peer's: its input may still be cut.
    let mut p = Pair::connected();
    p.server.close().unwrap();
    p.drive();
    assert!(p.client.peer_closed());
    assert_eq!(p.server.end_of_input(), Err(Error::Truncated));
}

/// Issue 10, item 8: during the handshake an end of input is a truncation
/// too (a plaintext RESET then).
#[test]
fn end_of_input_during_the_handshake_is_truncated() {
    let mut c = client(None, &[]);
    let _hello = take_output(&mut c);
    assert_eq!(c.end_of_input(), Err(Error::Truncated));
    assert_eq!(c.handshake_status(), Err(Error::Truncated));
    assert_eq!(
        c.pending_output(),
        plain_reset(ossuary_core::ResetReason::UNSPECIFIED)
    );
}

/// Issue 10, item 8: after the peer's authenticated CLOSE the end of input
/// is the clean end: `Ok`, as often as asked, and nothing changes.
#[test]
fn end_of_input_after_the_peers_close_is_ok() {
    let mut p = Pair::connected();
    p.send(Side::Client, b"all of it").unwrap();
    p.client.close().unwrap();
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"all of it");
    assert!(p.server.peer_closed());
    assert_eq!(p.server.end_of_input(), Ok(()));
    assert_eq!(p.server.end_of_input(), Ok(()));
    assert_eq!(
        p.server.handshake_status(),
        Ok(ossuary_core::HandshakeStatus::Done)
    );
    assert!(p.server.pending_output().is_empty(), "no RESET");
    // The server may still answer and close in turn.
    p.assert_roundtrip(Side::Server, b"and goodbye");
    p.server.close().unwrap();
    p.drive();
    assert_eq!(p.client.end_of_input(), Ok(()));
}
