//! One side of an established session fed honest, mutated and raw records:
//! `ossuary_testkit::core::session_open`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_testkit::core::{SessionInput, session_open};

fuzz_target!(|input: SessionInput| session_open(&input));
