//! `OssuaryConnection`: the opaque handle C holds, a core [`Connection`] and
//! what the original API's buffer-in, buffer-out calls need around it.

use ossuary_core::{Config, Connection, Error, HandshakeStatus, Progress, Role, SecretKey};
use safer_ffi::prelude::*;

use crate::status::{OssuaryConnType, OssuaryErr};

/// An Ossuary connection: one end of an encrypted channel over a byte stream
/// the application moves itself. Create it with `ossuary_create_connection`,
/// free it with `ossuary_destroy_connection`. Not thread-safe: one call at a
/// time per connection, though it may move between threads from one call to
/// the next (different connections are independent).
#[derive_ReprC]
#[repr(opaque)]
pub struct OssuaryConnection {
    conn: Connection,
    /// Output taken out of `conn` so that the original `ossuary_send_data`
    /// can take all its plaintext at once; it goes out before
    /// `conn.pending_output()`.
    spill: Vec<u8>,
    /// Bytes of `spill` already handed out.
    spill_sent: usize,
    /// A copy of the input of a receive call whose buffers overlap.
    pub(crate) scratch: Vec<u8>,
    /// Plaintext taken out of `conn` by such a call (all its input is
    /// consumed) that did not fit its output yet; it comes out before
    /// plaintext still inside `conn`.
    staged: Vec<u8>,
    /// Whether `ossuary_handshake_done` has answered 1.
    reported_done: bool,
}

impl OssuaryConnection {
    /// A connection as the original API creates it: `secret` is the identity
    /// (a random one for a server without it; an anonymous client without
    /// it), and a client pauses for the application's decision on an
    /// unknown server (Trust-On-First-Use, as the original did).
    pub(crate) fn create(kind: OssuaryConnType, secret: Option<SecretKey>) -> Result<Self, Error> {
        let role = match kind {
            OssuaryConnType::Client => Role::Client,
            OssuaryConnType::AuthenticatedServer => Role::AuthenticatingServer,
            OssuaryConnType::UnauthenticatedServer => Role::OpenServer,
        };
        let config = Config {
            trust_on_first_use: role == Role::Client,
            ..Config::default()
        };
        let secret = match secret {
            Some(secret) => Some(secret),
            None if role.is_server() => Some(ossuary_core::generate_keypair()?.0),
            None => None,
        };
        let conn = match secret {
            Some(secret) => Connection::with_identity(role, config, Box::new(secret))?,
            None => Connection::client(config)?,
        };
        Ok(Self::wrap(conn))
    }

    /// The handle around a core connection built by the caller.
    pub(crate) fn wrap(conn: Connection) -> Self {
        Self {
            conn,
            spill: Vec::new(),
            spill_sent: 0,
            scratch: Vec::new(),
            staged: Vec::new(),
            reported_done: false,
        }
    }

    /// Starts over after an error (`Connection::reset`): plaintext staged
    /// from the failed session is dropped, and the handshake reported
    /// unfinished again. Output already waiting still goes out first.
    pub(crate) fn reset(&mut self) -> Result<(), Error> {
        self.conn.reset()?;
        self.staged.clear();
        self.reported_done = false;
        Ok(())
    }

    /// Whether plaintext taken out of the core connection waits in the
    /// handle (a receive with overlapping buffers had no room for it).
    pub(crate) fn has_staged(&self) -> bool {
        !self.staged.is_empty()
    }

    /// Whether the connection failed while plaintext from before the
    /// failure still waits in the handle: the calls that take the peer's
    /// bytes then withhold the failure until that plaintext is out, so that
    /// the failure, once reported, is final.
    pub(crate) fn failed_with_staged(&self) -> bool {
        self.has_staged() && self.conn.handshake_status().is_err()
    }

    /// Whether output or plaintext waits in the handle itself (outside the
    /// core connection), so that the in-place functions must not run.
    pub(crate) fn has_buffered(&self) -> bool {
        self.spill.len() > self.spill_sent || !self.staged.is_empty()
    }

    /// The core connection.
    pub(crate) fn conn(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Bytes waiting to be sent.
    pub(crate) fn pending_len(&self) -> usize {
        self.spill.len() - self.spill_sent + self.conn.pending_output().len()
    }

    /// Copies waiting output into `out`, in order; returns how many bytes.
    pub(crate) fn take_output(&mut self, out: &mut [u8]) -> usize {
        let spilled = self.spill.get(self.spill_sent..).unwrap_or_default();
        let n = spilled.len().min(out.len());
        let (head, rest) = out.split_at_mut(n);
        head.copy_from_slice(spilled.get(..n).unwrap_or_default());
        self.spill_sent += n;
        if self.spill_sent < self.spill.len() {
            return n;
        }
        self.spill.clear();
        self.spill_sent = 0;
        let pending = self.conn.pending_output();
        let m = pending.len().min(rest.len());
        if let (Some(dst), Some(src)) = (rest.get_mut(..m), pending.get(..m)) {
            dst.copy_from_slice(src);
        }
        self.conn.advance_output(m);
        n + m
    }

    /// Receives records from `input` into `out` (which do not overlap):
    /// staged plaintext first, then the connection's. An error met after
    /// progress is returned by the next call (the connection's errors are
    /// sticky), as the core does.
    pub(crate) fn recv(&mut self, input: &[u8], out: &mut [u8]) -> Result<Progress, Error> {
        let n = self.take_staged(out);
        if !self.staged.is_empty() {
            return Ok(Progress {
                consumed: 0,
                produced: n,
            });
        }
        let rest = out.get_mut(n..).unwrap_or_default();
        match self.conn.recv_data(input, rest) {
            Ok(p) => Ok(Progress {
                consumed: p.consumed,
                produced: n + p.produced,
            }),
            Err(_) if n > 0 => Ok(Progress {
                consumed: 0,
                produced: n,
            }),
            Err(e) => Err(e),
        }
    }

    /// Consumes all of `input` (unless the connection fails or stops), its
    /// plaintext and any still inside the connection moving to the staging
    /// buffer. Returns the bytes consumed; an error only when nothing was
    /// consumed and nothing is staged.
    pub(crate) fn stage_all(&mut self, input: &[u8]) -> Result<usize, Error> {
        let mut consumed = 0;
        loop {
            let rest = input.get(consumed..).unwrap_or_default();
            let start = self.staged.len();
            let room = rest.len().max(1 << 14);
            self.staged.resize(start + room, 0);
            let result = self
                .conn
                .recv_data(rest, self.staged.get_mut(start..).unwrap_or_default());
            match result {
                Ok(p) => {
                    self.staged.truncate(start + p.produced);
                    consumed += p.consumed;
                    if p.consumed == 0 && p.produced == 0 {
                        return Ok(consumed);
                    }
                }
                Err(e) => {
                    self.staged.truncate(start);
                    if consumed == 0 && start == 0 {
                        return Err(e);
                    }
                    return Ok(consumed);
                }
            }
        }
    }

    /// Copies staged plaintext into `out`; returns how many bytes.
    pub(crate) fn take_staged(&mut self, out: &mut [u8]) -> usize {
        let n = self.staged.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.staged.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.staged.drain(..n);
        if self.staged.is_empty() && self.staged.capacity() > 1 << 17 {
            self.staged = Vec::new();
        }
        n
    }

    /// Seals all of `plaintext` into records (the original `ossuary_send_data`
    /// takes it all): output the connection will not queue yet moves to the
    /// spill buffer. Returns the bytes taken: all of them, unless a record
    /// failed after some were taken (that error is then returned by the
    /// next call).
    pub(crate) fn send_all(&mut self, plaintext: &[u8]) -> Result<usize, Error> {
        let mut taken = 0;
        while let Some(rest) = plaintext.get(taken..).filter(|r| !r.is_empty()) {
            let n = match self.conn.send_data(rest) {
                Ok(n) => n,
                Err(e) if taken == 0 => return Err(e),
                Err(_) => return Ok(taken),
            };
            if n == 0 {
                let pending = self.conn.pending_output();
                if pending.is_empty() {
                    // The connection takes plaintext whenever its output is
                    // empty; refuse rather than loop if that ever changes.
                    return Err(Error::Poisoned);
                }
                let len = pending.len();
                self.spill.extend_from_slice(pending);
                self.conn.advance_output(len);
            }
            taken += n;
        }
        Ok(taken)
    }

    /// The original `ossuary_handshake_done`: 1 once the handshake is done
    /// and its last message has been taken (so the usual loop "send while
    /// not done" delivers it), 0 before, or a negative status.
    pub(crate) fn handshake_done(&mut self) -> Result<i32, OssuaryErr> {
        match self.conn.handshake_status()? {
            HandshakeStatus::InProgress => Ok(0),
            HandshakeStatus::UntrustedServer(_) => Err(OssuaryErr::UntrustedServer),
            HandshakeStatus::Done if self.reported_done || self.pending_len() == 0 => {
                self.reported_done = true;
                Ok(1)
            }
            HandshakeStatus::Done => Ok(0),
        }
    }
}

// The documentation promises that a connection may move between threads
// (one call at a time): that holds only while the handle is `Send`.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<OssuaryConnection>();
};
