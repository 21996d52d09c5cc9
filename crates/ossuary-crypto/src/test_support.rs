//! Helpers shared by the unit tests (compiled only for `cargo test`).

use std::format;
use std::string::String;
use std::vec::Vec;

/// Decodes hex (panics on bad input: test data only).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.try_into().unwrap()
}

/// Asserts a `Debug` string shows `secret` neither as hex (either case)
/// nor as the default `[1, 2, ..]` array form.
pub(crate) fn assert_redacted(debug: &str, secret: &(impl AsRef<[u8]> + ?Sized)) {
    let secret = secret.as_ref();
    let hex = to_hex(secret);
    assert!(!debug.contains(&hex), "{debug} leaks {hex}");
    assert!(!debug.to_lowercase().contains(&hex), "{debug} leaks {hex}");
    let list = format!("{secret:?}");
    let inner = list.trim_start_matches('[').trim_end_matches(']');
    assert!(!debug.contains(inner), "{debug} leaks {list}");
    // Not even a prefix of the secret.
    assert!(!debug.contains(&hex[..16]), "{debug} leaks part of {hex}");
}

/// A JSON object of hex strings from a vector file.
pub(crate) struct Vectors(serde_json::Value);

impl Vectors {
    pub(crate) fn parse(json: &str) -> Self {
        Self(serde_json::from_str(json).unwrap())
    }

    pub(crate) fn hex(&self, name: &str) -> Vec<u8> {
        let s = self.0[name]
            .as_str()
            .unwrap_or_else(|| panic!("missing {name}"));
        hex(s)
    }
}

/// The operating system's RNG.
pub(crate) fn test_rng() -> impl rand_core::CryptoRng {
    getrandom::rand_core::UnwrapErr(getrandom::SysRng)
}

/// An RNG that always fails, as an operating system's RNG can.
pub(crate) struct FailingRng;

/// The error of [`FailingRng`].
#[derive(Debug)]
pub(crate) struct RngFailure;

impl core::fmt::Display for RngFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("no entropy")
    }
}

impl core::error::Error for RngFailure {}

impl rand_core::TryRng for FailingRng {
    type Error = RngFailure;

    fn try_next_u32(&mut self) -> Result<u32, RngFailure> {
        Err(RngFailure)
    }

    fn try_next_u64(&mut self) -> Result<u64, RngFailure> {
        Err(RngFailure)
    }

    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), RngFailure> {
        Err(RngFailure)
    }
}

impl rand_core::TryCryptoRng for FailingRng {}
