//! Helpers shared by the adversary test files (`adversary_*.rs`): the
//! errors and RESETs they expect, forged frames, and handshakes run to a
//! given point through the [`Adversary`].
#![allow(dead_code)]

use ossuary_core::{DecodeError, Error, FrameType, HandshakeError, PeerMisbehaved, ResetReason};

use crate::common::{CLIENT_AUTH, Identity, Side, pattern};
use crate::harness::{Adversary, ResetFrame};

pub(crate) const fn misbehaved(p: PeerMisbehaved) -> Error {
    Error::Handshake(HandshakeError::PeerMisbehaved(p))
}

pub(crate) const DECRYPT_FAILED: Error = misbehaved(PeerMisbehaved::HandshakeDecryptFailed);
pub(crate) const NON_CONTRIBUTORY: Error = misbehaved(PeerMisbehaved::NonContributoryKeyShare);
pub(crate) const BAD_SERVER_SIG: Error = misbehaved(PeerMisbehaved::BadServerSignature);
pub(crate) const BAD_CLIENT_SIG: Error = misbehaved(PeerMisbehaved::BadClientSignature);

pub(crate) const PLAIN_3: ResetFrame = ResetFrame::Plain(ResetReason::HANDSHAKE_FAILURE);

pub(crate) const SIDES: [Side; 2] = [Side::Client, Side::Server];

pub(crate) fn bad_length(frame_type: FrameType, len: usize) -> Error {
    Error::Decode(DecodeError::BadLength { frame_type, len })
}

/// A frame of `ty` with a `len`-byte body that no key sealed.
pub(crate) fn forged(ty: u8, len: u16) -> Vec<u8> {
    let mut f = vec![ty, (len >> 8) as u8, len as u8];
    f.extend(pattern(usize::from(len)));
    f
}

/// The first frame of type `ty` in `frames`.
pub(crate) fn first_of(frames: &[Vec<u8>], ty: u8) -> Vec<u8> {
    frames
        .iter()
        .find(|f| f[0] == ty)
        .unwrap_or_else(|| panic!("no frame of type {ty:#04x}"))
        .clone()
}

/// Runs the handshake up to the client's CLIENT_AUTH, which stays held.
pub(crate) fn to_client_auth(adv: &mut Adversary) {
    adv.capture(Side::Client);
    adv.forward(Side::Client);
    adv.capture(Side::Server);
    adv.forward(Side::Server);
    adv.capture(Side::Client);
    assert_eq!(adv.held_types(Side::Client), [CLIENT_AUTH]);
}

/// A complete session between `cid` and `sid`: handshake, data and a key
/// update each way, CLOSE each way. Every frame is in the logs.
pub(crate) fn recorded_session(cid: &Identity, sid: &Identity) -> Adversary {
    let mut adv = Adversary::mutual(cid, sid);
    adv.connect();
    adv.send(Side::Client, b"transfer 100 to mallory");
    adv.send(Side::Server, b"done");
    for side in SIDES {
        adv.conn_mut(side).update_keys().unwrap();
    }
    adv.send(Side::Client, b" and log out");
    for side in SIDES {
        adv.conn_mut(side).close().unwrap();
    }
    adv.run();
    assert_eq!(adv.rx(Side::Server), b"transfer 100 to mallory and log out");
    assert_eq!(adv.rx(Side::Client), b"done");
    assert!(adv.conn(Side::Client).peer_closed() && adv.conn(Side::Server).peer_closed());
    adv
}

pub(crate) fn assert_no_remote(adv: &Adversary, side: Side) {
    assert_eq!(adv.conn(side).remote_public_key(), None, "{side:?}");
}
