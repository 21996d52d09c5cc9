//! `cargo xtask bench [--quick]`: builds `crates/ossuary-bench` in release mode and runs it,
//! then the C library's figures as it ships (`shipped.rs`): records through the C API
//! against the Rust API (`crates/ossuary-ffi/benches/c_api.rs`, same process, same build)
//! and the stripped size of `libossuary.so`.
//!
//! The benchmarks print markdown tables (figures, ratios, the issues' targets) on stdout and
//! their progress on stderr. They report; they never fail on a number, only when they cannot
//! measure. xtask does not depend on our crates: it drives the benchmarks through cargo.

use std::process::Command;

use crate::shipped;
use crate::util::{self, Result};

/// The benchmark binary's package.
const PACKAGE: &str = "ossuary-bench";

/// AEAD backends ossuary-crypto may be built with, as `(crate, --aead name)`; when none of
/// them is a direct dependency of ossuary-crypto in the benchmark's build, it uses the
/// pure-Rust `chacha20poly1305`.
const BACKENDS: &[(&str, &str)] = &[("ring", "ring"), ("aws-lc-rs", "aws-lc-rs")];

/// Runs the benchmarks. Arguments are passed on (`--quick`, `--rounds N`, `--wall-clock`;
/// the C API benchmark takes the first two); `--aead` is added from the build's dependency
/// graph unless given.
pub(crate) fn run(args: &[String]) -> Result {
    // The RUSTFLAGS of `cargo xtask test` and `cargo xtask dist`, so their builds are reused.
    run_with(args, &util::rustflags())
}

/// [`run`], with `extra_rustflags` (such as `-D warnings`) added to every build's.
pub(crate) fn run_with(args: &[String], extra_rustflags: &str) -> Result {
    let mut main = command(args);
    if !extra_rustflags.is_empty() {
        main.env("RUSTFLAGS", extra_rustflags);
    }
    util::run(&mut main)?;
    c_library(args, extra_rustflags)
}

/// The shipped C library's figures: the C API benchmark, then the stripped size.
fn c_library(args: &[String], extra_rustflags: &str) -> Result {
    let mut passed = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => passed.push(arg.clone()),
            "--rounds" => {
                passed.push(arg.clone());
                passed.extend(it.next().cloned());
            }
            _ => {}
        }
    }
    util::run(
        shipped::configure(&mut Command::new(util::cargo()), extra_rustflags)
            .args(["bench", "--locked", "--profile", shipped::PROFILE])
            .args(["-p", "ossuary-ffi", "--bench", "c_api", "--"])
            .args(&passed)
            .current_dir(util::project_root()),
    )?;
    let size = shipped::stripped_so_size(&shipped::build(extra_rustflags)?.dir)?;
    let verdict = if size < shipped::SIZE_LIMIT {
        "met"
    } else {
        "**not met**"
    };
    println!(
        "| Shipped libossuary.so, stripped (profile `{}`) | {size} | — | bytes | target < {}: {verdict} |",
        shipped::PROFILE,
        shipped::SIZE_LIMIT
    );
    Ok(())
}

/// The `cargo run` command that builds and runs the benchmark with `args`.
fn command(args: &[String]) -> Command {
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
