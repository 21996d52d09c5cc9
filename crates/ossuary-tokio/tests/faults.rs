//! Faulty clients against one echo server on loopback TCP, in real time:
//! a client that stalls mid-handshake, sends garbage, vanishes mid-record,
//! or trickles a byte every 10 ms. Each test asserts how the server ended
//! the faulty connection, what the faulty client was told, and that the
//! server kept serving a well-behaved client meanwhile.
//!
//! The server's handshake deadline is 1 s here, so the runs are short;
//! every wait is bounded. The trickling clients' 10 ms pace is the fault
//! itself, not a way to synchronise.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ossuary_core::{Error, ResetReason};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DEADLINE: Duration = Duration::from_secs(1);
/// Slack over the deadline for a loaded machine.
const LATE: Duration = Duration::from_secs(3);
const LIMIT: Duration = Duration::from_secs(60);

/// A server authorizing `clients`, with the 1 s deadline.
async fn server(sid: &Id, clients: &[&Id]) -> EchoServer {
    let keys: Vec<_> = clients.iter().map(|c| c.public()).collect();
    EchoServer::start(sid, &keys, DEADLINE).await
}

/// Reads what the server sends until it closes (a RESET, usually).
async fn read_rest(tcp: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = within(LIMIT, "the server's last bytes", tcp.read_to_end(&mut rest)).await;
    rest
}

#[tokio::test]
async fn a_client_stalled_mid_handshake_is_cut_at_the_deadline() {
    let (sid, good, staller) = (Id::generate(), Id::generate(), Id::generate());
    let mut server = server(&sid, &[&good, &staller]).await;

    // CLIENT_HELLO, SERVER_HELLO back, then nothing.
    let mut raw = Raw::new(
        client(Some(&staller), &[sid.public()]),
        TcpStream::connect(server.addr).await.unwrap(),
    );
    raw.send().await;
    let hello = raw.read_frame().await;
    assert_eq!(hello[0], 0x02, "SERVER_HELLO");

    // Meanwhile, a well-behaved client is served at once.
    let took = within(
        LIMIT,
        "good client",
        good_client(server.addr, &good, server.key),
    )
    .await;
    assert!(took < DEADLINE, "a good client waited {took:?}");
    let first = server.next_end().await;
    assert!(
        matches!(first.outcome, Outcome::Echoed(21_001)),
        "{first:?}"
    );
    assert_eq!(first.client, Some(good.public()));

    let stalled = server.next_end().await;
    assert!(
        matches!(
            stalled.outcome,
            Outcome::HandshakeFailed(
                Some(Error::HandshakeTimeout {
                    heard_from_peer: true
                }),
                _
            )
        ),
        "{stalled:?}"
    );
    assert!(
        stalled.elapsed >= DEADLINE && stalled.elapsed < DEADLINE + LATE,
        "{stalled:?}"
    );
    // The staller is told: the rest of SERVER_HELLO, then a RESET (reason 6).
    let rest = read_rest(&mut raw.io).await;
    assert_eq!(
        rest[rest.len() - 4..],
        [0x20, 0, 1, ResetReason::HANDSHAKE_TIMEOUT.0]
    );
}

#[tokio::test]
async fn a_client_sending_garbage_is_refused_at_once() {
    let (sid, good, liar) = (Id::generate(), Id::generate(), Id::generate());
    let mut server = server(&sid, &[&good, &liar]).await;
    let garbage: [(&[u8], ResetReason); 3] = [
        // Not Ossuary at all: an unknown frame type.
        (
            b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
            ResetReason::DECODE_ERROR,
        ),
        // A CLIENT_HELLO header with a length it cannot have.
        (&[0x01, 0xff, 0xff, 1, 2, 3], ResetReason::DECODE_ERROR),
        // A well-formed CLIENT_HELLO of the wrong version.
        (
            &[[0x01, 0x04, 0xe2, 0x09].as_slice(), &[7u8; 0x4e1]].concat(),
            ResetReason::UNSUPPORTED_VERSION,
        ),
    ];
    for (bytes, reason) in garbage {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(bytes).await.unwrap();
        let end = server.next_end().await;
        assert!(
            matches!(
                end.outcome,
                Outcome::HandshakeFailed(Some(Error::Decode(_) | Error::UnexpectedFrame { .. }), _)
            ),
            "{end:?}"
        );
        assert!(
            end.elapsed < DEADLINE / 2,
            "garbage took {:?} to refuse",
            end.elapsed
        );
        assert_eq!(
            read_rest(&mut tcp).await,
            [0x20, 0, 1, reason.0],
            "{bytes:?}"
        );
        within(
            LIMIT,
            "good client",
            good_client(server.addr, &good, server.key),
        )
        .await;
        assert!(matches!(
            server.next_end().await.outcome,
            Outcome::Echoed(_)
        ));
    }

    // Garbage after the handshake: a forged record ends the session, and
    // the client is told with a sealed RESET.
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut stream = ossuary_tokio::connect(tcp, client(Some(&liar), &[sid.public()]))
        .await
        .unwrap();
    let forged: Vec<u8> = [0x10, 0x00, 0x20].into_iter().chain([0x5a; 0x20]).collect();
    stream.get_mut().write_all(&forged).await.unwrap();
    let end = server.next_end().await;
    assert!(
        matches!(
            end.outcome,
            Outcome::SessionFailed(Some(Error::BadRecord), _)
        ),
        "{end:?}"
    );
    assert_eq!(end.client, Some(liar.public()));
    let e = stream.read(&mut [0u8; 8]).await.unwrap_err();
    assert_eq!(
        session_error(&e),
        Some(Error::PeerReset {
            reason: ResetReason::RECORD_FAILURE,
            authenticated: true
        }),
        "{e}"
    );
    within(
        LIMIT,
        "good client",
        good_client(server.addr, &good, server.key),
    )
    .await;
    assert!(matches!(
        server.next_end().await.outcome,
        Outcome::Echoed(_)
    ));
}

#[tokio::test]
async fn a_client_vanishing_mid_record_is_truncated() {
    let (sid, good, ghost) = (Id::generate(), Id::generate(), Id::generate());
    let mut server = server(&sid, &[&good, &ghost]).await;
    let mut raw = Raw::new(
        client(Some(&ghost), &[sid.public()]),
        TcpStream::connect(server.addr).await.unwrap(),
    );
    raw.handshake().await;
    let record = raw.seal(&pattern(1000, 4));
    raw.io.write_all(&record[..record.len() / 2]).await.unwrap();

    // The half record waits in the server; a good client is served.
    within(
        LIMIT,
        "good client",
        good_client(server.addr, &good, server.key),
    )
    .await;
    let first = server.next_end().await;
    assert_eq!(first.client, Some(good.public()), "{first:?}");

    drop(raw);
    let end = server.next_end().await;
    assert!(
        matches!(
            end.outcome,
            Outcome::SessionFailed(Some(Error::Truncated), _)
        ),
        "{end:?}"
    );
    assert_eq!(end.client, Some(ghost.public()));
}

/// Writes `bytes` one every 10 ms; stops early if the server has gone.
async fn trickle(tcp: &mut TcpStream, bytes: &[u8]) -> usize {
    let mut pace = tokio::time::interval(Duration::from_millis(10));
    for (i, b) in bytes.iter().enumerate() {
        pace.tick().await;
        if tcp.write_all(&[*b]).await.is_err() {
            return i;
        }
    }
    bytes.len()
}

#[tokio::test]
async fn clients_trickling_a_byte_every_10_ms() {
    let (sid, good, slow_hs, slow_data) = (
        Id::generate(),
        Id::generate(),
        Id::generate(),
        Id::generate(),
    );
    let mut server = server(&sid, &[&good, &slow_hs, &slow_data]).await;
    let addr = server.addr;
    let skey = server.key;

    // One sends its CLIENT_HELLO (1253 bytes, 12.5 s at this rate, so the
    // deadline would cut it off there) at once and trickles its CLIENT_AUTH:
    // 116 bytes would take 1.16 s, and the deadline (1 s) holds however the
    // bytes are spread.
    let handshake_trickler = tokio::spawn({
        let (slow_hs, skey) = (slow_hs.clone(), skey);
        async move {
            let mut raw = Raw::new(
                client(Some(&slow_hs), &[skey]),
                TcpStream::connect(addr).await.unwrap(),
            );
            let hello = raw.take_output();
            raw.io.write_all(&hello).await.unwrap();
            let reply = raw.read_frame().await;
            assert_eq!(raw.conn.recv_handshake(&reply), Ok(reply.len()));
            let auth = raw.take_output();
            let sent = trickle(&mut raw.io, &auth).await;
            (sent, auth.len(), read_rest(&mut raw.io).await)
        }
    });
    // One finishes its handshake at once, then trickles a record: served,
    // however slowly (the deadline is for the handshake only).
    let message = pattern(64, 5);
    let data_trickler = tokio::spawn({
        let (slow_data, message) = (slow_data.clone(), message.clone());
        async move {
            let mut raw = Raw::new(
                client(Some(&slow_data), &[skey]),
                TcpStream::connect(addr).await.unwrap(),
            );
            raw.handshake().await;
            let record = raw.seal(&message);
            assert_eq!(trickle(&mut raw.io, &record).await, record.len());
            let echo = raw.read_frame().await;
            let mut plain = vec![0u8; 128];
            let got = raw.conn.recv_data(&echo, &mut plain).unwrap();
            plain.truncate(got.produced);
            raw.conn.close().unwrap();
            raw.send().await;
            plain
        }
    });

    // Meanwhile, well-behaved clients come and go, each served promptly.
    let start = Instant::now();
    let mut served = 0;
    while !(handshake_trickler.is_finished() && data_trickler.is_finished()) {
        assert!(start.elapsed() < LIMIT, "the tricklers did not finish");
        let took = within(LIMIT, "good client", good_client(addr, &good, skey)).await;
        assert!(
            took < DEADLINE / 2,
            "a good client waited {took:?} beside the tricklers"
        );
        served += 1;
    }
    assert!(
        served >= 10,
        "only {served} good clients in {:?}",
        start.elapsed()
    );

    let (sent, wanted, told) = within(LIMIT, "handshake trickler", handshake_trickler)
        .await
        .unwrap();
    assert!(
        sent < wanted,
        "the whole handshake went through ({sent} bytes)"
    );
    assert_eq!(told, [0x20, 0, 1, ResetReason::HANDSHAKE_TIMEOUT.0]);
    let echoed = within(LIMIT, "data trickler", data_trickler).await.unwrap();
    assert!(echoed == message, "the trickled record's echo differs");

    let mut saw_timeout = false;
    let mut saw_echo = false;
    for _ in 0..served + 2 {
        let end = server.next_end().await;
        match (&end.outcome, end.client) {
            (Outcome::Echoed(_), Some(k)) if k == good.public() => {}
            (Outcome::Echoed(64), Some(k)) if k == slow_data.public() => saw_echo = true,
            (
                Outcome::HandshakeFailed(
                    Some(Error::HandshakeTimeout {
                        heard_from_peer: true,
                    }),
                    _,
                ),
                None,
            ) => {
                assert!(
                    end.elapsed >= DEADLINE && end.elapsed < DEADLINE + LATE,
                    "{end:?}"
                );
                saw_timeout = true;
            }
            _ => panic!("unexpected end: {end:?}"),
        }
    }
    assert!(saw_timeout && saw_echo);
}
