//! An idle session holds little memory however large its last records were:
//! once a stream waits for its peer, the connection's queues give back what a
//! burst grew them to (`Connection::shrink_buffers`), as the adapter's own
//! input buffer does (issue 12: at most 4 KiB per idle session, buffers held
//! only while data is in flight).
//!
//! A counting global allocator (stats_alloc: the allocator code is that crate's, none of ours) sees the
//! whole process; this binary holds only this test, on a one-thread runtime.
//! What dropping the two streams gives back is what they held, plus the
//! pipe between them (1 KiB each way).

mod common;

use std::alloc::System;
use std::time::Duration;

use common::*;
use ossuary_tokio::{Stream, accept, connect};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Both ends and the pipe, idle after the burst. Before the queues shrank
/// the pair held about 528 KB here (264 KB per end, `cargo xtask bench`).
const PAIR_BOUND: i64 = 2 * 4096 + 8 * 1024;
const BURST: usize = 64 * 1024;
const LIMIT: Duration = Duration::from_secs(60);

/// Bytes allocated and not freed, process-wide.
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

async fn pair() -> (Stream<DuplexStream>, Stream<DuplexStream>) {
    let (cid, sid) = (Id::generate(), Id::generate());
    let (c_io, s_io) = duplex(1024);
    let server = tokio::spawn({
        let (sid, ckey) = (sid.clone(), cid.public());
        async move { accept(s_io, auth_server(&sid, &[ckey])).await }
    });
    let client = connect(c_io, client(Some(&cid), &[sid.public()]))
        .await
        .expect("connect");
    (client, server.await.expect("join").expect("accept"))
}

/// Sends `data` from `from` while `to` reads it all; checks the bytes.
async fn burst(from: &mut Stream<DuplexStream>, to: &mut Stream<DuplexStream>, data: &[u8]) {
    let mut got = vec![0u8; data.len()];
    let (sent, read) = tokio::join!(
        async {
            from.write_all(data).await?;
            from.flush().await
        },
        to.read_exact(&mut got)
    );
    sent.expect("write");
    read.expect("read");
    assert!(got == data, "the burst arrived changed");
}

/// Polls a read once: the stream finds nothing and goes idle.
async fn idle(s: &mut Stream<DuplexStream>) {
    let mut b = [0u8; 1];
    let r = tokio::time::timeout(Duration::from_millis(1), s.read(&mut b)).await;
    assert!(r.is_err(), "nothing was sent, so the read must wait");
}

#[tokio::test(flavor = "current_thread")]
async fn an_idle_session_gives_back_what_a_burst_grew() {
    within(LIMIT, "burst and idle", async {
        let (mut c, mut s) = pair().await;
        let data = pattern(BURST, 7);
        burst(&mut c, &mut s, &data).await;
        burst(&mut s, &mut c, &data).await;
        idle(&mut c).await;
        idle(&mut s).await;
        let before = live();
        drop((c, s));
        let held = before - live();
        println!("a client and server idle after a {BURST}-byte burst each way held {held} bytes");
        assert!(
            held <= PAIR_BOUND,
            "an idle pair held {held} bytes (bound {PAIR_BOUND})"
        );
    })
    .await;
}
