//! Transports for [`ossuary_core::Stream`]: an in-memory duplex pipe
//! ([`MemEnd`]), loopback TCP on an ephemeral port, and helpers that drive
//! and retry non-blocking streams.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use ossuary_core::{Error, HandshakeStatus, Transport};

use super::MAX_STEPS;

/// One end of an in-memory duplex pipe for [`ossuary_core::Stream`]. A read
/// with nothing buffered returns `WouldBlock`, or `Ok(0)` once the other end
/// has been shut down.
#[derive(Clone)]
pub(crate) struct MemEnd {
    rx: Rc<RefCell<Queue>>,
    tx: Rc<RefCell<Queue>>,
    /// Largest read returned at once (1 delivers byte by byte).
    pub(crate) max_read: usize,
}

#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    shut: bool,
}

/// Two connected in-memory ends.
pub(crate) fn mem_duplex() -> (MemEnd, MemEnd) {
    let a = Rc::new(RefCell::new(Queue::default()));
    let b = Rc::new(RefCell::new(Queue::default()));
    (
        MemEnd {
            rx: a.clone(),
            tx: b.clone(),
            max_read: usize::MAX,
        },
        MemEnd {
            rx: b,
            tx: a,
            max_read: usize::MAX,
        },
    )
}

impl MemEnd {
    /// Ends this side's output: the peer then reads EOF (a cut wire).
    pub(crate) fn shutdown_write(&self) {
        self.tx.borrow_mut().shut = true;
    }

    /// Bytes written by the peer and not yet read here.
    pub(crate) fn pending_in(&self) -> usize {
        self.rx.borrow().bytes.len()
    }

    /// Takes every byte the peer wrote that this end has not read.
    pub(crate) fn take_incoming(&self) -> Vec<u8> {
        self.rx.borrow_mut().bytes.drain(..).collect()
    }

    /// Mutable access to the bytes travelling towards this end.
    pub(crate) fn with_incoming<T>(&self, f: impl FnOnce(&mut VecDeque<u8>) -> T) -> T {
        f(&mut self.rx.borrow_mut().bytes)
    }
}

impl Read for MemEnd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut q = self.rx.borrow_mut();
        if q.bytes.is_empty() {
            return if q.shut {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(q.bytes.len()).min(self.max_read);
        for (dst, src) in buf.iter_mut().zip(q.bytes.drain(..n)) {
            *dst = src;
        }
        Ok(n)
    }
}

/// In memory: reads cannot be bounded in time (the defaults); a read with
/// nothing buffered returns `WouldBlock` at once anyway.
impl Transport for MemEnd {}

impl Write for MemEnd {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut q = self.tx.borrow_mut();
        if q.shut {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        q.bytes.extend(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Read and write timeout for every test socket.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A connected loopback TCP pair (client end, server end) on an ephemeral
/// port, with read and write timeouts set.
pub(crate) fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let client = TcpStream::connect(addr).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    for s in [&client, &server] {
        s.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        s.set_write_timeout(Some(IO_TIMEOUT))
            .expect("write timeout");
        s.set_nodelay(true).expect("nodelay");
    }
    (client, server)
}

/// Drives the handshakes of two streams over non-blocking transports (a
/// [`mem_duplex`]) in turn until neither makes progress; returns each
/// side's last result (`WouldBlock` while still waiting).
pub(crate) fn drive_streams<A: Transport, B: Transport>(
    c: &mut ossuary_core::Stream<A>,
    s: &mut ossuary_core::Stream<B>,
) -> (io::Result<HandshakeStatus>, io::Result<HandshakeStatus>) {
    let mut last = (
        Err(io::ErrorKind::WouldBlock.into()),
        Err(io::ErrorKind::WouldBlock.into()),
    );
    for _ in 0..4 * MAX_STEPS {
        last = (c.complete_handshake(), s.complete_handshake());
        let settled = |r: &io::Result<HandshakeStatus>| match r {
            Ok(HandshakeStatus::InProgress) => false,
            Ok(_) => true,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        };
        if settled(&last.0) && settled(&last.1) {
            break;
        }
    }
    last
}

/// Retries `f` while it returns `WouldBlock`, at most `max` times.
pub(crate) fn retry<T>(max: usize, mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    for _ in 0..max {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
    }
    panic!("still WouldBlock after {max} attempts");
}

/// The [`Error`] inside an `io::Error` produced by `Stream`, if any.
pub(crate) fn ossuary_error(e: &io::Error) -> Option<Error> {
    e.get_ref()?.downcast_ref::<Error>().copied()
}
