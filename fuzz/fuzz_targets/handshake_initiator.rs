//! The client state machine fed a server's bytes (honest, mutated or raw):
//! `ossuary_handshake::fuzzing::initiator`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ossuary_handshake::fuzzing::{InitiatorInput, initiator};

fuzz_target!(|input: InitiatorInput| initiator(&input));
