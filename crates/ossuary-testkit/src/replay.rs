//! Fuzz inputs under `cargo test`: crash files kept as regressions and the
//! committed seed corpora (`docs/FUZZING.md`).
//!
//! A replay always says how many inputs it ran, and a directory with nothing
//! to replay (missing, or holding only notes) is an error, not a pass: a
//! regression test exists only once there is an input for it.

use std::path::{Path, PathBuf};

/// The repository root (where `docs/` and `fuzz/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed seed corpus of a fuzz target: `fuzz/corpus/<target>/`.
pub fn corpus_dir(target: &str) -> PathBuf {
    repo_root().join("fuzz/corpus").join(target)
}

/// The input files of `dir`, sorted by name: every regular file except
/// hidden ones and `*.md` notes.
///
/// # Panics
/// If `dir` cannot be read (a missing directory is a mistake, not an empty
/// set of inputs) or a file in it cannot.
pub fn input_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

/// Runs `f` on every input file of `dir` (see [`input_files`]), naming the
/// file if it panics. Returns how many ran, which is at least one.
///
/// # Panics
/// If `f` panics on an input, or `dir` is missing or holds no input.
pub fn replay_dir(dir: &Path, f: impl Fn(&[u8])) -> usize {
    let files = input_files(dir);
    assert!(
        !files.is_empty(),
        "nothing to replay in {} (a replay test exists only once there is an input)",
        dir.display()
    );
    for (path, bytes) in &files {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(bytes)));
        if let Err(payload) = result {
            eprintln!("fuzz input {} failed", path.display());
            std::panic::resume_unwind(payload);
        }
    }
    files.len()
}

/// Checks that `dir` holds every seed, byte for byte. With `OSSUARY_BLESS=1`
/// in the environment, writes them instead (other files are left alone).
///
/// # Panics
/// If a seed is missing or differs (and the run does not bless), or if
/// `seeds` is empty.
pub fn check_seeds(dir: &Path, seeds: &[(String, Vec<u8>)]) {
    assert!(!seeds.is_empty(), "no seeds to check");
    let bless = std::env::var_os("OSSUARY_BLESS").is_some_and(|v| v == "1");
    if bless {
        std::fs::create_dir_all(dir).expect("create the corpus directory");
    }
    let mut stale = Vec::new();
    for (name, bytes) in seeds {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, bytes).expect("write a seed");
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "seed corpus {} is out of date ({} of {} seeds differ or are missing: {:?}); \
         regenerate it with OSSUARY_BLESS=1",
        dir.display(),
        stale.len(),
        seeds.len(),
        stale
    );
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{check_seeds, replay_dir};

    /// A fresh scratch directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ossuary-testkit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    }

    #[test]
    fn replay_counts_inputs_and_skips_notes() {
        let dir = scratch("count");
        std::fs::write(dir.join("README.md"), "notes").unwrap();
        std::fs::write(dir.join(".hidden"), "x").unwrap();
        std::fs::write(dir.join("b"), [2]).unwrap();
        std::fs::write(dir.join("a"), [1]).unwrap();
        let seen = std::cell::RefCell::new(Vec::new());
        let n = replay_dir(&dir, |bytes| seen.borrow_mut().push(bytes.to_vec()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(n, 2);
        assert_eq!(seen.into_inner(), [vec![1], vec![2]]);
    }

    #[test]
    #[should_panic(expected = "nothing to replay")]
    fn a_folder_with_only_notes_fails() {
        let dir = scratch("notes");
        std::fs::write(dir.join("README.md"), "notes").unwrap();
        let result = std::panic::catch_unwind(|| replay_dir(&dir, |_| {}));
        std::fs::remove_dir_all(&dir).unwrap();
        std::panic::resume_unwind(result.unwrap_err());
    }

    #[test]
    #[should_panic(expected = "cannot read")]
    fn a_missing_folder_fails() {
        replay_dir(&scratch("missing").join("no-such-dir"), |_| {});
    }

    #[test]
    #[should_panic(expected = "out of date")]
    fn a_missing_seed_fails() {
        let dir = scratch("seeds");
        let result = std::panic::catch_unwind(|| {
            check_seeds(&dir, &[("seed".to_owned(), vec![1, 2, 3])]);
        });
        std::fs::remove_dir_all(&dir).unwrap();
        std::panic::resume_unwind(result.unwrap_err());
    }
}
