//! [`PresetRng`]: fixed bytes as a cryptographic RNG, for known-answer tests.

use core::convert::Infallible;
use core::fmt;

use rand_core::{TryCryptoRng, TryRng};

/// Hands out preset bytes, in order, as an infallible `rand_core` RNG (so it
/// is a `CryptoRng` and a `TryCryptoRng`): with fixed bytes, an ephemeral key
/// or a handshake random is known in advance.
///
/// Drawing more than is left fills the request with zeros and marks the RNG
/// [`overdrawn`](Self::overdrawn); tests check it, and
/// [`remaining`](Self::remaining), to pin how much a step draws. `Debug`
/// shows only how many bytes are left.
pub struct PresetRng<'a> {
    bytes: &'a [u8],
    overdrawn: bool,
}

impl<'a> PresetRng<'a> {
    /// An RNG that returns `bytes`, in order.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            overdrawn: false,
        }
    }

    /// How many preset bytes are left.
    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Whether a request ever asked for more bytes than were left.
    #[must_use]
    pub fn overdrawn(&self) -> bool {
        self.overdrawn
    }
}

impl TryRng for PresetRng<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match self.bytes.split_at_checked(dst.len()) {
            Some((now, rest)) => {
                dst.copy_from_slice(now);
                self.bytes = rest;
            }
            None => {
                dst.fill(0);
                self.bytes = &[];
                self.overdrawn = true;
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for PresetRng<'_> {}

impl fmt::Debug for PresetRng<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresetRng")
            .field("remaining", &self.bytes.len())
            .field("overdrawn", &self.overdrawn)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rand_core::{CryptoRng, Rng};

    use super::PresetRng;

    #[test]
    fn hands_out_bytes_in_order() {
        let bytes: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut rng = PresetRng::new(&bytes);
        let mut a = [0; 3];
        rng.fill_bytes(&mut a);
        assert_eq!(a, [0, 1, 2]);
        assert_eq!(rng.next_u32(), u32::from_le_bytes([3, 4, 5, 6]));
        assert_eq!(
            rng.next_u64(),
            u64::from_le_bytes([7, 8, 9, 10, 11, 12, 13, 14])
        );
        assert_eq!(rng.remaining(), 1);
        assert!(!rng.overdrawn());
        rng.fill_bytes(&mut []);
        assert!(!rng.overdrawn());
    }

    #[test]
    fn overdraw_fills_zeros_and_sticks() {
        let bytes = [0xff; 4];
        let mut rng = PresetRng::new(&bytes);
        let mut a = [0xaa; 5];
        rng.fill_bytes(&mut a);
        assert_eq!(a, [0; 5]);
        assert!(rng.overdrawn());
        assert_eq!(rng.remaining(), 0);
        let mut b = [0xaa; 1];
        rng.fill_bytes(&mut b);
        assert_eq!(b, [0]);
        assert!(rng.overdrawn());
    }

    #[test]
    fn is_a_crypto_rng() {
        fn draw(rng: &mut (impl CryptoRng + ?Sized)) -> u8 {
            let mut b = [0];
            rng.fill_bytes(&mut b);
            b[0]
        }
        assert_eq!(draw(&mut PresetRng::new(&[7])), 7);
    }

    #[test]
    fn debug_shows_no_bytes() {
        let bytes = [0x3c; 32];
        let s = format!("{:?}", PresetRng::new(&bytes));
        assert_eq!(s, "PresetRng { remaining: 32, overdrawn: false, .. }");
        assert!(!s.contains("3c") && !s.contains("60"), "{s}");
    }
}
