//! `ossuary demo`: both ends of a channel in this process over loopback
//! TCP, with throwaway keys: the handshake, two messages, a bulk echo, the
//! clean close; printing fingerprints, times and throughput.

use std::time::Instant;

use ossuary_core::keys::Fingerprint;
use ossuary_core::{Config, Connection, PublicKey, Role, SecretKey};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::cli::DemoArgs;
use crate::error::{Error, Side};
use crate::server::KEY_EXCHANGE;

/// Runs the demo.
///
/// # Errors
/// Anything that fails on the way (it should not).
pub(crate) async fn run(args: &DemoArgs) -> Result<(), Error> {
    let (server_secret, server_key) = ossuary_core::generate_keypair().map_err(Error::Keygen)?;
    let (client_secret, client_key) = ossuary_core::generate_keypair().map_err(Error::Keygen)?;
    println!("ossuary demo: both ends of a channel in this process, over loopback TCP");
    println!("server key   {} (throwaway)", Fingerprint::of(&server_key));
    println!("client key   {} (throwaway)", Fingerprint::of(&client_key));

    let loopback = "127.0.0.1:0";
    let listener = TcpListener::bind(loopback)
        .await
        .map_err(|error| Error::Listen {
            addr: loopback.into(),
            error,
        })?;
    let addr = listener.local_addr().map_err(|error| Error::Listen {
        addr: loopback.into(),
        error,
    })?;
    let peer = addr.to_string();
    println!("server       listening on {addr}, accepting only the client key above");
    let server = tokio::spawn(echo_server(listener, server_secret, client_key));

    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|error| Error::Connect {
            addr: peer.clone(),
            error,
        })?;
    // Small messages go out at once (no Nagle delay on the echo).
    tcp.set_nodelay(true).map_err(|error| Error::Connect {
        addr: peer.clone(),
        error,
    })?;
    let session = |error| Error::Session {
        peer: peer.clone(),
        side: Side::Client,
        established: false,
        error,
    };
    let start = Instant::now();
    let mut conn =
        Connection::with_identity(Role::Client, Config::default(), Box::new(client_secret))
            .map_err(session)?;
    // Told the server's key out of band: pinned, any other is refused.
    conn.add_authorized_key(server_key).map_err(session)?;
    let mut stream = ossuary_tokio::connect(tcp, conn)
        .await
        .map_err(|e| Error::handshake(&peer, Side::Client, e))?;
    println!(
        "handshake    {:.2} ms: 3 messages; the client pinned the server's key, the server \
         authorized the client's",
        start.elapsed().as_secs_f64() * 1000.0
    );
    println!("key exchange {KEY_EXCHANGE}; identities Ed25519");

    let failed = |e| Error::from_stream(&peer, Side::Client, e);
    for message in ["hello, server", "sensor 7: 21.5 C"] {
        let t = Instant::now();
        stream.write_all(message.as_bytes()).await.map_err(failed)?;
        stream.flush().await.map_err(failed)?;
        let mut echo = vec![0u8; message.len()];
        stream.read_exact(&mut echo).await.map_err(failed)?;
        if echo != message.as_bytes() {
            return Err(Error::Transfer("the echo differs from the message".into()));
        }
        println!(
            "message      {message:?} echoed intact in {:.2} ms",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }

    let mib = usize::try_from(args.mib).unwrap_or(1);
    let bulk: Vec<u8> = (0..mib << 20).map(|i| (i % 251) as u8).collect();
    let (mut read_half, mut write_half) = stream.into_split();
    let t = Instant::now();
    let writer = async {
        write_half.write_all(&bulk).await?;
        write_half.flush().await?;
        Ok::<_, std::io::Error>(write_half)
    };
    let reader = async {
        let mut echo = vec![0u8; bulk.len()];
        read_half.read_exact(&mut echo).await?;
        Ok::<_, std::io::Error>(echo)
    };
    let (write_half, echo) = tokio::try_join!(writer, reader).map_err(failed)?;
    let secs = t.elapsed().as_secs_f64();
    if echo != bulk {
        return Err(Error::Transfer(
            "the bulk echo differs from what was sent".into(),
        ));
    }
    println!(
        "bulk         {mib} MiB sent and echoed back intact in {secs:.3} s: {:.0} MiB/s each way",
        mib as f64 / secs.max(1e-9)
    );

    let mut write_half = write_half;
    write_half.shutdown().await.map_err(failed)?;
    let mut rest = Vec::new();
    read_half.read_to_end(&mut rest).await.map_err(failed)?;
    let echoed = server
        .await
        .map_err(|e| Error::Transfer(format!("the server task failed: {e}")))??;
    println!(
        "close        both authenticated CLOSEs exchanged: a clean end (the server echoed {echoed} \
         bytes)"
    );
    println!(
        "total        {:.3} s; try `ossuary keygen`, then `ossuary listen` and `ossuary connect`",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Accepts one connection from `client`, echoes until its CLOSE, closes;
/// returns how many bytes it echoed.
async fn echo_server(
    listener: TcpListener,
    secret: SecretKey,
    client: PublicKey,
) -> Result<u64, Error> {
    let (tcp, peer) = listener.accept().await.map_err(|error| Error::Listen {
        addr: "127.0.0.1".into(),
        error,
    })?;
    let peer = peer.to_string();
    tcp.set_nodelay(true).map_err(|error| Error::Transport {
        peer: peer.clone(),
        error,
    })?;
    let session = |error| Error::Session {
        peer: peer.clone(),
        side: Side::Server,
        established: false,
        error,
    };
    let mut conn = Connection::with_identity(
        Role::AuthenticatingServer,
        Config::default(),
        Box::new(secret),
    )
    .map_err(session)?;
    conn.add_authorized_key(client).map_err(session)?;
    let stream = ossuary_tokio::accept(tcp, conn)
        .await
        .map_err(|e| Error::handshake(&peer, Side::Server, e))?;
    let (mut read_half, mut write_half) = stream.into_split();
    let echoed = tokio::io::copy(&mut read_half, &mut write_half)
        .await
        .map_err(|e| Error::from_stream(&peer, Side::Server, e))?;
    write_half
        .shutdown()
        .await
        .map_err(|e| Error::from_stream(&peer, Side::Server, e))?;
    Ok(echoed)
}
