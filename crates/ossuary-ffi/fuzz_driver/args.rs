//! The driver's arguments: keys, buffers in the arena, byte sources.

use ossuary::{ossuary_conn_local_public_key, ossuary_remote_public_key};

use super::{Driver, HALF, Half, Input, MAX_OFF, Region, SEEDS, SLOTS, Source, check};

impl Driver {
    /// A 32-byte key argument: NULL, a secret or public key of the program,
    /// bytes from the input, an invalid key, a handle's remote or local key,
    /// or a signer token's key.
    pub(super) fn key(&mut self, input: &mut Input<'_>) -> Option<[u8; 32]> {
        let b = input.u8();
        let k = usize::from(b >> 3) % 4;
        match b % 8 {
            0 => None,
            1 => Some(SEEDS[k]),
            2 => Some(self.publics[k]),
            3 => {
                let mut key = [0u8; 32];
                let bytes = input.bytes(32);
                key[..bytes.len()].copy_from_slice(bytes);
                Some(key)
            }
            4 => Some([0xff; 32]),
            5 | 6 => {
                let mut key = [0u8; 32];
                let conn = self.slots[k].conn;
                // SAFETY: `conn` is NULL or a live handle of this driver;
                // `key` is 32 writable bytes.
                unsafe {
                    if b % 8 == 5 {
                        check(ossuary_remote_public_key(conn, key.as_mut_ptr(), 32));
                    } else {
                        check(ossuary_conn_local_public_key(conn, key.as_mut_ptr(), 32));
                    }
                }
                Some(key)
            }
            _ => Some(
                self.tokens()
                    .nth(usize::from(b >> 3) % self.tokens.len().max(1))
                    .map_or([0; 32], |t| t.key.public_key().to_bytes()),
            ),
        }
    }

    /// A region of the arena, or NULL. `huge_ok`: the function takes a
    /// `size_t` length and must refuse one larger than the address space
    /// before touching the buffer. `hint`: a length the call needs.
    pub(super) fn region(
        &mut self,
        input: &mut Input<'_>,
        half: Half,
        huge_ok: bool,
        hint: usize,
    ) -> Region {
        let b = input.u8();
        let base = match half {
            Half::A => 0,
            Half::B => HALF,
            Half::Any => HALF * usize::from((b >> 3) & 1),
        };
        let off = usize::from(input.u8()) % MAX_OFF;
        let room = HALF - off;
        let len = match b % 8 {
            0 => {
                return Region {
                    ptr: core::ptr::null_mut(),
                    len: usize::from(input.u8()),
                };
            }
            1 => usize::from(input.u8()),
            2 => usize::from(input.u16()) % 4096,
            3 => usize::from(input.u16()),
            4 => room,
            5 if huge_ok => usize::MAX - usize::from(input.u8()),
            5 => room,
            6 => 0,
            _ => (hint + usize::from(input.u8() % 3)).saturating_sub(1),
        };
        let len = if isize::try_from(len).is_err() {
            len
        } else {
            len.min(room)
        };
        Region {
            ptr: self.at(base + off),
            len,
        }
    }

    /// A region whose length fits a `uint16_t` argument.
    pub(super) fn region16(
        &mut self,
        input: &mut Input<'_>,
        half: Half,
        hint: usize,
    ) -> (Region, u16) {
        let mut r = self.region(input, half, false, hint);
        r.len = r.len.min(usize::from(u16::MAX));
        (r, u16::try_from(r.len).unwrap_or(u16::MAX))
    }

    /// The arena at `offset` (< `2 * HALF`). Every pointer into the arena
    /// comes from `Vec::as_mut_ptr`, which creates no reference, so pointers
    /// taken earlier stay valid.
    pub(super) fn at(&mut self, offset: usize) -> *mut u8 {
        assert!(offset < self.arena.len());
        self.arena.as_mut_ptr().wrapping_add(offset)
    }

    pub(super) fn source<'a>(&mut self, input: &mut Input<'a>) -> Source<'a> {
        let b = input.u8();
        if b % 8 == 7 {
            let n = usize::from(input.u8());
            Source::Raw(input.bytes(n))
        } else {
            Source::Slot(usize::from(b) % SLOTS)
        }
    }

    /// Text from the input, in half A of the arena (or NULL).
    pub(super) fn text(&mut self, input: &mut Input<'_>) -> Region {
        let b = input.u8();
        let n = usize::from(input.u8());
        let bytes = input.bytes(n);
        let region = Region {
            ptr: self.at(0),
            len: bytes.len(),
        };
        self.fill(region, bytes);
        match b % 8 {
            0 => Region {
                ptr: core::ptr::null_mut(),
                len: bytes.len(),
            },
            1 => Region {
                ptr: region.ptr,
                len: usize::MAX,
            },
            _ => region,
        }
    }
}
