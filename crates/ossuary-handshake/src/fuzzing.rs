//! Transitional: what `ossuary-core`'s `fuzzing` module still imports from
//! here (the fixed parties of `docs/vectors/` and their honest handshakes).
//! The fuzz machinery lives in `ossuary-testkit` (`ossuary_testkit::handshake`,
//! the same items); this module and the `fuzzing` feature go when core's
//! fuzzing module moves there too. Nothing else may use it.

// Test machinery: a broken invariant panics.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

extern crate std;

use std::sync::OnceLock;
use std::vec;
use std::vec::Vec;

use ossuary_crypto::{PresetRng, PublicKey, SecretKey, Signer};
use ossuary_wire::{CLIENT_HELLO_FRAME_LEN, Frame, Parsed, SERVER_HELLO_FRAME_LEN};

use crate::{ClientConfig, ClientState, Error, ServerConfig, ServerState};

/// The 32 bytes `start, start + 1, ..., start + 31` (the vectors' inputs).
const fn counting(start: u8) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = start.wrapping_add(i as u8);
        i += 1;
    }
    out
}

/// The server's identity seed (both vector files).
pub const SERVER_SECRET: [u8; 32] = counting(0x00);
/// The client's identity seed (`handshake-mutual.json`).
pub const CLIENT_SECRET: [u8; 32] = counting(0x20);

/// What the client draws: `e_c_sk || random_c`. The client with an identity
/// uses the inputs of `handshake-mutual.json`, the anonymous one those of
/// `handshake-anonymous.json`.
pub fn client_entropy(client_identity: bool) -> [u8; 64] {
    let (e, r) = if client_identity {
        (counting(0x40), counting(0x60))
    } else {
        (counting(0xa0), counting(0xc0))
    };
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&e);
    out[32..].copy_from_slice(&r);
    out
}

/// What the server draws for its ephemeral key, chosen by the client kind as
/// in the vector files.
pub fn server_entropy(client_identity: bool) -> [u8; 32] {
    if client_identity {
        counting(0x80)
    } else {
        counting(0xe0)
    }
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
    /// CLIENT_HELLO (69 bytes).
    pub client_hello: Vec<u8>,
    /// SERVER_HELLO (149 bytes).
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

/// Parses one whole frame (honest bytes only).
fn frame(bytes: &[u8]) -> Frame<'_> {
    match Frame::parse(bytes) {
        Ok(Parsed::Complete { value, consumed }) if consumed == bytes.len() => value,
        other => panic!("not one frame: {other:?}"),
    }
}
