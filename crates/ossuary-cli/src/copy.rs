//! Moving bytes one way until the source ends, then passing the end on:
//! the half of netcat and of a tunnel connection that carries one
//! direction. Counts what it moves and notes when it last moved anything.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::time::Instant;

/// Bytes read (and written) at a time: a little under one record of
/// plaintext, so each read becomes one record.
const CHUNK: usize = 64 * 1024;

/// Which side of a copy failed.
#[derive(Debug)]
pub(crate) enum CopyError {
    /// Reading the source.
    Read(io::Error),
    /// Writing the destination (or passing the end on).
    Write(io::Error),
}

/// When bytes last moved, either way, for an idle timeout.
#[derive(Debug)]
pub(crate) struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last movement.
    last: AtomicU64,
}

impl Activity {
    /// Nothing has moved yet; the clock starts now.
    pub(crate) fn new() -> Self {
        Self {
            start: Instant::now(),
            last: AtomicU64::new(0),
        }
    }

    /// Notes that bytes moved now.
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    /// Completes once nothing has moved for `limit`.
    pub(crate) async fn idle(&self, limit: Duration) {
        loop {
            let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
            let deadline = self.start + last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// Copies `from` into `to` until `from` ends, flushing as it goes (what
/// arrives is passed on at once), then shuts `to` down: the end of the
/// source becomes the end of the destination. Adds what it moved to
/// `moved`.
///
/// # Errors
/// [`CopyError`], saying which side failed.
pub(crate) async fn copy<R, W>(
    from: &mut R,
    to: &mut W,
    moved: &AtomicU64,
    activity: &Activity,
) -> Result<(), CopyError>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = from.read(&mut buf).await.map_err(CopyError::Read)?;
        let Some(bytes) = buf.get(..n).filter(|b| !b.is_empty()) else {
            break;
        };
        activity.touch();
        to.write_all(bytes).await.map_err(CopyError::Write)?;
        to.flush().await.map_err(CopyError::Write)?;
        moved.fetch_add(n as u64, Ordering::Relaxed);
        activity.touch();
    }
    to.shutdown().await.map_err(CopyError::Write)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use tokio::io::AsyncReadExt as _;

    use super::{Activity, CopyError, copy};

    #[tokio::test]
    async fn copies_everything_then_passes_the_end_on() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut near, mut far) = tokio::io::duplex(4096);
        let moved = AtomicU64::new(0);
        let activity = Activity::new();
        let mut source = &data[..];
        let (copied, received) = tokio::join!(
            async {
                let r = copy(&mut source, &mut near, &moved, &activity).await;
                drop(near);
                r
            },
            async {
                let mut got = Vec::new();
                far.read_to_end(&mut got).await.map(|_| got)
            }
        );
        assert!(copied.is_ok());
        assert_eq!(received.unwrap(), data);
        assert_eq!(moved.load(Ordering::Relaxed), data.len() as u64);
    }

    #[tokio::test]
    async fn a_failed_write_is_named() {
        let (mut near, far) = tokio::io::duplex(16);
        drop(far);
        let moved = AtomicU64::new(0);
        let mut source = &b"some bytes"[..];
        let r = copy(&mut source, &mut near, &moved, &Activity::new()).await;
        assert!(matches!(r, Err(CopyError::Write(_))), "{r:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_completes_only_after_the_limit() {
        let activity = Activity::new();
        let start = tokio::time::Instant::now();
        activity.idle(Duration::from_secs(5)).await;
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
