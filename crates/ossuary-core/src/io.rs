//! [`Stream`]: an Ossuary channel over any `Read + Write`, itself
//! `Read + Write`, built only on [`Connection`]'s public buffer API.
//!
//! The handshake runs on first use (or explicitly with
//! [`Stream::complete_handshake`]). Blocking and non-blocking transports both
//! work: `WouldBlock` is passed up with every byte kept, so the call can
//! simply be repeated when the transport is ready.

use std::io::{self, Read, Write};

use ossuary_wire::{HEADER_LEN, MAX_BODY_LEN};

use crate::connection::{Connection, HandshakeStatus};
use crate::error::Error;

/// An encrypted stream over a transport `S`.
///
/// A read returning `Ok(0)` means the peer closed the session with an
/// authenticated CLOSE. A transport that ends without one is reported as
/// [`io::ErrorKind::UnexpectedEof`]: the wire was cut, data may be missing.
///
/// For the handshake deadline to fire on a blocking socket, give the
/// socket a read timeout (`TcpStream::set_read_timeout`).
pub struct Stream<S> {
    conn: Connection,
    io: S,
    inbuf: Box<[u8]>,
    in_start: usize,
    in_end: usize,
}

impl<S: Read + Write> Stream<S> {
    /// Wraps `io`; nothing is sent until first use.
    pub fn new(conn: Connection, io: S) -> Self {
        Self {
            conn,
            io,
            inbuf: vec![0u8; HEADER_LEN + MAX_BODY_LEN].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
        }
    }

    /// The connection (keys, peer identity, status).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (to approve a server key, reset, …).
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably. Reading or writing it directly corrupts the
    /// session.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Drives the handshake until it is done or paused on an untrusted
    /// server key ([`HandshakeStatus::UntrustedServer`]): then approve with
    /// `connection_mut().trust_server()` and call again, or reject.
    ///
    /// # Errors
    /// Transport errors (including `WouldBlock`: call again), handshake
    /// errors as [`io::Error`] wrapping [`Error`], a handshake timeout, and
    /// `UnexpectedEof` if the transport ends mid-handshake.
    pub fn complete_handshake(&mut self) -> io::Result<HandshakeStatus> {
        loop {
            self.write_pending()?;
            let status = self.conn.handshake_status();
            match self.check(status)? {
                HandshakeStatus::InProgress => {}
                other => return Ok(other),
            }
            if self.in_start == self.in_end
                && let Err(e) = self.fill_input()
            {
                // A read timeout or `WouldBlock`: let a passed deadline fire
                // first, so the peer is told and the error says why.
                let deadline = self.conn.recv_handshake(&[]);
                self.check(deadline)?;
                return Err(e);
            }
            let input = self
                .inbuf
                .get(self.in_start..self.in_end)
                .unwrap_or_default();
            let used = self.conn.recv_handshake(input);
            self.in_start += self.check(used)?;
        }
    }

    /// Sends an authenticated CLOSE and flushes it. Reads still work until
    /// the peer's CLOSE arrives.
    ///
    /// # Errors
    /// Transport errors; [`Error::Closed`] if already closed.
    pub fn close(&mut self) -> io::Result<()> {
        let closed = self.conn.close();
        self.check(closed)?;
        self.flush()
    }

    fn ensure_handshake(&mut self) -> io::Result<()> {
        match self.complete_handshake()? {
            HandshakeStatus::Done => Ok(()),
            _ => Err(Error::UntrustedServer.into()),
        }
    }

    /// Converts an error, first trying to send the RESET it queued.
    fn check<T>(&mut self, r: Result<T, Error>) -> io::Result<T> {
        r.map_err(|e| {
            let _ = self.write_pending();
            e.into()
        })
    }

    fn write_pending(&mut self) -> io::Result<()> {
        while !self.conn.pending_output().is_empty() {
            let n = self.io.write(self.conn.pending_output())?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.conn.advance_output(n);
        }
        Ok(())
    }

    fn fill_input(&mut self) -> io::Result<()> {
        if self.in_start == self.in_end {
            self.in_start = 0;
            self.in_end = 0;
        }
        let room = self.inbuf.get_mut(self.in_end..).unwrap_or_default();
        let n = self.io.read(room)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "transport ended without an authenticated close",
            ));
        }
        self.in_end += n;
        Ok(())
    }
}

impl<S: Read + Write> Read for Stream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.ensure_handshake()?;
        loop {
            let input = self
                .inbuf
                .get(self.in_start..self.in_end)
                .unwrap_or_default();
            let progress = self.conn.recv_data(input, buf);
            let progress = self.check(progress)?;
            self.in_start += progress.consumed;
            if progress.produced > 0 {
                return Ok(progress.produced);
            }
            if self.conn.peer_closed() {
                return Ok(0);
            }
            // A call that made progress is followed by another before the
            // transport is read: it reports a failure the progress deferred.
            if progress.consumed > 0 {
                continue;
            }
            self.fill_input()?;
        }
    }
}

impl<S: Read + Write> Write for Stream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.ensure_handshake()?;
        self.write_pending()?;
        // The output is drained, so this takes at least one byte.
        let taken = self.conn.send_data(buf);
        let taken = self.check(taken)?;
        // The records are queued inside; a WouldBlock now loses nothing.
        match self.write_pending() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.io.flush()
    }
}

impl<S> core::fmt::Debug for Stream<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Stream")
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}
