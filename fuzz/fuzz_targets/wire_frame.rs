//! The frame parser and every handshake message parser on arbitrary bytes,
//! with encode/parse round trips: `ossuary_testkit::wire::wire_frame`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ossuary_testkit::wire::wire_frame(data));
