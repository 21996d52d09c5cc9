//! `docs/vectors/must-reject.json` against `ossuary-core` (PROTOCOL.md
//! §15.5): each entry's receiver is built as a [`Connection`] from the fixed
//! inputs of the session the entry names, brought into the state it names
//! (its own messages must be the session's), fed the entry's frame, and must
//! fail with the entry's error and queue exactly the plaintext RESET the
//! entry gives. The file is generated, and checked against the state
//! machines, by `ossuary-handshake`'s vector test.

use std::path::Path;

use ossuary_core::{
    Config, Connection, Error, HandshakeError, PeerMisbehaved, Role, SecretKey, Signer,
};
use serde_json::Value;

use super::check::{at, b32, bytes, sorted};
use super::common::{fixed_connection, recv_handshake_now, take_output};
use super::inputs::from_hex;

/// The file name under `docs/vectors/`.
pub(crate) const FILE: &str = "must-reject.json";

const ENTRY_FIELDS: &[&str] = &[
    "name",
    "session",
    "receiver",
    "state",
    "before",
    "frame",
    "defect",
    "value",
    "lax_verifier_accepts",
    "error",
    "reason",
    "reset",
];

fn peer_misbehaved(name: &str) -> PeerMisbehaved {
    match name {
        "NonContributoryKeyShare" => PeerMisbehaved::NonContributoryKeyShare,
        "InvalidKemKey" => PeerMisbehaved::InvalidKemKey,
        "InvalidIdentityKey" => PeerMisbehaved::InvalidIdentityKey,
        "BadServerSignature" => PeerMisbehaved::BadServerSignature,
        "BadClientSignature" => PeerMisbehaved::BadClientSignature,
        other => panic!("error {other:?}"),
    }
}

/// The receiver of an entry, in the state it names, built from `session`.
fn receiver(session: &Value, receiver: &str, state: &str, before: &[Vec<u8>]) -> Connection {
    let server_key = || SecretKey::from_bytes(&b32(session, "inputs.server_identity_secret"));
    let client_seed = b32(session, "inputs.client_identity_secret");
    let client_public = SecretKey::from_bytes(&client_seed).public_key();
    match (receiver, state) {
        ("server", "WAIT_CH" | "WAIT_CA") => {
            let role = if bytes(session, "inputs.server_flags") == [1] {
                Role::AuthenticatingServer
            } else {
                Role::OpenServer
            };
            let mut server = fixed_connection(
                role,
                Config::default(),
                Some(Box::new(server_key())),
                [
                    bytes(session, "inputs.server_ephemeral_secret"),
                    bytes(session, "inputs.server_kem_randomness"),
                ]
                .concat(),
            );
            server.add_authorized_key(client_public).unwrap();
            assert_eq!(before.len(), usize::from(state == "WAIT_CA"), "before");
            if let [m1] = before {
                assert_eq!(m1, &bytes(session, "messages.client_hello"));
                assert_eq!(server.recv_handshake(m1), Ok(m1.len()));
                assert_eq!(
                    take_output(&mut server),
                    bytes(session, "messages.server_hello")
                );
            }
            server
        }
        ("client", "WAIT_SH") => {
            assert!(before.is_empty(), "before");
            let identity: Box<dyn Signer + Send + Sync> =
                Box::new(SecretKey::from_bytes(&client_seed));
            let mut client = fixed_connection(
                Role::Client,
                Config::default(),
                Some(identity),
                [
                    bytes(session, "inputs.client_ephemeral_secret"),
                    bytes(session, "inputs.client_random"),
                    bytes(session, "inputs.client_kem_seed"),
                ]
                .concat(),
            );
            client
                .add_authorized_key(server_key().public_key())
                .unwrap();
            assert_eq!(
                take_output(&mut client),
                bytes(session, "messages.client_hello")
            );
            client
        }
        other => panic!("receiver and state {other:?}"),
    }
}

/// Checks every entry of the file at `path`; lists every entry the
/// implementation does not refuse as it must, then fails.
pub(crate) fn check_file(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("must-reject.json parses");
    let entries = at(&v, "entries").as_array().expect("entries: an array");
    let dir = path.parent().unwrap();
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for e in entries {
        let got = e.as_object().expect("an entry object");
        assert_eq!(
            sorted(got.keys()),
            sorted(ENTRY_FIELDS),
            "fields of an entry"
        );
        let name = e["name"].as_str().unwrap();
        assert!(names.insert(name), "{name}: twice");
        let file = e["session"].as_str().unwrap();
        let session: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|err| panic!("{name}: {file}: {err}")),
        )
        .unwrap();
        let before: Vec<Vec<u8>> = e["before"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| from_hex("before", b.as_str().unwrap()))
            .collect();
        let frame = from_hex("frame", e["frame"].as_str().unwrap());
        let reason = u8::try_from(e["reason"].as_u64().unwrap()).unwrap();
        let reset = from_hex("reset", e["reset"].as_str().unwrap());
        assert_eq!(reset, [0x20, 0x00, 0x01, reason], "{name}: reset");
        let expected = Error::Handshake(HandshakeError::PeerMisbehaved(peer_misbehaved(
            e["error"].as_str().unwrap(),
        )));

        let mut conn = receiver(
            &session,
            e["receiver"].as_str().unwrap(),
            e["state"].as_str().unwrap(),
            &before,
        );
        let result = recv_handshake_now(&mut conn, &frame);
        let sent = conn.pending_output().to_vec();
        if result != Err(expected) || sent != reset {
            failures.push(format!(
                "{name}: got {result:?} and sent {}, expected {expected:?} and {}",
                super::inputs::to_hex(&sent),
                e["reset"].as_str().unwrap()
            ));
        }
    }
    assert!(entries.len() >= 60, "{} entries", entries.len());
    assert!(
        failures.is_empty(),
        "not refused as required:\n{}",
        failures.join("\n")
    );
}
