//! The fixed parties of `docs/vectors/`, their honest handshakes, and the
//! `handshake_initiator` / `handshake_responder` fuzz functions: the client
//! and the server state machines fed arbitrary peer bytes (`docs/FUZZING.md`).
//!
//! Both sides use the fixed inputs of `docs/vectors` (identity seeds
//! `00..1f` for the server and `20..3f` for the client; ephemeral secrets and
//! the client random as listed there), drawn through a [`PresetRng`], so the
//! honest messages are known in advance and the fuzzer can send them, whole
//! or mutated ([`Piece`]), and get past CLIENT_HELLO and SERVER_HELLO.
//!
//! The invariant that matters most: a state machine moves forward only on the
//! honest peer's exact bytes. A SERVER_HELLO or CLIENT_AUTH that differs in
//! any bit must be refused, whatever the fuzzer does.
//!
//! Everything here goes through the public API of `ossuary-handshake`,
//! `ossuary-crypto` and `ossuary-wire`.

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use ossuary_crypto::{PublicKey, SecretKey, Signer};
use ossuary_handshake::{ClientConfig, ClientState, Error, Established, ServerConfig, ServerState};
use ossuary_wire::{
    CLIENT_HELLO_FRAME_LEN, FrameType, Parsed, SERVER_HELLO_FRAME_LEN, ServerFlags, ServerHello,
};

use crate::PresetRng;
use crate::bytes::counting;
use crate::input::{Piece, read_u8};
use crate::wire::{checked_parse, frame};

/// The server's identity seed (both vector files).
pub const SERVER_SECRET: [u8; 32] = counting(0x00);
/// The client's identity seed (`handshake-mutual.json`).
pub const CLIENT_SECRET: [u8; 32] = counting(0x20);

/// What the client draws: `e_c_sk || random_c || d || z` (the last two the
/// ML-KEM-768 key generation seed). The client with an identity uses the
/// inputs of `handshake-mutual.json`, the anonymous one those of
/// `handshake-anonymous.json`.
pub fn client_entropy(client_identity: bool) -> [u8; 128] {
    let (e, r, kem): ([u8; 32], [u8; 32], [u8; 64]) = if client_identity {
        (counting(0x40), counting(0x60), counting(0x10))
    } else {
        (counting(0xa0), counting(0xc0), counting(0x30))
    };
    let mut out = [0u8; 128];
    out[..32].copy_from_slice(&e);
    out[32..64].copy_from_slice(&r);
    out[64..].copy_from_slice(&kem);
    out
}

/// What the server draws: `e_s_sk || m` (the ML-KEM-768 encapsulation
/// randomness), chosen by the client kind as in the vector files.
pub fn server_entropy(client_identity: bool) -> [u8; 64] {
    let (e, m): ([u8; 32], [u8; 32]) = if client_identity {
        (counting(0x80), counting(0x90))
    } else {
        (counting(0xe0), counting(0xf0))
    };
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&e);
    out[32..].copy_from_slice(&m);
    out
}

/// The two fixed identities.
pub struct Keys {
    /// The server's key.
    pub server: SecretKey,
    /// The client's key.
    pub client: SecretKey,
    /// The server's public key.
    pub server_public: PublicKey,
    /// The client's public key.
    pub client_public: PublicKey,
}

/// The fixed identities, derived once.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let server = SecretKey::from_bytes(&SERVER_SECRET);
        let client = SecretKey::from_bytes(&CLIENT_SECRET);
        Keys {
            server_public: server.public_key(),
            client_public: client.public_key(),
            server,
            client,
        }
    })
}

/// An honest handshake between the fixed parties, byte for byte.
#[derive(Clone, Debug)]
pub struct Honest {
    /// Whether the server requires client authentication (its flags).
    pub client_auth_required: bool,
    /// CLIENT_HELLO (1253 bytes).
    pub client_hello: Vec<u8>,
    /// SERVER_HELLO (1237 bytes).
    pub server_hello: Vec<u8>,
    /// CLIENT_AUTH, or `None` when an anonymous client meets a server that
    /// requires authentication (the client stops there).
    pub client_auth: Option<Vec<u8>>,
    /// The final transcript hash, when the handshake completes.
    pub transcript_hash: Option<[u8; 32]>,
}

/// The honest handshake of a client with (`client_identity`) or without an
/// identity and a server that does (`require_auth`) or does not require
/// client authentication, authorizing the client's key. Computed once each by
/// running both state machines; with `(true, true)` and `(false, false)` it
/// is the handshake of `handshake-mutual.json` and `handshake-anonymous.json`.
pub fn honest(client_identity: bool, require_auth: bool) -> &'static Honest {
    static HONEST: OnceLock<[Honest; 4]> = OnceLock::new();
    let all = HONEST.get_or_init(|| {
        [(false, false), (false, true), (true, false), (true, true)].map(|(c, r)| run_honest(c, r))
    });
    &all[usize::from(client_identity) * 2 + usize::from(require_auth)]
}

fn run_honest(client_identity: bool, require_auth: bool) -> Honest {
    let k = keys();
    let trusted = [k.server_public];
    let authorized = [k.client_public];
    let identity = client_identity.then_some(&k.client as &dyn Signer);
    let client_config = ClientConfig::new(identity, &trusted);
    let server_config = ServerConfig::new(&k.server, require_auth, &authorized);

    let entropy = client_entropy(client_identity);
    let mut rng = PresetRng::new(&entropy);
    let mut client_hello = vec![0u8; CLIENT_HELLO_FRAME_LEN];
    let (client, n) = ClientState::start(&mut rng, &mut client_hello).unwrap();
    assert_eq!(n, CLIENT_HELLO_FRAME_LEN);

    let entropy = server_entropy(client_identity);
    let mut rng = PresetRng::new(&entropy);
    let mut server_hello = vec![0u8; SERVER_HELLO_FRAME_LEN];
    let (server, n) = ServerState::new()
        .handle(
            &frame(&client_hello),
            &server_config,
            &mut rng,
            &mut server_hello,
        )
        .unwrap();
    assert_eq!(n, SERVER_HELLO_FRAME_LEN);

    let mut auth = vec![0u8; 128];
    let (client_auth, transcript_hash) =
        match client.handle(&frame(&server_hello), &client_config, &mut auth) {
            Ok((ClientState::Complete(done), n)) => {
                auth.truncate(n);
                let (ServerState::Complete(server_done), 0) = server
                    .handle(&frame(&auth), &server_config, &mut rng, &mut [])
                    .unwrap()
                else {
                    panic!("the honest server did not complete");
                };
                assert_eq!(done.transcript_hash(), server_done.transcript_hash());
                (Some(auth), Some(*done.transcript_hash()))
            }
            Err(Error::ClientIdentityRequired) if !client_identity && require_auth => (None, None),
            other => panic!("honest handshake failed: {other:?}"),
        };
    Honest {
        client_auth_required: require_auth,
        client_hello,
        server_hello,
        client_auth,
        transcript_hash,
    }
}

/// Size of the output buffer the state machines write to, unless the input
/// asks for a short one.
const OUT_LEN: usize = 2048;

/// Reads a configuration byte's bit `n`.
fn bit(byte: u8, n: u32) -> bool {
    byte >> n & 1 == 1
}

/// The pieces that make up the rest of an input.
fn read_pieces(u: &mut Unstructured<'_>) -> Vec<Piece> {
    let mut pieces = Vec::new();
    while !u.is_empty() {
        pieces.push(Piece::read(u));
    }
    pieces
}

/// Appends the input bytes of `pieces`.
fn write_pieces(pieces: &[Piece], out: &mut Vec<u8>) {
    for p in pieces {
        p.write(out);
    }
}

/// The `handshake_initiator` target's input: a client, and the byte stream
/// its server sends.
///
/// Layout: a configuration byte (bit 0 `client_identity`, bit 1
/// `require_auth`, bit 2 `trusted`, bit 3 `approve`, bit 4: a short output
/// buffer of `out_len` bytes follows), then [`Piece`]s to the end. The honest
/// frame list is `[SERVER_HELLO]` of [`honest`]`(client_identity, require_auth)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitiatorInput {
    /// The client has an identity (else it is anonymous).
    pub client_identity: bool,
    /// The honest SERVER_HELLO asks for client authentication.
    pub require_auth: bool,
    /// The server's key is pinned; otherwise the client pauses (TOFU).
    pub trusted: bool,
    /// At the TOFU pause, approve the key (else reject it).
    pub approve: bool,
    /// A short output buffer (at most 255 bytes), instead of 2048 bytes.
    pub out_len: Option<u8>,
    /// The server's bytes.
    pub pieces: Vec<Piece>,
}

impl<'a> Arbitrary<'a> for InitiatorInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let config = read_u8(u);
        let out_len = bit(config, 4).then(|| read_u8(u));
        Ok(Self {
            client_identity: bit(config, 0),
            require_auth: bit(config, 1),
            trusted: bit(config, 2),
            approve: bit(config, 3),
            out_len,
            pieces: read_pieces(u),
        })
    }
}

impl InitiatorInput {
    /// The input bytes that read back as `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let config = u8::from(self.client_identity)
            | u8::from(self.require_auth) << 1
            | u8::from(self.trusted) << 2
            | u8::from(self.approve) << 3
            | u8::from(self.out_len.is_some()) << 4;
        let mut out = vec![config];
        out.extend(self.out_len);
        write_pieces(&self.pieces, &mut out);
        out
    }
}

/// [`initiator`] on raw fuzzer bytes (what the target and the regression
/// tests call).
pub fn initiator_bytes(data: &[u8]) {
    if let Ok(input) = InitiatorInput::arbitrary_take_rest(Unstructured::new(data)) {
        initiator(&input);
    }
}

/// The `handshake_initiator` target: the client state machine fed a
/// server's byte stream, frame by frame.
///
/// Invariants, each asserted: CLIENT_HELLO is the expected one; the client
/// leaves `ExpectServerHello` only on an honest SERVER_HELLO, byte for byte,
/// proving the server's fixed key (the honest server may or may not require
/// client authentication, so there are two; `require_auth` only picks the
/// one [`Piece::Honest`] sends); it pauses exactly when the key is not
/// pinned; the CLIENT_AUTH it writes and its transcript hash are the honest
/// ones for the SERVER_HELLO it accepted; a short output buffer is an error,
/// never a panic or a partial write; a finished handshake refuses every
/// further frame; every error maps to a RESET reason and formats.
pub fn initiator(input: &InitiatorInput) {
    let k = keys();
    let h = honest(input.client_identity, input.require_auth);
    let honest_frames = [h.server_hello.clone()];
    let stream: Vec<u8> = input
        .pieces
        .iter()
        .flat_map(|p| p.bytes(&honest_frames))
        .collect();

    let entropy = client_entropy(input.client_identity);
    let mut rng = PresetRng::new(&entropy);
    let mut hello = [0u8; CLIENT_HELLO_FRAME_LEN];
    let (state, n) = ClientState::start(&mut rng, &mut hello).unwrap();
    assert_eq!(&hello[..n], &h.client_hello[..], "CLIENT_HELLO changed");
    assert!(!rng.overdrawn() && rng.remaining() == 0);

    let pinned = [k.server_public];
    let trusted: &[PublicKey] = if input.trusted { &pinned } else { &[] };
    let identity = input.client_identity.then_some(&k.client as &dyn Signer);
    let config = ClientConfig::new(identity, trusted);
    let mut out = vec![0u8; input.out_len.map_or(OUT_LEN, usize::from)];

    let mut state = Some(state);
    let mut rest = &stream[..];
    while let Some(current) = state.take() {
        let Ok(Parsed::Complete { value: f, consumed }) = checked_parse(rest) else {
            break;
        };
        let bytes = &rest[..consumed];
        rest = &rest[consumed..];
        // The honest handshake this SERVER_HELLO belongs to, if any.
        let matched = [false, true]
            .map(|r| honest(input.client_identity, r))
            .into_iter()
            .find(|h| bytes == &h.server_hello[..]);
        let expecting_hello = matches!(current, ClientState::ExpectServerHello(_));
        let complete = matches!(current, ClientState::Complete(_));
        out.fill(0);
        match current.handle(&f, &config, &mut out) {
            Ok((next, written)) => {
                assert!(expecting_hello, "a paused or finished client moved on");
                let Some(h) = matched else {
                    panic!("accepted a forged SERVER_HELLO: {bytes:02x?}");
                };
                match next {
                    ClientState::UntrustedServer(auth) => {
                        assert!(!input.trusted, "paused on a pinned key");
                        assert_eq!(written, 0);
                        assert_eq!(auth.server_key(), &k.server_public);
                        assert_eq!(auth.client_auth_required(), h.client_auth_required);
                        if !input.approve {
                            assert_eq!(auth.reject(), Error::UntrustedServer);
                            break;
                        }
                        out.fill(0);
                        match auth.finish(&config, &mut out) {
                            Ok((done, written)) => {
                                check_client_done(input.client_identity, h, &done, &out[..written]);
                                state = Some(ClientState::Complete(done));
                            }
                            Err(e) => {
                                check_error(&e);
                                assert!(
                                    matches!(e, Error::BufferTooSmall { .. })
                                        && input.out_len.is_some(),
                                    "approving an honest server failed: {e:?}"
                                );
                                assert!(out.iter().all(|&b| b == 0), "failed finish wrote");
                            }
                        }
                    }
                    ClientState::Complete(done) => {
                        assert!(input.trusted, "completed without trusting the key");
                        check_client_done(input.client_identity, h, &done, &out[..written]);
                        state = Some(ClientState::Complete(done));
                    }
                    ClientState::ExpectServerHello(_) => panic!("SERVER_HELLO left the state"),
                }
            }
            Err(e) => {
                check_error(&e);
                if complete {
                    assert!(matches!(e, Error::UnexpectedFrame { .. }), "{e:?}");
                }
                if let (true, Some(h)) = (expecting_hello, matched) {
                    // Only our own limits may refuse the honest server.
                    let short =
                        matches!(e, Error::BufferTooSmall { .. }) && input.out_len.is_some();
                    let anonymous = e == Error::ClientIdentityRequired
                        && !input.client_identity
                        && h.client_auth_required;
                    assert!(short || anonymous, "refused the honest SERVER_HELLO: {e:?}");
                    if short {
                        assert!(out.iter().all(|&b| b == 0), "failed handle wrote");
                    }
                }
            }
        }
    }
}

/// A client that completed: the honest CLIENT_AUTH and transcript hash, the
/// server's key as the peer.
fn check_client_done(client_identity: bool, h: &Honest, done: &Established, written: &[u8]) {
    assert!(client_identity || !h.client_auth_required);
    assert_eq!(
        Some(written),
        h.client_auth.as_deref(),
        "CLIENT_AUTH changed"
    );
    assert_eq!(Some(*done.transcript_hash()), h.transcript_hash);
    assert_eq!(done.remote_identity(), Some(&keys().server_public));
}

/// Every error has a message.
fn check_error(e: &Error) {
    assert!(!format!("{e}").is_empty());
}

/// The `handshake_responder` target's input: a server, and the byte stream
/// its client sends.
///
/// Layout: a configuration byte (bit 0 `client_identity`, bit 1
/// `require_auth`, bit 2 `authorized`, bit 4: a short output buffer of
/// `out_len` bytes follows), then [`Piece`]s to the end. The honest frame
/// list is `[CLIENT_HELLO, CLIENT_AUTH]` of
/// [`honest`]`(client_identity, require_auth)` (CLIENT_AUTH is empty when
/// that client has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponderInput {
    /// The honest client has an identity (this also picks the server's
    /// ephemeral secret, as in the vector files).
    pub client_identity: bool,
    /// The server requires client authentication.
    pub require_auth: bool,
    /// The client's key is on the server's authorized list.
    pub authorized: bool,
    /// A short output buffer (at most 255 bytes), instead of 2048 bytes.
    pub out_len: Option<u8>,
    /// The client's bytes.
    pub pieces: Vec<Piece>,
}

impl<'a> Arbitrary<'a> for ResponderInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let config = read_u8(u);
        let out_len = bit(config, 4).then(|| read_u8(u));
        Ok(Self {
            client_identity: bit(config, 0),
            require_auth: bit(config, 1),
            authorized: bit(config, 2),
            out_len,
            pieces: read_pieces(u),
        })
    }
}

impl ResponderInput {
    /// The input bytes that read back as `self`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let config = u8::from(self.client_identity)
            | u8::from(self.require_auth) << 1
            | u8::from(self.authorized) << 2
            | u8::from(self.out_len.is_some()) << 4;
        let mut out = vec![config];
        out.extend(self.out_len);
        write_pieces(&self.pieces, &mut out);
        out
    }
}

/// [`responder`] on raw fuzzer bytes (what the target and the regression
/// tests call).
pub fn responder_bytes(data: &[u8]) {
    if let Ok(input) = ResponderInput::arbitrary_take_rest(Unstructured::new(data)) {
        responder(&input);
    }
}

/// The `handshake_responder` target: the server state machine fed a client's
/// byte stream, frame by frame.
///
/// Invariants, each asserted: the server answers any well-formed CLIENT_HELLO
/// with a well-formed SERVER_HELLO carrying its policy flag, and the honest
/// one with the honest SERVER_HELLO; it draws exactly its 64 bytes of
/// randomness; it completes only on the honest CLIENT_HELLO and CLIENT_AUTH,
/// byte for byte, with the honest transcript hash and peer identity, and only
/// when its policy admits that client; a short output buffer is an error with
/// nothing written; a finished handshake refuses every further frame.
pub fn responder(input: &ResponderInput) {
    let k = keys();
    let h = honest(input.client_identity, input.require_auth);
    let honest_frames = [
        h.client_hello.clone(),
        h.client_auth.clone().unwrap_or_default(),
    ];
    let stream: Vec<u8> = input
        .pieces
        .iter()
        .flat_map(|p| p.bytes(&honest_frames))
        .collect();

    let authorized_list = [k.client_public];
    let authorized: &[PublicKey] = if input.authorized {
        &authorized_list
    } else {
        &[]
    };
    let config = ServerConfig::new(&k.server, input.require_auth, authorized);
    let entropy = server_entropy(input.client_identity);
    let mut rng = PresetRng::new(&entropy);
    let mut out = vec![0u8; input.out_len.map_or(OUT_LEN, usize::from)];

    let mut state = Some(ServerState::new());
    let mut hello_seen: Option<Vec<u8>> = None;
    let mut rest = &stream[..];
    while let Some(current) = state.take() {
        let Ok(Parsed::Complete { value: f, consumed }) = checked_parse(rest) else {
            break;
        };
        let bytes = &rest[..consumed];
        rest = &rest[consumed..];
        let phase = match current {
            ServerState::ExpectClientHello(_) => 0,
            ServerState::ExpectClientAuth(_) => 1,
            ServerState::Complete(_) => 2,
        };
        out.fill(0);
        match current.handle(&f, &config, &mut rng, &mut out) {
            Ok((ServerState::ExpectClientAuth(next), written)) => {
                assert_eq!(phase, 0);
                assert_eq!(f.header.frame_type, FrameType::CLIENT_HELLO);
                assert_eq!(written, SERVER_HELLO_FRAME_LEN);
                assert!(!rng.overdrawn() && rng.remaining() == 0, "drew != 64 bytes");
                let reply = &out[..written];
                let Ok(Parsed::Complete { value: sh, .. }) = checked_parse(reply) else {
                    panic!("SERVER_HELLO does not parse");
                };
                let parsed = ServerHello::parse(sh.body).expect("own SERVER_HELLO parses");
                assert_eq!(
                    parsed.flags.contains(ServerFlags::CLIENT_AUTH_REQUIRED),
                    input.require_auth
                );
                if bytes == &h.client_hello[..] {
                    assert_eq!(reply, &h.server_hello[..], "SERVER_HELLO changed");
                }
                hello_seen = Some(bytes.to_vec());
                state = Some(ServerState::ExpectClientAuth(next));
            }
            Ok((ServerState::Complete(done), written)) => {
                assert_eq!(phase, 1);
                assert_eq!(written, 0);
                assert_eq!(
                    hello_seen.as_deref(),
                    Some(&h.client_hello[..]),
                    "completed after a forged CLIENT_HELLO"
                );
                assert_eq!(
                    Some(bytes),
                    h.client_auth.as_deref(),
                    "accepted a forged CLIENT_AUTH"
                );
                assert_eq!(Some(*done.transcript_hash()), h.transcript_hash);
                if input.client_identity {
                    assert_eq!(done.remote_identity(), Some(&k.client_public));
                } else {
                    assert_eq!(done.remote_identity(), None);
                }
                if input.require_auth {
                    assert!(input.client_identity && input.authorized, "policy ignored");
                }
                state = Some(ServerState::Complete(done));
            }
            Ok((ServerState::ExpectClientHello(_), _)) => panic!("went back to the start"),
            Err(e) => {
                check_error(&e);
                if phase == 2 {
                    assert!(matches!(e, Error::UnexpectedFrame { .. }), "{e:?}");
                }
                if matches!(e, Error::BufferTooSmall { .. }) {
                    assert!(input.out_len.is_some());
                    assert!(out.iter().all(|&b| b == 0), "failed handle wrote");
                }
                if phase == 0 && bytes == &h.client_hello[..] {
                    assert!(
                        matches!(e, Error::BufferTooSmall { .. }),
                        "refused the honest CLIENT_HELLO: {e:?}"
                    );
                }
                let honest_auth = phase == 1
                    && hello_seen.as_deref() == Some(&h.client_hello[..])
                    && Some(bytes) == h.client_auth.as_deref();
                if honest_auth {
                    assert_eq!(
                        e,
                        Error::UnauthorizedClient(Some(keys().client_public)),
                        "refused the honest client, naming its verified key"
                    );
                    assert!(input.require_auth && !input.authorized);
                }
            }
        }
    }
}
