//! `ossuary listen` and `ossuary connect`: an encrypted netcat. stdin goes
//! to the peer and the peer to stdout, both at once; the end of stdin is
//! sent as the authenticated CLOSE, and the peer's CLOSE ends the output,
//! so half-close is carried both ways. The command ends when both
//! directions have.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::cli::{ConnectArgs, ListenArgs};
use crate::client::{Ask, Client, ClientOptions, announce};
use crate::copy::{Activity, CopyError, copy};
use crate::error::{Error, Side};
use crate::net::{self, Io, Listener};
use crate::server::Server;
use crate::signal::Signals;

/// `ossuary listen`: waits for one connection, then joins it to stdin and
/// stdout.
///
/// # Errors
/// Anything on the way: keys, listening, the handshake, the session.
pub(crate) async fn listen(args: &ListenArgs, signals: &mut Signals) -> Result<(), Error> {
    let server = Server::load(
        args.identity.as_deref(),
        args.access.authorized_keys.as_deref(),
        args.access.open,
    )?;
    let listener = Listener::bind(&args.addr).await?;
    eprintln!("ossuary: listening on {} ({server})", listener.local_addr());
    let (stream, peer) = server.accept_first(listener, signals).await?;
    signals
        .guard(join_stdio(
            stream,
            &peer,
            Side::Server,
            idle(args.idle.idle_timeout),
        ))
        .await
}

/// `ossuary connect`: connects, checks the server, then joins the channel
/// to stdin and stdout.
///
/// # Errors
/// Anything on the way: keys, connecting, trust, the handshake, the session.
pub(crate) async fn connect(args: &ConnectArgs, signals: &mut Signals) -> Result<(), Error> {
    let client = Client::load(
        &ClientOptions {
            identity: args.identity.identity.as_deref(),
            anonymous: args.identity.anonymous,
            known_hosts: args.trust.known_hosts.as_deref(),
            server_key: args.trust.server_key.as_deref(),
            trust_first_use: args.trust.trust_first_use,
            ask: Ask::IfTerminal,
        },
        &args.addr,
    )?;
    let peer = args.addr.to_string();
    let timeout = Duration::from_secs(args.timeouts.connect_timeout);
    let socket = signals.guard(net::connect(&args.addr, timeout)).await?;
    let stream = signals.guard(client.connect(socket, &peer)).await?;
    announce(&peer, &stream);
    signals
        .guard(join_stdio(
            stream,
            &peer,
            Side::Client,
            idle(args.idle.idle_timeout),
        ))
        .await
}

/// The idle limit from `--idle-timeout`.
fn idle(secs: Option<u64>) -> Option<Duration> {
    secs.map(Duration::from_secs)
}

/// Copies stdin to the peer and the peer to stdout until both have ended.
async fn join_stdio<IO: Io>(
    stream: ossuary_tokio::Stream<IO>,
    peer: &str,
    side: Side,
    idle: Option<Duration>,
) -> Result<(), Error> {
    let (mut from_peer, mut to_peer) = stream.into_split();
    let (mut stdin, mut stdout) = (tokio::io::stdin(), tokio::io::stdout());
    let (sent, received) = (AtomicU64::new(0), AtomicU64::new(0));
    let activity = Activity::new();
    let up = async {
        copy(&mut stdin, &mut to_peer, &sent, &activity)
            .await
            .map_err(|e| match e {
                CopyError::Read(e) => Error::local("stdin", "read", e),
                CopyError::Write(e) => Error::from_stream(peer, side, e),
            })
    };
    let down = async {
        copy(&mut from_peer, &mut stdout, &received, &activity)
            .await
            .map_err(|e| match e {
                CopyError::Read(e) => Error::from_stream(peer, side, e),
                CopyError::Write(e) => Error::local("stdout", "write", e),
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
