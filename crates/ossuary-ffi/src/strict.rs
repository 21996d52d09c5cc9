//! Strict constructors in rustls-ffi's style, beside the original
//! `ossuary_create_connection`: the handle comes back through an output
//! pointer written only on success, flags choose the policies, and an
//! unknown server is refused unless `OSSUARY_FLAG_TRUST_ON_FIRST_USE` asks
//! for a pause. Also the authorized-key and reset calls of that API.
#![allow(unsafe_code)]

use ossuary_core::{Config, Connection, PublicKey, Role};
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, status};
use crate::handle::OssuaryConnection;
use crate::status::OssuaryConnType;

/// Flag for `ossuary_conn_new_client`: when the server proves a key that
/// was not pinned with `ossuary_conn_add_authorized_key`, pause the
/// handshake (`OSSUARY_ERR_UNTRUSTED_SERVER` from
/// `ossuary_conn_handshake_status`) for the application to decide with
/// `ossuary_conn_trust_server` or `ossuary_conn_reject_server`
/// (Trust-On-First-Use). Without it such a server is refused. A server key
/// that differs from a pinned one is refused either way. Servers take no
/// flags yet.
#[ffi_export(untyped)]
pub const OSSUARY_FLAG_TRUST_ON_FIRST_USE: u32 = 1;

/// Every flag bit `ossuary_conn_new_client` knows.
pub(crate) const CLIENT_FLAGS: u32 = OSSUARY_FLAG_TRUST_ON_FIRST_USE;

/// Every flag bit the server constructor knows.
pub(crate) const SERVER_FLAGS: u32 = 0;

/// The configuration for `flags`, already checked against the known bits.
pub(crate) fn config(flags: u32, known: u32) -> Result<Config, Status> {
    if flags & !known != 0 {
        return Err(Status::InvalidArgument);
    }
    Ok(Config {
        trust_on_first_use: flags & OSSUARY_FLAG_TRUST_ON_FIRST_USE != 0,
        ..Config::default()
    })
}

/// The server role `role` names: `OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER`
/// or `OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER`; any other value is refused.
pub(crate) fn server_role(role: i32) -> Result<Role, Status> {
    match OssuaryConnType::from_int(role) {
        Some(OssuaryConnType::AuthenticatedServer) => Ok(Role::AuthenticatingServer),
        Some(OssuaryConnType::UnauthenticatedServer) => Ok(Role::OpenServer),
        Some(OssuaryConnType::Client) | None => Err(Status::InvalidArgument),
    }
}

/// Stores a new handle at `out`.
///
/// # Safety
/// `out` is non-NULL (checked) and writable.
pub(crate) unsafe fn put(
    out: *mut *mut OssuaryConnection,
    conn: Connection,
) -> Result<i32, Status> {
    let handle = Box::into_raw(Box::new(OssuaryConnection::wrap(conn)));
    // SAFETY: by this function's contract.
    unsafe { boundary::write(out, handle) };
    Ok(Status::Ok.code())
}

/// Creates a client connection and stores it in `*out` (only on success).
///
/// `secret_key` is NULL (an anonymous client) or points to the client's
/// 32-byte Ed25519 secret key (the RFC 8032 seed), which an authenticating
/// server checks; it is copied. `flags` is 0 or `OSSUARY_FLAG_TRUST_ON_FIRST_USE`:
/// without it the client refuses any server whose key was not pinned
/// beforehand with `ossuary_conn_add_authorized_key`.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT` (`out` NULL),
/// `OSSUARY_ERR_INVALID_ARGUMENT` (an unknown flag bit),
/// `OSSUARY_ERR_ENTROPY`. Free the connection with
/// `ossuary_destroy_connection`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code, except as
/// allowed above) or valid, for the duration of the call, for the bytes
/// described above; `out` is writable.
#[ffi_export]
pub unsafe fn ossuary_conn_new_client(
    secret_key: *const u8,
    flags: u32,
    out: *mut *mut OssuaryConnection,
) -> i32 {
    status(|| {
        boundary::check(out)?;
        let config = config(flags, CLIENT_FLAGS)?;
        let conn = if secret_key.is_null() {
            Connection::client(config)?
        } else {
            // SAFETY: the caller promises a non-NULL `secret_key` points to
            // 32 readable bytes.
            let key = unsafe { boundary::secret_key(secret_key) }?;
            Connection::with_identity(Role::Client, config, Box::new(key))?
        };
        // SAFETY: `out` was checked non-NULL above; writable by the caller's
        // promise.
        unsafe { put(out, conn) }
    })
}

/// Creates a server connection and stores it in `*out` (only on success).
///
/// `role` is `OSSUARY_CONN_TYPE_AUTHENTICATED_SERVER` (1: only clients
/// whose keys were added with `ossuary_conn_add_authorized_key`) or
/// `OSSUARY_CONN_TYPE_UNAUTHENTICATED_SERVER` (2: any client, anonymous
/// ones included). `secret_key` points to the server's 32-byte Ed25519
/// secret key (the RFC 8032 seed), required (a server's identity never
/// changes by accident); it is copied. `flags` must be 0.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_ARGUMENT` (another `role`, a flag bit),
/// `OSSUARY_ERR_ENTROPY`. Free the connection with
/// `ossuary_destroy_connection`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; `out` is
/// writable.
#[ffi_export]
pub unsafe fn ossuary_conn_new_server(
    role: i32,
    secret_key: *const u8,
    flags: u32,
    out: *mut *mut OssuaryConnection,
) -> i32 {
    status(|| {
        boundary::check(out)?;
        let role = server_role(role)?;
        let config = config(flags, SERVER_FLAGS)?;
        // SAFETY: the caller promises `secret_key` is NULL (refused) or
        // points to 32 readable bytes.
        let key = unsafe { boundary::secret_key(secret_key) }?;
        let conn = Connection::with_identity(role, config, Box::new(key))?;
        // SAFETY: `out` was checked non-NULL above; writable by the caller's
        // promise.
        unsafe { put(out, conn) }
    })
}

/// Adds the 32-byte Ed25519 public key at `key`: for an authenticating
/// server, a client it accepts; for a client, the server key it expects
/// (pinned: a server proving another key is refused with
/// `OSSUARY_ERR_SERVER_KEY_CHANGED`). Unlike the original
/// `ossuary_add_authorized_key`, this never accepts a server the handshake
/// is paused on: call `ossuary_conn_trust_server` for that.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER` (an
/// unauthenticated server, which accepts any client).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above. A connection
/// argument came from `ossuary_create_connection` or an
/// `ossuary_conn_new_*` function, is not destroyed, and no other call uses
/// it at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_add_authorized_key(conn: *mut OssuaryConnection, key: *const u8) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let bytes = unsafe { boundary::key(key) }?;
        let key = PublicKey::from_bytes(&bytes).map_err(|_| Status::InvalidKey)?;
        handle.conn().add_authorized_key(key)?;
        Ok(Status::Ok.code())
    })
}

/// After an error, starts over with a new handshake on the same stream: at
/// once if the peer's RESET was seen, otherwise once it arrives. Take the
/// output afterwards. Allowed a few times per connection (3).
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_NOT_FAILED` (the connection has not failed),
/// `OSSUARY_ERR_RESET_LIMIT`, `OSSUARY_ERR_ENTROPY`.
///
/// # Safety
/// A connection argument is NULL (refused with an error code) or came from
/// `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
/// destroyed, and no other call uses it at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_reset(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.reset()?;
        Ok(Status::Ok.code())
    })
}
