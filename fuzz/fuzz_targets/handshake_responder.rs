//! The server state machine fed a client's bytes (honest, mutated or raw):
//! `ossuary_testkit::handshake::responder`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_testkit::handshake::{ResponderInput, responder};

fuzz_target!(|input: ResponderInput| responder(&input));
