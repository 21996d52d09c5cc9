//! What a parser expected: named in `Error::Parse` and its message.

use std::fmt;

use crate::armor::{SECRET_KEY_BEGIN, SECRET_KEY_END};

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
    pub(crate) fn source(self) -> &'static str {
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
