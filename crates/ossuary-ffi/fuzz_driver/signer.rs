//! Signer callbacks: each hand-over gets its own [`Token`], so that
//! `free_user_data` can be counted exactly and `sign` caught after it.

use core::ffi::c_void;
use core::ptr::NonNull;
use std::cell::Cell;

use ossuary::{
    ossuary_conn_new_client_with_signer, ossuary_conn_new_server_with_signer,
    ossuary_conn_set_signer,
};
use ossuary_core::{SecretKey, Signer as _};

use super::{Driver, Input, SEEDS, check, flag_arg, int_arg, null_handle, ptr_of};

/// A signer hand-over: what the callbacks see through `user_data`. Each
/// signer call gets a fresh one, so that it has at most one owner.
pub(super) struct Token {
    pub(super) key: SecretKey,
    /// `SIGN_*` (any other value: sign correctly): what `sign` does.
    pub(super) mode: u8,
    /// Whether the library took it with a `free_user_data`.
    pub(super) owned: Cell<bool>,
    pub(super) calls: Cell<u32>,
    pub(super) frees: Cell<u32>,
}

// Modes 0, 6 and 7 sign correctly.
/// Returns failure.
const SIGN_FAIL: u8 = 1;
/// Signs, then flips a bit.
const SIGN_FLIP: u8 = 2;
/// Signs with another key.
const SIGN_OTHER_KEY: u8 = 3;
/// Writes nothing and returns success.
const SIGN_NOTHING: u8 = 4;
/// Signs correctly and returns failure.
const SIGN_BUT_FAIL: u8 = 5;

/// The sign callback; `user_data` is NULL (a failure) or a [`Token`].
unsafe extern "C" fn token_sign(
    user_data: *mut c_void,
    msg: *const u8,
    msg_len: usize,
    signature_out: *mut u8,
) -> i32 {
    assert!(!msg.is_null() && !signature_out.is_null() && msg_len > 0);
    if user_data.is_null() {
        return -1;
    }
    // SAFETY: a non-NULL `user_data` is a `Token` of the driver, freed only
    // when the driver is dropped, after every handle is destroyed; tokens
    // are only ever read through shared references.
    let token = unsafe { &*user_data.cast_const().cast::<Token>() };
    assert_eq!(token.frees.get(), 0, "sign called after free_user_data");
    token.calls.set(token.calls.get() + 1);
    // SAFETY: the library passes `msg` readable for `msg_len` bytes and
    // `signature_out` writable for 64, for the duration of the call.
    let (msg, out) = unsafe {
        (
            core::slice::from_raw_parts(msg, msg_len),
            core::slice::from_raw_parts_mut(signature_out, 64),
        )
    };
    let key = match token.mode {
        SIGN_OTHER_KEY => SecretKey::from_bytes(&[0x99; 32]),
        _ => SecretKey::from_bytes(&token.key.to_bytes()),
    };
    let Ok(signature) = key.sign(msg) else {
        return -1;
    };
    match token.mode {
        SIGN_FAIL => -1,
        SIGN_NOTHING => 0,
        SIGN_BUT_FAIL => {
            out.copy_from_slice(&signature);
            1
        }
        SIGN_FLIP => {
            out.copy_from_slice(&signature);
            out[7] ^= 0x80;
            0
        }
        _ => {
            out.copy_from_slice(&signature);
            0
        }
    }
}

/// The `free_user_data` callback: counts.
unsafe extern "C" fn token_free(user_data: *mut c_void) {
    assert!(!user_data.is_null(), "free_user_data(NULL)");
    // SAFETY: as in `token_sign`.
    let token = unsafe { &*user_data.cast_const().cast::<Token>() };
    assert!(
        token.owned.get(),
        "free_user_data for a token not handed over"
    );
    token.frees.set(token.frees.get() + 1);
    assert_eq!(token.frees.get(), 1, "free_user_data called twice");
}

/// The C type of the sign callback.
pub(super) type SignFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut u8) -> i32;
/// The C type of `free_user_data`.
pub(super) type FreeFn = unsafe extern "C" fn(*mut c_void);

impl Driver {
    /// A new signer token for a hand-over (its key and mode from the
    /// input), alive until the driver is dropped.
    pub(super) fn token(&mut self, input: &mut Input<'_>) -> *mut Token {
        let b = input.u8();
        let token = Box::new(Token {
            key: SecretKey::from_bytes(&SEEDS[usize::from(b >> 4) % 4]),
            mode: b % 8,
            owned: Cell::new(false),
            calls: Cell::new(0),
            frees: Cell::new(0),
        });
        let token = NonNull::from(Box::leak(token));
        self.tokens.push(token);
        token.as_ptr()
    }

    /// The signer arguments: public key (usually the token's own), the
    /// token as `user_data` or NULL, and whether `free_user_data` is given.
    pub(super) fn signer_args(
        &mut self,
        input: &mut Input<'_>,
    ) -> (Option<[u8; 32]>, *mut Token, bool) {
        let token = self.token(input);
        let b = input.u8();
        let public = if b.is_multiple_of(4) {
            self.key(input)
        } else {
            // SAFETY: `token` is alive until the driver is dropped.
            Some(unsafe { &*token }.key.public_key().to_bytes())
        };
        let user_data = if b & 0x10 != 0 {
            core::ptr::null_mut()
        } else {
            token
        };
        let free = b & 0x20 == 0 && !user_data.is_null();
        if free {
            // SAFETY: as above.
            unsafe { &*token }.owned.set(true);
        }
        (public, user_data, free)
    }

    pub(super) fn new_with_signer(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let server = input.u8() & 1 == 1;
        let role = int_arg(input);
        let (public, user_data, free) = self.signer_args(input);
        let flags = flag_arg(input);
        let out_null = input.one_in(8);
        let sign_null = input.one_in(16);
        self.prepare(slot);
        let out = self.out_ptr(slot, out_null);
        let sign = (!sign_null).then_some(token_sign as SignFn);
        let free_fn = free.then_some(token_free as FreeFn);
        // SAFETY: the key is NULL or 32 readable bytes; the callbacks are
        // the driver's, `user_data` NULL or a token alive until the end;
        // `out` is NULL or the slot's handle variable.
        let r = check(unsafe {
            if server {
                ossuary_conn_new_server_with_signer(
                    role,
                    ptr_of(&public),
                    sign,
                    user_data.cast(),
                    free_fn,
                    flags,
                    out,
                )
            } else {
                ossuary_conn_new_client_with_signer(
                    ptr_of(&public),
                    sign,
                    user_data.cast(),
                    free_fn,
                    flags,
                    out,
                )
            }
        });
        if free {
            // SAFETY: `user_data` is a token (non-NULL when `free`).
            let frees = unsafe { &*user_data }.frees.get();
            assert_eq!(frees, u32::from(r != 0), "status {r}: freed {frees} times");
        }
        self.after_constructor(slot, r, out_null);
    }

    pub(super) fn set_signer(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let (public, user_data, free) = self.signer_args(input);
        let sign_null = input.one_in(16);
        let conn = self.slots[slot].conn;
        let sign = (!sign_null).then_some(token_sign as SignFn);
        let free_fn = free.then_some(token_free as FreeFn);
        // SAFETY: as in `new_with_signer`; `conn` is NULL or live.
        let r = check(unsafe {
            ossuary_conn_set_signer(conn, ptr_of(&public), sign, user_data.cast(), free_fn)
        });
        null_handle(conn, r);
        if free {
            // SAFETY: `user_data` is a token (non-NULL when `free`).
            let frees = unsafe { &*user_data }.frees.get();
            assert_eq!(frees, u32::from(r != 0), "status {r}: freed {frees} times");
        }
    }
}
