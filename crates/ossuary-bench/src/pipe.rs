//! An in-memory duplex transport that holds no bytes while idle: the
//! transport of the memory figures.
//!
//! tokio's `DuplexStream` keeps the capacity its buffer grew to, so a pair
//! that carried a burst goes on holding it, and that would be counted as the
//! session's. This pipe frees its buffer as soon as the reader has taken
//! everything, so what an established, idle pair of pipes holds is fixed (two
//! shared `Pipe`s) and is allocated before the measurement starts: every
//! byte the heap figures count belongs to the session and its adapter.
//!
//! ```text
//!   end A ──write──▶ Pipe ──read──▶ end B
//!   end A ◀──read─── Pipe ◀──write── end B
//! ```

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes one direction holds before a write waits (as `tokio::io::duplex`'s
/// `max_buf_size`).
const CAPACITY: usize = 64 * 1024;

/// One direction: bytes written and not yet read.
#[derive(Default)]
struct Pipe {
    bytes: Vec<u8>,
    /// The writer's end has shut down or been dropped.
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One end of a pair made by [`pair`].
pub(crate) struct End {
    rx: Arc<Mutex<Pipe>>,
    tx: Arc<Mutex<Pipe>>,
}

/// Two connected ends.
pub(crate) fn pair() -> (End, End) {
    let a = Arc::new(Mutex::new(Pipe::default()));
    let b = Arc::new(Mutex::new(Pipe::default()));
    (
        End {
            rx: Arc::clone(&a),
            tx: Arc::clone(&b),
        },
        End { rx: b, tx: a },
    )
}

impl AsyncRead for End {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut pipe = lock(&self.rx);
        if pipe.bytes.is_empty() {
            if pipe.closed {
                return Poll::Ready(Ok(()));
            }
            pipe.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = pipe.bytes.len().min(buf.remaining());
        buf.put_slice(pipe.bytes.get(..n).unwrap_or_default());
        if n == pipe.bytes.len() {
            // Empty: the memory goes back at once.
            pipe.bytes = Vec::new();
        } else {
            pipe.bytes.drain(..n);
        }
        if let Some(w) = pipe.writer.take() {
            w.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for End {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = lock(&self.tx);
        if pipe.closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let room = CAPACITY.saturating_sub(pipe.bytes.len());
        if room == 0 {
            pipe.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        pipe.bytes
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        if let Some(w) = pipe.reader.take() {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        close(&self.tx);
        Poll::Ready(Ok(()))
    }
}

fn close(pipe: &Mutex<Pipe>) {
    let mut pipe = lock(pipe);
    pipe.closed = true;
    if let Some(w) = pipe.reader.take() {
        w.wake();
    }
}

impl Drop for End {
    fn drop(&mut self) {
        close(&self.tx);
        // The peer's writes now fail instead of waiting for ever.
        close(&self.rx);
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn bytes_cross_in_order_and_the_end_is_seen() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (mut a, mut b) = pair();
            let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
            let expected = data.clone();
            let writer = async move {
                a.write_all(&data).await.unwrap();
                a.shutdown().await.unwrap();
                a
            };
            let reader = async move {
                let mut got = Vec::new();
                b.read_to_end(&mut got).await.unwrap();
                got
            };
            let (_a, got) = tokio::join!(writer, reader);
            assert_eq!(got, expected);
        });
    }
}
