//! Cancel safety: `read`, `write`, `flush` and `shutdown` futures dropped
//! midway, many times over, lose no byte and leave the session working.
//!
//! Each future is polled once and dropped if it is not ready; the peer's
//! bytes arrive through a small in-memory pipe, so a frame arrives in
//! pieces and a dropped read has taken some of it into the stream.

mod common;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use common::*;
use ossuary_tokio::{Stream, accept, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

const LIMIT: Duration = Duration::from_secs(60);
/// Polls a test may make before it must be done.
const MAX_POLLS: usize = 1_000_000;

/// Polls `f` once: its output if it is ready; otherwise it is dropped.
async fn poll_once<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    poll_fn(|cx| {
        Poll::Ready(match f.as_mut().poll(cx) {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
        })
    })
    .await
}

/// A client and a server over a pipe of `capacity` bytes.
async fn pair(capacity: usize) -> (Stream<DuplexStream>, Stream<DuplexStream>) {
    let (cid, sid) = (Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(capacity);
    let server = tokio::spawn({
        let (sid, ckey) = (sid.clone(), cid.public());
        async move { accept(s_io, auth_server(&sid, &[ckey])).await }
    });
    let client = connect(c_io, client(Some(&cid), &[sid.public()]))
        .await
        .unwrap();
    (client, server.await.unwrap().unwrap())
}

/// Sizes that make records of every kind: tiny, around the probe, whole
/// frames, more than a frame.
const SIZES: [usize; 9] = [1, 100, 4095, 4096, 4097, 65_519, 65_520, 150_000, 7];

/// Three rounds of [`SIZES`].
fn chunks() -> impl Iterator<Item = usize> {
    SIZES.into_iter().cycle().take(3 * SIZES.len())
}

#[tokio::test(start_paused = true)]
async fn dropped_reads_lose_nothing() {
    let (mut c, mut s) = pair(1000).await;
    let sent: Vec<u8> = chunks()
        .enumerate()
        .flat_map(|(i, n)| pattern(n, i as u64))
        .collect();
    let writer = tokio::spawn({
        let sent = sent.clone();
        async move {
            // Record boundaries as the chunks fall.
            let mut at = 0;
            for n in chunks() {
                s.write_all(&sent[at..at + n]).await.unwrap();
                at += n;
            }
            s.shutdown().await.unwrap();
            s
        }
    });

    let mut got = Vec::with_capacity(sent.len());
    let mut buf = vec![0u8; 70_000];
    let (mut dropped, mut polls) = (0, 0);
    loop {
        polls += 1;
        assert!(polls < MAX_POLLS, "read loop bound reached");
        // Buffers of changing size: plaintext that does not fit waits.
        let len = [1, 333, 4096, 70_000][polls % 4];
        match poll_once(c.read(&mut buf[..len])).await {
            Some(Ok(0)) => break,
            Some(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Some(Err(e)) => panic!("read failed: {e}"),
            None => {
                dropped += 1;
                // Let the writer refill the pipe (no sleep: a yield).
                tokio::task::yield_now().await;
            }
        }
    }
    assert!(dropped > 100, "only {dropped} reads were dropped midway");
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the bytes read differ from the bytes sent");

    // The session still works: a last exchange the other way.
    let mut s = within(LIMIT, "writer", writer).await.unwrap();
    c.write_all(b"still here").await.unwrap();
    c.shutdown().await.unwrap();
    let mut last = Vec::new();
    s.read_to_end(&mut last).await.unwrap();
    assert_eq!(last, b"still here");
}

#[tokio::test(start_paused = true)]
async fn dropped_writes_flushes_and_shutdowns_lose_nothing() {
    let (mut c, mut s) = pair(1000).await;
    let data = pattern(1 << 20, 9);
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 3000];
        for _ in 0..MAX_POLLS {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            // A slow reader: the writer keeps meeting a full pipe.
            tokio::task::yield_now().await;
        }
        panic!("reader loop bound reached");
    });

    let mut taken = 0;
    let (mut dropped, mut polls) = (0, 0);
    while taken < data.len() {
        polls += 1;
        assert!(polls < MAX_POLLS, "write loop bound reached");
        let n = SIZES[polls % SIZES.len()].min(data.len() - taken);
        let rest = &data[taken..taken + n];
        match poll_once(c.write(rest)).await {
            Some(Ok(n)) => {
                assert!(n > 0);
                taken += n;
            }
            Some(Err(e)) => panic!("write failed: {e}"),
            None => dropped += 1,
        }
        if polls % 7 == 0 && poll_once(c.flush()).await.is_none() {
            dropped += 1;
        }
        tokio::task::yield_now().await;
    }
    // A shutdown dropped midway, then done for real.
    for _ in 0..3 {
        if poll_once(c.shutdown()).await.is_none() {
            dropped += 1;
        }
    }
    within(LIMIT, "shutdown", c.shutdown()).await.unwrap();
    assert!(dropped > 10, "only {dropped} futures were dropped midway");
    let got = within(LIMIT, "reader", reader).await.unwrap();
    assert_eq!(got.len(), data.len(), "exactly the bytes writes reported");
    assert!(got == data);
}

/// The pattern `select!` users write: a read raced against a timer in a
/// loop, the read losing most races.
#[tokio::test(start_paused = true)]
async fn a_read_that_loses_a_select_loses_nothing() {
    let (mut c, mut s) = pair(512).await;
    let sent = pattern(300_000, 3);
    let writer = tokio::spawn({
        let sent = sent.clone();
        async move {
            for (i, piece) in sent.chunks(7_000).enumerate() {
                s.write_all(piece).await.unwrap();
                if i % 3 == 0 {
                    // The writer pauses; the reader's timer wins meanwhile.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            s.shutdown().await.unwrap();
        }
    });
    let mut got = Vec::new();
    let mut buf = vec![0u8; 10_000];
    let mut ticks = 0;
    for _ in 0..MAX_POLLS {
        tokio::select! {
            read = c.read(&mut buf) => match read.unwrap() {
                0 => break,
                n => got.extend_from_slice(&buf[..n]),
            },
            () = tokio::time::sleep(Duration::from_millis(1)) => ticks += 1,
        }
    }
    assert!(ticks > 10, "the timer won only {ticks} times");
    assert!(got == sent);
    within(LIMIT, "writer", writer).await.unwrap();
}
