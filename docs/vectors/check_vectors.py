#!/usr/bin/env python3
"""Independent checker for the Ossuary known-answer vectors (PROTOCOL.md section 15).

Rebuilds every value of docs/vectors/handshake-*.json from its `inputs` alone,
with Python's `cryptography` package and the standard library, following
PROTOCOL.md sections 3 to 9 (it shares no code with the Rust implementation):

  - the public keys, and the three handshake messages byte for byte (sealing
    S_id || sig_s and P with the handshake keys, signing with Ed25519, which is
    deterministic);
  - every transcript snapshot (section 4) and the whole key schedule (section 6,
    HKDF-SHA-256 with the length-prefixed info, checked against the info strings
    of section 6.3);
  - both signatures, which are also verified;
  - every record frame (sealed with the key and counter the file names, then
    opened back to its plaintext), following KEY_UPDATE and CLOSE.

Usage: check_vectors.py [FILE ...]   (default: both files beside this script)
Exits 0 when every check passes, 1 otherwise, listing each mismatch.
Requires: pip install cryptography
"""

import hashlib
import hmac
import json
import pathlib
import re
import struct
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

FILES = ["handshake-mutual.json", "handshake-anonymous.json"]

# PROTOCOL.md section 15.2: top-level objects and their fields.
FIELDS = {
    "inputs": [
        "client_identity_secret",
        "server_identity_secret",
        "client_ephemeral_secret",
        "client_random",
        "server_ephemeral_secret",
        "server_flags",
    ],
    "public": ["client_identity", "server_identity", "client_ephemeral", "server_ephemeral"],
    "messages": ["client_hello", "server_hello", "client_auth"],
    "transcript": ["th2", "th_s", "th3h", "th_c", "th"],
    "keys": [
        "dh",
        "hs_secret",
        "c_hs_key",
        "s_hs_key",
        "c_ap_0",
        "s_ap_0",
        "c_key_0",
        "s_key_0",
        "c_ap_1",
        "c_key_1",
    ],
    "signatures": ["server", "client"],
}
RECORD_FIELDS = ["direction", "type", "key_generation", "counter", "plaintext", "frame"]
ANONYMOUS_NULLS = {
    "inputs.client_identity_secret",
    "public.client_identity",
    "transcript.th_c",
    "signatures.client",
}
FRAME_TYPES = {"DATA": 0x10, "KEY_UPDATE": 0x11, "CLOSE": 0x12}

SALT = b"ossuary v1 handshake"
SERVER_LABEL = b"ossuary v1 server signature"
CLIENT_LABEL = b"ossuary v1 client signature"
HEX = re.compile(r"^(?:[0-9a-f]{2})*$")

# PROTOCOL.md section 6.3, the info strings spelled out (context appended).
INFO_PREFIXES = {
    "c hs key": "136f7373756172792076312063206873206b657920",
    "s hs key": "136f7373756172792076312073206873206b657920",
    "c ap traffic": "176f7373756172792076312063206170207472616666696320",
    "s ap traffic": "176f7373756172792076312073206170207472616666696320",
    "record key": "156f737375617279207631207265636f7264206b657900",
    "key update": "156f737375617279207631206b65792075706461746500",
}


class Checker:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0

    def eq(self, what, file_value, computed):
        if file_value == computed:
            self.passed += 1
        else:
            show = lambda b: b.hex() if isinstance(b, (bytes, bytearray)) else repr(b)
            self.failures.append(
                f"{what}: the file has {show(file_value)}, recomputed {show(computed)}"
            )

    def true(self, what, ok):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def info(label, ctx):
    full = b"ossuary v1 " + label.encode()
    return bytes([len(full)]) + full + bytes([len(ctx)]) + ctx


def expand(secret, label, ctx=b""):
    return HKDFExpand(hashes.SHA256(), 32, info(label, ctx)).derive(secret)


def seal(key, nonce, ad, plaintext):
    return ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)


def record_nonce(counter):
    return b"\x00" * 4 + struct.pack(">Q", counter)


def x25519_public(secret):
    return (
        X25519PrivateKey.from_private_bytes(secret)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def x25519(secret, peer):
    return X25519PrivateKey.from_private_bytes(secret).exchange(
        X25519PublicKey.from_public_bytes(peer)
    )


def ed25519(seed):
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    pk = sk.public_key()
    return sk, pk, pk.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def verifies(pk, sig, msg):
    try:
        pk.verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def check_shape(c, v):
    """Field names, nulls and the hex format; returns False if unusable."""
    if sorted(v) != sorted(list(FIELDS) + ["records"]):
        c.failures.append(f"top-level fields: {sorted(v)}")
        return False
    anonymous = v["inputs"].get("client_identity_secret") is None
    for obj, fields in FIELDS.items():
        if sorted(v[obj]) != sorted(fields):
            c.failures.append(f"fields of {obj}: {sorted(v[obj])}")
            return False
        for f in fields:
            path = f"{obj}.{f}"
            value = v[obj][f]
            if value is None:
                c.true(f"{path} is null", anonymous and path in ANONYMOUS_NULLS)
            else:
                c.true(f"{path} must be null for an anonymous client",
                       not (anonymous and path in ANONYMOUS_NULLS))
                c.true(f"{path}: not lower-case hex", isinstance(value, str) and HEX.match(value))
    for i, r in enumerate(v["records"]):
        if sorted(r) != sorted(RECORD_FIELDS):
            c.failures.append(f"fields of records[{i}]: {sorted(r)}")
            return False
        for f in ("plaintext", "frame"):
            c.true(f"records[{i}].{f}: not lower-case hex", HEX.match(r[f]))
        for f in ("key_generation", "counter"):
            c.true(f"records[{i}].{f}: not a number",
                   isinstance(r[f], int) and not isinstance(r[f], bool))
    return not c.failures


def check_file(path):
    v = json.loads(path.read_text())
    c = Checker(path.name)
    if not check_shape(c, v):
        return c
    b = lambda obj, f: bytes.fromhex(v[obj][f]) if v[obj][f] is not None else None

    # Section 6.3 info strings.
    for label, prefix in INFO_PREFIXES.items():
        ctx = b"\xaa" * 32 if label.endswith(("hs key", "traffic")) else b""
        c.eq(f"info({label!r})", info(label, ctx), bytes.fromhex(prefix) + ctx)

    # Inputs and public values (sections 1.3, 3.1, 3.2).
    c_seed = b("inputs", "client_identity_secret")
    s_seed = b("inputs", "server_identity_secret")
    e_c_sk = b("inputs", "client_ephemeral_secret")
    random_c = b("inputs", "client_random")
    e_s_sk = b("inputs", "server_ephemeral_secret")
    flags = b("inputs", "server_flags")
    c.true("inputs.server_flags is 00 or 01", flags in (b"\x00", b"\x01"))
    s_sk, s_pk, s_id = ed25519(s_seed)
    c.eq("public.server_identity", b("public", "server_identity"), s_id)
    if c_seed is not None:
        c_sk, c_pk, c_id = ed25519(c_seed)
        c.eq("public.client_identity", b("public", "client_identity"), c_id)
    e_c = x25519_public(e_c_sk)
    e_s = x25519_public(e_s_sk)
    c.eq("public.client_ephemeral", b("public", "client_ephemeral"), e_c)
    c.eq("public.server_ephemeral", b("public", "server_ephemeral"), e_s)

    # CLIENT_HELLO (3.1).
    m1 = bytes.fromhex("0100420100") + e_c + random_c
    c.eq("messages.client_hello", b("messages", "client_hello"), m1)

    # Key agreement and handshake keys (6.2).
    dh = x25519(e_c_sk, e_s)
    c.eq("keys.dh", b("keys", "dh"), dh)
    c.eq("keys.dh (server side)", b("keys", "dh"), x25519(e_s_sk, e_c))
    c.true("keys.dh is not all zero", dh != b"\x00" * 32)
    m2clear = bytes.fromhex("02009201") + flags + e_s
    th2 = sha256(m1, m2clear)
    c.eq("transcript.th2", b("transcript", "th2"), th2)
    hs_secret = extract(SALT, dh)
    c.eq("keys.hs_secret", b("keys", "hs_secret"), hs_secret)
    c_hs_key = expand(hs_secret, "c hs key", th2)
    s_hs_key = expand(hs_secret, "s hs key", th2)
    c.eq("keys.c_hs_key", b("keys", "c_hs_key"), c_hs_key)
    c.eq("keys.s_hs_key", b("keys", "s_hs_key"), s_hs_key)

    # SERVER_HELLO (3.2, 4, 5).
    th_s = sha256(m1, m2clear, s_id)
    c.eq("transcript.th_s", b("transcript", "th_s"), th_s)
    sig_s = s_sk.sign(SERVER_LABEL + b"\x00" + th_s)
    c.eq("signatures.server", b("signatures", "server"), sig_s)
    file_sig_s = b("signatures", "server")
    c.true("signatures.server verifies", verifies(s_pk, file_sig_s, SERVER_LABEL + b"\x00" + th_s))
    c.true("signatures.server does not verify under the client label",
           not verifies(s_pk, file_sig_s, CLIENT_LABEL + b"\x00" + th_s))
    m2 = m2clear + seal(s_hs_key, b"\x00" * 12, th2, s_id + sig_s)
    file_m2 = b("messages", "server_hello")
    c.eq("messages.server_hello", file_m2, m2)
    try:
        opened = ChaCha20Poly1305(s_hs_key).decrypt(b"\x00" * 12, file_m2[37:], th2)
        c.eq("SERVER_HELLO plaintext", opened, s_id + file_sig_s)
    except InvalidTag:
        c.failures.append("messages.server_hello: sealed part does not open with s_hs_key")

    # CLIENT_AUTH (3.3, 4, 5).
    m3hdr = bytes.fromhex("030071" if c_seed is not None else "030011")
    th3h = sha256(m1, m2, m3hdr)
    c.eq("transcript.th3h", b("transcript", "th3h"), th3h)
    if c_seed is not None:
        th_c = sha256(m1, m2, m3hdr, b"\x01", c_id)
        c.eq("transcript.th_c", b("transcript", "th_c"), th_c)
        sig_c = c_sk.sign(CLIENT_LABEL + b"\x00" + th_c)
        c.eq("signatures.client", b("signatures", "client"), sig_c)
        file_sig_c = b("signatures", "client")
        c.true("signatures.client verifies",
               verifies(c_pk, file_sig_c, CLIENT_LABEL + b"\x00" + th_c))
        c.true("signatures.client does not verify under the server label",
               not verifies(c_pk, file_sig_c, SERVER_LABEL + b"\x00" + th_c))
        p = b"\x01" + c_id + sig_c
    else:
        p = b"\x00"
    m3 = m3hdr + seal(c_hs_key, b"\x00" * 12, th3h, p)
    file_m3 = b("messages", "client_auth")
    c.eq("messages.client_auth", file_m3, m3)
    try:
        opened = ChaCha20Poly1305(c_hs_key).decrypt(b"\x00" * 12, file_m3[3:], th3h)
        c.eq("CLIENT_AUTH plaintext", opened, p)
    except InvalidTag:
        c.failures.append("messages.client_auth: sealed part does not open with c_hs_key")

    # Traffic secrets (6.2).
    th = sha256(m1, m2, m3)
    c.eq("transcript.th", b("transcript", "th"), th)
    c_ap = expand(hs_secret, "c ap traffic", th)
    s_ap = expand(hs_secret, "s ap traffic", th)
    c.eq("keys.c_ap_0", b("keys", "c_ap_0"), c_ap)
    c.eq("keys.s_ap_0", b("keys", "s_ap_0"), s_ap)
    c.eq("keys.c_key_0", b("keys", "c_key_0"), expand(c_ap, "record key"))
    c.eq("keys.s_key_0", b("keys", "s_key_0"), expand(s_ap, "record key"))

    # Records (7, 8, 9).
    state = {
        "client_to_server": {"ap": c_ap, "generation": 0, "counter": 0, "closed": False},
        "server_to_client": {"ap": s_ap, "generation": 0, "counter": 0, "closed": False},
    }
    c_ap_1_checked = False
    for i, r in enumerate(v["records"]):
        name = f"records[{i}]"
        s = state.get(r["direction"])
        frame_type = FRAME_TYPES.get(r["type"])
        if s is None or frame_type is None:
            c.failures.append(f"{name}: direction {r['direction']!r}, type {r['type']!r}")
            continue
        c.true(f"{name}: sent after CLOSE", not s["closed"])
        c.eq(f"{name}.key_generation", r["key_generation"], s["generation"])
        c.eq(f"{name}.counter", r["counter"], s["counter"])
        plaintext = bytes.fromhex(r["plaintext"])
        if r["type"] != "DATA":
            c.eq(f"{name}.plaintext ({r['type']})", plaintext, b"")
        key = expand(s["ap"], "record key")
        header = bytes([frame_type]) + struct.pack(">H", len(plaintext) + 16)
        nonce = record_nonce(s["counter"])
        file_frame = bytes.fromhex(r["frame"])
        c.eq(f"{name}.frame", file_frame, header + seal(key, nonce, header, plaintext))
        try:
            opened = ChaCha20Poly1305(key).decrypt(nonce, file_frame[3:], file_frame[:3])
            c.eq(f"{name}.plaintext", plaintext, opened)
        except InvalidTag:
            c.failures.append(f"{name}.frame does not open")
        s["counter"] += 1
        if r["type"] == "KEY_UPDATE":
            s["ap"] = expand(s["ap"], "key update")
            s["generation"] += 1
            s["counter"] = 0
            if r["direction"] == "client_to_server" and s["generation"] == 1:
                c.eq("keys.c_ap_1", b("keys", "c_ap_1"), s["ap"])
                c.eq("keys.c_key_1", b("keys", "c_key_1"), expand(s["ap"], "record key"))
                c_ap_1_checked = True
        elif r["type"] == "CLOSE":
            s["closed"] = True
    c.true("records: no client KEY_UPDATE, keys.c_ap_1 and keys.c_key_1 unchecked",
           c_ap_1_checked)
    c.true("records: both directions end with CLOSE", all(s["closed"] for s in state.values()))
    return c


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    paths = [pathlib.Path(a) for a in argv[1:]] or [here / f for f in FILES]
    ok = True
    for path in paths:
        try:
            c = check_file(path)
        except Exception as e:  # a malformed file is a failure, not a crash
            print(f"{path.name}: FAILED: {type(e).__name__}: {e}")
            ok = False
            continue
        if c.failures:
            ok = False
            print(f"{path.name}: FAILED ({len(c.failures)} mismatches, {c.passed} checks passed)")
            for f in c.failures:
                print(f"  {f}")
        else:
            print(f"{path.name}: ok ({c.passed} checks)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
