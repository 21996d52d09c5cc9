//! Helpers shared by the examples: hex, key files, known-hosts files.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use ossuary_core::{PublicKey, SecretKey};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string, or an error naming what was wrong.
pub(crate) fn unhex(s: &str) -> io::Result<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return Err(invalid("hex string has an odd length"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| invalid("not a hex string"))
        })
        .collect()
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads a secret key file written by the `keygen` example (64 hex digits).
pub(crate) fn read_secret_key(path: &Path) -> io::Result<SecretKey> {
    let bytes = unhex(&fs::read_to_string(path)?)?;
    SecretKey::try_from(bytes.as_slice()).map_err(|_| invalid("not a 32-byte secret key"))
}

/// Writes a secret key file readable only by its owner.
pub(crate) fn write_secret_key(path: &Path, key: &SecretKey) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    writeln!(f, "{}", hex(&key.to_bytes()[..]))
}

/// Reads public keys, one hex key per line (`#` starts a comment).
pub(crate) fn read_public_keys(path: &Path) -> io::Result<Vec<PublicKey>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let bytes = unhex(l)?;
            PublicKey::try_from(bytes.as_slice()).map_err(|_| invalid("not an Ed25519 public key"))
        })
        .collect()
}

/// Appends `key` to a known-hosts file.
pub(crate) fn append_public_key(path: &Path, key: &PublicKey, comment: &str) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "{} # {comment}", hex(key.as_bytes()))
}

/// The value after `--name` in the command line, if present.
pub(crate) fn arg(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == name {
            return args.next();
        }
    }
    None
}

/// Whether the flag `--name` is present.
pub(crate) fn flag(name: &str) -> bool {
    std::env::args().skip(1).any(|a| a == name)
}

/// The exit status for `result`, printing an error as `error: ...`.
pub(crate) fn report(result: Result<(), Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
