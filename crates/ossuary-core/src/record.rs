//! The record layer: sealing and opening frames in place, key update,
//! authenticated close and sealed RESET. It allocates nothing.
//!
//! ```text
//!  buffer for seal_in_place:  [ header 3 | plaintext n | tag 16 ] (+19 spare for a key update)
//!  nonce = 0^4 || counter_be64      ad = header (type || length)
//! ```

use ossuary_crypto::{RecordOpener, RecordSealer, TAG_LEN};
use ossuary_wire::{
    DecodeError, Frame, FrameType, HEADER_LEN, Header, Parsed, RESET_PLAIN_BODY_LEN,
    RESET_SEALED_BODY_LEN, ResetReason,
};

use crate::error::{Error, RECORD_FRAMES};

/// Bytes a record adds to its plaintext: 3 of header, 16 of tag.
pub const RECORD_OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Bytes of a KEY_UPDATE or CLOSE frame.
pub(crate) const CONTROL_FRAME_LEN: usize = HEADER_LEN + TAG_LEN;
/// Room a sealed DATA record needs beyond its plaintext: its own overhead
/// and a KEY_UPDATE frame that may have to follow it.
pub(crate) const SEAL_ROOM: usize = RECORD_OVERHEAD + CONTROL_FRAME_LEN;
/// Bytes of a sealed RESET frame.
pub(crate) const SEALED_RESET_FRAME_LEN: usize = HEADER_LEN + RESET_SEALED_BODY_LEN;

/// What a frame opened in place turned out to be. A peer's RESET is not
/// among them: it ends the session, so it comes back as
/// [`Error::PeerReset`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Opened {
    /// Application data: the plaintext is `frame[range]`.
    Data(core::ops::Range<usize>),
    /// The peer switched to its next key; nothing for the application.
    KeyUpdate,
    /// The peer closed the session cleanly; no more data will come.
    Close,
}

/// When a direction's key is replaced automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UpdatePolicy {
    pub(crate) records: u64,
    pub(crate) bytes: u64,
}

/// An established session's record state: keys, counters, close flags.
pub(crate) struct RecordLayer {
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

    /// Whether the peer's authenticated CLOSE has been opened.
    pub(crate) fn received_close(&self) -> bool {
        self.received_close
    }

    /// Seals `buf[3..3 + len]` as a DATA record and writes its header and
    /// tag. When the record reaches a key-update threshold a KEY_UPDATE
    /// frame follows it: `buf` must always hold `len + 38` bytes (otherwise
    /// `BufferTooSmall`, before anything is sealed). Returns the bytes
    /// written.
    pub(crate) fn seal_data(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        match self.seal_data_fast(buf, len) {
            Some(sealed) => sealed,
            None => self.seal_data_general(buf, len),
        }
    }

    /// The common case of [`Self::seal_data`], small enough to inline: a
    /// DATA record that fits `buf` and after which no key update is due.
    /// `None` for anything else, with nothing touched:
    /// [`Self::seal_data_general`] handles it and reports each error. Both
    /// seal the same way (a property test below checks they agree).
    #[inline]
    pub(crate) fn seal_data_fast(
        &mut self,
        buf: &mut [u8],
        len: usize,
    ) -> Option<Result<usize, Error>> {
        if self.sent_close {
            return None;
        }
        let records = self.sent_records.checked_add(1)?;
        let bytes = self.sent_bytes.checked_add(u64::try_from(len).ok()?)?;
        if records >= self.policy.records || bytes >= self.policy.bytes {
            return None;
        }
        let body_len = u16::try_from(len.checked_add(TAG_LEN)?).ok()?;
        if buf.len() < len.checked_add(SEAL_ROOM)? {
            return None;
        }
        let frame = buf.get_mut(..len.checked_add(RECORD_OVERHEAD)?)?;
        let (head, body) = frame.split_first_chunk_mut::<HEADER_LEN>()?;
        let (plain, tag) = body.split_last_chunk_mut::<TAG_LEN>()?;
        *head = data_header(body_len);
        if let Err(e) = self.sealer.seal_in_place_into(head, plain, tag) {
            return Some(Err(e.into()));
        }
        self.sent_records = records;
        self.sent_bytes = bytes;
        Some(Ok(frame.len()))
    }

    /// [`Self::seal_data`] in every case, including the key update due after
    /// the record and every error.
    #[cold]
    #[inline(never)]
    fn seal_data_general(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        // The room for the KEY_UPDATE that follows the record reaching an
        // update threshold is asked for every time, so a buffer sized as
        // documented never stops working at the threshold.
        let records = self.sent_records.saturating_add(1);
        let bytes = self.sent_bytes.saturating_add(len as u64);
        let due_after = records >= self.policy.records || bytes >= self.policy.bytes;
        let needed = len + SEAL_ROOM;
        if !self.sent_close && buf.len() < needed {
            return Err(Error::BufferTooSmall { needed });
        }
        let n = self.seal_frame(FrameType::DATA, buf, len)?;
        self.sent_records = records;
        self.sent_bytes = bytes;
        if due_after && let Some(spare) = buf.get_mut(n..n + CONTROL_FRAME_LEN) {
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
        let slot = out.get_mut(HEADER_LEN).ok_or(Error::BufferTooSmall {
            needed: SEALED_RESET_FRAME_LEN,
        })?;
        *slot = reason.0;
        self.seal_frame(FrameType::RESET, out, RESET_PLAIN_BODY_LEN)
    }

    fn seal_frame(&mut self, ty: FrameType, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        if self.sent_close {
            return Err(Error::Closed);
        }
        let frame_len = len + RECORD_OVERHEAD;
        let too_small = Error::BufferTooSmall { needed: frame_len };
        let frame = buf.get_mut(..frame_len).ok_or(too_small)?;
        let header = Header::new(ty, len + TAG_LEN)?.to_bytes();
        let (head, body) = frame
            .split_first_chunk_mut::<HEADER_LEN>()
            .ok_or(too_small)?;
        let (plain, tag_out) = body.split_last_chunk_mut::<TAG_LEN>().ok_or(too_small)?;
        // The header goes in first and the AEAD reads it back from the frame
        // as associated data (docs/PERFORMANCE.md, "Record path"). The
        // header bytes are ours to write even if sealing then fails.
        *head = header;
        self.sealer.seal_in_place_into(head, plain, tag_out)?;
        Ok(frame_len)
    }

    /// Opens one whole frame in place.
    ///
    /// # Errors
    /// [`Error::BadRecord`] when authentication fails (the counter does not
    /// advance), [`Error::UnexpectedFrame`] for handshake or unknown frames
    /// and for anything after the peer's CLOSE, [`Error::PeerReset`] for the
    /// peer's RESET, [`Error::Decode`] when `frame` is not exactly one frame.
    pub(crate) fn open(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        match self.open_data(frame) {
            Some(opened) => opened.map(Opened::Data),
            None => self.open_general(frame),
        }
    }

    /// The common case of [`Self::open`], small enough to inline: one whole
    /// DATA frame (type 0x10, a body of 16 to 65535 bytes, the length field
    /// matching the buffer), checked on the bytes. `None` for anything else
    /// (nothing is touched then): [`Self::open_general`] reports each error.
    /// Both open the same way (a property test below checks they agree).
    #[inline]
    pub(crate) fn open_data(
        &mut self,
        frame: &mut [u8],
    ) -> Option<Result<core::ops::Range<usize>, Error>> {
        if self.received_close {
            return None;
        }
        let (head, body) = frame.split_first_chunk_mut::<HEADER_LEN>()?;
        let len = u16::try_from(body.len()).ok()?;
        if *head != data_header(len) {
            return None;
        }
        let (plain, tag) = body.split_last_chunk_mut::<TAG_LEN>()?;
        let plain_len = plain.len();
        if self.opener.open_in_place(head, plain, tag).is_err() {
            return Some(Err(Error::BadRecord));
        }
        self.peer_confirmed = true;
        Some(Ok(HEADER_LEN..HEADER_LEN + plain_len))
    }

    /// [`Self::open`] for any frame: parses the header, then
    /// [`Self::open_frame`]. Out of line, so the DATA path above stays small.
    #[cold]
    #[inline(never)]
    fn open_general(&mut self, frame: &mut [u8]) -> Result<Opened, Error> {
        let header = match Frame::parse(frame)? {
            Parsed::Complete { value, consumed } if consumed == frame.len() => value.header,
            _ => {
                return Err(Error::Decode(DecodeError::TrailingData {
                    context: "record buffer must hold exactly one frame",
                }));
            }
        };
        self.open_frame(header, frame)
    }

    /// Opens `frame`, one whole frame whose header the caller has parsed
    /// already: checks the type, the state and the length, in that order.
    ///
    /// # Errors
    /// As [`Self::open`].
    pub(crate) fn open_frame(&mut self, header: Header, frame: &mut [u8]) -> Result<Opened, Error> {
        let ty = header.frame_type;
        if self.received_close {
            return Err(Error::UnexpectedFrame {
                expected: &[],
                got: ty,
            });
        }
        let body_len = usize::from(header.len);
        if ty == FrameType::RESET && body_len == RESET_PLAIN_BODY_LEN {
            // Plaintext: only a client that has not yet heard from the
            // server under its traffic key takes it (PROTOCOL.md §10.3).
            if self.accept_plain_reset && !self.peer_confirmed {
                let body = frame.get(HEADER_LEN..).unwrap_or_default();
                return Err(Error::PeerReset {
                    reason: ResetReason::parse(body)?,
                    authenticated: false,
                });
            }
            return Err(Error::BadRecord);
        }
        if !RECORD_FRAMES.contains(&ty) {
            return Err(Error::UnexpectedFrame {
                expected: RECORD_FRAMES,
                got: ty,
            });
        }
        let plain_len = body_len.checked_sub(TAG_LEN).ok_or(Error::BadRecord)?;
        let header_bytes = header.to_bytes();
        let body = frame
            .get_mut(HEADER_LEN..HEADER_LEN + body_len)
            .ok_or(Error::BadRecord)?;
        let (plain, tag_bytes) = body.split_at_mut(plain_len);
        let tag: &[u8; TAG_LEN] = (&*tag_bytes).try_into().map_err(|_| Error::BadRecord)?;
        self.opener
            .open_in_place(&header_bytes, plain, tag)
            .map_err(|_| Error::BadRecord)?;
        self.peer_confirmed = true;
        match ty {
            FrameType::DATA => Ok(Opened::Data(HEADER_LEN..HEADER_LEN + plain_len)),
            FrameType::KEY_UPDATE => {
                self.opener.update();
                Ok(Opened::KeyUpdate)
            }
            FrameType::CLOSE => {
                self.received_close = true;
                Ok(Opened::Close)
            }
            _ => Err(Error::PeerReset {
                reason: ResetReason::parse(plain)?,
                authenticated: true,
            }),
        }
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
                expected: &[],
                got: FrameType::DATA,
            });
        }
        self.opener
            .open_in_place(header, buf, tag)
            .map_err(|_| Error::BadRecord)?;
        self.peer_confirmed = true;
        Ok(())
    }
}

/// The header of a DATA frame whose body is `len` bytes.
fn data_header(len: u16) -> [u8; HEADER_LEN] {
    let [hi, lo] = len.to_be_bytes();
    [FrameType::DATA.0, hi, lo]
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

#[cfg(test)]
mod tests {
    use core::convert::Infallible;

    use ossuary_crypto::{EphemeralSecret, HandshakeSecret, Role};
    use proptest::prelude::*;
    use rand_core::{TryCryptoRng, TryRng};

    use super::{HEADER_LEN, RecordLayer, UpdatePolicy};

    const POLICY: UpdatePolicy = UpdatePolicy {
        records: 1 << 24,
        bytes: 1 << 34,
    };

    /// Both ends of one session's records, always from the same keys.
    fn layer(is_client: bool) -> RecordLayer {
        layer_with(is_client, POLICY)
    }

    fn layer_with(is_client: bool, policy: UpdatePolicy) -> RecordLayer {
        let a = EphemeralSecret::generate(&mut Constant(1)).expect("infallible");
        let b = EphemeralSecret::generate(&mut Constant(2)).expect("infallible");
        let shared = a.diffie_hellman(&b.public_key()).expect("contributory");
        let traffic = HandshakeSecret::from_shared(shared).into_traffic(&[7; 32]);
        let role = if is_client {
            Role::Client
        } else {
            Role::Server
        };
        let (sealer, opener) = traffic.into_record_keys(role);
        RecordLayer::new(sealer, opener, policy, is_client)
    }

    /// A "generator" of one repeated byte: the same keys on every call, so
    /// separately built layers of one test share a session.
    struct Constant(u8);

    impl TryRng for Constant {
        type Error = Infallible;

        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            Ok(u32::from_ne_bytes([self.0; 4]))
        }

        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            Ok(u64::from_ne_bytes([self.0; 8]))
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            dst.fill(self.0);
            Ok(())
        }
    }

    impl TryCryptoRng for Constant {}

    /// What a hostile peer or a careless caller can do to a sealed frame.
    #[derive(Debug, Clone)]
    enum Mutation {
        None,
        FlipBit(usize, u8),
        SetType(u8),
        SetLength(u16),
        Truncate(usize),
        Append(Vec<u8>),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            Just(Mutation::None),
            (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
            any::<u8>().prop_map(Mutation::SetType),
            any::<u16>().prop_map(Mutation::SetLength),
            any::<usize>().prop_map(Mutation::Truncate),
            proptest::collection::vec(any::<u8>(), 1..24).prop_map(Mutation::Append),
        ]
    }

    fn apply(frame: &mut Vec<u8>, m: &Mutation) {
        match m {
            Mutation::None => {}
            Mutation::FlipBit(i, b) => {
                let i = i % frame.len();
                frame[i] ^= 1 << b;
            }
            Mutation::SetType(t) => frame[0] = *t,
            Mutation::SetLength(l) => frame[1..HEADER_LEN].copy_from_slice(&l.to_be_bytes()),
            Mutation::Truncate(n) => frame.truncate(n % frame.len()),
            Mutation::Append(extra) => frame.extend_from_slice(extra),
        }
    }

    proptest! {
        /// The DATA fast path of `seal_data` and the general path agree for
        /// every buffer, length, threshold and close state: the same result,
        /// the same bytes written, the same counters after.
        #[test]
        fn seal_fast_path_agrees_with_general_path(
            len in 0usize..100,
            spare in 0usize..60,
            short in 0usize..40,
            records in 1u64..4,
            bytes in 1u64..300,
            sent in 0u64..3,
            closed in any::<bool>(),
        ) {
            let policy = UpdatePolicy { records, bytes };
            let (mut fast, mut general) = (layer_with(true, policy), layer_with(true, policy));
            for l in [&mut fast, &mut general] {
                l.sent_records = sent;
                l.sent_close = closed;
            }
            let size = (len + super::RECORD_OVERHEAD + spare).saturating_sub(short);
            let mut a: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let mut b = a.clone();
            let ra = fast.seal_data(&mut a, len);
            let rb = general.seal_data_general(&mut b, len);
            prop_assert_eq!(ra, rb);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(fast.sealer.counter(), general.sealer.counter());
            prop_assert_eq!(
                (fast.sent_records, fast.sent_bytes),
                (general.sent_records, general.sent_bytes)
            );
        }

        /// The DATA fast path of `open` and the general path agree on every
        /// frame: the same result, the same bytes left in the buffer, the
        /// same state after (checked by opening the next record).
        #[test]
        fn fast_path_agrees_with_general_path(
            lens in proptest::collection::vec(0usize..80, 1..4),
            m in mutation(),
            closed in any::<bool>(),
        ) {
            let mut sender = layer(true);
            let (mut fast, mut general) = (layer(false), layer(false));
            let mut frames = Vec::new();
            for &len in &lens {
                let mut buf = vec![0x5a; len + 2 * super::RECORD_OVERHEAD];
                let n = sender.seal_data(&mut buf, len).expect("seal");
                buf.truncate(n);
                frames.push(buf);
            }
            if closed {
                fast.received_close = true;
                general.received_close = true;
            }
            apply(&mut frames[0], &m);
            for frame in &frames {
                let (mut a, mut b) = (frame.clone(), frame.clone());
                let (ra, rb) = (fast.open(&mut a), general.open_general(&mut b));
                prop_assert_eq!(&ra, &rb);
                prop_assert_eq!(&a, &b);
                prop_assert_eq!(fast.peer_confirmed, general.peer_confirmed);
                prop_assert_eq!(fast.received_close, general.received_close);
                if ra.is_err() {
                    break;
                }
            }
        }
    }
}
