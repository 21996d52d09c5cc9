//! Fuzz functions behind `fuzz/` (see `docs/FUZZING.md`). Not part of the API:
//! compiled only with the `fuzzing` feature, which nothing but the fuzz targets
//! and the regression tests enables.
//!
//! - [`wire_frame`]: the frame parser and every message parser, on arbitrary
//!   bytes, with the invariants they must keep (not just "no panic").
//! - [`checked_parse`]: [`Frame::parse`] plus those invariants, for the other
//!   crates' fuzz functions, which parse their peers' frames with it.
//! - [`split_frames`]: a byte stream cut into frames with only the
//!   constant-time invariants of each (for the long streams of records the
//!   session targets emit; the full battery is [`wire_frame`]'s).
//! - [`Mutation`] and [`Piece`]: the small input language the other crates'
//!   structured inputs share, for "an honest frame, changed a little".
//!
//! Structured inputs are read with [`arbitrary::Unstructured`] one byte at a
//! time in a fixed layout (each type documents its own), so that a seed can be
//! written by hand or by the `write` methods: see the `fuzz_regressions` tests,
//! which build the committed seed corpora from `docs/vectors`.

// A fuzz function reports a broken invariant by panicking: that is its job.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

extern crate std;

use std::vec;
use std::vec::Vec;

use arbitrary::Unstructured;

use crate::{
    CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN, ClientHello, ClientIdentity, DecodeError, Frame,
    FrameType, HEADER_LEN, Header, Parsed, RESET_PLAIN_FRAME_LEN, ResetReason,
    SEALED_SERVER_IDENTITY_LEN, SERVER_HELLO_BODY_LEN, SERVER_HELLO_CLEAR_LEN,
    SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, ServerFlags, ServerHello, ServerIdentity, TAG_LEN,
    VERSION_1,
};

/// The `wire_frame` target: `data` as a stream of frames, then as the input
/// of every message parser, then as the fields of every encoder.
///
/// Invariants, each asserted:
/// - a frame parse never consumes more than it is given, a complete frame
///   consumed exactly `3 + header.len` bytes, and shorter prefixes report
///   exactly the missing byte count;
/// - an error is only ever a known type with an illegal length, reported from
///   the 3-byte header alone;
/// - every message that parses encodes back to the same bytes, and parses
///   again to the same value (decode→encode→decode);
/// - every encoded value parses back to itself, or to the documented error
///   (a wrong version, reserved flags);
/// - each parser accepts exactly the inputs the protocol allows (lengths,
///   version, flags, kind bytes).
pub fn wire_frame(data: &[u8]) {
    let mut rest = data;
    // Each complete frame consumes at least 3 bytes, so this ends.
    while let Ok(Parsed::Complete { value, consumed }) = checked_parse(rest) {
        check_message(&value, &rest[..consumed]);
        rest = &rest[consumed..];
    }
    check_parsers_on(data);
    check_encoders(&mut Unstructured::new(data));
}

/// [`Frame::parse`] with its invariants asserted (see [`wire_frame`]).
pub fn checked_parse(input: &[u8]) -> Result<Parsed<Frame<'_>>, DecodeError> {
    let result = Frame::parse(input);
    match &result {
        Ok(Parsed::Complete { value, consumed }) => {
            let consumed = *consumed;
            let len = usize::from(value.header.len);
            assert!(consumed <= input.len(), "consumed more than given");
            assert_eq!(consumed, HEADER_LEN + len, "consumed != 3 + header.len");
            assert_eq!(value.body.len(), len, "body length != header.len");
            assert_eq!(&input[..HEADER_LEN], &value.header.to_bytes()[..]);
            assert_eq!(value.body, &input[HEADER_LEN..consumed]);
            assert!(value.header.frame_type.is_legal_body_len(len));
            assert_eq!(value.encoded_len(), consumed);
            assert_eq!(
                Header::parse(input),
                Ok(Parsed::Complete {
                    value: value.header,
                    consumed: HEADER_LEN
                })
            );
            assert_eq!(Frame::new(value.header.frame_type, value.body), Ok(*value));
            // decode -> encode -> decode.
            let mut out = vec![0u8; consumed];
            assert_eq!(value.encode(&mut out), Ok(consumed));
            assert_eq!(out, &input[..consumed], "re-encoding changed the frame");
            assert_eq!(
                Frame::parse(&out),
                Ok(Parsed::Complete {
                    value: *value,
                    consumed
                })
            );
            // A buffer one byte short is refused without being touched.
            let mut short = vec![0xa5u8; consumed - 1];
            assert_eq!(
                value.encode(&mut short),
                Err(DecodeError::BufferTooSmall { needed: consumed })
            );
            assert!(short.iter().all(|&b| b == 0xa5), "failed encode wrote");
            // Every shorter prefix is incomplete, missing exactly the rest.
            for k in [0, 1, 2, HEADER_LEN, consumed / 2, consumed - 1] {
                if k < consumed {
                    let needed = if k < HEADER_LEN {
                        HEADER_LEN - k
                    } else {
                        consumed - k
                    };
                    assert_eq!(Frame::parse(&input[..k]), Ok(Parsed::Incomplete { needed }));
                }
            }
        }
        Ok(Parsed::Incomplete { needed }) => {
            assert!(*needed > 0, "Incomplete with nothing needed");
            if input.len() < HEADER_LEN {
                assert_eq!(*needed, HEADER_LEN - input.len());
            } else {
                let (ty, len) = raw_header(input);
                assert!(ty.is_legal_body_len(len));
                assert!(input.len() < HEADER_LEN + len);
                assert_eq!(input.len() + needed, HEADER_LEN + len);
            }
        }
        Err(e) => {
            assert!(input.len() >= HEADER_LEN, "error before a whole header");
            let (frame_type, len) = raw_header(input);
            assert!(frame_type.is_known(), "unknown types must parse");
            assert!(!frame_type.is_legal_body_len(len));
            assert_eq!(*e, DecodeError::BadLength { frame_type, len });
            assert_eq!(Header::parse(&input[..HEADER_LEN]), Err(*e));
        }
    }
    result
}

/// The type and length of the first three bytes, read independently of the parser.
fn raw_header(input: &[u8]) -> (FrameType, usize) {
    (
        FrameType(input[0]),
        usize::from(input[1]) << 8 | usize::from(input[2]),
    )
}

/// A complete frame's body through the parser of its type, with round trips.
fn check_message(frame: &Frame<'_>, bytes: &[u8]) {
    let body = frame.body;
    match frame.header.frame_type {
        FrameType::CLIENT_HELLO => {
            if let Ok(hello) = ClientHello::parse(body) {
                let mut out = [0u8; CLIENT_HELLO_FRAME_LEN];
                assert_eq!(hello.encode(&mut out), Ok(CLIENT_HELLO_FRAME_LEN));
                assert_eq!(&out[..], bytes, "CLIENT_HELLO round trip");
            }
        }
        FrameType::SERVER_HELLO => {
            if let Ok(hello) = ServerHello::parse(body) {
                let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
                assert_eq!(hello.encode(&mut out), Ok(SERVER_HELLO_FRAME_LEN));
                assert_eq!(&out[..], bytes, "SERVER_HELLO round trip");
                assert_eq!(
                    &hello.to_clear_bytes()[..],
                    &bytes[..SERVER_HELLO_CLEAR_LEN]
                );
                assert_eq!(hello.sealed, &bytes[SERVER_HELLO_CLEAR_LEN..]);
                // The sealed part, as if it had opened.
                check_server_identity(&hello.sealed[..SERVER_IDENTITY_LEN]);
            }
        }
        FrameType::CLIENT_AUTH => {
            // The sealed part, as if it had opened (the body minus the tag).
            check_client_identity(&body[..body.len() - TAG_LEN]);
        }
        FrameType::RESET => {
            // Plaintext RESET (1 byte), or the opened byte of a sealed one.
            let reason = ResetReason::parse(&body[..1]).expect("one reason byte");
            assert_eq!(reason.0, body[0]);
            if body.len() == 1 {
                let mut out = [0u8; RESET_PLAIN_FRAME_LEN];
                assert_eq!(reason.encode(&mut out), Ok(RESET_PLAIN_FRAME_LEN));
                assert_eq!(&out[..], bytes, "RESET round trip");
            }
        }
        _ => {}
    }
}

/// Every parser on the raw input: accepts exactly what the protocol allows,
/// and what it accepts round-trips.
fn check_parsers_on(data: &[u8]) {
    // CLIENT_HELLO body: version 1, flags 0, 64 bytes of keys.
    let ok = data.len() == CLIENT_HELLO_BODY_LEN && data[0] == VERSION_1 && data[1] == 0;
    match ClientHello::parse(data) {
        Ok(hello) => {
            assert!(ok, "CLIENT_HELLO parser accepted an illegal body");
            let mut out = [0u8; CLIENT_HELLO_FRAME_LEN];
            assert_eq!(hello.encode(&mut out), Ok(CLIENT_HELLO_FRAME_LEN));
            assert_eq!(&out[HEADER_LEN..], data);
            assert_eq!(ClientHello::parse(&out[HEADER_LEN..]), Ok(hello));
        }
        Err(e) => {
            assert!(!ok, "CLIENT_HELLO parser refused a legal body: {e:?}");
            if data.first().is_some_and(|&v| v != VERSION_1) {
                assert_eq!(e, DecodeError::UnsupportedVersion(data[0]));
            }
        }
    }

    // SERVER_HELLO body: version 1, only the CLIENT_AUTH_REQUIRED flag bit.
    let ok = data.len() == SERVER_HELLO_BODY_LEN
        && data[0] == VERSION_1
        && ServerFlags(data[1]).reserved_bits() == 0;
    match ServerHello::parse(data) {
        Ok(hello) => {
            assert!(ok, "SERVER_HELLO parser accepted an illegal body");
            assert_eq!(hello.sealed.len(), SEALED_SERVER_IDENTITY_LEN);
            let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
            assert_eq!(hello.encode(&mut out), Ok(SERVER_HELLO_FRAME_LEN));
            assert_eq!(&out[HEADER_LEN..], data);
            assert_eq!(ServerHello::parse(&out[HEADER_LEN..]), Ok(hello));
        }
        Err(e) => {
            assert!(!ok, "SERVER_HELLO parser refused a legal body: {e:?}");
            if data.first().is_some_and(|&v| v != VERSION_1) {
                assert_eq!(e, DecodeError::UnsupportedVersion(data[0]));
            } else if data.len() >= 2 && ServerFlags(data[1]).reserved_bits() != 0 {
                assert!(matches!(e, DecodeError::ReservedFlags { flags, .. } if flags == data[1]));
            }
        }
    }

    check_server_identity(data);
    check_client_identity(data);

    match ResetReason::parse(data) {
        Ok(reason) => assert_eq!(&[reason.0][..], data),
        Err(_) => assert_ne!(data.len(), 1, "RESET reason parser refused one byte"),
    }
}

/// [`ServerIdentity::parse`]: exactly 96 bytes, and a round trip.
fn check_server_identity(data: &[u8]) {
    match ServerIdentity::parse(data) {
        Ok(id) => {
            assert_eq!(data.len(), SERVER_IDENTITY_LEN);
            let mut out = [0u8; SERVER_IDENTITY_LEN];
            assert_eq!(id.encode(&mut out), Ok(SERVER_IDENTITY_LEN));
            assert_eq!(&out[..], data, "server identity round trip");
        }
        Err(_) => assert_ne!(data.len(), SERVER_IDENTITY_LEN),
    }
}

/// [`ClientIdentity::parse`]: kind 0 alone or kind 1 with 96 bytes, and a round trip.
fn check_client_identity(data: &[u8]) {
    let ok = matches!(data, [0]) || (data.len() == 97 && data[0] == 1);
    match ClientIdentity::parse(data) {
        Ok(id) => {
            assert!(ok, "client identity parser accepted {data:02x?}");
            assert_eq!(id.encoded_len(), data.len());
            assert_eq!(id.sealed_len(), data.len() + TAG_LEN);
            let mut out = [0u8; 97];
            assert_eq!(id.encode(&mut out), Ok(data.len()));
            assert_eq!(&out[..data.len()], data, "client identity round trip");
            assert_eq!(ClientIdentity::parse(&out[..data.len()]), Ok(id));
        }
        Err(e) => {
            assert!(
                !ok,
                "client identity parser refused a legal plaintext: {e:?}"
            );
            if let Some(&kind) = data.first().filter(|&&k| k > 1) {
                assert_eq!(e, DecodeError::UnknownClientAuthKind(kind));
            }
        }
    }
}

/// Encode→parse from fields read off the input: every value parses back to
/// itself or to the documented error; short buffers are refused untouched.
fn check_encoders(u: &mut Unstructured<'_>) {
    let cap = usize::from(read_u8(u)) + 1;

    // CLIENT_HELLO with any version and flags.
    let hello = ClientHello {
        version: read_u8(u),
        flags: read_u8(u),
        ephemeral: read_array(u),
        random: read_array(u),
    };
    let mut out = vec![0x5au8; cap.min(CLIENT_HELLO_FRAME_LEN + 1)];
    match hello.encode(&mut out) {
        Ok(n) => {
            assert_eq!(n, CLIENT_HELLO_FRAME_LEN);
            let frame = complete(&out[..n], FrameType::CLIENT_HELLO);
            let expected = if hello.version != VERSION_1 {
                Err(DecodeError::UnsupportedVersion(hello.version))
            } else if hello.flags != 0 {
                Err(DecodeError::ReservedFlags {
                    context: "CLIENT_HELLO",
                    flags: hello.flags,
                })
            } else {
                Ok(hello)
            };
            assert_eq!(ClientHello::parse(frame.body), expected);
        }
        Err(e) => {
            assert!(out.len() < CLIENT_HELLO_FRAME_LEN);
            assert_eq!(
                e,
                DecodeError::BufferTooSmall {
                    needed: CLIENT_HELLO_FRAME_LEN
                }
            );
            assert!(out.iter().all(|&b| b == 0x5a), "failed encode wrote");
        }
    }

    // SERVER_HELLO with any version and flags, and a sealed part of any length.
    let sealed_len = match read_u8(u) % 4 {
        0 => usize::from(read_u8(u)),
        _ => SEALED_SERVER_IDENTITY_LEN,
    };
    let sealed = read_bytes(u, sealed_len);
    let hello = ServerHello {
        version: read_u8(u),
        flags: ServerFlags(read_u8(u)),
        ephemeral: read_array(u),
        sealed: &sealed,
    };
    let mut out = vec![0u8; SERVER_HELLO_FRAME_LEN];
    match hello.encode(&mut out) {
        Ok(n) => {
            assert_eq!(sealed.len(), SEALED_SERVER_IDENTITY_LEN);
            assert_eq!(n, SERVER_HELLO_FRAME_LEN);
            let frame = complete(&out, FrameType::SERVER_HELLO);
            let parsed = ServerHello::parse(frame.body);
            if hello.version != VERSION_1 {
                assert_eq!(parsed, Err(DecodeError::UnsupportedVersion(hello.version)));
            } else if hello.flags.reserved_bits() != 0 {
                assert!(parsed.is_err());
            } else {
                assert_eq!(parsed, Ok(hello));
            }
        }
        Err(e) => {
            assert_ne!(sealed.len(), SEALED_SERVER_IDENTITY_LEN);
            assert!(matches!(e, DecodeError::BadLength { .. }));
        }
    }

    // The two sealed plaintexts and the RESET frame.
    let id = ServerIdentity {
        identity: read_array(u),
        signature: read_array(u),
    };
    let mut out = [0u8; SERVER_IDENTITY_LEN];
    assert_eq!(id.encode(&mut out), Ok(SERVER_IDENTITY_LEN));
    assert_eq!(ServerIdentity::parse(&out), Ok(id));

    let id = if read_u8(u) & 1 == 0 {
        ClientIdentity::Anonymous
    } else {
        ClientIdentity::Identity {
            identity: read_array(u),
            signature: read_array(u),
        }
    };
    let mut out = vec![0u8; cap.min(97)];
    match id.encode(&mut out) {
        Ok(n) => {
            assert_eq!(n, id.encoded_len());
            assert_eq!(ClientIdentity::parse(&out[..n]), Ok(id));
        }
        Err(e) => {
            assert!(out.len() < id.encoded_len());
            assert_eq!(
                e,
                DecodeError::BufferTooSmall {
                    needed: id.encoded_len()
                }
            );
        }
    }

    let reason = ResetReason(read_u8(u));
    let mut out = [0u8; RESET_PLAIN_FRAME_LEN];
    assert_eq!(reason.encode(&mut out), Ok(RESET_PLAIN_FRAME_LEN));
    let frame = complete(&out, FrameType::RESET);
    assert_eq!(ResetReason::parse(frame.body), Ok(reason));

    // Any frame type with any body length: Frame::new accepts exactly the
    // legal lengths, and what it accepts round-trips.
    let frame_type = FrameType(read_u8(u));
    let len = usize::from(read_u8(u)) << 8 | usize::from(read_u8(u));
    static BODY: [u8; crate::MAX_BODY_LEN] = [0xc3; crate::MAX_BODY_LEN];
    let body = &BODY[..len];
    match Frame::new(frame_type, body) {
        Ok(frame) => {
            assert!(frame_type.is_legal_body_len(len));
            let mut out = vec![0u8; frame.encoded_len()];
            assert_eq!(frame.encode(&mut out), Ok(HEADER_LEN + len));
            assert_eq!(complete(&out, frame_type), frame);
        }
        Err(e) => {
            assert!(!frame_type.is_legal_body_len(len));
            assert_eq!(e, DecodeError::BadLength { frame_type, len });
        }
    }
}

/// Parses `bytes` as exactly one complete frame of type `ty`.
fn complete(bytes: &[u8], ty: FrameType) -> Frame<'_> {
    match checked_parse(bytes) {
        Ok(Parsed::Complete { value, consumed }) => {
            assert_eq!(consumed, bytes.len());
            assert_eq!(value.header.frame_type, ty);
            value
        }
        other => panic!("an encoded {ty} did not parse: {other:?}"),
    }
}

// ---- reading structured input ----

/// One byte, or 0 once the input is used up.
pub fn read_u8(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// Two bytes, big-endian (0 once the input is used up).
pub fn read_u16(u: &mut Unstructured<'_>) -> u16 {
    u16::from_be_bytes([read_u8(u), read_u8(u)])
}

/// `N` bytes (zero-filled once the input is used up).
pub fn read_array<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut out = [0u8; N];
    // `fill_buffer` never fails: it zero-fills what the input cannot.
    let _ = u.fill_buffer(&mut out);
    out
}

/// Up to `len` bytes: fewer if the input ends first.
pub fn read_bytes(u: &mut Unstructured<'_>, len: usize) -> Vec<u8> {
    let len = len.min(u.len());
    u.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
}

/// One change to a byte string (an honest frame, usually).
///
/// Layout: 4 bytes, `kind` (taken modulo 5), `at` (u16, big-endian, taken
/// modulo the length), `value`. Every byte string decodes to a mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// XOR the byte at `at` with `mask`.
    Xor {
        /// Position (modulo the length).
        at: u16,
        /// The mask.
        mask: u8,
    },
    /// Overwrite the byte at `at`.
    Set {
        /// Position (modulo the length).
        at: u16,
        /// The new value.
        byte: u8,
    },
    /// Cut the bytes from `len` on.
    Truncate {
        /// New length (modulo the length + 1).
        len: u16,
    },
    /// Insert `byte` before position `at`.
    Insert {
        /// Position (modulo the length + 1).
        at: u16,
        /// The byte.
        byte: u8,
    },
    /// Remove the byte at `at`.
    Remove {
        /// Position (modulo the length).
        at: u16,
    },
}

impl Mutation {
    /// Bytes one mutation takes in an input.
    pub const LEN: usize = 4;

    /// Reads one mutation (layout in the type's docs).
    pub fn read(u: &mut Unstructured<'_>) -> Self {
        let kind = read_u8(u) % 5;
        let at = read_u16(u);
        let value = read_u8(u);
        match kind {
            0 => Self::Xor { at, mask: value },
            1 => Self::Set { at, byte: value },
            2 => Self::Truncate { len: at },
            3 => Self::Insert { at, byte: value },
            _ => Self::Remove { at },
        }
    }

    /// Appends the mutation's input bytes (the inverse of [`Self::read`]).
    pub fn write(&self, out: &mut Vec<u8>) {
        let (kind, at, value) = match *self {
            Self::Xor { at, mask } => (0, at, mask),
            Self::Set { at, byte } => (1, at, byte),
            Self::Truncate { len } => (2, len, 0),
            Self::Insert { at, byte } => (3, at, byte),
            Self::Remove { at } => (4, at, 0),
        };
        out.push(kind);
        out.extend_from_slice(&at.to_be_bytes());
        out.push(value);
    }

    /// Applies the mutation to `bytes`.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match *self {
            Self::Xor { at, mask } if len > 0 => bytes[usize::from(at) % len] ^= mask,
            Self::Set { at, byte } if len > 0 => bytes[usize::from(at) % len] = byte,
            Self::Truncate { len: new } => bytes.truncate(usize::from(new) % (len + 1)),
            Self::Insert { at, byte } => bytes.insert(usize::from(at) % (len + 1), byte),
            Self::Remove { at } if len > 0 => {
                bytes.remove(usize::from(at) % len);
            }
            _ => {}
        }
    }
}

/// A part of the byte stream a peer sends.
///
/// Layout: a tag byte (taken modulo [`Piece::TAGS`]) then
/// - `0` Honest: `index`;
/// - `1` Mutated: `index`, a count `n`, then `n` [`Mutation`]s;
/// - `2` Raw: a length (u16, big-endian) and that many bytes.
///
/// Fuzz inputs that mix pieces with other operations give pieces the tags
/// `0..3` and read the body with [`Piece::read_body`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The honest frame number `index` (modulo the number of honest frames).
    Honest(u8),
    /// The honest frame number `index`, mutated.
    Mutated(u8, Vec<Mutation>),
    /// Bytes of the fuzzer's choosing.
    Raw(Vec<u8>),
}

impl Piece {
    /// Number of tags a piece uses.
    pub const TAGS: u8 = 3;

    /// Reads one piece (layout in the type's docs).
    pub fn read(u: &mut Unstructured<'_>) -> Self {
        let tag = read_u8(u) % Self::TAGS;
        Self::read_body(tag, u)
    }

    /// Reads the piece that follows tag `tag` (`0..3`).
    pub fn read_body(tag: u8, u: &mut Unstructured<'_>) -> Self {
        match tag {
            0 => Self::Honest(read_u8(u)),
            1 => {
                let index = read_u8(u);
                let count = usize::from(read_u8(u));
                let mut mutations = Vec::new();
                while mutations.len() < count && !u.is_empty() {
                    mutations.push(Mutation::read(u));
                }
                Self::Mutated(index, mutations)
            }
            _ => {
                let len = usize::from(read_u16(u));
                Self::Raw(read_bytes(u, len))
            }
        }
    }

    /// Appends the piece's input bytes (the inverse of [`Self::read`]).
    ///
    /// # Panics
    /// If a raw piece is longer than 65535 bytes or has more than 255 mutations.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Honest(index) => out.extend_from_slice(&[0, *index]),
            Self::Mutated(index, mutations) => {
                let count = u8::try_from(mutations.len()).expect("at most 255 mutations");
                out.extend_from_slice(&[1, *index, count]);
                for m in mutations {
                    m.write(out);
                }
            }
            Self::Raw(bytes) => {
                let len = u16::try_from(bytes.len()).expect("at most 65535 raw bytes");
                out.push(2);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }

    /// The bytes this piece stands for, given the honest frames.
    pub fn bytes(&self, honest: &[Vec<u8>]) -> Vec<u8> {
        let pick = |index: u8| match honest.len() {
            0 => Vec::new(),
            n => honest[usize::from(index) % n].clone(),
        };
        match self {
            Self::Honest(index) => pick(*index),
            Self::Mutated(index, mutations) => {
                let mut bytes = pick(*index);
                for m in mutations {
                    m.apply(&mut bytes);
                }
                bytes
            }
            Self::Raw(bytes) => bytes.clone(),
        }
    }
}

/// Splits a byte stream into its complete frames; stops at the first error
/// or incomplete frame. Returns the frames' bytes and the number of bytes
/// they cover.
///
/// Each frame gets the invariants that cost nothing per byte (exact
/// consumption, the body is the bytes after the header, a legal length for
/// its type). The per-byte ones of [`checked_parse`] (re-encoding, every
/// prefix) made the session targets spend half their time re-checking their
/// own output, which [`wire_frame`] already checks on arbitrary bytes.
pub fn split_frames(stream: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&stream[at..]) {
        let len = usize::from(value.header.len);
        assert_eq!(consumed, HEADER_LEN + len, "consumed != 3 + header.len");
        assert!(at + consumed <= stream.len(), "consumed more than given");
        assert_eq!(value.body.len(), len, "body length != header.len");
        assert!(
            core::ptr::eq(value.body.as_ptr(), stream[at + HEADER_LEN..].as_ptr()),
            "the body is not the bytes after the header"
        );
        assert!(value.header.frame_type.is_legal_body_len(len));
        frames.push(&stream[at..at + consumed]);
        at += consumed;
    }
    (frames, at)
}

// ---- regression files and seed corpora (used by the crates' tests) ----

/// The input files of `dir`, sorted by name: every regular file except
/// hidden ones and `*.md` notes. A missing directory has none.
pub fn input_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<std::path::PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable input file");
            (p, bytes)
        })
        .collect()
}

/// Runs `f` on every input file of `dir` (see [`input_files`]), naming the
/// file if it panics. Returns how many ran.
pub fn replay_dir(dir: &std::path::Path, f: impl Fn(&[u8])) -> usize {
    let files = input_files(dir);
    for (path, bytes) in &files {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(bytes)));
        if let Err(payload) = result {
            std::eprintln!("fuzz input {} failed", path.display());
            std::panic::resume_unwind(payload);
        }
    }
    files.len()
}

/// Checks that `dir` holds every seed, byte for byte. With `OSSUARY_BLESS=1`
/// in the environment, writes them instead (other files are left alone).
pub fn check_seeds(dir: &std::path::Path, seeds: &[(std::string::String, Vec<u8>)]) {
    let bless = std::env::var_os("OSSUARY_BLESS").is_some_and(|v| v == "1");
    if bless {
        std::fs::create_dir_all(dir).expect("create the corpus directory");
    }
    let mut stale = Vec::new();
    for (name, bytes) in seeds {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, bytes).expect("write a seed");
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "seed corpus {} is out of date ({} of {} seeds differ or are missing: {:?}); \
         regenerate it with OSSUARY_BLESS=1",
        dir.display(),
        stale.len(),
        seeds.len(),
        stale
    );
}
