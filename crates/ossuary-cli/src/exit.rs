//! The exit statuses: one per kind of failure a user can act on, each with
//! what it means and what to do. `ossuary --help` prints [`TABLE`], and
//! docs/CLI.md carries the same rows (a test checks it).

use std::process::ExitCode;

/// How the command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Everything done; a session ended with both authenticated CLOSEs.
    Success,
    /// Anything else: a local file that cannot be read or written, a file
    /// that would be overwritten, an internal error.
    Failure,
    /// The command line does not fit (clap's own status).
    Usage,
    /// The peer could not be reached, or the address not listened on.
    Unreachable,
    /// The server's key is not trusted: unknown, and neither pinned,
    /// recorded, approved nor `--trust-first-use`.
    UntrustedServer,
    /// The server proved another key than the one pinned or recorded, or a
    /// revoked one.
    ServerKeyChanged,
    /// The client is not authorized (the server refused it, or, on the
    /// server, the client that came was refused).
    Unauthorized,
    /// A key file (identity, authorized keys, known hosts, server key)
    /// cannot be read, or holds something else than it should.
    KeyFile,
    /// A secret key file that its group or others can access.
    KeyPermissions,
    /// The peer does not speak Ossuary (or said nothing before the
    /// handshake deadline).
    NotOssuary,
    /// The session did not end cleanly: the peer vanished without its
    /// authenticated CLOSE, reset the session, or the data was tampered with.
    Cut,
    /// A file transfer failed: refused by the receiver, or its size or
    /// SHA-256 did not match.
    TransferFailed,
    /// Stopped by SIGINT (Ctrl-C).
    Interrupted,
    /// Stopped by SIGTERM.
    Terminated,
}

impl Status {
    /// The process exit status.
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Unreachable => 3,
            Self::UntrustedServer => 4,
            Self::ServerKeyChanged => 5,
            Self::Unauthorized => 6,
            Self::KeyFile => 7,
            Self::KeyPermissions => 8,
            Self::NotOssuary => 9,
            Self::Cut => 10,
            Self::TransferFailed => 11,
            Self::Interrupted => 130,
            Self::Terminated => 143,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status.code())
    }
}

/// Every status, with what it means and what to do: the rows of the table
/// in `ossuary --help` and docs/CLI.md.
pub(crate) const TABLE: &[(Status, &str, &str)] = &[
    (
        Status::Success,
        "done; a session ended with both sides' authenticated close",
        "-",
    ),
    (
        Status::Failure,
        "other error: a local file cannot be read or written, a file exists",
        "read the message: it names the file",
    ),
    (
        Status::Usage,
        "the command line is wrong",
        "see `ossuary help COMMAND`",
    ),
    (
        Status::Unreachable,
        "cannot connect to the address, or listen on it",
        "check the address and that the peer is running",
    ),
    (
        Status::UntrustedServer,
        "unknown server key, not approved",
        "compare its fingerprint, then --trust-first-use or --server-key",
    ),
    (
        Status::ServerKeyChanged,
        "the server proved another key than recorded, or a revoked one",
        "find out why; remove the old known_hosts line only if expected",
    ),
    (
        Status::Unauthorized,
        "the client is not authorized by the server",
        "add the client's public key line to the server's authorized keys",
    ),
    (
        Status::KeyFile,
        "a key file cannot be read or holds the wrong kind of key",
        "read the message: it names the file and line",
    ),
    (
        Status::KeyPermissions,
        "a secret key file others can access",
        "chmod 600 FILE",
    ),
    (
        Status::NotOssuary,
        "the peer does not speak Ossuary, or never answered",
        "check the address and port",
    ),
    (
        Status::Cut,
        "the session ended without the peer's authenticated close",
        "data may be incomplete: retry",
    ),
    (
        Status::TransferFailed,
        "the receiver refused the file, or its size or SHA-256 differ",
        "read the message; retry",
    ),
    (Status::Interrupted, "stopped by SIGINT (Ctrl-C)", "-"),
    (Status::Terminated, "stopped by SIGTERM", "-"),
];

/// The table as `ossuary --help` prints it.
pub(crate) fn help_text() -> String {
    let mut text = String::from("Exit status:\n");
    for (status, meaning, action) in TABLE {
        text.push_str(&format!("  {:>3}  {meaning}", status.code()));
        if *action != "-" {
            text.push_str(&format!(" ({action})"));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{Status, TABLE, help_text};

    #[test]
    fn every_status_is_listed_once_with_a_distinct_code() {
        let codes: HashSet<u8> = TABLE.iter().map(|(s, _, _)| s.code()).collect();
        assert_eq!(codes.len(), TABLE.len());
        // A new variant must be added to the table: this match fails to
        // compile until then, and the count below fails until it is listed.
        let all = [
            Status::Success,
            Status::Failure,
            Status::Usage,
            Status::Unreachable,
            Status::UntrustedServer,
            Status::ServerKeyChanged,
            Status::Unauthorized,
            Status::KeyFile,
            Status::KeyPermissions,
            Status::NotOssuary,
            Status::Cut,
            Status::TransferFailed,
            Status::Interrupted,
            Status::Terminated,
        ];
        for status in all {
            match status {
                Status::Success
                | Status::Failure
                | Status::Usage
                | Status::Unreachable
                | Status::UntrustedServer
                | Status::ServerKeyChanged
                | Status::Unauthorized
                | Status::KeyFile
                | Status::KeyPermissions
                | Status::NotOssuary
                | Status::Cut
                | Status::TransferFailed
                | Status::Interrupted
                | Status::Terminated => {}
            }
            assert!(TABLE.iter().any(|(s, _, _)| *s == status), "{status:?}");
        }
        assert_eq!(all.len(), TABLE.len());
    }

    /// docs/CLI.md has one row per status, with the same words as `--help`.
    #[test]
    fn the_guide_lists_every_status() {
        let doc = include_str!("../../../docs/CLI.md");
        for (status, meaning, action) in TABLE {
            let row = format!("| {} | {meaning} | {action} |", status.code());
            assert!(doc.contains(&row), "docs/CLI.md lacks the row `{row}`");
        }
    }

    #[test]
    fn help_names_every_code() {
        let text = help_text();
        for (status, meaning, _) in TABLE {
            assert!(
                text.contains(&format!("{:>3}  {meaning}", status.code())),
                "{text}"
            );
        }
    }
}
