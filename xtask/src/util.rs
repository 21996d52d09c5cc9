//! Small helpers shared by the subcommands: errors, paths and running commands.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An xtask failure: a human-readable message that already carries its context.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Error {
    /// Creates an error from a message.
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The result type used throughout xtask.
pub(crate) type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace root (the parent of the `xtask` directory).
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// The cargo to drive: `$CARGO` (set by `cargo run`), or `cargo` from `PATH`.
pub(crate) fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// Renders a command line for log and error messages.
pub(crate) fn display_cmd(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Runs `cmd` with inherited stdio, failing unless it exits successfully.
pub(crate) fn run(cmd: &mut Command) -> Result {
    let shown = display_cmd(cmd);
    println!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| Error::new(format!("could not start `{shown}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{shown}` failed ({status})")))
    }
}

/// Runs `cmd` quietly and returns its trimmed stdout, or `None` if it could not run or failed.
pub(crate) fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Reads a file, naming it in the error.
pub(crate) fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::new(format!("could not read {}: {e}", path.display())))
}

/// Whether `name` is an executable found in one of the `PATH` directories.
pub(crate) fn on_path(name: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| dir.join(name).is_file())
}

/// `RUSTFLAGS` with `-D warnings` added.
///
/// Every cargo step of `cargo xtask test` gets the same `RUSTFLAGS`, so steps sharing
/// `target/` do not rebuild each other's artifacts.
pub(crate) fn rustflags() -> String {
    match std::env::var("RUSTFLAGS") {
        Ok(flags) if flags.contains("-D warnings") => flags,
        Ok(flags) if !flags.trim().is_empty() => format!("{flags} -D warnings"),
        _ => "-D warnings".to_owned(),
    }
}

/// The version in the workspace manifest's `[workspace.package]`, such as `0.1.0`.
pub(crate) fn workspace_version() -> Result<String> {
    let Version {
        major,
        minor,
        patch,
    } = Version::of_workspace(&project_root())?;
    Ok(format!("{major}.{minor}.{patch}"))
}

/// The version of `[workspace.package]`: `x.y.z`, three decimal numbers.
#[derive(Debug, PartialEq)]
pub(crate) struct Version {
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) patch: u32,
}

impl Version {
    /// The version in the workspace's `Cargo.toml`.
    pub(crate) fn of_workspace(root: &Path) -> Result<Self> {
        Self::from_manifest(&read_to_string(&root.join("Cargo.toml"))?)
    }

    /// The `version` of the `[workspace.package]` table of `manifest`.
    fn from_manifest(manifest: &str) -> Result<Self> {
        let text = manifest
            .lines()
            .skip_while(|l| l.trim() != "[workspace.package]")
            .skip(1)
            .take_while(|l| !l.trim_start().starts_with('['))
            .find_map(|l| {
                let (key, value) = l.split_once('=')?;
                (key.trim() == "version").then(|| value.trim().trim_matches('"'))
            })
            .ok_or_else(|| Error::new("no version in [workspace.package]"))?;
        let numbers: Vec<u32> = text
            .split('.')
            .map(|n| n.parse::<u32>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::new(format!("version `{text}` is not x.y.z")))?;
        match numbers[..] {
            [major, minor, patch] => Ok(Self {
                major,
                minor,
                patch,
            }),
            _ => Err(Error::new(format!("version `{text}` is not x.y.z"))),
        }
    }

    /// The `-D` flags `test_ossuary.c` reads.
    pub(crate) fn defines(&self) -> [String; 4] {
        let Self {
            major,
            minor,
            patch,
        } = self;
        [
            format!("-DOSSUARY_TEST_VERSION=\"{major}.{minor}.{patch}\""),
            format!("-DOSSUARY_TEST_VERSION_MAJOR={major}"),
            format!("-DOSSUARY_TEST_VERSION_MINOR={minor}"),
            format!("-DOSSUARY_TEST_VERSION_PATCH={patch}"),
        ]
    }
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, or `target/` in the workspace.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn reads_the_workspace_version() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nedition = \"2024\"\n\
                        version = \"12.3.45\"\n\n[package]\nversion = \"9.9.9\"\n";
        let v = Version::from_manifest(manifest).map_err(|e| e.to_string());
        assert_eq!(
            v,
            Ok(Version {
                major: 12,
                minor: 3,
                patch: 45
            })
        );
        assert_eq!(
            v.map(|v| v.defines()).ok().map(|d| d[0].clone()),
            Some("-DOSSUARY_TEST_VERSION=\"12.3.45\"".to_owned())
        );
        let other_table =
            "[workspace.package]\nedition = \"2024\"\n[package]\nversion = \"1.2.3\"\n";
        assert!(Version::from_manifest(other_table).is_err());
        assert!(Version::from_manifest("[workspace.package]\nversion = \"1.2\"\n").is_err());
        assert!(Version::from_manifest("[workspace.package]\nversion = \"1.x.3\"\n").is_err());
    }
}
