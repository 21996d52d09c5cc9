//! Counter exhaustion through the public (`hazmat`) API: a sealer never uses
//! counter 2^64 - 1 (SPEC §6).

#![cfg(feature = "hazmat")]

mod common;

use common::record_keys;
use ossuary_crypto::Error;

#[test]
fn sealer_stops_before_the_last_counter() {
    let ((mut seal, _), (_, mut open)) = record_keys(&[1; 32], &[2; 32], &[3; 32]);
    seal.set_counter_for_testing_only(u64::MAX - 1);
    open.set_counter_for_testing_only(u64::MAX - 1);
    let header = [0x10, 0x00, 0x14];

    let mut buf = *b"last";
    let tag = seal.seal_in_place(&header, &mut buf).unwrap();
    open.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"last");
    assert_eq!((seal.counter(), open.counter()), (u64::MAX, u64::MAX));

    let mut buf = *b"more";
    assert_eq!(
        seal.seal_in_place(&header, &mut buf),
        Err(Error::CounterExhausted)
    );
    assert_eq!(&buf, b"more");
    // Still exhausted: errors are sticky until the key changes.
    assert_eq!(
        seal.seal_in_place(&header, &mut buf),
        Err(Error::CounterExhausted)
    );

    // A key update starts a fresh key at counter 0.
    seal.update();
    open.update();
    assert_eq!((seal.counter(), open.counter()), (0, 0));
    let tag = seal.seal_in_place(&header, &mut buf).unwrap();
    open.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(&buf, b"more");
}

#[test]
fn skipped_counter_fails_to_open() {
    let ((mut seal, _), (_, mut open)) = record_keys(&[4; 32], &[5; 32], &[6; 32]);
    seal.set_counter_for_testing_only(7);
    let header = [0x10, 0x00, 0x11];
    let mut buf = [0x42];
    let tag = seal.seal_in_place(&header, &mut buf).unwrap();
    // On a copy: a failed open may zero the buffer (ring backend).
    assert_eq!(
        open.open_in_place(&header, &mut buf.clone(), &tag),
        Err(Error::Decrypt)
    );
    open.set_counter_for_testing_only(7);
    open.open_in_place(&header, &mut buf, &tag).unwrap();
    assert_eq!(buf, [0x42]);
    assert_eq!(open.counter(), 8);
}
