//! Records through the C API against the same records through the Rust API,
//! interleaved round by round in one process (`cargo xtask bench` runs it
//! with the profile and flags the shipped library is built with; issue 11:
//! the C API reaches at least 0.95x the Rust API).
//!
//! The C functions are called through `extern "C"` function pointers hidden
//! from the optimiser (`black_box`), as a C program linking `libossuary.a`
//! calls them: nothing of the boundary is inlined into the caller. Each
//! contender seals records of one size on a client and opens them on a
//! server:
//!
//! - copying: `ossuary_conn_send` + `ossuary_conn_take_output` +
//!   `ossuary_conn_recv`, against `Connection::send_data` +
//!   `pending_output` + `recv_data` (the C side copies the records out of
//!   the library once more, which is what a C caller does before `send()`);
//! - in place: `ossuary_conn_seal_in_place` + `ossuary_conn_open_in_place`,
//!   against `Connection::seal_in_place` + `open_in_place`.
//!
//! The harness and the table are the benchmark's own (`ossuary-bench`),
//! compiled in here rather than shared through a dependency that would
//! bring the benchmark's peers (and other ossuary-core features) into this
//! build.
#![allow(unsafe_code, missing_docs, unreachable_pub)]

// Not every helper is used here; under `cargo bench` (cfg(test) without
// the test harness) the harness's test module compiles empty.
#[allow(dead_code, unused_imports)]
#[path = "../../ossuary-bench/src/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../ossuary-bench/src/report.rs"]
mod report;

use std::hint::black_box;
use std::process::ExitCode;
use std::ptr;
use std::time::Duration;

use ossuary::{OSSUARY_SEAL_ROOM, OssuaryConnection};
use ossuary_core::{Config, Connection, HandshakeStatus, Opened, RECORD_OVERHEAD, Role};

use crate::harness::{Body, Contender, Group, per_round, timed};
use crate::report::{Table, Target};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The record sizes: a small message, a typical buffer, the largest record.
const SIZES: [(usize, &str); 3] = [(1024, "1 KiB"), (16384, "16 KiB"), (65519, "65519 B")];

/// The target for every C / Rust ratio.
const TARGET: f64 = 0.95;

type SendFn = unsafe extern "C" fn(*mut OssuaryConnection, *const u8, usize, *mut usize) -> i32;
type TakeFn = unsafe extern "C" fn(*mut OssuaryConnection, *mut u8, usize, *mut usize) -> i32;
type RecvFn = unsafe extern "C" fn(
    *mut OssuaryConnection,
    *const u8,
    usize,
    *mut u8,
    usize,
    *mut usize,
    *mut usize,
) -> i32;
type SealFn =
    unsafe extern "C" fn(*mut OssuaryConnection, *mut u8, usize, usize, *mut usize) -> i32;
type OpenFn = unsafe extern "C" fn(
    *mut OssuaryConnection,
    *mut u8,
    usize,
    *mut usize,
    *mut usize,
    *mut i32,
) -> i32;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// A Rust client and open server, handshake done.
fn rust_pair() -> BenchResult<(Connection, Connection)> {
    let (secret, public) = ossuary_core::generate_keypair()?;
    let mut client = Connection::client(Config::default())?;
    client.add_authorized_key(public)?;
    let mut server =
        Connection::with_identity(Role::OpenServer, Config::default(), Box::new(secret))?;
    let pump = |from: &mut Connection, to: &mut Connection| -> BenchResult<()> {
        let n = to.recv_handshake(from.pending_output())?;
        from.advance_output(n);
        Ok(())
    };
    for _ in 0..8 {
        pump(&mut client, &mut server)?;
        pump(&mut server, &mut client)?;
        let done = |c: &Connection| matches!(c.handshake_status(), Ok(HandshakeStatus::Done));
        if done(&client) && done(&server) {
            return Ok((client, server));
        }
    }
    Err("Rust handshake did not finish".into())
}

/// Fails with the library's message for a negative code.
fn check(what: &str, code: i32) -> BenchResult<i32> {
    if code >= 0 {
        return Ok(code);
    }
    let msg = ossuary::ossuary_error_string(code).to_str().to_owned();
    Err(format!("{what}: {code} ({msg})").into())
}

/// A C client and open server, handshake done, made and driven through the
/// exported functions only.
struct CPair {
    client: *mut OssuaryConnection,
    server: *mut OssuaryConnection,
}

impl CPair {
    fn new() -> BenchResult<Self> {
        let mut pair = Self {
            client: ptr::null_mut(),
            server: ptr::null_mut(),
        };
        let (mut secret, mut public) = ([0u8; 32], [0u8; 32]);
        // SAFETY: every pointer is valid for the lengths passed; the handles
        // written are owned by `pair` and freed by its Drop.
        unsafe {
            check(
                "generate keypair",
                ossuary::ossuary_generate_auth_keypair(
                    secret.as_mut_ptr(),
                    32,
                    public.as_mut_ptr(),
                    32,
                ),
            )?;
            check(
                "new server",
                ossuary::ossuary_conn_new_server(2, secret.as_ptr(), 0, &mut pair.server),
            )?;
            check(
                "new client",
                ossuary::ossuary_conn_new_client(ptr::null(), 0, &mut pair.client),
            )?;
            check(
                "pin server key",
                ossuary::ossuary_conn_add_authorized_key(pair.client, public.as_ptr()),
            )?;
        }
        let mut buf = vec![0u8; 4096];
        for _ in 0..8 {
            for (from, to) in [(pair.client, pair.server), (pair.server, pair.client)] {
                let (mut n, mut used) = (0usize, 0usize);
                // SAFETY: live handles; `buf` is valid for its length.
                unsafe {
                    check(
                        "take output",
                        ossuary::ossuary_conn_take_output(
                            from,
                            buf.as_mut_ptr(),
                            buf.len(),
                            &mut n,
                        ),
                    )?;
                    check(
                        "recv handshake",
                        ossuary::ossuary_conn_recv_handshake(to, buf.as_ptr(), n, &mut used),
                    )?;
                }
                if used != n {
                    return Err(format!("handshake input left over: {used} of {n}").into());
                }
            }
            // SAFETY: live handles.
            let done = unsafe {
                ossuary::ossuary_conn_handshake_status(pair.client) == 1
                    && ossuary::ossuary_conn_handshake_status(pair.server) == 1
            };
            if done {
                return Ok(pair);
            }
        }
        Err("C handshake did not finish".into())
    }
}

impl Drop for CPair {
    fn drop(&mut self) {
        // SAFETY: the handles came from the constructors (or are NULL, a
        // no-op) and are not used after this.
        unsafe {
            ossuary::ossuary_destroy_connection(&mut self.client);
            ossuary::ossuary_destroy_connection(&mut self.server);
        }
    }
}

fn rust_copying(len: usize) -> BenchResult<Body> {
    let (mut client, mut server) = rust_pair()?;
    let payload = pattern(len);
    let mut out = vec![0u8; len];
    Ok(Box::new(move |iters| {
        timed(iters, || {
            assert_eq!(client.send_data(&payload).expect("send_data"), len);
            let mut wire = client.pending_output();
            let mut produced = 0;
            while !wire.is_empty() {
                let p = server
                    .recv_data(wire, &mut out[produced..])
                    .expect("recv_data");
                wire = &wire[p.consumed..];
                produced += p.produced;
            }
            assert_eq!(produced, len);
            let n = client.pending_output().len();
            client.advance_output(n);
        })
    }))
}

fn c_copying(len: usize) -> BenchResult<Body> {
    let pair = CPair::new()?;
    let send: SendFn = black_box(ossuary::ossuary_conn_send);
    let take: TakeFn = black_box(ossuary::ossuary_conn_take_output);
    let recv: RecvFn = black_box(ossuary::ossuary_conn_recv);
    let payload = pattern(len);
    let mut wire = vec![0u8; len + OSSUARY_SEAL_ROOM];
    let mut out = vec![0u8; len];
    Ok(Box::new(move |iters| {
        // The closure must own the pair (and so keep the connections
        // alive), not just copy its two pointers.
        let pair = &pair;
        timed(iters, || {
            let (mut sent, mut n) = (0usize, 0usize);
            // SAFETY: live handles; every buffer is valid for the length
            // passed with it.
            unsafe {
                assert_eq!(send(pair.client, payload.as_ptr(), len, &mut sent), 0);
                assert_eq!(sent, len);
                assert_eq!(take(pair.client, wire.as_mut_ptr(), wire.len(), &mut n), 0);
            }
            let (mut off, mut produced) = (0usize, 0usize);
            while off < n {
                let (mut used, mut got) = (0usize, 0usize);
                // SAFETY: as above; `off <= n <= wire.len()` and
                // `produced <= out.len()`.
                let r = unsafe {
                    recv(
                        pair.server,
                        wire.as_ptr().add(off),
                        n - off,
                        out.as_mut_ptr().add(produced),
                        len - produced,
                        &mut used,
                        &mut got,
                    )
                };
                assert!(r >= 0, "ossuary_conn_recv: {r}");
                off += used;
                produced += got;
            }
            assert_eq!(produced, len);
        })
    }))
}

fn rust_in_place(len: usize) -> BenchResult<Body> {
    let (mut client, mut server) = rust_pair()?;
    let mut buf = vec![0u8; len + 2 * RECORD_OVERHEAD];
    buf[3..3 + len].copy_from_slice(&pattern(len));
    Ok(Box::new(move |iters| {
        timed(iters, || {
            let n = client.seal_in_place(&mut buf, len).expect("seal_in_place");
            let (record, rest) = buf.split_at_mut(len + RECORD_OVERHEAD);
            assert_eq!(
                server.open_in_place(record).expect("open_in_place"),
                Opened::Data(3..3 + len)
            );
            // An automatic key update (after 2^24 records) follows the record.
            if n > record.len() {
                let update = &mut rest[..n - record.len()];
                assert_eq!(
                    server.open_in_place(update).expect("key update"),
                    Opened::KeyUpdate
                );
            }
        })
    }))
}

fn c_in_place(len: usize) -> BenchResult<Body> {
    let pair = CPair::new()?;
    let seal: SealFn = black_box(ossuary::ossuary_conn_seal_in_place);
    let open: OpenFn = black_box(ossuary::ossuary_conn_open_in_place);
    let mut buf = vec![0u8; len + OSSUARY_SEAL_ROOM];
    buf[3..3 + len].copy_from_slice(&pattern(len));
    let record = len + RECORD_OVERHEAD;
    Ok(Box::new(move |iters| {
        // Owns the pair, as above.
        let pair = &pair;
        timed(iters, || {
            let (mut n, mut off, mut plain, mut kind) = (0usize, 0usize, 0usize, -1i32);
            let base = buf.as_mut_ptr();
            // SAFETY: live handles; `buf` is valid for `buf.len()` bytes,
            // the record for its first `record` bytes and a key update, if
            // any, for the `n - record` after it.
            unsafe {
                assert_eq!(seal(pair.client, base, buf.len(), len, &mut n), 0);
                assert_eq!(
                    open(pair.server, base, record, &mut off, &mut plain, &mut kind),
                    0
                );
                assert_eq!((off, plain, kind), (3, len, 0));
                if n > record {
                    let r = open(
                        pair.server,
                        base.add(record),
                        n - record,
                        &mut off,
                        &mut plain,
                        &mut kind,
                    );
                    assert_eq!(r, 0);
                }
            }
        })
    }))
}

struct Options {
    rounds: usize,
    sample: Duration,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        rounds: 21,
        sample: Duration::from_millis(40),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--quick" => {
                opts.rounds = 9;
                opts.sample = Duration::from_millis(8);
            }
            "--rounds" => {
                opts.rounds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--rounds needs a positive number")?;
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (use --quick or --rounds N)"
                ));
            }
        }
    }
    Ok(opts)
}

fn run(opts: &Options) -> BenchResult<Table> {
    let mut t = Table::default();
    t.section("Records through the C API against the Rust API (seal + open, in memory)");
    for (len, name) in SIZES {
        let mut g = Group::new(
            name,
            vec![
                Contender::throughput(
                    "rust-copy",
                    format!("Rust API, copying, {name}"),
                    len,
                    rust_copying(len)?,
                ),
                Contender::throughput(
                    "c-copy",
                    format!("C API, copying, {name}"),
                    len,
                    c_copying(len)?,
                ),
                Contender::throughput(
                    "rust-inplace",
                    format!("Rust API, in place, {name}"),
                    len,
                    rust_in_place(len)?,
                ),
                Contender::throughput(
                    "c-inplace",
                    format!("C API, in place, {name}"),
                    len,
                    c_in_place(len)?,
                ),
            ],
        );
        g.run(opts.rounds, opts.sample);
        for c in &g.contenders {
            t.timed(&c.label, &c.samples, c.unit, "");
        }
        for (c, rust, what) in [
            ("c-copy", "rust-copy", "copying"),
            ("c-inplace", "rust-inplace", "in place"),
        ] {
            let ratio = per_round(&[g.samples(c), g.samples(rust)], |r| r[0] / r[1]);
            let label = format!("C API / Rust API, {what}, {name}");
            t.ratio(&label, &ratio, Some((Target::AtLeast(TARGET), &label)));
        }
    }
    Ok(t)
}

fn main() -> ExitCode {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("c_api bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(t) => {
            println!("{}", t.render());
            let met = t.verdicts.iter().filter(|v| v.met).count();
            println!("C API targets: {met} of {} met.", t.verdicts.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("c_api bench: {e}");
            ExitCode::FAILURE
        }
    }
}
