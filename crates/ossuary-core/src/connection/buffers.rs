//! The byte queues: frames being received (`rx`), output not yet handed
//! out (`tx`), and decrypted plaintext waiting for the caller.

use ossuary_wire::{Frame, HEADER_LEN, MAX_BODY_LEN, Parsed};

use super::Connection;
use crate::error::Error;

impl Connection {
    pub(super) fn queue(&mut self, bytes: &[u8]) {
        self.tx.extend_from_slice(bytes);
    }

    pub(super) fn drain_into(&mut self, out: &mut [u8]) -> usize {
        let pending = self.pending_output();
        let n = pending.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), pending.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.advance_output(n);
        n
    }

    pub(super) fn take_plaintext(&mut self, out: &mut [u8]) -> usize {
        let n = self.rx_plain.len().min(out.len());
        let start = self.rx_plain.start;
        if let (Some(dst), Some(src)) = (out.get_mut(..n), self.rx.get(start..start + n)) {
            dst.copy_from_slice(src);
        }
        self.rx_plain.start += n;
        if self.rx_plain.is_empty() {
            self.rx_plain = 0..0;
            if !self.rx.is_empty() && self.rx_is_complete_frame() {
                self.rx.clear();
            }
        }
        n
    }

    pub(super) fn rx_is_complete_frame(&self) -> bool {
        matches!(Frame::parse(&self.rx), Ok(Parsed::Complete { .. }))
    }

    /// Appends input to `rx` until it holds one whole frame. Returns the
    /// bytes used and whether the frame is complete.
    pub(super) fn buffer_frame(&mut self, input: &[u8]) -> Result<(usize, bool), Error> {
        let mut used = 0;
        loop {
            let needed = if self.rx.len() < HEADER_LEN {
                HEADER_LEN - self.rx.len()
            } else {
                match Frame::parse(&self.rx)? {
                    Parsed::Complete { .. } => return Ok((used, true)),
                    Parsed::Incomplete { needed } => needed,
                }
            };
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((used, false));
            }
            let take = needed.min(rest.len()).min(HEADER_LEN + MAX_BODY_LEN);
            self.rx
                .extend_from_slice(rest.get(..take).unwrap_or_default());
            used += take;
        }
    }

    /// Frees the handshake's buffers once, when the session is established,
    /// no handshake output is pending and no partial frame is held.
    pub(super) fn release_handshake_buffers(&mut self) {
        if self.handshake_buffers
            && matches!(self.state, super::State::Established(_))
            && self.pending_output().is_empty()
            && self.rx.is_empty()
        {
            self.handshake_buffers = false;
            self.rx = Vec::new();
            self.tx = Vec::new();
            self.tx_pos = 0;
        }
    }
}
