//! An active attacker between two real endpoints (issue 4, "Adversarial
//! peer tests"): control frames injected into a session (forged, or genuine
//! from another session), plaintext left in the caller's buffers by a
//! tampered record, and key updates racing records and CLOSE.
//!
//! The attacker is [`Adversary`] (`adversary/harness.rs`): it owns the two
//! byte queues, parses every frame, and can drop, replay, reorder, rewrite,
//! reflect, inject, or splice frames from other sessions. Each test asserts
//! the specific rejection: the exact error on the side that must detect it,
//! that no plaintext was delivered, that the other side did not end
//! established with the attacker, and which RESET went out (PROTOCOL.md
//! §10.1, §11). The other adversary files: `adversary_replay.rs`,
//! `adversary_identity.rs`, `adversary_framing.rs`, `adversary_records.rs`.
//!
//! Related attacks covered elsewhere and not repeated here: forged records
//! with a random tag (`injection.rs`), dropped and replayed KEY_UPDATE
//! (`key_update.rs`).

mod common;
#[path = "adversary/harness.rs"]
mod harness;
#[path = "adversary/helpers.rs"]
mod helpers;

use common::*;
use harness::{Adversary, ResetFrame};
use helpers::*;
use ossuary_core::{Error, FrameType, ResetReason};

// ----------------------------------- unauthenticated control frames ----

/// Injects `frame` into a confirmed session towards `to`, between two of
/// its peer's genuine records, and asserts it is rejected as a record
/// failure: the record before it is delivered, the one after it is not,
/// `to` does not see a clean close, and its sealed RESET tells the peer.
fn assert_injection_rejected(to: Side, frame: &[u8], what: &str) {
    let mut adv = Adversary::connected();
    adv.send(to.peer(), b"before");
    adv.forward_all(to.peer());
    assert_eq!(adv.take_rx(to), b"before", "{what}");
    adv.send(to.peer(), b"after");
    adv.inject(to, frame);
    adv.forward_all(to.peer());
    assert_eq!(adv.err(to), Some(Error::BadRecord), "{what} to {to:?}");
    adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
    adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
}

#[test]
fn injected_close_is_rejected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let earlier = recorded_session(&cid, &sid);
    for to in SIDES {
        let genuine_elsewhere = first_of(earlier.log(to.peer()), CLOSE);
        assert_injection_rejected(to, &forged(CLOSE, 16), "a forged CLOSE");
        assert_injection_rejected(to, &genuine_elsewhere, "an earlier session's CLOSE");
    }
}

#[test]
fn frame_injected_after_a_close_is_refused() {
    // PROTOCOL.md §9: after the peer's CLOSE any frame is a record failure,
    // here a replay of the peer's last DATA record. The clean close that
    // was reported stays reported (it was authentic); the error follows.
    for to in SIDES {
        let mut adv = Adversary::connected();
        adv.send(to.peer(), b"the end");
        let record = adv.held(to.peer())[0].clone();
        adv.conn_mut(to.peer()).close().unwrap();
        adv.run();
        assert_eq!(adv.take_rx(to), b"the end");
        assert!(adv.conn(to).peer_closed());
        adv.inject(to, &record);
        let after_close = unexpected(&[], FrameType::DATA);
        assert_eq!(adv.err(to), Some(after_close));
        assert!(adv.rx(to).is_empty());
        assert_eq!(adv.reset_sent(to), ResetFrame::Sealed);
        // The closed peer still reads: it opens the RESET.
        adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
    }
}

#[test]
fn injected_reset_is_rejected() {
    // A sealed RESET genuinely sent in an earlier session (after a forged
    // record), by each side.
    let mut sealed_elsewhere = Vec::new();
    for side in SIDES {
        let mut earlier = Adversary::connected();
        earlier.inject(side, &forged(DATA, 20));
        assert_eq!(earlier.reset_sent(side), ResetFrame::Sealed);
        sealed_elsewhere.push(first_of(earlier.log(side), RESET));
    }
    for (to, genuine_elsewhere) in [
        (Side::Client, &sealed_elsewhere[1]),
        (Side::Server, &sealed_elsewhere[0]),
    ] {
        for reason in [ResetReason::UNSPECIFIED, ResetReason::APPLICATION] {
            // Plaintext: refused once the client has heard from the server
            // (the window of §10.3 is closed), and always by the server.
            assert_injection_rejected(to, &plain_reset(reason), "a plaintext RESET");
        }
        assert_injection_rejected(to, &forged(RESET, 17), "a forged sealed RESET");
        assert_injection_rejected(to, genuine_elsewhere, "an earlier session's RESET");
    }
}

#[test]
fn injected_key_update_is_rejected() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let earlier = recorded_session(&cid, &sid);
    for to in SIDES {
        let genuine_elsewhere = first_of(earlier.log(to.peer()), KEY_UPDATE);
        assert_injection_rejected(to, &forged(KEY_UPDATE, 16), "a forged KEY_UPDATE");
        assert_injection_rejected(to, &genuine_elsewhere, "an earlier session's KEY_UPDATE");
    }
    // The peer's own KEY_UPDATE of this session, replayed later.
    for to in SIDES {
        let mut adv = Adversary::connected();
        adv.conn_mut(to.peer()).update_keys().unwrap();
        adv.send(to.peer(), b"under the new key");
        let update = adv.held(to.peer())[0].clone();
        assert_eq!(update[0], KEY_UPDATE);
        adv.forward_all(to.peer());
        assert_eq!(adv.take_rx(to), b"under the new key");
        adv.send(to.peer(), b"after");
        adv.inject(to, &update);
        adv.forward_all(to.peer());
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
        adv.assert_peer_learns(to, ResetReason::RECORD_FAILURE);
    }
}

#[test]
fn tampered_record_leaves_no_plaintext_in_the_callers_buffers() {
    // One ciphertext bit flipped: a stream cipher opened before its tag is
    // checked would put the message, with one bit flipped, where the
    // application reads. Neither recv_data (whose fast path opens straight
    // into the caller's buffer) nor open_in_place may leave it there.
    let msg = pattern(1000);
    let leaked = |buf: &[u8]| buf.iter().zip(&msg).filter(|(a, b)| a == b).count();
    for side in SIDES {
        let to = side.peer();
        let mut adv = Adversary::connected();
        adv.send(side, &msg);
        let mut record = adv.take(side);
        record[3 + 500] ^= 1;
        let mut out = vec![0u8; 4096];
        let r = recv_data_now(adv.conn_mut(to), &record, &mut out);
        assert_eq!(adv.note(to, r), Err(Error::BadRecord));
        assert!(
            leaked(&out) < 100,
            "{} plaintext bytes in out",
            leaked(&out)
        );
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);

        let mut adv = Adversary::connected();
        adv.send(side, &msg);
        let mut record = adv.take(side);
        record[3 + 500] ^= 1;
        let r = adv.conn_mut(to).open_in_place(&mut record).map(|_| ());
        assert_eq!(adv.note(to, r), Err(Error::BadRecord));
        let body = &record[3..1003];
        assert!(
            leaked(body) < 100,
            "{} plaintext bytes in place",
            leaked(body)
        );
        adv.assert_rejected(to, Error::BadRecord, ResetFrame::Sealed);
    }
}

// --------------------------------------------------- key update races ----

#[test]
fn simultaneous_key_updates_with_records_in_flight() {
    // Both sides send and update their keys without waiting for each other;
    // the adversary lets only one frame through each way per round, so
    // updates and records cross in flight in every order.
    let mut adv = Adversary::connected();
    let mut expected = [Vec::new(), Vec::new()];
    for round in 0..12u8 {
        for (i, side) in SIDES.into_iter().enumerate() {
            let msg = [b'a' + round, i as u8, round];
            adv.send(side, &msg);
            expected[1 - i].extend_from_slice(&msg);
            if round % 3 != 2 {
                adv.conn_mut(side).update_keys().unwrap();
                adv.capture(side);
            }
        }
        for side in SIDES {
            adv.forward(side);
        }
    }
    adv.run();
    assert_eq!(adv.err(Side::Client), None);
    assert_eq!(adv.err(Side::Server), None);
    assert_eq!(adv.take_rx(Side::Client), expected[0]);
    assert_eq!(adv.take_rx(Side::Server), expected[1]);
}

#[test]
fn key_update_reordered_with_records_is_detected() {
    // [DATA "one", KEY_UPDATE, DATA "two"]: any swap desynchronises the
    // keys or counters.
    for (i, j, delivered) in [(0, 1, &b""[..]), (1, 2, b"one")] {
        for side in SIDES {
            let mut adv = Adversary::connected();
            adv.send(side, b"one");
            adv.conn_mut(side).update_keys().unwrap();
            adv.send(side, b"two");
            assert_eq!(adv.held_types(side), [DATA, KEY_UPDATE, DATA]);
            adv.held_mut(side).swap(i, j);
            adv.forward_all(side);
            assert_eq!(adv.take_rx(side.peer()), delivered);
            adv.assert_rejected(side.peer(), Error::BadRecord, ResetFrame::Sealed);
            adv.assert_peer_learns(side.peer(), ResetReason::RECORD_FAILURE);
        }
    }
}

#[test]
fn key_update_racing_a_close() {
    // Both sides update and close at once; the frames cross one by one.
    let mut adv = Adversary::connected();
    for side in SIDES {
        adv.send(side, b"last words");
        adv.conn_mut(side).update_keys().unwrap();
        adv.conn_mut(side).close().unwrap();
        adv.capture(side);
        assert_eq!(adv.held_types(side), [DATA, KEY_UPDATE, CLOSE]);
    }
    for _ in 0..3 {
        for side in SIDES {
            adv.forward(side);
        }
    }
    for side in SIDES {
        assert_eq!(adv.err(side), None);
        assert!(adv.conn(side).peer_closed());
        assert_eq!(adv.take_rx(side), b"last words");
        // After its CLOSE a side cannot update any more (a caller error
        // that changes nothing).
        assert_eq!(adv.conn_mut(side).update_keys(), Err(Error::Closed));
        assert_eq!(adv.capture(side), 0);
    }

    // The receiver of a CLOSE may still update and send.
    let mut adv = Adversary::connected();
    adv.conn_mut(Side::Client).close().unwrap();
    adv.run();
    assert!(adv.conn(Side::Server).peer_closed());
    adv.conn_mut(Side::Server).update_keys().unwrap();
    adv.send(Side::Server, b"one more thing");
    adv.run();
    assert_eq!(adv.take_rx(Side::Client), b"one more thing");
    assert_eq!((adv.err(Side::Client), adv.err(Side::Server)), (None, None));

    // The adversary drops, or delays, the KEY_UPDATE before a CLOSE: the
    // CLOSE, sealed under the new key, does not open, and the cut is not a
    // clean end. (The closed sender sends nothing more, so the receiver's
    // RESET is the last word.)
    for delay in [false, true] {
        for side in SIDES {
            let mut adv = Adversary::connected();
            adv.conn_mut(side).update_keys().unwrap();
            adv.conn_mut(side).close().unwrap();
            adv.capture(side);
            let update = adv.take(side);
            adv.forward(side);
            if delay {
                adv.inject(side.peer(), &update);
            }
            adv.assert_rejected(side.peer(), Error::BadRecord, ResetFrame::Sealed);
            adv.assert_peer_learns(side.peer(), ResetReason::RECORD_FAILURE);
            assert_eq!(adv.capture(side), 0, "a closed side sends no RESET");
        }
    }
}
