//! [`Stream`]: an established session over a transport, itself
//! `AsyncRead + AsyncWrite`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ossuary_core::{Connection, PublicKey};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::driver::Driver;
use crate::split::{ReadHalf, WriteHalf, split};

/// An established Ossuary session over the transport `IO`: write
/// plaintext, it goes out encrypted; read plaintext that came in
/// encrypted. Made by [`connect`](crate::connect),
/// [`connect_tofu`](crate::connect_tofu) or [`accept`](crate::accept).
///
/// # Ending
///
/// - `shutdown()` (`AsyncWriteExt::shutdown`) sends the authenticated
///   CLOSE and completes when it, and everything written before it, is
///   flushed to the transport; then the transport's write side is shut.
///   Reading goes on until the peer's CLOSE.
/// - A read returns `Ok(0)` only after the peer's authenticated CLOSE:
///   everything the peer sent has arrived.
/// - A transport that ends without the peer's CLOSE fails the read with
///   [`io::ErrorKind::UnexpectedEof`] wrapping
///   [`ossuary_core::Error::Truncated`]: the wire was cut (or a peer or an
///   attacker closed the TCP connection) and data may be missing. This is
///   tokio-rustls's "peer closed connection without sending TLS
///   close_notify", with one meaning only.
/// - Any other failure is final: the peer is sent a RESET saying why, and
///   every later read and write returns the same error.
///
/// Errors are `io::Error`s with the [`ossuary_core::Error`] inside
/// (`e.get_ref().and_then(|e| e.downcast_ref::<ossuary_core::Error>())`),
/// or the transport's own error as it came.
///
/// # Cancel safety
///
/// `read`, `read_buf`, `write`, `flush` and `shutdown` are cancel-safe:
/// dropping the future before it completes (in a `select!` branch that
/// lost, or under a timeout) loses no data and corrupts nothing.
/// Plaintext is handed out only by the poll that returns it; input read
/// from the transport but not yet decrypted stays in the stream; a `write`
/// that returned `Pending` took nothing, and one that returned `n` took
/// exactly `n` bytes, which go out with the next write, flush, shutdown or
/// read. As with any tokio stream, the combinators that loop
/// (`read_exact`, `write_all`) are not cancel-safe: the bytes a dropped
/// `write_all` got through are unknown to its caller.
///
/// # Sending
///
/// A `write` seals its bytes into records and sends them as far as the
/// transport takes them; what it does not take waits in the stream (about
/// one frame, 64 KiB, at most) and goes out with the next write, flush,
/// shutdown, or read: a request written without a flush is not stuck
/// behind the read that waits for its answer.
///
/// # Memory
///
/// An idle session holds no buffer of its own: input is read first into
/// a small buffer on the stack, and a frame-sized buffer is held only
/// during a burst of input and given back when it is empty. An idle
/// session holds about 1.9 KiB of heap in all, the [`Connection`]
/// included. The connection's own output and partial-frame queues grow
/// during large writes and reads (to about 128 KiB each with 64 KiB
/// records); whenever the stream waits for its peer it has them give that
/// back ([`Connection::shrink_buffers`]), so an idle session holds the same
/// few KiB after a burst as before it (`tests/idle_memory.rs`).
pub struct Stream<IO> {
    driver: Box<Driver<IO>>,
}

impl<IO> Stream<IO> {
    pub(crate) fn new(driver: Box<Driver<IO>>) -> Self {
        Self { driver }
    }

    /// The connection underneath: the peer's key, whether the peer has
    /// closed, ...
    pub fn connection(&self) -> &Connection {
        self.driver.connection()
    }

    /// The peer's verified identity key: the server's, or the client's if
    /// it sent one (an anonymous client has none).
    pub fn remote_public_key(&self) -> Option<PublicKey> {
        self.driver.connection().remote_public_key().copied()
    }

    /// The transport.
    pub fn get_ref(&self) -> &IO {
        self.driver.io()
    }

    /// The transport, mutably (to set socket options). Reading or writing
    /// it directly corrupts the session.
    pub fn get_mut(&mut self) -> &mut IO {
        self.driver.io_mut()
    }

    /// Splits the stream into a read half and a write half that can move
    /// to tasks of their own. Both share the session under a mutex, held
    /// only for the duration of one poll (never across an `.await`), and
    /// neither loses the other's wakeups: each poll of the transport is
    /// made with a waker that wakes every task waiting on that direction
    /// (see [`ReadHalf`]). Dropping both halves drops the transport; the
    /// session ends cleanly only after the write half's `shutdown()`.
    pub fn into_split(self) -> (ReadHalf<IO>, WriteHalf<IO>) {
        split(*self.driver)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.get_mut().driver.poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().driver.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().driver.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().driver.poll_shutdown(cx)
    }
}

impl<IO> core::fmt::Debug for Stream<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stream")
            .field("conn", self.driver.connection())
            .finish_non_exhaustive()
    }
}
