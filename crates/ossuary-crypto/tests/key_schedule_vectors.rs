//! The Ossuary key schedule and record layer against values computed
//! independently of this crate (`tests/vectors/key_schedule.json`, produced by
//! `tests/vectors/gen_key_schedule.py`).

mod common;

use common::{field, record_keys, vectors};
use ossuary_crypto::{Error, RecordOpener, RecordSealer};
use ossuary_testkit::bytes::array;
use serde_json::Value;

fn check_record(rec: &Value, sealer: &mut RecordSealer, opener: &mut RecordOpener) {
    let header: [u8; 3] = array(&field(rec, "header"));
    let plaintext = field(rec, "plaintext");
    let ciphertext = field(rec, "ciphertext");
    let tag: [u8; 16] = array(&field(rec, "tag"));
    let counter = rec["counter"].as_u64().unwrap();

    assert_eq!(sealer.counter(), counter);
    let mut buf = plaintext.clone();
    assert_eq!(sealer.seal_in_place(&header, &mut buf), Ok(tag));
    assert_eq!(buf, ciphertext);

    assert_eq!(opener.counter(), counter);
    opener.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(buf, plaintext);
}

/// Through the public API only: fixed ephemeral keys in, the vector's record
/// bytes out, including a KEY_UPDATE and the switch to the next key.
#[test]
fn records_match() {
    let v = vectors("key_schedule.json");
    let ((mut c_seal, mut c_open), (mut s_seal, mut s_open)) = record_keys(
        &array(&field(&v, "client_ephemeral_private")),
        &array(&field(&v, "server_ephemeral_private")),
        &array(&field(&v, "th")),
    );
    let mut client_generation = 0;
    let mut server_generation = 0;
    for rec in v["records"].as_array().unwrap() {
        let generation = rec["key_generation"].as_u64().unwrap();
        match rec["from"].as_str().unwrap() {
            "client" => {
                while client_generation < generation {
                    c_seal.update();
                    s_open.update();
                    client_generation += 1;
                }
                check_record(rec, &mut c_seal, &mut s_open);
            }
            "server" => {
                while server_generation < generation {
                    s_seal.update();
                    c_open.update();
                    server_generation += 1;
                }
                check_record(rec, &mut s_seal, &mut c_open);
            }
            other => panic!("unknown direction {other}"),
        }
    }
    assert_eq!(client_generation, 1, "the vector covers a key update");
}

/// A different transcript hash gives keys that open nothing of the vector's.
#[test]
fn other_transcript_does_not_open() {
    let v = vectors("key_schedule.json");
    let (_, (_, mut s_open)) = record_keys(
        &array(&field(&v, "client_ephemeral_private")),
        &array(&field(&v, "server_ephemeral_private")),
        &array(&field(&v, "th2")),
    );
    let rec = &v["records"][0];
    let mut buf = field(rec, "ciphertext");
    assert_eq!(
        s_open.open_in_place(
            &array(&field(rec, "header")),
            &mut buf,
            &array(&field(rec, "tag"))
        ),
        Err(Error::Decrypt)
    );
}

#[cfg(feature = "hazmat")]
mod hazmat {
    use ossuary_crypto::{EphemeralSecret, HandshakeSecret, hazmat};
    use serde_json::Value;

    use ossuary_testkit::bytes::array;

    use super::common::{field, vectors};

    fn handshake_secret(v: &Value) -> HandshakeSecret {
        let client = EphemeralSecret::from_bytes_for_testing_only(array(&field(
            v,
            "client_ephemeral_private",
        )));
        let server = EphemeralSecret::from_bytes_for_testing_only(array(&field(
            v,
            "server_ephemeral_private",
        )));
        let shared = client.diffie_hellman(&server.public_key()).unwrap();
        assert_eq!(shared.to_bytes_for_testing_only().to_vec(), field(v, "dh"));
        HandshakeSecret::from_shared(shared)
    }

    #[test]
    fn every_derived_secret_matches() {
        let v = vectors("key_schedule.json");
        let hs = handshake_secret(&v);
        let hs_bytes = hs.to_bytes_for_testing_only();
        assert_eq!(hs_bytes.to_vec(), field(&v, "hs_secret"));
        assert_eq!(hazmat::handshake_secret(&array(&field(&v, "dh"))), hs_bytes);

        let th2 = array(&field(&v, "th2"));
        assert_eq!(
            hazmat::client_handshake_key(&hs_bytes, &th2).to_vec(),
            field(&v, "c_hs_key")
        );
        assert_eq!(
            hazmat::server_handshake_key(&hs_bytes, &th2).to_vec(),
            field(&v, "s_hs_key")
        );

        let th = array(&field(&v, "th"));
        let traffic = hs.into_traffic(&th);
        let mut c_ap = traffic.client_secret_bytes_for_testing_only();
        let mut s_ap = traffic.server_secret_bytes_for_testing_only();
        assert_eq!(c_ap.to_vec(), field(&v, "c_ap_0"));
        assert_eq!(s_ap.to_vec(), field(&v, "s_ap_0"));
        assert_eq!(hazmat::client_traffic_secret(&hs_bytes, &th), c_ap);
        assert_eq!(hazmat::server_traffic_secret(&hs_bytes, &th), s_ap);

        // The sealer and opener use these keys: `records_match` above.
        for n in 0..2 {
            assert_eq!(c_ap.to_vec(), field(&v, &format!("c_ap_{n}")));
            assert_eq!(
                hazmat::record_key(&c_ap).to_vec(),
                field(&v, &format!("c_key_{n}"))
            );
            assert_eq!(s_ap.to_vec(), field(&v, &format!("s_ap_{n}")));
            assert_eq!(
                hazmat::record_key(&s_ap).to_vec(),
                field(&v, &format!("s_key_{n}"))
            );
            c_ap = hazmat::next_traffic_secret(&c_ap);
            s_ap = hazmat::next_traffic_secret(&s_ap);
        }
    }

    #[test]
    fn handshake_messages_match() {
        let v = vectors("key_schedule.json");
        let th2: [u8; 32] = array(&field(&v, "th2"));
        for (name, server_side) in [("server_hello_sealed", true), ("client_auth_sealed", false)] {
            let m = &v[name];
            let plaintext = field(m, "plaintext");
            let ciphertext = field(m, "ciphertext");
            let tag: [u8; 16] = array(&field(m, "tag"));

            let keys = handshake_secret(&v).handshake_keys(&th2);
            let (sealing, _) = if server_side {
                (keys.server, keys.client)
            } else {
                (keys.client, keys.server)
            };
            let mut buf = plaintext.clone();
            assert_eq!(sealing.seal_in_place(&th2, &mut buf), tag, "{name}");
            assert_eq!(buf, ciphertext, "{name}");

            let keys = handshake_secret(&v).handshake_keys(&th2);
            let opening = if server_side {
                keys.server
            } else {
                keys.client
            };
            opening.open_in_place(&th2, &mut buf, &tag).unwrap();
            assert_eq!(buf, plaintext, "{name}");
        }
    }
}
