//! The in-place record functions: seal and open whole frames in the
//! caller's buffer, with no copy and no allocation (the core's
//! `seal_in_place` and `open_in_place`). They run only when no output and
//! no plaintext waits inside the connection: mixing them with the copying
//! functions is allowed once those are drained.
#![allow(unsafe_code)]

use ossuary_core::{Opened, RECORD_OVERHEAD};
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, status};
use crate::handle::OssuaryConnection;

/// Length of a frame header (`type:u8 || length:u16`, big-endian): the
/// plaintext to seal in place starts this many bytes into the buffer, and a
/// frame is this many bytes plus the length in its header.
#[ffi_export(untyped)]
pub const OSSUARY_RECORD_HEADER_LEN: usize = 3;

/// The room `ossuary_conn_seal_in_place` needs beside the plaintext: a
/// buffer for `len` plaintext bytes holds `len + OSSUARY_SEAL_ROOM` (38):
/// the header, the tag, and a key-update frame when one is due.
#[ffi_export(untyped)]
pub const OSSUARY_SEAL_ROOM: usize = 38;

const _: () = assert!(OSSUARY_SEAL_ROOM == 2 * RECORD_OVERHEAD);
const _: () = assert!(OSSUARY_RECORD_HEADER_LEN + 16 == RECORD_OVERHEAD);

/// What `ossuary_conn_open_in_place` found in a frame.
#[ffi_export]
#[derive_ReprC]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OssuaryRecordKind {
    /// Application data: the plaintext is at `frame + *plain_off`,
    /// `*plain_len` bytes (possibly 0).
    Data = 0,
    /// The peer switched to its next key; nothing for the application.
    KeyUpdate = 1,
    /// The peer closed the session cleanly: no more data will come.
    Close = 2,
}

/// Seals `len` plaintext bytes, which the caller placed at
/// `buf + OSSUARY_RECORD_HEADER_LEN`, as one record in place: writes its
/// header before them and its tag after them, and sets `*frame_len` to the
/// bytes at `buf` to send: the record (`len + 19`), followed by a key-update
/// frame (19 more) when one is due. `buf_len` must be at least
/// `len + OSSUARY_SEAL_ROOM` (38), always. Nothing must be waiting to be
/// sent (`ossuary_conn_pending_output` 0).
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_BUFFER_TOO_SMALL` (also for `len` above the largest record,
/// 65519), `OSSUARY_ERR_BUFFERED_DATA`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
/// `OSSUARY_ERR_CLOSED`, the connection's error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above (`buf` for
/// reads and writes of `buf_len` bytes); buffers do not overlap the
/// connection or each other. A connection argument came from
/// `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
/// destroyed, and no other call uses it at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_seal_in_place(
    conn: *mut OssuaryConnection,
    buf: *mut u8,
    buf_len: usize,
    len: usize,
    frame_len: *mut usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(frame_len)?;
        if handle.has_buffered() {
            return Err(Status::BufferedData);
        }
        let n = {
            // SAFETY: the caller promises `buf` is readable and writable for
            // `buf_len` bytes, overlapping nothing else of this call.
            let buf = unsafe { boundary::bytes_mut(buf, buf_len) }?;
            handle.conn().seal_in_place(buf, len)?
        };
        // SAFETY: checked non-NULL above; writable by the caller's promise,
        // and the buffer's slice is gone.
        unsafe { boundary::write(frame_len, n) };
        Ok(Status::Ok.code())
    })
}

/// Opens one whole frame in place: `frame` holds exactly one frame,
/// `frame_len` bytes (`OSSUARY_RECORD_HEADER_LEN` plus the big-endian
/// length at `frame + 1`). Sets `*kind` to an `OssuaryRecordKind` value and,
/// for data, `*plain_off` and `*plain_len` to where the plaintext now is in
/// `frame` (both 0 for the other kinds). Nothing must be waiting inside the
/// connection (input taken by `ossuary_conn_recv` and not yet returned).
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_NOT_ONE_FRAME` (the buffer is not exactly one frame: nothing
/// changed), `OSSUARY_ERR_BUFFERED_DATA`, `OSSUARY_ERR_HANDSHAKE_NOT_DONE`,
/// `OSSUARY_ERR_BAD_RECORD`, `OSSUARY_ERR_PEER_RESET`, `OSSUARY_ERR_CLOSED`,
/// the connection's error.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above (`frame` for
/// reads and writes of `frame_len` bytes); buffers do not overlap the
/// connection or each other. A connection argument came from
/// `ossuary_create_connection` or an `ossuary_conn_new_*` function, is not
/// destroyed, and no other call uses it at the same time.
#[ffi_export]
pub unsafe fn ossuary_conn_open_in_place(
    conn: *mut OssuaryConnection,
    frame: *mut u8,
    frame_len: usize,
    plain_off: *mut usize,
    plain_len: *mut usize,
    kind: *mut i32,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises a live connection, used by no other call
        // at the same time.
        let handle = unsafe { boundary::conn(conn) }?;
        boundary::check(plain_off)?;
        boundary::check(plain_len)?;
        boundary::check(kind)?;
        if handle.has_buffered() {
            return Err(Status::BufferedData);
        }
        let opened = {
            // SAFETY: the caller promises `frame` is readable and writable
            // for `frame_len` bytes, overlapping nothing else of this call.
            let frame = unsafe { boundary::bytes_mut(frame, frame_len) }?;
            handle.conn().open_in_place(frame)?
        };
        let (k, off, len) = match opened {
            Opened::Data(range) => (OssuaryRecordKind::Data, range.start, range.len()),
            Opened::KeyUpdate => (OssuaryRecordKind::KeyUpdate, 0, 0),
            Opened::Close => (OssuaryRecordKind::Close, 0, 0),
        };
        // SAFETY: checked non-NULL above; writable by the caller's promise,
        // and the frame's slice is gone.
        unsafe {
            boundary::write(plain_off, off);
            boundary::write(plain_len, len);
            boundary::write(kind, k as i32);
        }
        Ok(Status::Ok.code())
    })
}
