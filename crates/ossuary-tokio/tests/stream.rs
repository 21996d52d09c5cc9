//! The stream and the handshake futures: echo over an in-memory duplex and
//! over loopback TCP, the authenticated end and truncation, trust
//! decisions, authorized keys, the handshake deadline, and the typed errors.
//!
//! In-memory tests run on paused tokio time: a wait that can never end
//! makes the bounded wait around it fail at once, and deadlines fire
//! without waiting for real time.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use common::*;
use ossuary_core::{Config, HandshakeError, ResetReason, Role};
use ossuary_tokio::{Connected, accept, connect, connect_tofu};
use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: Duration = Duration::from_secs(30);

/// Messages of assorted sizes, up to several records each.
fn messages() -> Vec<Vec<u8>> {
    [1, 5, 1000, 4096, 4097, 65_519, 65_520, 200_000, 3]
        .into_iter()
        .enumerate()
        .map(|(i, len)| pattern(len, i as u64))
        .collect()
}

/// Echoes until the client's CLOSE, then closes; returns the bytes echoed.
async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 70_000];
    let mut echoed = 0;
    for _ in 0..100_000 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            stream.shutdown().await?;
            return Ok(echoed);
        }
        stream.write_all(&buf[..n]).await?;
        echoed += n;
    }
    Err(std::io::Error::other("echo loop bound reached"))
}

/// Sends every message, reads each back, closes, and waits for the
/// server's CLOSE.
async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S) -> usize {
    let mut total = 0;
    for msg in messages() {
        stream.write_all(&msg).await.unwrap();
        stream.flush().await.unwrap();
        let mut back = vec![0u8; msg.len()];
        stream.read_exact(&mut back).await.unwrap();
        assert!(back == msg, "echo of {} bytes differs", msg.len());
        total += msg.len();
    }
    stream.shutdown().await.unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    total
}

#[tokio::test(start_paused = true)]
async fn mutual_echo_over_duplex() {
    let (cid, sid) = (Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(16 * 1024);
    let server = {
        let (sid, ckey) = (sid.clone(), cid.public());
        tokio::spawn(async move {
            let stream = accept(s_io, auth_server(&sid, &[ckey])).await.unwrap();
            assert_eq!(stream.remote_public_key(), Some(ckey));
            echo(stream).await.unwrap()
        })
    };
    let stream = connect(c_io, client(Some(&cid), &[sid.public()]))
        .await
        .unwrap();
    assert_eq!(stream.remote_public_key(), Some(sid.public()));
    let sent = within(LIMIT, "exchange", exchange(stream)).await;
    assert_eq!(within(LIMIT, "server", server).await.unwrap(), sent);
}

#[tokio::test]
async fn anonymous_echo_over_tcp() {
    let sid = Id::generate();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = {
        let sid = sid.clone();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let stream = accept(tcp, open_server(&sid)).await.unwrap();
            assert_eq!(stream.remote_public_key(), None, "an anonymous client");
            echo(stream).await.unwrap()
        })
    };
    let tcp = TcpStream::connect(addr).await.unwrap();
    let stream = connect(tcp, client(None, &[sid.public()])).await.unwrap();
    let sent = within(LIMIT, "exchange", exchange(stream)).await;
    assert_eq!(within(LIMIT, "server", server).await.unwrap(), sent);
}

/// `shutdown()` completes only once the CLOSE is on the transport; the
/// peer then reads everything and `Ok(0)`; truncation is `UnexpectedEof`
/// with `Truncated` inside.
#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_the_close_to_be_flushed() {
    let sid = Id::generate();
    let (c_io, s_io) = duplex(64);
    let server = tokio::spawn(accept(s_io, open_server(&sid)));
    let mut c = connect(c_io, client(None, &[sid.public()])).await.unwrap();
    let mut s = server.await.unwrap().unwrap();

    let data = pattern(10_000, 1);
    let writer = tokio::spawn(async move {
        c.write_all(&data).await.unwrap();
        c.shutdown().await.unwrap();
        c
    });
    // The duplex holds 64 bytes: nothing completes until the server reads.
    tokio::task::yield_now().await;
    assert!(
        !writer.is_finished(),
        "shutdown completed before the peer read"
    );
    let mut got = Vec::new();
    within(LIMIT, "read to the CLOSE", s.read_to_end(&mut got))
        .await
        .unwrap();
    assert!(got == pattern(10_000, 1));
    let mut c = within(LIMIT, "shutdown", writer).await.unwrap();
    assert!(s.connection().peer_closed());

    // The server answers with its CLOSE: the client reads `Ok(0)`.
    s.shutdown().await.unwrap();
    assert_eq!(c.read(&mut [0u8; 8]).await.unwrap(), 0);
    assert_eq!(c.read(&mut [0u8; 8]).await.unwrap(), 0, "and again");
    // Shutting down twice is fine.
    c.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_cut_transport_is_unexpected_eof_with_truncated_inside() {
    let sid = Id::generate();
    let (c_io, s_io) = duplex(4096);
    let server = tokio::spawn(accept(s_io, open_server(&sid)));
    let mut c = connect(c_io, client(None, &[sid.public()])).await.unwrap();
    let mut s = server.await.unwrap().unwrap();
    c.write_all(b"partial").await.unwrap();
    c.flush().await.unwrap();
    drop(c);
    let mut buf = [0u8; 64];
    assert_eq!(
        s.read(&mut buf).await.unwrap(),
        7,
        "data before the cut arrives"
    );
    let e = s.read(&mut buf).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{e}");
    assert_eq!(session_error(&e), Some(ossuary_core::Error::Truncated));
    // Sticky.
    let e = s.read(&mut buf).await.unwrap_err();
    assert_eq!(session_error(&e), Some(ossuary_core::Error::Truncated));
}

/// A request written without a flush, then a read for its answer: the
/// read sends what the write left queued, so neither side waits for ever.
#[tokio::test(start_paused = true)]
async fn a_read_sends_what_a_write_left_queued() {
    let sid = Id::generate();
    let (c_io, s_io) = duplex(64);
    let server = tokio::spawn(async move {
        let mut s = accept(s_io, open_server(&sid)).await.unwrap();
        let mut request = vec![0u8; 20_000];
        s.read_exact(&mut request).await.unwrap();
        s.write_all(b"answer").await.unwrap();
        s.flush().await.unwrap();
        request
    });
    // The server's key is not known before; TOFU trusts it.
    let conn = client_with(tofu_config(), None, &[]);
    let mut c = match connect_tofu(c_io, conn).await.unwrap() {
        Connected::Untrusted(paused) => paused.trust().await.unwrap(),
        Connected::Trusted(_) => panic!("nothing was pinned"),
    };
    let request = pattern(20_000, 2);
    // One write takes the whole request (one record); the transport takes
    // 64 bytes of it. No flush.
    assert_eq!(c.write(&request).await.unwrap(), 20_000);
    let mut answer = [0u8; 6];
    within(LIMIT, "answer", c.read_exact(&mut answer))
        .await
        .unwrap();
    assert_eq!(&answer, b"answer");
    assert!(server.await.unwrap() == request);
}

/// Data sealed right behind the last handshake message, arriving in the
/// same transport read, is kept for the first read.
#[tokio::test(start_paused = true)]
async fn records_right_behind_the_handshake_are_kept() {
    let sid = Id::generate();
    let (c_io, s_io) = duplex(64 * 1024);
    let server = tokio::spawn(accept(s_io, open_server(&sid)));
    let mut raw = Raw::new(client(None, &[sid.public()]), c_io);
    // CLIENT_HELLO, then SERVER_HELLO back; CLIENT_AUTH stays queued.
    raw.send().await;
    let mut hello = vec![0u8; 4096];
    let n = raw.io.read(&mut hello).await.unwrap();
    raw.conn.recv_handshake(&hello[..n]).unwrap();
    let mut bytes = raw.take_output(); // CLIENT_AUTH
    bytes.extend(raw.seal(b"early"));
    raw.io.write_all(&bytes).await.unwrap();
    let mut s = within(LIMIT, "accept", server).await.unwrap().unwrap();
    let mut got = [0u8; 5];
    s.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"early");
}

#[tokio::test(start_paused = true)]
async fn an_unknown_server_is_refused_by_connect_even_with_tofu_on() {
    for config in [config(), tofu_config()] {
        let sid = Id::generate();
        let (c_io, s_io) = duplex(4096);
        let server = tokio::spawn(accept(s_io, open_server(&sid)));
        let e = connect(c_io, client_with(config, None, &[]))
            .await
            .unwrap_err();
        assert_eq!(
            handshake_error(&e),
            Some(ossuary_core::Error::UntrustedServer { key: sid.public() }),
            "{e}"
        );
        assert_eq!(std::io::Error::from(e).kind(), ErrorKind::PermissionDenied);
        // The server is told why.
        let e = server.await.unwrap().unwrap_err();
        assert_eq!(
            handshake_error(&e),
            Some(ossuary_core::Error::PeerReset {
                reason: ResetReason::SERVER_NOT_TRUSTED,
                authenticated: false
            }),
            "{e}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn tofu_pauses_for_the_callers_decision() {
    let (cid, sid) = (Id::generate(), Id::generate());

    // Trusted: the session works, and the client's identity went out only
    // after the decision.
    let (c_io, s_io) = duplex(4096);
    let server = {
        let sid = sid.clone();
        tokio::spawn(async move {
            let mut s = accept(s_io, open_server(&sid)).await?;
            let mut buf = [0u8; 2];
            s.read_exact(&mut buf).await?;
            Ok::<_, ossuary_tokio::Error>((buf, s.remote_public_key()))
        })
    };
    let conn = client_with(tofu_config(), Some(&cid), &[]);
    let Connected::Untrusted(paused) = connect_tofu(c_io, conn).await.unwrap() else {
        panic!("nothing was pinned: the handshake must pause");
    };
    assert_eq!(*paused.server_key(), sid.public());
    assert!(paused.deadline() > tokio::time::Instant::now());
    let mut c = paused.trust().await.unwrap();
    c.write_all(b"ok").await.unwrap();
    c.flush().await.unwrap();
    let (got, who) = server.await.unwrap().unwrap();
    assert_eq!((&got, who), (b"ok", Some(cid.public())));

    // Rejected: the server learns why.
    let (c_io, s_io) = duplex(4096);
    let server = tokio::spawn({
        let sid = sid.clone();
        async move { accept(s_io, open_server(&sid)).await }
    });
    let conn = client_with(tofu_config(), Some(&cid), &[]);
    let Connected::Untrusted(paused) = connect_tofu(c_io, conn).await.unwrap() else {
        panic!("must pause");
    };
    let e = paused.reject().await;
    assert_eq!(
        handshake_error(&e),
        Some(ossuary_core::Error::UntrustedServer { key: sid.public() })
    );
    let e = server.await.unwrap().unwrap_err();
    assert!(
        matches!(
            handshake_error(&e),
            Some(ossuary_core::Error::PeerReset {
                reason: ResetReason::SERVER_NOT_TRUSTED,
                ..
            })
        ),
        "{e}"
    );

    // A decision after the deadline fails; the pinned key never pauses.
    let (c_io, s_io) = duplex(4096);
    let _server = tokio::spawn({
        let sid = sid.clone();
        async move {
            accept(
                s_io,
                server_with(Role::OpenServer, config_timeout(LIMIT * 4), &sid, &[]),
            )
            .await
        }
    });
    let conn = client_with(tofu_config(), None, &[]);
    let Connected::Untrusted(paused) = connect_tofu(c_io, conn).await.unwrap() else {
        panic!("must pause");
    };
    tokio::time::sleep_until(paused.deadline() + Duration::from_millis(1)).await;
    let e = paused.trust().await.unwrap_err();
    assert!(
        matches!(
            handshake_error(&e),
            Some(ossuary_core::Error::HandshakeTimeout { .. })
        ),
        "{e}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_changed_server_key_is_refused_without_a_pause() {
    let (sid, other) = (Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(4096);
    let _server = tokio::spawn(accept(s_io, open_server(&sid)));
    let conn = client_with(tofu_config(), None, &[other.public()]);
    let e = connect_tofu(c_io, conn).await.unwrap_err();
    assert_eq!(
        handshake_error(&e),
        Some(ossuary_core::Error::ServerKeyChanged {
            expected: other.public(),
            got: sid.public()
        })
    );
}

/// An authenticating server refuses a client whose key it does not list:
/// `accept` fails naming the key, and the client's first read gets the
/// server's RESET (the client's handshake ends when it sends its identity).
/// An anonymous client refuses to go on itself, and tells the server.
#[tokio::test(start_paused = true)]
async fn an_unauthorized_client_is_refused() {
    let (cid, sid, allowed) = (Id::generate(), Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(4096);
    let server = tokio::spawn(accept(s_io, auth_server(&sid, &[allowed.public()])));
    let mut c = connect(c_io, client(Some(&cid), &[sid.public()]))
        .await
        .unwrap();
    let e = server.await.unwrap().unwrap_err();
    assert_eq!(
        handshake_error(&e),
        Some(ossuary_core::Error::Handshake(
            HandshakeError::UnauthorizedClient(Some(cid.public()))
        )),
        "{e}"
    );
    assert_eq!(std::io::Error::from(e).kind(), ErrorKind::PermissionDenied);
    let e = c.read(&mut [0u8; 8]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}");
    assert!(
        matches!(
            session_error(&e),
            Some(ossuary_core::Error::PeerReset {
                reason: ResetReason::CLIENT_NOT_AUTHORIZED,
                ..
            })
        ),
        "{e}"
    );

    let (c_io, s_io) = duplex(4096);
    let server = tokio::spawn(accept(s_io, auth_server(&sid, &[allowed.public()])));
    let e = connect(c_io, client(None, &[sid.public()]))
        .await
        .unwrap_err();
    assert_eq!(
        handshake_error(&e),
        Some(ossuary_core::Error::Handshake(
            HandshakeError::ClientIdentityRequired
        )),
        "{e}"
    );
    let e = server.await.unwrap().unwrap_err();
    assert!(
        matches!(
            handshake_error(&e),
            Some(ossuary_core::Error::PeerReset { .. })
        ),
        "{e}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_connection_for_the_other_end_is_refused() {
    let sid = Id::generate();
    let (a, b) = duplex(64);
    let e = accept(a, client(None, &[])).await.unwrap_err();
    assert!(
        matches!(e, ossuary_tokio::Error::WrongRole(Role::Client)),
        "{e}"
    );
    let e = connect(b, open_server(&sid)).await.unwrap_err();
    assert!(
        matches!(e, ossuary_tokio::Error::WrongRole(Role::OpenServer)),
        "{e}"
    );
    let io = std::io::Error::from(e);
    assert_eq!(io.kind(), ErrorKind::InvalidInput);
    assert!(
        io.get_ref()
            .unwrap()
            .downcast_ref::<ossuary_tokio::Error>()
            .is_some()
    );
}

/// The deadline fires inside `accept` and `connect`: a silent peer is cut
/// off at `handshake_timeout` and sent a RESET saying so.
#[tokio::test(start_paused = true)]
async fn the_handshake_deadline_fires_inside_the_futures() {
    let sid = Id::generate();
    let timeout = Duration::from_secs(3);

    let (mut silent, s_io) = duplex(4096);
    let start = tokio::time::Instant::now();
    let conn = server_with(Role::OpenServer, config_timeout(timeout), &sid, &[]);
    let e = accept(s_io, conn).await.unwrap_err();
    assert_at_deadline(start.elapsed(), timeout);
    assert_eq!(
        handshake_error(&e),
        Some(ossuary_core::Error::HandshakeTimeout {
            heard_from_peer: false
        })
    );
    let mut reset = [0u8; 4];
    silent.read_exact(&mut reset).await.unwrap();
    assert_eq!(reset, [0x20, 0, 1, ResetReason::HANDSHAKE_TIMEOUT.0]);

    let (c_io, mut silent) = duplex(4096);
    let start = tokio::time::Instant::now();
    let e = connect(c_io, client_with(config_timeout(timeout), None, &[]))
        .await
        .unwrap_err();
    assert_at_deadline(start.elapsed(), timeout);
    assert_eq!(std::io::Error::from(e).kind(), ErrorKind::TimedOut);
    let mut hello = vec![0u8; 256];
    let n = silent.read(&mut hello).await.unwrap();
    assert_eq!(hello[0], 0x01, "CLIENT_HELLO went out ({n} bytes)");
}

/// On paused time: the deadline, to the millisecond the timer adds.
fn assert_at_deadline(elapsed: Duration, timeout: Duration) {
    assert!(
        elapsed > timeout && elapsed <= timeout + Duration::from_millis(2),
        "{elapsed:?} for a {timeout:?} deadline"
    );
}

/// With the default (system) clock and tokio's time paused, the timer
/// still ends the handshake at tokio's deadline.
#[tokio::test(start_paused = true)]
async fn the_deadline_holds_with_a_clock_other_than_tokios() {
    let sid = Id::generate();
    let (_silent, s_io) = duplex(4096);
    let config = Config {
        handshake_timeout: Duration::from_secs(3600),
        ..Config::default()
    };
    let start = tokio::time::Instant::now();
    let e = accept(s_io, server_with(Role::OpenServer, config, &sid, &[]))
        .await
        .unwrap_err();
    assert_at_deadline(start.elapsed(), Duration::from_secs(3600));
    assert!(
        matches!(
            handshake_error(&e),
            Some(ossuary_core::Error::HandshakeTimeout { .. })
        ),
        "{e}"
    );
}

/// Over real TCP, in real time: a client that connects and says nothing
/// is cut off at the server's deadline.
#[tokio::test]
async fn the_deadline_fires_over_tcp_in_real_time() {
    let sid = Id::generate();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = Duration::from_millis(300);
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let start = std::time::Instant::now();
        let conn = server_with(Role::OpenServer, config_timeout(timeout), &sid, &[]);
        let e = accept(tcp, conn).await.unwrap_err();
        (start.elapsed(), e)
    });
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let (elapsed, e) = within(LIMIT, "server", server).await.unwrap();
    assert!(
        elapsed >= timeout && elapsed < timeout + Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert!(
        matches!(
            handshake_error(&e),
            Some(ossuary_core::Error::HandshakeTimeout { .. })
        ),
        "{e}"
    );
    let mut reset = Vec::new();
    within(LIMIT, "reset", silent.read_to_end(&mut reset))
        .await
        .unwrap();
    assert_eq!(reset, [0x20, 0, 1, ResetReason::HANDSHAKE_TIMEOUT.0]);
}
