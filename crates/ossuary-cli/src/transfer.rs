//! `ossuary send` and `ossuary receive`: one file, over one session,
//! checked end to end. The messages are in `wire`; the receiver's side of
//! the file system in `name` and `incoming`.

mod incoming;
mod name;
mod receive;
mod send;
mod wire;

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use crate::error::{Error, Side};

pub(crate) use receive::receive;
pub(crate) use send::send;
use wire::Verdict;

/// Runs one step of the transfer, failing with [`Error::Idle`] if it makes
/// no progress within `stall`.
async fn stalled<T>(
    stall: Duration,
    peer: &str,
    step: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(stall, step).await.unwrap_or_else(|_| {
        Err(Error::Idle {
            peer: peer.to_owned(),
            secs: stall.as_secs(),
        })
    })
}

/// The context of one transfer's steps: the peer, our side, the stall limit.
#[derive(Clone, Copy, Debug)]
struct Step<'a> {
    peer: &'a str,
    side: Side,
    stall: Duration,
}

impl Step<'_> {
    /// The command's error for a failed read or write.
    fn error(&self, e: std::io::Error) -> Error {
        Error::from_stream(self.peer, self.side, e)
    }

    /// Writes `bytes` and flushes them.
    async fn send<S: AsyncWrite + Unpin>(&self, stream: &mut S, bytes: &[u8]) -> Result<(), Error> {
        stalled(self.stall, self.peer, async {
            stream.write_all(bytes).await.map_err(|e| self.error(e))?;
            stream.flush().await.map_err(|e| self.error(e))
        })
        .await
    }

    /// Reads into `buf`; 0 means the peer closed.
    async fn read<S: AsyncRead + Unpin>(
        &self,
        stream: &mut S,
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        stalled(self.stall, self.peer, async {
            stream.read(buf).await.map_err(|e| self.error(e))
        })
        .await
    }

    /// Reads a verdict; `None` if the peer closed instead.
    async fn verdict<S: AsyncRead + Unpin>(
        &self,
        stream: &mut S,
    ) -> Result<Option<Verdict>, Error> {
        let mut byte = [0u8; 1];
        let n = self.read(stream, &mut byte).await?;
        let [verdict] = byte;
        Ok((n == 1).then_some(Verdict(verdict)))
    }

    /// Sends our CLOSE and waits for the peer's, which ends the session
    /// cleanly; anything else the peer sends meanwhile is ignored.
    async fn close<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: &mut S) -> Result<(), Error> {
        stalled(self.stall, self.peer, async {
            stream.shutdown().await.map_err(|e| self.error(e))?;
            let mut rest = [0u8; 1024];
            while stream.read(&mut rest).await.map_err(|e| self.error(e))? > 0 {}
            Ok(())
        })
        .await
    }
}

/// A progress bar for `size` bytes on stderr, drawn only on a terminal.
fn progress(size: u64, verb: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(verb.to_owned());
    bar
}

/// `bytes` over `secs` as MiB/s.
fn mib_per_sec(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20) / secs.max(1e-9)
}
