//! The state machines and this suite's hand-built messages against the
//! known-answer vectors of `docs/vectors/` (PROTOCOL.md §15).

mod common;
#[path = "vectors/must_reject.rs"]
mod must_reject;

use std::cell::Cell;

use common::*;
use ossuary_crypto::{PublicKey, SecretKey, Signer};
use ossuary_handshake::{ClientConfig, ServerConfig};
use ossuary_testkit::hex;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/../../docs/vectors/handshake-{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn opt_bytes(v: &Value, path: &str) -> Option<Vec<u8>> {
    let mut at = v;
    for part in path.split('.') {
        at = &at[part];
    }
    match at {
        Value::Null => None,
        Value::String(s) => Some(hex(s)),
        other => panic!("{path}: {other:?}"),
    }
}

fn bytes(v: &Value, path: &str) -> Vec<u8> {
    opt_bytes(v, path).unwrap_or_else(|| panic!("missing {path}"))
}

fn b32(v: &Value, path: &str) -> [u8; 32] {
    bytes(v, path).try_into().unwrap()
}

#[cfg(feature = "hazmat")]
#[derive(Default)]
struct Collect(std::cell::RefCell<Vec<(&'static str, Vec<u8>)>>);

#[cfg(feature = "hazmat")]
impl ossuary_handshake::KeyLog for Collect {
    fn log(&self, name: &'static str, value: &[u8]) {
        self.0.borrow_mut().push((name, value.to_vec()));
    }
}

fn check(name: &str) {
    let v = load(name);
    let server_key = SecretKey::from_bytes(&b32(&v, "inputs.server_identity_secret"));
    let client_key = opt_bytes(&v, "inputs.client_identity_secret")
        .map(|s| SecretKey::from_bytes(&s.try_into().unwrap()));
    let flags = bytes(&v, "inputs.server_flags")[0];
    let mut client_rng = bytes(&v, "inputs.client_ephemeral_secret");
    client_rng.extend(bytes(&v, "inputs.client_random"));
    client_rng.extend(bytes(&v, "inputs.client_kem_seed"));
    let mut server_rng = bytes(&v, "inputs.server_ephemeral_secret");
    server_rng.extend(bytes(&v, "inputs.server_kem_randomness"));

    assert_eq!(
        server_key.public_key().to_bytes().to_vec(),
        bytes(&v, "public.server_identity")
    );
    let trusted = [server_key.public_key()];
    let authorized: Vec<PublicKey> = client_key.iter().map(SecretKey::public_key).collect();
    #[allow(unused_mut)]
    let mut client = ClientConfig::new(client_key.as_ref().map(|k| k as &dyn Signer), &trusted);
    #[allow(unused_mut)]
    let mut server = ServerConfig::new(&server_key, flags == 0x01, &authorized);
    #[cfg(feature = "hazmat")]
    let (client_log, server_log) = (Collect::default(), Collect::default());
    #[cfg(feature = "hazmat")]
    {
        client.key_log = Some(&client_log);
        server.key_log = Some(&server_log);
    }

    // The state machines reproduce the vector byte for byte.
    let o = try_handshake_with(&client_rng, &server_rng, &client, &server).unwrap();
    assert_eq!(o.messages.client_hello, bytes(&v, "messages.client_hello"));
    assert_eq!(o.messages.server_hello, bytes(&v, "messages.server_hello"));
    assert_eq!(o.messages.client_auth, bytes(&v, "messages.client_auth"));
    assert_eq!(o.client.transcript_hash(), &b32(&v, "transcript.th"));
    assert_eq!(o.server.transcript_hash(), &b32(&v, "transcript.th"));
    assert_eq!(
        o.server.remote_identity().map(|k| k.to_bytes().to_vec()),
        opt_bytes(&v, "public.client_identity")
    );

    #[cfg(feature = "hazmat")]
    for (side, log) in [("client", &client_log), ("server", &server_log)] {
        assert!(log.0.borrow().len() >= 10, "{side} logged too little");
        for (label, value) in log.0.borrow().iter() {
            assert_eq!(
                opt_bytes(&v, label).as_deref(),
                Some(&value[..]),
                "{name}: {side} {label}"
            );
        }
    }

    // The hand-built messages agree too, and see the vector's THs and THc.
    let ths_seen = Cell::new([0u8; 32]);
    let m1 = bytes(&v, "messages.client_hello");
    let m2 = forge_server_hello(
        &m1,
        &ServerHelloSpec {
            ephemeral_secret: server_rng.clone().try_into().unwrap(),
            ..ServerHelloSpec::honest(&server_key, flags, &|ths| {
                ths_seen.set(*ths);
                sign_transcript(&server_key, SERVER_LABEL, ths)
            })
        },
    );
    assert_eq!(m2, bytes(&v, "messages.server_hello"));
    assert_eq!(ths_seen.get(), b32(&v, "transcript.th_s"));
    let m3 = match &client_key {
        Some(key) => {
            let thc_seen = Cell::new([0u8; 32]);
            let m3 = forge_client_auth(
                &client_ephemeral_secret(&client_rng),
                &m1,
                &m2,
                &key.public_key().to_bytes(),
                &|thc| {
                    thc_seen.set(*thc);
                    sign_transcript(key, CLIENT_LABEL, thc)
                },
            );
            assert_eq!(thc_seen.get(), b32(&v, "transcript.th_c"));
            m3
        }
        None => forge_client_auth_plain(&client_ephemeral_secret(&client_rng), &m1, &m2, &[0]),
    };
    assert_eq!(m3, bytes(&v, "messages.client_auth"));
}

#[test]
fn mutual_vector() {
    check("mutual");
}

#[test]
fn anonymous_vector() {
    check("anonymous");
}

/// `docs/vectors/must-reject.json` (PROTOCOL.md §15.5): generated from the
/// mutual session, every entry refused by the state machines; with
/// `OSSUARY_BLESS=1` the file is written, otherwise it must match.
#[test]
fn must_reject_file() {
    let v = load("mutual");
    let mut client_rng = bytes(&v, "inputs.client_ephemeral_secret");
    client_rng.extend(bytes(&v, "inputs.client_random"));
    client_rng.extend(bytes(&v, "inputs.client_kem_seed"));
    let mut server_rng = bytes(&v, "inputs.server_ephemeral_secret");
    server_rng.extend(bytes(&v, "inputs.server_kem_randomness"));
    let session = must_reject::Session {
        file: "handshake-mutual.json",
        server_key: SecretKey::from_bytes(&b32(&v, "inputs.server_identity_secret")),
        client_key: SecretKey::from_bytes(&b32(&v, "inputs.client_identity_secret")),
        server_flags: bytes(&v, "inputs.server_flags")[0],
        client_rng,
        server_rng,
        client_hello: bytes(&v, "messages.client_hello"),
        server_hello: bytes(&v, "messages.server_hello"),
    };
    let text = session.must_reject_file();
    let path = format!(
        "{}/../../docs/vectors/{}",
        env!("CARGO_MANIFEST_DIR"),
        must_reject::FILE
    );
    if std::env::var_os("OSSUARY_BLESS").is_some_and(|b| b == "1") {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{path}: {e}"));
        eprintln!("wrote {path}");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(
        committed == text,
        "{path} differs from what this test generates; if intended (and \
         PROTOCOL.md agrees), regenerate with \
         `OSSUARY_BLESS=1 cargo test -p ossuary-handshake --test vectors`"
    );
}
