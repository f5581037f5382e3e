"""The pseudonymous case code shared by the field app, the console and exports."""

from __future__ import annotations

import re
import uuid

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
