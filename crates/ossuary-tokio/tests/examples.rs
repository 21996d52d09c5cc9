//! The async examples, run as a user runs them: built with cargo, started
//! as processes, talking over loopback TCP on ports the OS picks (the
//! server prints its address; nothing listens on a fixed port).
//!
//! Every wait is bounded: a process that does not finish in time is killed
//! and the test fails. Nothing sleeps to synchronise: the tests wait for
//! the server's lines, for a client's output, and for each process's end.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use ossuary_core::generate_keypair;
use ossuary_core::keys::write_key_pair;

/// How long any one example process may take.
const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn known_hosts_record_then_pin_then_refuse_a_changed_key() {
    let dir = scratch("known_hosts");
    let server_fp = key_pair(&dir, "server.key");
    let client_fp = key_pair(&dir, "client.key");
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
        run(&dir, "tokio_echo_client", &args, None)
    };

    // Unknown host, no --accept-new: refused, with the line to add.
    let out = client(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
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
    let log = server.next_line();
    assert!(
        log.contains("anonymous: echoed 0 bytes"),
        "the client's key was never sent: {log}"
    );
    assert!(log.contains("SERVER_NOT_TRUSTED"), "{log}");

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
    let log = server.next_line();
    assert!(log.contains(&format!("client {client_fp}")), "{log}");
    assert!(log.contains("echoed 5 bytes; clean close"), "{log}");

    // Known now: silent, with or without --accept-new, and nothing added.
    for extra in [&[][..], &["--accept-new"]] {
        let out = client(extra);
        assert!(out.status.success(), "{}", out.stderr);
        assert_eq!(out.stdout, "hello");
        assert_eq!(out.stderr, "", "a known host is silent");
        server.next_line();
    }
    assert_eq!(fs::read_to_string(&known_hosts).unwrap(), recorded);

    // The server comes back on the same address with a new key: refused
    // with both fingerprints, also under --accept-new, and nothing added.
    let new_fp = key_pair(&dir, "server2.key");
    let port = target.rsplit(':').next().unwrap().to_string();
    drop(server);
    let listen = format!("127.0.0.1:{port}");
    let mut server = Server::start_on(&dir, &listen, &["--key", "server2.key"]);
    assert!(
        server.banner.contains("open: any client"),
        "{}",
        server.banner
    );
    for extra in [&[][..], &["--accept-new"]] {
        let out = client(extra);
        assert_eq!(
            out.status.code(),
            Some(1),
            "a changed key must be refused ({extra:?})"
        );
        assert!(out.stderr.contains("SERVER KEY CHANGED"), "{}", out.stderr);
        assert!(out.stderr.contains(&server_fp), "{}", out.stderr);
        assert!(out.stderr.contains(&new_fp), "{}", out.stderr);
        assert!(out.stderr.contains("remove the line for"), "{}", out.stderr);
        assert!(out.stdout.is_empty());
        let log = server.next_line();
        assert!(log.contains("echoed 0 bytes"), "{log}");
    }
    assert_eq!(fs::read_to_string(&known_hosts).unwrap(), recorded);
}

#[test]
fn concurrent_clients_and_refused_ones() {
    let dir = scratch("concurrent");
    key_pair(&dir, "server.key");
    key_pair(&dir, "client.key");
    let stranger_fp = key_pair(&dir, "stranger.key");
    fs::copy(dir.join("client.key.pub"), dir.join("clients.txt")).unwrap();
    let mut server = Server::start(
        &dir,
        &["--key", "server.key", "--authorized", "clients.txt"],
    );
    let addr = server.addr.clone();
    // Record the server's key once.
    let base = ["--connect", &addr, "--known-hosts", "known_hosts"];
    let out = run(
        &dir,
        "tokio_echo_client",
        &[
            &base[..],
            &["--accept-new", "--key", "client.key", "--message", "x"],
        ]
        .concat(),
        None,
    );
    assert!(out.status.success(), "{}", out.stderr);
    server.next_line();

    // Eight clients at once, each with its own bytes.
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let (dir, addr) = (dir.clone(), addr.clone());
            thread::spawn(move || {
                let data = pattern(300_000 + i * 1000, i as u64);
                let args = [
                    "--connect",
                    &addr,
                    "--known-hosts",
                    "known_hosts",
                    "--key",
                    "client.key",
                ];
                let out = run_bytes(&dir, "tokio_echo_client", &args, Some(data.clone()));
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout == data, "client {i}: the echo differs");
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    for _ in 0..8 {
        let log = server.next_line();
        assert!(log.contains("; clean close"), "{log}");
    }

    // A key the server does not list: refused, and both ends say so.
    let out = run(
        &dir,
        "tokio_echo_client",
        &[&base[..], &["--key", "stranger.key", "--message", "hi"]].concat(),
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("does not authorize this client"),
        "{}",
        out.stderr
    );
    let log = server.next_line();
    assert!(log.contains(&format!("client {stranger_fp}")), "{log}");
    assert!(
        log.contains("refused") && log.contains("authorized-keys file"),
        "{log}"
    );

    // No key at all: the client stops itself and says what to give.
    let out = run(
        &dir,
        "tokio_echo_client",
        &[&base[..], &["--message", "hi"]].concat(),
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("give --key FILE"), "{}", out.stderr);
    server.next_line();
}

#[test]
fn sixteen_mib_through_the_client() {
    let dir = scratch("bulk");
    key_pair(&dir, "server.key");
    let server = Server::start(&dir, &["--key", "server.key"]);
    let data = pattern(16 << 20, 7);
    let args = [
        "--connect",
        &server.addr,
        "--known-hosts",
        "known_hosts",
        "--accept-new",
    ];
    let out = run_bytes(&dir, "tokio_echo_client", &args, Some(data.clone()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the echo differs from the input");
}

/// Ctrl-C: the server stops accepting, ends open sessions with a CLOSE,
/// cuts what is left after the grace period, and exits 0; its clients are
/// told the server closed the session.
#[test]
fn ctrl_c_stops_the_server_gracefully() {
    let dir = scratch("ctrl_c");
    key_pair(&dir, "server.key");
    let mut server = Server::start(
        &dir,
        &[
            "--key",
            "server.key",
            "--grace",
            "1",
            "--handshake-timeout",
            "30",
            "--idle-timeout",
            "30",
        ],
    );
    let addr = server.addr.clone();
    // A connection that never starts its handshake: it is cut at the end.
    // It connects first: the server accepts in arrival order, so once the
    // client below has had its echo, this one has been accepted too (made
    // after the echo, it could still sit in the listen queue when the
    // server stops, which happened on a loaded CI machine).
    let _silent = TcpStream::connect(&addr).unwrap();
    // A client in the middle of a session, its input still open.
    let mut client = Interactive::start(
        &dir,
        &[
            "--connect",
            &addr,
            "--known-hosts",
            "known_hosts",
            "--accept-new",
        ],
    );
    client.send(b"first line\n");
    assert_eq!(client.read_stdout(11), b"first line\n");
    server.interrupt();
    let mut lines = Vec::new();
    for _ in 0..10 {
        let line = server.next_line();
        let last = line.starts_with("stopped:");
        lines.push(line);
        if last {
            break;
        }
    }
    let text = lines.join("\n");
    assert!(
        text.contains("stopping: 2 sessions open; 1 s for clients to close"),
        "{text}"
    );
    assert!(
        text.contains("echoed 11 bytes; closed by the server's stop"),
        "{text}"
    );
    assert!(
        text.contains("stopped: 1 session cut after the grace period"),
        "{text}"
    );
    let status = server.wait();
    assert!(
        status.success(),
        "the server exits 0 after a graceful stop: {status:?}"
    );

    let out = client.finish();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("the server closed the session early"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_servers_deadlines_hold() {
    let dir = scratch("deadlines");
    key_pair(&dir, "server.key");
    let mut server = Server::start(
        &dir,
        &[
            "--key",
            "server.key",
            "--handshake-timeout",
            "1",
            "--idle-timeout",
            "1",
        ],
    );
    // Connects and says nothing: cut at the handshake deadline, and told.
    let start = Instant::now();
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    silent.set_read_timeout(Some(LIMIT)).unwrap();
    let mut told = Vec::new();
    silent.read_to_end(&mut told).unwrap();
    assert_eq!(told, [0x20, 0, 1, 6], "a RESET: handshake timeout");
    assert!(start.elapsed() >= Duration::from_secs(1));
    let log = server.next_line();
    assert!(log.contains("handshake timed out"), "{log}");

    // Finishes the handshake, then goes quiet: cut at the idle timeout.
    let mut client = Interactive::start(
        &dir,
        &[
            "--connect",
            &server.addr,
            "--known-hosts",
            "known_hosts",
            "--accept-new",
        ],
    );
    client.send(b"x");
    assert_eq!(client.read_stdout(1), b"x");
    let log = server.next_line();
    assert!(
        log.contains("idle: nothing from the client for 1 s"),
        "{log}"
    );
    let out = client.finish();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("cut without the server's close"),
        "{}",
        out.stderr
    );
}

#[test]
fn server_refuses_a_bad_command_line() {
    let dir = scratch("server_flags");
    key_pair(&dir, "server.key");
    let usage_errors: [&[&str]; 6] = [
        // A typo of --authorized: never an open server.
        &["--key", "server.key", "--authorised", "clients.txt"],
        &["--key", "server.key", "--authorized"],
        &["--key", "server.key", "--key", "server.key"],
        &["--key", "server.key", "stray"],
        &["--authorized", "clients.txt"],
        &["--key", "server.key", "--handshake-timeout", "0"],
    ];
    for args in usage_errors {
        let mut all = vec!["--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let out = run(&dir, "tokio_echo_server", &all, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("usage: tokio_echo_server"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("listening"),
            "{args:?} started a server"
        );
    }

    // A missing authorized-keys file: an error naming it, no server.
    let out = run(
        &dir,
        "tokio_echo_server",
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
            "tokio_echo_server",
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
    let usage_errors: [&[&str]; 5] = [
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
        &[
            "--connect",
            "127.0.0.1:9",
            "--known-hosts",
            "kh",
            "--timeout",
            "soon",
        ],
    ];
    for args in usage_errors {
        let out = run(&dir, "tokio_echo_client", args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("usage: tokio_echo_client"),
            "{}",
            out.stderr
        );
    }
    // A known-hosts file that is not one: named, with the line.
    fs::write(dir.join("kh"), "127.0.0.1:9 ssh-ed25519 AAAA\n").unwrap();
    let out = run(
        &dir,
        "tokio_echo_client",
        &["--connect", "127.0.0.1:9", "--known-hosts", "kh"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("known-hosts file kh"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// Helpers

/// The path of the example `name`, built once per test run with the
/// profile this test was built with, into the same target directory. The
/// path is the one cargo reports for the build (`--message-format json`).
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
            .args(["--profile", profile, "--examples"])
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
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tokio-examples-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes a key pair `file` and `file.pub` in `dir`; returns the
/// fingerprint, as the programs print it.
fn key_pair(dir: &Path, file: &str) -> String {
    let (secret, _) = generate_keypair().unwrap();
    let line = write_key_pair(dir.join(file), &secret, None).unwrap();
    line.fingerprint().to_string()
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

/// A running `tokio_echo_server`.
struct Server {
    child: Killed,
    /// `127.0.0.1:PORT`, from its `listening on` line.
    addr: String,
    /// What it printed up to and including that line.
    banner: String,
    lines: Receiver<String>,
}

impl Server {
    /// Starts `tokio_echo_server --listen 127.0.0.1:0 ARGS` in `dir`.
    fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_on(dir, "127.0.0.1:0", args)
    }

    /// Starts it on `listen` and waits for its `listening on` line.
    fn start_on(dir: &Path, listen: &str, args: &[&str]) -> Self {
        let mut child = Killed(
            Command::new(example("tokio_echo_server"))
                .arg("--listen")
                .arg(listen)
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot start tokio_echo_server"),
        );
        let stderr = read_all(child.0.stderr.take().unwrap());
        let lines = lines_of(child.0.stdout.take().unwrap());
        let mut banner = String::new();
        loop {
            let Ok(line) = lines.recv_timeout(LIMIT) else {
                let err = stderr.recv_timeout(LIMIT).unwrap_or_default();
                panic!(
                    "tokio_echo_server did not start:\n{banner}{}",
                    String::from_utf8_lossy(&err)
                );
            };
            banner.push_str(&line);
            banner.push('\n');
            if let Some(addr) = line.strip_prefix("listening on ") {
                let addr = addr.trim().to_string();
                return Self {
                    child,
                    addr,
                    banner,
                    lines,
                };
            }
        }
    }

    /// The next line it prints (one per connection, and the stop's).
    fn next_line(&mut self) -> String {
        self.lines
            .recv_timeout(LIMIT)
            .expect("tokio_echo_server printed no line in time")
    }

    /// Sends it SIGINT, as Ctrl-C does.
    fn interrupt(&self) {
        let pid = self.child.0.id().to_string();
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("cannot run kill");
        assert!(status.success());
    }

    /// Waits for it to exit.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "tokio_echo_server did not exit");
            // Its stdout ends when it exits: wait on that, not on a clock.
            let _ = self.lines.recv_timeout(Duration::from_secs(1));
        }
    }
}

/// The lines of `pipe`, read in a thread.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, lines) = mpsc::channel();
    let reader = BufReader::new(pipe);
    thread::spawn(move || {
        for line in reader.lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    lines
}

/// A client whose input stays open, fed by the test.
struct Interactive {
    child: Killed,
    stdin: Option<ChildStdin>,
    stdout: Receiver<Vec<u8>>,
    stderr: Receiver<Vec<u8>>,
}

impl Interactive {
    fn start(dir: &Path, args: &[&str]) -> Self {
        let mut child = Killed(
            Command::new(example("tokio_echo_client"))
                .args(args)
                .current_dir(dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot start tokio_echo_client"),
        );
        let stdin = child.0.stdin.take();
        let stderr = read_all(child.0.stderr.take().unwrap());
        // Output in pieces, as it comes.
        let mut pipe = child.0.stdout.take().unwrap();
        let (tx, stdout) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("input closed");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Reads `n` bytes of its output.
    fn read_stdout(&mut self, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        while got.len() < n {
            let piece = self
                .stdout
                .recv_timeout(LIMIT)
                .expect("the client printed nothing in time");
            got.extend(piece);
        }
        got
    }

    /// Waits for it to exit (its input still open).
    fn finish(mut self) -> Output<String> {
        let err = self
            .stderr
            .recv_timeout(LIMIT)
            .expect("the client did not exit");
        let status = self.child.0.wait().unwrap();
        drop(self.stdin.take());
        Output {
            status,
            stdout: String::new(),
            stderr: String::from_utf8(err).unwrap(),
        }
    }
}

/// `len` bytes that are not all alike (an xorshift sequence).
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
