//! `docs/vectors/server-key-update-and-reset.json`: the mutual session
//! continued after its record 4 (PROTOCOL.md §15.4). The server updates its
//! key and sends DATA under `s_key_1`; the client refuses a tampered record
//! and answers with a sealed RESET (reason 7); the server, accepting it,
//! answers with its own sealed RESET (reason 0). Produced by the real
//! [`Connection`]s, through the public API only.

use ossuary_core::{Connection, Error};
use ossuary_crypto::hazmat;

use super::common::{recv_data_now, take_output};
use super::generate::{Record, connections, exchange_records, handshake_with_key_log};
use super::inputs::{ClientToServer, Inputs, MUTUAL, SCRIPT, ServerToClient};
use super::json::{Json, hex, write_json};

/// The file name under `docs/vectors/`.
pub(crate) const FILE: &str = "server-key-update-and-reset.json";

/// The session continued, and the index of its last record kept.
pub(crate) const SESSION: &Inputs = &MUTUAL;
pub(crate) const AFTER_RECORD: usize = 4;

pub(crate) const SERVER_DATA_1: &[u8] = b"server to client after KEY_UPDATE, key generation 1";
pub(crate) const SERVER_DATA_2: &[u8] = b"this record arrives with one tag bit flipped";

/// One continued record, and whether its frame opens (the tampered one
/// does not).
struct Continued {
    record: Record,
    opens: bool,
}

/// Delivers `frame` to `rx` and requires it to open to `plaintext`.
fn deliver(rx: &mut Connection, frame: &[u8], plaintext: &[u8]) {
    let mut out = [0u8; 256];
    let p = recv_data_now(rx, frame, &mut out).expect("the record opens");
    assert_eq!(p.consumed, frame.len());
    assert_eq!(&out[..p.produced], plaintext);
}

/// A sealed RESET frame (PROTOCOL.md §10.2): 20 00 11, one sealed byte, tag.
fn assert_sealed_reset(frame: &[u8]) {
    assert_eq!(frame.len(), 20, "one sealed RESET");
    assert_eq!(&frame[..3], &[0x20, 0x00, 0x11]);
}

/// Runs the continuation and returns the file's text.
pub(crate) fn generate() -> String {
    let hs = handshake_with_key_log(SESSION);
    let (mut client, mut server, _) = connections(SESSION);
    let kept = exchange_records(&mut client, &mut server, &SCRIPT[..=AFTER_RECORD]);
    assert_eq!(kept.len(), AFTER_RECORD + 1);
    let mut records: Vec<Continued> = Vec::new();
    let mut push = |direction, kind, key_generation, counter, plaintext: &[u8], frame, opens| {
        records.push(Continued {
            record: Record {
                direction,
                kind,
                key_generation,
                counter,
                plaintext: plaintext.to_vec(),
                frame,
            },
            opens,
        });
    };

    // The server's KEY_UPDATE: its third record under s_key_0 (counter 2).
    server.update_keys().unwrap();
    let key_update = take_output(&mut server);
    assert_eq!(key_update.len(), 19);
    deliver(&mut client, &key_update, b"");
    push(ServerToClient, "KEY_UPDATE", 0, 2, b"", key_update, true);

    // DATA under s_key_1, counter 0.
    assert_eq!(server.send_data(SERVER_DATA_1), Ok(SERVER_DATA_1.len()));
    let data = take_output(&mut server);
    deliver(&mut client, &data, SERVER_DATA_1);
    push(ServerToClient, "DATA", 1, 0, SERVER_DATA_1, data, true);

    // DATA under s_key_1, counter 1, delivered with the low bit of its last
    // (tag) byte flipped: the client fails with a record failure.
    assert_eq!(server.send_data(SERVER_DATA_2), Ok(SERVER_DATA_2.len()));
    let mut tampered = take_output(&mut server);
    *tampered.last_mut().unwrap() ^= 0x01;
    let mut out = [0u8; 256];
    assert_eq!(
        recv_data_now(&mut client, &tampered, &mut out),
        Err(Error::BadRecord)
    );
    push(ServerToClient, "DATA", 1, 1, SERVER_DATA_2, tampered, false);

    // The client's sealed RESET, reason 7, under c_key_1, counter 1 (after
    // its DATA record 4 at counter 0).
    let client_reset = take_output(&mut client);
    assert_sealed_reset(&client_reset);
    assert!(client.pending_output().is_empty());

    // The server opens it, abandons the session (received) and answers
    // with its own sealed RESET, reason 0, under s_key_1, counter 2.
    let mut out = [0u8; 16];
    let err = recv_data_now(&mut server, &client_reset, &mut out).unwrap_err();
    assert!(matches!(err, Error::PeerReset { .. }), "{err:?}");
    push(ClientToServer, "RESET", 1, 1, &[7], client_reset, true);
    let server_reset = take_output(&mut server);
    assert_sealed_reset(&server_reset);
    push(ServerToClient, "RESET", 1, 2, &[0], server_reset, true);

    // The keys, from the traffic secrets the handshake logged.
    let secret = |name: &str| -> [u8; 32] { hs.log[name][..].try_into().unwrap() };
    let (c_ap_0, s_ap_0) = (secret("keys.c_ap_0"), secret("keys.s_ap_0"));
    let c_ap_1 = hazmat::next_traffic_secret(&c_ap_0);
    let s_ap_1 = hazmat::next_traffic_secret(&s_ap_0);

    let json = Json::Object(vec![
        ("session", Json::String(SESSION.file.into())),
        ("after_record", Json::Number(AFTER_RECORD as u64)),
        (
            "keys",
            Json::Object(vec![
                ("c_ap_1", hex(&c_ap_1)),
                ("c_key_1", hex(&hazmat::record_key(&c_ap_1))),
                ("s_ap_0", hex(&s_ap_0)),
                ("s_key_0", hex(&hazmat::record_key(&s_ap_0))),
                ("s_ap_1", hex(&s_ap_1)),
                ("s_key_1", hex(&hazmat::record_key(&s_ap_1))),
            ]),
        ),
        (
            "records",
            Json::Array(
                records
                    .iter()
                    .map(|c| {
                        let r = &c.record;
                        Json::Object(vec![
                            ("direction", Json::String(r.direction.name().into())),
                            ("type", Json::String(r.kind.into())),
                            ("key_generation", Json::Number(r.key_generation)),
                            ("counter", Json::Number(r.counter)),
                            ("plaintext", hex(&r.plaintext)),
                            ("frame", hex(&r.frame)),
                            ("opens", Json::Bool(c.opens)),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]);
    let mut text = String::new();
    write_json(&json, 0, &mut text);
    text.push('\n');
    text
}
