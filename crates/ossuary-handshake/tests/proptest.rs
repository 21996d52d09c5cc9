//! Property tests: arbitrary frames fed to every handshake state never panic
//! and give the typed result an independent oracle predicts; short output
//! buffers fail with `BufferTooSmall` before any randomness is drawn.

mod common;

use std::sync::OnceLock;

use common::*;
use ossuary_crypto::KemEncapsulationKey;
use ossuary_handshake::{
    ClientConfig, ClientState, Error, ExpectServerHello, PeerMisbehaved, ServerConfig, ServerState,
};
use ossuary_testkit::PresetRng;
use ossuary_testkit::x25519::is_low_order;
use ossuary_testkit::x25519::low_order_points;
use ossuary_wire::{
    CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_FRAME_LEN, CLIENT_HELLO_FRAME_LEN,
    ClientHello, DecodeError, Frame, FrameType, SERVER_HELLO_FRAME_LEN, ServerHello,
};
use proptest::prelude::*;

const DECRYPT: Error = Error::PeerMisbehaved(PeerMisbehaved::HandshakeDecryptFailed);
const NON_CONTRIBUTORY: Error = Error::PeerMisbehaved(PeerMisbehaved::NonContributoryKeyShare);

/// The honest mutual session (computed once per test binary).
fn mutual() -> &'static Messages {
    static M: OnceLock<Messages> = OnceLock::new();
    M.get_or_init(honest_mutual)
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// A frame type: mostly the three handshake types, sometimes anything.
fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        3 => Just(FrameType::CLIENT_HELLO),
        3 => Just(FrameType::SERVER_HELLO),
        3 => Just(FrameType::CLIENT_AUTH),
        1 => Just(FrameType::DATA),
        1 => Just(FrameType::RESET),
        2 => any::<u8>().prop_map(FrameType),
    ]
}

/// An X25519 public key: random, or one of the low-order points.
fn ephemeral() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        4 => any::<[u8; 32]>(),
        1 => proptest::sample::select(low_order_points()),
    ]
}

/// An ML-KEM-768 encapsulation key: the honest one, or 1184 arbitrary bytes
/// (which almost never pass the modulus check).
fn kem_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(common::kem_key(&CLIENT_RNG).to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 1184),
    ]
}

/// A body: arbitrary bytes of any length up to 200, arbitrary bytes of a
/// handshake length, or a "valid-looking" CLIENT_HELLO / SERVER_HELLO body
/// (version 1, legal flags) that gets past the parser.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        proptest::sample::select(vec![17usize, 1250, 113, 1234])
            .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n)),
        (ephemeral(), any::<[u8; 32]>(), kem_key()).prop_map(|(e, r, ek)| {
            let mut b = vec![1, 0];
            b.extend_from_slice(&e);
            b.extend_from_slice(&r);
            b.extend_from_slice(&ek);
            b
        }),
        (
            0u8..2,
            ephemeral(),
            proptest::collection::vec(any::<u8>(), 1088 + 112)
        )
            .prop_map(|(flags, e, ct_and_sealed)| {
                let mut b = vec![1, flags];
                b.extend_from_slice(&e);
                b.extend_from_slice(&ct_and_sealed);
                b
            }),
    ]
}

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

/// What a handshake state must return for an arbitrary frame.
#[derive(Debug, PartialEq)]
enum Expect {
    /// The step succeeds (only a well-formed CLIENT_HELLO to a fresh server).
    Ok,
    Err(Error),
}

fn unexpected(expected: &'static [FrameType], got: FrameType) -> Expect {
    Expect::Err(Error::UnexpectedFrame { expected, got })
}

/// A fresh server, for CLIENT_HELLO: the wire parser's verdict, then the
/// ML-KEM modulus check, then the DH.
fn expect_server_hello_step(f: &Frame<'_>) -> Expect {
    if f.header.frame_type != FrameType::CLIENT_HELLO {
        return unexpected(&[FrameType::CLIENT_HELLO], f.header.frame_type);
    }
    match ClientHello::parse(f.body) {
        Err(e) => Expect::Err(Error::Decode(e)),
        Ok(h) if KemEncapsulationKey::from_bytes(&h.kem_key).is_err() => {
            Expect::Err(INVALID_KEM_KEY)
        }
        Ok(h) if is_low_order(&h.ephemeral) => Expect::Err(NON_CONTRIBUTORY),
        Ok(_) => Expect::Ok,
    }
}

/// A server waiting for CLIENT_AUTH: anything of a plausible length fails to
/// open (no forgery without the key).
fn expect_client_auth_step(f: &Frame<'_>) -> Expect {
    if f.header.frame_type != FrameType::CLIENT_AUTH {
        return unexpected(&[FrameType::CLIENT_AUTH], f.header.frame_type);
    }
    let len = f.body.len();
    if !(16..=113).contains(&len) {
        return Expect::Err(Error::Decode(DecodeError::BadLength {
            frame_type: FrameType::CLIENT_AUTH,
            len,
        }));
    }
    Expect::Err(DECRYPT)
}

/// A client waiting for SERVER_HELLO.
fn expect_server_hello_at_client(f: &Frame<'_>) -> Expect {
    if f.header.frame_type != FrameType::SERVER_HELLO {
        return unexpected(&[FrameType::SERVER_HELLO], f.header.frame_type);
    }
    match ServerHello::parse(f.body) {
        Err(e) => Expect::Err(Error::Decode(e)),
        Ok(h) if is_low_order(&h.ephemeral) => Expect::Err(NON_CONTRIBUTORY),
        Ok(_) => Expect::Err(DECRYPT),
    }
}

fn observed<T>(r: Result<T, Error>) -> Expect {
    match r {
        Ok(_) => Expect::Ok,
        Err(e) => Expect::Err(e),
    }
}

// ---------------------------------------------------------------------------
// Arbitrary frames in every state
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fresh_server_on_arbitrary_frames(t in frame_type(), body in body()) {
        let signer = CachedSigner::new(server_identity());
        let server = ServerConfig::new(&signer, false, &[]);
        let f = raw_frame(t, &body);
        let mut rng = PresetRng::new(&SERVER_RNG);
        let mut out = [0u8; 2048];
        let result = ServerState::new().handle(&f, &server, &mut rng, &mut out);
        let expected = expect_server_hello_step(&f);
        match &result {
            Ok((ServerState::ExpectClientAuth(_), n)) => {
                prop_assert_eq!(*n, SERVER_HELLO_FRAME_LEN);
                prop_assert_eq!(rng.remaining(), 0);
                prop_assert!(!rng.overdrawn());
            }
            Ok((other, _)) => prop_assert!(false, "unexpected state {:?}", other),
            Err(_) => {
                // A rejected CLIENT_HELLO writes nothing.
                prop_assert_eq!(&out[..], &[0u8; 2048][..]);
                if !matches!(expected, Expect::Err(e) if e == NON_CONTRIBUTORY) {
                    prop_assert_eq!(rng.remaining(), 64, "nothing drawn before the DH");
                }
            }
        }
        prop_assert_eq!(observed(result), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn server_expecting_client_auth_on_arbitrary_frames(t in frame_type(), body in body()) {
        let signer = CachedSigner::new(server_identity());
        let authorized = [client_identity().public_key()];
        let server = ServerConfig::new(&signer, true, &authorized);
        let (s, _) = answer_client_hello(&server, &SERVER_RNG, &mutual().client_hello).unwrap();
        let f = raw_frame(t, &body);
        let mut rng = PresetRng::new(&OTHER_SERVER_RNG);
        let result = s.handle(&f, &server, &mut rng, &mut [0u8; 2048]);
        prop_assert_eq!(rng.remaining(), 64);
        prop_assert_eq!(observed(result), expect_client_auth_step(&f));
    }

    #[test]
    fn client_expecting_server_hello_on_arbitrary_frames(t in frame_type(), body in body()) {
        let trusted = [server_identity().public_key()];
        let client = ClientConfig::new(None, &trusted);
        let (c, _) = start_client(&CLIENT_RNG);
        let f = raw_frame(t, &body);
        let mut out = [0u8; 2048];
        let result = c.handle(&f, &client, &mut out);
        prop_assert_eq!(&out[..], &[0u8; 2048][..]);
        prop_assert_eq!(observed(result), expect_server_hello_at_client(&f));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    #[test]
    fn paused_client_on_arbitrary_frames(t in frame_type(), body in body()) {
        let client = ClientConfig::new(None, &[]);
        let (c, _) = start_client(&CLIENT_RNG);
        let (c, _) = c.handle(&frame(honest_open_server_hello()), &client, &mut [0u8; 2048]).unwrap();
        prop_assert!(matches!(c, ClientState::UntrustedServer(_)));
        let f = raw_frame(t, &body);
        let result = c.handle(&f, &client, &mut [0u8; 2048]);
        prop_assert_eq!(observed(result), unexpected(&[], t));
    }

    #[test]
    fn complete_states_on_arbitrary_frames(t in frame_type(), body in body()) {
        let client_key = client_identity();
        let signer = CachedSigner::new(server_identity());
        let trusted = [server_identity().public_key()];
        let client = ClientConfig::new(Some(&client_key), &trusted);
        let m = mutual();
        let (c, _) = start_client(&CLIENT_RNG);
        let (c, _) = c.handle(&frame(&m.server_hello), &client, &mut [0u8; 2048]).unwrap();
        prop_assert!(matches!(c, ClientState::Complete(_)));
        // The server of `m`'s policy (authenticating), so `m` completes it.
        let authorized = [client_key.public_key()];
        let server = ServerConfig::new(&signer, true, &authorized);
        let (s, _) = answer_client_hello(&server, &SERVER_RNG, &m.client_hello).unwrap();
        let (s, _) = s.handle(&frame(&m.client_auth), &server, &mut PresetRng::new(&[]), &mut []).unwrap();
        prop_assert!(matches!(s, ServerState::Complete(_)));

        let f = raw_frame(t, &body);
        let result = c.handle(&f, &client, &mut [0u8; 2048]);
        prop_assert_eq!(observed(result), unexpected(&[FrameType::DATA], t));
        let result = s.handle(&f, &server, &mut PresetRng::new(&[]), &mut [0u8; 2048]);
        prop_assert_eq!(observed(result), unexpected(&[FrameType::DATA], t));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// `Frame`'s fields are public, so a caller can pass a header whose length
    /// disagrees with the body: no panic, and never a completed step except a
    /// CLIENT_HELLO the wire parser accepts.
    #[test]
    fn inconsistent_headers_never_panic(t in frame_type(), len: u16, body in body(), which in 0u8..3) {
        let f = Frame { header: ossuary_wire::Header { frame_type: t, len }, body: &body };
        let signer = CachedSigner::new(server_identity());
        let server = ServerConfig::new(&signer, false, &[]);
        let client = ClientConfig::new(None, &[]);
        let mut out = [0u8; 2048];
        match which {
            0 => {
                let r = ServerState::new().handle(&f, &server, &mut PresetRng::new(&SERVER_RNG), &mut out);
                if r.is_ok() {
                    prop_assert_eq!(expect_server_hello_step(&f), Expect::Ok);
                }
            }
            1 => {
                let (s, _) = answer_client_hello(&server, &SERVER_RNG, &mutual().client_hello).unwrap();
                prop_assert!(s.handle(&f, &server, &mut PresetRng::new(&[]), &mut out).is_err());
            }
            _ => {
                let (c, _) = start_client(&CLIENT_RNG);
                prop_assert!(c.handle(&f, &client, &mut out).is_err());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Short output buffers
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn client_start_with_short_buffer_draws_nothing(len in 0..CLIENT_HELLO_FRAME_LEN, fill: u8) {
        let mut out = vec![fill; len];
        let mut rng = PresetRng::new(&CLIENT_RNG);
        let err = ClientState::start(&mut rng, &mut out).unwrap_err();
        prop_assert_eq!(err, Error::BufferTooSmall { needed: CLIENT_HELLO_FRAME_LEN });
        prop_assert_eq!(rng.remaining(), 128);
        prop_assert!(!rng.overdrawn());
        prop_assert!(out.iter().all(|&b| b == fill), "nothing written");

        let err = ExpectServerHello::start(&mut rng, &mut out).unwrap_err();
        prop_assert_eq!(err, Error::BufferTooSmall { needed: CLIENT_HELLO_FRAME_LEN });
        prop_assert_eq!(rng.remaining(), 128);
    }

    #[test]
    fn server_with_short_buffer_draws_nothing(len in 0..SERVER_HELLO_FRAME_LEN, fill: u8) {
        let signer = CachedSigner::new(server_identity());
        let server = ServerConfig::new(&signer, false, &[]);
        let mut out = vec![fill; len];
        let mut rng = PresetRng::new(&SERVER_RNG);
        let err = ServerState::new()
            .handle(&frame(&mutual().client_hello), &server, &mut rng, &mut out)
            .unwrap_err();
        prop_assert_eq!(err, Error::BufferTooSmall { needed: SERVER_HELLO_FRAME_LEN });
        prop_assert_eq!(rng.remaining(), 64);
        prop_assert!(!rng.overdrawn());
        prop_assert!(out.iter().all(|&b| b == fill), "nothing written");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn client_auth_with_short_buffer_writes_nothing(
        identity: bool,
        paused: bool,
        shortfall in 1usize..=CLIENT_AUTH_IDENTITY_FRAME_LEN,
        fill: u8,
    ) {
        let client_key = client_identity();
        let trusted_list = [server_identity().public_key()];
        let trusted: &[_] = if paused { &[] } else { &trusted_list };
        let client = ClientConfig::new(identity.then_some(&client_key as _), trusted);
        let needed = if identity { CLIENT_AUTH_IDENTITY_FRAME_LEN } else { CLIENT_AUTH_ANON_FRAME_LEN };
        let len = needed.saturating_sub(shortfall);
        // SERVER_HELLO of an open server (no identity required).
        let m2 = honest_open_server_hello();
        let mut out = vec![fill; len];
        let (c, _) = start_client(&CLIENT_RNG);
        let err = if paused {
            let (c, n) = c.handle(&frame(m2), &client, &mut out).unwrap();
            prop_assert_eq!(n, 0);
            let ClientState::UntrustedServer(auth) = c else {
                return Err(TestCaseError::fail("expected the TOFU pause"));
            };
            auth.finish(&client, &mut out).unwrap_err()
        } else {
            c.handle(&frame(m2), &client, &mut out).unwrap_err()
        };
        prop_assert_eq!(err, Error::BufferTooSmall { needed });
        prop_assert!(out.iter().all(|&b| b == fill), "nothing written");
    }
}

/// SERVER_HELLO of an open server to the default CLIENT_HELLO.
fn honest_open_server_hello() -> &'static [u8] {
    static M: OnceLock<Vec<u8>> = OnceLock::new();
    M.get_or_init(|| honest_anonymous().server_hello)
}

// ---------------------------------------------------------------------------
// Arbitrary randomness
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn any_randomness_gives_agreeing_sessions(
        client_rng in proptest::collection::vec(any::<u8>(), 128),
        server_rng in any::<[u8; 64]>(),
        identity: bool,
    ) {
        let client_key = client_identity();
        let trusted = [server_identity().public_key()];
        let client = ClientConfig::new(identity.then_some(&client_key as _), &trusted);
        let signer = CachedSigner::new(server_identity());
        let server = ServerConfig::new(&signer, false, &[]);
        let o = try_handshake_with(&client_rng, &server_rng, &client, &server).unwrap();
        prop_assert_eq!(o.client.transcript_hash(), o.server.transcript_hash());
        prop_assert_eq!(o.messages.client_hello[37..69].to_vec(), client_rng[32..64].to_vec());
        assert_records_interoperate(o.client, o.server);
    }
}
