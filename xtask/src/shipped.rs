//! How the C library that ships is built, in one place: `cargo xtask dist` packages it and
//! `cargo xtask bench` measures it (its size, and records through its C API).
//!
//! The `dist` profile (workspace `Cargo.toml`) optimises for size, and the flags below
//! choose SHA-2's compact software fallback (used only on CPUs without SHA-NI): together
//! with ossuary-ffi's dependency on ossuary-core without AWS-LC and without dalek's
//! precomputed tables, they keep the stripped `libossuary.so` under [`SIZE_LIMIT`]. The
//! candidates measured are in docs/C-API.md ("Size and speed").

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, Error, Result};

/// The cargo profile of the shipped library.
pub(crate) const PROFILE: &str = "dist";

/// `RUSTFLAGS` of the shipped build.
pub(crate) const RUSTFLAGS: &str = "--cfg sha2_backend_soft=\"compact\"";

/// The stripped `libossuary.so` must be smaller than this (issue 11: under 600 KB; the
/// original libossuary's was 608 KB).
pub(crate) const SIZE_LIMIT: u64 = 600_000;

/// The directory the shipped build writes to (`target/dist`, or under `CARGO_TARGET_DIR`).
pub(crate) fn out_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| util::project_root().join("target"), PathBuf::from)
        .join(PROFILE)
}

/// `RUSTFLAGS` for the shipped build, with `extra` (such as `-D warnings`) appended.
pub(crate) fn rustflags(extra: &str) -> String {
    if extra.trim().is_empty() {
        RUSTFLAGS.to_owned()
    } else {
        format!("{RUSTFLAGS} {extra}")
    }
}

/// Builds `libossuary.a` and `libossuary.so` as they ship and returns the directory
/// holding them. `extra_rustflags` (such as `cargo xtask test`'s `-D warnings`) changes no
/// code; passing the same as the other builds of a run avoids rebuilding.
pub(crate) fn build(extra_rustflags: &str) -> Result<PathBuf> {
    util::run(
        Command::new(util::cargo())
            .args([
                "build",
                "--locked",
                "--profile",
                PROFILE,
                "-p",
                "ossuary-ffi",
            ])
            .env("RUSTFLAGS", rustflags(extra_rustflags))
            .current_dir(util::project_root()),
    )?;
    Ok(out_dir())
}

/// The size in bytes of `libossuary.so` in `dir` once stripped (as it ships).
pub(crate) fn stripped_so_size(dir: &std::path::Path) -> Result<u64> {
    let so = dir.join("libossuary.so");
    let stripped = std::env::temp_dir().join(format!("ossuary-size-{}.so", std::process::id()));
    util::run(Command::new("strip").arg("-o").arg(&stripped).arg(&so))?;
    let size = std::fs::metadata(&stripped)
        .map(|m| m.len())
        .map_err(|e| Error::new(format!("{}: {e}", stripped.display())));
    let _ = std::fs::remove_file(&stripped);
    size
}
