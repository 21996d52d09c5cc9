//! The independent check of a vector file: every value recomputed from the
//! inputs and the message bytes with `ossuary-crypto` primitives only (no
//! state machine).

use std::collections::BTreeMap;

use super::generate::PresetRng;
use ossuary_crypto::{
    EphemeralSecret, HandshakeSecret, KemDecapsulationKey, KemEncapsulationKey, PublicKey,
    RecordOpener, RecordSealer, Role, SecretKey, Transcript, hazmat,
};
use serde_json::Value;

use super::inputs::{CLIENT_LABEL, SERVER_LABEL, from_hex, to_hex};

/// The top-level objects and their fields, in file order (PROTOCOL.md §15.2).
pub(crate) const FIELDS: &[(&str, &[&str])] = &[
    (
        "inputs",
        &[
            "client_identity_secret",
            "server_identity_secret",
            "client_ephemeral_secret",
            "client_random",
            "client_kem_seed",
            "server_ephemeral_secret",
            "server_kem_randomness",
            "server_flags",
        ],
    ),
    (
        "public",
        &[
            "client_identity",
            "server_identity",
            "client_ephemeral",
            "client_kem_key",
            "server_ephemeral",
            "server_kem_ciphertext",
        ],
    ),
    ("messages", &["client_hello", "server_hello", "client_auth"]),
    ("transcript", &["th2", "th_s", "th3h", "th_c", "th"]),
    (
        "keys",
        &[
            "dh",
            "kem_ss",
            "hs_secret",
            "c_hs_key",
            "s_hs_key",
            "c_ap_0",
            "s_ap_0",
            "c_key_0",
            "s_key_0",
            "c_ap_1",
            "c_key_1",
        ],
    ),
    ("signatures", &["server", "client"]),
];

pub(crate) const RECORD_FIELDS: &[&str] = &[
    "direction",
    "type",
    "key_generation",
    "counter",
    "plaintext",
    "frame",
];

/// The fields that are `null` for an anonymous client.
pub(crate) const ANONYMOUS_NULLS: &[&str] = &[
    "inputs.client_identity_secret",
    "public.client_identity",
    "transcript.th_c",
    "signatures.client",
];

pub(crate) fn sorted(names: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut v: Vec<String> = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
    v.sort();
    v
}

/// The value at `path` (`"keys.dh"`); a missing field panics.
pub(crate) fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, name| {
        v.get(name)
            .unwrap_or_else(|| panic!("missing field {path}"))
    })
}

/// The bytes at `path`, or `None` if it is `null`.
pub(crate) fn opt_bytes(v: &Value, path: &str) -> Option<Vec<u8>> {
    match at(v, path) {
        Value::Null => None,
        Value::String(s) => Some(from_hex(path, s)),
        other => panic!("{path}: expected a hex string or null, got {other}"),
    }
}

pub(crate) fn bytes(v: &Value, path: &str) -> Vec<u8> {
    opt_bytes(v, path).unwrap_or_else(|| panic!("{path} is null"))
}

pub(crate) fn b32(v: &Value, path: &str) -> [u8; 32] {
    bytes(v, path)
        .try_into()
        .unwrap_or_else(|b: Vec<u8>| panic!("{path}: {} bytes, expected 32", b.len()))
}

pub(crate) fn b64(v: &Value, path: &str) -> [u8; 64] {
    bytes(v, path)
        .try_into()
        .unwrap_or_else(|b: Vec<u8>| panic!("{path}: {} bytes, expected 64", b.len()))
}

pub(crate) fn th(parts: &[&[u8]]) -> [u8; 32] {
    let mut t = Transcript::new();
    for part in parts {
        t.update(part);
    }
    t.hash()
}

/// Requires the 32 bytes at `label`'s field path (the label up to the first
/// space, e.g. `"keys.dh (server side)"` reads `keys.dh`) to equal `computed`.
pub(crate) fn field_is(v: &Value, label: &str, computed: &[u8; 32]) {
    let path = label.split(' ').next().unwrap();
    check_eq(label, &b32(v, path), computed);
}

pub(crate) fn check_eq(path: &str, file: &[u8], computed: &[u8]) {
    assert!(
        file == computed,
        "{path}: the file has {}, recomputed {}",
        to_hex(file),
        to_hex(computed)
    );
}

/// Field names, nulls and hex format.
pub(crate) fn check_shape(v: &Value) {
    let top = v.as_object().expect("a JSON object");
    let mut names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
    names.push("records");
    assert_eq!(sorted(top.keys()), sorted(&names), "top-level fields");
    let anonymous = at(v, "inputs.client_identity_secret").is_null();
    for (object, fields) in FIELDS {
        let got = at(v, object).as_object().expect("an object");
        assert_eq!(sorted(got.keys()), sorted(*fields), "fields of {object}");
        for field in *fields {
            let path = format!("{object}.{field}");
            let nullable = anonymous && ANONYMOUS_NULLS.contains(&path.as_str());
            match opt_bytes(v, &path) {
                None => assert!(nullable, "{path} is null"),
                Some(_) => assert!(!nullable, "{path} must be null for an anonymous client"),
            }
        }
    }
    for (i, r) in at(v, "records")
        .as_array()
        .expect("an array")
        .iter()
        .enumerate()
    {
        let got = r.as_object().expect("a record object");
        assert_eq!(
            sorted(got.keys()),
            sorted(RECORD_FIELDS),
            "fields of records[{i}]"
        );
    }
}

/// One direction's record protection, recomputed from the inputs.
pub(crate) struct Channel {
    sealer: RecordSealer,
    opener: RecordOpener,
    generation: u64,
    closed: bool,
}

/// Recomputes every value of a vector file from its inputs and message bytes,
/// with `ossuary-crypto` primitives only (no state machine).
pub(crate) fn check_vectors(v: &Value) {
    check_shape(v);

    // Identities.
    let s_sk = SecretKey::from_bytes(&b32(v, "inputs.server_identity_secret"));
    let s_id = s_sk.public_key().to_bytes();
    field_is(v, "public.server_identity", &s_id);
    let c_id = opt_bytes(v, "inputs.client_identity_secret").map(|seed| {
        let seed: [u8; 32] = seed.try_into().expect("32-byte seed");
        let c_id = SecretKey::from_bytes(&seed).public_key().to_bytes();
        field_is(v, "public.client_identity", &c_id);
        c_id
    });

    // Ephemeral keys: the raw bytes are the X25519 scalars.
    let e_c_sk = b32(v, "inputs.client_ephemeral_secret");
    let e_s_sk = b32(v, "inputs.server_ephemeral_secret");
    let e_c = EphemeralSecret::from_bytes_for_testing_only(e_c_sk).public_key();
    let e_s = EphemeralSecret::from_bytes_for_testing_only(e_s_sk).public_key();
    field_is(v, "public.client_ephemeral", &e_c);
    field_is(v, "public.server_ephemeral", &e_s);

    // ML-KEM-768 (FIPS 203): the client's key pair from d || z, the server's
    // encapsulation to it with m.
    let kem_seed = bytes(v, "inputs.client_kem_seed");
    assert_eq!(kem_seed.len(), 64, "inputs.client_kem_seed length");
    let kem_m = b32(v, "inputs.server_kem_randomness");
    let kem_dk = KemDecapsulationKey::generate(&mut PresetRng::new(&kem_seed)).unwrap();
    let ek = *kem_dk.encapsulation_key();
    check_eq(
        "public.client_kem_key",
        &bytes(v, "public.client_kem_key"),
        &ek,
    );
    let (ct, kem_ss_s) = KemEncapsulationKey::from_bytes(&ek)
        .unwrap()
        .encapsulate(&mut PresetRng::new(&kem_m))
        .unwrap();
    check_eq(
        "public.server_kem_ciphertext",
        &bytes(v, "public.server_kem_ciphertext"),
        &ct,
    );
    let kem_ss_c = kem_dk.decapsulate(&ct);
    field_is(v, "keys.kem_ss", &kem_ss_c.to_bytes_for_testing_only());
    field_is(
        v,
        "keys.kem_ss (server side)",
        &kem_ss_s.to_bytes_for_testing_only(),
    );

    // Messages (§3): layout of the clear parts.
    let flags = bytes(v, "inputs.server_flags");
    assert!(
        flags == [0x00] || flags == [0x01],
        "inputs.server_flags: {flags:?}"
    );
    let random_c = b32(v, "inputs.client_random");
    let m1 = bytes(v, "messages.client_hello");
    check_eq(
        "messages.client_hello",
        &m1,
        &[&[0x01, 0x04, 0xe2, 0x01, 0x00][..], &e_c, &random_c, &ek].concat(),
    );
    let m2 = bytes(v, "messages.server_hello");
    assert_eq!(m2.len(), 1237, "messages.server_hello length");
    check_eq(
        "messages.server_hello[0..1125]",
        &m2[..1125],
        &[&[0x02, 0x04, 0xd2, 0x01, flags[0]][..], &e_s, &ct].concat(),
    );
    let m3 = bytes(v, "messages.client_auth");
    let m3hdr: [u8; 3] = if c_id.is_some() {
        [0x03, 0x00, 0x71]
    } else {
        [0x03, 0x00, 0x11]
    };
    assert_eq!(
        m3.len(),
        3 + usize::from(m3hdr[2]),
        "messages.client_auth length"
    );
    check_eq("messages.client_auth[0..3]", &m3[..3], &m3hdr);
    let (m2clear, m2_sealed) = m2.split_at(1125);

    // Transcript snapshots (§4).
    let th2 = th(&[&m1, m2clear]);
    let th_s = th(&[&m1, m2clear, &s_id]);
    let th3h = th(&[&m1, &m2, &m3hdr]);
    let th_c = c_id.map(|c_id| th(&[&m1, &m2, &m3hdr, &[0x01], &c_id]));
    let th_full = th(&[&m1, &m2, &m3]);
    field_is(v, "transcript.th2", &th2);
    field_is(v, "transcript.th_s", &th_s);
    field_is(v, "transcript.th3h", &th3h);
    if let Some(th_c) = th_c {
        field_is(v, "transcript.th_c", &th_c);
    }
    field_is(v, "transcript.th", &th_full);

    // Key agreement from both ends, and the schedule (§6).
    let dh_c = EphemeralSecret::from_bytes_for_testing_only(e_c_sk)
        .diffie_hellman(&e_s)
        .unwrap();
    let dh_s = EphemeralSecret::from_bytes_for_testing_only(e_s_sk)
        .diffie_hellman(&e_c)
        .unwrap();
    field_is(v, "keys.dh", &dh_c.to_bytes_for_testing_only());
    field_is(
        v,
        "keys.dh (server side)",
        &dh_s.to_bytes_for_testing_only(),
    );
    let hs_c = HandshakeSecret::from_hybrid(dh_c, kem_ss_c);
    let hs_s = HandshakeSecret::from_hybrid(dh_s, kem_ss_s);
    field_is(v, "keys.hs_secret", &hs_c.to_bytes_for_testing_only());
    // The key values by the schedule's pure functions (no key object keeps
    // its bytes); the typed keys below open both handshake messages.
    let hs_secret = hs_c.to_bytes_for_testing_only();
    field_is(
        v,
        "keys.c_hs_key",
        &hazmat::client_handshake_key(&hs_secret, &th2),
    );
    field_is(
        v,
        "keys.s_hs_key",
        &hazmat::server_handshake_key(&hs_secret, &th2),
    );
    let hs_keys = hs_c.handshake_keys(&th2);

    // SERVER_HELLO: open S_id || sig_s with s_hs_key, AD = TH2, nonce 0.
    let sig_s = b64(v, "signatures.server");
    let (ciphertext, tag) = m2_sealed.split_at(96);
    let mut plain = ciphertext.to_vec();
    hs_keys
        .server
        .open_in_place(&th2, &mut plain, tag.try_into().unwrap())
        .expect("SERVER_HELLO sealed part opens with s_hs_key and TH2");
    check_eq(
        "SERVER_HELLO plaintext",
        &plain,
        &[&s_id[..], &sig_s].concat(),
    );

    // The server signature (§5), strictly, and only under the server label.
    let s_pk = PublicKey::from_bytes(&s_id).unwrap();
    s_pk.verify(&[SERVER_LABEL, &[0], &th_s].concat(), &sig_s)
        .expect("signatures.server verifies over the server label and THs");
    assert!(
        s_pk.verify(&[CLIENT_LABEL, &[0], &th_s].concat(), &sig_s)
            .is_err()
    );

    // CLIENT_AUTH: open P with the server's copy of c_hs_key, AD = TH3h.
    let (ciphertext, tag) = m3[3..].split_at(m3.len() - 3 - 16);
    let mut plain = ciphertext.to_vec();
    hs_s.handshake_keys(&th2)
        .client
        .open_in_place(&th3h, &mut plain, tag.try_into().unwrap())
        .expect("CLIENT_AUTH opens with c_hs_key and TH3h");
    match (c_id, th_c) {
        (Some(c_id), Some(th_c)) => {
            let sig_c = b64(v, "signatures.client");
            check_eq(
                "CLIENT_AUTH plaintext",
                &plain,
                &[&[0x01][..], &c_id, &sig_c].concat(),
            );
            let c_pk = PublicKey::from_bytes(&c_id).unwrap();
            c_pk.verify(&[CLIENT_LABEL, &[0], &th_c].concat(), &sig_c)
                .expect("signatures.client verifies over the client label and THc");
            assert!(
                c_pk.verify(&[SERVER_LABEL, &[0], &th_c].concat(), &sig_c)
                    .is_err()
            );
        }
        _ => check_eq("CLIENT_AUTH plaintext", &plain, &[0x00]),
    }

    // Traffic secrets and record keys, from each end's handshake secret.
    let traffic_c = hs_c.into_traffic(&th_full);
    let traffic_s = hs_s.into_traffic(&th_full);
    field_is(
        v,
        "keys.c_ap_0",
        &traffic_c.client_secret_bytes_for_testing_only(),
    );
    field_is(
        v,
        "keys.s_ap_0",
        &traffic_c.server_secret_bytes_for_testing_only(),
    );
    field_is(
        v,
        "keys.c_ap_0 (server side)",
        &traffic_s.client_secret_bytes_for_testing_only(),
    );
    field_is(
        v,
        "keys.s_ap_0 (server side)",
        &traffic_s.server_secret_bytes_for_testing_only(),
    );
    // Record keys by the schedule's pure functions; the typed sealers and
    // openers below, made from each end's traffic secrets, reseal and open
    // every record under them.
    let c_ap_0 = traffic_c.client_secret_bytes_for_testing_only();
    let s_ap_0 = traffic_c.server_secret_bytes_for_testing_only();
    field_is(v, "keys.c_key_0", &hazmat::record_key(&c_ap_0));
    field_is(v, "keys.s_key_0", &hazmat::record_key(&s_ap_0));
    let (c_sealer, c_opener) = traffic_c.into_record_keys(Role::Client);
    let (s_sealer, s_opener) = traffic_s.into_record_keys(Role::Server);

    // Records (§7, §8, §9): reseal each with the recomputed keys and open it.
    let mut channels = [
        Channel {
            sealer: c_sealer,
            opener: s_opener,
            generation: 0,
            closed: false,
        },
        Channel {
            sealer: s_sealer,
            opener: c_opener,
            generation: 0,
            closed: false,
        },
    ];
    let mut seen = BTreeMap::new();
    let mut c_ap_1_checked = false;
    for (i, r) in at(v, "records").as_array().unwrap().iter().enumerate() {
        let at_r = |f: &str| {
            r.get(f)
                .unwrap_or_else(|| panic!("records[{i}].{f} missing"))
        };
        let name = |f: &str| format!("records[{i}].{f}");
        let direction = at_r("direction").as_str().unwrap();
        let index = match direction {
            "client_to_server" => 0,
            "server_to_client" => 1,
            other => panic!("{}: {other:?}", name("direction")),
        };
        let kind = at_r("type").as_str().unwrap();
        let frame_type = match kind {
            "DATA" => 0x10,
            "KEY_UPDATE" => 0x11,
            "CLOSE" => 0x12,
            other => panic!("{}: {other:?}", name("type")),
        };
        *seen
            .entry((index, kind, at_r("key_generation").as_u64()))
            .or_insert(0) += 1;
        let plaintext = from_hex(&name("plaintext"), at_r("plaintext").as_str().unwrap());
        let frame = from_hex(&name("frame"), at_r("frame").as_str().unwrap());
        let ch = &mut channels[index];
        assert!(!ch.closed, "records[{i}]: sent after CLOSE");
        assert_eq!(
            at_r("key_generation").as_u64(),
            Some(ch.generation),
            "{}",
            name("key_generation")
        );
        assert_eq!(
            at_r("counter").as_u64(),
            Some(ch.sealer.counter()),
            "{}",
            name("counter")
        );
        assert_eq!(ch.opener.counter(), ch.sealer.counter());
        if frame_type != 0x10 {
            assert!(
                plaintext.is_empty(),
                "{}: must be empty for {kind}",
                name("plaintext")
            );
        }
        let body_len = u16::try_from(plaintext.len() + 16).unwrap();
        let [len_hi, len_lo] = body_len.to_be_bytes();
        let header = [frame_type, len_hi, len_lo];

        let mut sealed = plaintext.clone();
        let tag = ch.sealer.seal_in_place(&header, &mut sealed).unwrap();
        check_eq(
            &name("frame"),
            &frame,
            &[&header[..], &sealed, &tag].concat(),
        );

        assert_eq!(
            frame.len(),
            plaintext.len() + 19,
            "{}: length",
            name("frame")
        );
        let mut opened = frame[3..frame.len() - 16].to_vec();
        let tag: [u8; 16] = frame[frame.len() - 16..].try_into().unwrap();
        ch.opener
            .open_in_place(&frame[..3].try_into().unwrap(), &mut opened, &tag)
            .unwrap_or_else(|e| panic!("{} does not open: {e}", name("frame")));
        check_eq(&name("plaintext"), &plaintext, &opened);

        match frame_type {
            0x11 => {
                ch.sealer.update();
                ch.opener.update();
                ch.generation += 1;
                if index == 0 && ch.generation == 1 {
                    // The records after this one, resealed under the updated
                    // typed keys, show that these are the keys in use.
                    let c_ap_1 = hazmat::next_traffic_secret(&c_ap_0);
                    field_is(v, "keys.c_ap_1", &c_ap_1);
                    field_is(v, "keys.c_key_1", &hazmat::record_key(&c_ap_1));
                    c_ap_1_checked = true;
                }
            }
            0x12 => ch.closed = true,
            _ => {}
        }
    }
    // What §15 promises the records contain.
    assert!(
        c_ap_1_checked,
        "no client KEY_UPDATE: keys.c_ap_1 unchecked"
    );
    for needed in [
        (0, "DATA", Some(0)),
        (1, "DATA", Some(0)),
        (0, "DATA", Some(1)),
        (0, "CLOSE", Some(1)),
        (1, "CLOSE", Some(0)),
    ] {
        assert!(seen.contains_key(&needed), "records: no {needed:?}");
    }
    assert!(
        channels.iter().all(|c| c.closed),
        "both sides end with CLOSE"
    );
}
