//! The output path: records sealed into the outbox, control frames, the
//! trust decision, and the one way output leaves ([`Connection::pending_output`]).

use ossuary_handshake::{ClientConfig, ClientState};
use ossuary_wire::{HEADER_LEN, MAX_BODY_LEN};

use super::buffers::IDLE_CAPACITY;
use super::state::State;
use super::{Connection, signer};
use crate::error::{ApiMisuse, Error};
use crate::record::{CONTROL_FRAME_LEN, RECORD_OVERHEAD};

/// `send_data` takes more plaintext only while less than this much output
/// waits: the outbox holds about two frames at most.
const OUTPUT_LIMIT: usize = HEADER_LEN + MAX_BODY_LEN;

impl Connection {
    /// Bytes waiting to go to the network: handshake messages, records,
    /// CLOSE, KEY_UPDATE, RESET, in order. Write them to the transport, then
    /// call [`Self::advance_output`] with how many were written.
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        self.outbox.pending()
    }

    /// Marks `n` bytes of [`Self::pending_output`] as sent.
    pub fn advance_output(&mut self, n: usize) {
        self.outbox.advance(n);
        self.settle();
    }

    /// Gives back the memory the connection's queues grew to (a large
    /// record, a burst of output) while they are empty, keeping up to 4 KiB
    /// each in an established session so small records still never
    /// allocate, and nothing during a handshake. Changes nothing else.
    ///
    /// A transport adapter calls it when the session goes idle, waiting for
    /// the peer: an idle session then holds little memory however large its
    /// last records were. Called between the records of a stream, it makes
    /// the next large record allocate again.
    pub fn shrink_buffers(&mut self) {
        let keep = match self.state {
            State::Established(_) => IDLE_CAPACITY,
            _ => 0,
        };
        self.outbox.shrink_if_empty(keep);
        self.inbox.shrink_if_empty(keep);
    }

    /// Seals `plaintext` into records, queued for [`Self::pending_output`].
    /// Takes plaintext while less than one full frame of output waits, so
    /// the queue stays small: returns how much was taken (0 when the output
    /// must be drained first).
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`] after
    /// [`Self::close`], the sticky error.
    pub fn send_data(&mut self, plaintext: &[u8]) -> Result<usize, Error> {
        self.check_established()?;
        if self.is_closed() && !plaintext.is_empty() {
            return Err(Error::Closed);
        }
        let max = self.config.max_plaintext();
        let mut consumed = 0;
        while self.outbox.pending().len() < OUTPUT_LIMIT {
            let Some(rest) = plaintext.get(consumed..).filter(|r| !r.is_empty()) else {
                break;
            };
            let chunk = rest.get(..max).unwrap_or(rest);
            let sealed = self.guard(|c| {
                let State::Established(session) = &mut c.state else {
                    return Err(ApiMisuse::HandshakeNotDone.into());
                };
                // Room for the record and the KEY_UPDATE that may follow it.
                let room = chunk.len() + RECORD_OVERHEAD + CONTROL_FRAME_LEN;
                c.outbox.write_with(room, |buf| {
                    if let Some(dst) = buf.get_mut(HEADER_LEN..HEADER_LEN + chunk.len()) {
                        dst.copy_from_slice(chunk);
                    }
                    session.records.seal_data(buf, chunk.len())
                })
            });
            match sealed {
                Ok(_) => consumed += chunk.len(),
                // Records already queued are reported; the failure is
                // sticky, so the next call returns it (see `Error`).
                Err(_) if consumed > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(consumed)
    }

    /// Queues an authenticated CLOSE; nothing can be sent after it.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`] if already closed.
    pub fn close(&mut self) -> Result<(), Error> {
        self.check_established()?;
        self.guard(|c| match &mut c.state {
            State::Established(session) => c
                .outbox
                .write_with(CONTROL_FRAME_LEN, |buf| session.records.write_close(buf))
                .map(drop),
            _ => Err(ApiMisuse::HandshakeNotDone.into()),
        })
    }

    /// Queues a KEY_UPDATE now and switches to the next send key.
    ///
    /// # Errors
    /// [`ApiMisuse::HandshakeNotDone`], [`Error::Closed`].
    pub fn update_keys(&mut self) -> Result<(), Error> {
        self.check_established()?;
        self.guard(|c| match &mut c.state {
            State::Established(session) => c
                .outbox
                .write_with(CONTROL_FRAME_LEN, |buf| {
                    session.records.write_key_update(buf)
                })
                .map(drop),
            _ => Err(ApiMisuse::HandshakeNotDone.into()),
        })
    }

    /// Approves the untrusted server key the handshake paused on, and
    /// queues CLIENT_AUTH. The application should also record the key.
    ///
    /// # Errors
    /// [`ApiMisuse::NotAwaitingTrust`] if not paused; the sticky error;
    /// handshake errors (a timeout, a failing signer).
    pub fn trust_server(&mut self) -> Result<(), Error> {
        self.check_paused()?;
        self.check_deadline()?;
        self.guard(|c| {
            let auth = match c.take_state() {
                State::Client {
                    handshake,
                    deadline,
                } => match *handshake {
                    ClientState::UntrustedServer(auth) => auth,
                    handshake => {
                        c.state = State::Client {
                            handshake: Box::new(handshake),
                            deadline,
                        };
                        return Err(ApiMisuse::NotAwaitingTrust.into());
                    }
                },
                other => {
                    c.state = other;
                    return Err(ApiMisuse::NotAwaitingTrust.into());
                }
            };
            let config = ClientConfig::new(signer(&c.identity), &c.authorized);
            let mut done = None;
            let written = c
                .outbox
                .write_with(super::pump::MAX_HANDSHAKE_REPLY, |out| {
                    let (established, n) = auth.finish(&config, out)?;
                    done = Some(established);
                    Ok::<_, Error>(n)
                });
            written?;
            c.state = c.complete(done.ok_or(Error::Poisoned)?)?;
            Ok(())
        })
    }

    /// Refuses the untrusted server key: the connection fails with
    /// [`Error::UntrustedServer`] and a RESET (reason 5) is queued. The
    /// connection's handshake deadline keeps running during the pause, and
    /// so does the server's: decide within it.
    ///
    /// # Errors
    /// [`ApiMisuse::NotAwaitingTrust`] if not paused; the sticky error;
    /// otherwise always the resulting [`Error::UntrustedServer`].
    pub fn reject_server(&mut self) -> Result<(), Error> {
        self.check_paused()?;
        let State::Client { handshake, .. } = &self.state else {
            return Err(ApiMisuse::NotAwaitingTrust.into());
        };
        let ClientState::UntrustedServer(auth) = &**handshake else {
            return Err(ApiMisuse::NotAwaitingTrust.into());
        };
        let key = *auth.server_key();
        self.guard(|_| Err(Error::UntrustedServer { key }))
    }

    /// The sticky error, or `NotAwaitingTrust` unless paused for trust.
    fn check_paused(&self) -> Result<(), Error> {
        match &self.state {
            State::Failed(failure) => Err(failure.error),
            State::Client { handshake, .. }
                if matches!(**handshake, ClientState::UntrustedServer(_)) =>
            {
                Ok(())
            }
            _ => Err(ApiMisuse::NotAwaitingTrust.into()),
        }
    }

    /// Gives back the buffers that carried the handshake, once, when the
    /// session is established and neither holds anything.
    pub(super) fn settle(&mut self) {
        if let State::Established(session) = &mut self.state
            && session.handshake_buffers
            && self.outbox.is_empty()
            && self.inbox.is_empty()
        {
            session.handshake_buffers = false;
            self.outbox.release();
            self.inbox.release();
        }
    }
}
