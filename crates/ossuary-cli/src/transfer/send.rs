//! `ossuary send FILE ADDR`: offers the file, sends it if accepted, then
//! its SHA-256, and reports what the receiver made of it.

use std::path::Path;
use std::time::{Duration, Instant};

use ossuary_core::Sha256;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite};

use crate::cli::SendArgs;
use crate::client::{Ask, Client, ClientOptions};
use crate::error::{Error, Side};
use crate::net;
use crate::signal::Signals;
use crate::transfer::name::Escaped;
use crate::transfer::wire::{Hex, Offer, Verdict};
use crate::transfer::{Step, mib_per_sec, progress};

/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;

/// Runs `ossuary send`.
///
/// # Errors
/// The file, keys, connecting, trust, the handshake; the receiver's
/// refusal or a failed check ([`Error::Transfer`]).
pub(crate) async fn send(args: &SendArgs, signals: &mut Signals) -> Result<(), Error> {
    let file = std::fs::File::open(&args.file).map_err(|e| Error::local(&args.file, "open", e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::local(&args.file, "read the size of", e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{}: not a regular file (send sends one file)",
            args.file.display()
        )));
    }
    let offer = Offer::new(&offered_name(args)?, meta.len())
        .map_err(|e| Error::Usage(format!("{}: {e}", args.file.display())))?;
    let client = Client::load(
        &ClientOptions {
            identity: args.identity.identity.as_deref(),
            anonymous: args.identity.anonymous,
            known_hosts: args.trust.known_hosts.as_deref(),
            server_key: args.trust.server_key.as_deref(),
            trust_first_use: args.trust.trust_first_use,
            ask: Ask::IfTerminal,
        },
        &args.addr,
    )?;
    let peer = args.addr.to_string();
    let timeout = Duration::from_secs(args.timeouts.connect_timeout);
    let socket = signals.guard(net::connect(&args.addr, timeout)).await?;
    let mut stream = signals.guard(client.connect(socket, &peer)).await?;
    crate::client::announce(&peer, &stream);
    let step = Step {
        peer: &peer,
        side: Side::Client,
        stall: Duration::from_secs(args.stall.stall_timeout),
    };
    let file = tokio::fs::File::from_std(file);
    signals
        .guard(transfer(&mut stream, file, &offer, &args.file, step))
        .await
}

/// The name to offer: `--name`, or the file's own.
fn offered_name(args: &SendArgs) -> Result<String, Error> {
    match (&args.name, args.file.file_name()) {
        (Some(name), _) => Ok(name.clone()),
        (None, Some(name)) => Ok(name.to_string_lossy().into_owned()),
        (None, None) => Err(Error::Usage(format!(
            "{}: has no file name to offer; give --name",
            args.file.display()
        ))),
    }
}

/// Offers, sends and checks one file over an established session.
async fn transfer<S, F>(
    stream: &mut S,
    mut file: F,
    offer: &Offer,
    path: &Path,
    step: Step<'_>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: AsyncRead + Unpin,
{
    let start = Instant::now();
    let name = Escaped(offer.name());
    step.send(stream, &offer.encode()).await?;
    match step.verdict(stream).await? {
        Some(Verdict::OK) => {}
        Some(refused) => {
            return Err(Error::Transfer(format!(
                "{} refused {name}: {refused}",
                step.peer
            )));
        }
        None => return Err(closed_early(step.peer, "the offer")),
    }

    let bar = progress(offer.size(), "sending");
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut left = offer.size();
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let n = file
            .read(chunk)
            .await
            .map_err(|e| Error::local(path, "read", e))?;
        let Some(bytes) = chunk.get(..n).filter(|b| !b.is_empty()) else {
            bar.abandon();
            return Err(Error::Transfer(format!(
                "{}: the file shrank while being sent ({} of {} bytes sent); the receiver \
                 saves nothing",
                path.display(),
                offer.size() - left,
                offer.size()
            )));
        };
        hash.update(bytes);
        step.send(stream, bytes).await?;
        left -= n as u64;
        bar.inc(n as u64);
    }
    let hash = hash.finalize();
    step.send(stream, &hash).await?;
    bar.finish_and_clear();

    match step.verdict(stream).await? {
        Some(Verdict::OK) => {}
        Some(refused) => {
            return Err(Error::Transfer(format!(
                "{} did not save {name}: {refused}",
                step.peer
            )));
        }
        None => return Err(closed_early(step.peer, "the file")),
    }
    step.close(stream).await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {name} ({} bytes, SHA-256 {}) to {} in {secs:.2} s ({:.1} MiB/s): the receiver \
         checked and saved it",
        offer.size(),
        Hex(&hash),
        step.peer,
        mib_per_sec(offer.size(), secs)
    );
    Ok(())
}

/// The receiver closed where it owed an answer.
fn closed_early(peer: &str, what: &str) -> Error {
    Error::Transfer(format!(
        "{peer} closed the session without answering {what}; it may not be `ossuary receive`"
    ))
}
