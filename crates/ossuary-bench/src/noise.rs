//! snow (Noise) pairs in memory, with snow's ring resolver (`ring-accelerated`:
//! ChaCha20-Poly1305 and SHA-256 from ring, X25519 from curve25519-dalek).

use snow::{Builder, HandshakeState, TransportState};

use crate::BenchResult;

/// Which Noise pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// Both static keys sent encrypted; 3 messages.
    Xx,
    /// The initiator knows the responder's static key; 2 messages.
    Ik,
}

impl Pattern {
    fn params(self) -> &'static str {
        match self {
            Self::Xx => "Noise_XX_25519_ChaChaPoly_SHA256",
            Self::Ik => "Noise_IK_25519_ChaChaPoly_SHA256",
        }
    }
}

/// Long-term static keys, generated once.
pub(crate) struct NoiseKeys {
    initiator: Vec<u8>,
    responder: Vec<u8>,
    responder_public: Vec<u8>,
}

impl NoiseKeys {
    pub(crate) fn generate() -> BenchResult<Self> {
        let builder = Builder::new(Pattern::Xx.params().parse()?);
        let i = builder.generate_keypair()?;
        let r = builder.generate_keypair()?;
        Ok(Self {
            initiator: i.private,
            responder: r.private,
            responder_public: r.public,
        })
    }
}

/// Both ends of a finished handshake, in transport mode.
pub(crate) struct NoisePair {
    pub(crate) initiator: TransportState,
    pub(crate) responder: TransportState,
}

/// What a handshake put on the wire: message bytes (each message would
/// also need the application's 2-byte length prefix) and message count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NoiseWire {
    pub(crate) bytes: usize,
    pub(crate) messages: usize,
}

/// A full handshake, both sides, from the builders to transport mode.
pub(crate) fn handshake(pattern: Pattern, keys: &NoiseKeys) -> BenchResult<(NoisePair, NoiseWire)> {
    let params = pattern.params().parse()?;
    let mut initiator = Builder::new(params).local_private_key(&keys.initiator)?;
    if pattern == Pattern::Ik {
        initiator = initiator.remote_public_key(&keys.responder_public)?;
    }
    let mut initiator = initiator.build_initiator()?;
    let params = pattern.params().parse()?;
    let mut responder = Builder::new(params)
        .local_private_key(&keys.responder)?
        .build_responder()?;
    let mut wire = NoiseWire::default();
    let mut msg = [0u8; 256];
    let mut payload = [0u8; 64];
    for _ in 0..4 {
        if initiator.is_handshake_finished() && responder.is_handshake_finished() {
            let pair = NoisePair {
                initiator: initiator.into_transport_mode()?,
                responder: responder.into_transport_mode()?,
            };
            return Ok((pair, wire));
        }
        let (from, to): (&mut HandshakeState, &mut HandshakeState) = if initiator.is_my_turn() {
            (&mut initiator, &mut responder)
        } else {
            (&mut responder, &mut initiator)
        };
        let n = from.write_message(&[], &mut msg)?;
        to.read_message(&msg[..n], &mut payload)?;
        wire.bytes += n;
        wire.messages += 1;
    }
    Err("Noise handshake did not finish".into())
}
