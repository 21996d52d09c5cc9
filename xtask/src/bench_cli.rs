//! `cargo xtask bench-cli [--quick]`: the `ossuary tunnel` pair against a spiped pair and
//! against plain TCP (the limit), over loopback, in the same run (issue 13, "Performance").
//!
//! A sink server here counts what each connection sends and answers the count. Through each
//! path (plain, ossuary, spiped) it measures, in interleaved rounds:
//!
//! - throughput: one connection sends N MiB and waits for the count (MiB/s);
//! - connection set-up rate: sequential connections, each sending one byte and waiting for
//!   the count (connections/s), which is connect, the tunnel's handshake and one round trip.
//!
//! spiped is installed with apt when missing (as root). The benchmark reports; it fails only
//! when it cannot measure. xtask does not depend on our crates: it runs the built `ossuary`.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::{self, Error, Result};

/// How long any one wait (a process to listen, a transfer) may take.
const WAIT: Duration = Duration::from_secs(60);

/// Bytes per write in the throughput test.
const CHUNK: usize = 64 * 1024;

/// What one run measures.
struct Plan {
    rounds: usize,
    mib: usize,
    connections: usize,
}

/// Runs the benchmark and prints its markdown table.
pub(crate) fn run(args: &[String]) -> Result {
    let mut plan = Plan {
        rounds: 5,
        mib: 256,
        connections: 1000,
    };
    for arg in args {
        match arg.as_str() {
            "--quick" => {
                plan = Plan {
                    rounds: 3,
                    mib: 64,
                    connections: 200,
                }
            }
            other => {
                return Err(Error::new(format!(
                    "`bench-cli`: unknown argument `{other}`"
                )));
            }
        }
    }
    crate::test::ensure_apt(&[("spiped", "spiped")])?;
    util::run(
        Command::new(util::cargo())
            .args(["build", "--locked", "--release", "-p", "ossuary-cli"])
            .env("RUSTFLAGS", util::rustflags())
            .current_dir(util::project_root()),
    )?;
    let ossuary = util::target_dir().join("release").join("ossuary");
    let work = WorkDir::new()?;
    let sink = sink()?;

    let mut procs = Procs(Vec::new());
    let ossuary_addr = start_ossuary(&ossuary, work.path(), &sink, &mut procs)?;
    let spiped_addr = start_spiped(work.path(), &sink, &mut procs)?;
    let paths = [
        ("plain TCP", sink.clone()),
        ("ossuary tunnel pair", ossuary_addr),
        ("spiped pair", spiped_addr),
    ];

    eprintln!(
        "bench-cli: {} rounds of {} MiB and {} connections per path",
        plan.rounds, plan.mib, plan.connections
    );
    let load_before = load();
    let mut throughput: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    let mut setup: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    for round in 0..plan.rounds {
        for (i, (name, addr)) in paths.iter().enumerate() {
            let mibs = bulk(addr, plan.mib)?;
            let rate = set_up(addr, plan.connections)?;
            eprintln!("round {round}: {name}: {mibs:.0} MiB/s, {rate:.0} connections/s");
            throughput[i].push(mibs);
            setup[i].push(rate);
        }
    }
    drop(procs);

    println!("| Path (loopback) | Throughput, MiB/s | Set-up, connections/s |");
    println!("|---|--:|--:|");
    for (i, (name, _)) in paths.iter().enumerate() {
        println!(
            "| {name} | {} | {} |",
            summary(&throughput[i]),
            summary(&setup[i])
        );
    }
    let ratio = |xs: &[Vec<f64>], a: usize, b: usize| median(&xs[a]) / median(&xs[b]);
    println!(
        "| ossuary / spiped | {:.2}x (goal: at least 2x) | {:.2}x |",
        ratio(&throughput, 1, 2),
        ratio(&setup, 1, 2)
    );
    println!(
        "| ossuary / plain TCP | {:.2}x | {:.2}x |",
        ratio(&throughput, 1, 0),
        ratio(&setup, 1, 0)
    );
    println!(
        "\n{} rounds, {} MiB per throughput sample, {} sequential connections per set-up \
         sample; medians (min-max). {}; load average {} before, {} after.",
        plan.rounds,
        plan.mib,
        plan.connections,
        machine(),
        load_before,
        load()
    );
    Ok(())
}

/// A temporary directory, removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("ossuary-bench-cli-{}", std::process::id()));
        fs::create_dir_all(&dir)
            .map_err(|e| Error::new(format!("could not create {}: {e}", dir.display())))?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Child processes, killed when dropped.
struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the sink: for each connection, reads to the end, then answers the byte count
/// (8 bytes, big-endian). Returns its address.
fn sink() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("bind the sink"))?;
    let addr = listener
        .local_addr()
        .map_err(io("sink address"))?
        .to_string();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(WAIT));
                let mut buf = vec![0u8; CHUNK];
                let mut count = 0u64;
                loop {
                    match tcp.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => count += n as u64,
                        Err(_) => return,
                    }
                }
                let _ = tcp.write_all(&count.to_be_bytes());
            });
        }
    });
    Ok(addr)
}

/// Starts an `ossuary tunnel --decrypt` in front of `sink` and an `--encrypt` end towards
/// it, with fresh keys in `dir`; returns the encrypting end's address.
fn start_ossuary(bin: &Path, dir: &Path, sink: &str, procs: &mut Procs) -> Result<String> {
    for (file, comment) in [
        ("server.key", "bench server"),
        ("client.key", "bench client"),
    ] {
        util::run(
            Command::new(bin)
                .args(["keygen", "-o", file, "-C", comment])
                .current_dir(dir)
                .stdout(Stdio::null()),
        )?;
    }
    fs::copy(dir.join("client.key.pub"), dir.join("authorized"))
        .map_err(io("copy the client key"))?;
    let decrypt = tunnel(
        bin,
        dir,
        &[
            "--decrypt",
            "--to",
            sink,
            "--identity",
            "server.key",
            "--authorized-keys",
            "authorized",
        ],
        procs,
    )?;
    tunnel(
        bin,
        dir,
        &[
            "--encrypt",
            "--to",
            &decrypt,
            "--identity",
            "client.key",
            "--server-key",
            "server.key.pub",
        ],
        procs,
    )
}

/// Starts one `ossuary tunnel` end on a free loopback port; returns where it listens. Its
/// log (a line per connection) is read and dropped, so that it never blocks on stderr.
fn tunnel(bin: &Path, dir: &Path, args: &[&str], procs: &mut Procs) -> Result<String> {
    let mut child = Command::new(bin)
        .args([
            "tunnel",
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "1000",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io("start ossuary tunnel"))?;
    let stderr = child.stderr.take();
    procs.0.push(child);
    let stderr = stderr.ok_or_else(|| Error::new("ossuary tunnel: no stderr"))?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(rest) = line.split("listening on ").nth(1) {
                let addr = rest.split([',', ' ']).next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
                sent = true;
            }
        }
    });
    rx.recv_timeout(WAIT)
        .map_err(|_| Error::new("ossuary tunnel did not say where it listens"))
}

/// Starts a spiped pair (`-d` in front of `sink`, `-e` towards it) with a random key;
/// returns the encrypting end's address.
fn start_spiped(dir: &Path, sink: &str, procs: &mut Procs) -> Result<String> {
    let mut key = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(io("read /dev/urandom"))?;
    let key_file = dir.join("spiped.key");
    fs::write(&key_file, key).map_err(io("write the spiped key"))?;
    let (decrypt, encrypt) = (free_port()?, free_port()?);
    let spiped = |mode: &str, source: u16, target: &str| -> Result<Child> {
        Command::new("spiped")
            .arg(mode)
            .args(["-s", &format!("[127.0.0.1]:{source}"), "-t", target])
            .arg("-k")
            .arg(&key_file)
            .args(["-F", "-n", "1000"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io("start spiped"))
    };
    let sink_port = sink.rsplit(':').next().unwrap_or_default();
    procs
        .0
        .push(spiped("-d", decrypt, &format!("[127.0.0.1]:{sink_port}"))?);
    wait_listening(decrypt)?;
    procs
        .0
        .push(spiped("-e", encrypt, &format!("[127.0.0.1]:{decrypt}"))?);
    wait_listening(encrypt)?;
    Ok(format!("127.0.0.1:{encrypt}"))
}

/// A loopback port that was free a moment ago (spiped cannot report the port it got).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("find a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("find a free port"))?
        .port())
}

/// Waits until something accepts connections on `port` (at most [`WAIT`]).
fn wait_listening(port: u16) -> Result {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Err(Error::new(format!("nothing listens on port {port}")))
}

/// Sends `mib` MiB over one connection to `addr` and waits for the sink's count; MiB/s.
fn bulk(addr: &str, mib: usize) -> Result<f64> {
    let data = vec![0x5au8; CHUNK];
    let chunks = mib * (1 << 20) / CHUNK;
    let start = Instant::now();
    let mut tcp = connect(addr)?;
    for _ in 0..chunks {
        tcp.write_all(&data).map_err(io("send"))?;
    }
    let count = finish(&mut tcp)?;
    let secs = start.elapsed().as_secs_f64();
    if count != (chunks * CHUNK) as u64 {
        return Err(Error::new(format!(
            "{addr}: the sink counted {count} bytes of {}",
            chunks * CHUNK
        )));
    }
    Ok(mib as f64 / secs)
}

/// Makes `n` connections to `addr` one after another, each sending one byte and waiting
/// for the count; connections per second.
fn set_up(addr: &str, n: usize) -> Result<f64> {
    let start = Instant::now();
    for _ in 0..n {
        let mut tcp = connect(addr)?;
        tcp.write_all(b"x").map_err(io("send"))?;
        if finish(&mut tcp)? != 1 {
            return Err(Error::new(format!(
                "{addr}: a one-byte connection lost its byte"
            )));
        }
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// A connection with bounded reads.
fn connect(addr: &str) -> Result<TcpStream> {
    let tcp = TcpStream::connect(addr).map_err(io("connect"))?;
    tcp.set_nodelay(true).map_err(io("set TCP_NODELAY"))?;
    tcp.set_read_timeout(Some(WAIT))
        .map_err(io("set a timeout"))?;
    Ok(tcp)
}

/// Ends the sending side and reads the sink's count.
fn finish(tcp: &mut TcpStream) -> Result<u64> {
    tcp.shutdown(Shutdown::Write).map_err(io("half-close"))?;
    let mut count = [0u8; 8];
    tcp.read_exact(&mut count).map_err(io("read the count"))?;
    Ok(u64::from_be_bytes(count))
}

/// The median of `xs`.
fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `median (min-max)`.
fn summary(xs: &[f64]) -> String {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.0} ({min:.0}-{max:.0})", median(xs))
}

/// The CPU model and count, from /proc/cpuinfo.
fn machine() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU", str::trim)
        .to_owned();
    let cpus = info.lines().filter(|l| l.starts_with("processor")).count();
    format!("{cpus} x {model}")
}

/// The 1-minute load average, from /proc/loadavg.
fn load() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// An error that says what was being done.
fn io(what: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::new(format!("bench-cli: could not {what}: {e}"))
}
