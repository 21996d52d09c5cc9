//! The client state machine seen from outside: `Debug` shows only public
//! fields, never a secret (the randomness, the identity seeds, a derived
//! key), and a failing RNG is an error, never a panic.

use ossuary_crypto::{PublicKey, SecretKey, TryCryptoRng};
use ossuary_handshake::{ClientConfig, ClientState, Error, ServerConfig, ServerState};
use ossuary_testkit::PresetRng;
use ossuary_testkit::bytes::assert_redacted;
use ossuary_testkit::wire::frame;

const CLIENT_RNG: [u8; 64] = [0xc1; 64];
const SERVER_RNG: [u8; 32] = [0x5e; 32];
const CLIENT_SEED: [u8; 32] = [0xc5; 32];
const SERVER_SEED: [u8; 32] = [0x55; 32];

/// The Debug output of every client state of one handshake, then of the
/// config and the record keys. An untrusted server is approved.
struct Run {
    debugs: Vec<String>,
    remote: PublicKey,
}

fn run(client: &ClientConfig<'_>, server: &ServerConfig<'_>) -> Run {
    let mut debugs = Vec::new();
    let mut m1 = [0u8; 1253];
    let (c, _) = ClientState::start(&mut PresetRng::new(&CLIENT_RNG), &mut m1).unwrap();
    debugs.push(format!("{c:?}"));
    let mut m2 = [0u8; 1237];
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
    // The ephemeral key's draw fails, then the client random's, then the
    // ML-KEM seed's.
    for successes in [0, 1, 2] {
        let mut out = [0u8; 1253];
        let got = ClientState::start(&mut FailingRng { successes }, &mut out);
        assert_eq!(got.err(), Some(Error::Rng), "after {successes} draws");
        assert_eq!(out, [0u8; 1253], "nothing was written");
    }
    // The server's ephemeral key, then its ML-KEM randomness.
    let server_key = SecretKey::from_bytes(&SERVER_SEED);
    let server = ServerConfig::new(&server_key, false, &[]);
    let mut m1 = [0u8; 1253];
    ClientState::start(&mut PresetRng::new(&CLIENT_RNG), &mut m1).unwrap();
    for successes in [0, 1] {
        let mut m2 = [0u8; 1237];
        let got =
            ServerState::new().handle(&frame(&m1), &server, &mut FailingRng { successes }, &mut m2);
        assert_eq!(got.err(), Some(Error::Rng), "after {successes} draws");
        assert_eq!(m2, [0u8; 1237], "nothing was written");
    }
    assert_eq!(
        std::string::ToString::to_string(&Error::Rng),
        "the random number generator failed"
    );
}

#[test]
fn a_fallible_rng_is_passed_as_it_is() {
    // Three draws (the ephemeral key, the client random, the ML-KEM seed)
    // are all a client start takes from an RNG that may fail.
    let mut out = [0u8; 1253];
    let (state, n) = ClientState::start(&mut FailingRng { successes: 3 }, &mut out).unwrap();
    assert_eq!(n, 1253);
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

    use ossuary_crypto::Signer;
    use ossuary_testkit::bytes::to_hex;

    use super::*;

    use ossuary_handshake::KeyLog;

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
