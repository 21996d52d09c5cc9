//! An echo client over TCP that checks the server's key against a
//! known-hosts file, as ssh does.
//!
//! ```text
//! cargo run -p ossuary-core --example echo_client -- --connect HOST:PORT \
//!     --known-hosts FILE [--key FILE] [--accept-new] [--message TEXT] [--timeout SECS]
//! ```
//!
//! Sends `--message`, or all of stdin, prints what comes back on stdout, and
//! closes cleanly. Nothing else is printed unless something needs saying.
//!
//! The server's key is checked against the entries for HOST:PORT in the
//! known-hosts file (`ossuary_core::keys::KnownHosts`):
//!
//! - a key on record is pinned: a server that proves another key is refused,
//!   naming both fingerprints, with or without `--accept-new`;
//! - a revoked key (`@revoked` line) is refused;
//! - a host with nothing on record is refused with the line to add, unless
//!   `--accept-new` is given: then its key is recorded and trusted.
//!
//! `--key` authenticates the client with its own key (for a server that
//! checks an authorized-keys file); without it the client is anonymous.
//!
//! Reading and writing happen at the same time, so any amount of input
//! can go through the echo (see `Pipe` for how).

mod common;

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Duration;

use common::{Args, switch, value};
use ossuary_core::keys::{
    self, Accepted, Fingerprint, HostKeyStatus, HostPort, KnownHost, KnownHosts,
};
use ossuary_core::{Config, Connection, Error, HandshakeStatus, PublicKey, Role, Stream};

const USAGE: &str = "usage: echo_client --connect HOST:PORT --known-hosts FILE [--key FILE]
                   [--accept-new] [--message TEXT] [--timeout SECS]
  --connect HOST:PORT   the echo server
  --known-hosts FILE    server keys by host:port (created by --accept-new)
  --key FILE            authenticate with this secret key (default: anonymous)
  --accept-new          record and trust the key of a host not in FILE
                        (a changed key is still refused)
  --message TEXT        send TEXT (default: all of stdin)
  --timeout SECS        give up when the server is silent this long (default 30)";

/// Bytes read from the input, or from the socket, at a time.
const CHUNK: usize = 64 * 1024;
/// Encrypted buffers that may wait for the socket writer thread.
const OUTBOUND_QUEUE: usize = 16;
/// Events that may wait for the thread that owns the stream.
const EVENT_QUEUE: usize = 64;

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(
        USAGE,
        &[
            value("--connect", "HOST:PORT"),
            value("--known-hosts", "FILE"),
            value("--key", "FILE"),
            switch("--accept-new"),
            value("--message", "TEXT"),
            value("--timeout", "SECS"),
        ],
        0,
    )?;
    let target = args.required("--connect")?;
    let host: HostPort = target
        .parse()
        .map_err(|e| args.invalid("--connect", target, &format!("HOST:PORT ({e})")))?;
    let known_hosts_path = common::path(args.required("--known-hosts")?);
    let accept_new = args.has("--accept-new");
    let timeout = args.seconds("--timeout", Duration::from_secs(30))?;
    let identity = match args.value("--key") {
        Some(path) => Some(common::load_secret_key(&common::path(path))?),
        None => None,
    };
    let known_hosts =
        KnownHosts::load(&known_hosts_path).map_err(|e| format!("known-hosts file: {e}"))?;

    // What the file says about this host decides the configuration: pin the
    // keys on record, or (nothing on record) pause the handshake to decide.
    let recorded = recorded_keys(&known_hosts, &host);
    let pinned: Vec<PublicKey> = recorded
        .iter()
        .filter(|k| known_hosts.lookup(&host, k) != HostKeyStatus::Revoked)
        .copied()
        .collect();
    if !recorded.is_empty() && pinned.is_empty() {
        return Err(format!(
            "every key on record for {host} in {} is marked @revoked; refusing to connect \
             (remove the host's line once you have its new key)",
            known_hosts_path.display()
        )
        .into());
    }
    let config = Config {
        trust_on_first_use: pinned.is_empty(),
        ..Config::default()
    };

    let tcp = connect(target, timeout)?;
    // The handshake deadline starts with the connection: create it now.
    let mut conn = match identity {
        Some(key) => Connection::with_identity(Role::Client, config, Box::new(key))?,
        None => Connection::client(config)?,
    };
    for key in &pinned {
        conn.add_authorized_key(*key)?;
    }
    let (pipe, threads) = Pipe::start(&tcp, timeout)?;
    let mut stream = Stream::new(conn, pipe);

    let trust = Trust {
        host: &host,
        path: &known_hosts_path,
        known_hosts,
        accept_new,
    };
    let input: Box<dyn Read + Send> = match args.value("--message") {
        Some(text) => Box::new(io::Cursor::new(text.as_bytes().to_vec())),
        None => Box::new(io::stdin()),
    };
    let result = handshake(&mut stream, trust)
        .map_err(Into::into)
        .and_then(|()| {
            // Only now is the input read: a refused server sees none of it.
            stream.get_mut().set_nonblocking();
            let want_input = threads.start_input(input);
            echo(&mut stream, &want_input, timeout)
        });
    // Dropping the stream closes the writer thread's queue: it sends what is
    // left (a CLOSE, or the RESET that refused a server) and ends; then the
    // socket is shut down.
    drop(stream);
    threads.finish(&tcp);
    result
}

/// The keys on record for `host`, in file order.
fn recorded_keys(known_hosts: &KnownHosts, host: &HostPort) -> Vec<PublicKey> {
    let mut keys: Vec<PublicKey> = Vec::new();
    for entry in known_hosts.hosts() {
        if entry.hosts().contains(host) && !keys.contains(entry.key()) {
            keys.push(*entry.key());
        }
    }
    keys
}

/// Connects to the first address of `target` that answers within `timeout`.
fn connect(target: &str, timeout: Duration) -> Result<TcpStream, String> {
    let addrs = target
        .to_socket_addrs()
        .map_err(|e| format!("{target}: cannot resolve: {e}"))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(tcp) => {
                tcp.set_nodelay(true).map_err(|e| e.to_string())?;
                return Ok(tcp);
            }
            Err(e) => last = Some(format!("{target} ({addr}): cannot connect: {e}")),
        }
    }
    Err(last.unwrap_or_else(|| format!("{target}: no address")))
}

/// What the handshake needs to decide about an unknown server.
struct Trust<'a> {
    host: &'a HostPort,
    path: &'a Path,
    known_hosts: KnownHosts,
    accept_new: bool,
}

/// Runs the handshake; when it pauses on a server nothing is on record
/// for, records and trusts its key (`--accept-new`) or refuses it.
fn handshake(stream: &mut Stream<Pipe>, mut trust: Trust<'_>) -> Result<(), String> {
    let (host, path) = (trust.host, trust.path.display());
    loop {
        let status = stream.complete_handshake().map_err(|e| match inner(&e) {
            Some(Error::ServerKeyChanged { .. }) => format!(
                "{host}: {e}\nIf the server's key was replaced on purpose, remove the line for \
                 {host} from {path} (check the new fingerprint with its operator first)."
            ),
            _ => format!("{host}: {e}"),
        })?;
        let key = match status {
            HandshakeStatus::Done => return Ok(()),
            HandshakeStatus::InProgress => continue,
            HandshakeStatus::UntrustedServer(key) => key,
        };
        let fingerprint = Fingerprint::of(&key);
        let refusal = match trust.known_hosts.lookup(host, &key) {
            HostKeyStatus::Unknown if trust.accept_new => {
                match trust.known_hosts.accept_new(host, &key) {
                    Ok(Accepted::New(line)) => {
                        keys::append_known_host(trust.path, &line)
                            .map_err(|e| format!("cannot record {host}: {e}"))?;
                        eprintln!("recorded {host} ({fingerprint}) in {path}");
                        None
                    }
                    Ok(Accepted::Known) => None,
                    Err(e) => Some(format!("{path}: {e}")),
                }
            }
            HostKeyStatus::Known => None,
            HostKeyStatus::Unknown => Some(format!(
                "{host} is not in {path}; it presented the key {fingerprint}.\n\
                 If that is the server's key (its operator can compare the fingerprint the \
                 server prints at start), add this line to {path}:\n  {}\n\
                 or connect once with --accept-new.",
                KnownHost::new(host.clone(), key)
            )),
            refused @ (HostKeyStatus::Revoked | HostKeyStatus::Changed { .. }) => Some(
                trust
                    .known_hosts
                    .verify(host, &key)
                    .err()
                    .map_or_else(|| format!("{refused:?}"), |e| format!("{path}: {e}")),
            ),
        };
        let decided = match refusal {
            None => stream.connection_mut().trust_server(),
            Some(why) => {
                // Tell the server (a RESET), then stop.
                let _ = stream.connection_mut().reject_server();
                let _ = stream.flush();
                return Err(why);
            }
        };
        decided.map_err(|e| format!("{host}: {e}"))?;
    }
}

/// The Ossuary error inside an I/O error from the stream, if any.
fn inner(e: &io::Error) -> Option<&Error> {
    e.get_ref().and_then(|e| e.downcast_ref::<Error>())
}

/// Sends the input and prints the echo until both are done, then closes.
///
/// This thread owns the stream and never blocks on the socket: it waits
/// only in [`Pipe::wait`], for whichever comes first of bytes from the
/// server, input, or room in the writer's queue. See [`Pipe`].
fn echo(
    stream: &mut Stream<Pipe>,
    want_input: &SyncSender<()>,
    timeout: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut stdout = io::stdout().lock();
    let mut buf = vec![0u8; CHUNK];
    let mut input: Vec<u8> = Vec::new();
    let mut taken = 0; // of `input`
    let mut input_ended = false;
    let mut asked = true; // for the first chunk
    want_input
        .send(())
        .map_err(|_| "the input thread stopped")?;
    let (mut sent, mut received) = (0u64, 0u64);
    let mut closing = false;
    loop {
        // Everything from the server that has arrived.
        let peer_closed = loop {
            match stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => {
                    stdout.write_all(&buf[..n])?;
                    received += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                Err(e) => return Err(session_error(&e, sent, received).into()),
            }
        };
        stdout.flush()?;
        if peer_closed {
            if !closing {
                // Answer the server's CLOSE with ours.
                let _ = stream.close();
            }
            stream.get_mut().discard_input();
            drain(stream, timeout)?;
            if !input_ended || taken < input.len() || received != sent {
                return Err(format!(
                    "the server closed the session early: sent {sent} bytes, {received} came back"
                )
                .into());
            }
            return Ok(());
        }
        // As much input as the writer's queue takes.
        while taken < input.len() {
            match stream.write(&input[taken..]) {
                Ok(n) => {
                    taken += n;
                    sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(session_error(&e, sent, received).into()),
            }
        }
        if taken == input.len() && !input_ended && !asked {
            want_input
                .send(())
                .map_err(|_| "the input thread stopped")?;
            asked = true;
        }
        if input_ended && taken == input.len() && !closing {
            closing = true;
            match stream.close() {
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                    return Err(session_error(&e, sent, received).into());
                }
                _ => {} // sent, or queued (the flush below goes on)
            }
        }
        match stream.flush() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                return Err(session_error(&e, sent, received).into());
            }
            _ => {}
        }
        // Silence is fine while the server owes us nothing (an interactive
        // user thinking); otherwise it is bounded.
        let owed = closing || received < sent;
        match stream.get_mut().wait(owed.then_some(timeout)) {
            Ok(Some(Ok(chunk))) => {
                asked = false;
                input_ended = chunk.is_empty();
                input = chunk;
                taken = 0;
            }
            Ok(Some(Err(e))) => return Err(format!("reading the input: {e}").into()),
            Ok(None) => {}
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(format!(
                    "the server sent nothing for {} s (sent {sent} bytes, {received} came back)",
                    timeout.as_secs()
                )
                .into());
            }
            Err(e) => return Err(session_error(&e, sent, received).into()),
        }
    }
}

/// Waits until everything queued in the stream has gone to the writer.
fn drain(stream: &mut Stream<Pipe>, timeout: Duration) -> io::Result<()> {
    loop {
        match stream.flush() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Some(Err(e)) = stream.get_mut().wait(Some(timeout))? {
                    return Err(e);
                }
            }
            other => return other,
        }
    }
}

/// A failed session, with how far the echo got.
fn session_error(e: &io::Error, sent: u64, received: u64) -> String {
    let what = match inner(e) {
        Some(Error::Truncated) => "the connection was cut without the server's close".into(),
        _ => e.to_string(),
    };
    format!("{what} (sent {sent} bytes, {received} came back)")
}

/// What the helper threads tell the thread that owns the stream.
enum Event {
    /// Bytes from the socket; empty at its end.
    Net(io::Result<Vec<u8>>),
    /// Bytes of input; empty at its end.
    Input(io::Result<Vec<u8>>),
    /// The writer thread wrote a buffer: its queue has room.
    Sent,
    /// The writer thread could not write; it stopped.
    SendFailed(io::Error),
}

/// The transport under the client's [`Stream`]: a socket driven by helper
/// threads, so that the one thread that owns the stream never blocks on it.
///
/// Why: an echo client must read while it writes. The session (keys,
/// counters) is one object, so two threads cannot each hold a half of it,
/// and std has no way to wait on a socket and stdin at once. So:
///
/// ```text
///  stdin ──▶ input thread ──┐ (asked for one chunk at a time)
///  socket ─▶ reader thread ─┼─▶ events ──▶ owner: Stream<Pipe> ──▶ stdout
///                           │                       │
///  socket ◀─ writer thread ◀┴──── outbound queue ◀──┘
/// ```
///
/// The owner waits only on the event channel. Its writes go to a bounded
/// queue with `try_send`: when the queue is full the write is `WouldBlock`
/// (the stream keeps every byte, as on a non-blocking socket) and the owner
/// goes back to waiting, where bytes from the server keep arriving. So the
/// owner never stops reading because it is writing, and the server, which
/// stops reading while its replies are not taken, is never waited on by
/// something it waits on: no cycle, no deadlock. Memory stays bounded: the
/// input thread reads a chunk only when asked, and both queues are bounded.
///
/// The reader and writer threads block only on the socket, and never on the
/// owner (the writer's "room" signal is a `try_send`: when the event queue
/// is full the owner has events to handle and retries its write after each).
/// Socket timeouts are per socket, shared by clones, so the socket has only
/// a write timeout (the writer's); read timeouts (the handshake deadline,
/// the silence limit) are the owner's waits on the event channel.
struct Pipe {
    events: Receiver<Event>,
    outbound: SyncSender<Vec<u8>>,
    /// Bytes from the socket not yet read by the stream.
    inbound: Vec<u8>,
    taken: usize,
    net_end: Option<io::Result<()>>,
    /// Reads wait for the socket (during the handshake) or return
    /// `WouldBlock` (after it).
    blocking: bool,
    read_timeout: Cell<Option<Duration>>,
    /// Input that arrived during a blocking read, for the owner.
    early_input: VecDeque<io::Result<Vec<u8>>>,
    /// After the session ended: bytes from the socket are dropped.
    discard: bool,
}

/// The helper threads of a [`Pipe`].
struct Threads {
    events: SyncSender<Event>,
    writer: JoinHandle<()>,
}

impl Pipe {
    /// Starts the reader and writer threads on clones of `tcp`. A write
    /// that the server does not take within `timeout` fails.
    fn start(tcp: &TcpStream, timeout: Duration) -> io::Result<(Self, Threads)> {
        let (events_tx, events) = mpsc::sync_channel(EVENT_QUEUE);
        let (outbound, outbound_rx) = mpsc::sync_channel::<Vec<u8>>(OUTBOUND_QUEUE);

        let mut reader = tcp.try_clone()?;
        let to_owner = events_tx.clone();
        std::thread::Builder::new()
            .name("socket reader".into())
            .spawn(move || {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let event = match reader.read(&mut buf) {
                        Ok(n) => Ok(buf[..n].to_vec()),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => Err(e),
                    };
                    let last = !matches!(&event, Ok(bytes) if !bytes.is_empty());
                    if to_owner.send(Event::Net(event)).is_err() || last {
                        return;
                    }
                }
            })?;

        let mut writer = tcp.try_clone()?;
        writer.set_write_timeout(Some(timeout))?;
        let to_owner = events_tx.clone();
        let writer = std::thread::Builder::new()
            .name("socket writer".into())
            .spawn(move || {
                for buf in outbound_rx {
                    if let Err(e) = writer.write_all(&buf) {
                        let e = match e.kind() {
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
                                io::ErrorKind::TimedOut,
                                "the server took none of our data for too long",
                            ),
                            _ => e,
                        };
                        let _ = to_owner.send(Event::SendFailed(e));
                        return;
                    }
                    let _ = to_owner.try_send(Event::Sent);
                }
            })?;

        let pipe = Pipe {
            events,
            outbound,
            inbound: Vec::new(),
            taken: 0,
            net_end: None,
            blocking: true,
            read_timeout: Cell::new(None),
            early_input: VecDeque::new(),
            discard: false,
        };
        let threads = Threads {
            events: events_tx,
            writer,
        };
        Ok((pipe, threads))
    }

    /// Waits up to `timeout` (`None`: for ever) for something to happen.
    /// Bytes from the socket are kept for the stream's reads; input is
    /// returned; room in the writer's queue returns `None`.
    ///
    /// # Errors
    /// `TimedOut` when nothing happened in time; the writer's error.
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<Option<io::Result<Vec<u8>>>> {
        if let Some(input) = self.early_input.pop_front() {
            return Ok(Some(input));
        }
        let event = match timeout {
            Some(t) => self.events.recv_timeout(t).map_err(|e| match e {
                RecvTimeoutError::Timeout => io::Error::from(io::ErrorKind::TimedOut),
                RecvTimeoutError::Disconnected => stopped(),
            })?,
            None => self.events.recv().map_err(|_| stopped())?,
        };
        match event {
            Event::Net(_) if self.discard => {}
            Event::Net(Ok(bytes)) if bytes.is_empty() => self.net_end = Some(Ok(())),
            Event::Net(Ok(bytes)) => {
                if self.taken == self.inbound.len() {
                    self.inbound = bytes;
                    self.taken = 0;
                } else {
                    self.inbound.extend_from_slice(&bytes);
                }
            }
            Event::Net(Err(e)) => self.net_end = Some(Err(e)),
            Event::Input(input) => return Ok(Some(input)),
            Event::Sent => {}
            Event::SendFailed(e) => return Err(e),
        }
        Ok(None)
    }

    /// Reads stop waiting: `WouldBlock` when nothing has arrived.
    fn set_nonblocking(&mut self) {
        self.blocking = false;
    }

    /// Drops what the server sends from now on (after its CLOSE).
    fn discard_input(&mut self) {
        self.discard = true;
        self.inbound.clear();
        self.taken = 0;
    }
}

fn stopped() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the socket threads stopped")
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(rest) = self.inbound.get(self.taken..).filter(|r| !r.is_empty()) {
                let n = rest.len().min(buf.len());
                buf[..n].copy_from_slice(&rest[..n]);
                self.taken += n;
                return Ok(n);
            }
            match &self.net_end {
                Some(Ok(())) => return Ok(0),
                Some(Err(e)) => return Err(io::Error::new(e.kind(), e.to_string())),
                None => {}
            }
            if !self.blocking {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            if let Some(input) = self.wait(self.read_timeout.get())? {
                self.early_input.push_back(input);
            }
        }
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.outbound.try_send(buf.to_vec()) {
            Ok(()) => Ok(buf.len()),
            // The stream keeps the bytes; the owner retries after waiting.
            Err(TrySendError::Full(_)) => Err(io::ErrorKind::WouldBlock.into()),
            Err(TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The stream bounds handshake reads by the deadline through these.
impl ossuary_core::Transport for Pipe {
    fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.read_timeout.get())
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(timeout);
        Ok(())
    }
}

impl Threads {
    /// Starts the input thread: it reads a chunk of `input` each time it is
    /// asked (one `()` on the returned channel) and sends it as an event.
    fn start_input(&self, mut input: Box<dyn Read + Send>) -> SyncSender<()> {
        let (want, asked) = mpsc::sync_channel::<()>(1);
        let to_owner = self.events.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; CHUNK];
            for () in asked {
                let chunk = loop {
                    match input.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other.map(|n| buf[..n].to_vec()),
                    }
                };
                let last = !matches!(&chunk, Ok(bytes) if !bytes.is_empty());
                if to_owner.send(Event::Input(chunk)).is_err() || last {
                    return;
                }
            }
        });
        want
    }

    /// Waits for the writer to send what is queued (the stream must be
    /// dropped first), then shuts the socket down, which ends the reader.
    fn finish(self, tcp: &TcpStream) {
        drop(self.events);
        let _ = self.writer.join();
        let _ = tcp.shutdown(Shutdown::Both);
    }
}
