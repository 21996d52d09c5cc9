//! The result of a completed handshake: record keys and the peer's identity.

#[cfg(feature = "hazmat")]
use ossuary_crypto::TrafficSecrets;
use ossuary_crypto::{PublicKey, RecordOpener, RecordSealer};

#[cfg(feature = "hazmat")]
use crate::key_log::{KeyLog, log};

/// A completed handshake. It cannot run handshake steps; turn it into a
/// session with [`Established::into_parts`].
pub struct Established {
    sealer: RecordSealer,
    opener: RecordOpener,
    remote: Option<PublicKey>,
    transcript_hash: [u8; 32],
}

impl Established {
    pub(crate) fn new(
        sealer: RecordSealer,
        opener: RecordOpener,
        remote: Option<PublicKey>,
        transcript_hash: [u8; 32],
    ) -> Self {
        Self {
            sealer,
            opener,
            remote,
            transcript_hash,
        }
    }

    /// The peer's verified identity key; `None` for an anonymous client.
    #[must_use]
    pub fn remote_identity(&self) -> Option<&PublicKey> {
        self.remote.as_ref()
    }

    /// The final transcript hash `TH`, identical on both sides: a value an
    /// application can use for channel binding. It is not secret.
    #[must_use]
    pub fn transcript_hash(&self) -> &[u8; 32] {
        &self.transcript_hash
    }

    /// The record keys for each direction and the peer's identity.
    #[must_use]
    pub fn into_parts(self) -> (RecordSealer, RecordOpener, Option<PublicKey>) {
        (self.sealer, self.opener, self.remote)
    }
}

impl core::fmt::Debug for Established {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Established")
            .field("remote", &self.remote)
            .finish_non_exhaustive()
    }
}

/// Logs the first traffic secrets and record keys.
#[cfg(feature = "hazmat")]
pub(crate) fn log_traffic(key_log: Option<&dyn KeyLog>, traffic: &TrafficSecrets) {
    log(
        key_log,
        "keys.c_ap_0",
        &traffic.client_secret_bytes_for_testing_only(),
    );
    log(
        key_log,
        "keys.s_ap_0",
        &traffic.server_secret_bytes_for_testing_only(),
    );
}
