//! The zero-copy record API: seal and open whole frames in the caller's
//! buffer. Allocates nothing.

use super::Connection;
use super::state::State;
use crate::error::{ApiMisuse, Error};
use ossuary_wire::{Frame, Parsed};

use crate::record::{Opened, SEAL_ROOM};

impl Connection {
    /// Seals `buf[3..3 + len]` as one DATA record in place, writing its
    /// header and tag; returns the bytes to send: the frame (`len + 19`),
    /// followed by a KEY_UPDATE frame (19 more) when the record reached a
    /// key-update threshold. `buf` must hold `len + 2 * RECORD_OVERHEAD`
    /// bytes (`len + 38`), always, so a buffer sized once never fails at a
    /// threshold. Allocates nothing.
    ///
    /// ```text
    ///  buf: [ header 3 | plaintext len | tag 16 ][ KEY_UPDATE 19, when due ]
    /// ```
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `buf` cannot hold `len + 38` bytes;
    /// [`ApiMisuse::BufferedData`] if buffered output is pending;
    /// [`ApiMisuse::HandshakeNotDone`]; [`Error::Closed`].
    #[inline]
    pub fn seal_in_place(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        // The DATA fast path inlines into the caller (docs/PERFORMANCE.md,
        // "Record path"); everything else, errors included, goes through
        // `seal_in_place_general`.
        if self.outbox.is_empty()
            && len <= self.config.max_plaintext()
            && let State::Established(session) = &mut self.state
            && let Some(sealed) = session.records.seal_data_fast(buf, len)
        {
            return sealed.map_err(|e| self.record_failed(e));
        }
        self.seal_in_place_general(buf, len)
    }

    /// [`Self::seal_in_place`] for every state and size.
    #[inline(never)]
    fn seal_in_place_general(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let max = self.config.max_plaintext();
        let buffered = !self.outbox.is_empty();
        let State::Established(session) = &mut self.state else {
            self.check_established()?;
            return Err(ApiMisuse::HandshakeNotDone.into());
        };
        if buffered {
            return Err(ApiMisuse::BufferedData.into());
        }
        if len > max || buf.len() < len + SEAL_ROOM {
            return Err(Error::BufferTooSmall {
                needed: len.min(max) + SEAL_ROOM,
            });
        }
        session
            .records
            .seal_data(buf, len)
            .map_err(|e| self.record_failed(e))
    }

    /// Opens one whole frame in place. Application data is
    /// `frame[range]` of [`Opened::Data`]. Allocates nothing.
    ///
    /// # Errors
    /// [`ApiMisuse::NotOneFrame`] if `frame` is shorter or longer than the
    /// frame its header describes (a caller mistake: nothing changes);
    /// [`ApiMisuse::BufferedData`] if a partial frame is buffered inside;
    /// [`Error::BadRecord`], [`Error::PeerReset`] and the other record
    /// errors (sticky).
    #[inline]
    pub fn open_in_place(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        // The DATA fast path inlines into the caller, so the result need not
        // go through memory (docs/PERFORMANCE.md, "Record path"); everything
        // else, errors included, goes through `open_in_place_general`.
        if self.inbox.is_empty()
            && let State::Established(session) = &mut self.state
            && let Some(opened) = session.records.open_data(frame)
        {
            return match opened {
                Ok(range) => Ok(Opened::Data(range)),
                Err(e) => Err(self.record_failed(e)),
            };
        }
        self.open_in_place_general(frame)
    }

    /// [`Self::open_in_place`] for every frame and state.
    #[inline(never)]
    fn open_in_place_general(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        let buffered = !self.inbox.is_empty();
        let State::Established(session) = &mut self.state else {
            self.check_established()?;
            return Err(ApiMisuse::HandshakeNotDone.into());
        };
        if buffered {
            return Err(ApiMisuse::BufferedData.into());
        }
        // A whole frame, or the caller's mistake. A header the peer made
        // illegal is the peer's error (sticky), reported by `open`.
        if let Ok(parsed) = Frame::parse(frame) {
            match parsed {
                Parsed::Complete { consumed, .. } if consumed == frame.len() => {}
                _ => return Err(ApiMisuse::NotOneFrame.into()),
            }
        }
        session
            .records
            .open(frame)
            .map_err(|e| self.record_failed(e))
    }
}
