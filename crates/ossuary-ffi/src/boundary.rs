//! The boundary: panics caught at every entry point, and the only place that
//! turns C pointers into Rust references. Every function here that takes a
//! raw pointer is `unsafe` and says what the caller (the C program, through
//! the documentation of each exported function) promises.
#![allow(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use ossuary_core::{Progress, SecretKey};
use zeroize::Zeroize;

use crate::handle::OssuaryConnection;
use crate::status::OssuaryErr;

/// A failed argument check or operation, as the status code to return.
pub(crate) type Status = OssuaryErr;

/// Runs `body`, turning a panic into `on_panic`: a library must not abort
/// (or unwind into) its host (STYLE rule 5). No panic hook is installed;
/// the default hook prints the message to stderr. The panic's payload is
/// leaked, not dropped: its `Drop` could panic again, outside any catch.
pub(crate) fn catch<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(payload) => {
            core::mem::forget(payload);
            on_panic
        }
    }
}

/// [`catch`] for the functions that return a status code or a count.
pub(crate) fn status(body: impl FnOnce() -> Result<i32, Status>) -> i32 {
    catch(OssuaryErr::Panic.code(), || {
        body().unwrap_or_else(OssuaryErr::code)
    })
}

/// The connection `conn` points to.
///
/// # Safety
/// `conn` is NULL or was returned by `ossuary_create_connection` and not
/// destroyed, and no other call uses it at the same time.
pub(crate) unsafe fn conn<'a>(
    conn: *mut OssuaryConnection,
) -> Result<&'a mut OssuaryConnection, Status> {
    // SAFETY: by this function's contract, a non-NULL `conn` points to a live
    // connection (allocated by `Box::into_raw` in `ossuary_create_connection`)
    // that nothing else accesses during the call.
    unsafe { conn.as_mut() }.ok_or(Status::NullArgument)
}

/// `len` bytes at `ptr`, to read.
///
/// # Safety
/// `ptr` is NULL or valid for reads of `len` bytes, which nothing writes
/// while the returned slice lives.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], Status> {
    if ptr.is_null() {
        return Err(Status::NullArgument);
    }
    if isize::try_from(len).is_err() {
        return Err(Status::InvalidArgument);
    }
    // SAFETY: `ptr` is non-NULL and, by this function's contract, valid for
    // reads of `len` (<= isize::MAX) bytes that are not written meanwhile;
    // `u8` needs no alignment.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// `len` bytes at `ptr`, to write.
///
/// # Safety
/// `ptr` is NULL or valid for reads and writes of `len` bytes, which
/// nothing else reads or writes while the returned slice lives.
pub(crate) unsafe fn bytes_mut<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8], Status> {
    if ptr.is_null() {
        return Err(Status::NullArgument);
    }
    if isize::try_from(len).is_err() {
        return Err(Status::InvalidArgument);
    }
    // SAFETY: `ptr` is non-NULL and, by this function's contract, valid for
    // reads and writes of `len` (<= isize::MAX) bytes that nothing else
    // accesses meanwhile; `u8` needs no alignment.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// The 32-byte key at `ptr`, copied.
///
/// # Safety
/// `ptr` is NULL or valid for reads of 32 bytes.
pub(crate) unsafe fn key(ptr: *const u8) -> Result<[u8; 32], Status> {
    // SAFETY: forwarded: `ptr` is NULL or valid for reads of 32 bytes, and
    // the slice does not outlive this call.
    let bytes = unsafe { bytes(ptr, 32) }?;
    <[u8; 32]>::try_from(bytes).map_err(|_| Status::InvalidArgument)
}

/// The 32-byte secret key (the RFC 8032 seed) at `ptr`. The only copy of
/// its bytes made here is wiped before this returns, on every path; the
/// key itself wipes its own on drop.
///
/// # Safety
/// `ptr` is NULL (refused) or valid for reads of 32 bytes.
pub(crate) unsafe fn secret_key(ptr: *const u8) -> Result<SecretKey, Status> {
    let mut seed = [0u8; 32];
    // SAFETY: forwarded from this function's contract.
    unsafe { secret_key_via(ptr, &mut seed) }
}

/// [`secret_key`], copying the seed through `seed`, which is wiped before
/// this returns, whatever happens (an early return, or an unwinding panic:
/// the wipe is a drop guard). Separate so that a test can see the buffer.
///
/// # Safety
/// As for [`secret_key`].
unsafe fn secret_key_via(ptr: *const u8, seed: &mut [u8; 32]) -> Result<SecretKey, Status> {
    /// Wipes the borrowed buffer when dropped.
    struct Wipe<'a>(&'a mut [u8; 32]);
    impl Drop for Wipe<'_> {
        fn drop(&mut self) {
            self.0.zeroize();
        }
    }
    let seed = Wipe(seed);
    // SAFETY: forwarded: `ptr` is NULL or valid for reads of 32 bytes, and
    // the slice does not outlive this call.
    let src = unsafe { bytes(ptr, 32) }?;
    seed.0.copy_from_slice(src);
    Ok(SecretKey::from_bytes(seed.0))
}

/// The value `ptr` points to, read without creating a reference (length
/// arguments may alias each other).
///
/// # Safety
/// `ptr` is NULL or valid for reads of a `T`, suitably aligned.
pub(crate) unsafe fn read<T: Copy>(ptr: *const T) -> Result<T, Status> {
    if ptr.is_null() {
        return Err(Status::NullArgument);
    }
    // SAFETY: non-NULL, and by this function's contract valid and aligned.
    Ok(unsafe { ptr.read() })
}

/// Stores `value` at `ptr`, without creating a reference.
///
/// # Safety
/// `ptr` is non-NULL (checked by an earlier [`read`] or [`check`]), valid for
/// writes of a `T`, suitably aligned, and no live Rust reference covers it.
pub(crate) unsafe fn write<T>(ptr: *mut T, value: T) {
    if !ptr.is_null() {
        // SAFETY: non-NULL, and by this function's contract valid, aligned
        // and not covered by a live reference.
        unsafe { ptr.write(value) }
    }
}

/// Refuses a NULL output pointer before any work is done.
pub(crate) fn check<T>(ptr: *const T) -> Result<(), Status> {
    if ptr.is_null() {
        Err(Status::NullArgument)
    } else {
        Ok(())
    }
}

/// Whether the `a_len` bytes at `a` and the `b_len` bytes at `b` share any
/// byte (addresses compared as integers; nothing is dereferenced).
pub(crate) fn overlap(a: *const u8, a_len: usize, b: *const u8, b_len: usize) -> bool {
    let (a, b) = (a as usize, b as usize);
    a_len != 0 && b_len != 0 && a < b.saturating_add(b_len) && b < a.saturating_add(a_len)
}

/// A receive call: records from the `in_len` bytes at `input`, plaintext to
/// the `out_len` bytes at `out`. The two may be the same memory or overlap
/// (the original libossuary's example decrypts in place).
///
/// When they overlap, the input is copied into the connection's scratch
/// buffer first, so Rust never holds a `&[u8]` and a `&mut [u8]` over the
/// same bytes, and all of it is consumed (its plaintext staged in the
/// connection): plaintext written to `out` could otherwise land on input
/// bytes the caller is told were not consumed and must offer again.
///
/// # Errors
/// A NULL buffer, or the connection's error when no progress was made (an
/// error met after progress is returned by the next call, as in the core).
///
/// # Safety
/// `input` is valid for reads of `in_len` bytes, `out` for reads and writes
/// of `out_len` bytes (either may be NULL: refused), nothing else accesses
/// them during the call, and neither overlaps the connection itself.
pub(crate) unsafe fn recv(
    conn: &mut OssuaryConnection,
    input: *const u8,
    in_len: usize,
    out: *mut u8,
    out_len: usize,
) -> Result<Progress, Status> {
    if overlap(input, in_len, out, out_len) {
        let mut scratch = core::mem::take(&mut conn.scratch);
        scratch.clear();
        {
            // SAFETY: by this function's contract `input` is NULL (refused)
            // or readable for `in_len` bytes; the slice ends before `out` is
            // borrowed below.
            let src = unsafe { bytes(input, in_len) }?;
            scratch.extend_from_slice(src);
        }
        let staged = conn.stage_all(&scratch);
        // Keep the allocation for the next call, but not a large one forever.
        if scratch.capacity() <= 1 << 17 {
            conn.scratch = scratch;
        }
        let consumed = staged?;
        // SAFETY: by this function's contract `out` is NULL (refused) or
        // readable and writable for `out_len` bytes; no other reference to
        // those bytes is live (the input was copied into `scratch`).
        let dst = unsafe { bytes_mut(out, out_len) }?;
        let produced = conn.take_staged(dst);
        Ok(Progress { consumed, produced })
    } else {
        // SAFETY: by this function's contract; the two ranges do not
        // overlap, so the shared and the exclusive slice cover distinct bytes.
        let src = unsafe { bytes(input, in_len) }?;
        // SAFETY: as above.
        let dst = unsafe { bytes_mut(out, out_len) }?;
        Ok(conn.recv(src, dst)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_cases() {
        let buf = [0u8; 16];
        let p = buf.as_ptr();
        assert!(overlap(p, 16, p, 16));
        assert!(overlap(p, 8, p.wrapping_add(7), 8));
        assert!(!overlap(p, 8, p.wrapping_add(8), 8));
        assert!(!overlap(p, 0, p, 16));
    }

    #[test]
    fn a_payload_that_panics_when_dropped_is_caught_too() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("payload drop");
            }
        }
        let code = status(|| std::panic::panic_any(Bomb));
        assert_eq!(code, OssuaryErr::Panic.code());
    }

    #[test]
    fn the_copy_of_a_secret_key_is_wiped_on_every_path() {
        let secret = [0x5au8; 32];
        let mut seed = [0xffu8; 32];
        // SAFETY: `secret` is 32 readable bytes.
        let key = unsafe { secret_key_via(secret.as_ptr(), &mut seed) };
        assert_eq!(seed, [0; 32], "wiped after success");
        let want = SecretKey::from_bytes(&secret).public_key();
        assert_eq!(key.map(|k| k.public_key()), Ok(want));
        let mut seed = [0xffu8; 32];
        // SAFETY: NULL is refused before anything is read.
        let refused = unsafe { secret_key_via(core::ptr::null(), &mut seed) };
        assert_eq!(refused.err(), Some(Status::NullArgument));
        assert_eq!(seed, [0; 32], "wiped after an error");
    }

    #[test]
    fn panics_become_a_status() {
        let code = status(|| panic!("boom"));
        assert_eq!(code, OssuaryErr::Panic.code());
    }
}
