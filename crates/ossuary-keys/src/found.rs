//! What a parser found instead of what it expected. A leaf for the parsers:
//! they return a `Found` and the caller wraps it in `Error::Parse` with the
//! file and line.

use std::fmt;

use crate::armor::SECRET_KEY_BEGIN;

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
