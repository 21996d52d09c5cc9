//! Where handshake randomness comes from.
//!
//! The handshake crate takes a `CryptoRng`; this module draws the exact
//! number of bytes a step needs from an [`Entropy`] source first, so a
//! failing OS generator is an [`Error::Entropy`], never a panic.

use zeroize::Zeroizing;

use crate::error::Error;

/// A source of secret randomness. The default is the operating system's.
pub trait Entropy: Send {
    /// Fills `buf` with secret random bytes.
    ///
    /// # Errors
    /// [`Error::Entropy`] when no randomness could be obtained.
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's random number generator (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        getrandom::fill(buf).map_err(|_| Error::Entropy)
    }
}

/// Draws `N` bytes, erased when dropped.
pub(crate) fn draw<const N: usize>(source: &mut dyn Entropy) -> Result<Zeroizing<[u8; N]>, Error> {
    let mut bytes = Zeroizing::new([0u8; N]);
    source.fill(&mut bytes[..])?;
    Ok(bytes)
}

/// Replays fixed bytes (known-answer vectors); fails when they run out.
#[cfg(feature = "hazmat")]
pub(crate) struct Fixed {
    bytes: Vec<u8>,
    pos: usize,
}

#[cfg(feature = "hazmat")]
impl Fixed {
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self { bytes, pos: 0 }
    }
}

#[cfg(feature = "hazmat")]
impl Entropy for Fixed {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        let end = self.pos + buf.len();
        let src = self.bytes.get(self.pos..end).ok_or(Error::Entropy)?;
        buf.copy_from_slice(src);
        self.pos = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_entropy_fills() {
        let a = draw::<32>(&mut OsEntropy).unwrap();
        let b = draw::<32>(&mut OsEntropy).unwrap();
        assert_ne!(*a, *b);
    }
}
