//! `cargo xtask c-package`: builds the `cargo xtask dist` tarball and uses it as a C
//! user would (issue 11, "What it must show" item 3), a step of `cargo xtask test`:
//!
//! 1. The tarball's `.sha256` and its `SHA256SUMS` verify; it unpacks into a temporary
//!    prefix with the expected files and links; the archive has no debug or bitcode
//!    sections.
//! 2. `bindings/c/examples/` builds against that prefix four ways: the Makefile with
//!    `pkg-config ossuary` (shared) and `pkg-config ossuary-static`, and CMake's
//!    `find_package(ossuary)` with `ossuary::ossuary` and `ossuary::ossuary_static`.
//!    `readelf -d` and `nm` show which library each program really linked.
//! 3. Each build's client talks to its server over loopback (`loopback`): checked data
//!    both ways, Trust-On-First-Use, and for one build every refusal, timeout and
//!    command-line mistake the examples handle.
//!
//! Every process runs under `timeout`; the temporary directory is removed at the end.

mod loopback;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::dist::{self, Dist};
use crate::util::{self, Error, Result};

/// System tools this step needs, as `(executable, Debian packages)`.
pub(crate) const APT_TOOLS: &[(&str, &str)] = &[
    ("cmake", "cmake"),
    ("pkg-config", "pkg-config"),
    ("make", "make"),
    ("cc", "gcc"),
    ("strip", "binutils"),
    ("objdump", "binutils"),
    ("readelf", "binutils"),
    ("nm", "binutils"),
];

/// How one build of the examples links Ossuary.
#[derive(Clone, Copy)]
pub(crate) struct Build {
    /// Its directory under the work directory, and its name in messages.
    pub(crate) name: &'static str,
    /// Linked with `libossuary.a`.
    pub(crate) static_lib: bool,
    /// Built by CMake (otherwise by the Makefile).
    pub(crate) cmake: bool,
}

/// The four builds, in order.
const BUILDS: &[Build] = &[
    Build {
        name: "make-shared",
        static_lib: false,
        cmake: false,
    },
    Build {
        name: "make-static",
        static_lib: true,
        cmake: false,
    },
    Build {
        name: "cmake-shared",
        static_lib: false,
        cmake: true,
    },
    Build {
        name: "cmake-static",
        static_lib: true,
        cmake: true,
    },
];

/// A temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `cargo xtask c-package`.
pub(crate) fn run(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(Error::new(format!("`c-package`: unknown argument `{arg}`")));
    }
    crate::test::ensure_apt(APT_TOOLS)?;
    let start = Instant::now();
    let dist = dist::build()?;
    let built = start.elapsed();
    let work =
        TempDir(std::env::temp_dir().join(format!("ossuary-c-package-{}", std::process::id())));
    std::fs::create_dir_all(&work.0)
        .map_err(|e| Error::new(format!("could not create {}: {e}", work.0.display())))?;
    check(&dist, &work.0)?;
    println!(
        "c-package: ok in {:.1}s ({:.1}s building the tarball)",
        start.elapsed().as_secs_f64(),
        built.as_secs_f64()
    );
    Ok(())
}

/// Unpacks, builds and runs everything in `work`.
fn check(dist: &Dist, work: &Path) -> Result {
    let dist_dir = dist
        .tarball
        .parent()
        .ok_or_else(|| Error::new("the tarball has no directory"))?;
    util::run(
        Command::new("sha256sum")
            .args(["--check", "--strict"])
            .arg(format!("{}.tar.gz.sha256", dist.name))
            .current_dir(dist_dir),
    )?;
    util::run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&dist.tarball)
            .arg("-C")
            .arg(work),
    )?;
    let prefix = work.join(&dist.name);
    util::run(
        Command::new("sha256sum")
            .args(["--check", "--strict", "--quiet", "SHA256SUMS"])
            .current_dir(&prefix),
    )?;
    check_contents(&prefix, dist)?;

    let pc_dir = prefix.join("lib/pkgconfig");
    for module in ["ossuary", "ossuary-static"] {
        let flags = util::output(
            Command::new("pkg-config")
                .args(["--cflags", "--libs", module])
                .env("PKG_CONFIG_PATH", &pc_dir),
        )
        .ok_or_else(|| Error::new(format!("pkg-config --cflags --libs {module} failed")))?;
        println!("pkg-config --cflags --libs {module}: {flags}");
    }
    let examples = util::project_root().join("bindings/c/examples");
    for build in BUILDS {
        let dir = work.join(build.name);
        build_examples(*build, &examples, &prefix, &dir)?;
        for program in ["client", "server", "keygen"] {
            check_linkage(*build, &dir.join(program), &dist.soname)?;
        }
    }
    for (i, build) in BUILDS.iter().enumerate() {
        let lib_path = (!build.static_lib && !build.cmake).then(|| prefix.join("lib"));
        let programs = loopback::Programs::new(*build, &work.join(build.name), lib_path);
        // Every refusal, timeout and usage error once: with the first build.
        loopback::run(&programs, &work.join(format!("run-{}", build.name)), i == 0)?;
    }
    Ok(())
}

/// The files and links the tarball must hold, and the archive's sections.
fn check_contents(prefix: &Path, dist: &Dist) -> Result {
    let version = util::workspace_version()?;
    let so_real = format!("libossuary.so.{version}");
    for file in [
        "include/ossuary.h",
        "lib/libossuary.a",
        &format!("lib/{so_real}"),
        "lib/pkgconfig/ossuary.pc",
        "lib/pkgconfig/ossuary-static.pc",
        "lib/cmake/ossuary/ossuary-config.cmake",
        "lib/cmake/ossuary/ossuary-config-version.cmake",
        "LICENSE",
        "README",
        "SHA256SUMS",
    ] {
        let meta = std::fs::symlink_metadata(prefix.join(file))
            .map_err(|e| Error::new(format!("the tarball has no {file}: {e}")))?;
        if !meta.file_type().is_file() {
            return Err(Error::new(format!("{file} in the tarball is not a file")));
        }
    }
    for (link, target) in [
        (dist.soname.as_str(), so_real.as_str()),
        ("libossuary.so", dist.soname.as_str()),
    ] {
        let found = std::fs::read_link(prefix.join("lib").join(link))
            .map_err(|e| Error::new(format!("lib/{link} in the tarball is not a link: {e}")))?;
        if found != Path::new(target) {
            return Err(Error::new(format!(
                "lib/{link} points to {}, not {target}",
                found.display()
            )));
        }
    }
    dist::check_no_sections(&prefix.join("lib/libossuary.a"))
}

/// Builds the examples into `dir` against the prefix, the way `build` says.
fn build_examples(build: Build, examples: &Path, prefix: &Path, dir: &Path) -> Result {
    println!("==> examples: {}", build.name);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("could not create {}: {e}", dir.display())))?;
    if build.cmake {
        util::run(
            Command::new("cmake")
                .arg("-S")
                .arg(examples)
                .arg("-B")
                .arg(dir)
                .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
                .arg(format!(
                    "-DOSSUARY_EXAMPLES_STATIC={}",
                    if build.static_lib { "ON" } else { "OFF" }
                ))
                .arg("-DCMAKE_BUILD_TYPE=Release"),
        )?;
        return util::run(
            Command::new("cmake")
                .arg("--build")
                .arg(dir)
                .args(["--parallel", "2"]),
        );
    }
    let pc_dir = prefix.join("lib/pkgconfig");
    util::run(
        Command::new("make")
            .arg("-f")
            .arg(examples.join("Makefile"))
            .arg("-j2")
            .arg(format!(
                "OSSUARY_PC={}",
                if build.static_lib {
                    "ossuary-static"
                } else {
                    "ossuary"
                }
            ))
            .current_dir(dir)
            // Only this prefix's modules: nothing installed on the system may stand in.
            .env("PKG_CONFIG_PATH", &pc_dir)
            .env("PKG_CONFIG_LIBDIR", &pc_dir),
    )
}

/// Checks which library `exe` linked: a shared build needs `soname` and defines no
/// `ossuary_*` function; a static one needs no libossuary and defines them.
fn check_linkage(build: Build, exe: &Path, soname: &str) -> Result {
    let dynamic = util::output(Command::new("readelf").arg("-d").arg(exe))
        .ok_or_else(|| Error::new(format!("readelf -d {} failed", exe.display())))?;
    let needed: Vec<&str> = dynamic
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    let symbols = util::output(Command::new("nm").arg(exe))
        .ok_or_else(|| Error::new(format!("nm {} failed", exe.display())))?;
    let defined = symbols
        .lines()
        .filter(|l| {
            let mut words = l.split_whitespace().rev();
            let name = words.next().unwrap_or_default();
            let kind = words.next().unwrap_or_default();
            name.starts_with("ossuary_") && kind == "T"
        })
        .count();
    let shown = format!("{} {}", build.name, exe.display());
    if build.static_lib {
        if let Some(lib) = needed.iter().find(|n| n.contains("libossuary")) {
            return Err(Error::new(format!(
                "{shown}: a static build needs {lib} (readelf -d)"
            )));
        }
        if defined == 0 {
            return Err(Error::new(format!(
                "{shown}: a static build defines no ossuary_* function (nm)"
            )));
        }
    } else {
        if !needed.contains(&soname) {
            return Err(Error::new(format!(
                "{shown}: a shared build does not need {soname} (NEEDED: {})",
                needed.join(", ")
            )));
        }
        if defined != 0 {
            return Err(Error::new(format!(
                "{shown}: a shared build defines {defined} ossuary_* functions itself (nm)"
            )));
        }
    }
    println!(
        "{shown}: NEEDED {}; {defined} ossuary_* functions defined",
        needed.join(", ")
    );
    Ok(())
}
