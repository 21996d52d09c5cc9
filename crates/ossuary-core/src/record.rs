//! The record layer: sealing and opening frames in place, key update,
//! authenticated close and sealed RESET. It allocates nothing.
//!
//! ```text
//!  buffer for seal_in_place:  [ header 3 | plaintext n | tag 16 ] (+19 spare for a key update)
//!  nonce = 0^4 || counter_be64      ad = header (type || length)
//! ```

use ossuary_crypto::{RecordOpener, RecordSealer, TAG_LEN};
use ossuary_wire::{FrameType, HEADER_LEN, Header, ResetReason};

use crate::error::Error;

/// Bytes a record adds to its plaintext: 3 of header, 16 of tag.
pub const RECORD_OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Bytes of a KEY_UPDATE or CLOSE frame.
pub const CONTROL_FRAME_LEN: usize = HEADER_LEN + TAG_LEN;

/// What an opened frame turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Opened {
    /// Application data: the plaintext is `frame[range]`.
    Data(core::ops::Range<usize>),
    /// The peer switched to its next key; nothing for the application.
    KeyUpdate,
    /// The peer closed the session cleanly; no more data will come.
    Close,
    /// The peer abandoned the session. `authenticated` is false only for a
    /// plaintext RESET accepted in the client's "server unconfirmed" window.
    Reset {
        /// The reason the peer gave.
        reason: ResetReason,
        /// Whether the RESET was sealed with the peer's traffic key.
        authenticated: bool,
    },
}

/// When a direction's key is replaced automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpdatePolicy {
    pub(crate) records: u64,
    pub(crate) bytes: u64,
}

/// An established session's record state: keys, counters, close flags.
pub struct RecordLayer {
    sealer: RecordSealer,
    opener: RecordOpener,
    policy: UpdatePolicy,
    sent_records: u64,
    sent_bytes: u64,
    sent_close: bool,
    received_close: bool,
    /// True once any sealed frame from the peer opened.
    peer_confirmed: bool,
    /// The client may take a plaintext RESET until the server is confirmed.
    accept_plain_reset: bool,
}

impl RecordLayer {
    pub(crate) fn new(
        sealer: RecordSealer,
        opener: RecordOpener,
        policy: UpdatePolicy,
        is_client: bool,
    ) -> Self {
        Self {
            sealer,
            opener,
            policy,
            sent_records: 0,
            sent_bytes: 0,
            sent_close: false,
            received_close: false,
            peer_confirmed: false,
            accept_plain_reset: is_client,
        }
    }

    /// Whether this side has sent CLOSE.
    pub(crate) fn sent_close(&self) -> bool {
        self.sent_close
    }

    /// Whether the peer's CLOSE has arrived.
    /// Whether an automatic key update is due for the send direction.
    pub(crate) fn update_due(&self) -> bool {
        self.sent_records >= self.policy.records || self.sent_bytes >= self.policy.bytes
    }

    /// Seals `buf[3..3 + len]` as a DATA record and writes its header and
    /// tag. When the record reaches a key-update threshold a KEY_UPDATE
    /// frame follows it, and `buf` must have 19 bytes to spare for it
    /// (otherwise `BufferTooSmall`, before anything is sealed). Returns the
    /// bytes written.
    pub(crate) fn seal_data(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        // If this record reaches an update threshold, the KEY_UPDATE must
        // follow it: ask for the room rather than skip the update.
        let due_after = self.sent_records.saturating_add(1) >= self.policy.records
            || self.sent_bytes.saturating_add(len as u64) >= self.policy.bytes;
        let needed = len + RECORD_OVERHEAD + CONTROL_FRAME_LEN;
        if due_after && !self.sent_close && buf.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        let n = self.seal_frame(FrameType::DATA, buf, len)?;
        self.sent_records = self.sent_records.saturating_add(1);
        self.sent_bytes = self.sent_bytes.saturating_add(len as u64);
        if self.update_due()
            && let Some(spare) = buf.get_mut(n..n + CONTROL_FRAME_LEN)
        {
            return Ok(n + self.write_key_update(spare)?);
        }
        Ok(n)
    }

    /// Writes a KEY_UPDATE frame (19 bytes) and switches to the next send key.
    pub(crate) fn write_key_update(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.seal_frame(FrameType::KEY_UPDATE, out, 0)?;
        self.sealer.update();
        self.sent_records = 0;
        self.sent_bytes = 0;
        Ok(n)
    }

    /// Writes a CLOSE frame (19 bytes); nothing can be sent after it.
    pub(crate) fn write_close(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.seal_frame(FrameType::CLOSE, out, 0)?;
        self.sent_close = true;
        Ok(n)
    }

    /// Writes a sealed RESET frame (20 bytes).
    pub(crate) fn write_reset(
        &mut self,
        reason: ResetReason,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let slot = out
            .get_mut(HEADER_LEN)
            .ok_or(Error::BufferTooSmall { needed: 20 })?;
        *slot = reason.0;
        self.seal_frame(FrameType::RESET, out, 1)
    }

    fn seal_frame(&mut self, ty: FrameType, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        if self.sent_close {
            return Err(Error::Closed);
        }
        let frame_len = len + RECORD_OVERHEAD;
        let frame = buf
            .get_mut(..frame_len)
            .ok_or(Error::BufferTooSmall { needed: frame_len })?;
        let header = Header::new(ty, len + TAG_LEN)?.to_bytes();
        let (head, body) = frame.split_at_mut(HEADER_LEN);
        let (plain, tag_out) = body.split_at_mut(len);
        let tag = self.sealer.seal_in_place(&header, plain)?;
        head.copy_from_slice(&header);
        tag_out.copy_from_slice(&tag);
        Ok(frame_len)
    }

    /// Opens one whole frame in place.
    ///
    /// # Errors
    /// [`Error::BadRecord`] when authentication fails (the counter does not
    /// advance), [`Error::UnexpectedFrame`] for handshake or unknown frames
    /// and for anything after the peer's CLOSE, [`Error::Decode`] when
    /// `frame` is not exactly one frame.
    pub(crate) fn open(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        let header = match ossuary_wire::Frame::parse(frame)? {
            ossuary_wire::Parsed::Complete { value, consumed } if consumed == frame.len() => {
                value.header
            }
            _ => {
                return Err(Error::Decode(ossuary_wire::DecodeError::TrailingData {
                    context: "record buffer must hold exactly one frame",
                }));
            }
        };
        let ty = header.frame_type;
        if self.received_close {
            return Err(Error::UnexpectedFrame { got: ty });
        }
        let body_len = usize::from(header.len);
        if ty == FrameType::RESET && body_len == 1 {
            let reason = ResetReason(frame.get(HEADER_LEN).copied().unwrap_or(0));
            if self.accept_plain_reset && !self.peer_confirmed {
                return Ok(Opened::Reset {
                    reason,
                    authenticated: false,
                });
            }
            return Err(Error::BadRecord);
        }
        if ![
            FrameType::DATA,
            FrameType::KEY_UPDATE,
            FrameType::CLOSE,
            FrameType::RESET,
        ]
        .contains(&ty)
        {
            return Err(Error::UnexpectedFrame { got: ty });
        }
        let plain_len = body_len.checked_sub(TAG_LEN).ok_or(Error::BadRecord)?;
        let header_bytes = header.to_bytes();
        let body = frame.get_mut(HEADER_LEN..).ok_or(Error::BadRecord)?;
        let (plain, tag_bytes) = body.split_at_mut(plain_len);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(tag_bytes);
        self.opener
            .open_in_place(&header_bytes, plain, &tag)
            .map_err(|_| Error::BadRecord)?;
        self.peer_confirmed = true;
        Ok(match ty {
            FrameType::DATA => Opened::Data(HEADER_LEN..HEADER_LEN + plain_len),
            FrameType::KEY_UPDATE => {
                self.opener.update();
                Opened::KeyUpdate
            }
            FrameType::CLOSE => {
                self.received_close = true;
                Opened::Close
            }
            _ => Opened::Reset {
                reason: ResetReason(plain.first().copied().unwrap_or(0)),
                authenticated: true,
            },
        })
    }

    /// Opens a DATA record whose ciphertext the caller copied into `buf`
    /// (with `header` and `tag` taken from the frame), so the plaintext lands
    /// where the application wants it without a second copy.
    ///
    /// # Errors
    /// As [`Self::open`]; on failure `buf` holds no plaintext.
    pub(crate) fn open_data_detached(
        &mut self,
        header: &[u8; HEADER_LEN],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        if self.received_close {
            return Err(Error::UnexpectedFrame {
                got: FrameType::DATA,
            });
        }
        self.opener
            .open_in_place(header, buf, tag)
            .map_err(|_| Error::BadRecord)?;
        self.peer_confirmed = true;
        Ok(())
    }

    #[cfg(feature = "hazmat")]
    pub(crate) fn sealer(&self) -> &RecordSealer {
        &self.sealer
    }
}

impl core::fmt::Debug for RecordLayer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordLayer")
            .field("sent_records", &self.sent_records)
            .field("sent_close", &self.sent_close)
            .field("received_close", &self.received_close)
            .finish_non_exhaustive()
    }
}
