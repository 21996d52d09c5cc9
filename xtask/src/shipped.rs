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

/// `RUSTFLAGS` of the shipped build, each chosen by measurement for size (docs/C-API.md,
/// "Size and speed"): SHA-2 and curve25519-dalek in their portable code only (the SHA-2
/// compact fallback; dalek's serial backend: the C library's X25519 is a Montgomery
/// ladder either way); identical functions folded by the linker; and panic locations
/// without file names and lines (`-Zlocation-detail=none`, which needs
/// `RUSTC_BOOTSTRAP`): a panic is a bug, caught at the C boundary either way, and its
/// message keeps its text.
pub(crate) const RUSTFLAGS: &str = "--cfg sha2_backend_soft=\"compact\" --cfg sha2_backend=\"soft\" \
    --cfg curve25519_dalek_backend=\"serial\" -C link-arg=-Wl,--icf=all -Zlocation-detail=none";

/// The stripped `libossuary.so` must be smaller than this (issue 11: under 600 KB; the
/// original libossuary's was 608 KB).
pub(crate) const SIZE_LIMIT: u64 = 600_000;

/// The directory the shipped build writes to (`target/dist`, or under `CARGO_TARGET_DIR`).
pub(crate) fn out_dir() -> PathBuf {
    util::target_dir().join(PROFILE)
}

/// Gives `cmd` the shipped build's environment: its `RUSTFLAGS` with `extra` (such as
/// `-D warnings`) appended, and `RUSTC_BOOTSTRAP` for the unstable flag among them.
pub(crate) fn configure<'a>(cmd: &'a mut Command, extra: &str) -> &'a mut Command {
    let flags = if extra.trim().is_empty() {
        RUSTFLAGS.to_owned()
    } else {
        format!("{RUSTFLAGS} {extra}")
    };
    cmd.env("RUSTFLAGS", flags).env("RUSTC_BOOTSTRAP", "1")
}

/// What [`build`] produced.
pub(crate) struct ShippedLibrary {
    /// The directory holding `libossuary.a` and `libossuary.so`.
    pub(crate) dir: PathBuf,
    /// The linker arguments for the native libraries the static library needs, as rustc
    /// printed them (`-lc -lm ...`), in its order.
    pub(crate) native_static_libs: Vec<String>,
}

/// Builds `libossuary.a` and `libossuary.so` as they ship. `extra_rustflags` (such as
/// `cargo xtask test`'s `-D warnings`) changes no code; passing the same as the other
/// builds of a run avoids rebuilding.
///
/// It runs `cargo rustc` rather than `cargo build` only to add
/// `--print native-static-libs` to the library's own compilation; cargo replays that
/// note when the build is fresh, so the list always comes from the artifacts returned.
pub(crate) fn build(extra_rustflags: &str) -> Result<ShippedLibrary> {
    let mut cmd = Command::new(util::cargo());
    configure(&mut cmd, extra_rustflags)
        .current_dir(util::project_root())
        .args([
            "rustc",
            "--locked",
            "--profile",
            PROFILE,
            "-p",
            "ossuary-ffi",
            "--lib",
        ])
        .args(["--", "--print", "native-static-libs"]);
    let shown = util::display_cmd(&cmd);
    println!("$ {shown}");
    let out = cmd
        .output()
        .map_err(|e| Error::new(format!("could not start `{shown}`: {e}")))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    if !out.status.success() {
        return Err(Error::new(format!("`{shown}` failed ({})", out.status)));
    }
    let native_static_libs = stderr
        .lines()
        .filter_map(|l| l.split_once("native-static-libs:"))
        .map(|(_, libs)| libs.split_whitespace().map(str::to_owned).collect())
        .next_back()
        .ok_or_else(|| {
            Error::new(format!(
                "`{shown}` printed no native-static-libs note: cannot tell which system \
                 libraries libossuary.a needs"
            ))
        })?;
    Ok(ShippedLibrary {
        dir: out_dir(),
        native_static_libs,
    })
}

/// Fails unless the stripped shared library at `so` is under [`SIZE_LIMIT`].
pub(crate) fn check_size(so: &std::path::Path) -> Result {
    let size = std::fs::metadata(so)
        .map(|m| m.len())
        .map_err(|e| Error::new(format!("{}: {e}", so.display())))?;
    println!("{}: {size} bytes (limit {SIZE_LIMIT})", so.display());
    if size < SIZE_LIMIT {
        Ok(())
    } else {
        Err(Error::new(format!(
            "{} is {size} bytes, not under {SIZE_LIMIT}: the shipped C library grew past its \
             size target (docs/C-API.md, \"Size and speed\", lists what was measured and what \
             it costs)",
            so.display()
        )))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_check_refuses_the_limit_and_above() {
        let dir = std::env::temp_dir().join(format!("ossuary-size-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let file = dir.join("libossuary.so");
        let sized = |n: u64| {
            let f = std::fs::File::create(&file).expect("create");
            f.set_len(n).expect("set_len");
            check_size(&file)
        };
        assert!(sized(SIZE_LIMIT - 1).is_ok());
        assert!(sized(SIZE_LIMIT).is_err());
        assert!(sized(SIZE_LIMIT + 1).is_err());
        std::fs::remove_dir_all(&dir).expect("rm");
    }
}
