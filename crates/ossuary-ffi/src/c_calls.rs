//! Tests of the exported functions called as C calls them, through raw
//! pointers (the C tests in `bindings/c/tests/` cover the same ground from C).
#![allow(unsafe_code, clippy::undocumented_unsafe_blocks)]

use crate::status::OssuaryErr;
use crate::*;

mod signer;

/// A client (TOFU, accepting the server) and an open server, handshake done.
fn pair() -> (*mut OssuaryConnection, *mut OssuaryConnection) {
    unsafe {
        let c = ossuary_create_connection(0, core::ptr::null());
        let s = ossuary_create_connection(2, core::ptr::null());
        assert!(!c.is_null() && !s.is_null());
        for _ in 0..20 {
            for (a, b) in [(c, s), (s, c)] {
                let mut buf = [0u8; 4096];
                let mut len = 4096u16;
                let r = ossuary_send_handshake(a, buf.as_mut_ptr(), &mut len);
                assert!(r >= 0, "send_handshake: {r}");
                let mut off = 0;
                while off < usize::from(len) {
                    let mut n = len - off as u16;
                    let r = ossuary_recv_handshake(b, buf.as_mut_ptr().add(off), &mut n);
                    assert!(r >= 0 || r == OssuaryErr::Wouldblock.code(), "recv: {r}");
                    if n == 0 {
                        break;
                    }
                    off += usize::from(n);
                }
            }
            if ossuary_handshake_done(c) == OssuaryErr::UntrustedServer.code() {
                let mut key = [0u8; 32];
                assert_eq!(ossuary_remote_public_key(c, key.as_mut_ptr(), 32), 0);
                assert_eq!(ossuary_add_authorized_key(c, key.as_ptr()), 0);
            }
            if ossuary_handshake_done(c) == 1 && ossuary_handshake_done(s) == 1 {
                return (c, s);
            }
        }
        panic!("handshake did not finish");
    }
}

/// Records carrying `msgs`, from `s`.
fn records(s: *mut OssuaryConnection, msgs: &[&[u8]]) -> Vec<u8> {
    let mut wire = Vec::new();
    for m in msgs {
        let mut out = vec![0u8; m.len() + 64];
        let mut len = u16::try_from(out.len()).unwrap();
        let mut input = m.to_vec();
        let r = unsafe {
            ossuary_send_data(
                s,
                input.as_mut_ptr(),
                u16::try_from(m.len()).unwrap(),
                out.as_mut_ptr(),
                &mut len,
            )
        };
        assert!(r >= 0, "send_data: {r}");
        wire.extend_from_slice(&out[..usize::from(len)]);
    }
    wire
}

fn destroy(mut c: *mut OssuaryConnection, mut s: *mut OssuaryConnection) {
    unsafe {
        ossuary_destroy_connection(&mut c);
        ossuary_destroy_connection(&mut s);
    }
}

/// The original example's pattern: bytes arrive `chunk` at a time into one
/// buffer, which is decrypted in place (`in_buf == out_buf`, or the output
/// `shift` bytes after the input); the unconsumed bytes are kept and
/// offered again with the next ones. The output is as long as the input
/// (`tight`, as in that example) or runs past it.
/// Returns the plaintext.
fn read_in_place(
    c: *mut OssuaryConnection,
    wire: &[u8],
    chunk: usize,
    shift: usize,
    tight: bool,
) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let mut held = 0; // unconsumed bytes at buf[shift..]
    let mut plain = Vec::new();
    let mut fed = 0;
    for _ in 0..100_000 {
        let take = chunk.min(wire.len() - fed);
        buf[shift + held..shift + held + take].copy_from_slice(&wire[fed..fed + take]);
        fed += take;
        held += take;
        let mut in_len = u16::try_from(held).unwrap();
        let mut out_len = if tight { in_len.max(1) } else { 4096 };
        let base = buf.as_mut_ptr();
        let r = unsafe { ossuary_recv_data(c, base.add(shift), &mut in_len, base, &mut out_len) };
        assert!(
            r >= 0 || r == OssuaryErr::Wouldblock.code(),
            "recv_data: {r}"
        );
        plain.extend_from_slice(&buf[..usize::from(out_len)]);
        let consumed = usize::from(in_len);
        buf.copy_within(shift + consumed..shift + held, shift);
        held -= consumed;
        if fed == wire.len() && in_len == 0 && out_len == 0 {
            break;
        }
    }
    plain
}

#[test]
fn recv_data_in_place_keeps_the_unconsumed_input() {
    let big: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let small = [7u8; 100];
    for (shift, tight) in [(0, true), (3, true), (0, false), (3, false)] {
        for chunk in [1, 7, 19, 100, 1018, 1019, 1020, 4096] {
            let (c, s) = pair();
            let wire = records(s, &[&big, &small, &big]);
            let plain = read_in_place(c, &wire, chunk, shift, tight);
            let mut want = big.clone();
            want.extend_from_slice(&small);
            want.extend_from_slice(&big);
            assert!(
                plain == want,
                "chunk {chunk}, shift {shift}, tight {tight}: plaintext differs"
            );
            destroy(c, s);
        }
    }
}

/// An error met while plaintext before it is still staged in the handle
/// (an in-place receive with little room) comes only after that plaintext,
/// and then for good: a call with no room for plaintext says "call again",
/// not the error, since plaintext is still waiting.
#[test]
fn recv_data_reports_a_failure_only_after_the_plaintext_before_it() {
    let (c, s) = pair();
    let mut wire = records(s, &[&[1u8; 1000]]);
    let first = wire.len();
    let mut bad = records(s, &[&[2u8; 10]]);
    bad[5] ^= 1;
    wire.extend_from_slice(&bad);
    let mut buf = wire.clone();
    let mut out = vec![0u8; 4096];
    let mut plain = Vec::new();
    unsafe {
        // In place with room for one byte: the first record's plaintext is
        // staged, the second record fails.
        let (mut in_len, mut out_len) = (u16::try_from(wire.len()).unwrap(), 1u16);
        let p = buf.as_mut_ptr();
        let r = ossuary_recv_data(c, p, &mut in_len, p, &mut out_len);
        assert!(r >= 0, "recv_data: {r}");
        assert!(usize::from(in_len) > first, "the bad record was taken too");
        plain.extend_from_slice(&buf[..usize::from(out_len)]);
        // No room for plaintext: nothing comes out, and the failure waits.
        let (mut in_len, mut out_len) = (0u16, 0u16);
        let r = ossuary_recv_data(c, p, &mut in_len, out.as_mut_ptr(), &mut out_len);
        assert_eq!(r, OssuaryErr::Wouldblock.code());
        // The rest of the plaintext, then the failure, for good.
        let mut last = 0;
        for _ in 0..10 {
            let (mut in_len, mut out_len) = (0u16, 300u16);
            last = ossuary_recv_data(c, p, &mut in_len, out.as_mut_ptr(), &mut out_len);
            if last < 0 && last != OssuaryErr::Wouldblock.code() {
                break;
            }
            plain.extend_from_slice(&out[..usize::from(out_len)]);
        }
        assert_eq!(plain, [1u8; 1000]);
        assert_eq!(last, OssuaryErr::BadRecord.code());
        let (mut in_len, mut out_len) = (0u16, 300u16);
        let r = ossuary_recv_data(c, p, &mut in_len, out.as_mut_ptr(), &mut out_len);
        assert_eq!(r, OssuaryErr::BadRecord.code());
    }
    destroy(c, s);
}
