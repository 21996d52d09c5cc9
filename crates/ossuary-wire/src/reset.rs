//! RESET: reason codes and the plaintext RESET frame.

use core::fmt;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::frame::Header;
use crate::frame_type::FrameType;
use crate::lengths::{RESET_PLAIN_BODY_LEN, RESET_PLAIN_FRAME_LEN};

/// Why a party abandons a session (the RESET reason byte).
///
/// A newtype so that unknown reasons survive parsing. `Debug` and `Display`
/// print the name of a known reason and the hex value of an unknown one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResetReason(pub u8);

impl ResetReason {
    /// 0: no reason given.
    pub const UNSPECIFIED: Self = Self(0);
    /// 1: a frame or message could not be decoded.
    pub const DECODE_ERROR: Self = Self(1);
    /// 2: the peer's protocol version is not supported.
    pub const UNSUPPORTED_VERSION: Self = Self(2);
    /// 3: bad decrypt, bad signature or non-contributory key exchange.
    pub const HANDSHAKE_FAILURE: Self = Self(3);
    /// 4: the client is not authorized, or a client identity is required.
    pub const CLIENT_NOT_AUTHORIZED: Self = Self(4);
    /// 5: the client does not trust the server's identity.
    pub const SERVER_NOT_TRUSTED: Self = Self(5);
    /// 6: the handshake did not finish in time.
    pub const HANDSHAKE_TIMEOUT: Self = Self(6);
    /// 7: a record failed to open or was not allowed.
    pub const RECORD_FAILURE: Self = Self(7);
    /// 8: the application asked for the reset.
    pub const APPLICATION: Self = Self(8);

    /// Whether this is one of the reasons defined by protocol version 1.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The protocol name of a known reason (`"DECODE_ERROR"`, …), or `None`.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::UNSPECIFIED => "UNSPECIFIED",
            Self::DECODE_ERROR => "DECODE_ERROR",
            Self::UNSUPPORTED_VERSION => "UNSUPPORTED_VERSION",
            Self::HANDSHAKE_FAILURE => "HANDSHAKE_FAILURE",
            Self::CLIENT_NOT_AUTHORIZED => "CLIENT_NOT_AUTHORIZED",
            Self::SERVER_NOT_TRUSTED => "SERVER_NOT_TRUSTED",
            Self::HANDSHAKE_TIMEOUT => "HANDSHAKE_TIMEOUT",
            Self::RECORD_FAILURE => "RECORD_FAILURE",
            Self::APPLICATION => "APPLICATION",
            _ => return None,
        })
    }

    /// Parses a reason from a plaintext RESET body, or from the opened
    /// plaintext of a sealed one (exactly 1 byte). Unknown reasons are kept.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if `bytes` is empty, or
    /// [`DecodeError::TrailingData`] if it is longer than 1 byte.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, "RESET reason");
        let reason = Self(r.take_u8()?);
        r.expect_empty()?;
        Ok(reason)
    }

    /// Writes a whole plaintext RESET frame (header included) to the start of
    /// `out` and returns [`RESET_PLAIN_FRAME_LEN`].
    ///
    /// # Errors
    /// [`DecodeError::BufferTooSmall`] if `out` is shorter than
    /// [`RESET_PLAIN_FRAME_LEN`]; nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        let header = Header {
            frame_type: FrameType::RESET,
            // Cannot truncate: `lengths.rs` asserts it fits.
            len: RESET_PLAIN_BODY_LEN as u16,
        };
        let mut w = Writer::new(out, RESET_PLAIN_FRAME_LEN)?;
        w.put(&header.to_bytes())?;
        w.put_u8(self.0)?;
        Ok(w.finish())
    }
}

impl fmt::Debug for ResetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "ResetReason(0x{:02x})", self.0),
        }
    }
}

impl fmt::Display for ResetReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<u8> for ResetReason {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<ResetReason> for u8 {
    fn from(value: ResetReason) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::*;
    use crate::frame::{Frame, Parsed};

    #[test]
    fn codes_and_names() {
        let known = [
            ResetReason::UNSPECIFIED,
            ResetReason::DECODE_ERROR,
            ResetReason::UNSUPPORTED_VERSION,
            ResetReason::HANDSHAKE_FAILURE,
            ResetReason::CLIENT_NOT_AUTHORIZED,
            ResetReason::SERVER_NOT_TRUSTED,
            ResetReason::HANDSHAKE_TIMEOUT,
            ResetReason::RECORD_FAILURE,
            ResetReason::APPLICATION,
        ];
        assert_eq!(known.map(u8::from), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            (0..=255u8).filter(|&b| ResetReason(b).is_known()).count(),
            9
        );
        assert_eq!(format!("{:?}", ResetReason(4)), "CLIENT_NOT_AUTHORIZED");
        assert_eq!(format!("{}", ResetReason(9)), "ResetReason(0x09)");
    }

    #[test]
    fn plaintext_frame() {
        let mut out = [0u8; 5];
        assert_eq!(ResetReason::HANDSHAKE_TIMEOUT.encode(&mut out), Ok(4));
        assert_eq!(out, [0x20, 0x00, 0x01, 0x06, 0x00]);
        let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&out) else {
            panic!("expected complete frame");
        };
        assert_eq!(consumed, 4);
        assert_eq!(
            ResetReason::parse(value.body),
            Ok(ResetReason::HANDSHAKE_TIMEOUT)
        );
        let mut small = [0u8; 3];
        assert_eq!(
            ResetReason::APPLICATION.encode(&mut small),
            Err(DecodeError::BufferTooSmall { needed: 4 })
        );
        assert_eq!(small, [0u8; 3]);
    }

    #[test]
    fn parse_is_exact_and_keeps_unknown() {
        assert_eq!(ResetReason::parse(&[0xc8]), Ok(ResetReason(0xc8)));
        let ctx = "RESET reason";
        assert_eq!(
            ResetReason::parse(&[]),
            Err(DecodeError::Truncated { context: ctx })
        );
        assert_eq!(
            ResetReason::parse(&[1, 2]),
            Err(DecodeError::TrailingData { context: ctx })
        );
    }
}
