//! The `ffi_calls` fuzz target's driver: arbitrary sequences of the C API's
//! entry points, with arbitrary arguments, over a few handles, called as a
//! C program calls them (raw pointers, integers for enums and flags).
//!
//! It is not part of the library (which carries no fuzzing machinery): this
//! directory sits beside `src/`, and is compiled into the fuzz target
//! (`fuzz/fuzz_targets/ffi_calls.rs`) and into the replay test
//! (`tests/fuzz_regressions.rs`) with `#[path]`. It lives under
//! `crates/ossuary-ffi` because it must call the `unsafe` entry points, and
//! `unsafe` is allowed only there (`cargo xtask tidy`, which also allows
//! the fuzz targets to compile in code from outside `fuzz/` from this
//! directory alone); every block says why it is sound.
//!
//! What it passes: NULL for every pointer; lengths that are zero, short,
//! exact, larger than needed, and larger than the address space (those the
//! functions must refuse before touching memory); buffers that overlap
//! where the documentation allows it (the receive functions; `ossuary_recv_data`
//! also with both length pointers the same variable); out-of-range enum and
//! flag integers; handles destroyed through the `**` form and used again
//! (they are NULL then); bytes moved between handles, altered, or made up;
//! signer callbacks that sign, fail or lie. It never passes a pointer that
//! is dangling or shorter than the length given with it (that would be a
//! bug in the harness, not in the library): it tracks which handles are
//! live, and every buffer lies in its arena.
//!
//! What it checks, besides "no crash": every status is a documented code
//! and never `OSSUARY_ERR_PANIC`; a NULL handle gives
//! `OSSUARY_ERR_NULL_ARGUMENT`; the typed functions write their outputs only
//! on success, and counts never exceed what they could be; destroy sets the
//! handle to NULL; `free_user_data` runs exactly once per hand-over and
//! `sign` never after it; the errors of the receive functions are sticky;
//! and, while a handle has only ever received one peer's output unchanged
//! and in order, its plaintext is a prefix of what that peer was given to
//! send (no plaintext is lost, duplicated, reordered or corrupted at the
//! boundary: the overlapping-buffer and staging paths included).
//!
//! The input is read one byte at a time (missing bytes read as zero), so
//! every byte string is a valid program; [`Program`] writes seeds.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::ptr::NonNull;

use ossuary::{
    OSSUARY_VERSION_MAJOR, OSSUARY_VERSION_MINOR, OSSUARY_VERSION_PATCH, OssuaryConnection,
    OssuaryErr, ossuary_destroy_connection, ossuary_error_string, ossuary_version,
};
use ossuary_core::SecretKey;
use safer_ffi::prelude::char_p;

mod args;
mod setup;
mod signer;
mod streams;
mod traffic;

use signer::Token;

/// Handles the program works on.
const SLOTS: usize = 4;
/// Operations per input, at most (a handshake costs a few hundred µs).
const MAX_OPS: usize = 128;
/// Each half of the arena: room for the largest record plus an offset.
const HALF: usize = 66 * 1024;
/// Largest offset of a buffer inside its half.
const MAX_OFF: usize = 64;
/// `OSSUARY_ERR_PANIC`: never acceptable.
const PANIC: i32 = -4;

/// Identity seeds the keys of the program come from.
const SEEDS: [[u8; 32]; 4] = [[0x11; 32], [0x22; 32], [0x33; 32], [0x44; 32]];

/// Runs one program; returns what it did (for the seeds' tests).
pub(crate) fn run(data: &[u8]) -> Outcome {
    let mut driver = Driver::new();
    let mut input = Input { data };
    let mut ops = 0;
    while !input.data.is_empty() && ops < MAX_OPS {
        driver.step(&mut input);
        ops += 1;
    }
    driver.finish()
}

/// What a program did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Plaintext bytes released.
    pub(crate) plaintext: usize,
    /// Plaintext bytes released while the oracle could check them.
    pub(crate) checked_plaintext: usize,
    /// Signatures a signer callback was asked for.
    pub(crate) signer_calls: u32,
}

/// The input, one byte at a time; zeros once it is used up.
struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// True for one byte value in `n`.
    fn one_in(&mut self, n: u8) -> bool {
        self.u8().is_multiple_of(n)
    }

    fn slot(&mut self) -> usize {
        usize::from(self.u8()) % SLOTS
    }
}

/// The operations, by their first byte (modulo the count).
#[derive(Clone, Copy)]
#[repr(u8)]
pub(crate) enum Op {
    /// `slot type key`: `ossuary_create_connection`.
    Create,
    /// `slot key flags out`: `ossuary_conn_new_client`.
    NewClient,
    /// `slot role key flags out`: `ossuary_conn_new_server`.
    NewServer,
    /// `slot side role public mode user_data free flags out`: the
    /// `_with_signer` constructors.
    NewWithSigner,
    /// `slot public mode user_data free sign`: `ossuary_conn_set_signer`.
    SetSigner,
    /// `slot form`: `ossuary_destroy_connection`.
    Destroy,
    /// `slot key`: `ossuary_set_secret_key`.
    SetSecretKey,
    /// `slot key`: `ossuary_add_authorized_key`.
    AddKey,
    /// `slot n key*n count array`: `ossuary_add_authorized_keys`.
    AddKeys,
    /// `slot key`: `ossuary_conn_add_authorized_key`.
    ConnAddKey,
    /// `slot region`: `ossuary_remote_public_key`.
    RemoteKey,
    /// `slot region`: `ossuary_conn_local_public_key`.
    LocalKey,
    /// `region region`: `ossuary_generate_auth_keypair`.
    GenerateKeypair,
    /// `slot region lenptr`: `ossuary_send_handshake`.
    SendHandshake,
    /// `slot source region lenptr`: `ossuary_recv_handshake`.
    RecvHandshake,
    /// `slot`: `ossuary_handshake_done`.
    HandshakeDone,
    /// `slot len region region lenptr`: `ossuary_send_data`.
    SendData,
    /// `slot source layout region region lenptrs`: `ossuary_recv_data`.
    RecvData,
    /// `slot region`: `ossuary_flush`.
    Flush,
    /// `slot len region outptr`: `ossuary_conn_send`.
    ConnSend,
    /// `slot outptr`: `ossuary_conn_pending_output`.
    PendingOutput,
    /// `slot region outptr`: `ossuary_conn_take_output`.
    TakeOutput,
    /// `slot source region outptr`: `ossuary_conn_recv_handshake`.
    ConnRecvHandshake,
    /// `slot`: `ossuary_conn_handshake_status`.
    HandshakeStatus,
    /// `slot source layout region region outptrs`: `ossuary_conn_recv`.
    ConnRecv,
    /// `slot`: `ossuary_conn_close`.
    Close,
    /// `slot`: `ossuary_conn_update_keys`.
    UpdateKeys,
    /// `slot`: `ossuary_conn_trust_server`.
    TrustServer,
    /// `slot`: `ossuary_conn_reject_server`.
    RejectServer,
    /// `slot`: `ossuary_conn_peer_closed`.
    PeerClosed,
    /// `slot`: `ossuary_conn_end_of_input`.
    EndOfInput,
    /// `slot`: `ossuary_conn_reset`.
    Reset,
    /// `slot len room offset outptr`: `ossuary_conn_seal_in_place`.
    SealInPlace,
    /// `slot source shape outptrs`: `ossuary_conn_open_in_place`.
    OpenInPlace,
    /// `code(4)`: `ossuary_error_string`.
    ErrorString,
    /// `ossuary_version`.
    Version,
    /// `which ...`: the keys functions (no file is ever created).
    KeyText,
    /// `slot kind pos(2) value`: alters the bytes waiting in a handle's outbox.
    Mutate,
    /// `a b rounds`: moves output between two handles until it stops.
    Pump,
}

/// How many operations there are.
const OPS: u8 = Op::Pump as u8 + 1;

impl Op {
    fn from_byte(b: u8) -> Self {
        const ALL: [Op; OPS as usize] = [
            Op::Create,
            Op::NewClient,
            Op::NewServer,
            Op::NewWithSigner,
            Op::SetSigner,
            Op::Destroy,
            Op::SetSecretKey,
            Op::AddKey,
            Op::AddKeys,
            Op::ConnAddKey,
            Op::RemoteKey,
            Op::LocalKey,
            Op::GenerateKeypair,
            Op::SendHandshake,
            Op::RecvHandshake,
            Op::HandshakeDone,
            Op::SendData,
            Op::RecvData,
            Op::Flush,
            Op::ConnSend,
            Op::PendingOutput,
            Op::TakeOutput,
            Op::ConnRecvHandshake,
            Op::HandshakeStatus,
            Op::ConnRecv,
            Op::Close,
            Op::UpdateKeys,
            Op::TrustServer,
            Op::RejectServer,
            Op::PeerClosed,
            Op::EndOfInput,
            Op::Reset,
            Op::SealInPlace,
            Op::OpenInPlace,
            Op::ErrorString,
            Op::Version,
            Op::KeyText,
            Op::Mutate,
            Op::Pump,
        ];
        ALL[usize::from(b % OPS)]
    }
}

/// Where the bytes of a receive call come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The front of a handle's outbox.
    Slot(usize),
    /// Made up.
    Raw(&'a [u8]),
}

/// A buffer argument: NULL or inside the arena, with the length passed.
#[derive(Clone, Copy)]
struct Region {
    ptr: *mut u8,
    len: usize,
}

impl Region {
    /// Whether the length is one no buffer can have (refused unread).
    fn huge(self) -> bool {
        isize::try_from(self.len).is_err()
    }
}

/// Which half of the arena a buffer lies in (buffers that must not overlap
/// are taken from different halves).
#[derive(Clone, Copy, PartialEq)]
enum Half {
    A,
    B,
    Any,
}

/// One handle and what the driver knows of its streams.
struct Slot {
    conn: *mut OssuaryConnection,
    /// Bumped whenever the handle's sessions start over (new handle, reset).
    epoch: u32,
    /// Plaintext it accepted for sending, this epoch.
    sent: Vec<u8>,
    /// Plaintext it released, this epoch.
    received: Vec<u8>,
    /// The handle (and its epoch) all its input came from.
    source: Option<(usize, u32)>,
    /// Whether all its input came from `source`'s outbox, in order, unchanged.
    clean: bool,
    /// Bytes it wrote, not yet delivered.
    outbox: Vec<u8>,
    /// Whether `outbox` was altered.
    tainted: bool,
    /// The handle (and epoch) that reads `outbox`.
    reader: Option<(usize, u32)>,
    /// A sticky error a receive call returned.
    failed: Option<i32>,
}

impl Slot {
    fn empty() -> Self {
        Self {
            conn: core::ptr::null_mut(),
            epoch: 0,
            sent: Vec::new(),
            received: Vec::new(),
            source: None,
            clean: true,
            outbox: Vec::new(),
            tainted: false,
            reader: None,
            failed: None,
        }
    }

    /// Forgets the streams: a new handle, or a new session.
    fn restart(&mut self) {
        self.epoch += 1;
        self.sent.clear();
        self.received.clear();
        self.source = None;
        self.clean = true;
        self.outbox.clear();
        self.tainted = false;
        self.reader = None;
        self.failed = None;
    }
}

/// The program's state: the handles and their streams, the arena every
/// buffer argument lies in, the signer hand-overs.
struct Driver {
    slots: [Slot; SLOTS],
    /// Two halves of `HALF` bytes; every buffer argument lies in one.
    arena: Vec<u8>,
    /// Every signer hand-over: allocated by [`Driver::token`] with
    /// `Box::into_raw`, since its address is handed to the library as
    /// `user_data`, and freed when the driver is dropped, after every handle.
    tokens: Vec<NonNull<Token>>,
    /// Public keys of `SEEDS`.
    publics: [[u8; 32]; 4],
    outcome: Outcome,
}

impl Driver {
    fn new() -> Self {
        Self {
            slots: core::array::from_fn(|_| Slot::empty()),
            arena: vec![0; 2 * HALF],
            tokens: Vec::new(),
            publics: SEEDS.map(|s| SecretKey::from_bytes(&s).public_key().to_bytes()),
            outcome: Outcome::default(),
        }
    }

    fn step(&mut self, input: &mut Input<'_>) {
        let op = Op::from_byte(input.u8());
        match op {
            Op::Create => self.create(input),
            Op::NewClient => self.new_client(input),
            Op::NewServer => self.new_server(input),
            Op::NewWithSigner => self.new_with_signer(input),
            Op::SetSigner => self.set_signer(input),
            Op::Destroy => self.destroy(input),
            Op::SetSecretKey | Op::AddKey | Op::ConnAddKey => self.key_call(op, input),
            Op::AddKeys => self.add_keys(input),
            Op::RemoteKey | Op::LocalKey => self.read_key(op, input),
            Op::GenerateKeypair => self.generate_keypair(input),
            Op::SendHandshake | Op::Flush | Op::TakeOutput => self.take_output(op, input),
            Op::RecvHandshake => {
                let slot = input.slot();
                let source = self.source(input);
                let region = self.region(input, Half::Any, false, 4096);
                let lenptr = input.u8();
                self.recv_handshake(slot, source, region, lenptr);
            }
            Op::ConnRecvHandshake => {
                let slot = input.slot();
                let source = self.source(input);
                let region = self.region(input, Half::Any, true, 4096);
                let outptr = input.u8();
                self.conn_recv_handshake(slot, source, region, outptr);
            }
            Op::SendData | Op::ConnSend => self.send(op, input),
            Op::RecvData | Op::ConnRecv => self.recv(op, input),
            Op::HandshakeDone | Op::HandshakeStatus | Op::PeerClosed => self.query(op, input),
            Op::PendingOutput => self.pending_output(input),
            Op::Close
            | Op::UpdateKeys
            | Op::TrustServer
            | Op::RejectServer
            | Op::EndOfInput
            | Op::Reset => self.action(op, input),
            Op::SealInPlace => self.seal_in_place(input),
            Op::OpenInPlace => self.open_in_place(input),
            Op::ErrorString => {
                let code = input.u32() as i32;
                let text = ossuary_error_string(code).to_str();
                assert!(!text.is_empty());
            }
            Op::Version => {
                let v = ossuary_version().to_str();
                assert_eq!(
                    v,
                    format!(
                        "{OSSUARY_VERSION_MAJOR}.{OSSUARY_VERSION_MINOR}.{OSSUARY_VERSION_PATCH}"
                    )
                );
            }
            Op::KeyText => self.key_text(input),
            Op::Mutate => self.mutate(input),
            Op::Pump => {
                let (a, b) = (input.slot(), input.slot());
                let rounds = 1 + usize::from(input.u8() % 6);
                self.pump(a, b, rounds);
            }
        }
    }

    /// Destroys every handle and checks the signer hand-overs.
    fn finish(mut self) -> Outcome {
        for slot in 0..SLOTS {
            self.destroy_slot(slot);
        }
        for (i, token) in self.tokens().enumerate() {
            let want = u32::from(token.owned.get());
            assert_eq!(
                token.frees.get(),
                want,
                "token {i}: free_user_data ran {} times, want {want}",
                token.frees.get()
            );
        }
        self.outcome.signer_calls = self.tokens().map(|t| t.calls.get()).sum();
        self.outcome
    }

    /// The signer hand-overs so far.
    fn tokens(&self) -> impl Iterator<Item = &Token> {
        // SAFETY: each token is alive until the driver is dropped, and is
        // only ever read through shared references (its counters are
        // `Cell`s), by the driver and by the callbacks.
        self.tokens.iter().map(|t| unsafe { t.as_ref() })
    }
}

impl Drop for Driver {
    /// Frees the signer tokens, after the handles that may hold them (a run
    /// ends in `finish`, which destroys them first; this covers a run that
    /// panicked).
    fn drop(&mut self) {
        for slot in &mut self.slots {
            // SAFETY: the variable holds NULL or a live handle of this driver.
            unsafe { ossuary_destroy_connection(&mut slot.conn) };
        }
        for token in self.tokens.drain(..) {
            // SAFETY: from `Box::into_raw` in `Driver::token`, freed only
            // here; no handle is left to use it.
            drop(unsafe { Box::from_raw(token.as_ptr()) });
        }
    }
}

/// What an untouched output variable holds.
const SENTINEL: usize = 0x5e47_1ce1;

/// An `int32_t` enum argument: the valid values, their neighbours, the
/// extremes, or any value.
fn int_arg(input: &mut Input<'_>) -> i32 {
    match input.u8() % 8 {
        b @ 0..=3 => i32::from(b),
        4 => -1,
        5 => i32::MIN,
        6 => i32::MAX,
        _ => input.u32() as i32,
    }
}

/// A `uint32_t` flags argument.
fn flag_arg(input: &mut Input<'_>) -> u32 {
    match input.u8() % 6 {
        0 | 1 => 0,
        2 => 1,
        3 => 2,
        4 => 0x8000_0000,
        _ => input.u32(),
    }
}

/// `text` as the `const char *` a C program passes: any bytes, UTF-8 or not.
///
/// # Safety
/// The result is only passed to the library's functions. `char_p::Ref`
/// documents its bytes as UTF-8 (its `to_str` does not check), a promise no
/// C caller can be held to; the library reads such arguments with
/// `to_bytes` and checks them, and this is how the driver sees that it does.
unsafe fn c_str(text: &CStr) -> char_p::Ref<'_> {
    let ptr = NonNull::from(text.to_bytes_with_nul()).cast::<u8>();
    // SAFETY: `ptr` points to NUL-terminated bytes that live as long as the
    // result (the lifetime says so); UTF-8 is not promised (see above).
    unsafe { char_p::Ref::from_ptr_unchecked(ptr) }
}

/// The pointer C would pass for an optional 32-byte key.
fn ptr_of(key: &Option<[u8; 32]>) -> *const u8 {
    key.as_ref().map_or(core::ptr::null(), |k| k.as_ptr())
}

/// `var`, or NULL.
fn out_ptr<T>(var: &mut T, null: bool) -> *mut T {
    if null { core::ptr::null_mut() } else { var }
}

/// A status: a documented code (never `OSSUARY_ERR_PANIC`) or a count.
fn check(code: i32) -> i32 {
    assert_ne!(code, PANIC, "the library panicked");
    if code < 0 {
        let text = ossuary_error_string(code).to_str();
        assert_ne!(text, "unknown error code", "undocumented status {code}");
    }
    code
}

/// A call on a NULL handle fails with `OSSUARY_ERR_NULL_ARGUMENT`.
fn null_handle(conn: *mut OssuaryConnection, code: i32) {
    if conn.is_null() {
        assert_eq!(code, OssuaryErr::NullArgument as i32, "NULL handle");
    }
}

/// Errors that are the caller's: the connection is unchanged and nothing
/// was consumed.
fn is_caller_error(code: i32) -> bool {
    use OssuaryErr::*;
    [
        NullArgument,
        InvalidArgument,
        BufferTooSmall,
        NoKey,
        Wouldblock,
        UntrustedServer,
        HandshakeNotDone,
        HandshakeStarted,
        NotAwaitingTrust,
        BufferedData,
        NotFailed,
        NotOneFrame,
        NotAuthenticatingServer,
        ApiMisuse,
    ]
    .iter()
    .any(|e| *e as i32 == code)
}

/// Writes programs for the driver: the seed corpus.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct Program(Vec<u8>);

#[cfg_attr(not(test), allow(dead_code))]
impl Program {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// An operation and its argument bytes, as documented on [`Op`].
    pub(crate) fn op(mut self, op: Op, args: &[u8]) -> Self {
        self.0.push(op as u8);
        self.0.extend_from_slice(args);
        self
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}
