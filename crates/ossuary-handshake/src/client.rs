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
    EphemeralSecret, HandshakeKey, HandshakeSecret, PublicKey, Role, Signer, Transcript,
    TryCryptoRng,
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
    /// Starts a handshake: writes CLIENT_HELLO (69 bytes) to `out`.
    ///
    /// Draws 32 bytes for the ephemeral key, then 32 for the client random.
    /// Any [`CryptoRng`](ossuary_crypto::CryptoRng) will do; an RNG that can
    /// fail (such as getrandom's `SysRng`) is passed as it is.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] if `out` is shorter than 69 bytes (nothing is
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
        let hello = ClientHello::new(ephemeral.public_key(), random);
        let n = hello.encode(frame)?;
        let mut transcript = Transcript::new();
        transcript.update(part(frame, 0, n)?);
        Ok((
            Self {
                ephemeral,
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
        let secret = HandshakeSecret::from_shared(shared);
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

#[cfg(test)]
mod tests {
    extern crate std;

    use std::format;
    use std::string::String;
    use std::vec::Vec;

    use ossuary_crypto::SecretKey;
    use ossuary_testkit::PresetRng;
    use ossuary_wire::Parsed;

    use super::*;
    use crate::server::{ServerConfig, ServerState};

    const CLIENT_RNG: [u8; 64] = [0xc1; 64];
    const SERVER_RNG: [u8; 32] = [0x5e; 32];
    const CLIENT_SEED: [u8; 32] = [0xc5; 32];
    const SERVER_SEED: [u8; 32] = [0x55; 32];

    fn frame(bytes: &[u8]) -> Frame<'_> {
        match Frame::parse(bytes) {
            Ok(Parsed::Complete { value, .. }) => value,
            other => panic!("not a frame: {other:?}"),
        }
    }

    fn to_hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `debug` shows `secret` neither as hex (any case, not even its first 8
    /// bytes) nor as the default `[1, 2, ..]` list.
    fn assert_redacted(debug: &str, secret: &[u8]) {
        let hex = to_hex(secret);
        let lower = debug.to_lowercase();
        assert!(!lower.contains(&hex[..16]), "{debug} leaks {hex}");
        let list = format!("{secret:?}");
        let inner = list.trim_start_matches('[').trim_end_matches(']');
        assert!(!debug.contains(inner), "{debug} leaks {list}");
    }

    /// The Debug output of every client state of one handshake, then of the
    /// config and the record keys. An untrusted server is approved.
    struct Run {
        debugs: Vec<String>,
        remote: PublicKey,
    }

    fn run(client: &ClientConfig<'_>, server: &ServerConfig<'_>) -> Run {
        let mut debugs = Vec::new();
        let mut m1 = [0u8; 69];
        let (c, _) = ClientState::start(&mut PresetRng::new(&CLIENT_RNG), &mut m1).unwrap();
        debugs.push(format!("{c:?}"));
        let mut m2 = [0u8; 149];
        let (_, _) = ServerState::new()
            .handle(
                &frame(&m1),
                server,
                &mut PresetRng::new(&SERVER_RNG),
                &mut m2,
            )
            .unwrap();
        let mut out = [0u8; 116];
        let (mut c, _) = c.handle(&frame(&m2), client, &mut out).unwrap();
        debugs.push(format!("{c:?}"));
        if let ClientState::UntrustedServer(auth) = c {
            debugs.push(format!("{auth:?}"));
            c = ClientState::Complete(auth.finish(client, &mut out).unwrap().0);
            debugs.push(format!("{c:?}"));
        }
        let ClientState::Complete(done) = c else {
            panic!("client did not complete");
        };
        debugs.push(format!("{done:?}"));
        debugs.push(format!("{client:?}"));
        let remote = *done.remote_identity().unwrap();
        // The record keys themselves.
        let (sealer, opener, _) = done.into_parts();
        debugs.push(format!("{sealer:?} {opener:?}"));
        Run { debugs, remote }
    }

    #[test]
    fn debug_lists_only_public_fields() {
        let server_key = SecretKey::from_bytes(&SERVER_SEED);
        let client_key = SecretKey::from_bytes(&CLIENT_SEED);
        let pk = server_key.public_key();
        let server = ServerConfig::new(&server_key, false, &[]);
        let client = ClientConfig::new(Some(&client_key), &[]);
        let r = run(&client, &server);
        assert_eq!(r.remote, pk);
        let expected = [
            String::from("ExpectServerHello(ExpectServerHello { .. })"),
            format!(
                "UntrustedServer(ServerAuthenticated {{ server_key: {pk:?}, flags: ServerFlags(NONE), .. }})"
            ),
            format!("ServerAuthenticated {{ server_key: {pk:?}, flags: ServerFlags(NONE), .. }}"),
            format!("Complete(Established {{ remote: Some({pk:?}), .. }})"),
            format!("Established {{ remote: Some({pk:?}), .. }}"),
            format!(
                "ClientConfig {{ identity: Some({:?}), trusted_servers: [], .. }}",
                client_key.public_key()
            ),
            String::from("RecordSealer { counter: 0, .. } RecordOpener { counter: 0, .. }"),
        ];
        assert_eq!(r.debugs, expected);
        for d in &r.debugs {
            // Neither the randomness (ephemeral scalar, random_c is public
            // but drawn alongside), nor the identity seeds.
            assert_redacted(d, &CLIENT_RNG[..32]);
            assert_redacted(d, &SERVER_RNG);
            assert_redacted(d, &CLIENT_SEED);
            assert_redacted(d, &SERVER_SEED);
        }
    }

    /// An RNG that fills `successes` requests, then fails, as an OS RNG can.
    struct FailingRng {
        successes: usize,
    }

    #[derive(Debug)]
    struct NoEntropy;

    impl core::fmt::Display for NoEntropy {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.write_str("no entropy")
        }
    }

    impl core::error::Error for NoEntropy {}

    impl FailingRng {
        fn draw(&mut self) -> Result<(), NoEntropy> {
            self.successes = self.successes.checked_sub(1).ok_or(NoEntropy)?;
            Ok(())
        }
    }

    impl ossuary_crypto::TryRng for FailingRng {
        type Error = NoEntropy;

        fn try_next_u32(&mut self) -> Result<u32, NoEntropy> {
            self.draw().map(|()| 7)
        }

        fn try_next_u64(&mut self) -> Result<u64, NoEntropy> {
            self.draw().map(|()| 7)
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), NoEntropy> {
            self.draw().map(|()| dst.fill(7))
        }
    }

    impl TryCryptoRng for FailingRng {}

    #[test]
    fn a_failing_rng_is_an_error_not_a_panic() {
        // The ephemeral key's draw fails, then the client random's.
        for successes in [0, 1] {
            let mut out = [0u8; 69];
            let got = ClientState::start(&mut FailingRng { successes }, &mut out);
            assert_eq!(got.err(), Some(Error::Rng), "after {successes} draws");
            assert_eq!(out, [0u8; 69], "nothing was written");
        }
        // The server's ephemeral key.
        let server_key = SecretKey::from_bytes(&SERVER_SEED);
        let server = ServerConfig::new(&server_key, false, &[]);
        let mut m1 = [0u8; 69];
        ClientState::start(&mut PresetRng::new(&CLIENT_RNG), &mut m1).unwrap();
        let mut m2 = [0u8; 149];
        let got = ServerState::new().handle(
            &frame(&m1),
            &server,
            &mut FailingRng { successes: 0 },
            &mut m2,
        );
        assert_eq!(got.err(), Some(Error::Rng));
        assert_eq!(m2, [0u8; 149], "nothing was written");
        assert_eq!(
            std::string::ToString::to_string(&Error::Rng),
            "the random number generator failed"
        );
    }

    #[test]
    fn a_fallible_rng_is_passed_as_it_is() {
        // Two draws (the ephemeral key, the client random) are all a client
        // start takes from an RNG that may fail.
        let mut out = [0u8; 69];
        let (state, n) = ClientState::start(&mut FailingRng { successes: 2 }, &mut out).unwrap();
        assert_eq!(n, 69);
        assert!(matches!(state, ClientState::ExpectServerHello(_)));
    }

    #[test]
    fn debug_of_a_paused_authenticating_handshake() {
        let server_key = SecretKey::from_bytes(&SERVER_SEED);
        let client_key = SecretKey::from_bytes(&CLIENT_SEED);
        let authorized = [client_key.public_key()];
        let server = ServerConfig::new(&server_key, true, &authorized);
        let client = ClientConfig::new(Some(&client_key), &[]);
        let r = run(&client, &server);
        assert!(
            r.debugs[1].contains("flags: ServerFlags(CLIENT_AUTH_REQUIRED)"),
            "{}",
            r.debugs[1]
        );
    }

    #[cfg(feature = "hazmat")]
    mod hazmat {
        use core::cell::RefCell;

        use super::*;
        use crate::key_log::KeyLog;

        /// Collects every logged value.
        #[derive(Default)]
        struct Collect(RefCell<Vec<(&'static str, Vec<u8>)>>);

        impl KeyLog for Collect {
            fn log(&self, name: &'static str, value: &[u8]) {
                self.0.borrow_mut().push((name, value.to_vec()));
            }
        }

        #[test]
        fn debug_never_shows_a_derived_secret() {
            let server_key = SecretKey::from_bytes(&SERVER_SEED);
            let client_key = SecretKey::from_bytes(&CLIENT_SEED);
            for (identity, trusted) in [(true, false), (false, true)] {
                let client_log = Collect::default();
                let server_log = Collect::default();
                let trusted_list = [server_key.public_key()];
                let mut client = ClientConfig::new(
                    identity.then_some(&client_key as &dyn Signer),
                    if trusted { &trusted_list } else { &[] },
                );
                client.key_log = Some(&client_log);
                let mut server = ServerConfig::new(&server_key, false, &[]);
                server.key_log = Some(&server_log);
                let r = run(&client, &server);

                let logged = client_log.0.borrow();
                let names: Vec<_> = logged.iter().map(|(n, _)| *n).collect();
                for name in [
                    "keys.dh",
                    "keys.hs_secret",
                    "keys.c_hs_key",
                    "keys.s_hs_key",
                    "keys.c_ap_0",
                    "keys.s_ap_0",
                    "transcript.th2",
                    "transcript.th_s",
                    "transcript.th3h",
                    "transcript.th",
                ] {
                    assert!(names.contains(&name), "{name} not logged: {names:?}");
                }
                assert_eq!(names.contains(&"transcript.th_c"), identity);
                // The two sides derive the same values.
                for (name, value) in server_log.0.borrow().iter() {
                    if let Some((_, mine)) = logged.iter().find(|(n, _)| n == name) {
                        assert_eq!(mine, value, "{name} differs between the sides");
                    }
                }
                for (name, value) in logged.iter().chain(server_log.0.borrow().iter()) {
                    for d in &r.debugs {
                        assert!(
                            !d.to_lowercase().contains(&to_hex(value)[..16]),
                            "{d} shows {name}"
                        );
                    }
                }
            }
        }
    }
}
