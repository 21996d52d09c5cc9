//! [`EchoServer`]: an authenticating echo server on loopback TCP (port 0),
//! one task per connection, reporting how each connection ended; and
//! [`good_client`], the well-behaved client the fault tests serve while a
//! faulty one misbehaves.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ossuary_core::{PublicKey, Role};
use ossuary_tokio::{accept, connect};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Id, client, config_timeout, pattern, server_with, session_error, within};

/// How long a test waits for any one connection's end.
const WAIT: Duration = Duration::from_secs(60);

/// How a connection ended, as the server saw it.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Echoed this many bytes, then the client's CLOSE.
    Echoed(usize),
    /// The handshake failed: the Ossuary error, if it was one, and the
    /// message.
    HandshakeFailed(Option<ossuary_core::Error>, String),
    /// The session failed after the handshake.
    SessionFailed(Option<ossuary_core::Error>, String),
}

/// One connection's end.
#[derive(Debug)]
pub(crate) struct End {
    pub(crate) outcome: Outcome,
    /// From the connection's accept to its end.
    pub(crate) elapsed: Duration,
    /// The client's verified key, once known.
    pub(crate) client: Option<PublicKey>,
}

/// A running echo server.
pub(crate) struct EchoServer {
    pub(crate) addr: SocketAddr,
    pub(crate) key: PublicKey,
    ends: mpsc::UnboundedReceiver<End>,
    task: JoinHandle<()>,
}

impl EchoServer {
    /// Serves the clients `authorized` as `id`, with `timeout` for each
    /// handshake.
    pub(crate) async fn start(id: &Id, authorized: &[PublicKey], timeout: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (tx, ends) = mpsc::unbounded_channel();
        let key = id.public();
        let settings = Arc::new(Settings {
            id: id.clone(),
            authorized: authorized.to_vec(),
            timeout,
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (tx, settings) = (tx.clone(), Arc::clone(&settings));
                tokio::spawn(async move {
                    let start = Instant::now();
                    let (outcome, client) = serve(tcp, &settings).await;
                    let _ = tx.send(End {
                        outcome,
                        elapsed: start.elapsed(),
                        client,
                    });
                });
            }
        });
        Self {
            addr,
            key,
            ends,
            task,
        }
    }

    /// The next connection to end.
    pub(crate) async fn next_end(&mut self) -> End {
        within(WAIT, "a connection's end", self.ends.recv())
            .await
            .expect("the server stopped")
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What every connection's task shares.
struct Settings {
    id: Id,
    authorized: Vec<PublicKey>,
    timeout: Duration,
}

async fn serve(tcp: TcpStream, settings: &Settings) -> (Outcome, Option<PublicKey>) {
    // Built here, as a server does when a transport is accepted: the
    // deadline starts now.
    let conn = server_with(
        Role::AuthenticatingServer,
        config_timeout(settings.timeout),
        &settings.id,
        &settings.authorized,
    );
    let mut stream = match accept(tcp, conn).await {
        Ok(stream) => stream,
        Err(e) => {
            let inner = match &e {
                ossuary_tokio::Error::Session(inner) => Some(*inner),
                _ => None,
            };
            return (Outcome::HandshakeFailed(inner, e.to_string()), None);
        }
    };
    let client = stream.remote_public_key();
    let mut buf = vec![0u8; 16 * 1024];
    let mut echoed = 0;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return (
                    Outcome::SessionFailed(session_error(&e), e.to_string()),
                    client,
                );
            }
        };
        if let Err(e) = stream.write_all(&buf[..n]).await {
            return (
                Outcome::SessionFailed(session_error(&e), e.to_string()),
                client,
            );
        }
        echoed += n;
    }
    match stream.shutdown().await {
        Ok(()) => (Outcome::Echoed(echoed), client),
        Err(e) => (
            Outcome::SessionFailed(session_error(&e), e.to_string()),
            client,
        ),
    }
}

/// Connects as `id`, echoes three messages, closes cleanly; returns how
/// long it took. Panics on any failure.
pub(crate) async fn good_client(addr: SocketAddr, id: &Id, server: PublicKey) -> Duration {
    let start = Instant::now();
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let mut stream = connect(tcp, client(Some(id), &[server]))
        .await
        .expect("handshake");
    for (i, len) in [1usize, 1000, 20_000].into_iter().enumerate() {
        let msg = pattern(len, i as u64);
        stream.write_all(&msg).await.expect("write");
        let mut back = vec![0u8; len];
        stream.read_exact(&mut back).await.expect("read");
        assert!(back == msg, "the echo differs");
    }
    stream.shutdown().await.expect("shutdown");
    assert_eq!(stream.read(&mut [0u8; 8]).await.expect("read the CLOSE"), 0);
    start.elapsed()
}
