//! `ossuary listen` and `ossuary connect` over loopback: data both ways,
//! half-close carried both ways, clean close against a vanished peer.

mod common;

use common::{Home, assert_failed, home_with_keys};

/// Starts an authenticating `listen` and a `connect` that pins its key.
fn pair(home: &Home) -> (common::Running, common::Running) {
    let mut server = home.spawn(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--authorized-keys",
        "authorized",
    ]);
    let addr = server.listening();
    let client = home.spawn(&[
        "connect",
        &addr,
        "--identity",
        "client.key",
        "--server-key",
        "server.key.pub",
    ]);
    server.wait_line("connected, client SHA256:");
    (server, client)
}

#[test]
fn data_both_ways_then_the_client_closes_first() {
    let home = home_with_keys();
    let (mut server, mut client) = pair(&home);

    client.send(b"ping from the client\n");
    assert_eq!(server.read_stdout(21), b"ping from the client\n");
    server.send(b"pong from the server\n");
    assert_eq!(client.read_stdout(21), b"pong from the server\n");

    // The client's input ends: the server sees the end of its output ...
    client.close_stdin();
    // ... and can still send, after the client's half-close.
    let late = vec![b'x'; 300_000];
    server.send(&late);
    assert_eq!(client.read_stdout(late.len()), late);
    server.close_stdin();

    let client = client.finish();
    let server = server.finish();
    assert_eq!(client.status.code(), Some(0), "{client:?}");
    assert_eq!(server.status.code(), Some(0), "{server:?}");
    assert!(client.stdout.is_empty() && server.stdout.is_empty());
}

#[test]
fn the_server_closes_first_and_still_receives() {
    let home = home_with_keys();
    let (mut server, mut client) = pair(&home);

    server.send(b"all I have to say\n");
    server.close_stdin();
    assert_eq!(client.read_stdout(18), b"all I have to say\n");
    // The server's half is closed; the client's is not.
    let upload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    client.send(&upload);
    client.close_stdin();
    let server = server.finish();
    assert_eq!(server.stdout, upload);
    assert_eq!(server.status.code(), Some(0), "{server:?}");
    assert_eq!(client.finish().status.code(), Some(0));
}

#[test]
fn a_peer_that_vanishes_is_not_a_clean_close() {
    let home = home_with_keys();
    let (mut server, mut client) = pair(&home);
    client.send(b"partial");
    assert_eq!(server.read_stdout(7), b"partial");
    // SIGKILL: no authenticated close. The server sees an end of stream,
    // or a reset when the dead client had bytes unread (a loaded CI
    // machine showed both); either is the same "vanished".
    client.signal("KILL");
    assert_failed(
        &server.finish(),
        10,
        &[
            "vanished without closing the session",
            "data may be incomplete",
        ],
    );
    drop(client);
}

#[test]
fn unix_sockets() {
    let home = home_with_keys();
    let socket = home.join("chan.sock");
    let addr = format!("unix:{}", socket.display());
    let mut server = home.spawn(&["listen", &addr, "--identity", "server.key", "--open"]);
    assert_eq!(server.listening(), addr);
    let mut client = home.spawn(&[
        "connect",
        &addr,
        "--anonymous",
        "--server-key",
        "server.key.pub",
    ]);
    server.wait_line("connected, anonymous client, post-quantum (X25519 + ML-KEM-768)");
    client.send(b"over a unix socket");
    client.close_stdin();
    assert_eq!(server.read_stdout(18), b"over a unix socket");
    server.close_stdin();
    assert_eq!(server.finish().status.code(), Some(0));
    assert_eq!(client.finish().status.code(), Some(0));
    assert!(!socket.exists(), "the socket file is removed");
}

#[test]
fn ctrl_c_stops_a_waiting_listener() {
    let home = home_with_keys();
    let mut server = home.spawn(&[
        "listen",
        "127.0.0.1:0",
        "--identity",
        "server.key",
        "--open",
    ]);
    server.listening();
    server.signal("INT");
    assert_failed(&server.finish(), 130, &["interrupted (SIGINT)"]);
}
