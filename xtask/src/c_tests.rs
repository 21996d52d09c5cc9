//! The C library's checks, a step of `cargo xtask test` (issue 11):
//!
//! 1. `bindings/c/include/ossuary.h` is up to date (`cargo xtask headers --check`).
//! 2. `libossuary.so` has soname `libossuary.so.<major>` (`readelf -d`) and
//!    exports only `ossuary_*` symbols (`nm -D --defined-only`).
//! 3. `bindings/c/tests/test_ossuary.c` and `original_example.c` (written
//!    against the original header), compiled with `-Wall -Wextra -Werror`,
//!    pass against the static and against the shared library, built with
//!    `clang -fsanitize=address,undefined`, and once more under
//!    `valgrind --leak-check=full --error-exitcode=1`. They are compiled
//!    with the version of `[workspace.package]` in `Cargo.toml` as
//!    `-DOSSUARY_TEST_VERSION="x.y.z"` and `-DOSSUARY_TEST_VERSION_MAJOR=x`
//!    (`_MINOR`, `_PATCH`), for `test_ossuary.c` to compare with the
//!    header's `OSSUARY_VERSION_*` and with `ossuary_version()`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Error, Result};

/// The C programs, relative to the workspace root.
const PROGRAMS: &[&str] = &[
    "bindings/c/tests/test_ossuary.c",
    "bindings/c/tests/original_example.c",
];

/// Native libraries the static library needs on Linux.
const STATIC_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

/// Runs the checks, building with `rustflags` (the other steps' `RUSTFLAGS`,
/// so that their artifacts are reused).
pub(crate) fn run(rustflags: &str) -> Result {
    crate::headers::check(rustflags)?;
    let mut cargo = Command::new(util::cargo());
    cargo
        .current_dir(util::project_root())
        .env("RUSTFLAGS", rustflags);
    util::run(cargo.args(["build", "--locked", "-p", "ossuary-ffi"]))?;
    let root = util::project_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("debug");
    let work = std::env::temp_dir().join(format!("ossuary-c-tests-{}", std::process::id()));
    let result = run_in(&root, &target, &work);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn run_in(root: &Path, target: &Path, work: &Path) -> Result {
    let lib_dir = work.join("lib");
    std::fs::create_dir_all(&lib_dir).map_err(|e| Error::new(format!("mkdir: {e}")))?;
    let so = target.join("libossuary.so");
    check_shared_library(&so)?;
    // The soname, and the development link, as a package installs them.
    let version = Version::of_workspace(root)?;
    let soname = format!("libossuary.so.{}", version.major);
    std::fs::copy(&so, lib_dir.join(&soname))
        .map_err(|e| Error::new(format!("could not copy {}: {e}", so.display())))?;
    std::os::unix::fs::symlink(&soname, lib_dir.join("libossuary.so"))
        .map_err(|e| Error::new(format!("symlink: {e}")))?;
    let include = root.join("bindings/c/include");
    let sanitize = [
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=all",
        "-fno-omit-frame-pointer",
        "-g",
    ];
    for program in PROGRAMS {
        let src = root.join(program);
        let stem = Path::new(program)
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        // Static library, sanitizers.
        let exe = work.join(format!("{stem}-static-asan"));
        util::run(
            compiler("clang", &include, &src, &exe, &version)
                .args(sanitize)
                .arg(target.join("libossuary.a"))
                .args(STATIC_LIBS),
        )?;
        run_test(Command::new(&exe))?;
        // Shared library, sanitizers.
        let exe = work.join(format!("{stem}-shared-asan"));
        util::run(
            compiler("clang", &include, &src, &exe, &version)
                .args(sanitize)
                .arg(format!("-L{}", lib_dir.display()))
                .arg("-lossuary")
                .arg(format!("-Wl,-rpath,{}", lib_dir.display())),
        )?;
        run_test(Command::new(&exe))?;
        // Static library under valgrind: zero errors, zero leaks.
        let exe = work.join(format!("{stem}-valgrind"));
        util::run(
            compiler("cc", &include, &src, &exe, &version)
                .arg("-g")
                .arg(target.join("libossuary.a"))
                .args(STATIC_LIBS),
        )?;
        let mut vg = Command::new("valgrind");
        vg.args([
            "--quiet",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=1",
        ])
        .arg(&exe);
        run_test(vg)?;
    }
    Ok(())
}

/// A compiler command with the warnings every C user may turn on, and the
/// expected version as macros.
fn compiler(cc: &str, include: &Path, src: &Path, exe: &Path, version: &Version) -> Command {
    let mut cmd = Command::new(cc);
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
        .args(version.defines())
        .arg(format!("-I{}", include.display()))
        .arg(src)
        .arg("-o")
        .arg(exe);
    cmd
}

/// Runs a test program; it prints its own summary.
fn run_test(mut cmd: Command) -> Result {
    util::run(cmd.env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0"))
}

/// The soname and the exported symbols of the shared library.
fn check_shared_library(so: &Path) -> Result {
    let dynamic = util::output(Command::new("readelf").arg("-d").arg(so))
        .ok_or_else(|| Error::new(format!("readelf -d {} failed", so.display())))?;
    let soname = dynamic
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .ok_or_else(|| Error::new("libossuary.so has no soname"))?;
    if !soname.contains("[libossuary.so.") {
        return Err(Error::new(format!("unexpected soname: {soname}")));
    }
    let symbols = util::output(Command::new("nm").args(["-D", "--defined-only"]).arg(so))
        .ok_or_else(|| Error::new(format!("nm -D {} failed", so.display())))?;
    let foreign: Vec<&str> = symbols
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|name| !name.starts_with("ossuary_"))
        .collect();
    if !foreign.is_empty() {
        return Err(Error::new(format!(
            "libossuary.so exports symbols without the ossuary_ prefix: {}",
            foreign.join(", ")
        )));
    }
    let count = symbols.lines().count();
    println!(
        "libossuary.so: {soname_}, {count} symbols, all ossuary_*",
        soname_ = soname.trim()
    );
    Ok(())
}

/// The version of `[workspace.package]`: `x.y.z`, three decimal numbers.
#[derive(Debug, PartialEq)]
struct Version {
    major: u32,
    minor: u32,
    patch: u32,
}

impl Version {
    /// The version in the workspace's `Cargo.toml`.
    fn of_workspace(root: &Path) -> Result<Self> {
        Self::from_manifest(&util::read_to_string(&root.join("Cargo.toml"))?)
    }

    /// The `version` of the `[workspace.package]` table of `manifest`.
    fn from_manifest(manifest: &str) -> Result<Self> {
        let text = manifest
            .lines()
            .skip_while(|l| l.trim() != "[workspace.package]")
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .find_map(|l| {
                let (key, value) = l.split_once('=')?;
                (key.trim() == "version").then(|| value.trim().trim_matches('"'))
            })
            .ok_or_else(|| Error::new("no version in [workspace.package]"))?;
        let numbers: Vec<u32> = text
            .split('.')
            .map(|n| n.parse::<u32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::new(format!("version `{text}` is not x.y.z")))?;
        match numbers[..] {
            [major, minor, patch] => Ok(Self {
                major,
                minor,
                patch,
            }),
            _ => Err(Error::new(format!("version `{text}` is not x.y.z"))),
        }
    }

    /// The `-D` flags `test_ossuary.c` reads.
    fn defines(&self) -> [String; 4] {
        let Self {
            major,
            minor,
            patch,
        } = self;
        [
            format!("-DOSSUARY_TEST_VERSION=\"{major}.{minor}.{patch}\""),
            format!("-DOSSUARY_TEST_VERSION_MAJOR={major}"),
            format!("-DOSSUARY_TEST_VERSION_MINOR={minor}"),
            format!("-DOSSUARY_TEST_VERSION_PATCH={patch}"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn reads_the_workspace_version() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2024\"\n\
                        version = \"12.3.45\"\n\n[package]\nversion = \"9.9.9\"\n";
        let v = Version::from_manifest(manifest).map_err(|e| e.to_string());
        assert_eq!(
            v,
            Ok(Version {
                major: 12,
                minor: 3,
                patch: 45
            })
        );
        assert_eq!(
            v.map(|v| v.defines()).ok().map(|d| d[0].clone()),
            Some("-DOSSUARY_TEST_VERSION=\"12.3.45\"".to_owned())
        );
        let other_table =
            "[workspace.package]\nedition = \"2024\"\n[package]\nversion = \"1.2.3\"\n";
        assert!(Version::from_manifest(other_table).is_err());
        assert!(Version::from_manifest("[workspace.package]\nversion = \"1.2\"\n").is_err());
        assert!(Version::from_manifest("[workspace.package]\nversion = \"1.x.3\"\n").is_err());
    }
}
