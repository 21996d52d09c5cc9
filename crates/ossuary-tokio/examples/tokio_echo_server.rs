//! An async echo server over TCP: every byte a client sends comes back.
//!
//! ```text
//! cargo run -p ossuary-core --example keygen -- server.key
//! cargo run -p ossuary-tokio --example tokio_echo_server -- --listen 127.0.0.1:7000 \
//!     --key server.key [--authorized clients.txt] [--max-connections 1024] \
//!     [--handshake-timeout 10] [--idle-timeout 60] [--grace 10]
//! ```
//!
//! With `--authorized FILE` only the client keys listed there are served
//! (authenticating server); without it, any client is, with or without a key
//! (open server). At start it prints its mode, its key's fingerprint and
//! `listening on ADDR`, then one line per connection: the peer address, the
//! client's key fingerprint (or `anonymous`), the bytes echoed and how the
//! connection ended.
//!
//! One task per connection, and limits on everything a client controls:
//! at most `--max-connections` at once (more are turned away), the
//! handshake deadline (`--handshake-timeout`, enforced by
//! `ossuary_tokio::accept` itself, however the client spreads its bytes),
//! and `--idle-timeout` seconds without a byte from a client, or without it
//! taking our writes, after the handshake.
//!
//! Ctrl-C (or SIGTERM) stops it gracefully: it stops accepting, every
//! session is ended with an authenticated CLOSE after what it has echoed,
//! the clients get `--grace` seconds to answer with theirs, and what is
//! left then is cut. It prints `stopped: ...` and exits with status 0.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{Args, value};
use ossuary_core::keys::{AuthorizedKeys, Fingerprint};
use ossuary_core::{Config, Connection, Error, HandshakeError, Role, SecretKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

const USAGE: &str = "usage: tokio_echo_server --listen ADDR --key FILE [--authorized FILE]
                   [--max-connections N] [--handshake-timeout SECS]
                   [--idle-timeout SECS] [--grace SECS]
  --listen ADDR              address to listen on (port 0: any free port)
  --key FILE                 the server's secret key (see ossuary-core's keygen example)
  --authorized FILE          serve only the client keys in FILE (default: any client)
  --max-connections N        clients served at once (default 1024)
  --handshake-timeout SECS   time a client has to finish its handshake (default 10)
  --idle-timeout SECS        drop a client silent this long after the handshake (default 60)
  --grace SECS               on Ctrl-C, time clients have to close (default 10)";

/// Bytes read (and echoed) at a time.
const CHUNK: usize = 16 * 1024;

/// What every connection's task shares.
struct Settings {
    key: Arc<SecretKey>,
    /// `Some` for an authenticating server.
    authorized: Option<AuthorizedKeys>,
    handshake_timeout: Duration,
    idle_timeout: Duration,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::report(run().await)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(
        USAGE,
        &[
            value("--listen", "ADDR"),
            value("--key", "FILE"),
            value("--authorized", "FILE"),
            value("--max-connections", "N"),
            value("--handshake-timeout", "SECS"),
            value("--idle-timeout", "SECS"),
            value("--grace", "SECS"),
        ],
        0,
    )?;
    let listen = args.required("--listen")?;
    let key_path = common::path(args.required("--key")?);
    let max_connections = args.count("--max-connections", 1024)?;
    let handshake_timeout = args.seconds("--handshake-timeout", Duration::from_secs(10))?;
    let idle_timeout = args.seconds("--idle-timeout", Duration::from_secs(60))?;
    let grace = args.seconds("--grace", Duration::from_secs(10))?;

    // Everything that can be wrong with the files is found before listening.
    let key = common::load_secret_key(&key_path)?;
    let authorized = match args.value("--authorized") {
        Some(path) => {
            let path = common::path(path);
            let keys = common::load_authorized_keys(&path)?;
            println!(
                "authenticating: {} authorized key{} from {}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" },
                path.display()
            );
            Some(keys)
        }
        None => {
            println!("open: any client (no --authorized file)");
            None
        }
    };
    println!(
        "server key {} from {}",
        Fingerprint::of(&key.public_key()),
        key_path.display()
    );
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // The last line at start: a script may wait for it.
    println!("listening on {}", listener.local_addr()?);

    let settings = Arc::new(Settings {
        key: Arc::new(key),
        authorized,
        handshake_timeout,
        idle_timeout,
    });
    let slots = Arc::new(Semaphore::new(max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut sessions = JoinSet::new();
    let mut signal = std::pin::pin!(stop_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, for example: keep serving the
                        // clients we have, and try again a little later.
                        println!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    println!("{peer}: turned away: {max_connections} clients already connected");
                    continue; // dropping `tcp` closes it
                };
                let (settings, stopping) = (Arc::clone(&settings), stopping.clone());
                sessions.spawn(async move {
                    let line = serve(tcp, peer, &settings, stopping).await;
                    println!("{line}");
                    drop(slot);
                });
            }
            // Finished sessions are reaped as they end.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            signal = &mut signal => {
                signal?;
                break;
            }
        }
    }

    drop(listener);
    println!(
        "stopping: {} session{} open; {} s for clients to close",
        sessions.len(),
        if sessions.len() == 1 { "" } else { "s" },
        grace.as_secs()
    );
    let _ = stop.send(true);
    let closed = tokio::time::timeout(grace, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    let cut = if closed.is_ok() { 0 } else { sessions.len() };
    sessions.shutdown().await;
    println!(
        "stopped: {cut} session{} cut after the grace period",
        if cut == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Waits for Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await
}

/// Serves one client and returns its log line.
async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    settings: &Settings,
    stopping: watch::Receiver<bool>,
) -> String {
    let mut echoed = 0u64;
    let mut who = None;
    let end = echo(tcp, settings, stopping, &mut who, &mut echoed).await;
    let who = who.map_or_else(|| "anonymous".to_string(), |k| format!("client {k}"));
    match end {
        Ok(Ended::Client) => format!("{peer}: {who}: echoed {echoed} bytes; clean close"),
        Ok(Ended::Server) => {
            format!("{peer}: {who}: echoed {echoed} bytes; closed by the server's stop")
        }
        Err(e) => format!("{peer}: {who}: echoed {echoed} bytes; {e}"),
    }
}

/// Who ended a session that ended cleanly.
enum Ended {
    /// The client closed first.
    Client,
    /// The server was stopping and closed first.
    Server,
}

/// Runs the handshake, then echoes until the client closes or the server
/// stops. `who` is the client's key fingerprint once known (also a refused
/// client's).
async fn echo(
    tcp: TcpStream,
    settings: &Settings,
    mut stopping: watch::Receiver<bool>,
    who: &mut Option<Fingerprint>,
    echoed: &mut u64,
) -> Result<Ended, String> {
    tcp.set_nodelay(true).map_err(|e| format!("failed: {e}"))?;
    let role = match settings.authorized {
        Some(_) => Role::AuthenticatingServer,
        None => Role::OpenServer,
    };
    let config = Config {
        handshake_timeout: settings.handshake_timeout,
        ..Config::default()
    };
    // Built when the client is there: its handshake deadline starts now.
    let mut conn = Connection::with_identity(role, config, Box::new(Arc::clone(&settings.key)))
        .map_err(|e| format!("failed: {e}"))?;
    for key in settings.authorized.iter().flat_map(AuthorizedKeys::keys) {
        conn.add_authorized_key(*key)
            .map_err(|e| format!("failed: {e}"))?;
    }
    let mut stream = match ossuary_tokio::accept(tcp, conn).await {
        Ok(stream) => stream,
        Err(ossuary_tokio::Error::Session(e)) => {
            if let Error::Handshake(HandshakeError::UnauthorizedClient(Some(key))) = e {
                *who = Some(Fingerprint::of(&key));
            }
            return Err(describe_handshake(e));
        }
        Err(e) => return Err(format!("handshake failed: {e}")),
    };
    *who = stream.remote_public_key().map(|k| Fingerprint::of(&k));

    let idle = settings.idle_timeout;
    let mut buf = vec![0u8; CHUNK];
    let mut closing = *stopping.borrow();
    loop {
        if closing && !stream.connection().is_closed() {
            // Stopping: end the session after what was echoed; the client
            // answers with its CLOSE.
            bounded(idle, stream.shutdown()).await?;
        }
        // A read is cancel-safe: losing the race to `stopping` loses no byte.
        let n = tokio::select! {
            read = tokio::time::timeout(idle, stream.read(&mut buf)) => match read {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(describe(&e)),
                Err(_) => return Err(format!("idle: nothing from the client for {} s", idle.as_secs())),
            },
            _ = stopping.changed(), if !closing => {
                closing = true;
                continue;
            }
        };
        if n == 0 {
            break; // the client's authenticated CLOSE
        }
        if stream.connection().is_closed() {
            continue; // after our CLOSE nothing more is sent
        }
        bounded(idle, stream.write_all(&buf[..n])).await?;
        *echoed += n as u64;
    }
    if closing {
        return Ok(Ended::Server);
    }
    bounded(idle, stream.shutdown()).await?;
    Ok(Ended::Client)
}

/// `write` bounded by the idle timeout: a client that takes none of our
/// bytes for that long is dropped.
async fn bounded(
    idle: Duration,
    write: impl Future<Output = std::io::Result<()>>,
) -> Result<(), String> {
    match tokio::time::timeout(idle, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(describe(&e)),
        Err(_) => Err(format!(
            "idle: the client took none of our data for {} s",
            idle.as_secs()
        )),
    }
}

/// A failed handshake, for the log.
fn describe_handshake(e: Error) -> String {
    match e {
        Error::HandshakeTimeout { .. } => format!("handshake timed out: {e}"),
        Error::Handshake(HandshakeError::UnauthorizedClient(_)) => {
            format!("refused: {e} (add its key to the authorized-keys file to let it in)")
        }
        _ => format!("handshake failed: {e}"),
    }
}

/// How a session failed, for the log.
fn describe(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(Error::Truncated) => {
            "truncated: the connection ended without the client's close".into()
        }
        Some(inner) => format!("failed: {inner}"),
        None => format!("failed: {e}"),
    }
}
