//! `cargo xtask fuzz`: builds every fuzz target in `fuzz/` with cargo-fuzz and runs each for
//! a fixed time, failing on any crash, timeout or out-of-memory (docs/FUZZING.md).
//!
//! Per target it runs, from the repository root,
//!
//! ```text
//! cargo fuzz run <target> -s none fuzz/target/corpus/<target> fuzz/corpus/<target> -- \
//!     -max_total_time=<seconds> -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
//! ```
//!
//! `-s none` (no sanitizer) builds on the stable toolchain as it is; `--sanitizer address`
//! sets `RUSTC_BOOTSTRAP=1`, because cargo-fuzz then passes `-Zsanitizer=address`. New corpus
//! entries go to the first directory, `fuzz/target/corpus/<target>` (not committed); the
//! committed seeds in `fuzz/corpus/<target>` are only read. Crashes land in
//! `fuzz/artifacts/<target>/`, and the full libFuzzer output in `fuzz/target/logs/<target>.log`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{self, Error, Result};

/// libFuzzer's limit for one input, in seconds (a hang is a failure).
const INPUT_TIMEOUT_SECS: u64 = 10;
/// libFuzzer's memory limit.
const RSS_LIMIT_MB: u64 = 2048;
/// Time allowed on top of `--seconds` for cargo-fuzz to check the build, start and report,
/// before the run is killed as hung.
const GRACE_SECS: u64 = 300;

/// The parsed command line.
#[derive(Debug)]
pub(crate) struct Options {
    /// Fuzzing time per target.
    pub(crate) seconds: u64,
    /// Targets to run; empty means all.
    pub(crate) targets: Vec<String>,
    /// `none` or `address`.
    pub(crate) sanitizer: String,
    /// libFuzzer `-runs` (stop after this many inputs), if given.
    pub(crate) runs: Option<u64>,
}

impl Options {
    /// Every target for `seconds` each, without a sanitizer.
    pub(crate) fn all_targets(seconds: u64) -> Self {
        Self {
            seconds,
            targets: Vec::new(),
            sanitizer: "none".to_owned(),
            runs: None,
        }
    }
}

/// `cargo xtask fuzz [--seconds N] [--target T]... [--sanitizer none|address] [--runs R]`.
pub(crate) fn run(args: &[String]) -> Result {
    run_with(&parse(args)?)
}

fn parse(args: &[String]) -> Result<Options> {
    let mut opts = Options::all_targets(60);
    let mut it = args.iter();
    let value = |it: &mut std::slice::Iter<'_, String>, flag: &str| {
        it.next()
            .cloned()
            .ok_or_else(|| Error::new(format!("`fuzz`: {flag} needs a value")))
    };
    let number = |s: String, flag: &str| {
        s.parse::<u64>()
            .map_err(|_| Error::new(format!("`fuzz`: {flag} takes a number, not `{s}`")))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => opts.seconds = number(value(&mut it, arg)?, arg)?,
            "--target" => opts.targets.push(value(&mut it, arg)?),
            "--runs" => opts.runs = Some(number(value(&mut it, arg)?, arg)?),
            "--sanitizer" => {
                let s = value(&mut it, arg)?;
                if s != "none" && s != "address" {
                    return Err(Error::new(format!(
                        "`fuzz`: --sanitizer is `none` or `address`, not `{s}`"
                    )));
                }
                opts.sanitizer = s;
            }
            other => return Err(Error::new(format!("`fuzz`: unknown argument `{other}`"))),
        }
    }
    if opts.seconds == 0 {
        return Err(Error::new("`fuzz`: --seconds must be at least 1"));
    }
    Ok(opts)
}

/// What one target's run reported.
#[derive(Debug, Default)]
struct Stats {
    executions: Option<u64>,
    exec_per_sec: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
    new_units: Option<u64>,
    peak_rss_mb: Option<u64>,
    artifacts: Vec<String>,
    /// Executions of the last status line, used when no final stat line came.
    last_status_executions: Option<u64>,
    /// Executions per second of the last status line.
    status_exec_per_sec: Option<u64>,
}

/// Builds and runs the selected targets, then prints a summary table.
pub(crate) fn run_with(opts: &Options) -> Result {
    let root = util::project_root();
    let fuzz_dir = root.join("fuzz");
    let all = list_targets(&fuzz_dir)?;
    for t in &opts.targets {
        if !all.contains(t) {
            return Err(Error::new(format!(
                "`fuzz`: no target `{t}` (targets: {})",
                all.join(", ")
            )));
        }
    }
    let targets: Vec<&String> = all
        .iter()
        .filter(|t| opts.targets.is_empty() || opts.targets.contains(t))
        .collect();

    ensure_cargo_fuzz()?;
    crate::test::ensure_apt(&[("c++", "g++")])?;

    println!("==> fuzz: building {} target(s)", targets.len());
    let mut build = cargo_fuzz(&root, opts);
    build.args(["build", "-s", &opts.sanitizer]);
    util::run(&mut build)?;

    let logs = fuzz_dir.join("target").join("logs");
    std::fs::create_dir_all(&logs)
        .map_err(|e| Error::new(format!("could not create {}: {e}", logs.display())))?;
    let mut results = Vec::new();
    for target in &targets {
        println!("==> fuzz: {target} for {} s", opts.seconds);
        let started = Instant::now();
        let (status, stats) = run_target(&root, &logs, target, opts)?;
        let secs = started.elapsed().as_secs_f64();
        results.push((target.as_str(), status, stats, secs));
    }

    println!("==> fuzz summary ({} s per target)", opts.seconds);
    println!(
        "{:<22} {:>12} {:>9} {:>6} {:>7} {:>14} {:>8}  result",
        "target", "executions", "exec/s", "cov", "ft", "corpus", "rss MB"
    );
    let show = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    let mut failed = Vec::new();
    for (target, status, stats, secs) in &results {
        let result = match status {
            Ok(()) => format!("ok ({secs:.0} s)"),
            Err(e) => {
                failed.push(*target);
                format!("FAILED: {e}")
            }
        };
        println!(
            "{:<22} {:>12} {:>9} {:>6} {:>7} {:>14} {:>8}  {result}",
            target,
            show(stats.executions),
            show(stats.exec_per_sec),
            show(stats.cov),
            show(stats.ft),
            stats.corpus.as_deref().unwrap_or("?"),
            show(stats.peak_rss_mb),
        );
        for a in &stats.artifacts {
            println!("    crash input: {a}");
        }
    }
    if failed.is_empty() {
        println!("fuzz: {} passed, 0 failed", results.len());
        Ok(())
    } else {
        println!(
            "fuzz: {} passed, {} failed",
            results.len() - failed.len(),
            failed.len()
        );
        println!(
            "Reproduce with `cargo fuzz run -s none <target> <crash input>`; keep each input as a \
             regression file under crates/<crate>/tests/fuzz-regressions/<target>/ (docs/FUZZING.md)."
        );
        Err(Error::new(format!("fuzzing failed: {}", failed.join(", "))))
    }
}

/// The targets: the `.rs` files of `fuzz/fuzz_targets`, sorted.
fn list_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Error::new(format!("could not list {}: {e}", dir.display())))?;
    let mut targets: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    targets.sort();
    if targets.is_empty() {
        return Err(Error::new(format!("no fuzz targets in {}", dir.display())));
    }
    Ok(targets)
}

/// Installs cargo-fuzz with `cargo install --locked` unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Result {
    let version = || util::output(Command::new(util::cargo()).args(["fuzz", "--version"]));
    if let Some(v) = version() {
        println!("{v}");
        return Ok(());
    }
    println!("==> fuzz: installing cargo-fuzz");
    util::run(Command::new(util::cargo()).args(["install", "cargo-fuzz", "--locked"]))?;
    match version() {
        Some(v) => {
            println!("{v}");
            Ok(())
        }
        None => Err(Error::new(
            "`cargo fuzz` does not run after `cargo install cargo-fuzz --locked`",
        )),
    }
}

/// A `cargo fuzz` command in the repository root, with the environment it needs.
fn cargo_fuzz(root: &Path, opts: &Options) -> Command {
    let mut cmd = Command::new(util::cargo());
    cmd.arg("fuzz").current_dir(root);
    // The fuzz workspace has its own target directory (fuzz/target): never share the main
    // workspace's, whose artifacts are built with other flags.
    cmd.env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    if opts.sanitizer != "none" {
        // cargo-fuzz passes -Zsanitizer=...; this lets the stable compiler take it.
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    cmd
}

/// Runs one target; returns its exit status (as a result) and what it reported.
fn run_target(root: &Path, logs: &Path, target: &str, opts: &Options) -> Result<(Result, Stats)> {
    let work = root.join("fuzz").join("target").join("corpus").join(target);
    std::fs::create_dir_all(&work)
        .map_err(|e| Error::new(format!("could not create {}: {e}", work.display())))?;
    let seeds = root.join("fuzz").join("corpus").join(target);
    let mut cmd = cargo_fuzz(root, opts);
    cmd.args(["run", target, "-s", &opts.sanitizer])
        .arg(&work)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", opts.seconds))
        .arg(format!("-timeout={INPUT_TIMEOUT_SECS}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg("-print_final_stats=1");
    if let Some(runs) = opts.runs {
        cmd.arg(format!("-runs={runs}"));
    }
    println!("$ {}", util::display_cmd(&cmd));
    // A process group of its own, so a hung run can be killed with everything it started
    // (cargo-fuzz, cargo run, the fuzzer).
    cmd.process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::new(format!("could not start cargo fuzz: {e}")))?;

    let log_path = logs.join(format!("{target}.log"));
    let log = std::fs::File::create(&log_path)
        .map_err(|e| Error::new(format!("could not create {}: {e}", log_path.display())))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_log = log
        .try_clone()
        .map_err(|e| Error::new(format!("could not share {}: {e}", log_path.display())))?;
    let out_thread = thread::spawn(move || stdout.map(|s| follow(s, out_log)).unwrap_or_default());
    let err_thread = thread::spawn(move || stderr.map(|s| follow(s, log)).unwrap_or_default());

    let limit = Duration::from_secs(opts.seconds + GRACE_SECS);
    let status = wait_with_limit(&mut child, limit);
    let mut lines = out_thread.join().unwrap_or_default();
    lines.extend(err_thread.join().unwrap_or_default());
    let stats = parse_stats(&lines);
    println!("    full output: {}", log_path.display());

    let result = match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(Error::new(format!("{} ({s})", describe_failure(&lines)))),
        Err(e) => Err(e),
    };
    Ok((result, stats))
}

/// Waits for `child`; kills its process group after `limit`.
fn wait_with_limit(child: &mut Child, limit: Duration) -> Result<ExitStatus> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if started.elapsed() > limit => {
                // The child leads its own process group (process_group(0)): kill the group.
                let group = format!("-{}", child.id());
                let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
                let _ = child.wait();
                return Err(Error::new(format!(
                    "no result after {} s: killed",
                    limit.as_secs()
                )));
            }
            Ok(None) => thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(Error::new(format!("could not wait for cargo fuzz: {e}"))),
        }
    }
}

/// Copies a stream to the log, echoes the lines worth seeing, and returns every line.
fn follow(stream: impl std::io::Read, mut log: std::fs::File) -> Vec<String> {
    let mut lines = Vec::new();
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(log, "{line}");
        if is_interesting(&line) {
            println!("    {line}");
        }
        lines.push(line);
    }
    lines
}

/// The lines echoed to the console: progress milestones, the end, and anything that failed.
fn is_interesting(line: &str) -> bool {
    const MARKS: &[&str] = &[
        "INITED",
        "DONE",
        "pulse",
        "ERROR",
        "panicked",
        "deadly signal",
        "Test unit written",
        "SUMMARY",
        "Failing input",
        "out-of-memory",
        "timeout",
        "stat::",
        "error:",
    ];
    MARKS.iter().any(|m| line.contains(m))
}

/// Executions, coverage and corpus size from libFuzzer's output: the `stat::` lines of
/// `-print_final_stats=1`, and the last status line (`#N DONE cov: .. ft: .. corp: ..`).
fn parse_stats(lines: &[String]) -> Stats {
    let mut stats = Stats::default();
    for line in lines {
        if let Some(rest) = line.strip_prefix("stat::") {
            let Some((key, value)) = rest.split_once(':') else {
                continue;
            };
            let value = value.trim().parse::<u64>().ok();
            match key.trim() {
                "number_of_executed_units" => stats.executions = value,
                "average_exec_per_sec" => stats.exec_per_sec = value,
                "new_units_added" => stats.new_units = value,
                "peak_rss_mb" => stats.peak_rss_mb = value,
                _ => {}
            }
        } else if line.starts_with('#') {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |key: &str| {
                words
                    .iter()
                    .position(|w| *w == key)
                    .and_then(|i| words.get(i + 1))
            };
            if let Some(v) = after("cov:").and_then(|v| v.parse().ok()) {
                stats.cov = Some(v);
            }
            if let Some(v) = after("ft:").and_then(|v| v.parse().ok()) {
                stats.ft = Some(v);
            }
            if let Some(v) = after("corp:") {
                stats.corpus = Some((*v).to_owned());
            }
            if let Some(n) = words.first().and_then(|w| w[1..].parse().ok()) {
                stats.last_status_executions = Some(n);
            }
            if let Some(v) = after("exec/s:").and_then(|v| v.parse().ok()) {
                stats.status_exec_per_sec = Some(v);
            }
        } else if let Some(at) = line.find("Test unit written to ") {
            stats
                .artifacts
                .push(line[at + "Test unit written to ".len()..].trim().to_owned());
        }
    }
    // Without final stat lines (a crash), fall back on the last status line.
    stats.executions = stats.executions.or(stats.last_status_executions);
    stats.exec_per_sec = stats.exec_per_sec.or(stats.status_exec_per_sec);
    stats
}

/// A one-line reason for a failed run, from libFuzzer's output.
fn describe_failure(lines: &[String]) -> String {
    let find = |pat: &str| lines.iter().any(|l| l.contains(pat));
    if find("ERROR: libFuzzer: timeout") {
        "an input ran longer than the per-input timeout (hang)".to_owned()
    } else if find("out-of-memory") {
        "out of memory".to_owned()
    } else if find("panicked") || find("deadly signal") {
        // Rust prints `thread '..' panicked at FILE:LINE:COL:` and the message on the next line.
        match lines.iter().position(|l| l.contains("panicked at")) {
            Some(i) => {
                let place = lines[i].trim();
                let msg = lines.get(i + 1).map_or("", |l| l.trim());
                format!("crash: {place} {msg}")
            }
            None => "crash".to_owned(),
        }
    } else {
        "cargo fuzz failed".to_owned()
    }
}
