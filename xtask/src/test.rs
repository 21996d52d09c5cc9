//! `cargo xtask test [--quick]`: the project's one test command, used by the README and CI.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Instant;

use crate::util::{self, Error, Result, rustflags};
use crate::{bench, tidy};

/// System tools the tests need, as `(executable, Debian packages)`. Installed with apt when
/// missing and running as root. clang comes with its sanitizer runtime (ASan, UBSan).
const APT_TOOLS: &[(&str, &str)] = &[
    ("clang", "clang libclang-rt-dev"),
    ("valgrind", "valgrind"),
    ("cc", "gcc"),
    ("nm", "binutils"),
    ("readelf", "binutils"),
    // The C package step (`cargo xtask c-package`) builds the examples with these.
    ("cmake", "cmake"),
    ("pkg-config", "pkg-config"),
    ("make", "make"),
    ("objdump", "binutils"),
    ("strip", "binutils"),
    // The `ossuary tunnel` test carries an unmodified HTTP server and client.
    ("python3", "python3"),
    ("curl", "curl"),
    // ... and answers the first-use question on a pseudo-terminal.
    ("script", "bsdutils"),
];

/// What a step does.
enum Action {
    /// Check and install system tools and cargo components.
    Tools,
    /// Run cargo with these arguments.
    Cargo(&'static [&'static str]),
    /// Run cargo with these arguments and `RUSTDOCFLAGS=-D warnings`.
    CargoDoc(&'static [&'static str]),
    /// `cargo publish` with these arguments, after removing cargo's stale
    /// copies of our own packages (see [`forget_packaged_sources`]).
    Publish(&'static [&'static str]),
    /// Run `cargo xtask tidy` in process.
    Tidy,
    /// The C library: header check, exports, C tests under sanitizers and valgrind.
    CTests,
    /// The dist tarball as C users get it (`cargo xtask c-package`).
    CPackage,
    /// Check docs/vectors with the independent Python implementation.
    PythonVectors,
    /// Run `cargo xtask bench` with these arguments (it reports; numbers never fail it).
    Bench(&'static [&'static str]),
    /// Build every fuzz target and run each for this many seconds (`cargo xtask fuzz`).
    Fuzz(u64),
}

/// One named step of the test run.
struct Step {
    /// The header printed as `==> name`.
    name: &'static str,
    /// Skipped by `--quick`.
    slow: bool,
    /// What to run.
    action: Action,
}

/// Every step, in order.
const STEPS: &[Step] = &[
    Step {
        name: "system tools",
        slow: false,
        action: Action::Tools,
    },
    Step {
        name: "fmt",
        slow: false,
        action: Action::Cargo(&["fmt", "--all", "--check"]),
    },
    Step {
        name: "clippy",
        slow: true,
        action: Action::Cargo(&[
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]),
    },
    Step {
        name: "clippy (default features)",
        slow: true,
        action: Action::Cargo(&[
            "clippy",
            "--locked",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    },
    Step {
        name: "test (default features)",
        slow: false,
        action: Action::Cargo(&["test", "--locked", "--workspace"]),
    },
    Step {
        // Each library alone, with its production features and nothing a
        // workspace-wide build could unify in (issue 9).
        name: "test (ossuary-core alone, default features)",
        slow: false,
        action: Action::Cargo(&["test", "--locked", "-p", "ossuary-core"]),
    },
    Step {
        name: "test (all features)",
        slow: false,
        action: Action::Cargo(&["test", "--locked", "--workspace", "--all-features"]),
    },
    Step {
        name: "no_std build",
        slow: false,
        action: Action::Cargo(&[
            "build",
            "--locked",
            "--no-default-features",
            "-p",
            "ossuary-wire",
            "-p",
            "ossuary-crypto",
            "-p",
            "ossuary-handshake",
        ]),
    },
    Step {
        name: "no-default-features test",
        slow: false,
        action: Action::Cargo(&[
            "test",
            "--locked",
            "--no-default-features",
            "-p",
            "ossuary-wire",
            "-p",
            "ossuary-crypto",
        ]),
    },
    Step {
        name: "doc",
        slow: true,
        action: Action::CargoDoc(&["doc", "--locked", "--workspace", "--no-deps"]),
    },
    Step {
        // Issue 12: every library crate packages, with its metadata, and builds from its
        // package alone (publish = false crates are left out). --allow-dirty: a local run
        // with uncommitted changes checks them too; CI runs on a clean clone.
        name: "publish dry run (every library crate packaged and built alone)",
        slow: true,
        action: Action::Publish(&[
            "publish",
            "--locked",
            "--workspace",
            "--dry-run",
            "--allow-dirty",
        ]),
    },
    Step {
        name: "tidy",
        slow: false,
        action: Action::Tidy,
    },
    Step {
        name: "C library (header check, exports, C tests with ASan/UBSan and valgrind)",
        slow: false,
        action: Action::CTests,
    },
    Step {
        // A release build: skipped by --quick, like the other release-mode steps.
        name: "C package (dist tarball; examples via pkg-config and CMake, shared and static, over loopback)",
        slow: true,
        action: Action::CPackage,
    },
    Step {
        name: "vectors (independent Python checker)",
        slow: false,
        action: Action::PythonVectors,
    },
    Step {
        name: "demo (the README's main command)",
        slow: true,
        action: Action::Cargo(&[
            "run",
            "--locked",
            "--release",
            "-p",
            "ossuary-cli",
            "--",
            "demo",
        ]),
    },
    Step {
        // STYLE rule 19 and issue 4: every target, at least 30 s each (about 5 min in all
        // with the build on 2 cores).
        name: "fuzz (30 s per target, cargo xtask fuzz)",
        slow: true,
        action: Action::Fuzz(30),
    },
    Step {
        name: "bench --quick (reports; never fails on numbers)",
        slow: true,
        action: Action::Bench(&["--quick"]),
    },
];

/// Runs the steps in order, stopping at the first failure, and prints a summary line.
pub(crate) fn run(args: &[String]) -> Result {
    let mut quick = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            other => return Err(Error::new(format!("`test`: unknown argument `{other}`"))),
        }
    }

    let start = Instant::now();
    let mut passed = 0;
    let mut skipped = Vec::new();
    for step in STEPS {
        if quick && step.slow {
            skipped.push(step.name);
            continue;
        }
        println!("==> {}", step.name);
        if let Err(e) = run_step(&step.action, quick) {
            println!(
                "==> FAILED at step `{}` after {:.1}s ({passed} step(s) passed)",
                step.name,
                start.elapsed().as_secs_f64()
            );
            println!("steps: {passed} passed, 1 failed");
            return Err(Error::new(format!("step `{}` failed: {e}", step.name)));
        }
        passed += 1;
    }
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!(", skipped with --quick: {}", skipped.join(", "))
    };
    println!(
        "==> ok: {passed} step(s) passed in {:.1}s{skipped}",
        start.elapsed().as_secs_f64()
    );
    println!("steps: {passed} passed, 0 failed");
    Ok(())
}

/// Runs one step's action.
fn run_step(action: &Action, quick: bool) -> Result {
    match action {
        Action::Tools => {
            ensure_apt(APT_TOOLS)?;
            ensure_cargo_component("fmt", "rustfmt")?;
            if !quick {
                ensure_cargo_component("clippy", "clippy")?;
            }
            Ok(())
        }
        Action::Cargo(args) => util::run(&mut cargo(args)),
        Action::CargoDoc(args) => util::run(cargo(args).env("RUSTDOCFLAGS", "-D warnings")),
        Action::Publish(args) => {
            forget_packaged_sources()?;
            util::run(&mut cargo(args))
        }
        Action::Tidy => tidy::run(),
        Action::CTests => crate::c_tests::run(&rustflags()),
        Action::CPackage => crate::c_package::run(&[]),
        Action::PythonVectors => python_vectors(),
        Action::Fuzz(seconds) => {
            crate::fuzz::run_with(&crate::fuzz::Options::all_targets(*seconds))
        }
        Action::Bench(args) => {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            // The same RUSTFLAGS as the other steps, so the release build of the demo step
            // is reused.
            bench::run_with(&args, &rustflags())
        }
    }
}

/// Removes the sources cargo extracted from our own packages in earlier
/// `cargo publish --workspace` runs. Cargo verifies each package against the
/// others through a local registry overlay and extracts those packages under
/// `$CARGO_HOME/registry/src/-<hash>/` as if a registry's crates, which never
/// change for a given version: a second run on the same machine then built
/// ossuary-tokio against the ossuary-core of the first (a method added in
/// between was "not found"). Registry directories proper (`index.*`) are
/// left alone.
fn forget_packaged_sources() -> Result {
    let home = std::env::var_os("CARGO_HOME").map_or_else(
        || std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
        std::path::PathBuf::from,
    );
    let Ok(sources) = std::fs::read_dir(home.join("registry/src")) else {
        return Ok(());
    };
    for overlay in sources.flatten() {
        if !overlay.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(packages) = std::fs::read_dir(overlay.path()) else {
            continue;
        };
        for package in packages.flatten() {
            if package
                .file_name()
                .to_string_lossy()
                .starts_with("ossuary-")
            {
                std::fs::remove_dir_all(package.path()).map_err(|e| {
                    Error::new(format!(
                        "could not remove {}: {e}",
                        package.path().display()
                    ))
                })?;
            }
        }
    }
    Ok(())
}

/// Runs `docs/vectors/check_vectors.py`, installing the Python packages it
/// needs (`cryptography`, and `kyber-py` for ML-KEM-768) with pip when
/// either is missing.
fn python_vectors() -> Result {
    ensure_apt(&[("python3", "python3")])?;
    let imports = Command::new("python3")
        .args(["-c", "import cryptography, kyber_py"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    if !imports.is_ok_and(|s| s.success()) {
        let pip = |extra: &[&str]| {
            let mut cmd = Command::new("python3");
            cmd.args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(extra)
            .args(["cryptography", "kyber-py"]);
            cmd
        };
        // A Python that refuses to install beside the system's packages
        // (PEP 668) takes them in the user's site directory instead.
        if util::run(&mut pip(&[])).is_err() {
            util::run(&mut pip(&["--user", "--break-system-packages"]))?;
        }
    }
    util::run(
        Command::new("python3")
            .arg("docs/vectors/check_vectors.py")
            .current_dir(util::project_root()),
    )
}

/// A cargo command in the workspace root with `-D warnings` added to `RUSTFLAGS`.
///
/// Every cargo step gets the same `RUSTFLAGS`, so steps sharing `target/` do not rebuild
/// each other's artifacts.
fn cargo(args: &[&str]) -> Command {
    let mut cmd = Command::new(util::cargo());
    cmd.args(args)
        .current_dir(util::project_root())
        .env("RUSTFLAGS", rustflags());
    cmd
}

/// Fails with an installation hint unless `cargo <sub> --version` works.
fn ensure_cargo_component(sub: &str, component: &str) -> Result {
    match util::output(Command::new(util::cargo()).args([sub, "--version"])) {
        Some(version) => {
            println!("{version}");
            Ok(())
        }
        None => Err(Error::new(format!(
            "`cargo {sub}` is not available; install it with `rustup component add {component}`"
        ))),
    }
}

/// Makes sure each `(executable, package)` tool is on `PATH`.
///
/// Missing tools are installed with one `apt-get update` and one `apt-get install` when
/// running as root; otherwise the error says which packages to install.
pub(crate) fn ensure_apt(tools: &[(&str, &str)]) -> Result {
    let missing: Vec<&(&str, &str)> = tools
        .iter()
        .filter(|(exe, _)| !util::on_path(exe))
        .collect();
    if missing.is_empty() {
        println!("system tools: {} needed, all present", tools.len());
        return Ok(());
    }
    let packages: BTreeSet<&str> = missing
        .iter()
        .flat_map(|(_, pkgs)| pkgs.split_whitespace())
        .collect();
    let packages: Vec<&str> = packages.into_iter().collect();
    let exes: Vec<&str> = missing.iter().map(|(exe, _)| *exe).collect();
    if !is_root() {
        return Err(Error::new(format!(
            "missing tools: {}; install them with `sudo apt-get install {}`",
            exes.join(", "),
            packages.join(" ")
        )));
    }
    util::run(
        Command::new("apt-get")
            .arg("update")
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    util::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    let still: Vec<&str> = exes.into_iter().filter(|exe| !util::on_path(exe)).collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "still missing after apt-get install: {}",
            still.join(", ")
        )))
    }
}

/// Whether the process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    util::output(Command::new("id").arg("-u")).as_deref() == Some("0")
}
