//! The handshake futures, each bounded by the connection's handshake
//! deadline: [`connect`], [`connect_tofu`] (which may pause with an
//! [`UntrustedServer`] for the caller to decide) and [`accept`].

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::{Poll, ready};
use std::time::Duration;

use ossuary_core::{ApiMisuse, Connection, HandshakeStatus, PublicKey};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use crate::driver::Driver;
use crate::error::Error;
use crate::stream::Stream;

/// Runs the client's handshake over `io` and returns the established
/// stream. `conn` is a client ([`Connection::client`], or
/// [`Connection::with_identity`] with [`Role::Client`](ossuary_core::Role::Client)); build it just
/// before calling, as its handshake deadline starts when it is built.
///
/// The server must prove a key the connection was told to trust
/// ([`Connection::add_authorized_key`]). A server it knows nothing about
/// is refused with [`ossuary_core::Error::UntrustedServer`], even with
/// `Config::trust_on_first_use`: to decide about such a server, use
/// [`connect_tofu`].
///
/// The handshake runs when the returned future is awaited. Its deadline
/// (`Config::handshake_timeout`, from the connection's creation) is
/// enforced there, with tokio's timer, to the millisecond: no
/// `tokio::time::timeout` is needed around it. Dropping the future
/// drops `io`.
///
/// # Errors
/// [`Error::Session`] with [`ossuary_core::Error::HandshakeTimeout`] at
/// the deadline, [`ossuary_core::Error::ServerKeyChanged`],
/// [`ossuary_core::Error::UntrustedServer`], a refusal by the server
/// ([`ossuary_core::Error::PeerReset`]), [`ossuary_core::Error::Truncated`]
/// if the transport ends, ...; [`Error::Io`] if the transport fails;
/// [`Error::WrongRole`] for a server's connection. The server is sent a
/// RESET saying why, when the error is ours.
///
/// # Panics
/// Outside a tokio runtime with its time driver enabled (`enable_time` or
/// `enable_all`), as `tokio::time::sleep` does.
pub fn connect<IO>(io: IO, conn: Connection) -> impl Future<Output = Result<Stream<IO>, Error>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let start = start(io, conn, false);
    async move {
        let mut driver = start?;
        match drive(&mut driver).await? {
            HandshakeStatus::UntrustedServer(key) => {
                Err(UntrustedServer { driver, key }.reject().await)
            }
            _ => Ok(Stream::new(driver)),
        }
    }
}

/// Runs the client's handshake over `io`, pausing when the server proves a
/// key the connection knows nothing about and `Config::trust_on_first_use`
/// is set: then the caller decides, and awaits the decision
/// ([`UntrustedServer::trust`] or [`UntrustedServer::reject`]). A key that
/// differs from a pinned one is refused without a pause.
///
/// Otherwise as [`connect`].
///
/// # Errors
/// As [`connect`].
///
/// # Panics
/// As [`connect`].
pub fn connect_tofu<IO>(
    io: IO,
    conn: Connection,
) -> impl Future<Output = Result<Connected<IO>, Error>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let start = start(io, conn, false);
    async move {
        let mut driver = start?;
        Ok(match drive(&mut driver).await? {
            HandshakeStatus::UntrustedServer(key) => {
                Connected::Untrusted(UntrustedServer { driver, key })
            }
            _ => Connected::Trusted(Stream::new(driver)),
        })
    }
}

/// Runs the server's handshake over `io` and returns the established
/// stream. `conn` is a server ([`Connection::with_identity`] with
/// [`Role::AuthenticatingServer`](ossuary_core::Role::AuthenticatingServer), its authorized keys added, or
/// [`Role::OpenServer`](ossuary_core::Role::OpenServer)); build it when the transport is accepted, as its
/// handshake deadline starts when it is built.
///
/// The handshake deadline is enforced here, with tokio's timer: a client
/// that stalls, trickles or never finishes is cut off at the deadline
/// however it spreads its bytes, and is sent a RESET saying so. After the
/// handshake, [`Stream::remote_public_key`] says which client it is.
/// Dropping the future drops `io`.
///
/// # Errors
/// [`Error::Session`] with [`ossuary_core::Error::HandshakeTimeout`] at
/// the deadline, an unauthorized client
/// ([`ossuary_core::HandshakeError::UnauthorizedClient`], with its key),
/// anything that is not Ossuary ([`ossuary_core::Error::Decode`],
/// [`ossuary_core::Error::UnexpectedFrame`]),
/// [`ossuary_core::Error::Truncated`] if the transport ends, ...;
/// [`Error::Io`] if the transport fails; [`Error::WrongRole`] for a
/// client's connection.
///
/// # Panics
/// As [`connect`].
pub fn accept<IO>(io: IO, conn: Connection) -> impl Future<Output = Result<Stream<IO>, Error>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let start = start(io, conn, true);
    async move {
        let mut driver = start?;
        match drive(&mut driver).await? {
            HandshakeStatus::Done => Ok(Stream::new(driver)),
            // Only a client pauses for a trust decision.
            _ => Err(Error::Session(ApiMisuse::HandshakeNotDone.into())),
        }
    }
}

/// The outcome of [`connect_tofu`].
#[derive(Debug)]
pub enum Connected<IO> {
    /// The server proved a key the connection trusts: the session is
    /// established.
    Trusted(Stream<IO>),
    /// The server proved a key the connection knows nothing about, and the
    /// handshake waits for the caller's decision.
    Untrusted(UntrustedServer<IO>),
}

/// A client handshake paused on a server key it knows nothing about: look
/// the key up (known hosts, a prompt, a policy), then
/// [`trust`](Self::trust) it or [`reject`](Self::reject) it.
///
/// Both the client's deadline and the server's keep running during the
/// pause: a decision that comes after [`deadline`](Self::deadline) fails,
/// and the server gives up at its own deadline (10 s by default). Bound
/// a slow decision, such as a prompt, with
/// `tokio::time::timeout_at(paused.deadline(), ...)`. Dropping the value
/// drops the transport without telling the server why.
pub struct UntrustedServer<IO> {
    driver: Box<Driver<IO>>,
    key: PublicKey,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> UntrustedServer<IO> {
    /// The key the server proved: it holds the matching secret key.
    pub fn server_key(&self) -> &PublicKey {
        &self.key
    }

    /// When the client's handshake deadline passes, on tokio's clock.
    pub fn deadline(&self) -> Instant {
        // Always set while the handshake is paused; `now` is a fallback.
        self.driver
            .connection()
            .handshake_deadline()
            .map_or_else(Instant::now, Instant::from_std)
    }

    /// Trusts the key (record it first, for the next connection) and
    /// finishes the handshake: the client's identity, if it has one, is
    /// sent only now.
    ///
    /// # Errors
    /// [`ossuary_core::Error::HandshakeTimeout`] if the deadline passed;
    /// otherwise as [`connect`].
    ///
    /// # Panics
    /// As [`connect`].
    pub async fn trust(mut self) -> Result<Stream<IO>, Error> {
        if let Err(e) = self.driver.connection_mut().trust_server() {
            send_now(&mut self.driver).await;
            return Err(Error::Session(e));
        }
        match drive(&mut self.driver).await? {
            HandshakeStatus::Done => Ok(Stream::new(self.driver)),
            // Trusted once: the handshake does not pause again.
            _ => Err(Error::Session(ApiMisuse::NotAwaitingTrust.into())),
        }
    }

    /// Refuses the key: the server is sent a RESET ("server not trusted")
    /// if the transport takes it, and the error to report is returned,
    /// [`ossuary_core::Error::UntrustedServer`] naming the key (or the
    /// connection's earlier error).
    pub async fn reject(mut self) -> Error {
        let rejected = self.driver.connection_mut().reject_server();
        send_now(&mut self.driver).await;
        Error::Session(match rejected {
            Err(e) => e,
            Ok(()) => ossuary_core::Error::UntrustedServer { key: self.key },
        })
    }
}

impl<IO> core::fmt::Debug for UntrustedServer<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UntrustedServer")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The session for `conn` over `io`, if `conn` is for this end (`server`
/// or not). Boxed: the futures and the stream then move a pointer, and a
/// pending handshake stores its connection once.
fn start<IO>(io: IO, conn: Connection, server: bool) -> Result<Box<Driver<IO>>, Error> {
    if conn.role().is_server() != server {
        return Err(Error::WrongRole(conn.role()));
    }
    Ok(Box::new(Driver::new(conn, io)))
}

/// Drives the handshake until it is done or paused, or the deadline fires.
async fn drive<IO>(driver: &mut Driver<IO>) -> Result<HandshakeStatus, Error>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let Some(deadline) = driver.connection().handshake_deadline() else {
        // No handshake is running: established, or failed.
        return driver
            .connection()
            .handshake_status()
            .map_err(Error::Session);
    };
    // The connection fails only once its clock is past the deadline: the
    // timer waits one tick (1 ms) longer.
    let at = Instant::from_std(deadline) + Duration::from_millis(1);
    let mut timer = pin!(tokio::time::sleep_until(at));
    poll_fn(|cx| {
        if let Poll::Ready(done) = driver.poll_handshake(cx) {
            return Poll::Ready(done);
        }
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(driver.expire(cx)))
    })
    .await
}

/// Sends queued output (a RESET) if the transport takes it at once.
async fn send_now<IO>(driver: &mut Driver<IO>)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    poll_fn(|cx| {
        driver.send_now(cx);
        Poll::Ready(())
    })
    .await;
}
