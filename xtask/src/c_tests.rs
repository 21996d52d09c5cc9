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
    let version = util::Version::of_workspace(root)?;
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
fn compiler(cc: &str, include: &Path, src: &Path, exe: &Path, version: &util::Version) -> Command {
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
pub(crate) fn check_shared_library(so: &Path) -> Result {
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
