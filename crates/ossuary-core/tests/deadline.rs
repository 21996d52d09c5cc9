//! The handshake deadline (PROTOCOL.md section 12), driven by a fake clock
//! that only moves when the test says so.

mod common;

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ossuary_core::{Config, Connection, Error, HandshakeStatus, ResetReason, Role, Stream};

const TIMEOUT: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_nanos(1);

fn clocked_pair(clock: &Arc<FakeClock>, pinned: bool) -> (Pair, Identity) {
    let sid = Identity::generate();
    let config = config_with_clock(clock);
    assert_eq!(config.handshake_timeout, TIMEOUT);
    let trusted = if pinned { vec![sid.public()] } else { vec![] };
    let p = Pair::new(
        client_with(config.clone(), None, &trusted),
        server_with(Role::OpenServer, config, &sid, &[]),
    );
    (p, sid)
}

#[test]
fn client_times_out_when_the_server_does_not_answer() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    p.transmit(Side::Client);
    assert_eq!(frame_types(&p.c2s), [CLIENT_HELLO]);
    p.c2s.clear(); // the server never hears of it
    // Exactly at the deadline it still waits.
    clock.advance(TIMEOUT);
    assert_eq!(handshake_done(&mut p.client), Ok(false));
    clock.advance(TICK);
    assert_eq!(handshake_done(&mut p.client), Err(Error::HandshakeTimeout));
    assert_eq!(p.client.handshake_status(), Err(Error::HandshakeTimeout));
    // A plaintext RESET with reason 6 is queued.
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
    // The answer arriving late changes nothing.
    assert_eq!(
        p.client.recv_handshake(&[2, 0]),
        Err(Error::HandshakeTimeout)
    );
}

#[test]
fn server_times_out_waiting_for_client_auth() {
    let clock = FakeClock::new();
    // Unpinned: the client pauses on the key, so no CLIENT_AUTH comes. The
    // client has its own clock, which does not move.
    let sid = Identity::generate();
    let mut p = Pair::new(
        client_with(config_with_clock(&FakeClock::new()), None, &[]),
        server_with(Role::OpenServer, config_with_clock(&clock), &sid, &[]),
    );
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(sid.public())));
    assert_eq!(s, Ok(HandshakeStatus::InProgress));
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.server), Err(Error::HandshakeTimeout));
    assert_eq!(
        p.server.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
    // The paused client receives it (PROTOCOL.md 11.2).
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(Error::PeerReset(ResetReason::HANDSHAKE_TIMEOUT))
    );
}

#[test]
fn timeout_is_reported_by_the_deadline_and_fired_by_recv_handshake() {
    // The client's deadline runs from its construction (CLIENT_HELLO is
    // queued then); the queries do not fire it, recv_handshake does, with
    // input or without.
    let clock = FakeClock::new();
    let start = clock.now();
    let (mut p, _) = clocked_pair(&clock, true);
    assert_eq!(p.client.handshake_deadline(), Some(start + TIMEOUT));
    p.transmit(Side::Client);
    clock.advance(TIMEOUT + TICK);
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::InProgress));
    assert!(p.client.pending_output().is_empty());
    assert_eq!(p.client.recv_handshake(&[]), Err(Error::HandshakeTimeout));
    assert_eq!(p.client.handshake_deadline(), None);

    let (mut p, _) = clocked_pair(&clock, true);
    let hello = take_output(&mut p.client);
    assert_eq!(p.server.recv_handshake(&hello), Ok(69));
    let server_hello = take_output(&mut p.server);
    clock.advance(TIMEOUT + TICK);
    assert_eq!(
        p.client.recv_handshake(&server_hello),
        Err(Error::HandshakeTimeout)
    );
}

#[test]
fn server_deadline_starts_with_the_first_byte() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    // A server waiting for a connection's first byte has no deadline.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(p.server.handshake_deadline(), None);
    assert_eq!(handshake_done(&mut p.server), Ok(false));
    assert!(p.server.pending_output().is_empty());
    // One byte of CLIENT_HELLO starts it.
    p.transmit(Side::Client);
    let hello = std::mem::take(&mut p.c2s);
    assert_eq!(p.server.recv_handshake(&hello[..1]), Ok(1));
    assert_eq!(p.server.handshake_deadline(), Some(clock.now() + TIMEOUT));
    clock.advance(TIMEOUT);
    assert_eq!(handshake_done(&mut p.server), Ok(false));
    clock.advance(TICK);
    assert_eq!(handshake_done(&mut p.server), Err(Error::HandshakeTimeout));
    assert_eq!(
        p.server.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}

#[test]
fn handshake_within_the_deadline_completes() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    p.step();
    clock.advance(TIMEOUT / 2);
    p.step();
    clock.advance(TIMEOUT / 2);
    p.connect();
    // No deadline once established: hours later, data still flows.
    clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(handshake_done(&mut p.client), Ok(true));
    assert_eq!(handshake_done(&mut p.server), Ok(true));
    p.assert_data_flows();
}

#[test]
fn custom_timeout() {
    let clock = FakeClock::new();
    let config = Config {
        handshake_timeout: Duration::from_millis(250),
        ..config_with_clock(&clock)
    };
    let mut c = Connection::new(Role::Client, config).unwrap();
    assert_eq!(take_output(&mut c).len(), 69);
    clock.advance(Duration::from_millis(250));
    assert_eq!(handshake_done(&mut c), Ok(false));
    clock.advance(TICK);
    assert_eq!(handshake_done(&mut c), Err(Error::HandshakeTimeout));
}

#[test]
fn trust_decision_after_the_deadline_times_out() {
    // PROTOCOL.md 11.2 and 12: the deadline includes the Trust-On-First-Use
    // pause and "when it passes, the party abandons the session": a client
    // whose deadline passed during the pause must not complete when
    // approved (once established, no call checks the deadline any more).
    let clock = FakeClock::new();
    let (mut p, sid) = clocked_pair(&clock, false);
    let (c, _) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(sid.public())));
    clock.advance(TIMEOUT + TICK);
    assert_eq!(p.client.trust_server(), Err(Error::HandshakeTimeout));
    assert_eq!(p.client.handshake_status(), Err(Error::HandshakeTimeout));
}

#[test]
fn trust_decision_within_the_deadline_completes() {
    let clock = FakeClock::new();
    let (mut p, sid) = clocked_pair(&clock, false);
    p.drive_to_pause();
    clock.advance(TIMEOUT - Duration::from_millis(1));
    assert_eq!(
        p.client.handshake_status(),
        Ok(HandshakeStatus::UntrustedServer(sid.public()))
    );
    p.client.trust_server().unwrap();
    p.connect();
    p.assert_data_flows();
}

#[test]
fn checking_status_after_the_deadline_during_the_pause_times_out() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, false);
    p.drive_to_pause();
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.client), Err(Error::HandshakeTimeout));
    assert!(p.client.trust_server().is_err());
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}

#[test]
fn rehandshake_gets_a_new_deadline() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    p.transmit(Side::Client);
    p.c2s.clear();
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.client), Err(Error::HandshakeTimeout));
    p.transmit(Side::Client);
    p.c2s.clear();
    // Pretend the server's RESET came back; the client is then fresh.
    p.s2c
        .extend_from_slice(&plain_reset(ResetReason::UNSPECIFIED));
    p.client.reset().unwrap();
    p.deliver(Side::Client);
    assert_eq!(p.client_err, None);
    p.clear_errors();
    // A full timeout later than the first deadline, the new handshake is
    // still alive and completes.
    clock.advance(TIMEOUT - Duration::from_millis(1));
    p.connect();
}

#[test]
fn waiting_for_the_peers_reset_is_bounded() {
    // After reset() the wait for the peer's RESET has a deadline too.
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    p.connect();
    p.send(Side::Client, b"x").unwrap();
    p.c2s[5] ^= 1;
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
    p.server.reset().unwrap();
    // The client never answers.
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.server), Err(Error::HandshakeTimeout));
}

#[test]
fn stream_reports_timed_out_and_sends_the_reset() {
    let clock = FakeClock::new();
    let (p, _) = clocked_pair(&clock, true);
    let (client, _server) = p.into_parts();
    let (a, wire) = mem_duplex();
    let mut c = Stream::new(client, a);
    // CLIENT_HELLO goes out; nothing comes back.
    let e = c.complete_handshake().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    assert_eq!(frame_types(&wire.take_incoming()), [CLIENT_HELLO]);
    clock.advance(TIMEOUT + TICK);
    let e = c.complete_handshake().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert_eq!(ossuary_error(&e), Some(Error::HandshakeTimeout));
    assert_eq!(
        wire.take_incoming(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}
