//! The crate's one error type.

use core::fmt;

use crate::frame_type::FrameType;
use crate::lengths::MAX_BODY_LEN;

/// Why bytes could not be decoded, or a value could not be encoded.
///
/// Every variant is final: the input is malformed (or the output buffer is too
/// small), and retrying with the same arguments gives the same error. Needing
/// more input is not an error; see [`Parsed::Incomplete`](crate::Parsed::Incomplete).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// A frame body longer than [`MAX_BODY_LEN`](crate::MAX_BODY_LEN) was requested.
    FrameTooLong {
        /// The requested body length.
        len: usize,
    },
    /// A frame body length that is not legal for its (known) frame type.
    BadLength {
        /// The frame type.
        frame_type: FrameType,
        /// The offending body length.
        len: usize,
    },
    /// Bytes were left over after a fixed-size structure.
    TrailingData {
        /// What was being parsed.
        context: &'static str,
    },
    /// The input ended inside a fixed-size structure.
    Truncated {
        /// What was being parsed.
        context: &'static str,
    },
    /// A frame type the receiver does not accept (for use by consumers; the
    /// frame parser itself keeps unknown types).
    UnknownFrameType(u8),
    /// Reserved flag bits were set.
    ReservedFlags {
        /// What was being parsed.
        context: &'static str,
        /// The whole flags byte as received.
        flags: u8,
    },
    /// A protocol version other than [`VERSION_1`](crate::VERSION_1).
    UnsupportedVersion(u8),
    /// A CLIENT_AUTH plaintext whose kind byte is neither 0 nor 1.
    UnknownClientAuthKind(u8),
    /// The caller's output buffer is too small; nothing was written.
    BufferTooSmall {
        /// Bytes the output buffer must hold.
        needed: usize,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FrameTooLong { len } => write!(
                f,
                "frame body of {len} bytes exceeds the maximum of {MAX_BODY_LEN}"
            ),
            Self::BadLength { frame_type, len } => {
                write!(f, "body length {len} is not legal for a {frame_type} frame")
            }
            Self::TrailingData { context } => write!(f, "trailing data after {context}"),
            Self::Truncated { context } => write!(f, "truncated {context}"),
            Self::UnknownFrameType(t) => write!(f, "unknown frame type 0x{t:02x}"),
            Self::ReservedFlags { context, flags } => {
                write!(f, "reserved flag bits set in {context}: 0x{flags:02x}")
            }
            Self::UnsupportedVersion(v) => write!(f, "unsupported protocol version {v}"),
            Self::UnknownClientAuthKind(k) => write!(f, "unknown CLIENT_AUTH kind 0x{k:02x}"),
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small: {needed} bytes needed")
            }
        }
    }
}

impl core::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn display_names_the_problem() {
        let e = DecodeError::BadLength {
            frame_type: FrameType::CLIENT_HELLO,
            len: 5,
        };
        assert_eq!(
            e.to_string(),
            "body length 5 is not legal for a CLIENT_HELLO frame"
        );
        assert_eq!(
            DecodeError::ReservedFlags {
                context: "SERVER_HELLO",
                flags: 0x82
            }
            .to_string(),
            "reserved flag bits set in SERVER_HELLO: 0x82"
        );
        assert_eq!(
            DecodeError::BufferTooSmall { needed: 69 }.to_string(),
            "output buffer too small: 69 bytes needed"
        );
        assert_eq!(
            DecodeError::UnknownFrameType(0x7f).to_string(),
            "unknown frame type 0x7f"
        );
    }

    #[test]
    fn is_a_core_error() {
        fn takes(_: &dyn core::error::Error) {}
        takes(&DecodeError::UnsupportedVersion(2));
    }
}
