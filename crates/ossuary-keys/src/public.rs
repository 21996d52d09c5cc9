//! The public key line: `ossuary-ed25519 <base64> [comment]`.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use ossuary_crypto::PublicKey;

use crate::error::Error;
use crate::expected::Expected;
use crate::files;
use crate::fingerprint::Fingerprint;
use crate::found::Found;
use crate::text::{self, Source};

/// A public key with an optional comment: one line of text,
///
/// ```text
/// ossuary-ed25519 <standard base64, with padding, of the 32 key bytes> [comment]
/// ```
///
/// as OpenSSH writes `ssh-ed25519 AAAA… comment`. This is the content of a
/// `.pub` file and of each line of an authorized-keys list. The key part
/// alone is [`PublicKey`]'s `Display` form. Fields are separated by spaces or
/// tabs; the comment is the rest of the line, without leading and trailing
/// blanks, and has no control characters other than tab.
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::PublicKeyLine;
///
/// let key = SecretKey::from_bytes(&[7; 32]).public_key();
/// let line = PublicKeyLine::new(key).with_comment("alice@laptop")?;
/// let text = line.to_string();
/// assert_eq!(text, format!("{key} alice@laptop"));
///
/// let parsed: PublicKeyLine = text.parse()?;
/// assert_eq!(parsed.key(), &key);
/// assert_eq!(parsed.comment(), Some("alice@laptop"));
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PublicKeyLine {
    key: PublicKey,
    comment: Option<String>,
}

impl PublicKeyLine {
    /// A line with `key` and no comment.
    pub fn new(key: PublicKey) -> Self {
        Self { key, comment: None }
    }

    /// Sets the comment, trimmed of leading and trailing blanks; a blank
    /// comment means none.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidComment`] if it contains a control character other
    /// than tab (so that the line stays one line).
    pub fn with_comment(self, comment: &str) -> Result<Self, Error> {
        let comment = text::comment_field(comment).map_err(|_| Error::InvalidComment)?;
        Ok(Self {
            comment: comment.map(str::to_owned),
            ..self
        })
    }

    /// Parses the text of a public key file: one key line, optionally with
    /// blank lines and `#` comment lines around it.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] naming the line and what was found: for example
    /// [`Found::SecretKey`] for a secret key file, [`Found::OpenSshKey`] for
    /// an OpenSSH key, [`Found::TrailingData`] for a second key.
    pub fn parse(text: impl AsRef<[u8]>) -> Result<Self, Error> {
        parse(text.as_ref(), None)
    }

    /// The key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The comment, if any.
    pub fn comment(&self) -> Option<&str> {
        self.comment.as_deref()
    }

    /// The key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.key)
    }

    /// Parses one line (no line ending) as the lists do.
    pub(crate) fn from_line(line: &str) -> Result<Self, Found> {
        let (key, comment) = text::key_fields(line)?;
        Ok(Self {
            key,
            comment: comment.map(str::to_owned),
        })
    }
}

/// Parses a public key file's text; `file` names it in errors.
fn parse(bytes: &[u8], file: Option<&Path>) -> Result<PublicKeyLine, Error> {
    let source = Source {
        file,
        expected: Expected::PublicKey,
    };
    let mut found = None;
    for (n, line) in text::lines(bytes, &source)? {
        if text::is_blank_or_comment(line) {
            continue;
        }
        if found.is_some() {
            return Err(source.error(Some(n), Found::TrailingData));
        }
        found = Some(PublicKeyLine::from_line(line).map_err(|f| source.error(Some(n), f))?);
    }
    found.ok_or_else(|| source.error(None, Found::Empty))
}

impl From<PublicKey> for PublicKeyLine {
    fn from(key: PublicKey) -> Self {
        Self::new(key)
    }
}

impl FromStr for PublicKeyLine {
    type Err = Error;

    /// As [`PublicKeyLine::parse`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for PublicKeyLine {
    /// The line, without a line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.key)?;
        if let Some(comment) = &self.comment {
            write!(f, " {comment}")?;
        }
        Ok(())
    }
}

/// Reads a public key file (a `.pub` file): one key line, as
/// [`PublicKeyLine::parse`] reads it.
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be read; [`Error::Parse`] naming the
/// file and line otherwise.
pub fn read_public_key(path: impl AsRef<Path>) -> Result<PublicKeyLine, Error> {
    let path = path.as_ref();
    let bytes = files::read(path)?;
    parse(&bytes, Some(path))
}

/// Writes `line` and a line ending to a new file at `path`, mode 0644 on
/// Unix (less what the umask removes).
///
/// # Errors
///
/// [`Error::AlreadyExists`] if `path` exists (it is never overwritten);
/// [`Error::Io`] if the file cannot be created or written (a partly written
/// file is removed).
pub fn write_public_key(path: impl AsRef<Path>, line: &PublicKeyLine) -> Result<(), Error> {
    files::create_new(path.as_ref(), 0o644, format!("{line}\n").as_bytes())
}

#[cfg(test)]
mod tests {
    use ossuary_crypto::SecretKey;
    use proptest::prelude::*;

    use super::PublicKeyLine;
    use crate::error::Error;
    use crate::expected::Expected;
    use crate::found::Found;

    fn key(seed: u8) -> ossuary_crypto::PublicKey {
        SecretKey::from_bytes(&[seed; 32]).public_key()
    }

    #[test]
    fn comments_are_trimmed_and_one_line() {
        let line = PublicKeyLine::new(key(1))
            .with_comment("  a b\tc ")
            .unwrap();
        assert_eq!(line.comment(), Some("a b\tc"));
        assert_eq!(
            PublicKeyLine::new(key(1))
                .with_comment(" ")
                .unwrap()
                .comment(),
            None
        );
        assert_eq!(
            PublicKeyLine::new(key(1)).with_comment("a\nb"),
            Err(Error::InvalidComment)
        );
        assert_eq!(
            PublicKeyLine::new(key(1)).with_comment("a\rb"),
            Err(Error::InvalidComment)
        );
    }

    #[test]
    fn parses_a_pub_file() {
        let text = format!("# my key\n\n{} me\r\n\n", key(2));
        let line = PublicKeyLine::parse(&text).unwrap();
        assert_eq!(line.key(), &key(2));
        assert_eq!(line.comment(), Some("me"));
    }

    #[test]
    fn errors_name_the_line_and_what_was_found() {
        let err = |text: &str| match PublicKeyLine::parse(text) {
            Err(Error::Parse {
                file: None,
                line,
                expected: Expected::PublicKey,
                found,
            }) => (line, found),
            other => panic!("{other:?}"),
        };
        assert_eq!(err(""), (None, Found::Empty));
        assert_eq!(err("# nothing\n"), (None, Found::Empty));
        let two = format!("{}\n{}\n", key(1), key(2));
        assert_eq!(err(&two), (Some(2), Found::TrailingData));
        assert_eq!(
            err("\n-----BEGIN OSSUARY SECRET KEY-----\nAAAA\n"),
            (Some(2), Found::SecretKey)
        );
        assert_eq!(
            err("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me"),
            (Some(1), Found::OpenSshKey)
        );
        let e = PublicKeyLine::parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("public key:1: expected \"ossuary-ed25519 <base64> [comment]\", found an OpenSSH key"),
            "{e}"
        );
    }

    proptest! {
        #[test]
        fn format_then_parse(
            seed in proptest::array::uniform32(any::<u8>()),
            comment in proptest::option::of("[^\\p{Cc}]{0,40}"),
        ) {
            let key = SecretKey::from_bytes(&seed).public_key();
            let mut line = PublicKeyLine::new(key);
            if let Some(c) = &comment {
                line = line.with_comment(c).unwrap();
            }
            let parsed: PublicKeyLine = line.to_string().parse().unwrap();
            prop_assert_eq!(parsed.key(), &key);
            let expected = comment.as_deref().map(|c| c.trim_matches([' ', '\t'])).filter(|c| !c.is_empty());
            prop_assert_eq!(parsed.comment(), expected);
            prop_assert_eq!(parsed, line);
        }

        /// The line parser and `PublicKey`'s `FromStr` (in ossuary-crypto)
        /// agree on the key part: the same text, one edited character.
        #[test]
        fn agrees_with_public_key_from_str(
            seed in proptest::array::uniform32(any::<u8>()),
            at in 16usize..60,
            with in "[A-Za-z0-9+/= ]",
        ) {
            let text = SecretKey::from_bytes(&seed).public_key().to_string();
            let edited: String = text
                .chars()
                .enumerate()
                .map(|(i, c)| if i == at { with.chars().next().unwrap() } else { c })
                .collect();
            if edited.trim_end() != edited || edited.matches(' ').count() != 1 {
                // A comment, or a trailing blank: the line accepts it, the key alone does not.
                return Ok(());
            }
            let line = PublicKeyLine::parse(&edited).ok().map(|l| *l.key());
            prop_assert_eq!(line, edited.parse::<ossuary_crypto::PublicKey>().ok());
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = PublicKeyLine::parse(&bytes);
        }

        #[test]
        fn parse_never_panics_on_text(s in "\\PC*") {
            let _ = PublicKeyLine::parse(&s);
        }
    }
}
