//! Known-answer vectors of the whole protocol (PROTOCOL.md §15):
//! `docs/vectors/handshake-mutual.json` and `docs/vectors/handshake-anonymous.json`.
//!
//! For each file the test
//!
//! 1. runs the handshake from fixed inputs through the `ossuary-handshake`
//!    state machines, with a [`KeyLog`] on both sides, and again through two
//!    [`Connection`]s fed the same bytes as fixed entropy; both runs must give
//!    the same three messages;
//! 2. exchanges records between the two connections (DATA both ways, an empty
//!    DATA, a client KEY_UPDATE, DATA under the client's generation 1, CLOSE
//!    from each side) and captures every frame and the record keys;
//! 3. writes the JSON text (field order as in PROTOCOL.md §15.2) and checks it
//!    independently of the state machines: public keys, message layouts, every
//!    transcript hash, the key schedule, both handshake ciphertexts, both
//!    signatures and every record are recomputed from `inputs` and the message
//!    bytes with `ossuary-crypto` primitives only;
//! 4. with `OSSUARY_BLESS=1` writes the files; otherwise requires the
//!    committed files to be identical, byte for byte, and prints the
//!    differing lines if not.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;

use ossuary_core::{Config, Connection, Role as ConnectionRole};
use ossuary_crypto::{
    EphemeralSecret, Error as CryptoError, HandshakeSecret, PresetRng, PublicKey, RecordOpener,
    RecordSealer, Role, SecretKey, Signer, Transcript,
};
use ossuary_handshake::{ClientConfig, ClientState, KeyLog, ServerConfig, ServerState};
use ossuary_wire::{Frame, Parsed};
use serde_json::Value;

// ---- the fixed inputs ----

/// The fixed inputs of one vector file.
struct Inputs {
    /// File name under `docs/vectors/`.
    file: &'static str,
    /// `C_sk`, or `None` for an anonymous client.
    client_identity_secret: Option<[u8; 32]>,
    /// `S_sk`.
    server_identity_secret: [u8; 32],
    /// `e_c_sk`: the first 32 bytes the client draws.
    client_ephemeral_secret: [u8; 32],
    /// `random_c`: the next 32 bytes the client draws.
    client_random: [u8; 32],
    /// `e_s_sk`: the 32 bytes the server draws for its handshake.
    server_ephemeral_secret: [u8; 32],
    /// An authenticating server (flags `01`) or an open server (flags `00`).
    authenticating: bool,
}

/// The 32 bytes `start, start + 1, ..., start + 31`: easy to spot in a dump.
const fn counting(start: u8) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = start.wrapping_add(i as u8);
        i += 1;
    }
    out
}

/// A client with an identity, pinning the server's key, and an
/// authenticating server that authorizes the client's key.
const MUTUAL: Inputs = Inputs {
    file: "handshake-mutual.json",
    client_identity_secret: Some(counting(0x20)),
    server_identity_secret: counting(0x00),
    client_ephemeral_secret: counting(0x40),
    client_random: counting(0x60),
    server_ephemeral_secret: counting(0x80),
    authenticating: true,
};

/// An anonymous client, pinning the server's key, and an open server.
const ANONYMOUS: Inputs = Inputs {
    file: "handshake-anonymous.json",
    client_identity_secret: None,
    server_identity_secret: counting(0x00),
    client_ephemeral_secret: counting(0xa0),
    client_random: counting(0xc0),
    server_ephemeral_secret: counting(0xe0),
    authenticating: false,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Self::ClientToServer => "client_to_server",
            Self::ServerToClient => "server_to_client",
        }
    }
}

/// One record to send, in order.
enum Step {
    Data(Direction, &'static [u8]),
    KeyUpdate(Direction),
    Close(Direction),
}

use Direction::{ClientToServer, ServerToClient};

/// The records of both files.
const SCRIPT: &[Step] = &[
    Step::Data(ClientToServer, b"ping: client to server, key generation 0"),
    Step::Data(ServerToClient, b"pong: server to client, key generation 0"),
    // A DATA record with an empty plaintext (body = tag only) is legal.
    Step::Data(ServerToClient, b""),
    Step::KeyUpdate(ClientToServer),
    Step::Data(
        ClientToServer,
        b"client to server after KEY_UPDATE, key generation 1",
    ),
    Step::Close(ClientToServer),
    Step::Close(ServerToClient),
];

const SERVER_LABEL: &[u8] = b"ossuary v1 server signature";
const CLIENT_LABEL: &[u8] = b"ossuary v1 client signature";

// ---- hex ----

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes lower-case hex; anything else (upper case, odd length) panics.
fn from_hex(what: &str, s: &str) -> Vec<u8> {
    assert!(
        s.len().is_multiple_of(2) && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
        "{what}: not lower-case hex without separators: {s:?}"
    );
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---- capturing what the state machines produce ----

/// Collects every value the handshake logs.
#[derive(Default)]
struct Log(RefCell<Vec<(&'static str, Vec<u8>)>>);

impl KeyLog for Log {
    fn log(&self, name: &'static str, value: &[u8]) {
        self.0.borrow_mut().push((name, value.to_vec()));
    }
}

impl Log {
    /// The entries by name; a name logged twice is a bug.
    fn into_map(self, side: &str) -> BTreeMap<&'static str, Vec<u8>> {
        let mut map = BTreeMap::new();
        for (name, value) in self.0.into_inner() {
            assert!(
                map.insert(name, value).is_none(),
                "{side} logged {name} twice"
            );
        }
        map
    }
}

/// A signer that remembers what it signed and the signature it gave.
struct RecordingSigner {
    key: SecretKey,
    signed: RefCell<Vec<(Vec<u8>, [u8; 64])>>,
}

impl RecordingSigner {
    fn new(seed: &[u8; 32]) -> Self {
        Self {
            key: SecretKey::from_bytes(seed),
            signed: RefCell::new(Vec::new()),
        }
    }

    /// The one signature this signer produced, and its message.
    fn only(&self) -> (Vec<u8>, [u8; 64]) {
        let signed = self.signed.borrow();
        assert_eq!(signed.len(), 1, "exactly one signature per handshake");
        signed[0].clone()
    }
}

impl Signer for RecordingSigner {
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], CryptoError> {
        let signature = self.key.sign(msg)?;
        self.signed.borrow_mut().push((msg.to_vec(), signature));
        Ok(signature)
    }
}

fn parse_frame(bytes: &[u8]) -> Frame<'_> {
    match Frame::parse(bytes).unwrap() {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, bytes.len(), "exactly one frame");
            value
        }
        Parsed::Incomplete { needed } => panic!("incomplete frame, {needed} bytes missing"),
    }
}

/// What the handshake state machines produced.
struct Handshake {
    messages: [Vec<u8>; 3],
    /// Client and server key logs merged (they agree where both log).
    log: BTreeMap<&'static str, Vec<u8>>,
    /// `(signed message, sig_s)`.
    server_signature: (Vec<u8>, [u8; 64]),
    /// `(signed message, sig_c)` when the client has an identity.
    client_signature: Option<(Vec<u8>, [u8; 64])>,
}

/// The handshake through `ossuary-handshake`, with key logs.
fn handshake_with_key_log(inputs: &Inputs) -> Handshake {
    let server_signer = RecordingSigner::new(&inputs.server_identity_secret);
    let client_signer = inputs
        .client_identity_secret
        .as_ref()
        .map(RecordingSigner::new);
    let trusted = [server_signer.public_key()];
    let authorized: Vec<PublicKey> = client_signer.iter().map(Signer::public_key).collect();
    let (client_log, server_log) = (Log::default(), Log::default());
    let mut client_config =
        ClientConfig::new(client_signer.as_ref().map(|s| s as &dyn Signer), &trusted);
    client_config.key_log = Some(&client_log);
    let mut server_config = ServerConfig::new(&server_signer, inputs.authenticating, &authorized);
    server_config.key_log = Some(&server_log);

    // The client draws e_c_sk, then random_c; the server draws e_s_sk.
    let client_entropy = [inputs.client_ephemeral_secret, inputs.client_random].concat();
    let mut client_rng = PresetRng::new(&client_entropy);
    let mut server_rng = PresetRng::new(&inputs.server_ephemeral_secret);

    let mut m1 = [0u8; 69];
    let (client, n) = ClientState::start(&mut client_rng, &mut m1).unwrap();
    assert_eq!(n, 69);
    assert_eq!((client_rng.remaining(), client_rng.overdrawn()), (0, false));

    let mut m2 = [0u8; 149];
    let (server, n) = ServerState::new()
        .handle(&parse_frame(&m1), &server_config, &mut server_rng, &mut m2)
        .unwrap();
    assert_eq!(n, 149);
    assert_eq!((server_rng.remaining(), server_rng.overdrawn()), (0, false));

    let mut m3 = [0u8; 116];
    let (client, n3) = client
        .handle(&parse_frame(&m2), &client_config, &mut m3)
        .unwrap();
    let ClientState::Complete(client_done) = client else {
        panic!("the client did not complete the handshake");
    };
    let m3 = &m3[..n3];

    let (server, n) = server
        .handle(&parse_frame(m3), &server_config, &mut server_rng, &mut [])
        .unwrap();
    assert_eq!(n, 0);
    let ServerState::Complete(server_done) = server else {
        panic!("the server did not complete the handshake");
    };
    assert_eq!(client_done.transcript_hash(), server_done.transcript_hash());
    assert_eq!(
        client_done.remote_identity(),
        Some(&server_signer.public_key())
    );
    assert_eq!(server_done.remote_identity(), authorized.first());

    // The client logs every value; the server logs a subset, which must agree.
    let client_log = client_log.into_map("client");
    let server_log = server_log.into_map("server");
    for (name, value) in &server_log {
        assert_eq!(
            client_log.get(name),
            Some(value),
            "client and server disagree on {name}"
        );
    }
    let mut expected: Vec<&str> = vec![
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
    ];
    if client_signer.is_some() {
        expected.push("transcript.th_c");
    }
    expected.sort_unstable();
    assert_eq!(client_log.keys().copied().collect::<Vec<_>>(), expected);
    assert_eq!(
        &client_log["transcript.th"][..],
        client_done.transcript_hash()
    );

    Handshake {
        messages: [m1.to_vec(), m2.to_vec(), m3.to_vec()],
        log: client_log,
        server_signature: server_signer.only(),
        client_signature: client_signer.as_ref().map(RecordingSigner::only),
    }
}

/// The same handshake through two `Connection`s with fixed entropy.
fn connections(inputs: &Inputs) -> (Connection, Connection, [Vec<u8>; 3]) {
    let server_public = SecretKey::from_bytes(&inputs.server_identity_secret).public_key();
    let client_entropy = [inputs.client_ephemeral_secret, inputs.client_random].concat();
    let mut client = Connection::with_fixed_entropy_for_testing_only(
        ConnectionRole::Client,
        Config::default(),
        client_entropy,
    )
    .unwrap();
    if let Some(secret) = &inputs.client_identity_secret {
        client.set_secret_key(secret).unwrap();
    }
    client.add_authorized_key(server_public.as_bytes()).unwrap();

    let role = if inputs.authenticating {
        ConnectionRole::AuthenticatingServer
    } else {
        ConnectionRole::OpenServer
    };
    // A server connection draws 32 bytes for a throwaway identity when it is
    // built (replaced by set_secret_key), then e_s_sk at CLIENT_HELLO.
    let server_entropy = [[0u8; 32], inputs.server_ephemeral_secret].concat();
    let mut server =
        Connection::with_fixed_entropy_for_testing_only(role, Config::default(), server_entropy)
            .unwrap();
    server
        .set_secret_key(&inputs.server_identity_secret)
        .unwrap();
    if let Some(secret) = &inputs.client_identity_secret {
        let client_public = SecretKey::from_bytes(secret).public_key();
        server.add_authorized_key(client_public.as_bytes()).unwrap();
    }

    let mut wire = [0u8; 512];
    let n = client.send_handshake(&mut wire).unwrap();
    let m1 = wire[..n].to_vec();
    assert_eq!(server.recv_handshake(&m1).unwrap(), m1.len());
    let n = server.send_handshake(&mut wire).unwrap();
    let m2 = wire[..n].to_vec();
    assert_eq!(client.recv_handshake(&m2).unwrap(), m2.len());
    assert!(client.handshake_done().unwrap());
    let n = client.send_handshake(&mut wire).unwrap();
    let m3 = wire[..n].to_vec();
    assert_eq!(server.recv_handshake(&m3).unwrap(), m3.len());
    assert!(server.handshake_done().unwrap());
    assert_eq!(client.remote_public_key(), Some(&server_public));
    assert_eq!(
        server.remote_public_key().copied(),
        inputs
            .client_identity_secret
            .map(|s| SecretKey::from_bytes(&s).public_key())
    );
    (client, server, [m1, m2, m3])
}

struct Record {
    direction: Direction,
    kind: &'static str,
    key_generation: u64,
    counter: u64,
    plaintext: Vec<u8>,
    frame: Vec<u8>,
}

/// Record keys read from the connections' sealers.
struct RecordKeys {
    c_ap_0: [u8; 32],
    s_ap_0: [u8; 32],
    c_key_0: [u8; 32],
    s_key_0: [u8; 32],
    c_ap_1: [u8; 32],
    c_key_1: [u8; 32],
}

fn sealer(c: &Connection) -> &RecordSealer {
    c.sealer_for_testing_only().expect("established")
}

/// Sends [`SCRIPT`] between the two connections, delivering every frame.
fn exchange_records(client: &mut Connection, server: &mut Connection) -> (Vec<Record>, RecordKeys) {
    let mut keys = RecordKeys {
        c_ap_0: sealer(client).secret_bytes_for_testing_only(),
        s_ap_0: sealer(server).secret_bytes_for_testing_only(),
        c_key_0: sealer(client).key_bytes_for_testing_only(),
        s_key_0: sealer(server).key_bytes_for_testing_only(),
        c_ap_1: [0; 32],
        c_key_1: [0; 32],
    };
    let mut generation = [0u64; 2];
    let mut records = Vec::new();
    for step in SCRIPT {
        let direction = match step {
            Step::Data(d, _) | Step::KeyUpdate(d) | Step::Close(d) => *d,
        };
        let (tx, rx) = match direction {
            ClientToServer => (&mut *client, &mut *server),
            ServerToClient => (&mut *server, &mut *client),
        };
        let counter = sealer(tx).counter();
        let mut out = [0u8; 256];
        let (kind, plaintext, n) = match step {
            Step::Data(_, []) => ("DATA", &[][..], tx.seal_in_place(&mut out, 0).unwrap()),
            Step::Data(_, text) => {
                let progress = tx.send_data(text, &mut out).unwrap();
                assert_eq!(progress.consumed, text.len());
                ("DATA", *text, progress.produced)
            }
            Step::KeyUpdate(_) => {
                tx.update_keys().unwrap();
                ("KEY_UPDATE", &[][..], tx.flush(&mut out).unwrap())
            }
            Step::Close(_) => {
                tx.close().unwrap();
                ("CLOSE", &[][..], tx.flush(&mut out).unwrap())
            }
        };
        assert!(tx.pending_output().is_empty());
        let frame = out[..n].to_vec();
        assert_eq!(frame.len(), plaintext.len() + 19);

        let mut delivered = [0u8; 256];
        let progress = rx.recv_data(&frame, &mut delivered).unwrap();
        assert_eq!(progress.consumed, frame.len());
        assert_eq!(&delivered[..progress.produced], plaintext);

        let index = direction as usize;
        records.push(Record {
            direction,
            kind,
            key_generation: generation[index],
            counter,
            plaintext: plaintext.to_vec(),
            frame,
        });
        match step {
            Step::KeyUpdate(_) => {
                generation[index] += 1;
                assert_eq!(sealer(tx).counter(), 0);
                if direction == ClientToServer && generation[index] == 1 {
                    keys.c_ap_1 = sealer(tx).secret_bytes_for_testing_only();
                    keys.c_key_1 = sealer(tx).key_bytes_for_testing_only();
                }
            }
            Step::Close(_) => {
                assert!(tx.is_closed());
                assert!(rx.peer_closed());
            }
            Step::Data(..) => assert_eq!(sealer(tx).counter(), counter + 1),
        }
    }
    assert_ne!(keys.c_ap_1, [0; 32], "the script has a client KEY_UPDATE");
    (records, keys)
}

// ---- JSON text with a fixed key order ----

enum Json {
    Null,
    Number(u64),
    String(String),
    Object(Vec<(&'static str, Json)>),
    Array(Vec<Json>),
}

fn hex(bytes: &[u8]) -> Json {
    Json::String(to_hex(bytes))
}

fn opt_hex(bytes: Option<&[u8]>) -> Json {
    bytes.map_or(Json::Null, hex)
}

/// Writes `value` as serde_json's pretty printer would (two-space indent).
fn write_json(value: &Json, indent: usize, out: &mut String) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Json::Null => out.push_str("null"),
        Json::Number(n) => out.push_str(&n.to_string()),
        // Only hex and fixed ASCII names: nothing needs escaping.
        Json::String(s) => {
            assert!(
                s.bytes()
                    .all(|c| c.is_ascii_graphic() && c != b'"' && c != b'\\')
            );
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Json::Object(fields) => {
            out.push_str("{\n");
            for (i, (name, v)) in fields.iter().enumerate() {
                out.push_str(&format!("{}\"{name}\": ", pad(indent + 1)));
                write_json(v, indent + 1, out);
                out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}}}", pad(indent)));
        }
        Json::Array(items) => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                write_json(v, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&format!("{}]", pad(indent)));
        }
    }
}

/// Runs everything for `inputs` and returns the file's text.
fn generate(inputs: &Inputs) -> String {
    let hs = handshake_with_key_log(inputs);
    let (mut client, mut server, messages) = connections(inputs);
    assert_eq!(
        messages, hs.messages,
        "Connection and the handshake state machines disagree"
    );
    let (records, keys) = exchange_records(&mut client, &mut server);
    assert_eq!(&keys.c_ap_0[..], &hs.log["keys.c_ap_0"][..]);
    assert_eq!(&keys.s_ap_0[..], &hs.log["keys.s_ap_0"][..]);

    // What was signed is label || 0x00 || transcript hash.
    let (signed, sig_s) = &hs.server_signature;
    assert_eq!(
        signed,
        &[SERVER_LABEL, &[0], &hs.log["transcript.th_s"]].concat()
    );
    if let Some((signed, _)) = &hs.client_signature {
        assert_eq!(
            signed,
            &[CLIENT_LABEL, &[0], &hs.log["transcript.th_c"]].concat()
        );
    }

    let client_public = inputs
        .client_identity_secret
        .map(|s| SecretKey::from_bytes(&s).public_key().to_bytes());
    let server_public = SecretKey::from_bytes(&inputs.server_identity_secret)
        .public_key()
        .to_bytes();
    let log = |name: &str| hex(&hs.log[name]);
    let opt_log = |name: &str| opt_hex(hs.log.get(name).map(Vec::as_slice));
    let [m1, m2, m3] = &hs.messages;

    let json = Json::Object(vec![
        (
            "inputs",
            Json::Object(vec![
                (
                    "client_identity_secret",
                    opt_hex(inputs.client_identity_secret.as_ref().map(|s| &s[..])),
                ),
                (
                    "server_identity_secret",
                    hex(&inputs.server_identity_secret),
                ),
                (
                    "client_ephemeral_secret",
                    hex(&inputs.client_ephemeral_secret),
                ),
                ("client_random", hex(&inputs.client_random)),
                (
                    "server_ephemeral_secret",
                    hex(&inputs.server_ephemeral_secret),
                ),
                ("server_flags", hex(&[u8::from(inputs.authenticating)])),
            ]),
        ),
        (
            "public",
            Json::Object(vec![
                (
                    "client_identity",
                    opt_hex(client_public.as_ref().map(|k| &k[..])),
                ),
                ("server_identity", hex(&server_public)),
                ("client_ephemeral", hex(&m1[5..37])),
                ("server_ephemeral", hex(&m2[5..37])),
            ]),
        ),
        (
            "messages",
            Json::Object(vec![
                ("client_hello", hex(m1)),
                ("server_hello", hex(m2)),
                ("client_auth", hex(m3)),
            ]),
        ),
        (
            "transcript",
            Json::Object(vec![
                ("th2", log("transcript.th2")),
                ("th_s", log("transcript.th_s")),
                ("th3h", log("transcript.th3h")),
                ("th_c", opt_log("transcript.th_c")),
                ("th", log("transcript.th")),
            ]),
        ),
        (
            "keys",
            Json::Object(vec![
                ("dh", log("keys.dh")),
                ("hs_secret", log("keys.hs_secret")),
                ("c_hs_key", log("keys.c_hs_key")),
                ("s_hs_key", log("keys.s_hs_key")),
                ("c_ap_0", log("keys.c_ap_0")),
                ("s_ap_0", log("keys.s_ap_0")),
                ("c_key_0", hex(&keys.c_key_0)),
                ("s_key_0", hex(&keys.s_key_0)),
                ("c_ap_1", hex(&keys.c_ap_1)),
                ("c_key_1", hex(&keys.c_key_1)),
            ]),
        ),
        (
            "signatures",
            Json::Object(vec![
                ("server", hex(sig_s)),
                (
                    "client",
                    opt_hex(hs.client_signature.as_ref().map(|(_, s)| &s[..])),
                ),
            ]),
        ),
        (
            "records",
            Json::Array(
                records
                    .iter()
                    .map(|r| {
                        Json::Object(vec![
                            ("direction", Json::String(r.direction.name().into())),
                            ("type", Json::String(r.kind.into())),
                            ("key_generation", Json::Number(r.key_generation)),
                            ("counter", Json::Number(r.counter)),
                            ("plaintext", hex(&r.plaintext)),
                            ("frame", hex(&r.frame)),
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

// ---- independent check of a vector file ----

/// The top-level objects and their fields, in file order (PROTOCOL.md §15.2).
const FIELDS: &[(&str, &[&str])] = &[
    (
        "inputs",
        &[
            "client_identity_secret",
            "server_identity_secret",
            "client_ephemeral_secret",
            "client_random",
            "server_ephemeral_secret",
            "server_flags",
        ],
    ),
    (
        "public",
        &[
            "client_identity",
            "server_identity",
            "client_ephemeral",
            "server_ephemeral",
        ],
    ),
    ("messages", &["client_hello", "server_hello", "client_auth"]),
    ("transcript", &["th2", "th_s", "th3h", "th_c", "th"]),
    (
        "keys",
        &[
            "dh",
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

const RECORD_FIELDS: &[&str] = &[
    "direction",
    "type",
    "key_generation",
    "counter",
    "plaintext",
    "frame",
];

/// The fields that are `null` for an anonymous client.
const ANONYMOUS_NULLS: &[&str] = &[
    "inputs.client_identity_secret",
    "public.client_identity",
    "transcript.th_c",
    "signatures.client",
];

fn sorted(names: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut v: Vec<String> = names.into_iter().map(|s| s.as_ref().to_owned()).collect();
    v.sort();
    v
}

/// The value at `path` (`"keys.dh"`); a missing field panics.
fn at<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, name| {
        v.get(name)
            .unwrap_or_else(|| panic!("missing field {path}"))
    })
}

/// The bytes at `path`, or `None` if it is `null`.
fn opt_bytes(v: &Value, path: &str) -> Option<Vec<u8>> {
    match at(v, path) {
        Value::Null => None,
        Value::String(s) => Some(from_hex(path, s)),
        other => panic!("{path}: expected a hex string or null, got {other}"),
    }
}

fn bytes(v: &Value, path: &str) -> Vec<u8> {
    opt_bytes(v, path).unwrap_or_else(|| panic!("{path} is null"))
}

fn b32(v: &Value, path: &str) -> [u8; 32] {
    bytes(v, path)
        .try_into()
        .unwrap_or_else(|b: Vec<u8>| panic!("{path}: {} bytes, expected 32", b.len()))
}

fn b64(v: &Value, path: &str) -> [u8; 64] {
    bytes(v, path)
        .try_into()
        .unwrap_or_else(|b: Vec<u8>| panic!("{path}: {} bytes, expected 64", b.len()))
}

fn th(parts: &[&[u8]]) -> [u8; 32] {
    let mut t = Transcript::new();
    for part in parts {
        t.update(part);
    }
    t.hash()
}

/// Requires the 32 bytes at `label`'s field path (the label up to the first
/// space, e.g. `"keys.dh (server side)"` reads `keys.dh`) to equal `computed`.
fn field_is(v: &Value, label: &str, computed: &[u8; 32]) {
    let path = label.split(' ').next().unwrap();
    check_eq(label, &b32(v, path), computed);
}

fn check_eq(path: &str, file: &[u8], computed: &[u8]) {
    assert!(
        file == computed,
        "{path}: the file has {}, recomputed {}",
        to_hex(file),
        to_hex(computed)
    );
}

/// Field names, nulls and hex format.
fn check_shape(v: &Value) {
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
struct Channel {
    sealer: RecordSealer,
    opener: RecordOpener,
    generation: u64,
    closed: bool,
}

/// Recomputes every value of a vector file from its inputs and message bytes,
/// with `ossuary-crypto` primitives only (no state machine).
fn check_vectors(v: &Value) {
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
        &[&[0x01, 0x00, 0x42, 0x01, 0x00][..], &e_c, &random_c].concat(),
    );
    let m2 = bytes(v, "messages.server_hello");
    assert_eq!(m2.len(), 149, "messages.server_hello length");
    check_eq(
        "messages.server_hello[0..37]",
        &m2[..37],
        &[&[0x02, 0x00, 0x92, 0x01, flags[0]][..], &e_s].concat(),
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
    let (m2clear, m2_sealed) = m2.split_at(37);

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
    let hs_c = HandshakeSecret::from_shared(dh_c);
    let hs_s = HandshakeSecret::from_shared(dh_s);
    field_is(v, "keys.hs_secret", &hs_c.to_bytes_for_testing_only());
    let hs_keys = hs_c.handshake_keys(&th2);
    field_is(
        v,
        "keys.c_hs_key",
        &hs_keys.client.to_bytes_for_testing_only(),
    );
    field_is(
        v,
        "keys.s_hs_key",
        &hs_keys.server.to_bytes_for_testing_only(),
    );

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
    let (c_sealer, c_opener) = traffic_c.into_record_keys(Role::Client);
    let (s_sealer, s_opener) = traffic_s.into_record_keys(Role::Server);
    field_is(v, "keys.c_key_0", &c_sealer.key_bytes_for_testing_only());
    field_is(
        v,
        "keys.c_key_0 (server side)",
        &s_opener.key_bytes_for_testing_only(),
    );
    field_is(v, "keys.s_key_0", &s_sealer.key_bytes_for_testing_only());
    field_is(
        v,
        "keys.s_key_0 (client side)",
        &c_opener.key_bytes_for_testing_only(),
    );

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
                    field_is(v, "keys.c_ap_1", &ch.sealer.secret_bytes_for_testing_only());
                    field_is(v, "keys.c_key_1", &ch.sealer.key_bytes_for_testing_only());
                    field_is(
                        v,
                        "keys.c_key_1 (server side)",
                        &ch.opener.key_bytes_for_testing_only(),
                    );
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

// ---- compare or bless ----

fn vector_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/vectors")
        .join(file)
}

/// A line-by-line account of how `committed` differs from `generated`.
fn describe_difference(file: &str, committed: &str, generated: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) =
        (committed.lines().collect(), generated.lines().collect());
    let mut msg = format!(
        "docs/vectors/{file} does not match what the implementation produces \
         (- file, + implementation):\n"
    );
    let mut shown = 0;
    for i in 0..old.len().max(new.len()) {
        let (a, b) = (old.get(i), new.get(i));
        if a != b {
            shown += 1;
            if shown <= 20 {
                msg.push_str(&format!("  line {}:\n", i + 1));
                msg.push_str(&format!("  - {}\n", a.map_or("<none>", |s| s.trim())));
                msg.push_str(&format!("  + {}\n", b.map_or("<none>", |s| s.trim())));
            }
        }
    }
    if shown > 20 {
        msg.push_str(&format!("  ... and {} more differing lines\n", shown - 20));
    }
    if shown == 0 {
        msg.push_str("  (only line endings or the final newline differ)\n");
    }
    msg.push_str(
        "If the change is intended (and PROTOCOL.md agrees), regenerate with \
         `OSSUARY_BLESS=1 cargo test -p ossuary-core --test vectors`.",
    );
    msg
}

fn run(inputs: &Inputs) {
    let text = generate(inputs);
    let parsed: Value = serde_json::from_str(&text).expect("generated JSON parses");
    check_vectors(&parsed);

    let path = vector_path(inputs.file);
    if std::env::var_os("OSSUARY_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with `OSSUARY_BLESS=1 cargo test -p ossuary-core --test vectors`",
            path.display()
        )
    });
    assert!(
        committed == text,
        "{}",
        describe_difference(inputs.file, &committed, &text)
    );
}

#[test]
fn mutual() {
    run(&MUTUAL);
}

#[test]
fn anonymous() {
    run(&ANONYMOUS);
}

/// The checker itself rejects a file with any one value altered (one bit of a
/// byte string, a record's type, generation or counter), so a file that
/// passes it is self-consistent, not just a snapshot.
#[test]
fn checker_rejects_altered_values() {
    // The expected panics inside the checker stay quiet; all others are shown.
    thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(Cell::get) {
            previous(info);
        }
    }));
    let text = generate(&MUTUAL);
    let original: Value = serde_json::from_str(&text).unwrap();
    let mut paths: Vec<String> = FIELDS
        .iter()
        .flat_map(|(o, fs)| fs.iter().map(move |f| format!("{o}.{f}")))
        .collect();
    let records = original["records"].as_array().unwrap().len();
    for i in 0..records {
        for field in ["type", "key_generation", "counter", "plaintext", "frame"] {
            paths.push(format!("records.{i}.{field}"));
        }
    }
    for path in paths {
        let mut altered = original.clone();
        let slot = path
            .split('.')
            .fold(&mut altered, |v, k| match k.parse::<usize>() {
                Ok(i) => &mut v[i],
                Err(_) => &mut v[k],
            });
        *slot = match &*slot {
            // A number one more, another record type.
            Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
            // An empty plaintext gets a byte.
            Value::String(s) if s.is_empty() => Value::from("00"),
            Value::String(s) if s == "KEY_UPDATE" => Value::from("CLOSE"),
            Value::String(s) if s == "DATA" || s == "CLOSE" => Value::from("KEY_UPDATE"),
            // Flip the low bit of the last hex digit.
            Value::String(s) => {
                let last = u8::from_str_radix(&s[s.len() - 1..], 16).unwrap() ^ 1;
                Value::from(format!("{}{last:x}", &s[..s.len() - 1]))
            }
            other => panic!("{path}: unexpected {other}"),
        };
        QUIET.with(|q| q.set(true));
        let result = std::panic::catch_unwind(|| check_vectors(&altered));
        QUIET.with(|q| q.set(false));
        assert!(result.is_err(), "altering {path} went unnoticed");
    }
}
