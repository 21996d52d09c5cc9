//! How one end ends, and what the other end sees: the whole matrix.
//!
//! One end (the actor: client or server) ends the session in one of three
//! ways (cleanly, by dropping the transport, by aborting in the middle of
//! a frame) at one of three points (before it has sent anything of the
//! handshake, during the handshake, after it); each end's transport is
//! slow (a few bytes per poll, and `Pending` every other poll) or fast.
//! The other end (the observer) is this crate's `accept` or `connect` and
//! then reads; each of the 72 cases asserts what it observes, and after a
//! clean close, that the actor gets the observer's CLOSE in return.
//!
//! The actor is a core `Connection` driven by hand, so it can stop between
//! any two bytes. Everything runs in memory on paused tokio time: a case
//! that would hang fails at once at its bound.

mod common;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use common::*;
use ossuary_core::{Connection, Error, HandshakeStatus, ResetReason};
use ossuary_tokio::{accept, connect};
use tokio::io::{
    AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf, duplex,
};

const LIMIT: Duration = Duration::from_secs(60);
/// What the actor sends once the session is established, before it ends.
const DATA: &[u8] = b"everything before the end arrives";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Speed {
    Slow,
    Fast,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Way {
    /// The orderly end for the point reached: before the handshake, the
    /// transport's end; during it, a refusal (RESET); after it, CLOSE.
    CleanClose,
    /// The transport dropped.
    Drop,
    /// Half a frame written, then the transport dropped.
    AbortMidRecord,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// The actor has sent nothing (a server has read CLIENT_HELLO).
    Before,
    /// The actor has sent its first handshake message and read the
    /// peer's answer, but not finished.
    During,
    /// The handshake is done on both ends, and the actor has sent [`DATA`].
    After,
}

/// What the observer saw.
#[derive(Debug, PartialEq)]
enum Seen {
    /// Its handshake future failed with this error.
    HandshakeFailed(Error),
    /// The handshake succeeded; reads brought `data`, then `end`.
    Read { data: Vec<u8>, end: End },
}

#[derive(Debug, PartialEq)]
enum End {
    /// `Ok(0)`: the peer's authenticated CLOSE.
    Closed,
    /// A read failed with this error inside.
    Failed(Error),
}

/// What the observer must see in each case.
fn expected(actor: Side, way: Way, phase: Phase) -> Seen {
    let truncated_read = |data: &[u8]| Seen::Read {
        data: data.to_vec(),
        end: End::Failed(Error::Truncated),
    };
    match (actor, phase, way) {
        (_, Phase::Before, _) => Seen::HandshakeFailed(Error::Truncated),
        (Side::Client, Phase::During, Way::CleanClose) => Seen::HandshakeFailed(Error::PeerReset {
            reason: ResetReason::SERVER_NOT_TRUSTED,
            authenticated: false,
        }),
        (Side::Client, Phase::During, _) => Seen::HandshakeFailed(Error::Truncated),
        // The client's handshake ends when it sends its identity: the
        // server's refusal, or its end, comes to the first read.
        (Side::Server, Phase::During, Way::CleanClose) => Seen::Read {
            data: Vec::new(),
            end: End::Failed(Error::PeerReset {
                reason: ResetReason::CLIENT_NOT_AUTHORIZED,
                authenticated: false,
            }),
        },
        (Side::Server, Phase::During, _) => truncated_read(&[]),
        (_, Phase::After, Way::CleanClose) => Seen::Read {
            data: DATA.to_vec(),
            end: End::Closed,
        },
        (_, Phase::After, _) => truncated_read(DATA),
    }
}

#[tokio::test(start_paused = true)]
async fn every_way_to_end_at_every_point_at_every_speed() {
    let mut cases = 0;
    for actor in [Side::Client, Side::Server] {
        for phase in [Phase::Before, Phase::During, Phase::After] {
            for way in [Way::CleanClose, Way::Drop, Way::AbortMidRecord] {
                for actor_speed in [Speed::Slow, Speed::Fast] {
                    for observer_speed in [Speed::Slow, Speed::Fast] {
                        let case = format!(
                            "{actor:?} actor ({actor_speed:?}) ends by {way:?} {phase:?} the handshake, \
                             {observer_speed:?} observer"
                        );
                        let seen = within(
                            LIMIT,
                            &case,
                            run(actor, way, phase, actor_speed, observer_speed),
                        )
                        .await;
                        assert_eq!(seen, expected(actor, way, phase), "{case}");
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 72);
}

/// Runs one case and returns what the observer saw.
async fn run(
    actor: Side,
    way: Way,
    phase: Phase,
    actor_speed: Speed,
    observer_speed: Speed,
) -> Seen {
    let (cid, sid) = (Id::generate(), Id::generate());
    let (a_io, o_io) = duplex(256);
    let (a_io, o_io) = (
        Paced::new(a_io, actor_speed),
        Paced::new(o_io, observer_speed),
    );
    let observer = tokio::spawn({
        let (cid, sid) = (cid.clone(), sid.clone());
        async move {
            match actor {
                // The client acts: the server observes.
                Side::Client => match accept(o_io, auth_server(&sid, &[cid.public()])).await {
                    Ok(stream) => read_to_end(stream).await,
                    Err(e) => {
                        Seen::HandshakeFailed(handshake_error(&e).unwrap_or_else(|| panic!("{e}")))
                    }
                },
                Side::Server => match connect(o_io, client(Some(&cid), &[sid.public()])).await {
                    Ok(stream) => read_to_end(stream).await,
                    Err(e) => {
                        Seen::HandshakeFailed(handshake_error(&e).unwrap_or_else(|| panic!("{e}")))
                    }
                },
            }
        }
    });
    let conn = match actor {
        // Trust on first use, so that the client can refuse the server
        // during the handshake (CleanClose, During).
        Side::Client => client_with(tofu_config(), Some(&cid), &[]),
        // Authorizing no one for a refusal during the handshake.
        Side::Server if (way, phase) == (Way::CleanClose, Phase::During) => auth_server(&sid, &[]),
        Side::Server => auth_server(&sid, &[cid.public()]),
    };
    let mut act = Actor::new(conn, a_io);
    match actor {
        Side::Client => act.client_until(phase).await,
        Side::Server => act.server_until(phase).await,
    }
    act.end(way, phase).await;
    let seen = within(LIMIT, "observer", observer).await.unwrap();
    if seen == expected(actor, way, phase) && (way, phase) == (Way::CleanClose, Phase::After) {
        // The observer answered the CLOSE with its own.
        act.expect_close().await;
    }
    seen
}

/// Reads to the end and reports it; answers a CLOSE with a CLOSE.
async fn read_to_end<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> Seen {
    let mut data = Vec::new();
    let mut buf = [0u8; 100];
    for _ in 0..10_000 {
        match stream.read(&mut buf).await {
            Ok(0) => {
                stream.shutdown().await.expect("answering CLOSE");
                return Seen::Read {
                    data,
                    end: End::Closed,
                };
            }
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(e) => {
                let inner = session_error(&e).unwrap_or_else(|| panic!("transport error: {e}"));
                return Seen::Read {
                    data,
                    end: End::Failed(inner),
                };
            }
        }
    }
    panic!("read loop bound reached");
}

/// The acting end: a connection driven frame by frame.
struct Actor {
    conn: Connection,
    /// `None` once dropped.
    io: Option<Paced>,
    /// A frame from the observer, read but not yet given to `conn`.
    held: Option<Vec<u8>>,
}

impl Actor {
    fn new(conn: Connection, io: Paced) -> Self {
        Self {
            conn,
            io: Some(io),
            held: None,
        }
    }

    fn io(&mut self) -> &mut Paced {
        self.io.as_mut().expect("the actor's transport is gone")
    }

    /// Takes everything queued, without sending it.
    fn take(&mut self) -> Vec<u8> {
        let out = self.conn.pending_output().to_vec();
        self.conn.advance_output(out.len());
        out
    }

    /// Sends everything queued.
    async fn send(&mut self) {
        let out = self.take();
        self.io().write_all(&out).await.expect("actor write");
    }

    /// Seals and sends [`DATA`].
    async fn send_data(&mut self) {
        assert_eq!(self.conn.send_data(DATA), Ok(DATA.len()));
        self.send().await;
    }

    /// Reads one whole frame.
    async fn frame(&mut self) -> Vec<u8> {
        let io = self.io();
        let mut frame = vec![0u8; 3];
        io.read_exact(&mut frame).await.expect("actor read header");
        let len = usize::from(u16::from_be_bytes([frame[1], frame[2]]));
        frame.resize(3 + len, 0);
        io.read_exact(&mut frame[3..])
            .await
            .expect("actor read body");
        frame
    }

    /// Ends the session `way`, at `phase`.
    async fn end(&mut self, way: Way, phase: Phase) {
        let server = self.conn.role().is_server();
        match (way, phase) {
            (Way::CleanClose, Phase::Before) => {}
            (Way::CleanClose, Phase::During) => {
                if let Some(auth) = self.held.take() {
                    // The server refuses the client it does not authorize.
                    let _ = self.conn.recv_handshake(&auth);
                    let _ = self.conn.recv_handshake(&[]);
                    assert!(self.conn.handshake_status().is_err());
                } else {
                    // The client refuses the server's key.
                    assert!(self.conn.reject_server().is_err());
                }
                self.send().await;
            }
            (Way::CleanClose, Phase::After) => {
                self.conn.close().expect("close");
                self.send().await;
            }
            (Way::Drop, _) => {
                self.io = None;
                return;
            }
            (Way::AbortMidRecord, _) => {
                let frame = match (phase, server) {
                    // CLIENT_HELLO, queued since the connection was built.
                    (Phase::Before, false) => self.take(),
                    (Phase::Before, true) => {
                        let hello = self.held.take().expect("CLIENT_HELLO");
                        assert_eq!(self.conn.recv_handshake(&hello), Ok(hello.len()));
                        self.take() // SERVER_HELLO
                    }
                    (Phase::During, false) => {
                        self.conn.trust_server().expect("trust");
                        self.take() // CLIENT_AUTH
                    }
                    // A server has no more handshake to send: a RESET.
                    (Phase::During, true) => vec![0x20, 0x00, 0x01, 0x00],
                    (Phase::After, _) => {
                        assert!(self.conn.send_data(b"never whole").is_ok());
                        self.take()
                    }
                };
                assert!(frame.len() >= 4, "{frame:?}");
                self.io()
                    .write_all(&frame[..frame.len() / 2])
                    .await
                    .expect("actor write");
                self.io = None;
                return;
            }
        }
        // The end of the transport's write side (the observer may still
        // write: its answer to a CLOSE).
        self.io().shutdown().await.expect("actor shutdown");
    }

    /// Reads the observer's CLOSE.
    async fn expect_close(&mut self) {
        let close = self.frame().await;
        let mut plain = [0u8; 64];
        let got = self
            .conn
            .recv_data(&close, &mut plain)
            .expect("the observer's CLOSE");
        assert_eq!((got.consumed, got.produced), (close.len(), 0));
        assert!(self.conn.peer_closed());
    }

    /// A client, up to `phase`: CLIENT_HELLO, then SERVER_HELLO (which
    /// pauses for trust), then CLIENT_AUTH and [`DATA`].
    async fn client_until(&mut self, phase: Phase) {
        if phase == Phase::Before {
            return;
        }
        self.send().await;
        let hello = self.frame().await;
        assert_eq!(self.conn.recv_handshake(&hello), Ok(hello.len()));
        assert!(matches!(
            self.conn.handshake_status(),
            Ok(HandshakeStatus::UntrustedServer(_))
        ));
        if phase == Phase::During {
            return;
        }
        self.conn.trust_server().expect("trust");
        self.send().await;
        self.send_data().await;
    }

    /// A server, up to `phase`: reads CLIENT_HELLO; sends SERVER_HELLO
    /// and reads CLIENT_AUTH; takes it and sends [`DATA`].
    async fn server_until(&mut self, phase: Phase) {
        let hello = self.frame().await;
        if phase == Phase::Before {
            self.held = Some(hello);
            return;
        }
        assert_eq!(self.conn.recv_handshake(&hello), Ok(hello.len()));
        self.send().await;
        let auth = self.frame().await;
        if phase == Phase::During {
            self.held = Some(auth);
            return;
        }
        assert_eq!(self.conn.recv_handshake(&auth), Ok(auth.len()));
        assert_eq!(self.conn.handshake_status(), Ok(HandshakeStatus::Done));
        self.send_data().await;
    }
}

/// A transport end that is slow (three bytes a poll at most, and
/// `Pending`, having asked to be polled again, every other poll) or fast.
struct Paced {
    io: DuplexStream,
    slow: bool,
    skip: bool,
}

impl Paced {
    fn new(io: DuplexStream, speed: Speed) -> Self {
        Self {
            io,
            slow: speed == Speed::Slow,
            skip: false,
        }
    }

    /// Whether this poll is one the slow end skips.
    fn skips(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.slow {
            return false;
        }
        self.skip = !self.skip;
        if self.skip {
            cx.waker().wake_by_ref();
        }
        self.skip
    }
}

const SLOW_BYTES: usize = 3;

impl AsyncRead for Paced {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.skips(cx) {
            return Poll::Pending;
        }
        if !self.slow {
            return Pin::new(&mut self.io).poll_read(cx, buf);
        }
        let mut small = [0u8; SLOW_BYTES];
        let n = buf.remaining().min(SLOW_BYTES);
        let mut part = ReadBuf::new(&mut small[..n]);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut part))?;
        buf.put_slice(part.filled());
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Paced {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.skips(cx) {
            return Poll::Pending;
        }
        let n = if self.slow {
            buf.len().min(SLOW_BYTES)
        } else {
            buf.len()
        };
        Pin::new(&mut self.io).poll_write(cx, &buf[..n])
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.skips(cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
