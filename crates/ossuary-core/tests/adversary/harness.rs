//! The [`Adversary`]: an active attacker who owns the wire between two real
//! [`Connection`]s.
//!
//! ```text
//!   client ──capture──▶ held[client→server] ──forward──▶ server
//!   client ◀──forward── held[server→client] ◀──capture── server
//!                 │  drop · replay · reorder · rewrite · reflect  │
//!                 └──── inject / splice frames of other sessions ─┘
//! ```
//!
//! Everything an endpoint writes is captured and parsed into whole frames
//! with `ossuary_wire::Frame::parse` (an honest endpoint never writes a
//! malformed one), held, and reaches the other endpoint only when the test
//! forwards it. Every captured frame is also logged, so a test can replay or
//! splice it later, into this session or another. Input is fed one frame at
//! a time (`common::feed`), so each error is tied to the frame that caused
//! it. Nothing sleeps and every loop is bounded.
#![allow(dead_code)]

use std::collections::VecDeque;

use ossuary_core::{Connection, Error, HandshakeStatus, ResetReason, Role};
use ossuary_wire::{Frame, Parsed};

use crate::common::{
    Identity, MAX_STEPS, RESET, Side, check_deadline, client, feed, move_output, plain_reset,
    server,
};

/// A RESET as seen on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResetFrame {
    /// Plaintext (PROTOCOL.md §10.2): the reason is readable by anyone.
    Plain(ResetReason),
    /// Sealed under the sender's traffic key: only its peer can read it.
    Sealed,
}

/// One endpoint and what the adversary knows of it.
struct End {
    conn: Connection,
    /// Frames this endpoint sent that the adversary still holds.
    held: VecDeque<Vec<u8>>,
    /// Every frame this endpoint ever sent, in order.
    log: Vec<Vec<u8>>,
    /// Plaintext this endpoint's application received.
    rx: Vec<u8>,
    /// The last error this endpoint reported.
    err: Option<Error>,
    /// A partial frame it has taken in (see `common::feed`).
    partial: Vec<u8>,
}

impl End {
    fn new(conn: Connection) -> Self {
        Self {
            conn,
            held: VecDeque::new(),
            log: Vec::new(),
            rx: Vec::new(),
            err: None,
            partial: Vec::new(),
        }
    }
}

/// The two real endpoints and the attacker between them.
pub(crate) struct Adversary {
    client: End,
    server: End,
}

impl Adversary {
    pub(crate) fn new(client: Connection, server: Connection) -> Self {
        Self {
            client: End::new(client),
            server: End::new(server),
        }
    }

    /// A pinned client with an identity and an authenticating server that
    /// authorizes it.
    pub(crate) fn mutual(cid: &Identity, sid: &Identity) -> Self {
        Self::new(
            client(Some(cid), &[sid.public()]),
            server(Role::AuthenticatingServer, sid, &[cid.public()]),
        )
    }

    /// [`Self::mutual`] with fresh keys, connected and with data confirmed
    /// both ways (so the client's "server unconfirmed" window is closed).
    pub(crate) fn connected() -> Self {
        let mut adv = Self::mutual(&Identity::generate(), &Identity::generate());
        adv.connect();
        adv.send(Side::Client, b"hello");
        adv.send(Side::Server, b"hello yourself");
        adv.run();
        assert_eq!(adv.take_rx(Side::Server), b"hello");
        assert_eq!(adv.take_rx(Side::Client), b"hello yourself");
        adv
    }

    fn end(&self, side: Side) -> &End {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    fn end_mut(&mut self, side: Side) -> &mut End {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    pub(crate) fn conn(&self, side: Side) -> &Connection {
        &self.end(side).conn
    }

    pub(crate) fn conn_mut(&mut self, side: Side) -> &mut Connection {
        &mut self.end_mut(side).conn
    }

    /// The last error `side` reported while being fed or driven.
    pub(crate) fn err(&self, side: Side) -> Option<Error> {
        self.end(side).err
    }

    /// Records the error of a call the test made on `side` directly (a
    /// deadline check, a trust decision), as if it had been fed: an error
    /// that failed the connection (a caller's mistake does not).
    pub(crate) fn note<T>(&mut self, side: Side, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &result
            && self.conn(side).handshake_status() == Err(*e)
        {
            self.end_mut(side).err = Some(*e);
        }
        result
    }

    /// Plaintext `side`'s application has received so far.
    pub(crate) fn rx(&self, side: Side) -> &[u8] {
        &self.end(side).rx
    }

    pub(crate) fn take_rx(&mut self, side: Side) -> Vec<u8> {
        std::mem::take(&mut self.end_mut(side).rx)
    }

    /// Every frame `side` has sent so far (captured), in order.
    pub(crate) fn log(&self, side: Side) -> &[Vec<u8>] {
        &self.end(side).log
    }

    /// The frames sent by `from` that the adversary holds.
    pub(crate) fn held(&self, from: Side) -> &VecDeque<Vec<u8>> {
        &self.end(from).held
    }

    pub(crate) fn held_mut(&mut self, from: Side) -> &mut VecDeque<Vec<u8>> {
        &mut self.end_mut(from).held
    }

    /// The types of the held frames sent by `from`, in order.
    pub(crate) fn held_types(&self, from: Side) -> Vec<u8> {
        self.held(from).iter().map(|f| f[0]).collect()
    }

    /// Takes everything `side` has written (a client queued CLIENT_HELLO
    /// when it was built) and holds it, frame by frame; a side still
    /// handshaking first checks its deadline. Returns the number of frames
    /// captured.
    pub(crate) fn capture(&mut self, side: Side) -> usize {
        let end = self.end_mut(side);
        if let Some(e) = check_deadline(&mut end.conn) {
            end.err = Some(e);
        }
        let mut bytes = Vec::new();
        move_output(&mut end.conn, &mut bytes);
        let mut rest = &bytes[..];
        let mut n = 0;
        while !rest.is_empty() {
            match Frame::parse(rest) {
                Ok(Parsed::Complete { consumed, .. }) => {
                    end.held.push_back(rest[..consumed].to_vec());
                    end.log.push(rest[..consumed].to_vec());
                    rest = &rest[consumed..];
                    n += 1;
                }
                other => panic!("{side:?} wrote a malformed frame: {other:?}"),
            }
        }
        n
    }

    /// Removes the next held frame sent by `from` (to drop it, or to keep it
    /// for later).
    pub(crate) fn take(&mut self, from: Side) -> Vec<u8> {
        self.held_mut(from)
            .pop_front()
            .unwrap_or_else(|| panic!("no frame held from {from:?}"))
    }

    /// Feeds `bytes` (any bytes: a frame of another session, a forgery,
    /// garbage) to `to`, as if they came from its peer.
    pub(crate) fn inject(&mut self, to: Side, bytes: &[u8]) {
        let end = self.end_mut(to);
        let mut input = bytes.to_vec();
        let (_, e) = feed(&mut end.conn, &mut input, &mut end.rx, &mut end.partial);
        if e.is_some() {
            end.err = e;
        }
    }

    /// Passes the next held frame from `from` on to its peer; returns it.
    pub(crate) fn forward(&mut self, from: Side) -> Vec<u8> {
        let frame = self.take(from);
        self.inject(from.peer(), &frame);
        frame
    }

    /// Passes on every frame held from `from`.
    pub(crate) fn forward_all(&mut self, from: Side) {
        while !self.held(from).is_empty() {
            self.forward(from);
        }
    }

    /// Sends the next held frame from `from` back to `from` itself.
    pub(crate) fn reflect(&mut self, from: Side) -> Vec<u8> {
        let frame = self.take(from);
        self.inject(from, &frame);
        frame
    }

    /// An honest wire: captures and forwards everything both ways until
    /// nothing moves (at most [`MAX_STEPS`] rounds).
    pub(crate) fn run(&mut self) {
        for _ in 0..MAX_STEPS {
            let moved = self.capture(Side::Client) + self.capture(Side::Server);
            let held = self.held(Side::Client).len() + self.held(Side::Server).len();
            if moved == 0 && held == 0 {
                return;
            }
            self.forward_all(Side::Client);
            self.forward_all(Side::Server);
        }
        panic!("the wire did not settle within {MAX_STEPS} rounds");
    }

    /// Runs an honest handshake and asserts that both sides completed.
    pub(crate) fn connect(&mut self) {
        self.run();
        assert_eq!(
            (
                self.client.conn.handshake_status(),
                self.server.conn.handshake_status()
            ),
            (Ok(HandshakeStatus::Done), Ok(HandshakeStatus::Done)),
            "the handshake did not complete"
        );
    }

    /// Seals `msg` on `side` and captures the records.
    pub(crate) fn send(&mut self, side: Side, msg: &[u8]) {
        let mut sent = 0;
        for _ in 0..=msg.len() + 1 {
            self.capture(side);
            if sent == msg.len() {
                return;
            }
            sent += self
                .conn_mut(side)
                .send_data(&msg[sent..])
                .expect("send_data");
        }
        panic!("send_data made no progress");
    }

    /// Captures `side`'s output and returns the one RESET it holds (it stays
    /// held, so it can still be forwarded). Panics unless there is exactly
    /// one: a party sends at most one RESET per session (PROTOCOL.md §10.4).
    pub(crate) fn reset_sent(&mut self, side: Side) -> ResetFrame {
        self.capture(side);
        let resets: Vec<&Vec<u8>> = self.held(side).iter().filter(|f| f[0] == RESET).collect();
        assert_eq!(resets.len(), 1, "{side:?} should hold one RESET");
        match resets[0].len() {
            4 => ResetFrame::Plain(ResetReason(resets[0][3])),
            20 => ResetFrame::Sealed,
            n => panic!("a RESET of {n} bytes"),
        }
    }

    /// Asserts that `side` detected the attack: it reported exactly `error`
    /// (and keeps it), delivered no plaintext (since [`Self::take_rx`] was
    /// last called), does not report a clean close, and sent exactly one
    /// RESET, of the form `reset`.
    pub(crate) fn assert_rejected(&mut self, side: Side, error: Error, reset: ResetFrame) {
        assert_eq!(self.err(side), Some(error), "{side:?}'s error");
        assert_eq!(self.conn(side).handshake_status(), Err(error), "sticky");
        assert!(
            self.rx(side).is_empty(),
            "{side:?} delivered {:?}",
            self.rx(side)
        );
        assert!(!self.conn(side).peer_closed(), "not a clean close");
        assert_eq!(self.reset_sent(side), reset, "{side:?}'s RESET");
    }

    /// Forwards everything `from` holds and asserts that its peer reports
    /// the RESET as `PeerReset { reason, authenticated }`, authenticated
    /// exactly when the RESET was sealed: this reads a sealed RESET's reason.
    pub(crate) fn assert_peer_learns(&mut self, from: Side, reason: ResetReason) {
        let authenticated = self.reset_sent(from) == ResetFrame::Sealed;
        self.forward_all(from);
        let to = from.peer();
        assert_eq!(
            self.err(to),
            Some(Error::PeerReset {
                reason,
                authenticated
            }),
            "{to:?}"
        );
        assert_ne!(self.conn(to).handshake_status(), Ok(HandshakeStatus::Done));
        assert!(!self.conn(to).peer_closed());
    }

    /// Asserts that `side` holds a plaintext RESET with `reason` and nothing
    /// else: it answered with no handshake message.
    pub(crate) fn assert_only_plain_reset(&mut self, side: Side, reason: ResetReason) {
        self.capture(side);
        let held: Vec<Vec<u8>> = self.held(side).iter().cloned().collect();
        assert_eq!(held, [plain_reset(reason).to_vec()], "{side:?} sent");
    }
}
