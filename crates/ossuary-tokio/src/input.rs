//! [`Input`]: transport bytes read but not yet taken by the connection.
//!
//! Memory is held only while input is in flight. A read from the transport
//! first goes to a small buffer on the stack ([`PROBE`]); the connection
//! takes what it can from there, and only a remainder, or a read that
//! filled the probe (a burst: more is likely waiting), makes the stream
//! hold a heap buffer of one whole frame. That buffer is given back as
//! soon as it is empty and the transport has nothing more, so an idle
//! session holds no input buffer at all.

use ossuary_core::{MAX_RECORD_PLAINTEXT, RECORD_OVERHEAD};

/// Bytes of the first read from the transport, on the stack. Small
/// messages never need more.
pub(crate) const PROBE: usize = 4096;

/// The held buffer's size: one whole frame of the largest size.
const CAPACITY: usize = MAX_RECORD_PLAINTEXT + RECORD_OVERHEAD;

/// Bytes read from the transport and not yet taken, in `buf[start..end]`.
/// `buf` is empty (no allocation) while nothing is held.
#[derive(Default)]
pub(crate) struct Input {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Input {
    /// The bytes not yet taken.
    pub(crate) fn pending(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Marks `n` bytes as taken.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
    }

    /// Whether a heap buffer is held (reads go there instead of the probe).
    pub(crate) fn is_held(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Holds a heap buffer from now on, keeping `rest` (bytes the
    /// connection did not take) in front of whatever is read next.
    pub(crate) fn hold(&mut self, rest: &[u8]) {
        if !self.is_held() {
            self.buf = vec![0u8; CAPACITY].into_boxed_slice();
            self.start = 0;
            self.end = 0;
        }
        let room = self.room();
        let n = rest.len().min(room.len());
        if let (Some(dst), Some(src)) = (room.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.end += n;
    }

    /// The free space after the pending bytes, moved to the front first.
    /// Empty only if a whole buffer of pending bytes waits, which the
    /// connection never leaves (it takes a partial frame into its own
    /// buffer).
    pub(crate) fn room(&mut self) -> &mut [u8] {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.buf.get_mut(self.end..).unwrap_or_default()
    }

    /// Marks `n` bytes after the pending ones as read into [`Self::room`].
    pub(crate) fn filled(&mut self, n: usize) {
        self.end = self.end.saturating_add(n).min(self.buf.len());
    }

    /// Gives the buffer back if nothing is pending in it.
    pub(crate) fn release_if_empty(&mut self) {
        if self.start == self.end && self.is_held() {
            *self = Self::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_only_while_bytes_wait() {
        let mut input = Input::default();
        assert!(!input.is_held());
        input.hold(b"abc");
        assert!(input.is_held());
        assert_eq!(input.pending(), b"abc");
        input.consume(1);
        let room = input.room();
        assert_eq!(room.len(), CAPACITY - 2);
        room[..2].copy_from_slice(b"de");
        input.filled(2);
        assert_eq!(input.pending(), b"bcde");
        input.release_if_empty();
        assert!(input.is_held(), "bytes wait: kept");
        input.consume(10);
        assert_eq!(input.pending(), b"");
        input.release_if_empty();
        assert!(!input.is_held());
    }
}
