//! The crate's one error type, and what a parser expected and found.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::fingerprint::Fingerprint;
use crate::known_hosts::HostPort;
use crate::secret::{SECRET_KEY_BEGIN, SECRET_KEY_END};

/// Everything that can go wrong in `ossuary-keys`.
///
/// `Display` says what is wrong and what to do; a parse error names the file
/// (when the text came from a path) and the line. No variant carries secret
/// bytes, so neither `Display` nor `Debug` can show them.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Text (or bytes) not in the form expected.
    ///
    /// `Display`: `FILE:LINE: expected …, found …`. Without a path the file is
    /// named after what was parsed (`known_hosts`, `authorized_keys`,
    /// `public key`, `secret key`).
    Parse {
        /// The file the text came from, when it was read from a path.
        file: Option<PathBuf>,
        /// The 1-based line, when the problem is on one line.
        line: Option<usize>,
        /// What the parser expected there.
        expected: Expected,
        /// What it found instead.
        found: Found,
    },
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        kind: io::ErrorKind,
    },
    /// A file to be created already exists; nothing was written.
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A secret key file can be read, written or run by its group or by
    /// others (Unix only); it was not read.
    Permissions {
        /// The secret key file.
        path: PathBuf,
        /// Its permission bits (`st_mode & 0o7777`).
        mode: u32,
    },
    /// A comment that cannot be written on one line: it contains a control
    /// character (a line break, for example).
    InvalidComment,
    /// The host presented a key other than the one(s) on record for it.
    HostKeyChanged {
        /// The host.
        host: HostPort,
        /// The fingerprint of the key it presented.
        offered: Fingerprint,
        /// The fingerprints of the keys on record for it.
        recorded: Vec<Fingerprint>,
    },
    /// The host presented a key marked `@revoked`.
    HostKeyRevoked {
        /// The host.
        host: HostPort,
        /// The fingerprint of the revoked key.
        offered: Fingerprint,
    },
    /// Strict checking: nothing is on record for the host.
    UnknownHost {
        /// The host.
        host: HostPort,
        /// The fingerprint of the key it presented.
        offered: Fingerprint,
    },
}

impl Error {
    /// A parse error at `line` (1-based) of `file`.
    pub(crate) fn parse(
        file: Option<&Path>,
        line: Option<usize>,
        expected: Expected,
        found: Found,
    ) -> Self {
        Self::Parse {
            file: file.map(Path::to_path_buf),
            line,
            expected,
            found,
        }
    }

    /// An I/O error on `path`, keeping its kind.
    pub(crate) fn io(path: &Path, err: &io::Error) -> Self {
        if err.kind() == io::ErrorKind::AlreadyExists {
            return Self::AlreadyExists {
                path: path.to_path_buf(),
            };
        }
        Self::Io {
            path: path.to_path_buf(),
            kind: err.kind(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Parse {
                file,
                line,
                expected,
                found,
            } => {
                match (file, line) {
                    (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
                    (Some(file), None) => write!(f, "{}: ", file.display())?,
                    (None, Some(line)) => write!(f, "{}:{line}: ", expected.source())?,
                    (None, None) => {}
                }
                write!(f, "expected {expected}, found {found}")?;
                if let Some(hint) = hint(*expected, *found) {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            Self::Io { path, kind } => write!(f, "{}: {kind}", path.display()),
            Self::AlreadyExists { path } => write!(
                f,
                "{}: already exists; it was not overwritten (choose another name, or \
                 remove it first if it is no longer needed)",
                path.display()
            ),
            Self::Permissions { path, mode } => {
                let path = path.display();
                write!(
                    f,
                    "{path}: secret key file has mode {mode:04o} ({}); whoever can read it \
                     can act as this identity and whoever can write it can replace it, so it \
                     was not used; run `chmod 600 {path}`",
                    PermissionBits(*mode)
                )
            }
            Self::InvalidComment => f.write_str(
                "a comment must fit on one line: remove control characters such as line breaks",
            ),
            Self::HostKeyChanged {
                host,
                offered,
                recorded,
            } => {
                write!(
                    f,
                    "the key of {host} has changed: it presented {offered}, but known_hosts has "
                )?;
                for (i, fp) in recorded.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{fp}")?;
                }
                f.write_str(
                    "; someone may be impersonating it, or its key was replaced: if the change \
                     is expected, remove the old line from known_hosts",
                )
            }
            Self::HostKeyRevoked { host, offered } => write!(
                f,
                "{host} presented the revoked key {offered} (marked @revoked in known_hosts)"
            ),
            Self::UnknownHost { host, offered } => write!(
                f,
                "{host} is not in known_hosts (it presented {offered}); add it once its key \
                 is confirmed"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// What to do, for some pairs of expected and found.
fn hint(expected: Expected, found: Found) -> Option<&'static str> {
    let secret = matches!(
        expected,
        Expected::SecretKey | Expected::SecretKeyBase64 | Expected::SecretKeyEnd
    );
    Some(match found {
        Found::PublicKey if secret => {
            "this is a public key; the secret key is in the file it was written beside \
             (without .pub)"
        }
        Found::PublicKey if expected == Expected::KnownHost => {
            "a known-hosts line starts with the host and port it belongs to"
        }
        Found::SecretKey if !secret => {
            "this is a secret key file: keep it private, and use its public key (the .pub \
             file beside it)"
        }
        Found::OpenSshKey | Found::OpenSshPrivateKey => {
            "Ossuary keys are not OpenSSH keys; use an Ossuary key (ossuary-ed25519 ...)"
        }
        Found::RawKey | Found::HexKey if secret => {
            "write the key with ossuary_keys::format_secret_key to get a secret key file"
        }
        Found::KnownHost => "remove the host and port from the start of the line",
        _ => return None,
    })
}

/// What a parser expected.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// A public key line: `ossuary-ed25519 <base64> [comment]`.
    PublicKey,
    /// A secret key file, starting with its header line.
    SecretKey,
    /// The base64 line of a secret key file.
    SecretKeyBase64,
    /// The last line of a secret key file.
    SecretKeyEnd,
    /// An authorized-keys line: a public key line.
    AuthorizedKey,
    /// A known-hosts line: `host:port[,host:port…] ossuary-ed25519 <base64>
    /// [comment]`, or `@revoked ossuary-ed25519 <base64> [comment]`.
    KnownHost,
    /// A host and port: `name:port`, `192.0.2.1:port` or `[2001:db8::1]:port`.
    HostPort,
    /// A fingerprint: `SHA256:` and 43 characters of unpadded base64.
    Fingerprint,
}

impl Expected {
    /// The name of what was parsed, used in place of a file name.
    fn source(self) -> &'static str {
        match self {
            Self::PublicKey => "public key",
            Self::SecretKey | Self::SecretKeyBase64 | Self::SecretKeyEnd => "secret key",
            Self::AuthorizedKey => "authorized_keys",
            Self::KnownHost => "known_hosts",
            Self::HostPort => "host",
            Self::Fingerprint => "fingerprint",
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PublicKey | Self::AuthorizedKey => {
                f.write_str("\"ossuary-ed25519 <base64> [comment]\"")
            }
            Self::SecretKey => write!(f, "a secret key file (\"{SECRET_KEY_BEGIN}\")"),
            Self::SecretKeyBase64 => f.write_str("the base64 of a 32-byte secret key"),
            Self::SecretKeyEnd => write!(f, "\"{SECRET_KEY_END}\""),
            Self::KnownHost => f.write_str("\"host:port ossuary-ed25519 <base64>\""),
            Self::HostPort => f.write_str("\"host:port\""),
            Self::Fingerprint => f.write_str("\"SHA256:<base64>\""),
        }
    }
}

/// What a parser found instead of what it expected.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Found {
    /// An empty file (or one with only blank lines and comments).
    Empty,
    /// The end of the line (or file) before what was expected.
    EndOfLine,
    /// Bytes that are not UTF-8 text.
    NotUtf8,
    /// 32 bytes of binary data: probably a key written as raw bytes.
    RawKey,
    /// 64 hex digits: probably a key written as hex.
    HexKey,
    /// An Ossuary public key line (`ossuary-ed25519 …`).
    PublicKey,
    /// An Ossuary secret key file.
    SecretKey,
    /// A known-hosts line (`host:port ossuary-ed25519 …`).
    KnownHost,
    /// An OpenSSH public key or known-hosts line (`ssh-ed25519 …`,
    /// `ssh-rsa …`, `ecdsa-sha2-…`).
    OpenSshKey,
    /// An OpenSSH private key file.
    OpenSshPrivateKey,
    /// A PEM file of another kind (`-----BEGIN …-----`).
    Pem,
    /// A key type other than `ossuary-ed25519`.
    UnknownKeyType,
    /// A known-hosts marker other than `@revoked`.
    UnknownMarker,
    /// Text that is not canonical standard base64 (with padding).
    InvalidBase64,
    /// Base64 that decodes to this many bytes instead of 32 (a key, a
    /// fingerprint).
    KeyLength(usize),
    /// 32 bytes that are not a valid Ed25519 public key (not the canonical
    /// encoding of a curve point, or a small-order "weak" point).
    InvalidKey,
    /// A host without a `:port`.
    MissingPort,
    /// A port that is not a number from 1 to 65535.
    InvalidPort,
    /// A host that is neither a host name (ASCII letters, digits, `-`, `.`,
    /// `_`) nor an IP address (IPv6 in brackets).
    InvalidHost,
    /// A control character (in a comment).
    ControlCharacter,
    /// More text after the end of what was expected.
    TrailingData,
    /// A secret key file larger than any secret key file (64 KiB).
    TooLarge,
    /// Text of no recognised kind.
    Other,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("an empty file"),
            Self::EndOfLine => f.write_str("the end of the line"),
            Self::NotUtf8 => f.write_str("bytes that are not UTF-8 text"),
            Self::RawKey => f.write_str("32 bytes of binary data (a raw key?)"),
            Self::HexKey => f.write_str("64 hex digits (a key in hex?)"),
            Self::PublicKey => f.write_str("a public key (\"ossuary-ed25519 ...\")"),
            Self::SecretKey => write!(f, "a secret key file (\"{SECRET_KEY_BEGIN}\")"),
            Self::KnownHost => {
                f.write_str("a known-hosts line (\"host:port ossuary-ed25519 ...\")")
            }
            Self::OpenSshKey => f.write_str("an OpenSSH key (\"ssh-ed25519 ...\" or similar)"),
            Self::OpenSshPrivateKey => {
                f.write_str("an OpenSSH private key file (\"-----BEGIN OPENSSH PRIVATE KEY-----\")")
            }
            Self::Pem => f.write_str("a PEM file of another kind (\"-----BEGIN ...\")"),
            Self::UnknownKeyType => f.write_str("an unknown key type"),
            Self::UnknownMarker => f.write_str("an unknown marker (only @revoked is known)"),
            Self::InvalidBase64 => f.write_str("text that is not canonical base64"),
            Self::KeyLength(n) => write!(f, "base64 of {n} bytes instead of 32"),
            Self::InvalidKey => f.write_str(
                "32 bytes that are not a valid Ed25519 public key (not a curve point, or a \
                 weak key)",
            ),
            Self::MissingPort => f.write_str("a host without a port"),
            Self::InvalidPort => f.write_str("a port that is not a number from 1 to 65535"),
            Self::InvalidHost => f.write_str(
                "a host that is neither a host name (letters, digits, '-', '.', '_') nor an \
                 IP address (IPv6 in brackets: [::1]:port)",
            ),
            Self::ControlCharacter => f.write_str("a control character"),
            Self::TrailingData => f.write_str("more text after the end"),
            Self::TooLarge => f.write_str("a file larger than 64 KiB"),
            Self::Other => f.write_str("text of another kind"),
        }
    }
}

/// Names the group and other bits of a mode: "group can read, write; others
/// can read".
struct PermissionBits(u32);

impl fmt::Display for PermissionBits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (who, shift) in [("group", 3), ("others", 0)] {
            let bits = (self.0 >> shift) & 0o7;
            if bits == 0 {
                continue;
            }
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{who} can ")?;
            let names = [(0o4, "read"), (0o2, "write"), (0o1, "execute")];
            let mut sep = "";
            for (bit, name) in names {
                if bits & bit != 0 {
                    write!(f, "{sep}{name}")?;
                    sep = ", ";
                }
            }
        }
        if first {
            f.write_str("only the owner has access")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{Error, Expected, Found};

    #[test]
    fn parse_errors_name_the_file_and_line() {
        let e = Error::Parse {
            file: Some(PathBuf::from("/etc/ossuary/known_hosts")),
            line: Some(3),
            expected: Expected::KnownHost,
            found: Found::OpenSshKey,
        };
        assert_eq!(
            e.to_string(),
            "/etc/ossuary/known_hosts:3: expected \"host:port ossuary-ed25519 <base64>\", \
             found an OpenSSH key (\"ssh-ed25519 ...\" or similar); Ossuary keys are not \
             OpenSSH keys; use an Ossuary key (ossuary-ed25519 ...)"
        );
        let e = Error::Parse {
            file: None,
            line: Some(3),
            expected: Expected::KnownHost,
            found: Found::MissingPort,
        };
        assert_eq!(
            e.to_string(),
            "known_hosts:3: expected \"host:port ossuary-ed25519 <base64>\", found a host \
             without a port"
        );
    }

    #[test]
    fn a_public_key_where_a_secret_key_belongs_is_named() {
        let e = Error::Parse {
            file: Some(PathBuf::from("id")),
            line: Some(1),
            expected: Expected::SecretKey,
            found: Found::PublicKey,
        };
        let s = e.to_string();
        assert!(s.starts_with("id:1: expected a secret key file"), "{s}");
        assert!(s.contains("-----BEGIN OSSUARY SECRET KEY-----"), "{s}");
        assert!(
            s.contains("found a public key (\"ossuary-ed25519 ...\")"),
            "{s}"
        );
    }

    #[test]
    fn permissions_say_which_bits_and_how_to_fix() {
        let e = Error::Permissions {
            path: PathBuf::from("/home/a/id"),
            mode: 0o664,
        };
        let s = e.to_string();
        assert!(
            s.contains("mode 0664 (group can read, write; others can read)"),
            "{s}"
        );
        assert!(s.contains("chmod 600 /home/a/id"), "{s}");
        let e = Error::Permissions {
            path: PathBuf::from("k"),
            mode: 0o601,
        };
        assert!(e.to_string().contains("(others can execute)"));
    }

    #[test]
    fn is_std_error() {
        fn check<E: std::error::Error + Send + Sync + 'static>() {}
        check::<Error>();
    }
}
