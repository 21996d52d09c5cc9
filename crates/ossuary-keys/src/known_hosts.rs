//! Known-hosts lists: which key each host (name or address, and port) has.

use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

use ossuary_crypto::PublicKey;

use crate::error::Error;
use crate::expected::Expected;
use crate::files;
use crate::fingerprint::Fingerprint;
use crate::found::Found;
use crate::host_port::HostPort;
use crate::public::PublicKeyLine;
use crate::text::{self, Source};

/// The marker of a revoked key.
const REVOKED: &str = "@revoked";

/// One line of a known-hosts list: the hosts that have a key.
///
/// `Display` writes the line (without a line ending):
///
/// ```text
/// host:port[,host:port...] ossuary-ed25519 <base64> [comment]
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KnownHost {
    hosts: Vec<HostPort>,
    line: PublicKeyLine,
}

impl KnownHost {
    /// `host` has `key`.
    pub fn new(host: HostPort, key: PublicKey) -> Self {
        Self {
            hosts: vec![host],
            line: PublicKeyLine::new(key),
        }
    }

    /// Sets the comment, as [`PublicKeyLine::with_comment`] does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidComment`] if it contains a control character other
    /// than tab.
    pub fn with_comment(self, comment: &str) -> Result<Self, Error> {
        Ok(Self {
            line: self.line.with_comment(comment)?,
            ..self
        })
    }

    /// The hosts (at least one).
    pub fn hosts(&self) -> &[HostPort] {
        &self.hosts
    }

    /// The key.
    pub fn key(&self) -> &PublicKey {
        self.line.key()
    }

    /// The comment, if any.
    pub fn comment(&self) -> Option<&str> {
        self.line.comment()
    }
}

impl fmt::Display for KnownHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, host) in self.hosts.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{host}")?;
        }
        write!(f, " {}", self.line)
    }
}

/// What a known-hosts list says about a host and the key it presented.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// The key is on record for the host.
    Known,
    /// Nothing is on record for the host.
    Unknown,
    /// Other keys are on record for the host: refuse the connection, and
    /// name both fingerprints ([`Fingerprint::of`]).
    Changed {
        /// The keys on record for the host.
        recorded: Vec<PublicKey>,
    },
    /// The key is marked `@revoked`: refuse it, whatever the host.
    Revoked,
}

/// What [`KnownHosts::accept_new`] did.
#[must_use = "a new host's line is to be written to the known-hosts file"]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// The key was already on record for the host.
    Known,
    /// The host was unknown and is now recorded with the key; write this
    /// line to the file ([`append_known_host`]).
    New(KnownHost),
}

/// A known-hosts list.
///
/// The text is one entry a line; blank lines and lines starting with `#`
/// are ignored:
///
/// ```text
/// # host:port[,host:port...] ossuary-ed25519 <base64> [comment]
/// example.com:7000,192.0.2.7:7000 ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= web
/// [2001:db8::7]:7000 ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
/// # a revoked key is refused for every host:
/// @revoked ossuary-ed25519 /RckOFqgx1tk+3jNYC+h2ZH96/drE8WO1wLqyDXp9hg= lost laptop
/// ```
///
/// A host may have several keys (during a key rotation), each on its own
/// line; the presented key must be one of them.
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::{Accepted, HostKeyStatus, HostPort, KnownHosts};
///
/// let key = SecretKey::from_bytes(&[7; 32]).public_key();
/// let other = SecretKey::from_bytes(&[8; 32]).public_key();
/// let host: HostPort = "example.com:7000".parse()?;
///
/// let mut known = KnownHosts::parse(format!("example.com:7000 {key}\n"))?;
/// assert_eq!(known.lookup(&host, &key), HostKeyStatus::Known);
/// assert_eq!(known.lookup(&host, &other), HostKeyStatus::Changed { recorded: vec![key] });
/// let elsewhere: HostPort = "example.com:7001".parse()?;
/// assert_eq!(known.lookup(&elsewhere, &key), HostKeyStatus::Unknown);
///
/// // Accept-new: records an unknown host, refuses a changed key.
/// let Accepted::New(line) = known.accept_new(&elsewhere, &other)? else { unreachable!() };
/// assert_eq!(line.to_string(), format!("example.com:7001 {other}"));
/// assert_eq!(known.lookup(&elsewhere, &other), HostKeyStatus::Known);
/// assert!(known.accept_new(&host, &other).is_err());
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownHosts {
    hosts: Vec<KnownHost>,
    revoked: Vec<PublicKeyLine>,
}

impl KnownHosts {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a known-hosts list.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] naming the first bad line and what was found, for
    /// example [`Found::OpenSshKey`] for an OpenSSH known-hosts line,
    /// [`Found::MissingPort`], [`Found::PublicKey`] for a key without a host.
    pub fn parse(text: impl AsRef<[u8]>) -> Result<Self, Error> {
        parse(text.as_ref(), None)
    }

    /// Reads a known-hosts file. A file that does not exist is an empty list
    /// (as for OpenSSH: before the first host is recorded there is no file;
    /// [`append_known_host`] creates it).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file exists but cannot be read; [`Error::Parse`]
    /// naming the file and line, as [`KnownHosts::parse`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        match files::read(path) {
            Ok(bytes) => parse(&bytes, Some(path)),
            Err(Error::Io {
                kind: io::ErrorKind::NotFound,
                ..
            }) => Ok(Self::new()),
            Err(e) => Err(e),
        }
    }

    /// What the list says about `host` presenting `key`: revoked (for any
    /// host) first, then known, changed or unknown.
    pub fn lookup(&self, host: &HostPort, key: &PublicKey) -> HostKeyStatus {
        if self.revoked.iter().any(|line| line.key() == key) {
            return HostKeyStatus::Revoked;
        }
        let mut recorded: Vec<PublicKey> = Vec::new();
        for entry in self.hosts.iter().filter(|e| e.hosts.contains(host)) {
            if entry.key() == key {
                return HostKeyStatus::Known;
            }
            if !recorded.contains(entry.key()) {
                recorded.push(*entry.key());
            }
        }
        if recorded.is_empty() {
            HostKeyStatus::Unknown
        } else {
            HostKeyStatus::Changed { recorded }
        }
    }

    /// Strict checking: `Ok` only if `key` is on record for `host`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownHost`], [`Error::HostKeyChanged`] (naming both
    /// fingerprints) or [`Error::HostKeyRevoked`].
    pub fn verify(&self, host: &HostPort, key: &PublicKey) -> Result<(), Error> {
        match self.lookup(host, key) {
            HostKeyStatus::Known => Ok(()),
            HostKeyStatus::Unknown => Err(Error::UnknownHost {
                host: host.clone(),
                offered: Fingerprint::of(key),
            }),
            refused => Err(refusal(host, key, refused)),
        }
    }

    /// Accept-new checking, as OpenSSH's `StrictHostKeyChecking=accept-new`:
    /// an unknown host is recorded with `key` (in this list; the returned
    /// line is for the application to write to its file), a known one
    /// passes, and a changed or revoked key is refused.
    ///
    /// # Errors
    ///
    /// [`Error::HostKeyChanged`] (naming both fingerprints) or
    /// [`Error::HostKeyRevoked`]; the list is unchanged.
    pub fn accept_new(&mut self, host: &HostPort, key: &PublicKey) -> Result<Accepted, Error> {
        match self.lookup(host, key) {
            HostKeyStatus::Known => Ok(Accepted::Known),
            HostKeyStatus::Unknown => {
                let entry = KnownHost::new(host.clone(), *key);
                self.hosts.push(entry.clone());
                Ok(Accepted::New(entry))
            }
            refused => Err(refusal(host, key, refused)),
        }
    }

    /// The host entries, in file order.
    pub fn hosts(&self) -> &[KnownHost] {
        &self.hosts
    }

    /// The revoked keys, in file order.
    pub fn revoked(&self) -> &[PublicKeyLine] {
        &self.revoked
    }
}

impl FromStr for KnownHosts {
    type Err = Error;

    /// As [`KnownHosts::parse`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

/// The error for a changed or revoked key.
fn refusal(host: &HostPort, key: &PublicKey, status: HostKeyStatus) -> Error {
    let offered = Fingerprint::of(key);
    let host = host.clone();
    match status {
        HostKeyStatus::Changed { recorded } => Error::HostKeyChanged {
            host,
            offered,
            recorded: recorded.iter().map(Fingerprint::of).collect(),
        },
        HostKeyStatus::Known | HostKeyStatus::Unknown | HostKeyStatus::Revoked => {
            Error::HostKeyRevoked { host, offered }
        }
    }
}

/// Parses a known-hosts list; `file` names it in errors.
fn parse(bytes: &[u8], file: Option<&Path>) -> Result<KnownHosts, Error> {
    let source = Source {
        file,
        expected: Expected::KnownHost,
    };
    let mut list = KnownHosts::new();
    for (n, line) in text::lines(bytes, &source)? {
        if text::is_blank_or_comment(line) {
            continue;
        }
        match parse_line(line).map_err(|found| source.error(Some(n), found))? {
            Entry::Host(entry) => list.hosts.push(entry),
            Entry::Revoked(line) => list.revoked.push(line),
        }
    }
    Ok(list)
}

/// One parsed line.
enum Entry {
    Host(KnownHost),
    Revoked(PublicKeyLine),
}

/// Parses one known-hosts line.
fn parse_line(line: &str) -> Result<Entry, Found> {
    let (first, rest) = text::split_field(line);
    if first == REVOKED {
        if rest.is_empty() {
            return Err(Found::EndOfLine);
        }
        return PublicKeyLine::from_line(rest).map(Entry::Revoked);
    }
    let (second, _) = text::split_field(rest);
    if second != PublicKey::TEXT_TAG {
        let found = text::recognise(line);
        if matches!(
            found,
            Found::OpenSshKey
                | Found::SecretKey
                | Found::OpenSshPrivateKey
                | Found::Pem
                | Found::HexKey
                | Found::UnknownMarker
                | Found::PublicKey
        ) {
            return Err(found);
        }
    }
    let hosts = first
        .split(',')
        .map(HostPort::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if second.is_empty() {
        return Err(Found::EndOfLine);
    }
    if second != PublicKey::TEXT_TAG {
        return Err(Found::UnknownKeyType);
    }
    let line = PublicKeyLine::from_line(rest)?;
    Ok(Entry::Host(KnownHost { hosts, line }))
}

/// Appends `entry` as a line to the known-hosts file at `path`, creating
/// the file (mode 0644 on Unix) if it does not exist. Existing lines are
/// never rewritten; if the file does not end with a line ending, one is
/// added before the new line.
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::{Accepted, HostPort, KnownHosts, append_known_host};
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("known_hosts");
/// let key = SecretKey::from_bytes(&[7; 32]).public_key();
/// let host: HostPort = "example.com:7000".parse()?;
///
/// let mut known = KnownHosts::load(&path)?; // no file yet: empty
/// if let Accepted::New(line) = known.accept_new(&host, &key)? {
///     append_known_host(&path, &line)?;
/// }
/// assert_eq!(KnownHosts::load(&path)?, known);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be opened, read or written.
pub fn append_known_host(path: impl AsRef<Path>, entry: &KnownHost) -> Result<(), Error> {
    files::append_line(path.as_ref(), &entry.to_string())
}

#[cfg(test)]
mod tests;
