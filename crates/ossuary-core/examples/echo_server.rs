//! An echo server over TCP: every byte a client sends comes back.
//!
//! ```text
//! cargo run -p ossuary-core --example keygen -- server.key
//! cargo run -p ossuary-core --example echo_server -- --listen 127.0.0.1:7000 \
//!     --key server.key [--authorized clients.txt] \
//!     [--max-connections 64] [--idle-timeout 60]
//! ```
//!
//! With `--authorized FILE` only the client keys listed there are served
//! (authenticating server); without it, any client is, with or without a key
//! (open server). At start it prints its key's fingerprint, its mode and
//! `listening on ADDR`, then one line per connection: the peer address, the
//! client's key fingerprint (or `anonymous`), the bytes echoed and how the
//! connection ended.
//!
//! Limits: at most `--max-connections` clients at once (one thread each;
//! more are turned away), the handshake deadline (10 s, enforced by
//! `Stream`), and `--idle-timeout` seconds without a byte from a client, or
//! without it taking our writes, after the handshake.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{Args, value};
use ossuary_core::keys::{AuthorizedKeys, Fingerprint};
use ossuary_core::{Config, Connection, Error, HandshakeStatus, Role, SecretKey, Stream};

const USAGE: &str = "usage: echo_server --listen ADDR --key FILE [--authorized FILE]
                   [--max-connections N] [--idle-timeout SECS]
  --listen ADDR           address to listen on (port 0: any free port)
  --key FILE              the server's secret key (see the keygen example)
  --authorized FILE       serve only the client keys in FILE (default: any client)
  --max-connections N     clients served at once (default 64)
  --idle-timeout SECS     drop a client silent this long after the handshake (default 60)";

/// What every connection thread shares.
struct Settings {
    key: Arc<SecretKey>,
    /// `Some` for an authenticating server.
    authorized: Option<AuthorizedKeys>,
    idle_timeout: Duration,
}

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(
        USAGE,
        &[
            value("--listen", "ADDR"),
            value("--key", "FILE"),
            value("--authorized", "FILE"),
            value("--max-connections", "N"),
            value("--idle-timeout", "SECS"),
        ],
        0,
    )?;
    let listen = args.required("--listen")?;
    let key_path = common::path(args.required("--key")?);
    let max_connections = args.count("--max-connections", 64)?;
    let idle_timeout = args.seconds("--idle-timeout", Duration::from_secs(60))?;

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
    let listener =
        TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // The last line at start: a script may wait for it.
    println!("listening on {}", listener.local_addr()?);

    let settings = Arc::new(Settings {
        key: Arc::new(key),
        authorized,
        idle_timeout,
    });
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let (tcp, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, for example: keep serving the
                // clients we have, and try again a little later.
                println!("accept failed: {e}");
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let Some(slot) = Slot::take(&active, max_connections) else {
            println!("{peer}: turned away: {max_connections} clients already connected");
            continue; // dropping `tcp` closes it
        };
        let settings = Arc::clone(&settings);
        let spawned = std::thread::Builder::new()
            .name(format!("client {peer}"))
            .spawn(move || {
                let _slot = slot;
                println!("{}", serve(tcp, peer, &settings));
            });
        if let Err(e) = spawned {
            println!("{peer}: no thread for it: {e}");
        }
    }
}

/// One of the `--max-connections` places, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(active: &Arc<AtomicUsize>, max: usize) -> Option<Self> {
        active
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(Self(Arc::clone(active)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one client and returns its log line.
fn serve(tcp: TcpStream, peer: SocketAddr, settings: &Settings) -> String {
    let mut echoed = 0u64;
    let mut who = None;
    let end = echo(tcp, settings, &mut who, &mut echoed);
    let who = who.map_or_else(|| "anonymous".to_string(), |k| format!("client {k}"));
    match end {
        Ok(()) => format!("{peer}: {who}: echoed {echoed} bytes; clean close"),
        Err(e) => format!("{peer}: {who}: echoed {echoed} bytes; {}", describe(&e)),
    }
}

/// Runs the handshake, then echoes until the client closes. `who` is the
/// client's key fingerprint once known (also a refused client's).
fn echo(
    tcp: TcpStream,
    settings: &Settings,
    who: &mut Option<Fingerprint>,
    echoed: &mut u64,
) -> io::Result<()> {
    // The stream bounds handshake reads by the handshake deadline, then puts
    // these timeouts back: they are the idle limits after the handshake.
    tcp.set_read_timeout(Some(settings.idle_timeout))?;
    tcp.set_write_timeout(Some(settings.idle_timeout))?;
    tcp.set_nodelay(true)?;
    let role = match settings.authorized {
        Some(_) => Role::AuthenticatingServer,
        None => Role::OpenServer,
    };
    let mut conn =
        Connection::with_identity(role, Config::default(), Box::new(Arc::clone(&settings.key)))
            .map_err(io::Error::from)?;
    for key in settings.authorized.iter().flat_map(AuthorizedKeys::keys) {
        conn.add_authorized_key(*key).map_err(io::Error::from)?;
    }
    let mut stream = Stream::new(conn, tcp);
    let handshake = stream.complete_handshake();
    *who = stream.connection().remote_public_key().map(Fingerprint::of);
    match handshake? {
        HandshakeStatus::Done => {}
        // Only a client pauses for a trust decision.
        other => return Err(io::Error::other(format!("handshake stopped: {other:?}"))),
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break; // the client's authenticated CLOSE
        }
        stream.write_all(&buf[..n])?;
        *echoed += n as u64;
    }
    stream.close()
}

/// How a connection ended, for the log.
fn describe(e: &io::Error) -> String {
    let inner = e.get_ref().and_then(|e| e.downcast_ref::<Error>());
    match (inner, e.kind()) {
        (Some(Error::Truncated), _) => {
            "truncated: the connection ended without the client's close".into()
        }
        (Some(inner), _) => format!("failed: {inner}"),
        (None, io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
            "idle timeout: the client sent nothing, or took nothing, for too long".into()
        }
        (None, _) => format!("failed: {e}"),
    }
}
