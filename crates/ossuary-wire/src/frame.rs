//! Frames: `type:u8 || length:u16 || body[length]` (PROTOCOL.md §2.1).

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::frame_type::FrameType;
use crate::lengths::HEADER_LEN;

/// A frame header: `type || length` ([`HEADER_LEN`] bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The frame type.
    pub frame_type: FrameType,
    /// The body length that follows the header.
    pub len: u16,
}

impl Header {
    /// Builds a header for a body of `len` bytes.
    ///
    /// This checks only the `u16` limit, not the per-type rules that
    /// [`Header::parse`] and [`Frame::encode`] enforce, so tests can build
    /// malformed frames by hand.
    ///
    /// # Errors
    /// [`DecodeError::FrameTooLong`] if `len` exceeds [`MAX_BODY_LEN`](crate::MAX_BODY_LEN).
    pub fn new(frame_type: FrameType, len: usize) -> Result<Self, DecodeError> {
        let len = u16::try_from(len).map_err(|_| DecodeError::FrameTooLong { len })?;
        Ok(Self { frame_type, len })
    }

    /// The header's wire bytes (also the AEAD associated data of a record).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let [hi, lo] = self.len.to_be_bytes();
        [self.frame_type.0, hi, lo]
    }

    /// Parses a header from the start of `input`.
    ///
    /// Returns [`Parsed::Incomplete`] while fewer than [`HEADER_LEN`] bytes are
    /// available. A complete header always has `consumed == HEADER_LEN`.
    ///
    /// # Errors
    /// [`DecodeError::BadLength`] if the type is known and its body length is
    /// not legal for it (see [`FrameType::is_legal_body_len`]). This is
    /// reported as soon as the header arrives, before any body byte.
    pub fn parse(input: &[u8]) -> Result<Parsed<Header>, DecodeError> {
        let mut r = Reader::new(input, "frame header");
        if r.remaining() < HEADER_LEN {
            return Ok(Parsed::Incomplete {
                needed: HEADER_LEN - r.remaining(),
            });
        }
        let frame_type = FrameType(r.take_u8()?);
        let len = r.take_u16()?;
        check_body_len(frame_type, usize::from(len))?;
        Ok(Parsed::Complete {
            value: Header { frame_type, len },
            consumed: HEADER_LEN,
        })
    }

    /// Length of the whole frame: `HEADER_LEN + len`.
    pub fn frame_len(&self) -> usize {
        HEADER_LEN + usize::from(self.len)
    }
}

/// The result of parsing from a possibly incomplete buffer.
///
/// Needing more input is not an error: `Incomplete` says how many more bytes
/// to wait for before calling the parser again with the longer buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use]
pub enum Parsed<T> {
    /// A value was parsed from the first `consumed` bytes of the input.
    Complete {
        /// The parsed value.
        value: T,
        /// How many input bytes it took.
        consumed: usize,
    },
    /// The input is a valid prefix but too short.
    Incomplete {
        /// Bytes still missing (always greater than zero). For a frame this is
        /// first the rest of the header, then the rest of the body.
        needed: usize,
    },
}

/// One frame, borrowing its body from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Frame<'a> {
    /// The frame header; `header.len` equals `body.len()`.
    pub header: Header,
    /// The frame body.
    pub body: &'a [u8],
}

impl<'a> Frame<'a> {
    /// Builds a frame of type `frame_type` around `body`.
    ///
    /// # Errors
    /// [`DecodeError::FrameTooLong`] if `body` exceeds [`MAX_BODY_LEN`](crate::MAX_BODY_LEN), or
    /// [`DecodeError::BadLength`] if its length is not legal for a known type.
    pub fn new(frame_type: FrameType, body: &'a [u8]) -> Result<Self, DecodeError> {
        let header = Header::new(frame_type, body.len())?;
        check_body_len(frame_type, body.len())?;
        Ok(Self { header, body })
    }

    /// Parses one frame from the start of `input`, of any type.
    ///
    /// Unknown types are returned as frames. For known types the body length
    /// is checked against the protocol's rules as soon as the header is
    /// available. On success `consumed == HEADER_LEN + header.len`, and bytes
    /// after the frame are left for the next call.
    ///
    /// # Errors
    /// [`DecodeError::BadLength`] if the type is known and the body length is
    /// not legal for it.
    pub fn parse(input: &'a [u8]) -> Result<Parsed<Frame<'a>>, DecodeError> {
        let header = match Header::parse(input)? {
            Parsed::Complete { value, .. } => value,
            Parsed::Incomplete { needed } => return Ok(Parsed::Incomplete { needed }),
        };
        let frame_len = header.frame_len();
        if input.len() < frame_len {
            return Ok(Parsed::Incomplete {
                needed: frame_len - input.len(),
            });
        }
        let mut r = Reader::new(input, "frame");
        r.take(HEADER_LEN)?;
        let body = r.take(usize::from(header.len))?;
        Ok(Parsed::Complete {
            value: Frame { header, body },
            consumed: frame_len,
        })
    }

    /// Writes the whole frame (header and body) to the start of `out` and
    /// returns [`encoded_len`](Self::encoded_len).
    ///
    /// # Errors
    /// - [`DecodeError::BadLength`] if `header.len` differs from `body.len()`,
    ///   or the length is not legal for a known type;
    /// - [`DecodeError::BufferTooSmall`] if `out` is shorter than the frame.
    ///
    /// On error nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        let frame_type = self.header.frame_type;
        if usize::from(self.header.len) != self.body.len() {
            return Err(DecodeError::BadLength {
                frame_type,
                len: self.body.len(),
            });
        }
        check_body_len(frame_type, self.body.len())?;
        let mut w = Writer::new(out, self.encoded_len())?;
        w.put(&self.header.to_bytes())?;
        w.put(self.body)?;
        Ok(w.finish())
    }

    /// Length of the encoded frame: `HEADER_LEN + body.len()`.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.body.len()
    }
}

/// Checks `len` with [`FrameType::is_legal_body_len`].
fn check_body_len(frame_type: FrameType, len: usize) -> Result<(), DecodeError> {
    if frame_type.is_legal_body_len(len) {
        Ok(())
    } else {
        Err(DecodeError::BadLength { frame_type, len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_new_and_bytes() {
        let h = Header::new(FrameType::DATA, 0x1234).unwrap();
        assert_eq!(h.to_bytes(), [0x10, 0x12, 0x34]);
        assert_eq!(h.frame_len(), 3 + 0x1234);
        assert_eq!(
            Header::new(FrameType::DATA, 65536),
            Err(DecodeError::FrameTooLong { len: 65536 })
        );
        assert_eq!(
            Header::new(FrameType::DATA, 65535).map(|h| h.len),
            Ok(u16::MAX)
        );
    }

    #[test]
    fn header_parse_incomplete_then_complete() {
        let bytes = [0x01, 0x04, 0xe2, 0xff];
        assert_eq!(Header::parse(&[]), Ok(Parsed::Incomplete { needed: 3 }));
        assert_eq!(
            Header::parse(&bytes[..2]),
            Ok(Parsed::Incomplete { needed: 1 })
        );
        assert_eq!(
            Header::parse(&bytes),
            Ok(Parsed::Complete {
                value: Header {
                    frame_type: FrameType::CLIENT_HELLO,
                    len: 1250
                },
                consumed: 3
            })
        );
    }

    #[test]
    fn hostile_length_fails_at_the_header() {
        // CLIENT_HELLO claiming 65535 bytes: rejected with only 3 bytes seen.
        assert_eq!(
            Frame::parse(&[0x01, 0xff, 0xff]),
            Err(DecodeError::BadLength {
                frame_type: FrameType::CLIENT_HELLO,
                len: 65535
            })
        );
        assert_eq!(
            Frame::parse(&[0x10, 0x00, 0x0f]),
            Err(DecodeError::BadLength {
                frame_type: FrameType::DATA,
                len: 15
            })
        );
        assert_eq!(
            Frame::parse(&[0x20, 0x00, 0x02, 0, 0]),
            Err(DecodeError::BadLength {
                frame_type: FrameType::RESET,
                len: 2
            })
        );
    }

    #[test]
    fn frame_parse_reports_missing_body_bytes() {
        let mut buf = [0u8; 3 + 16 + 2];
        buf[..3].copy_from_slice(&[0x12, 0x00, 0x10]);
        buf[3..19].copy_from_slice(&[7; 16]);
        assert_eq!(
            Frame::parse(&buf[..1]),
            Ok(Parsed::Incomplete { needed: 2 })
        );
        assert_eq!(
            Frame::parse(&buf[..3]),
            Ok(Parsed::Incomplete { needed: 16 })
        );
        assert_eq!(
            Frame::parse(&buf[..18]),
            Ok(Parsed::Incomplete { needed: 1 })
        );
        let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&buf) else {
            panic!("expected a complete frame");
        };
        assert_eq!(consumed, 19);
        assert_eq!(value.header.frame_type, FrameType::CLOSE);
        assert_eq!(value.body, &[7; 16]);
    }

    #[test]
    fn unknown_types_are_kept() {
        let input = [0x7f, 0x00, 0x00, 0xee];
        assert_eq!(
            Frame::parse(&input),
            Ok(Parsed::Complete {
                value: Frame {
                    header: Header {
                        frame_type: FrameType(0x7f),
                        len: 0
                    },
                    body: &[]
                },
                consumed: 3
            })
        );
    }

    #[test]
    fn frame_encode() {
        let body = [0x55; 17];
        let f = Frame::new(FrameType::RESET, &body).unwrap();
        assert_eq!(f.encoded_len(), 20);
        let mut out = [0u8; 21];
        assert_eq!(f.encode(&mut out), Ok(20));
        assert_eq!(out[..3], [0x20, 0x00, 0x11]);
        assert_eq!(out[3..20], body);
        assert_eq!(out[20], 0);

        let mut small = [0u8; 19];
        assert_eq!(
            f.encode(&mut small),
            Err(DecodeError::BufferTooSmall { needed: 20 })
        );
        assert_eq!(small, [0u8; 19]);
    }

    #[test]
    fn frame_encode_refuses_inconsistent_or_illegal_lengths() {
        let body = [0u8; 16];
        let mismatched = Frame {
            header: Header {
                frame_type: FrameType::DATA,
                len: 17,
            },
            body: &body,
        };
        let mut out = [0u8; 64];
        assert_eq!(
            mismatched.encode(&mut out),
            Err(DecodeError::BadLength {
                frame_type: FrameType::DATA,
                len: 16
            })
        );
        let illegal = Frame {
            header: Header {
                frame_type: FrameType::CLOSE,
                len: 1,
            },
            body: &body[..1],
        };
        assert_eq!(
            illegal.encode(&mut out),
            Err(DecodeError::BadLength {
                frame_type: FrameType::CLOSE,
                len: 1
            })
        );
        assert_eq!(
            Frame::new(FrameType::CLIENT_HELLO, &body),
            Err(DecodeError::BadLength {
                frame_type: FrameType::CLIENT_HELLO,
                len: 16
            })
        );
        assert_eq!(out, [0u8; 64]);
    }
}
