//! `ossuary send` and `ossuary receive` over loopback: a 64 MiB file checked
//! end to end, nothing left under the final name by a transfer that fails,
//! hostile names kept inside the directory and escaped, never clobbering.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use common::{Home, Running, assert_failed, home_with_keys};
use ossuary_core::{Config, Connection, Sha256, Stream};

/// `receive` into `dir` (relative to home), accepting the client key.
fn receive(home: &Home, dir: &str) -> (Running, String) {
    std::fs::create_dir_all(home.join(dir)).unwrap();
    let mut receiver = home.spawn(&[
        "receive",
        "127.0.0.1:0",
        "-o",
        dir,
        "--identity",
        "server.key",
        "--authorized-keys",
        "authorized",
    ]);
    let addr = receiver.listening();
    (receiver, addr)
}

/// `send FILE ADDR EXTRA...` as the client, pinning the receiver's key.
fn send(home: &Home, file: &str, addr: &str, extra: &[&str]) -> Running {
    let mut args = vec![
        "send",
        file,
        addr,
        "--identity",
        "client.key",
        "--server-key",
        "server.key.pub",
    ];
    args.extend_from_slice(extra);
    home.spawn(&args)
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// SHA-256 as lowercase hex.
fn sha256_hex(data: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(data);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_64_mib_file_arrives_checked() {
    let home = home_with_keys();
    // Deterministic, incompressible-looking content (xorshift64).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<u8> = (0..64 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(home.join("big.bin"), &data).unwrap();
    let (receiver, addr) = receive(&home, "in");
    let sent = send(&home, "big.bin", &addr, &[]).finish();
    let received = receiver.finish();
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    assert_eq!(received.status.code(), Some(0), "{received:?}");

    let saved = std::fs::read(home.join("in/big.bin")).unwrap();
    assert!(saved == data, "the saved file differs");
    let hex = sha256_hex(&data);
    let sent_line = String::from_utf8(sent.stdout).unwrap();
    let received_line = String::from_utf8(received.stdout).unwrap();
    assert!(
        sent_line.starts_with(&format!(
            "sent big.bin ({} bytes, SHA-256 {hex})",
            data.len()
        )),
        "{sent_line}"
    );
    assert!(
        sent_line.contains("the receiver checked and saved it"),
        "{sent_line}"
    );
    assert!(
        received_line.starts_with(&format!(
            "received \"big.bin\" ({} bytes, SHA-256 {hex})",
            data.len()
        )),
        "{received_line}"
    );
    assert_eq!(listing(&home.join("in")), ["big.bin"]);
}

/// Connects to the receiver as a hand-written sender (the Rust API, the
/// receiver's key pinned), sends `offer`, and returns the stream and the
/// receiver's verdict.
fn raw_sender(home: &Home, addr: &str, name: &str, size: u64) -> (Stream<TcpStream>, u8) {
    let key = ossuary_core::keys::read_public_key(home.join("server.key.pub")).unwrap();
    let identity = ossuary_core::keys::read_secret_key(home.join("client.key")).unwrap();
    let mut conn = Connection::with_identity(
        ossuary_core::Role::Client,
        Config::default(),
        Box::new(identity),
    )
    .unwrap();
    conn.add_authorized_key(*key.key()).unwrap();
    let mut stream = Stream::new(conn, TcpStream::connect(addr).unwrap());
    let mut offer = b"OSSUARYF\x01".to_vec();
    offer.push(u8::try_from(name.len()).unwrap());
    offer.extend_from_slice(name.as_bytes());
    offer.extend_from_slice(&size.to_be_bytes());
    stream.write_all(&offer).unwrap();
    stream.flush().unwrap();
    let mut verdict = [0u8; 1];
    stream.read_exact(&mut verdict).unwrap();
    (stream, verdict[0])
}

#[test]
fn a_cut_transfer_leaves_nothing() {
    let home = home_with_keys();
    let (mut receiver, addr) = receive(&home, "in");
    let (mut stream, verdict) = raw_sender(&home, &addr, "cut.bin", 1 << 20);
    assert_eq!(verdict, 0, "accepted");
    stream.write_all(&[7u8; 300_000]).unwrap();
    stream.flush().unwrap();
    receiver.wait_line("receiving \"cut.bin\" (1048576 bytes)");
    // The sender vanishes: no authenticated close.
    drop(stream);
    assert_failed(&receiver.finish(), 10, &["vanished without closing"]);
    assert!(
        listing(&home.join("in")).is_empty(),
        "not even the temporary file"
    );
}

#[test]
fn a_bad_checksum_or_a_short_file_is_not_saved() {
    let home = home_with_keys();

    let (receiver, addr) = receive(&home, "in");
    let (mut stream, verdict) = raw_sender(&home, &addr, "lie.bin", 5);
    assert_eq!(verdict, 0);
    stream.write_all(b"hello").unwrap();
    stream.write_all(&[0u8; 32]).unwrap(); // not SHA-256("hello")
    stream.flush().unwrap();
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(answer[0], 4, "checksum mismatch");
    drop(stream);
    assert_failed(
        &receiver.finish(),
        11,
        &["is not the sender's", "nothing was saved"],
    );
    assert!(listing(&home.join("in")).is_empty());

    let (receiver, addr) = receive(&home, "in");
    let (mut stream, _) = raw_sender(&home, &addr, "short.bin", 10);
    stream.write_all(b"only5").unwrap();
    stream.close().unwrap(); // a clean close, too early
    assert_failed(
        &receiver.finish(),
        11,
        &["ended the transfer after 5 of 10 bytes; nothing was saved"],
    );
    assert!(listing(&home.join("in")).is_empty());
}

#[test]
fn hostile_names_stay_inside_and_are_escaped() {
    let home = home_with_keys();
    std::fs::write(home.join("payload"), b"not where you think").unwrap();
    let (receiver, addr) = receive(&home, "in");
    let hostile = "../../escape\x1b[31m\u{202e}.txt";
    let sent = send(&home, "payload", &addr, &["--name", hostile]).finish();
    assert_eq!(sent.status.code(), Some(0), "{sent:?}");
    let received = receiver.finish();
    assert_eq!(received.status.code(), Some(0), "{received:?}");

    assert_eq!(listing(&home.join("in")), ["_._.._escape_[31m_.txt"]);
    assert_eq!(
        listing(home.path())
            .iter()
            .filter(|n| n.contains("escape"))
            .count(),
        0
    );
    let stderr = String::from_utf8(received.stderr).unwrap();
    let stdout = String::from_utf8(received.stdout).unwrap();
    for text in [&stderr, &stdout] {
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text:?}"
        );
    }
    assert!(
        stderr.contains("offered the name \"../../escape\\u{1b}[31m\\u{202e}.txt\"; saving it as \"_._.._escape_[31m_.txt\""),
        "{stderr}"
    );
}

#[test]
fn an_existing_file_is_never_clobbered() {
    let home = home_with_keys();
    std::fs::create_dir_all(home.join("in")).unwrap();
    std::fs::write(home.join("in/report.txt"), b"mine").unwrap();
    std::fs::write(home.join("report.txt"), b"theirs").unwrap();
    let (receiver, addr) = receive(&home, "in");
    let sent = send(&home, "report.txt", &addr, &[]).finish();
    assert_failed(
        &sent,
        11,
        &["refused report.txt: a file of that name exists"],
    );
    assert_failed(
        &receiver.finish(),
        11,
        &["in/report.txt exists; nothing was overwritten"],
    );
    assert_eq!(std::fs::read(home.join("in/report.txt")).unwrap(), b"mine");
    assert_eq!(listing(&home.join("in")), ["report.txt"]);
}

#[test]
fn a_refused_attempt_does_not_end_the_wait() {
    let home = home_with_keys();
    std::fs::write(home.join("notes.txt"), b"second try").unwrap();
    let (mut receiver, addr) = receive(&home, "in");
    // The sender does not know the receiver's key yet: refused ...
    let first = home
        .spawn(&["send", "notes.txt", &addr, "--identity", "client.key"])
        .finish();
    assert_failed(&first, 4, &["is not a known server"]);
    receiver.wait_line("refused a connection (status 4)");
    // ... and tries again, trusting it: the receiver was still waiting.
    let second = home
        .spawn(&[
            "send",
            "notes.txt",
            &addr,
            "--identity",
            "client.key",
            "--trust-first-use",
        ])
        .finish();
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    assert_eq!(receiver.finish().status.code(), Some(0));
    assert_eq!(
        std::fs::read(home.join("in/notes.txt")).unwrap(),
        b"second try"
    );
}

#[test]
fn send_refuses_what_is_not_a_file() {
    let home = home_with_keys();
    std::fs::create_dir(home.join("a-dir")).unwrap();
    let out = home.run(&[
        "send",
        "a-dir",
        "127.0.0.1:1",
        "--server-key",
        "server.key.pub",
    ]);
    assert_failed(&out, 2, &["a-dir: not a regular file"]);
    let out = home.run(&[
        "send",
        "nothing-here",
        "127.0.0.1:1",
        "--server-key",
        "server.key.pub",
    ]);
    assert_failed(&out, 1, &["nothing-here: cannot open"]);
}
