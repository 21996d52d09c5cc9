//! SERVER_HELLO and the server identity sealed inside it.

use core::fmt;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::frame::Header;
use crate::frame_type::FrameType;
use crate::lengths::{
    KEM_CIPHERTEXT_LEN, KEY_LEN, SEALED_SERVER_IDENTITY_LEN, SERVER_HELLO_BODY_LEN,
    SERVER_HELLO_CLEAR_LEN, SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, VERSION_1,
};

const CONTEXT: &str = "SERVER_HELLO";

/// The SERVER_HELLO flags byte.
///
/// Bit 0 is [`CLIENT_AUTH_REQUIRED`](Self::CLIENT_AUTH_REQUIRED); every other
/// bit is reserved in version 1 and rejected by [`ServerHello::parse`]. `Debug`
/// names the known bit and prints any other bits in hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerFlags(pub u8);

impl ServerFlags {
    /// No flag set.
    pub const NONE: Self = Self(0x00);
    /// The server requires the client to prove an identity in CLIENT_AUTH.
    pub const CLIENT_AUTH_REQUIRED: Self = Self(0x01);
    /// Every bit defined by version 1.
    pub const KNOWN: Self = Self(0x01);

    /// Whether every bit of `other` is set in `self`.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits set in `self` that version 1 does not define.
    pub fn reserved_bits(self) -> u8 {
        self.0 & !Self::KNOWN.0
    }
}

impl fmt::Debug for ServerFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerFlags(")?;
        let reserved = self.reserved_bits();
        match (self.contains(Self::CLIENT_AUTH_REQUIRED), reserved) {
            (false, 0) => f.write_str("NONE")?,
            (true, 0) => f.write_str("CLIENT_AUTH_REQUIRED")?,
            (false, r) => write!(f, "0x{r:02x}")?,
            (true, r) => write!(f, "CLIENT_AUTH_REQUIRED | 0x{r:02x}")?,
        }
        f.write_str(")")
    }
}

/// The SERVER_HELLO message, borrowing its sealed part from the input.
///
/// ```text
/// body (1234) = version u8 (0x01) || flags u8 || e_s [32] || ct [1088] || sealed [112]
/// sealed     = AEAD(s_hs_key, nonce 0, ad = TH2, ServerIdentity [96]) = ct [96] || tag [16]
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerHello<'a> {
    /// Protocol version; [`VERSION_1`].
    pub version: u8,
    /// Flags.
    pub flags: ServerFlags,
    /// The server's ephemeral X25519 public key `e_s`.
    pub ephemeral: [u8; 32],
    /// The ML-KEM-768 ciphertext `ct`, encapsulated to the client's `ek`.
    pub kem_ciphertext: [u8; KEM_CIPHERTEXT_LEN],
    /// The sealed [`ServerIdentity`]: [`SEALED_SERVER_IDENTITY_LEN`] bytes.
    pub sealed: &'a [u8],
}

impl<'a> ServerHello<'a> {
    /// Parses a SERVER_HELLO frame body (exactly [`SERVER_HELLO_BODY_LEN`] bytes).
    ///
    /// # Errors
    /// - [`DecodeError::UnsupportedVersion`] if the version is not [`VERSION_1`];
    /// - [`DecodeError::ReservedFlags`] if a bit other than
    ///   [`ServerFlags::CLIENT_AUTH_REQUIRED`] is set;
    /// - [`DecodeError::Truncated`] or [`DecodeError::TrailingData`] if `body`
    ///   is shorter or longer than [`SERVER_HELLO_BODY_LEN`].
    pub fn parse(body: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body, CONTEXT);
        let version = r.take_u8()?;
        if version != VERSION_1 {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let flags = ServerFlags(r.take_u8()?);
        if flags.reserved_bits() != 0 {
            return Err(DecodeError::ReservedFlags {
                context: CONTEXT,
                flags: flags.0,
            });
        }
        let ephemeral = r.take_array()?;
        let kem_ciphertext = r.take_array()?;
        let sealed = r.take(SEALED_SERVER_IDENTITY_LEN)?;
        r.expect_empty()?;
        Ok(Self {
            version,
            flags,
            ephemeral,
            kem_ciphertext,
            sealed,
        })
    }

    /// The frame bytes before the sealed part (`M2clear`): header, version,
    /// flags, `e_s` and `ct`. A server hashes these to get `TH2` before it
    /// can seal.
    pub fn to_clear_bytes(&self) -> [u8; SERVER_HELLO_CLEAR_LEN] {
        let mut out = [0u8; SERVER_HELLO_CLEAR_LEN];
        // Local invariant: the split points and the copies use constant
        // lengths (5 + KEY_LEN + KEM_CIPHERTEXT_LEN == SERVER_HELLO_CLEAR_LEN);
        // no peer input is involved.
        let (head, rest) = out.split_at_mut(SERVER_HELLO_CLEAR_LEN - KEY_LEN - KEM_CIPHERTEXT_LEN);
        let (ephemeral, ciphertext) = rest.split_at_mut(KEY_LEN);
        let [t, l0, l1] = Self::header().to_bytes();
        head.copy_from_slice(&[t, l0, l1, self.version, self.flags.0]);
        ephemeral.copy_from_slice(&self.ephemeral);
        ciphertext.copy_from_slice(&self.kem_ciphertext);
        out
    }

    /// Writes the whole SERVER_HELLO frame (header included) to the start of
    /// `out` and returns [`SERVER_HELLO_FRAME_LEN`].
    ///
    /// Version and flags are written as they are, without validation, so tests
    /// can build hellos that a peer must reject.
    ///
    /// # Errors
    /// - [`DecodeError::BadLength`] if `sealed` is not
    ///   [`SEALED_SERVER_IDENTITY_LEN`] bytes (`len` is the body length it
    ///   would give);
    /// - [`DecodeError::BufferTooSmall`] if `out` is shorter than
    ///   [`SERVER_HELLO_FRAME_LEN`].
    ///
    /// On error nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        if self.sealed.len() != SEALED_SERVER_IDENTITY_LEN {
            return Err(DecodeError::BadLength {
                frame_type: FrameType::SERVER_HELLO,
                len: (1 + 1 + KEY_LEN + KEM_CIPHERTEXT_LEN).saturating_add(self.sealed.len()),
            });
        }
        let mut w = Writer::new(out, SERVER_HELLO_FRAME_LEN)?;
        w.put(&self.to_clear_bytes())?;
        w.put(self.sealed)?;
        Ok(w.finish())
    }

    fn header() -> Header {
        Header {
            frame_type: FrameType::SERVER_HELLO,
            // Cannot truncate: `lengths.rs` asserts it fits.
            len: SERVER_HELLO_BODY_LEN as u16,
        }
    }
}

/// The plaintext sealed inside SERVER_HELLO.
///
/// ```text
/// S_id [32] || sig_s [64]     (96 bytes)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServerIdentity {
    /// The server's long-term Ed25519 public key `S_id`.
    pub identity: [u8; 32],
    /// The server's signature `sig_s` over the transcript.
    pub signature: [u8; 64],
}

impl ServerIdentity {
    /// Parses an opened server identity (exactly [`SERVER_IDENTITY_LEN`] bytes).
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] or [`DecodeError::TrailingData`] if `bytes`
    /// is shorter or longer than [`SERVER_IDENTITY_LEN`].
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, "server identity");
        let identity = r.take_array()?;
        let signature = r.take_array()?;
        r.expect_empty()?;
        Ok(Self {
            identity,
            signature,
        })
    }

    /// Writes the identity to the start of `out` (ready to be sealed in place)
    /// and returns [`SERVER_IDENTITY_LEN`].
    ///
    /// # Errors
    /// [`DecodeError::BufferTooSmall`] if `out` is shorter than
    /// [`SERVER_IDENTITY_LEN`]; nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        let mut w = Writer::new(out, SERVER_IDENTITY_LEN)?;
        w.put(&self.identity)?;
        w.put(&self.signature)?;
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;

    use super::*;
    use crate::frame::{Frame, Parsed};
    use crate::lengths::HEADER_LEN;

    const SEALED: [u8; SEALED_SERVER_IDENTITY_LEN] = [0x5e; SEALED_SERVER_IDENTITY_LEN];

    fn hello(flags: ServerFlags) -> ServerHello<'static> {
        ServerHello {
            version: VERSION_1,
            flags,
            ephemeral: [0xe5; 32],
            kem_ciphertext: [0xc7; KEM_CIPHERTEXT_LEN],
            sealed: &SEALED,
        }
    }

    fn frame_of(h: &ServerHello<'_>) -> [u8; SERVER_HELLO_FRAME_LEN] {
        let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
        assert_eq!(h.encode(&mut out), Ok(SERVER_HELLO_FRAME_LEN));
        out
    }

    #[test]
    fn lengths() {
        assert_eq!(SERVER_IDENTITY_LEN, 96);
        assert_eq!(SEALED_SERVER_IDENTITY_LEN, 112);
        assert_eq!(SERVER_HELLO_BODY_LEN, 1234);
        assert_eq!(SERVER_HELLO_FRAME_LEN, 1237);
        assert_eq!(SERVER_HELLO_CLEAR_LEN, 1125);
    }

    #[test]
    fn encode_layout_and_clear_prefix() {
        let h = hello(ServerFlags::CLIENT_AUTH_REQUIRED);
        let frame = frame_of(&h);
        assert_eq!(frame[..5], [0x02, 0x04, 0xd2, 0x01, 0x01]);
        assert_eq!(frame[5..37], [0xe5; 32]);
        assert_eq!(frame[37..1125], [0xc7; 1088]);
        assert_eq!(frame[1125..], SEALED);
        assert_eq!(h.to_clear_bytes(), frame[..SERVER_HELLO_CLEAR_LEN]);
    }

    #[test]
    fn round_trip_through_frame() {
        let h = hello(ServerFlags::NONE);
        let frame = frame_of(&h);
        let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&frame) else {
            panic!("expected complete frame");
        };
        assert_eq!(consumed, 1237);
        assert_eq!(ServerHello::parse(value.body), Ok(h));
    }

    #[test]
    fn rejects_version_and_reserved_flags() {
        let mut v0 = hello(ServerFlags::NONE);
        v0.version = 0;
        assert_eq!(
            ServerHello::parse(&frame_of(&v0)[HEADER_LEN..]),
            Err(DecodeError::UnsupportedVersion(0))
        );
        for bits in [0x02u8, 0x03, 0x80, 0xff] {
            let h = hello(ServerFlags(bits));
            assert_eq!(
                ServerHello::parse(&frame_of(&h)[HEADER_LEN..]),
                Err(DecodeError::ReservedFlags {
                    context: "SERVER_HELLO",
                    flags: bits
                })
            );
        }
    }

    #[test]
    fn rejects_wrong_lengths() {
        let frame = frame_of(&hello(ServerFlags::NONE));
        assert_eq!(
            ServerHello::parse(&frame[HEADER_LEN..1236]),
            Err(DecodeError::Truncated {
                context: "SERVER_HELLO"
            })
        );
        let mut long = [0u8; 1235];
        long[..1234].copy_from_slice(&frame[HEADER_LEN..]);
        assert_eq!(
            ServerHello::parse(&long),
            Err(DecodeError::TrailingData {
                context: "SERVER_HELLO"
            })
        );
    }

    #[test]
    fn encode_checks_sealed_len_and_buffer() {
        let short = ServerHello {
            sealed: &SEALED[..111],
            ..hello(ServerFlags::NONE)
        };
        let mut out = [0u8; 1300];
        assert_eq!(
            short.encode(&mut out),
            Err(DecodeError::BadLength {
                frame_type: FrameType::SERVER_HELLO,
                len: 1233
            })
        );
        let mut small = [0u8; 1236];
        assert_eq!(
            hello(ServerFlags::NONE).encode(&mut small),
            Err(DecodeError::BufferTooSmall { needed: 1237 })
        );
        assert_eq!(out, [0u8; 1300]);
        assert_eq!(small, [0u8; 1236]);
    }

    #[test]
    fn flags() {
        assert!(ServerFlags(0x01).contains(ServerFlags::CLIENT_AUTH_REQUIRED));
        assert!(!ServerFlags(0x00).contains(ServerFlags::CLIENT_AUTH_REQUIRED));
        assert!(ServerFlags(0x00).contains(ServerFlags::NONE));
        assert_eq!(ServerFlags(0x83).reserved_bits(), 0x82);
        assert_eq!(format!("{:?}", ServerFlags::NONE), "ServerFlags(NONE)");
        assert_eq!(
            format!("{:?}", ServerFlags(1)),
            "ServerFlags(CLIENT_AUTH_REQUIRED)"
        );
        assert_eq!(format!("{:?}", ServerFlags(0x40)), "ServerFlags(0x40)");
        assert_eq!(
            format!("{:?}", ServerFlags(0x41)),
            "ServerFlags(CLIENT_AUTH_REQUIRED | 0x40)"
        );
    }

    #[test]
    fn server_identity() {
        let id = ServerIdentity {
            identity: [1; 32],
            signature: [2; 64],
        };
        let mut out = [0u8; 97];
        assert_eq!(id.encode(&mut out), Ok(96));
        assert_eq!(out[..32], [1; 32]);
        assert_eq!(out[32..96], [2; 64]);
        assert_eq!(ServerIdentity::parse(&out[..96]), Ok(id));
        let ctx = "server identity";
        assert_eq!(
            ServerIdentity::parse(&out[..95]),
            Err(DecodeError::Truncated { context: ctx })
        );
        assert_eq!(
            ServerIdentity::parse(&out),
            Err(DecodeError::TrailingData { context: ctx })
        );
        let mut small = [0u8; 95];
        assert_eq!(
            id.encode(&mut small),
            Err(DecodeError::BufferTooSmall { needed: 96 })
        );
        assert_eq!(small, [0u8; 95]);
    }
}
