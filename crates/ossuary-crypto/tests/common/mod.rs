//! Helpers shared by the known-answer and property tests.

#![allow(dead_code, unreachable_pub)]

use ossuary_crypto::{EphemeralSecret, HandshakeSecret, RecordOpener, RecordSealer, Role};
use ossuary_testkit::{PresetRng, hex};
use serde_json::Value;

/// Reads a vector file from `tests/vectors/`.
pub fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The hex string `v[name]`, decoded.
pub fn field(v: &Value, name: &str) -> Vec<u8> {
    hex(v[name]
        .as_str()
        .unwrap_or_else(|| panic!("missing field {name}")))
}

/// An ephemeral secret whose scalar is exactly `scalar`.
pub fn ephemeral(scalar: &[u8; 32]) -> EphemeralSecret {
    let mut rng = PresetRng::new(scalar);
    let secret = EphemeralSecret::generate(&mut rng).unwrap();
    assert_eq!(rng.remaining(), 0, "generate must draw exactly 32 bytes");
    assert!(!rng.overdrawn(), "generate must draw exactly 32 bytes");
    secret
}

/// Client and server record keys after a handshake between the two
/// ephemeral scalars with final transcript hash `th`.
pub fn record_keys(
    client_scalar: &[u8; 32],
    server_scalar: &[u8; 32],
    th: &[u8; 32],
) -> ((RecordSealer, RecordOpener), (RecordSealer, RecordOpener)) {
    let client = ephemeral(client_scalar);
    let server = ephemeral(server_scalar);
    let (client_pub, server_pub) = (client.public_key(), server.public_key());
    let client = HandshakeSecret::from_shared(client.diffie_hellman(&server_pub).unwrap());
    let server = HandshakeSecret::from_shared(server.diffie_hellman(&client_pub).unwrap());
    (
        client.into_traffic(th).into_record_keys(Role::Client),
        server.into_traffic(th).into_record_keys(Role::Server),
    )
}
