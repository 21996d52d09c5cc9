//! `cargo xtask headers [--check]`: writes `bindings/c/include/ossuary.h` from
//! the Rust definitions in `crates/ossuary-ffi` (safer-ffi's `headers`
//! feature, run through cargo: xtask depends on none of our crates), or, with
//! `--check`, fails when the committed header differs (STYLE rule 22).
//!
//! safer-ffi 0.1 names every C type `<RustName>_t`. The header is then
//! post-processed by one rename table, so that C sees the original
//! libossuary's type names: `OssuaryConnection` (not `OssuaryConnection_t`),
//! `ossuary_conn_type_t` and `ossuary_error_t` (the Rust enums are named
//! `OssuaryConnType` and `OssuaryErr` so that safer-ffi derives the exact
//! constant names, `OSSUARY_CONN_TYPE_CLIENT`, `OSSUARY_ERR_OTHER`, ...).

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, Error, Result};

/// Where the header lives, relative to the workspace root.
pub(crate) const HEADER: &str = "bindings/c/include/ossuary.h";

/// safer-ffi's type names and the names C programs use.
const RENAMES: &[(&str, &str)] = &[
    ("OssuaryConnection_t", "OssuaryConnection"),
    ("OssuaryConnType_t", "ossuary_conn_type_t"),
    ("OssuaryErr_t", "ossuary_error_t"),
];

/// Runs the command.
pub(crate) fn run(args: &[String]) -> Result {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err(Error::new("usage: cargo xtask headers [--check]")),
    };
    let root = util::project_root();
    let generated = generate(None)?;
    let path = root.join(HEADER);
    if check {
        let committed = util::read_to_string(&path)?;
        if committed != generated {
            return Err(Error::new(format!(
                "{HEADER} is out of date: run `cargo xtask headers` and commit the result"
            )));
        }
        println!("headers: {HEADER} is up to date");
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("could not create {}: {e}", dir.display())))?;
    }
    std::fs::write(&path, generated)
        .map_err(|e| Error::new(format!("could not write {}: {e}", path.display())))?;
    println!("headers: wrote {HEADER}");
    Ok(())
}

/// Fails when the committed header differs from the generated one; builds with
/// `rustflags` (the test steps' `RUSTFLAGS`, so that nothing is rebuilt).
pub(crate) fn check(rustflags: &str) -> Result {
    let generated = generate(Some(rustflags))?;
    let committed = util::read_to_string(&util::project_root().join(HEADER))?;
    if committed != generated {
        return Err(Error::new(format!(
            "{HEADER} is out of date: run `cargo xtask headers` and commit the result"
        )));
    }
    println!("headers: {HEADER} is up to date");
    Ok(())
}

/// The header as it should be committed.
fn generate(rustflags: Option<&str>) -> Result<String> {
    let out = temp_path();
    let mut cmd = Command::new(util::cargo());
    if let Some(flags) = rustflags {
        cmd.env("RUSTFLAGS", flags);
    }
    let result = util::run(
        cmd.args([
            "run",
            "--locked",
            "--quiet",
            "-p",
            "ossuary-ffi",
            "--features",
            "headers",
            "--bin",
            "ossuary-ffi-headers",
            "--",
        ])
        .arg(&out)
        .current_dir(util::project_root()),
    )
    .and_then(|()| util::read_to_string(&out));
    let _ = std::fs::remove_file(&out);
    Ok(post_process(&result?))
}

/// Applies [`RENAMES`] to whole identifiers.
fn post_process(text: &str) -> String {
    let mut out = text.to_owned();
    for (from, to) in RENAMES {
        out = replace_ident(&out, from, to);
    }
    out
}

/// Replaces `from` where it is a whole C identifier.
fn replace_ident(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back().or(out.chars().next_back());
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_ident) || after.is_some_and(is_ident) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// A fresh file name in the temporary directory.
fn temp_path() -> PathBuf {
    std::env::temp_dir().join(format!("ossuary-header-{}.h", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_whole_identifiers_only() {
        let text = "typedef struct OssuaryConnection OssuaryConnection_t;\n\
                    OssuaryConnection_t * c; XOssuaryErr_t y; OssuaryErr_t;";
        assert_eq!(
            post_process(text),
            "typedef struct OssuaryConnection OssuaryConnection;\n\
             OssuaryConnection * c; XOssuaryErr_t y; ossuary_error_t;"
        );
    }
}
