//! Ossuary connection pairs in memory: identities, the two handshake modes,
//! and a handshake driver that counts the bytes on the wire.

use std::sync::Arc;

use ossuary_core::{
    Config, Connection, Error, HandshakeStatus, PublicKey, Role, SecretKey, Signer,
    generate_keypair,
};

use crate::BenchResult;

/// An identity key loaded once and shared by every connection that uses it
/// (as a server shares its key, or rustls shares a `ServerConfig`).
#[derive(Clone)]
pub(crate) struct Identity {
    key: Arc<SecretKey>,
    public: PublicKey,
    secret: [u8; 32],
}

impl Identity {
    pub(crate) fn generate() -> BenchResult<Self> {
        let (secret, public) = generate_keypair()?;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&secret.to_bytes()[..]);
        Ok(Self {
            key: Arc::new(secret),
            public,
            secret: bytes,
        })
    }

    /// The public key.
    pub(crate) fn public(&self) -> PublicKey {
        self.public
    }

    /// A signer sharing the loaded key: installing it derives nothing.
    pub(crate) fn signer(&self) -> Box<dyn Signer + Send + Sync> {
        Box::new(self.key.clone())
    }
}

/// Which handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Both sides prove an identity; the client pins the server's key and
    /// the server authorizes the client's.
    Mutual,
    /// Server authentication only: an anonymous client pins the server key.
    Anonymous,
}

/// The two identities a pair uses.
pub(crate) struct Keys {
    pub(crate) client: Identity,
    pub(crate) server: Identity,
}

impl Keys {
    pub(crate) fn generate() -> BenchResult<Self> {
        Ok(Self {
            client: Identity::generate()?,
            server: Identity::generate()?,
        })
    }
}

/// How identities are installed in a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyInstall {
    /// As a server serving many connections does: the identity is a key loaded
    /// once and shared (`Connection::with_identity` with an `Arc<SecretKey>`),
    /// peer keys are validated once (`PublicKey` values).
    Shared,
    /// From bytes per connection: `SecretKey::try_from` on the 32 secret
    /// bytes (the connection owns its copy) and `PublicKey::try_from` on the
    /// 32 public bytes.
    Owned,
}

/// A new, not yet connected client and server for `mode`.
pub(crate) fn new_pair(
    keys: &Keys,
    mode: Mode,
    install: KeyInstall,
) -> BenchResult<(Connection, Connection)> {
    let server_role = match mode {
        Mode::Mutual => Role::AuthenticatingServer,
        Mode::Anonymous => Role::OpenServer,
    };
    let pair = match install {
        KeyInstall::Shared => {
            let mut client = match mode {
                Mode::Mutual => Connection::with_identity(
                    Role::Client,
                    Config::default(),
                    keys.client.signer(),
                )?,
                Mode::Anonymous => Connection::client(Config::default())?,
            };
            client.add_authorized_key(keys.server.public)?;
            let mut server =
                Connection::with_identity(server_role, Config::default(), keys.server.signer())?;
            if mode == Mode::Mutual {
                server.add_authorized_key(keys.client.public)?;
            }
            (client, server)
        }
        KeyInstall::Owned => {
            let mut client = match mode {
                Mode::Mutual => Connection::with_identity(
                    Role::Client,
                    Config::default(),
                    Box::new(SecretKey::try_from(&keys.client.secret[..])?),
                )?,
                Mode::Anonymous => Connection::client(Config::default())?,
            };
            client.add_authorized_key(PublicKey::try_from(&keys.server.public.as_bytes()[..])?)?;
            let mut server = Connection::with_identity(
                server_role,
                Config::default(),
                Box::new(SecretKey::try_from(&keys.server.secret[..])?),
            )?;
            if mode == Mode::Mutual {
                server
                    .add_authorized_key(PublicKey::try_from(&keys.client.public.as_bytes()[..])?)?;
            }
            (client, server)
        }
    };
    Ok(pair)
}

/// What a handshake put on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WireCount {
    pub(crate) bytes: usize,
    pub(crate) messages: usize,
}

/// Moves `from`'s pending handshake output straight into `to`, without a
/// copy in between. Returns what crossed.
fn pump(from: &mut Connection, to: &mut Connection) -> Result<WireCount, Error> {
    let out = from.pending_output();
    if out.is_empty() {
        return Ok(WireCount::default());
    }
    let messages = count_frames(out);
    let used = to.recv_handshake(out)?;
    from.advance_output(used);
    // A failure after progress is reported by the next call.
    to.recv_handshake(&[])?;
    Ok(WireCount {
        bytes: used,
        messages,
    })
}

/// Frames in `bytes` (3-byte headers: type, big-endian body length).
pub(crate) fn count_frames(mut bytes: &[u8]) -> usize {
    let mut n = 0;
    while let [_, hi, lo, ..] = *bytes {
        let len = 3 + usize::from(u16::from_be_bytes([hi, lo]));
        n += 1;
        bytes = bytes.get(len..).unwrap_or_default();
    }
    n
}

/// Runs the handshake of a new pair to completion on both sides.
pub(crate) fn handshake(
    client: &mut Connection,
    server: &mut Connection,
) -> BenchResult<WireCount> {
    let mut total = WireCount::default();
    for _ in 0..8 {
        for moved in [pump(client, server)?, pump(server, client)?] {
            total.bytes += moved.bytes;
            total.messages += moved.messages;
        }
        let done = |c: &Connection| matches!(c.handshake_status(), Ok(HandshakeStatus::Done));
        if done(client)
            && done(server)
            && client.pending_output().is_empty()
            && server.pending_output().is_empty()
        {
            return Ok(total);
        }
    }
    Err(format!(
        "Ossuary handshake did not finish: client {:?}, server {:?}",
        client.handshake_status(),
        server.handshake_status()
    )
    .into())
}

/// A connected pair ready for records.
pub(crate) fn connected(keys: &Keys, mode: Mode) -> BenchResult<(Connection, Connection)> {
    let (mut client, mut server) = new_pair(keys, mode, KeyInstall::Shared)?;
    handshake(&mut client, &mut server)?;
    Ok((client, server))
}
