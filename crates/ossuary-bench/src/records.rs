//! Records, one direction: the sender seals, the receiver opens, and the
//! figure is plaintext megabytes per second through both.
//!
//! Every contender runs in one thread with both ends in memory, so the
//! figure is the cost of sealing plus opening one record of the size, as
//! the raw AEAD's is.

use std::hint::black_box;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use ossuary_core::{Connection, Opened, RECORD_OVERHEAD};

use crate::harness::{Body, Contender, Group, timed};
use crate::oss::{self, Keys, Mode};
use crate::tls::{self, Pki, Provider, Suite, TlsSetup};
use crate::{BenchResult, noise};

/// Ossuary's record header, the AEAD's associated data in every raw
/// contender too (type DATA, length).
fn header(len: usize) -> [u8; 3] {
    let body = u16::try_from(len + 16).unwrap_or(u16::MAX).to_be_bytes();
    [0x10, body[0], body[1]]
}

/// A nonce as Ossuary builds it: 4 zero bytes and a big-endian counter.
fn nonce(counter: u64) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    n
}

/// A deterministic payload (its content does not matter to any cipher).
pub(crate) fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// Seal in place on the client, open in place on the server.
fn ossuary_in_place(keys: &Keys, len: usize) -> BenchResult<Body> {
    let (mut client, mut server) = oss::connected(keys, Mode::Mutual)?;
    // Room for the record and for the KEY_UPDATE that may follow it.
    let mut buf = vec![0u8; len + 2 * RECORD_OVERHEAD];
    buf[3..3 + len].copy_from_slice(&pattern(len));
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let n = client.seal_in_place(&mut buf, len).expect("seal_in_place");
            let (record, rest) = buf.split_at_mut(len + RECORD_OVERHEAD);
            let opened = server.open_in_place(record).expect("open_in_place");
            assert_eq!(opened, Opened::Data(3..3 + len));
            // An automatic key update (after 2^24 records) follows the record.
            if n > record.len() {
                let update = rest.get_mut(..n - record.len()).expect("key update");
                let opened = server.open_in_place(update).expect("open key update");
                assert_eq!(opened, Opened::KeyUpdate);
            }
        })
    }))
}

/// `send_data` into the connection's output queue, `recv_data` straight
/// out of it (`pending_output`), as `Stream` does.
fn ossuary_copying(keys: &Keys, len: usize) -> BenchResult<Body> {
    let (mut client, mut server) = oss::connected(keys, Mode::Mutual)?;
    let payload = pattern(len);
    let mut out = vec![0u8; len];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let sent = client.send_data(&payload).expect("send_data");
            assert_eq!(sent, len);
            let wire = client.pending_output();
            let got = recv_all(&mut server, wire, &mut out);
            assert_eq!(got, len);
            let n = wire.len();
            client.advance_output(n);
        })
    }))
}

/// Feeds all of `input` to `conn`, returning the plaintext bytes produced.
fn recv_all(conn: &mut Connection, mut input: &[u8], out: &mut [u8]) -> usize {
    let mut produced = 0;
    while !input.is_empty() || produced == 0 {
        let p = conn
            .recv_data(input, out.get_mut(produced..).unwrap_or_default())
            .expect("recv_data");
        if p.consumed == 0 && p.produced == 0 {
            break;
        }
        input = &input[p.consumed..];
        produced += p.produced;
    }
    produced
}

/// RustCrypto `chacha20poly1305`, as Ossuary's default backend calls it
/// (`encrypt_inout_detached` / `decrypt_inout_detached`: the in-place
/// detached calls of aead 0.6), with a sealing and an opening key.
fn raw_rustcrypto(len: usize) -> Body {
    let key = [0x42u8; 32];
    let sealer = ChaCha20Poly1305::new(&key.into());
    let opener = ChaCha20Poly1305::new(&key.into());
    let ad = header(len);
    let mut buf = pattern(len);
    let mut counter = 0u64;
    Box::new(move |iters| {
        timed(iters, || {
            let n = nonce(counter);
            counter += 1;
            let tag = sealer
                .encrypt_inout_detached(&n.into(), &ad, buf.as_mut_slice().into())
                .expect("seal");
            opener
                .decrypt_inout_detached(&n.into(), &ad, buf.as_mut_slice().into(), &tag)
                .expect("open");
        })
    })
}

/// ring's ChaCha20-Poly1305 (`LessSafeKey`, in place, detached tag).
fn raw_ring(len: usize) -> BenchResult<Body> {
    use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    let key = [0x42u8; 32];
    let sealer = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key)?);
    let opener = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key)?);
    let ad = header(len);
    let mut buf = pattern(len);
    let mut counter = 0u64;
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let n = nonce(counter);
            counter += 1;
            let tag = sealer
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from(ad),
                    &mut buf,
                )
                .expect("seal");
            opener
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from(ad),
                    tag,
                    &mut buf,
                    0..,
                )
                .expect("open");
        })
    }))
}

/// aws-lc-rs's ChaCha20-Poly1305 (`LessSafeKey`, in place, detached tag).
fn raw_aws_lc(len: usize) -> BenchResult<Body> {
    use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
    let key = [0x42u8; 32];
    let sealer = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key)?);
    let opener = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &key)?);
    let ad = header(len);
    let mut buf = pattern(len);
    let mut counter = 0u64;
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let n = nonce(counter);
            counter += 1;
            let tag = sealer
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from(ad),
                    &mut buf,
                )
                .expect("seal");
            opener
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(n),
                    Aad::from(ad),
                    tag.as_ref(),
                    &mut buf,
                )
                .expect("open");
        })
    }))
}

/// snow transport mode: `write_message` / `read_message`.
fn snow(keys: &noise::NoiseKeys, len: usize) -> BenchResult<Body> {
    let (mut pair, _) = noise::handshake(noise::Pattern::Xx, keys)?;
    let payload = pattern(len);
    let mut msg = vec![0u8; len + 16];
    let mut out = vec![0u8; len];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let n = pair
                .initiator
                .write_message(&payload, &mut msg)
                .expect("write_message");
            let m = pair
                .responder
                .read_message(&msg[..n], &mut out)
                .expect("read_message");
            assert_eq!(black_box(m), len);
        })
    }))
}

/// rustls: `writer().write_all`, `write_tls`, `read_tls`,
/// `process_new_packets`, `reader().read`.
fn rustls(setup: &TlsSetup, len: usize) -> BenchResult<Body> {
    let (mut client, mut server) = setup.connected()?;
    let payload = pattern(len);
    let mut wire = Vec::with_capacity(len + 1024);
    let mut out = vec![0u8; len];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            tls::transfer(&mut client, &mut server, &payload, &mut wire, &mut out)
                .expect("rustls transfer");
        })
    }))
}

/// Everything record-related that is set up once and shared by the sizes.
pub(crate) struct Peers {
    pub(crate) keys: Keys,
    pub(crate) noise: noise::NoiseKeys,
    pub(crate) tls_ring: TlsSetup,
    pub(crate) tls_aws: TlsSetup,
    pub(crate) tls_aws_aes: TlsSetup,
}

impl Peers {
    pub(crate) fn new(pki: &Pki) -> BenchResult<Self> {
        Ok(Self {
            keys: Keys::generate()?,
            noise: noise::NoiseKeys::generate()?,
            tls_ring: TlsSetup::new(pki, Provider::Ring, Suite::ChaCha20Poly1305, false)?,
            tls_aws: TlsSetup::new(pki, Provider::AwsLc, Suite::ChaCha20Poly1305, false)?,
            tls_aws_aes: TlsSetup::new(pki, Provider::AwsLc, Suite::Aes256Gcm, false)?,
        })
    }
}

/// Contender keys, in table order.
pub(crate) const IN_PLACE: &str = "inplace";
pub(crate) const COPYING: &str = "copying";
pub(crate) const RAW_RUSTCRYPTO: &str = "raw-rustcrypto";
pub(crate) const RAW_RING: &str = "raw-ring";
pub(crate) const RAW_AWS_LC: &str = "raw-aws-lc";
pub(crate) const SNOW: &str = "snow";
pub(crate) const RUSTLS_RING: &str = "rustls-ring";
pub(crate) const RUSTLS_AWS_LC: &str = "rustls-aws-lc";
pub(crate) const RUSTLS_AES: &str = "rustls-aws-lc-aes";

/// The peers a user would pick instead (the "best of snow and rustls").
pub(crate) const PEERS: &[&str] = &[SNOW, RUSTLS_RING, RUSTLS_AWS_LC];

/// The record group for one plaintext size.
pub(crate) fn group(name: &'static str, peers: &Peers, len: usize) -> BenchResult<Group> {
    Ok(Group::new(
        name,
        vec![
            Contender::throughput(
                IN_PLACE,
                "Ossuary in-place (seal_in_place + open_in_place)",
                len,
                ossuary_in_place(&peers.keys, len)?,
            ),
            Contender::throughput(
                COPYING,
                "Ossuary copying (send_data + recv_data)",
                len,
                ossuary_copying(&peers.keys, len)?,
            ),
            Contender::throughput(
                RAW_RUSTCRYPTO,
                "raw ChaCha20-Poly1305, RustCrypto chacha20poly1305 0.11",
                len,
                raw_rustcrypto(len),
            ),
            Contender::throughput(
                RAW_RING,
                "raw ChaCha20-Poly1305, ring 0.17",
                len,
                raw_ring(len)?,
            ),
            Contender::throughput(
                RAW_AWS_LC,
                "raw ChaCha20-Poly1305, aws-lc-rs 1",
                len,
                raw_aws_lc(len)?,
            ),
            Contender::throughput(
                SNOW,
                "snow 0.10 transport (ring resolver)",
                len,
                snow(&peers.noise, len)?,
            ),
            Contender::throughput(
                RUSTLS_RING,
                "rustls 0.23 + ring, CHACHA20_POLY1305",
                len,
                rustls(&peers.tls_ring, len)?,
            ),
            Contender::throughput(
                RUSTLS_AWS_LC,
                "rustls 0.23 + aws-lc-rs, CHACHA20_POLY1305",
                len,
                rustls(&peers.tls_aws, len)?,
            ),
            Contender::throughput(
                RUSTLS_AES,
                "rustls 0.23 + aws-lc-rs, AES_256_GCM (info)",
                len,
                rustls(&peers.tls_aws_aes, len)?,
            ),
        ],
    ))
}
