//! What the async figures share (issue 12): the two stacks' handshakes over
//! any `AsyncRead + AsyncWrite` (Ossuary's tokio adapter and tokio-rustls),
//! tokio runtimes whose threads' CPU time can be read, and the transfer
//! loops.
//!
//! Both stacks authenticate both ends. Ossuary: the client pins the
//! server's key and proves its own; the server (`AuthenticatingServer`)
//! authorizes the client's key; identities are keys loaded once and shared
//! (`Arc<SecretKey>`), each connection built when its transport is ready,
//! as a service does. tokio-rustls 0.26 over rustls 0.23 with the aws-lc-rs
//! provider: TLS 1.3 only, the X25519MLKEM768 group only (post-quantum
//! hybrid, as every Ossuary handshake is since issue 14; rustls's own first
//! choice), Ed25519
//! certificates for both ends under one CA, the server requiring and
//! verifying the client's certificate, no session tickets, no resumption
//! (`tls.rs`); the configurations are made once and shared, acceptor and
//! connector per connection. tokio-rustls gets no `timeout` around its
//! handshake (it has no deadline of its own, Ossuary's runs inside
//! `accept`): that leaves out a cost a careful tokio-rustls user adds.

use std::fs;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use ossuary_core::{Config, Connection, Role};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::runtime::Runtime;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::BenchResult;
use crate::oss::Keys;
use crate::tls::{Pki, Provider, Suite, TlsSetup};

/// Long-lived identities and configurations of both stacks.
pub(crate) struct Peers {
    keys: Keys,
    chacha: TlsSetup,
    aes: TlsSetup,
}

/// Which TLS configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsSuite {
    /// TLS_CHACHA20_POLY1305_SHA256, Ossuary's AEAD.
    ChaCha,
    /// TLS_AES_256_GCM_SHA384, rustls's first choice with aws-lc-rs.
    Aes,
}

impl Peers {
    pub(crate) fn new(pki: &Pki) -> BenchResult<Self> {
        Ok(Self {
            keys: Keys::generate()?,
            chacha: TlsSetup::new(pki, Provider::AwsLcMlKem, Suite::ChaCha20Poly1305, true)?,
            aes: TlsSetup::new(pki, Provider::AwsLcMlKem, Suite::Aes256Gcm, true)?,
        })
    }

    fn tls(&self, suite: TlsSuite) -> &TlsSetup {
        match suite {
            TlsSuite::ChaCha => &self.chacha,
            TlsSuite::Aes => &self.aes,
        }
    }

    /// A client that proves its identity and pins the server's key.
    fn ossuary_client(&self) -> io::Result<Connection> {
        let mut c =
            Connection::with_identity(Role::Client, Config::default(), self.keys.client.signer())?;
        c.add_authorized_key(self.keys.server.public())?;
        Ok(c)
    }

    /// A server that authorizes the client's key.
    fn ossuary_server(&self) -> io::Result<Connection> {
        let mut s = Connection::with_identity(
            Role::AuthenticatingServer,
            Config::default(),
            self.keys.server.signer(),
        )?;
        s.add_authorized_key(self.keys.client.public())?;
        Ok(s)
    }

    /// Ossuary's client handshake over `io`.
    pub(crate) async fn ossuary_connect<IO>(&self, io: IO) -> io::Result<ossuary_tokio::Stream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = self.ossuary_client()?;
        Ok(ossuary_tokio::connect(io, conn).await?)
    }

    /// Ossuary's server handshake over `io`.
    pub(crate) async fn ossuary_accept<IO>(&self, io: IO) -> io::Result<ossuary_tokio::Stream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = self.ossuary_server()?;
        Ok(ossuary_tokio::accept(io, conn).await?)
    }

    /// tokio-rustls's client handshake over `io`.
    pub(crate) async fn tls_connect<IO>(
        &self,
        suite: TlsSuite,
        io: IO,
    ) -> io::Result<tokio_rustls::client::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let setup = self.tls(suite);
        let name = ServerName::try_from(setup.server_name())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        TlsConnector::from(setup.client_config())
            .connect(name, io)
            .await
    }

    /// tokio-rustls's server handshake over `io`.
    pub(crate) async fn tls_accept<IO>(
        &self,
        suite: TlsSuite,
        io: IO,
    ) -> io::Result<tokio_rustls::server::TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        TlsAcceptor::from(self.tls(suite).server_config())
            .accept(io)
            .await
    }
}

/// The CPU time of a runtime's threads, read from
/// `/proc/self/task/<tid>/schedstat` (the scheduler's nanoseconds on a CPU,
/// brought up to date at every tick and context switch). Linux only; `None`
/// elsewhere.
#[derive(Clone, Default)]
pub(crate) struct ThreadCpu {
    tids: Arc<Mutex<Vec<u32>>>,
}

impl ThreadCpu {
    /// Records the calling thread (a runtime's `on_thread_start`).
    fn register(&self) {
        // `/proc/thread-self` links to `<pid>/task/<tid>`.
        let tid = fs::read_link("/proc/thread-self").ok().and_then(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse().ok())
        });
        if let Some(tid) = tid {
            self.tids
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(tid);
        }
    }

    /// Seconds of CPU the registered threads have used so far (threads
    /// that have ended are left out: a runtime's workers live as long as
    /// it does).
    pub(crate) fn seconds(&self) -> Option<f64> {
        let tids = self
            .tids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if tids.is_empty() {
            return None;
        }
        let mut ns = 0u64;
        for tid in tids {
            let stat = fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok();
            ns += stat
                .as_deref()
                .and_then(|s| s.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Some(ns as f64 / 1e9)
    }
}

/// A multi-thread runtime with `workers` workers whose CPU time `cpu`
/// reads.
pub(crate) fn runtime(name: &str, workers: usize, cpu: &ThreadCpu) -> io::Result<Runtime> {
    let cpu = cpu.clone();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name(name)
        .enable_all()
        .on_thread_start(move || cpu.register())
        .build()
}

/// A single-thread runtime for one side of a transfer or a measurement.
pub(crate) fn current_thread() -> io::Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Writes `bytes` bytes in `write_size` writes (`write_all` each), then
/// flushes.
pub(crate) async fn send<W: AsyncWrite + Unpin>(
    w: &mut W,
    chunk: &[u8],
    bytes: usize,
) -> io::Result<()> {
    let mut sent = 0;
    while sent < bytes {
        let n = (bytes - sent).min(chunk.len());
        w.write_all(chunk.get(..n).unwrap_or_default()).await?;
        sent += n;
    }
    w.flush().await
}

/// Reads until `bytes` bytes have arrived (`buf` at a time); returns when
/// the last did.
pub(crate) async fn receive<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut [u8],
    bytes: usize,
) -> io::Result<Instant> {
    let mut got = 0;
    while got < bytes {
        match r.read(buf).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(Instant::now())
}
