//! The frame parser and every handshake message parser on arbitrary bytes,
//! with encode/parse round trips: `ossuary_wire::fuzzing::wire_frame`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ossuary_wire::fuzzing::wire_frame(data));
