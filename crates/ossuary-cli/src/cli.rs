//! The command line, as clap definitions: every subcommand and flag, their
//! help, and the checks clap cannot express (which flags go with which
//! tunnel mode). The man pages and completions are generated from these.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::addr::Addr;
use crate::exit;

/// The address forms, for help texts.
const ADDR_FORMS: &str = "HOST:PORT, [IPv6]:PORT or unix:PATH";

/// `ossuary`: an encrypted, authenticated channel over TCP or UNIX sockets.
#[derive(Debug, Parser)]
#[command(
    name = "ossuary",
    version,
    about = "Encrypted, authenticated channels over TCP and UNIX sockets: keys, netcat, file transfer, tunnels",
    long_about = "Encrypted, authenticated channels over TCP and UNIX sockets.\n\n\
        Every server has an identity key (`ossuary keygen`); clients check it against their \
        known_hosts file, a pinned --server-key, or ask on first use. Servers accept either \
        the clients listed in an authorized-keys file or, with --open, anyone.\n\n\
        Files by default: ~/.ossuary/identity (secret key), ~/.ossuary/identity.pub, \
        ~/.ossuary/known_hosts.",
    after_help = "Exit statuses: `ossuary --help`; guide: docs/CLI.md",
    after_long_help = exit::help_text(),
    propagate_version = true,
    disable_help_subcommand = false
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Generate an identity key pair: a secret key file (mode 0600) and FILE.pub.
    #[command(
        long_about = "Generate an identity key pair: the secret key file FILE (mode 0600) and \
            its public key line in FILE.pub. Neither is ever overwritten. Prints the fingerprint.\n\n\
            Give the .pub line to peers: a server's goes into its clients' known_hosts (or \
            --server-key), a client's into the server's authorized keys."
    )]
    Keygen(KeygenArgs),
    /// Print the public key line of a secret key file.
    Pubkey(PubkeyArgs),
    /// Print the SHA256 fingerprint of a key, a key file, or each key of a list.
    Fingerprint(FingerprintArgs),
    /// Wait for one client and join it to stdin and stdout (the server end of an encrypted netcat).
    #[command(
        long_about = "Wait on ADDR for the first client whose handshake succeeds (failed attempts \
            are logged, and the wait goes on), then stop listening and copy stdin to the peer and \
            the peer to stdout, both at once. The end of stdin is sent as an authenticated \
            close; the peer's close ends the output. Exits when both directions have ended: \
            status 0 if the peer closed cleanly, 10 if it vanished without closing."
    )]
    Listen(ListenArgs),
    /// Connect to `ossuary listen` and join the channel to stdin and stdout (encrypted netcat).
    #[command(
        long_about = "Connect to ADDR, check the server's key, then copy stdin to the server and \
            the server to stdout, both at once, with half-close carried both ways. Exits when \
            both directions have ended: status 0 if the server closed cleanly, 10 if it \
            vanished without closing."
    )]
    Connect(ConnectArgs),
    /// Send one file to a waiting `ossuary receive`.
    Send(SendArgs),
    /// Wait for one file from `ossuary send` and save it in a directory.
    #[command(
        long_about = "Wait on ADDR for one `ossuary send` (a connection whose handshake fails is \
            logged, and the wait goes on), and save its file in DIR. The file is \
            written to a temporary name, checked (size and SHA-256) and only then given its \
            final name, which must not exist: nothing is ever overwritten, and a failed or \
            interrupted transfer leaves nothing under the final name. The sender's file name \
            is trusted for nothing: path separators, control characters and leading dots are \
            replaced, so the file always lands in DIR."
    )]
    Receive(ReceiveArgs),
    /// Carry TCP connections through an Ossuary channel, spiped-style.
    #[command(
        long_about = "Carry any TCP protocol through Ossuary, as spiped does. Run a pair: \
            `--encrypt` accepts plain connections on --listen and carries each, encrypted, to \
            the `--decrypt` end at --to; `--decrypt` accepts Ossuary connections on --listen \
            and carries each, in plain, to the real service at --to.\n\n\
            One log line per connection on stderr: peer, key fingerprint, bytes each way, \
            duration and how it ended. One connection's failure never affects another. At \
            --max-connections, new connections wait (logged once). SIGINT or SIGTERM stops \
            accepting and waits up to --drain-timeout for open connections to end; a second \
            signal stops at once."
    )]
    Tunnel(TunnelArgs),
    /// Run both ends of a channel in this process over loopback, printing what happens.
    Demo(DemoArgs),
    /// Write the man pages or a shell completion script (for packagers).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// `ossuary keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// The secret key file to create [default: ~/.ossuary/identity].
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// A comment for the public key line (who or what the key is).
    #[arg(short = 'C', long, value_name = "TEXT")]
    pub(crate) comment: Option<String>,
}

/// `ossuary pubkey`.
#[derive(Debug, Args)]
pub(crate) struct PubkeyArgs {
    /// The secret key file [default: ~/.ossuary/identity].
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

/// `ossuary fingerprint`.
#[derive(Debug, Args)]
pub(crate) struct FingerprintArgs {
    /// A public key line (`ossuary-ed25519 BASE64`), or a file: a public or
    /// secret key file, an authorized-keys or a known-hosts file.
    #[arg(value_name = "FILE|KEY")]
    pub(crate) key: String,
}

/// The server's identity and whom it accepts (`listen`, `receive`,
/// `tunnel --decrypt`).
#[derive(Debug, Args)]
pub(crate) struct ServerAccess {
    /// Accept only the clients whose public key lines are in FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) authorized_keys: Option<PathBuf>,
    /// Accept any client, anonymous ones included (no client authentication).
    #[arg(long, conflicts_with = "authorized_keys")]
    pub(crate) open: bool,
}

/// How a client decides to trust the server (`connect`, `send`,
/// `tunnel --encrypt`).
#[derive(Debug, Args)]
pub(crate) struct ServerTrust {
    /// Server keys by host:port; a key recorded here is pinned [default: ~/.ossuary/known_hosts].
    #[arg(long, value_name = "FILE")]
    pub(crate) known_hosts: Option<PathBuf>,
    /// Accept only this server key: a public key line, a SHA256 fingerprint,
    /// or a .pub file. known_hosts is then neither read nor written.
    #[arg(long, value_name = "KEY|FINGERPRINT|FILE", conflicts_with_all = ["known_hosts", "trust_first_use"])]
    pub(crate) server_key: Option<String>,
    /// Trust an unknown server's key without asking, and record it in
    /// known_hosts. A changed key is still refused.
    #[arg(long)]
    pub(crate) trust_first_use: bool,
}

/// The client's own identity.
#[derive(Debug, Args)]
pub(crate) struct ClientIdentity {
    /// Authenticate with this secret key [default: ~/.ossuary/identity, if it exists].
    #[arg(long, value_name = "FILE", conflicts_with = "anonymous")]
    pub(crate) identity: Option<PathBuf>,
    /// Do not authenticate: connect without an identity.
    #[arg(long)]
    pub(crate) anonymous: bool,
}

/// Timeouts for reaching a peer.
#[derive(Debug, Args)]
pub(crate) struct Timeouts {
    /// Give up connecting (name lookup and TCP) after SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) connect_timeout: u64,
}

/// `ossuary listen`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("access").args(["authorized_keys", "open"]).required(true)))]
pub(crate) struct ListenArgs {
    /// Where to listen (an address).
    #[arg(value_name = "ADDR", help = format!("Where to listen: {ADDR_FORMS}"))]
    pub(crate) addr: Addr,
    /// The server's secret key [default: ~/.ossuary/identity].
    #[arg(long, value_name = "FILE")]
    pub(crate) identity: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) access: ServerAccess,
    #[command(flatten)]
    pub(crate) idle: IdleTimeout,
}

/// `ossuary connect`.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The server (an address).
    #[arg(value_name = "ADDR", help = format!("The server: {ADDR_FORMS}"))]
    pub(crate) addr: Addr,
    #[command(flatten)]
    pub(crate) identity: ClientIdentity,
    #[command(flatten)]
    pub(crate) trust: ServerTrust,
    #[command(flatten)]
    pub(crate) timeouts: Timeouts,
    #[command(flatten)]
    pub(crate) idle: IdleTimeout,
}

/// An optional bound on a session's silence.
#[derive(Debug, Args)]
pub(crate) struct IdleTimeout {
    /// End the session when nothing has moved either way for SECS seconds [default: no limit].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) idle_timeout: Option<u64>,
}

/// `ossuary send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The file to send.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// The receiver (an address).
    #[arg(value_name = "ADDR", help = format!("The receiver: {ADDR_FORMS}"))]
    pub(crate) addr: Addr,
    /// The name to offer the receiver [default: FILE's own name].
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    #[command(flatten)]
    pub(crate) identity: ClientIdentity,
    #[command(flatten)]
    pub(crate) trust: ServerTrust,
    #[command(flatten)]
    pub(crate) timeouts: Timeouts,
    #[command(flatten)]
    pub(crate) stall: StallTimeout,
}

/// How long a transfer may make no progress.
#[derive(Debug, Args)]
pub(crate) struct StallTimeout {
    /// Fail when the transfer makes no progress for SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) stall_timeout: u64,
}

/// `ossuary receive`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("access").args(["authorized_keys", "open"]).required(true)))]
pub(crate) struct ReceiveArgs {
    /// Where to listen (an address).
    #[arg(value_name = "ADDR", help = format!("Where to listen: {ADDR_FORMS}"))]
    pub(crate) addr: Addr,
    /// The directory to save the file in.
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR",
        default_value = "."
    )]
    pub(crate) dir: PathBuf,
    /// The receiver's secret key [default: ~/.ossuary/identity].
    #[arg(long, value_name = "FILE")]
    pub(crate) identity: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) access: ServerAccess,
    #[command(flatten)]
    pub(crate) stall: StallTimeout,
}

/// Which end of a tunnel this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Plain in, Ossuary out (the client end).
    Encrypt,
    /// Ossuary in, plain out (the server end).
    Decrypt,
}

/// `ossuary tunnel`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mode").args(["encrypt", "decrypt"]).required(true)))]
pub(crate) struct TunnelArgs {
    /// Accept connections here (an address).
    #[arg(long, value_name = "ADDR", help = format!("Accept connections here: {ADDR_FORMS}"))]
    pub(crate) listen: Addr,
    /// Carry each to here (an address).
    #[arg(long, value_name = "ADDR", help = format!("Carry each to here: {ADDR_FORMS}"))]
    pub(crate) to: Addr,
    /// Plain connections in on --listen, Ossuary out to --to (the client end).
    #[arg(long)]
    pub(crate) encrypt: bool,
    /// Ossuary connections in on --listen, plain out to --to (the server end).
    #[arg(long)]
    pub(crate) decrypt: bool,
    /// This end's secret key [--decrypt: required, default ~/.ossuary/identity;
    /// --encrypt: used if it exists].
    #[arg(long, value_name = "FILE", conflicts_with = "anonymous")]
    pub(crate) identity: Option<PathBuf>,
    /// --encrypt: do not authenticate to the --decrypt end.
    #[arg(long, conflicts_with = "decrypt")]
    pub(crate) anonymous: bool,
    /// --decrypt: accept only the clients whose keys are in FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "encrypt")]
    pub(crate) authorized_keys: Option<PathBuf>,
    /// --decrypt: accept any client, anonymous ones included.
    #[arg(long, conflicts_with_all = ["encrypt", "authorized_keys"])]
    pub(crate) open: bool,
    /// --encrypt: server keys by host:port [default: ~/.ossuary/known_hosts].
    #[arg(long, value_name = "FILE", conflicts_with = "decrypt")]
    pub(crate) known_hosts: Option<PathBuf>,
    /// --encrypt: accept only this key from the --decrypt end (a public key
    /// line, a SHA256 fingerprint, or a .pub file).
    #[arg(long, value_name = "KEY|FINGERPRINT|FILE", conflicts_with_all = ["decrypt", "known_hosts", "trust_first_use"])]
    pub(crate) server_key: Option<String>,
    /// --encrypt: trust the --decrypt end's key on first use and record it.
    #[arg(long, conflicts_with = "decrypt")]
    pub(crate) trust_first_use: bool,
    /// Connections carried at once; more wait until one ends.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) max_connections: u32,
    /// Give up reaching --to (name lookup and TCP) after SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) connect_timeout: u64,
    /// On SIGINT or SIGTERM, wait this long for open connections to end.
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub(crate) drain_timeout: u64,
    #[command(flatten)]
    pub(crate) idle: IdleTimeout,
}

impl TunnelArgs {
    /// Which end this is.
    pub(crate) fn mode(&self) -> Mode {
        if self.encrypt {
            Mode::Encrypt
        } else {
            Mode::Decrypt
        }
    }

    /// The check clap cannot express: a `--decrypt` end must say whom it
    /// accepts.
    ///
    /// # Errors
    /// A usage message.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.decrypt && self.authorized_keys.is_none() && !self.open {
            return Err(
                "tunnel --decrypt needs --authorized-keys FILE (only those clients) \
                 or --open (any client)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// `ossuary demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// MiB to send through the channel and echo back.
    #[arg(long, value_name = "MIB", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub(crate) mib: u32,
}

/// What `ossuary generate` writes.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    #[command(subcommand)]
    pub(crate) what: Generate,
}

/// `ossuary generate man|completions`.
#[derive(Debug, Subcommand)]
pub(crate) enum Generate {
    /// Write ossuary.1 and one page per subcommand (ossuary-listen.1, ...) into DIR.
    Man {
        /// The directory to write the pages in (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Print the completion script for SHELL on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

/// The shells completions are generated for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Shell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
    /// elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::{Cli, Command, Mode};

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("ossuary").chain(args.iter().copied()))
    }

    #[test]
    fn a_server_must_say_whom_it_accepts() {
        assert!(parse(&["listen", "127.0.0.1:7000"]).is_err());
        assert!(parse(&["listen", "127.0.0.1:7000", "--open"]).is_ok());
        assert!(parse(&["listen", "127.0.0.1:7000", "--authorized-keys", "a"]).is_ok());
        assert!(
            parse(&[
                "listen",
                "127.0.0.1:7000",
                "--authorized-keys",
                "a",
                "--open"
            ])
            .is_err()
        );
        assert!(parse(&["receive", "127.0.0.1:7000"]).is_err());
        let Ok(Cli {
            command: Command::Tunnel(t),
        }) = parse(&["tunnel", "--decrypt", "--listen", "[::1]:1", "--to", "h:2"])
        else {
            panic!("tunnel --decrypt without access should parse, then fail check()");
        };
        assert_eq!(t.mode(), Mode::Decrypt);
        assert!(t.check().is_err());
    }

    #[test]
    fn tunnel_flags_belong_to_their_mode() {
        let base = ["tunnel", "--listen", "127.0.0.1:1", "--to", "127.0.0.1:2"];
        let with = |extra: &[&str]| {
            let mut args = base.to_vec();
            args.extend_from_slice(extra);
            parse(&args)
        };
        assert!(with(&[]).is_err(), "a mode is required");
        assert!(with(&["--encrypt", "--decrypt"]).is_err());
        assert!(with(&["--encrypt", "--open"]).is_err());
        assert!(with(&["--encrypt", "--authorized-keys", "k"]).is_err());
        assert!(with(&["--decrypt", "--open", "--trust-first-use"]).is_err());
        assert!(with(&["--decrypt", "--open", "--server-key", "SHA256:x"]).is_err());
        assert!(with(&["--encrypt", "--trust-first-use"]).is_ok());
        assert!(
            with(&["--decrypt", "--open"]).is_ok_and(|c| match c.command {
                Command::Tunnel(t) => t.check().is_ok() && t.max_connections == 100,
                _ => false,
            })
        );
    }

    #[test]
    fn pinning_excludes_the_other_trust_sources() {
        let pinned = ["connect", "127.0.0.1:1", "--server-key", "SHA256:x"];
        assert!(parse(&pinned).is_ok());
        let mut both = pinned.to_vec();
        both.push("--trust-first-use");
        assert!(parse(&both).is_err());
        let mut both = pinned.to_vec();
        both.extend(["--known-hosts", "f"]);
        assert!(parse(&both).is_err());
    }

    #[test]
    fn addresses_are_checked_when_parsed() {
        assert!(parse(&["connect", "no-port"]).is_err());
        assert!(parse(&["connect", "unix:"]).is_err());
        assert!(parse(&["connect", "unix:/run/x.sock"]).is_ok());
    }
}
