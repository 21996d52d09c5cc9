//! The C API, driven as a C program could: arbitrary sequences of entry
//! points with arbitrary arguments over a few handles. The driver is
//! `crates/ossuary-ffi/fuzz_driver/` (beside the library, not in it; it is
//! where the C API's `unsafe` may live), compiled in here.
#![no_main]

#[path = "../../crates/ossuary-ffi/fuzz_driver/mod.rs"]
mod ffi_driver;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ffi_driver::run(data);
});
