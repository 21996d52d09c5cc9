//! Owned halves in tasks of their own: no lost wakeups.
//!
//! The precise case first: a read half that fails queues a RESET and
//! polls the transport's write side while the write half waits on it; the
//! write half must still be woken when the transport drains. Then full
//! duplex traffic through four tasks (both ends split) over small pipes and
//! over TCP on a two-thread runtime, and the same through
//! `tokio::io::split`, every run bounded in time.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::*;
use ossuary_tokio::{accept, connect};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, duplex};
use tokio::net::{TcpListener, TcpStream};

const LIMIT: Duration = Duration::from_secs(120);
const MAX_CHUNKS: usize = 1_000_000;

/// A waker that counts its wakeups.
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (Arc::clone(&count), Waker::from(count))
}

#[tokio::test(start_paused = true)]
async fn a_failing_read_half_does_not_take_the_write_halfs_wakeup() {
    let (cid, sid) = (Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(1024);
    let client_task = tokio::spawn({
        let (cid, skey) = (cid.clone(), sid.public());
        async move { connect(c_io, client(Some(&cid), &[skey])).await }
    });
    let mut raw = Raw::new(auth_server(&sid, &[cid.public()]), s_io);
    raw.handshake().await;
    let stream = client_task.await.unwrap().unwrap();
    let (mut r, mut w) = stream.into_split();

    // The write half fills the pipe and the stream's queue, and waits.
    let (writer, writer_waker) = counting();
    let big = pattern(300_000, 5);
    let mut write = pin!(w.write_all(&big));
    let mut cx = Context::from_waker(&writer_waker);
    assert!(write.as_mut().poll(&mut cx).is_pending());
    assert_eq!(writer.0.load(Ordering::SeqCst), 0);

    // A forged record: the read half fails, queues a RESET and tries to
    // send it on the full pipe, with its own task waiting.
    raw.io
        .write_all(
            &[0x10, 0x00, 0x11]
                .into_iter()
                .chain([0xa5; 17])
                .collect::<Vec<u8>>(),
        )
        .await
        .unwrap();
    let (reader, reader_waker) = counting();
    let mut buf = [0u8; 64];
    let mut read = pin!(r.read(&mut buf));
    let mut rcx = Context::from_waker(&reader_waker);
    match read.as_mut().poll(&mut rcx) {
        Poll::Ready(Err(e)) => assert_eq!(
            session_error(&e),
            Some(ossuary_core::Error::BadRecord),
            "{e}"
        ),
        other => panic!("the forged record must fail the read: {other:?}"),
    }

    // The peer drains the pipe: the write half is woken, and finds the
    // session's error.
    let mut sink = vec![0u8; 4096];
    let n = raw.io.read(&mut sink).await.unwrap();
    assert!(n > 0);
    assert!(
        writer.0.load(Ordering::SeqCst) > 0,
        "the write half was not woken when the transport drained"
    );
    match write.as_mut().poll(&mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(
            session_error(&e),
            Some(ossuary_core::Error::BadRecord),
            "{e}"
        ),
        other => panic!("the write half must see the failure: {other:?}"),
    }
    let _ = reader;
}

/// Sends `data` in chunks of changing size, then shuts down.
async fn send_all<W: AsyncWrite + Unpin>(mut w: W, data: Arc<Vec<u8>>) -> W {
    let mut at = 0;
    for i in 0..MAX_CHUNKS {
        if at == data.len() {
            break;
        }
        let n = [1, 700, 4096, 16_384, 65_519, 100_000][i % 6].min(data.len() - at);
        w.write_all(&data[at..at + n]).await.unwrap();
        at += n;
    }
    assert_eq!(at, data.len(), "send loop bound reached");
    w.shutdown().await.unwrap();
    w
}

/// Reads to the peer's CLOSE and checks the bytes against `expected`.
async fn receive_all<R: AsyncRead + Unpin>(mut r: R, expected: Arc<Vec<u8>>) -> R {
    let mut got = Vec::with_capacity(expected.len());
    let mut buf = vec![0u8; 20_000];
    for _ in 0..MAX_CHUNKS {
        match r.read(&mut buf).await.unwrap() {
            0 => break,
            n => got.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(got.len(), expected.len());
    assert!(got == *expected, "received bytes differ");
    r
}

/// Both ends split, four tasks, `size` bytes each way at once.
async fn full_duplex<IO>(c_io: IO, s_io: IO, size: usize, tokio_split: bool)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (cid, sid) = (Id::generate(), Id::generate());
    let server = tokio::spawn({
        let (sid, ckey) = (sid.clone(), cid.public());
        async move { accept(s_io, auth_server(&sid, &[ckey])).await.unwrap() }
    });
    let c = connect(c_io, client(Some(&cid), &[sid.public()]))
        .await
        .unwrap();
    let s = server.await.unwrap();
    let up = Arc::new(pattern(size, 1));
    let down = Arc::new(pattern(size, 2));
    let tasks = if tokio_split {
        let (cr, cw) = tokio::io::split(c);
        let (sr, sw) = tokio::io::split(s);
        [
            tokio::spawn({
                let up = Arc::clone(&up);
                async move { drop(send_all(cw, up).await) }
            }),
            tokio::spawn({
                let down = Arc::clone(&down);
                async move { drop(send_all(sw, down).await) }
            }),
            tokio::spawn(async move { drop(receive_all(sr, up).await) }),
            tokio::spawn(async move { drop(receive_all(cr, down).await) }),
        ]
    } else {
        let (cr, cw) = c.into_split();
        let (sr, sw) = s.into_split();
        assert_eq!(cr.remote_public_key(), Some(sid.public()));
        assert_eq!(sw.remote_public_key(), Some(cid.public()));
        [
            tokio::spawn({
                let up = Arc::clone(&up);
                async move { drop(send_all(cw, up).await) }
            }),
            tokio::spawn({
                let down = Arc::clone(&down);
                async move { drop(send_all(sw, down).await) }
            }),
            tokio::spawn(async move { drop(receive_all(sr, up).await) }),
            tokio::spawn(async move { drop(receive_all(cr, down).await) }),
        ]
    };
    for task in tasks {
        within(LIMIT, "full duplex", task).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_halves_full_duplex_over_small_pipes() {
    for capacity in [7, 1000, 70_000] {
        let (a, b) = duplex(capacity);
        full_duplex(a, b, 1 << 20, false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_io_split_full_duplex_over_small_pipes() {
    for capacity in [7, 1000, 70_000] {
        let (a, b) = duplex(capacity);
        full_duplex(a, b, 1 << 20, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_halves_full_duplex_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = tokio::spawn(async move { listener.accept().await.unwrap().0 });
    let c = TcpStream::connect(addr).await.unwrap();
    let s = accepted.await.unwrap();
    full_duplex(c, s, 8 << 20, false).await;
}
