//! [`ReadHalf`] and [`WriteHalf`]: a [`Stream`](crate::Stream) split for
//! two tasks.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use ossuary_core::{Error as SessionError, PublicKey};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::driver::Driver;

/// The reading half of a [`Stream`](crate::Stream), from
/// [`Stream::into_split`](crate::Stream::into_split): `AsyncRead`, usable
/// from its own task.
///
/// # How the halves share the session without losing wakeups
///
/// Both halves hold the session (connection, transport, input) in one
/// `Arc<Mutex<..>>`. A half locks it for one poll and never across an
/// `.await`, so neither waits on the other for longer than the other's
/// step takes (at most one record sealed or opened).
///
/// The transport is never polled with a half's own waker. A transport such
/// as `TcpStream` keeps one waker per direction, the last one it was polled
/// with; an encrypted stream's read may also write (a RESET, or output the
/// write half queued), so with `tokio::io::split` over a TLS stream the
/// reader can take the writer's place and the writer sleeps for ever.
/// Here each direction of the transport is polled with one fixed waker,
/// and before polling, the half records its task's waker with it; when the
/// transport becomes readable or writable, every task recorded for that
/// direction is woken. The same holds for `tokio::io::split` over a
/// [`Stream`](crate::Stream).
///
/// Cancel safety is as for [`Stream`](crate::Stream).
pub struct ReadHalf<IO> {
    shared: Arc<Mutex<Driver<IO>>>,
}

/// The writing half of a [`Stream`](crate::Stream), from
/// [`Stream::into_split`](crate::Stream::into_split): `AsyncWrite`, usable
/// from its own task. `shutdown()` sends the authenticated CLOSE; dropping
/// the half sends nothing. See [`ReadHalf`] for how the halves share the
/// session.
pub struct WriteHalf<IO> {
    shared: Arc<Mutex<Driver<IO>>>,
}

/// The two halves of `driver`.
pub(crate) fn split<IO>(driver: Driver<IO>) -> (ReadHalf<IO>, WriteHalf<IO>) {
    let shared = Arc::new(Mutex::new(driver));
    (
        ReadHalf {
            shared: Arc::clone(&shared),
        },
        WriteHalf { shared },
    )
}

/// Locks the session for one poll. A poll that panicked while holding it
/// (a transport's panic, or a bug) leaves it unusable:
/// [`ossuary_core::Error::Poisoned`].
fn lock<IO>(shared: &Mutex<Driver<IO>>) -> io::Result<MutexGuard<'_, Driver<IO>>> {
    shared.lock().map_err(|_| SessionError::Poisoned.into())
}

/// The peer's key, read even from a poisoned lock (it is only read).
fn remote_public_key<IO>(shared: &Mutex<Driver<IO>>) -> Option<PublicKey> {
    let driver = shared.lock().unwrap_or_else(PoisonError::into_inner);
    driver.connection().remote_public_key().copied()
}

impl<IO> ReadHalf<IO> {
    /// The peer's verified identity key (see
    /// [`Stream::remote_public_key`](crate::Stream::remote_public_key)).
    pub fn remote_public_key(&self) -> Option<PublicKey> {
        remote_public_key(&self.shared)
    }
}

impl<IO> WriteHalf<IO> {
    /// The peer's verified identity key (see
    /// [`Stream::remote_public_key`](crate::Stream::remote_public_key)).
    pub fn remote_public_key(&self) -> Option<PublicKey> {
        remote_public_key(&self.shared)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for ReadHalf<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match lock(&self.shared) {
            Ok(mut driver) => driver.poll_read(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WriteHalf<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match lock(&self.shared) {
            Ok(mut driver) => driver.poll_write(cx, buf),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match lock(&self.shared) {
            Ok(mut driver) => driver.poll_flush(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match lock(&self.shared) {
            Ok(mut driver) => driver.poll_shutdown(cx),
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl<IO> core::fmt::Debug for ReadHalf<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadHalf").finish_non_exhaustive()
    }
}

impl<IO> core::fmt::Debug for WriteHalf<IO> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteHalf").finish_non_exhaustive()
    }
}
