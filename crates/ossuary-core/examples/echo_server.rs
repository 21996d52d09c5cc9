//! An echo server over TCP: every byte a client sends comes back.
//!
//! ```text
//! cargo run -p ossuary-core --example echo_server -- --listen 127.0.0.1:0 \
//!     --key server.key [--authorized clients.txt] [--once]
//! ```
//! With `--authorized` only the listed client keys are accepted
//! (authenticating server); without it, any client is (open server). Prints
//! `listening on ADDR key HEX` first. `--once` serves one client and exits.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ossuary_core::{Config, Connection, PublicKey, Role, SecretKey, Signer, Stream};

struct Settings {
    key: Arc<SecretKey>,
    authorized: Option<Vec<PublicKey>>,
}

/// One identity shared by every connection: the session only asks it to sign.
struct SharedKey(Arc<SecretKey>);

impl Signer for SharedKey {
    fn public_key(&self) -> PublicKey {
        self.0.public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64], ossuary_core::CryptoError> {
        self.0.sign(msg)
    }
}

fn serve(tcp: TcpStream, settings: &Settings) -> Result<u64, Box<dyn std::error::Error>> {
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let role = if settings.authorized.is_some() {
        Role::AuthenticatingServer
    } else {
        Role::OpenServer
    };
    let mut conn = Connection::with_identity(
        role,
        Config::default(),
        Box::new(SharedKey(Arc::clone(&settings.key))),
    )?;
    for key in settings.authorized.iter().flatten() {
        conn.add_authorized_key(*key)?;
    }
    let mut stream = Stream::new(conn, tcp);
    stream.complete_handshake()?;
    let mut echoed = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break; // authenticated close
        }
        stream.write_all(&buf[..n])?;
        stream.flush()?;
        echoed += n as u64;
    }
    stream.close()?;
    Ok(echoed)
}

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let listen = common::arg("--listen").unwrap_or_else(|| "127.0.0.1:0".into());
    let key = match common::arg("--key") {
        Some(p) => common::read_secret_key(&PathBuf::from(p))?,
        None => {
            eprintln!("no --key given: using a key generated for this run only");
            ossuary_core::generate_keypair()?.0
        }
    };
    let authorized = match common::arg("--authorized") {
        Some(p) => Some(common::read_public_keys(&PathBuf::from(p))?),
        None => None,
    };
    let public = key.public_key();
    let settings = Arc::new(Settings {
        key: Arc::new(key),
        authorized,
    });
    let listener = TcpListener::bind(&listen)?;
    println!(
        "listening on {} key {}",
        listener.local_addr()?,
        common::hex(public.as_bytes())
    );
    std::io::stdout().flush()?;
    let once = common::flag("--once");
    for tcp in listener.incoming() {
        let tcp = tcp?;
        let peer = tcp.peer_addr()?;
        let settings = Arc::clone(&settings);
        let worker = std::thread::spawn(move || match serve(tcp, &settings) {
            Ok(n) => println!("{peer}: echoed {n} bytes, closed cleanly"),
            Err(e) => println!("{peer}: {e}"),
        });
        if once {
            let _ = worker.join();
            break;
        }
    }
    Ok(())
}
