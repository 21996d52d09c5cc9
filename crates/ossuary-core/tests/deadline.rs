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
    // Unpinned: Trust-On-First-Use, so the client pauses on the key.
    let (trusted, tofu) = if pinned {
        (vec![sid.public()], false)
    } else {
        (vec![], true)
    };
    let client_config = Config {
        trust_on_first_use: tofu,
        ..config.clone()
    };
    let p = Pair::new(
        client_with(client_config, None, &trusted),
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
    assert_eq!(handshake_done(&mut p.client), Err(SILENT));
    assert_eq!(p.client.handshake_status(), Err(SILENT));
    // A plaintext RESET with reason 6 is queued.
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
    // The answer arriving late changes nothing.
    assert_eq!(p.client.recv_handshake(&[2, 0]), Err(SILENT));
}

#[test]
fn server_times_out_waiting_for_client_auth() {
    let clock = FakeClock::new();
    // Unpinned: the client pauses on the key, so no CLIENT_AUTH comes. The
    // client has its own clock, which does not move.
    let sid = Identity::generate();
    let mut p = Pair::new(
        client_with(
            Config {
                trust_on_first_use: true,
                ..config_with_clock(&FakeClock::new())
            },
            None,
            &[],
        ),
        server_with(Role::OpenServer, config_with_clock(&clock), &sid, &[]),
    );
    let (c, s) = p.drive_handshake();
    assert_eq!(c, Ok(HandshakeStatus::UntrustedServer(sid.public())));
    assert_eq!(s, Ok(HandshakeStatus::InProgress));
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.server), Err(STALLED));
    assert_eq!(
        p.server.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
    // The paused client receives it (PROTOCOL.md 11.2).
    p.transmit(Side::Server);
    p.deliver(Side::Client);
    assert_eq!(
        p.client_err,
        Some(plain_reset_error(ResetReason::HANDSHAKE_TIMEOUT))
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
    assert_eq!(p.client.recv_handshake(&[]), Err(SILENT));
    assert_eq!(p.client.handshake_deadline(), None);

    let (mut p, _) = clocked_pair(&clock, true);
    let hello = take_output(&mut p.client);
    assert_eq!(p.server.recv_handshake(&hello), Ok(1253));
    let server_hello = take_output(&mut p.server);
    clock.advance(TIMEOUT + TICK);
    // The deadline is checked before the late answer is taken.
    assert_eq!(p.client.recv_handshake(&server_hello), Err(SILENT));
}

/// Issue 10, item 9: a server's deadline starts at its construction, like
/// the client's, so a peer that connects and sends nothing (or one byte)
/// cannot hold it forever. (It used to start at the first byte; this test
/// asserted that.)
#[test]
fn server_deadline_starts_at_construction() {
    let clock = FakeClock::new();
    let start = clock.now();
    let (mut p, _) = clocked_pair(&clock, true);
    assert_eq!(p.server.handshake_deadline(), Some(start + TIMEOUT));
    // One byte of CLIENT_HELLO does not move it.
    p.transmit(Side::Client);
    let hello = std::mem::take(&mut p.c2s);
    clock.advance(TIMEOUT / 2);
    assert_eq!(p.server.recv_handshake(&hello[..1]), Ok(1));
    assert_eq!(p.server.handshake_deadline(), Some(start + TIMEOUT));
    clock.advance(TIMEOUT / 2);
    assert_eq!(handshake_done(&mut p.server), Ok(false));
    clock.advance(TICK);
    assert_eq!(handshake_done(&mut p.server), Err(STALLED));
    assert_eq!(
        p.server.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}

/// Issue 10, item 9: a server that never hears a byte times out too, and
/// says the peer never answered.
#[test]
fn server_that_hears_nothing_times_out() {
    let clock = FakeClock::new();
    let (mut p, _) = clocked_pair(&clock, true);
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.server), Err(SILENT));
    assert_eq!(p.server.handshake_deadline(), None);
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
    let mut c = Connection::client(config).unwrap();
    assert_eq!(take_output(&mut c).len(), 1253);
    clock.advance(Duration::from_millis(250));
    assert_eq!(handshake_done(&mut c), Ok(false));
    clock.advance(TICK);
    assert_eq!(handshake_done(&mut c), Err(SILENT));
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
    assert_eq!(p.client.trust_server(), Err(STALLED));
    assert_eq!(p.client.handshake_status(), Err(STALLED));
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
    assert_eq!(handshake_done(&mut p.client), Err(STALLED));
    assert!(p.client.trust_server().is_err());
    assert_eq!(
        p.client.pending_output(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}

#[test]
fn rehandshake_gets_a_new_deadline() {
    let clock = FakeClock::new();
    let (mut p, sid) = clocked_pair(&clock, true);
    // The server has a clock of its own that does not move (its deadline
    // runs from its construction; this test is about the client's).
    p.server = server_with(
        Role::OpenServer,
        config_with_clock(&FakeClock::new()),
        &sid,
        &[],
    );
    p.transmit(Side::Client);
    p.c2s.clear();
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.client), Err(SILENT));
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
    // The client never answers (it was heard from before: an Ossuary peer).
    clock.advance(TIMEOUT + TICK);
    assert_eq!(handshake_done(&mut p.server), Err(STALLED));
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
    assert_eq!(ossuary_error(&e), Some(SILENT));
    assert_eq!(
        wire.take_incoming(),
        plain_reset(ResetReason::HANDSHAKE_TIMEOUT)
    );
}
