//! Churn: 10,000 connect → handshake → close cycles over loopback TCP, and
//! the heap returns to where it started. Prints the time and both heap
//! figures.
//!
//! A counting global allocator (stats_alloc, whose allocator code is that
//! crate's, not ours) sees every allocation of the process; this binary holds only
//! this test, so the figures are the cycles' alone. The starting level is
//! taken after a warm-up at the same concurrency, which grows what the
//! runtime keeps for good (worker queues, the I/O driver's slab).

mod common;

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ossuary_tokio::{accept, connect};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CYCLES: usize = 10_000;
const WARM_UP: usize = 200;
/// Cycles in flight at once.
const CONCURRENCY: usize = 8;
/// How far above its starting level the heap may end: allocator-level
/// noise, far below one session's worth per thousand cycles.
const SLACK: i64 = 64 * 1024;
const LIMIT: Duration = Duration::from_secs(600);

/// Bytes allocated and not freed, process-wide.
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_cycles_leave_the_heap_where_it_was() {
    let (cid, sid) = (Id::generate(), Id::generate());
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
    let ctx = Arc::new(Cycle { cid, sid, listener });

    run(&ctx, WARM_UP).await;
    let before = live();
    let start = Instant::now();
    run(&ctx, CYCLES).await;
    let elapsed = start.elapsed();
    let after = live();
    println!(
        "churn: {CYCLES} connect/handshake/close cycles in {:.1} s; heap {before} bytes before, \
         {after} after ({:+})",
        elapsed.as_secs_f64(),
        after - before
    );
    assert!(
        after - before <= SLACK,
        "the heap grew by {} bytes over {CYCLES} cycles",
        after - before
    );
}

/// What every cycle shares.
struct Cycle {
    cid: Id,
    sid: Id,
    listener: Arc<TcpListener>,
}

/// Runs `n` cycles, `CONCURRENCY` at a time, and waits for every task.
async fn run(ctx: &Arc<Cycle>, n: usize) {
    within(LIMIT, "cycles", async {
        let mut done = 0;
        while done < n {
            let batch = CONCURRENCY.min(n - done);
            let tasks: Vec<_> = (0..batch)
                .map(|_| tokio::spawn(cycle(Arc::clone(ctx))))
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            done += batch;
        }
    })
    .await;
}

/// One cycle: a client connects, both ends run the handshake, the client
/// closes, the server answers with its CLOSE, both see `Ok(0)`.
async fn cycle(ctx: Arc<Cycle>) {
    let addr = ctx.listener.local_addr().unwrap();
    let server = async {
        // Whichever connection comes: every cycle's server serves one.
        let (tcp, _) = ctx.listener.accept().await.unwrap();
        let conn = auth_server(&ctx.sid, &[ctx.cid.public()]);
        let mut stream = accept(tcp, conn).await.unwrap();
        assert_eq!(stream.read(&mut [0u8; 16]).await.unwrap(), 0);
        stream.shutdown().await.unwrap();
    };
    let client = async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let conn = client(Some(&ctx.cid), &[ctx.sid.public()]);
        let mut stream = connect(tcp, conn).await.unwrap();
        stream.shutdown().await.unwrap();
        assert_eq!(stream.read(&mut [0u8; 16]).await.unwrap(), 0);
    };
    tokio::join!(server, client);
}
