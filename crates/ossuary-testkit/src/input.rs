//! The small input language the structured fuzz inputs share: bytes read
//! one at a time in a fixed layout ([`read_u8`] and friends), and [`Piece`]s
//! of a peer's byte stream (an honest frame, one changed a little by
//! [`Mutation`]s, or raw bytes).
//!
//! Inputs are read with [`arbitrary::Unstructured`] in a fixed layout (each
//! type documents its own), so that a seed can be written by hand or by the
//! `write` methods: see the `fuzz_regressions` tests, which build the
//! committed seed corpora from `docs/vectors`.

use arbitrary::Unstructured;

/// One byte, or 0 once the input is used up.
pub fn read_u8(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

/// Two bytes, big-endian (0 once the input is used up).
pub fn read_u16(u: &mut Unstructured<'_>) -> u16 {
    u16::from_be_bytes([read_u8(u), read_u8(u)])
}

/// `N` bytes (zero-filled once the input is used up).
pub fn read_array<const N: usize>(u: &mut Unstructured<'_>) -> [u8; N] {
    let mut out = [0u8; N];
    // `fill_buffer` never fails: it zero-fills what the input cannot.
    let _ = u.fill_buffer(&mut out);
    out
}

/// Up to `len` bytes: fewer if the input ends first.
pub fn read_bytes(u: &mut Unstructured<'_>, len: usize) -> Vec<u8> {
    let len = len.min(u.len());
    u.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
}

/// One change to a byte string (an honest frame, usually).
///
/// Layout: 4 bytes, `kind` (taken modulo 5), `at` (u16, big-endian, taken
/// modulo the length), `value`. Every byte string decodes to a mutation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// XOR the byte at `at` with `mask`.
    Xor {
        /// Position (modulo the length).
        at: u16,
        /// The mask.
        mask: u8,
    },
    /// Overwrite the byte at `at`.
    Set {
        /// Position (modulo the length).
        at: u16,
        /// The new value.
        byte: u8,
    },
    /// Cut the bytes from `len` on.
    Truncate {
        /// New length (modulo the length + 1).
        len: u16,
    },
    /// Insert `byte` before position `at`.
    Insert {
        /// Position (modulo the length + 1).
        at: u16,
        /// The byte.
        byte: u8,
    },
    /// Remove the byte at `at`.
    Remove {
        /// Position (modulo the length).
        at: u16,
    },
}

impl Mutation {
    /// Bytes one mutation takes in an input.
    pub const LEN: usize = 4;

    /// Reads one mutation (layout in the type's docs).
    pub fn read(u: &mut Unstructured<'_>) -> Self {
        let kind = read_u8(u) % 5;
        let at = read_u16(u);
        let value = read_u8(u);
        match kind {
            0 => Self::Xor { at, mask: value },
            1 => Self::Set { at, byte: value },
            2 => Self::Truncate { len: at },
            3 => Self::Insert { at, byte: value },
            _ => Self::Remove { at },
        }
    }

    /// Appends the mutation's input bytes (the inverse of [`Self::read`]).
    pub fn write(&self, out: &mut Vec<u8>) {
        let (kind, at, value) = match *self {
            Self::Xor { at, mask } => (0, at, mask),
            Self::Set { at, byte } => (1, at, byte),
            Self::Truncate { len } => (2, len, 0),
            Self::Insert { at, byte } => (3, at, byte),
            Self::Remove { at } => (4, at, 0),
        };
        out.push(kind);
        out.extend_from_slice(&at.to_be_bytes());
        out.push(value);
    }

    /// Applies the mutation to `bytes`.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match *self {
            Self::Xor { at, mask } if len > 0 => bytes[usize::from(at) % len] ^= mask,
            Self::Set { at, byte } if len > 0 => bytes[usize::from(at) % len] = byte,
            Self::Truncate { len: new } => bytes.truncate(usize::from(new) % (len + 1)),
            Self::Insert { at, byte } => bytes.insert(usize::from(at) % (len + 1), byte),
            Self::Remove { at } if len > 0 => {
                bytes.remove(usize::from(at) % len);
            }
            _ => {}
        }
    }
}

/// A part of the byte stream a peer sends.
///
/// Layout: a tag byte (taken modulo [`Piece::TAGS`]) then
/// - `0` Honest: `index`;
/// - `1` Mutated: `index`, a count `n`, then `n` [`Mutation`]s;
/// - `2` Raw: a length (u16, big-endian) and that many bytes.
///
/// Fuzz inputs that mix pieces with other operations give pieces the tags
/// `0..3` and read the body with [`Piece::read_body`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// The honest frame number `index` (modulo the number of honest frames).
    Honest(u8),
    /// The honest frame number `index`, mutated.
    Mutated(u8, Vec<Mutation>),
    /// Bytes of the fuzzer's choosing.
    Raw(Vec<u8>),
}

impl Piece {
    /// Number of tags a piece uses.
    pub const TAGS: u8 = 3;

    /// Reads one piece (layout in the type's docs).
    pub fn read(u: &mut Unstructured<'_>) -> Self {
        let tag = read_u8(u) % Self::TAGS;
        Self::read_body(tag, u)
    }

    /// Reads the piece that follows tag `tag` (`0..3`).
    pub fn read_body(tag: u8, u: &mut Unstructured<'_>) -> Self {
        match tag {
            0 => Self::Honest(read_u8(u)),
            1 => {
                let index = read_u8(u);
                let count = usize::from(read_u8(u));
                let mut mutations = Vec::new();
                while mutations.len() < count && !u.is_empty() {
                    mutations.push(Mutation::read(u));
                }
                Self::Mutated(index, mutations)
            }
            _ => {
                let len = usize::from(read_u16(u));
                Self::Raw(read_bytes(u, len))
            }
        }
    }

    /// Appends the piece's input bytes (the inverse of [`Self::read`]).
    ///
    /// # Panics
    /// If a raw piece is longer than 65535 bytes or has more than 255 mutations.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Honest(index) => out.extend_from_slice(&[0, *index]),
            Self::Mutated(index, mutations) => {
                let count = u8::try_from(mutations.len()).expect("at most 255 mutations");
                out.extend_from_slice(&[1, *index, count]);
                for m in mutations {
                    m.write(out);
                }
            }
            Self::Raw(bytes) => {
                let len = u16::try_from(bytes.len()).expect("at most 65535 raw bytes");
                out.push(2);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(bytes);
            }
        }
    }

    /// The bytes this piece stands for, given the honest frames.
    pub fn bytes(&self, honest: &[Vec<u8>]) -> Vec<u8> {
        let pick = |index: u8| match honest.len() {
            0 => Vec::new(),
            n => honest[usize::from(index) % n].clone(),
        };
        match self {
            Self::Honest(index) => pick(*index),
            Self::Mutated(index, mutations) => {
                let mut bytes = pick(*index);
                for m in mutations {
                    m.apply(&mut bytes);
                }
                bytes
            }
            Self::Raw(bytes) => bytes.clone(),
        }
    }
}
