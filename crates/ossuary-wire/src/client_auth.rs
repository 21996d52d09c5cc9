//! CLIENT_AUTH: the client's sealed identity, or its absence.

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::lengths::{CLIENT_IDENTITY_ANON_LEN, CLIENT_IDENTITY_IDENTITY_LEN, TAG_LEN};

const KIND_ANONYMOUS: u8 = 0x00;
const KIND_IDENTITY: u8 = 0x01;

/// The plaintext sealed inside CLIENT_AUTH.
///
/// ```text
/// P = 0x00                              ANONYMOUS  (1 byte,  body 17)
///   | 0x01 || C_id [32] || sig_c [64]   IDENTITY   (97 bytes, body 113)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientIdentity {
    /// The client does not authenticate.
    Anonymous,
    /// The client proves a long-term identity.
    Identity {
        /// The client's long-term Ed25519 public key `C_id`.
        identity: [u8; 32],
        /// The client's signature `sig_c` over the transcript.
        signature: [u8; 64],
    },
}

impl ClientIdentity {
    /// Parses an opened CLIENT_AUTH plaintext (exactly 1 or 97 bytes).
    ///
    /// # Errors
    /// - [`DecodeError::UnknownClientAuthKind`] if the kind byte is not 0 or 1;
    /// - [`DecodeError::Truncated`] if `bytes` is empty or shorter than its
    ///   kind requires;
    /// - [`DecodeError::TrailingData`] if it is longer.
    pub fn parse(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, "client identity");
        let value = match r.take_u8()? {
            KIND_ANONYMOUS => Self::Anonymous,
            KIND_IDENTITY => Self::Identity {
                identity: r.take_array()?,
                signature: r.take_array()?,
            },
            kind => return Err(DecodeError::UnknownClientAuthKind(kind)),
        };
        r.expect_empty()?;
        Ok(value)
    }

    /// Writes the plaintext to the start of `out` (ready to be sealed in
    /// place) and returns [`encoded_len`](Self::encoded_len).
    ///
    /// # Errors
    /// [`DecodeError::BufferTooSmall`] if `out` is shorter than
    /// [`encoded_len`](Self::encoded_len); nothing is written.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, DecodeError> {
        let mut w = Writer::new(out, self.encoded_len())?;
        match self {
            Self::Anonymous => w.put_u8(KIND_ANONYMOUS)?,
            Self::Identity {
                identity,
                signature,
            } => {
                w.put_u8(KIND_IDENTITY)?;
                w.put(identity)?;
                w.put(signature)?;
            }
        }
        Ok(w.finish())
    }

    /// Plaintext length: [`CLIENT_IDENTITY_ANON_LEN`] or
    /// [`CLIENT_IDENTITY_IDENTITY_LEN`].
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Anonymous => CLIENT_IDENTITY_ANON_LEN,
            Self::Identity { .. } => CLIENT_IDENTITY_IDENTITY_LEN,
        }
    }

    /// Body length of the CLIENT_AUTH frame carrying this plaintext sealed:
    /// [`CLIENT_AUTH_ANON_BODY_LEN`](crate::CLIENT_AUTH_ANON_BODY_LEN) or [`CLIENT_AUTH_IDENTITY_BODY_LEN`](crate::CLIENT_AUTH_IDENTITY_BODY_LEN).
    pub fn sealed_len(&self) -> usize {
        self.encoded_len() + TAG_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lengths::{
        CLIENT_AUTH_ANON_BODY_LEN, CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_BODY_LEN,
        CLIENT_AUTH_IDENTITY_FRAME_LEN,
    };

    const CTX: &str = "client identity";

    fn identity() -> ClientIdentity {
        ClientIdentity::Identity {
            identity: [0x1d; 32],
            signature: [0x51; 64],
        }
    }

    #[test]
    fn lengths() {
        assert_eq!(CLIENT_AUTH_ANON_BODY_LEN, 17);
        assert_eq!(CLIENT_AUTH_IDENTITY_BODY_LEN, 113);
        assert_eq!(CLIENT_AUTH_ANON_FRAME_LEN, 20);
        assert_eq!(CLIENT_AUTH_IDENTITY_FRAME_LEN, 116);
        assert_eq!(ClientIdentity::Anonymous.sealed_len(), 17);
        assert_eq!(identity().sealed_len(), 113);
    }

    #[test]
    fn anonymous() {
        let mut out = [0xffu8; 2];
        assert_eq!(ClientIdentity::Anonymous.encode(&mut out), Ok(1));
        assert_eq!(out, [0x00, 0xff]);
        assert_eq!(ClientIdentity::parse(&[0]), Ok(ClientIdentity::Anonymous));
        assert_eq!(
            ClientIdentity::parse(&[0, 0]),
            Err(DecodeError::TrailingData { context: CTX })
        );
    }

    #[test]
    fn identity_layout_and_round_trip() {
        let mut out = [0u8; 98];
        assert_eq!(identity().encode(&mut out), Ok(97));
        assert_eq!(out[0], 0x01);
        assert_eq!(out[1..33], [0x1d; 32]);
        assert_eq!(out[33..97], [0x51; 64]);
        assert_eq!(ClientIdentity::parse(&out[..97]), Ok(identity()));
        assert_eq!(
            ClientIdentity::parse(&out),
            Err(DecodeError::TrailingData { context: CTX })
        );
        assert_eq!(
            ClientIdentity::parse(&out[..96]),
            Err(DecodeError::Truncated { context: CTX })
        );
        // An identity kind with an anonymous length.
        assert_eq!(
            ClientIdentity::parse(&[1]),
            Err(DecodeError::Truncated { context: CTX })
        );
    }

    #[test]
    fn rejects_unknown_kind_and_empty() {
        assert_eq!(
            ClientIdentity::parse(&[2]),
            Err(DecodeError::UnknownClientAuthKind(2))
        );
        assert_eq!(
            ClientIdentity::parse(&[0xff; 97]),
            Err(DecodeError::UnknownClientAuthKind(0xff))
        );
        assert_eq!(
            ClientIdentity::parse(&[]),
            Err(DecodeError::Truncated { context: CTX })
        );
    }

    #[test]
    fn small_buffer_writes_nothing() {
        let mut out = [0u8; 96];
        assert_eq!(
            identity().encode(&mut out),
            Err(DecodeError::BufferTooSmall { needed: 97 })
        );
        assert_eq!(out, [0u8; 96]);
        assert_eq!(
            ClientIdentity::Anonymous.encode(&mut []),
            Err(DecodeError::BufferTooSmall { needed: 1 })
        );
    }
}
