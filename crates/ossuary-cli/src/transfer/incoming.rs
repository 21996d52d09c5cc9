//! A file being received: written under a temporary name created
//! exclusively in the target directory, hashed as it is written, and moved
//! to its final name only once complete and checked, never over an
//! existing file. Dropped unfinished, it removes itself.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ossuary_core::Sha256;
use tempfile::NamedTempFile;

use crate::transfer::wire::{HASH_LEN, Verdict};

/// A file being written.
#[derive(Debug)]
pub(crate) struct Incoming {
    temp: NamedTempFile,
    target: PathBuf,
    hash: Sha256,
    written: u64,
}

/// Why a file could not be received.
#[derive(Debug)]
pub(crate) enum SaveError {
    /// Something (a file, a directory, a link) has the final name.
    Exists(PathBuf),
    /// The file system refused.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What we were doing.
        action: &'static str,
        /// Why.
        error: io::Error,
    },
    /// The SHA-256 of what arrived is not the sender's.
    Checksum {
        /// The sender's.
        expected: [u8; HASH_LEN],
        /// What arrived.
        got: [u8; HASH_LEN],
    },
}

impl SaveError {
    /// What to tell the sender.
    pub(crate) fn verdict(&self) -> Verdict {
        match self {
            Self::Exists(_) => Verdict::EXISTS,
            Self::Io { .. } => Verdict::CANNOT_WRITE,
            Self::Checksum { .. } => Verdict::CHECKSUM_MISMATCH,
        }
    }
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::transfer::wire::Hex;
        match self {
            Self::Exists(path) => write!(
                f,
                "{} exists; nothing was overwritten (move it away, or receive into another \
                 directory with -o)",
                path.display()
            ),
            Self::Io {
                path,
                action,
                error,
            } => write!(f, "{}: cannot {action}: {error}", path.display()),
            Self::Checksum { expected, got } => write!(
                f,
                "the SHA-256 of what arrived ({}) is not the sender's ({}); nothing was saved",
                Hex(got),
                Hex(expected)
            ),
        }
    }
}

impl Incoming {
    /// Starts receiving `name` (already made safe) into `dir`: refuses if
    /// `dir/name` exists, then creates a hidden temporary file beside it
    /// (exclusive create, mode 0600).
    ///
    /// # Errors
    /// [`SaveError::Exists`], or [`SaveError::Io`] if the temporary file
    /// cannot be created.
    pub(crate) fn create(dir: &Path, name: &str) -> Result<Self, SaveError> {
        let target = dir.join(name);
        if target.symlink_metadata().is_ok() {
            return Err(SaveError::Exists(target));
        }
        let temp = tempfile::Builder::new()
            .prefix(".ossuary-receiving-")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(|error| SaveError::Io {
                path: dir.to_path_buf(),
                action: "create a file in it",
                error,
            })?;
        Ok(Self {
            temp,
            target,
            hash: Sha256::new(),
            written: 0,
        })
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Appends `bytes`.
    ///
    /// # Errors
    /// [`SaveError::Io`] (disk full, ...).
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), SaveError> {
        self.temp
            .as_file_mut()
            .write_all(bytes)
            .map_err(|error| SaveError::Io {
                path: self.target.clone(),
                action: "write",
                error,
            })?;
        self.hash.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Checks the hash, makes the data durable and gives the file its final
    /// name, which must still be free; returns that path. On any error the
    /// temporary file is removed and nothing is left under the final name.
    ///
    /// # Errors
    /// [`SaveError::Checksum`], [`SaveError::Exists`] (something took the
    /// name meanwhile), [`SaveError::Io`].
    pub(crate) fn finish(self, expected: &[u8; HASH_LEN]) -> Result<PathBuf, SaveError> {
        let got = self.hash.finalize();
        if got != *expected {
            return Err(SaveError::Checksum {
                expected: *expected,
                got,
            });
        }
        let io = |action, error| SaveError::Io {
            path: self.target.clone(),
            action,
            error,
        };
        self.temp.as_file().sync_all().map_err(|e| io("sync", e))?;
        // Moves the file only if nothing has the name (renameat2 with
        // RENAME_NOREPLACE, or link then unlink): never clobbers.
        match self.temp.persist_noclobber(&self.target) {
            Ok(_) => {}
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(SaveError::Exists(self.target));
            }
            Err(e) => return Err(io("rename the finished file to", e.error)),
        }
        // Best effort: make the new name durable too.
        if let Some(dir) = self.target.parent().and_then(|d| File::open(d).ok()) {
            let _ = dir.sync_all();
        }
        Ok(self.target)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ossuary_core::Sha256;
    use proptest::prelude::*;

    use super::{Incoming, SaveError};

    fn sha(data: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(data);
        h.finalize()
    }

    /// The directory's entries, sorted.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn complete_and_checked_gets_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = Incoming::create(dir.path(), "a.bin").unwrap();
        let temp = listing(dir.path());
        assert!(
            temp.len() == 1
                && temp[0].starts_with(".ossuary-receiving-")
                && temp[0].ends_with(".part"),
            "{temp:?}"
        );
        file.write(b"hello ").unwrap();
        file.write(b"world").unwrap();
        assert_eq!(file.written(), 11);
        let saved = file.finish(&sha(b"hello world")).unwrap();
        assert_eq!(saved, dir.path().join("a.bin"));
        assert_eq!(std::fs::read(&saved).unwrap(), b"hello world");
        assert_eq!(listing(dir.path()), ["a.bin"]);
    }

    #[test]
    fn a_bad_checksum_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = Incoming::create(dir.path(), "a.bin").unwrap();
        file.write(b"hello").unwrap();
        let err = file.finish(&sha(b"other")).unwrap_err();
        assert!(matches!(err, SaveError::Checksum { .. }), "{err}");
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn dropped_unfinished_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = Incoming::create(dir.path(), "a.bin").unwrap();
        file.write(b"partial").unwrap();
        assert_eq!(listing(dir.path()).len(), 1, "the temporary file");
        drop(file);
        assert!(listing(dir.path()).is_empty());
    }

    #[test]
    fn never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("taken"), b"mine").unwrap();
        assert!(matches!(
            Incoming::create(dir.path(), "taken"),
            Err(SaveError::Exists(_))
        ));

        // The name is taken while the file is being received.
        let mut file = Incoming::create(dir.path(), "late").unwrap();
        file.write(b"theirs").unwrap();
        std::fs::write(dir.path().join("late"), b"mine").unwrap();
        assert!(matches!(
            file.finish(&sha(b"theirs")),
            Err(SaveError::Exists(_))
        ));
        assert_eq!(std::fs::read(dir.path().join("late")).unwrap(), b"mine");
        assert_eq!(listing(dir.path()), ["late", "taken"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_under_the_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join("link")).unwrap();
        assert!(matches!(
            Incoming::create(dir.path(), "link"),
            Err(SaveError::Exists(_))
        ));
        assert!(!victim.exists());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        /// Whatever the pieces, the saved file is their concatenation, and
        /// only it is left in the directory.
        #[test]
        fn saves_exactly_what_was_written(pieces in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2000), 0..8)) {
            let dir = tempfile::tempdir().unwrap();
            let mut file = Incoming::create(dir.path(), "f").unwrap();
            let mut all = Vec::new();
            for piece in &pieces {
                file.write(piece).unwrap();
                all.extend_from_slice(piece);
            }
            prop_assert_eq!(file.written(), all.len() as u64);
            let saved = file.finish(&sha(&all)).unwrap();
            prop_assert_eq!(std::fs::read(saved).unwrap(), all);
            prop_assert_eq!(listing(dir.path()), vec!["f".to_string()]);
        }
    }
}
