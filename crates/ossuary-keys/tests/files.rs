//! The convenience functions that take a path: key files, permissions,
//! authorized-keys and known-hosts files. Each test works in its own
//! temporary directory.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use ossuary_crypto::{PublicKey, SecretKey};
use ossuary_keys::{
    Accepted, AuthorizedKeys, Error, Expected, Found, HostKeyStatus, HostPort, KnownHosts,
    PublicKeyLine, append_known_host, format_secret_key, public_key_path, read_public_key,
    read_secret_key, write_key_pair, write_public_key, write_secret_key,
};

fn key(seed: u8) -> SecretKey {
    SecretKey::from_bytes(&[seed; 32])
}

fn public(seed: u8) -> PublicKey {
    key(seed).public_key()
}

/// Writes `contents` to `dir/name` with mode 0600 (so that reading it as a
/// secret key gets past the permission check).
fn file(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    set_mode(&path, 0o600);
    path
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The parts of a parse error, asserting it names `path`.
fn parse_error(err: Error, path: &Path) -> (Option<usize>, Expected, Found) {
    let message = err.to_string();
    match err {
        Error::Parse {
            file: Some(file),
            line,
            expected,
            found,
        } => {
            assert_eq!(file, path);
            let prefix = match line {
                Some(n) => format!("{}:{n}: ", path.display()),
                None => format!("{}: ", path.display()),
            };
            assert!(message.starts_with(&prefix), "{message}");
            (line, expected, found)
        }
        other => panic!("not a parse error: {other:?}"),
    }
}

#[test]
fn key_pair_round_trip_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    let line = write_key_pair(&path, &key(1), Some("me@host")).unwrap();
    assert_eq!(line.key(), &public(1));
    assert_eq!(line.comment(), Some("me@host"));
    assert_eq!(read_secret_key(&path).unwrap(), key(1));
    assert_eq!(read_public_key(public_key_path(&path)).unwrap(), line);
    assert_eq!(
        fs::read_to_string(dir.path().join("id.pub")).unwrap(),
        format!("{} me@host\n", public(1))
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        *format_secret_key(&key(1))
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o600);
        let pub_mode = mode(&public_key_path(&path));
        assert_eq!(pub_mode & 0o600, 0o600);
        assert_eq!(pub_mode & 0o133, 0, "{pub_mode:o}");
    }
}

#[test]
fn a_secret_key_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    write_secret_key(&path, &key(1)).unwrap();
    let err = write_secret_key(&path, &key(2)).unwrap_err();
    assert_eq!(err, Error::AlreadyExists { path: path.clone() });
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}: already exists", path.display())),
        "{message}"
    );
    assert_eq!(read_secret_key(&path).unwrap(), key(1));
    // Nor is a key pair written over it, nor its .pub created.
    assert_eq!(
        write_key_pair(&path, &key(2), None),
        Err(Error::AlreadyExists { path: path.clone() })
    );
    assert!(!public_key_path(&path).exists());
}

#[test]
fn an_existing_pub_file_stops_the_pair_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    fs::write(public_key_path(&path), "old\n").unwrap();
    assert_eq!(
        write_key_pair(&path, &key(1), None),
        Err(Error::AlreadyExists {
            path: public_key_path(&path)
        })
    );
    assert!(!path.exists());
    assert_eq!(fs::read_to_string(public_key_path(&path)).unwrap(), "old\n");
    // A public key file alone is never overwritten either.
    assert_eq!(
        write_public_key(public_key_path(&path), &PublicKeyLine::new(public(1))),
        Err(Error::AlreadyExists {
            path: public_key_path(&path)
        })
    );
}

#[test]
fn a_comment_that_breaks_the_line_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    assert_eq!(
        write_key_pair(&path, &key(1), Some("a\nb")),
        Err(Error::InvalidComment)
    );
    assert!(!path.exists());
    assert!(!public_key_path(&path).exists());
}

#[cfg(unix)]
#[test]
fn a_secret_key_is_not_written_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    let link = dir.path().join("id");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_eq!(
        write_secret_key(&link, &key(1)),
        Err(Error::AlreadyExists { path: link })
    );
    assert!(!target.exists());
}

#[cfg(unix)]
#[test]
fn a_secret_key_readable_by_others_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    write_secret_key(&path, &key(1)).unwrap();
    for bad in [0o644, 0o640, 0o604, 0o660, 0o602, 0o610, 0o777] {
        set_mode(&path, bad);
        let err = read_secret_key(&path).unwrap_err();
        assert_eq!(
            err,
            Error::Permissions {
                path: path.clone(),
                mode: bad
            }
        );
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}: ", path.display())),
            "{message}"
        );
        assert!(message.contains(&format!("mode {bad:04o}")), "{message}");
        assert!(
            message.contains(&format!("`chmod 600 {}`", path.display())),
            "{message}"
        );
        assert!(!message.contains("only the owner"), "{message}");
    }
    set_mode(&path, 0o644);
    let message = read_secret_key(&path).unwrap_err().to_string();
    assert!(
        message.contains("(group can read; others can read)"),
        "{message}"
    );
    for good in [0o600, 0o400, 0o700] {
        set_mode(&path, good);
        assert_eq!(read_secret_key(&path).unwrap(), key(1), "{good:o}");
    }
}

#[test]
fn a_public_key_where_the_secret_key_belongs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("id");
    write_key_pair(&path, &key(1), Some("me")).unwrap();
    let pub_path = public_key_path(&path);
    set_mode(&pub_path, 0o600);
    let err = read_secret_key(&pub_path).unwrap_err();
    let message = err.to_string();
    assert_eq!(
        parse_error(err, &pub_path),
        (Some(1), Expected::SecretKey, Found::PublicKey)
    );
    assert!(message.contains("this is a public key"), "{message}");
    assert!(
        message.contains("a secret key file (\"-----BEGIN OSSUARY SECRET KEY-----\")"),
        "{message}"
    );
    // And the other way round.
    let err = read_public_key(&path).unwrap_err();
    let message = err.to_string();
    assert_eq!(
        parse_error(err, &path),
        (Some(1), Expected::PublicKey, Found::SecretKey)
    );
    assert!(message.contains("this is a secret key file"), "{message}");
}

#[test]
fn what_else_is_found_in_a_secret_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\n\
                   b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
                   -----END OPENSSH PRIVATE KEY-----\n";
    let cases: Vec<(&str, Vec<u8>, Option<usize>, Found)> = vec![
        ("raw", vec![0x9c; 32], None, Found::RawKey),
        ("raw-text-ish", (0u8..32).collect(), None, Found::RawKey),
        ("hex", "ab".repeat(32).into_bytes(), Some(1), Found::HexKey),
        (
            "openssh",
            openssh.as_bytes().to_vec(),
            Some(1),
            Found::OpenSshPrivateKey,
        ),
        (
            "openssh.pub",
            b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me@host\n".to_vec(),
            Some(1),
            Found::OpenSshKey,
        ),
        (
            "binary",
            b"\n\n\xff\xfe\xfd".to_vec(),
            Some(3),
            Found::NotUtf8,
        ),
        ("empty", Vec::new(), None, Found::Empty),
        ("huge", vec![b'a'; 70_000], None, Found::TooLarge),
    ];
    for (name, contents, line, found) in cases {
        let path = file(dir.path(), name, &contents);
        let err = read_secret_key(&path).unwrap_err();
        assert_eq!(
            parse_error(err, &path),
            (line, Expected::SecretKey, found),
            "{name}"
        );
    }
    let missing = dir.path().join("missing");
    assert_eq!(
        read_secret_key(&missing),
        Err(Error::Io {
            path: missing,
            kind: ErrorKind::NotFound
        })
    );
}

#[test]
fn authorized_keys_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "authorized_keys",
        format!("# clients\n{} alice\n\n{}\n", public(1), public(2)),
    );
    let list = AuthorizedKeys::load(&path).unwrap();
    assert!(list.contains(&public(1)));
    assert!(list.contains(&public(2)));
    assert!(!list.contains(&public(3)));

    let bad = file(
        dir.path(),
        "bad",
        format!(
            "{}\n# ok\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== bob\n",
            public(1)
        ),
    );
    let err = AuthorizedKeys::load(&bad).unwrap_err();
    let message = err.to_string();
    assert_eq!(
        parse_error(err, &bad),
        (Some(3), Expected::AuthorizedKey, Found::OpenSshKey)
    );
    assert!(
        message.contains("found an OpenSSH key (\"ssh-ed25519 ...\""),
        "{message}"
    );

    // A missing authorized-keys file is an error, not an empty list.
    let missing = dir.path().join("nope");
    let err = AuthorizedKeys::load(&missing).unwrap_err();
    assert_eq!(
        err,
        Error::Io {
            path: missing.clone(),
            kind: ErrorKind::NotFound
        }
    );
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn known_hosts_files_accept_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("known_hosts");
    let host: HostPort = "example.com:7000".parse().unwrap();
    let v6: HostPort = "[::1]:7000".parse().unwrap();

    // No file: empty; recording creates it.
    let mut known = KnownHosts::load(&path).unwrap();
    assert_eq!(known.lookup(&host, &public(1)), HostKeyStatus::Unknown);
    for (h, k) in [(&host, public(1)), (&v6, public(2))] {
        let Accepted::New(line) = known.accept_new(h, &k).unwrap() else {
            panic!("not recorded");
        };
        append_known_host(&path, &line).unwrap();
    }
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("example.com:7000 {}\n[::1]:7000 {}\n", public(1), public(2))
    );

    // A second run: known.
    let mut known = KnownHosts::load(&path).unwrap();
    assert_eq!(known.accept_new(&host, &public(1)), Ok(Accepted::Known));
    assert_eq!(known.lookup(&v6, &public(2)), HostKeyStatus::Known);

    // A changed key under accept-new: refused, nothing written.
    let before = fs::read(&path).unwrap();
    let err = known.accept_new(&host, &public(3)).unwrap_err();
    assert!(matches!(err, Error::HostKeyChanged { .. }), "{err:?}");
    assert_eq!(fs::read(&path).unwrap(), before);
}

#[test]
fn appending_never_rewrites_existing_lines() {
    let dir = tempfile::tempdir().unwrap();
    // No final line ending, a comment, a blank line: all kept byte for byte.
    let existing = format!("# mine\n\nold.example:1 {} keep me", public(1));
    let path = file(dir.path(), "known_hosts", &existing);
    let mut known = KnownHosts::load(&path).unwrap();
    let host: HostPort = "new.example:2".parse().unwrap();
    let Accepted::New(line) = known.accept_new(&host, &public(2)).unwrap() else {
        panic!("not recorded");
    };
    append_known_host(&path, &line).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{existing}\nnew.example:2 {}\n", public(2)));
    assert_eq!(KnownHosts::load(&path).unwrap(), known);
    #[cfg(unix)]
    {
        let created = dir.path().join("fresh");
        append_known_host(&created, &line).unwrap();
        assert_eq!(mode(&created) & 0o133, 0);
    }
}

#[test]
fn known_hosts_errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = file(
        dir.path(),
        "known_hosts",
        format!(
            "a.example:1 {}\n\nexample.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==\n",
            public(1)
        ),
    );
    let err = KnownHosts::load(&path).unwrap_err();
    let message = err.to_string();
    assert_eq!(
        parse_error(err, &path),
        (Some(3), Expected::KnownHost, Found::OpenSshKey)
    );
    assert!(
        message.starts_with(&format!(
            "{}:3: expected \"host:port ossuary-ed25519 <base64>\", found an OpenSSH key (\"ssh-ed25519 ...\"",
            path.display()
        )),
        "{message}"
    );

    let path = file(
        dir.path(),
        "no_port",
        format!("example.com {}\n", public(1)),
    );
    assert_eq!(
        parse_error(KnownHosts::load(&path).unwrap_err(), &path),
        (Some(1), Expected::KnownHost, Found::MissingPort)
    );
    let path = file(dir.path(), "bin", b"# ok\n\x80\n");
    assert_eq!(
        parse_error(KnownHosts::load(&path).unwrap_err(), &path),
        (Some(2), Expected::KnownHost, Found::NotUtf8)
    );
}

#[test]
fn the_documented_examples_parse() {
    let authorized = "# Who may connect.\n\
        ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= alice@laptop\n\
        ossuary-ed25519 E5j2LG0aRXxRumpLXz29L2n8qTIWIY3ImX5Ba9F9k8o= backup job\n";
    assert_eq!(AuthorizedKeys::parse(authorized).unwrap().len(), 2);
    let known = "# host:port[,host:port...] ossuary-ed25519 <base64> [comment]\n\
        example.com:7000,192.0.2.7:7000 ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= web\n\
        [2001:db8::7]:7000 ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n\
        # a revoked key is refused for every host:\n\
        @revoked ossuary-ed25519 /RckOFqgx1tk+3jNYC+h2ZH96/drE8WO1wLqyDXp9hg= lost laptop\n";
    let known = KnownHosts::parse(known).unwrap();
    assert_eq!(known.hosts().len(), 2);
    assert_eq!(known.revoked().len(), 1);
}
