//! [`Driver`]: a [`Connection`] and its transport, driven by polling. The
//! stream, its halves and the handshake futures are thin layers on it, and
//! it is built only on the connection's public buffer API.
//!
//! ```text
//!  transport ──poll_read──▶ probe / Input ──recv_handshake, recv_data──▶ ┌────────────┐ ──▶ caller's buffer
//!                                                                       │ Connection │
//!  transport ◀──poll_write── pending_output, advance_output ◀────────── └────────────┘ ◀── send_data
//! ```
//!
//! Every poll either makes progress or returns `Pending` with the caller's
//! waker recorded for each direction of the transport it waits on (see
//! `wake.rs`). No step leaves the connection half-updated: plaintext is
//! handed out only in the call that produces it, input the connection did
//! not take stays in [`Input`], and output waits in the connection until
//! the transport takes it. That is what makes dropping a read or write
//! future midway safe.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use ossuary_core::{ApiMisuse, Connection, Error as SessionError, HandshakeStatus};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::Error;
use crate::input::{Input, PROBE};
use crate::wake::{Op, Wakers};

/// A connection, its transport, and the input read but not yet taken.
pub(crate) struct Driver<IO> {
    conn: Connection,
    io: IO,
    input: Input,
    wakers: Wakers,
    /// A transport error met while sending opportunistically (after a
    /// `write` had already taken its bytes, or while reading): reported by
    /// the next write, flush or shutdown.
    deferred: Option<io::Error>,
    /// Whether any byte has come from the transport.
    heard: bool,
}

/// Where a read of the transport put its bytes.
enum Fresh {
    /// At the end of the held [`Input`].
    Held,
    /// In the first `n` bytes of the probe.
    Probe(usize),
    /// Nowhere: the transport has ended.
    End,
}

impl<IO> Driver<IO> {
    pub(crate) fn new(conn: Connection, io: IO) -> Self {
        Self {
            conn,
            io,
            input: Input::default(),
            wakers: Wakers::new(),
            deferred: None,
            heard: false,
        }
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn io(&self) -> &IO {
        &self.io
    }

    pub(crate) fn io_mut(&mut self) -> &mut IO {
        &mut self.io
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Driver<IO> {
    /// Runs the handshake until it is done or paused for a trust decision.
    /// Never returns [`HandshakeStatus::InProgress`].
    pub(crate) fn poll_handshake(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<HandshakeStatus, Error>> {
        let mut probe = [0u8; PROBE];
        // Bounded: each pass sends, takes input, or returns.
        loop {
            // A failure first: a transport that no longer takes the RESET
            // must not hide why the handshake failed.
            let status = self.conn.handshake_status();
            let status = self.settle(cx, Op::Write, status).map_err(Error::Session)?;
            ready!(self.poll_drain(cx, Op::Write)).map_err(Error::Io)?;
            if status != HandshakeStatus::InProgress {
                ready!(self.poll_flush_transport(cx)).map_err(Error::Io)?;
                return Poll::Ready(Ok(status));
            }
            let used = self.conn.recv_handshake(self.input.pending());
            let used = self.settle(cx, Op::Write, used).map_err(Error::Session)?;
            self.input.consume(used);
            if used > 0 {
                continue;
            }
            match ready!(self.poll_transport(cx, Op::Write, &mut probe)).map_err(Error::Io)? {
                Fresh::Held => {}
                Fresh::End => {
                    // Never a clean end during the handshake.
                    let ended = self.conn.end_of_input();
                    let e = self.settle(cx, Op::Write, ended).err();
                    return Poll::Ready(Err(Error::Session(e.unwrap_or(SessionError::Truncated))));
                }
                Fresh::Probe(n) => {
                    let fresh = probe.get(..n).unwrap_or_default();
                    let used = self.conn.recv_handshake(fresh);
                    let used = self.settle(cx, Op::Write, used).map_err(Error::Session)?;
                    self.keep(fresh, used, n);
                }
            }
        }
    }

    /// The handshake deadline's timer fired: lets the connection fail with
    /// its timeout (which queues the RESET that tells the peer), sends that
    /// RESET if the transport takes it now, and returns the error.
    pub(crate) fn expire(&mut self, cx: &mut Context<'_>) -> Error {
        let checked = self.conn.recv_handshake(&[]);
        match self.settle(cx, Op::Write, checked) {
            Err(e) => Error::Session(e),
            // The connection's clock has not reached the deadline that
            // tokio's timer has: a `Config::clock` other than tokio's time
            // while that is paused (see `TokioClock`). Time out all the same.
            Ok(_) => Error::Session(SessionError::HandshakeTimeout {
                heard_from_peer: self.heard,
            }),
        }
    }

    /// Sends queued output (a RESET) if the transport takes it now.
    pub(crate) fn send_now(&mut self, cx: &mut Context<'_>) {
        let _ = self.poll_drain(cx, Op::Write);
    }

    /// `AsyncRead::poll_read`. Plaintext is handed out only in the call
    /// that produced it; `Ok` with nothing added is the peer's
    /// authenticated CLOSE.
    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if out.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        // Output the peer may be waiting for (records a `write` queued
        // when the transport was full, and nobody flushed): sent while
        // reading, so a request never waits behind its own response.
        if let Poll::Ready(Err(e)) = self.poll_drain(cx, Op::Read) {
            self.deferred.get_or_insert(e);
        }
        let n = ready!(self.poll_read_into(cx, out.initialize_unfilled()))?;
        out.advance(n);
        Poll::Ready(Ok(()))
    }

    fn poll_read_into(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut probe = [0u8; PROBE];
        // Bounded: each pass hands out plaintext, takes input, or returns
        // (the transport's own budget ends a long run of ready reads).
        loop {
            // Also with no input: a failure that an earlier call's progress
            // deferred is reported here, before the transport is read.
            let progress = self.conn.recv_data(self.input.pending(), dst);
            let progress = self.settle(cx, Op::Read, progress)?;
            self.input.consume(progress.consumed);
            if progress.produced > 0 {
                return Poll::Ready(Ok(progress.produced));
            }
            if self.conn.peer_closed() {
                return Poll::Ready(Ok(0));
            }
            if progress.consumed > 0 {
                continue;
            }
            match ready!(self.poll_transport(cx, Op::Read, &mut probe))? {
                Fresh::Held => {}
                Fresh::End => {
                    // `Ok` only after the peer's CLOSE, which returned above.
                    let ended = self.conn.end_of_input();
                    self.settle(cx, Op::Read, ended)?;
                    return Poll::Ready(Ok(0));
                }
                Fresh::Probe(n) => {
                    let fresh = probe.get(..n).unwrap_or_default();
                    let progress = self.conn.recv_data(fresh, dst);
                    let progress = self.settle(cx, Op::Read, progress)?;
                    self.keep(fresh, progress.consumed, n);
                    if progress.produced > 0 {
                        return Poll::Ready(Ok(progress.produced));
                    }
                }
            }
        }
    }

    /// `AsyncWrite::poll_write`: seals as much of `buf` as the connection's
    /// output queue takes (about one frame), tries to send it, and returns
    /// how much was taken. `Pending` only while the queue is full and the
    /// transport takes nothing; then nothing of `buf` was taken.
    pub(crate) fn poll_write(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.deferred.take() {
            return Poll::Ready(Err(e));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Bounded: the queue is empty after the drain, so the second pass
        // takes something.
        loop {
            let taken = self.conn.send_data(buf);
            let taken = self.settle(cx, Op::Write, taken)?;
            if taken > 0 {
                // Sent now if the transport takes it; otherwise it waits in
                // the connection for the next write, flush, shutdown or read.
                if let Poll::Ready(Err(e)) = self.poll_drain(cx, Op::Write) {
                    self.deferred = Some(e);
                }
                return Poll::Ready(Ok(taken));
            }
            ready!(self.poll_drain(cx, Op::Write))?;
        }
    }

    /// `AsyncWrite::poll_flush`: everything queued reaches the transport,
    /// and the transport is flushed.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.deferred.take() {
            return Poll::Ready(Err(e));
        }
        ready!(self.poll_drain(cx, Op::Write))?;
        self.poll_flush_transport(cx)
    }

    /// `AsyncWrite::poll_shutdown`: queues the authenticated CLOSE (once),
    /// sends and flushes everything, then shuts the transport's write side.
    pub(crate) fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.deferred.take() {
            return Poll::Ready(Err(e));
        }
        if !self.conn.is_closed() {
            let closed = self.conn.close();
            self.settle(cx, Op::Write, closed)?;
        }
        ready!(self.poll_drain(cx, Op::Write))?;
        ready!(self.poll_flush_transport(cx))?;
        let waker = self.wakers.writable(Op::Write, cx.waker());
        Pin::new(&mut self.io).poll_shutdown(&mut Context::from_waker(waker))
    }

    /// Keeps what the connection did not take of a probe read (`used` of
    /// `fresh`), and holds a buffer for the rest of a burst when the read
    /// filled the probe (`n`).
    fn keep(&mut self, fresh: &[u8], used: usize, n: usize) {
        let rest = fresh.get(used..).unwrap_or_default();
        if !rest.is_empty() || n == PROBE {
            self.input.hold(rest);
        }
    }

    /// Passes an error up after trying to send the RESET it queued.
    fn settle<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: Op,
        r: Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        if r.is_err() {
            let _ = self.poll_drain(cx, op);
        }
        r
    }

    /// Writes the connection's queued output to the transport until none
    /// is left (`Ready(Ok)`) or the transport is full (`Pending`, with
    /// `op`'s task recorded to be woken when it is writable).
    fn poll_drain(&mut self, cx: &mut Context<'_>, op: Op) -> Poll<io::Result<()>> {
        while !self.conn.pending_output().is_empty() {
            let waker = self.wakers.writable(op, cx.waker());
            let mut io_cx = Context::from_waker(waker);
            let n =
                ready!(Pin::new(&mut self.io).poll_write(&mut io_cx, self.conn.pending_output()))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.conn.advance_output(n);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_flush_transport(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let waker = self.wakers.writable(Op::Write, cx.waker());
        Pin::new(&mut self.io).poll_flush(&mut Context::from_waker(waker))
    }

    /// Reads the transport for `op`: into the held input buffer during a
    /// burst, else into `probe`. On `Pending` an empty buffer is given
    /// back, so a session waiting for input holds none.
    fn poll_transport(
        &mut self,
        cx: &mut Context<'_>,
        op: Op,
        probe: &mut [u8],
    ) -> Poll<io::Result<Fresh>> {
        let waker = self.wakers.readable(op, cx.waker());
        let mut io_cx = Context::from_waker(waker);
        if !self.input.is_held() {
            let mut buf = ReadBuf::new(probe);
            let polled = Pin::new(&mut self.io).poll_read(&mut io_cx, &mut buf);
            if polled.is_pending() {
                // Idle, waiting for the peer: hold no memory a burst grew.
                self.conn.shrink_buffers();
            }
            ready!(polled)?;
            let n = buf.filled().len();
            self.heard |= n > 0;
            return Poll::Ready(Ok(if n == 0 { Fresh::End } else { Fresh::Probe(n) }));
        }
        let room = self.input.room();
        if room.is_empty() {
            // A whole frame of input that the connection does not take: it
            // is not in a state that reads records (the connection takes a
            // partial frame into its own buffer otherwise).
            return Poll::Ready(Err(
                SessionError::ApiMisuse(ApiMisuse::HandshakeNotDone).into()
            ));
        }
        let mut buf = ReadBuf::new(room);
        let polled = Pin::new(&mut self.io).poll_read(&mut io_cx, &mut buf);
        let n = buf.filled().len();
        match polled {
            Poll::Pending => {
                self.input.release_if_empty();
                self.conn.shrink_buffers();
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) if n == 0 => Poll::Ready(Ok(Fresh::End)),
            Poll::Ready(Ok(())) => {
                self.input.filled(n);
                self.heard = true;
                Poll::Ready(Ok(Fresh::Held))
            }
        }
    }
}
