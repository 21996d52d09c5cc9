//! `ossuary receive ADDR -o DIR`: waits for one sender, checks its offer,
//! receives the file under a temporary name, checks its size and SHA-256,
//! and only then gives it its (made safe) final name.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite};

use crate::cli::ReceiveArgs;
use crate::error::{Error, Side};
use crate::net::Listener;
use crate::server::Server;
use crate::signal::Signals;
use crate::transfer::incoming::Incoming;
use crate::transfer::name::{Escaped, safe_name};
use crate::transfer::wire::{Decoded, HASH_LEN, Hex, Offer, Verdict};
use crate::transfer::{Step, mib_per_sec, progress};

/// Bytes read from the session at a time.
const CHUNK: usize = 64 * 1024;

/// Runs `ossuary receive`.
///
/// # Errors
/// The directory, keys, listening, the handshake; a refused or failed
/// transfer ([`Error::Transfer`]); a session that ends too early.
pub(crate) async fn receive(args: &ReceiveArgs, signals: &mut Signals) -> Result<(), Error> {
    if !args.dir.is_dir() {
        return Err(Error::local(
            &args.dir,
            "receive into it",
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    let server = Server::load(
        args.identity.as_deref(),
        args.access.authorized_keys.as_deref(),
        args.access.open,
    )?;
    let listener = Listener::bind(&args.addr).await?;
    eprintln!(
        "ossuary: listening on {} ({server}); saving into {}",
        listener.local_addr(),
        args.dir.display()
    );
    let (mut stream, peer) = server.accept_first(listener, signals).await?;
    let step = Step {
        peer: &peer,
        side: Side::Server,
        stall: Duration::from_secs(args.stall.stall_timeout),
    };
    signals
        .guard(receive_one(&mut stream, &args.dir, step))
        .await
}

/// Receives one file over an established session.
async fn receive_one<S>(stream: &mut S, dir: &Path, step: Step<'_>) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let start = Instant::now();
    let offer = read_offer(stream, step).await?;
    let Some(name) = safe_name(offer.name()) else {
        return Err(refuse(stream, step, Verdict::BAD_OFFER, "empty file name".into()).await);
    };
    if name != offer.name() {
        eprintln!(
            "ossuary: {} offered the name \"{}\"; saving it as \"{}\"",
            step.peer,
            Escaped(offer.name()),
            Escaped(&name)
        );
    }
    let mut file = match Incoming::create(dir, &name) {
        Ok(file) => file,
        Err(e) => return Err(refuse(stream, step, e.verdict(), e.to_string()).await),
    };
    step.send(stream, &[Verdict::OK.0]).await?;
    eprintln!(
        "ossuary: receiving \"{}\" ({} bytes) from {}",
        Escaped(&name),
        offer.size(),
        step.peer
    );

    let bar = progress(offer.size(), "receiving");
    let mut buf = vec![0u8; CHUNK];
    while file.written() < offer.size() {
        let left = offer.size() - file.written();
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let chunk = buf.get_mut(..want).unwrap_or_default();
        let n = step.read(stream, chunk).await?;
        let Some(bytes) = chunk.get(..n).filter(|b| !b.is_empty()) else {
            bar.abandon();
            return Err(Error::Transfer(format!(
                "{} ended the transfer after {} of {} bytes; nothing was saved",
                step.peer,
                file.written(),
                offer.size()
            )));
        };
        if let Err(e) = file.write(bytes) {
            bar.abandon();
            return Err(refuse(stream, step, e.verdict(), e.to_string()).await);
        }
        bar.inc(n as u64);
    }
    bar.finish_and_clear();

    let mut hash = [0u8; HASH_LEN];
    let mut got = 0;
    while let Some(rest) = hash.get_mut(got..).filter(|r| !r.is_empty()) {
        let n = step.read(stream, rest).await?;
        if n == 0 {
            return Err(Error::Transfer(format!(
                "{} closed before sending the file's SHA-256; nothing was saved",
                step.peer
            )));
        }
        got += n;
    }
    let saved: PathBuf = match file.finish(&hash) {
        Ok(path) => path,
        Err(e) => return Err(refuse(stream, step, e.verdict(), e.to_string()).await),
    };
    step.send(stream, &[Verdict::OK.0]).await?;
    step.close(stream).await?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "received \"{}\" ({} bytes, SHA-256 {}) from {} in {secs:.2} s ({:.1} MiB/s): saved as {}",
        Escaped(&name),
        offer.size(),
        Hex(&hash),
        step.peer,
        mib_per_sec(offer.size(), secs),
        Escaped(&saved.display().to_string())
    );
    Ok(())
}

/// Reads the sender's offer; a malformed one is answered and refused.
async fn read_offer<S>(stream: &mut S, step: Step<'_>) -> Result<Offer, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    // An offer is at most 273 bytes: a handful of reads.
    loop {
        match Offer::decode(&buf) {
            Ok(Decoded::Offer(offer, _)) => return Ok(offer),
            Ok(Decoded::Incomplete(needed)) => {
                let have = buf.len();
                buf.resize(have + needed, 0);
                let n = step
                    .read(stream, buf.get_mut(have..).unwrap_or_default())
                    .await?;
                if n == 0 {
                    return Err(Error::Transfer(format!(
                        "{} closed without offering a file; it may not be `ossuary send`",
                        step.peer
                    )));
                }
                buf.truncate(have + n);
            }
            Err(e) => {
                return Err(refuse(stream, step, Verdict::BAD_OFFER, e.to_string()).await);
            }
        }
    }
}

/// Tells the sender why its file is refused (best effort) and returns the
/// error to report.
async fn refuse<S>(stream: &mut S, step: Step<'_>, verdict: Verdict, why: String) -> Error
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let told = step.send(stream, &[verdict.0]).await;
    if told.is_ok() {
        let _ = step.close(stream).await;
    }
    Error::Transfer(format!("from {}: {why}", step.peer))
}
