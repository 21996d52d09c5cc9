//! Load: one server on loopback TCP, 1,000 concurrent clients, each a full
//! mutually authenticated handshake and 1 MiB each way, every byte checked;
//! all must complete. Prints the time it took.
//!
//! The clients send at once and read at once (owned halves in two tasks);
//! the server echoes. Each client's bytes are one of 16 patterns with the
//! client's number in front, so a byte delivered to the wrong client, or
//! out of place, fails the check. Nothing is held whole in memory: each
//! side checks as the bytes arrive.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use ossuary_core::PublicKey;
use ossuary_tokio::{Stream, accept, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Barrier;

const CLIENTS: usize = 1_000;
const BYTES: usize = 1 << 20;
/// Client identities (the server authorizes all of them).
const IDENTITIES: usize = 16;
/// Bytes per write and per read.
const CHUNK: usize = 16 * 1024;
/// The whole run's bound, in debug builds on two loaded cores.
const LIMIT: Duration = Duration::from_secs(600);

/// What client `i` sends at `at..at + len`: its number (8 bytes), then
/// pattern `i % IDENTITIES` from there on.
fn expected(patterns: &[Vec<u8>], i: usize, at: usize, len: usize) -> Vec<u8> {
    let number = (i as u64).to_be_bytes();
    let mut out: Vec<u8> = number[at.min(8)..].iter().copied().take(len).collect();
    let from = at + out.len();
    out.extend_from_slice(&patterns[i % IDENTITIES][from..at + len]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_a_mebibyte_each_way() {
    let server_id = Id::generate();
    let clients: Vec<Id> = (0..IDENTITIES).map(|_| Id::generate()).collect();
    let authorized: Arc<Vec<PublicKey>> = Arc::new(clients.iter().map(Id::public).collect());
    let patterns: Arc<Vec<Vec<u8>>> =
        Arc::new((0..IDENTITIES).map(|k| pattern(BYTES, k as u64)).collect());

    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    // Room for every client's connection at once.
    let listener = socket.listen(4096).unwrap();

    let start = Instant::now();
    let server = tokio::spawn({
        let (server_id, authorized) = (server_id.clone(), Arc::clone(&authorized));
        async move {
            let mut sessions = Vec::with_capacity(CLIENTS);
            for _ in 0..CLIENTS {
                let (tcp, _) = listener.accept().await.expect("accept (file descriptors?)");
                tcp.set_nodelay(true).unwrap();
                let conn = auth_server(&server_id, &authorized);
                sessions.push(tokio::spawn(echo(tcp, conn, Arc::clone(&authorized))));
            }
            let mut echoed = 0;
            let mut failed = Vec::new();
            for session in sessions {
                match session.await.unwrap() {
                    Ok(n) => echoed += n,
                    Err(e) => failed.push(e),
                }
            }
            assert!(
                failed.is_empty(),
                "{} sessions failed; the first: {:?}",
                failed.len(),
                &failed[..failed.len().min(5)]
            );
            echoed
        }
    });

    // All handshakes first, all transfers then: on two cores shared by
    // both ends in a debug build, transfers under way would starve the
    // handshakes still waiting past their 10 s deadline (which is the
    // deadline's job, and not what this test measures).
    let handshaken = Arc::new(Barrier::new(CLIENTS));
    let mut tasks = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let id = clients[i % IDENTITIES].clone();
        let (patterns, handshaken) = (Arc::clone(&patterns), Arc::clone(&handshaken));
        let key = server_id.public();
        tasks.push(tokio::spawn(async move {
            let stream = handshake(addr, &id, key).await;
            handshaken.wait().await;
            transfer(stream?, i, patterns).await
        }));
    }
    let failed: Vec<String> = within(LIMIT, "clients", async {
        let mut failed = Vec::new();
        for task in tasks {
            if let Err(e) = task.await.unwrap() {
                failed.push(e);
            }
        }
        failed
    })
    .await;
    assert!(
        failed.is_empty(),
        "{} of {CLIENTS} clients failed; the first: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    let echoed = within(LIMIT, "server", server).await.unwrap();
    assert_eq!(echoed, CLIENTS * BYTES);
    println!(
        "load: {CLIENTS} clients, mutual handshake and {} MiB each way, every byte checked: {:.1} s",
        BYTES >> 20,
        start.elapsed().as_secs_f64()
    );
}

/// Connects and runs the handshake as client `id`, pinning `key`.
async fn handshake(addr: SocketAddr, id: &Id, key: PublicKey) -> Result<Stream<TcpStream>, String> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect (file descriptors?): {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let stream = connect(tcp, client(Some(id), &[key]))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    if stream.remote_public_key() != Some(key) {
        return Err("another server key".into());
    }
    Ok(stream)
}

/// Client `i` sends its bytes and reads the echo at once (owned halves in
/// two tasks), checking every byte.
async fn transfer(
    stream: Stream<TcpStream>,
    i: usize,
    patterns: Arc<Vec<Vec<u8>>>,
) -> Result<(), String> {
    let (mut r, mut w) = stream.into_split();
    let writer = tokio::spawn({
        let patterns = Arc::clone(&patterns);
        async move {
            w.write_all(&(i as u64).to_be_bytes()).await?;
            for chunk in patterns[i % IDENTITIES][8..].chunks(CHUNK) {
                w.write_all(chunk).await?;
            }
            w.shutdown().await
        }
    });
    let mut buf = vec![0u8; CHUNK];
    let mut got = 0;
    for _ in 0..BYTES {
        let n = r
            .read(&mut buf)
            .await
            .map_err(|e| format!("client {i}: read: {e}"))?;
        if n == 0 {
            break;
        }
        if got + n > BYTES || buf[..n] != expected(&patterns, i, got, n)[..] {
            return Err(format!("client {i}: bytes {got}..{} differ", got + n));
        }
        got += n;
    }
    if got != BYTES {
        return Err(format!("client {i}: the echo ended after {got} bytes"));
    }
    writer
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("client {i}: write: {e}"))
}

/// Echoes one client to its CLOSE, checking that it is authorized and
/// that its bytes are its own (its number comes first); returns the bytes
/// echoed.
async fn echo(
    tcp: TcpStream,
    conn: ossuary_core::Connection,
    authorized: Arc<Vec<PublicKey>>,
) -> Result<usize, String> {
    let mut stream = accept(tcp, conn)
        .await
        .map_err(|e| format!("accept: {e}"))?;
    let who = stream.remote_public_key().ok_or("no client identity")?;
    let k = authorized
        .iter()
        .position(|a| *a == who)
        .ok_or("an unauthorized client")?;
    let mut buf = vec![0u8; CHUNK];
    let mut echoed = 0;
    let mut number = Vec::with_capacity(8);
    for _ in 0..BYTES {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("server read: {e}"))?;
        if n == 0 {
            break;
        }
        if number.len() < 8 {
            let take = (8 - number.len()).min(n);
            number.extend_from_slice(&buf[..take]);
            if number.len() == 8 {
                let i = u64::from_be_bytes(number[..].try_into().unwrap()) as usize;
                if i % IDENTITIES != k {
                    return Err(format!("client {i} used another client's key"));
                }
            }
        }
        stream
            .write_all(&buf[..n])
            .await
            .map_err(|e| format!("server write: {e}"))?;
        echoed += n;
    }
    stream
        .shutdown()
        .await
        .map_err(|e| format!("server shutdown: {e}"))?;
    Ok(echoed)
}
