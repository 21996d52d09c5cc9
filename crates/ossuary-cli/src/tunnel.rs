//! `ossuary tunnel`: a spiped-style pair. The `--encrypt` end accepts plain
//! connections and carries each, as an Ossuary client, to the `--decrypt`
//! end, which accepts Ossuary connections and carries each, in plain, to
//! the real service. Each connection runs in its own task: its failure is
//! logged and touches no other. At most `--max-connections` run at once;
//! SIGINT or SIGTERM stops accepting and drains.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ossuary_core::keys::Fingerprint;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::addr::Addr;
use crate::cli::{Mode, TunnelArgs};
use crate::client::{Ask, Client, ClientOptions};
use crate::copy::{Activity, CopyError, copy};
use crate::error::{Error, Side};
use crate::net::{self, Io, Listener, Socket};
use crate::server::{KEY_EXCHANGE, Server};
use crate::signal::Signals;

/// What a tunnel end needs for each connection.
#[derive(Debug)]
struct End {
    /// How the Ossuary side is set up.
    ossuary: Ossuary,
    /// Where each connection is carried.
    to: Addr,
    /// `--connect-timeout`.
    connect_timeout: Duration,
    /// `--idle-timeout`.
    idle: Option<Duration>,
}

/// The Ossuary side of an end.
#[derive(Debug)]
enum Ossuary {
    /// `--encrypt`: we are the client, towards `--to`.
    Client(Client),
    /// `--decrypt`: we are the server, on `--listen`.
    Server(Server),
}

/// Bytes carried each way by one connection.
#[derive(Debug, Default)]
struct Counts {
    /// From the accepted side towards `--to`.
    forward: AtomicU64,
    /// Back from `--to`.
    back: AtomicU64,
}

/// Runs a tunnel end until SIGINT or SIGTERM, then drains.
///
/// # Errors
/// Keys, listening; a second signal during the drain.
pub(crate) async fn run(args: &TunnelArgs, signals: &mut Signals) -> Result<(), Error> {
    args.check().map_err(Error::Usage)?;
    let ossuary = match args.mode() {
        Mode::Encrypt => Ossuary::Client(Client::load(
            &ClientOptions {
                identity: args.identity.as_deref(),
                anonymous: args.anonymous,
                known_hosts: args.known_hosts.as_deref(),
                server_key: args.server_key.as_deref(),
                trust_first_use: args.trust_first_use,
                ask: Ask::Never,
            },
            &args.to,
        )?),
        Mode::Decrypt => Ossuary::Server(Server::load(
            args.identity.as_deref(),
            args.authorized_keys.as_deref(),
            args.open,
        )?),
    };
    let listener = Listener::bind(&args.listen).await?;
    let end = Arc::new(End {
        ossuary,
        to: args.to.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout),
        idle: args.idle.idle_timeout.map(Duration::from_secs),
    });
    log(format_args!(
        "listening on {}, {} to {} ({}; at most {} connections; sessions {KEY_EXCHANGE})",
        listener.local_addr(),
        match args.mode() {
            Mode::Encrypt => "encrypting",
            Mode::Decrypt => "decrypting",
        },
        end.to,
        end.ossuary,
        args.max_connections
    ));

    let max = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    let slots = Arc::new(Semaphore::new(max));
    let mut tasks = JoinSet::new();
    let stopped_by = loop {
        while tasks.try_join_next().is_some() {}
        if slots.available_permits() == 0 {
            log(format_args!(
                "connection limit reached ({max} open): new connections wait until one ends"
            ));
        }
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => permit,
            status = signals.recv() => break status,
        };
        // `slots` is never closed, so this never fails; if it did, stop as
        // on a signal.
        let Ok(permit) = permit else {
            break crate::exit::Status::Failure;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            status = signals.recv() => break status,
        };
        match accepted {
            Ok((socket, peer)) => {
                tasks.spawn(serve(Arc::clone(&end), socket, peer, permit));
            }
            Err(e) => {
                // Out of file descriptors, a connection reset before it was
                // accepted, ...: not fatal. A short pause keeps a persistent
                // error from spinning.
                log(format_args!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };

    drop(listener);
    // Connections that have ended but were not yet collected are not open.
    while tasks.try_join_next().is_some() {}
    let open = tasks.len();
    let drain = Duration::from_secs(args.drain_timeout);
    log(format_args!(
        "{}: no longer accepting; waiting up to {} s for {open} open connection(s)",
        signal_name(stopped_by),
        drain.as_secs()
    ));
    let drained = async { while tasks.join_next().await.is_some() {} };
    tokio::select! {
        () = drained => {
            log(format_args!("drained; stopping"));
            Ok(())
        }
        () = tokio::time::sleep(drain) => {
            log(format_args!("drain timeout: closing {} connection(s)", tasks.len()));
            tasks.abort_all();
            Ok(())
        }
        status = signals.recv() => {
            log(format_args!("{}: closing {} connection(s) now", signal_name(status), tasks.len()));
            tasks.abort_all();
            Err(Error::Signal(status))
        }
    }
}

/// Carries one connection and logs its one line.
async fn serve(end: Arc<End>, inbound: Socket, peer: String, permit: OwnedSemaphorePermit) {
    let start = Instant::now();
    let counts = Counts::default();
    let mut key = None;
    let result = carry(&end, inbound, &peer, &counts, &mut key).await;
    let how = match &result {
        Ok(()) => "closed cleanly".to_owned(),
        Err(e) => format!("failed (status {}): {e}", e.status().code()),
    };
    let key = match (key, &end.ossuary) {
        (Some(key), _) => key.to_string(),
        (None, Ossuary::Server(_)) if result.is_ok() => "anonymous".into(),
        (None, _) => "-".into(),
    };
    log(format_args!(
        "{peer} key {key}: {} bytes to {}, {} bytes back, {:.3} s, {how}",
        counts.forward.load(Ordering::Relaxed),
        end.to,
        counts.back.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    ));
    drop(permit);
}

/// Sets up both sides of one connection and joins them; `key` is set to
/// the Ossuary peer's fingerprint once known.
async fn carry(
    end: &End,
    inbound: Socket,
    peer: &str,
    counts: &Counts,
    key: &mut Option<Fingerprint>,
) -> Result<(), Error> {
    match &end.ossuary {
        Ossuary::Client(client) => {
            let to = end.to.to_string();
            let outbound = net::connect(&end.to, end.connect_timeout).await?;
            let stream = client.connect(outbound, &to).await?;
            *key = stream.remote_public_key().map(|k| Fingerprint::of(&k));
            join(inbound, stream, &to, Side::Client, counts, end.idle).await
        }
        Ossuary::Server(server) => {
            let stream = server.accept(inbound, peer).await?;
            *key = stream.remote_public_key().map(|k| Fingerprint::of(&k));
            let outbound = net::connect(&end.to, end.connect_timeout).await?;
            join(outbound, stream, peer, Side::Server, counts, end.idle).await
        }
    }
}

/// Copies between the plain socket and the Ossuary stream both ways until
/// both directions have ended, each end passed on (a plain EOF becomes the
/// authenticated CLOSE, and the CLOSE a plain half-close).
async fn join<IO: Io>(
    plain: Socket,
    stream: ossuary_tokio::Stream<IO>,
    peer: &str,
    side: Side,
    counts: &Counts,
    idle: Option<Duration>,
) -> Result<(), Error> {
    let (mut plain_read, mut plain_write) = tokio::io::split(plain);
    let (mut secure_read, mut secure_write) = stream.into_split();
    let activity = Activity::new();
    // `forward` is plain -> Ossuary at the encrypting end and Ossuary ->
    // plain at the decrypting end: always away from the accepted side.
    let (to_secure, to_plain) = match side {
        Side::Client => (&counts.forward, &counts.back),
        Side::Server => (&counts.back, &counts.forward),
    };
    let plain_error = |e| Error::Transport {
        peer: "the plain side".into(),
        error: e,
    };
    let up = async {
        copy(&mut plain_read, &mut secure_write, to_secure, &activity)
            .await
            .map_err(|e| match e {
                CopyError::Read(e) => plain_error(e),
                CopyError::Write(e) => Error::from_stream(peer, side, e),
            })
    };
    let down = async {
        copy(&mut secure_read, &mut plain_write, to_plain, &activity)
            .await
            .map_err(|e| match e {
                CopyError::Read(e) => Error::from_stream(peer, side, e),
                CopyError::Write(e) => plain_error(e),
            })
    };
    let both = async { tokio::try_join!(up, down).map(|_| ()) };
    match idle {
        None => both.await,
        Some(limit) => tokio::select! {
            result = both => result,
            () = activity.idle(limit) => Err(Error::Idle {
                peer: peer.to_owned(),
                secs: limit.as_secs(),
            }),
        },
    }
}

/// The start-up line's description of the Ossuary side.
impl fmt::Display for Ossuary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Client(client) => match client.fingerprint() {
                Some(fp) => write!(f, "client key {fp}"),
                None => f.write_str("anonymous client"),
            },
            Self::Server(server) => write!(f, "{server}"),
        }
    }
}

/// A signal's name, for the log.
fn signal_name(status: crate::exit::Status) -> &'static str {
    match status {
        crate::exit::Status::Terminated => "SIGTERM",
        crate::exit::Status::Interrupted => "SIGINT",
        _ => "stopping",
    }
}

/// One line on stderr.
fn log(line: fmt::Arguments<'_>) {
    eprintln!("ossuary tunnel: {line}");
}
