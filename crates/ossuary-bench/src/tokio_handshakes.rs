//! Handshakes per second a tokio server sustains over loopback TCP
//! (issue 12): Ossuary's tokio adapter against tokio-rustls, both mutually
//! authenticated (`tokio_rig.rs`).
//!
//! ```text
//!   client runtime (2 workers)                server runtime (2 workers)
//!   CLIENTS tasks, each in a loop:            one accept loop per stack;
//!     connect 127.0.0.1 ─────────────────▶    a task per connection:
//!     handshake (connect)  ◀─────────────▶      handshake (accept), count it,
//!     wait for the server's close  ◀──────      close (RST: SO_LINGER 0)
//! ```
//!
//! Both runtimes run in this process on the machine's 2 cores, so the
//! clients' work competes with the server's: the handshakes per second are
//! what the server completes while the clients share its cores. Beside
//! them, each runtime's CPU time (the scheduler's account of its threads)
//! per handshake, and from the server's the rate a server would reach with
//! both cores to itself (2 s of CPU per second / its CPU per handshake), an
//! estimate that assumes it scales to both cores. The kernel's loopback TCP
//! work is charged to whichever thread runs it (often the sender's), so the
//! split between the two runtimes is approximate; their sum is not.
//!
//! The server closes each connection with a reset once its handshake is
//! done, so no TIME_WAIT sockets pile up over tens of thousands of
//! connections; the client waits for that close before its next connect,
//! so each client has one connection at a time.
//!
//! Each sample is a fixed number of handshakes, chosen after a warm-up so
//! that it lasts about the window; the two stacks alternate round by round.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use crate::BenchResult;
use crate::harness::{Unit, per_round};
use crate::report::{Table, Target};
use crate::tokio_rig::{self, Peers, ThreadCpu, TlsSuite};

/// A client gives up on one connection after this long (Ossuary's own
/// deadline is 10 s too; tokio-rustls has none).
const CLIENT_LIMIT: Duration = Duration::from_secs(10);

/// Worker threads of each runtime: the machine's two cores.
const WORKERS: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    Ossuary,
    Rustls,
}

impl Stack {
    fn label(self) -> &'static str {
        match self {
            Self::Ossuary => "Ossuary (ossuary-tokio), mutual",
            Self::Rustls => "tokio-rustls + aws-lc-rs, mutual (Ed25519 certificates)",
        }
    }
}

/// One stack's figures, one value per round.
pub(crate) struct Series {
    stack: Stack,
    rate: Vec<f64>,
    server_us: Vec<f64>,
    client_us: Vec<f64>,
    busy: Vec<f64>,
    /// Handshakes per sample.
    per_sample: u64,
    failed: u64,
}

/// The group's figures.
pub(crate) struct Report {
    series: Vec<Series>,
    clients: usize,
    window: Duration,
    cpu_known: bool,
}

/// The two runtimes and their CPU accounts.
struct Rig {
    server_rt: Runtime,
    client_rt: Runtime,
    server_cpu: ThreadCpu,
    client_cpu: ThreadCpu,
    peers: Arc<Peers>,
    clients: usize,
}

/// A stack's server, accepting on its own port for the whole group.
struct Server {
    addr: SocketAddr,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

/// One sample's outcome.
struct Point {
    rate: f64,
    server_us: f64,
    client_us: f64,
    busy: f64,
    failed: u64,
}

/// Runs the group: `rounds` rounds of samples lasting about `window`, with
/// `clients` concurrent clients.
pub(crate) fn run(
    peers: Arc<Peers>,
    rounds: usize,
    window: Duration,
    clients: usize,
) -> BenchResult<Report> {
    let started = Instant::now();
    let server_cpu = ThreadCpu::default();
    let client_cpu = ThreadCpu::default();
    let rig = Rig {
        server_rt: tokio_rig::runtime("bench-server", WORKERS, &server_cpu)?,
        client_rt: tokio_rig::runtime("bench-client", WORKERS, &client_cpu)?,
        server_cpu,
        client_cpu,
        peers,
        clients: clients.max(1),
    };
    let stacks = [Stack::Ossuary, Stack::Rustls];
    let mut servers = Vec::new();
    let mut series = Vec::new();
    for stack in stacks {
        let server = rig.start_server(stack)?;
        // Warm-up (connections, allocator, caches), then a pilot sample
        // that sets how many handshakes fill the window.
        rig.sample(&server, stack, 2 * rig.clients as u64)?;
        let pilot = rig.sample(&server, stack, (8 * rig.clients as u64).max(200))?;
        let per_sample = ((pilot.rate * window.as_secs_f64()) as u64).max(4 * rig.clients as u64);
        servers.push(server);
        series.push(Series {
            stack,
            rate: Vec::new(),
            server_us: Vec::new(),
            client_us: Vec::new(),
            busy: Vec::new(),
            per_sample,
            failed: 0,
        });
    }
    let n = series.len();
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let (Some(s), Some(server)) = (series.get_mut(i), servers.get(i)) else {
                continue;
            };
            let p = rig.sample(server, s.stack, s.per_sample)?;
            s.rate.push(p.rate);
            s.server_us.push(p.server_us);
            s.client_us.push(p.client_us);
            s.busy.push(p.busy);
            s.failed += p.failed;
        }
    }
    for (s, server) in series.iter_mut().zip(&servers) {
        s.failed += server.failed.load(Ordering::Relaxed);
    }
    eprintln!(
        "  {:<28} {n} contenders x {rounds} rounds in {:.1} s",
        "tokio handshakes over TCP",
        started.elapsed().as_secs_f64()
    );
    let cpu_known = rig.server_cpu.seconds().is_some();
    Ok(Report {
        series,
        clients: rig.clients,
        window,
        cpu_known,
    })
}

impl Rig {
    fn start_server(&self, stack: Stack) -> BenchResult<Server> {
        let listener = self.server_rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let done = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        self.server_rt.spawn(accept_loop(
            listener,
            stack,
            Arc::clone(&self.peers),
            Arc::clone(&done),
            Arc::clone(&failed),
        ));
        Ok(Server { addr, done, failed })
    }

    /// `n` handshakes by `self.clients` clients; the rate is the server's
    /// completed handshakes over the wall-clock time.
    fn sample(&self, server: &Server, stack: Stack, n: u64) -> BenchResult<Point> {
        let done_before = server.done.load(Ordering::SeqCst);
        let server_before = self.server_cpu.seconds();
        let client_before = self.client_cpu.seconds();
        let start = Instant::now();
        let left = Arc::new(AtomicI64::new(i64::try_from(n).unwrap_or(i64::MAX)));
        let failed = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = (0..self.clients)
            .map(|_| {
                self.client_rt.spawn(client_loop(
                    stack,
                    Arc::clone(&self.peers),
                    server.addr,
                    Arc::clone(&left),
                    Arc::clone(&failed),
                ))
            })
            .collect();
        self.client_rt.block_on(async {
            for t in tasks {
                let _ = t.await;
            }
        });
        let wall = start.elapsed().as_secs_f64();
        let completed = server.done.load(Ordering::SeqCst) - done_before;
        if completed == 0 {
            return Err(format!("{}: no handshake completed", stack.label()).into());
        }
        let per_hs = |before: Option<f64>, after: Option<f64>| match (before, after) {
            (Some(b), Some(a)) => (a - b) * 1e6 / completed as f64,
            _ => f64::NAN,
        };
        let server_us = per_hs(server_before, self.server_cpu.seconds());
        let client_us = per_hs(client_before, self.client_cpu.seconds());
        Ok(Point {
            rate: completed as f64 / wall,
            server_us,
            client_us,
            busy: (server_us + client_us) * completed as f64 / 1e6 / wall,
            failed: failed.load(Ordering::Relaxed),
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    stack: Stack,
    peers: Arc<Peers>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                tokio::spawn(serve(
                    tcp,
                    stack,
                    Arc::clone(&peers),
                    Arc::clone(&done),
                    Arc::clone(&failed),
                ));
            }
            Err(_) => {
                // Out of descriptors, for instance: count it, keep serving.
                failed.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    }
}

/// One server connection: the handshake, counted, then a reset.
async fn serve(
    tcp: TcpStream,
    stack: Stack,
    peers: Arc<Peers>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let prepared = tcp.set_nodelay(true).and_then(|()| tcp.set_zero_linger());
    let ok = prepared.is_ok()
        && match stack {
            Stack::Ossuary => peers.ossuary_accept(tcp).await.is_ok(),
            Stack::Rustls => peers.tls_accept(TlsSuite::ChaCha, tcp).await.is_ok(),
        };
    let counter = if ok { &done } else { &failed };
    counter.fetch_add(1, Ordering::SeqCst);
}

/// A client: handshakes one after another while any are left to do.
async fn client_loop(
    stack: Stack,
    peers: Arc<Peers>,
    addr: SocketAddr,
    left: Arc<AtomicI64>,
    failed: Arc<AtomicU64>,
) {
    while left.fetch_sub(1, Ordering::Relaxed) > 0 {
        let one = tokio::time::timeout(CLIENT_LIMIT, client_once(stack, &peers, addr)).await;
        if !matches!(one, Ok(Ok(()))) {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Connects, runs the client's handshake, waits for the server to close.
async fn client_once(stack: Stack, peers: &Peers, addr: SocketAddr) -> std::io::Result<()> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    match stack {
        Stack::Ossuary => {
            let mut s = peers.ossuary_connect(tcp).await?;
            wait_for_close(s.get_mut()).await;
        }
        Stack::Rustls => {
            let mut s = peers.tls_connect(TlsSuite::ChaCha, tcp).await?;
            wait_for_close(s.get_mut().0).await;
        }
    }
    Ok(())
}

/// Reads the socket until the server's close (end or reset).
async fn wait_for_close(tcp: &mut TcpStream) {
    let mut buf = [0u8; 64];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

impl Report {
    fn get(&self, stack: Stack) -> Option<&Series> {
        self.series.iter().find(|s| s.stack == stack)
    }

    /// The rows of this group.
    pub(crate) fn rows(&self, t: &mut Table) {
        t.section(&format!(
            "Handshakes per second, tokio server on 2 workers over loopback TCP, {} concurrent \
             clients on their own 2-worker runtime in the same process (wall clock, samples of \
             about {} ms)",
            self.clients,
            self.window.as_millis()
        ));
        for s in &self.series {
            t.timed(
                s.stack.label(),
                &s.rate,
                Unit::PerSecond,
                &format!(
                    "server-completed; {} per sample; {} failed",
                    s.per_sample, s.failed
                ),
            );
        }
        if self.cpu_known {
            for s in &self.series {
                t.timed(
                    &format!("{}: server CPU per handshake", s.stack.label()),
                    &s.server_us,
                    Unit::Micros,
                    "the server runtime's threads, kernel TCP work included where it ran there",
                );
                t.timed(
                    &format!("{}: client CPU per handshake", s.stack.label()),
                    &s.client_us,
                    Unit::Micros,
                    "the client runtime's threads",
                );
                let alone: Vec<f64> = s.server_us.iter().map(|us| 2e6 / us).collect();
                t.timed(
                    &format!("{}: server alone on 2 cores (estimate)", s.stack.label()),
                    &alone,
                    Unit::PerSecond,
                    "2 CPU-seconds per second / server CPU per handshake",
                );
                t.timed(
                    &format!("{}: both runtimes' CPU use", s.stack.label()),
                    &s.busy,
                    Unit::Cores,
                    "of the machine's 2: how saturated it was",
                );
            }
        }
        let (Some(oss), Some(tls)) = (self.get(Stack::Ossuary), self.get(Stack::Rustls)) else {
            return;
        };
        t.ratio(
            "Ossuary / tokio-rustls, handshakes per second",
            &per_round(&[&oss.rate, &tls.rate], |r| r[0] / r[1]),
            Some((
                Target::Above(1.0),
                "12. tokio server handshakes per second ahead of tokio-rustls (mutual)",
            )),
        );
        if self.cpu_known {
            t.ratio_note(
                "Ossuary / tokio-rustls, server CPU per handshake",
                &per_round(&[&oss.server_us, &tls.server_us], |r| r[0] / r[1]),
                "lower is better",
            );
        }
    }
}
