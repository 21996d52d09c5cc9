//! What the tests share: identities, connections built for each role, a
//! deterministic byte pattern, bounded waits, and the typed error inside an
//! `io::Error`.
//!
//! Every connection here reads tokio's clock ([`TokioClock`]), so tests
//! that pause tokio's time see handshake deadlines fire when that time
//! reaches them. Nothing here sleeps to synchronise.
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use ossuary_core::{Config, Connection, PublicKey, Role, SecretKey, Signer, generate_keypair};
use ossuary_tokio::TokioClock;

/// An identity key pair; connections share the secret key.
#[derive(Clone)]
pub(crate) struct Id {
    key: Arc<SecretKey>,
    public: PublicKey,
}

impl Id {
    pub(crate) fn generate() -> Self {
        let (secret, public) = generate_keypair().expect("OS entropy");
        Self {
            key: Arc::new(secret),
            public,
        }
    }

    pub(crate) fn public(&self) -> PublicKey {
        self.public
    }

    pub(crate) fn signer(&self) -> Box<dyn Signer + Send + Sync> {
        Box::new(Arc::clone(&self.key))
    }
}

/// The default configuration on tokio's clock.
pub(crate) fn config() -> Config {
    Config {
        clock: Arc::new(TokioClock),
        ..Config::default()
    }
}

/// [`config`] with another handshake timeout.
pub(crate) fn config_timeout(timeout: Duration) -> Config {
    Config {
        handshake_timeout: timeout,
        ..config()
    }
}

/// [`config`] with Trust-On-First-Use on.
pub(crate) fn tofu_config() -> Config {
    Config {
        trust_on_first_use: true,
        ..config()
    }
}

/// A client with `id` (anonymous without), pinning `trusted`.
pub(crate) fn client(id: Option<&Id>, trusted: &[PublicKey]) -> Connection {
    client_with(config(), id, trusted)
}

/// [`client`] with an explicit configuration.
pub(crate) fn client_with(config: Config, id: Option<&Id>, trusted: &[PublicKey]) -> Connection {
    let mut conn = match id {
        Some(id) => Connection::with_identity(Role::Client, config, id.signer()),
        None => Connection::client(config),
    }
    .expect("client connection");
    for key in trusted {
        conn.add_authorized_key(*key).expect("pin");
    }
    conn
}

/// An authenticating server with `id`, authorizing `authorized`.
pub(crate) fn auth_server(id: &Id, authorized: &[PublicKey]) -> Connection {
    server_with(Role::AuthenticatingServer, config(), id, authorized)
}

/// An open server with `id`.
pub(crate) fn open_server(id: &Id) -> Connection {
    server_with(Role::OpenServer, config(), id, &[])
}

/// A server of `role` with an explicit configuration.
pub(crate) fn server_with(
    role: Role,
    config: Config,
    id: &Id,
    authorized: &[PublicKey],
) -> Connection {
    let mut conn = Connection::with_identity(role, config, id.signer()).expect("server connection");
    for key in authorized {
        conn.add_authorized_key(*key).expect("authorize");
    }
    conn
}

/// `len` bytes that differ with `seed` and along the way (xorshift).
pub(crate) fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Awaits `f`, failing the test if it takes longer than `limit`.
pub(crate) async fn within<F: Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: not done within {limit:?}"),
    }
}

/// The Ossuary error inside an I/O error, if there is one.
pub(crate) fn session_error(e: &io::Error) -> Option<ossuary_core::Error> {
    e.get_ref()
        .and_then(|e| e.downcast_ref::<ossuary_core::Error>())
        .copied()
}

/// The Ossuary error of a handshake failure, if it is one.
pub(crate) fn handshake_error(e: &ossuary_tokio::Error) -> Option<ossuary_core::Error> {
    match e {
        ossuary_tokio::Error::Session(e) => Some(*e),
        _ => None,
    }
}

mod raw;

#[allow(unused_imports)]
pub(crate) use raw::Raw;
mod server;

#[allow(unused_imports)]
pub(crate) use server::{EchoServer, End, Outcome, good_client};
