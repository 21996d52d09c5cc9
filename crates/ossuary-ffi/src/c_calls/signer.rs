//! The signer callback (`ossuary_conn_new_*_with_signer`,
//! `ossuary_conn_set_signer`) called as C calls it: a software "HSM"
//! holding a key the library never sees, handshakes with it on either side,
//! callbacks that fail or return wrong signatures, and `free_user_data`
//! counted on every path.

use core::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use ossuary_core::{SecretKey, Signer as _};

use crate::handle::OssuaryConnection;
use crate::original::{
    ossuary_create_connection, ossuary_destroy_connection, ossuary_remote_public_key,
    ossuary_set_secret_key,
};
use crate::signer::{
    ossuary_conn_new_client_with_signer, ossuary_conn_new_server_with_signer,
    ossuary_conn_set_signer,
};
use crate::status::OssuaryErr;
use crate::strict::{OSSUARY_FLAG_TRUST_ON_FIRST_USE, ossuary_conn_add_authorized_key};
use crate::typed::{
    ossuary_conn_handshake_status, ossuary_conn_recv, ossuary_conn_recv_handshake,
    ossuary_conn_send, ossuary_conn_take_output, ossuary_conn_trust_server,
};

/// What the HSM does when asked to sign.
const SIGN: i32 = 0;
/// Returns failure.
const FAIL: i32 = 1;
/// Signs, then flips a bit of the signature.
const FLIP: i32 = 2;
/// Signs with another key.
const OTHER_KEY: i32 = 3;

/// A software stand-in for an HSM: a key the library is never given, the
/// behaviour to show, and counters the tests read.
struct Hsm {
    key: SecretKey,
    other: SecretKey,
    mode: AtomicI32,
    calls: AtomicUsize,
    frees: AtomicUsize,
    last_msg_len: AtomicUsize,
}

impl Hsm {
    fn new(seed: u8) -> Arc<Self> {
        Arc::new(Self {
            key: SecretKey::from_bytes(&[seed; 32]),
            other: SecretKey::from_bytes(&[seed ^ 0xff; 32]),
            mode: AtomicI32::new(SIGN),
            calls: AtomicUsize::new(0),
            frees: AtomicUsize::new(0),
            last_msg_len: AtomicUsize::new(0),
        })
    }

    fn public(&self) -> [u8; 32] {
        self.key.public_key().to_bytes()
    }

    fn set(&self, mode: i32) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn frees(&self) -> usize {
        self.frees.load(Ordering::SeqCst)
    }

    /// A counted reference for `user_data`, released by [`release`].
    fn user_data(self: &Arc<Self>) -> *mut c_void {
        Arc::into_raw(Arc::clone(self)).cast_mut().cast()
    }

    fn sign_into(&self, msg: &[u8], out: &mut [u8]) -> i32 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.last_msg_len.store(msg.len(), Ordering::SeqCst);
        let mode = self.mode.load(Ordering::SeqCst);
        let key = if mode == OTHER_KEY {
            &self.other
        } else {
            &self.key
        };
        let Ok(signature) = key.sign(msg) else {
            return -1;
        };
        out.copy_from_slice(&signature);
        match mode {
            FAIL => -1,
            FLIP => {
                out[10] ^= 0x04;
                0
            }
            _ => 0,
        }
    }
}

/// The sign callback: `user_data` is an `Arc<Hsm>` from [`Hsm::user_data`].
unsafe extern "C" fn hsm_sign(
    user_data: *mut c_void,
    msg: *const u8,
    msg_len: usize,
    signature_out: *mut u8,
) -> i32 {
    // SAFETY: `user_data` came from `Hsm::user_data` and is released only by
    // `hsm_release`, which the library calls after the last `hsm_sign`.
    let hsm = unsafe { &*user_data.cast_const().cast::<Hsm>() };
    // SAFETY: the library passes `msg` readable for `msg_len` bytes and
    // `signature_out` writable for 64, for the duration of the call.
    let (msg, out) = unsafe {
        (
            core::slice::from_raw_parts(msg, msg_len),
            core::slice::from_raw_parts_mut(signature_out, 64),
        )
    };
    hsm.sign_into(msg, out)
}

/// The `free_user_data` callback: drops the reference and counts the call.
unsafe extern "C" fn hsm_release(user_data: *mut c_void) {
    // SAFETY: `user_data` came from `Arc::into_raw` in `Hsm::user_data`,
    // and the library calls this once per `user_data` it took.
    let hsm = unsafe { Arc::from_raw(user_data.cast_const().cast::<Hsm>()) };
    hsm.frees.fetch_add(1, Ordering::SeqCst);
}

/// A callback that needs no `user_data`: a fixed key, as a secure element
/// with one slot might be driven.
unsafe extern "C" fn fixed_sign(
    _user_data: *mut c_void,
    msg: *const u8,
    msg_len: usize,
    signature_out: *mut u8,
) -> i32 {
    // SAFETY: as in `hsm_sign`.
    let (msg, out) = unsafe {
        (
            core::slice::from_raw_parts(msg, msg_len),
            core::slice::from_raw_parts_mut(signature_out, 64),
        )
    };
    match SecretKey::from_bytes(&FIXED_SEED).sign(msg) {
        Ok(signature) => {
            out.copy_from_slice(&signature);
            0
        }
        Err(_) => -1,
    }
}

const FIXED_SEED: [u8; 32] = [0x42; 32];

/// `ossuary_conn_new_client_with_signer` with `hsm` (one reference handed
/// over); the status and the handle (NULL unless created).
fn client(hsm: &Arc<Hsm>, flags: u32) -> (i32, *mut OssuaryConnection) {
    let mut out = core::ptr::null_mut();
    let key = hsm.public();
    // SAFETY: `key` is 32 readable bytes and `out` a writable variable; the
    // callbacks behave as documented, `user_data` a counted reference.
    let r = unsafe {
        ossuary_conn_new_client_with_signer(
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            flags,
            &mut out,
        )
    };
    (r, out)
}

/// `ossuary_conn_new_server_with_signer` with `hsm`, as [`client`].
fn server(hsm: &Arc<Hsm>, role: i32) -> (i32, *mut OssuaryConnection) {
    let mut out = core::ptr::null_mut();
    let key = hsm.public();
    // SAFETY: as in `client`.
    let r = unsafe {
        ossuary_conn_new_server_with_signer(
            role,
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            0,
            &mut out,
        )
    };
    (r, out)
}

/// `ossuary_conn_set_signer` with `hsm`, as [`client`].
fn set_signer(conn: *mut OssuaryConnection, hsm: &Arc<Hsm>) -> i32 {
    let key = hsm.public();
    // SAFETY: `conn` is NULL or live and used by no other call; the rest as
    // in `client`.
    unsafe {
        ossuary_conn_set_signer(
            conn,
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
        )
    }
}

/// Frees a handle through the `**` form.
fn destroy(mut conn: *mut OssuaryConnection) {
    // SAFETY: `conn` is NULL or live; the variable is writable.
    unsafe { ossuary_destroy_connection(&mut conn) };
    assert!(conn.is_null());
}

/// Handshake status of a live handle.
fn handshake_status(conn: *mut OssuaryConnection) -> i32 {
    // SAFETY: `conn` is live and used by no other call.
    unsafe { ossuary_conn_handshake_status(conn) }
}

/// Moves `a`'s waiting output into `b` as handshake bytes.
fn move_bytes(a: *mut OssuaryConnection, b: *mut OssuaryConnection) {
    let mut buf = vec![0u8; 4096];
    let mut n = 0usize;
    // SAFETY: `a` and `b` are live; the buffers are Rust memory of the
    // stated lengths, distinct from the handles.
    unsafe {
        if ossuary_conn_take_output(a, buf.as_mut_ptr(), buf.len(), &mut n) != 0 {
            return;
        }
        let mut off = 0;
        while off < n {
            let mut k = 0usize;
            let r = ossuary_conn_recv_handshake(b, buf.as_ptr().add(off), n - off, &mut k);
            if r < 0 || k == 0 {
                return;
            }
            off += k;
        }
    }
}

/// Runs the handshake: 1 when both are done, else the first status that is
/// not "running" (a pause or an error), checked client first.
fn handshake(c: *mut OssuaryConnection, s: *mut OssuaryConnection) -> i32 {
    for _ in 0..20 {
        let (cs, ss) = (handshake_status(c), handshake_status(s));
        if cs < 0 {
            return cs;
        }
        if ss < 0 {
            return ss;
        }
        if cs == 1 && ss == 1 {
            return 1;
        }
        move_bytes(c, s);
        move_bytes(s, c);
    }
    OssuaryErr::Other.code()
}

/// Sends `msg` from `a` to `b` with the typed functions; the plaintext.
fn transfer(a: *mut OssuaryConnection, b: *mut OssuaryConnection, msg: &[u8]) -> Vec<u8> {
    let (mut wire, mut plain) = (vec![0u8; 4096], vec![0u8; 4096]);
    let (mut n, mut consumed, mut produced) = (0usize, 0usize, 0usize);
    // SAFETY: `a` and `b` are live; the buffers are distinct Rust memory of
    // the stated lengths.
    unsafe {
        assert_eq!(ossuary_conn_send(a, msg.as_ptr(), msg.len(), &mut n), 0);
        assert_eq!(n, msg.len());
        assert_eq!(
            ossuary_conn_take_output(a, wire.as_mut_ptr(), wire.len(), &mut n),
            0
        );
        let r = ossuary_conn_recv(
            b,
            wire.as_ptr(),
            n,
            plain.as_mut_ptr(),
            plain.len(),
            &mut consumed,
            &mut produced,
        );
        assert_eq!(r, 0);
    }
    plain.truncate(produced);
    plain
}

/// Pins `key` on `conn` (a client's server key, a server's client key).
fn authorize(conn: *mut OssuaryConnection, key: &[u8; 32]) {
    // SAFETY: `conn` is live; `key` is 32 readable bytes.
    assert_eq!(
        unsafe { ossuary_conn_add_authorized_key(conn, key.as_ptr()) },
        0
    );
}

#[test]
fn signers_on_both_sides_complete_a_mutual_handshake() {
    let (client_hsm, server_hsm) = (Hsm::new(1), Hsm::new(2));
    let (r, c) = client(&client_hsm, 0);
    assert_eq!(r, 0);
    let (r, s) = server(&server_hsm, 1);
    assert_eq!(r, 0);
    authorize(c, &server_hsm.public());
    authorize(s, &client_hsm.public());
    assert_eq!((client_hsm.calls(), server_hsm.calls()), (0, 0));
    assert_eq!(handshake(c, s), 1);
    // Each side signed once, over the 60-byte label and transcript hash.
    assert_eq!((client_hsm.calls(), server_hsm.calls()), (1, 1));
    assert_eq!(client_hsm.last_msg_len.load(Ordering::SeqCst), 60);
    // Each side proved the key its HSM holds.
    let mut remote = [0u8; 32];
    // SAFETY: `s` and `c` are live; `remote` holds 32 bytes.
    unsafe {
        assert_eq!(ossuary_remote_public_key(s, remote.as_mut_ptr(), 32), 0);
        assert_eq!(remote, client_hsm.public());
        assert_eq!(ossuary_remote_public_key(c, remote.as_mut_ptr(), 32), 0);
        assert_eq!(remote, server_hsm.public());
    }
    assert_eq!(transfer(c, s, b"from the client"), b"from the client");
    assert_eq!(transfer(s, c, b"from the server"), b"from the server");
    // `user_data` is released exactly once, when the handle is destroyed.
    assert_eq!((client_hsm.frees(), server_hsm.frees()), (0, 0));
    destroy(c);
    assert_eq!((client_hsm.frees(), server_hsm.frees()), (1, 0));
    destroy(s);
    assert_eq!((client_hsm.frees(), server_hsm.frees()), (1, 1));
    assert_eq!(Arc::strong_count(&client_hsm), 1);
    assert_eq!(Arc::strong_count(&server_hsm), 1);
}

/// A server whose HSM misbehaves in `mode` fails with `OSSUARY_ERR_SIGNER`;
/// the client sees the RESET, never a signature to reject (which would be
/// `OSSUARY_ERR_HANDSHAKE`): nothing the library did not verify was sent.
#[test]
fn a_failing_or_lying_server_signer_sends_nothing_signed() {
    for mode in [FAIL, FLIP, OTHER_KEY] {
        let hsm = Hsm::new(3);
        hsm.set(mode);
        let (r, s) = server(&hsm, 2);
        assert_eq!(r, 0);
        let mut c = core::ptr::null_mut();
        // SAFETY: `out` is a writable variable; no key is read.
        let r = unsafe {
            crate::strict::ossuary_conn_new_client(
                core::ptr::null(),
                OSSUARY_FLAG_TRUST_ON_FIRST_USE,
                &mut c,
            )
        };
        assert_eq!(r, 0);
        assert_eq!(handshake(c, s), OssuaryErr::PeerReset.code(), "mode {mode}");
        assert_eq!(handshake_status(s), OssuaryErr::Signer.code());
        assert_eq!(hsm.calls(), 1);
        destroy(c);
        destroy(s);
        assert_eq!(hsm.frees(), 1);
        assert_eq!(Arc::strong_count(&hsm), 1);
    }
}

/// The same for a client: the server never sees its signature.
#[test]
fn a_failing_or_lying_client_signer_sends_nothing_signed() {
    for mode in [FAIL, FLIP, OTHER_KEY] {
        let (client_hsm, server_hsm) = (Hsm::new(4), Hsm::new(5));
        client_hsm.set(mode);
        let (_, c) = client(&client_hsm, 0);
        let (_, s) = server(&server_hsm, 1);
        authorize(c, &server_hsm.public());
        authorize(s, &client_hsm.public());
        assert_eq!(handshake(c, s), OssuaryErr::Signer.code(), "mode {mode}");
        move_bytes(c, s);
        assert_eq!(handshake_status(s), OssuaryErr::PeerReset.code());
        destroy(c);
        destroy(s);
        assert_eq!((client_hsm.frees(), server_hsm.frees()), (1, 1));
    }
}

/// With Trust-On-First-Use the client signs when the application accepts
/// the server, inside `ossuary_conn_trust_server`, and a failure is that
/// call's result.
#[test]
fn a_paused_client_signs_when_the_server_is_trusted() {
    for (mode, want) in [(SIGN, 0), (FAIL, OssuaryErr::Signer.code())] {
        let (client_hsm, server_hsm) = (Hsm::new(6), Hsm::new(7));
        client_hsm.set(mode);
        let (_, c) = client(&client_hsm, OSSUARY_FLAG_TRUST_ON_FIRST_USE);
        let (_, s) = server(&server_hsm, 2);
        assert_eq!(handshake(c, s), OssuaryErr::UntrustedServer.code());
        assert_eq!(client_hsm.calls(), 0);
        // SAFETY: `c` is live.
        assert_eq!(unsafe { ossuary_conn_trust_server(c) }, want);
        assert_eq!(client_hsm.calls(), 1);
        if want == 0 {
            assert_eq!(handshake(c, s), 1);
        }
        destroy(c);
        destroy(s);
        assert_eq!(client_hsm.frees(), 1);
    }
}

/// Every refusal releases `user_data` once, before it returns, and leaves
/// `*out` alone.
#[test]
fn refused_arguments_release_user_data_exactly_once() {
    let hsm = Hsm::new(8);
    let key = hsm.public();
    let bad = [0xffu8; 32];
    let sentinel = core::ptr::dangling_mut::<OssuaryConnection>();
    let mut out = sentinel;
    let mut expected_frees = 0;
    let mut check = |r: i32, want: OssuaryErr, out: *mut OssuaryConnection| {
        expected_frees += 1;
        assert_eq!(r, want.code());
        assert_eq!(hsm.frees(), expected_frees);
        assert_eq!(out, sentinel, "out written on failure");
    };
    // SAFETY: each pointer is NULL, 32 readable bytes or a writable variable;
    // the callbacks behave as documented; `sentinel` is never dereferenced
    // (every call fails before writing `out`).
    unsafe {
        let r = ossuary_conn_new_client_with_signer(
            core::ptr::null(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            0,
            &mut out,
        );
        check(r, OssuaryErr::NullArgument, out);
        let r = ossuary_conn_new_client_with_signer(
            key.as_ptr(),
            None,
            hsm.user_data(),
            Some(hsm_release),
            0,
            &mut out,
        );
        check(r, OssuaryErr::NullArgument, out);
        let r = ossuary_conn_new_client_with_signer(
            bad.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            0,
            &mut out,
        );
        check(r, OssuaryErr::InvalidKey, out);
        let r = ossuary_conn_new_client_with_signer(
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            2,
            &mut out,
        );
        check(r, OssuaryErr::InvalidArgument, out);
        let r = ossuary_conn_new_client_with_signer(
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            0,
            core::ptr::null_mut(),
        );
        check(r, OssuaryErr::NullArgument, out);
        for role in [0, 3, -1, i32::MIN] {
            let r = ossuary_conn_new_server_with_signer(
                role,
                key.as_ptr(),
                Some(hsm_sign),
                hsm.user_data(),
                Some(hsm_release),
                0,
                &mut out,
            );
            check(r, OssuaryErr::InvalidArgument, out);
        }
        let r = ossuary_conn_new_server_with_signer(
            1,
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
            OSSUARY_FLAG_TRUST_ON_FIRST_USE,
            &mut out,
        );
        check(r, OssuaryErr::InvalidArgument, out);
        let r = ossuary_conn_new_server_with_signer(
            2,
            key.as_ptr(),
            None,
            hsm.user_data(),
            Some(hsm_release),
            0,
            &mut out,
        );
        check(r, OssuaryErr::NullArgument, out);
        let r = ossuary_conn_set_signer(
            core::ptr::null_mut(),
            key.as_ptr(),
            Some(hsm_sign),
            hsm.user_data(),
            Some(hsm_release),
        );
        check(r, OssuaryErr::NullArgument, out);
    }
    assert_eq!(hsm.calls(), 0);
    assert_eq!(Arc::strong_count(&hsm), 1);
}

/// A replaced identity is released at once; a refused replacement releases
/// its own `user_data`.
#[test]
fn set_signer_replaces_and_releases() {
    let (first, second, late, server_hsm) = (Hsm::new(9), Hsm::new(10), Hsm::new(11), Hsm::new(12));
    // SAFETY: no key is read.
    let c = unsafe { ossuary_create_connection(0, core::ptr::null()) };
    assert!(!c.is_null());
    assert_eq!(set_signer(c, &first), 0);
    assert_eq!(set_signer(c, &second), 0);
    assert_eq!((first.frees(), second.frees()), (1, 0));
    // A secret key replaces the signer too.
    let seed = [0x33u8; 32];
    // SAFETY: `c` is live; `seed` is 32 readable bytes.
    assert_eq!(unsafe { ossuary_set_secret_key(c, seed.as_ptr()) }, 0);
    assert_eq!(second.frees(), 1);
    assert_eq!(set_signer(c, &second), 0);
    // Once the peer has spoken, the identity stays.
    let (_, s) = server(&server_hsm, 2);
    move_bytes(c, s);
    move_bytes(s, c);
    assert_eq!(set_signer(c, &late), OssuaryErr::HandshakeStarted.code());
    assert_eq!(late.frees(), 1);
    assert_eq!(late.calls(), 0);
    destroy(c);
    destroy(s);
    assert_eq!(
        (first.frees(), second.frees(), server_hsm.frees()),
        (1, 2, 1)
    );
    for hsm in [first, second, late, server_hsm] {
        assert_eq!(Arc::strong_count(&hsm), 1);
    }
}

/// `user_data` and `free_user_data` may both be NULL.
#[test]
fn a_callback_without_user_data() {
    let public = SecretKey::from_bytes(&FIXED_SEED).public_key().to_bytes();
    let mut s = core::ptr::null_mut();
    // SAFETY: `public` is 32 readable bytes, `s` a writable variable;
    // `fixed_sign` ignores `user_data`.
    let r = unsafe {
        ossuary_conn_new_server_with_signer(
            2,
            public.as_ptr(),
            Some(fixed_sign),
            core::ptr::null_mut(),
            None,
            0,
            &mut s,
        )
    };
    assert_eq!(r, 0);
    let mut c = core::ptr::null_mut();
    // SAFETY: no key is read; `c` is a writable variable.
    assert_eq!(
        unsafe { crate::strict::ossuary_conn_new_client(core::ptr::null(), 0, &mut c) },
        0
    );
    authorize(c, &public);
    assert_eq!(handshake(c, s), 1);
    destroy(c);
    destroy(s);
}
