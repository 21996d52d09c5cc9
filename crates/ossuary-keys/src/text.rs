//! Shared pieces of the text formats: lines, the key fields, and recognising
//! what was found instead.

use std::path::Path;

use base64ct::{Base64, Encoding as _};
use ossuary_crypto::PublicKey;

use crate::armor::SECRET_KEY_BEGIN;
use crate::error::Error;
use crate::expected::Expected;
use crate::found::Found;

/// Where text came from: the file (if any) and what it should hold.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) file: Option<&'a Path>,
    pub(crate) expected: Expected,
}

impl Source<'_> {
    /// An error at `line` (1-based; `None` for the whole file).
    pub(crate) fn error(&self, line: Option<usize>, found: Found) -> Error {
        Error::parse(self.file, line, self.expected, found)
    }
}

/// The text of `bytes` as `(line number, line)` pairs, 1-based, without line
/// endings (`\n` or `\r\n`) and without a leading byte order mark.
///
/// # Errors
///
/// [`Found::NotUtf8`] at the line of the first invalid byte, or
/// [`Found::RawKey`] for 32 bytes that are not text.
pub(crate) fn lines<'a>(
    bytes: &'a [u8],
    source: &Source<'_>,
) -> Result<impl Iterator<Item = (usize, &'a str)>, Error> {
    if looks_like_raw_key(bytes) {
        return Err(source.error(None, Found::RawKey));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes
            .get(..e.valid_up_to())
            .map_or(0, |valid| valid.iter().filter(|&&b| b == b'\n').count());
        source.error(Some(line + 1), Found::NotUtf8)
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text.lines().enumerate().map(|(i, line)| (i + 1, line)))
}

/// Whether `bytes` are 32 bytes of binary data rather than text.
fn looks_like_raw_key(bytes: &[u8]) -> bool {
    bytes.len() == 32
        && (std::str::from_utf8(bytes).is_err()
            || bytes
                .iter()
                .any(|&b| b.is_ascii_control() && !matches!(b, b'\n' | b'\r' | b'\t')))
}

/// Splits off the first field (up to a space or tab); the rest starts at the
/// next non-blank character.
pub(crate) fn split_field(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches([' ', '\t']);
    match s.find([' ', '\t']) {
        Some(at) => {
            let (field, rest) = s.split_at(at);
            (field, rest.trim_start_matches([' ', '\t']))
        }
        None => (s, ""),
    }
}

/// Whether a line is blank or a `#` comment.
pub(crate) fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim_start_matches([' ', '\t']);
    line.is_empty() || line.starts_with('#')
}

/// Parses `ossuary-ed25519 <base64> [comment]`; on failure, says what the
/// text is instead.
pub(crate) fn key_fields(s: &str) -> Result<(PublicKey, Option<&str>), Found> {
    let (tag, rest) = split_field(s);
    if tag != PublicKey::TEXT_TAG {
        return Err(recognise(s));
    }
    let (encoded, comment) = split_field(rest);
    if encoded.is_empty() {
        return Err(Found::EndOfLine);
    }
    let key = decode_public_key(encoded)?;
    Ok((key, comment_field(comment)?))
}

/// Decodes the base64 field of a public key.
pub(crate) fn decode_public_key(encoded: &str) -> Result<PublicKey, Found> {
    let bytes = Base64::decode_vec(encoded).map_err(|_| Found::InvalidBase64)?;
    if bytes.len() != 32 {
        return Err(Found::KeyLength(bytes.len()));
    }
    PublicKey::try_from(bytes.as_slice()).map_err(|_| Found::InvalidKey)
}

/// The comment at the end of a line: `None` if blank; no control characters
/// other than tab.
pub(crate) fn comment_field(s: &str) -> Result<Option<&str>, Found> {
    let s = s.trim_matches([' ', '\t']);
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return Err(Found::ControlCharacter);
    }
    Ok((!s.is_empty()).then_some(s))
}

/// Says what a line (or the start of a file) is, when it is not what was
/// expected.
pub(crate) fn recognise(s: &str) -> Found {
    let s = s.trim_start_matches([' ', '\t', '\u{feff}']);
    if s.starts_with(SECRET_KEY_BEGIN) {
        return Found::SecretKey;
    }
    if s.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        return Found::OpenSshPrivateKey;
    }
    if s.starts_with("-----BEGIN ") {
        return Found::Pem;
    }
    let (first, rest) = split_field(s);
    let (second, _) = split_field(rest);
    if first.is_empty() {
        return Found::EndOfLine;
    }
    if first == PublicKey::TEXT_TAG {
        return Found::PublicKey;
    }
    if is_openssh_key_type(first) || is_openssh_key_type(second) {
        // `ssh-ed25519 AAAA…` (a public key or authorized_keys line) or
        // `host ssh-ed25519 AAAA…` (a known_hosts line).
        return Found::OpenSshKey;
    }
    if second == PublicKey::TEXT_TAG {
        return Found::KnownHost;
    }
    if first.starts_with('@') {
        return Found::UnknownMarker;
    }
    if rest.is_empty() && first.len() == 64 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Found::HexKey;
    }
    if !second.is_empty() && Base64::decode_vec(second).is_ok() {
        return Found::UnknownKeyType;
    }
    Found::Other
}

/// OpenSSH's key type names: `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`,
/// `sk-ssh-ed25519@openssh.com`, and their certificate forms.
fn is_openssh_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-sha2-") || s.starts_with("sk-")
}

#[cfg(test)]
mod tests {
    use super::{Found, Source, key_fields, lines, recognise, split_field};
    use crate::error::Error;
    use crate::expected::Expected;

    const KEY: &str = "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    #[test]
    fn fields() {
        assert_eq!(split_field("  a\t b c "), ("a", "b c "));
        assert_eq!(split_field("a"), ("a", ""));
        assert_eq!(split_field(""), ("", ""));
    }

    #[test]
    fn key_fields_with_and_without_comment() {
        let (key, comment) = key_fields(KEY).unwrap();
        assert_eq!(key.to_string(), KEY);
        assert_eq!(comment, None);
        let line = format!("{KEY}  alice@laptop  # work ");
        let (_, comment) = key_fields(&line).unwrap();
        assert_eq!(comment, Some("alice@laptop  # work"));
        assert_eq!(key_fields("ossuary-ed25519").unwrap_err(), Found::EndOfLine);
        assert_eq!(
            key_fields("ossuary-ed25519 AAAA").unwrap_err(),
            Found::KeyLength(3)
        );
        assert_eq!(
            key_fields("ossuary-ed25519 !!!!").unwrap_err(),
            Found::InvalidBase64
        );
        assert_eq!(
            key_fields("ossuary-ed25519 AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap_err(),
            Found::InvalidKey
        );
        assert_eq!(
            key_fields(&format!("{KEY} a\u{7}b")).unwrap_err(),
            Found::ControlCharacter
        );
    }

    #[test]
    fn recognises_what_was_found() {
        let b64 = "AAAAC3NzaC1lZDI1NTE5AAAAIGt0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5";
        for (text, found) in [
            ("-----BEGIN OSSUARY SECRET KEY-----", Found::SecretKey),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                Found::OpenSshPrivateKey,
            ),
            ("-----BEGIN PRIVATE KEY-----", Found::Pem),
            (KEY, Found::PublicKey),
            (&format!("ssh-ed25519 {b64} me@host"), Found::OpenSshKey),
            (&format!("ssh-rsa {b64}"), Found::OpenSshKey),
            (&format!("example.com ssh-ed25519 {b64}"), Found::OpenSshKey),
            (&format!("example.com:22 {KEY}"), Found::KnownHost),
            ("@cert-authority x", Found::UnknownMarker),
            (&"ab".repeat(32), Found::HexKey),
            (&format!("ossuary-x448 {b64}"), Found::UnknownKeyType),
            ("hello world", Found::Other),
            ("", Found::EndOfLine),
        ] {
            assert_eq!(recognise(text), found, "{text}");
        }
    }

    #[test]
    fn lines_strip_endings_and_report_bad_utf8_by_line() {
        let source = Source {
            file: None,
            expected: Expected::AuthorizedKey,
        };
        let got: Vec<_> = lines(b"\xef\xbb\xbfa\r\nb\n\nc", &source)
            .unwrap()
            .collect();
        assert_eq!(got, [(1, "a"), (2, "b"), (3, ""), (4, "c")]);
        let Err(e) = lines(b"a\nb\n\xff\n", &source) else {
            panic!("accepted bad UTF-8");
        };
        assert_eq!(
            e,
            Error::parse(None, Some(3), Expected::AuthorizedKey, Found::NotUtf8)
        );
        let Err(e) = lines(&[0u8; 32], &source) else {
            panic!("accepted a raw key");
        };
        assert_eq!(
            e,
            Error::parse(None, None, Expected::AuthorizedKey, Found::RawKey)
        );
    }
}
