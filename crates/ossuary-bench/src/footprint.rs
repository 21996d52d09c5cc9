//! What does not need timing: heap per established session, heap
//! allocations per record, and bytes on the wire.
//!
//! Heap figures come from the counting global allocator in `main.rs`: live
//! bytes (allocated minus freed) after a pair is established, minus before.
//! The share of each side is found by dropping the server first. Buffers the
//! harness owns (wire and plaintext buffers the caller would own) are
//! allocated before the first reading and are not counted.

use std::mem::size_of;

use ossuary_core::{Connection, RECORD_OVERHEAD};
use snow::TransportState;

use crate::harness::Group;
use crate::noise::{self, NoiseKeys, Pattern};
use crate::oss::{self, KeyInstall, Keys, Mode};
use crate::records::pattern;
use crate::tls::{self, Pki, Provider, Suite, TlsSetup};
use crate::{BenchResult, GLOBAL};

/// Bytes currently allocated on the heap by the whole process.
pub(crate) fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Allocation calls so far (`alloc` and `realloc`).
fn allocation_calls() -> usize {
    let s = GLOBAL.stats();
    s.allocations + s.reallocations
}

/// Heap bytes held by each side of one established session.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Heap {
    pub(crate) client: i64,
    pub(crate) server: i64,
    /// `size_of` the session objects themselves (wherever the caller keeps them).
    pub(crate) inline_client: usize,
    pub(crate) inline_server: usize,
}

/// Heap of both sides: `build` makes an established pair; the server is
/// dropped first to find its share. A first pair is built and dropped
/// unmeasured, so one-time initialisation (CPU feature detection, lazily
/// built tables) is not counted.
fn measure<C, S>(mut build: impl FnMut() -> BenchResult<(C, S)>) -> BenchResult<Heap> {
    drop(build()?);
    let before = live();
    let (client, server) = build()?;
    let both = live() - before;
    drop(server);
    let client_only = live() - before;
    drop(client);
    Ok(Heap {
        client: client_only,
        server: both - client_only,
        inline_client: size_of::<C>(),
        inline_server: size_of::<S>(),
    })
}

/// Sends `payload` from `from` to `to` the way `Stream` does: `send_data`
/// queues the record inside the connection, `recv_data` takes it from
/// `pending_output` without an intermediate copy.
fn ossuary_send(
    from: &mut Connection,
    to: &mut Connection,
    payload: &[u8],
    out: &mut [u8],
) -> BenchResult<()> {
    let sent = from.send_data(payload)?;
    if sent != payload.len() {
        return Err("send_data took part of the payload".into());
    }
    let wire = from.pending_output();
    let mut input = wire;
    let mut got = 0;
    while got < payload.len() {
        let p = to.recv_data(input, out.get_mut(got..).unwrap_or_default())?;
        if p.consumed == 0 && p.produced == 0 {
            return Err("recv_data made no progress".into());
        }
        input = input.get(p.consumed..).unwrap_or_default();
        got += p.produced;
    }
    let n = wire.len();
    from.advance_output(n);
    Ok(())
}

/// The heap figures of every contender.
pub(crate) struct HeapReport {
    pub(crate) ossuary_idle: Heap,
    pub(crate) ossuary_16k: Heap,
    pub(crate) ossuary_shared_idle: Heap,
    pub(crate) snow_idle: Heap,
    pub(crate) snow_16k: Heap,
    pub(crate) rustls_idle: Heap,
    pub(crate) rustls_16k: Heap,
}

const SIXTEEN_KIB: usize = 16 * 1024;

pub(crate) fn heap(pki: &Pki) -> BenchResult<HeapReport> {
    let keys = Keys::generate()?;
    let noise_keys = NoiseKeys::generate()?;
    let setup = TlsSetup::new(pki, Provider::Ring, Suite::ChaCha20Poly1305, false)?;
    let payload = pattern(SIXTEEN_KIB);
    let mut out = vec![0u8; SIXTEEN_KIB];
    let mut msg = vec![0u8; SIXTEEN_KIB + 16];
    let mut wire = Vec::with_capacity(4 * SIXTEEN_KIB);

    let ossuary = |install, traffic: bool, out: &mut [u8]| {
        measure(|| {
            let (mut c, mut s) = oss::new_pair(&keys, Mode::Mutual, install)?;
            oss::handshake(&mut c, &mut s)?;
            if traffic {
                ossuary_send(&mut c, &mut s, &payload, out)?;
                ossuary_send(&mut s, &mut c, &payload, out)?;
            }
            Ok((c, s))
        })
    };
    let ossuary_idle = ossuary(KeyInstall::Owned, false, &mut out)?;
    let ossuary_16k = ossuary(KeyInstall::Owned, true, &mut out)?;
    let ossuary_shared_idle = ossuary(KeyInstall::Shared, false, &mut out)?;

    let mut snow = |traffic: bool| {
        measure(|| {
            let (pair, _) = noise::handshake(Pattern::Xx, &noise_keys)?;
            let (mut i, mut r): (TransportState, TransportState) = (pair.initiator, pair.responder);
            if traffic {
                let n = i.write_message(&payload, &mut msg)?;
                r.read_message(&msg[..n], &mut out)?;
                let n = r.write_message(&payload, &mut msg)?;
                i.read_message(&msg[..n], &mut out)?;
            }
            Ok((i, r))
        })
    };
    let snow_idle = snow(false)?;
    let snow_16k = snow(true)?;

    let mut rustls = |traffic: bool| {
        measure(|| {
            let (mut c, mut s) = setup.pair()?;
            tls::handshake(&mut c, &mut s, &mut wire)?;
            if traffic {
                tls::transfer(&mut c, &mut s, &payload, &mut wire, &mut out)?;
                tls::transfer(&mut s, &mut c, &payload, &mut wire, &mut out)?;
            }
            Ok((c, s))
        })
    };
    let rustls_idle = rustls(false)?;
    let rustls_16k = rustls(true)?;

    Ok(HeapReport {
        ossuary_idle,
        ossuary_16k,
        ossuary_shared_idle,
        snow_idle,
        snow_16k,
        rustls_idle,
        rustls_16k,
    })
}

/// Heap allocation calls per record of each contender in a record group,
/// counted over `records` records after a warm-up.
pub(crate) fn allocations_per_record(group: &mut Group, records: u64) -> Vec<(&'static str, f64)> {
    let keys: Vec<&'static str> = group.contenders.iter().map(|c| c.key).collect();
    keys.into_iter()
        .map(|key| {
            let c = group.contender_mut(key);
            c.run_untimed(100);
            let before = allocation_calls();
            c.run_untimed(records);
            let calls = allocation_calls() - before;
            (key, calls as f64 / records as f64)
        })
        .collect()
}

/// Bytes on the wire: whole handshakes and per-record overhead.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WireReport {
    pub(crate) ossuary_mutual: oss::WireCount,
    pub(crate) ossuary_anon: oss::WireCount,
    pub(crate) ossuary_record: usize,
    pub(crate) snow_xx: noise::NoiseWire,
    pub(crate) snow_ik: noise::NoiseWire,
    pub(crate) snow_record: usize,
    pub(crate) tls_server: usize,
    pub(crate) tls_mutual: usize,
    pub(crate) tls_record: usize,
    /// rustls + aws-lc-rs with X25519MLKEM768 only (issue 14).
    pub(crate) tls_pq_server: usize,
    pub(crate) tls_pq_mutual: usize,
    /// The first two frames of a mutual Ossuary handshake, as queued.
    pub(crate) client_hello: usize,
    pub(crate) server_hello: usize,
}

pub(crate) fn wire(pki: &Pki) -> BenchResult<WireReport> {
    let keys = Keys::generate()?;
    let count = |mode| -> BenchResult<oss::WireCount> {
        let (mut c, mut s) = oss::new_pair(&keys, mode, KeyInstall::Shared)?;
        oss::handshake(&mut c, &mut s)
    };
    let ossuary_mutual = count(Mode::Mutual)?;
    let ossuary_anon = count(Mode::Anonymous)?;
    let (client, mut server) = oss::new_pair(&keys, Mode::Mutual, KeyInstall::Shared)?;
    let hello = client.pending_output();
    server.recv_handshake(hello)?;
    let (client_hello, server_hello) = (hello.len(), server.pending_output().len());

    let len = 1024;
    let (mut c, _s) = oss::connected(&keys, Mode::Mutual)?;
    let mut buf = vec![0u8; len + 2 * RECORD_OVERHEAD];
    let ossuary_record = c.seal_in_place(&mut buf, len)? - len;

    let noise_keys = NoiseKeys::generate()?;
    let (mut pair, snow_xx) = noise::handshake(Pattern::Xx, &noise_keys)?;
    let (_, snow_ik) = noise::handshake(Pattern::Ik, &noise_keys)?;
    let mut msg = vec![0u8; len + 64];
    let snow_record = pair.initiator.write_message(&pattern(len), &mut msg)? - len;

    let tls_bytes = |provider, mutual| -> BenchResult<usize> {
        let setup = TlsSetup::new(pki, provider, Suite::ChaCha20Poly1305, mutual)?;
        let (mut c, mut s) = setup.pair()?;
        let bytes = tls::handshake(&mut c, &mut s, &mut Vec::new())?;
        let group = c.negotiated_key_exchange_group().map(|g| g.name());
        let want = match provider {
            Provider::AwsLcMlKem => rustls::NamedGroup::X25519MLKEM768,
            Provider::Ring | Provider::AwsLc => rustls::NamedGroup::X25519,
        };
        if group != Some(want) {
            return Err(format!("rustls negotiated {group:?}, not {want:?}").into());
        }
        Ok(bytes)
    };
    let tls_server = tls_bytes(Provider::Ring, false)?;
    let tls_mutual = tls_bytes(Provider::Ring, true)?;
    let tls_pq_server = tls_bytes(Provider::AwsLcMlKem, false)?;
    let tls_pq_mutual = tls_bytes(Provider::AwsLcMlKem, true)?;
    let setup = TlsSetup::new(pki, Provider::Ring, Suite::ChaCha20Poly1305, false)?;
    let (mut c, mut s) = setup.connected()?;
    let mut out = vec![0u8; len];
    let tls_record = tls::transfer(&mut c, &mut s, &pattern(len), &mut Vec::new(), &mut out)? - len;

    Ok(WireReport {
        ossuary_mutual,
        ossuary_anon,
        ossuary_record,
        snow_xx,
        snow_ik,
        snow_record,
        tls_server,
        tls_mutual,
        tls_record,
        tls_pq_server,
        tls_pq_mutual,
        client_hello,
        server_hello,
    })
}
