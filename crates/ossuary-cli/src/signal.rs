//! SIGINT and SIGTERM, listened for from the start of a command so that
//! none is missed, and turned into the exit status they stand for.

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::error::Error;
use crate::exit::Status;

/// The signals that stop the command.
#[derive(Debug)]
pub(crate) struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    /// Starts listening (from now on, SIGINT and SIGTERM no longer kill the
    /// process: [`recv`](Self::recv) reports them).
    ///
    /// # Errors
    /// [`Error::Local`] if the handlers cannot be installed.
    pub(crate) fn new() -> Result<Self, Error> {
        let install = |kind| signal(kind).map_err(|e| Error::local("signal handler", "install", e));
        Ok(Self {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
        })
    }

    /// Waits for the next signal: [`Status::Interrupted`] for SIGINT,
    /// [`Status::Terminated`] for SIGTERM.
    pub(crate) async fn recv(&mut self) -> Status {
        tokio::select! {
            _ = self.interrupt.recv() => Status::Interrupted,
            _ = self.terminate.recv() => Status::Terminated,
        }
    }

    /// Runs `work` unless a signal comes first, which becomes
    /// [`Error::Signal`].
    ///
    /// # Errors
    /// `work`'s, or the signal.
    pub(crate) async fn guard<T>(
        &mut self,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        tokio::select! {
            result = work => result,
            status = self.recv() => Err(Error::Signal(status)),
        }
    }
}
