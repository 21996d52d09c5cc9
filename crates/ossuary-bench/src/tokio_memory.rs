//! Memory per idle established session, tokio (issue 12): Ossuary's tokio
//! `Stream` against tokio-rustls, each with the state its adapter keeps.
//!
//! N pairs run their (mutual) handshakes, one after another on a
//! current-thread runtime, over the bench's in-memory pipe (`pipe.rs`),
//! which frees its buffer whenever it is empty; the pipes are made before
//! counting starts, so the heap figures hold nothing of the transport's. The
//! streams are kept in `Vec`s allocated after counting starts, so each
//! stream's own size counts too (the session as a server keeps it, inside
//! a spawned task's future on the heap). Every stream is then polled once
//! for reading and finds nothing (`Pending`), as a server's read loop
//! leaves it: that is "idle". Both ends are counted; dropping all server
//! ends gives the clients' share, the rest is the servers'.
//!
//! A second pass, over fewer pairs, sends a 64 KiB burst each way on every
//! pair (client to server, then back), reads all of it, polls each stream
//! once more, and counts again: what buffers stay held after the data has
//! gone.

use std::future::Future;
use std::io;
use std::mem::size_of;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::runtime::Runtime;

use crate::BenchResult;
use crate::footprint::live;
use crate::pipe::{self, End};
use crate::records::pattern;
use crate::report::{Table, Target};
use crate::tokio_rig::{self, Peers, TlsSuite};

/// Bytes of the burst each way.
const BURST: usize = 64 * 1024;
/// The goal, per session.
const GOAL: f64 = 4096.0;

/// Heap bytes of all of one stack's sessions in a pass, in total.
#[derive(Debug, Clone, Copy, Default)]
struct Counted {
    client: i64,
    server: i64,
}

/// One stack's figures.
struct StackFigures {
    label: &'static str,
    goal: bool,
    idle: Counted,
    burst: Counted,
    inline_client: usize,
    inline_server: usize,
}

/// The group's figures.
pub(crate) struct Report {
    sessions: usize,
    burst_sessions: usize,
    stacks: Vec<StackFigures>,
}

/// Runs both passes for both stacks: `sessions` idle pairs, then
/// `burst_sessions` pairs with a burst.
pub(crate) fn run(
    peers: Arc<Peers>,
    sessions: usize,
    burst_sessions: usize,
) -> BenchResult<Report> {
    let started = Instant::now();
    let rt = tokio_rig::current_thread()?;
    let p = Arc::clone(&peers);
    let ossuary = measure(&rt, sessions, burst_sessions, move |a, b| {
        let (c, s) = (Arc::clone(&p), Arc::clone(&p));
        async move { tokio::try_join!(c.ossuary_connect(a), s.ossuary_accept(b)) }
    })?;
    let p = Arc::clone(&peers);
    let rustls = measure(&rt, sessions, burst_sessions, move |a, b| {
        let (c, s) = (Arc::clone(&p), Arc::clone(&p));
        async move {
            tokio::try_join!(
                c.tls_connect(TlsSuite::ChaCha, a),
                s.tls_accept(TlsSuite::ChaCha, b)
            )
        }
    })?;
    eprintln!(
        "  {:<28} 2 stacks x {sessions} idle + {burst_sessions} burst sessions in {:.1} s",
        "tokio memory per session",
        started.elapsed().as_secs_f64()
    );
    Ok(Report {
        sessions,
        burst_sessions,
        stacks: vec![
            StackFigures {
                label: "ossuary-tokio Stream",
                goal: true,
                ..ossuary
            },
            StackFigures {
                label: "tokio-rustls + aws-lc-rs",
                goal: false,
                ..rustls
            },
        ],
    })
}

/// Both passes for one stack; `connect` runs a pair's handshakes.
fn measure<C, S, F>(
    rt: &Runtime,
    sessions: usize,
    burst_sessions: usize,
    connect: impl Fn(End, End) -> F,
) -> BenchResult<StackFigures>
where
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
    F: Future<Output = io::Result<(C, S)>>,
{
    let out = pattern(BURST);
    let mut back = vec![0u8; BURST];
    // One-time initialisation (lazily built tables, the runtime's own
    // structures) is not counted: one pair first, with a burst.
    {
        let (a, b) = pipe::pair();
        let (mut c, mut s) = rt.block_on(connect(a, b))?;
        rt.block_on(burst(&mut c, &mut s, &out, &mut back))?;
    }
    let mut count = |n: usize, with_burst: bool| -> BenchResult<Counted> {
        let pipes: Vec<(End, End)> = (0..n).map(|_| pipe::pair()).collect();
        let before = live();
        let mut clients: Vec<C> = Vec::with_capacity(n);
        let mut servers: Vec<S> = Vec::with_capacity(n);
        for (a, b) in pipes {
            let (c, s) = rt.block_on(connect(a, b))?;
            clients.push(c);
            servers.push(s);
        }
        if with_burst {
            for (c, s) in clients.iter_mut().zip(servers.iter_mut()) {
                rt.block_on(burst(c, s, &out, &mut back))?;
            }
        }
        let _guard = rt.enter();
        for c in &mut clients {
            idle(c)?;
        }
        for s in &mut servers {
            idle(s)?;
        }
        let both = live() - before;
        drop(servers);
        let client = live() - before;
        drop(clients);
        Ok(Counted {
            client,
            server: both - client,
        })
    };
    let idle = count(sessions, false)?;
    let burst = count(burst_sessions, true)?;
    Ok(StackFigures {
        label: "",
        goal: false,
        idle,
        burst,
        inline_client: size_of::<C>(),
        inline_server: size_of::<S>(),
    })
}

/// Bytes per session, rounded to the byte.
fn per_session(total: i64, n: usize) -> f64 {
    (total as f64 / n.max(1) as f64).round()
}

/// `BURST` bytes from the client to the server, then back, all read.
async fn burst<C, S>(c: &mut C, s: &mut S, out: &[u8], back: &mut [u8]) -> io::Result<()>
where
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut there = vec![0u8; BURST];
    let send = async {
        c.write_all(out).await?;
        c.flush().await
    };
    tokio::try_join!(send, s.read_exact(&mut there))?;
    let send = async {
        s.write_all(out).await?;
        s.flush().await
    };
    tokio::try_join!(send, c.read_exact(back))?;
    if there != out || back != out {
        return Err(io::Error::other("the burst arrived altered"));
    }
    Ok(())
}

/// Polls `stream` for reading once; an idle stream has nothing (`Pending`).
fn idle<R: AsyncRead + Unpin>(stream: &mut R) -> io::Result<()> {
    let mut cx = Context::from_waker(Waker::noop());
    let mut byte = [0u8; 1];
    let mut buf = ReadBuf::new(&mut byte);
    match Pin::new(stream).poll_read(&mut cx, &mut buf) {
        Poll::Pending => Ok(()),
        Poll::Ready(r) => Err(io::Error::other(format!(
            "an idle stream was ready to read: {r:?}"
        ))),
    }
}

impl Report {
    /// The rows of this group.
    pub(crate) fn rows(&self, t: &mut Table) {
        t.section(&format!(
            "Heap per idle established session, tokio, mutual (in-memory pipes that hold \
             nothing when idle; {} pairs; streams kept in Vecs allocated within the count)",
            self.sessions
        ));
        for s in &self.stacks {
            for (side, bytes, inline) in [
                ("server end", s.idle.server, s.inline_server),
                ("client end", s.idle.client, s.inline_client),
            ] {
                let what = format!("12. heap per idle tokio session ≤ 4 KiB ({side})");
                let target = s.goal.then_some((Target::AtMost(GOAL), what.as_str()));
                t.fixed(
                    &format!("{}, idle, {side}, per session", s.label),
                    per_session(bytes, self.sessions),
                    "bytes",
                    target,
                    &format!("size_of the stream {inline} B, included"),
                );
            }
        }
        for s in &self.stacks {
            t.fixed(
                &format!(
                    "{}, {} idle sessions, server ends, total",
                    s.label, self.sessions
                ),
                s.idle.server as f64,
                "bytes",
                None,
                &format!("both ends: {} bytes", s.idle.server + s.idle.client),
            );
        }
        for s in &self.stacks {
            for (side, bytes) in [
                ("server end", s.burst.server),
                ("client end", s.burst.client),
            ] {
                let what = format!("12. heap per tokio session ≤ 4 KiB after a burst ({side})");
                let target = s.goal.then_some((Target::AtMost(GOAL), what.as_str()));
                t.fixed(
                    &format!(
                        "{}, after a 64 KiB burst each way, {side}, per session",
                        s.label
                    ),
                    per_session(bytes, self.burst_sessions),
                    "bytes",
                    target,
                    &format!("{} pairs", self.burst_sessions),
                );
            }
        }
    }
}
