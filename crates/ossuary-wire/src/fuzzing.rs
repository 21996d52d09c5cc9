//! Transitional: what `ossuary-core`'s `fuzzing` module and its
//! `fuzz_regressions` test still import from here. The fuzz machinery lives
//! in `ossuary-testkit` (`ossuary_testkit::{input, wire, replay}`, the same
//! items); this module and the `fuzzing` feature go when core's fuzzing
//! module moves there too. Nothing else may use it.

// A fuzz function reports a broken invariant by panicking: that is its job.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

extern crate std;

use std::vec::Vec;

use arbitrary::Unstructured;

use crate::{Frame, HEADER_LEN, Parsed};

// ---- reading structured input ----

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

/// Splits a byte stream into its complete frames; stops at the first error
/// or incomplete frame. Returns the frames' bytes and the number of bytes
/// they cover.
///
/// Each frame gets the invariants that cost nothing per byte (exact
/// consumption, the body is the bytes after the header, a legal length for
/// its type). The per-byte ones of [`checked_parse`] (re-encoding, every
/// prefix) made the session targets spend half their time re-checking their
/// own output, which [`wire_frame`] already checks on arbitrary bytes.
pub fn split_frames(stream: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Ok(Parsed::Complete { value, consumed }) = Frame::parse(&stream[at..]) {
        let len = usize::from(value.header.len);
        assert_eq!(consumed, HEADER_LEN + len, "consumed != 3 + header.len");
        assert!(at + consumed <= stream.len(), "consumed more than given");
        assert_eq!(value.body.len(), len, "body length != header.len");
        assert!(
            core::ptr::eq(value.body.as_ptr(), stream[at + HEADER_LEN..].as_ptr()),
            "the body is not the bytes after the header"
        );
        assert!(value.header.frame_type.is_legal_body_len(len));
        frames.push(&stream[at..at + consumed]);
        at += consumed;
    }
    (frames, at)
}

// ---- regression files and seed corpora (used by the crates' tests) ----

/// The input files of `dir`, sorted by name: every regular file except
/// hidden ones and `*.md` notes. A missing directory has none.
pub fn input_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<std::path::PathBuf> = entries
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("readable input file");
            (p, bytes)
        })
        .collect()
}

/// Runs `f` on every input file of `dir` (see [`input_files`]), naming the
/// file if it panics. Returns how many ran.
pub fn replay_dir(dir: &std::path::Path, f: impl Fn(&[u8])) -> usize {
    let files = input_files(dir);
    for (path, bytes) in &files {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(bytes)));
        if let Err(payload) = result {
            std::eprintln!("fuzz input {} failed", path.display());
            std::panic::resume_unwind(payload);
        }
    }
    files.len()
}

/// Checks that `dir` holds every seed, byte for byte. With `OSSUARY_BLESS=1`
/// in the environment, writes them instead (other files are left alone).
pub fn check_seeds(dir: &std::path::Path, seeds: &[(std::string::String, Vec<u8>)]) {
    let bless = std::env::var_os("OSSUARY_BLESS").is_some_and(|v| v == "1");
    if bless {
        std::fs::create_dir_all(dir).expect("create the corpus directory");
    }
    let mut stale = Vec::new();
    for (name, bytes) in seeds {
        let path = dir.join(name);
        if bless {
            std::fs::write(&path, bytes).expect("write a seed");
        } else if std::fs::read(&path).ok().as_ref() != Some(bytes) {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "seed corpus {} is out of date ({} of {} seeds differ or are missing: {:?}); \
         regenerate it with OSSUARY_BLESS=1",
        dir.display(),
        stale.len(),
        seeds.len(),
        stale
    );
}
