//! Helpers shared by the integration tests: fixed identities, deterministic
//! randomness, a complete in-memory handshake, and hand-built ("forged")
//! handshake messages for the negative tests.
//!
//! The forgers follow PROTOCOL.md §3–5 independently of the crate's private
//! code (they use only the public `ossuary-crypto` primitives), and
//! `forgers_reproduce_honest_messages` in `tampering.rs` checks that, given
//! honest inputs, they produce the honest bytes exactly.

#![allow(dead_code, unreachable_pub)]

use ossuary_crypto::{
    EphemeralSecret, HandshakeKeys, HandshakeSecret, KemDecapsulationKey, KemEncapsulationKey,
    PublicKey, SecretKey, Signer, Transcript,
};
use ossuary_handshake::{
    ClientConfig, ClientState, Error, Established, PeerMisbehaved, ServerConfig, ServerState,
};
use ossuary_testkit::PresetRng;
use ossuary_testkit::bytes::pattern;
pub use ossuary_testkit::wire::frame;
use ossuary_wire::{
    CLIENT_AUTH_ANON_FRAME_LEN, CLIENT_AUTH_IDENTITY_FRAME_LEN, CLIENT_HELLO_FRAME_LEN, Frame,
    FrameType, HEADER_LEN, Header, SERVER_HELLO_CLEAR_LEN, SERVER_HELLO_FRAME_LEN,
};

/// The role label of the server's transcript signature (PROTOCOL.md §5.1).
pub const SERVER_LABEL: &[u8] = b"ossuary v1 server signature";
/// The role label of the client's transcript signature (PROTOCOL.md §5.1).
pub const CLIENT_LABEL: &[u8] = b"ossuary v1 client signature";

/// The client's randomness: 32 bytes of X25519 secret, 32 of random, then
/// the 64-byte ML-KEM seed `d || z` (PROTOCOL.md §3.1).
pub const CLIENT_RNG: [u8; 128] = pattern(0x01);
/// The server's randomness: 32 bytes of X25519 secret, then the 32-byte
/// ML-KEM encapsulation randomness `m` (PROTOCOL.md §3.2).
pub const SERVER_RNG: [u8; 64] = pattern(0x02);
/// Another client's randomness (a second, independent session).
pub const OTHER_CLIENT_RNG: [u8; 128] = pattern(0x03);
/// Another server's randomness.
pub const OTHER_SERVER_RNG: [u8; 64] = pattern(0x04);

/// The client's ephemeral secrets inside a client RNG buffer: the X25519
/// scalar and the ML-KEM seed.
pub struct ClientSecrets {
    pub x25519: [u8; 32],
    pub kem_seed: [u8; 64],
}

/// The ML-KEM encapsulation key of the client randomness `client_rng`.
pub fn kem_key(client_rng: &[u8]) -> [u8; 1184] {
    let seed = &client_ephemeral_secret(client_rng).kem_seed;
    *KemDecapsulationKey::generate(&mut PresetRng::new(seed))
        .unwrap()
        .encapsulation_key()
}

/// The ephemeral secrets inside a client RNG buffer.
pub fn client_ephemeral_secret(client_rng: &[u8]) -> ClientSecrets {
    ClientSecrets {
        x25519: client_rng[..32].try_into().unwrap(),
        kem_seed: client_rng[64..128].try_into().unwrap(),
    }
}

pub fn server_identity() -> SecretKey {
    SecretKey::from_bytes(&pattern(0x10))
}

pub fn client_identity() -> SecretKey {
    SecretKey::from_bytes(&pattern(0x20))
}

/// A third party: neither the server nor an authorized client.
pub fn stranger_identity() -> SecretKey {
    SecretKey::from_bytes(&pattern(0x30))
}

/// A frame around `body` with a consistent header, bypassing the length rules
/// of known types (the fields are public precisely so tests can do this).
pub fn raw_frame(frame_type: FrameType, body: &[u8]) -> Frame<'_> {
    Frame {
        header: Header::new(frame_type, body.len()).unwrap(),
        body,
    }
}

/// The three handshake messages, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Messages {
    pub client_hello: Vec<u8>,
    pub server_hello: Vec<u8>,
    pub client_auth: Vec<u8>,
}

/// Both ends of a successful handshake.
#[derive(Debug)]
pub struct Outcome {
    pub client: Established,
    pub server: Established,
    pub messages: Messages,
    /// Whether the client paused on an untrusted server key (and approved it).
    pub paused: bool,
}

/// Which side returned the error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Writes CLIENT_HELLO with `rng`, checking that exactly 128 bytes are drawn.
pub fn start_client(rng_bytes: &[u8]) -> (ClientState, Vec<u8>) {
    let mut rng = PresetRng::new(rng_bytes);
    let mut out = [0u8; 2048];
    let (state, n) = ClientState::start(&mut rng, &mut out).unwrap();
    assert_eq!(n, CLIENT_HELLO_FRAME_LEN);
    assert_eq!(
        rng_bytes.len() - rng.remaining(),
        128,
        "client draws 128 bytes"
    );
    assert!(!rng.overdrawn());
    assert!(matches!(state, ClientState::ExpectServerHello(_)));
    (state, out[..n].to_vec())
}

/// Feeds `client_hello` to a fresh server; returns its state and SERVER_HELLO.
pub fn answer_client_hello(
    config: &ServerConfig<'_>,
    rng_bytes: &[u8],
    client_hello: &[u8],
) -> Result<(ServerState, Vec<u8>), Error> {
    let mut rng = PresetRng::new(rng_bytes);
    let mut out = [0u8; 2048];
    let (state, n) = ServerState::new().handle(&frame(client_hello), config, &mut rng, &mut out)?;
    assert_eq!(n, SERVER_HELLO_FRAME_LEN);
    assert_eq!(
        rng_bytes.len() - rng.remaining(),
        64,
        "server draws 64 bytes"
    );
    assert!(!rng.overdrawn());
    assert!(matches!(state, ServerState::ExpectClientAuth(_)));
    Ok((state, out[..n].to_vec()))
}

/// Runs a handshake in memory with the given randomness. An untrusted server
/// key is approved (TOFU) and reported in [`Outcome::paused`].
pub fn try_handshake_with(
    client_rng: &[u8],
    server_rng: &[u8],
    client: &ClientConfig<'_>,
    server: &ServerConfig<'_>,
) -> Result<Outcome, (Side, Error)> {
    let (c, client_hello) = start_client(client_rng);
    let (s, server_hello) =
        answer_client_hello(server, server_rng, &client_hello).map_err(|e| (Side::Server, e))?;

    let mut out = [0u8; 2048];
    let (c, n) = c
        .handle(&frame(&server_hello), client, &mut out)
        .map_err(|e| (Side::Client, e))?;
    let (client_done, n, paused) = match c {
        ClientState::Complete(done) => (done, n, false),
        ClientState::UntrustedServer(auth) => {
            assert_eq!(n, 0, "nothing is sent while paused");
            let (done, n) = auth
                .finish(client, &mut out)
                .map_err(|e| (Side::Client, e))?;
            (done, n, true)
        }
        ClientState::ExpectServerHello(_) => panic!("client did not move on"),
    };
    assert!(n == CLIENT_AUTH_ANON_FRAME_LEN || n == CLIENT_AUTH_IDENTITY_FRAME_LEN);
    let client_auth = out[..n].to_vec();

    let mut rng = PresetRng::new(&[]);
    let (s, n) = s
        .handle(&frame(&client_auth), server, &mut rng, &mut out)
        .map_err(|e| (Side::Server, e))?;
    assert_eq!(n, 0, "the server sends nothing after CLIENT_AUTH");
    assert!(!rng.overdrawn(), "the server draws nothing for CLIENT_AUTH");
    let ServerState::Complete(server_done) = s else {
        panic!("server did not complete");
    };
    Ok(Outcome {
        client: client_done,
        server: server_done,
        messages: Messages {
            client_hello,
            server_hello,
            client_auth,
        },
        paused,
    })
}

/// [`try_handshake_with`] with the default randomness.
pub fn try_handshake(
    client: &ClientConfig<'_>,
    server: &ServerConfig<'_>,
) -> Result<Outcome, (Side, Error)> {
    try_handshake_with(&CLIENT_RNG, &SERVER_RNG, client, server)
}

/// A handshake that must succeed.
pub fn handshake(client: &ClientConfig<'_>, server: &ServerConfig<'_>) -> Outcome {
    try_handshake(client, server).unwrap_or_else(|e| panic!("handshake failed: {e:?}"))
}

/// The messages of an honest mutual handshake (client identity, trusted
/// server, authenticating server), with the default randomness.
pub fn honest_mutual() -> Messages {
    let server_key = server_identity();
    let client_key = client_identity();
    let trusted = [server_key.public_key()];
    let authorized = [client_key.public_key()];
    let client = ClientConfig::new(Some(&client_key), &trusted);
    let server = ServerConfig::new(&server_key, true, &authorized);
    handshake(&client, &server).messages
}

/// The messages of an honest anonymous handshake against an open server.
pub fn honest_anonymous() -> Messages {
    let server_key = server_identity();
    let trusted = [server_key.public_key()];
    let client = ClientConfig::new(None, &trusted);
    let server = ServerConfig::new(&server_key, false, &[]);
    handshake(&client, &server).messages
}

/// Seals records each way and opens them on the other side; also checks the
/// two directions use different keys.
pub fn assert_records_interoperate(client: Established, server: Established) {
    let (mut c_seal, mut c_open, _) = client.into_parts();
    let (mut s_seal, mut s_open, _) = server.into_parts();
    let messages: [&[u8]; 3] = [b"", b"ping from the test", &[0xa5; 300]];
    for msg in messages {
        roundtrip(&mut c_seal, &mut s_open, msg);
        roundtrip(&mut s_seal, &mut c_open, msg);
    }
    // A record sealed by the client does not open under the client's own
    // receive key: the directions are separated.
    let (header, mut buf) = record_header(b"mirror");
    let tag = c_seal.seal_in_place(&header, &mut buf).unwrap();
    assert!(c_open.open_in_place(&header, &mut buf, &tag).is_err());
}

fn record_header(msg: &[u8]) -> ([u8; HEADER_LEN], Vec<u8>) {
    let header = Header::new(FrameType::DATA, msg.len() + 16)
        .unwrap()
        .to_bytes();
    (header, msg.to_vec())
}

fn roundtrip(
    sealer: &mut ossuary_crypto::RecordSealer,
    opener: &mut ossuary_crypto::RecordOpener,
    msg: &[u8],
) {
    let (header, mut buf) = record_header(msg);
    let tag = sealer.seal_in_place(&header, &mut buf).unwrap();
    if !msg.is_empty() {
        assert_ne!(buf, msg, "the record is encrypted");
    }
    opener.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(buf, msg);
}

/// `label || 0x00 || hash`, signed by `key` (PROTOCOL.md §5.1).
pub fn sign_transcript(key: &SecretKey, label: &[u8], hash: &[u8; 32]) -> [u8; 64] {
    let mut msg = label.to_vec();
    msg.push(0);
    msg.extend_from_slice(hash);
    assert_eq!(msg.len(), 60);
    key.sign(&msg).unwrap()
}

/// The Ed25519 group order L, little-endian.
pub const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `(R, S + L)`: the same signature with a non-canonical `S`, which a
/// cofactorless but non-strict verifier would still accept.
pub fn add_group_order_to_s(signature: &[u8; 64]) -> [u8; 64] {
    let mut out = *signature;
    let mut carry = 0u16;
    for (i, l) in GROUP_ORDER.iter().enumerate() {
        let sum = u16::from(out[32 + i]) + u16::from(*l) + carry;
        out[32 + i] = sum as u8;
        carry = sum >> 8;
    }
    // S < L < 2^253, so S + L < 2^254: no carry out of the 32 bytes.
    assert_eq!(carry, 0);
    out
}

/// The X25519 output of `own_secret` with the peer's `e` (bytes 5..37 of
/// either hello).
fn dh(own_secret: &[u8; 32], peer_public: &[u8]) -> ossuary_crypto::SharedSecret {
    let secret = EphemeralSecret::generate(&mut PresetRng::new(own_secret)).unwrap();
    let peer: [u8; 32] = peer_public.try_into().unwrap();
    secret.diffie_hellman(&peer).unwrap()
}

/// The server's ML-KEM ciphertext and the handshake keys, as the server
/// with randomness `server_rng` (`e_s_sk || m`) derives them for
/// `client_hello`: `th2` is computed by `transcript_th2` from the ciphertext.
fn server_side(
    server_rng: &[u8; 64],
    client_hello: &[u8],
    transcript_th2: impl FnOnce(&[u8; 1088]) -> [u8; 32],
) -> ([u8; 1088], [u8; 32], HandshakeKeys) {
    let (x, m) = server_rng.split_at(32);
    let shared = dh(x.try_into().unwrap(), &client_hello[5..37]);
    let ek = KemEncapsulationKey::try_from(&client_hello[69..1253]).unwrap();
    let (ct, k) = ek.encapsulate(&mut PresetRng::new(m)).unwrap();
    let th2 = transcript_th2(&ct);
    let keys = HandshakeSecret::from_hybrid(shared, k).handshake_keys(&th2);
    (ct, th2, keys)
}

/// The handshake keys as the client with `secrets` derives them from
/// `server_hello` (its `e_s` and `ct`).
pub fn client_keys(secrets: &ClientSecrets, server_hello: &[u8], th2: &[u8; 32]) -> HandshakeKeys {
    let shared = dh(&secrets.x25519, &server_hello[5..37]);
    let dk = KemDecapsulationKey::generate(&mut PresetRng::new(&secrets.kem_seed)).unwrap();
    let k = dk.decapsulate(server_hello[37..1125].try_into().unwrap());
    HandshakeSecret::from_hybrid(shared, k).handshake_keys(th2)
}

/// What the server puts in the sealed part of a forged SERVER_HELLO.
pub struct ServerHelloSpec<'a> {
    /// The server's randomness as drawn: X25519 scalar, then ML-KEM `m`.
    pub ephemeral_secret: [u8; 64],
    /// The clear version byte.
    pub version: u8,
    /// The clear flags byte.
    pub flags: u8,
    /// `S_id` as sent.
    pub identity: [u8; 32],
    /// Produces `sig_s` from the correct `THs`.
    pub sign: &'a dyn Fn(&[u8; 32]) -> [u8; 64],
}

impl<'a> ServerHelloSpec<'a> {
    /// An honest server with identity `key` and the given flags.
    pub fn honest(key: &'a SecretKey, flags: u8, sign: &'a dyn Fn(&[u8; 32]) -> [u8; 64]) -> Self {
        Self {
            ephemeral_secret: SERVER_RNG,
            version: 1,
            flags,
            identity: key.public_key().to_bytes(),
            sign,
        }
    }
}

/// Builds SERVER_HELLO by hand (PROTOCOL.md §3.2, §4, §5): `M2clear`, TH2,
/// THs, `sig_s`, then `Seal(s_hs_key, TH2, S_id || sig_s)`.
pub fn forge_server_hello(client_hello: &[u8], spec: &ServerHelloSpec<'_>) -> Vec<u8> {
    let mut rng = PresetRng::new(&spec.ephemeral_secret[..32]);
    let e_s = EphemeralSecret::generate(&mut rng).unwrap().public_key();
    let mut m2 = vec![0x02, 0x04, 0xd2, spec.version, spec.flags];
    m2.extend_from_slice(&e_s);

    let mut transcript = Transcript::new();
    transcript.update(client_hello);
    let (ct, th2, keys) = server_side(&spec.ephemeral_secret, client_hello, |ct| {
        m2.extend_from_slice(ct);
        transcript.update(&m2);
        transcript.hash()
    });
    assert_eq!(m2.len(), SERVER_HELLO_CLEAR_LEN);
    assert_eq!(m2[37..], ct);
    let mut ths = transcript.clone();
    ths.update(&spec.identity);
    let signature = (spec.sign)(&ths.hash());

    let mut plain = spec.identity.to_vec();
    plain.extend_from_slice(&signature);
    let tag = keys.server.seal_in_place(&th2, &mut plain);
    m2.extend_from_slice(&plain);
    m2.extend_from_slice(&tag);
    assert_eq!(m2.len(), SERVER_HELLO_FRAME_LEN);
    m2
}

/// Builds CLIENT_AUTH by hand with an arbitrary plaintext `P` (PROTOCOL.md
/// §3.3): the header announces `P.len() + 16`, the AD is TH3h.
pub fn forge_client_auth_plain(
    client_ephemeral_secret: &ClientSecrets,
    client_hello: &[u8],
    server_hello: &[u8],
    plain: &[u8],
) -> Vec<u8> {
    let (keys, transcript, header) = client_auth_context(
        client_ephemeral_secret,
        client_hello,
        server_hello,
        plain.len(),
    );
    let th3h = transcript.hash();
    let mut sealed = plain.to_vec();
    let tag = keys.client.seal_in_place(&th3h, &mut sealed);
    let mut m3 = header.to_vec();
    m3.extend_from_slice(&sealed);
    m3.extend_from_slice(&tag);
    m3
}

/// Builds an IDENTITY CLIENT_AUTH by hand: `identity` is `C_id` as sent and
/// `sign` produces `sig_c` from the correct THc.
pub fn forge_client_auth(
    client_ephemeral_secret: &ClientSecrets,
    client_hello: &[u8],
    server_hello: &[u8],
    identity: &[u8; 32],
    sign: &dyn Fn(&[u8; 32]) -> [u8; 64],
) -> Vec<u8> {
    let (_, transcript, _) =
        client_auth_context(client_ephemeral_secret, client_hello, server_hello, 97);
    let mut thc = transcript;
    thc.update(&[0x01]);
    thc.update(identity);
    let signature = sign(&thc.hash());
    let mut plain = vec![0x01];
    plain.extend_from_slice(identity);
    plain.extend_from_slice(&signature);
    forge_client_auth_plain(client_ephemeral_secret, client_hello, server_hello, &plain)
}

/// The handshake keys, the transcript through `M3hdr`, and `M3hdr`.
fn client_auth_context(
    client_ephemeral_secret: &ClientSecrets,
    client_hello: &[u8],
    server_hello: &[u8],
    plain_len: usize,
) -> (HandshakeKeys, Transcript, [u8; HEADER_LEN]) {
    let mut transcript = Transcript::new();
    transcript.update(client_hello);
    transcript.update(&server_hello[..SERVER_HELLO_CLEAR_LEN]);
    let th2 = transcript.hash();
    let keys = client_keys(client_ephemeral_secret, server_hello, &th2);
    transcript.update(&server_hello[SERVER_HELLO_CLEAR_LEN..]);
    let header = Header::new(FrameType::CLIENT_AUTH, plain_len + 16)
        .unwrap()
        .to_bytes();
    transcript.update(&header);
    (keys, transcript, header)
}

/// The public key of a secret key, for trusted / authorized lists.
pub fn public(key: &SecretKey) -> PublicKey {
    key.public_key()
}

/// A [`Signer`] that signs each distinct message once and then replays the
/// (deterministic) signature: Ed25519 in a debug build costs milliseconds, and
/// the bit-flipping tests rebuild the same SERVER_HELLO hundreds of times.
pub struct CachedSigner {
    key: SecretKey,
    cache: std::cell::RefCell<std::collections::HashMap<Vec<u8>, [u8; 64]>>,
}

impl CachedSigner {
    pub fn new(key: SecretKey) -> Self {
        Self {
            key,
            cache: Default::default(),
        }
    }
}

impl Signer for CachedSigner {
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], ossuary_crypto::Error> {
        let mut cache = self.cache.borrow_mut();
        if let Some(sig) = cache.get(msg) {
            return Ok(*sig);
        }
        let sig = self.key.sign(msg)?;
        cache.insert(msg.to_vec(), sig);
        Ok(sig)
    }
}

/// A [`Signer`] whose signing always fails (an unplugged HSM).
pub struct FailingSigner(pub PublicKey);

impl Signer for FailingSigner {
    fn public_key(&self) -> PublicKey {
        self.0
    }

    fn sign(&self, _msg: &[u8]) -> Result<[u8; 64], ossuary_crypto::Error> {
        Err(ossuary_crypto::Error::Signer)
    }
}

// ---------------------------------------------------------------------------
// The attacker's view (tampering.rs, signatures.rs)
// ---------------------------------------------------------------------------

pub const DECRYPT: Error = Error::PeerMisbehaved(PeerMisbehaved::HandshakeDecryptFailed);
pub const NON_CONTRIBUTORY: Error = Error::PeerMisbehaved(PeerMisbehaved::NonContributoryKeyShare);
pub const INVALID_KEM_KEY: Error = Error::PeerMisbehaved(PeerMisbehaved::InvalidKemKey);
pub const BAD_SERVER_SIG: Error = Error::PeerMisbehaved(PeerMisbehaved::BadServerSignature);
pub const BAD_CLIENT_SIG: Error = Error::PeerMisbehaved(PeerMisbehaved::BadClientSignature);
pub const INVALID_KEY: Error = Error::PeerMisbehaved(PeerMisbehaved::InvalidIdentityKey);

/// Feeds `server_hello` to a fresh client started from `CLIENT_RNG`; checks that
/// nothing is written when it fails.
pub fn client_receives(
    client: &ClientConfig<'_>,
    server_hello: &[u8],
) -> Result<ClientState, Error> {
    let (c, _) = start_client(&CLIENT_RNG);
    let mut out = [0u8; 2048];
    let result = c.handle(&frame(server_hello), client, &mut out);
    if result.is_err() {
        assert_eq!(out, [0u8; 2048], "nothing written on error");
    }
    result.map(|(state, _)| state)
}

/// Feeds `client_auth` to a server that answered `client_hello`.
pub fn server_receives(
    server: &ServerConfig<'_>,
    client_hello: &[u8],
    client_auth: &[u8],
) -> Result<ServerState, Error> {
    let (s, _) = answer_client_hello(server, &SERVER_RNG, client_hello).unwrap();
    s.handle(
        &frame(client_auth),
        server,
        &mut PresetRng::new(&[]),
        &mut [],
    )
    .map(|(state, _)| state)
}

/// The client of the mutual session: identity, trusts the server.
pub struct MutualClient {
    key: SecretKey,
    trusted: [ossuary_crypto::PublicKey; 1],
}

impl MutualClient {
    pub fn new() -> Self {
        Self {
            key: client_identity(),
            trusted: [server_identity().public_key()],
        }
    }

    pub fn config(&self) -> ClientConfig<'_> {
        ClientConfig::new(Some(&self.key), &self.trusted)
    }
}

/// The server of the mutual session: authenticating, the client authorized.
pub struct MutualServer {
    signer: CachedSigner,
    authorized: [ossuary_crypto::PublicKey; 1],
}

impl MutualServer {
    pub fn new() -> Self {
        Self {
            signer: CachedSigner::new(server_identity()),
            authorized: [client_identity().public_key()],
        }
    }

    pub fn config(&self) -> ServerConfig<'_> {
        ServerConfig::new(&self.signer, true, &self.authorized)
    }
}

pub fn honest_server_sig(ths: &[u8; 32]) -> [u8; 64] {
    sign_transcript(&server_identity(), SERVER_LABEL, ths)
}

pub fn honest_client_sig(thc: &[u8; 32]) -> [u8; 64] {
    sign_transcript(&client_identity(), CLIENT_LABEL, thc)
}

/// Produces a signature from the correct transcript hash.
pub type SignFn<'a> = Box<dyn Fn(&[u8; 32]) -> [u8; 64] + 'a>;

pub fn e_c_sk() -> ClientSecrets {
    client_ephemeral_secret(&CLIENT_RNG)
}
