//! Each user-actionable error: its exit status (docs/CLI.md) and a message
//! that names the file or address and says what to do.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;

use common::{Home, assert_failed, home_with_keys};

#[test]
fn unreachable_host() {
    let home = home_with_keys();
    // A port nobody listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = home.run(&["connect", &addr, "--server-key", "server.key.pub"]);
    assert_failed(
        &out,
        3,
        &[&format!("cannot connect to {addr}"), "is the address right"],
    );
    let out = home.run(&[
        "send",
        "authorized",
        &addr,
        "--server-key",
        "server.key.pub",
    ]);
    assert_failed(&out, 3, &[&format!("cannot connect to {addr}")]);
}

#[test]
fn cannot_listen() {
    let home = home_with_keys();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = home.run(&["listen", &addr, "--identity", "server.key", "--open"]);
    assert_failed(&out, 3, &[&format!("cannot listen on {addr}")]);
}

#[test]
fn key_file_with_loose_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = home_with_keys();
    let key = home.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = home.run(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--open",
    ]);
    assert_failed(
        &out,
        8,
        &[
            "server.key: secret key file has mode 0644",
            "chmod 600 server.key",
        ],
    );
    let out = home.run(&["pubkey", "server.key"]);
    assert_eq!(out.status.code(), Some(8));
}

#[test]
fn wrong_kind_of_key_file() {
    let home = home_with_keys();
    // A public key where the secret key belongs.
    let out = home.run(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key.pub",
        "--open",
    ]);
    assert_failed(
        &out,
        7,
        &[
            "server.key.pub:1: expected a secret key file",
            "this is a public key",
        ],
    );
    // A secret key where a list of public keys belongs.
    let out = home.run(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--authorized-keys",
        "client.key",
    ]);
    assert_failed(&out, 7, &["client.key:1:", "this is a secret key file"]);
    // An OpenSSH key as --server-key.
    std::fs::write(
        home.join("ssh.pub"),
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me\n",
    )
    .unwrap();
    let out = home.run(&["connect", "127.0.0.1:1", "--server-key", "ssh.pub"]);
    assert_failed(&out, 7, &["ssh.pub:1:", "not OpenSSH keys"]);
}

#[test]
fn unreadable_key_files() {
    let home = home_with_keys();
    let out = home.run(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "missing.key",
        "--open",
    ]);
    assert_failed(
        &out,
        7,
        &[
            "identity file missing.key: not found",
            "ossuary keygen -o missing.key",
        ],
    );
    let out = home.run(&[
        "receive",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--authorized-keys",
        "nobody",
    ]);
    assert_failed(&out, 7, &["authorized keys file nobody: not found"]);
    // A server with no default identity says how to make one.
    let empty = Home::new();
    let out = empty.run(&["listen", "127.0.0.1:0", "--open"]);
    assert_failed(&out, 7, &[".ossuary/identity: not found", "ossuary keygen"]);
}

#[test]
fn peer_is_not_an_ossuary_endpoint() {
    let home = home_with_keys();
    // A plain HTTP-ish server: reads the request, answers in plain text.
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = plain.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || {
        let (mut tcp, _) = plain.accept().unwrap();
        let mut request = [0u8; 16];
        let _ = tcp.read(&mut request);
        let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let out = home.run(&["connect", &addr, "--server-key", "server.key.pub"]);
    assert_failed(&out, 9, &[&format!("{addr} does not speak Ossuary")]);
    server.join().unwrap();

    // And the other way: a plain client at an Ossuary listener.
    let mut listener = home.spawn(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--open",
    ]);
    let addr = listener.listening();
    let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let line = listener.wait_line("refused a connection (status 9)");
    assert!(line.contains("does not speak Ossuary"), "{line}");
}

#[test]
fn usage_errors() {
    let home = home_with_keys();
    // A server that does not say whom it accepts.
    let out = home.run(&["listen", "127.0.0.1:0"]);
    assert_failed(&out, 2, &["--authorized-keys", "--open"]);
    let out = home.run(&["connect", "nowhere"]);
    assert_failed(&out, 2, &["HOST:PORT"]);
    let out = home.run(&[
        "tunnel",
        "--decrypt",
        "--listen",
        "127.0.0.1:0",
        "--to",
        "127.0.0.1:1",
    ]);
    assert_failed(&out, 2, &["tunnel --decrypt needs --authorized-keys FILE"]);
    // An authorized-keys file that lists nobody.
    std::fs::write(home.join("empty"), "# nobody yet\n").unwrap();
    let out = home.run(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--authorized-keys",
        "empty",
    ]);
    assert_failed(&out, 2, &["empty: lists no keys"]);
}

#[test]
fn keys_are_never_overwritten() {
    let home = home_with_keys();
    let before = std::fs::read(home.join("server.key")).unwrap();
    let out = home.run(&["keygen", "-o", "server.key"]);
    assert_failed(&out, 1, &["already exists; it was not overwritten"]);
    assert_eq!(std::fs::read(home.join("server.key")).unwrap(), before);
}

#[test]
fn help_lists_the_exit_statuses() {
    let home = Home::new();
    let help = home.ok(&["--help"]);
    for line in [
        "  3  cannot connect",
        "  5  the server proved another key",
        "  9  the peer does not speak Ossuary",
        " 10  the session ended without the peer's authenticated close",
        "130  stopped by SIGINT",
    ] {
        assert!(help.contains(line), "{line:?} not in:\n{help}");
    }
}
