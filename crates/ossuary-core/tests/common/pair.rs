//! The in-memory [`Pair`]: a client and a server joined by two byte
//! queues, stepped and driven deterministically, and [`feed`], which gives
//! a connection its input one frame at a time.

use ossuary_core::{Connection, Error, HandshakeStatus, PublicKey, Role};

use super::{Identity, MAX_STEPS, check_deadline, client, server};

/// Plaintext buffer used when feeding records.
const RX_CHUNK: usize = 64 * 1024;

/// One end of a [`Pair`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Client,
    Server,
}

impl Side {
    pub(crate) fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }
}

/// The handshake status of both sides after [`Pair::drive_handshake`].
pub(crate) type Statuses = (
    Result<HandshakeStatus, Error>,
    Result<HandshakeStatus, Error>,
);

/// A client and a server joined by two in-memory byte queues.
///
/// `c2s` holds bytes the client sent that the server has not read yet (and
/// `s2c` the reverse). Tests may read, alter, drop or inject bytes there
/// between [`Pair::transmit`] and [`Pair::deliver`].
pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
    pub(crate) c2s: Vec<u8>,
    pub(crate) s2c: Vec<u8>,
    /// Plaintext the client application received.
    pub(crate) client_rx: Vec<u8>,
    /// Plaintext the server application received.
    pub(crate) server_rx: Vec<u8>,
    /// The last error the client reported while being driven.
    pub(crate) client_err: Option<Error>,
    /// The last error the server reported while being driven.
    pub(crate) server_err: Option<Error>,
    /// Bytes of a partial frame each side has taken in (see [`feed`]).
    client_partial: Vec<u8>,
    server_partial: Vec<u8>,
}

impl Pair {
    pub(crate) fn new(client: Connection, server: Connection) -> Self {
        Self {
            client,
            server,
            c2s: Vec::new(),
            s2c: Vec::new(),
            client_rx: Vec::new(),
            server_rx: Vec::new(),
            client_err: None,
            server_err: None,
            client_partial: Vec::new(),
            server_partial: Vec::new(),
        }
    }

    /// A pinned, mutually authenticated pair (client identity authorized).
    pub(crate) fn mutual(client_id: &Identity, server_id: &Identity) -> Self {
        Self::new(
            client(Some(client_id), &[server_id.public()]),
            server(Role::AuthenticatingServer, server_id, &[client_id.public()]),
        )
    }

    /// A pinned, mutually authenticated pair with fresh keys, connected.
    pub(crate) fn connected() -> Self {
        let mut p = Self::mutual(&Identity::generate(), &Identity::generate());
        p.connect();
        p
    }

    pub(crate) fn conn(&self, side: Side) -> &Connection {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    pub(crate) fn conn_mut(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    /// The queue of bytes travelling away from `side`.
    pub(crate) fn outbound(&mut self, side: Side) -> &mut Vec<u8> {
        match side {
            Side::Client => &mut self.c2s,
            Side::Server => &mut self.s2c,
        }
    }

    pub(crate) fn err(&self, side: Side) -> Option<Error> {
        match side {
            Side::Client => self.client_err,
            Side::Server => self.server_err,
        }
    }

    /// Takes the plaintext `side`'s application received so far.
    pub(crate) fn take_rx(&mut self, side: Side) -> Vec<u8> {
        match side {
            Side::Client => std::mem::take(&mut self.client_rx),
            Side::Server => std::mem::take(&mut self.server_rx),
        }
    }

    /// Moves everything `side` has to send onto its outbound queue (a
    /// client queued CLIENT_HELLO when it was built). A side still
    /// handshaking first checks its deadline, as a transport adapter does
    /// while it waits. Returns the bytes moved.
    pub(crate) fn transmit(&mut self, side: Side) -> usize {
        let (conn, wire, err) = match side {
            Side::Client => (&mut self.client, &mut self.c2s, &mut self.client_err),
            Side::Server => (&mut self.server, &mut self.s2c, &mut self.server_err),
        };
        if let Some(e) = check_deadline(conn) {
            *err = Some(e);
        }
        move_output(conn, wire)
    }

    /// Feeds `side` the bytes waiting for it. Returns whether any input was
    /// used or any plaintext came out.
    pub(crate) fn deliver(&mut self, side: Side) -> bool {
        let (conn, wire, rx, err, partial) = match side {
            Side::Client => (
                &mut self.client,
                &mut self.s2c,
                &mut self.client_rx,
                &mut self.client_err,
                &mut self.client_partial,
            ),
            Side::Server => (
                &mut self.server,
                &mut self.c2s,
                &mut self.server_rx,
                &mut self.server_err,
                &mut self.server_partial,
            ),
        };
        let (progress, e) = feed(conn, wire, rx, partial);
        if e.is_some() {
            *err = e;
        }
        progress
    }

    /// Moves all pending output each way, then feeds both sides. Returns
    /// whether anything happened.
    pub(crate) fn step(&mut self) -> bool {
        let mut progress = self.transmit(Side::Client) > 0;
        progress |= self.transmit(Side::Server) > 0;
        progress |= self.deliver(Side::Server);
        progress |= self.deliver(Side::Client);
        // Output queued while being fed (an answer, a RESET) moves next step.
        progress
            || !self.client.pending_output().is_empty()
            || !self.server.pending_output().is_empty()
    }

    /// Steps until nothing happens any more; panics after [`MAX_STEPS`].
    pub(crate) fn drive(&mut self) {
        for _ in 0..MAX_STEPS {
            if !self.step() {
                return;
            }
        }
        panic!("pair did not settle within {MAX_STEPS} steps");
    }

    /// Drives the pair (at most [`MAX_STEPS`] steps) and returns where each
    /// side's handshake stands.
    pub(crate) fn drive_handshake(&mut self) -> Statuses {
        self.drive();
        (
            self.client.handshake_status(),
            self.server.handshake_status(),
        )
    }

    /// Drives the handshake until the client pauses on an untrusted server
    /// key (Trust-On-First-Use); returns that key.
    pub(crate) fn drive_to_pause(&mut self) -> PublicKey {
        match self.drive_handshake() {
            (Ok(HandshakeStatus::UntrustedServer(key)), Ok(HandshakeStatus::InProgress)) => key,
            other => panic!("expected a pause on an untrusted key, got {other:?}"),
        }
    }

    /// Drives the handshake and asserts that both sides completed.
    pub(crate) fn connect(&mut self) {
        let statuses = self.drive_handshake();
        assert_eq!(
            statuses,
            (Ok(HandshakeStatus::Done), Ok(HandshakeStatus::Done)),
            "handshake did not complete"
        );
        assert_eq!(self.client_err, None);
        assert_eq!(self.server_err, None);
    }

    /// Seals `msg` on `side` and puts the records on its outbound queue.
    pub(crate) fn send(&mut self, side: Side, msg: &[u8]) -> Result<(), Error> {
        let (conn, wire) = match side {
            Side::Client => (&mut self.client, &mut self.c2s),
            Side::Server => (&mut self.server, &mut self.s2c),
        };
        let mut sent = 0;
        // Each call seals at least one byte once the output is drained.
        for _ in 0..=msg.len() + 1 {
            move_output(conn, wire);
            if sent == msg.len() {
                return Ok(());
            }
            sent += conn.send_data(&msg[sent..])?;
        }
        panic!("send_data made no progress");
    }

    /// Sends `msg` from `from`, drives the pair and returns what the peer's
    /// application received.
    pub(crate) fn transfer(&mut self, from: Side, msg: &[u8]) -> Vec<u8> {
        self.send(from, msg).expect("send");
        self.drive();
        self.take_rx(from.peer())
    }

    /// Asserts that `msg` crosses from `from` to its peer intact.
    pub(crate) fn assert_roundtrip(&mut self, from: Side, msg: &[u8]) {
        let got = self.transfer(from, msg);
        assert!(
            got == msg,
            "{from:?} sent {} bytes, peer got {}",
            msg.len(),
            got.len()
        );
        assert_eq!(self.client_err, None);
        assert_eq!(self.server_err, None);
    }

    /// Asserts data crosses both ways.
    pub(crate) fn assert_data_flows(&mut self) {
        self.assert_roundtrip(Side::Client, b"ping from the client");
        self.assert_roundtrip(Side::Server, b"pong from the server");
    }

    /// Forgets the errors seen so far (after a reset).
    pub(crate) fn clear_errors(&mut self) {
        self.client_err = None;
        self.server_err = None;
    }

    /// Gives the connections back.
    pub(crate) fn into_parts(self) -> (Connection, Connection) {
        (self.client, self.server)
    }
}

/// Appends all of `conn`'s pending output to `wire`.
pub(crate) fn move_output(conn: &mut Connection, wire: &mut Vec<u8>) -> usize {
    let out = conn.pending_output();
    let n = out.len();
    wire.extend_from_slice(out);
    conn.advance_output(n);
    n
}

/// Feeds `input` to `conn` (handshake or records, as its state requires),
/// removing what it used and appending plaintext to `rx`. Returns whether
/// anything happened and the error that stopped it, if any.
///
/// Input goes in one frame at a time, so each failure is tied to the frame
/// that caused it. (A call that consumed input before failing returns `Ok`
/// with its progress and the next call returns the sticky error.)
/// `partial` mirrors the bytes of an incomplete frame the connection holds.
pub(crate) fn feed(
    conn: &mut Connection,
    input: &mut Vec<u8>,
    rx: &mut Vec<u8>,
    partial: &mut Vec<u8>,
) -> (bool, Option<Error>) {
    let mut buf = vec![0u8; RX_CHUNK];
    let mut progress = false;
    // Every round uses input or produces plaintext, so this bound is generous.
    for _ in 0..input.len() + 2 * MAX_STEPS {
        let status = match conn.handshake_status() {
            Ok(status) => status,
            Err(e) => {
                partial.clear();
                return (progress, Some(e));
            }
        };
        let chunk = frame_remaining(partial, input);
        let result = match status {
            HandshakeStatus::Done => conn.recv_data(&input[..chunk], &mut buf).map(|p| {
                rx.extend_from_slice(&buf[..p.produced]);
                (p.consumed, p.produced)
            }),
            _ => conn.recv_handshake(&input[..chunk]).map(|n| (n, 0)),
        };
        match result {
            Ok((0, 0)) => return (progress, None),
            Ok((consumed, _)) => {
                partial.extend(input.drain(..consumed));
                let complete = partial.len() >= 3
                    && partial.len()
                        >= 3 + usize::from(u16::from_be_bytes([partial[1], partial[2]]));
                if complete {
                    partial.clear();
                }
                progress = true;
            }
            Err(e) => {
                input.drain(..chunk);
                partial.clear();
                return (true, Some(e));
            }
        }
    }
    panic!("feeding did not settle");
}

/// How many bytes of `input` complete the frame whose first bytes are
/// `partial` (all of `input` if the header is not complete yet).
fn frame_remaining(partial: &[u8], input: &[u8]) -> usize {
    let header: Vec<u8> = partial.iter().chain(input).take(3).copied().collect();
    if header.len() < 3 {
        return input.len();
    }
    let frame_len = 3 + usize::from(u16::from_be_bytes([header[1], header[2]]));
    frame_len.saturating_sub(partial.len()).min(input.len())
}
