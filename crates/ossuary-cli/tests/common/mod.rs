//! Running the built `ossuary` binary: each test gets its own home
//! directory (so `~/.ossuary` is fresh), spawns processes with their
//! stderr read line by line, and waits for lines and exits with deadlines,
//! never sleeps. A process still running when its `Running` is dropped is
//! killed.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long any one step may take before the test fails.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// A fresh home directory, with a server key pair and a client key pair.
pub(crate) struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    /// An empty home directory.
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `name` in the directory.
    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ossuary ARGS` with HOME set to this directory, and no stdin.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ossuary"));
        cmd.args(args)
            .env("HOME", self.path())
            .current_dir(self.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `ossuary ARGS` to completion (bounded by [`STEP`]).
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.spawn_with(self.command(args), false).finish()
    }

    /// Runs `ossuary ARGS` and requires success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ossuary {args:?} failed: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Writes a key pair at `name` (and `name.pub`) with `comment`; returns
    /// the public key line.
    pub(crate) fn keygen(&self, name: &str, comment: &str) -> String {
        let out = self.ok(&["keygen", "-o", name, "-C", comment]);
        out.lines()
            .find(|l| l.starts_with("ossuary-ed25519 "))
            .unwrap()
            .to_owned()
    }

    /// The fingerprint `ossuary fingerprint` prints for `what`.
    pub(crate) fn fingerprint(&self, what: &str) -> String {
        let out = self.ok(&["fingerprint", what]);
        out.split_whitespace().next().unwrap().to_owned()
    }

    /// Starts `ossuary ARGS` with piped stdin and stdout.
    pub(crate) fn spawn(&self, args: &[&str]) -> Running {
        self.spawn_with(self.command(args), true)
    }

    /// Starts `cmd` with its stderr read line by line, and stdin and stdout
    /// piped if `pipes`.
    pub(crate) fn spawn_with(&self, mut cmd: Command, pipes: bool) -> Running {
        if pipes {
            cmd.stdin(Stdio::piped());
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Running::start(cmd)
    }
}

/// A process being run.
pub(crate) struct Running {
    pid: u32,
    pub(crate) stdin: Option<ChildStdin>,
    stdout: Receiver<Vec<u8>>,
    stdout_buf: Vec<u8>,
    lines: Receiver<String>,
    seen: Vec<String>,
    exit: Receiver<(ExitStatus, Vec<u8>)>,
    exited: Option<ExitStatus>,
}

impl Running {
    fn start(mut cmd: Command) -> Self {
        let mut child: Child = cmd.spawn().unwrap();
        let pid = child.id();
        let stdin = child.stdin.take();
        let (out_tx, stdout) = mpsc::channel();
        let mut out: ChildStdout = child.stdout.take().unwrap();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 || out_tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (line_tx, lines) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut all = Vec::new();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                all.extend_from_slice(line.as_bytes());
                all.push(b'\n');
                let _ = line_tx.send(line);
            }
            all
        });
        let (exit_tx, exit) = mpsc::channel();
        thread::spawn(move || {
            let status = child.wait().unwrap();
            let stderr = reader.join().unwrap_or_default();
            let _ = exit_tx.send((status, stderr));
        });
        Self {
            pid,
            stdin,
            stdout,
            stdout_buf: Vec::new(),
            lines,
            seen: Vec::new(),
            exit,
            exited: None,
        }
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits (at most [`STEP`]) for a stderr line containing `text`.
    pub(crate) fn wait_line(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "no stderr line with {text:?} in {STEP:?}; saw {:?}",
                        self.seen
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("exited before a line with {text:?}; saw {:?}", self.seen)
                }
            }
        }
    }

    /// The address in the "listening on ADDR" line.
    pub(crate) fn listening(&mut self) -> String {
        let line = self.wait_line("listening on ");
        let rest = line.split("listening on ").nth(1).unwrap();
        let addr = rest.split_whitespace().next().unwrap();
        addr.trim_end_matches([',', ';']).to_owned()
    }

    /// Writes `bytes` to stdin.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes stdin (the end of input).
    pub(crate) fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// Reads exactly `n` bytes of stdout (within [`STEP`]).
    pub(crate) fn read_stdout(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + STEP;
        while self.stdout_buf.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.stdout_buf.extend_from_slice(&chunk),
                Err(e) => panic!("stdout: {} of {n} bytes, then {e:?}", self.stdout_buf.len()),
            }
        }
        self.stdout_buf.drain(..n).collect()
    }

    /// Waits (at most [`STEP`]) until stdout holds `text`; returns all of
    /// stdout so far, which stays to be read.
    pub(crate) fn wait_stdout(&mut self, text: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let so_far = String::from_utf8_lossy(&self.stdout_buf).into_owned();
            if so_far.contains(text) {
                return so_far;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.stdout_buf.extend_from_slice(&chunk),
                Err(e) => panic!("stdout lacks {text:?} ({e:?}): {so_far:?}"),
            }
        }
    }

    /// Waits (at most [`STEP`]) until `n` stderr lines contain `text`.
    pub(crate) fn wait_lines(&mut self, text: &str, n: usize) {
        let deadline = Instant::now() + STEP;
        while self.seen.iter().filter(|l| l.contains(text)).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(e) => panic!(
                    "fewer than {n} stderr lines with {text:?} ({e:?}); saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Sends `signal` (`INT`, `TERM`, `KILL`) with kill(1).
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {}", self.pid);
    }

    /// Waits (at most [`STEP`]) for the process to end; returns its status
    /// and whole stderr, and stdout read to the end.
    pub(crate) fn finish(mut self) -> Output {
        self.stdin.take();
        let (status, stderr) = match self.exit.recv_timeout(STEP) {
            Ok(done) => done,
            Err(_) => panic!("pid {} still running after {STEP:?}", self.pid),
        };
        self.exited = Some(status);
        let mut stdout = std::mem::take(&mut self.stdout_buf);
        // The process has ended: its stdout ends once any child it left
        // holding it ends too.
        while let Ok(chunk) = self.stdout.recv_timeout(STEP) {
            stdout.extend_from_slice(&chunk);
        }
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.exited.is_none() && self.exit.try_recv().is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The exit code of `out`, and its stderr as text.
pub(crate) fn code_and_stderr(out: &Output) -> (Option<i32>, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts that `out` exited with `code` and that its stderr contains each
/// of `texts`.
pub(crate) fn assert_failed(out: &Output, code: i32, texts: &[&str]) {
    let (got, stderr) = code_and_stderr(out);
    assert_eq!(got, Some(code), "stderr: {stderr}");
    for text in texts {
        assert!(stderr.contains(text), "stderr lacks {text:?}: {stderr}");
    }
}

/// A home with `server.key` and `client.key` pairs, and `authorized` listing
/// the client.
pub(crate) fn home_with_keys() -> Home {
    let home = Home::new();
    home.keygen("server.key", "server");
    let client = home.keygen("client.key", "client");
    std::fs::write(home.join("authorized"), format!("{client}\n")).unwrap();
    home
}
