//! Authorized-keys lists: the client keys a server accepts.

use std::path::Path;
use std::str::FromStr;

use ossuary_crypto::PublicKey;

use crate::error::Error;
use crate::expected::Expected;
use crate::files;
use crate::public::PublicKeyLine;
use crate::text::{self, Source};

/// An authorized-keys list: the public keys a server accepts.
///
/// The text is one public key line a line (`ossuary-ed25519 <base64>
/// [comment]`, see [`PublicKeyLine`]); blank lines and lines starting with
/// `#` are ignored:
///
/// ```text
/// # Who may connect.
/// ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= alice@laptop
/// ossuary-ed25519 E5j2LG0aRXxRumpLXz29L2n8qTIWIY3ImX5Ba9F9k8o= backup job
/// ```
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::AuthorizedKeys;
///
/// let alice = SecretKey::from_bytes(&[7; 32]).public_key();
/// let mallory = SecretKey::from_bytes(&[8; 32]).public_key();
/// let list = AuthorizedKeys::parse(format!("# who may connect\n{alice} alice@laptop\n"))?;
/// assert!(list.contains(&alice));
/// assert!(!list.contains(&mallory));
/// assert_eq!(list.iter().next().and_then(|line| line.comment()), Some("alice@laptop"));
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizedKeys {
    keys: Vec<PublicKeyLine>,
}

impl AuthorizedKeys {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses an authorized-keys list.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] naming the first bad line and what was found, for
    /// example [`Found::OpenSshKey`](crate::Found::OpenSshKey) for an
    /// OpenSSH key, [`Found::KnownHost`](crate::Found::KnownHost) for a
    /// known-hosts line.
    pub fn parse(text: impl AsRef<[u8]>) -> Result<Self, Error> {
        parse(text.as_ref(), None)
    }

    /// Reads an authorized-keys file. Unlike [`KnownHosts::load`](crate::KnownHosts::load),
    /// a missing file is an error: a server told to read one that is not
    /// there has most likely been given the wrong path.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read (including when it does not
    /// exist); [`Error::Parse`] naming the file and line, as
    /// [`AuthorizedKeys::parse`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        parse(&files::read(path)?, Some(path))
    }

    /// Whether `key` is in the list.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.iter().any(|line| line.key() == key)
    }

    /// The lines, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, PublicKeyLine> {
        self.keys.iter()
    }

    /// The keys, in file order.
    pub fn keys(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter().map(PublicKeyLine::key)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the list has no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Parses an authorized-keys list; `file` names it in errors.
fn parse(bytes: &[u8], file: Option<&Path>) -> Result<AuthorizedKeys, Error> {
    let source = Source {
        file,
        expected: Expected::AuthorizedKey,
    };
    let mut keys = Vec::new();
    for (n, line) in text::lines(bytes, &source)? {
        if text::is_blank_or_comment(line) {
            continue;
        }
        keys.push(PublicKeyLine::from_line(line).map_err(|found| source.error(Some(n), found))?);
    }
    Ok(AuthorizedKeys { keys })
}

impl FromStr for AuthorizedKeys {
    type Err = Error;

    /// As [`AuthorizedKeys::parse`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl<'a> IntoIterator for &'a AuthorizedKeys {
    type Item = &'a PublicKeyLine;
    type IntoIter = std::slice::Iter<'a, PublicKeyLine>;

    fn into_iter(self) -> Self::IntoIter {
        self.keys.iter()
    }
}

impl FromIterator<PublicKeyLine> for AuthorizedKeys {
    fn from_iter<I: IntoIterator<Item = PublicKeyLine>>(iter: I) -> Self {
        Self {
            keys: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use ossuary_crypto::{PublicKey, SecretKey};
    use proptest::prelude::*;

    use super::AuthorizedKeys;
    use crate::error::Error;
    use crate::expected::Expected;
    use crate::found::Found;
    use crate::public::PublicKeyLine;

    fn key(seed: u8) -> PublicKey {
        SecretKey::from_bytes(&[seed; 32]).public_key()
    }

    fn err(text: &str) -> (Option<usize>, Found) {
        match AuthorizedKeys::parse(text) {
            Err(Error::Parse {
                file: None,
                line,
                expected: Expected::AuthorizedKey,
                found,
            }) => (line, found),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn comments_blank_lines_and_trailing_comments() {
        let text = format!(
            "# header\n\n   \n{} alice\n\t# indented comment\n{}\r\n{}   backup job # weekly\n",
            key(1),
            key(2),
            key(3)
        );
        let list = AuthorizedKeys::parse(&text).unwrap();
        assert_eq!(list.len(), 3);
        assert!(!list.is_empty());
        for seed in 1..=3 {
            assert!(list.contains(&key(seed)));
        }
        assert!(!list.contains(&key(4)));
        let comments: Vec<_> = list.iter().map(PublicKeyLine::comment).collect();
        assert_eq!(comments, [Some("alice"), None, Some("backup job # weekly")]);
        let keys: Vec<_> = list.keys().copied().collect();
        assert_eq!(keys, [key(1), key(2), key(3)]);
        assert_eq!((&list).into_iter().count(), 3);
        assert!(AuthorizedKeys::parse("").unwrap().is_empty());
        assert!(AuthorizedKeys::parse("# nobody\n").unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_line_and_what_was_found() {
        let good = key(1).to_string();
        assert_eq!(
            err(&format!(
                "{good}\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== a@b\n"
            )),
            (Some(2), Found::OpenSshKey)
        );
        assert_eq!(
            err(&format!("{good}\n\nexample.com:22 {good}\n")),
            (Some(3), Found::KnownHost)
        );
        assert_eq!(
            err("-----BEGIN OSSUARY SECRET KEY-----\n"),
            (Some(1), Found::SecretKey)
        );
        assert_eq!(
            err("ossuary-ed25519 AAAA\n"),
            (Some(1), Found::KeyLength(3))
        );
        assert_eq!(err(&"00".repeat(32)), (Some(1), Found::HexKey));
        let e = AuthorizedKeys::parse(format!("{good}\nexample.com:22 {good}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("authorized_keys:2: expected \"ossuary-ed25519 <base64> [comment]\", found a known-hosts line"), "{e}");
    }

    proptest! {
        #[test]
        fn format_then_parse(
            entries in proptest::collection::vec(
                (proptest::array::uniform32(any::<u8>()), proptest::option::of("[^\\p{Cc}#]{0,20}")),
                0..6,
            ),
        ) {
            let lines: Vec<PublicKeyLine> = entries
                .iter()
                .map(|(seed, comment)| {
                    let line = PublicKeyLine::new(SecretKey::from_bytes(seed).public_key());
                    match comment {
                        Some(c) => line.with_comment(c).unwrap(),
                        None => line,
                    }
                })
                .collect();
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let list = AuthorizedKeys::parse(&text).unwrap();
            prop_assert_eq!(list, lines.into_iter().collect::<AuthorizedKeys>());
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = AuthorizedKeys::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_text(s in "\\PC*") {
            let _ = AuthorizedKeys::parse(&s);
        }
    }
}
