//! [`Stream`]: an Ossuary channel over any [`Transport`], itself
//! `Read + Write`, built only on [`Connection`]'s public buffer API.
//!
//! The handshake runs on first use (or explicitly with
//! [`Stream::complete_handshake`]). Blocking and non-blocking transports both
//! work: `WouldBlock` is passed up with every byte kept, so the call can
//! simply be repeated when the transport is ready.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ossuary_wire::{HEADER_LEN, MAX_BODY_LEN};

use crate::connection::{Connection, HandshakeStatus};
use crate::error::{ApiMisuse, Error};

/// A byte stream [`Stream`] runs over. Its methods let the stream bound its
/// reads in time, so the handshake deadline holds even when the peer sends
/// nothing: implemented for `TcpStream` and `UnixStream` (and references and
/// boxes of them).
///
/// For another transport, `impl Transport for MyTransport {}` takes the
/// defaults: the stream cannot interrupt a blocking read, so the deadline
/// fires only when a read returns (give such a transport a timeout of its
/// own, or use a non-blocking one).
pub trait Transport: Read + Write {
    /// The transport's read timeout, to be restored after the handshake.
    ///
    /// # Errors
    /// [`io::ErrorKind::Unsupported`] by default: reads cannot be bounded.
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Err(io::ErrorKind::Unsupported.into())
    }

    /// Bounds the next reads to `timeout` (`None`: no bound).
    ///
    /// # Errors
    /// [`io::ErrorKind::Unsupported`] by default.
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Err(io::ErrorKind::Unsupported.into())
    }
}

impl Transport for TcpStream {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        TcpStream::read_timeout(self)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

impl Transport for &TcpStream {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        TcpStream::read_timeout(self)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        std::os::unix::net::UnixStream::read_timeout(self)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }
}

#[cfg(unix)]
impl Transport for &std::os::unix::net::UnixStream {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        std::os::unix::net::UnixStream::read_timeout(self)
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        (**self).read_timeout()
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        (**self).read_timeout()
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }
}

/// An encrypted stream over a transport `S`.
///
/// A read returning `Ok(0)` means the peer closed the session with an
/// authenticated CLOSE. A transport that ends without one is reported as
/// [`io::ErrorKind::UnexpectedEof`] wrapping [`Error::Truncated`]: the wire
/// was cut, data may be missing.
///
/// The handshake deadline (`Config::handshake_timeout`) holds without the
/// application's help on TCP and UNIX sockets: while the handshake runs, the
/// stream bounds each read by the time left, then restores the socket's own
/// read timeout. A peer that never answers fails with
/// [`Error::HandshakeTimeout`] at the deadline, and the peer is sent a
/// RESET.
pub struct Stream<S> {
    conn: Connection,
    io: S,
    inbuf: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    /// The transport's own read timeout while the handshake bounds reads:
    /// restored when the handshake ends.
    saved_timeout: Option<Option<Duration>>,
}

impl<S: Transport> Stream<S> {
    /// Wraps `io`; nothing is sent until first use.
    pub fn new(conn: Connection, io: S) -> Self {
        Self {
            conn,
            io,
            inbuf: vec![0u8; HEADER_LEN + MAX_BODY_LEN].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            saved_timeout: None,
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
    /// server key ([`HandshakeStatus::UntrustedServer`], only with
    /// `Config::trust_on_first_use`): then approve with
    /// `connection_mut().trust_server()` and call again, or reject.
    ///
    /// # Errors
    /// Transport errors (including `WouldBlock`: call again), handshake
    /// errors as [`io::Error`] wrapping [`Error`], [`Error::HandshakeTimeout`]
    /// at the deadline, and `UnexpectedEof` ([`Error::Truncated`]) if the
    /// transport ends mid-handshake.
    pub fn complete_handshake(&mut self) -> io::Result<HandshakeStatus> {
        let result = self.drive_handshake();
        if !matches!(result, Ok(HandshakeStatus::InProgress)) {
            self.restore_timeout();
        }
        result
    }

    fn drive_handshake(&mut self) -> io::Result<HandshakeStatus> {
        loop {
            self.write_pending()?;
            let status = self.conn.handshake_status();
            match self.check(status)? {
                HandshakeStatus::InProgress => {}
                other => return Ok(other),
            }
            if self.in_start == self.in_end {
                self.bound_read_by_deadline();
                if let Err(e) = self.fill_input() {
                    // A read timeout, `WouldBlock` or the end of the
                    // transport: let a passed deadline fire first, so the
                    // peer is told and the error says why.
                    let deadline = self.conn.recv_handshake(&[]);
                    self.check(deadline)?;
                    return Err(e);
                }
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
            // Paused for a trust decision: the caller must decide first.
            _ => Err(Error::ApiMisuse(ApiMisuse::HandshakeNotDone).into()),
        }
    }

    /// Bounds the next read by the time left before the handshake deadline
    /// (when the transport can), saving the transport's own timeout once.
    fn bound_read_by_deadline(&mut self) {
        let Some(deadline) = self.conn.handshake_deadline() else {
            return;
        };
        if self.saved_timeout.is_none() {
            match self.io.read_timeout() {
                Ok(own) => self.saved_timeout = Some(own),
                Err(_) => return,
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        // Zero means "no timeout" to the socket API: wait at least 1 ms.
        let left = left.max(Duration::from_millis(1));
        let own = self.saved_timeout.flatten();
        let bound = own.map_or(left, |own| own.min(left));
        let _ = self.io.set_read_timeout(Some(bound));
    }

    /// Gives the transport its own read timeout back.
    fn restore_timeout(&mut self) {
        if let Some(own) = self.saved_timeout.take() {
            let _ = self.io.set_read_timeout(own);
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

    /// Reads more input. At the end of the transport, tells the connection:
    /// a clean end after the peer's CLOSE is `Ok` with nothing read,
    /// anything else [`Error::Truncated`].
    fn fill_input(&mut self) -> io::Result<()> {
        if self.in_start == self.in_end {
            self.in_start = 0;
            self.in_end = 0;
        }
        let room = self.inbuf.get_mut(self.in_end..).unwrap_or_default();
        let n = self.io.read(room)?;
        if n == 0 {
            let ended = self.conn.end_of_input();
            self.check(ended)?;
        }
        self.in_end += n;
        Ok(())
    }
}

impl<S: Transport> Read for Stream<S> {
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

impl<S: Transport> Write for Stream<S> {
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
