//! X25519 public keys of small order, for the non-contributory tests.

use crate::bytes::hex;

/// The canonical encodings of the small-order points (RFC 7748 §6.1 asks
/// implementations to check for the all-zero output they give).
const CANONICAL: [&str; 7] = [
    // 0 and 1
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    // the two points of order 8
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    // p - 1 (order 2), p (= 0), p + 1 (= 1)
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/// X25519 public keys of small order and their non-canonical aliases, each
/// with and without the ignored top bit (14 keys): with any secret scalar,
/// every one gives an all-zero shared secret.
pub fn low_order_points() -> Vec<[u8; 32]> {
    let mut out = Vec::with_capacity(2 * CANONICAL.len());
    for h in CANONICAL {
        let p: [u8; 32] = crate::bytes::array(&hex(h));
        out.push(p);
        let mut top = p;
        top[31] ^= 0x80;
        out.push(top);
    }
    out
}

/// Whether `point` is one of [`low_order_points`].
pub fn is_low_order(point: &[u8; 32]) -> bool {
    low_order_points().contains(point)
}
