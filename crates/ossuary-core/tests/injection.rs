//! Frames forged by someone on the path after the handshake: a plaintext
//! RESET, a CLOSE, a KEY_UPDATE, a sealed RESET without the key. None of
//! them may end the session cleanly (PROTOCOL.md 9, 10.3, 13.16).

mod common;

use common::*;
use ossuary_core::{Error, ResetReason, Stream};
use std::io::{ErrorKind, Read, Write};

/// A connected pair in which the client has received a server record, so
/// the server-unconfirmed window is closed.
fn confirmed() -> Pair {
    let mut p = Pair::connected();
    p.assert_data_flows();
    p
}

/// A frame of `ty` with a body of `len` bytes that no key sealed.
fn forged(ty: u8, len: u16) -> Vec<u8> {
    let mut f = vec![ty, (len >> 8) as u8, len as u8];
    f.extend(pattern(usize::from(len)));
    f
}

fn assert_rejected(p: &mut Pair, to: Side) {
    assert_eq!(p.err(to), Some(Error::BadRecord));
    assert!(!p.conn(to).peer_closed(), "a forgery is not a clean close");
    assert_eq!(p.conn(to).handshake_status(), Err(Error::BadRecord));
}

fn inject(p: &mut Pair, to: Side, frame: &[u8]) {
    p.outbound(to.peer()).extend_from_slice(frame);
    p.deliver(to);
}

#[test]
fn plaintext_reset_to_a_confirmed_client_is_rejected() {
    let mut p = confirmed();
    inject(
        &mut p,
        Side::Client,
        &plain_reset(ResetReason::CLIENT_NOT_AUTHORIZED),
    );
    assert_rejected(&mut p, Side::Client);
}

#[test]
fn plaintext_reset_to_an_established_server_is_rejected() {
    // The server never takes a plaintext RESET once established, even
    // before it has received any record.
    let mut p = Pair::connected();
    inject(&mut p, Side::Server, &plain_reset(ResetReason::APPLICATION));
    assert_rejected(&mut p, Side::Server);
}

#[test]
fn plaintext_reset_in_the_unconfirmed_window_is_accepted() {
    // The contrast (PROTOCOL.md 10.3): before any server record opened,
    // the client must accept a plaintext RESET, as a rejecting server
    // cannot seal one. Its reason is unauthenticated.
    let mut p = Pair::connected();
    inject(&mut p, Side::Client, &plain_reset(ResetReason::APPLICATION));
    assert_eq!(
        p.client_err,
        Some(plain_reset_error(ResetReason::APPLICATION))
    );
    assert!(!p.client.peer_closed());
}

#[test]
fn forged_close_is_rejected() {
    for to in [Side::Client, Side::Server] {
        let mut p = confirmed();
        inject(&mut p, to, &forged(CLOSE, 16));
        assert_rejected(&mut p, to);
    }
}

#[test]
fn forged_key_update_is_rejected() {
    for to in [Side::Client, Side::Server] {
        let mut p = confirmed();
        inject(&mut p, to, &forged(KEY_UPDATE, 16));
        assert_rejected(&mut p, to);
    }
}

#[test]
fn forged_sealed_reset_is_rejected() {
    for to in [Side::Client, Side::Server] {
        let mut p = confirmed();
        inject(&mut p, to, &forged(RESET, 17));
        assert_rejected(&mut p, to);
    }
}

#[test]
fn forged_data_is_rejected() {
    for to in [Side::Client, Side::Server] {
        let mut p = confirmed();
        inject(&mut p, to, &forged(DATA, 40));
        assert_rejected(&mut p, to);
        assert!(p.client_rx.is_empty() && p.server_rx.is_empty());
    }
}

#[test]
fn genuine_close_still_works_after_forgery_attempts_elsewhere() {
    // Sanity check that the forgeries above fail for being forged: the
    // genuine frames of the same types are accepted.
    let mut p = confirmed();
    p.client.update_keys().unwrap();
    p.assert_roundtrip(Side::Client, b"after update");
    p.client.close().unwrap();
    p.drive();
    assert!(p.server.peer_closed());
    assert_eq!(p.server_err, None);
}

#[test]
fn forged_close_via_stream_is_an_error_not_eof() {
    let p = confirmed();
    let (client, _) = p.into_parts();
    let (mut wire, end) = mem_duplex();
    let mut stream = Stream::new(client, end);
    wire.write_all(&forged(CLOSE, 16)).unwrap();
    let mut buf = [0u8; 16];
    let err = stream.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert_eq!(ossuary_error(&err), Some(Error::BadRecord));
    assert!(!stream.connection().peer_closed());
    // The stream tried to tell the peer: a sealed RESET went out.
    let sent = wire.take_incoming();
    let frames = split_frames(&sent);
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].0, frames[0].1.len()), (RESET, 20));
}

#[test]
fn plaintext_reset_via_stream_is_an_error_not_eof() {
    let p = confirmed();
    let (client, _) = p.into_parts();
    let (mut wire, end) = mem_duplex();
    let mut stream = Stream::new(client, end);
    wire.write_all(&plain_reset(ResetReason::UNSPECIFIED))
        .unwrap();
    let mut buf = [0u8; 16];
    let err = stream.read(&mut buf).unwrap_err();
    assert_eq!(ossuary_error(&err), Some(Error::BadRecord));
}

// ---------------------- whether a RESET was authenticated (issue 10, 8) ----

/// Issue 10, item 8: a RESET sealed under the peer's traffic key (after the
/// handshake) is reported as authenticated: its reason can be trusted.
#[test]
fn sealed_reset_after_the_handshake_is_authenticated() {
    let mut p = confirmed();
    p.send(Side::Client, b"tampered").unwrap();
    let last = p.c2s.len() - 1;
    p.c2s[last] ^= 1;
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
    p.transmit(Side::Server);
    assert_eq!(p.s2c.len(), 20, "sealed RESET");
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(Error::PeerReset {
            reason: ResetReason::RECORD_FAILURE,
            authenticated: true,
        })
    );
}

/// Issue 10, item 8: a plaintext RESET during the handshake is reported as
/// not authenticated: anyone on the path could have sent it.
#[test]
fn plaintext_reset_during_the_handshake_is_not_authenticated() {
    let sid = Identity::generate();
    let mut p = Pair::new(
        client(None, &[sid.public()]),
        server(ossuary_core::Role::OpenServer, &sid, &[]),
    );
    p.transmit(Side::Client);
    p.c2s.clear();
    p.s2c
        .extend_from_slice(&plain_reset(ResetReason::HANDSHAKE_TIMEOUT));
    p.deliver(Side::Client);
    let reset = Error::PeerReset {
        reason: ResetReason::HANDSHAKE_TIMEOUT,
        authenticated: false,
    };
    assert_eq!(p.client_err, Some(reset));
    assert!(reset.to_string().contains("unauthenticated"), "{reset}");
    // The same for the server.
    p.c2s
        .extend_from_slice(&plain_reset(ResetReason::APPLICATION));
    p.deliver(Side::Server);
    assert_eq!(
        p.server_err,
        Some(Error::PeerReset {
            reason: ResetReason::APPLICATION,
            authenticated: false,
        })
    );
}
