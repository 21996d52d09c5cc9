//! The client end of a session (`connect`, `send`, `tunnel --encrypt`):
//! its identity, how it decides to trust the server (a pinned key, the
//! known-hosts file, first use), and the handshake.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ossuary_core::keys::{Accepted, Fingerprint, HostKeyStatus, HostPort, KnownHosts};
use ossuary_core::{Config, Connection, PublicKey, Role, SecretKey};
use ossuary_tokio::Connected;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use crate::addr::Addr;
use crate::error::{Error, KeyUse, Refusal, Side};
use crate::keyfiles::{self, Pin};
use crate::paths;
use crate::server::KEY_EXCHANGE;

/// Where the trust in a server comes from.
#[derive(Debug)]
enum Trust {
    /// `--server-key`: that key and no other; known_hosts is not used.
    Pinned(Pin),
    /// The known-hosts file.
    Known {
        /// The file.
        path: PathBuf,
        /// The server as known_hosts names it; `None` for a UNIX socket.
        host: Option<HostPort>,
        /// The file's entries, updated as hosts are recorded.
        list: Mutex<KnownHosts>,
        /// `--trust-first-use`: record an unknown host without asking.
        record_new: bool,
    },
}

/// What to do about an unknown server key when `--trust-first-use` was
/// not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ask {
    /// Ask on the terminal if stdin is one, else refuse.
    IfTerminal,
    /// Refuse (a tunnel runs unattended).
    Never,
}

/// The options a client is loaded from.
#[derive(Debug)]
pub(crate) struct ClientOptions<'a> {
    /// `--identity`.
    pub(crate) identity: Option<&'a Path>,
    /// `--anonymous`.
    pub(crate) anonymous: bool,
    /// `--known-hosts`.
    pub(crate) known_hosts: Option<&'a Path>,
    /// `--server-key`.
    pub(crate) server_key: Option<&'a str>,
    /// `--trust-first-use`.
    pub(crate) trust_first_use: bool,
    /// Whether an unknown key may be asked about.
    pub(crate) ask: Ask,
}

/// A client's identity and trust, loaded once.
#[derive(Debug)]
pub(crate) struct Client {
    identity: Option<Arc<SecretKey>>,
    trust: Trust,
    ask: Ask,
}

impl Client {
    /// Reads the identity (if any) and the trust source for `server`.
    ///
    /// # Errors
    /// [`Error::Key`] for a key file; [`Error::NoHome`].
    pub(crate) fn load(options: &ClientOptions<'_>, server: &Addr) -> Result<Self, Error> {
        let identity = match paths::client_identity(options.identity, options.anonymous) {
            Some(path) => Some(Arc::new(keyfiles::identity(&path)?)),
            None => None,
        };
        let trust = match options.server_key {
            Some(arg) => Trust::Pinned(Pin::parse(arg)?),
            None => {
                let path = paths::known_hosts(options.known_hosts)?;
                let list = keyfiles::known_hosts(&path)?;
                Trust::Known {
                    path,
                    host: server.host_port(),
                    list: Mutex::new(list),
                    record_new: options.trust_first_use,
                }
            }
        };
        Ok(Self {
            identity,
            trust,
            ask: options.ask,
        })
    }

    /// The client's identity fingerprint, if it has one.
    pub(crate) fn fingerprint(&self) -> Option<Fingerprint> {
        self.identity
            .as_ref()
            .map(|key| Fingerprint::of(&key.public_key()))
    }

    /// Runs the client's handshake over `io` to `peer`: a server key that
    /// is pinned or recorded is required; an unknown one is decided on
    /// (first use), a different one refused.
    ///
    /// # Errors
    /// [`Error::KeyChanged`], [`Error::Revoked`], [`Error::Untrusted`],
    /// [`Error::Session`] (not authorized, not Ossuary, the deadline, ...),
    /// [`Error::Transport`], [`Error::Key`] if known_hosts cannot be written.
    pub(crate) async fn connect<IO>(
        &self,
        io: IO,
        peer: &str,
    ) -> Result<ossuary_tokio::Stream<IO>, Error>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let session = |error| Error::Session {
            peer: peer.to_owned(),
            side: Side::Client,
            established: false,
            error,
        };
        let expected = self.expected_keys();
        let config = Config {
            // Pause for a decision only when nothing is expected.
            trust_on_first_use: expected.is_empty(),
            ..Config::default()
        };
        let mut conn = match &self.identity {
            Some(key) => Connection::with_identity(Role::Client, config, Box::new(Arc::clone(key))),
            None => Connection::client(config),
        }
        .map_err(session)?;
        for key in &expected {
            conn.add_authorized_key(*key).map_err(session)?;
        }
        match ossuary_tokio::connect_tofu(io, conn).await {
            Ok(Connected::Trusted(stream)) => Ok(stream),
            Ok(Connected::Untrusted(paused)) => {
                let key = *paused.server_key();
                match self.decide(&key, peer, paused.deadline()).await {
                    Ok(()) => paused
                        .trust()
                        .await
                        .map_err(|e| Error::handshake(peer, Side::Client, e)),
                    Err(refused) => {
                        // Tells the server why; the refusal is what to report.
                        let _ = paused.reject().await;
                        Err(refused)
                    }
                }
            }
            Err(ossuary_tokio::Error::Session(ossuary_core::Error::ServerKeyChanged {
                got,
                ..
            })) => Err(self.changed(peer, &expected, &got)),
            Err(e) => Err(Error::handshake(peer, Side::Client, e)),
        }
    }

    /// The keys the server must prove one of: pinned, or recorded for it
    /// and not revoked. Empty when a decision is needed.
    fn expected_keys(&self) -> Vec<PublicKey> {
        match &self.trust {
            Trust::Pinned(Pin::Key(key)) => vec![*key],
            Trust::Pinned(Pin::Fingerprint(_)) => Vec::new(),
            Trust::Known {
                host: Some(host),
                list,
                ..
            } => {
                let list = lock(list);
                list.hosts()
                    .iter()
                    .filter(|entry| entry.hosts().contains(host))
                    .map(|entry| *entry.key())
                    .filter(|key| list.lookup(host, key) != HostKeyStatus::Revoked)
                    .collect()
            }
            Trust::Known { host: None, .. } => Vec::new(),
        }
    }

    /// The refusal of a key other than the `expected` ones.
    fn changed(&self, peer: &str, expected: &[PublicKey], got: &PublicKey) -> Error {
        let source = match &self.trust {
            Trust::Pinned(_) => "--server-key".to_owned(),
            Trust::Known { path, host, .. } => match host {
                Some(host) => format!("the line for {host} in {}", path.display()),
                None => path.display().to_string(),
            },
        };
        Error::KeyChanged {
            peer: peer.to_owned(),
            expected: expected.iter().map(Fingerprint::of).collect(),
            got: Fingerprint::of(got),
            source,
        }
    }

    /// Decides about a server key nothing pinned: by fingerprint, by
    /// known_hosts (which may have changed since), or by first use.
    async fn decide(&self, key: &PublicKey, peer: &str, deadline: Instant) -> Result<(), Error> {
        let (path, host, list, record_new) = match &self.trust {
            Trust::Pinned(pin) if pin.matches(key) => return Ok(()),
            Trust::Pinned(pin) => {
                return Err(Error::KeyChanged {
                    peer: peer.to_owned(),
                    expected: vec![pin.fingerprint()],
                    got: Fingerprint::of(key),
                    source: "--server-key".into(),
                });
            }
            Trust::Known {
                path,
                host,
                list,
                record_new,
            } => (path, host.as_ref(), list, *record_new),
        };
        if let Some(host) = host {
            let status = lock(list).lookup(host, key);
            match status {
                HostKeyStatus::Known => return Ok(()),
                HostKeyStatus::Revoked => {
                    let error = lock(list).verify(host, key).err();
                    return Err(error.map_or_else(|| self.changed(peer, &[], key), Error::Revoked));
                }
                HostKeyStatus::Changed { recorded } => {
                    return Err(self.changed(peer, &recorded, key));
                }
                HostKeyStatus::Unknown => {}
            }
        }
        if !record_new {
            let known_hosts = host.map(|_| path.clone());
            match self.ask {
                Ask::IfTerminal if std::io::stdin().is_terminal() => {
                    prompt(peer, key, host.is_some(), deadline).await?;
                }
                Ask::IfTerminal => {
                    return Err(untrusted(peer, key, Refusal::NoTerminal { known_hosts }));
                }
                Ask::Never => return Err(untrusted(peer, key, Refusal::Tunnel { known_hosts })),
            }
        }
        match host {
            Some(host) => record(path, host, list, key, peer),
            None => {
                eprintln!(
                    "ossuary: trusting {} for this connection only: known_hosts cannot name a \
                     UNIX socket (pin the key with --server-key)",
                    Fingerprint::of(key)
                );
                Ok(())
            }
        }
    }
}

/// Records `host` with `key` in the known-hosts file (unless another
/// connection did meanwhile).
fn record(
    path: &Path,
    host: &HostPort,
    list: &Mutex<KnownHosts>,
    key: &PublicKey,
    peer: &str,
) -> Result<(), Error> {
    let mut list = lock(list);
    match list.accept_new(host, key) {
        Ok(Accepted::Known) => Ok(()),
        Ok(Accepted::New(line)) => {
            paths::create_default_dir_for(path)?;
            ossuary_core::keys::append_known_host(path, &line).map_err(|error| Error::Key {
                what: KeyUse::KnownHosts,
                error,
            })?;
            eprintln!(
                "ossuary: recorded {host} ({}) in {}",
                Fingerprint::of(key),
                path.display()
            );
            Ok(())
        }
        Err(error @ ossuary_core::keys::Error::HostKeyRevoked { .. }) => Err(Error::Revoked(error)),
        Err(ossuary_core::keys::Error::HostKeyChanged {
            recorded, offered, ..
        }) => Err(Error::KeyChanged {
            peer: peer.to_owned(),
            expected: recorded,
            got: offered,
            source: format!("the line for {host} in {}", path.display()),
        }),
        Err(error) => Err(Error::Key {
            what: KeyUse::KnownHosts,
            error,
        }),
    }
}

/// Asks on the terminal whether to trust `key`, within the handshake
/// deadline.
async fn prompt(
    peer: &str,
    key: &PublicKey,
    recorded: bool,
    deadline: Instant,
) -> Result<(), Error> {
    let secs = deadline.saturating_duration_since(Instant::now()).as_secs();
    eprint!(
        "{peer} is not a known server. Its key fingerprint is {}.\n\
         Compare it with the server's (`ossuary fingerprint` there). Trust it{}? \
         Answer within {secs} s [yes/no]: ",
        Fingerprint::of(key),
        if recorded {
            " and record it"
        } else {
            " for this connection"
        }
    );
    // std's stdin is buffered once for the process: whatever follows the
    // answer stays there for the session to read.
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    });
    match tokio::time::timeout_at(deadline, line).await {
        Err(_) => {
            eprintln!();
            Err(untrusted(peer, key, Refusal::NoAnswer))
        }
        Ok(Ok(Ok(answer)))
            if matches!(answer.trim().to_ascii_lowercase().as_str(), "yes" | "y") =>
        {
            Ok(())
        }
        Ok(_) => Err(untrusted(peer, key, Refusal::Declined)),
    }
}

/// An unknown key refused for `why`.
fn untrusted(peer: &str, key: &PublicKey, why: Refusal) -> Error {
    Error::Untrusted {
        peer: peer.to_owned(),
        fingerprint: Fingerprint::of(key),
        why,
    }
}

/// Locks the known-hosts list; a panic elsewhere cannot leave it half
/// updated (its updates are single calls), so a poisoned lock is used as is.
fn lock(list: &Mutex<KnownHosts>) -> MutexGuard<'_, KnownHosts> {
    list.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client's one line once the session is up: whom it reached, and how.
pub(crate) fn announce<IO>(peer: &str, stream: &ossuary_tokio::Stream<IO>) {
    if let Some(key) = stream.remote_public_key() {
        eprintln!(
            "ossuary: connected to {peer}, server {}, {KEY_EXCHANGE}",
            Fingerprint::of(&key)
        );
    }
}
