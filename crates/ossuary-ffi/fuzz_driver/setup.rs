//! Constructors, identities and keys.

use std::ffi::CString;

use ossuary::{
    OssuaryConnection, OssuaryErr, ossuary_add_authorized_key, ossuary_add_authorized_keys,
    ossuary_authorized_keys_contains, ossuary_conn_add_authorized_key,
    ossuary_conn_local_public_key, ossuary_conn_new_client, ossuary_conn_new_server,
    ossuary_create_connection, ossuary_destroy_connection, ossuary_generate_auth_keypair,
    ossuary_key_fingerprint, ossuary_key_format_public, ossuary_key_pair_write,
    ossuary_key_parse_public, ossuary_known_hosts_lookup, ossuary_remote_public_key,
    ossuary_secret_key_read, ossuary_set_secret_key,
};

use super::{
    Driver, Half, Input, Op, SENTINEL, c_str, check, flag_arg, int_arg, null_handle, out_ptr,
    ptr_of,
};

impl Driver {
    /// Empties `slot` (destroying its handle) before a constructor fills it.
    pub(super) fn prepare(&mut self, slot: usize) {
        self.destroy_slot(slot);
    }

    /// A handle was stored in `slot` (or not).
    pub(super) fn created(&mut self, slot: usize) {
        self.slots[slot].restart();
    }

    pub(super) fn create(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let kind = int_arg(input);
        let key = self.key(input);
        self.prepare(slot);
        // SAFETY: the key is NULL or 32 readable bytes.
        let conn = unsafe { ossuary_create_connection(kind, ptr_of(&key)) };
        assert_eq!(
            conn.is_null(),
            !(0..=2).contains(&kind),
            "create({kind}) returned {conn:?}"
        );
        self.slots[slot].conn = conn;
        self.created(slot);
    }

    pub(super) fn new_client(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let key = self.key(input);
        let flags = flag_arg(input);
        let out_null = input.one_in(8);
        self.prepare(slot);
        let out = self.out_ptr(slot, out_null);
        // SAFETY: the key is NULL or 32 readable bytes; `out` is NULL or the
        // slot's handle variable.
        let r = check(unsafe { ossuary_conn_new_client(ptr_of(&key), flags, out) });
        self.after_constructor(slot, r, out_null);
    }

    pub(super) fn new_server(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let role = int_arg(input);
        let key = self.key(input);
        let flags = flag_arg(input);
        let out_null = input.one_in(8);
        self.prepare(slot);
        let out = self.out_ptr(slot, out_null);
        // SAFETY: as in `new_client`.
        let r = check(unsafe { ossuary_conn_new_server(role, ptr_of(&key), flags, out) });
        self.after_constructor(slot, r, out_null);
    }

    /// The handle variable of `slot`, or NULL.
    pub(super) fn out_ptr(&mut self, slot: usize, null: bool) -> *mut *mut OssuaryConnection {
        if null {
            core::ptr::null_mut()
        } else {
            &mut self.slots[slot].conn
        }
    }

    pub(super) fn after_constructor(&mut self, slot: usize, r: i32, out_null: bool) {
        if out_null {
            assert_eq!(r, OssuaryErr::NullArgument as i32);
        }
        assert_eq!(
            r == 0,
            !self.slots[slot].conn.is_null(),
            "status {r}: the handle is written exactly on success"
        );
        self.created(slot);
    }

    pub(super) fn destroy(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        match input.u8() % 4 {
            // SAFETY: NULL is allowed.
            0 => unsafe { ossuary_destroy_connection(core::ptr::null_mut()) },
            1 => {
                self.destroy_slot(slot);
                self.destroy_slot(slot);
            }
            _ => self.destroy_slot(slot),
        }
    }

    /// Destroys the handle of `slot` through the `**` form.
    pub(super) fn destroy_slot(&mut self, slot: usize) {
        // SAFETY: the variable holds NULL or a live handle of this driver.
        unsafe { ossuary_destroy_connection(&mut self.slots[slot].conn) };
        assert!(self.slots[slot].conn.is_null(), "destroy left the handle");
    }

    pub(super) fn key_call(&mut self, op: Op, input: &mut Input<'_>) {
        let slot = input.slot();
        let key = self.key(input);
        let conn = self.slots[slot].conn;
        // SAFETY: `conn` is NULL or live; the key NULL or 32 readable bytes.
        let r = check(unsafe {
            match op {
                Op::SetSecretKey => ossuary_set_secret_key(conn, ptr_of(&key)),
                Op::AddKey => ossuary_add_authorized_key(conn, ptr_of(&key)),
                _ => ossuary_conn_add_authorized_key(conn, ptr_of(&key)),
            }
        });
        null_handle(conn, r);
        assert!(r <= 0);
    }

    pub(super) fn add_keys(&mut self, input: &mut Input<'_>) {
        let slot = input.slot();
        let n = usize::from(input.u8() % 6);
        let keys: Vec<Option<[u8; 32]>> = (0..n).map(|_| self.key(input)).collect();
        let mut ptrs: Vec<*mut u8> = keys
            .iter()
            .map(|k| {
                k.as_ref()
                    .map_or(core::ptr::null_mut(), |k| k.as_ptr().cast_mut())
            })
            .collect();
        let b = input.u8();
        // Never more entries than the array holds.
        let count = u8::try_from(usize::from(b) % (n + 1)).unwrap_or(0);
        let array = if b & 0x80 != 0 {
            core::ptr::null_mut()
        } else {
            ptrs.as_mut_ptr()
        };
        let conn = self.slots[slot].conn;
        // SAFETY: `array` is NULL or `n >= count` pointers, each NULL or to
        // 32 readable bytes; `conn` is NULL or live.
        let r = check(unsafe { ossuary_add_authorized_keys(conn, array, count) });
        null_handle(conn, r);
        assert!(r <= i32::from(count));
    }

    pub(super) fn read_key(&mut self, op: Op, input: &mut Input<'_>) {
        let remote = matches!(op, Op::RemoteKey);
        let slot = input.slot();
        let conn = self.slots[slot].conn;
        let r = if remote {
            let (region, len) = self.region16(input, Half::B, 32);
            // SAFETY: `region` is NULL or `len` writable bytes of the arena.
            check(unsafe { ossuary_remote_public_key(conn, region.ptr, len) })
        } else {
            let region = self.region(input, Half::B, true, 32);
            // SAFETY: as above, or a length the call must refuse unread.
            check(unsafe { ossuary_conn_local_public_key(conn, region.ptr, region.len) })
        };
        null_handle(conn, r);
        assert!(r <= 0);
    }

    pub(super) fn generate_keypair(&mut self, input: &mut Input<'_>) {
        let (s, slen) = self.region16(input, Half::Any, 32);
        let (p, plen) = self.region16(input, Half::Any, 32);
        // SAFETY: each region is NULL or writable for its length; they may
        // overlap, which the function checks.
        let r = check(unsafe { ossuary_generate_auth_keypair(s.ptr, slen, p.ptr, plen) });
        assert!(r <= 0);
    }

    pub(super) fn key_text(&mut self, input: &mut Input<'_>) {
        let which = input.u8() % 7;
        let key = self.key(input);
        match which {
            0 | 1 => {
                let region = self.region(input, Half::B, true, 61);
                let mut written = SENTINEL;
                let out = out_ptr(&mut written, input.one_in(8));
                let text = region.ptr.cast();
                // SAFETY: the key is NULL or 32 readable bytes, `region` in
                // half B (the key is not in the arena), NULL or writable for
                // its length, or of a length refused unread.
                let r = check(unsafe {
                    if which == 0 {
                        ossuary_key_fingerprint(ptr_of(&key), text, region.len, out)
                    } else {
                        ossuary_key_format_public(ptr_of(&key), text, region.len, out)
                    }
                });
                if r == 0 {
                    assert!(written < region.len);
                    assert_eq!(self.read(region.ptr.wrapping_add(written), 1), [0]);
                } else {
                    assert_eq!(written, SENTINEL, "output written on failure");
                }
            }
            2 => {
                let text = self.text(input);
                let region = self.region(input, Half::B, false, 32);
                let out = if region.len >= 32 {
                    region.ptr
                } else {
                    core::ptr::null_mut()
                };
                // SAFETY: `text` is NULL or readable for its length (half
                // A); `out` NULL or 32 writable bytes (half B).
                let r = check(unsafe { ossuary_key_parse_public(text.ptr.cast(), text.len, out) });
                assert!(r <= 0);
            }
            3 | 4 => {
                let text = self.text(input);
                let port = input.u16();
                let n = usize::from(input.u8() % 64);
                let host = input.bytes(n);
                let host =
                    CString::new(host.iter().copied().filter(|&b| b != 0).collect::<Vec<_>>())
                        .unwrap_or_default();
                // SAFETY: only passed to the library (see `c_str`), while
                // `host` lives.
                let host_arg = (!input.one_in(8)).then(|| unsafe { c_str(&host) });
                // SAFETY: `text` NULL or readable for its length; the key
                // NULL or 32 readable bytes; `host` NUL-terminated.
                let r = check(unsafe {
                    if which == 3 {
                        ossuary_known_hosts_lookup(
                            text.ptr.cast(),
                            text.len,
                            host_arg,
                            port,
                            ptr_of(&key),
                        )
                    } else {
                        ossuary_authorized_keys_contains(text.ptr.cast(), text.len, ptr_of(&key))
                    }
                });
                assert!(r <= 3);
            }
            5 => {
                // Reading: a path that is NULL, not UTF-8 or missing.
                let paths = [c"", c"\xff", c"/nonexistent/ossuary-fuzz/id"];
                let path = paths[usize::from(input.u8()) % 3];
                // SAFETY: only passed to the library (see `c_str`); static.
                let arg = (!input.one_in(4)).then(|| unsafe { c_str(path) });
                let region = self.region(input, Half::B, false, 32);
                let out = if region.len >= 32 {
                    region.ptr
                } else {
                    core::ptr::null_mut()
                };
                // SAFETY: `out` NULL or 32 writable bytes.
                let r = check(unsafe { ossuary_secret_key_read(arg, out) });
                assert!(r < 0, "read a key file that cannot exist");
            }
            _ => {
                // Writing: never a path where a file could be created.
                let paths = [c"\xff", c"/nonexistent/ossuary-fuzz/id"];
                let path = paths[usize::from(input.u8()) % 2];
                // SAFETY: only passed to the library (see `c_str`); static.
                let arg = (!input.one_in(4)).then(|| unsafe { c_str(path) });
                // SAFETY: the key is NULL or 32 readable bytes.
                let r = check(unsafe { ossuary_key_pair_write(arg, ptr_of(&key)) });
                assert!(r < 0, "wrote a key file where none can be");
            }
        }
    }
}
