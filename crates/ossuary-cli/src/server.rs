//! The server end of a session (`listen`, `receive`, `tunnel --decrypt`):
//! its identity, whom it accepts, and the handshake.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ossuary_core::keys::Fingerprint;
use ossuary_core::{Config, Connection, PublicKey, Role, SecretKey};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Error, Side};
use crate::net::{Listener, Socket};
use crate::signal::Signals;
use crate::{keyfiles, paths};

/// A server's identity and access list, loaded once.
#[derive(Debug)]
pub(crate) struct Server {
    identity: Arc<SecretKey>,
    /// `None`: any client (`--open`).
    authorized: Option<(Vec<PublicKey>, PathBuf)>,
}

impl Server {
    /// Reads the identity (`--identity` or `~/.ossuary/identity`) and, unless
    /// `open`, the authorized-keys file.
    ///
    /// # Errors
    /// [`Error::Key`] for either file; [`Error::NoHome`].
    pub(crate) fn load(
        identity: Option<&Path>,
        authorized_keys: Option<&Path>,
        open: bool,
    ) -> Result<Self, Error> {
        let identity = Arc::new(keyfiles::identity(&paths::identity(identity)?)?);
        let authorized = match (authorized_keys, open) {
            (_, true) => None,
            (Some(path), false) => Some((
                keyfiles::authorized_keys(path)?.keys().copied().collect(),
                path.to_path_buf(),
            )),
            (None, false) => {
                return Err(Error::Usage(
                    "say whom to accept: --authorized-keys FILE, or --open for anyone".into(),
                ));
            }
        };
        Ok(Self {
            identity,
            authorized,
        })
    }

    /// The server key's fingerprint.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.identity.public_key())
    }

    /// Runs the server's handshake over `io` (bounded by the handshake
    /// deadline, 10 s).
    ///
    /// # Errors
    /// [`Error::Session`] (an unauthorized client, a peer that is not
    /// Ossuary, the deadline, ...), [`Error::Transport`].
    pub(crate) async fn accept<IO>(
        &self,
        io: IO,
        peer: &str,
    ) -> Result<ossuary_tokio::Stream<IO>, Error>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let session = |error| Error::Session {
            peer: peer.to_owned(),
            side: Side::Server,
            established: false,
            error,
        };
        let role = match self.authorized {
            Some(_) => Role::AuthenticatingServer,
            None => Role::OpenServer,
        };
        let mut conn = Connection::with_identity(
            role,
            Config::default(),
            Box::new(Arc::clone(&self.identity)),
        )
        .map_err(session)?;
        if let Some((keys, _)) = &self.authorized {
            for key in keys {
                conn.add_authorized_key(*key).map_err(session)?;
            }
        }
        ossuary_tokio::accept(io, conn)
            .await
            .map_err(|e| Error::handshake(peer, Side::Server, e))
    }
}

impl Server {
    /// Waits for the first connection whose handshake succeeds, logging
    /// each that fails (a client that is not authorized, a port scanner,
    /// a client that does not trust this key) and listening on, so that
    /// nobody else's mistake or probe ends the wait; then stops listening.
    ///
    /// # Errors
    /// [`Error::Listen`] if accepting fails, [`Error::Signal`].
    pub(crate) async fn accept_first(
        &self,
        listener: Listener,
        signals: &mut Signals,
    ) -> Result<(ossuary_tokio::Stream<Socket>, String), Error> {
        let shown = listener.local_addr();
        loop {
            let (socket, peer) = signals
                .guard(async {
                    listener.accept().await.map_err(|error| Error::Listen {
                        addr: shown.clone(),
                        error,
                    })
                })
                .await?;
            match signals.guard(self.accept(socket, &peer)).await {
                Ok(stream) => {
                    eprintln!(
                        "ossuary: {peer}: connected, {}, {KEY_EXCHANGE}",
                        describe_client(stream.remote_public_key())
                    );
                    return Ok((stream, peer));
                }
                Err(e @ Error::Signal(_)) => return Err(e),
                Err(e) => eprintln!(
                    "ossuary: refused a connection (status {}): {e}; still listening on {shown}",
                    e.status().code()
                ),
            }
        }
    }
}

/// Who the server accepts, for its start-up line.
impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server key {}; ", self.fingerprint())?;
        match &self.authorized {
            Some((keys, path)) => write!(
                f,
                "accepting the {} client key(s) in {}",
                keys.len(),
                path.display()
            ),
            None => f.write_str("accepting any client (--open)"),
        }
    }
}

/// A client's identity as logs show it.
/// What every session's key exchange is, as the command reports it: each
/// handshake is hybrid (PROTOCOL.md §1.1), with no way to turn it off.
pub(crate) const KEY_EXCHANGE: &str = "post-quantum (X25519 + ML-KEM-768)";

pub(crate) fn describe_client(key: Option<PublicKey>) -> String {
    match key {
        Some(key) => format!("client {}", Fingerprint::of(&key)),
        None => "anonymous client".into(),
    }
}
