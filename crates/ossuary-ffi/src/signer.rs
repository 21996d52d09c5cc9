//! Identities whose secret key lives outside the process's memory (an HSM,
//! a TPM, a secure element, an agent): the application gives the public
//! key and a callback that signs, and the library checks every signature
//! the callback returns before it sends it.
//!
//! Ownership of `user_data` is simple on purpose: from the moment one of
//! these functions is called with a non-NULL `free_user_data`, the library
//! calls it exactly once, whatever happens, so the caller never has to work
//! out from a return code whether to free `user_data` itself.
#![allow(unsafe_code)]

use core::ffi::c_void;

use ossuary_core::{Connection, CryptoError, PublicKey, Role, Signer};
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, status};
use crate::handle::OssuaryConnection;
use crate::strict;

/// The signer callback: `int32_t sign(void *user_data, const uint8_t *msg,
/// size_t msg_len, uint8_t signature_out[64])`, 0 on success.
pub(crate) type SignFn = unsafe extern "C" fn(*mut c_void, *const u8, usize, *mut u8) -> i32;

/// The function that releases `user_data`: `void free_user_data(void *)`.
pub(crate) type FreeFn = unsafe extern "C" fn(*mut c_void);

/// `user_data` and the function that releases it, which runs exactly once:
/// when this is dropped.
struct UserData {
    ptr: *mut c_void,
    free: Option<FreeFn>,
}

impl UserData {
    fn new(ptr: *mut c_void, free: Option<FreeFn>) -> Self {
        Self { ptr, free }
    }
}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free.take() {
            // SAFETY: the caller of the function that took `user_data`
            // promised (its "Thread safety" section) that `free` may be
            // called with it once, on the thread of the call that releases
            // it; `take` makes this the only call.
            unsafe { free(self.ptr) }
        }
    }
}

/// A [`Signer`] that asks the application's callback and verifies the
/// answer under the public key it was given, strictly, before the
/// handshake may use it.
pub(crate) struct CallbackSigner {
    public_key: PublicKey,
    sign: SignFn,
    user_data: UserData,
}

// SAFETY: the signer holds `user_data`, a raw pointer, and two C function
// pointers. Every function that takes them requires (its "Thread safety"
// section) that `sign` and `free_user_data` may be called with `user_data`
// on any thread that makes calls on the connection, because a connection
// may move between threads from one call to the next: moving the signer,
// with its connection, to another thread is what the caller allowed.
unsafe impl Send for CallbackSigner {}

// SAFETY: through a shared reference only `public_key` (a copy of a key
// held in Rust) and `sign` run. The signer belongs to exactly one
// connection, which the library never shares (it is not cloned or put in an
// `Arc`), and every function allows one call at a time per connection, so
// `sign` never runs on two threads at once for one signer. Connections that
// share a `user_data` may call `sign` concurrently, which the documentation
// makes the callback's business (it must then be thread-safe).
unsafe impl Sync for CallbackSigner {}

impl CallbackSigner {
    /// Takes ownership of `user_data` first, so that it is released on every
    /// path; then checks the arguments.
    ///
    /// # Safety
    /// `public_key` is NULL (refused) or valid for reads of 32 bytes; `sign`
    /// and `user_data` are as the exported functions document.
    unsafe fn new(
        public_key: *const u8,
        sign: Option<SignFn>,
        user_data: UserData,
    ) -> Result<Self, Status> {
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { boundary::key(public_key) }?;
        let sign = sign.ok_or(Status::NullArgument)?;
        let public_key = PublicKey::from_bytes(&bytes).map_err(|_| Status::InvalidKey)?;
        Ok(Self {
            public_key,
            sign,
            user_data,
        })
    }
}

impl Signer for CallbackSigner {
    fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Calls the callback with a fresh, zeroed signature buffer, then
    /// verifies what it wrote: the library never sends a signature it has
    /// not checked.
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], CryptoError> {
        let mut signature = [0u8; 64];
        // SAFETY: the caller of the function that took `sign` and
        // `user_data` promised that `sign` may be called with `user_data`
        // while the connection lives, on the thread of any call on it, and
        // that it reads at most `msg_len` bytes at `msg` and writes at most
        // 64 bytes to `signature_out`, keeping neither pointer after it
        // returns: `msg` is valid for `msg.len()` bytes and `signature` for
        // 64 for the duration of the call, and neither is otherwise borrowed.
        let code = unsafe {
            (self.sign)(
                self.user_data.ptr,
                msg.as_ptr(),
                msg.len(),
                signature.as_mut_ptr(),
            )
        };
        if code != 0 {
            return Err(CryptoError::Signer);
        }
        self.public_key
            .verify(msg, &signature)
            .map_err(|_| CryptoError::Signer)?;
        Ok(signature)
    }
}

/// Creates a client whose identity key is held elsewhere (an HSM, a TPM, a
/// secure element) and stores it in `*out` (only on success): as
/// `ossuary_conn_new_client` with a secret key, except that the handshake
/// asks `sign` for the client's signature.
///
/// `public_key` points to the identity's 32-byte Ed25519 public key (copied).
/// `sign` is called as `sign(user_data, msg, msg_len, signature_out)`: it
/// must write the 64-byte Ed25519 signature (pure Ed25519, RFC 8032) of the
/// `msg_len` bytes at `msg` by that key's secret key to `signature_out` and
/// return 0; any other value is a failure. `msg` (a role label and the
/// transcript hash, 60 bytes today) and `signature_out` are valid only
/// during the call. The library verifies the signature, strictly, under
/// `public_key` before using it: a failure, or a signature that does not
/// verify, fails the handshake with `OSSUARY_ERR_SIGNER`, and nothing signed
/// is sent. `user_data` is passed to `sign` as it is (it may be NULL).
/// `flags` is 0 or `OSSUARY_FLAG_TRUST_ON_FIRST_USE`, as for
/// `ossuary_conn_new_client`.
///
/// `free_user_data` may be NULL. Otherwise it is called exactly once with
/// `user_data`, when the library no longer needs it: when the connection is
/// destroyed, when its identity is replaced (`ossuary_conn_set_signer`,
/// `ossuary_set_secret_key`), or before this function returns if it fails,
/// for any reason (so never free `user_data` yourself after this call).
///
/// Thread safety: `sign` runs only inside calls on this connection that take
/// the peer's bytes or accept a paused server's key (such as
/// `ossuary_recv_handshake`, `ossuary_conn_recv_handshake`,
/// `ossuary_conn_trust_server`, `ossuary_add_authorized_key`), synchronously,
/// on the thread making that call, once per handshake; `free_user_data` runs
/// inside the call that releases `user_data`. Neither runs in the
/// background or after the connection is destroyed. Since a connection may
/// move between threads from one call to the next, `sign`, `free_user_data`
/// and `user_data` must work on any thread the application calls the
/// connection from. Several connections may share one `user_data` (and give
/// a NULL `free_user_data`); if they are used from different threads,
/// `sign` may run on them at the same time and must then be thread-safe.
/// `sign` must not call any function on the same connection.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`public_key`,
/// `sign` or `out` NULL), `OSSUARY_ERR_INVALID_ARGUMENT` (an unknown flag
/// bit), `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_ENTROPY`. Free the
/// connection with `ossuary_destroy_connection`.
///
/// # Safety
/// `public_key` is NULL (refused) or valid for reads of 32 bytes, `out` NULL
/// (refused) or writable, for the duration of the call; `sign`,
/// `free_user_data` and `user_data` behave as described above.
#[ffi_export]
pub unsafe fn ossuary_conn_new_client_with_signer(
    public_key: *const u8,
    sign: Option<SignFn>,
    user_data: *mut c_void,
    free_user_data: Option<FreeFn>,
    flags: u32,
    out: *mut *mut OssuaryConnection,
) -> i32 {
    status(|| {
        let user_data = UserData::new(user_data, free_user_data);
        boundary::check(out)?;
        let config = strict::config(flags, strict::CLIENT_FLAGS)?;
        // SAFETY: the caller promises `public_key` is NULL or points to 32
        // readable bytes, and that `sign` and `user_data` behave as
        // documented.
        let signer = unsafe { CallbackSigner::new(public_key, sign, user_data) }?;
        let conn = Connection::with_identity(Role::Client, config, Box::new(signer))?;
        // SAFETY: `out` was checked non-NULL above; writable by the caller's
        // promise.
        unsafe { strict::put(out, conn) }
    })
}

/// Creates a server whose identity key is held elsewhere and stores it in
/// `*out` (only on success): as `ossuary_conn_new_server`, except that the
/// handshake asks `sign` for the server's signature. `role` is
/// `OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER` (1) or
/// `OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER` (2); `flags` must be 0.
///
/// `public_key`, `sign`, `user_data` and `free_user_data` are as for
/// `ossuary_conn_new_client_with_signer`, with the same rules: the library
/// verifies every signature before it sends it (`OSSUARY_ERR_SIGNER`
/// otherwise), and a non-NULL `free_user_data` is called exactly once, when
/// the connection is destroyed or its identity replaced, or before this
/// function returns if it fails, for any reason.
///
/// Thread safety: as for `ossuary_conn_new_client_with_signer`: `sign` runs
/// only inside calls on this connection that take the client's bytes, on
/// the thread making the call; the callbacks and `user_data` must work on
/// any thread the connection is used from, and `sign` must be thread-safe
/// if connections used from different threads share `user_data`. A server
/// that serves many connections with one key typically passes the same
/// `user_data` to each, with a NULL `free_user_data`, and frees it after
/// the last connection is destroyed.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_ARGUMENT` (another `role`, a flag bit),
/// `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_ENTROPY`. Free the connection
/// with `ossuary_destroy_connection`.
///
/// # Safety
/// `public_key` is NULL (refused) or valid for reads of 32 bytes, `out` NULL
/// (refused) or writable, for the duration of the call; `sign`,
/// `free_user_data` and `user_data` behave as described for
/// `ossuary_conn_new_client_with_signer`.
#[ffi_export]
pub unsafe fn ossuary_conn_new_server_with_signer(
    role: i32,
    public_key: *const u8,
    sign: Option<SignFn>,
    user_data: *mut c_void,
    free_user_data: Option<FreeFn>,
    flags: u32,
    out: *mut *mut OssuaryConnection,
) -> i32 {
    status(|| {
        let user_data = UserData::new(user_data, free_user_data);
        boundary::check(out)?;
        let role = strict::server_role(role)?;
        let config = strict::config(flags, strict::SERVER_FLAGS)?;
        // SAFETY: the caller promises `public_key` is NULL or points to 32
        // readable bytes, and that `sign` and `user_data` behave as
        // documented.
        let signer = unsafe { CallbackSigner::new(public_key, sign, user_data) }?;
        let conn = Connection::with_identity(role, config, Box::new(signer))?;
        // SAFETY: `out` was checked non-NULL above; writable by the caller's
        // promise.
        unsafe { strict::put(out, conn) }
    })
}

/// Replaces the connection's identity with one held elsewhere: `public_key`,
/// `sign`, `user_data` and `free_user_data` as for
/// `ossuary_conn_new_client_with_signer`. Allowed, as
/// `ossuary_set_secret_key` is, until the peer's first byte has arrived;
/// works on connections from `ossuary_create_connection` too. The identity
/// it replaces is released now (its `free_user_data`, if it had one, runs
/// in this call).
///
/// A non-NULL `free_user_data` is called exactly once: when the connection
/// is destroyed or this identity is replaced in turn, or before this
/// function returns if it fails, for any reason.
///
/// Thread safety: as for `ossuary_conn_new_client_with_signer`.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`conn`,
/// `public_key` or `sign` NULL), `OSSUARY_ERR_INVALID_KEY`,
/// `OSSUARY_ERR_HANDSHAKE_STARTED`.
///
/// # Safety
/// `public_key` is NULL (refused) or valid for reads of 32 bytes for the
/// duration of the call; `sign`, `free_user_data` and `user_data` behave as
/// described for `ossuary_conn_new_client_with_signer`. A connection
/// argument is NULL (refused) or came from `ossuary_create_connection` or an
/// `ossuary_conn_new_*` function, is not destroyed, and no other call uses
/// it at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_set_signer(
    conn: *mut OssuaryConnection,
    public_key: *const u8,
    sign: Option<SignFn>,
    user_data: *mut c_void,
    free_user_data: Option<FreeFn>,
) -> i32 {
    status(|| {
        let user_data = UserData::new(user_data, free_user_data);
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `public_key` is NULL or points to 32
        // readable bytes, and that `sign` and `user_data` behave as
        // documented.
        let signer = unsafe { CallbackSigner::new(public_key, sign, user_data) }?;
        handle.conn().set_identity(Box::new(signer))?;
        Ok(Status::Ok.code())
    })
}
