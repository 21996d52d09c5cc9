//! `ossuary`: key files, an encrypted netcat, one-off file transfer and
//! spiped-style tunnels over the Ossuary secure channel. The user's guide
//! is docs/CLI.md; `ossuary --help` lists the exit statuses.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod addr;
mod cli;
mod client;
mod copy;
mod demo;
mod error;
mod exit;
mod generate;
mod keycmd;
mod keyfiles;
mod net;
mod netcat;
mod paths;
mod server;
mod signal;
mod transfer;
mod tunnel;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::exit::Status;
use crate::signal::Signals;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match run(&cli.command) {
        Ok(()) => Status::Success,
        Err(e) => {
            eprintln!("ossuary: error: {e}");
            e.status()
        }
    };
    status.into()
}

/// Runs one subcommand.
fn run(command: &Command) -> Result<(), Error> {
    match command {
        Command::Keygen(args) => keycmd::keygen(args),
        Command::Pubkey(args) => keycmd::pubkey(args),
        Command::Fingerprint(args) => keycmd::fingerprint(args),
        Command::Generate(args) => generate::run(args),
        Command::Listen(args) => on_runtime(async |s| netcat::listen(args, s).await),
        Command::Connect(args) => on_runtime(async |s| netcat::connect(args, s).await),
        Command::Send(args) => on_runtime(async |s| transfer::send(args, s).await),
        Command::Receive(args) => on_runtime(async |s| transfer::receive(args, s).await),
        Command::Tunnel(args) => on_runtime(async |s| tunnel::run(args, s).await),
        Command::Demo(args) => on_runtime(async |s| s.guard(demo::run(args)).await),
    }
}

/// Runs a networking subcommand on a tokio runtime, with SIGINT and SIGTERM
/// handled from the start.
fn on_runtime(work: impl AsyncFnOnce(&mut Signals) -> Result<(), Error>) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::local("tokio runtime", "start", e))?;
    let result = runtime.block_on(async {
        let mut signals = Signals::new()?;
        work(&mut signals).await
    });
    // A read of stdin (or a TOFU prompt) may still block a thread: do not
    // wait for it.
    runtime.shutdown_background();
    result
}
