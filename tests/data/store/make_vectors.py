"""Write ``crypto_vectors.json`` ONCE; the committed file is the reference and must keep opening.

Run ``python tests/data/store/make_vectors.py`` only when adding a new format version, and then
add vectors rather than replacing the old ones: old blobs in the field must stay readable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.store import crypto

OUT = Path(__file__).with_name("crypto_vectors.json")


def main() -> None:
    data_key = bytes(range(32))
    salt = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
    nonce = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaab")
    wraps = []
    for pin, params in (("2468", crypto.TEST_KDF), ("كلمة سر 7", crypto.DEFAULT_KDF)):
        blob = crypto._wrap_with(data_key, pin, params, salt, nonce)
        wraps.append(
            {
                "pin": pin,
                "iterations": params.iterations,
                "memory_kib": params.memory_kib,
                "lanes": params.lanes,
                "salt": salt.hex(),
                "nonce": nonce.hex(),
                "data_key": data_key.hex(),
                "blob": blob.hex(),
            }
        )
    aad = b"record:5c1f/v3"
    plaintext = '{"answer": "نعم"}'.encode()
    enc = crypto._encrypt_with(data_key, plaintext, aad, nonce)
    passphrase = "agency passphrase for vectors"  # noqa: S105 - a published test vector
    pem, public_raw = crypto.new_agency_keypair(passphrase)
    info = crypto.envelope_info(
        "7d3f6a2e-3b7c-4f0e-9a55-1f0c2d9e8b11", "dev-0001", "waymark_screening", "2026.11.1"
    )
    payload = json.dumps({"record_id": "7d3f6a2e", "values": {"a": "b"}}).encode()
    envelope = crypto.seal(public_raw, payload, info)
    vectors = {
        "wrap_key": wraps,
        "encrypt": {
            "data_key": data_key.hex(),
            "nonce": nonce.hex(),
            "aad": aad.hex(),
            "plaintext": plaintext.hex(),
            "blob": enc.hex(),
        },
        "seal": {
            "private_pem": pem.decode("ascii"),
            "passphrase": passphrase,
            "public_raw": public_raw.hex(),
            "fingerprint": crypto.fingerprint(public_raw),
            "record_id": "7d3f6a2e-3b7c-4f0e-9a55-1f0c2d9e8b11",
            "device_id": "dev-0001",
            "form_id": "waymark_screening",
            "form_version": "2026.11.1",
            "info": info.hex(),
            "plaintext": payload.hex(),
            "envelope": envelope.hex(),
        },
    }
    if OUT.exists() and not os.environ.get("WAYMARK_REWRITE_VECTORS"):
        raise SystemExit(f"{OUT} exists; vectors are written once")
    OUT.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
