//! Bytes for test data: hex in both directions, fixed-size arrays and the
//! byte patterns the fixed keys are made of.

/// Decodes hex, either case. Panics on an odd length or a non-hex digit
/// (test data only).
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length: {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .unwrap_or_else(|| panic!("not hex: {s}"))
        })
        .collect()
}

/// Encodes `bytes` as lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts that `debug` (a `Debug` rendering) shows `secret` neither as
/// hex (either case, not even its first 8 bytes) nor as the default
/// `[1, 2, ..]` list.
pub fn assert_redacted(debug: &str, secret: &[u8]) {
    let hex = to_hex(secret);
    let prefix = hex.get(..16).unwrap_or(&hex);
    assert!(
        !debug.to_lowercase().contains(prefix),
        "{debug} leaks {hex}"
    );
    let list = format!("{secret:?}");
    let inner = list.trim_start_matches('[').trim_end_matches(']');
    assert!(!debug.contains(inner), "{debug} leaks {list}");
}

/// `bytes` as an array of exactly `N` bytes. Panics on another length.
pub fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes
        .try_into()
        .unwrap_or_else(|_| panic!("{} bytes, not {N}", bytes.len()))
}

/// The bytes `start, start + 1, ..., start + N - 1` (wrapping): the inputs of
/// `docs/vectors/` are built from these.
pub const fn counting<const N: usize>(start: u8) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = start.wrapping_add(i as u8);
        i += 1;
    }
    out
}

/// A fixed, non-trivial byte pattern: byte `i` is `(seed + 37 i) ^ 0x5c`.
pub const fn pattern<const N: usize>(seed: u8) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = seed.wrapping_add((i as u8).wrapping_mul(37)) ^ 0x5c;
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{array, counting, hex, pattern, to_hex};

    #[test]
    fn hex_round_trips_in_either_case() {
        assert_eq!(hex("00ff10Ab"), [0x00, 0xff, 0x10, 0xab]);
        assert_eq!(to_hex(&[0x00, 0xff, 0x10, 0xab]), "00ff10ab");
        assert_eq!(hex(""), Vec::<u8>::new());
    }

    #[test]
    #[should_panic(expected = "odd hex length")]
    fn odd_hex_is_refused() {
        hex("abc");
    }

    #[test]
    #[should_panic(expected = "not hex")]
    fn non_hex_digit_is_refused() {
        hex("0g");
    }

    #[test]
    #[should_panic(expected = "3 bytes, not 4")]
    fn array_checks_the_length() {
        let _: [u8; 4] = array(&[1, 2, 3]);
    }

    #[test]
    fn patterns() {
        assert_eq!(counting::<4>(0xfe), [0xfe, 0xff, 0x00, 0x01]);
        assert_eq!(pattern::<3>(0x01), [0x01 ^ 0x5c, 0x26 ^ 0x5c, 0x4b ^ 0x5c]);
    }
}
