//! The fixed parties as [`Connection`]s, and the honest session between
//! them: every frame an honest peer sends, computed once.

use std::sync::OnceLock;

use ossuary_core::hazmat::connection_with_rng;
use ossuary_core::{Config, Connection, FrameType, HandshakeStatus, Role, Signer};
use ossuary_crypto::{PublicKey, SecretKey};
use ossuary_wire::HEADER_LEN;

use super::CoreClock;
use crate::PresetRng;
use crate::handshake::{client_entropy, keys, server_entropy};
use crate::wire::split_frames;

// ---- the fixed parties ----

/// A signer borrowing one of the fixed keys (building a connection then
/// derives nothing).
struct FixedSigner(&'static SecretKey);

impl Signer for FixedSigner {
    fn public_key(&self) -> PublicKey {
        Signer::public_key(self.0)
    }

    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], ossuary_crypto::Error> {
        Signer::sign(self.0, msg)
    }
}

/// Handshakes a connection may run: the first and `Config::max_resets` more.
const EPOCHS: u8 = 4;

/// Everything a fixed party draws over its life: the vector files' bytes
/// for its first handshake, different bytes for each later one. Indexed by
/// `usize::from(mutual) * 2 + usize::from(is_client)`.
fn entropy(mutual: bool, is_client: bool) -> &'static [u8] {
    static ENTROPY: OnceLock<[Vec<u8>; 4]> = OnceLock::new();
    let all = ENTROPY.get_or_init(|| {
        [(false, false), (false, true), (true, false), (true, true)].map(|(mutual, is_client)| {
            let later = |epoch: u8, len: usize| {
                (0..len).map(move |i| (i as u8).wrapping_mul(7) ^ epoch.wrapping_mul(0x35))
            };
            // A client draws its ephemeral key and its random (64 bytes) for
            // each CLIENT_HELLO; a server its ephemeral key (32) for each
            // CLIENT_HELLO it answers.
            let (first, per_epoch) = if is_client {
                (client_entropy(mutual).to_vec(), 64)
            } else {
                (server_entropy(mutual).to_vec(), 32)
            };
            let mut bytes = first;
            for epoch in 1..EPOCHS {
                bytes.extend(later(epoch, per_epoch));
            }
            bytes
        })
    });
    &all[usize::from(mutual) * 2 + usize::from(is_client)]
}

/// What a fixed client knows of the server's key before the handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientTrust {
    /// The server's key is pinned (`add_authorized_key`).
    Pinned,
    /// Nothing is pinned: the server is refused with
    /// `Error::UntrustedServer`, or, with `Config::trust_on_first_use`, the
    /// handshake pauses for the application (TOFU).
    Unknown,
    /// Another key is pinned (the fixed client key): the server's key is
    /// refused with `Error::ServerKeyChanged`, never paused.
    OtherPinned,
}

impl ClientTrust {
    /// The trust a fuzz input's flags describe: TOFU means nothing pinned;
    /// otherwise the server's key, or another key, is pinned.
    pub fn from_flags(tofu: bool, pin_other: bool) -> Self {
        match (tofu, pin_other) {
            (true, _) => Self::Unknown,
            (false, true) => Self::OtherPinned,
            (false, false) => Self::Pinned,
        }
    }

    /// The key this trust pins, if any.
    pub fn pinned_key(self) -> Option<PublicKey> {
        let k = keys();
        match self {
            Self::Pinned => Some(k.server_public),
            Self::Unknown => None,
            Self::OtherPinned => Some(k.client_public),
        }
    }
}

/// A connection of the fixed parties, with fixed randomness
/// ([`connection_with_rng`] and a [`PresetRng`]).
///
/// `mutual`: the client has an identity and the server is an authenticating
/// server that authorizes it (`handshake-mutual.json`); otherwise an
/// anonymous client and an open server (`handshake-anonymous.json`).
/// `trust`: what a client knows of the server key (a server ignores it);
/// whether an unknown server pauses (TOFU) is `config.trust_on_first_use`.
///
/// The first handshake that draws randomness gets the vector files' bytes
/// (a client draws at construction, where it queues CLIENT_HELLO; a server
/// for the first CLIENT_HELLO it processes, which may come after a
/// [`Connection::reset`]); any later one gets different bytes, so the honest
/// messages cannot complete a second handshake. A server is built with its
/// identity (as `Connection::with_identity` builds every server), so its
/// first draw is its ephemeral key.
pub fn fixed_connection(
    mutual: bool,
    is_client: bool,
    trust: ClientTrust,
    config: Config,
) -> Connection {
    let k = keys();
    let rng = Box::new(PresetRng::new(entropy(mutual, is_client)));
    let (role, identity, authorized) = if is_client {
        let identity: Option<Box<dyn Signer + Send + Sync>> = if mutual {
            Some(Box::new(FixedSigner(&k.client)))
        } else {
            None
        };
        (Role::Client, identity, trust.pinned_key())
    } else if mutual {
        (
            Role::AuthenticatingServer,
            Some(Box::new(FixedSigner(&k.server)) as Box<dyn Signer + Send + Sync>),
            Some(k.client_public),
        )
    } else {
        (
            Role::OpenServer,
            Some(Box::new(FixedSigner(&k.server)) as Box<dyn Signer + Send + Sync>),
            None,
        )
    };
    let mut conn = connection_with_rng(role, config, identity, rng).unwrap();
    if let Some(key) = authorized {
        conn.add_authorized_key(key)
            .expect("a client or an authenticating server takes keys");
    }
    conn
}

// ---- the honest session ----

/// One record an honest sender sends.
#[derive(Clone, Copy, Debug)]
enum Rec {
    Data(&'static [u8]),
    KeyUpdate,
    Close,
    /// The sealed RESET a sender writes when a forged record makes it fail.
    Reset,
}

/// The client's records. The first three are the vector files' records 0, 3
/// and 4; their CLOSE (record 5) is [`CLIENT_ALTERNATIVES`]' first entry.
const CLIENT_RECORDS: &[Rec] = &[
    Rec::Data(b"ping: client to server, key generation 0"),
    Rec::KeyUpdate,
    Rec::Data(b"client to server after KEY_UPDATE, key generation 1"),
    Rec::Data(b""),
    Rec::Data(b"A"),
    Rec::Data(&[0x33; 300]),
    Rec::KeyUpdate,
    Rec::Data(&[0x44; 5000]),
    Rec::Data(b"last from the client"),
    Rec::Close,
];

/// The server's records. The first two are the vector files' records 1 and
/// 2; their CLOSE (record 6) is [`SERVER_ALTERNATIVES`]' first entry.
const SERVER_RECORDS: &[Rec] = &[
    Rec::Data(b"pong: server to client, key generation 0"),
    Rec::Data(b""),
    Rec::Data(b"B"),
    Rec::Data(&[0x55; 300]),
    Rec::KeyUpdate,
    Rec::Data(&[0x66; 5000]),
    Rec::Data(b"last from the server"),
    Rec::Close,
];

/// Records the honest client could have sent instead of record `n` of
/// [`CLIENT_RECORDS`] (ending the session there).
const CLIENT_ALTERNATIVES: &[(usize, Rec)] = &[(3, Rec::Close), (0, Rec::Reset), (9, Rec::Reset)];

/// Records the honest server could have sent instead of record `n` of
/// [`SERVER_RECORDS`].
const SERVER_ALTERNATIVES: &[(usize, Rec)] = &[(2, Rec::Close), (0, Rec::Reset), (7, Rec::Reset)];

/// What one honest party sends in a session, frame by frame.
#[derive(Clone, Debug, Default)]
pub struct HonestSide {
    /// Its handshake frames (client: CLIENT_HELLO, CLIENT_AUTH; server:
    /// SERVER_HELLO).
    pub handshake: Vec<Vec<u8>>,
    /// Its records in order, ending with CLOSE.
    pub records: Vec<Vec<u8>>,
    /// Records it could have sent instead of one of `records`, ending the
    /// session there: a CLOSE (the vector files' CLOSE is one) or a sealed
    /// RESET.
    pub alternatives: Vec<Vec<u8>>,
    /// The plaintext of its DATA records, concatenated.
    pub plaintext: Vec<u8>,
    /// How much of `plaintext` precedes each of its possible CLOSEs.
    pub close_points: Vec<usize>,
}

impl HonestSide {
    /// Every frame: handshake, records, alternatives. The honest frame list
    /// that [`Piece`](crate::input::Piece)s index.
    pub fn frames(&self) -> Vec<Vec<u8>> {
        self.handshake
            .iter()
            .chain(&self.records)
            .chain(&self.alternatives)
            .cloned()
            .collect()
    }
}

/// Both directions of an honest session.
#[derive(Clone, Debug)]
pub struct HonestSession {
    /// What the client sends.
    pub client: HonestSide,
    /// What the server sends.
    pub server: HonestSide,
}

/// The honest session of the mutual or the anonymous parties, computed once.
pub fn honest_session(mutual: bool) -> &'static HonestSession {
    static SESSIONS: OnceLock<[HonestSession; 2]> = OnceLock::new();
    &SESSIONS.get_or_init(|| [run_honest(false), run_honest(true)])[usize::from(mutual)]
}

fn run_honest(mutual: bool) -> HonestSession {
    let (client, server) = run_pair(mutual, CLIENT_RECORDS, SERVER_RECORDS);
    let mut out = HonestSession { client, server };
    assert_eq!(CLIENT_ALTERNATIVES.len(), SERVER_ALTERNATIVES.len());
    for (&(c_at, c_rec), &(s_at, s_rec)) in CLIENT_ALTERNATIVES.iter().zip(SERVER_ALTERNATIVES) {
        let c_script = [&CLIENT_RECORDS[..c_at], &[c_rec]].concat();
        let s_script = [&SERVER_RECORDS[..s_at], &[s_rec]].concat();
        let (c, s) = run_pair(mutual, &c_script, &s_script);
        for (side, alt, at, rec) in [
            (&mut out.client, c, c_at, c_rec),
            (&mut out.server, s, s_at, s_rec),
        ] {
            assert_eq!(alt.handshake, side.handshake);
            assert_eq!(alt.records[..at], side.records[..at]);
            side.alternatives.push(alt.records[at].clone());
            if matches!(rec, Rec::Close) {
                side.close_points.push(alt.plaintext.len());
            }
        }
    }
    out
}

/// Runs a handshake between the fixed parties, then each side's script.
fn run_pair(
    mutual: bool,
    client_script: &[Rec],
    server_script: &[Rec],
) -> (HonestSide, HonestSide) {
    let config = || Config {
        clock: CoreClock::new().config_clock(),
        ..Config::default()
    };
    let mut client = fixed_connection(mutual, true, ClientTrust::Pinned, config());
    let mut server = fixed_connection(mutual, false, ClientTrust::Pinned, config());
    let mut sides = (HonestSide::default(), HonestSide::default());
    let done = |c: &Connection| c.handshake_status().unwrap() == HandshakeStatus::Done;
    for _ in 0..4 {
        let bytes = take_output(&mut client);
        sides.0.handshake.extend(frames_of(&bytes));
        assert_eq!(server.recv_handshake(&bytes).unwrap(), bytes.len());
        let bytes = take_output(&mut server);
        sides.1.handshake.extend(frames_of(&bytes));
        assert_eq!(client.recv_handshake(&bytes).unwrap(), bytes.len());
        if done(&client) && done(&server) && client.pending_output().is_empty() {
            break;
        }
    }
    assert!(done(&client) && done(&server));
    assert!(client.pending_output().is_empty() && server.pending_output().is_empty());
    for (conn, script, side) in [
        (&mut client, client_script, &mut sides.0),
        (&mut server, server_script, &mut sides.1),
    ] {
        side.records = send_script(conn, script);
        for rec in script {
            match rec {
                Rec::Data(p) => side.plaintext.extend_from_slice(p),
                Rec::Close => side.close_points.push(side.plaintext.len()),
                _ => {}
            }
        }
    }
    sides
}

/// Takes everything `conn` has for the network.
fn take_output(conn: &mut Connection) -> Vec<u8> {
    let bytes = conn.pending_output().to_vec();
    conn.advance_output(bytes.len());
    bytes
}

/// Sends `script` and returns one frame per record.
fn send_script(conn: &mut Connection, script: &[Rec]) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    let mut buf = vec![0u8; 8192];
    for rec in script {
        let bytes = match rec {
            Rec::Data([]) => {
                let n = conn.seal_in_place(&mut buf, 0).unwrap();
                buf[..n].to_vec()
            }
            Rec::Data(p) => {
                assert_eq!(conn.send_data(p).unwrap(), p.len());
                take_output(conn)
            }
            Rec::KeyUpdate => {
                conn.update_keys().unwrap();
                take_output(conn)
            }
            Rec::Reset => {
                // A forged DATA record: the connection fails (reporting the
                // error on this call or, after consuming it, the next) and
                // queues a sealed RESET.
                let mut forged = [0u8; HEADER_LEN + 16];
                forged[..HEADER_LEN].copy_from_slice(&[FrameType::DATA.0, 0, 16]);
                let mut plain = [0u8; 16];
                if let Ok(p) = conn.recv_data(&forged, &mut plain) {
                    assert_eq!(p.produced, 0);
                }
                assert!(conn.handshake_status().is_err());
                take_output(conn)
            }
            Rec::Close => {
                conn.close().unwrap();
                take_output(conn)
            }
        };
        let got = frames_of(&bytes);
        assert_eq!(got.len(), 1, "one frame per record");
        frames.extend(got);
    }
    if let Some(Rec::Reset) = script.last() {
        let reset = frames.last().unwrap();
        assert_eq!(reset.len(), HEADER_LEN + 1 + 16);
        assert_eq!(reset[0], FrameType::RESET.0);
    }
    frames
}

/// Splits whole frames (all bytes must be covered).
fn frames_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    let (frames, covered) = split_frames(bytes);
    assert_eq!(covered, bytes.len(), "not whole frames");
    frames.into_iter().map(<[u8]>::to_vec).collect()
}
