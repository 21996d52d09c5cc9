//! Reading the key files a command is given, with errors that name the
//! file and say what to do.

use std::path::{Path, PathBuf};

use ossuary_core::keys::{self, AuthorizedKeys, Fingerprint, KnownHosts, PublicKeyLine};
use ossuary_core::{PublicKey, SecretKey};

use crate::error::{Error, KeyUse};

/// Reads a secret key file (refused if its group or others can access it).
///
/// # Errors
/// [`Error::Key`]: missing, unreadable, loose permissions, not a secret key.
pub(crate) fn identity(path: &Path) -> Result<SecretKey, Error> {
    let error = match keys::read_secret_key(path) {
        Ok(key) => return Ok(key),
        // A public key file is readable by all, so the permission check
        // refuses it first; saying it is the wrong kind of file helps more.
        Err(keys::Error::Permissions { .. }) if starts_like_a_public_key(path) => {
            keys::Error::Parse {
                file: Some(path.to_path_buf()),
                line: Some(1),
                expected: keys::Expected::SecretKey,
                found: keys::Found::PublicKey,
            }
        }
        Err(error) => error,
    };
    Err(Error::Key {
        what: KeyUse::Identity,
        error,
    })
}

/// Whether the file starts with a public key line's key type. Reads only
/// the first 16 bytes: of a secret key file, that is part of its header,
/// never the secret.
fn starts_like_a_public_key(path: &Path) -> bool {
    use std::io::Read as _;
    const PREFIX: &[u8] = b"ossuary-ed25519 ";
    let mut start = [0u8; PREFIX.len()];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| start == PREFIX)
}

/// Reads an authorized-keys file, which must list at least one key.
///
/// # Errors
/// [`Error::Key`]: missing, unreadable, a bad line; [`Error::Usage`] for a
/// file with no keys (no client could connect).
pub(crate) fn authorized_keys(path: &Path) -> Result<AuthorizedKeys, Error> {
    let list = AuthorizedKeys::load(path).map_err(|error| Error::Key {
        what: KeyUse::AuthorizedKeys,
        error,
    })?;
    if list.is_empty() {
        return Err(Error::Usage(format!(
            "authorized keys file {}: lists no keys, so no client could connect; add one \
             public key line per client (`ossuary pubkey` prints one), or use --open",
            path.display()
        )));
    }
    Ok(list)
}

/// Reads a known-hosts file; a missing one is an empty list.
///
/// # Errors
/// [`Error::Key`]: unreadable, or a bad line.
pub(crate) fn known_hosts(path: &Path) -> Result<KnownHosts, Error> {
    KnownHosts::load(path).map_err(|error| Error::Key {
        what: KeyUse::KnownHosts,
        error,
    })
}

/// What `--server-key` pins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pin {
    /// This key.
    Key(PublicKey),
    /// Whatever key has this fingerprint.
    Fingerprint(Fingerprint),
}

impl Pin {
    /// Parses `--server-key`: a fingerprint (`SHA256:...`), a public key
    /// line (`ossuary-ed25519 ...`), or the path of a public key file.
    ///
    /// # Errors
    /// [`Error::Key`] naming what was wrong.
    pub(crate) fn parse(arg: &str) -> Result<Self, Error> {
        let error = |error| Error::Key {
            what: KeyUse::ServerKey,
            error,
        };
        if arg.starts_with("SHA256:") {
            return arg.parse().map(Self::Fingerprint).map_err(error);
        }
        if arg.starts_with("ossuary-") {
            return PublicKeyLine::parse(arg)
                .map(|line| Self::Key(*line.key()))
                .map_err(error);
        }
        keys::read_public_key(arg)
            .map(|line| Self::Key(*line.key()))
            .map_err(error)
    }

    /// Whether `key` is the pinned one.
    pub(crate) fn matches(&self, key: &PublicKey) -> bool {
        match self {
            Self::Key(pinned) => pinned == key,
            Self::Fingerprint(fp) => *fp == Fingerprint::of(key),
        }
    }

    /// The pinned fingerprint.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        match self {
            Self::Key(key) => Fingerprint::of(key),
            Self::Fingerprint(fp) => *fp,
        }
    }
}

/// One line of `ossuary fingerprint`'s output: the fingerprint, then what
/// else the source says about the key.
pub(crate) struct Described {
    /// The key's fingerprint.
    pub(crate) fingerprint: Fingerprint,
    /// Hosts (known hosts), `@revoked`, or a comment.
    pub(crate) note: Option<String>,
}

/// The keys in `arg`: a public key line, or a file (public or secret key,
/// authorized keys, known hosts).
///
/// # Errors
/// [`Error::Key`] for text or a file that holds no key (the message of the
/// single-key parser, naming the file and line), a secret key file with
/// loose permissions.
pub(crate) fn describe(arg: &str) -> Result<Vec<Described>, Error> {
    let error = |error| Error::Key {
        what: KeyUse::Argument,
        error,
    };
    if arg.starts_with("ossuary-") {
        let line = PublicKeyLine::parse(arg).map_err(error)?;
        return Ok(vec![line_of(&line)]);
    }
    let path = PathBuf::from(arg);
    match keys::read_public_key(&path) {
        Ok(line) => Ok(vec![line_of(&line)]),
        Err(keys::Error::Parse {
            found: keys::Found::SecretKey,
            ..
        }) => {
            let key = keys::read_secret_key(&path).map_err(error)?;
            Ok(vec![Described {
                fingerprint: Fingerprint::of(&key.public_key()),
                note: Some("(secret key)".into()),
            }])
        }
        Err(keys::Error::Parse {
            found: keys::Found::TrailingData,
            ..
        }) => {
            let list = AuthorizedKeys::load(&path).map_err(error)?;
            Ok(list.iter().map(line_of).collect())
        }
        Err(keys::Error::Parse {
            found: keys::Found::KnownHost,
            ..
        }) => {
            let list = KnownHosts::load(&path).map_err(error)?;
            let hosts = list.hosts().iter().map(|entry| {
                let names: Vec<String> = entry.hosts().iter().map(ToString::to_string).collect();
                let mut note = names.join(",");
                if let Some(comment) = entry.comment() {
                    note.push(' ');
                    note.push_str(comment);
                }
                Described {
                    fingerprint: Fingerprint::of(entry.key()),
                    note: Some(note),
                }
            });
            let revoked = list.revoked().iter().map(|line| Described {
                fingerprint: line.fingerprint(),
                note: Some("@revoked".into()),
            });
            Ok(hosts.chain(revoked).collect())
        }
        Err(e) => Err(error(e)),
    }
}

/// A public key line's fingerprint and comment.
fn line_of(line: &PublicKeyLine) -> Described {
    Described {
        fingerprint: line.fingerprint(),
        note: line.comment().map(str::to_owned),
    }
}
