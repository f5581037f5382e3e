"""Fixtures for the console: a real agency server in process and a console over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.console.model import Console
from app.store import crypto
from tests.app.console.agency import Agency, make_agency


@pytest.fixture
def agency(tmp_path: Path) -> Iterator[Agency]:
    a = make_agency(tmp_path)
    yield a
    a.close()


@pytest.fixture
def console(agency: Agency, tmp_path: Path) -> Iterator[Console]:
    """An unlocked console (cheap Argon2id parameters, passed explicitly for speed)."""
    c = Console(
        "http://agency",
        agency.token,
        tmp_path / "console",
        actor="Coordinator One",
        transport=agency.transport(),
        kdf=crypto.TEST_KDF,
        questionnaires_dir=Path(__file__).parent / "forms",
    )
    c.unlock(agency.keys.private_pem, agency.passphrase)
    yield c
    c.lock()
