//! Throughput over real loopback TCP: `ossuary_core::Stream` against the
//! plain socket, one thread per side.
//!
//! Each sample connects afresh on 127.0.0.1 (an ephemeral port), runs the
//! Ossuary handshake untimed, then times from the client's first write to
//! the server's last read: `bytes` bytes written 16 KiB at a time. Every
//! socket has 10 s read and write timeouts, so a stuck sample fails instead
//! of hanging.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use ossuary_core::Stream;

use crate::BenchResult;
use crate::harness::{Body, Contender, Group};
use crate::oss::{self, KeyInstall, Keys, Mode};
use crate::records::pattern;

/// Bytes per `write` call.
pub(crate) const WRITE_SIZE: usize = 16 * 1024;
const READ_SIZE: usize = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) const STREAM: &str = "tcp-stream";
pub(crate) const PLAIN: &str = "tcp-plain";

fn socket(tcp: &TcpStream) -> io::Result<()> {
    tcp.set_read_timeout(Some(IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))?;
    tcp.set_nodelay(true)
}

/// Writes `bytes` bytes in `write_size` writes, then flushes.
fn send(w: &mut impl Write, bytes: usize, write_size: usize) -> io::Result<()> {
    let chunk = pattern(write_size);
    let mut sent = 0;
    while sent < bytes {
        let n = (bytes - sent).min(write_size);
        w.write_all(&chunk[..n])?;
        sent += n;
    }
    w.flush()
}

/// Reads until `bytes` bytes have arrived; returns when the last did.
fn receive(r: &mut impl Read, bytes: usize) -> io::Result<Instant> {
    let mut buf = vec![0u8; READ_SIZE];
    let mut got = 0;
    while got < bytes {
        match r.read(&mut buf)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(Instant::now())
}

/// One timed transfer. `wrap_client` / `wrap_server` turn the sockets into
/// the streams to use (and run any handshake, untimed).
fn transfer<C, S>(
    bytes: usize,
    write_size: usize,
    wrap_client: impl FnOnce(TcpStream) -> io::Result<C> + Send + 'static,
    wrap_server: impl FnOnce(TcpStream) -> io::Result<S> + Send + 'static,
) -> BenchResult<Duration>
where
    C: Write + Send + 'static,
    S: Read + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || -> io::Result<Instant> {
        let (tcp, _) = listener.accept()?;
        socket(&tcp)?;
        let mut stream = wrap_server(tcp)?;
        receive(&mut stream, bytes)
    });
    let client = thread::spawn(move || -> io::Result<(Instant, C)> {
        let tcp = TcpStream::connect(addr)?;
        socket(&tcp)?;
        let mut stream = wrap_client(tcp)?;
        let start = Instant::now();
        send(&mut stream, bytes, write_size)?;
        // The stream is dropped only after the server has read everything.
        Ok((start, stream))
    });
    let sent = client.join().map_err(|_| "TCP client thread panicked")?;
    let end = server.join().map_err(|_| "TCP server thread panicked")??;
    let (start, stream) = sent?;
    drop(stream);
    Ok(end.saturating_duration_since(start))
}

/// `ossuary_core::Stream` over TCP, both ends, `bytes` in `write_size`
/// writes.
pub(crate) fn ossuary_body(keys: Keys, bytes: usize, write_size: usize) -> Body {
    Box::new(move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let (client, server) =
                oss::new_pair(&keys, Mode::Mutual, KeyInstall::Shared).expect("connections");
            total += transfer(
                bytes,
                write_size,
                move |tcp| {
                    let mut s = Stream::new(client, tcp);
                    s.complete_handshake()?;
                    Ok(s)
                },
                move |tcp| {
                    let mut s = Stream::new(server, tcp);
                    s.complete_handshake()?;
                    Ok(s)
                },
            )
            .expect("Ossuary TCP transfer");
        }
        total
    })
}

fn plain_body(bytes: usize) -> Body {
    Box::new(move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            total += transfer(bytes, WRITE_SIZE, Ok, Ok).expect("plain TCP transfer");
        }
        total
    })
}

pub(crate) fn group(bytes: usize) -> BenchResult<Group> {
    Ok(Group::new(
        "loopback TCP",
        vec![
            Contender::throughput(
                STREAM,
                "ossuary_core::Stream over TCP",
                bytes,
                ossuary_body(Keys::generate()?, bytes, WRITE_SIZE),
            )
            .fixed_iterations(1),
            Contender::throughput(PLAIN, "plain TCP", bytes, plain_body(bytes)).fixed_iterations(1),
        ],
    ))
}
