//! Failure and re-handshake (PROTOCOL.md §10.4): queue one RESET, then
//! wait for the peer's before starting over.

use ossuary_handshake::ServerState;
use ossuary_wire::FrameType;

use super::{Connection, Progress, State};
use crate::error::Error;

impl Connection {
    pub(super) fn fail(&mut self, error: Error) {
        let peer_reset_seen = matches!(error, Error::PeerReset(_));
        let previous = self.take_state();
        self.rx.clear();
        self.rx_plain = 0..0;
        let closed = matches!(&previous, State::Established(r) if r.sent_close());
        if !self.reset_sent && !closed {
            self.reset_sent = true;
            let reason = error.reset_reason();
            let mut buf = [0u8; 20];
            let sealed = match previous {
                State::Established(mut r) => r.write_reset(reason, &mut buf).ok(),
                _ => None,
            };
            match sealed {
                Some(n) => self.queue(buf.get(..n).unwrap_or_default()),
                None => self.queue(&[FrameType::RESET.0, 0, 1, reason.0]),
            }
        }
        self.state = State::Failed {
            error,
            peer_reset_seen,
        };
    }

    pub(super) fn become_fresh(&mut self) {
        self.deadline = None;
        self.state = if self.role.is_server() {
            State::Server(ServerState::new())
        } else {
            State::Fresh
        };
        if !self.role.is_server() {
            // Errors here (entropy) stick as a failure of the new session.
            let _ = self.guard(Self::start_if_fresh);
        }
    }

    /// In [`State::AwaitPeerReset`]: skips whole frames until the peer's RESET.
    pub(super) fn discard_until_reset(&mut self, input: &[u8]) -> Result<usize, Error> {
        let mut consumed = 0;
        while matches!(self.state, State::AwaitPeerReset) {
            let Some(rest) = input.get(consumed..).filter(|r| !r.is_empty()) else {
                break;
            };
            let (n, complete) = match self.buffer_frame(rest) {
                Ok(v) => v,
                Err(e) => {
                    // Framing is lost: no later RESET could be found. Final.
                    self.resets_left = 0;
                    return self.guard(|_| Err(e));
                }
            };
            consumed += n;
            if !complete {
                break;
            }
            let is_reset = self.rx.first() == Some(&FrameType::RESET.0);
            self.rx.clear();
            if is_reset {
                self.become_fresh();
            }
        }
        Ok(consumed)
    }
}

/// An error met after a call made progress: report the progress now; the
/// failure is sticky, so the next call returns it.
pub(super) fn deferred<P: MadeProgress>(error: Error, progress: P) -> Result<P, Error> {
    if progress.any() {
        Ok(progress)
    } else {
        Err(error)
    }
}

pub(super) trait MadeProgress {
    fn any(&self) -> bool;
}

impl MadeProgress for usize {
    fn any(&self) -> bool {
        *self > 0
    }
}

impl MadeProgress for Progress {
    fn any(&self) -> bool {
        self.consumed > 0 || self.produced > 0
    }
}
