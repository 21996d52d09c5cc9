//! Where the key files are when no flag names them: `~/.ossuary/`.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The secret key file's name in `~/.ossuary/`.
const IDENTITY: &str = "identity";
/// The known-hosts file's name in `~/.ossuary/`.
const KNOWN_HOSTS: &str = "known_hosts";

/// `~/.ossuary`, or `None` without a home directory.
fn dir() -> Option<PathBuf> {
    std::env::home_dir()
        .filter(|home| !home.as_os_str().is_empty())
        .map(|home| home.join(".ossuary"))
}

/// The identity file: `given`, or `~/.ossuary/identity`.
///
/// # Errors
/// [`Error::NoHome`] when none is given and there is no home directory.
pub(crate) fn identity(given: Option<&Path>) -> Result<PathBuf, Error> {
    or_default(given, IDENTITY, "--identity")
}

/// The identity a client uses: `given`, else `~/.ossuary/identity` if it
/// exists, else none (anonymous).
pub(crate) fn client_identity(given: Option<&Path>, anonymous: bool) -> Option<PathBuf> {
    if anonymous {
        return None;
    }
    match given {
        Some(path) => Some(path.to_path_buf()),
        None => dir()
            .map(|d| d.join(IDENTITY))
            .filter(|path| path.symlink_metadata().is_ok()),
    }
}

/// The known-hosts file: `given`, or `~/.ossuary/known_hosts`.
///
/// # Errors
/// [`Error::NoHome`] when none is given and there is no home directory.
pub(crate) fn known_hosts(given: Option<&Path>) -> Result<PathBuf, Error> {
    or_default(given, KNOWN_HOSTS, "--known-hosts")
}

/// Creates `~/.ossuary` (mode 0700) if `path` is in it and it is missing,
/// so that the first `ossuary keygen` or recorded host needs no `mkdir`.
///
/// # Errors
/// [`Error::Local`] if it cannot be created.
pub(crate) fn create_default_dir_for(path: &Path) -> Result<(), Error> {
    let Some(dir) = dir() else { return Ok(()) };
    if path.parent() != Some(dir.as_path()) || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| Error::local(&dir, "create the directory", e))
}

/// `given`, or `name` in `~/.ossuary`.
fn or_default(given: Option<&Path>, name: &str, flag: &'static str) -> Result<PathBuf, Error> {
    match given {
        Some(path) => Ok(path.to_path_buf()),
        None => dir().map(|d| d.join(name)).ok_or(Error::NoHome { flag }),
    }
}
