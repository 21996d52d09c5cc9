//! An echo client over TCP with Trust-On-First-Use, like ssh's known_hosts.
//!
//! ```text
//! cargo run -p ossuary-core --example echo_client -- --connect 127.0.0.1:PORT \
//!     --known-hosts known_hosts [--key client.key] [--accept-new] [--message TEXT]
//! ```
//! A server key found in the known-hosts file is trusted. An unknown key is
//! shown and, if you answer `yes` (or pass `--accept-new`), appended to the
//! file; otherwise the handshake is rejected. Sends `--message` (or stdin),
//! prints the echo, then closes cleanly.

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use ossuary_core::{Config, Connection, HandshakeStatus, Role, Stream};

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let Some(addr) = common::arg("--connect") else {
        eprintln!(
            "usage: echo_client --connect ADDR --known-hosts FILE [--key FILE] [--accept-new] [--message TEXT]"
        );
        std::process::exit(2);
    };
    let known_hosts = PathBuf::from(common::arg("--known-hosts").unwrap_or("known_hosts".into()));

    let mut conn = match common::arg("--key") {
        Some(path) => {
            let key = common::read_secret_key(&PathBuf::from(path))?;
            Connection::with_identity(Role::Client, Config::default(), Box::new(key))?
        }
        None => Connection::client(Config {
            trust_on_first_use: true,
            ..Config::default()
        })?,
    };
    for key in common::read_public_keys(&known_hosts)? {
        conn.add_authorized_key(key)?;
    }

    let tcp = TcpStream::connect(&addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut stream = Stream::new(conn, tcp);
    loop {
        match stream.complete_handshake()? {
            HandshakeStatus::Done => break,
            HandshakeStatus::UntrustedServer(key) => {
                eprintln!("The server at {addr} presents an unknown key:\n  {key}");
                let accept =
                    common::flag("--accept-new") || ask("Trust it and remember it? [yes/no] ")?;
                if accept {
                    common::append_public_key(&known_hosts, &key, &addr)?;
                    stream.connection_mut().trust_server()?;
                } else {
                    let _ = stream.connection_mut().reject_server();
                    let _ = stream.flush();
                    return Err("server key rejected".into());
                }
            }
            HandshakeStatus::InProgress => {}
        }
    }

    let message = match common::arg("--message") {
        Some(m) => m.into_bytes(),
        None => {
            let mut all = Vec::new();
            std::io::stdin().read_to_end(&mut all)?;
            all
        }
    };
    stream.write_all(&message)?;
    stream.flush()?;
    let mut echo = vec![0u8; message.len()];
    stream.read_exact(&mut echo)?;
    std::io::stdout().write_all(&echo)?;
    stream.close()?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?; // returns once the server's CLOSE arrives
    eprintln!("echoed {} bytes; closed cleanly", echo.len());
    Ok(())
}

fn ask(prompt: &str) -> std::io::Result<bool> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().eq_ignore_ascii_case("yes"))
}
