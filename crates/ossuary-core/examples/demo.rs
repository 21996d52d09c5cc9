//! Both ends of an Ossuary channel over loopback TCP, in one process,
//! printing what happens: identities, TOFU, records, key update, close.
//!
//! ```text
//! cargo run -p ossuary-core --example demo
//! ```

mod common;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ossuary_core::keys::Fingerprint;
use ossuary_core::{Config, Connection, HandshakeStatus, Role, Stream, Transport};

/// A transport that counts the bytes it carries, to show the wire cost.
struct Counted {
    tcp: TcpStream,
    sent: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.read(buf)
    }
}

/// Lets the stream bound its reads by the handshake deadline.
impl Transport for Counted {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        self.tcp.read_timeout()
    }
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp.set_read_timeout(timeout)
    }
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.tcp.write(buf)?;
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

const BULK: usize = 4 << 20;

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let (server_secret, server_public) = ossuary_core::generate_keypair()?;
    let (client_secret, client_public) = ossuary_core::generate_keypair()?;
    println!("server identity  {}", Fingerprint::of(&server_public));
    println!("client identity  {}", Fingerprint::of(&client_public));

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    println!("server listening on {addr} (authenticating: only the client key above)");

    let server = std::thread::spawn(move || -> Result<String, String> {
        let run = || -> Result<String, Box<dyn std::error::Error>> {
            let (tcp, _) = listener.accept()?;
            tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
            let mut conn = Connection::with_identity(
                Role::AuthenticatingServer,
                Config::default(),
                Box::new(server_secret),
            )?;
            conn.add_authorized_key(client_public)?;
            let mut stream = Stream::new(conn, tcp);
            stream.complete_handshake()?;
            let who = stream.connection().remote_public_key().map(Fingerprint::of);
            let mut buf = vec![0u8; 64 * 1024];
            let mut echoed = 0usize;
            loop {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                stream.write_all(&buf[..n])?;
                echoed += n;
            }
            stream.close()?;
            Ok(format!(
                "server: client {} authenticated; echoed {echoed} bytes; saw an authenticated CLOSE",
                who.map_or_else(|| "(none)".into(), |f| f.to_string())
            ))
        };
        run().map_err(|e| e.to_string())
    });

    let sent = Arc::new(AtomicU64::new(0));
    let tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut conn =
        Connection::with_identity(Role::Client, Config::default(), Box::new(client_secret))?;
    // The client was told the server's key out of band: it pins it.
    conn.add_authorized_key(server_public)?;
    let mut stream = Stream::new(
        conn,
        Counted {
            tcp,
            sent: Arc::clone(&sent),
        },
    );

    let start = Instant::now();
    match stream.complete_handshake()? {
        HandshakeStatus::Done => println!("client: the server proved the pinned key"),
        other => return Err(format!("handshake not done: {other:?}").into()),
    }
    println!(
        "client: handshake done in {:?}; client sent {} handshake bytes",
        start.elapsed(),
        sent.load(Ordering::Relaxed)
    );

    for msg in ["hello, server", "sensor 7: 21.5 C"] {
        let before = sent.load(Ordering::Relaxed);
        stream.write_all(msg.as_bytes())?;
        let mut echo = vec![0u8; msg.len()];
        stream.read_exact(&mut echo)?;
        println!(
            "client: sent {:?} ({} bytes plaintext, {} on the wire), echo matches: {}",
            msg,
            msg.len(),
            sent.load(Ordering::Relaxed) - before,
            echo == msg.as_bytes()
        );
    }

    stream.connection_mut().update_keys()?;
    println!("client: key update sent; old send key erased");

    let bulk: Vec<u8> = (0..BULK).map(|i| (i * 31 % 251) as u8).collect();
    let before = sent.load(Ordering::Relaxed);
    let t = Instant::now();
    let mut echo = vec![0u8; BULK];
    let echoed = {
        // Write and read concurrently so neither side's socket buffer fills.
        let mut off = 0;
        let mut got = 0;
        while got < BULK {
            if off < BULK {
                let end = (off + 64 * 1024).min(BULK);
                stream.write_all(&bulk[off..end])?;
                off = end;
            }
            while got < off {
                got += stream.read(&mut echo[got..off])?;
            }
        }
        got
    };
    let elapsed = t.elapsed();
    let wire = sent.load(Ordering::Relaxed) - before;
    println!(
        "client: {} MiB echoed intact: {}; {wire} bytes on the wire ({:.2}% overhead) \
         in {elapsed:?}: {:.0} MiB/s each way",
        echoed >> 20,
        echo == bulk,
        wire as f64 * 100.0 / BULK as f64 - 100.0,
        (BULK >> 20) as f64 / elapsed.as_secs_f64()
    );
    if echo != bulk {
        return Err("the echo differs from what was sent".into());
    }

    stream.close()?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    println!("client: sent CLOSE; server's CLOSE arrived: clean end, not a cut wire");
    match server.join() {
        Ok(Ok(line)) => println!("{line}"),
        Ok(Err(e)) => return Err(format!("server failed: {e}").into()),
        Err(_) => return Err("server thread panicked".into()),
    }
    Ok(())
}
