"""The pseudonymous case code shared by the field app, the console and exports."""

from __future__ import annotations

import hashlib
import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from sync.protocol import case_code


def test_case_code_is_stable_readable_and_case_insensitive_in_its_input() -> None:
    rid = "0d9c4d5e-0000-4000-8000-000000000000"
    assert case_code(rid) == "9A88-6EEJ"
    assert case_code(rid.upper()) == case_code(rid)
    assert case_code(uuid.UUID(rid)) == case_code(rid)  # type: ignore[arg-type]


def test_case_codes_use_no_ambiguous_letters_and_rarely_collide() -> None:
    codes = {case_code(str(uuid.UUID(int=i))) for i in range(5000)}
    assert len(codes) == 5000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", c) for c in codes)


@given(st.uuids())
def test_the_case_code_is_the_first_40_bits_of_the_ids_sha256_in_crockford_base32(
    rid: uuid.UUID,
) -> None:
    """The code's definition, written out bit by bit (the codes already printed on slips and
    shown by field apps must never change)."""
    n = int.from_bytes(hashlib.sha256(str(rid).encode("ascii")).digest()[:5], "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    chars = "".join(alphabet[(n >> shift) & 31] for shift in range(35, -1, -5))
    assert case_code(str(rid)) == f"{chars[:4]}-{chars[4:]}"
