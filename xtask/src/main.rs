//! Ossuary's build tasks, run as `cargo xtask <command>` (the rust-analyzer xtask pattern).
//!
//! The alias lives in `.cargo/config.toml`. xtask has no dependencies and drives cargo
//! through `$CARGO`.
#![forbid(unsafe_code)]

mod bench;
mod bench_cli;
mod c_package;
mod c_tests;
mod dist;
mod fuzz;
mod headers;
mod shipped;
mod test;
mod tidy;
mod util;

use std::process::ExitCode;

/// Printed by `cargo xtask help` and on a usage error.
const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  test [--quick]  run every check CI runs: fmt, clippy, tests, no_std build, docs, tidy,
                  the C library's tests (sanitizers, valgrind), the C package, the demo, fuzzing, bench --quick (--quick skips clippy, doc and the
                  release-mode steps)
  bench [--quick] build crates/ossuary-bench in release mode and print its markdown table:
                  records, handshakes, memory and wire bytes against the raw primitives,
                  snow and rustls; then records through the C API against the Rust API
                  and the size of libossuary.so, both as the library ships
                  (--quick: under two minutes after the build)
  bench-cli [--quick]
                  the `ossuary tunnel` pair against a spiped pair (installed with apt if
                  missing) and plain TCP over loopback: throughput and connection set-up
                  rate (docs/PERFORMANCE.md, section on the ossuary command)
  fuzz [--seconds N] [--target T]... [--sanitizer none|address] [--runs R]
                  build every fuzz target in fuzz/ (installing cargo-fuzz if missing) and
                  run each for N seconds (default 60); fails on any crash (docs/FUZZING.md)
  c-tests         the C library's step of `test`: header check, soname and exports,
                  C tests against libossuary.a and .so with ASan/UBSan, and under valgrind
  dist            build the release tarball for C users: dist/ossuary-<version>-<target>.tar.gz
                  (libossuary.a and .so, ossuary.h, pkg-config and CMake files, README,
                  LICENSE, SHA256SUMS)
  c-package       the C package's step of `test`: build the dist tarball, unpack it, build
                  bindings/c/examples against it with pkg-config (shared and static) and
                  CMake (both targets), check what each linked, run client against server
  headers [--check]
                  write bindings/c/include/ossuary.h from crates/ossuary-ffi
                  (--check: fail if the committed header differs)
  tidy            check the dependency table (STYLE rule 1), that unsafe_code is used only
                  in ossuary-ffi, `#![forbid(unsafe_code)]` in the other crate roots,
                  leftover dbg!/todo!/unimplemented! in crates/*/src, no crate
                  dev-depending on itself, and no two modules of a library crate
                  importing each other
  help            print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((cmd, rest)) => (cmd.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "test" => test::run(rest),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "bench-cli" => bench_cli::run(rest),
        "headers" => headers::run(rest),
        "dist" => dist::run(rest),
        "c-package" => c_package::run(rest),
        "c-tests" if rest.is_empty() => c_tests::run("-D warnings"),
        "c-tests" => Err(util::Error::new("`c-tests` takes no arguments")),
        "tidy" if rest.is_empty() => tidy::run(),
        "tidy" => Err(util::Error::new("`tidy` takes no arguments")),
        other => {
            eprint!("error: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
