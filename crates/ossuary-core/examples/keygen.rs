//! Generates an Ed25519 identity keypair.
//!
//! ```text
//! cargo run -p ossuary-core --example keygen -- server.key
//! ```
//! writes the secret key (hex, mode 0600, never overwrites) and prints the
//! public key, which peers put in their authorized-keys or known-hosts file.

mod common;

use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    common::report(run())
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: keygen <secret-key-file>");
        std::process::exit(2);
    };
    let (secret, public) = ossuary_core::generate_keypair()?;
    common::write_secret_key(&path, &secret)?;
    println!("{}", common::hex(public.as_bytes()));
    Ok(())
}
