//! The client state machine fed a server's bytes (honest, mutated or raw):
//! `ossuary_testkit::handshake::initiator`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_testkit::handshake::{InitiatorInput, initiator};

fuzz_target!(|input: InitiatorInput| initiator(&input));
