//! The crate's one error type.
//!
//! What a parser expected and found are in `expected` and `found`: the
//! parsers return a `Found` without importing this module, and their callers
//! wrap it in [`Error::Parse`] with the file and line.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::expected::Expected;
use crate::fingerprint::Fingerprint;
use crate::found::Found;
use crate::host_port::HostPort;

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

    use super::Error;
    use crate::expected::Expected;
    use crate::found::Found;

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
