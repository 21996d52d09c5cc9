//! The `Stream` adapter over an in-memory transport with chunked delivery
//! and injected faults: `ossuary_testkit::core::io_stream`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_testkit::core::{StreamInput, io_stream};

fuzz_target!(|input: StreamInput| io_stream(&input));
