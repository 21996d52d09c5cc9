//! Key update in mid-stream (PROTOCOL.md sections 7.4 and 8): explicit,
//! simultaneous, repeated and automatic, with data before and after.

mod common;

use common::*;
use ossuary_core::{Config, Error, Role};

fn count(bytes: &[u8], ty: u8) -> usize {
    frame_types(bytes).iter().filter(|&&t| t == ty).count()
}

#[test]
fn client_updates_its_keys_mid_stream() {
    let mut p = Pair::connected();
    p.assert_data_flows();
    p.send(Side::Client, b"before").unwrap();
    p.client.update_keys().unwrap();
    p.send(Side::Client, b" after").unwrap();
    assert_eq!(frame_types(&p.c2s), [DATA, KEY_UPDATE, DATA]);
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"before after");
    p.assert_data_flows();
}

#[test]
fn server_updates_its_keys_mid_stream() {
    let mut p = Pair::connected();
    p.send(Side::Server, b"before").unwrap();
    p.server.update_keys().unwrap();
    p.send(Side::Server, b" after").unwrap();
    assert_eq!(frame_types(&p.s2c), [DATA, KEY_UPDATE, DATA]);
    p.drive();
    assert_eq!(p.take_rx(Side::Client), b"before after");
    p.assert_data_flows();
}

#[test]
fn both_sides_update_at_once() {
    // The KEY_UPDATEs cross on the wire; each concerns only its sender's
    // direction, so they cannot conflict.
    let mut p = Pair::connected();
    p.send(Side::Client, b"c1").unwrap();
    p.send(Side::Server, b"s1").unwrap();
    p.client.update_keys().unwrap();
    p.server.update_keys().unwrap();
    p.send(Side::Client, b"c2").unwrap();
    p.send(Side::Server, b"s2").unwrap();
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"c1c2");
    assert_eq!(p.take_rx(Side::Client), b"s1s2");
    assert_eq!((p.client_err, p.server_err), (None, None));
    p.assert_data_flows();
}

#[test]
fn many_updates_in_a_row_and_interleaved() {
    let mut p = Pair::connected();
    let mut expect = Vec::new();
    for i in 0..20u8 {
        for _ in 0..(i % 3) {
            p.client.update_keys().unwrap();
        }
        let msg = [b'a' + i; 5];
        p.send(Side::Client, &msg).unwrap();
        expect.extend_from_slice(&msg);
        if i % 4 == 0 {
            p.drive();
        }
    }
    p.drive();
    assert_eq!(p.take_rx(Side::Server), expect);
    assert_eq!(p.server_err, None);
}

#[test]
fn update_with_nothing_after_it() {
    let mut p = Pair::connected();
    p.client.update_keys().unwrap();
    p.server.update_keys().unwrap();
    p.drive();
    assert_eq!((p.client_err, p.server_err), (None, None));
    assert!(p.client_rx.is_empty() && p.server_rx.is_empty());
    p.assert_data_flows();
}

#[test]
fn dropped_key_update_is_detected() {
    let mut p = Pair::connected();
    p.client.update_keys().unwrap();
    p.transmit(Side::Client);
    p.c2s.clear();
    p.send(Side::Client, b"under the new key").unwrap();
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
    assert!(p.server_rx.is_empty());
}

#[test]
fn replayed_key_update_is_detected() {
    let mut p = Pair::connected();
    p.client.update_keys().unwrap();
    p.transmit(Side::Client);
    let update = p.c2s.clone();
    p.c2s.extend_from_slice(&update);
    p.deliver(Side::Server);
    assert_eq!(p.server_err, Some(Error::BadRecord));
}

fn auto_pair(config: Config) -> Pair {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let mut p = Pair::new(
        client_with(config.clone(), Some(&cid), &[sid.public()]),
        server_with(Role::AuthenticatingServer, config, &sid, &[cid.public()]),
    );
    p.connect();
    p
}

#[test]
fn automatic_update_every_three_records() {
    let mut p = auto_pair(Config {
        key_update_records: 3,
        ..Config::default()
    });
    let mut expect = Vec::new();
    for i in 0..10u8 {
        let msg = [i; 7];
        p.send(Side::Client, &msg).unwrap();
        p.send(Side::Server, &msg).unwrap();
        expect.extend_from_slice(&msg);
    }
    // A KEY_UPDATE follows every third record (each key seals at most
    // three DATA records, its KEY_UPDATE included in the count).
    assert_eq!(count(&p.c2s, DATA), 10);
    let updates = count(&p.c2s, KEY_UPDATE);
    assert!((3..=5).contains(&updates), "{updates} updates");
    assert_eq!(count(&p.s2c, KEY_UPDATE), updates);
    let types = frame_types(&p.c2s);
    let mut run = 0;
    for t in types {
        if t == DATA {
            run += 1;
            assert!(run <= 3, "more than 3 records under one key");
        } else {
            assert_eq!(t, KEY_UPDATE);
            run = 0;
        }
    }
    p.drive();
    assert_eq!(p.take_rx(Side::Server), expect);
    assert_eq!(p.take_rx(Side::Client), expect);
    assert_eq!((p.client_err, p.server_err), (None, None));
}

#[test]
fn automatic_update_by_bytes() {
    let mut p = auto_pair(Config {
        key_update_bytes: 1000,
        max_record_plaintext: 300,
        ..Config::default()
    });
    let msg = pattern(10_000);
    p.send(Side::Client, &msg).unwrap();
    let updates = count(&p.c2s, KEY_UPDATE);
    // 10 000 bytes at one update per 1000 bytes (records of 300: every 4th).
    assert!((7..=10).contains(&updates), "{updates} updates");
    p.drive();
    assert_eq!(p.take_rx(Side::Server), msg);
    p.assert_data_flows();
}

#[test]
fn automatic_update_with_a_tight_output_buffer() {
    // The update is written even when the transport takes only one record
    // at a time (it waits in the output behind the record).
    let mut p = auto_pair(Config {
        key_update_records: 1,
        ..Config::default()
    });
    let mut wire = Vec::new();
    for i in 0..5u8 {
        assert_eq!(p.client.send_data(&[i; 5]), Ok(5));
        // A transport that takes exactly one 5-byte record per write.
        let out = &p.client.pending_output()[..24];
        assert_eq!(out[0], DATA);
        wire.extend_from_slice(out);
        p.client.advance_output(24);
        let rest = p.client.pending_output();
        assert_eq!(frame_types(rest), [KEY_UPDATE]);
        wire.extend_from_slice(rest);
        p.client.advance_output(rest.len());
    }
    assert_eq!(count(&wire, KEY_UPDATE), 5);
    p.c2s = wire;
    p.drive();
    assert_eq!(
        p.take_rx(Side::Server),
        [[0u8; 5], [1; 5], [2; 5], [3; 5], [4; 5]].concat()
    );
}
