//! The keys module of the C API (`ossuary_core::keys`): key text (parse,
//! format, fingerprints), authorized-keys and known-hosts lookups over text
//! the caller hands in, and key files by path. Secret key bytes copied here
//! are wiped before each function returns.
#![allow(unsafe_code)]

use ossuary_core::PublicKey;
use ossuary_core::keys::{self, HostKeyStatus};
use safer_ffi::c_char;
use safer_ffi::prelude::*;

use crate::boundary::{self, Status, status};

/// What `ossuary_known_hosts_lookup` says about a host and key (a
/// non-negative value; errors are negative `ossuary_error_t` codes).
#[ffi_export]
#[derive_ReprC]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OssuaryHostKey {
    /// The key is on record for the host.
    Known = 0,
    /// Nothing is on record for the host: ask the user, or refuse.
    Unknown = 1,
    /// Other keys are on record for the host: refuse (a possible
    /// impostor), unless the user knows the key was replaced.
    Changed = 2,
    /// The key is marked `@revoked`: refuse.
    Revoked = 3,
}

/// The public key at `ptr` (32 bytes).
///
/// # Safety
/// `ptr` is NULL (refused) or valid for reads of 32 bytes.
unsafe fn public_key(ptr: *const u8) -> Result<PublicKey, Status> {
    // SAFETY: forwarded from this function's contract.
    let bytes = unsafe { boundary::key(ptr) }?;
    PublicKey::from_bytes(&bytes).map_err(|_| Status::InvalidKey)
}

/// The `len` bytes of text at `text`.
///
/// # Safety
/// `text` is NULL (refused) or valid for reads of `len` bytes.
unsafe fn text<'a>(text: *const c_char, len: usize) -> Result<&'a [u8], Status> {
    // SAFETY: forwarded from this function's contract; `c_char` is a
    // one-byte transparent wrapper.
    unsafe { boundary::bytes(text.cast::<u8>(), len) }
}

/// A NUL-terminated UTF-8 argument.
fn utf8<'a>(s: Option<char_p::Ref<'a>>) -> Result<&'a str, Status> {
    let bytes = s.ok_or(Status::NullArgument)?.to_bytes();
    core::str::from_utf8(bytes).map_err(|_| Status::InvalidArgument)
}

/// Writes `s` and a NUL to the `out_len` bytes at `out`, and its length
/// (without the NUL) to `written`.
///
/// # Safety
/// `out` is NULL (refused) or valid for writes of `out_len` bytes; `written`
/// is NULL (refused) or writable.
unsafe fn put_str(
    s: &str,
    out: *mut c_char,
    out_len: usize,
    written: *mut usize,
) -> Result<i32, Status> {
    boundary::check(written)?;
    {
        // SAFETY: forwarded from this function's contract.
        let buf = unsafe { boundary::bytes_mut(out.cast::<u8>(), out_len) }?;
        let dst = buf.get_mut(..=s.len()).ok_or(Status::BufferTooSmall)?;
        let (text, nul) = dst.split_at_mut(s.len());
        text.copy_from_slice(s.as_bytes());
        nul.fill(0);
    }
    // SAFETY: checked non-NULL above; writable by this function's contract.
    unsafe { boundary::write(written, s.len()) };
    Ok(Status::Ok.code())
}

/// Writes the fingerprint of the 32-byte public key at `key` to `out`
/// (`out_len` bytes) as NUL-terminated text, `SHA256:` and 43 characters of
/// base64 (50 bytes; 51 with the NUL), and sets `*written` to its length
/// without the NUL.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_BUFFER_TOO_SMALL` (nothing
/// written).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap.
#[ffi_export]
pub unsafe fn ossuary_key_fingerprint(
    key: *const u8,
    out: *mut c_char,
    out_len: usize,
    written: *mut usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let key = unsafe { public_key(key) }?;
        let text = keys::Fingerprint::of(&key).to_string();
        // SAFETY: the caller promises `out` is writable for `out_len` bytes
        // and `written` writable.
        unsafe { put_str(&text, out, out_len, written) }
    })
}

/// Writes the 32-byte public key at `key` as a public key line,
/// `ossuary-ed25519 <base64>` (60 bytes; 61 with the NUL), NUL-terminated,
/// to `out` (`out_len` bytes), and sets `*written` to its length without
/// the NUL. The line is what a `.pub` file, an authorized-keys file and
/// (after the host) a known-hosts file hold.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_KEY`, `OSSUARY_ERR_BUFFER_TOO_SMALL` (nothing
/// written).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; buffers do not
/// overlap.
#[ffi_export]
pub unsafe fn ossuary_key_format_public(
    key: *const u8,
    out: *mut c_char,
    out_len: usize,
    written: *mut usize,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let key = unsafe { public_key(key) }?;
        let text = keys::PublicKeyLine::new(key).to_string();
        // SAFETY: the caller promises `out` is writable for `out_len` bytes
        // and `written` writable.
        unsafe { put_str(&text, out, out_len, written) }
    })
}

/// Parses one public key line (`ossuary-ed25519 <base64> [comment]`, a
/// line ending allowed) from the `text_len` bytes at `text` (no NUL needed)
/// and writes the 32-byte key to `key_out`.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_KEY_PARSE` (nothing written).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above (`key_out` for
/// writes of 32 bytes); buffers do not overlap.
#[ffi_export]
pub unsafe fn ossuary_key_parse_public(
    text: *const c_char,
    text_len: usize,
    key_out: *mut u8,
) -> i32 {
    status(|| {
        boundary::check(key_out)?;
        let line = {
            // SAFETY: the caller promises `text` is readable for `text_len`.
            let input = unsafe { self::text(text, text_len) }?;
            keys::PublicKeyLine::parse(input)?
        };
        // SAFETY: the caller promises `key_out` is writable for 32 bytes.
        let out = unsafe { boundary::bytes_mut(key_out, 32) }?;
        out.copy_from_slice(line.key().as_bytes());
        Ok(Status::Ok.code())
    })
}

/// Looks up `host` (a NUL-terminated host name, IPv4 or IPv6 address) at
/// `port` presenting the 32-byte public key at `key` in known-hosts text
/// (`text_len` bytes at `text`, no NUL needed; lines
/// `host:port[,host:port...] ossuary-ed25519 <base64> [comment]` and
/// `@revoked ossuary-ed25519 <base64>`).
///
/// Returns an `OssuaryHostKey` value (`OSSUARY_HOST_KEY_KNOWN`,
/// `_UNKNOWN`, `_CHANGED`, `_REVOKED`: 0 to 3), or
/// `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_ARGUMENT` (port 0, a
/// host that is not UTF-8), `OSSUARY_ERR_INVALID_KEY`,
/// `OSSUARY_ERR_KEY_PARSE` (the text, or the host name).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above; `host` is
/// NUL-terminated.
#[ffi_export]
pub unsafe fn ossuary_known_hosts_lookup(
    text: *const c_char,
    text_len: usize,
    host: Option<char_p::Ref<'_>>,
    port: u16,
    key: *const u8,
) -> i32 {
    status(|| {
        let host = utf8(host)?;
        if port == 0 {
            return Err(Status::InvalidArgument);
        }
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let key = unsafe { public_key(key) }?;
        // SAFETY: the caller promises `text` is readable for `text_len`.
        let input = unsafe { self::text(text, text_len) }?;
        let list = keys::KnownHosts::parse(input)?;
        let host = keys::HostPort::new(host, port)?;
        let found = match list.lookup(&host, &key) {
            HostKeyStatus::Known => OssuaryHostKey::Known,
            HostKeyStatus::Unknown => OssuaryHostKey::Unknown,
            HostKeyStatus::Changed { .. } => OssuaryHostKey::Changed,
            HostKeyStatus::Revoked => OssuaryHostKey::Revoked,
        };
        Ok(found as i32)
    })
}

/// Whether the 32-byte public key at `key` is in authorized-keys text
/// (`text_len` bytes at `text`, no NUL needed; one public key line per
/// line, `#` comments and blank lines allowed): 1 or 0.
///
/// Returns 1, 0, or `OSSUARY_ERR_NULL_ARGUMENT`, `OSSUARY_ERR_INVALID_KEY`,
/// `OSSUARY_ERR_KEY_PARSE`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call, for the bytes described above.
#[ffi_export]
pub unsafe fn ossuary_authorized_keys_contains(
    text: *const c_char,
    text_len: usize,
    key: *const u8,
) -> i32 {
    status(|| {
        // SAFETY: the caller promises `key` points to 32 readable bytes.
        let key = unsafe { public_key(key) }?;
        // SAFETY: the caller promises `text` is readable for `text_len`.
        let input = unsafe { self::text(text, text_len) }?;
        let list = keys::AuthorizedKeys::parse(input)?;
        Ok(i32::from(list.contains(&key)))
    })
}

/// Reads the secret key file at `path` (NUL-terminated, UTF-8) and writes
/// the 32-byte secret key (the RFC 8032 seed) to `key_out`. On Unix a file
/// its group or others may access is refused unread. The copies made here
/// are wiped; wipe `key_out` when done with it.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_ARGUMENT` (a path that is not UTF-8),
/// `OSSUARY_ERR_KEY_IO`, `OSSUARY_ERR_KEY_PERMISSIONS`,
/// `OSSUARY_ERR_KEY_PARSE` (nothing written).
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call: `path` NUL-terminated, `key_out` writable for
/// 32 bytes.
#[ffi_export]
pub unsafe fn ossuary_secret_key_read(path: Option<char_p::Ref<'_>>, key_out: *mut u8) -> i32 {
    status(|| {
        boundary::check(key_out)?;
        let path = utf8(path)?;
        let key = keys::read_secret_key(path)?;
        let bytes = key.to_bytes();
        // SAFETY: the caller promises `key_out` is writable for 32 bytes.
        let out = unsafe { boundary::bytes_mut(key_out, 32) }?;
        out.copy_from_slice(bytes.as_slice());
        Ok(Status::Ok.code())
    })
}

/// Writes a new key pair: the 32-byte secret key at `secret` to a new file
/// at `path` (mode 0600 on Unix), and its public key line to `path` with
/// `.pub` appended. Never overwrites: if either file exists nothing is
/// written. The copies of the secret made here are wiped.
///
/// Returns `OSSUARY_ERR_OK`, or `OSSUARY_ERR_NULL_ARGUMENT`,
/// `OSSUARY_ERR_INVALID_ARGUMENT` (a path that is not UTF-8),
/// `OSSUARY_ERR_KEY_EXISTS`, `OSSUARY_ERR_KEY_IO`.
///
/// # Safety
/// Each pointer argument is NULL (refused with an error code) or valid, for
/// the duration of the call: `path` NUL-terminated, `secret` readable for
/// 32 bytes.
#[ffi_export]
pub unsafe fn ossuary_key_pair_write(path: Option<char_p::Ref<'_>>, secret: *const u8) -> i32 {
    status(|| {
        let path = utf8(path)?;
        // SAFETY: the caller promises `secret` points to 32 readable bytes;
        // the copy of them made there is wiped.
        let key = unsafe { boundary::secret_key(secret) }?;
        keys::write_key_pair(path, &key, None)?;
        Ok(Status::Ok.code())
    })
}
