//! The examples, run as a user runs them: built with cargo, started as
//! processes, talking over loopback TCP on ports the OS picks (the server
//! prints its address; nothing listens on a fixed port).
//!
//! Every wait is bounded: a process that does not finish in time is killed
//! and the test fails. Nothing sleeps to synchronise: the tests wait for
//! the server's `listening on` line and for each process's end.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// How long any one example process may take.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn known_hosts_record_then_pin_then_refuse_a_changed_key() {
    let dir = scratch("known_hosts");
    let server_fp = keygen(&dir, "server.key");
    let client_fp = keygen(&dir, "client.key");
    fs::copy(dir.join("client.key.pub"), dir.join("clients.txt")).unwrap();
    let known_hosts = dir.join("known_hosts");

    let mut server = Server::start(
        &dir,
        &["--key", "server.key", "--authorized", "clients.txt"],
    );
    assert!(
        server
            .banner
            .contains("authenticating: 1 authorized key from clients.txt"),
        "{}",
        server.banner
    );
    assert!(server.banner.contains(&server_fp), "{}", server.banner);
    let target = server.addr.clone();
    let client = |extra: &[&str]| {
        let mut args = vec![
            "--connect",
            &target,
            "--known-hosts",
            "known_hosts",
            "--key",
            "client.key",
            "--message",
            "hello",
        ];
        args.extend_from_slice(extra);
        run(&dir, "echo_client", &args, None)
    };

    // Unknown host, no --accept-new: refused, with the line to add.
    let out = client(&[]);
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("is not in known_hosts"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&server_fp), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        !known_hosts.exists(),
        "nothing recorded without --accept-new"
    );
    server.next_log_line();

    // --accept-new: recorded as host:port -> key, and the echo works.
    let out = client(&["--accept-new"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "hello");
    assert!(
        out.stderr.contains(&format!("recorded {target}")),
        "{}",
        out.stderr
    );
    let server_pub = fs::read_to_string(dir.join("server.key.pub")).unwrap();
    let server_key = server_pub
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let recorded = fs::read_to_string(&known_hosts).unwrap();
    assert_eq!(recorded, format!("{target} {server_key}\n"));
    let log = server.next_log_line();
    assert!(log.contains(&format!("client {client_fp}")), "{log}");
    assert!(log.contains("echoed 5 bytes; clean close"), "{log}");

    // Known now: silent, with or without --accept-new, and nothing added.
    for extra in [&[][..], &["--accept-new"]] {
        let out = client(extra);
        assert!(out.status.success(), "{}", out.stderr);
        assert_eq!(out.stdout, "hello");
        assert_eq!(out.stderr, "", "a known host is silent");
        server.next_log_line();
    }
    assert_eq!(fs::read_to_string(&known_hosts).unwrap(), recorded);

    // The server comes back on the same address with a new key: refused
    // with both fingerprints, also under --accept-new, and nothing added.
    let new_fp = keygen(&dir, "server2.key");
    let port = target.rsplit(':').next().unwrap().to_string();
    drop(server);
    let listen = format!("127.0.0.1:{port}");
    let mut server = Server::start_on(&dir, &listen, &["--key", "server2.key"]);
    assert!(
        server.banner.contains("open: any client"),
        "{}",
        server.banner
    );
    assert!(server.banner.contains(&new_fp), "{}", server.banner);
    for extra in [&[][..], &["--accept-new"]] {
        let out = client(extra);
        assert!(
            !out.status.success(),
            "a changed key must be refused ({extra:?})"
        );
        assert!(out.stderr.contains("SERVER KEY CHANGED"), "{}", out.stderr);
        assert!(out.stderr.contains(&server_fp), "{}", out.stderr);
        assert!(out.stderr.contains(&new_fp), "{}", out.stderr);
        assert!(out.stdout.is_empty());
        let log = server.next_log_line();
        assert!(log.contains("echoed 0 bytes"), "{log}");
    }
    assert_eq!(fs::read_to_string(&known_hosts).unwrap(), recorded);
}

#[test]
fn sixteen_mib_through_echo_client() {
    let dir = scratch("bulk");
    keygen(&dir, "server.key");
    let server = Server::start(&dir, &["--key", "server.key"]);
    let data = pattern(16 << 20);
    let args = [
        "--connect",
        &server.addr,
        "--known-hosts",
        "known_hosts",
        "--accept-new",
    ];
    let out = run_bytes(&dir, "echo_client", &args, Some(data.clone()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the echo differs from the input");
}

#[test]
fn server_refuses_a_bad_command_line() {
    let dir = scratch("server_flags");
    keygen(&dir, "server.key");
    let usage_errors: [&[&str]; 5] = [
        // A typo of --authorized: never an open server.
        &["--key", "server.key", "--authorised", "clients.txt"],
        &["--key", "server.key", "--authorized"],
        &["--key", "server.key", "--key", "server.key"],
        &["--key", "server.key", "stray"],
        &["--authorized", "clients.txt"],
    ];
    for args in usage_errors {
        let mut all = vec!["--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let out = run(&dir, "echo_server", &all, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("usage: echo_server"), "{}", out.stderr);
        assert!(
            !out.stdout.contains("listening"),
            "{args:?} started a server"
        );
    }
    let out = run(
        &dir,
        "echo_server",
        &[
            "--listen",
            "127.0.0.1:0",
            "--key",
            "server.key",
            "--authorised",
            "c",
        ],
        None,
    );
    assert!(
        out.stderr.contains("unknown option `--authorised`"),
        "{}",
        out.stderr
    );

    // A missing authorized-keys file: an error naming it, no server.
    let out = run(
        &dir,
        "echo_server",
        &[
            "--listen",
            "127.0.0.1:0",
            "--key",
            "server.key",
            "--authorized",
            "nobody.txt",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("nobody.txt"), "{}", out.stderr);
    assert!(!out.stdout.contains("listening"));

    // A secret key others can read: refused, saying how to fix it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.join("server.key");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let out = run(
            &dir,
            "echo_server",
            &["--listen", "127.0.0.1:0", "--key", "server.key"],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
        assert!(
            out.stderr.contains("chmod 600 server.key"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn client_refuses_a_bad_command_line() {
    let dir = scratch("client_flags");
    let usage_errors: [&[&str]; 4] = [
        &[
            "--connect",
            "127.0.0.1:9",
            "--known-hosts",
            "kh",
            "--acept-new",
        ],
        &["--connect", "127.0.0.1:9"],
        &["--connect", "no-port", "--known-hosts", "kh"],
        &[
            "--connect",
            "127.0.0.1:9",
            "--known-hosts",
            "kh",
            "--message",
        ],
    ];
    for args in usage_errors {
        let out = run(&dir, "echo_client", args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("usage: echo_client"), "{}", out.stderr);
    }
}

#[test]
fn keygen_never_overwrites() {
    let dir = scratch("keygen");
    keygen(&dir, "id.key");
    let before = fs::read(dir.join("id.key")).unwrap();
    let out = run(&dir, "keygen", &["id.key"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(fs::read(dir.join("id.key")).unwrap(), before);
}

// ---------------------------------------------------------------------------
// Helpers

/// The path of the example `name`, built once per test run with the
/// profile and features this test was built with, into the same target
/// directory (so nothing is rebuilt that the test build already has).
/// The path is the one cargo reports for the build (`--message-format
/// json`), not the copy under `examples/`, which another build with other
/// features may replace at any time.
fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        // This test runs as <target>/<profile>/deps/examples-<hash>.
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).unwrap();
        let target_dir = profile_dir.parent().unwrap();
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()).unwrap() {
            "debug" => "dev",
            other => other,
        };
        let features: Vec<&str> = [
            ("ring", cfg!(feature = "ring")),
            ("aws-lc", cfg!(feature = "aws-lc")),
            ("hazmat", cfg!(feature = "hazmat")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut cargo = Command::new(env!("CARGO"));
        // Not the variables cargo sets for this test: build scripts that
        // watch one (ring's watches CARGO_MANIFEST_DIR) would rebuild here,
        // and again in the next ordinary build.
        for (var, _) in std::env::vars_os() {
            let set_for_tests = var.to_str().is_some_and(|v| {
                v.starts_with("CARGO_PKG_")
                    || v.starts_with("CARGO_BIN_")
                    || [
                        "CARGO_MANIFEST_DIR",
                        "CARGO_MANIFEST_PATH",
                        "CARGO_CRATE_NAME",
                        "CARGO_PRIMARY_PACKAGE",
                        "CARGO_TARGET_TMPDIR",
                        "CARGO_RUSTC_CURRENT_DIR",
                        "OUT_DIR",
                    ]
                    .contains(&v)
            });
            if set_for_tests {
                cargo.env_remove(var);
            }
        }
        let out = cargo
            .arg("build")
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(target_dir)
            .args(["--profile", profile, "--examples", "--no-default-features"])
            .args(["--features", &features.join(",")])
            .arg("--message-format=json")
            .stdin(Stdio::null())
            .output()
            .expect("cannot run cargo");
        assert!(
            out.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|msg| {
                msg["reason"] == "compiler-artifact"
                    && msg["target"]["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|k| k == "example"))
            })
            .filter_map(|msg| {
                let name = msg["target"]["name"].as_str()?.to_string();
                let exe = PathBuf::from(msg["executable"].as_str()?);
                Some((name, exe))
            })
            .collect()
    });
    built
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, exe)| exe.clone())
        .unwrap_or_else(|| panic!("cargo built no example `{name}`"))
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("examples-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `keygen FILE` in `dir` and returns the fingerprint it printed.
fn keygen(dir: &Path, file: &str) -> String {
    let out = run(dir, "keygen", &[file], None);
    assert!(out.status.success(), "keygen: {}", out.stderr);
    let fp = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint: "))
        .unwrap_or_else(|| panic!("no fingerprint in {:?}", out.stdout));
    assert!(fp.starts_with("SHA256:"));
    fp.to_string()
}

/// A finished process.
struct Output<T> {
    status: ExitStatus,
    stdout: T,
    stderr: T,
}

/// Runs an example in `dir` to its end, with text output.
fn run(dir: &Path, name: &str, args: &[&str], stdin: Option<Vec<u8>>) -> Output<String> {
    let out = run_bytes(dir, name, args, stdin);
    Output {
        status: out.status,
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs an example in `dir` to its end, feeding `stdin` (or nothing) while
/// collecting its output; kills it after [`LIMIT`].
fn run_bytes(dir: &Path, name: &str, args: &[&str], stdin: Option<Vec<u8>>) -> Output<Vec<u8>> {
    let mut child = Killed(
        Command::new(example(name))
            .args(args)
            .current_dir(dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}")),
    );
    if let (Some(data), Some(mut pipe)) = (stdin, child.0.stdin.take()) {
        // A client that stops reading its input is the test's failure, not a
        // hang: the write ends when the process is killed.
        thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let stdout = read_all(child.0.stdout.take().unwrap());
    let stderr = read_all(child.0.stderr.take().unwrap());
    // Both pipes end when the process ends (or is killed).
    let (stdout, stderr) = match (stdout.recv_timeout(LIMIT), stderr.recv_timeout(LIMIT)) {
        (Ok(out), Ok(err)) => (out, err),
        _ => panic!("{name} {args:?} did not finish within {LIMIT:?}"),
    };
    let status = child.0.wait().unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}

/// Reads `pipe` to its end in a thread.
fn read_all(mut pipe: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// A child process killed when dropped (a failed assertion or a timeout
/// leaves nothing running).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `echo_server`.
struct Server {
    _child: Killed,
    /// `127.0.0.1:PORT`, from its `listening on` line.
    addr: String,
    /// What it printed up to and including that line.
    banner: String,
    lines: Receiver<String>,
}

impl Server {
    /// Starts `echo_server --listen 127.0.0.1:0 ARGS` in `dir`.
    fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_on(dir, "127.0.0.1:0", args)
    }

    /// Starts it on `listen` and waits for its `listening on` line.
    fn start_on(dir: &Path, listen: &str, args: &[&str]) -> Self {
        let mut child = Killed(
            Command::new(example("echo_server"))
                .arg("--listen")
                .arg(listen)
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot start echo_server"),
        );
        let stderr = read_all(child.0.stderr.take().unwrap());
        let stdout = BufReader::new(child.0.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut banner = String::new();
        loop {
            let Ok(line) = lines.recv_timeout(LIMIT) else {
                let err = stderr.recv_timeout(LIMIT).unwrap_or_default();
                panic!(
                    "echo_server did not start:\n{banner}{}",
                    String::from_utf8_lossy(&err)
                );
            };
            banner.push_str(&line);
            banner.push('\n');
            if let Some(addr) = line.strip_prefix("listening on ") {
                let addr = addr.trim().to_string();
                return Self {
                    _child: child,
                    addr,
                    banner,
                    lines,
                };
            }
        }
    }

    /// The next line it logs (one per connection).
    fn next_log_line(&mut self) -> String {
        self.lines
            .recv_timeout(LIMIT)
            .expect("echo_server logged no line for the connection")
    }
}

/// `len` bytes that are not all alike (an xorshift sequence).
fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
