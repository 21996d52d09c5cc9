//! The byte queues: the frame being received ([`Inbox`]) and the bytes for
//! the network not yet taken ([`Outbox`]).

use core::ops::Range;

use ossuary_wire::{HEADER_LEN, Header, Parsed};

use crate::error::Error;

/// What an empty queue of an established session may keep of the memory it
/// grew to (see `Connection::shrink_buffers`): small records reuse it without
/// allocating. During a handshake an empty queue keeps nothing: the frames
/// it carried (up to 1,253 bytes) come once each, and a server holding
/// thousands of unfinished handshakes should not hold their buffers.
pub(super) const IDLE_CAPACITY: usize = 4096;

/// The frame being assembled from input that arrived in pieces; after a DATA
/// record opened in place, its plaintext until the caller has taken it.
#[derive(Default)]
pub(super) struct Inbox {
    bytes: Vec<u8>,
    /// Parsed once, when the third header byte arrives.
    header: Option<Header>,
    /// Plaintext in `bytes` not yet handed out.
    plain: Range<usize>,
    /// Bytes of a refused frame still to be skipped.
    skip: usize,
}

impl Inbox {
    /// Whether nothing is held: no partial frame, no plaintext.
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// While nothing is held, gives back memory beyond `keep` bytes.
    pub(super) fn shrink_if_empty(&mut self, keep: usize) {
        if self.bytes.is_empty() && self.bytes.capacity() > keep {
            self.bytes = Vec::new();
        }
    }

    /// Bytes held (a partial or whole frame).
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether plaintext is waiting for the caller.
    pub(super) fn has_plaintext(&self) -> bool {
        !self.plain.is_empty()
    }

    /// Appends input until one whole frame is held. Returns the bytes used
    /// and the frame's header once it is complete. `check` sees the header
    /// as soon as its three bytes are in.
    ///
    /// # Errors
    /// The header's [`DecodeError`](ossuary_wire::DecodeError) (an illegal
    /// length for its type), or `check`'s error.
    pub(super) fn fill(
        &mut self,
        input: &[u8],
        mut check: impl FnMut(Header) -> Result<Header, Error>,
    ) -> Result<(usize, Option<Header>), Error> {
        let mut used = 0;
        loop {
            let wanted = match self.header {
                Some(header) => header.frame_len(),
                None => HEADER_LEN,
            };
            let missing = wanted.saturating_sub(self.bytes.len());
            let take = missing.min(input.len() - used);
            self.bytes
                .extend_from_slice(input.get(used..used + take).unwrap_or_default());
            used += take;
            if take < missing {
                return Ok((used, None));
            }
            match self.header {
                Some(header) => return Ok((used, Some(header))),
                None => match Header::parse(&self.bytes)? {
                    Parsed::Complete { value, .. } => self.header = Some(check(value)?),
                    // Cannot happen: the header's three bytes are all in.
                    Parsed::Incomplete { .. } => return Ok((used, None)),
                },
            }
        }
    }

    /// Starts a frame from bytes the caller holds whole (a record that must
    /// be opened in place), replacing nothing: the inbox is empty.
    pub(super) fn load(&mut self, header: Header, frame: &[u8]) {
        self.bytes.clear();
        self.bytes.extend_from_slice(frame);
        self.header = Some(header);
    }

    /// The whole frame held (after [`Self::fill`] reported it complete).
    pub(super) fn frame_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The whole frame held, read-only.
    pub(super) fn frame(&self) -> &[u8] {
        &self.bytes
    }

    /// Keeps the opened record's plaintext, `bytes[range]`, for the caller.
    pub(super) fn keep_plaintext(&mut self, range: Range<usize>) {
        if range.is_empty() {
            self.clear();
        } else {
            self.plain = range;
        }
    }

    /// Copies held plaintext to `out`; the frame is done once all is taken.
    pub(super) fn take_plaintext(&mut self, out: &mut [u8]) -> usize {
        let n = self.plain.len().min(out.len());
        let start = self.plain.start;
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.bytes.get(start..start + n)) {
            dst.copy_from_slice(src);
        }
        self.plain.start += n;
        if n > 0 && self.plain.is_empty() {
            self.clear();
        }
        n
    }

    /// Drops a frame whose header was refused; the `remaining` bytes of it
    /// that are still to come are to be skipped.
    pub(super) fn refuse(&mut self, remaining: usize) {
        self.clear();
        self.skip = remaining;
    }

    /// Whether a refused frame is being skipped.
    pub(super) fn skipping(&self) -> bool {
        self.skip > 0
    }

    /// Skips bytes of a refused frame; returns how many were taken.
    pub(super) fn skip(&mut self, input: &[u8]) -> usize {
        let n = self.skip.min(input.len());
        self.skip -= n;
        n
    }

    /// Drops the frame (keeps the memory for the next one).
    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.header = None;
        self.plain = 0..0;
    }

    /// Drops the frame and gives the memory back.
    pub(super) fn release(&mut self) {
        let skip = self.skip;
        *self = Self::default();
        self.skip = skip;
    }
}

/// Bytes for the network, in order, until the caller takes them.
#[derive(Default)]
pub(super) struct Outbox {
    bytes: Vec<u8>,
    taken: usize,
}

impl Outbox {
    /// What is waiting.
    pub(super) fn pending(&self) -> &[u8] {
        self.bytes.get(self.taken..).unwrap_or_default()
    }

    /// Whether nothing is waiting.
    pub(super) fn is_empty(&self) -> bool {
        self.taken >= self.bytes.len()
    }

    /// Marks `n` bytes as taken; once all are, the memory is reused.
    pub(super) fn advance(&mut self, n: usize) {
        self.taken = self.taken.saturating_add(n).min(self.bytes.len());
        if self.taken == self.bytes.len() {
            self.bytes.clear();
            self.taken = 0;
        }
    }

    /// Lets `write` fill up to `max` new bytes at the end; keeps the number
    /// it reports, or nothing if it fails.
    pub(super) fn write_with<E>(
        &mut self,
        max: usize,
        write: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<usize, E> {
        let base = self.bytes.len();
        self.bytes.resize(base + max, 0);
        let result = write(self.bytes.get_mut(base..).unwrap_or_default());
        let kept = match &result {
            Ok(n) => (*n).min(max),
            Err(_) => 0,
        };
        self.bytes.truncate(base + kept);
        result
    }

    /// Gives the memory back (nothing may be pending).
    pub(super) fn release(&mut self) {
        *self = Self::default();
    }

    /// While nothing is waiting, gives back memory beyond `keep` bytes.
    pub(super) fn shrink_if_empty(&mut self, keep: usize) {
        if self.is_empty() && self.bytes.capacity() > keep {
            *self = Self::default();
        }
    }

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.bytes.capacity()
    }
}

#[cfg(test)]
mod tests {
    use ossuary_wire::FrameType;

    use super::*;

    #[test]
    fn inbox_assembles_a_frame_byte_by_byte() {
        let frame = [FrameType::RESET.0, 0, 1, 7];
        let mut inbox = Inbox::default();
        for (i, b) in frame.iter().enumerate() {
            let (used, header) = inbox.fill(&[*b], Ok).unwrap();
            assert_eq!(used, 1);
            assert_eq!(header.is_some(), i == frame.len() - 1);
        }
        assert_eq!(inbox.frame(), &frame);
        // A complete frame takes no more input.
        assert_eq!(inbox.fill(&[1, 2], Ok).unwrap().0, 0);
    }

    #[test]
    fn inbox_refuses_an_illegal_length_at_the_header() {
        let mut inbox = Inbox::default();
        assert!(inbox.fill(&[FrameType::RESET.0, 0, 9], Ok).is_err());
    }

    #[test]
    fn empty_queues_give_back_what_they_grew_to() {
        let big = |out: &mut Outbox| {
            out.write_with(65_536, |buf| Ok::<_, ()>(buf.len()))
                .unwrap();
        };
        let mut out = Outbox::default();
        big(&mut out);
        // Not while anything waits.
        out.shrink_if_empty(IDLE_CAPACITY);
        assert_eq!(out.pending().len(), 65_536);
        out.advance(65_536);
        assert!(out.capacity() > IDLE_CAPACITY);
        out.shrink_if_empty(IDLE_CAPACITY);
        assert_eq!(out.capacity(), 0);
        // Small queues keep their memory, so small records never allocate.
        out.write_with(100, |buf| Ok::<_, ()>(buf.len())).unwrap();
        out.advance(100);
        let kept = out.capacity();
        out.shrink_if_empty(IDLE_CAPACITY);
        assert_eq!(out.capacity(), kept);
        assert!(kept > 0);

        let mut inbox = Inbox::default();
        let mut frame = vec![FrameType::DATA.0, 0xff, 0xef];
        frame.resize(3 + 0xffef, 0);
        assert_eq!(inbox.fill(&frame[..40_000], Ok).unwrap().0, 40_000);
        inbox.shrink_if_empty(IDLE_CAPACITY);
        assert_eq!(inbox.len(), 40_000, "a partial frame is kept");
        inbox.bytes.clear();
        inbox.shrink_if_empty(IDLE_CAPACITY);
        assert_eq!(inbox.bytes.capacity(), 0);
    }

    #[test]
    fn outbox_keeps_only_what_was_written() {
        let mut out = Outbox::default();
        out.write_with(2, |buf| {
            buf.copy_from_slice(b"ab");
            Ok::<_, ()>(2)
        })
        .unwrap();
        let n = out.write_with(8, |buf| {
            buf[..3].copy_from_slice(b"cde");
            Ok::<_, ()>(3)
        });
        assert_eq!(n, Ok(3));
        assert_eq!(out.write_with(8, |_| Err::<usize, _>(())), Err(()));
        assert_eq!(out.pending(), b"abcde");
        out.advance(5);
        assert!(out.is_empty());
    }
}
