"""Secrets: enrolment codes and bearer tokens. The server keeps only their SHA-256 hashes.

Codes and tokens carry at least 60 and 256 bits of randomness, so a plain hash is enough (no
slow KDF); a token names its holder (``<id>.<secret>``) so the hash is compared in constant
time against one row, never looked up by value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Crockford base32 without look-alike letters, easy to read aloud and type.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_hash(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def new_code() -> str:
    """A one-time enrolment code like ``7KQ2-M9XD-4T1R``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


from sync.protocol import normalise_code  # noqa: E402,F401 - shared with the device


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def new_token(holder_id: str) -> tuple[str, str]:
    """(token to hand out once, hash to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{holder_id}.{secret}", hash_secret(secret)


def split_token(token: str) -> tuple[str, str] | None:
    holder, sep, secret = token.partition(".")
    if not sep or not holder or not secret or len(token) > 256:
        return None
    if not (token.isascii() and token.isprintable()):  # NUL: PostgreSQL refuses it in text
        return None
    return holder, secret
