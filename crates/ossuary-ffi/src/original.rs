//! The original libossuary's functions, with their exact C signatures
//! (source compatibility, STYLE rule 23) and semantics: lengths in `uint16_t`,
//! length pointers updated to the bytes consumed or written,
//! `OSSUARY_ERR_WOULDBLOCK` when more input is needed or more output waits.
//!
//! Every pointer is checked for NULL; a length pointer is updated only when
//! the call got past its argument checks.
#![allow(unsafe_code)]

use ossuary_core::{HandshakeStatus, PublicKey};
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, catch, status};
use crate::handle::OssuaryConnection;
use crate::status::{OssuaryConnType, OssuaryErr};

/// Creates a connection of type `conn_type` (an `ossuary_conn_type_t` value).
///
/// `auth_key` is NULL or points to a 32-byte Ed25519 secret key (the RFC 8032
/// seed): the connection's identity. Without it a server gets a random
/// identity and a client is anonymous. A client pauses the handshake on a
/// server it does not know (`OSSUARY_ERR_UNTRUSTED_SERVER` from
/// `ossuary_handshake_done`) until the application accepts or refuses it.
///
/// Returns NULL on an unknown `type` or when the random number generator
/// fails. Free the connection with `ossuary_destroy_connection`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_create_connection(
    conn_type: i32,
    auth_key: *const u8,
) -> *mut OssuaryConnection {
    catch(core::ptr::null_mut(), || {
        let Some(kind) = OssuaryConnType::from_int(conn_type) else {
            return core::ptr::null_mut();
        };
        let secret = if auth_key.is_null() {
            None
        } else {
            // SAFETY: the caller promises a non-NULL `auth_key` points to 32
            // readable bytes (documented above). The copy of its bytes made
            // there is wiped; the key wipes itself when dropped, on failure
            // below as with the connection.
            match unsafe { boundary::secret_key(auth_key) } {
                Ok(secret) => Some(secret),
                Err(_) => return core::ptr::null_mut(),
            }
        };
        match OssuaryConnection::create(kind, secret) {
            Ok(conn) => Box::into_raw(Box::new(conn)),
            Err(_) => core::ptr::null_mut(),
        }
    })
}

/// Frees the connection `*conn` and sets `*conn` to NULL, so that a second
/// call, or any later call through the same variable, is a harmless no-op or
/// `OSSUARY_ERR_NULL_ARGUMENT`. `conn` NULL or `*conn` NULL: nothing happens.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_destroy_connection(conn: *mut *mut OssuaryConnection) {
    catch((), || {
        // SAFETY: the caller promises `conn` is NULL or points to a readable
        // and writable `OssuaryConnection *` variable.
        let Ok(handle) = (unsafe { boundary::read(conn) }) else {
            return;
        };
        if handle.is_null() {
            return;
        }
        // SAFETY: `conn` was checked non-NULL by `read` above and is writable
        // (caller's promise); no reference covers it.
        unsafe { boundary::write(conn, core::ptr::null_mut()) };
        // SAFETY: the caller promises a non-NULL `*conn` came from
        // `ossuary_create_connection` (`Box::into_raw`) and was not freed;
        // `*conn` is now NULL, so this variable cannot free it twice.
        drop(unsafe { Box::from_raw(handle) });
    });
}

/// Sets the connection's identity to the 32-byte Ed25519 secret key (RFC 8032
/// seed) at `key`. Allowed until the peer's first byte has arrived. An
/// identity it replaces that was given with a signer callback
/// (`ossuary_conn_set_signer`, ...) is released in this call (its
/// `free_user_data` runs).
///
/// Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_HANDSHAKE_STARTED`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_set_secret_key(conn: *mut OssuaryConnection, key: *const u8) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `key` points to 32 readable bytes; the
        // copy of them made there is wiped.
        let secret = unsafe { boundary::secret_key(key) }?;
        handle.conn().set_identity(Box::new(secret))?;
        Ok(0)
    })
}

/// Adds the 32-byte Ed25519 public key at `key`: for an authenticating
/// server, a client it accepts; for a client, the server key it expects.
/// While a client's handshake is paused on an untrusted server
/// (`OSSUARY_ERR_UNTRUSTED_SERVER`), adding that server's key accepts it and
/// the handshake goes on (Trust-On-First-Use, as in the original).
///
/// Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_KEY`,
/// `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER` (an unauthenticated server).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_add_authorized_key(conn: *mut OssuaryConnection, key: *const u8) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let key = PublicKey::from_bytes(&unsafe { boundary::key(key) }?)
            .map_err(|_| Status::InvalidKey)?;
        let conn = handle.conn();
        conn.add_authorized_key(key)?;
        if conn.handshake_status() == Ok(HandshakeStatus::UntrustedServer(key)) {
            conn.trust_server()?;
        }
        Ok(0)
    })
}

/// Adds `count` 32-byte public keys, as `ossuary_add_authorized_key` does;
/// NULL entries of `key` are skipped. All keys are checked before any is
/// added.
///
/// Returns the number of keys added, or `OSSUARY_ERR_NULL_ARGUMENT` (`key`
/// NULL), `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_NOT_AUTHENTICATING_SERVER`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_add_authorized_keys(
    conn: *mut OssuaryConnection,
    key: *mut *mut u8,
    count: u8,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(key)?;
        let mut keys = Vec::with_capacity(usize::from(count));
        for i in 0..usize::from(count) {
            // SAFETY: the caller promises `key` points to `count` readable
            // pointers; `i < count`, and `key` is non-NULL (checked above).
            let entry = unsafe { boundary::read(key.add(i).cast_const()) }?;
            if entry.is_null() {
                continue;
            }
            // SAFETY: the caller promises each non-NULL entry points to 32
            // readable bytes.
            let bytes = unsafe { boundary::key(entry.cast_const()) }?;
            keys.push(PublicKey::from_bytes(&bytes).map_err(|_| Status::InvalidKey)?);
        }
        let conn = handle.conn();
        for k in &keys {
            conn.add_authorized_key(*k)?;
        }
        if let Ok(HandshakeStatus::UntrustedServer(remote)) = conn.handshake_status()
            && keys.contains(&remote)
        {
            conn.trust_server()?;
        }
        i32::try_from(keys.len()).map_err(|_| Status::Other)
    })
}

/// Copies the peer's verified 32-byte public key to `key_buf` (at least 32
/// bytes, `key_buf_len`): the server's once proven (also while the
/// handshake is paused for trust), the client's when it sent one.
///
/// Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_BUFFER_TOO_SMALL`,
/// `OSSUARY_ERR_NO_KEY`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_remote_public_key(
    conn: *mut OssuaryConnection,
    key_buf: *mut u8,
    key_buf_len: u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `key_buf` is writable for `key_buf_len` bytes.
        let out = unsafe { boundary::bytes_mut(key_buf, usize::from(key_buf_len)) }?;
        let dst = out.get_mut(..32).ok_or(Status::BufferTooSmall)?;
        let key = handle.conn().remote_public_key().ok_or(Status::NoKey)?;
        dst.copy_from_slice(key.as_bytes());
        Ok(0)
    })
}

/// Generates an identity: writes the 32-byte Ed25519 secret key (RFC 8032
/// seed) to `secret_buf` and its public key to `public_buf` (each at least 32
/// bytes). Keep the secret key secret.
///
/// Returns 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_BUFFER_TOO_SMALL`,
/// `OSSUARY_ERR_ENTROPY`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_generate_auth_keypair(
    secret_buf: *mut u8,
    secret_buf_len: u16,
    public_buf: *mut u8,
    public_buf_len: u16,
) -> i32 {
    status(|| {
        if secret_buf_len < 32 || public_buf_len < 32 {
            boundary::check(secret_buf)?;
            boundary::check(public_buf)?;
            return Err(Status::BufferTooSmall);
        }
        boundary::check(public_buf)?;
        if boundary::overlap(secret_buf, 32, public_buf, 32) {
            return Err(Status::InvalidArgument);
        }
        let (secret, public) = ossuary_core::generate_keypair()?;
        // SAFETY: the caller promises `secret_buf` is writable for
        // `secret_buf_len` (>= 32) bytes; it does not overlap `public_buf`.
        let s = unsafe { boundary::bytes_mut(secret_buf, 32) }?;
        s.copy_from_slice(&secret.to_bytes()[..]);
        // SAFETY: as above, for `public_buf`.
        let p = unsafe { boundary::bytes_mut(public_buf, 32) }?;
        p.copy_from_slice(public.as_bytes());
        Ok(0)
    })
}

/// Feeds `*in_buf_len` handshake bytes from `in_buf` and sets `*in_buf_len`
/// to the bytes consumed (drop those; offer the rest again with more). Stops
/// after the message that completes the handshake: bytes after it are
/// records, for `ossuary_recv_data`.
///
/// Returns the bytes consumed; `OSSUARY_ERR_WOULDBLOCK` when they held only
/// part of a message (read more and call again), or when the connection
/// failed while plaintext from before the failure still waits for
/// `ossuary_recv_data` (nothing consumed: the failure comes after it); or
/// an error code.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_recv_handshake(
    conn: *mut OssuaryConnection,
    in_buf: *mut u8,
    in_buf_len: *mut u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `in_buf_len` is NULL or a readable
        // `uint16_t`.
        let len = unsafe { boundary::read(in_buf_len.cast_const()) }?;
        if handle.failed_with_staged() {
            // Plaintext from before a failure still waits in the handle: it
            // comes first (ossuary_recv_data), and the failure only after
            // it, so that the failure is final (as ossuary_recv_data does).
            // SAFETY: checked non-NULL by `read`; no reference covers it.
            unsafe { boundary::write(in_buf_len, 0) };
            return Err(Status::Wouldblock);
        }
        let before = handle.pending_len();
        let consumed = {
            // SAFETY: the caller promises `in_buf` is readable for
            // `*in_buf_len` bytes; the slice ends before `in_buf_len` is written.
            let input = unsafe { boundary::bytes(in_buf.cast_const(), usize::from(len)) }?;
            handle.conn().recv_handshake(input)?
        };
        // SAFETY: checked non-NULL by `read`; no reference covers it.
        unsafe { boundary::write(in_buf_len, u16::try_from(consumed).unwrap_or(len)) };
        // A failure after progress is reported by the core's next call:
        // report it now, as the original did.
        let status = handle.conn().handshake_status()?;
        let acted = handle.pending_len() != before || status != HandshakeStatus::InProgress;
        if acted || consumed == 0 && len == 0 {
            i32::try_from(consumed).map_err(|_| Status::Other)
        } else {
            Err(Status::Wouldblock)
        }
    })
}

/// Copies waiting handshake bytes to `out_buf` (capacity `*out_buf_len`) and
/// sets `*out_buf_len` to the bytes written; send them to the peer.
///
/// Returns the bytes written (0: nothing to send now);
/// `OSSUARY_ERR_WOULDBLOCK` when more is waiting than fitted (call again);
/// or an error code.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_send_handshake(
    conn: *mut OssuaryConnection,
    out_buf: *mut u8,
    out_buf_len: *mut u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `out_buf_len` is NULL or a readable
        // `uint16_t`.
        let cap = unsafe { boundary::read(out_buf_len.cast_const()) }?;
        let written = {
            // SAFETY: the caller promises `out_buf` is writable for
            // `*out_buf_len` bytes; the slice ends before `out_buf_len` is written.
            let out = unsafe { boundary::bytes_mut(out_buf, usize::from(cap)) }?;
            handle.take_output(out)
        };
        // SAFETY: checked non-NULL by `read`; no reference covers it.
        unsafe { boundary::write(out_buf_len, u16::try_from(written).unwrap_or(cap)) };
        output_result(handle, written)
    })
}

/// Whether the handshake is done: 1 when it is and its last message has been
/// taken with `ossuary_send_handshake`, 0 while it runs,
/// `OSSUARY_ERR_UNTRUSTED_SERVER` while a client waits for the application
/// to accept (`ossuary_add_authorized_key`) or refuse the server's key, or
/// the connection's error code.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_handshake_done(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        handle.handshake_done()
    })
}

/// Encrypts all `in_buf_len` bytes of `in_buf` and copies the records to
/// `out_buf` (capacity `*out_buf_len`, set to the bytes written). Each record
/// adds 19 bytes; what does not fit waits for `ossuary_flush`.
///
/// Returns the bytes written; `OSSUARY_ERR_WOULDBLOCK` when more output
/// waits (all plaintext was taken: call `ossuary_flush`); or an error code
/// (`OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`, ...).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_send_data(
    conn: *mut OssuaryConnection,
    in_buf: *mut u8,
    in_buf_len: u16,
    out_buf: *mut u8,
    out_buf_len: *mut u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `out_buf_len` is NULL or a readable
        // `uint16_t`.
        let cap = unsafe { boundary::read(out_buf_len.cast_const()) }?;
        boundary::check(out_buf)?;
        {
            // SAFETY: the caller promises `in_buf` is readable for
            // `in_buf_len` bytes; the slice ends before `out_buf` is borrowed.
            let input = unsafe { boundary::bytes(in_buf.cast_const(), usize::from(in_buf_len)) }?;
            handle.send_all(input)?;
        }
        let written = {
            // SAFETY: the caller promises `out_buf` is writable for
            // `*out_buf_len` bytes; the input slice is gone.
            let out = unsafe { boundary::bytes_mut(out_buf, usize::from(cap)) }?;
            handle.take_output(out)
        };
        // SAFETY: checked non-NULL by `read`; no reference covers it.
        unsafe { boundary::write(out_buf_len, u16::try_from(written).unwrap_or(cap)) };
        output_result(handle, written)
    })
}

/// Decrypts records from `in_buf` (`*in_buf_len` bytes) into `out_buf`
/// (capacity `*out_buf_len`); sets `*in_buf_len` to the bytes consumed (drop
/// them) and `*out_buf_len` to the plaintext bytes written. `in_buf` and
/// `out_buf` may be the same buffer, or overlap: then all the input is
/// consumed, so the plaintext never lands on bytes still to be offered
/// again. Plaintext that did not fit
/// waits inside: call again (with no new input) to get it.
///
/// Returns the bytes consumed (plaintext in `*out_buf_len`);
/// `OSSUARY_ERR_WOULDBLOCK` when no plaintext came out (a partial record was
/// taken, or a key update: read more and call again; or plaintext waits
/// inside and `*out_buf_len` was 0); `OSSUARY_ERR_CLOSED` after the peer's
/// clean close; or an error code (also when the bytes consumed, reported in
/// `*in_buf_len`, held a record that failed). The close or the error comes
/// only once the plaintext before it is out, and then on every call.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_recv_data(
    conn: *mut OssuaryConnection,
    in_buf: *mut u8,
    in_buf_len: *mut u16,
    out_buf: *mut u8,
    out_buf_len: *mut u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises both length pointers are NULL or
        // readable `uint16_t`s (they may be the same variable: read by value).
        let (len, cap) = unsafe {
            (
                boundary::read(in_buf_len.cast_const())?,
                boundary::read(out_buf_len.cast_const())?,
            )
        };
        // SAFETY: the caller promises `in_buf` is readable for `*in_buf_len`
        // bytes and `out_buf` writable for `*out_buf_len`; they may overlap,
        // which `recv` handles; neither overlaps the connection.
        let progress = unsafe {
            boundary::recv(
                handle,
                in_buf.cast_const(),
                usize::from(len),
                out_buf,
                usize::from(cap),
            )
        }?;
        let consumed = u16::try_from(progress.consumed).unwrap_or(len);
        let produced = u16::try_from(progress.produced).unwrap_or(cap);
        // SAFETY: both checked non-NULL by `read`; the buffers' slices are gone.
        unsafe {
            boundary::write(in_buf_len, consumed);
            boundary::write(out_buf_len, produced);
        }
        if produced > 0 {
            Ok(i32::from(consumed))
        } else if handle.has_staged() {
            // Plaintext from before a failure or the peer's close still
            // waits in the handle (no room came for it): it comes first, and
            // the failure or the close only after it, so that they are final.
            Err(Status::Wouldblock)
        } else if let Err(e) = handle.conn().handshake_status() {
            // A failure after progress (a record consumed, then refused):
            // the core reports it on the next call; report it now.
            Err(e.into())
        } else if handle.conn().peer_closed() {
            Err(Status::Closed)
        } else {
            Err(Status::Wouldblock)
        }
    })
}

/// Copies output still waiting (records that did not fit `ossuary_send_data`'s
/// buffer, key updates, a close) to `out_buf` (`out_buf_len` bytes).
///
/// Returns the bytes written (0: nothing waits); `OSSUARY_ERR_WOULDBLOCK`
/// when more waits than fitted (the buffer is full: send it, call again).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_flush(
    conn: *mut OssuaryConnection,
    out_buf: *mut u8,
    out_buf_len: u16,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `out_buf` is writable for `out_buf_len` bytes.
        let out = unsafe { boundary::bytes_mut(out_buf, usize::from(out_buf_len)) }?;
        let written = handle.take_output(out);
        if handle.pending_len() > 0 {
            return Err(Status::Wouldblock);
        }
        i32::try_from(written).map_err(|_| Status::Other)
    })
}

/// The result of an output call that wrote `written` bytes: the count, or
/// WOULDBLOCK when more waits.
fn output_result(handle: &OssuaryConnection, written: usize) -> Result<i32, Status> {
    if handle.pending_len() > 0 {
        Err(OssuaryErr::Wouldblock)
    } else {
        i32::try_from(written).map_err(|_| Status::Other)
    }
}
