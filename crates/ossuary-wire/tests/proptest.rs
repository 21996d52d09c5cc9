//! Property tests: encode→parse round trips for every type, and `Frame::parse`
//! on arbitrary and partial input.

use ossuary_wire::{
    CLIENT_HELLO_BODY_LEN, CLIENT_HELLO_FRAME_LEN, ClientHello, ClientIdentity, DecodeError, Frame,
    FrameType, HEADER_LEN, Header, KEM_CIPHERTEXT_LEN, KEM_ENCAPSULATION_KEY_LEN, MAX_BODY_LEN,
    Parsed, RESET_PLAIN_FRAME_LEN, ResetReason, SEALED_SERVER_IDENTITY_LEN, SERVER_HELLO_BODY_LEN,
    SERVER_HELLO_CLEAR_LEN, SERVER_HELLO_FRAME_LEN, SERVER_IDENTITY_LEN, ServerFlags, ServerHello,
    ServerIdentity, VERSION_1,
};
use proptest::prelude::*;

/// Body lengths legal for `t`, kept small except for a few edge values.
fn legal_len(t: FrameType) -> BoxedStrategy<usize> {
    match t {
        FrameType::CLIENT_HELLO => Just(1250).boxed(),
        FrameType::SERVER_HELLO => Just(1234).boxed(),
        FrameType::CLIENT_AUTH => prop_oneof![Just(17), Just(113)].boxed(),
        FrameType::DATA => prop_oneof![16usize..600, Just(MAX_BODY_LEN)].boxed(),
        FrameType::KEY_UPDATE | FrameType::CLOSE => Just(16).boxed(),
        FrameType::RESET => prop_oneof![Just(1), Just(17)].boxed(),
        _ => prop_oneof![0usize..600, Just(MAX_BODY_LEN)].boxed(),
    }
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        Just(FrameType::CLIENT_HELLO),
        Just(FrameType::SERVER_HELLO),
        Just(FrameType::CLIENT_AUTH),
        Just(FrameType::DATA),
        Just(FrameType::KEY_UPDATE),
        Just(FrameType::CLOSE),
        Just(FrameType::RESET),
        any::<u8>().prop_map(FrameType),
    ]
}

fn valid_header() -> impl Strategy<Value = Header> {
    frame_type().prop_flat_map(|t| {
        legal_len(t).prop_map(move |len| Header::new(t, len).expect("legal length fits u16"))
    })
}

/// The bytes of one valid frame (header and body).
fn valid_frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    valid_header().prop_flat_map(|h| {
        proptest::collection::vec(any::<u8>(), usize::from(h.len)).prop_map(move |body| {
            let mut out = h.to_bytes().to_vec();
            out.extend_from_slice(&body);
            out
        })
    })
}

fn client_identity() -> impl Strategy<Value = ClientIdentity> {
    prop_oneof![
        Just(ClientIdentity::Anonymous),
        (any::<[u8; 32]>(), any::<[u8; 64]>()).prop_map(|(identity, signature)| {
            ClientIdentity::Identity {
                identity,
                signature,
            }
        }),
    ]
}

fn expect_complete<T: std::fmt::Debug>(p: Result<Parsed<T>, DecodeError>) -> (T, usize) {
    match p {
        Ok(Parsed::Complete { value, consumed }) => (value, consumed),
        other => panic!("expected Complete, got {other:?}"),
    }
}

proptest! {
    #[test]
    fn header_round_trip(h in valid_header(), tail in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut bytes = h.to_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        prop_assert_eq!(Header::parse(&bytes), Ok(Parsed::Complete { value: h, consumed: HEADER_LEN }));
        prop_assert_eq!(h.frame_len(), HEADER_LEN + usize::from(h.len));
    }

    #[test]
    fn illegal_header_lengths_are_rejected(t in frame_type(), len in any::<u16>()) {
        let h = Header::new(t, usize::from(len)).expect("u16 fits");
        let bytes = h.to_bytes();
        let parsed = Header::parse(&bytes);
        if t.is_legal_body_len(usize::from(len)) {
            prop_assert_eq!(parsed, Ok(Parsed::Complete { value: h, consumed: 3 }));
        } else {
            prop_assert!(t.is_known());
            prop_assert_eq!(parsed, Err(DecodeError::BadLength { frame_type: t, len: usize::from(len) }));
            // The frame parser fails on the header alone, before any body byte.
            prop_assert_eq!(Frame::parse(&bytes), Err(DecodeError::BadLength { frame_type: t, len: usize::from(len) }));
        }
    }

    #[test]
    fn frame_round_trip(bytes in valid_frame_bytes(), tail in proptest::collection::vec(any::<u8>(), 0..32)) {
        let mut input = bytes.clone();
        input.extend_from_slice(&tail);
        let (frame, consumed) = expect_complete(Frame::parse(&input));
        prop_assert_eq!(consumed, bytes.len());
        prop_assert_eq!(frame.body, &bytes[HEADER_LEN..]);
        prop_assert_eq!(Frame::new(frame.header.frame_type, frame.body), Ok(frame));

        let mut out = vec![0u8; frame.encoded_len() + tail.len()];
        prop_assert_eq!(frame.encode(&mut out), Ok(bytes.len()));
        prop_assert_eq!(&out[..bytes.len()], &bytes[..]);
        prop_assert!(out[bytes.len()..].iter().all(|&b| b == 0));
    }

    #[test]
    fn frame_encode_into_small_buffer_writes_nothing(bytes in valid_frame_bytes(), short in 1usize..=3) {
        let (frame, _) = expect_complete(Frame::parse(&bytes));
        let mut out = vec![0xa5u8; bytes.len().saturating_sub(short)];
        prop_assert_eq!(frame.encode(&mut out), Err(DecodeError::BufferTooSmall { needed: bytes.len() }));
        prop_assert!(out.iter().all(|&b| b == 0xa5));
    }

    #[test]
    fn frame_parse_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..300)) {
        match Frame::parse(&input) {
            Ok(Parsed::Complete { value, consumed }) => {
                prop_assert!(consumed <= input.len());
                prop_assert_eq!(consumed, HEADER_LEN + usize::from(value.header.len));
                prop_assert_eq!(value.header.to_bytes(), [input[0], input[1], input[2]]);
                prop_assert_eq!(value.body, &input[HEADER_LEN..consumed]);
                prop_assert!(value.header.frame_type.is_legal_body_len(value.body.len()));
            }
            Ok(Parsed::Incomplete { needed }) => {
                prop_assert!(needed > 0);
                if input.len() < HEADER_LEN {
                    prop_assert_eq!(needed, HEADER_LEN - input.len());
                } else {
                    let len = usize::from(u16::from_be_bytes([input[1], input[2]]));
                    prop_assert_eq!(needed, HEADER_LEN + len - input.len());
                }
            }
            Err(DecodeError::BadLength { frame_type, len }) => {
                prop_assert!(input.len() >= HEADER_LEN);
                prop_assert_eq!(frame_type, FrameType(input[0]));
                prop_assert_eq!(len, usize::from(u16::from_be_bytes([input[1], input[2]])));
                prop_assert!(frame_type.is_known() && !frame_type.is_legal_body_len(len));
            }
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn incomplete_needed_is_exact(bytes in valid_frame_bytes(), cut in any::<prop::sample::Index>()) {
        let k = cut.index(bytes.len());
        let needed = match Frame::parse(&bytes[..k]) {
            Ok(Parsed::Incomplete { needed }) => needed,
            other => return Err(TestCaseError::fail(format!("prefix {k}: {other:?}"))),
        };
        prop_assert!(needed > 0);
        let next = &bytes[..k + needed];
        if k < HEADER_LEN {
            // Header phase: exactly the rest of the header is asked for.
            prop_assert_eq!(needed, HEADER_LEN - k);
            let body_len = bytes.len() - HEADER_LEN;
            if body_len == 0 {
                prop_assert_eq!(expect_complete(Frame::parse(next)).1, bytes.len());
            } else {
                prop_assert_eq!(Frame::parse(next), Ok(Parsed::Incomplete { needed: body_len }));
            }
        } else {
            // Body phase: feeding `needed` more bytes completes the frame...
            prop_assert_eq!(k + needed, bytes.len());
            prop_assert_eq!(expect_complete(Frame::parse(next)).1, bytes.len());
        }
        // ...and one byte fewer does not.
        prop_assert_eq!(Frame::parse(&bytes[..k + needed - 1]), Ok(Parsed::Incomplete { needed: 1 }));
    }

    #[test]
    fn byte_at_a_time(bytes in valid_frame_bytes().prop_filter("keep it short", |b| b.len() < 1000)) {
        let mut buf = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            buf.push(b);
            let parsed = Frame::parse(&buf);
            if i + 1 < bytes.len() {
                prop_assert!(matches!(parsed, Ok(Parsed::Incomplete { needed }) if needed > 0), "byte {}: {:?}", i, parsed);
            } else {
                let (frame, consumed) = expect_complete(parsed);
                prop_assert_eq!(consumed, bytes.len());
                prop_assert_eq!(frame.body, &bytes[HEADER_LEN..]);
            }
        }
    }

    #[test]
    fn a_stream_of_frames_parses_in_order(frames in proptest::collection::vec(valid_frame_bytes(), 1..5)) {
        let stream: Vec<u8> = frames.concat();
        let mut rest = &stream[..];
        for expected in &frames {
            let (frame, consumed) = expect_complete(Frame::parse(rest));
            prop_assert_eq!(consumed, expected.len());
            prop_assert_eq!(frame.body, &expected[HEADER_LEN..]);
            rest = &rest[consumed..];
        }
        prop_assert_eq!(Frame::parse(rest), Ok(Parsed::Incomplete { needed: HEADER_LEN }));
    }

    #[test]
    fn client_hello_round_trip(
        ephemeral in any::<[u8; 32]>(),
        random in any::<[u8; 32]>(),
        kem_key in proptest::collection::vec(any::<u8>(), KEM_ENCAPSULATION_KEY_LEN),
    ) {
        let hello = ClientHello::new(ephemeral, random, kem_key.try_into().unwrap());
        let mut out = [0u8; CLIENT_HELLO_FRAME_LEN];
        prop_assert_eq!(hello.encode(&mut out), Ok(CLIENT_HELLO_FRAME_LEN));
        let (frame, consumed) = expect_complete(Frame::parse(&out));
        prop_assert_eq!(consumed, CLIENT_HELLO_FRAME_LEN);
        prop_assert_eq!(frame.header.frame_type, FrameType::CLIENT_HELLO);
        prop_assert_eq!(ClientHello::parse(frame.body), Ok(hello));
    }

    #[test]
    fn client_hello_parse_arbitrary(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..80),
        proptest::collection::vec(any::<u8>(), CLIENT_HELLO_BODY_LEN - 1..=CLIENT_HELLO_BODY_LEN + 1),
        proptest::collection::vec(0u8..2, CLIENT_HELLO_BODY_LEN),
    ]) {
        match ClientHello::parse(&body) {
            Ok(hello) => {
                prop_assert_eq!(body.len(), CLIENT_HELLO_BODY_LEN);
                prop_assert_eq!((hello.version, hello.flags), (VERSION_1, 0));
                let mut out = [0u8; CLIENT_HELLO_FRAME_LEN];
                hello.encode(&mut out).expect("buffer is large enough");
                prop_assert_eq!(&out[HEADER_LEN..], &body[..]);
            }
            Err(e) => prop_assert!(
                body.len() != CLIENT_HELLO_BODY_LEN || body[0] != VERSION_1 || body[1] != 0,
                "rejected a valid body: {e:?}"
            ),
        }
    }

    #[test]
    fn server_hello_round_trip(
        required in any::<bool>(),
        ephemeral in any::<[u8; 32]>(),
        kem_ciphertext in proptest::collection::vec(any::<u8>(), KEM_CIPHERTEXT_LEN),
        sealed in proptest::collection::vec(any::<u8>(), SEALED_SERVER_IDENTITY_LEN),
    ) {
        let flags = if required { ServerFlags::CLIENT_AUTH_REQUIRED } else { ServerFlags::NONE };
        let kem_ciphertext = kem_ciphertext.try_into().unwrap();
        let hello = ServerHello { version: VERSION_1, flags, ephemeral, kem_ciphertext, sealed: &sealed };
        let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
        prop_assert_eq!(hello.encode(&mut out), Ok(SERVER_HELLO_FRAME_LEN));
        prop_assert_eq!(&hello.to_clear_bytes()[..], &out[..SERVER_HELLO_CLEAR_LEN]);
        let (frame, consumed) = expect_complete(Frame::parse(&out));
        prop_assert_eq!(consumed, SERVER_HELLO_FRAME_LEN);
        prop_assert_eq!(frame.header.frame_type, FrameType::SERVER_HELLO);
        prop_assert_eq!(ServerHello::parse(frame.body), Ok(hello));
    }

    #[test]
    fn server_hello_parse_arbitrary(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..160),
        proptest::collection::vec(any::<u8>(), SERVER_HELLO_BODY_LEN - 1..=SERVER_HELLO_BODY_LEN + 1),
        proptest::collection::vec(0u8..2, SERVER_HELLO_BODY_LEN),
    ]) {
        if let Ok(hello) = ServerHello::parse(&body) {
            prop_assert_eq!(hello.version, VERSION_1);
            prop_assert_eq!(hello.flags.reserved_bits(), 0);
            let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
            hello.encode(&mut out).expect("buffer is large enough");
            prop_assert_eq!(&out[HEADER_LEN..], &body[..]);
        }
    }

    #[test]
    fn server_flags_reserved_bits_rejected(bits in any::<u8>(), ephemeral in any::<[u8; 32]>()) {
        let sealed = [0u8; SEALED_SERVER_IDENTITY_LEN];
        let hello = ServerHello {
            version: VERSION_1,
            flags: ServerFlags(bits),
            ephemeral,
            kem_ciphertext: [0x3c; KEM_CIPHERTEXT_LEN],
            sealed: &sealed,
        };
        let mut out = [0u8; SERVER_HELLO_FRAME_LEN];
        hello.encode(&mut out).expect("buffer is large enough");
        let parsed = ServerHello::parse(&out[HEADER_LEN..]);
        if bits & !0x01 == 0 {
            prop_assert_eq!(parsed, Ok(hello));
        } else {
            prop_assert_eq!(parsed, Err(DecodeError::ReservedFlags { context: "SERVER_HELLO", flags: bits }));
        }
    }

    #[test]
    fn server_identity_round_trip(identity in any::<[u8; 32]>(), signature in any::<[u8; 64]>()) {
        let id = ServerIdentity { identity, signature };
        let mut out = [0u8; SERVER_IDENTITY_LEN];
        prop_assert_eq!(id.encode(&mut out), Ok(SERVER_IDENTITY_LEN));
        prop_assert_eq!(ServerIdentity::parse(&out), Ok(id));
    }

    #[test]
    fn client_identity_round_trip(id in client_identity()) {
        let mut out = [0u8; 128];
        let n = id.encode(&mut out).expect("buffer is large enough");
        prop_assert_eq!(n, id.encoded_len());
        prop_assert_eq!(ClientIdentity::parse(&out[..n]), Ok(id));
        prop_assert!(ClientIdentity::parse(&out[..n + 1]).is_err());
        let mut small = vec![0u8; n - 1];
        prop_assert_eq!(id.encode(&mut small), Err(DecodeError::BufferTooSmall { needed: n }));
    }

    #[test]
    fn client_identity_parse_arbitrary(bytes in proptest::collection::vec(any::<u8>(), 0..110)) {
        if let Ok(id) = ClientIdentity::parse(&bytes) {
            let mut out = [0u8; 128];
            let n = id.encode(&mut out).expect("buffer is large enough");
            prop_assert_eq!(&out[..n], &bytes[..]);
        }
    }

    #[test]
    fn reset_reason_round_trip(code in any::<u8>()) {
        let reason = ResetReason(code);
        let mut out = [0u8; RESET_PLAIN_FRAME_LEN];
        prop_assert_eq!(reason.encode(&mut out), Ok(RESET_PLAIN_FRAME_LEN));
        let (frame, consumed) = expect_complete(Frame::parse(&out));
        prop_assert_eq!(consumed, RESET_PLAIN_FRAME_LEN);
        prop_assert_eq!(frame.header.frame_type, FrameType::RESET);
        prop_assert_eq!(ResetReason::parse(frame.body), Ok(reason));
        prop_assert_eq!(reason.is_known(), code <= 8);
    }
}

#[test]
fn maximum_frame_and_one_past_it() {
    let body = vec![0x42u8; MAX_BODY_LEN];
    let frame = Frame::new(FrameType::DATA, &body).expect("65535 is legal for DATA");
    let mut out = vec![0u8; HEADER_LEN + MAX_BODY_LEN];
    assert_eq!(frame.encode(&mut out), Ok(HEADER_LEN + MAX_BODY_LEN));
    assert_eq!(out[..3], [0x10, 0xff, 0xff]);
    assert_eq!(expect_complete(Frame::parse(&out)).0, frame);

    let too_long = vec![0u8; MAX_BODY_LEN + 1];
    assert_eq!(
        Frame::new(FrameType::DATA, &too_long),
        Err(DecodeError::FrameTooLong {
            len: MAX_BODY_LEN + 1
        })
    );
    assert_eq!(
        Header::new(FrameType(0x7f), usize::MAX),
        Err(DecodeError::FrameTooLong { len: usize::MAX })
    );
}
