//! Frame types and the body lengths each allows (PROTOCOL.md §2.2, §2.3).

use core::fmt;

use crate::lengths::{
    CLIENT_AUTH_ANON_BODY_LEN, CLIENT_AUTH_IDENTITY_BODY_LEN, CLIENT_HELLO_BODY_LEN, MAX_BODY_LEN,
    RESET_PLAIN_BODY_LEN, RESET_SEALED_BODY_LEN, SERVER_HELLO_BODY_LEN, TAG_LEN,
};

/// A frame type byte.
///
/// A newtype rather than an enum so that unknown values survive parsing; the
/// state machines decide what to do with them. `Debug` and `Display` print the
/// name of a known type and the hex value of an unknown one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    /// 0x01: the client's first handshake message.
    pub const CLIENT_HELLO: Self = Self(0x01);
    /// 0x02: the server's handshake message.
    pub const SERVER_HELLO: Self = Self(0x02);
    /// 0x03: the client's sealed (possibly anonymous) identity.
    pub const CLIENT_AUTH: Self = Self(0x03);
    /// 0x10: a sealed application record.
    pub const DATA: Self = Self(0x10);
    /// 0x11: a sealed, empty record announcing the sender's next key.
    pub const KEY_UPDATE: Self = Self(0x11);
    /// 0x12: a sealed, empty record ending the sender's direction.
    pub const CLOSE: Self = Self(0x12);
    /// 0x20: an error report, plaintext or sealed.
    pub const RESET: Self = Self(0x20);

    /// Whether this is one of the types defined by protocol version 1.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }

    /// The protocol name of a known type (`"CLIENT_HELLO"`, …), or `None`.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::CLIENT_HELLO => "CLIENT_HELLO",
            Self::SERVER_HELLO => "SERVER_HELLO",
            Self::CLIENT_AUTH => "CLIENT_AUTH",
            Self::DATA => "DATA",
            Self::KEY_UPDATE => "KEY_UPDATE",
            Self::CLOSE => "CLOSE",
            Self::RESET => "RESET",
            _ => return None,
        })
    }

    /// Whether a body of `len` bytes is legal for this type.
    ///
    /// ```text
    /// CLIENT_HELLO  1250          DATA        16..=65535
    /// SERVER_HELLO  1234          KEY_UPDATE  16
    /// CLIENT_AUTH   17 or 113     CLOSE       16
    /// RESET         1 or 17       unknown     0..=65535
    /// ```
    pub fn is_legal_body_len(self, len: usize) -> bool {
        match self {
            Self::CLIENT_HELLO => len == CLIENT_HELLO_BODY_LEN,
            Self::SERVER_HELLO => len == SERVER_HELLO_BODY_LEN,
            Self::CLIENT_AUTH => {
                len == CLIENT_AUTH_ANON_BODY_LEN || len == CLIENT_AUTH_IDENTITY_BODY_LEN
            }
            Self::DATA => (TAG_LEN..=MAX_BODY_LEN).contains(&len),
            Self::KEY_UPDATE | Self::CLOSE => len == TAG_LEN,
            Self::RESET => len == RESET_PLAIN_BODY_LEN || len == RESET_SEALED_BODY_LEN,
            _ => len <= MAX_BODY_LEN,
        }
    }
}

impl fmt::Debug for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "FrameType(0x{:02x})", self.0),
        }
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<u8> for FrameType {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<FrameType> for u8 {
    fn from(value: FrameType) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [FrameType; 7] = [
        FrameType::CLIENT_HELLO,
        FrameType::SERVER_HELLO,
        FrameType::CLIENT_AUTH,
        FrameType::DATA,
        FrameType::KEY_UPDATE,
        FrameType::CLOSE,
        FrameType::RESET,
    ];

    fn legal_lens(t: FrameType) -> usize {
        (0..=MAX_BODY_LEN)
            .filter(|&len| t.is_legal_body_len(len))
            .count()
    }

    #[test]
    fn frame_type_values_and_names() {
        let values: [u8; 7] = KNOWN.map(u8::from);
        assert_eq!(values, [0x01, 0x02, 0x03, 0x10, 0x11, 0x12, 0x20]);
        assert_eq!(FrameType::DATA.name(), Some("DATA"));
        assert_eq!(FrameType(0x04).name(), None);
        assert!(!FrameType(0).is_known());
        assert_eq!((0..=255u8).filter(|&b| FrameType(b).is_known()).count(), 7);
    }

    #[test]
    fn frame_type_debug_prints_name_or_hex() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{:?}", FrameType::KEY_UPDATE), "KEY_UPDATE");
        assert_eq!(format!("{:?}", FrameType(0xab)), "FrameType(0xab)");
        assert_eq!(format!("{}", FrameType(0x05)), "FrameType(0x05)");
    }

    #[test]
    fn body_length_table() {
        let t = |t: FrameType, lens: &[usize]| {
            for &len in lens {
                assert!(t.is_legal_body_len(len), "{t:?} {len}");
            }
        };
        t(FrameType::CLIENT_HELLO, &[1250]);
        t(FrameType::SERVER_HELLO, &[1234]);
        t(FrameType::CLIENT_AUTH, &[17, 113]);
        t(FrameType::DATA, &[16, 17, 65535]);
        t(FrameType::KEY_UPDATE, &[16]);
        t(FrameType::CLOSE, &[16]);
        t(FrameType::RESET, &[1, 17]);
        t(FrameType(0x7f), &[0, 1, 65535]);
        assert!(!FrameType::DATA.is_legal_body_len(15));
        assert!(!FrameType(0x7f).is_legal_body_len(65536));
        let counts = KNOWN.map(legal_lens);
        assert_eq!(counts, [1, 1, 2, 65520, 1, 1, 2]);
    }
}
