//! Bounds-checked views of caller buffers.

use crate::error::Error;

/// `buf[start..start + len]`, or `BufferTooSmall` naming the length needed.
pub(crate) fn region(buf: &mut [u8], start: usize, len: usize) -> Result<&mut [u8], Error> {
    let end = start.saturating_add(len);
    buf.get_mut(start..end)
        .ok_or(Error::BufferTooSmall { needed: end })
}

/// `buf[start..start + len]` of an input the wire layer already sized.
pub(crate) fn part(buf: &[u8], start: usize, len: usize) -> Result<&[u8], Error> {
    let end = start.saturating_add(len);
    buf.get(start..end)
        .ok_or(Error::Decode(ossuary_wire::DecodeError::Truncated {
            context: "handshake message",
        }))
}
