//! Byte cursors: [`Reader`] for parsing and a crate-private `Writer` for encoding.
//!
//! Every read is checked against the remaining input before it slices, so no
//! input can make parsing panic or read out of bounds.

use crate::error::DecodeError;

/// A forward-only cursor over borrowed input, big-endian.
///
/// Reads never copy more than fixed-size arrays: [`take`](Self::take) borrows
/// from the input. Running out of input is [`DecodeError::Truncated`] and
/// leftover input is [`DecodeError::TrailingData`], both carrying the context
/// given to [`new`](Self::new).
///
/// ```
/// use ossuary_wire::{DecodeError, Reader};
///
/// let mut r = Reader::new(&[1, 0x12, 0x34, 9], "example");
/// assert_eq!(r.take_u8(), Ok(1));
/// assert_eq!(r.take_u16(), Ok(0x1234));
/// assert_eq!(r.expect_empty(), Err(DecodeError::TrailingData { context: "example" }));
/// ```
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
    context: &'static str,
}

impl<'a> Reader<'a> {
    /// Starts reading `input`; `context` names what is being parsed in errors.
    pub fn new(input: &'a [u8], context: &'static str) -> Self {
        Self {
            rest: input,
            context,
        }
    }

    /// Number of unread bytes.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Borrows the next `len` bytes.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `len` bytes remain; the cursor
    /// does not move.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self.rest.split_at_checked(len).ok_or(self.truncated())?;
        self.rest = tail;
        Ok(head)
    }

    /// Copies the next `N` bytes into an array.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `N` bytes remain; the cursor
    /// does not move.
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, tail) = self.rest.split_first_chunk::<N>().ok_or(self.truncated())?;
        self.rest = tail;
        Ok(*head)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if no byte remains.
    pub fn take_u8(&mut self) -> Result<u8, DecodeError> {
        let [b] = self.take_array::<1>()?;
        Ok(b)
    }

    /// Reads a big-endian `u16`.
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than 2 bytes remain.
    pub fn take_u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.take_array::<2>()?))
    }

    /// Splits off the next `len` bytes as a reader of their own (same context).
    ///
    /// # Errors
    /// [`DecodeError::Truncated`] if fewer than `len` bytes remain; the cursor
    /// does not move.
    pub fn sub(&mut self, len: usize) -> Result<Reader<'a>, DecodeError> {
        let bytes = self.take(len)?;
        Ok(Reader::new(bytes, self.context))
    }

    /// Borrows every remaining byte, leaving the reader empty.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Ends parsing, requiring that every byte was read.
    ///
    /// # Errors
    /// [`DecodeError::TrailingData`] if unread bytes remain.
    pub fn expect_empty(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData {
                context: self.context,
            })
        }
    }

    fn truncated(&self) -> DecodeError {
        DecodeError::Truncated {
            context: self.context,
        }
    }
}

/// Writes a value of known total size into a caller's buffer.
///
/// [`Writer::new`] checks the whole size up front, so an encoder either writes
/// everything or returns [`DecodeError::BufferTooSmall`] having written nothing.
pub(crate) struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Claims the first `total` bytes of `out`.
    pub(crate) fn new(out: &'a mut [u8], total: usize) -> Result<Self, DecodeError> {
        match out.get_mut(..total) {
            Some(out) => Ok(Self { out, pos: 0 }),
            None => Err(DecodeError::BufferTooSmall { needed: total }),
        }
    }

    /// Appends `bytes`.
    ///
    /// Callers pass a `total` to [`Writer::new`] equal to the sum of their
    /// `put`s (checked by each encoder's tests), so this cannot fail midway; the
    /// check stays as a non-panicking guard.
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let needed = self.out.len();
        let dst = self
            .out
            .get_mut(self.pos..)
            .and_then(|rest| rest.get_mut(..bytes.len()))
            .ok_or(DecodeError::BufferTooSmall { needed })?;
        dst.copy_from_slice(bytes);
        self.pos += bytes.len();
        Ok(())
    }

    /// Appends one byte.
    pub(crate) fn put_u8(&mut self, b: u8) -> Result<(), DecodeError> {
        self.put(&[b])
    }

    /// Returns the number of bytes written.
    pub(crate) fn finish(self) -> usize {
        debug_assert_eq!(
            self.pos,
            self.out.len(),
            "encoder wrote less than it claimed"
        );
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_and_arrays_advance() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5], "t");
        assert_eq!(r.take(2), Ok(&[1u8, 2][..]));
        assert_eq!(r.take_array::<2>(), Ok([3, 4]));
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.take_u8(), Ok(5));
        assert!(r.is_empty());
        assert_eq!(r.expect_empty(), Ok(()));
    }

    #[test]
    fn short_reads_fail_without_moving() {
        let mut r = Reader::new(&[1, 2], "ctx");
        let err = DecodeError::Truncated { context: "ctx" };
        assert_eq!(r.take(3), Err(err));
        assert_eq!(r.take_array::<3>(), Err(err));
        assert_eq!(r.sub(3).map(|s| s.remaining()), Err(err));
        assert_eq!(r.take(usize::MAX), Err(err));
        assert_eq!(r.remaining(), 2);
        assert_eq!(r.take_u16(), Ok(0x0102));
        assert_eq!(r.take_u8(), Err(err));
        assert_eq!(r.take_u16(), Err(err));
    }

    #[test]
    fn sub_and_rest() {
        let mut r = Reader::new(&[9, 8, 7, 6], "outer");
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.take_u8(), Ok(9));
        assert_eq!(
            s.clone().expect_empty(),
            Err(DecodeError::TrailingData { context: "outer" })
        );
        assert_eq!(s.rest(), &[8]);
        assert_eq!(s.expect_empty(), Ok(()));
        assert_eq!(r.rest(), &[7, 6]);
        assert_eq!(r.rest(), &[] as &[u8]);
    }

    #[test]
    fn writer_checks_size_up_front() {
        let mut buf = [0xaa; 4];
        assert_eq!(
            Writer::new(&mut buf, 5).err(),
            Some(DecodeError::BufferTooSmall { needed: 5 })
        );
        assert_eq!(buf, [0xaa; 4]);
        let mut w = Writer::new(&mut buf, 3).unwrap();
        w.put_u8(1).unwrap();
        w.put(&[2, 3]).unwrap();
        assert_eq!(w.put(&[4]), Err(DecodeError::BufferTooSmall { needed: 3 }));
        assert_eq!(w.finish(), 3);
        assert_eq!(buf, [1, 2, 3, 0xaa]);
    }
}
