//! Ossuary's C API: `libossuary.a`, `libossuary.so` and the generated
//! `ossuary.h` (`cargo xtask headers`).
//!
//! - The original libossuary's functions keep their exact signatures and
//!   semantics (`original`), so programs written against its header compile
//!   and behave the same.
//! - Beside them, better-typed functions in rustls-ffi's style: `size_t`
//!   lengths, outputs written only on success, a status code. `strict`
//!   builds connections with strict trust (Trust-On-First-Use only as a
//!   flag), `typed` moves handshake and application bytes, `in_place` seals
//!   and opens records in the caller's buffer, `keys` handles key text,
//!   fingerprints, known-hosts and authorized-keys lists and key files, and
//!   `signer` gives a connection an identity whose secret key lives
//!   elsewhere (an HSM, a TPM), behind a signing callback whose every
//!   signature is checked before it is sent.
//! - The boundary never aborts: every entry point catches panics and returns
//!   `OSSUARY_ERR_PANIC` (or NULL); every pointer, length and enum value is
//!   checked (`boundary`). This is the only crate of the workspace with
//!   `unsafe` code (STYLE rule 4), confined to the modules that allow it,
//!   each block with a `// SAFETY:` comment.
//!
//! # Example
//!
//! A client in C, over a socket the program connected:
//!
//! ```c
//! #include "ossuary.h"
//! #include <sys/socket.h>
//!
//! /* A client over a connected socket `fd`: pins the server's 32-byte key,
//!  * runs the handshake, sends `msg` (up to 65519 bytes: one record) and an
//!  * authenticated close. Returns OSSUARY_ERR_OK or the error code
//!  * (ossuary_error_string says what it means). */
//! static int32_t
//! say(int fd, uint8_t const server_key[32], uint8_t const *msg, size_t len)
//! {
//!     static uint8_t buf[70000];
//!     OssuaryConnection *conn = NULL;
//!     size_t n = 0, used = 0;
//!     int32_t rc = ossuary_conn_new_client(NULL, 0, &conn); /* anonymous, strict */
//!     if (rc != OSSUARY_ERR_OK)
//!         return rc;
//!     rc = ossuary_conn_add_authorized_key(conn, server_key);
//!     for (;;) { /* send what is queued; stop when done; else read and feed */
//!         if (rc == OSSUARY_ERR_OK)
//!             rc = ossuary_conn_take_output(conn, buf, sizeof buf, &n);
//!         if (rc == OSSUARY_ERR_OK && n > 0 && send(fd, buf, n, 0) != (ssize_t)n)
//!             rc = OSSUARY_ERR_OTHER;
//!         if (rc == OSSUARY_ERR_OK)
//!             rc = ossuary_conn_handshake_status(conn); /* 0 running, 1 done */
//!         if (rc != OSSUARY_ERR_OK)
//!             break;
//!         ssize_t got = recv(fd, buf, sizeof buf, 0);
//!         rc = got > 0 ? ossuary_conn_recv_handshake(conn, buf, (size_t)got, &used)
//!                      : ossuary_conn_end_of_input(conn); /* the server hung up */
//!     }
//!     if (rc == 1)
//!         rc = ossuary_conn_send(conn, msg, len, &used);
//!     if (rc == OSSUARY_ERR_OK)
//!         rc = ossuary_conn_close(conn);
//!     if (rc == OSSUARY_ERR_OK)
//!         rc = ossuary_conn_take_output(conn, buf, sizeof buf, &n);
//!     if (rc == OSSUARY_ERR_OK && send(fd, buf, n, 0) != (ssize_t)n)
//!         rc = OSSUARY_ERR_OTHER;
//!     ossuary_destroy_connection(&conn);
//!     return rc;
//! }
//! ```
#![warn(missing_docs)]
#![allow(
    // C names: `OSSUARY_ERR_OTHER`, ...
    non_camel_case_types,
    // The exports are used from C, not from Rust.
    unreachable_pub,
)]

mod boundary;
mod handle;
mod in_place;
mod keys;
mod original;
mod signer;
mod status;
mod strict;
mod typed;

#[cfg(test)]
mod c_calls;

use safer_ffi::prelude::*;

pub use handle::OssuaryConnection;
pub use in_place::*;
pub use keys::*;
pub use original::*;
pub use signer::*;
pub use status::{OssuaryConnType, OssuaryErr};
pub use strict::*;
pub use typed::*;

/// The major version of the library this header belongs to.
#[ffi_export(untyped)]
pub const OSSUARY_VERSION_MAJOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MAJOR"));

/// The minor version of the library this header belongs to.
#[ffi_export(untyped)]
pub const OSSUARY_VERSION_MINOR: u32 = parse_u32(env!("CARGO_PKG_VERSION_MINOR"));

/// The patch version of the library this header belongs to.
#[ffi_export(untyped)]
pub const OSSUARY_VERSION_PATCH: u32 = parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

/// The version of the library: a static, NUL-terminated string such as
/// "0.1.0" (compare with the `OSSUARY_VERSION_*` macros of the header).
#[ffi_export]
pub fn ossuary_version() -> char_p::Ref<'static> {
    boundary::catch(c!(""), || {
        char_p::Ref::try_from(concat!(env!("CARGO_PKG_VERSION"), "\0")).unwrap_or(c!(""))
    })
}

/// A decimal number from Cargo's version fields, at compile time.
const fn parse_u32(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut value: u32 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i];
        assert!(digit.is_ascii_digit(), "version field is not a number");
        value = value * 10 + (digit - b'0') as u32;
        i += 1;
    }
    value
}

/// Writes the C header for these definitions to `path` (`cargo xtask
/// headers` runs this through the `ossuary-ffi-headers` binary).
///
/// # Errors
/// Any I/O error writing the file.
#[cfg(feature = "headers")]
pub fn generate_headers(path: &std::path::Path) -> std::io::Result<()> {
    safer_ffi::headers::builder()
        .with_guard("OSSUARY_H")
        .with_banner(HEADER_BANNER)
        .to_file(path)?
        .generate()
}

/// The preamble of the generated header.
#[cfg(feature = "headers")]
const HEADER_BANNER: &str = "\
/* ossuary.h: the C API of Ossuary (libossuary.a, libossuary.so).
 *
 * GENERATED FILE, DO NOT EDIT: written by `cargo xtask headers` from the
 * Rust definitions in crates/ossuary-ffi; `cargo xtask headers --check`
 * fails when this file differs from what they produce.
 */
";

/// Describes a status code: a static, NUL-terminated string that the caller
/// must not free. Unknown codes get a generic description; never NULL.
#[ffi_export]
pub fn ossuary_error_string(code: i32) -> char_p::Ref<'static> {
    boundary::catch(
        c!("internal error"),
        || match status::OssuaryErr::from_code(code) {
            Some(status) => status.description(),
            None if code >= 0 => c!("success (a count)"),
            None => c!("unknown error code"),
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_has_a_static_description() {
        assert_eq!(
            super::ossuary_error_string(-1000).to_str(),
            "unknown error code"
        );
        assert!(!super::ossuary_error_string(-64).to_str().is_empty());
    }

    use super::*;

    #[test]
    fn version_agrees_with_cargo_toml() {
        let manifest = include_str!("../../../Cargo.toml");
        let line = manifest
            .lines()
            .skip_while(|l| l.trim() != "[workspace.package]")
            .find(|l| l.trim_start().starts_with("version"))
            .unwrap_or_default();
        let version = line.split('"').nth(1).unwrap_or_default();
        assert_eq!(ossuary_version().to_str(), version);
        assert_eq!(
            format!("{OSSUARY_VERSION_MAJOR}.{OSSUARY_VERSION_MINOR}.{OSSUARY_VERSION_PATCH}"),
            version
        );
    }
}
