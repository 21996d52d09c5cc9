#!/usr/bin/env python3
"""Extracts fips203_mlkem768.json from NIST's ACVP ML-KEM vectors.

Inputs: the "internal projection" files of the ACVP server,
gen-val/json-files/ML-KEM-keyGen-FIPS203/internalProjection.json and
gen-val/json-files/ML-KEM-encapDecap-FIPS203/internalProjection.json
(https://github.com/usnistgov/ACVP-Server, commit 65370b8, as copied into
RustCrypto/KEMs ml-kem/tests/key-gen.json and encap-decap.json; SHA-256
0fdca41e...0e48 and 4b5afd6c...c333). The output keeps only ML-KEM-768, and of
it: the first 5 key generation tests (d, z, ek), the first 5 encapsulation
tests (ek, dk, m, c, k) and the whole decapsulation group (dk, c, k), with
every value unchanged.

    python3 extract_fips203.py key-gen.json encap-decap.json > fips203_mlkem768.json
"""
import hashlib
import json
import sys

SHA256 = {
    "keyGen": "0fdca41ed30f49c828af80c73a6424ece3accc1e3430ae14492363aaadeb0e48",
    "encapDecap": "4b5afd6c7075b1ffebc099a70dcf907b189daadd42921223127732e3ec83c333",
}


def load(path, mode):
    raw = open(path, "rb").read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256[mode]:
        sys.exit(f"{path}: SHA-256 {digest}, expected {SHA256[mode]}")
    data = json.loads(raw)
    assert data["mode"] == mode and data["revision"] == "FIPS203"
    return [g for g in data["testGroups"] if g["parameterSet"] == "ML-KEM-768"]


def main():
    (keygen,) = load(sys.argv[1], "keyGen")
    encap, decap = load(sys.argv[2], "encapDecap")
    assert encap["function"] == "encapsulation" and decap["function"] == "decapsulation"
    out = {
        "source": "NIST ACVP-Server commit 65370b8, ML-KEM-keyGen-FIPS203 and "
        "ML-KEM-encapDecap-FIPS203 internalProjection.json, ML-KEM-768 only "
        "(extract_fips203.py)",
        "keyGen": [
            {k: t[k] for k in ("tcId", "d", "z", "ek")} for t in keygen["tests"][:5]
        ],
        "encapsulation": [
            {k: t[k] for k in ("tcId", "ek", "dk", "m", "c", "k")}
            for t in encap["tests"][:5]
        ],
        "decapsulation": {
            "dk": decap["dk"],
            "tests": [{k: t[k] for k in ("tcId", "c", "k", "reason")} for t in decap["tests"]],
        },
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
