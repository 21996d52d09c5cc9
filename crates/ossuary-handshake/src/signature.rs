//! Transcript signatures: the role labels and the signed message (PROTOCOL.md §5).

use ossuary_crypto::{PUBLIC_KEY_LEN, PublicKey, Signer, Transcript};

use crate::error::{Error, PeerMisbehaved};

/// Role label the server signs under.
pub(crate) const SERVER_CONTEXT: &[u8] = b"ossuary v1 server signature";
/// Role label the client signs under.
pub(crate) const CLIENT_CONTEXT: &[u8] = b"ossuary v1 client signature";

const MAX_CONTEXT_LEN: usize = 27;
const MESSAGE_LEN: usize = MAX_CONTEXT_LEN + 1 + 32;

/// Which side signs: picks the role label and the error for a bad signature.
#[derive(Clone, Copy)]
pub(crate) enum Signing {
    Server,
    Client,
}

impl Signing {
    fn context(self) -> &'static [u8] {
        match self {
            Self::Server => SERVER_CONTEXT,
            Self::Client => CLIENT_CONTEXT,
        }
    }

    /// `label || 0x00 || hash`: the exact bytes given to Ed25519.
    fn message(self, hash: &[u8; 32]) -> [u8; MESSAGE_LEN] {
        let mut msg = [0u8; MESSAGE_LEN];
        let (label, rest) = msg.split_at_mut(MAX_CONTEXT_LEN);
        label.copy_from_slice(self.context());
        let (zero, tail) = rest.split_at_mut(1);
        zero.copy_from_slice(&[0]);
        tail.copy_from_slice(hash);
        msg
    }

    /// Signs the transcript `hash` (which already covers the signer's own key).
    pub(crate) fn sign(self, signer: &dyn Signer, hash: &[u8; 32]) -> Result<[u8; 64], Error> {
        signer.sign(&self.message(hash)).map_err(|_| Error::Signer)
    }

    /// Validates the peer's identity key `identity` and verifies `signature`
    /// by it over the transcript `hash`, strictly, decoding the key once.
    pub(crate) fn verify(
        self,
        identity: &[u8; PUBLIC_KEY_LEN],
        hash: &[u8; 32],
        signature: &[u8; 64],
    ) -> Result<PublicKey, Error> {
        PublicKey::from_bytes_verifying(identity, &self.message(hash), signature).map_err(|e| {
            Error::PeerMisbehaved(match (e, self) {
                (ossuary_crypto::Error::InvalidPublicKey, _) => PeerMisbehaved::InvalidIdentityKey,
                (_, Self::Server) => PeerMisbehaved::BadServerSignature,
                (_, Self::Client) => PeerMisbehaved::BadClientSignature,
            })
        })
    }
}

/// The transcript hash with `extra` appended, leaving `transcript` untouched.
pub(crate) fn hash_with(transcript: &Transcript, extra: &[&[u8]]) -> [u8; 32] {
    let mut t = transcript.clone();
    for part in extra {
        t.update(part);
    }
    t.hash()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fit_and_differ() {
        assert_eq!(SERVER_CONTEXT.len(), MAX_CONTEXT_LEN);
        assert_eq!(CLIENT_CONTEXT.len(), MAX_CONTEXT_LEN);
        assert_ne!(SERVER_CONTEXT, CLIENT_CONTEXT);
    }

    #[test]
    fn message_layout() {
        let m = Signing::Client.message(&[7; 32]);
        assert_eq!(&m[..27], CLIENT_CONTEXT);
        assert_eq!(m[27], 0);
        assert_eq!(&m[28..], &[7; 32]);
    }
}
