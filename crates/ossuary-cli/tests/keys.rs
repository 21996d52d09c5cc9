//! `ossuary keygen`, `pubkey` and `fingerprint`, and the generated man pages
//! and completions, through the built binary.

mod common;

use std::os::unix::fs::PermissionsExt as _;

use common::{Home, assert_failed};

#[test]
fn keygen_writes_a_private_secret_and_a_public_line() {
    let home = Home::new();
    let out = home.ok(&["keygen", "-o", "id", "-C", "alice@laptop"]);
    let mode = |name: &str| {
        std::fs::metadata(home.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("id"), 0o600);
    assert_eq!(mode("id.pub"), 0o644);
    let line = std::fs::read_to_string(home.join("id.pub")).unwrap();
    assert!(line.starts_with("ossuary-ed25519 ") && line.trim_end().ends_with(" alice@laptop"));
    assert!(out.contains(line.trim_end()), "{out}");
    let fingerprint = home.fingerprint("id.pub");
    assert!(
        out.contains(&format!("fingerprint: {fingerprint}")),
        "{out}"
    );
    // No secret on stdout: only the paths, the fingerprint and the public line.
    let secret = std::fs::read_to_string(home.join("id")).unwrap();
    let secret_line = secret.lines().nth(1).unwrap();
    assert!(!out.contains(secret_line));
    // pubkey prints the same line (with the .pub's comment).
    assert_eq!(home.ok(&["pubkey", "id"]), line);
}

#[test]
fn fingerprints_of_every_kind_of_key_text() {
    let home = Home::new();
    let alice = home.keygen("alice", "alice");
    let bob = home.keygen("bob", "bob");
    let fa = home.fingerprint("alice.pub");
    let fb = home.fingerprint("bob.pub");
    assert!(fa.starts_with("SHA256:") && fa.len() == 7 + 43 && fa != fb);

    // A literal line, the secret key file, the .pub file: one fingerprint.
    assert_eq!(home.ok(&["fingerprint", &alice]), format!("{fa} alice\n"));
    assert_eq!(
        home.ok(&["fingerprint", "alice"]),
        format!("{fa} (secret key)\n")
    );
    // An authorized-keys list: one line per key, with its comment.
    std::fs::write(
        home.join("authorized"),
        format!("# team\n{alice}\n\n{bob}\n"),
    )
    .unwrap();
    assert_eq!(
        home.ok(&["fingerprint", "authorized"]),
        format!("{fa} alice\n{fb} bob\n")
    );
    // A known-hosts list: hosts, and revoked keys.
    let key_of = |line: &str| line.split(' ').take(2).collect::<Vec<_>>().join(" ");
    std::fs::write(
        home.join("known_hosts"),
        format!(
            "example.com:7000 {}\n@revoked {}\n",
            key_of(&alice),
            key_of(&bob)
        ),
    )
    .unwrap();
    assert_eq!(
        home.ok(&["fingerprint", "known_hosts"]),
        format!("{fa} example.com:7000\n{fb} @revoked\n")
    );
    // Something else: the error names the file and line.
    std::fs::write(home.join("notes"), "hello\n").unwrap();
    assert_failed(
        &home.run(&["fingerprint", "notes"]),
        7,
        &["notes:1: expected"],
    );
}

#[test]
fn man_pages_and_completions_come_from_the_binary() {
    let home = Home::new();
    home.ok(&["generate", "man", "--out", "man"]);
    for page in [
        "ossuary.1",
        "ossuary-listen.1",
        "ossuary-tunnel.1",
        "ossuary-send.1",
    ] {
        let text = std::fs::read_to_string(home.join("man").join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    let bash = home.ok(&["generate", "completions", "bash"]);
    assert!(bash.contains("complete") && bash.contains("--trust-first-use"));
    // Hidden from the help, which is for users.
    assert!(!home.ok(&["--help"]).contains("generate"));
}
