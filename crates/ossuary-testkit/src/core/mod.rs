//! The `session_open` and `io_stream` fuzz functions (`docs/FUZZING.md`): a
//! real [`Connection`] receiving arbitrary bytes
//! ([`session_open`]) and the [`Stream`](ossuary_core::Stream) adapter over an
//! in-memory transport ([`io_stream`]). Behind the testkit's `core` feature,
//! which turns on `ossuary-core/hazmat` for
//! [`connection_with_rng`](ossuary_core::hazmat::connection_with_rng); only
//! the fuzz targets and the testkit's own `core_fuzz_regressions` test use it.
//!
//! Both parties use the fixed keys and randomness of `docs/vectors` (see
//! [`crate::handshake`]), so everything an honest peer sends is known in
//! advance: [`honest_session`] runs two real connections once and records
//! their handshake messages and a script of records in each direction. The
//! side under test is then built alone, per input ([`fixed_connection`]),
//! and fed any mix of those honest frames, mutated copies ([`Piece`]) and
//! raw bytes.
//!
//! The invariant that matters most: **plaintext is released only if the
//! honest peer sealed it, in order.** Everything the side under test hands
//! the application must be a prefix of the honest peer's plaintext stream.
//!
//! - `honest.rs`: the fixed parties and the honest session;
//! - `session.rs`: [`session_open`] and its input;
//! - `stream.rs`: [`io_stream`] and its input;
//! - this file: the bookkeeping both share.
//!
//! [`Piece`]: crate::input::Piece

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use ossuary_core::{Clock, Connection, Error, PublicKey, RECORD_OVERHEAD};

use crate::FakeClock;
use crate::handshake::keys;
use crate::wire::split_frames;

mod honest;
mod session;
mod stream;

pub use honest::{ClientTrust, HonestSession, HonestSide, fixed_connection, honest_session};
pub use session::{SessionInput, SessionOp, session_open, session_open_bytes};
pub use stream::{StreamInput, StreamOp, io_stream, io_stream_bytes};

/// The testkit's [`FakeClock`] as an [`ossuary_core::Clock`]: give the
/// connection one handle ([`Self::config_clock`]) and keep the other to
/// move time.
#[derive(Debug, Clone)]
pub struct CoreClock(pub Arc<FakeClock>);

impl CoreClock {
    /// A clock standing at the current instant.
    pub fn new() -> Self {
        Self(FakeClock::new())
    }

    /// The same clock, as `Config::clock` takes it.
    pub fn config_clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.clone())
    }
}

impl Default for CoreClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for CoreClock {
    fn now(&self) -> Instant {
        self.0.now()
    }
}

/// Whether `e` reports a caller's mistake, which changes nothing and is not
/// sticky (`ossuary_core::Error`'s docs): what the library calls
/// `is_caller_error`, kept private there.
pub fn is_caller_error(e: &Error) -> bool {
    matches!(
        e,
        Error::ApiMisuse(_) | Error::BufferTooSmall { .. } | Error::Closed
    )
}

// ---- shared bookkeeping ----

/// What the side under test may receive and must release.
struct Expect {
    /// The honest peer's frames (handshake, records, alternatives): the
    /// list [`Piece`](crate::input::Piece)s index.
    frames: Vec<Vec<u8>>,
    /// The honest peer's handshake frames.
    handshake_frames: &'static [Vec<u8>],
    /// Every handshake the side under test may complete on: the honest
    /// peer's handshake bytes, and for a client also the SERVER_HELLO of
    /// the same honest server with the other client-authentication policy
    /// (its flags byte differs, and it is just as honest).
    handshakes: Vec<Vec<u8>>,
    /// The honest peer's DATA plaintext, concatenated.
    plaintext: &'static [u8],
    /// How much plaintext precedes each CLOSE the honest peer could send.
    close_points: &'static [usize],
    /// The peer identity a completed handshake must report.
    remote: Option<PublicKey>,
    /// A client's trust in the server key, and whether it opted in to
    /// Trust-On-First-Use (`Config::trust_on_first_use`).
    client_trust: Option<(ClientTrust, bool)>,
}

impl Expect {
    fn new(mutual: bool, is_client: bool, trust: ClientTrust, tofu: bool) -> Self {
        let session = honest_session(mutual);
        let peer = if is_client {
            &session.server
        } else {
            &session.client
        };
        let k = keys();
        let mut handshakes = vec![peer.handshake.concat()];
        if is_client {
            let other_policy = crate::handshake::honest(mutual, !mutual);
            handshakes.push(other_policy.server_hello.clone());
        }
        Self {
            frames: peer.frames(),
            handshake_frames: &peer.handshake,
            handshakes,
            plaintext: &peer.plaintext,
            close_points: &peer.close_points,
            remote: if is_client {
                Some(k.server_public)
            } else {
                mutual.then_some(k.client_public)
            },
            client_trust: is_client.then_some((trust, tofu)),
        }
    }

    /// Whether the side under test may pause for a trust decision: only a
    /// client that pinned nothing and opted in to TOFU.
    fn may_pause(&self) -> bool {
        self.client_trust == Some((ClientTrust::Unknown, true))
    }

    /// Whether the side under test may complete a handshake with the honest
    /// peer: a server, a client that pinned the server's key, or a TOFU
    /// client (after approving). A client that pinned another key, or
    /// pinned nothing without TOFU, refuses the honest server.
    fn may_complete(&self) -> bool {
        match self.client_trust {
            None | Some((ClientTrust::Pinned, _)) => true,
            Some((ClientTrust::Unknown, tofu)) => tofu,
            Some((ClientTrust::OtherPinned, _)) => false,
        }
    }

    /// A peer-caused error must be sticky: the connection reports it from
    /// then on. A caller's error changes nothing. A trust error names the
    /// keys it is about, and comes only from the trust that causes it.
    fn check_error(&self, conn: &Connection, e: &Error) {
        assert!(!e.to_string().is_empty());
        if !is_caller_error(e) {
            assert_eq!(
                conn.handshake_status(),
                Err(*e),
                "a peer-caused error is not sticky"
            );
        }
        self.check_trust_error(e);
    }

    /// The trust rule (PROTOCOL.md §11.2): an unknown server is refused
    /// (`UntrustedServer`, or rejected at the TOFU pause), a key other than
    /// the pinned one is `ServerKeyChanged`; only the honest server proves a
    /// key, and no second handshake completes, so no identity changes.
    fn check_trust_error(&self, e: &Error) {
        let server = keys().server_public;
        match *e {
            Error::UntrustedServer { key } => {
                assert_eq!(key, server, "UntrustedServer names another key");
                assert!(
                    matches!(self.client_trust, Some((ClientTrust::Unknown, _))),
                    "UntrustedServer with trust {:?}",
                    self.client_trust
                );
            }
            Error::ServerKeyChanged { expected, got } => {
                let trust = self.client_trust.map(|(t, _)| t);
                assert_eq!(
                    trust,
                    Some(ClientTrust::OtherPinned),
                    "ServerKeyChanged, but the server's key was not pinned otherwise"
                );
                assert_eq!(
                    Some(expected),
                    ClientTrust::OtherPinned.pinned_key(),
                    "ServerKeyChanged names the wrong expected key"
                );
                assert_eq!(got, server, "ServerKeyChanged names the wrong proven key");
            }
            Error::ClientIdentityChanged { .. } => {
                panic!("identity changed, but no second handshake can complete: {e:?}")
            }
            _ => {}
        }
    }

    /// The honest peer's handshake bytes, concatenated.
    fn handshake(&self) -> &[u8] {
        &self.handshakes[0]
    }
}

/// Plaintext released so far, checked against the honest stream.
struct Released<'e> {
    expect: &'e Expect,
    bytes: Vec<u8>,
}

impl<'e> Released<'e> {
    fn new(expect: &'e Expect) -> Self {
        Self {
            expect,
            bytes: Vec::new(),
        }
    }

    fn push(&mut self, plain: &[u8]) {
        self.bytes.extend_from_slice(plain);
        assert!(
            self.expect.plaintext.starts_with(&self.bytes),
            "released plaintext the honest peer did not send at this position"
        );
    }

    /// After the peer's authenticated CLOSE, everything the peer sent before
    /// that CLOSE was released.
    fn check_closed(&self, conn: &Connection) {
        if conn.peer_closed() {
            assert!(
                self.expect.close_points.contains(&self.bytes.len()),
                "CLOSE accepted after {} of the peer's plaintext bytes, not at an honest CLOSE",
                self.bytes.len()
            );
        }
    }
}

/// Every byte a connection emitted must split into whole, valid frames.
fn check_emitted(emitted: &[u8]) {
    let (_, covered) = split_frames(emitted);
    assert_eq!(covered, emitted.len(), "emitted bytes are not whole frames");
}

fn bit(byte: u8, n: u32) -> bool {
    byte >> n & 1 == 1
}

/// `len` bytes of a recognisable pattern (at most 64 KiB + 38).
fn pattern(len: usize) -> Vec<u8> {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    let all = PATTERN.get_or_init(|| {
        (0..(1usize << 16) + 2 * RECORD_OVERHEAD)
            .map(|i| (i % 251) as u8)
            .collect()
    });
    all[..len].to_vec()
}
