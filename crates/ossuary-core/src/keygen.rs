//! Identity key generation.

use ossuary_crypto::{PublicKey, SecretKey};
use zeroize::Zeroizing;

use crate::error::Error;

/// Generates an Ed25519 identity keypair from the OS random number generator.
///
/// Store `secret.to_bytes()` safely; give the public key to peers.
///
/// # Errors
/// [`Error::Entropy`] if the OS random number generator fails.
pub fn generate_keypair() -> Result<(SecretKey, PublicKey), Error> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut seed[..]).map_err(|_| Error::Entropy)?;
    let secret = SecretKey::from_bytes(&seed);
    let public = secret.public_key();
    Ok((secret, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypairs_differ_and_match() {
        let (s1, p1) = generate_keypair().unwrap();
        let (_, p2) = generate_keypair().unwrap();
        assert_ne!(p1, p2);
        assert_eq!(s1.public_key(), p1);
    }
}
