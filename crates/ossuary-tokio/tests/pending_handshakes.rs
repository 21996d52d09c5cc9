//! Hundreds of clients that start a handshake and never finish it: the
//! server's memory per pending handshake is bounded (and printed), the
//! server keeps serving a well-behaved client meanwhile, and everything
//! the pending handshakes held is given back when they go.
//!
//! A counting global allocator (stats_alloc: the allocator code is that crate's, none of ours) sees the
//! whole process; this binary holds only this test. The pending clients
//! are blocking `std::net::TcpStream`s on a thread of their own, made
//! before the first measurement, and they allocate nothing: what the heap
//! gains is the server's. The runtime has one thread, so when the test
//! task runs, every server task that has sent its SERVER_HELLO has
//! finished that poll and waits for input.

mod common;

use std::alloc::System;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use ossuary_core::Error;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PENDING: usize = 300;
/// The bound per pending handshake: the connection's handshake state, the
/// task, the socket's registration; no frame-sized buffer.
const PER_PENDING_BOUND: i64 = 4 * 1024;
/// How far above its starting level the heap may end.
const SLACK: i64 = 64 * 1024;
const LIMIT: Duration = Duration::from_secs(120);

/// Bytes allocated and not freed, process-wide.
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

#[tokio::test]
async fn hundreds_of_unfinished_handshakes() {
    let (sid, good) = (Id::generate(), Id::generate());
    // A deadline far away: the pending clients end by leaving.
    let mut server = EchoServer::start(&sid, &[good.public()], LIMIT).await;
    let addr = server.addr;
    // Warm up the server's path once.
    good_client(addr, &good, server.key).await;
    assert!(matches!(
        server.next_end().await.outcome,
        Outcome::Echoed(_)
    ));

    // Everything the pending clients need, made now.
    let hello = client(None, &[]).pending_output().to_vec();
    let mut sockets = Vec::with_capacity(PENDING);
    let (go, start) = std::sync::mpsc::channel::<()>();
    let (done, opened) = tokio::sync::oneshot::channel();
    let opener = std::thread::spawn(move || {
        if start.recv().is_err() {
            return;
        }
        let mut reply = [0u8; 2048];
        for _ in 0..PENDING {
            let mut tcp = TcpStream::connect(addr).expect("connect (file descriptors?)");
            tcp.set_read_timeout(Some(LIMIT)).expect("timeout");
            tcp.write_all(&hello).expect("CLIENT_HELLO");
            sockets.push(tcp);
        }
        // Each SERVER_HELLO: the server has taken the hello and answered.
        for tcp in &mut sockets {
            tcp.read_exact(&mut reply[..3])
                .expect("SERVER_HELLO header");
            assert_eq!(reply[0], 0x02);
            let len = usize::from(u16::from_be_bytes([reply[1], reply[2]]));
            tcp.read_exact(&mut reply[3..3 + len])
                .expect("SERVER_HELLO");
        }
        let _ = done.send(sockets);
    });

    let before = live();
    go.send(()).unwrap();
    let sockets = within(LIMIT, "pending clients", opened)
        .await
        .expect("the opener failed");
    let during = live();
    let per = (during - before) / PENDING as i64;
    println!(
        "pending handshakes: {PENDING} held {} bytes of heap, {per} bytes each",
        during - before
    );
    assert!(
        per <= PER_PENDING_BOUND,
        "{per} bytes per pending handshake (bound {PER_PENDING_BOUND})"
    );

    // Meanwhile, a well-behaved client is served.
    within(LIMIT, "good client", good_client(addr, &good, server.key)).await;
    let end = server.next_end().await;
    assert!(matches!(end.outcome, Outcome::Echoed(21_001)), "{end:?}");

    // They go: each handshake ends as truncated, and the memory comes back.
    drop(sockets);
    opener.join().unwrap();
    for _ in 0..PENDING {
        let end = server.next_end().await;
        assert!(
            matches!(
                end.outcome,
                Outcome::HandshakeFailed(Some(Error::Truncated), _)
            ),
            "{end:?}"
        );
    }
    let after = live();
    println!(
        "pending handshakes: heap {before} bytes before, {during} while pending, {after} after"
    );
    assert!(
        after - before <= SLACK,
        "{} bytes not given back",
        after - before
    );
}
