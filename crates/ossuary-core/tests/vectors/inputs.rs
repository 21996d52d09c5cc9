//! The fixed inputs of the two vector files, the records they carry, and
//! the strict hex both the generator and the checker use.

/// The fixed inputs of one vector file.
pub(crate) struct Inputs {
    /// File name under `docs/vectors/`.
    pub(crate) file: &'static str,
    /// `C_sk`, or `None` for an anonymous client.
    pub(crate) client_identity_secret: Option<[u8; 32]>,
    /// `S_sk`.
    pub(crate) server_identity_secret: [u8; 32],
    /// `e_c_sk`: the first 32 bytes the client draws.
    pub(crate) client_ephemeral_secret: [u8; 32],
    /// `random_c`: the next 32 bytes the client draws.
    pub(crate) client_random: [u8; 32],
    /// `d || z`: the next 64 bytes the client draws, its ML-KEM-768 seed.
    pub(crate) client_kem_seed: [u8; 64],
    /// `e_s_sk`: the 32 bytes the server draws first for its handshake.
    pub(crate) server_ephemeral_secret: [u8; 32],
    /// `m`: the next 32 bytes the server draws, its ML-KEM-768
    /// encapsulation randomness.
    pub(crate) server_kem_randomness: [u8; 32],
    /// An authenticating server (flags `01`) or an open server (flags `00`).
    pub(crate) authenticating: bool,
}

/// The `N` bytes `start, start + 1, ...` (wrapping): easy to spot in a dump.
pub(crate) const fn counting<const N: usize>(start: u8) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = start.wrapping_add(i as u8);
        i += 1;
    }
    out
}

/// A client with an identity, pinning the server's key, and an
/// authenticating server that authorizes the client's key.
pub(crate) const MUTUAL: Inputs = Inputs {
    file: "handshake-mutual.json",
    client_identity_secret: Some(counting(0x20)),
    server_identity_secret: counting(0x00),
    client_ephemeral_secret: counting(0x40),
    client_random: counting(0x60),
    client_kem_seed: counting(0x10),
    server_ephemeral_secret: counting(0x80),
    server_kem_randomness: counting(0x90),
    authenticating: true,
};

/// An anonymous client, pinning the server's key, and an open server.
pub(crate) const ANONYMOUS: Inputs = Inputs {
    file: "handshake-anonymous.json",
    client_identity_secret: None,
    server_identity_secret: counting(0x00),
    client_ephemeral_secret: counting(0xa0),
    client_random: counting(0xc0),
    client_kem_seed: counting(0x30),
    server_ephemeral_secret: counting(0xe0),
    server_kem_randomness: counting(0xf0),
    authenticating: false,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    ClientToServer,
    ServerToClient,
}

impl Direction {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ClientToServer => "client_to_server",
            Self::ServerToClient => "server_to_client",
        }
    }
}

/// One record to send, in order.
pub(crate) enum Step {
    Data(Direction, &'static [u8]),
    KeyUpdate(Direction),
    Close(Direction),
}

pub(crate) use Direction::{ClientToServer, ServerToClient};

/// The records of both files.
pub(crate) const SCRIPT: &[Step] = &[
    Step::Data(ClientToServer, b"ping: client to server, key generation 0"),
    Step::Data(ServerToClient, b"pong: server to client, key generation 0"),
    // A DATA record with an empty plaintext (body = tag only) is legal.
    Step::Data(ServerToClient, b""),
    Step::KeyUpdate(ClientToServer),
    Step::Data(
        ClientToServer,
        b"client to server after KEY_UPDATE, key generation 1",
    ),
    Step::Close(ClientToServer),
    Step::Close(ServerToClient),
];

pub(crate) const SERVER_LABEL: &[u8] = b"ossuary v1 server signature";
pub(crate) const CLIENT_LABEL: &[u8] = b"ossuary v1 client signature";

// ---- hex ----

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes lower-case hex; anything else (upper case, odd length) panics.
pub(crate) fn from_hex(what: &str, s: &str) -> Vec<u8> {
    assert!(
        s.len().is_multiple_of(2) && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
        "{what}: not lower-case hex without separators: {s:?}"
    );
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
