//! The secret key file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding as _};
use ossuary_crypto::{SECRET_KEY_LEN, SecretKey};
use zeroize::Zeroizing;

use crate::armor::{SECRET_KEY_BEGIN, SECRET_KEY_END};
use crate::error::Error;
use crate::expected::Expected;
use crate::files;
use crate::found::Found;
use crate::public::{PublicKeyLine, write_public_key};
use crate::text::{self, Source};

/// Base64 (standard, padded) of a 32-byte seed.
const SEED_BASE64_LEN: usize = 44;

/// Formats a secret key file:
///
/// ```text
/// -----BEGIN OSSUARY SECRET KEY-----
/// <standard base64, with padding, of the 32-byte Ed25519 seed (RFC 8032)>
/// -----END OSSUARY SECRET KEY-----
/// ```
///
/// with `\n` line endings, the last line included. The text is wiped when
/// the returned value is dropped; it was built without reallocating, so no
/// unwiped copy is left behind.
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::{format_secret_key, parse_secret_key};
///
/// let key = SecretKey::from_bytes(&[7; 32]);
/// let text = format_secret_key(&key);
/// assert!(text.starts_with("-----BEGIN OSSUARY SECRET KEY-----\n"));
/// assert_eq!(parse_secret_key(text.as_bytes())?, key);
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
pub fn format_secret_key(key: &SecretKey) -> Zeroizing<String> {
    let seed = key.to_bytes();
    let mut encoded = Zeroizing::new([0u8; SEED_BASE64_LEN]);
    // 32 bytes always fit in 44 characters; on the impossible error the
    // line stays empty and the text does not parse.
    let encoded = Base64::encode(seed.as_slice(), encoded.as_mut_slice()).unwrap_or("");
    let mut text = Zeroizing::new(String::with_capacity(
        SECRET_KEY_BEGIN.len() + SEED_BASE64_LEN + SECRET_KEY_END.len() + 3,
    ));
    for part in [SECRET_KEY_BEGIN, "\n", encoded, "\n", SECRET_KEY_END, "\n"] {
        text.push_str(part);
    }
    text
}

/// Parses a secret key file, as [`format_secret_key`] writes it. Line
/// endings may be `\n` or `\r\n`; blank lines before and after are ignored.
/// The decoded bytes are wiped.
///
/// # Errors
///
/// [`Error::Parse`] with the line and what was found instead, for example
/// [`Found::PublicKey`] for a public key line (this is the public half),
/// [`Found::RawKey`] for 32 raw bytes, [`Found::HexKey`] for 64 hex digits,
/// [`Found::OpenSshPrivateKey`], [`Found::OpenSshKey`], [`Found::NotUtf8`].
/// No error shows any of the input.
///
/// It takes a borrowed slice, so the caller keeps (and wipes) its buffer; a
/// secret handed over by value would be dropped here unwiped.
pub fn parse_secret_key(bytes: &[u8]) -> Result<SecretKey, Error> {
    parse(bytes, None)
}

/// Parses a secret key file's bytes; `file` names it in errors.
fn parse(bytes: &[u8], file: Option<&Path>) -> Result<SecretKey, Error> {
    let source = Source {
        file,
        expected: Expected::SecretKey,
    };
    let at = |expected, line, found| Error::parse(file, Some(line), expected, found);
    let mut lines = text::lines(bytes, &source)?.filter(|(_, l)| !is_blank(l));

    let Some((n, begin)) = lines.next() else {
        return Err(source.error(None, Found::Empty));
    };
    if begin.trim_end_matches([' ', '\t']) != SECRET_KEY_BEGIN {
        return Err(at(Expected::SecretKey, n, text::recognise(begin)));
    }

    let Some((n, encoded)) = lines.next() else {
        return Err(at(Expected::SecretKeyBase64, n + 1, Found::EndOfLine));
    };
    let seed = decode_seed(encoded.trim_matches([' ', '\t']))
        .map_err(|found| at(Expected::SecretKeyBase64, n, found))?;

    let Some((n, end)) = lines.next() else {
        return Err(at(Expected::SecretKeyEnd, n + 1, Found::EndOfLine));
    };
    if end.trim_end_matches([' ', '\t']) != SECRET_KEY_END {
        return Err(at(Expected::SecretKeyEnd, n, text::recognise(end)));
    }
    if let Some((n, _)) = lines.next() {
        return Err(at(Expected::SecretKeyEnd, n, Found::TrailingData));
    }
    Ok(SecretKey::from_bytes(&seed))
}

/// Whether a line is blank.
fn is_blank(line: &str) -> bool {
    line.trim_matches([' ', '\t']).is_empty()
}

/// Decodes the base64 line into a seed, wiping every buffer.
fn decode_seed(encoded: &str) -> Result<Zeroizing<[u8; SECRET_KEY_LEN]>, Found> {
    if encoded.is_empty() {
        return Err(Found::EndOfLine);
    }
    if encoded.starts_with(SECRET_KEY_END) {
        return Err(Found::Other);
    }
    // Room for whatever the line decodes to, so the decoder never
    // reallocates: the seed is decoded in constant time into wiped memory.
    let mut buf = Zeroizing::new(vec![0u8; encoded.len() / 4 * 3 + 3]);
    let bytes = Base64::decode(encoded, buf.as_mut_slice()).map_err(|_| {
        match text::recognise(encoded) {
            Found::Other | Found::UnknownKeyType => Found::InvalidBase64,
            found => found,
        }
    })?;
    let mut seed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
    if bytes.len() != SECRET_KEY_LEN {
        return Err(Found::KeyLength(bytes.len()));
    }
    seed.copy_from_slice(bytes);
    Ok(seed)
}

/// Reads a secret key file.
///
/// On Unix, a file that its group or others can read, write or execute is
/// refused ([`Error::Permissions`]), as OpenSSH refuses such a private key:
/// anyone who can read it can act as this identity. A warning would scroll
/// past, and a library has nowhere good to print one. An application that
/// keeps keys elsewhere (a secret store, an environment it trusts) reads the
/// bytes itself and calls [`parse_secret_key`]. The owner is not checked.
/// Other platforms have no permission check (their ACLs are not inspected).
///
/// ```no_run
/// let key = ossuary_keys::read_secret_key("/etc/ossuary/server.key")?;
/// # Ok::<(), ossuary_keys::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be read; [`Error::Permissions`] as
/// above; [`Error::Parse`] naming the file and line, as
/// [`parse_secret_key`], or [`Found::TooLarge`] for a file over 64 KiB.
pub fn read_secret_key(path: impl AsRef<Path>) -> Result<SecretKey, Error> {
    let path = path.as_ref();
    let bytes = files::read_secret(path)?;
    if bytes.len() > files::MAX_SECRET_FILE {
        return Err(Error::parse(
            Some(path),
            None,
            Expected::SecretKey,
            Found::TooLarge,
        ));
    }
    parse(&bytes, Some(path))
}

/// Writes `key` to a new secret key file at `path`, created with mode 0600
/// on Unix (owner read and write only).
///
/// # Errors
///
/// [`Error::AlreadyExists`] if `path` exists: a key is never overwritten
/// (nor written through a symbolic link); [`Error::Io`] if the file cannot
/// be created or written (a partly written file is removed).
pub fn write_secret_key(path: impl AsRef<Path>, key: &SecretKey) -> Result<(), Error> {
    files::create_new(path.as_ref(), 0o600, format_secret_key(key).as_bytes())
}

/// Writes `key` to a new secret key file at `path` (as [`write_secret_key`])
/// and its public key line to a new file `path.pub` beside it (as
/// [`write_public_key`], mode 0644), and returns that line.
///
/// Either both files are written or neither is.
///
/// ```
/// use ossuary_crypto::SecretKey;
/// use ossuary_keys::{read_public_key, read_secret_key, write_key_pair};
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("server.key");
/// let key = SecretKey::from_bytes(&[7; 32]);
/// let line = write_key_pair(&path, &key, Some("server"))?;
/// assert_eq!(read_secret_key(&path)?, key);
/// assert_eq!(read_public_key(dir.path().join("server.key.pub"))?, line);
/// // Never overwritten.
/// assert!(write_key_pair(&path, &key, None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidComment`] for a comment that does not fit on one line;
/// [`Error::AlreadyExists`] naming whichever file already exists;
/// [`Error::Io`] if either cannot be created or written.
pub fn write_key_pair(
    path: impl AsRef<Path>,
    key: &SecretKey,
    comment: Option<&str>,
) -> Result<PublicKeyLine, Error> {
    let path = path.as_ref();
    let mut line = PublicKeyLine::new(key.public_key());
    if let Some(comment) = comment {
        line = line.with_comment(comment)?;
    }
    let public_path = public_key_path(path);
    // Check first, so that the common failure touches nothing; the creation
    // below still refuses to overwrite if the file appears meanwhile.
    if public_path.symlink_metadata().is_ok() {
        return Err(Error::AlreadyExists { path: public_path });
    }
    write_secret_key(path, key)?;
    if let Err(e) = write_public_key(&public_path, &line) {
        // Best effort: the error to report is the public key file's.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(line)
}

/// `path` with `.pub` appended (`id` → `id.pub`, `id.key` → `id.key.pub`).
pub fn public_key_path(path: impl AsRef<Path>) -> PathBuf {
    let mut name = OsString::from(path.as_ref().as_os_str());
    name.push(".pub");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use ossuary_crypto::SecretKey;
    use proptest::prelude::*;

    use super::{format_secret_key, parse_secret_key, public_key_path};
    use crate::error::Error;
    use crate::expected::Expected;
    use crate::found::Found;

    const BEGIN: &str = "-----BEGIN OSSUARY SECRET KEY-----";
    const END: &str = "-----END OSSUARY SECRET KEY-----";

    /// The `(line, expected, found)` of a parse error.
    fn err(bytes: &[u8]) -> (Option<usize>, Expected, Found) {
        match parse_secret_key(bytes) {
            Err(Error::Parse {
                file: None,
                line,
                expected,
                found,
            }) => (line, expected, found),
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("parsed"),
        }
    }

    #[test]
    fn known_answer() {
        // RFC 8032 §7.1 TEST 1's seed, 9d61b19d…7f60, in base64.
        let text = format!("{BEGIN}\nnWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n{END}\n");
        let key = parse_secret_key(text.as_bytes()).unwrap();
        assert_eq!(
            key.public_key().to_string(),
            "ossuary-ed25519 11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        assert_eq!(*format_secret_key(&key), text);
    }

    #[test]
    fn tolerates_crlf_and_blank_lines() {
        let key = SecretKey::from_bytes(&[9; 32]);
        let text = format_secret_key(&key).replace('\n', "\r\n");
        assert_eq!(
            parse_secret_key(format!("\n{text}\n\n").as_bytes()).unwrap(),
            key
        );
        let text = format_secret_key(&key);
        assert_eq!(parse_secret_key(text.trim_end().as_bytes()).unwrap(), key);
    }

    #[test]
    fn a_public_key_is_named() {
        let public = SecretKey::from_bytes(&[9; 32]).public_key().to_string();
        assert_eq!(
            err(public.as_bytes()),
            (Some(1), Expected::SecretKey, Found::PublicKey)
        );
        let message = parse_secret_key(public.as_bytes()).unwrap_err().to_string();
        assert!(message.starts_with("secret key:1: expected a secret key file (\"-----BEGIN OSSUARY SECRET KEY-----\"), found a public key (\"ossuary-ed25519 ...\"); this is a public key"), "{message}");
    }

    #[test]
    fn other_things_are_named() {
        assert_eq!(err(&[7; 32]), (None, Expected::SecretKey, Found::RawKey));
        assert_eq!(err(b""), (None, Expected::SecretKey, Found::Empty));
        assert_eq!(err(b"\n \n"), (None, Expected::SecretKey, Found::Empty));
        assert_eq!(
            err(b"ok\n\xff\xfe"),
            (Some(2), Expected::SecretKey, Found::NotUtf8)
        );
        assert_eq!(
            err("ab".repeat(32).as_bytes()),
            (Some(1), Expected::SecretKey, Found::HexKey)
        );
        assert_eq!(
            err(b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"),
            (Some(1), Expected::SecretKey, Found::OpenSshPrivateKey)
        );
        assert_eq!(
            err(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me@host\n"),
            (Some(1), Expected::SecretKey, Found::OpenSshKey)
        );
        assert_eq!(
            err(b"-----BEGIN PRIVATE KEY-----\n"),
            (Some(1), Expected::SecretKey, Found::Pem)
        );
    }

    #[test]
    fn each_line_is_checked() {
        let key = SecretKey::from_bytes(&[9; 32]);
        let text = format_secret_key(&key);
        let body: Vec<&str> = text.lines().collect();
        let b64 = body[1];
        let cases = [
            (
                format!("{BEGIN}\n"),
                (Some(2), Expected::SecretKeyBase64, Found::EndOfLine),
            ),
            (
                format!("{BEGIN}\n{END}\n"),
                (Some(2), Expected::SecretKeyBase64, Found::Other),
            ),
            (
                format!("{BEGIN}\n{b64}\n"),
                (Some(3), Expected::SecretKeyEnd, Found::EndOfLine),
            ),
            (
                format!("{BEGIN}\nAAAA\n{END}\n"),
                (Some(2), Expected::SecretKeyBase64, Found::KeyLength(3)),
            ),
            (
                format!("{BEGIN}\n{b64}x\n{END}\n"),
                (Some(2), Expected::SecretKeyBase64, Found::InvalidBase64),
            ),
            (
                format!("{BEGIN}\n{}\n{END}\n", key.public_key()),
                (Some(2), Expected::SecretKeyBase64, Found::PublicKey),
            ),
            (
                format!("{BEGIN}\n{b64}\n{END}\n{b64}\n"),
                (Some(4), Expected::SecretKeyEnd, Found::TrailingData),
            ),
            (
                format!("{BEGIN}\n{b64}\n-----END SOMETHING-----\n"),
                (Some(3), Expected::SecretKeyEnd, Found::Other),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(err(text.as_bytes()), expected, "{text}");
        }
    }

    #[test]
    fn errors_never_show_the_key() {
        let seed = [0x5a; 32];
        let text = format_secret_key(&SecretKey::from_bytes(&seed));
        let b64 = text.lines().nth(1).unwrap().to_owned();
        for bad in [
            format!("{BEGIN}\n{b64}\n"),
            format!("{BEGIN}\n{b64}x\n{END}\n"),
            format!("{BEGIN}\n{b64}\n{END}\n{b64}\n"),
            format!("{b64}\n"),
        ] {
            let e = parse_secret_key(bad.as_bytes()).unwrap_err();
            for shown in [e.to_string(), format!("{e:?}")] {
                assert!(!shown.contains(&b64[..8]), "{shown}");
            }
        }
    }

    #[test]
    fn pub_path() {
        assert_eq!(public_key_path("a/id"), std::path::Path::new("a/id.pub"));
        assert_eq!(
            public_key_path("id.key"),
            std::path::Path::new("id.key.pub")
        );
    }

    proptest! {
        #[test]
        fn format_then_parse(seed in proptest::array::uniform32(any::<u8>())) {
            let key = SecretKey::from_bytes(&seed);
            prop_assert_eq!(parse_secret_key(format_secret_key(&key).as_bytes()).unwrap(), key);
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_secret_key(&bytes);
        }

        #[test]
        fn parse_never_panics_near_the_form(
            body in "[A-Za-z0-9+/= \\r\\n-]{0,80}",
            end in proptest::bool::ANY,
        ) {
            let text = format!("{BEGIN}\n{body}{}", if end { END } else { "" });
            let _ = parse_secret_key(text.as_bytes());
        }
    }
}
