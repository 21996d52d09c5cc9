//! Bytes out and in: handshakes, records (copied and in place), the
//! connection's state, tampering, and moving output between handles.

use ossuary::{
    OssuaryErr, ossuary_conn_close, ossuary_conn_end_of_input, ossuary_conn_handshake_status,
    ossuary_conn_open_in_place, ossuary_conn_peer_closed, ossuary_conn_pending_output,
    ossuary_conn_recv, ossuary_conn_recv_handshake, ossuary_conn_reject_server, ossuary_conn_reset,
    ossuary_conn_seal_in_place, ossuary_conn_send, ossuary_conn_take_output,
    ossuary_conn_trust_server, ossuary_conn_update_keys, ossuary_flush, ossuary_handshake_done,
    ossuary_recv_data, ossuary_recv_handshake, ossuary_send_data, ossuary_send_handshake,
};

use super::{
    Driver, HALF, Half, Input, MAX_OFF, Op, Region, SENTINEL, Source, check, null_handle, out_ptr,
};

impl Driver {
    /// `ossuary_send_handshake`, `ossuary_flush` or `ossuary_conn_take_output`.
    pub(super) fn take_output(&mut self, op: Op, input: &mut Input<'_>) {
        let slot = input.slot();
        let conn = self.slots[slot].conn;
        match op {
            Op::SendHandshake => {
                let (region, len) = self.region16(input, Half::Any, 4096);
                let lenptr = input.one_in(8);
                self.send_handshake(slot, region, len, lenptr);
            }
            Op::Flush => {
                let (region, len) = self.region16(input, Half::Any, 4096);
                // SAFETY: `region` is NULL or writable for `len` bytes.
                let r = check(unsafe { ossuary_flush(conn, region.ptr, len) });
                null_handle(conn, r);
                if r >= 0 || r == OssuaryErr::Wouldblock as i32 {
                    let n = if r >= 0 { r as usize } else { usize::from(len) };
                    assert!(n <= usize::from(len));
                    self.wrote(slot, region.ptr, n);
                }
            }
            _ => {
                let region = self.region(input, Half::Any, true, 4096);
                let outptr = input.one_in(8);
                self.conn_take_output(slot, region, outptr);
            }
        }
    }

    pub(super) fn send_handshake(
        &mut self,
        slot: usize,
        region: Region,
        len: u16,
        lenptr_null: bool,
    ) {
        let conn = self.slots[slot].conn;
        let mut n = len;
        let lenptr: *mut u16 = if lenptr_null {
            core::ptr::null_mut()
        } else {
            &mut n
        };
        // SAFETY: `region` is NULL or writable for `len` bytes; `lenptr` is
        // NULL or a local.
        let r = check(unsafe { ossuary_send_handshake(conn, region.ptr, lenptr) });
        null_handle(conn, r);
        if r >= 0 || r == OssuaryErr::Wouldblock as i32 {
            assert!(n <= len);
            if r >= 0 {
                assert_eq!(r, i32::from(n));
            }
            self.wrote(slot, region.ptr, usize::from(n));
        } else {
            assert_eq!(n, len, "length written on failure");
        }
    }

    pub(super) fn conn_take_output(&mut self, slot: usize, region: Region, outptr_null: bool) {
        let conn = self.slots[slot].conn;
        let mut written = SENTINEL;
        let out = out_ptr(&mut written, outptr_null);
        // SAFETY: `region` is NULL, writable for its length, or of a length
        // the call refuses unread; `out` is NULL or a local.
        let r = check(unsafe { ossuary_conn_take_output(conn, region.ptr, region.len, out) });
        null_handle(conn, r);
        if r == 0 {
            assert!(written <= region.len);
            self.wrote(slot, region.ptr, written);
        } else {
            assert_eq!(written, SENTINEL, "output written on failure");
        }
    }

    pub(super) fn pending_output(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let conn = self.slots[slot].conn;
        let mut len = SENTINEL;
        let out = out_ptr(&mut len, input.one_in(8));
        // SAFETY: `conn` is NULL or live; `out` NULL or a local.
        let r = check(unsafe { ossuary_conn_pending_output(conn, out) });
        null_handle(conn, r);
        if r != 0 {
            assert_eq!(len, SENTINEL, "output written on failure");
        }
    }

    pub(super) fn recv_handshake(
        &mut self,
        slot: usize,
        source: Source<'_>,
        region: Region,
        lenptr: u8,
    ) {
        let conn = self.slots[slot].conn;
        let cap = region.len.min(usize::from(u16::MAX));
        let bytes = self.deliver(source, slot, cap);
        let n = self.fill(region, &bytes);
        let offered = u16::try_from(n).unwrap_or(u16::MAX);
        let mut len = offered;
        let lenptr: *mut u16 = if lenptr.is_multiple_of(8) {
            core::ptr::null_mut()
        } else {
            &mut len
        };
        // SAFETY: `region` is NULL or readable for `n` bytes (written just
        // now); `lenptr` NULL or a local.
        let r = check(unsafe { ossuary_recv_handshake(conn, region.ptr, lenptr) });
        null_handle(conn, r);
        if r >= 0 || r == OssuaryErr::Wouldblock as i32 {
            assert!(len <= offered);
            if r >= 0 {
                assert_eq!(r, i32::from(len));
            }
            self.consumed(source, usize::from(len));
        } else {
            self.receive_failed(slot, r);
        }
    }

    pub(super) fn conn_recv_handshake(
        &mut self,
        slot: usize,
        source: Source<'_>,
        region: Region,
        outptr: u8,
    ) {
        let conn = self.slots[slot].conn;
        let bytes = self.deliver(source, slot, region.len);
        let n = self.fill(region, &bytes);
        let len = if region.huge() { region.len } else { n };
        let mut consumed = SENTINEL;
        let out = out_ptr(&mut consumed, outptr.is_multiple_of(8));
        // SAFETY: `region` is NULL, readable for `n` bytes, or of a length
        // the call refuses unread; `out` NULL or a local.
        let r = check(unsafe { ossuary_conn_recv_handshake(conn, region.ptr, len, out) });
        null_handle(conn, r);
        if r == 0 {
            assert!(consumed <= n);
            self.consumed(source, consumed);
        } else {
            assert_eq!(consumed, SENTINEL, "output written on failure");
            self.receive_failed(slot, r);
        }
    }

    pub(super) fn send(&mut self, op: Op, input: &mut Input<'_>) {
        let typed = matches!(op, Op::ConnSend);
        let slot = input.slot();
        let want = usize::from(input.u16()) % 5000;
        let conn = self.slots[slot].conn;
        if typed {
            let region = self.region(input, Half::Any, true, want);
            let plain = self.plaintext(slot, want);
            let n = self.fill(region, &plain);
            let len = if region.huge() { region.len } else { n };
            let mut consumed = SENTINEL;
            let out = out_ptr(&mut consumed, input.one_in(8));
            // SAFETY: `region` is NULL, readable for `n` bytes, or of a
            // length the call refuses unread; `out` NULL or a local.
            let r = check(unsafe { ossuary_conn_send(conn, region.ptr, len, out) });
            null_handle(conn, r);
            if r == 0 {
                assert!(consumed <= n);
                self.slots[slot].sent.extend_from_slice(&plain[..consumed]);
            } else {
                assert_eq!(consumed, SENTINEL, "output written on failure");
            }
        } else {
            // The original function: input and output may overlap.
            let (src, _) = self.region16(input, Half::Any, want);
            let (dst, cap) = self.region16(input, Half::Any, want + 19);
            let lenptr_null = input.one_in(8);
            let plain = self.plaintext(slot, want);
            let n = self.fill(src, &plain);
            let in_len = u16::try_from(n).unwrap_or(u16::MAX);
            let mut out_len = cap;
            let lenptr: *mut u16 = if lenptr_null {
                core::ptr::null_mut()
            } else {
                &mut out_len
            };
            // SAFETY: `src` is NULL or readable for `n` bytes, `dst` NULL or
            // writable for `cap`; they may overlap (the input is read before
            // the output is written); `lenptr` NULL or a local.
            let r = check(unsafe { ossuary_send_data(conn, src.ptr, in_len, dst.ptr, lenptr) });
            null_handle(conn, r);
            if r >= 0 || r == OssuaryErr::Wouldblock as i32 {
                assert!(out_len <= cap);
                self.slots[slot].sent.extend_from_slice(&plain[..n]);
                self.wrote(slot, dst.ptr, usize::from(out_len));
            }
        }
    }

    /// Input and output regions of a receive call, overlapping or not.
    pub(super) fn recv_regions(
        &mut self,
        input: &mut Input<'_>,
        huge_ok: bool,
    ) -> (Region, Region) {
        let layout = input.u8();
        let a = self.region(input, Half::A, huge_ok, 4096);
        match layout % 4 {
            // Disjoint.
            0 => (a, self.region(input, Half::B, huge_ok, 4096)),
            // The same buffer.
            1 => (a, a),
            // The output a little after or before the input.
            _ => {
                let shift = 1 + usize::from(input.u8() % 32);
                let len = usize::from(input.u16());
                if a.ptr.is_null() || a.huge() {
                    return (a, a);
                }
                let (inp, out) = if layout % 4 == 2 {
                    (a.ptr, a.ptr.wrapping_add(shift))
                } else {
                    (a.ptr.wrapping_add(shift), a.ptr)
                };
                // Both inside half A, which is followed by half B: `a` and
                // the shifted start are at most MAX_OFF + 32 bytes in.
                let room = HALF - MAX_OFF - 32;
                (
                    Region {
                        ptr: inp,
                        len: a.len.min(room),
                    },
                    Region {
                        ptr: out,
                        len: len.min(room),
                    },
                )
            }
        }
    }

    pub(super) fn recv(&mut self, op: Op, input: &mut Input<'_>) {
        let typed = matches!(op, Op::ConnRecv);
        let slot = input.slot();
        let source = self.source(input);
        let (inr, outr) = self.recv_regions(input, typed);
        let flags = input.u8();
        if typed {
            self.conn_recv(slot, source, inr, outr, flags);
        } else {
            self.recv_data(slot, source, inr, outr, flags);
        }
    }

    pub(super) fn recv_data(
        &mut self,
        slot: usize,
        source: Source<'_>,
        inr: Region,
        outr: Region,
        flags: u8,
    ) {
        let conn = self.slots[slot].conn;
        let cap = inr.len.min(usize::from(u16::MAX));
        let bytes = self.deliver(source, slot, cap);
        let n = self.fill(inr, &bytes);
        let offered = u16::try_from(n).unwrap_or(u16::MAX);
        let room = u16::try_from(outr.len.min(usize::from(u16::MAX))).unwrap_or(0);
        let (mut in_len, mut out_len) = (offered, room);
        let aliased = flags & 3 == 3;
        let in_ptr: *mut u16 = if flags & 3 == 1 {
            core::ptr::null_mut()
        } else {
            &mut in_len
        };
        let out_ptr: *mut u16 = match flags & 3 {
            2 => core::ptr::null_mut(),
            // Both lengths through one variable (allowed: read by value).
            3 => in_ptr,
            _ => &mut out_len,
        };
        // SAFETY: `inr` is NULL or readable for `n` bytes, `outr` NULL or
        // writable for `room`; they may overlap (allowed); the length
        // pointers are NULL or locals, maybe the same one.
        let r = check(unsafe { ossuary_recv_data(conn, inr.ptr, in_ptr, outr.ptr, out_ptr) });
        null_handle(conn, r);
        // Only then are the lengths written for certain.
        let lengths_valid = r >= 0 || r == OssuaryErr::Wouldblock as i32;
        if !lengths_valid {
            self.receive_failed(slot, r);
            return;
        }
        if aliased {
            // Consumed and produced went to one variable: the stream is
            // beyond tracking, but what came out must still fit.
            assert!(in_len <= room.max(offered));
            self.slots[slot].clean = false;
            return;
        }
        assert!(in_len <= offered && out_len <= room);
        if r >= 0 {
            assert_eq!(r, i32::from(in_len));
        }
        self.consumed(source, usize::from(in_len));
        let plain = self.read(outr.ptr, usize::from(out_len));
        self.released(slot, &plain);
    }

    pub(super) fn conn_recv(
        &mut self,
        slot: usize,
        source: Source<'_>,
        inr: Region,
        outr: Region,
        flags: u8,
    ) {
        let conn = self.slots[slot].conn;
        let bytes = self.deliver(source, slot, inr.len);
        let n = self.fill(inr, &bytes);
        let in_len = if inr.huge() { inr.len } else { n };
        let (mut consumed, mut produced) = (SENTINEL, SENTINEL);
        let c = out_ptr(&mut consumed, flags & 7 == 1);
        let p = out_ptr(&mut produced, flags & 7 == 2);
        // SAFETY: `inr` is NULL, readable for `n` bytes or of a length the
        // call refuses unread; `outr` likewise for writes; they may overlap
        // (allowed); `c` and `p` NULL or locals.
        let r =
            check(unsafe { ossuary_conn_recv(conn, inr.ptr, in_len, outr.ptr, outr.len, c, p) });
        null_handle(conn, r);
        if r != 0 {
            assert_eq!(
                (consumed, produced),
                (SENTINEL, SENTINEL),
                "written on failure"
            );
            self.receive_failed(slot, r);
            return;
        }
        assert!(consumed <= n && produced <= outr.len);
        self.consumed(source, consumed);
        let plain = self.read(outr.ptr, produced);
        self.released(slot, &plain);
    }

    pub(super) fn query(&mut self, op: Op, input: &mut Input<'_>) {
        let slot = input.slot();
        let conn = self.slots[slot].conn;
        // SAFETY: `conn` is NULL or live.
        let r = check(unsafe {
            match op {
                Op::HandshakeDone => ossuary_handshake_done(conn),
                Op::HandshakeStatus => ossuary_conn_handshake_status(conn),
                _ => ossuary_conn_peer_closed(conn),
            }
        });
        null_handle(conn, r);
        assert!(r <= 1);
    }

    pub(super) fn action(&mut self, op: Op, input: &mut Input<'_>) {
        let slot = input.slot();
        let conn = self.slots[slot].conn;
        // SAFETY: `conn` is NULL or live.
        let r = check(unsafe {
            match op {
                Op::Close => ossuary_conn_close(conn),
                Op::UpdateKeys => ossuary_conn_update_keys(conn),
                Op::TrustServer => ossuary_conn_trust_server(conn),
                Op::RejectServer => ossuary_conn_reject_server(conn),
                Op::EndOfInput => ossuary_conn_end_of_input(conn),
                _ => ossuary_conn_reset(conn),
            }
        });
        null_handle(conn, r);
        assert!(r <= 0);
        if matches!(op, Op::Reset) && r == 0 {
            // A new session: both directions start over. Bytes of the old
            // one may still be in flight either way, so this handle's input
            // is beyond tracking, and so is its peer's (whose source epoch
            // no longer matches).
            let s = &mut self.slots[slot];
            s.epoch += 1;
            s.sent.clear();
            s.received.clear();
            s.clean = false;
            s.failed = None;
        }
    }

    pub(super) fn seal_in_place(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let len = usize::from(input.u16()) % 5000;
        let region = self.region(input, Half::Any, true, len + 38);
        let outptr_null = input.one_in(8);
        let conn = self.slots[slot].conn;
        let plain = self.plaintext(slot, len);
        let mut staged = 0;
        if !region.ptr.is_null() && !region.huge() && region.len >= 3 {
            let body = Region {
                ptr: region.ptr.wrapping_add(3),
                len: region.len - 3,
            };
            staged = self.fill(body, &plain);
        }
        let mut frame_len = SENTINEL;
        let out = out_ptr(&mut frame_len, outptr_null);
        // SAFETY: `region` is NULL, readable and writable for its length, or
        // of a length the call refuses unread; `out` NULL or a local.
        let r =
            check(unsafe { ossuary_conn_seal_in_place(conn, region.ptr, region.len, len, out) });
        null_handle(conn, r);
        if r == 0 {
            assert_eq!(staged, len, "sealed plaintext that was not there");
            assert!(frame_len <= region.len && frame_len >= len + 19);
            self.slots[slot].sent.extend_from_slice(&plain);
            self.wrote(slot, region.ptr, frame_len);
        } else {
            assert_eq!(frame_len, SENTINEL, "output written on failure");
        }
    }

    pub(super) fn open_in_place(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let source = self.source(input);
        let shape = input.u8();
        let region = self.region(input, Half::Any, true, 4096);
        let conn = self.slots[slot].conn;
        let bytes = self.deliver(source, slot, region.len);
        // One whole frame by its header, or a prefix, or one byte more.
        let whole = match bytes.get(1..3) {
            Some(len) => 3 + usize::from(u16::from_be_bytes([len[0], len[1]])),
            None => bytes.len(),
        };
        let want = match shape % 4 {
            0 | 1 => whole,
            2 => whole.saturating_sub(1 + usize::from(shape >> 4)),
            _ => whole + 1,
        };
        let n = self.fill(region, &bytes[..want.min(bytes.len())]);
        let frame_len = if region.huge() { region.len } else { n };
        let (mut off, mut len, mut kind) = (SENTINEL, SENTINEL, -7i32);
        let o = out_ptr(&mut off, shape & 0x0c == 0x04);
        let l = out_ptr(&mut len, shape & 0x0c == 0x08);
        let k: *mut i32 = if shape & 0x0c == 0x0c && shape & 0x40 != 0 {
            core::ptr::null_mut()
        } else {
            &mut kind
        };
        // SAFETY: `region` is NULL, readable and writable for `n` bytes, or
        // of a length the call refuses unread; the output pointers are NULL
        // or locals.
        let r = check(unsafe { ossuary_conn_open_in_place(conn, region.ptr, frame_len, o, l, k) });
        null_handle(conn, r);
        if r != 0 {
            assert_eq!(
                (off, len, kind),
                (SENTINEL, SENTINEL, -7),
                "written on failure"
            );
            if r != OssuaryErr::NotOneFrame as i32 {
                self.receive_failed(slot, r);
            }
            return;
        }
        assert!((0..=2).contains(&kind), "kind {kind}");
        assert!(off.checked_add(len).is_some_and(|end| end <= n));
        self.consumed(source, n);
        if kind == 0 {
            let plain = self.read(region.ptr.wrapping_add(off), len);
            self.released(slot, &plain);
        }
    }

    pub(super) fn mutate(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let kind = input.u8() % 4;
        let pos = usize::from(input.u16());
        let value = input.u8();
        let s = &mut self.slots[slot];
        if s.outbox.is_empty() {
            return;
        }
        s.tainted = true;
        let at = pos % s.outbox.len();
        match kind {
            0 => s.outbox[at] ^= value | 1,
            1 => s.outbox.insert(at, value),
            2 => {
                s.outbox.remove(at);
            }
            _ => s.outbox.truncate(at),
        }
    }

    /// Moves output from `a` to `b` and back, `rounds` times: handshake
    /// bytes while the receiver's handshake runs, records after.
    pub(super) fn pump(&mut self, a: usize, b: usize, rounds: usize) {
        let take = Region {
            ptr: self.at(HALF),
            len: HALF,
        };
        let give = Region {
            ptr: self.at(0),
            len: HALF,
        };
        for _ in 0..rounds {
            for (from, to) in [(a, b), (b, a)] {
                if self.slots[from].conn.is_null() || self.slots[to].conn.is_null() {
                    return;
                }
                self.conn_take_output(from, take, false);
                // SAFETY: `to` is live.
                let status = unsafe { ossuary_conn_handshake_status(self.slots[to].conn) };
                if status == 1 {
                    self.conn_recv(to, Source::Slot(from), give, take, 0);
                } else {
                    self.conn_recv_handshake(to, Source::Slot(from), give, 0xff);
                }
            }
        }
    }
}
