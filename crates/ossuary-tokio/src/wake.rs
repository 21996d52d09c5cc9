//! Wakers that let two tasks share one transport without losing wakeups.
//!
//! A transport such as tokio's `TcpStream` keeps one waker per direction:
//! the last task that polled it for reading, and the last that polled it
//! for writing. An encrypted stream breaks the assumption behind that: its
//! read operation may also write (a RESET after a failure, output queued by
//! the other half), so with `tokio::io::split` over a TLS stream the reading
//! task can take the writer's slot and the writing task is never woken.
//!
//! Here the transport is always polled with one fixed waker per direction,
//! [`Interest`]. Before an operation polls a direction, it records its own
//! task's waker in that direction's slot for the operation ([`Op`]); when
//! the transport becomes ready, every task recorded for that direction is
//! woken. Recording comes before polling, so readiness that arrives between
//! a `Pending` and the next poll is never missed. A spurious wakeup costs a
//! poll; a lost one would hang a task.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The stream operation that waits: reading (`poll_read`) or writing
/// (`poll_write`, `poll_flush`, `poll_shutdown`, the handshake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `poll_read`.
    Read,
    /// `poll_write`, `poll_flush`, `poll_shutdown` and the handshake.
    Write,
}

/// The tasks waiting for one direction of the transport, one per [`Op`].
#[derive(Default)]
struct Interest {
    waiting: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    read: Option<Waker>,
    write: Option<Waker>,
}

impl Interest {
    fn record(&self, op: Op, waker: &Waker) {
        let mut slots = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = match op {
            Op::Read => &mut slots.read,
            Op::Write => &mut slots.write,
        };
        match slot {
            Some(held) if held.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }
}

impl Wake for Interest {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let (read, write) = {
            let mut slots = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            (slots.read.take(), slots.write.take())
        };
        // Woken outside the lock: a waker may run code of its own.
        for waker in [read, write].into_iter().flatten() {
            waker.wake();
        }
    }
}

/// The two directions' waiting tasks, and the fixed waker the transport is
/// polled with for each.
pub(crate) struct Wakers {
    readable: Arc<Interest>,
    readable_waker: Waker,
    writable: Arc<Interest>,
    writable_waker: Waker,
}

impl Wakers {
    pub(crate) fn new() -> Self {
        let readable = Arc::new(Interest::default());
        let writable = Arc::new(Interest::default());
        Self {
            readable_waker: Waker::from(Arc::clone(&readable)),
            writable_waker: Waker::from(Arc::clone(&writable)),
            readable,
            writable,
        }
    }

    /// Records that `op`'s task waits for the transport to become readable;
    /// returns the waker to poll the transport's read side with.
    pub(crate) fn readable(&self, op: Op, task: &Waker) -> &Waker {
        self.readable.record(op, task);
        &self.readable_waker
    }

    /// Records that `op`'s task waits for the transport to become writable;
    /// returns the waker to poll the transport's write side with.
    pub(crate) fn writable(&self, op: Op, task: &Waker) -> &Waker {
        self.writable.record(op, task);
        &self.writable_waker
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A waker that counts its wakeups.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (Arc::clone(&c), Waker::from(c))
    }

    /// Readiness wakes every operation that waits for that direction, and
    /// only those: the writer is not lost when the reader polled the write
    /// side last.
    #[test]
    fn readiness_wakes_every_waiting_operation() {
        let wakers = Wakers::new();
        let (reader, reader_waker) = counter();
        let (writer, writer_waker) = counter();
        let via_writer = wakers.writable(Op::Write, &writer_waker).clone();
        let via_reader = wakers.writable(Op::Read, &reader_waker).clone();
        let _ = wakers.readable(Op::Read, &reader_waker);
        // The transport keeps whichever it was polled with last: the same.
        assert!(via_writer.will_wake(&via_reader));
        via_reader.wake_by_ref();
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
        assert_eq!(reader.0.load(Ordering::SeqCst), 1);
        // Woken once: the slots are empty until recorded again.
        via_reader.wake();
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
        // The read side's interest is still recorded.
        wakers.readable_waker.wake_by_ref();
        assert_eq!(reader.0.load(Ordering::SeqCst), 2);
        assert_eq!(writer.0.load(Ordering::SeqCst), 1);
    }
}
