//! Trusting the server (known_hosts, first use, pinning) and authorizing
//! the client, as a user meets them: statuses and messages.

mod common;

use common::{Home, Running, assert_failed, home_with_keys};

/// A `listen` with `identity`, authenticating or open.
fn listen(home: &Home, identity: &str, authorized: bool) -> (Running, String) {
    let mut args = vec!["listen", "127.0.0.1:0", "--identity", identity];
    if authorized {
        args.extend(["--authorized-keys", "authorized"]);
    } else {
        args.push("--open");
    }
    let mut server = home.spawn(&args);
    let addr = server.listening();
    (server, addr)
}

/// `connect ADDR EXTRA...` with the client key, sending `message` and then
/// the end of input.
fn connect(home: &Home, addr: &str, extra: &[&str]) -> Running {
    let mut args = vec!["connect", addr, "--identity", "client.key"];
    args.extend_from_slice(extra);
    home.spawn(&args)
}

/// A session that carries one line from client to server and ends cleanly.
fn one_line(server: &mut Running, mut client: Running) -> std::process::Output {
    client.send(b"hi\n");
    client.close_stdin();
    assert_eq!(server.read_stdout(3), b"hi\n");
    server.close_stdin();
    client.finish()
}

#[test]
fn first_use_is_recorded_then_silent_then_a_changed_key_is_refused() {
    let home = home_with_keys();
    let server_fp = home.fingerprint("server.key.pub");
    let known_hosts = home.join(".ossuary/known_hosts");

    // Unknown, and stdin is not a terminal: refused, with what to do.
    let (mut server, addr) = listen(&home, "server.key", true);
    let out = connect(&home, &addr, &[]).finish();
    assert_failed(
        &out,
        4,
        &[
            &format!("{addr} is not a known server; its key fingerprint is {server_fp}"),
            "stdin is not a terminal",
            "--trust-first-use",
        ],
    );
    assert!(!known_hosts.exists());
    // The listener logs the refusal and waits on.
    let line = server.wait_line("refused a connection (status 4)");
    assert!(
        line.contains("the client does not trust this server's key"),
        "{line}"
    );
    assert!(
        line.contains(&format!("still listening on {addr}")),
        "{line}"
    );

    // --trust-first-use: recorded, and said so.
    let out = one_line(&mut server, connect(&home, &addr, &["--trust-first-use"]));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("recorded {addr} ({server_fp})")),
        "{said}"
    );
    let recorded = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        recorded.starts_with(&format!("{addr} ossuary-ed25519 ")),
        "{recorded}"
    );
    assert_eq!(server.finish().status.code(), Some(0));

    // Second use: no notice but the connected line, nothing added. The
    // listener gets a new port, so
    // the recorded line is moved to it (known_hosts binds host and port).
    let (mut server, addr2) = listen(&home, "server.key", true);
    std::fs::write(&known_hosts, recorded.replace(&addr, &addr2)).unwrap();
    let before = std::fs::read_to_string(&known_hosts).unwrap();
    let out = one_line(&mut server, connect(&home, &addr2, &[]));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("ossuary: connected to {addr2}, server SHA256:"))
            && stderr.ends_with(", post-quantum (X25519 + ML-KEM-768)\n"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&known_hosts).unwrap(), before);
    assert_eq!(server.finish().status.code(), Some(0));

    // Another key at that host and port: refused loudly, naming both,
    // with or without --trust-first-use.
    home.keygen("other.key", "impostor");
    let other_fp = home.fingerprint("other.key.pub");
    for extra in [&[][..], &["--trust-first-use"][..]] {
        let (mut server, addr3) = listen(&home, "other.key", true);
        let moved = before.replace(&addr2, &addr3);
        std::fs::write(&known_hosts, &moved).unwrap();
        let out = connect(&home, &addr3, extra).finish();
        assert_failed(
            &out,
            5,
            &["SERVER KEY CHANGED", &server_fp, &other_fp, "known_hosts"],
        );
        assert_eq!(
            std::fs::read_to_string(&known_hosts).unwrap(),
            moved,
            "a refused key is never recorded"
        );
        server.wait_line("refused a connection (status 4): 127.0.0.1");
    }
}

#[test]
fn pinning_by_key_file_or_fingerprint() {
    let home = home_with_keys();
    home.keygen("other.key", "other");
    let server_fp = home.fingerprint("server.key.pub");
    let other_fp = home.fingerprint("other.key.pub");

    for pin in ["server.key.pub", server_fp.as_str()] {
        let (mut server, addr) = listen(&home, "server.key", true);
        let out = one_line(&mut server, connect(&home, &addr, &["--server-key", pin]));
        assert_eq!(out.status.code(), Some(0), "{pin}: {out:?}");
        assert_eq!(server.finish().status.code(), Some(0));
    }
    for pin in ["other.key.pub", other_fp.as_str()] {
        let (server, addr) = listen(&home, "server.key", true);
        let out = connect(&home, &addr, &["--server-key", pin]).finish();
        assert_failed(
            &out,
            5,
            &["SERVER KEY CHANGED", &server_fp, &other_fp, "--server-key"],
        );
        drop(server);
    }
    assert!(
        !home.join(".ossuary/known_hosts").exists(),
        "pinning never records"
    );
}

#[test]
fn unauthorized_clients_are_refused() {
    let home = home_with_keys();
    home.keygen("stranger.key", "stranger");
    let stranger_fp = home.fingerprint("stranger.key.pub");

    // A client with a key that is not listed, then an anonymous one: each
    // refused, and the server logs each and listens on.
    let (mut server, addr) = listen(&home, "server.key", true);
    let out = home
        .spawn(&[
            "connect",
            &addr,
            "--identity",
            "stranger.key",
            "--server-key",
            "server.key.pub",
        ])
        .finish();
    assert_failed(
        &out,
        6,
        &["refused this client: not authorized", "ossuary pubkey"],
    );
    let line = server.wait_line("refused a connection (status 6)");
    assert!(
        line.contains(&format!(
            "client key {stranger_fp} is not in the authorized keys"
        )),
        "{line}"
    );

    let out = home
        .spawn(&[
            "connect",
            &addr,
            "--anonymous",
            "--server-key",
            "server.key.pub",
        ])
        .finish();
    assert_failed(&out, 6, &["accepts only authorized clients", "no identity"]);
    server.wait_line("the client has no identity");

    // The authorized client still gets in.
    let out = one_line(
        &mut server,
        connect(&home, &addr, &["--server-key", "server.key.pub"]),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(server.finish().status.code(), Some(0));
}

#[test]
fn the_default_identity_and_known_hosts_live_in_home() {
    let home = Home::new();
    // `keygen` with no -o writes ~/.ossuary/identity, which both ends then use.
    let line = home.ok(&["keygen", "-C", "me"]);
    assert!(home.join(".ossuary/identity").exists() && home.join(".ossuary/identity.pub").exists());
    let public = line.lines().last().unwrap().to_owned();
    std::fs::write(home.join("authorized"), format!("{public}\n")).unwrap();
    let mut server = home.spawn(&["listen", "127.0.0.1:0", "--authorized-keys", "authorized"]);
    let addr = server.listening();
    let client = home.spawn(&["connect", &addr, "--trust-first-use"]);
    server.wait_line("connected, client SHA256:");
    let out = one_line(&mut server, client);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(home.join(".ossuary/known_hosts").exists());
    assert_eq!(server.finish().status.code(), Some(0));
}

/// `ossuary connect ADDR --identity client.key` on a pseudo-terminal
/// (util-linux `script`), so that stdin is a terminal.
fn connect_on_a_terminal(home: &Home, addr: &str) -> Running {
    let command = format!(
        "{} connect {addr} --identity client.key",
        env!("CARGO_BIN_EXE_ossuary")
    );
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .env("HOME", home.path())
        .current_dir(home.path());
    home.spawn_with(script, true)
}

#[test]
fn on_a_terminal_an_unknown_server_is_asked_about() {
    let home = home_with_keys();
    let server_fp = home.fingerprint("server.key.pub");
    let known_hosts = home.join(".ossuary/known_hosts");

    // "no": refused, nothing recorded.
    let (mut server, addr) = listen(&home, "server.key", true);
    let mut client = connect_on_a_terminal(&home, &addr);
    let shown = client.wait_stdout("Trust it and record it?");
    assert!(
        shown.contains(&format!(
            "{addr} is not a known server. Its key fingerprint is {server_fp}"
        )),
        "{shown}"
    );
    client.send(b"no\n");
    let out = client.finish();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Not trusted, as answered"));
    assert!(!known_hosts.exists());
    server.wait_line("refused a connection (status 4)");

    // "yes": recorded, and the session goes on on the same terminal.
    let mut client = connect_on_a_terminal(&home, &addr);
    client.wait_stdout("Trust it and record it?");
    client.send(b"yes\n");
    client.wait_stdout(&format!("recorded {addr}"));
    client.send(b"typed after the answer\n");
    assert_eq!(server.read_stdout(23), b"typed after the answer\n");
    client.send(b"\x04"); // Ctrl-D: the end of input
    server.close_stdin();
    assert_eq!(server.finish().status.code(), Some(0));
    assert_eq!(client.finish().status.code(), Some(0));
    let recorded = std::fs::read_to_string(&known_hosts).unwrap();
    assert!(
        recorded.starts_with(&format!("{addr} ossuary-ed25519 ")),
        "{recorded}"
    );
}
