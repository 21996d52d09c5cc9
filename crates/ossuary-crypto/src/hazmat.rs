//! The key schedule as pure functions, for known-answer vectors (cargo feature
//! `hazmat`). Never enable `hazmat` in production.
//!
//! Each function computes one value of PROTOCOL.md §6.2 from the values it is
//! derived from, with the same code the typed key schedule uses. No key
//! object keeps a raw copy of its bytes for these: a vector test takes a
//! secret where the handshake reports it (the handshake's `KeyLog`) and
//! derives the rest, for example
//!
//! ```text
//!  c_key_0 = record_key(c_ap_0)        c_ap_1 = next_traffic_secret(c_ap_0)
//!  c_key_1 = record_key(c_ap_1)        ...
//! ```

use crate::key_schedule::{
    C_AP_TRAFFIC, C_HS_KEY, HANDSHAKE_SALT, S_AP_TRAFFIC, S_HS_KEY, expand_label, hkdf_extract,
};
use crate::lengths::HASH_LEN;

/// `hs_secret = HKDF-Extract("ossuary v1 handshake", dh)`.
#[must_use]
pub fn handshake_secret(dh: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *hkdf_extract(HANDSHAKE_SALT, dh)
}

/// `c_hs_key = Expand(hs_secret, "c hs key", TH2)`.
#[must_use]
pub fn client_handshake_key(hs_secret: &[u8; HASH_LEN], th2: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *expand_label(hs_secret, C_HS_KEY, Some(th2))
}

/// `s_hs_key = Expand(hs_secret, "s hs key", TH2)`.
#[must_use]
pub fn server_handshake_key(hs_secret: &[u8; HASH_LEN], th2: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *expand_label(hs_secret, S_HS_KEY, Some(th2))
}

/// `c_ap_0 = Expand(hs_secret, "c ap traffic", TH)`.
#[must_use]
pub fn client_traffic_secret(hs_secret: &[u8; HASH_LEN], th: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *expand_label(hs_secret, C_AP_TRAFFIC, Some(th))
}

/// `s_ap_0 = Expand(hs_secret, "s ap traffic", TH)`.
#[must_use]
pub fn server_traffic_secret(hs_secret: &[u8; HASH_LEN], th: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *expand_label(hs_secret, S_AP_TRAFFIC, Some(th))
}

/// `x_key_n = Expand(x_ap_n, "record key", "")`: the record key of a traffic
/// secret, as a [`RecordSealer`](crate::RecordSealer) or
/// [`RecordOpener`](crate::RecordOpener) holding that secret uses it.
#[must_use]
pub fn record_key(traffic_secret: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *crate::key_schedule::record_key(traffic_secret)
}

/// `x_ap_{n+1} = Expand(x_ap_n, "key update", "")`: the traffic secret after
/// one key update (`RecordSealer::update`, `RecordOpener::update`).
#[must_use]
pub fn next_traffic_secret(traffic_secret: &[u8; HASH_LEN]) -> [u8; HASH_LEN] {
    *crate::key_schedule::next_traffic_secret(traffic_secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Vectors, array};

    /// The whole schedule against values computed outside this crate.
    #[test]
    fn matches_the_independent_vector() {
        let v = Vectors::parse(include_str!("../tests/vectors/key_schedule.json"));
        let hs = handshake_secret(&array(&v.hex("dh")));
        assert_eq!(hs.to_vec(), v.hex("hs_secret"));
        let th2 = array(&v.hex("th2"));
        let th = array(&v.hex("th"));
        let c_ap_0 = client_traffic_secret(&hs, &th);
        let s_ap_0 = server_traffic_secret(&hs, &th);
        let checks = [
            ("c_hs_key", client_handshake_key(&hs, &th2)),
            ("s_hs_key", server_handshake_key(&hs, &th2)),
            ("c_ap_0", c_ap_0),
            ("s_ap_0", s_ap_0),
            ("c_key_0", record_key(&c_ap_0)),
            ("s_key_0", record_key(&s_ap_0)),
            ("c_ap_1", next_traffic_secret(&c_ap_0)),
            ("s_ap_1", next_traffic_secret(&s_ap_0)),
            ("c_key_1", record_key(&next_traffic_secret(&c_ap_0))),
            ("s_key_1", record_key(&next_traffic_secret(&s_ap_0))),
        ];
        for (name, got) in checks {
            assert_eq!(got.to_vec(), v.hex(name), "{name}");
        }
    }
}
