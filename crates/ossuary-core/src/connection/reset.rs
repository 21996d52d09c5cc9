//! Failure and re-handshake (PROTOCOL.md §10.2 to §10.5): queue one RESET,
//! then, after [`Connection::reset`], skip frames until the peer's RESET
//! and start over.

use ossuary_wire::{RESET_PLAIN_FRAME_LEN, ResetReason};

use ossuary_handshake::Error as HandshakeError;

use super::Connection;
use super::state::{Failure, State};
use crate::error::{ApiMisuse, Error};
use crate::record::SEALED_RESET_FRAME_LEN;

impl Connection {
    /// After an error, starts over with a new handshake on the same stream
    /// (PROTOCOL.md §10.4): at once if the peer's RESET was seen, otherwise
    /// once it arrives (skipping the frames before it, within the handshake
    /// deadline). Allowed `Config::max_resets` times per connection.
    ///
    /// # Errors
    /// [`ApiMisuse::NotFailed`] if the connection has not failed;
    /// [`Error::ResetLimit`] when no re-handshakes are left;
    /// [`Error::Entropy`] if a client cannot draw its new CLIENT_HELLO.
    pub fn reset(&mut self) -> Result<(), Error> {
        let State::Failed(failure) = &self.state else {
            return Err(ApiMisuse::NotFailed.into());
        };
        if self.resets_left == 0 {
            return Err(Error::ResetLimit);
        }
        let peer_reset_seen = failure.peer_reset_seen;
        self.resets_left -= 1;
        self.inbox.clear();
        if peer_reset_seen {
            self.start_over();
        } else {
            self.state = State::AwaitPeerReset {
                deadline: self.config.clock.now() + self.config.handshake_timeout,
            };
        }
        match &self.state {
            State::Failed(failure) => Err(failure.error),
            _ => Ok(()),
        }
    }

    /// Fails with `error`: queues the RESET that reports it (sealed if
    /// records were flowing, none after this side's CLOSE) and keeps the
    /// error sticky.
    pub(super) fn fail(&mut self, error: Error) {
        let previous = self.take_state();
        self.inbox.clear();
        let (remote, peer_closed) = match previous {
            State::Established(mut session) => {
                let reason = error.reset_reason(true);
                if session.records.sent_close() {
                    // After its own CLOSE a party sends nothing more, a RESET
                    // included, so the peer cannot answer one: the error is
                    // final (PROTOCOL.md §9).
                    self.resets_left = 0;
                } else {
                    let sealed = self.outbox.write_with(SEALED_RESET_FRAME_LEN, |buf| {
                        session.records.write_reset(reason, buf)
                    });
                    if sealed.is_err() {
                        self.queue_plain_reset(reason);
                    }
                }
                (session.remote, session.records.received_close())
            }
            // This session's RESET went out before the wait began: one per
            // session (PROTOCOL.md §10.4).
            State::AwaitPeerReset { .. } => (None, false),
            _ => {
                self.queue_plain_reset(error.reset_reason(false));
                // The refused peer's verified key, so the application can say
                // whom it refused.
                match error {
                    Error::Handshake(HandshakeError::UnauthorizedClient(key)) => (key, false),
                    Error::UntrustedServer { key } | Error::ServerKeyChanged { got: key, .. } => {
                        (Some(key), false)
                    }
                    Error::ClientIdentityChanged { now, .. } => (now, false),
                    _ => (None, false),
                }
            }
        };
        self.state = State::Failed(Failure {
            error,
            peer_reset_seen: matches!(error, Error::PeerReset { .. }),
            peer_closed,
            remote,
        });
    }

    /// Starts the new handshake of a re-handshake.
    pub(super) fn start_over(&mut self) {
        self.state = match self.fresh_state() {
            Ok(state) => state,
            Err(error) => State::Failed(Failure {
                error,
                peer_reset_seen: false,
                peer_closed: false,
                remote: None,
            }),
        };
    }

    fn queue_plain_reset(&mut self, reason: ResetReason) {
        // Cannot fail: the room asked for is exactly the frame.
        let _ = self
            .outbox
            .write_with(RESET_PLAIN_FRAME_LEN, |buf| reason.encode(buf));
    }
}
