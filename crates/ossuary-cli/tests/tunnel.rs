//! `ossuary tunnel` pairs over loopback: 50 concurrent echo connections
//! with every byte checked, an unmodified HTTP server and client, the
//! connection limit, failures that touch no other connection, trust, and
//! the graceful drain.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use common::{Home, Running, STEP, assert_failed, home_with_keys};

/// An echo server: each connection gets back what it sends, then the end.
/// Runs until the test process ends.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { return };
            thread::spawn(move || {
                tcp.set_read_timeout(Some(STEP)).unwrap();
                let mut buf = [0u8; 16 * 1024];
                loop {
                    match tcp.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tcp.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = tcp.shutdown(Shutdown::Write);
            });
        }
    });
    addr
}

/// A `--decrypt` end in front of `to`, accepting the client key.
fn decrypt_end(home: &Home, to: &str, extra: &[&str]) -> (Running, String) {
    let mut args = vec![
        "tunnel",
        "--decrypt",
        "--listen",
        "127.0.0.1:0",
        "--to",
        to,
        "--identity",
        "server.key",
        "--authorized-keys",
        "authorized",
    ];
    args.extend_from_slice(extra);
    let mut end = home.spawn(&args);
    let addr = end.listening();
    (end, addr)
}

/// An `--encrypt` end carrying to the decrypt end at `to`.
fn encrypt_end(home: &Home, to: &str, extra: &[&str]) -> (Running, String) {
    let mut args = vec![
        "tunnel",
        "--encrypt",
        "--listen",
        "127.0.0.1:0",
        "--to",
        to,
        "--identity",
        "client.key",
    ];
    if !extra.contains(&"--trust-first-use") {
        args.extend(["--server-key", "server.key.pub"]);
    }
    args.extend_from_slice(extra);
    let mut end = home.spawn(&args);
    let addr = end.listening();
    (end, addr)
}

/// A plain client connection with bounded reads.
fn dial(addr: &str) -> TcpStream {
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(STEP)).unwrap();
    tcp
}

/// Sends `data` and checks that exactly it comes back before the end.
fn echo_all(addr: &str, data: &[u8]) {
    let mut tcp = dial(addr);
    let mut reader = tcp.try_clone().unwrap();
    let expected = data.len();
    let read = thread::spawn(move || {
        let mut got = Vec::with_capacity(expected);
        reader.read_to_end(&mut got).map(|_| got)
    });
    tcp.write_all(data).unwrap();
    tcp.shutdown(Shutdown::Write).unwrap();
    let got = read.join().unwrap().unwrap();
    assert!(got == data, "{} bytes back, {} sent", got.len(), data.len());
}

/// Stops a tunnel end with SIGTERM and checks it drains and exits 0.
fn stop(mut end: Running) {
    end.signal("TERM");
    end.wait_line("SIGTERM: no longer accepting");
    let out = end.finish();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn fifty_concurrent_echo_connections_every_byte_checked() {
    let home = home_with_keys();
    let echo = echo_server();
    let (mut decrypt, inner) = decrypt_end(&home, &echo, &[]);
    let (mut encrypt, outer) = encrypt_end(&home, &inner, &[]);

    let clients: Vec<_> = (0..50u32)
        .map(|i| {
            let outer = outer.clone();
            thread::spawn(move || {
                // Different sizes and contents per connection, up to 384 KiB.
                let len = 1000 + (i as usize) * 8 * 1024;
                let data: Vec<u8> = (0..len).map(|j| (j as u32 ^ (i * 7)) as u8).collect();
                echo_all(&outer, &data);
                len
            })
        })
        .collect();
    let total: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();

    encrypt.wait_lines("closed cleanly", 50);
    decrypt.wait_lines("closed cleanly", 50);
    // One line per connection, naming the peer's key.
    let server_fp = home.fingerprint("server.key.pub");
    let client_fp = home.fingerprint("client.key.pub");
    let line = encrypt.wait_line("closed cleanly");
    assert!(line.contains(&format!("key {server_fp}")), "{line}");
    let line = decrypt.wait_line("closed cleanly");
    assert!(line.contains(&format!("key {client_fp}")), "{line}");
    assert_eq!(
        total,
        50 * 1000 + 8 * 1024 * (49 * 50 / 2),
        "about 10 MB in all"
    );
    // All ended: nothing to drain.
    for mut end in [encrypt, decrypt] {
        end.signal("TERM");
        end.wait_line("SIGTERM: no longer accepting; waiting up to 30 s for 0 open connection(s)");
        assert_eq!(end.finish().status.code(), Some(0));
    }
}

#[test]
fn an_unmodified_http_server_and_client() {
    let home = home_with_keys();
    let site = home.join("site");
    std::fs::create_dir(&site).unwrap();
    let page: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(site.join("page.txt"), &page).unwrap();

    let mut python = Command::new("python3");
    python
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&site)
        .stdin(Stdio::null());
    let mut http = home.spawn_with(python, false);
    let banner = http.wait_stdout("Serving HTTP on 127.0.0.1 port ");
    let port: u16 = banner
        .split("port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();

    let (decrypt, inner) = decrypt_end(&home, &format!("127.0.0.1:{port}"), &[]);
    let (encrypt, outer) = encrypt_end(&home, &inner, &[]);
    for _ in 0..3 {
        let out = Command::new("curl")
            .args(["-sS", "--fail", "--max-time", "20"])
            .arg(format!("http://{outer}/page.txt"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == page.as_bytes(), "the page differs");
    }
    stop(encrypt);
    stop(decrypt);
    drop(http);
}

#[test]
fn the_connection_limit_is_logged_and_waits() {
    let home = home_with_keys();
    let echo = echo_server();
    let (decrypt, inner) = decrypt_end(&home, &echo, &[]);
    let (mut encrypt, outer) = encrypt_end(&home, &inner, &["--max-connections", "2"]);

    let mut open: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut tcp = dial(&outer);
            tcp.write_all(b"a").unwrap();
            let mut one = [0u8; 1];
            tcp.read_exact(&mut one).unwrap();
            tcp
        })
        .collect();
    encrypt.wait_line("connection limit reached (2 open): new connections wait until one ends");

    // A third waits in the listen queue ...
    let mut third = dial(&outer);
    third.write_all(b"c").unwrap();
    // ... until one of the two ends.
    let mut first = open.remove(0);
    first.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    first.read_to_end(&mut rest).unwrap();
    let mut one = [0u8; 1];
    third.read_exact(&mut one).unwrap();
    assert_eq!(&one, b"c");
    drop((open, third));
    stop(encrypt);
    drop(decrypt);
}

#[test]
fn one_failure_touches_no_other_connection() {
    let home = home_with_keys();
    home.keygen("stranger.key", "stranger");
    let echo = echo_server();
    let (mut decrypt, inner) = decrypt_end(&home, &echo, &[]);
    let (encrypt, outer) = encrypt_end(&home, &inner, &[]);

    let mut good = dial(&outer);
    good.write_all(b"before").unwrap();
    let mut buf = [0u8; 6];
    good.read_exact(&mut buf).unwrap();

    // Garbage straight at the decrypt end.
    let mut garbage = dial(&inner);
    garbage.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    decrypt.wait_line("failed (status 9)");
    // An Ossuary client that is not authorized.
    let out = home.run(&[
        "connect",
        &inner,
        "--identity",
        "stranger.key",
        "--server-key",
        "server.key.pub",
    ]);
    assert_failed(&out, 6, &["not authorized"]);
    decrypt.wait_line("failed (status 6)");

    // The good connection goes on.
    good.write_all(b"after!").unwrap();
    good.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"after!");
    good.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    good.read_to_end(&mut rest).unwrap();
    decrypt.wait_line("closed cleanly");
    stop(encrypt);
    stop(decrypt);
}

#[test]
fn trust_on_first_use_is_recorded_and_unknown_servers_refused() {
    let home = home_with_keys();
    let echo = echo_server();
    let (decrypt, inner) = decrypt_end(&home, &echo, &[]);

    // Without --trust-first-use or a pinned key: each connection refused.
    let mut args = vec![
        "tunnel",
        "--encrypt",
        "--listen",
        "127.0.0.1:0",
        "--to",
        &inner,
        "--identity",
        "client.key",
    ];
    let mut strict = home.spawn(&args);
    let outer = strict.listening();
    let mut tcp = dial(&outer);
    let mut rest = Vec::new();
    let _ = tcp.read_to_end(&mut rest);
    strict.wait_line("failed (status 4)");
    strict.wait_line("A tunnel never asks");
    stop(strict);

    args.push("--trust-first-use");
    let mut tofu = home.spawn(&args);
    let outer = tofu.listening();
    echo_all(&outer, b"first");
    tofu.wait_line(&format!("recorded {inner}"));
    echo_all(&outer, b"second");
    tofu.wait_lines("closed cleanly", 2);
    let known = std::fs::read_to_string(home.join(".ossuary/known_hosts")).unwrap();
    assert_eq!(known.lines().count(), 1, "{known}");
    stop(tofu);
    drop(decrypt);
}

#[test]
fn sigterm_drains_open_connections() {
    let home = home_with_keys();
    let echo = echo_server();
    let (decrypt, inner) = decrypt_end(&home, &echo, &[]);
    let (mut encrypt, outer) = encrypt_end(&home, &inner, &[]);

    let mut open = dial(&outer);
    open.write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    open.read_exact(&mut one).unwrap();

    encrypt.signal("TERM");
    encrypt.wait_line("SIGTERM: no longer accepting; waiting up to 30 s for 1 open connection(s)");
    // No new connections ...
    assert!(TcpStream::connect_timeout(&outer.parse().unwrap(), Duration::from_secs(5)).is_err());
    // ... but the open one goes on until it ends.
    open.write_all(b"still here").unwrap();
    let mut buf = [0u8; 10];
    open.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"still here");
    open.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).unwrap();
    encrypt.wait_line("drained; stopping");
    let out = encrypt.finish();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    drop(decrypt);
}
