//! The client (initiator) state machine.
//!
//! ```text
//!  start() ──CLIENT_HELLO──▶ ExpectServerHello
//!                                 │ SERVER_HELLO (decrypt, strict signature check)
//!                                 ▼
//!               server key trusted? ──no──▶ UntrustedServer ──approve()──┐
//!                                 │yes                    └─reject()─▶ Error::UntrustedServer
//!                                 ▼                                      │
//!                    Complete ◀──CLIENT_AUTH── finish() ◀────────────────┘
//! ```

#[cfg(feature = "hazmat")]
use ossuary_crypto::hazmat;
use ossuary_crypto::{
    EphemeralSecret, HandshakeKey, HandshakeSecret, KemDecapsulationKey, PublicKey, Role, Signer,
    Transcript, TryCryptoRng,
};
use ossuary_wire::{
    CLIENT_AUTH_ANON_BODY_LEN, CLIENT_AUTH_IDENTITY_BODY_LEN, CLIENT_HELLO_FRAME_LEN, ClientHello,
    ClientIdentity, Frame, FrameType, HEADER_LEN, Header, SERVER_HELLO_CLEAR_LEN,
    SERVER_IDENTITY_LEN, ServerFlags, ServerHello, ServerIdentity,
};

use crate::buf::{part, region};
use crate::error::{Error, PeerMisbehaved};
use crate::established::Established;
#[cfg(feature = "hazmat")]
use crate::key_log::{KeyLog, log};
use crate::signature::{Signing, hash_with};

const TAG_LEN: usize = ossuary_crypto::TAG_LEN;

/// What a client brings to a handshake.
#[derive(Clone, Copy)]
pub struct ClientConfig<'a> {
    /// The client's identity, or `None` to stay anonymous.
    pub identity: Option<&'a dyn Signer>,
    /// Server identity keys accepted without asking the application.
    pub trusted_servers: &'a [PublicKey],
    #[cfg(feature = "hazmat")]
    /// Receives every derived secret (known-answer vectors only).
    pub key_log: Option<&'a dyn KeyLog>,
}

impl<'a> ClientConfig<'a> {
    /// A configuration with the given identity and trusted server keys.
    #[must_use]
    pub fn new(identity: Option<&'a dyn Signer>, trusted_servers: &'a [PublicKey]) -> Self {
        Self {
            identity,
            trusted_servers,
            #[cfg(feature = "hazmat")]
            key_log: None,
        }
    }

    #[cfg(feature = "hazmat")]
    fn key_log(&self) -> Option<&'a dyn KeyLog> {
        self.key_log
    }
}

impl core::fmt::Debug for ClientConfig<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("identity", &self.identity.map(|s| s.public_key()))
            .field("trusted_servers", &self.trusted_servers)
            .finish_non_exhaustive()
    }
}

/// The client's handshake: one enum, one variant per state.
// Variants are held by value: the crate is no_std without alloc, and a
// handshake lives once per connection, so the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum ClientState {
    /// CLIENT_HELLO sent; waiting for SERVER_HELLO.
    ExpectServerHello(ExpectServerHello),
    /// The server proved its identity key, but the key is not trusted yet: the
    /// handshake is paused until the application calls
    /// [`ServerAuthenticated::finish`] (approve) or drops it (reject).
    UntrustedServer(ServerAuthenticated),
    /// CLIENT_AUTH sent; the client may send records.
    Complete(Established),
}

impl ClientState {
    /// Starts a handshake: writes CLIENT_HELLO (1253 bytes) to `out`.
    ///
    /// Draws 32 bytes for the ephemeral key, 32 for the client random, then
    /// 64 for the ML-KEM-768 key pair's seed `d || z` (PROTOCOL.md §3.1).
    /// Any [`CryptoRng`](ossuary_crypto::CryptoRng) will do; an RNG that can
    /// fail (such as getrandom's `SysRng`) is passed as it is.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `out` is shorter than 1253 bytes (nothing is
    /// drawn); [`Error::Rng`] if `rng` fails.
    pub fn start<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<(Self, usize), Error> {
        let (state, n) = ExpectServerHello::start(rng, out)?;
        Ok((Self::ExpectServerHello(state), n))
    }

    /// Feeds one complete frame from the server. Writes CLIENT_AUTH to `out`
    /// when the server's key is trusted; returns the next state and the number
    /// of bytes written.
    ///
    /// # Errors
    /// Any [`Error`]: the handshake is over (the state was consumed).
    pub fn handle(
        self,
        frame: &Frame<'_>,
        config: &ClientConfig<'_>,
        out: &mut [u8],
    ) -> Result<(Self, usize), Error> {
        match self {
            Self::ExpectServerHello(state) => {
                let auth = state.handle(frame, config)?;
                if auth.client_auth_required() && config.identity.is_none() {
                    // Fail before asking the application about a server we cannot use.
                    return Err(Error::ClientIdentityRequired);
                }
                if config.trusted_servers.contains(auth.server_key()) {
                    let (done, n) = auth.finish(config, out)?;
                    Ok((Self::Complete(done), n))
                } else {
                    Ok((Self::UntrustedServer(auth), 0))
                }
            }
            Self::UntrustedServer(_) => Err(Error::UnexpectedFrame {
                expected: &[],
                got: frame.header.frame_type,
            }),
            Self::Complete(_) => Err(Error::UnexpectedFrame {
                expected: &[FrameType::DATA],
                got: frame.header.frame_type,
            }),
        }
    }
}

/// CLIENT_HELLO is out; the next frame must be SERVER_HELLO.
pub struct ExpectServerHello {
    ephemeral: EphemeralSecret,
    kem: KemDecapsulationKey,
    transcript: Transcript,
}

impl ExpectServerHello {
    /// Writes CLIENT_HELLO to `out` and returns the waiting state.
    ///
    /// # Errors
    /// As [`ClientState::start`].
    pub fn start<R: TryCryptoRng + ?Sized>(
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<(Self, usize), Error> {
        // Check the buffer before drawing randomness, so a failed call draws nothing.
        let frame = region(out, 0, CLIENT_HELLO_FRAME_LEN)?;
        // `generate` fails only when the RNG does.
        let ephemeral = EphemeralSecret::generate(rng).map_err(|_| Error::Rng)?;
        let mut random = [0u8; 32];
        rng.try_fill_bytes(&mut random).map_err(|_| Error::Rng)?;
        // `generate` fails only when the RNG does.
        let kem = KemDecapsulationKey::generate(rng).map_err(|_| Error::Rng)?;
        let hello = ClientHello::new(ephemeral.public_key(), random, *kem.encapsulation_key());
        let n = hello.encode(frame)?;
        let mut transcript = Transcript::new();
        transcript.update(part(frame, 0, n)?);
        Ok((
            Self {
                ephemeral,
                kem,
                transcript,
            },
            n,
        ))
    }

    /// Processes SERVER_HELLO: key agreement, decryption of the server's
    /// identity, strict signature verification. Trust is decided by the caller.
    ///
    /// # Errors
    /// An unexpected frame, a malformed message, a non-contributory key share,
    /// a failed decryption or a bad signature.
    pub fn handle(
        self,
        frame: &Frame<'_>,
        #[allow(unused_variables)] config: &ClientConfig<'_>,
    ) -> Result<ServerAuthenticated, Error> {
        if frame.header.frame_type != FrameType::SERVER_HELLO {
            return Err(Error::UnexpectedFrame {
                expected: &[FrameType::SERVER_HELLO],
                got: frame.header.frame_type,
            });
        }
        let hello = ServerHello::parse(frame.body)?;
        let mut transcript = self.transcript;
        transcript.update(&frame.header.to_bytes());
        transcript.update(part(frame.body, 0, SERVER_HELLO_CLEAR_LEN - HEADER_LEN)?);
        let th2 = transcript.hash();

        let shared = self
            .ephemeral
            .diffie_hellman(&hello.ephemeral)
            .map_err(|_| PeerMisbehaved::NonContributoryKeyShare)?;
        #[cfg(feature = "hazmat")]
        log(
            config.key_log(),
            "keys.dh",
            &shared.to_bytes_for_testing_only(),
        );
        let kem_shared = self.kem.decapsulate(&hello.kem_ciphertext);
        #[cfg(feature = "hazmat")]
        log(
            config.key_log(),
            "keys.kem_ss",
            &kem_shared.to_bytes_for_testing_only(),
        );
        let secret = HandshakeSecret::from_hybrid(shared, kem_shared);
        let keys = secret.handshake_keys(&th2);
        #[cfg(feature = "hazmat")]
        {
            log(config.key_log(), "transcript.th2", &th2);
            let hs_secret = secret.to_bytes_for_testing_only();
            log(config.key_log(), "keys.hs_secret", &hs_secret);
            log(
                config.key_log(),
                "keys.c_hs_key",
                &hazmat::client_handshake_key(&hs_secret, &th2),
            );
            log(
                config.key_log(),
                "keys.s_hs_key",
                &hazmat::server_handshake_key(&hs_secret, &th2),
            );
        }

        let mut plain = [0u8; SERVER_IDENTITY_LEN];
        plain.copy_from_slice(part(hello.sealed, 0, SERVER_IDENTITY_LEN)?);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(part(hello.sealed, SERVER_IDENTITY_LEN, TAG_LEN)?);
        keys.server
            .open_in_place(&th2, &mut plain, &tag)
            .map_err(|_| PeerMisbehaved::HandshakeDecryptFailed)?;
        let id = ServerIdentity::parse(&plain)?;
        let th_s = hash_with(&transcript, &[&id.identity]);
        #[cfg(feature = "hazmat")]
        log(config.key_log(), "transcript.th_s", &th_s);
        let server_key = Signing::Server.verify(&id.identity, &th_s, &id.signature)?;

        transcript.update(hello.sealed);
        Ok(ServerAuthenticated {
            transcript,
            secret,
            client_key: keys.client,
            server_key,
            flags: hello.flags,
        })
    }
}

impl core::fmt::Debug for ExpectServerHello {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExpectServerHello").finish_non_exhaustive()
    }
}

/// The server has proven possession of [`Self::server_key`]. If that key is
/// not trusted the handshake pauses here (Trust-On-First-Use).
pub struct ServerAuthenticated {
    transcript: Transcript,
    secret: HandshakeSecret,
    client_key: HandshakeKey,
    server_key: PublicKey,
    flags: ServerFlags,
}

impl ServerAuthenticated {
    /// The server's identity key, verified by its transcript signature.
    #[must_use]
    pub fn server_key(&self) -> &PublicKey {
        &self.server_key
    }

    /// Whether the server asked for client authentication.
    #[must_use]
    pub fn client_auth_required(&self) -> bool {
        self.flags.contains(ServerFlags::CLIENT_AUTH_REQUIRED)
    }

    /// Accepts the server and writes CLIENT_AUTH (20 or 116 bytes) to `out`:
    /// the client's identity and signature, or the anonymous marker.
    ///
    /// # Errors
    /// [`Error::ClientIdentityRequired`] if the server requires a client
    /// identity and `config` has none; [`Error::Signer`];
    /// [`Error::BufferTooSmall`] (nothing is written, the state is consumed).
    pub fn finish(
        self,
        config: &ClientConfig<'_>,
        out: &mut [u8],
    ) -> Result<(Established, usize), Error> {
        let identity = match (config.identity, self.client_auth_required()) {
            (None, true) => return Err(Error::ClientIdentityRequired),
            (identity, _) => identity,
        };
        let body_len = if identity.is_some() {
            CLIENT_AUTH_IDENTITY_BODY_LEN
        } else {
            CLIENT_AUTH_ANON_BODY_LEN
        };
        let plain_len = body_len - TAG_LEN;
        let frame = region(out, 0, HEADER_LEN + body_len)?;
        let header = Header::new(FrameType::CLIENT_AUTH, body_len)?.to_bytes();

        let mut transcript = self.transcript;
        transcript.update(&header);
        let th3h = transcript.hash();
        let plain = match identity {
            None => ClientIdentity::Anonymous,
            Some(signer) => {
                let key = signer.public_key();
                let th_c = hash_with(&transcript, &[&[1], key.as_bytes()]);
                #[cfg(feature = "hazmat")]
                log(config.key_log(), "transcript.th_c", &th_c);
                ClientIdentity::Identity {
                    identity: key.to_bytes(),
                    signature: Signing::Client.sign(signer, &th_c)?,
                }
            }
        };
        region(frame, 0, HEADER_LEN)?.copy_from_slice(&header);
        let body = region(frame, HEADER_LEN, body_len)?;
        let (sealed, tag_out) = body.split_at_mut(plain_len);
        plain.encode(sealed)?;
        let tag = self.client_key.seal_in_place(&th3h, sealed);
        tag_out.copy_from_slice(&tag);
        transcript.update(body);
        let th = transcript.hash();
        #[cfg(feature = "hazmat")]
        {
            log(config.key_log(), "transcript.th3h", &th3h);
            log(config.key_log(), "transcript.th", &th);
        }

        let traffic = self.secret.into_traffic(&th);
        #[cfg(feature = "hazmat")]
        crate::established::log_traffic(config.key_log(), &traffic);
        let (sealer, opener) = traffic.into_record_keys(Role::Client);
        Ok((
            Established::new(sealer, opener, Some(self.server_key), th),
            HEADER_LEN + body_len,
        ))
    }

    /// Refuses the server's key. Returns the error to report (its RESET
    /// reason is "server not trusted"); the handshake secrets are erased.
    #[must_use]
    pub fn reject(self) -> Error {
        Error::UntrustedServer
    }
}

impl core::fmt::Debug for ServerAuthenticated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerAuthenticated")
            .field("server_key", &self.server_key)
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}
