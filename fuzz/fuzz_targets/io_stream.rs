//! The `Stream` adapter over an in-memory transport with chunked delivery
//! and injected faults: `ossuary_core::fuzzing::io_stream`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_core::fuzzing::{StreamInput, io_stream};

fuzz_target!(|input: StreamInput| io_stream(&input));
