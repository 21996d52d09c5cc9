//! The server (responder) state machine.
//!
//! ```text
//!  ExpectClientHello ──CLIENT_HELLO / SERVER_HELLO──▶ ExpectClientAuth
//!                                                        │ CLIENT_AUTH (decrypt,
//!                                                        │ strict signature, authorized?)
//!                                                        ▼
//!                                                     Complete
//! ```

#[cfg(feature = "hazmat")]
use ossuary_crypto::hazmat;
use ossuary_crypto::{
    EphemeralSecret, HandshakeKey, HandshakeSecret, KemEncapsulationKey, PublicKey, Role, Signer,
    Transcript, TryCryptoRng,
};
use ossuary_wire::{
    ClientHello, ClientIdentity, Frame, FrameType, SEALED_SERVER_IDENTITY_LEN,
    SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, ServerFlags, ServerHello, ServerIdentity,
    VERSION_1,
};

use crate::buf::{part, region};
use crate::error::{Error, PeerMisbehaved};
use crate::established::Established;
#[cfg(feature = "hazmat")]
use crate::key_log::{KeyLog, log};
use crate::signature::{Signing, hash_with};

const TAG_LEN: usize = ossuary_crypto::TAG_LEN;
const MAX_CLIENT_PLAIN: usize = 97;

/// What a server brings to a handshake.
#[derive(Clone, Copy)]
pub struct ServerConfig<'a> {
    /// The server's identity; it signs every handshake.
    pub identity: &'a dyn Signer,
    /// Authenticating server: only clients whose key is in
    /// [`Self::authorized_clients`] are accepted. Open server (`false`):
    /// anonymous clients and any verified client identity are accepted.
    pub require_client_auth: bool,
    /// Client identity keys an authenticating server accepts.
    pub authorized_clients: &'a [PublicKey],
    #[cfg(feature = "hazmat")]
    /// Receives every derived secret (known-answer vectors only).
    pub key_log: Option<&'a dyn KeyLog>,
}

impl<'a> ServerConfig<'a> {
    /// A configuration for the given identity and client policy.
    #[must_use]
    pub fn new(
        identity: &'a dyn Signer,
        require_client_auth: bool,
        authorized_clients: &'a [PublicKey],
    ) -> Self {
        Self {
            identity,
            require_client_auth,
            authorized_clients,
            #[cfg(feature = "hazmat")]
            key_log: None,
        }
    }

    #[cfg(feature = "hazmat")]
    fn key_log(&self) -> Option<&'a dyn KeyLog> {
        self.key_log
    }
}

impl core::fmt::Debug for ServerConfig<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("identity", &self.identity.public_key())
            .field("require_client_auth", &self.require_client_auth)
            .field("authorized_clients", &self.authorized_clients)
            .finish_non_exhaustive()
    }
}

/// The server's handshake: one enum, one variant per state.
// Variants are held by value: the crate is no_std without alloc, and a
// handshake lives once per connection, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ServerState {
    /// Waiting for CLIENT_HELLO.
    ExpectClientHello(ExpectClientHello),
    /// SERVER_HELLO sent; waiting for CLIENT_AUTH.
    ExpectClientAuth(ExpectClientAuth),
    /// The client is authenticated (or accepted as anonymous).
    Complete(Established),
}

impl ServerState {
    /// A fresh server handshake.
    #[must_use]
    pub fn new() -> Self {
        Self::ExpectClientHello(ExpectClientHello)
    }

    /// Feeds one complete frame from the client; may write SERVER_HELLO to
    /// `out`. Returns the next state and the number of bytes written.
    ///
    /// # Errors
    /// Any [`Error`]: the handshake is over (the state was consumed).
    pub fn handle<R: TryCryptoRng + ?Sized>(
        self,
        frame: &Frame<'_>,
        config: &ServerConfig<'_>,
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<(Self, usize), Error> {
        match self {
            Self::ExpectClientHello(state) => {
                let (next, n) = state.handle(frame, config, rng, out)?;
                Ok((Self::ExpectClientAuth(next), n))
            }
            Self::ExpectClientAuth(state) => Ok((Self::Complete(state.handle(frame, config)?), 0)),
            Self::Complete(_) => Err(Error::UnexpectedFrame {
                expected: &[FrameType::DATA],
                got: frame.header.frame_type,
            }),
        }
    }
}

impl Default for ServerState {
    fn default() -> Self {
        Self::new()
    }
}

/// Waiting for CLIENT_HELLO. Holds nothing: no resources are committed to a
/// client before its first message.
#[derive(Debug, Default)]
pub struct ExpectClientHello;

impl ExpectClientHello {
    /// Processes CLIENT_HELLO and writes SERVER_HELLO (1237 bytes) to `out`.
    /// Draws 32 bytes from `rng` for the ephemeral key, then 32 for the
    /// ML-KEM encapsulation's `m`, after checking the message (the client's
    /// encapsulation key included) and the size of `out`.
    ///
    /// # Errors
    /// An unexpected frame, a malformed or unsupported CLIENT_HELLO, a short
    /// `out`, a failing RNG ([`Error::Rng`]), a non-contributory key share,
    /// or a failing signer.
    pub fn handle<R: TryCryptoRng + ?Sized>(
        self,
        frame: &Frame<'_>,
        config: &ServerConfig<'_>,
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<(ExpectClientAuth, usize), Error> {
        if frame.header.frame_type != FrameType::CLIENT_HELLO {
            return Err(Error::UnexpectedFrame {
                expected: &[FrameType::CLIENT_HELLO],
                got: frame.header.frame_type,
            });
        }
        let hello = ClientHello::parse(frame.body)?;
        let msg = region(out, 0, SERVER_HELLO_FRAME_LEN)?;
        // The FIPS 203 modulus check, before any randomness is drawn.
        let kem_key = KemEncapsulationKey::from_bytes(&hello.kem_key)
            .map_err(|_| PeerMisbehaved::InvalidKemKey)?;
        let mut transcript = Transcript::new();
        transcript.update(&frame.header.to_bytes());
        transcript.update(frame.body);

        // `generate` fails only when the RNG does.
        let ephemeral = EphemeralSecret::generate(rng).map_err(|_| Error::Rng)?;
        let ephemeral_public = ephemeral.public_key();
        let shared = ephemeral
            .diffie_hellman(&hello.ephemeral)
            .map_err(|_| PeerMisbehaved::NonContributoryKeyShare)?;
        // `encapsulate` fails only when the RNG does.
        let (kem_ciphertext, kem_shared) = kem_key.encapsulate(rng).map_err(|_| Error::Rng)?;
        let flags = if config.require_client_auth {
            ServerFlags::CLIENT_AUTH_REQUIRED
        } else {
            ServerFlags(0)
        };

        // TH2 covers the clear part (header || version || flags || e_s || ct),
        // which the sealed part then depends on.
        let clear = ServerHello {
            version: VERSION_1,
            flags,
            ephemeral: ephemeral_public,
            kem_ciphertext,
            sealed: &[],
        };
        transcript.update(&clear.to_clear_bytes());
        let th2 = transcript.hash();

        #[cfg(feature = "hazmat")]
        log(
            config.key_log(),
            "keys.dh",
            &shared.to_bytes_for_testing_only(),
        );
        #[cfg(feature = "hazmat")]
        log(
            config.key_log(),
            "keys.kem_ss",
            &kem_shared.to_bytes_for_testing_only(),
        );
        let secret = HandshakeSecret::from_hybrid(shared, kem_shared);
        let keys = secret.handshake_keys(&th2);

        let identity = config.identity.public_key();
        let th_s = hash_with(&transcript, &[identity.as_bytes()]);
        let signature = Signing::Server.sign(config.identity, &th_s)?;
        let mut sealed = [0u8; SEALED_SERVER_IDENTITY_LEN];
        let (plain, tag_out) = sealed.split_at_mut(SERVER_IDENTITY_LEN);
        ServerIdentity {
            identity: identity.to_bytes(),
            signature,
        }
        .encode(plain)?;
        let tag = keys.server.seal_in_place(&th2, plain);
        tag_out.copy_from_slice(&tag);
        transcript.update(&sealed);
        let n = ServerHello {
            sealed: &sealed,
            ..clear
        }
        .encode(msg)?;
        #[cfg(feature = "hazmat")]
        {
            log(config.key_log(), "transcript.th2", &th2);
            log(config.key_log(), "transcript.th_s", &th_s);
            let hs_secret = secret.to_bytes_for_testing_only();
            log(config.key_log(), "keys.hs_secret", &hs_secret);
            log(
                config.key_log(),
                "keys.s_hs_key",
                &hazmat::server_handshake_key(&hs_secret, &th2),
            );
            log(
                config.key_log(),
                "keys.c_hs_key",
                &hazmat::client_handshake_key(&hs_secret, &th2),
            );
        }

        Ok((
            ExpectClientAuth {
                transcript,
                secret,
                client_key: keys.client,
            },
            n,
        ))
    }
}

/// SERVER_HELLO is out; the next frame must be CLIENT_AUTH.
pub struct ExpectClientAuth {
    transcript: Transcript,
    secret: HandshakeSecret,
    client_key: HandshakeKey,
}

impl ExpectClientAuth {
    /// Processes CLIENT_AUTH: decrypts it, verifies the client's signature
    /// strictly, and applies the server's client policy.
    ///
    /// # Errors
    /// An unexpected frame, a malformed message, a failed decryption, a bad
    /// signature, or [`Error::UnauthorizedClient`].
    pub fn handle(
        self,
        frame: &Frame<'_>,
        config: &ServerConfig<'_>,
    ) -> Result<Established, Error> {
        if frame.header.frame_type != FrameType::CLIENT_AUTH {
            return Err(Error::UnexpectedFrame {
                expected: &[FrameType::CLIENT_AUTH],
                got: frame.header.frame_type,
            });
        }
        let plain_len = frame
            .body
            .len()
            .checked_sub(TAG_LEN)
            .filter(|&n| n <= MAX_CLIENT_PLAIN)
            .ok_or(Error::Decode(ossuary_wire::DecodeError::BadLength {
                frame_type: FrameType::CLIENT_AUTH,
                len: frame.body.len(),
            }))?;
        let mut transcript = self.transcript;
        transcript.update(&frame.header.to_bytes());
        let th3h = transcript.hash();
        #[cfg(feature = "hazmat")]
        log(config.key_log(), "transcript.th3h", &th3h);

        let mut buf = [0u8; MAX_CLIENT_PLAIN];
        let plain = region(&mut buf, 0, plain_len)?;
        plain.copy_from_slice(part(frame.body, 0, plain_len)?);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(part(frame.body, plain_len, TAG_LEN)?);
        self.client_key
            .open_in_place(&th3h, plain, &tag)
            .map_err(|_| PeerMisbehaved::HandshakeDecryptFailed)?;

        let remote = match ClientIdentity::parse(plain)? {
            ClientIdentity::Anonymous if config.require_client_auth => {
                return Err(Error::UnauthorizedClient(None));
            }
            ClientIdentity::Anonymous => None,
            ClientIdentity::Identity {
                identity,
                signature,
            } => {
                let th_c = hash_with(&transcript, &[&[1], &identity]);
                #[cfg(feature = "hazmat")]
                log(config.key_log(), "transcript.th_c", &th_c);
                let key = Signing::Client.verify(&identity, &th_c, &signature)?;
                if config.require_client_auth && !config.authorized_clients.contains(&key) {
                    return Err(Error::UnauthorizedClient(Some(key)));
                }
                Some(key)
            }
        };
        transcript.update(frame.body);
        let th = transcript.hash();
        #[cfg(feature = "hazmat")]
        log(config.key_log(), "transcript.th", &th);
        let traffic = self.secret.into_traffic(&th);
        #[cfg(feature = "hazmat")]
        crate::established::log_traffic(config.key_log(), &traffic);
        let (sealer, opener) = traffic.into_record_keys(Role::Server);
        Ok(Established::new(sealer, opener, remote, th))
    }
}

impl core::fmt::Debug for ExpectClientAuth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExpectClientAuth").finish_non_exhaustive()
    }
}
