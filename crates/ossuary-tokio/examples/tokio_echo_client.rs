//! An async echo client over TCP that checks the server's key against a
//! known-hosts file, as ssh does.
//!
//! ```text
//! cargo run -p ossuary-tokio --example tokio_echo_client -- --connect HOST:PORT \
//!     --known-hosts FILE [--key FILE] [--accept-new] [--message TEXT] [--timeout SECS]
//! ```
//!
//! Sends `--message`, or all of stdin, prints what comes back on stdout, and
//! closes cleanly. Nothing else is printed unless something needs saying.
//!
//! The server's key is checked against the entries for HOST:PORT in the
//! known-hosts file (`ossuary_core::keys::KnownHosts`):
//!
//! - a key on record is pinned: a server that proves another key is refused,
//!   naming both fingerprints, with or without `--accept-new`;
//! - a revoked key (`@revoked` line) is refused;
//! - a host with nothing on record is refused with the line to add, unless
//!   `--accept-new` is given: then its key is recorded and trusted. The
//!   handshake pauses for that decision (`ossuary_tokio::connect_tofu`),
//!   and the client's identity is sent only after it.
//!
//! `--key` authenticates the client with its own key (for a server that
//! checks an authorized-keys file); without it the client is anonymous.
//!
//! Sending and receiving run at once, in two tasks with the stream's owned
//! halves, so any amount of input can go through the echo.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::{Args, switch, value};
use ossuary_core::keys::{
    self, Accepted, Fingerprint, HostKeyStatus, HostPort, KnownHost, KnownHosts,
};
use ossuary_core::{Config, Connection, Error, HandshakeError, PublicKey, ResetReason, Role};
use ossuary_tokio::{Connected, ReadHalf, Stream, UntrustedServer, WriteHalf};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

const USAGE: &str = "usage: tokio_echo_client --connect HOST:PORT --known-hosts FILE [--key FILE]
                   [--accept-new] [--message TEXT] [--timeout SECS]
  --connect HOST:PORT   the echo server
  --known-hosts FILE    server keys by host:port (created by --accept-new)
  --key FILE            authenticate with this secret key (default: anonymous)
  --accept-new          record and trust the key of a host not in FILE
                        (a changed key is still refused)
  --message TEXT        send TEXT (default: all of stdin)
  --timeout SECS        give up when the server is silent this long (default 30)";

/// Bytes read from the input, or from the server, at a time.
const CHUNK: usize = 64 * 1024;

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return common::report(Err(format!("cannot start the runtime: {e}").into())),
    };
    let result = runtime.block_on(run());
    // A read of stdin in progress cannot be cancelled (see tokio::io::stdin):
    // do not wait for the user to press enter.
    runtime.shutdown_background();
    common::report(result)
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(
        USAGE,
        &[
            value("--connect", "HOST:PORT"),
            value("--known-hosts", "FILE"),
            value("--key", "FILE"),
            switch("--accept-new"),
            value("--message", "TEXT"),
            value("--timeout", "SECS"),
        ],
        0,
    )?;
    let target = args.required("--connect")?;
    let host: HostPort = target
        .parse()
        .map_err(|e| args.invalid("--connect", target, &format!("HOST:PORT ({e})")))?;
    let known_hosts_path = common::path(args.required("--known-hosts")?);
    let accept_new = args.has("--accept-new");
    let timeout = args.seconds("--timeout", Duration::from_secs(30))?;
    let identity = match args.value("--key") {
        Some(path) => Some(common::load_secret_key(&common::path(path))?),
        None => None,
    };
    let known_hosts = KnownHosts::load(&known_hosts_path)
        .map_err(|e| format!("known-hosts file {}: {e}", known_hosts_path.display()))?;

    // What the file says about this host decides the configuration: pin the
    // keys on record, or (nothing on record) pause the handshake to decide.
    let recorded = recorded_keys(&known_hosts, &host);
    let pinned: Vec<PublicKey> = recorded
        .iter()
        .filter(|k| known_hosts.lookup(&host, k) != HostKeyStatus::Revoked)
        .copied()
        .collect();
    if !recorded.is_empty() && pinned.is_empty() {
        return Err(format!(
            "every key on record for {host} in {} is marked @revoked; refusing to connect \
             (remove the host's line once you have its new key)",
            known_hosts_path.display()
        )
        .into());
    }
    let config = Config {
        trust_on_first_use: pinned.is_empty(),
        ..Config::default()
    };

    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(target)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) => return Err(format!("{target}: cannot connect: {e}").into()),
        Err(_) => return Err(format!("{target}: no answer within {} s", timeout.as_secs()).into()),
    };
    tcp.set_nodelay(true)?;
    // The handshake deadline starts with the connection: create it now.
    let mut conn = match identity {
        Some(key) => Connection::with_identity(Role::Client, config, Box::new(key))?,
        None => Connection::client(config)?,
    };
    for key in &pinned {
        conn.add_authorized_key(*key)?;
    }
    let path = known_hosts_path.display();
    let stream = match ossuary_tokio::connect_tofu(tcp, conn).await {
        Ok(Connected::Trusted(stream)) => stream,
        Ok(Connected::Untrusted(server)) => {
            let trust = Trust {
                host: &host,
                path: &known_hosts_path,
                known_hosts,
                accept_new,
            };
            decide(server, trust).await?
        }
        Err(ossuary_tokio::Error::Session(e @ Error::ServerKeyChanged { .. })) => {
            return Err(format!(
                "{host}: {e}\nIf the server's key was replaced on purpose, remove the line for \
                 {host} from {path} (check the new fingerprint with its operator first)."
            )
            .into());
        }
        Err(ossuary_tokio::Error::Session(
            e @ Error::Handshake(HandshakeError::ClientIdentityRequired),
        )) => {
            return Err(format!(
                "{host}: {e}: give --key FILE, a key whose .pub line is in the server's \
                 authorized-keys file"
            )
            .into());
        }
        Err(e) => return Err(format!("{host}: {e}").into()),
    };

    let input: Box<dyn AsyncRead + Send + Unpin> = match args.value("--message") {
        Some(text) => Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
        None => Box::new(tokio::io::stdin()),
    };
    echo(stream, input, timeout).await
}

/// The keys on record for `host`, in file order.
fn recorded_keys(known_hosts: &KnownHosts, host: &HostPort) -> Vec<PublicKey> {
    let mut keys: Vec<PublicKey> = Vec::new();
    for entry in known_hosts.hosts() {
        if entry.hosts().contains(host) && !keys.contains(entry.key()) {
            keys.push(*entry.key());
        }
    }
    keys
}

/// What the paused handshake needs to decide about an unknown server.
struct Trust<'a> {
    host: &'a HostPort,
    path: &'a Path,
    known_hosts: KnownHosts,
    accept_new: bool,
}

/// Records and trusts an unknown server's key (`--accept-new`), or refuses
/// it saying what to do. The handshake waits meanwhile, within its deadline.
async fn decide(
    server: UntrustedServer<TcpStream>,
    mut trust: Trust<'_>,
) -> Result<Stream<TcpStream>, String> {
    let (host, path) = (trust.host, trust.path.display());
    let key = *server.server_key();
    let fingerprint = Fingerprint::of(&key);
    let refusal = match trust.known_hosts.lookup(host, &key) {
        HostKeyStatus::Unknown if trust.accept_new => {
            match trust.known_hosts.accept_new(host, &key) {
                Ok(Accepted::New(line)) => {
                    // A small local file: written in place, before anything is
                    // sent under the new trust.
                    keys::append_known_host(trust.path, &line)
                        .map_err(|e| format!("cannot record {host}: {e}"))?;
                    eprintln!("recorded {host} ({fingerprint}) in {path}");
                    None
                }
                Ok(Accepted::Known) => None,
                Err(e) => Some(format!("{path}: {e}")),
            }
        }
        HostKeyStatus::Known => None,
        HostKeyStatus::Unknown => Some(format!(
            "{host} is not in {path}; it presented the key {fingerprint}.\n\
             If that is the server's key (its operator can compare the fingerprint the \
             server prints at start), add this line to {path}:\n  {}\n\
             or connect once with --accept-new.",
            KnownHost::new(host.clone(), key)
        )),
        refused @ (HostKeyStatus::Revoked | HostKeyStatus::Changed { .. }) => Some(
            trust
                .known_hosts
                .verify(host, &key)
                .err()
                .map_or_else(|| format!("{refused:?}"), |e| format!("{path}: {e}")),
        ),
    };
    match refusal {
        None => server.trust().await.map_err(|e| format!("{host}: {e}")),
        Some(why) => {
            // Tell the server (a RESET), then report why.
            let _ = server.reject().await;
            Err(why)
        }
    }
}

/// Sends the input and prints the echo, at once, until both are done and
/// the server has closed; checks that everything came back.
async fn echo(
    stream: Stream<TcpStream>,
    input: Box<dyn AsyncRead + Send + Unpin>,
    timeout: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let (reader, writer) = stream.into_split();
    let progress = Arc::new(Progress::default());
    let sending = tokio::spawn(send(writer, input, Arc::clone(&progress)));
    let received = receive(reader, &progress, timeout).await;
    if received.is_err() {
        // The session failed: nothing more can be sent (and the sender may
        // be waiting for input that never comes).
        sending.abort();
    }
    let sent = match sending.await {
        Ok(sent) => sent,
        Err(e) if e.is_cancelled() => Err("stopped".into()),
        Err(e) => Err(format!("the sending task failed: {e}")),
    };
    // The reader's error says more (the server's RESET, a cut connection).
    let received = received?;
    let sent = sent?;
    if received != sent || !progress.input_done.load(Ordering::Acquire) {
        return Err(format!(
            "the server closed the session early: sent {sent} bytes, {received} came back"
        )
        .into());
    }
    Ok(())
}

/// What the two tasks share.
#[derive(Default)]
struct Progress {
    sent: AtomicU64,
    input_done: AtomicBool,
    /// Woken when bytes were sent: the server owes an echo from then on.
    more_sent: Notify,
    /// Woken when the server's CLOSE has come.
    peer_closed: Notify,
}

/// Copies the input to the server, then sends the authenticated CLOSE.
async fn send(
    mut writer: WriteHalf<TcpStream>,
    mut input: Box<dyn AsyncRead + Send + Unpin>,
    progress: Arc<Progress>,
) -> Result<u64, String> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = tokio::select! {
            read = input.read(&mut buf) => read.map_err(|e| format!("reading the input: {e}"))?,
            // The server closed first: stop sending, and answer its CLOSE.
            () = progress.peer_closed.notified() => {
                writer.shutdown().await.map_err(|e| session_error(&e))?;
                return Ok(progress.sent.load(Ordering::Acquire));
            }
        };
        if n == 0 {
            break;
        }
        writer
            .write_all(&buf[..n])
            .await
            .map_err(|e| session_error(&e))?;
        writer.flush().await.map_err(|e| session_error(&e))?;
        progress.sent.fetch_add(n as u64, Ordering::AcqRel);
        progress.more_sent.notify_one();
    }
    progress.input_done.store(true, Ordering::Release);
    writer.shutdown().await.map_err(|e| session_error(&e))?;
    Ok(progress.sent.load(Ordering::Acquire))
}

/// Prints what the server sends until its CLOSE. Silence is fine while the
/// server owes nothing (a user thinking at the terminal); otherwise it is
/// bounded by `timeout`.
async fn receive(
    mut reader: ReadHalf<TcpStream>,
    progress: &Progress,
    timeout: Duration,
) -> Result<u64, String> {
    let mut stdout = tokio::io::stdout();
    let mut buf = vec![0u8; CHUNK];
    let mut received = 0u64;
    loop {
        let owed = progress.sent.load(Ordering::Acquire) > received;
        // The read is cancel-safe: when more is sent while the server owed
        // nothing, it starts over with the timeout armed, losing nothing.
        let n = tokio::select! {
            read = reader.read(&mut buf) => read.map_err(|e| session_error(&e))?,
            () = progress.more_sent.notified(), if !owed => continue,
            () = tokio::time::sleep(timeout), if owed => {
                return Err(format!(
                    "the server sent nothing for {} s ({received} of {} bytes came back)",
                    timeout.as_secs(),
                    progress.sent.load(Ordering::Acquire)
                ));
            }
        };
        if n == 0 {
            progress.peer_closed.notify_one();
            return Ok(received);
        }
        stdout
            .write_all(&buf[..n])
            .await
            .map_err(|e| format!("writing the output: {e}"))?;
        // Out now: the process may end on an error without waiting for it.
        stdout
            .flush()
            .await
            .map_err(|e| format!("writing the output: {e}"))?;
        received += n as u64;
    }
}

/// A failed session, in words.
fn session_error(e: &std::io::Error) -> String {
    match e.get_ref().and_then(|e| e.downcast_ref::<Error>()) {
        Some(Error::Truncated) => "the connection was cut without the server's close".into(),
        Some(
            inner @ Error::PeerReset {
                reason: ResetReason::CLIENT_NOT_AUTHORIZED,
                ..
            },
        ) => format!(
            "{inner}: the server does not authorize this client; its operator can add the \
             .pub line of the --key given (or give one it lists)"
        ),
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    }
}
