//! Generating a vector file: the handshake through the state machines with
//! key logs, the same handshake through two fixed-randomness
//! [`Connection`]s, the scripted records, and the file's JSON text.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::convert::Infallible;

use ossuary_core::{Config, Connection, HandshakeStatus, Role as ConnectionRole};
use ossuary_crypto::{
    Error as CryptoError, PublicKey, SecretKey, Signer, TryCryptoRng, TryRng, hazmat,
};
use ossuary_handshake::{ClientConfig, ClientState, KeyLog, ServerConfig, ServerState};
use ossuary_wire::{Frame, Parsed};

use super::common::{fixed_connection, take_output};
use super::inputs::{
    CLIENT_LABEL, ClientToServer, Direction, Inputs, SCRIPT, SERVER_LABEL, ServerToClient, Step,
};
use super::json::{Json, hex, opt_hex, write_json};

/// Collects every value the handshake logs.
#[derive(Default)]
pub(crate) struct Log(RefCell<Vec<(&'static str, Vec<u8>)>>);

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
pub(crate) struct RecordingSigner {
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

/// Preset bytes as the handshake's RNG; drawing more than is left is a
/// bug in the test and panics. (`ossuary-testkit` has the shared one; this
/// test keeps to the crates `ossuary-core` already depends on.)
pub(crate) struct PresetRng<'a>(&'a [u8]);

impl<'a> PresetRng<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    fn remaining(&self) -> usize {
        self.0.len()
    }

    fn overdrawn(&self) -> bool {
        false
    }
}

impl TryRng for PresetRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let (now, rest) = self
            .0
            .split_at_checked(dst.len())
            .expect("the preset randomness ran out");
        dst.copy_from_slice(now);
        self.0 = rest;
        Ok(())
    }
}

impl TryCryptoRng for PresetRng<'_> {}

pub(crate) fn parse_frame(bytes: &[u8]) -> Frame<'_> {
    match Frame::parse(bytes).unwrap() {
        Parsed::Complete { value, consumed } => {
            assert_eq!(consumed, bytes.len(), "exactly one frame");
            value
        }
        Parsed::Incomplete { needed } => panic!("incomplete frame, {needed} bytes missing"),
    }
}

/// What the handshake state machines produced.
pub(crate) struct Handshake {
    messages: [Vec<u8>; 3],
    /// Client and server key logs merged (they agree where both log).
    pub(crate) log: BTreeMap<&'static str, Vec<u8>>,
    /// `(signed message, sig_s)`.
    server_signature: (Vec<u8>, [u8; 64]),
    /// `(signed message, sig_c)` when the client has an identity.
    client_signature: Option<(Vec<u8>, [u8; 64])>,
}

/// The handshake through `ossuary-handshake`, with key logs.
pub(crate) fn handshake_with_key_log(inputs: &Inputs) -> Handshake {
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

    // The client draws e_c_sk, random_c, then d || z; the server draws
    // e_s_sk, then m.
    let client_entropy = client_entropy(inputs);
    let mut client_rng = PresetRng::new(&client_entropy);
    let server_entropy = server_entropy(inputs);
    let mut server_rng = PresetRng::new(&server_entropy);

    let mut m1 = [0u8; 1253];
    let (client, n) = ClientState::start(&mut client_rng, &mut m1).unwrap();
    assert_eq!(n, 1253);
    assert_eq!((client_rng.remaining(), client_rng.overdrawn()), (0, false));

    let mut m2 = [0u8; 1237];
    let (server, n) = ServerState::new()
        .handle(&parse_frame(&m1), &server_config, &mut server_rng, &mut m2)
        .unwrap();
    assert_eq!(n, 1237);
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
        "keys.kem_ss",
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

/// What the client draws, in order: `e_c_sk || random_c || d || z`.
pub(crate) fn client_entropy(inputs: &Inputs) -> Vec<u8> {
    [
        &inputs.client_ephemeral_secret[..],
        &inputs.client_random,
        &inputs.client_kem_seed,
    ]
    .concat()
}

/// What the server draws, in order: `e_s_sk || m`.
pub(crate) fn server_entropy(inputs: &Inputs) -> Vec<u8> {
    [inputs.server_ephemeral_secret, inputs.server_kem_randomness].concat()
}

/// The same handshake through two `Connection`s with fixed randomness.
pub(crate) fn connections(inputs: &Inputs) -> (Connection, Connection, [Vec<u8>; 3]) {
    let server_public = SecretKey::from_bytes(&inputs.server_identity_secret).public_key();
    let client_public = inputs
        .client_identity_secret
        .map(|s| SecretKey::from_bytes(&s).public_key());
    // The client draws e_c_sk, random_c, then d || z, when it is built.
    let client_rng = client_entropy(inputs);
    let client_identity = inputs
        .client_identity_secret
        .map(|s| Box::new(SecretKey::from_bytes(&s)) as Box<dyn Signer + Send + Sync>);
    let mut client = fixed_connection(
        ConnectionRole::Client,
        Config::default(),
        client_identity,
        client_rng,
    );
    client.add_authorized_key(server_public).unwrap();

    let role = if inputs.authenticating {
        ConnectionRole::AuthenticatingServer
    } else {
        ConnectionRole::OpenServer
    };
    // The server draws e_s_sk, then m, at CLIENT_HELLO.
    let server_identity = Box::new(SecretKey::from_bytes(&inputs.server_identity_secret));
    let mut server = fixed_connection(
        role,
        Config::default(),
        Some(server_identity),
        server_entropy(inputs),
    );
    if let Some(client_public) = client_public {
        server.add_authorized_key(client_public).unwrap();
    }

    let m1 = take_output(&mut client);
    assert_eq!(server.recv_handshake(&m1), Ok(m1.len()));
    let m2 = take_output(&mut server);
    assert_eq!(client.recv_handshake(&m2), Ok(m2.len()));
    assert_eq!(client.handshake_status(), Ok(HandshakeStatus::Done));
    let m3 = take_output(&mut client);
    assert_eq!(server.recv_handshake(&m3), Ok(m3.len()));
    assert_eq!(server.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(client.remote_public_key(), Some(&server_public));
    assert_eq!(server.remote_public_key().copied(), client_public);
    (client, server, [m1, m2, m3])
}

pub(crate) struct Record {
    pub(crate) direction: Direction,
    pub(crate) kind: &'static str,
    pub(crate) key_generation: u64,
    pub(crate) counter: u64,
    pub(crate) plaintext: Vec<u8>,
    pub(crate) frame: Vec<u8>,
}

/// Record keys, derived by the key schedule (PROTOCOL.md §6.2, §8) from the
/// traffic secrets the handshake logged.
pub(crate) struct RecordKeys {
    c_key_0: [u8; 32],
    s_key_0: [u8; 32],
    c_ap_1: [u8; 32],
    c_key_1: [u8; 32],
}

impl RecordKeys {
    fn from_log(log: &BTreeMap<&'static str, Vec<u8>>) -> Self {
        let secret = |name: &str| -> [u8; 32] { log[name][..].try_into().unwrap() };
        let (c_ap_0, s_ap_0) = (secret("keys.c_ap_0"), secret("keys.s_ap_0"));
        let c_ap_1 = hazmat::next_traffic_secret(&c_ap_0);
        Self {
            c_key_0: hazmat::record_key(&c_ap_0),
            s_key_0: hazmat::record_key(&s_ap_0),
            c_ap_1,
            c_key_1: hazmat::record_key(&c_ap_1),
        }
    }
}

/// Sends `script` (a prefix of [`SCRIPT`]) between the two connections,
/// delivering every frame.
/// The counters are the test's own: one per direction, back to 0 at each
/// KEY_UPDATE (PROTOCOL.md §7, §8); the checker reseals every record at
/// the counter the file gives, so a wrong one is caught there.
pub(crate) fn exchange_records(
    client: &mut Connection,
    server: &mut Connection,
    script: &[Step],
) -> Vec<Record> {
    let mut generation = [0u64; 2];
    let mut counters = [0u64; 2];
    let mut records = Vec::new();
    for step in script {
        let direction = match step {
            Step::Data(d, _) | Step::KeyUpdate(d) | Step::Close(d) => *d,
        };
        let (tx, rx) = match direction {
            ClientToServer => (&mut *client, &mut *server),
            ServerToClient => (&mut *server, &mut *client),
        };
        let index = direction as usize;
        let counter = counters[index];
        let (kind, plaintext, frame) = match step {
            // send_data makes no record of nothing: seal it in place.
            Step::Data(_, []) => {
                let mut out = [0u8; 19 + 19];
                let n = tx.seal_in_place(&mut out, 0).unwrap();
                ("DATA", &[][..], out[..n].to_vec())
            }
            Step::Data(_, text) => {
                assert_eq!(tx.send_data(text), Ok(text.len()));
                ("DATA", *text, take_output(tx))
            }
            Step::KeyUpdate(_) => {
                tx.update_keys().unwrap();
                ("KEY_UPDATE", &[][..], take_output(tx))
            }
            Step::Close(_) => {
                tx.close().unwrap();
                ("CLOSE", &[][..], take_output(tx))
            }
        };
        assert!(tx.pending_output().is_empty());
        assert_eq!(frame.len(), plaintext.len() + 19, "one {kind} record");

        let mut delivered = [0u8; 256];
        let progress = rx.recv_data(&frame, &mut delivered).unwrap();
        assert_eq!(progress.consumed, frame.len());
        assert_eq!(&delivered[..progress.produced], plaintext);

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
                counters[index] = 0;
            }
            Step::Close(_) => {
                assert!(tx.is_closed());
                assert!(rx.peer_closed());
            }
            Step::Data(..) => counters[index] += 1,
        }
    }
    assert_eq!(
        generation[ClientToServer as usize], 1,
        "the script has one client KEY_UPDATE"
    );
    records
}

/// Runs everything for `inputs` and returns the file's text.
pub(crate) fn generate(inputs: &Inputs) -> String {
    let hs = handshake_with_key_log(inputs);
    let (mut client, mut server, messages) = connections(inputs);
    assert_eq!(
        messages, hs.messages,
        "Connection and the handshake state machines disagree"
    );
    let records = exchange_records(&mut client, &mut server, SCRIPT);
    let keys = RecordKeys::from_log(&hs.log);

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
                ("client_kem_seed", hex(&inputs.client_kem_seed)),
                (
                    "server_ephemeral_secret",
                    hex(&inputs.server_ephemeral_secret),
                ),
                ("server_kem_randomness", hex(&inputs.server_kem_randomness)),
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
                ("client_kem_key", hex(&m1[69..1253])),
                ("server_ephemeral", hex(&m2[5..37])),
                ("server_kem_ciphertext", hex(&m2[37..1125])),
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
                ("kem_ss", log("keys.kem_ss")),
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
