//! What the driver knows of the byte streams between handles, and the
//! plaintext oracle.

use ossuary::{OssuaryErr, ossuary_conn_handshake_status};

use super::{Driver, Region, Source, check, is_caller_error};

impl Driver {
    /// Up to `cap` bytes from `source`, to offer to `to`; notes whether the
    /// receiver's input stays one peer's output, in order.
    pub(super) fn deliver(&mut self, source: Source<'_>, to: usize, cap: usize) -> Vec<u8> {
        match source {
            Source::Raw(bytes) => {
                self.slots[to].clean = false;
                bytes[..bytes.len().min(cap)].to_vec()
            }
            Source::Slot(from) => {
                let me = (to, self.slots[to].epoch);
                let them = (from, self.slots[from].epoch);
                let reader = self.slots[from].reader.replace(me);
                if reader.is_some_and(|r| r != me) || self.slots[from].tainted {
                    self.slots[to].clean = false;
                    if let Some((r, e)) = reader
                        && self.slots[r].epoch == e
                    {
                        self.slots[r].clean = false;
                    }
                }
                if *self.slots[to].source.get_or_insert(them) != them {
                    self.slots[to].clean = false;
                }
                let out = &self.slots[from].outbox;
                out[..out.len().min(cap)].to_vec()
            }
        }
    }

    /// `n` of the delivered bytes were consumed.
    pub(super) fn consumed(&mut self, source: Source<'_>, n: usize) {
        if let Source::Slot(from) = source {
            let outbox = &mut self.slots[from].outbox;
            assert!(n <= outbox.len());
            outbox.drain(..n);
        }
    }

    /// The plaintext `slot` released.
    pub(super) fn released(&mut self, slot: usize, plain: &[u8]) {
        if plain.is_empty() {
            return;
        }
        assert_eq!(
            self.slots[slot].failed, None,
            "plaintext released after a sticky error"
        );
        self.slots[slot].received.extend_from_slice(plain);
        self.outcome.plaintext += plain.len();
        let s = &self.slots[slot];
        if let (true, Some((from, epoch))) = (s.clean, s.source)
            && self.slots[from].epoch == epoch
        {
            let sent = &self.slots[from].sent;
            assert!(
                sent.starts_with(&s.received),
                "handle {slot} released plaintext its peer {from} never sent (or not there): \
                 {} bytes received, {} sent",
                s.received.len(),
                sent.len()
            );
            self.outcome.checked_plaintext += plain.len();
        }
    }

    /// After a receive call on `slot` returned `code` with nothing
    /// reported consumed: a caller's error changed nothing; any other error
    /// is the connection's, sticky from now on.
    pub(super) fn receive_failed(&mut self, slot: usize, code: i32) {
        if is_caller_error(code) {
            return;
        }
        self.slots[slot].clean = false;
        self.slots[slot].failed = Some(code);
        if code == OssuaryErr::Closed as i32 {
            // The peer's close: final for receiving, not an error state.
            return;
        }
        let conn = self.slots[slot].conn;
        // SAFETY: `conn` is a live handle (a NULL one gives a caller error).
        let status = check(unsafe { ossuary_conn_handshake_status(conn) });
        assert_eq!(status, code, "error {code} not sticky: status {status}");
    }

    /// Output `slot` wrote, at `ptr`.
    pub(super) fn wrote(&mut self, slot: usize, ptr: *const u8, n: usize) {
        if n == 0 {
            return;
        }
        // SAFETY: `ptr` is a region of the arena the call wrote `n` bytes to
        // (checked against the region's length by the caller); no other
        // reference to the arena is live.
        let bytes = unsafe { core::slice::from_raw_parts(ptr, n) };
        self.slots[slot].outbox.extend_from_slice(bytes);
    }

    /// Plaintext for `slot` to send: a pattern that depends on the position
    /// in its stream, so that a misplaced byte shows.
    pub(super) fn plaintext(&self, slot: usize, len: usize) -> Vec<u8> {
        let start = self.slots[slot].sent.len();
        (start..start + len)
            .map(|i| (i.wrapping_mul(31) ^ (i >> 8) ^ slot) as u8)
            .collect()
    }

    /// Copies `bytes` to `region` (at most its length); returns how many.
    pub(super) fn fill(&mut self, region: Region, bytes: &[u8]) -> usize {
        if region.ptr.is_null() || region.huge() {
            return 0;
        }
        let n = bytes.len().min(region.len);
        // SAFETY: `region` lies in the arena and holds `region.len >= n`
        // bytes; `bytes` is not the arena.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), region.ptr, n) };
        n
    }

    /// Reads `n` bytes at `ptr` (in the arena).
    pub(super) fn read(&self, ptr: *const u8, n: usize) -> Vec<u8> {
        if n == 0 {
            return Vec::new();
        }
        // SAFETY: the caller checked `ptr .. ptr + n` lies in a region of
        // the arena; no mutable reference to the arena is live.
        unsafe { core::slice::from_raw_parts(ptr, n) }.to_vec()
    }
}
