//! Generates an Ed25519 identity key pair.
//!
//! ```text
//! cargo run -p ossuary-core --example keygen -- server.key [--comment TEXT]
//! ```
//! Writes the secret key file `server.key` (mode 0600) and the public key
//! line `server.key.pub` beside it, never overwriting either, and prints the
//! key's fingerprint and public key line. The `.pub` line goes into a
//! server's authorized-keys file (for a client key); a client records a
//! server's key in its known-hosts file (`echo_client --accept-new`, or by
//! hand after comparing the fingerprint).

mod common;

use common::{Args, value};
use ossuary_core::keys::{self, Fingerprint};

const USAGE: &str = "usage: keygen FILE [--comment TEXT]
  writes the secret key FILE (mode 0600) and FILE.pub; never overwrites";

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(USAGE, &[value("--comment", "TEXT")], 1)?;
    let [path] = args.positional() else {
        return Err(args
            .error("the secret key FILE to create is required")
            .into());
    };
    let path = common::path(path);
    let (secret, public) = ossuary_core::generate_keypair()?;
    let line = keys::write_key_pair(&path, &secret, args.value("--comment"))?;
    println!("secret key: {}", path.display());
    println!("public key: {}", keys::public_key_path(&path).display());
    println!("fingerprint: {}", Fingerprint::of(&public));
    println!("{line}");
    Ok(())
}
