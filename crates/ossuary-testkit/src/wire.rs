//! The `wire_frame` fuzz function and the frame parser with its invariants
//! asserted (`docs/FUZZING.md`).
//!
//! - [`wire_frame`]: the frame parser and every message parser, on arbitrary
//!   bytes, with the invariants they must keep (not just "no panic").
//! - [`checked_parse`]: [`Frame::parse`] plus those invariants, for the other
//!   fuzz functions, which parse their peers' frames with it.
//! - [`split_frames`]: a byte stream cut into frames with only the
//!   constant-time invariants of each (for the long streams of records the
//!   session targets emit; the full battery is [`wire_frame`]'s).
//!
//! Everything here goes through `ossuary-wire`'s public API.

use arbitrary::Unstructured;
use ossuary_wire::{
    CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN, ClientHello, ClientIdentity, DecodeError, Frame,
    FrameType, HEADER_LEN, Header, MAX_BODY_LEN, Parsed, RESET_PLAIN_FRAME_LEN, ResetReason,
    SEALED_SERVER_IDENTITY_LEN, SERVER_HELLO_BODY_LEN, SERVER_HELLO_CLEAR_LEN,
    SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, ServerFlags, ServerHello, ServerIdentity, TAG_LEN,
    VERSION_1,
};

use crate::input::{read_array, read_bytes, read_u8};

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
///
/// # Errors
/// Exactly those of [`Frame::parse`], which it returns unchanged.
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
        kem_key: read_array(u),
    };
    // Half the time a buffer that fits (the short `cap` never does).
    let cap = if read_u8(u).is_multiple_of(2) {
        CLIENT_HELLO_FRAME_LEN + 1
    } else {
        cap
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
        kem_ciphertext: read_array(u),
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
    static BODY: [u8; MAX_BODY_LEN] = [0xc3; MAX_BODY_LEN];
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

/// Parses `bytes` as exactly one complete frame (of honest bytes, usually).
///
/// # Panics
/// If `bytes` is not one complete, well-formed frame with nothing after it.
pub fn frame(bytes: &[u8]) -> Frame<'_> {
    match Frame::parse(bytes) {
        Ok(Parsed::Complete { value, consumed }) => {
            assert_eq!(consumed, bytes.len(), "trailing bytes after the frame");
            value
        }
        other => panic!("not one complete frame: {other:?}"),
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
