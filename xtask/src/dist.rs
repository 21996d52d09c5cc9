//! `cargo xtask dist`: the release tarball for C users (issue 11, STYLE rule 22).
//!
//! Writes `dist/ossuary-<version>-<target>.tar.gz`, one directory of that name holding:
//!
//! ```text
//! include/ossuary.h
//! lib/libossuary.a                       debug info and LLVM bitcode stripped
//! lib/libossuary.so.<version>            stripped; soname libossuary.so.<major>
//! lib/libossuary.so.<major> -> libossuary.so.<version>
//! lib/libossuary.so -> libossuary.so.<major>
//! lib/pkgconfig/ossuary.pc               shared; relocatable (${pcfiledir})
//! lib/pkgconfig/ossuary-static.pc        the archive by path, then its native libraries
//! lib/cmake/ossuary/ossuary-config.cmake           ossuary::ossuary, ossuary::ossuary_static
//! lib/cmake/ossuary/ossuary-config-version.cmake
//! LICENSE
//! README
//! SHA256SUMS                             of every other regular file
//! ```
//!
//! and `dist/ossuary-<version>-<target>.tar.gz.sha256` beside it. The templates are in
//! `bindings/c/dist/`. The native libraries the static archive needs come from the same
//! build, as rustc reports them (`--print native-static-libs`), never from a list kept here.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shipped;
use crate::util::{self, Error, Result};

/// The templates, relative to the workspace root.
const TEMPLATES: &str = "bindings/c/dist";

/// A tarball written by [`build`].
pub(crate) struct Dist {
    /// `dist/<name>.tar.gz`.
    pub(crate) tarball: PathBuf,
    /// `ossuary-<version>-<target>`: the tarball's top directory.
    pub(crate) name: String,
    /// The shared library's soname, `libossuary.so.<major>`.
    pub(crate) soname: String,
}

/// `cargo xtask dist`.
pub(crate) fn run(args: &[String]) -> Result {
    if let Some(arg) = args.first() {
        return Err(Error::new(format!("`dist`: unknown argument `{arg}`")));
    }
    let dist = build()?;
    println!("wrote {}", dist.tarball.display());
    Ok(())
}

/// Builds the library and writes the tarball and its checksum file into `dist/`.
pub(crate) fn build() -> Result<Dist> {
    let root = util::project_root();
    crate::headers::check(&util::rustflags())?;
    let lib = shipped::build(&util::rustflags())?;
    let version = util::workspace_version()?;
    let target = host_target()?;
    let pointer_bits = pointer_width()?;
    let name = format!("ossuary-{version}-{target}");
    let mut parts = version.split('.');
    let (major, minor) = match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => (major.to_owned(), minor.to_owned()),
        _ => return Err(Error::new(format!("version `{version}` is not x.y.z"))),
    };
    let soname = format!("libossuary.so.{major}");
    let so_real = format!("libossuary.so.{version}");

    let dist_dir = root.join("dist");
    let stage = dist_dir.join(&name);
    if stage.exists() {
        remove_dir(&stage)?;
    }
    let lib_out = stage.join("lib");
    let pkgconfig = lib_out.join("pkgconfig");
    let cmake = lib_out.join("cmake/ossuary");
    for dir in [&stage.join("include"), &pkgconfig, &cmake] {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("could not create {}: {e}", dir.display())))?;
    }

    // The libraries, stripped, and checked.
    let archive = lib_out.join("libossuary.a");
    util::run(
        Command::new("strip")
            .args(["--strip-debug", "-R", ".llvmbc", "-R", ".llvmcmd", "-o"])
            .arg(&archive)
            .arg(lib.dir.join("libossuary.a")),
    )?;
    check_no_sections(&archive)?;
    let so = lib_out.join(&so_real);
    util::run(
        Command::new("strip")
            .args(["--strip-all", "-o"])
            .arg(&so)
            .arg(lib.dir.join("libossuary.so")),
    )?;
    check_no_sections(&so)?;
    check_stripped(&so)?;
    shipped::check_size(&so)?;
    crate::c_tests::check_shared_library(&so)?;
    check_soname(&so, &soname)?;
    symlink(&so_real, &lib_out.join(&soname))?;
    symlink(&soname, &lib_out.join("libossuary.so"))?;

    copy(
        &root.join(crate::headers::HEADER),
        &stage.join("include/ossuary.h"),
    )?;
    copy(&root.join("LICENSE"), &stage.join("LICENSE"))?;

    // The text files, from their templates.
    let libs_private = lib.native_static_libs.join(" ");
    let cmake_libs = lib
        .native_static_libs
        .iter()
        .map(|arg| arg.strip_prefix("-l").unwrap_or(arg))
        .collect::<Vec<_>>()
        .join(";");
    let pointer_size = (pointer_bits / 8).to_string();
    let pointer_bits = pointer_bits.to_string();
    let vars: &[(&str, &str)] = &[
        ("@VERSION@", &version),
        ("@MAJOR@", &major),
        ("@MINOR@", &minor),
        ("@TARGET@", &target),
        ("@NAME@", &name),
        ("@SONAME@", &soname),
        ("@SO_REAL@", &so_real),
        ("@LIBS_PRIVATE@", &libs_private),
        ("@CMAKE_LINK_LIBS@", &cmake_libs),
        ("@POINTER_SIZE@", &pointer_size),
        ("@POINTER_BITS@", &pointer_bits),
    ];
    for (template, out) in [
        ("ossuary.pc.in", pkgconfig.join("ossuary.pc")),
        ("ossuary-static.pc.in", pkgconfig.join("ossuary-static.pc")),
        (
            "ossuary-config.cmake.in",
            cmake.join("ossuary-config.cmake"),
        ),
        (
            "ossuary-config-version.cmake.in",
            cmake.join("ossuary-config-version.cmake"),
        ),
        ("README.in", stage.join("README")),
    ] {
        let text = util::read_to_string(&root.join(TEMPLATES).join(template))?;
        write(&out, &substitute(&text, vars)?)?;
    }

    write_checksums(&stage)?;
    let tarball = dist_dir.join(format!("{name}.tar.gz"));
    util::run(
        Command::new("tar")
            .args([
                "--sort=name",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
                "--mode=u+rwX,go+rX,go-w",
            ])
            .arg(format!("--mtime=@{}", source_date()))
            .arg("-czf")
            .arg(&tarball)
            .arg("-C")
            .arg(&dist_dir)
            .arg(&name),
    )?;
    remove_dir(&stage)?;
    let sums = util::output(
        Command::new("sha256sum")
            .arg(format!("{name}.tar.gz"))
            .current_dir(&dist_dir),
    )
    .ok_or_else(|| Error::new("sha256sum of the tarball failed"))?;
    write(
        &dist_dir.join(format!("{name}.tar.gz.sha256")),
        &format!("{sums}\n"),
    )?;
    let size = std::fs::metadata(&tarball).map_or(0, |m| m.len());
    println!("{}: {size} bytes", tarball.display());
    Ok(Dist {
        tarball,
        name,
        soname,
    })
}

/// Replaces each `@NAME@` of `vars` in `text`; fails on any left over.
fn substitute(text: &str, vars: &[(&str, &str)]) -> Result<String> {
    let mut out = text.to_owned();
    for (from, to) in vars {
        out = out.replace(from, to);
    }
    if let Some(line) = out.lines().find(|l| {
        l.split('@')
            .skip(1)
            .step_by(2)
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    }) {
        return Err(Error::new(format!(
            "a template placeholder has no value: {line}"
        )));
    }
    Ok(out)
}

/// Fails if the object or archive at `path` has a debug section or embedded LLVM
/// bitcode (`.llvmbc`, `.llvmcmd`), as `objdump -h` lists its sections.
pub(crate) fn check_no_sections(path: &Path) -> Result {
    let listing = util::output(Command::new("objdump").arg("-h").arg(path))
        .ok_or_else(|| Error::new(format!("objdump -h {} failed", path.display())))?;
    let found = unwanted_sections(&listing);
    if found.is_empty() {
        println!(
            "{}: no debug or LLVM bitcode sections",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        );
        return Ok(());
    }
    Err(Error::new(format!(
        "{} still has sections {}",
        path.display(),
        found.join(", ")
    )))
}

/// The debug and bitcode sections named in `objdump -h` output, sorted, once each.
fn unwanted_sections(listing: &str) -> Vec<&str> {
    let mut found: Vec<&str> = listing
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            // Section lines start with their index: `  12 .text ...`.
            words.next()?.parse::<u32>().ok()?;
            words.next()
        })
        .filter(|name| {
            name.starts_with(".debug")
                || name.starts_with(".zdebug")
                || *name == ".llvmbc"
                || *name == ".llvmcmd"
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Fails unless the shared library has no symbol table beyond the dynamic one.
fn check_stripped(so: &Path) -> Result {
    let sections = util::output(Command::new("readelf").args(["-S", "-W"]).arg(so))
        .ok_or_else(|| Error::new(format!("readelf -S {} failed", so.display())))?;
    if sections.contains(" .symtab ") {
        return Err(Error::new(format!("{} is not stripped", so.display())));
    }
    Ok(())
}

/// Fails unless the shared library's soname is `soname`.
fn check_soname(so: &Path, soname: &str) -> Result {
    let dynamic = util::output(Command::new("readelf").arg("-d").arg(so))
        .ok_or_else(|| Error::new(format!("readelf -d {} failed", so.display())))?;
    if dynamic
        .lines()
        .any(|l| l.contains("(SONAME)") && l.contains(&format!("[{soname}]")))
    {
        Ok(())
    } else {
        Err(Error::new(format!(
            "{} does not have soname {soname}",
            so.display()
        )))
    }
}

/// Writes `SHA256SUMS` in `dir`: `sha256sum` lines for every regular file below it,
/// by relative path, sorted (so `sha256sum -c SHA256SUMS` checks them there).
fn write_checksums(dir: &Path) -> Result {
    let mut files = Vec::new();
    regular_files(dir, dir, &mut files)?;
    files.sort();
    let sums = util::output(Command::new("sha256sum").args(&files).current_dir(dir))
        .ok_or_else(|| Error::new("sha256sum failed"))?;
    write(&dir.join("SHA256SUMS"), &format!("{sums}\n"))
}

/// The regular files below `dir` (not symbolic links), relative to `base`.
fn regular_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("could not list {}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(format!("{}: {e}", dir.display())))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
        if kind.is_dir() {
            regular_files(base, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(base).unwrap_or(&path);
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

/// The host's target triple (`rustc -vV`).
fn host_target() -> Result<String> {
    let info = util::output(Command::new(rustc()).arg("-vV"))
        .ok_or_else(|| Error::new("`rustc -vV` failed"))?;
    info.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Error::new("`rustc -vV` names no host"))
}

/// The target's pointer width in bits (`rustc --print cfg`).
fn pointer_width() -> Result<u32> {
    let cfg = util::output(Command::new(rustc()).args(["--print", "cfg"]))
        .ok_or_else(|| Error::new("`rustc --print cfg` failed"))?;
    cfg.lines()
        .find_map(|l| l.strip_prefix("target_pointer_width=\""))
        .and_then(|w| w.trim_end_matches('"').parse().ok())
        .ok_or_else(|| Error::new("`rustc --print cfg` names no target_pointer_width"))
}

/// `$RUSTC`, or `rustc`.
fn rustc() -> std::ffi::OsString {
    std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())
}

/// The files' modification time: `$SOURCE_DATE_EPOCH`, else the last commit's time,
/// else 0, so that the same tree gives the same tarball.
fn source_date() -> u64 {
    if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return epoch;
    }
    util::output(
        Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(util::project_root()),
    )
    .and_then(|s| s.parse().ok())
    .unwrap_or(0)
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to).map(drop).map_err(|e| {
        Error::new(format!(
            "could not copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    })
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text)
        .map_err(|e| Error::new(format!("could not write {}: {e}", path.display())))
}

fn symlink(target: &str, link: &Path) -> Result {
    std::os::unix::fs::symlink(target, link)
        .map_err(|e| Error::new(format!("could not create {}: {e}", link.display())))
}

fn remove_dir(dir: &Path) -> Result {
    std::fs::remove_dir_all(dir)
        .map_err(|e| Error::new(format!("could not remove {}: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::{substitute, unwanted_sections};

    #[test]
    fn finds_debug_and_bitcode_sections_by_name_only() {
        let listing = "\
In archive libossuary.a:

a.o:     file format elf64-x86-64

Sections:
Idx Name          Size      VMA               LMA               File off  Algn
  0 .text.escape_debug 000000e0  0000000000000000  0000000000000000  00003720  2**4
                  CONTENTS, ALLOC, LOAD, READONLY, CODE
  1 .debug_info   00000010  0000000000000000  0000000000000000  00000040  2**0
  2 .llvmbc       00000010  0000000000000000  0000000000000000  00000040  2**0
  3 .llvmcmd      00000010  0000000000000000  0000000000000000  00000040  2**0

b.o:     file format elf64-x86-64
  0 .zdebug_line  00000010  0000000000000000  0000000000000000  00000040  2**0
  1 .debug_info   00000010  0000000000000000  0000000000000000  00000040  2**0
";
        assert_eq!(
            unwanted_sections(listing),
            [".debug_info", ".llvmbc", ".llvmcmd", ".zdebug_line"]
        );
        assert!(unwanted_sections("  0 .text.escape_debug 000000e0\n").is_empty());
    }

    #[test]
    fn substitutes_and_refuses_leftover_placeholders() -> crate::util::Result {
        let vars = [("@VERSION@", "0.1.0")];
        assert_eq!(
            substitute("Version: @VERSION@\n${prefix}/lib\n", &vars)?,
            "Version: 0.1.0\n${prefix}/lib\n"
        );
        assert!(substitute("Libs: @LIBS_PRIVATE@\n", &vars).is_err());
        Ok(())
    }
}
