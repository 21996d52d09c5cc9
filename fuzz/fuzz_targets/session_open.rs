//! One side of an established session fed honest, mutated and raw records:
//! `ossuary_core::fuzzing::session_open`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_core::fuzzing::{SessionInput, session_open};

fuzz_target!(|input: SessionInput| session_open(&input));
