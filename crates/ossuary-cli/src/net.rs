//! Sockets: connecting with a timeout, and listening, over TCP or UNIX
//! sockets alike.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::addr::Addr;
use crate::error::Error;

/// A byte stream: a TCP or UNIX socket.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A connected socket of either kind.
pub(crate) type Socket = Box<dyn Io>;

/// Connects to `addr`, trying each address a name resolves to in turn,
/// within `timeout` in all.
///
/// # Errors
/// [`Error::ConnectTimeout`], or [`Error::Connect`] with the last error.
pub(crate) async fn connect(addr: &Addr, timeout: Duration) -> Result<Socket, Error> {
    let shown = addr.to_string();
    let attempt = async {
        match addr {
            Addr::Unix(path) => UnixStream::connect(path)
                .await
                .map(|s| Box::new(s) as Socket),
            Addr::Tcp { host, port } => {
                let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
                for ip in tokio::net::lookup_host((host.as_str(), *port)).await? {
                    match TcpStream::connect(ip).await {
                        Ok(tcp) => {
                            // Interactive bytes go out at once; bulk is
                            // written in whole records anyway.
                            tcp.set_nodelay(true)?;
                            return Ok(Box::new(tcp) as Socket);
                        }
                        Err(e) => last = e,
                    }
                }
                Err(last)
            }
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(error)) => Err(Error::Connect { addr: shown, error }),
        Err(_) => Err(Error::ConnectTimeout {
            addr: shown,
            secs: timeout.as_secs(),
        }),
    }
}

/// A listening socket. A UNIX socket file it created is removed when it is
/// dropped.
#[derive(Debug)]
pub(crate) enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A UNIX socket and its path.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Listens on `addr`. A UNIX socket path that exists is refused, never
    /// removed: it may be another program's.
    ///
    /// # Errors
    /// [`Error::Listen`].
    pub(crate) async fn bind(addr: &Addr) -> Result<Self, Error> {
        let error = |error| Error::Listen {
            addr: addr.to_string(),
            error,
        };
        match addr {
            Addr::Tcp { host, port } => TcpListener::bind((host.as_str(), *port))
                .await
                .map(Self::Tcp)
                .map_err(error),
            Addr::Unix(path) => UnixListener::bind(path)
                .map(|l| Self::Unix(l, path.clone()))
                .map_err(error),
        }
    }

    /// Where it listens, with the port the system chose for port 0.
    pub(crate) fn local_addr(&self) -> String {
        match self {
            Self::Tcp(l) => l
                .local_addr()
                .map_or_else(|e| format!("(unknown: {e})"), |a| a.to_string()),
            Self::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }

    /// Waits for a connection; returns it and the peer's address.
    ///
    /// # Errors
    /// The accept error (too many open files, ...): not fatal to a server.
    pub(crate) async fn accept(&self) -> io::Result<(Socket, String)> {
        match self {
            Self::Tcp(l) => {
                let (tcp, peer) = l.accept().await?;
                tcp.set_nodelay(true)?;
                Ok((Box::new(tcp), peer.to_string()))
            }
            Self::Unix(l, path) => {
                let (unix, _) = l.accept().await?;
                Ok((Box::new(unix), format!("unix:{}", path.display())))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Self::Unix(_, path) = self {
            // Best effort: the socket file is ours.
            let _ = std::fs::remove_file(path);
        }
    }
}
