#!/usr/bin/env python3
"""Independent checker for the Ossuary known-answer vectors (PROTOCOL.md section 15).

Rebuilds every value of docs/vectors/handshake-*.json from its `inputs` alone,
with Python's `cryptography` package, `kyber-py` (ML-KEM-768, FIPS 203) and the
standard library, following PROTOCOL.md sections 3 to 9 (it shares no code with
the Rust implementation):

  - the ML-KEM-768 key pair from the client's seed d || z and the server's
    encapsulation with m, through kyber-py's FIPS 203 internal functions
    (ML-KEM.KeyGen_internal, ML-KEM.Encaps_internal); when the installed
    `cryptography` has ML-KEM (46 and later), its key pair from the same seed
    and its decapsulation of the ciphertext must agree;
  - the public keys, and the three handshake messages byte for byte (sealing
    S_id || sig_s and P with the handshake keys, signing with Ed25519, which is
    deterministic);
  - every transcript snapshot (section 4) and the whole key schedule (section 6,
    HKDF-SHA-256 with the length-prefixed info, checked against the info strings
    of section 6.3);
  - both signatures, which are also verified;
  - every record frame (sealed with the key and counter the file names, then
    opened back to its plaintext), following KEY_UPDATE and CLOSE.

It also checks server-key-update-and-reset.json (the mutual session continued:
a server KEY_UPDATE, DATA under s_key_1, a tampered record and the two sealed
RESETs, section 15.4) and must-reject.json (section 15.5): each entry's frame is
rebuilt from the session's keys and its defect confirmed with this file's own
X25519 and Ed25519 arithmetic, since `cryptography` cannot: OpenSSL's X25519
raises on the all-zero output instead of returning it, and OpenSSL's Ed25519
verify accepts a small-order R and a small-order public key (PROTOCOL.md 5.3).
Python cannot run the receiver's state machine; that an implementation answers
each entry with the RESET given is checked by the Rust vector tests.

Usage: check_vectors.py [FILE ...]   (default: every file listed in FILES)
Exits 0 when every check passes, 1 otherwise, listing each mismatch.
Requires: pip install cryptography kyber-py
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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from kyber_py.ml_kem import ML_KEM_768

try:
    from cryptography.hazmat.primitives.asymmetric import mlkem as openssl_mlkem
except ImportError:  # cryptography before 46: kyber-py alone
    openssl_mlkem = None

FILES = [
    "handshake-mutual.json",
    "handshake-anonymous.json",
    "server-key-update-and-reset.json",
    "must-reject.json",
]

# PROTOCOL.md section 15.2: top-level objects and their fields.
FIELDS = {
    "inputs": [
        "client_identity_secret",
        "server_identity_secret",
        "client_ephemeral_secret",
        "client_random",
        "client_kem_seed",
        "server_ephemeral_secret",
        "server_kem_randomness",
        "server_flags",
    ],
    "public": [
        "client_identity",
        "server_identity",
        "client_ephemeral",
        "client_kem_key",
        "server_ephemeral",
        "server_kem_ciphertext",
    ],
    "messages": ["client_hello", "server_hello", "client_auth"],
    "transcript": ["th2", "th_s", "th3h", "th_c", "th"],
    "keys": [
        "dh",
        "kem_ss",
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


def mlkem_exchange(seed, m):
    """The client's ek from d || z, the server's (ct, K) with m, and the
    client's decapsulation of ct (FIPS 203 sections 6 and 7)."""
    ek, dk = ML_KEM_768._keygen_internal(seed[:32], seed[32:])
    k_server, ct = ML_KEM_768._encaps_internal(ek, m)
    k_client = ML_KEM_768.decaps(dk, ct)
    return ek, ct, k_server, k_client, dk


def mlkem_reduced(ek):
    """FIPS 203 7.2 modulus check: every 12-bit coefficient of the 1152
    encoded bytes is below q = 3329."""
    for i in range(0, 1152, 3):
        a = ek[i] | (ek[i + 1] & 0x0F) << 8
        b = ek[i + 1] >> 4 | ek[i + 2] << 4
        if a >= 3329 or b >= 3329:
            return False
    return True


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
    kem_seed = b("inputs", "client_kem_seed")
    e_s_sk = b("inputs", "server_ephemeral_secret")
    kem_m = b("inputs", "server_kem_randomness")
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
    c.true("inputs.client_kem_seed is 64 bytes", len(kem_seed) == 64)
    c.true("inputs.server_kem_randomness is 32 bytes", len(kem_m) == 32)
    ek, ct, kem_ss, kem_ss_client, dk = mlkem_exchange(kem_seed, kem_m)
    c.eq("public.client_kem_key", b("public", "client_kem_key"), ek)
    c.true("public.client_kem_key passes the modulus check", mlkem_reduced(ek))
    c.eq("public.server_kem_ciphertext", b("public", "server_kem_ciphertext"), ct)
    c.eq("keys.kem_ss", b("keys", "kem_ss"), kem_ss)
    c.eq("keys.kem_ss (client side)", b("keys", "kem_ss"), kem_ss_client)
    if openssl_mlkem is not None:
        other = openssl_mlkem.MLKEM768PrivateKey.from_seed_bytes(kem_seed)
        c.eq("public.client_kem_key (cryptography)", other.public_key().public_bytes_raw(), ek)
        c.eq("keys.kem_ss (cryptography)", other.decapsulate(ct), kem_ss)

    # CLIENT_HELLO (3.1).
    m1 = bytes.fromhex("0104e20100") + e_c + random_c + ek
    c.eq("messages.client_hello", b("messages", "client_hello"), m1)

    # Key agreement and handshake keys (6.2).
    dh = x25519(e_c_sk, e_s)
    c.eq("keys.dh", b("keys", "dh"), dh)
    c.eq("keys.dh (server side)", b("keys", "dh"), x25519(e_s_sk, e_c))
    c.true("keys.dh is not all zero", dh != b"\x00" * 32)
    m2clear = bytes.fromhex("0204d201") + flags + e_s + ct
    th2 = sha256(m1, m2clear)
    c.eq("transcript.th2", b("transcript", "th2"), th2)
    hs_secret = extract(SALT, kem_ss + dh)
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
        opened = ChaCha20Poly1305(s_hs_key).decrypt(b"\x00" * 12, file_m2[1125:], th2)
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


# ---- Curve arithmetic of our own (RFC 7748 section 5, RFC 8032 section 5.1) ----
# `cryptography` cannot be used to check the must-reject entries: OpenSSL's
# X25519 raises on an all-zero output, and its Ed25519 verify is not strict.

P25519 = 2**255 - 19
L_ORDER = 2**252 + 27742317777372353535851937790883648493
ED_D = -121665 * pow(121666, P25519 - 2, P25519) % P25519
SQRT_M1 = pow(2, (P25519 - 1) // 4, P25519)


def x25519_raw(k, u):
    """X25519 (RFC 7748 section 5), returning the all-zero output too."""
    k = bytearray(k)
    k[0] &= 248
    k[31] &= 127
    k[31] |= 64
    k = int.from_bytes(k, "little")
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    x2, z2, x3, z3, swap = 1, 0, x1, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        if swap ^ kt:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        a, b = x2 + z2, x2 - z2
        aa, bb = a * a % P25519, b * b % P25519
        e = aa - bb
        c, d = x3 + z3, x3 - z3
        da, cb = d * a % P25519, c * b % P25519
        x3, z3 = (da + cb) ** 2 % P25519, x1 * (da - cb) ** 2 % P25519
        x2, z2 = aa * bb % P25519, e * (aa + 121665 * e) % P25519
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, P25519 - 2, P25519) % P25519).to_bytes(32, "little")


def ed_add(p, q):
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P25519
    b = (y1 + x1) * (y2 + x2) % P25519
    c = 2 * t1 * t2 * ED_D % P25519
    d = 2 * z1 * z2 % P25519
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P25519, g * h % P25519, f * g % P25519, e * h % P25519)


ED_IDENTITY = (0, 1, 1, 0)


def ed_mul(s, p):
    q = ED_IDENTITY
    while s > 0:
        if s & 1:
            q = ed_add(q, p)
        p = ed_add(p, p)
        s >>= 1
    return q


def ed_neg(p):
    x, y, z, t = p
    return (-x % P25519, y, z, -t % P25519)


def ed_encode(p):
    x, y, z, _ = p
    zi = pow(z, P25519 - 2, P25519)
    x, y = x * zi % P25519, y * zi % P25519
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def ed_decode(b):
    """RFC 8032 section 5.1.3 decoding; None if it fails (y >= p included)."""
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P25519:
        return None
    x2 = (y * y - 1) * pow(ED_D * y * y + 1, P25519 - 2, P25519) % P25519
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (P25519 + 3) // 8, P25519)
    if (x * x - x2) % P25519:
        x = x * SQRT_M1 % P25519
    if (x * x - x2) % P25519:
        return None
    if (x & 1) != sign:
        x = P25519 - x
    return (x, y, 1, x * y % P25519)


def ed_is_identity(p):
    x, y, z, _ = p
    return x % P25519 == 0 and (y - z) % P25519 == 0


def ed_small_order(p):
    return ed_is_identity(ed_mul(8, p))


ED_B = ed_decode(bytes.fromhex("58" + "66" * 31))


def ed_challenge(r, a, msg):
    return int.from_bytes(hashlib.sha512(r + a + msg).digest(), "little") % L_ORDER


def ed_s_b_minus_k_a(a, sig, msg, reduce_s):
    s = int.from_bytes(sig[32:], "little")
    if reduce_s:
        s %= L_ORDER
    elif s >= L_ORDER:
        return None
    a_point = ed_decode(a)
    if a_point is None:
        return None
    k = ed_challenge(sig[:32], a, msg)
    return ed_add(ed_mul(s, ED_B), ed_neg(ed_mul(k, a_point)))


def ed_verify_strict(a, sig, msg):
    """PROTOCOL.md section 5.3, rules 1 to 4."""
    a_point, r_point = ed_decode(a), ed_decode(sig[:32])
    if a_point is None or ed_small_order(a_point):
        return False
    if r_point is None or ed_small_order(r_point):
        return False
    lhs = ed_s_b_minus_k_a(a, sig, msg, False)
    return lhs is not None and ed_encode(lhs) == sig[:32]


def ed_lax_verdict(a, sig, msg):
    """Which non-strict verifier accepts (PROTOCOL.md section 15.5)."""
    lhs = ed_s_b_minus_k_a(a, sig, msg, False)
    if lhs is not None and ed_encode(lhs) == sig[:32]:
        return "cofactorless"
    r_point = ed_decode(sig[:32])
    if lhs is not None and r_point is not None:
        if ed_is_identity(ed_mul(8, ed_add(lhs, ed_neg(r_point)))):
            return "cofactored"
    lhs = ed_s_b_minus_k_a(a, sig, msg, True)
    if lhs is not None and ed_encode(lhs) == sig[:32]:
        return "s_mod_l"
    return None


def openssl_accepts(a, sig, msg):
    try:
        Ed25519PublicKey.from_public_bytes(a).verify(sig, msg)
        return True
    except (InvalidSignature, ValueError):
        return False


def load_session(path, name):
    """A handshake vector file beside `path`, checked first."""
    session_path = path.parent / name
    c = check_file(session_path)
    if c.failures:
        raise ValueError(f"{name} fails its own checks")
    return json.loads(session_path.read_text())


def session_keys(s):
    """The handshake keys and messages of a (checked) session file."""
    h = lambda obj, f: bytes.fromhex(s[obj][f])
    m1, m2 = h("messages", "client_hello"), h("messages", "server_hello")
    dh = x25519(h("inputs", "client_ephemeral_secret"), h("public", "server_ephemeral"))
    th2 = sha256(m1, m2[:1125])
    hs = extract(SALT, h("keys", "kem_ss") + dh)
    return {
        "m1": m1,
        "m2": m2,
        "th2": th2,
        "c_hs_key": expand(hs, "c hs key", th2),
        "s_hs_key": expand(hs, "s hs key", th2),
        "e_c_sk": h("inputs", "client_ephemeral_secret"),
        "e_s_sk": h("inputs", "server_ephemeral_secret"),
        "s_id": h("public", "server_identity"),
        "c_id": h("public", "client_identity"),
    }


MUST_REJECT_FIELDS = [
    "name", "session", "receiver", "state", "before", "frame", "defect", "value",
    "lax_verifier_accepts", "error", "reason", "reset",
]
PLACES = {
    "client_hello": ("server", "WAIT_CH"),
    "server_hello": ("client", "WAIT_SH"),
    "client_auth": ("server", "WAIT_CA"),
}


def check_must_reject(path):
    v = json.loads(path.read_text())
    c = Checker(path.name)
    sessions = {}
    names = set()
    openssl = {}
    for e in v["entries"]:
        name = e.get("name")
        if sorted(e) != sorted(MUST_REJECT_FIELDS):
            c.failures.append(f"{name}: fields {sorted(e)}")
            continue
        c.true(f"{name}: duplicate name", name not in names)
        names.add(name)
        if e["session"] not in sessions:
            sessions[e["session"]] = session_keys(load_session(path, e["session"]))
        k = sessions[e["session"]]
        message = name.split("/")[0]
        c.eq(f"{name}: receiver and state", (e["receiver"], e["state"]), PLACES.get(message))
        c.eq(f"{name}: before", e["before"], [k["m1"].hex()] if message == "client_auth" else [])
        c.eq(f"{name}.reason", e["reason"], 3)
        c.eq(f"{name}.reset", e["reset"], "200001" + bytes([e["reason"]]).hex())
        frame, value, defect = bytes.fromhex(e["frame"]), bytes.fromhex(e["value"]), e["defect"]

        if defect == "x25519_low_order":
            base = k["m1"] if message == "client_hello" else k["m2"]
            own = k["e_s_sk"] if message == "client_hello" else k["e_c_sk"]
            c.eq(f"{name}.frame", frame, base[:5] + value + base[37:])
            c.eq(f"{name}: X25519 output", x25519_raw(own, value), b"\x00" * 32)
            try:  # OpenSSL refuses to return the all-zero output (section 5.3).
                x25519(own, value)
                c.failures.append(f"{name}: cryptography returned an output for a low-order point")
            except ValueError:
                c.passed += 1
            c.eq(f"{name}.error", e["error"], "NonContributoryKeyShare")
            c.eq(f"{name}.lax_verifier_accepts", e["lax_verifier_accepts"], None)
            continue

        if defect == "mlkem_unreduced":
            # The honest ek with its first coefficient (bytes 69..71) unreduced.
            c.eq(f"{name}: message", message, "client_hello")
            c.eq(f"{name}.frame", frame, k["m1"][:69] + value + k["m1"][71:])
            c.true(f"{name}: honest ek passes the modulus check", mlkem_reduced(k["m1"][69:]))
            c.true(f"{name}: ek fails the modulus check", not mlkem_reduced(frame[69:]))
            if openssl_mlkem is not None:
                try:
                    openssl_mlkem.MLKEM768PublicKey.from_public_bytes(frame[69:])
                    c.failures.append(f"{name}: cryptography accepts the unreduced key")
                except ValueError:
                    c.passed += 1
            c.eq(f"{name}.error", e["error"], "InvalidKemKey")
            c.eq(f"{name}.lax_verifier_accepts", e["lax_verifier_accepts"], None)
            continue

        # A signature entry: open the sealed part with the session's keys.
        if message == "server_hello":
            c.eq(f"{name}: clear part", frame[:1125], k["m2"][:1125])
            try:
                plain = ChaCha20Poly1305(k["s_hs_key"]).decrypt(b"\x00" * 12, frame[1125:], k["th2"])
            except InvalidTag:
                c.failures.append(f"{name}: does not open with s_hs_key")
                continue
            a, sig = plain[:32], plain[32:]
            msg = SERVER_LABEL + b"\x00" + sha256(k["m1"], frame[:1125], a)
            honest_key, bad_sig = k["s_id"], "BadServerSignature"
        else:
            c.eq(f"{name}: header", frame[:3], bytes.fromhex("030071"))
            th3h = sha256(k["m1"], k["m2"], frame[:3])
            try:
                plain = ChaCha20Poly1305(k["c_hs_key"]).decrypt(b"\x00" * 12, frame[3:], th3h)
            except InvalidTag:
                c.failures.append(f"{name}: does not open with c_hs_key")
                continue
            c.eq(f"{name}: kind byte", plain[:1], b"\x01")
            a, sig = plain[1:33], plain[33:]
            msg = CLIENT_LABEL + b"\x00" + sha256(k["m1"], k["m2"], frame[:3], b"\x01", a)
            honest_key, bad_sig = k["c_id"], "BadClientSignature"
        c.true(f"{name}: passes strict verification", not ed_verify_strict(a, sig, msg))
        verdict = ed_lax_verdict(a, sig, msg)
        c.eq(f"{name}.lax_verifier_accepts", e["lax_verifier_accepts"], verdict)
        c.true(f"{name}: no lax verifier accepts it", verdict is not None)
        if defect == "ed25519_small_order_r":
            c.eq(f"{name}.value", value, sig[:32])
            c.eq(f"{name}: identity key", a, honest_key)
            r = ed_decode(value)
            c.true(f"{name}: R is not of small order", r is not None and ed_small_order(r))
            c.eq(f"{name}.error", e["error"], bad_sig)
        elif defect == "ed25519_non_canonical_s":
            c.eq(f"{name}.value", value, sig[32:])
            c.eq(f"{name}: identity key", a, honest_key)
            c.true(f"{name}: S < L", int.from_bytes(value, "little") >= L_ORDER)
            c.eq(f"{name}.error", e["error"], bad_sig)
        elif defect == "ed25519_small_order_a":
            c.eq(f"{name}.value", value, a)
            point = ed_decode(a)
            c.true(f"{name}: A is not of small order", point is not None and ed_small_order(point))
            c.eq(f"{name}.error", e["error"], "InvalidIdentityKey")
        else:
            c.failures.append(f"{name}: defect {defect!r}")
            continue
        openssl.setdefault(defect, [0, 0])
        openssl[defect][0] += openssl_accepts(a, sig, msg)
        openssl[defect][1] += 1
    counts = {}
    for e in v["entries"]:
        counts[e.get("defect")] = counts.get(e.get("defect"), 0) + 1
    c.true(f"entries per defect: {counts}", all(counts.get(d, 0) >= 2 for d in (
        "x25519_low_order", "ed25519_small_order_r", "ed25519_non_canonical_s", "ed25519_small_order_a")))
    c.notes = [f"cryptography's Ed25519 verify accepts {n} of {t} {d} entries (not strict)"
               for d, (n, t) in sorted(openssl.items())]
    return c


def check_continuation(path):
    """server-key-update-and-reset.json (section 15.4)."""
    v = json.loads(path.read_text())
    c = Checker(path.name)
    if sorted(v) != sorted(["session", "after_record", "keys", "records"]):
        c.failures.append(f"top-level fields: {sorted(v)}")
        return c
    s = load_session(path, v["session"])
    key = lambda f: bytes.fromhex(s["keys"][f])
    c_ap_1 = expand(key("c_ap_0"), "key update")
    s_ap_1 = expand(key("s_ap_0"), "key update")
    want = {
        "c_ap_1": c_ap_1, "c_key_1": expand(c_ap_1, "record key"),
        "s_ap_0": key("s_ap_0"), "s_key_0": expand(key("s_ap_0"), "record key"),
        "s_ap_1": s_ap_1, "s_key_1": expand(s_ap_1, "record key"),
    }
    c.eq("fields of keys", sorted(v["keys"]), sorted(want))
    for f, value in want.items():
        c.eq(f"keys.{f}", bytes.fromhex(v["keys"].get(f, "")), value)
    state = {
        "client_to_server": {"ap": key("c_ap_0"), "generation": 0, "counter": 0},
        "server_to_client": {"ap": key("s_ap_0"), "generation": 0, "counter": 0},
    }
    types = dict(FRAME_TYPES, RESET=0x20)
    after = v["after_record"]
    for r in s["records"][: after + 1]:
        st = state[r["direction"]]
        c.true(f"session record {r['type']} before the continuation", r["type"] != "CLOSE")
        st["counter"] += 1
        if r["type"] == "KEY_UPDATE":
            st["ap"] = expand(st["ap"], "key update")
            st["generation"] += 1
            st["counter"] = 0
    previous = None
    for i, r in enumerate(v["records"]):
        name = f"records[{i}]"
        st = state.get(r["direction"])
        if sorted(r) != sorted(RECORD_FIELDS + ["opens"]) or st is None or r["type"] not in types:
            c.failures.append(f"{name}: {sorted(r)}, {r.get('direction')!r}, {r.get('type')!r}")
            continue
        c.eq(f"{name}.key_generation", r["key_generation"], st["generation"])
        c.eq(f"{name}.counter", r["counter"], st["counter"])
        plaintext = bytes.fromhex(r["plaintext"])
        if r["type"] == "RESET":
            c.eq(f"{name}: RESET plaintext length", len(plaintext), 1)
        elif r["type"] != "DATA":
            c.eq(f"{name}.plaintext", plaintext, b"")
        k = expand(st["ap"], "record key")
        header = bytes([types[r["type"]]]) + struct.pack(">H", len(plaintext) + 16)
        nonce = record_nonce(st["counter"])
        sealed = header + seal(k, nonce, header, plaintext)
        frame = bytes.fromhex(r["frame"])
        if r["opens"] is True:
            c.eq(f"{name}.frame", frame, sealed)
        else:
            c.eq(f"{name}.opens", r["opens"], False)
            c.eq(f"{name}.frame (last bit flipped)", frame, sealed[:-1] + bytes([sealed[-1] ^ 1]))
        try:
            ChaCha20Poly1305(k).decrypt(nonce, frame[3:], frame[:3])
            c.true(f"{name}: opens, but the file says it does not", r["opens"])
        except InvalidTag:
            c.true(f"{name}: does not open", not r["opens"])
        if previous is not None and not previous["opens"]:
            c.true(f"{name}: a record failure is answered with a sealed RESET, reason 7",
                   r["type"] == "RESET" and plaintext == b"\x07"
                   and r["direction"] != previous["direction"])
        elif previous is not None and previous["type"] == "RESET":
            c.true(f"{name}: a RESET is answered with a sealed RESET, reason 0",
                   r["type"] == "RESET" and plaintext == b"\x00"
                   and r["direction"] != previous["direction"])
        st["counter"] += 1
        if r["type"] == "KEY_UPDATE":
            st["ap"] = expand(st["ap"], "key update")
            st["generation"] += 1
            st["counter"] = 0
        previous = r
    c.true("records: a server KEY_UPDATE, then DATA under s_key_1",
           any(r["direction"] == "server_to_client" and r["type"] == "DATA"
               and r["key_generation"] == 1 and r["opens"] for r in v["records"]))
    c.eq("records: sealed RESETs", sum(r["type"] == "RESET" for r in v["records"]), 2)
    return c


def main(argv):
    here = pathlib.Path(__file__).resolve().parent
    paths = [pathlib.Path(a) for a in argv[1:]] or [here / f for f in FILES]
    ok = True
    for path in paths:
        try:
            text = json.loads(path.read_text())
            if "entries" in text:
                c = check_must_reject(path)
            elif "after_record" in text:
                c = check_continuation(path)
            else:
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
        for note in getattr(c, "notes", []):
            print(f"  note: {note}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
