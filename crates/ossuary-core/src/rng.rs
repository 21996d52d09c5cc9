//! Where the handshake's randomness comes from.
//!
//! The handshake draws what it needs itself, through the `rand_core`
//! [`TryCryptoRng`] trait: the operating system's generator by default, or
//! (with the `hazmat` feature, for known-answer tests only) a generator the
//! caller supplies. A failing generator is [`Error::Entropy`](crate::Error),
//! never a panic.

use rand_core::{TryCryptoRng, TryRng};

/// The generator a [`Connection`](crate::Connection) draws from.
pub(crate) enum Randomness {
    /// The operating system's generator (`getrandom`).
    Os,
    /// A caller-supplied generator (known-answer tests).
    #[cfg(feature = "hazmat")]
    Supplied(Box<dyn rand_core::CryptoRng + Send>),
}

impl TryRng for Randomness {
    type Error = getrandom::Error;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0u8; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0u8; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        match self {
            Self::Os => getrandom::fill(dst),
            #[cfg(feature = "hazmat")]
            Self::Supplied(rng) => {
                rng.fill_bytes(dst);
                Ok(())
            }
        }
    }
}

impl TryCryptoRng for Randomness {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_randomness_differs() {
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        Randomness::Os.try_fill_bytes(&mut a).unwrap();
        Randomness::Os.try_fill_bytes(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(Randomness::Os.try_next_u64().unwrap(), 0);
    }
}
