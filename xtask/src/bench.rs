//! `cargo xtask bench [--quick]`: builds `crates/ossuary-bench` in release mode and runs it.
//!
//! The benchmark prints one markdown table (figures, ratios, the performance issue's targets)
//! on stdout and its progress on stderr. It reports; it never fails on a number, only when it
//! cannot measure. xtask does not depend on our crates: it drives the benchmark through cargo.

use std::process::Command;

use crate::util::{self, Result};

/// The benchmark binary's package.
const PACKAGE: &str = "ossuary-bench";

/// AEAD backends ossuary-crypto may be built with, as `(crate, --aead name)`; when none of
/// them is a direct dependency of ossuary-crypto in the benchmark's build, it uses the
/// pure-Rust `chacha20poly1305`.
const BACKENDS: &[(&str, &str)] = &[("ring", "ring"), ("aws-lc-rs", "aws-lc-rs")];

/// Runs the benchmark. Arguments are passed on to it (`--quick`, `--rounds N`,
/// `--wall-clock`); `--aead` is added from the build's dependency graph unless given.
pub(crate) fn run(args: &[String]) -> Result {
    util::run(&mut command(args))
}

/// The `cargo run` command that builds and runs the benchmark with `args`.
pub(crate) fn command(args: &[String]) -> Command {
    let mut cmd = Command::new(util::cargo());
    cmd.args(["run", "--locked", "--release", "-p", PACKAGE, "--"])
        .args(args)
        .current_dir(util::project_root());
    if !args.iter().any(|a| a == "--aead") {
        let backend = aead_backend();
        println!("bench: ossuary-crypto's AEAD backend in this build: {backend}");
        cmd.args(["--aead", backend]);
    }
    cmd
}

/// Which AEAD backend ossuary-crypto is built with for the benchmark: the backend crate that
/// `cargo tree` shows as a direct dependency of ossuary-crypto, with the features the
/// benchmark build resolves.
fn aead_backend() -> &'static str {
    for (krate, name) in BACKENDS {
        let tree = util::output(
            Command::new(util::cargo())
                .args(["tree", "--locked", "-p", PACKAGE, "-e", "normal"])
                .args(["--depth", "1", "--prefix", "none", "-i", krate])
                .current_dir(util::project_root()),
        );
        if tree.is_some_and(|t| t.lines().any(|l| l.starts_with("ossuary-crypto "))) {
            return name;
        }
    }
    "rustcrypto"
}
