//! The better-typed functions beside the original ones, in rustls-ffi's
//! style: the connection first, then inputs, then outputs; `size_t`
//! lengths; every pointer checked; outputs written only on success; the
//! result an `ossuary_error_t` (`OSSUARY_ERR_OK`, 0, on success).
#![allow(unsafe_code)]

use ossuary_core::{Connection, HandshakeStatus};
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, status};
use crate::handle::OssuaryConnection;

/// `Ok(OSSUARY_ERR_OK)` as a status.
/// Offers `buf[..len]` to `take` and writes how much it consumed to
/// `*consumed`: the shape of `ossuary_conn_send` and
/// `ossuary_conn_recv_handshake`. With `receiving`, a failure is withheld
/// (nothing consumed) while plaintext from before it waits in the handle.
///
/// # Safety
/// As for those functions: `conn` is a live connection used by no other
/// call, `buf` is readable for `len` bytes, `consumed` is writable (each
/// pointer may be NULL, which is refused).
unsafe fn take_input(
    conn: *mut OssuaryConnection,
    buf: *const u8,
    len: usize,
    consumed: *mut usize,
    take: fn(&mut Connection, &[u8]) -> Result<usize, ossuary_core::Error>,
    receiving: bool,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(consumed)?;
        let n = if receiving && handle.failed_with_staged() {
            0
        } else {
            // SAFETY: the caller promises `buf` is readable for `len` bytes.
            let input = unsafe { boundary::bytes(buf, len) }?;
            take(handle.conn(), input)?
        };
        // SAFETY: checked non-NULL above; writable by the caller's promise.
        unsafe { boundary::write(consumed, n) };
        ok()
    })
}

fn ok() -> Result<i32, Status> {
    Ok(Status::Ok.code())
}

/// Encrypts plaintext from `buf` (`len` bytes) into records waiting for
/// `ossuary_conn_take_output`, and sets `*consumed` to how much was taken:
/// less than `len` (maybe 0) when output is waiting; take it and call again.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`, the connection's
/// error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_send(
    conn: *mut OssuaryConnection,
    buf: *const u8,
    len: usize,
    consumed: *mut usize,
) -> i32 {
    // SAFETY: the caller's promises, passed on as they are.
    unsafe { take_input(conn, buf, len, consumed, Connection::send_data, false) }
}

/// Sets `*len` to the number of bytes waiting to be sent to the peer
/// (handshake messages, records, key updates, close).
///
/// Returns `OSSUARY_ERR_OK` or `OSSUARY_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_pending_output(conn: *mut OssuaryConnection, len: *mut usize) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(len)?;
        let n = handle.pending_len();
        // SAFETY: checked non-NULL above; writable by the caller's promise.
        unsafe { boundary::write(len, n) };
        ok()
    })
}

/// Copies up to `len` waiting output bytes to `buf` and sets `*written` to
/// how many: send exactly those to the peer. The only way output leaves.
///
/// Returns `OSSUARY_ERR_OK` or `OSSUARY_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_take_output(
    conn: *mut OssuaryConnection,
    buf: *mut u8,
    len: usize,
    written: *mut usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(written)?;
        let n = {
            // SAFETY: the caller promises `buf` is writable for `len` bytes.
            let out = unsafe { boundary::bytes_mut(buf, len) }?;
            handle.take_output(out)
        };
        // SAFETY: checked non-NULL above; writable by the caller's promise.
        unsafe { boundary::write(written, n) };
        ok()
    })
}

/// Feeds handshake bytes from `buf` (`len` bytes; 0 only checks the
/// deadline) and sets `*consumed`. Stops after the message that completes
/// the handshake; later bytes are records, for `ossuary_conn_recv`.
///
/// Returns `OSSUARY_ERR_OK` or an error code. A connection that failed while
/// plaintext from before the failure still waits for `ossuary_recv_data`
/// returns `OSSUARY_ERR_OK` with `*consumed` 0 until that plaintext is out:
/// the failure comes after it.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_recv_handshake(
    conn: *mut OssuaryConnection,
    buf: *const u8,
    len: usize,
    consumed: *mut usize,
) -> i32 {
    // SAFETY: the caller's promises, passed on as they are.
    unsafe { take_input(conn, buf, len, consumed, Connection::recv_handshake, true) }
}

/// Where the handshake stands: 0 running, 1 done, `OSSUARY_ERR_UNTRUSTED_SERVER`
/// paused for a trust decision (`ossuary_conn_trust_server` or
/// `ossuary_conn_reject_server`), or the connection's error code.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_handshake_status(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        match handle.conn().handshake_status()? {
            HandshakeStatus::InProgress => Ok(0),
            HandshakeStatus::Done => Ok(1),
            HandshakeStatus::UntrustedServer(_) => Err(Status::UntrustedServer),
        }
    })
}

/// Feeds records from `in_buf` (`in_len` bytes) and writes plaintext to
/// `out_buf` (`out_len` bytes); sets `*consumed` and `*produced`. The
/// buffers may overlap: then all the input is consumed. Plaintext that did not fit waits inside; call again
/// while a call makes progress, read the transport when one makes none.
///
/// After the peer's clean close (`ossuary_conn_peer_closed`) no more
/// plaintext comes. A failure met after some input was consumed is
/// returned by the next call.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
/// `OSSUARY_ERR_BAD_RECORD`, `OSSUARY_ERR_PEER_RESET`, `OSSUARY_ERR_CLOSED`
/// (frames after the peer's close), the connection's error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_recv(
    conn: *mut OssuaryConnection,
    in_buf: *const u8,
    in_len: usize,
    out_buf: *mut u8,
    out_len: usize,
    consumed: *mut usize,
    produced: *mut usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(consumed)?;
        boundary::check(produced)?;
        // SAFETY: the caller promises `in_buf` is readable for `in_len` bytes
        // and `out_buf` writable for `out_len`, neither overlapping the
        // connection; their overlap is handled by `recv`.
        let progress = unsafe { boundary::recv(handle, in_buf, in_len, out_buf, out_len) }?;
        // SAFETY: checked non-NULL above; the buffers' slices are gone.
        unsafe {
            boundary::write(consumed, progress.consumed);
            boundary::write(produced, progress.produced);
        }
        ok()
    })
}

/// Queues an authenticated close: the peer learns no more data comes.
/// Take the output afterwards.
///
/// Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_close(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.conn().close()?;
        ok()
    })
}

/// Queues a key update now and switches to the next sending key (they also
/// happen automatically).
///
/// Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`, `OSSUARY_ERR_CLOSED`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_update_keys(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.conn().update_keys()?;
        ok()
    })
}

/// Accepts the untrusted server key the handshake paused on (record it,
/// for instance in a known-hosts file); the handshake goes on.
///
/// Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_NOT_AWAITING_TRUST`, the connection's error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_trust_server(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.conn().trust_server()?;
        ok()
    })
}

/// Refuses the untrusted server key the handshake paused on: the connection
/// fails with `OSSUARY_ERR_UNTRUSTED_SERVER` and queues a RESET for the
/// peer (take the output).
///
/// Returns `OSSUARY_ERR_UNTRUSTED_SERVER` (the refusal took effect), or
/// `OSSUARY_ERR_NOT_AWAITING_TRUST`, the connection's earlier error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_reject_server(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.conn().reject_server()?;
        ok()
    })
}

/// Whether the peer closed the session cleanly (authenticated close): 1 or 0,
/// or `OSSUARY_ERR_NULL_ARGUMENT`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_peer_closed(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        Ok(i32::from(
            unsafe { boundary::conn(conn) }?.conn().peer_closed(),
        ))
    })
}

/// Tells the connection the transport ended (a read returned 0 bytes).
///
/// Returns `OSSUARY_ERR_OK` only after the peer's authenticated close;
/// otherwise `OSSUARY_ERR_TRUNCATED` (data may be missing) or the
/// connection's earlier error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_end_of_input(conn: *mut OssuaryConnection) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        unsafe { boundary::conn(conn) }?.conn().end_of_input()?;
        ok()
    })
}

/// Copies this side's 32-byte identity public key to `key_buf` (`len` >= 32).
///
/// Returns `OSSUARY_ERR_OK`, `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_BUFFER_TOO_SMALL`, or `OSSUARY_ERR_NO_KEY` (an anonymous
/// client).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap the connection. A connection argument came from
/// `ossuary_create_connection`, is not destroyed, and no other call uses it
/// at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_local_public_key(
    conn: *mut OssuaryConnection,
    key_buf: *mut u8,
    len: usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        // SAFETY: the caller promises `key_buf` is writable for `len` bytes.
        let out = unsafe { boundary::bytes_mut(key_buf, len) }?;
        let dst = out.get_mut(..32).ok_or(Status::BufferTooSmall)?;
        let key = handle.conn().local_public_key().ok_or(Status::NoKey)?;
        dst.copy_from_slice(key.as_bytes());
        ok()
    })
}
