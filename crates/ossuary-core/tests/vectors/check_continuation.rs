//! The independent check of `server-key-update-and-reset.json`: the traffic
//! keys recomputed from the continued session's inputs with `ossuary-crypto`
//! primitives only, the session's records up to `after_record` replayed,
//! then every continued record resealed at the counter it names and opened
//! (PROTOCOL.md §7, §8, §10.2, §15.4).

use super::generate::PresetRng;
use ossuary_crypto::{
    EphemeralSecret, HandshakeSecret, KemDecapsulationKey, KemEncapsulationKey, RecordOpener,
    RecordSealer, Role, TrafficSecrets, hazmat,
};
use serde_json::Value;

use super::check::{at, b32, bytes, check_eq, field_is, sorted};
use super::inputs::from_hex;

pub(crate) const TOP_FIELDS: &[&str] = &["session", "after_record", "keys", "records"];
pub(crate) const KEY_FIELDS: &[&str] = &[
    "c_ap_1", "c_key_1", "s_ap_0", "s_key_0", "s_ap_1", "s_key_1",
];
pub(crate) const RECORD_FIELDS: &[&str] = &[
    "direction",
    "type",
    "key_generation",
    "counter",
    "plaintext",
    "frame",
    "opens",
];

/// One direction: the sender's sealer, the receiver's opener.
struct Channel {
    sealer: RecordSealer,
    opener: RecordOpener,
    generation: u64,
}

/// Both ends' traffic secrets of the session in `base` (a checked vector file).
fn traffic(base: &Value) -> (TrafficSecrets, TrafficSecrets) {
    let e_c_sk = b32(base, "inputs.client_ephemeral_secret");
    let e_s_sk = b32(base, "inputs.server_ephemeral_secret");
    let e_c = b32(base, "public.client_ephemeral");
    let e_s = b32(base, "public.server_ephemeral");
    let th = b32(base, "transcript.th");
    let dh_c = EphemeralSecret::from_bytes_for_testing_only(e_c_sk)
        .diffie_hellman(&e_s)
        .unwrap();
    let dh_s = EphemeralSecret::from_bytes_for_testing_only(e_s_sk)
        .diffie_hellman(&e_c)
        .unwrap();
    // The ML-KEM secret from both ends: the client decapsulates the
    // ciphertext with its key pair from d || z; the server's encapsulation
    // with m gives the same ciphertext and secret.
    let seed = bytes(base, "inputs.client_kem_seed");
    let dk = KemDecapsulationKey::generate(&mut PresetRng::new(&seed)).unwrap();
    let (ct, kem_s) = KemEncapsulationKey::from_bytes(dk.encapsulation_key())
        .unwrap()
        .encapsulate(&mut PresetRng::new(&b32(
            base,
            "inputs.server_kem_randomness",
        )))
        .unwrap();
    let kem_c = dk.decapsulate(&ct);
    (
        HandshakeSecret::from_hybrid(dh_c, kem_c).into_traffic(&th),
        HandshakeSecret::from_hybrid(dh_s, kem_s).into_traffic(&th),
    )
}

fn frame_type(kind: &str) -> u8 {
    match kind {
        "DATA" => 0x10,
        "KEY_UPDATE" => 0x11,
        "CLOSE" => 0x12,
        "RESET" => 0x20,
        other => panic!("record type {other:?}"),
    }
}

/// Seals `plaintext` as a `kind` record on `ch` (advancing its sealer) and
/// returns the frame.
fn reseal(ch: &mut Channel, kind: &str, plaintext: &[u8]) -> Vec<u8> {
    let body_len = u16::try_from(plaintext.len() + 16).unwrap();
    let [hi, lo] = body_len.to_be_bytes();
    let header = [frame_type(kind), hi, lo];
    let mut sealed = plaintext.to_vec();
    let tag = ch.sealer.seal_in_place(&header, &mut sealed).unwrap();
    [&header[..], &sealed, &tag].concat()
}

/// Opens `frame` on `ch`'s opener.
fn open(ch: &mut Channel, frame: &[u8]) -> Result<Vec<u8>, ossuary_crypto::Error> {
    let mut body = frame[3..frame.len() - 16].to_vec();
    let tag: [u8; 16] = frame[frame.len() - 16..].try_into().unwrap();
    ch.opener
        .open_in_place(&frame[..3].try_into().unwrap(), &mut body, &tag)
        .map(|()| body)
}

/// Checks the continuation file `v` against the (already checked) vector
/// file `base` of the session it continues.
pub(crate) fn check_continuation(v: &Value, base: &Value, base_name: &str) {
    let top = v.as_object().expect("a JSON object");
    assert_eq!(sorted(top.keys()), sorted(TOP_FIELDS), "top-level fields");
    assert_eq!(at(v, "session").as_str(), Some(base_name), "session");
    let keys = at(v, "keys").as_object().expect("keys: an object");
    assert_eq!(sorted(keys.keys()), sorted(KEY_FIELDS), "fields of keys");
    let after = usize::try_from(at(v, "after_record").as_u64().expect("a number")).unwrap();

    // The keys (§6.2, §8), from the session's traffic secrets.
    let c_ap_0 = b32(base, "keys.c_ap_0");
    let s_ap_0 = b32(base, "keys.s_ap_0");
    let c_ap_1 = hazmat::next_traffic_secret(&c_ap_0);
    let s_ap_1 = hazmat::next_traffic_secret(&s_ap_0);
    field_is(v, "keys.c_ap_1", &c_ap_1);
    field_is(v, "keys.c_key_1", &hazmat::record_key(&c_ap_1));
    field_is(v, "keys.s_ap_0", &s_ap_0);
    field_is(v, "keys.s_key_0", &hazmat::record_key(&s_ap_0));
    field_is(v, "keys.s_ap_1", &s_ap_1);
    field_is(v, "keys.s_key_1", &hazmat::record_key(&s_ap_1));

    let (traffic_c, traffic_s) = traffic(base);
    let (c_sealer, c_opener) = traffic_c.into_record_keys(Role::Client);
    let (s_sealer, s_opener) = traffic_s.into_record_keys(Role::Server);
    let mut channels = [
        Channel {
            sealer: c_sealer,
            opener: s_opener,
            generation: 0,
        },
        Channel {
            sealer: s_sealer,
            opener: c_opener,
            generation: 0,
        },
    ];

    // The session's records up to `after_record`, replayed.
    let base_records = at(base, "records").as_array().unwrap();
    assert!(after < base_records.len(), "after_record: {after}");
    for r in &base_records[..=after] {
        let kind = r["type"].as_str().unwrap();
        assert_ne!(kind, "CLOSE", "the continuation starts after a CLOSE");
        let index = usize::from(r["direction"] == "server_to_client");
        let ch = &mut channels[index];
        let plaintext = from_hex("plaintext", r["plaintext"].as_str().unwrap());
        let frame = reseal(ch, kind, &plaintext);
        check_eq(
            "session record",
            &from_hex("frame", r["frame"].as_str().unwrap()),
            &frame,
        );
        open(ch, &frame).expect("a session record opens");
        if kind == "KEY_UPDATE" {
            ch.sealer.update();
            ch.opener.update();
            ch.generation += 1;
        }
    }

    // The continued records.
    let records = at(v, "records").as_array().expect("records: an array");
    let mut previous: Option<(usize, &str, Vec<u8>, bool)> = None;
    let mut seen_server_update = false;
    let mut seen_resets = 0;
    for (i, r) in records.iter().enumerate() {
        let name = |f: &str| format!("records[{i}].{f}");
        let got = r.as_object().expect("a record object");
        assert_eq!(
            sorted(got.keys()),
            sorted(RECORD_FIELDS),
            "fields of records[{i}]"
        );
        let index = match r["direction"].as_str() {
            Some("client_to_server") => 0,
            Some("server_to_client") => 1,
            other => panic!("{}: {other:?}", name("direction")),
        };
        let kind = r["type"].as_str().unwrap();
        let plaintext = from_hex(&name("plaintext"), r["plaintext"].as_str().unwrap());
        let frame = from_hex(&name("frame"), r["frame"].as_str().unwrap());
        let opens = r["opens"].as_bool().expect("opens: true or false");
        let ch = &mut channels[index];
        assert_eq!(
            r["key_generation"].as_u64(),
            Some(ch.generation),
            "{}",
            name("key_generation")
        );
        assert_eq!(
            r["counter"].as_u64(),
            Some(ch.sealer.counter()),
            "{}",
            name("counter")
        );
        match kind {
            "DATA" => {}
            "RESET" => assert_eq!(plaintext.len(), 1, "{}: one reason byte", name("plaintext")),
            _ => assert!(
                plaintext.is_empty(),
                "{}: empty for {kind}",
                name("plaintext")
            ),
        }
        let mut expected = reseal(ch, kind, &plaintext);
        if opens {
            check_eq(&name("frame"), &frame, &expected);
            let opened =
                open(ch, &frame).unwrap_or_else(|e| panic!("{} does not open: {e}", name("frame")));
            check_eq(&name("plaintext"), &plaintext, &opened);
        } else {
            // The record as sealed, with the low bit of its last byte flipped.
            assert!(open(ch, &frame).is_err(), "{} opens", name("frame"));
            let honest = expected.clone();
            *expected.last_mut().unwrap() ^= 0x01;
            check_eq(&name("frame"), &frame, &expected);
            // The opener moves on as if the honest record had arrived.
            open(ch, &honest).unwrap();
        }
        // What the receiver answers (§10.2 to §10.4): a record that does not
        // open gets a sealed RESET with reason 7; a RESET gets one with
        // reason 0; nothing follows either.
        if let Some((from, prev_kind, prev_plain, prev_opens)) = &previous {
            if !prev_opens {
                assert_eq!(
                    (index, kind, &plaintext[..]),
                    (1 - from, "RESET", &[7][..]),
                    "{}",
                    name("type")
                );
            } else if *prev_kind == "RESET" {
                assert_eq!((index, kind), (1 - from, "RESET"), "{}", name("type"));
                assert!(
                    prev_plain.len() == 1 && plaintext == [0],
                    "{}: the answer's reason",
                    name("plaintext")
                );
            }
        }
        if kind == "KEY_UPDATE" {
            ch.sealer.update();
            ch.opener.update();
            ch.generation += 1;
            seen_server_update |= index == 1;
        }
        seen_resets += usize::from(kind == "RESET");
        previous = Some((index, kind, plaintext, opens));
    }
    assert!(seen_server_update, "no server KEY_UPDATE");
    assert_eq!(seen_resets, 2, "a sealed RESET from each side");
    assert!(
        channels[1].generation == 1
            && records.iter().any(|r| r["direction"] == "server_to_client"
                && r["type"] == "DATA"
                && r["key_generation"] == 1
                && r["opens"] == true),
        "no server DATA under s_key_1"
    );
}
