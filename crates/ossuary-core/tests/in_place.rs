//! The allocation-free in-place API: `seal_in_place` / `open_in_place`.

mod common;

use common::*;
use ossuary_core::{
    ApiMisuse, Config, Error, HandshakeStatus, MAX_RECORD_PLAINTEXT, Opened, RECORD_OVERHEAD, Role,
};

/// Room `seal_in_place` needs beyond the plaintext, always: the record's
/// overhead and a KEY_UPDATE that may follow it.
const SEAL_ROOM: usize = 2 * RECORD_OVERHEAD;

/// Seals `msg` in place on `side` in a buffer of exactly the room needed;
/// returns what is to be sent (the record, and a KEY_UPDATE when due).
fn seal(p: &mut Pair, side: Side, msg: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; msg.len() + SEAL_ROOM];
    buf[3..3 + msg.len()].copy_from_slice(msg);
    let n = p.conn_mut(side).seal_in_place(&mut buf, msg.len()).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn seal_and_open_in_place_round_trip() {
    let mut p = Pair::connected();
    assert_eq!(RECORD_OVERHEAD, 19);
    let mut buf = [0u8; 3 + 11 + 16 + 19];
    buf[3..14].copy_from_slice(b"hello world");
    let n = p.client.seal_in_place(&mut buf, 11).unwrap();
    assert_eq!(n, 11 + RECORD_OVERHEAD);
    assert_eq!(buf[0], DATA);
    assert_ne!(&buf[3..14], b"hello world", "sealed in place");
    let frame = &mut buf[..n];
    let opened = p.server.open_in_place(frame).unwrap();
    assert_eq!(opened, Opened::Data(3..14));
    assert_eq!(&frame[3..14], b"hello world");
    // And the other way.
    let mut frame = seal(&mut p, Side::Server, b"reply");
    match p.client.open_in_place(&mut frame).unwrap() {
        Opened::Data(r) => assert_eq!(&frame[r], b"reply"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn in_place_and_buffered_apis_interoperate() {
    let mut p = Pair::connected();
    // In place out, buffered in.
    p.c2s = seal(&mut p, Side::Client, b"in place");
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"in place");
    // Buffered out, in place in.
    p.send(Side::Server, b"buffered").unwrap();
    let mut frame = std::mem::take(&mut p.s2c);
    assert_eq!(p.client.open_in_place(&mut frame), Ok(Opened::Data(3..11)));
    assert_eq!(&frame[3..11], b"buffered");
    p.assert_data_flows();
}

#[test]
fn empty_record_in_place() {
    let mut p = Pair::connected();
    let mut frame = seal(&mut p, Side::Client, b"");
    assert_eq!(frame.len(), 19);
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..3)));
    // recv_data accepts it too, producing nothing (PROTOCOL.md 2.3).
    p.c2s = seal(&mut p, Side::Client, b"");
    p.drive();
    assert_eq!(p.server_err, None);
    assert!(p.server_rx.is_empty());
    p.assert_data_flows();
}

#[test]
fn short_buffer_is_not_sticky() {
    let mut p = Pair::connected();
    let mut short = [0u8; 3 + 10 + 15];
    assert_eq!(
        p.client.seal_in_place(&mut short, 10),
        Err(Error::BufferTooSmall { needed: 10 + 38 })
    );
    // A caller's mistake: not sticky.
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    // Nothing was consumed: no counter advanced, nothing queued.
    assert!(p.client.pending_output().is_empty());
    p.assert_data_flows();
    let mut frame = seal(&mut p, Side::Client, b"after the mistake");
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..20)));
}

#[test]
fn too_long_plaintext_is_refused() {
    let mut p = Pair::connected();
    let max = MAX_RECORD_PLAINTEXT;
    let mut buf = vec![0u8; max + 100 + 19 + 19];
    assert!(matches!(
        p.client.seal_in_place(&mut buf, max + 1),
        Err(Error::BufferTooSmall { .. })
    ));
    // The largest legal record works.
    let n = p.client.seal_in_place(&mut buf, max).unwrap();
    assert_eq!(n, max + 19);
    let opened = p.server.open_in_place(&mut buf[..n]).unwrap();
    assert_eq!(opened, Opened::Data(3..3 + max));
}

#[test]
fn seal_with_pending_output_is_misuse() {
    let mut p = Pair::connected();
    assert_eq!(p.client.send_data(b"queued"), Ok(6));
    assert!(!p.client.pending_output().is_empty());
    let mut buf = [0u8; 64];
    assert_eq!(
        p.client.seal_in_place(&mut buf, 4),
        Err(Error::ApiMisuse(ApiMisuse::BufferedData))
    );
    // Not sticky: flush, then it works, in order.
    p.drive();
    assert_eq!(p.take_rx(Side::Server), b"queued");
    let mut frame = seal(&mut p, Side::Client, b"next");
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..7)));
}

#[test]
fn open_with_a_buffered_partial_frame_is_misuse() {
    let mut p = Pair::connected();
    let frame = seal(&mut p, Side::Client, b"split");
    let mut out = [0u8; 16];
    assert_eq!(
        p.server
            .recv_data(&frame[..5], &mut out)
            .map(|p| p.consumed),
        Ok(5)
    );
    let mut other = frame.clone();
    assert_eq!(
        p.server.open_in_place(&mut other),
        Err(Error::ApiMisuse(ApiMisuse::BufferedData))
    );
    // Not sticky: the rest completes the buffered frame.
    let got = p.server.recv_data(&frame[5..], &mut out).unwrap();
    assert_eq!(&out[..got.produced], b"split");
}

#[test]
fn tampered_frame_in_place_is_a_record_failure() {
    let mut p = Pair::connected();
    let mut frame = seal(&mut p, Side::Client, b"secret");
    frame[4] ^= 1;
    assert_eq!(p.server.open_in_place(&mut frame), Err(Error::BadRecord));
    // Sticky, and answered with a sealed RESET.
    let mut good = seal(&mut p, Side::Client, b"next");
    assert_eq!(p.server.open_in_place(&mut good), Err(Error::BadRecord));
    assert_eq!(frame_types(p.server.pending_output()), [RESET]);
}

#[test]
fn control_frames_in_place() {
    let mut p = Pair::connected();
    p.client.update_keys().unwrap();
    let mut update = p.client.pending_output().to_vec();
    p.client.advance_output(update.len());
    assert_eq!(p.server.open_in_place(&mut update), Ok(Opened::KeyUpdate));
    let mut frame = seal(&mut p, Side::Client, b"new key");
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..10)));
    p.client.close().unwrap();
    let mut close = p.client.pending_output().to_vec();
    p.client.advance_output(close.len());
    assert_eq!(p.server.open_in_place(&mut close), Ok(Opened::Close));
    assert!(p.server.peer_closed());
    let mut buf = [0u8; 64];
    assert_eq!(p.client.seal_in_place(&mut buf, 4), Err(Error::Closed));
}

#[test]
fn automatic_key_update_follows_when_there_is_room() {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let config = Config {
        key_update_records: 2,
        ..Config::default()
    };
    let mut p = Pair::new(
        client_with(config, Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    p.connect();
    let mut wire = Vec::new();
    for i in 0..6u8 {
        wire.extend(seal(&mut p, Side::Client, &[i; 3]));
    }
    let types = frame_types(&wire);
    assert_eq!(
        types,
        [
            DATA, DATA, KEY_UPDATE, DATA, DATA, KEY_UPDATE, DATA, DATA, KEY_UPDATE
        ]
    );
    p.c2s = wire;
    p.drive();
    assert_eq!(
        p.take_rx(Side::Server),
        [[0u8; 3], [1; 3], [2; 3], [3; 3], [4; 3], [5; 3]].concat()
    );
}

/// A connected pair whose client updates its key every 2 records.
fn pair_with_small_key_update_threshold() -> Pair {
    let (cid, sid) = (Identity::generate(), Identity::generate());
    let config = Config {
        key_update_records: 2,
        ..Config::default()
    };
    let mut p = Pair::new(
        client_with(config, Some(&cid), &[sid.public()]),
        server(Role::AuthenticatingServer, &sid, &[cid.public()]),
    );
    p.connect();
    p
}

/// Issue 10, defect 1: a buffer of exactly `len + 38` bytes, sized once,
/// keeps working across many key-update thresholds (the due KEY_UPDATE goes
/// out right behind the record, in the same buffer), no key seals more than
/// the threshold's records, and the peer opens every record and every key
/// update in place. (On b216206 the KEY_UPDATE needed `len + 38` only at the
/// threshold, and a `len + 19` buffer stopped there forever.)
#[test]
fn seal_in_place_with_len_plus_38_keeps_working_across_key_update_thresholds() {
    const LEN: usize = 5;
    const RECORDS: u8 = 40;
    let mut p = pair_with_small_key_update_threshold();
    let mut buf = vec![0u8; LEN + 38];
    let mut run = 0;
    let mut updates = 0;
    for i in 0..RECORDS {
        buf[3..3 + LEN].fill(i);
        let n = p.client.seal_in_place(&mut buf, LEN).unwrap();
        assert!(n == LEN + 19 || n == LEN + 38, "record {i}: {n} bytes");
        assert!(p.client.pending_output().is_empty(), "nothing queued");
        let frames: Vec<Vec<u8>> = split_frames(&buf[..n])
            .into_iter()
            .map(|(_, f)| f.to_vec())
            .collect();
        assert_eq!(frames[0][0], DATA);
        run += 1;
        assert!(run <= 2, "record {i}: more than 2 records under one key");
        for mut frame in frames {
            match p.server.open_in_place(&mut frame) {
                Ok(Opened::Data(r)) => assert_eq!(&frame[r], &[i; LEN]),
                Ok(Opened::KeyUpdate) => {
                    assert_eq!(frame.len(), 19);
                    updates += 1;
                    run = 0;
                }
                other => panic!("record {i}: {other:?}"),
            }
        }
    }
    assert!(
        updates >= usize::from(RECORDS) / 2 - 1,
        "{updates} key updates for {RECORDS} records"
    );
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    assert_eq!(p.server.handshake_status(), Ok(HandshakeStatus::Done));
    p.assert_data_flows();
}

/// Issue 10, defect 1: a buffer of `len + 19` (one record, no room for a
/// KEY_UPDATE) is refused up front, on the very first call, long before a
/// threshold, asking for `len + 38`; the refusal changes nothing. (On
/// b216206 it was accepted until the threshold, then refused forever.)
#[test]
fn seal_in_place_refuses_a_len_plus_19_buffer_before_the_threshold() {
    const LEN: usize = 5;
    let mut p = pair_with_small_key_update_threshold();
    let mut buf = vec![0u8; LEN + 19];
    buf[3..3 + LEN].copy_from_slice(b"early");
    assert_eq!(
        p.client.seal_in_place(&mut buf, LEN),
        Err(Error::BufferTooSmall { needed: LEN + 38 })
    );
    assert_eq!(&buf[3..3 + LEN], b"early", "the plaintext is untouched");
    assert_eq!(p.client.handshake_status(), Ok(HandshakeStatus::Done));
    assert!(p.client.pending_output().is_empty());
    // Nothing was sealed: the next record is the first under the key.
    let mut frame = seal(&mut p, Side::Client, b"first");
    assert_eq!(frame.len(), LEN + 19, "no key update due yet");
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..8)));
    // Every size is refused the same way, also at and after a threshold.
    for i in 0..6 {
        let mut short = vec![0u8; LEN + 19];
        assert_eq!(
            p.client.seal_in_place(&mut short, LEN),
            Err(Error::BufferTooSmall { needed: LEN + 38 }),
            "call {i}"
        );
        let wire = seal(&mut p, Side::Client, &[i; LEN]);
        for (_, frame) in split_frames(&wire) {
            let mut frame = frame.to_vec();
            assert!(p.server.open_in_place(&mut frame).is_ok(), "call {i}");
        }
    }
}

// ------------------------------------------------ caller mistakes ----

/// Issue 10, item 7: `open_in_place` given more than one frame (a buffer
/// longer than the frame's length field says) is the caller's mistake:
/// `ApiMisuse::NotOneFrame`, no RESET queued, the session intact, and the
/// same frame opens once it is given alone. (On b216206 it failed the
/// session and sent the peer a RESET.)
#[test]
fn open_in_place_on_a_buffer_longer_than_the_frame_is_misuse() {
    let mut p = Pair::connected();
    let frame = seal(&mut p, Side::Client, b"one frame");
    let mut longer = frame.clone();
    longer.extend([0u8; 7]);
    let misuse = Err(Error::ApiMisuse(ApiMisuse::NotOneFrame));
    assert_eq!(p.server.open_in_place(&mut longer), misuse);
    // Two whole frames are not one either.
    let next = seal(&mut p, Side::Client, b"two");
    let mut two = [frame.clone(), next.clone()].concat();
    assert_eq!(p.server.open_in_place(&mut two), misuse);
    assert_eq!(p.server.handshake_status(), Ok(HandshakeStatus::Done));
    assert!(p.server.pending_output().is_empty(), "no RESET");
    let mut frame = frame;
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..12)));
    assert_eq!(&frame[3..12], b"one frame");
    let mut next = next;
    assert_eq!(p.server.open_in_place(&mut next), Ok(Opened::Data(3..6)));
    p.assert_data_flows();
}

/// Issue 10, item 7: a buffer shorter than its frame is the caller's
/// mistake too, changing nothing.
#[test]
fn open_in_place_on_a_buffer_shorter_than_the_frame_is_misuse() {
    let mut p = Pair::connected();
    let frame = seal(&mut p, Side::Client, b"one frame");
    let misuse = Err(Error::ApiMisuse(ApiMisuse::NotOneFrame));
    for cut in [frame.len() - 1, 19, 3, 2, 1] {
        let mut short = frame[..cut].to_vec();
        assert_eq!(p.server.open_in_place(&mut short), misuse, "{cut} bytes");
    }
    assert_eq!(p.server.handshake_status(), Ok(HandshakeStatus::Done));
    assert!(p.server.pending_output().is_empty(), "no RESET");
    let mut frame = frame;
    assert_eq!(p.server.open_in_place(&mut frame), Ok(Opened::Data(3..12)));
    p.assert_data_flows();
}
