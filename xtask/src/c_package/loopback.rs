//! The examples built against the tarball, run client against server over loopback.
//!
//! Every build: two clients in a row against one server, 8 MiB of checked data each
//! way; the first records the server's key (`--accept-new`), the second finds it pinned.
//! With `everything`, also: an unknown server refused, a changed server key refused
//! naming both fingerprints, an unauthorized client refused, the handshake timeout on
//! each side, the I/O timeout (through a relay that goes silent after the handshake),
//! and command-line and file mistakes.
//!
//! Servers print their port on their first line; nothing waits by sleeping. Each
//! process runs under `timeout`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Build;
use crate::util::{Error, Result};

/// Seconds an example process may run before `timeout` ends it.
const PROCESS_TIMEOUT: &str = "60";
/// The checked data sent each way.
const BULK: &str = "8M";
const BULK_BYTES: u64 = 8 << 20;
/// The short timeouts the timeout checks give the examples.
const SHORT: &str = "0.5";

/// The programs of one build.
pub(super) struct Programs {
    build: Build,
    dir: PathBuf,
    /// `LD_LIBRARY_PATH` for a shared build without an rpath.
    lib_path: Option<PathBuf>,
}

impl Programs {
    pub(super) fn new(build: Build, dir: &Path, lib_path: Option<PathBuf>) -> Self {
        Self {
            build,
            dir: dir.to_path_buf(),
            lib_path,
        }
    }

    /// `program` under `timeout`.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=5", PROCESS_TIMEOUT])
            .arg(self.dir.join(program))
            .args(args)
            .stdin(Stdio::null());
        if let Some(path) = &self.lib_path {
            cmd.env("LD_LIBRARY_PATH", path);
        }
        cmd
    }

    /// Runs `program` to its end.
    fn run(&self, program: &str, args: &[&str]) -> Result<Ran> {
        let what = format!("{} {program} {}", self.build.name, args.join(" "));
        let out = self
            .command(program, args)
            .output()
            .map_err(|e| Error::new(format!("could not start {what}: {e}")))?;
        Ok(Ran {
            what,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Starts the server and reads the port from its first line.
    fn server(&self, args: &[&str]) -> Result<Server> {
        let what = format!("{} server {}", self.build.name, args.join(" "));
        let mut child = self
            .command("server", args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("could not start {what}: {e}")))?;
        let stderr = child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        let stdout = child.stdout.take().map(BufReader::new);
        let mut server = Server {
            what,
            child: Some(child),
            stdout,
            stderr,
            port: 0,
        };
        let mut line = String::new();
        if let Some(out) = server.stdout.as_mut() {
            let _ = out.read_line(&mut line);
        }
        match line.trim().parse::<u16>() {
            Ok(port) if port != 0 => {
                server.port = port;
                Ok(server)
            }
            _ => {
                let ran = server.finish()?;
                Err(ran.failure(&format!("printed no port first (got {line:?})")))
            }
        }
    }
}

/// A running server; killed if dropped before `finish`.
struct Server {
    what: String,
    child: Option<Child>,
    stdout: Option<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<String>>,
    port: u16,
}

impl Server {
    /// `127.0.0.1:<port>`.
    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits for the server to exit (it serves a set number of clients) and collects
    /// what it printed.
    fn finish(mut self) -> Result<Ran> {
        let mut stdout = String::new();
        if let Some(mut out) = self.stdout.take() {
            let _ = out.read_to_string(&mut stdout);
        }
        let status = match self.child.take() {
            Some(mut child) => child
                .wait()
                .map_err(|e| Error::new(format!("waiting for {}: {e}", self.what)))?,
            None => return Err(Error::new(format!("{} was finished twice", self.what))),
        };
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        Ok(Ran {
            what: std::mem::take(&mut self.what),
            code: status.code(),
            stdout,
            stderr,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a finished process printed.
struct Ran {
    what: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// Fails unless the process exited with `code` and printed each of `needles` (on
    /// stdout or stderr).
    fn expect(&self, code: i32, needles: &[&str]) -> Result<&Self> {
        if self.code == Some(124) || self.code == Some(137) {
            return Err(self.failure(&format!("was killed after {PROCESS_TIMEOUT} s")));
        }
        if self.code != Some(code) {
            return Err(self.failure(&format!("exited with {:?}, not {code}", self.code)));
        }
        for needle in needles {
            if !self.stdout.contains(needle) && !self.stderr.contains(needle) {
                return Err(self.failure(&format!("did not print {needle:?}")));
            }
        }
        Ok(self)
    }

    fn failure(&self, what: &str) -> Error {
        Error::new(format!(
            "`{}` {what}\n--- stdout:\n{}--- stderr:\n{}",
            self.what, self.stdout, self.stderr
        ))
    }
}

/// The keys of a run: the server's, an authorized client's, and another's.
struct Keys {
    server: String,
    server_fp: String,
    client: String,
    client_fp: String,
    other: String,
    other_fp: String,
    authorized: String,
}

/// Runs the checks with the programs of one build in `dir`.
pub(super) fn run(p: &Programs, dir: &Path, everything: bool) -> Result {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("could not create {}: {e}", dir.display())))?;
    let keys = make_keys(p, dir)?;
    exchange(p, dir, &keys)?;
    if everything {
        unknown_server(p, dir, &keys)?;
        changed_server_key(p, dir, &keys)?;
        unauthorized_client(p, &keys)?;
        handshake_timeouts(p, dir, &keys)?;
        io_timeout(p, dir, &keys)?;
        mistakes(p, dir, &keys)?;
    }
    Ok(())
}

/// Creates the keys with the build's keygen.
fn make_keys(p: &Programs, dir: &Path) -> Result<Keys> {
    let mut made = Vec::new();
    for name in ["server.key", "client.key", "other.key"] {
        let path = path_str(&dir.join(name));
        let ran = p.run("keygen", &[&path])?;
        ran.expect(0, &["fingerprint: SHA256:"])?;
        let fp = ran
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("fingerprint: "))
            .unwrap_or_default()
            .to_owned();
        made.push((path, fp));
    }
    let [(server, server_fp), (client, client_fp), (other, other_fp)]: [(String, String); 3] = made
        .try_into()
        .map_err(|_| Error::new("keygen made the wrong number of keys"))?;
    let authorized = path_str(&dir.join("authorized_keys"));
    let client_pub = read(&format!("{client}.pub"))?;
    write(
        &authorized,
        &format!("# the clients this server accepts\n{client_pub}"),
    )?;
    Ok(Keys {
        server,
        server_fp,
        client,
        client_fp,
        other,
        other_fp,
        authorized,
    })
}

/// Two clients against one server, 8 MiB each way: the first records the server's key,
/// the second finds it pinned.
fn exchange(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let start = Instant::now();
    let server = p.server(&[
        "--key",
        &keys.server,
        "--authorized-keys",
        &keys.authorized,
        "--connections",
        "2",
        "--bytes",
        BULK,
        "--message",
        "hello from the server",
    ])?;
    let known_hosts = path_str(&dir.join("known_hosts"));
    let address = server.address();
    let received = format!("received {BULK_BYTES} bytes of data, all as expected");
    let sent = format!("sent {BULK_BYTES} bytes of data; both sides closed cleanly");
    let mut client_args = vec![
        "--connect",
        &address,
        "--known-hosts",
        &known_hosts,
        "--key",
        &keys.client,
        "--bytes",
        BULK,
        "--message",
        "hello from the client",
    ];
    let first = p.run("client", &[&client_args[..], &["--accept-new"]].concat())?;
    first.expect(
        0,
        &[
            "server says: hello from the server",
            &received,
            &sent,
            "new: recorded",
            &keys.server_fp,
        ],
    )?;
    let recorded = read(&known_hosts)?;
    let server_pub = read(&format!("{}.pub", keys.server))?;
    let expected_line = format!("{address} {}", server_pub.trim());
    if !recorded.lines().any(|l| l == expected_line) {
        return Err(first.failure(&format!(
            "recorded {recorded:?} in the known-hosts file, not {expected_line:?}"
        )));
    }
    client_args.push("--io-timeout");
    client_args.push("20");
    let second = p.run("client", &client_args)?;
    second.expect(
        0,
        &[
            "server says: hello from the server",
            &received,
            &sent,
            "known: pinned",
        ],
    )?;
    let served = server.finish()?;
    let line = format!(
        "({}) says: hello from the client; received {BULK_BYTES} bytes of data, all as \
         expected; sent {BULK_BYTES}; both sides closed cleanly",
        keys.client_fp
    );
    served.expect(0, &[&line])?;
    if served.stdout.matches(&line).count() != 2 {
        return Err(served.failure("did not serve both clients completely"));
    }
    println!(
        "{}: 2 clients against 1 server, {BULK} checked each way, TOFU recorded then \
         pinned, clean closes: {:.2}s",
        p.build.name,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A server not in the known-hosts file, without `--accept-new`: refused, nothing
/// recorded.
fn unknown_server(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let server = p.server(&[
        "--key",
        &keys.server,
        "--allow-any-client",
        "--connections",
        "1",
    ])?;
    let known_hosts = dir.join("known_hosts.unknown");
    let kh = path_str(&known_hosts);
    let ran = p.run(
        "client",
        &["--connect", &server.address(), "--known-hosts", &kh],
    )?;
    ran.expect(1, &["is not in", "--accept-new", &keys.server_fp])?;
    if known_hosts.exists() {
        return Err(ran.failure("created the known-hosts file while refusing"));
    }
    server.finish()?.expect(1, &["ended the handshake"])?;
    println!("{}: unknown server refused", p.build.name);
    Ok(())
}

/// A server proving another key than the one on record: refused, naming both.
fn changed_server_key(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let impostor = p.server(&[
        "--key",
        &keys.other,
        "--allow-any-client",
        "--connections",
        "1",
    ])?;
    let kh = path_str(&dir.join("known_hosts.changed"));
    let server_pub = read(&format!("{}.pub", keys.server))?;
    write(
        &kh,
        &format!("# the real server\n{} {server_pub}", impostor.address()),
    )?;
    let ran = p.run(
        "client",
        &[
            "--connect",
            &impostor.address(),
            "--known-hosts",
            &kh,
            "--accept-new",
        ],
    )?;
    ran.expect(
        1,
        &["HAS CHANGED", &keys.other_fp, &keys.server_fp, "(line 2)"],
    )?;
    impostor.finish()?.expect(1, &["ended the handshake"])?;
    println!("{}: changed server key refused", p.build.name);
    Ok(())
}

/// A client whose key is not authorized: refused, with a message on both sides.
fn unauthorized_client(p: &Programs, keys: &Keys) -> Result {
    let server = p.server(&[
        "--key",
        &keys.server,
        "--authorized-keys",
        &keys.authorized,
        "--connections",
        "1",
    ])?;
    let kh = format!("{}.kh", keys.other);
    p.run(
        "client",
        &[
            "--connect",
            &server.address(),
            "--known-hosts",
            &kh,
            "--accept-new",
            "--key",
            &keys.other,
        ],
    )?
    .expect(1, &["does not accept this client's key"])?;
    server
        .finish()?
        .expect(1, &["refused", &keys.other_fp, "is not in"])?;
    println!("{}: unauthorized client refused", p.build.name);
    Ok(())
}

/// Each side gives up on a peer that connects and says nothing.
fn handshake_timeouts(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let within = format!("the handshake did not finish within {SHORT} s");
    // The client, against a listener that never answers.
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error)?;
    let port = listener.local_addr().map_err(io_error)?.port();
    let holder = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let kh = path_str(&dir.join("known_hosts.silent"));
    let start = Instant::now();
    let ran = p.run(
        "client",
        &[
            "--connect",
            &format!("127.0.0.1:{port}"),
            "--known-hosts",
            &kh,
            "--handshake-timeout",
            SHORT,
        ],
    )?;
    let waited = start.elapsed();
    if !holder.is_finished() {
        // The client never connected: let the accept end.
        let _ = TcpStream::connect(("127.0.0.1", port));
    }
    let _silent = holder.join();
    ran.expect(1, &[&within])?;
    if waited < Duration::from_millis(500) {
        return Err(ran.failure(&format!("gave up after {waited:?}, before {SHORT} s")));
    }
    // The server, against a client that never speaks.
    let server = p.server(&[
        "--key",
        &keys.server,
        "--allow-any-client",
        "--connections",
        "1",
        "--handshake-timeout",
        SHORT,
    ])?;
    let silent = TcpStream::connect(("127.0.0.1", server.port)).map_err(io_error)?;
    server.finish()?.expect(1, &[&within])?;
    drop(silent);
    println!("{}: handshake timeouts (client and server)", p.build.name);
    Ok(())
}

/// Both sides give up when nothing moves after the handshake: a relay forwards the
/// three handshake frames, then goes silent.
fn io_timeout(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let server = p.server(&[
        "--key",
        &keys.server,
        "--authorized-keys",
        &keys.authorized,
        "--connections",
        "1",
        "--io-timeout",
        SHORT,
    ])?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_error)?;
    let relay_port = listener.local_addr().map_err(io_error)?.port();
    let server_port = server.port;
    let relay = std::thread::spawn(move || -> std::io::Result<(TcpStream, TcpStream)> {
        let (client, _) = listener.accept()?;
        let upstream = TcpStream::connect(("127.0.0.1", server_port))?;
        for stream in [&client, &upstream] {
            stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        }
        // Client hello, server hello, client auth: one frame each.
        forward_frame(&client, &upstream)?;
        forward_frame(&upstream, &client)?;
        forward_frame(&client, &upstream)?;
        // Then nothing: both stay connected and hear nothing more.
        Ok((client, upstream))
    });
    let kh = path_str(&dir.join("known_hosts.relay"));
    let ran = p.run(
        "client",
        &[
            "--connect",
            &format!("127.0.0.1:{relay_port}"),
            "--known-hosts",
            &kh,
            "--accept-new",
            "--key",
            &keys.client,
            "--io-timeout",
            SHORT,
        ],
    )?;
    let silence = format!("no data moved either way for {SHORT} s");
    let served = server.finish();
    if !relay.is_finished() {
        let _ = TcpStream::connect(("127.0.0.1", relay_port));
    }
    let relayed = relay.join();
    ran.expect(1, &[&silence])?;
    served?.expect(1, &[&silence])?;
    match relayed {
        Ok(Ok(_streams)) => {}
        Ok(Err(e)) => return Err(Error::new(format!("the relay failed: {e}"))),
        Err(_) => return Err(Error::new("the relay thread panicked")),
    }
    println!("{}: I/O timeouts (client and server)", p.build.name);
    Ok(())
}

/// Copies one frame (`type:u8 || length:u16` big-endian, then the body) from `from` to
/// `to`.
fn forward_frame(mut from: &TcpStream, mut to: &TcpStream) -> std::io::Result<()> {
    let mut header = [0u8; 3];
    from.read_exact(&mut header)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([header[1], header[2]]))];
    from.read_exact(&mut body)?;
    to.write_all(&header)?;
    to.write_all(&body)
}

/// Command-line mistakes (status 2 and the usage) and file mistakes (status 1, naming
/// the file).
fn mistakes(p: &Programs, dir: &Path, keys: &Keys) -> Result {
    let kh = path_str(&dir.join("known_hosts.none"));
    let usage: &[(&str, &[&str], &str)] = &[
        ("client", &["--bogus"], "unknown option '--bogus'"),
        (
            "client",
            &["--connect", "127.0.0.1", "--known-hosts", &kh],
            "wants HOST:PORT",
        ),
        (
            "client",
            &["--connect", "127.0.0.1:99999", "--known-hosts", &kh],
            "bad port '99999'",
        ),
        (
            "client",
            &["--connect", "127.0.0.1:7000", "--known-hosts"],
            "--known-hosts needs a value",
        ),
        (
            "client",
            &["--known-hosts", &kh],
            "--connect HOST:PORT is required",
        ),
        (
            "client",
            &[
                "--connect",
                "127.0.0.1:7000",
                "--known-hosts",
                &kh,
                "--handshake-timeout",
                "soon",
            ],
            "wants seconds",
        ),
        ("server", &["--port", "http"], "bad port 'http'"),
        (
            "server",
            &[
                "--key",
                &keys.server,
                "--allow-any-client",
                "--bytes",
                "lots",
            ],
            "byte count",
        ),
        (
            "server",
            &["--key", &keys.server],
            "exactly one of --authorized-keys FILE and --allow-any-client",
        ),
        ("keygen", &[], "FILE to create is required"),
    ];
    for (program, args, needle) in usage {
        p.run(program, args)?.expect(2, &[needle, "usage:"])?;
    }
    let missing = path_str(&dir.join("missing.key"));
    let readable = path_str(&dir.join("readable.key"));
    std::fs::copy(&keys.server, &readable).map_err(io_error)?;
    set_mode(&readable, 0o644)?;
    let bad_authorized = path_str(&dir.join("authorized_keys.bad"));
    write(
        &bad_authorized,
        "# from ~/.ssh, by mistake\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG\n",
    )?;
    let bad_kh = path_str(&dir.join("known_hosts.bad"));
    write(&bad_kh, "\nexample.com ossuary-ed25519 x\n")?;
    let files: &[(&str, &[&str], String)] = &[
        (
            "server",
            &["--key", &missing, "--allow-any-client"],
            format!("cannot read the secret key file {missing}"),
        ),
        (
            "server",
            &["--key", &readable, "--allow-any-client"],
            format!("chmod 600 {readable}"),
        ),
        (
            "server",
            &["--key", &keys.server, "--authorized-keys", &bad_authorized],
            format!("{bad_authorized} line 2 is not a public key line"),
        ),
        (
            "client",
            &["--connect", "127.0.0.1:7000", "--known-hosts", &bad_kh],
            format!("{bad_kh} line 2 is not a known-hosts entry"),
        ),
        (
            "keygen",
            &[&keys.server],
            format!("{} or {}.pub exists already", keys.server, keys.server),
        ),
    ];
    for (program, args, needle) in files {
        p.run(program, args)?.expect(1, &[needle])?;
    }
    println!(
        "{}: {} command-line and {} file mistakes reported",
        p.build.name,
        usage.len(),
        files.len()
    );
    Ok(())
}

fn set_mode(path: &str, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io_error)
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::new(format!("could not read {path}: {e}")))
}

fn write(path: &str, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| Error::new(format!("could not write {path}: {e}")))
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(format!("loopback: {e}"))
}
