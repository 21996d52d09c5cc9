//! What the examples share: a strict command-line parser, key loading with
//! errors that say what to do, and the error-reporting `main` wrapper.
//!
//! The same as `ossuary-core`'s examples' (`crates/ossuary-core/examples/
//! common/mod.rs`), kept whole here so that each crate's examples build
//! and publish on their own, and behave alike on the command line.
//!
//! The parser is small on purpose (the `ossuary` command uses clap), but it
//! is strict: an unknown flag, a flag without its value, a flag given twice
//! or a stray argument stops the program with its usage, so that a typo
//! never silently changes what it does (`--authorised` for `--authorized`
//! must not start an open server).
#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use ossuary_core::SecretKey;
use ossuary_core::keys::{self, AuthorizedKeys};

/// A flag a program accepts.
pub(crate) struct Flag {
    /// `--name`.
    pub name: &'static str,
    /// The value's placeholder (`FILE`), or `None` for a switch.
    pub value: Option<&'static str>,
}

/// A flag taking a value.
pub(crate) const fn value(name: &'static str, placeholder: &'static str) -> Flag {
    Flag {
        name,
        value: Some(placeholder),
    }
}

/// A flag without a value.
pub(crate) const fn switch(name: &'static str) -> Flag {
    Flag { name, value: None }
}

/// The parsed command line.
pub(crate) struct Args {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
    positional: Vec<String>,
    usage: &'static str,
}

/// A command line that does not fit the usage: the program prints it with
/// the usage and exits with status 2.
#[derive(Debug)]
pub(crate) struct UsageError {
    message: String,
    usage: &'static str,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}", self.message, self.usage)
    }
}

impl std::error::Error for UsageError {}

impl Args {
    /// Parses the program's arguments against `flags`, allowing up to
    /// `max_positional` plain arguments. `--help` prints `usage` and exits.
    ///
    /// Values are given as `--name VALUE` or `--name=VALUE`. In the first
    /// form a value that starts with `--` is taken as a forgotten value
    /// (`--key --authorized f`); the second form allows any value.
    pub(crate) fn parse(
        usage: &'static str,
        flags: &[Flag],
        max_positional: usize,
    ) -> Result<Self, UsageError> {
        Self::parse_from(std::env::args().skip(1), usage, flags, max_positional)
    }

    fn parse_from(
        args: impl IntoIterator<Item = String>,
        usage: &'static str,
        flags: &[Flag],
        max_positional: usize,
    ) -> Result<Self, UsageError> {
        let fail = |message: String| UsageError { message, usage };
        let mut parsed = Args {
            values: Vec::new(),
            switches: Vec::new(),
            positional: Vec::new(),
            usage,
        };
        let mut args = args.into_iter();
        let mut only_positional = false;
        while let Some(arg) = args.next() {
            if only_positional || !arg.starts_with('-') || arg == "-" {
                if parsed.positional.len() == max_positional {
                    return Err(fail(format!("unexpected argument `{arg}`")));
                }
                parsed.positional.push(arg);
                continue;
            }
            if arg == "--" {
                only_positional = true;
                continue;
            }
            if arg == "--help" || arg == "-h" {
                println!("{usage}");
                std::process::exit(0);
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            let Some(flag) = flags.iter().find(|f| f.name == name) else {
                return Err(fail(format!("unknown option `{name}`")));
            };
            if parsed.has(flag.name) || parsed.value(flag.name).is_some() {
                return Err(fail(format!("`{name}` given twice")));
            }
            match (flag.value, inline) {
                (None, None) => parsed.switches.push(flag.name),
                (None, Some(_)) => return Err(fail(format!("`{name}` takes no value"))),
                (Some(_), Some(v)) => parsed.values.push((flag.name, v)),
                (Some(placeholder), None) => match args.next() {
                    Some(v) if !v.starts_with("--") => parsed.values.push((flag.name, v)),
                    _ => return Err(fail(format!("`{name}` needs a value ({placeholder})"))),
                },
            }
        }
        Ok(parsed)
    }

    /// The value of `--name`, if given.
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `--name`, which must be given.
    pub(crate) fn required(&self, name: &str) -> Result<&str, UsageError> {
        self.value(name)
            .ok_or_else(|| self.error(format!("`{name}` is required")))
    }

    /// Whether the switch `--name` was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The plain arguments.
    pub(crate) fn positional(&self) -> &[String] {
        &self.positional
    }

    /// The value of `--name` as a whole number of seconds (1 or more), or
    /// `default`.
    pub(crate) fn seconds(&self, name: &str, default: Duration) -> Result<Duration, UsageError> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(s) if s > 0 => Ok(Duration::from_secs(s)),
                _ => Err(self.invalid(name, v, "a whole number of seconds, 1 or more")),
            },
        }
    }

    /// The value of `--name` as a count (1 or more), or `default`.
    pub(crate) fn count(&self, name: &str, default: usize) -> Result<usize, UsageError> {
        match self.value(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(self.invalid(name, v, "a whole number, 1 or more")),
            },
        }
    }

    /// A usage error for a value of `--name` that is not `what`.
    pub(crate) fn invalid(&self, name: &str, value: &str, what: &str) -> UsageError {
        self.error(format!("`{name} {value}`: expected {what}"))
    }

    /// A usage error saying `message`.
    pub(crate) fn error(&self, message: impl Into<String>) -> UsageError {
        UsageError {
            message: message.into(),
            usage: self.usage,
        }
    }
}

/// Reads a secret key file (written by the `keygen` example). The keys
/// crate refuses a file its group or others can access and names what else
/// the file might be (a public key, an OpenSSH key, ...); a missing file
/// gets a hint to create one.
pub(crate) fn load_secret_key(path: &Path) -> Result<SecretKey, String> {
    keys::read_secret_key(path).map_err(|e| match e {
        keys::Error::Io {
            kind: std::io::ErrorKind::NotFound,
            ..
        } => format!(
            "secret key file {}: not found; create one with \
             `cargo run -p ossuary-core --example keygen -- {}`",
            path.display(),
            path.display()
        ),
        other => format!("secret key: {other}"),
    })
}

/// Reads an authorized-keys file: one public key line per client (the
/// `.pub` files `keygen` writes), `#` comments. A missing file or a file
/// with no keys is an error: a server must not start with a list other
/// than the one its operator meant.
pub(crate) fn load_authorized_keys(path: &Path) -> Result<AuthorizedKeys, String> {
    let keys = AuthorizedKeys::load(path).map_err(|e| match e {
        keys::Error::Io {
            kind: std::io::ErrorKind::NotFound,
            ..
        } => format!(
            "authorized-keys file {}: not found; give a file with one \
             `ossuary-ed25519 <base64>` line per client (the .pub files keygen writes)",
            path.display()
        ),
        other => format!("authorized-keys file: {other}"),
    })?;
    if keys.is_empty() {
        return Err(format!(
            "authorized-keys file {}: has no keys, so no client could connect; \
             add one `ossuary-ed25519 <base64>` line per client",
            path.display()
        ));
    }
    Ok(keys)
}

/// A path argument.
pub(crate) fn path(value: &str) -> PathBuf {
    PathBuf::from(value)
}

/// The exit status for `result`: 0, 2 for a usage error (printed with the
/// usage), 1 for anything else (printed as `error: ...`).
pub(crate) fn report(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<UsageError>() => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
