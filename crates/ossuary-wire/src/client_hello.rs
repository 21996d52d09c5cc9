//! CLIENT_HELLO: the client's first message.

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::frame::Header;
use crate::frame_type::FrameType;
use crate::lengths::{
    CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN, KEM_ENCAPSULATION_KEY_LEN, VERSION_1,
};

const CONTEXT: &str = "CLIENT_HELLO";

/// The CLIENT_HELLO message.
///
/// ```text
/// body (1250) = version u8 (0x01) || flags u8 (0x00) || e_c [32] || random_c [32] || ek [1184]
/// ```
///
/// `ek` is the client's ML-KEM-768 encapsulation key, as bytes: this crate
/// does no cryptography, so the FIPS 203 modulus check is the server's
/// (`ossuary-crypto`'s `KemEncapsulationKey`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientHello {
    /// Protocol version; [`VERSION_1`].
    pub version: u8,
    /// Flags; every bit is reserved in version 1, so this is 0.
    pub flags: u8,
    /// The client's ephemeral X25519 public key `e_c`.
    pub ephemeral: [u8; 32],
    /// 32 fresh random bytes `random_c`.
    pub random: [u8; 32],
    /// The client's ephemeral ML-KEM-768 encapsulation key `ek`.
    pub kem_key: [u8; KEM_ENCAPSULATION_KEY_LEN],
}

impl ClientHello {
    /// A version 1 hello with no flags.
    pub fn new(
        ephemeral: [u8; 32],
        random: [u8; 32],
        kem_key: [u8; KEM_ENCAPSULATION_KEY_LEN],
    ) -> Self {
        Self {
            version: VERSION_1,
            flags: 0,
            ephemeral,
            random,
            kem_key,
        }
    }

    /// Parses a CLIENT_HELLO frame body (exactly [`CLIENT_HELLO_BODY_LEN`] bytes).
    ///
    /// # Errors
    /// - [`DecodeError::UnsupportedVersion`] if the version is not [`VERSION_1`];
    /// - [`DecodeError::ReservedFlags`] if any flag bit is set;
    /// - [`DecodeError::Truncated`] or [`DecodeError::TrailingData`] if `body`
    ///   is shorter or longer than [`CLIENT_HELLO_BODY_LEN`].
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body, CONTEXT);
        let version = r.take_u8()?;
        if version != VERSION_1 {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let flags = r.take_u8()?;
        if flags != 0 {
            return Err(DecodeError::ReservedFlags {
                context: CONTEXT,
                flags,
            });
        }
        let ephemeral = r.take_array()?;
        let random = r.take_array()?;
        let kem_key = r.take_array()?;
        r.expect_empty()?;
        Ok(Self {
            version,
            flags,
            ephemeral,
            random,
            kem_key,
        })
    }

    /// Writes the whole CLIENT_HELLO frame (header included) to the start of
    /// `out` and returns [`CLIENT_HELLO_FRAME_LEN`].
    ///
    /// The fields are written as they are, without validation, so tests can
    /// build hellos that a peer must reject.
    ///
    /// # Errors
    /// [`DecodeError::BufferTooSmall`] if `out` is shorter than
    /// [`CLIENT_HELLO_FRAME_LEN`]; nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        let header = Header {
            frame_type: FrameType::CLIENT_HELLO,
            // Cannot truncate: `lengths.rs` asserts it fits.
            len: CLIENT_HELLO_BODY_LEN as u16,
        };
        let mut w = Writer::new(out, CLIENT_HELLO_FRAME_LEN)?;
        w.put(&header.to_bytes())?;
        w.put_u8(self.version)?;
        w.put_u8(self.flags)?;
        w.put(&self.ephemeral)?;
        w.put(&self.random)?;
        w.put(&self.kem_key)?;
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, Parsed};
    use crate::lengths::HEADER_LEN;

    fn hello() -> ClientHello {
        ClientHello::new([0xe1; 32], [0x7a; 32], [0xec; KEM_ENCAPSULATION_KEY_LEN])
    }

    fn body_of(h: &ClientHello) -> [u8; CLIENT_HELLO_BODY_LEN] {
        let mut frame = [0u8; CLIENT_HELLO_FRAME_LEN];
        h.encode(&mut frame).unwrap();
        let mut body = [0u8; CLIENT_HELLO_BODY_LEN];
        body.copy_from_slice(&frame[HEADER_LEN..]);
        body
    }

    #[test]
    fn lengths() {
        assert_eq!(CLIENT_HELLO_BODY_LEN, 1250);
        assert_eq!(CLIENT_HELLO_FRAME_LEN, 1253);
    }

    #[test]
    fn encode_layout() {
        let mut out = [0u8; 1254];
        assert_eq!(hello().encode(&mut out), Ok(1253));
        assert_eq!(out[..5], [0x01, 0x04, 0xe2, 0x01, 0x00]);
        assert_eq!(out[5..37], [0xe1; 32]);
        assert_eq!(out[37..69], [0x7a; 32]);
        assert_eq!(out[69..1253], [0xec; 1184]);
        assert_eq!(out[1253], 0);
    }

    #[test]
    fn encode_then_frame_parse_then_parse() {
        let mut out = [0u8; CLIENT_HELLO_FRAME_LEN];
        hello().encode(&mut out).unwrap();
        let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&out) else {
            panic!("expected complete frame");
        };
        assert_eq!(consumed, 1253);
        assert_eq!(value.header.frame_type, FrameType::CLIENT_HELLO);
        assert_eq!(ClientHello::parse(value.body), Ok(hello()));
    }

    #[test]
    fn small_buffer_writes_nothing() {
        let mut out = [0u8; 1252];
        assert_eq!(
            hello().encode(&mut out),
            Err(DecodeError::BufferTooSmall { needed: 1253 })
        );
        assert_eq!(out, [0u8; 1252]);
    }

    #[test]
    fn rejects_version_and_flags() {
        let mut v2 = hello();
        v2.version = 2;
        assert_eq!(
            ClientHello::parse(&body_of(&v2)),
            Err(DecodeError::UnsupportedVersion(2))
        );
        let mut flagged = hello();
        flagged.flags = 0x80;
        assert_eq!(
            ClientHello::parse(&body_of(&flagged)),
            Err(DecodeError::ReservedFlags {
                context: "CLIENT_HELLO",
                flags: 0x80
            })
        );
    }

    #[test]
    fn rejects_wrong_lengths() {
        let body = body_of(&hello());
        assert_eq!(
            ClientHello::parse(&body[..1249]),
            Err(DecodeError::Truncated {
                context: "CLIENT_HELLO"
            })
        );
        assert_eq!(
            ClientHello::parse(&[]),
            Err(DecodeError::Truncated {
                context: "CLIENT_HELLO"
            })
        );
        let mut long = [0u8; 1251];
        long[..1250].copy_from_slice(&body);
        assert_eq!(
            ClientHello::parse(&long),
            Err(DecodeError::TrailingData {
                context: "CLIENT_HELLO"
            })
        );
    }
}
