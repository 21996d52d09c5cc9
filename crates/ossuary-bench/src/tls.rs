//! rustls 0.23 client/server pairs in memory.
//!
//! Certificates are made at startup with rcgen: one Ed25519 CA (the trust
//! anchor on both sides) and an Ed25519 leaf for the server and for the
//! client, so the signature scheme matches Ossuary's. Every configuration is
//! TLS 1.3 only, with one key-exchange group: X25519, or for
//! [`Provider::AwsLcMlKem`] the hybrid X25519MLKEM768 (issue 14), so the
//! client's first key share is the one the server takes (no
//! HelloRetryRequest). No session tickets or resumption: each handshake is a
//! full one.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, PKCS_ED25519,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::{NoServerSessionStorage, WebPkiClientVerifier};
use rustls::{
    ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig, ServerConnection,
};

use crate::BenchResult;

/// Which rustls crypto provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Provider {
    Ring,
    AwsLc,
    /// aws-lc-rs with the X25519MLKEM768 group only (X25519 + ML-KEM-768,
    /// what browsers and rustls offer first today): Ossuary's hybrid peer.
    AwsLcMlKem,
}

/// Which TLS 1.3 cipher suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    /// TLS_CHACHA20_POLY1305_SHA256: the AEAD Ossuary and snow use.
    ChaCha20Poly1305,
    /// TLS_AES_256_GCM_SHA384: rustls's first choice by default.
    Aes256Gcm,
}

impl Provider {
    fn build(self, suite: Suite) -> CryptoProvider {
        match self {
            Self::Ring => {
                use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
                CryptoProvider {
                    cipher_suites: vec![match suite {
                        Suite::ChaCha20Poly1305 => cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
                        Suite::Aes256Gcm => cipher_suite::TLS13_AES_256_GCM_SHA384,
                    }],
                    kx_groups: vec![kx_group::X25519],
                    ..default_provider()
                }
            }
            Self::AwsLc | Self::AwsLcMlKem => {
                use rustls::crypto::aws_lc_rs::{cipher_suite, default_provider, kx_group};
                CryptoProvider {
                    cipher_suites: vec![match suite {
                        Suite::ChaCha20Poly1305 => cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
                        Suite::Aes256Gcm => cipher_suite::TLS13_AES_256_GCM_SHA384,
                    }],
                    kx_groups: vec![if self == Self::AwsLcMlKem {
                        kx_group::X25519MLKEM768
                    } else {
                        kx_group::X25519
                    }],
                    ..default_provider()
                }
            }
        }
    }
}

/// The certificates and keys, made once.
pub(crate) struct Pki {
    roots: Arc<RootCertStore>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    client_chain: Vec<CertificateDer<'static>>,
    client_key: PrivateKeyDer<'static>,
}

const SERVER_NAME: &str = "server.bench.invalid";

impl Pki {
    pub(crate) fn generate() -> BenchResult<Self> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ossuary bench CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate_for(&PKCS_ED25519)?)?;

        let leaf =
            |name: &str, usage| -> BenchResult<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
                let key = KeyPair::generate_for(&PKCS_ED25519)?;
                let mut params = CertificateParams::new(vec![name.to_owned()])?;
                params.distinguished_name.push(DnType::CommonName, name);
                params.extended_key_usages = vec![usage];
                let cert = params.signed_by(&key, &ca)?;
                let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
                Ok((cert.der().clone(), der))
            };
        let (server_cert, server_key) = leaf(SERVER_NAME, ExtendedKeyUsagePurpose::ServerAuth)?;
        let (client_cert, client_key) =
            leaf("client.bench.invalid", ExtendedKeyUsagePurpose::ClientAuth)?;

        let mut roots = RootCertStore::empty();
        roots.add(ca.der().clone())?;
        Ok(Self {
            roots: Arc::new(roots),
            server_chain: vec![server_cert],
            server_key,
            client_chain: vec![client_cert],
            client_key,
        })
    }
}

/// Shared client and server configurations (made once, like an
/// application's).
pub(crate) struct TlsSetup {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

impl TlsSetup {
    pub(crate) fn new(
        pki: &Pki,
        provider: Provider,
        suite: Suite,
        mutual: bool,
    ) -> BenchResult<Self> {
        let provider = Arc::new(provider.build(suite));
        let versions = &[&rustls::version::TLS13];

        let server = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)?;
        let server = if mutual {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(pki.roots.clone(), provider.clone())
                    .build()?;
            server.with_client_cert_verifier(verifier)
        } else {
            server.with_no_client_auth()
        };
        let mut server =
            server.with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())?;
        server.send_tls13_tickets = 0;
        server.session_storage = Arc::new(NoServerSessionStorage {});

        let client = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .with_root_certificates(pki.roots.clone());
        let mut client = if mutual {
            client.with_client_auth_cert(pki.client_chain.clone(), pki.client_key.clone_key())?
        } else {
            client.with_no_client_auth()
        };
        client.resumption = rustls::client::Resumption::disabled();

        Ok(Self {
            client: Arc::new(client),
            server: Arc::new(server),
        })
    }

    /// The client configuration (tokio-rustls's `TlsConnector`).
    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.client)
    }

    /// The server configuration (tokio-rustls's `TlsAcceptor`).
    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.server)
    }

    /// The name the server's certificate is for.
    pub(crate) fn server_name(&self) -> &'static str {
        SERVER_NAME
    }

    /// A new client and server connection, not yet connected.
    pub(crate) fn pair(&self) -> BenchResult<(Connection, Connection)> {
        let name = ServerName::try_from(SERVER_NAME)?;
        let mut client = ClientConnection::new(self.client.clone(), name)?;
        let mut server = ServerConnection::new(self.server.clone())?;
        // The default 64 KiB limit on unsent TLS bytes would refuse part of a
        // maximum-size (65519 B) write: four records plus overhead.
        client.set_buffer_limit(None);
        server.set_buffer_limit(None);
        Ok((Connection::Client(client), Connection::Server(server)))
    }

    /// A connected pair ready for records.
    pub(crate) fn connected(&self) -> BenchResult<(Connection, Connection)> {
        let (mut c, mut s) = self.pair()?;
        handshake(&mut c, &mut s, &mut Vec::new())?;
        Ok((c, s))
    }
}

/// Moves everything `from` has to send into `to`, through `wire`. Returns
/// the bytes that crossed.
fn flow(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) -> BenchResult<usize> {
    wire.clear();
    while from.wants_write() {
        from.write_tls(wire)?;
    }
    let mut rd: &[u8] = wire;
    while !rd.is_empty() {
        to.read_tls(&mut rd)?;
        to.process_new_packets()?;
    }
    Ok(wire.len())
}

/// Runs a handshake to completion on both sides; returns the bytes that
/// crossed (both directions).
pub(crate) fn handshake(
    client: &mut Connection,
    server: &mut Connection,
    wire: &mut Vec<u8>,
) -> BenchResult<usize> {
    let mut bytes = 0;
    for _ in 0..8 {
        bytes += flow(client, server, wire)?;
        bytes += flow(server, client, wire)?;
        if !client.is_handshaking()
            && !server.is_handshaking()
            && !client.wants_write()
            && !server.wants_write()
        {
            return Ok(bytes);
        }
    }
    Err("TLS handshake did not finish".into())
}

/// Sends `payload` from `tx` to `rx` and reads it out into `out`
/// (`out.len() >= payload.len()`); `wire` carries the TLS bytes. Returns
/// the TLS bytes that crossed.
pub(crate) fn transfer(
    tx: &mut Connection,
    rx: &mut Connection,
    payload: &[u8],
    wire: &mut Vec<u8>,
    out: &mut [u8],
) -> BenchResult<usize> {
    tx.writer().write_all(payload)?;
    wire.clear();
    while tx.wants_write() {
        tx.write_tls(wire)?;
    }
    let mut rd: &[u8] = wire;
    let mut got = 0;
    let want = payload.len();
    while got < want {
        let room = out.get_mut(got..want).ok_or("output buffer too small")?;
        match rx.reader().read(room) {
            Ok(0) => return Err("TLS peer closed".into()),
            Ok(n) => {
                got += n;
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.into()),
        }
        if rd.is_empty() {
            return Err("TLS records ran out before the payload did".into());
        }
        rx.read_tls(&mut rd)?;
        rx.process_new_packets()?;
    }
    Ok(wire.len())
}
