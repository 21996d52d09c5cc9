//! The transfer protocol's messages, inside an established Ossuary
//! session (docs/CLI.md, "The transfer protocol"):
//!
//! ```text
//! sender -> receiver   OFFER    "OSSUARYF" | version u8 = 1 | name_len u8 | name (UTF-8) | size u64
//! receiver -> sender   VERDICT  u8: 0 accepted, else why not
//! sender -> receiver   size bytes of the file, then its SHA-256 (32 bytes)
//! receiver -> sender   VERDICT  u8: 0 saved, else why not
//! then each side closes (the authenticated CLOSE).
//! ```
//!
//! Integers are big-endian. The decoder takes any bytes, never panics, and
//! says how many more it needs.

use std::fmt;

/// The first bytes of an offer.
pub(crate) const MAGIC: [u8; 8] = *b"OSSUARYF";
/// The protocol version this side speaks.
pub(crate) const VERSION: u8 = 1;
/// Magic, version and name length.
const FIXED_LEN: usize = MAGIC.len() + 2;
/// The longest name, in bytes (NAME_MAX on most file systems).
pub(crate) const MAX_NAME_LEN: usize = 255;
/// The length of the SHA-256 trailer.
pub(crate) const HASH_LEN: usize = 32;

/// A file offered: its name (as the sender calls it; the receiver makes it
/// safe) and its size in bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    name: String,
    size: u64,
}

/// What the decoder made of the bytes so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// A whole offer, which took this many bytes.
    Offer(Offer, usize),
    /// At least this many more bytes are needed.
    Incomplete(usize),
}

/// An offer that cannot be made or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OfferError {
    /// The bytes do not start with [`MAGIC`]: the sender is not `ossuary send`.
    NotAnOffer,
    /// Another version of the protocol.
    UnsupportedVersion(u8),
    /// A name of zero bytes.
    EmptyName,
    /// A name longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong(usize),
    /// A name that is not UTF-8.
    NameNotUtf8,
}

impl fmt::Display for OfferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnOffer => f.write_str("the peer is not `ossuary send` (no file offer)"),
            Self::UnsupportedVersion(v) => write!(
                f,
                "the sender speaks transfer protocol version {v}; this receiver speaks {VERSION}"
            ),
            Self::EmptyName => f.write_str("the file name is empty"),
            Self::NameTooLong(n) => write!(
                f,
                "the file name is {n} bytes; at most {MAX_NAME_LEN} fit (give a shorter --name)"
            ),
            Self::NameNotUtf8 => f.write_str("the file name is not UTF-8"),
        }
    }
}

impl std::error::Error for OfferError {}

impl Offer {
    /// An offer of `size` bytes named `name`.
    ///
    /// # Errors
    /// [`OfferError::EmptyName`], [`OfferError::NameTooLong`].
    pub(crate) fn new(name: &str, size: u64) -> Result<Self, OfferError> {
        check_name_len(name.len())?;
        Ok(Self {
            name: name.to_owned(),
            size,
        })
    }

    /// The name the sender gave (untrusted: see `name::safe_name`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The offer's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(FIXED_LEN + self.name.len() + 8);
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        // `new` and `decode` keep the name within MAX_NAME_LEN (255) bytes.
        out.push(u8::try_from(self.name.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.name.as_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        out
    }

    /// Decodes an offer from the start of `buf`; bytes after it are left.
    ///
    /// # Errors
    /// As [`OfferError`], as soon as the bytes so far show it.
    pub(crate) fn decode(buf: &[u8]) -> Result<Decoded, OfferError> {
        let have_magic = buf.len().min(MAGIC.len());
        if buf.get(..have_magic) != MAGIC.get(..have_magic) {
            return Err(OfferError::NotAnOffer);
        }
        let Some(&[version, name_len]) = buf.get(MAGIC.len()..FIXED_LEN) else {
            if let Some(&version) = buf.get(MAGIC.len()) {
                check_version(version)?;
            }
            return Ok(Decoded::Incomplete(FIXED_LEN - buf.len()));
        };
        check_version(version)?;
        let name_len = usize::from(name_len);
        check_name_len(name_len)?;
        let total = FIXED_LEN + name_len + 8;
        let (Some(name), Some(size)) = (
            buf.get(FIXED_LEN..FIXED_LEN + name_len),
            buf.get(FIXED_LEN + name_len..total),
        ) else {
            return Ok(Decoded::Incomplete(total - buf.len()));
        };
        let name = std::str::from_utf8(name).map_err(|_| OfferError::NameNotUtf8)?;
        let mut size_bytes = [0u8; 8];
        size_bytes.copy_from_slice(size);
        Ok(Decoded::Offer(
            Self {
                name: name.to_owned(),
                size: u64::from_be_bytes(size_bytes),
            },
            total,
        ))
    }
}

/// Refuses an unknown version.
fn check_version(version: u8) -> Result<(), OfferError> {
    if version == VERSION {
        Ok(())
    } else {
        Err(OfferError::UnsupportedVersion(version))
    }
}

/// Refuses an empty or too long name.
fn check_name_len(len: usize) -> Result<(), OfferError> {
    match len {
        0 => Err(OfferError::EmptyName),
        n if n > MAX_NAME_LEN => Err(OfferError::NameTooLong(n)),
        _ => Ok(()),
    }
}

/// The receiver's answer, to the offer and then to the file: a byte, with
/// unknown values kept (a newer receiver may say more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict(pub(crate) u8);

impl Verdict {
    /// Accepted (the offer), or saved (the file).
    pub(crate) const OK: Self = Self(0);
    /// A file of that name exists in the receiver's directory.
    pub(crate) const EXISTS: Self = Self(1);
    /// The offer is malformed or its name cannot be used.
    pub(crate) const BAD_OFFER: Self = Self(2);
    /// The receiver cannot write the file (permissions, disk full, ...).
    pub(crate) const CANNOT_WRITE: Self = Self(3);
    /// The file's SHA-256 did not match what arrived.
    pub(crate) const CHECKSUM_MISMATCH: Self = Self(4);
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::OK => f.write_str("accepted"),
            Self::EXISTS => f.write_str("a file of that name exists in the receiver's directory"),
            Self::BAD_OFFER => f.write_str("the receiver cannot use the offer (its name?)"),
            Self::CANNOT_WRITE => f.write_str("the receiver cannot write the file"),
            Self::CHECKSUM_MISMATCH => {
                f.write_str("the SHA-256 of what arrived differs from the file's")
            }
            Self(other) => write!(f, "refused (reason {other})"),
        }
    }
}

/// Lowercase hex of a hash, as `sha256sum` prints it.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Decoded, Hex, MAX_NAME_LEN, Offer, OfferError, Verdict};

    #[test]
    fn known_bytes() {
        let offer = Offer::new("a.txt", 0x0102).unwrap();
        let bytes = offer.encode();
        assert_eq!(
            bytes,
            b"OSSUARYF\x01\x05a.txt\x00\x00\x00\x00\x00\x00\x01\x02".to_vec()
        );
        assert_eq!(
            Offer::decode(&bytes),
            Ok(Decoded::Offer(offer, bytes.len()))
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(Offer::new("", 1), Err(OfferError::EmptyName));
        assert_eq!(
            Offer::new(&"x".repeat(256), 1),
            Err(OfferError::NameTooLong(256))
        );
        assert!(Offer::new(&"x".repeat(MAX_NAME_LEN), 1).is_ok());
        assert_eq!(
            Offer::decode(b"GET / HTTP/1.1"),
            Err(OfferError::NotAnOffer)
        );
        assert_eq!(Offer::decode(b"OSS"), Ok(Decoded::Incomplete(7)));
        assert_eq!(
            Offer::decode(b"OSSUARYF\x02"),
            Err(OfferError::UnsupportedVersion(2))
        );
        assert_eq!(
            Offer::decode(b"OSSUARYF\x01\x00"),
            Err(OfferError::EmptyName)
        );
        assert_eq!(
            Offer::decode(b"OSSUARYF\x01\x01\xff\0\0\0\0\0\0\0\0"),
            Err(OfferError::NameNotUtf8)
        );
    }

    #[test]
    fn verdicts_keep_unknown_values() {
        assert_eq!(Verdict(200).to_string(), "refused (reason 200)");
        assert_eq!(Verdict::OK.to_string(), "accepted");
        assert_eq!(Hex(&[0, 0xab, 0x10]).to_string(), "00ab10");
    }

    fn any_offer() -> impl Strategy<Value = Offer> {
        ("\\PC{1,60}", any::<u64>())
            .prop_filter_map("name too long", |(name, size)| Offer::new(&name, size).ok())
    }

    proptest! {
        #[test]
        fn round_trips_and_leaves_what_follows(offer in any_offer(), rest in proptest::collection::vec(any::<u8>(), 0..16)) {
            let bytes = offer.encode();
            let mut buf = bytes.clone();
            buf.extend_from_slice(&rest);
            prop_assert_eq!(Offer::decode(&buf), Ok(Decoded::Offer(offer, bytes.len())));
        }

        /// Every proper prefix asks for more, and never for more than the rest.
        #[test]
        fn prefixes_are_incomplete(offer in any_offer(), cut in 0usize..400) {
            let bytes = offer.encode();
            let cut = cut % bytes.len();
            match Offer::decode(&bytes[..cut]) {
                Ok(Decoded::Incomplete(n)) => prop_assert!(n >= 1 && cut + n <= bytes.len()),
                other => prop_assert!(false, "prefix {} of {}: {:?}", cut, bytes.len(), other),
            }
        }

        /// Arbitrary bytes never panic, and an offer never claims more than the input.
        #[test]
        fn never_panics(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(Decoded::Offer(offer, used)) = Offer::decode(&buf) {
                prop_assert!(used <= buf.len());
                prop_assert!(!offer.name().is_empty() && offer.name().len() <= MAX_NAME_LEN);
            }
        }

        /// Arbitrary bytes after a valid magic and version.
        #[test]
        fn never_panics_past_the_magic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = b"OSSUARYF\x01".to_vec();
            buf.extend_from_slice(&tail);
            let _ = Offer::decode(&buf);
        }
    }
}
