//! The server state machine seen from outside: `Debug` shows only public
//! fields, never a secret (the randomness, the identity seeds, a derived
//! key), and both sides log the same derived values.

use ossuary_crypto::SecretKey;
use ossuary_handshake::{ClientConfig, ClientState, ServerConfig, ServerState};
use ossuary_testkit::PresetRng;
use ossuary_testkit::bytes::assert_redacted;
use ossuary_testkit::wire::frame;

const CLIENT_RNG: [u8; 64] = [0x3c; 64];
const SERVER_RNG: [u8; 32] = [0xa7; 32];
const CLIENT_SEED: [u8; 32] = [0x4d; 32];
const SERVER_SEED: [u8; 32] = [0xd4; 32];

/// The Debug output of every server state of one handshake, then of the
/// config and the record keys.
fn run(client: &ClientConfig<'_>, server: &ServerConfig<'_>) -> Vec<String> {
    let mut debugs = Vec::new();
    let mut m1 = [0u8; 1253];
    let (c, _) = ClientState::start(&mut PresetRng::new(&CLIENT_RNG), &mut m1).unwrap();
    let s = ServerState::new();
    debugs.push(format!("{s:?}"));
    let mut m2 = [0u8; 1237];
    let (s, _) = s
        .handle(
            &frame(&m1),
            server,
            &mut PresetRng::new(&SERVER_RNG),
            &mut m2,
        )
        .unwrap();
    debugs.push(format!("{s:?}"));
    let mut m3 = [0u8; 116];
    let (c, n) = c.handle(&frame(&m2), client, &mut m3).unwrap();
    assert!(matches!(c, ClientState::Complete(_)));
    let (s, _) = s
        .handle(&frame(&m3[..n]), server, &mut PresetRng::new(&[]), &mut [])
        .unwrap();
    debugs.push(format!("{s:?}"));
    let ServerState::Complete(done) = s else {
        panic!("server did not complete");
    };
    debugs.push(format!("{server:?}"));
    let (sealer, opener, _) = done.into_parts();
    debugs.push(format!("{sealer:?} {opener:?}"));
    debugs
}

#[test]
fn debug_lists_only_public_fields() {
    let server_key = SecretKey::from_bytes(&SERVER_SEED);
    let client_key = SecretKey::from_bytes(&CLIENT_SEED);
    let trusted = [server_key.public_key()];
    let authorized = [client_key.public_key()];
    let server = ServerConfig::new(&server_key, true, &authorized);
    let client = ClientConfig::new(Some(&client_key), &trusted);
    let debugs = run(&client, &server);
    let (spk, cpk) = (server_key.public_key(), client_key.public_key());
    let expected = [
        String::from("ExpectClientHello(ExpectClientHello)"),
        String::from("ExpectClientAuth(ExpectClientAuth { .. })"),
        format!("Complete(Established {{ remote: Some({cpk:?}), .. }})"),
        format!(
            "ServerConfig {{ identity: {spk:?}, require_client_auth: true, authorized_clients: [{cpk:?}], .. }}"
        ),
        String::from("RecordSealer { counter: 0, .. } RecordOpener { counter: 0, .. }"),
    ];
    assert_eq!(debugs, expected);
    for d in &debugs {
        assert_redacted(d, &CLIENT_RNG[..32]);
        assert_redacted(d, &SERVER_RNG);
        assert_redacted(d, &CLIENT_SEED);
        assert_redacted(d, &SERVER_SEED);
    }
}

#[test]
fn debug_of_an_anonymous_client() {
    let server_key = SecretKey::from_bytes(&SERVER_SEED);
    let trusted = [server_key.public_key()];
    let server = ServerConfig::new(&server_key, false, &[]);
    let client = ClientConfig::new(None, &trusted);
    let debugs = run(&client, &server);
    assert_eq!(debugs[2], "Complete(Established { remote: None, .. })");
}

#[cfg(feature = "hazmat")]
mod hazmat {
    use core::cell::RefCell;

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
        let trusted = [server_key.public_key()];
        let authorized = [client_key.public_key()];
        for require in [true, false] {
            let client_log = Collect::default();
            let server_log = Collect::default();
            let mut client = ClientConfig::new(Some(&client_key), &trusted);
            client.key_log = Some(&client_log);
            let mut server = ServerConfig::new(&server_key, require, &authorized);
            server.key_log = Some(&server_log);
            let debugs = run(&client, &server);

            let logged = server_log.0.borrow();
            let names: Vec<_> = logged.iter().map(|(n, _)| *n).collect();
            for name in [
                "keys.dh",
                "keys.hs_secret",
                "keys.c_hs_key",
                "keys.c_ap_0",
                "keys.s_ap_0",
                "transcript.th2",
                "transcript.th_s",
            ] {
                assert!(names.contains(&name), "{name} not logged: {names:?}");
            }
            for (name, value) in logged.iter().chain(client_log.0.borrow().iter()) {
                for d in &debugs {
                    assert!(
                        !d.to_lowercase().contains(&to_hex(value)[..16]),
                        "{d} shows {name}"
                    );
                }
            }
        }
    }

    /// Regression (fixed in ed1cd20): the server's log lacked
    /// keys.s_hs_key, transcript.th3h, transcript.th_c and transcript.th.
    #[test]
    fn server_logs_what_the_client_logs() {
        let server_key = SecretKey::from_bytes(&SERVER_SEED);
        let client_key = SecretKey::from_bytes(&CLIENT_SEED);
        let trusted = [server_key.public_key()];
        let authorized = [client_key.public_key()];
        let client_log = Collect::default();
        let server_log = Collect::default();
        let mut client = ClientConfig::new(Some(&client_key), &trusted);
        client.key_log = Some(&client_log);
        let mut server = ServerConfig::new(&server_key, true, &authorized);
        server.key_log = Some(&server_log);
        run(&client, &server);

        let server_logged = server_log.0.borrow();
        let client_logged = client_log.0.borrow();
        let missing: Vec<_> = client_logged
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !server_logged.iter().any(|(n, _)| n == name))
            .collect();
        assert!(missing.is_empty(), "the server never logs {missing:?}");
        assert_eq!(server_logged.len(), client_logged.len());
        for (name, value) in server_logged.iter() {
            let (_, mine) = client_logged.iter().find(|(n, _)| n == name).unwrap();
            assert_eq!(mine, value, "{name} differs between the sides");
        }
    }
}
