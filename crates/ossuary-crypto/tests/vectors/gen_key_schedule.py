#!/usr/bin/env python3
"""Regenerates key_schedule.json independently of the Rust code.

Needs Python 3 and the `cryptography` package (X25519, ChaCha20-Poly1305);
HKDF is spelled out with the standard library's hmac/hashlib so the info
encoding of SPEC §5 is checked, not assumed.

    python3 gen_key_schedule.py > key_schedule.json
"""
import hashlib
import hmac
import json

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

H = bytes.fromhex


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length=32):
    t, okm, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def expand(secret, label, ctx):
    full = b"ossuary v1 " + label
    return hkdf_expand(secret, bytes([len(full)]) + full + bytes([len(ctx)]) + ctx)


def seal(key, nonce, ad, plaintext):
    out = ChaCha20Poly1305(key).encrypt(nonce, plaintext, ad)
    return out[:-16], out[-16:]


# RFC 7748 §6.1 Alice (client) and Bob (server).
alice = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
bob = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
dh = X25519PrivateKey.from_private_bytes(alice).exchange(
    X25519PrivateKey.from_private_bytes(bob).public_key()
)
th2 = hashlib.sha256(b"ossuary test TH2").digest()
th = hashlib.sha256(b"ossuary test TH").digest()
hs = extract(b"ossuary v1 handshake", dh)

v = {
    "source": "Ossuary key schedule (SPEC sections 5 and 6), computed independently with "
    "Python's hmac/hashlib and the cryptography package (X25519, ChaCha20-Poly1305). "
    "Ephemeral private keys are RFC 7748 section 6.1's Alice (client) and Bob (server); "
    'th2 = SHA-256("ossuary test TH2"), th = SHA-256("ossuary test TH").',
    "client_ephemeral_private": alice.hex(),
    "server_ephemeral_private": bob.hex(),
    "dh": dh.hex(),
    "th2": th2.hex(),
    "th": th.hex(),
    "hs_secret": hs.hex(),
}
c_hs = expand(hs, b"c hs key", th2)
s_hs = expand(hs, b"s hs key", th2)
c_ap = [expand(hs, b"c ap traffic", th)]
s_ap = [expand(hs, b"s ap traffic", th)]
for _ in range(2):
    c_ap.append(expand(c_ap[-1], b"key update", b""))
    s_ap.append(expand(s_ap[-1], b"key update", b""))
c_key = [expand(x, b"record key", b"") for x in c_ap]
s_key = [expand(x, b"record key", b"") for x in s_ap]
v.update(
    {
        "c_hs_key": c_hs.hex(),
        "s_hs_key": s_hs.hex(),
        "c_ap_0": c_ap[0].hex(),
        "s_ap_0": s_ap[0].hex(),
        "c_key_0": c_key[0].hex(),
        "s_key_0": s_key[0].hex(),
        "c_ap_1": c_ap[1].hex(),
        "s_ap_1": s_ap[1].hex(),
        "c_key_1": c_key[1].hex(),
        "s_key_1": s_key[1].hex(),
    }
)

for name, key, plaintext in [
    ("server_hello_sealed", s_hs, bytes(range(96))),
    ("client_auth_sealed", c_hs, bytes([0])),
]:
    ct, tag = seal(key, bytes(12), th2, plaintext)
    v[name] = {
        "key": "s_hs_key" if key == s_hs else "c_hs_key",
        "ad": "th2",
        "plaintext": plaintext.hex(),
        "ciphertext": ct.hex(),
        "tag": tag.hex(),
    }

records = []
for direction, generation, counter, frame_type, plaintext in [
    ("client", 0, 0, 0x10, b"hello server"),
    ("client", 0, 1, 0x10, b"second record"),
    ("client", 0, 2, 0x11, b""),  # KEY_UPDATE under the old key
    ("client", 1, 0, 0x10, b"after key update"),
    ("server", 0, 0, 0x10, b"hello client"),
    ("server", 0, 1, 0x12, b""),  # CLOSE
]:
    key = (c_key if direction == "client" else s_key)[generation]
    header = bytes([frame_type]) + (len(plaintext) + 16).to_bytes(2, "big")
    nonce = bytes(4) + counter.to_bytes(8, "big")
    ct, tag = seal(key, nonce, header, plaintext)
    records.append(
        {
            "from": direction,
            "key_generation": generation,
            "counter": counter,
            "header": header.hex(),
            "plaintext": plaintext.hex(),
            "ciphertext": ct.hex(),
            "tag": tag.hex(),
        }
    )
v["records"] = records

print(json.dumps(v, indent=2))
