//! Stream throughput over loopback TCP at 1 KiB and 64 KiB writes
//! (issue 12): Ossuary's tokio `Stream` against tokio-rustls, Ossuary's
//! blocking `Stream` and plain tokio TCP, the limit.
//!
//! Each sample connects afresh on 127.0.0.1 (an ephemeral port), runs the
//! handshake untimed, then times, by the wall clock, from the client's
//! first write to the server's last read: `bytes` bytes written with
//! `write_all` in writes of the size, read into a 64 KiB buffer. Like the
//! blocking contender, each async side runs on its own thread, a
//! current-thread runtime each: the figure is the adapter's cost with one
//! core per side, not the scheduler's. Every transfer is bounded in time.

use std::future::Future;
use std::io;
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::BenchResult;
use crate::harness::{Body, Contender, Group, per_round};
use crate::oss::Keys;
use crate::records::pattern;
use crate::report::{Table, Target};
use crate::tcp;
use crate::tokio_rig::{self, Peers, TlsSuite};

/// The write sizes, with their names.
pub(crate) const WRITES: [(&str, usize); 2] = [("1 KiB", 1024), ("64 KiB", 64 * 1024)];

const READ_SIZE: usize = 64 * 1024;
/// A transfer that takes longer fails the run instead of hanging it.
const LIMIT: Duration = Duration::from_secs(60);

pub(crate) const OSS_TOKIO: &str = "tokio-tcp-ossuary";
pub(crate) const TLS_CHACHA: &str = "tokio-tcp-rustls-chacha";
pub(crate) const TLS_AES: &str = "tokio-tcp-rustls-aes";
pub(crate) const BLOCKING: &str = "tokio-tcp-blocking";
pub(crate) const PLAIN: &str = "tokio-tcp-plain";

/// One timed transfer between two threads, each with its own current-thread
/// runtime. `wrap_client` / `wrap_server` turn the sockets into the streams
/// to use (running any handshake, untimed).
fn transfer<C, S, FC, FS, WC, WS>(
    bytes: usize,
    write_size: usize,
    wrap_client: WC,
    wrap_server: WS,
) -> BenchResult<Duration>
where
    WC: FnOnce(TcpStream) -> FC + Send + 'static,
    WS: FnOnce(TcpStream) -> FS + Send + 'static,
    FC: Future<Output = io::Result<C>>,
    FS: Future<Output = io::Result<S>>,
    C: AsyncRead + AsyncWrite + Unpin,
    S: AsyncRead + AsyncWrite + Unpin,
{
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> io::Result<Instant> {
        tokio_rig::current_thread()?.block_on(bounded(async move {
            let listener = TcpListener::from_std(listener)?;
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            let mut stream = wrap_server(tcp).await?;
            let mut buf = vec![0u8; READ_SIZE];
            tokio_rig::receive(&mut stream, &mut buf, bytes).await
            // Dropping the stream closes the connection: the client's
            // pending read returns.
        }))
    });
    let client = thread::spawn(move || -> io::Result<Instant> {
        tokio_rig::current_thread()?.block_on(bounded(async move {
            let tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            let mut stream = wrap_client(tcp).await?;
            let chunk = pattern(write_size);
            let start = Instant::now();
            tokio_rig::send(&mut stream, &chunk, bytes).await?;
            // Kept open until the server has read everything and closed.
            let _ = stream.read(&mut [0u8; 1]).await;
            Ok(start)
        }))
    });
    let start = client.join().map_err(|_| "TCP client thread panicked")?;
    let end = server.join().map_err(|_| "TCP server thread panicked")??;
    Ok(end.saturating_duration_since(start?))
}

/// `fut`, failing with `TimedOut` after [`LIMIT`].
async fn bounded<T>(fut: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(LIMIT, fut)
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

/// A body running `iters` transfers made by `one`.
fn body(mut one: impl FnMut() -> BenchResult<Duration> + 'static, what: &'static str) -> Body {
    Box::new(move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            total += one().unwrap_or_else(|e| panic!("{what}: {e}"));
        }
        total
    })
}

fn ossuary(peers: &Arc<Peers>, bytes: usize, write_size: usize) -> Body {
    let peers = Arc::clone(peers);
    body(
        move || {
            let (c, s) = (Arc::clone(&peers), Arc::clone(&peers));
            transfer(
                bytes,
                write_size,
                move |tcp| async move { c.ossuary_connect(tcp).await },
                move |tcp| async move { s.ossuary_accept(tcp).await },
            )
        },
        "ossuary-tokio TCP transfer",
    )
}

fn rustls(peers: &Arc<Peers>, suite: TlsSuite, bytes: usize, write_size: usize) -> Body {
    let peers = Arc::clone(peers);
    body(
        move || {
            let (c, s) = (Arc::clone(&peers), Arc::clone(&peers));
            transfer(
                bytes,
                write_size,
                move |tcp| async move { c.tls_connect(suite, tcp).await },
                move |tcp| async move { s.tls_accept(suite, tcp).await },
            )
        },
        "tokio-rustls TCP transfer",
    )
}

fn plain(bytes: usize, write_size: usize) -> Body {
    body(
        move || {
            transfer(
                bytes,
                write_size,
                |tcp| async move { Ok(tcp) },
                |tcp| async move { Ok(tcp) },
            )
        },
        "plain tokio TCP transfer",
    )
}

/// The group for one write size.
pub(crate) fn group(
    name: &'static str,
    peers: &Arc<Peers>,
    bytes: usize,
    write_size: usize,
) -> BenchResult<Group> {
    let c =
        |key, label: &str, body| Contender::throughput(key, label, bytes, body).fixed_iterations(1);
    Ok(Group::new(
        name,
        vec![
            c(
                OSS_TOKIO,
                "ossuary-tokio Stream",
                ossuary(peers, bytes, write_size),
            ),
            c(
                TLS_CHACHA,
                "tokio-rustls + aws-lc-rs, CHACHA20_POLY1305",
                rustls(peers, TlsSuite::ChaCha, bytes, write_size),
            ),
            c(
                TLS_AES,
                "tokio-rustls + aws-lc-rs, AES_256_GCM (info)",
                rustls(peers, TlsSuite::Aes, bytes, write_size),
            ),
            c(
                BLOCKING,
                "ossuary_core::Stream (blocking, a thread per side)",
                tcp::ossuary_body(Keys::generate()?, bytes, write_size),
            ),
            c(PLAIN, "plain tokio TCP", plain(bytes, write_size)),
        ],
    ))
}

/// The rows of one write size's group.
pub(crate) fn rows(t: &mut Table, g: &Group, size: &str, bytes: usize) {
    t.section(&format!(
        "Loopback TCP, {} MiB in {size} writes (write_all), tokio: a current-thread runtime per side, wall clock",
        bytes >> 20
    ));
    for c in &g.contenders {
        let note = match c.key {
            TLS_AES => "rustls's default suite; a different cipher, not in the target",
            PLAIN => "the limit",
            _ => "",
        };
        t.timed(&c.label, &c.samples, c.unit, note);
    }
    let oss = g.samples(OSS_TOKIO);
    t.ratio(
        &format!("ossuary-tokio / tokio-rustls (CHACHA20_POLY1305) at {size}"),
        &per_round(&[oss, g.samples(TLS_CHACHA)], |r| r[0] / r[1]),
        Some((
            Target::AtLeast(1.0),
            &format!("12. ossuary-tokio throughput ≥ tokio-rustls at {size} writes"),
        )),
    );
    for (key, what) in [
        (TLS_AES, "tokio-rustls (AES_256_GCM)"),
        (BLOCKING, "blocking Stream"),
        (PLAIN, "plain tokio TCP"),
    ] {
        t.ratio_note(
            &format!("ossuary-tokio / {what} at {size}"),
            &per_round(&[oss, g.samples(key)], |r| r[0] / r[1]),
            "",
        );
    }
}
