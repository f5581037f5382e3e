"""Fixtures for the store tests: a real store on a real SQLite file, cheap KDF parameters
passed explicitly, and clocks the tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import crypto
from app.store.store import Enrolment, Store, StoreSettings
from tests.app.store.store_helpers import PIN, Clock


@pytest.fixture
def wall() -> Clock:
    return Clock()


@pytest.fixture
def mono() -> Clock:
    return Clock(now=1000.0)


@pytest.fixture
def settings(wall: Clock, mono: Clock) -> StoreSettings:
    return StoreSettings(kdf=crypto.TEST_KDF, clock=wall, monotonic=mono)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "device"


@pytest.fixture
def store(data_dir: Path, settings: StoreSettings) -> Iterator[Store]:
    s = Store.open(data_dir, settings)
    s.set_pin(PIN)
    yield s
    s.close()


@pytest.fixture(scope="session")
def agency() -> tuple[crypto.AgencyPrivateKey, bytes]:
    pem, public_raw = crypto.new_agency_keypair("agency passphrase")
    return crypto.load_agency_private_key(pem, "agency passphrase"), public_raw


@pytest.fixture
def enrolment(agency: tuple[crypto.AgencyPrivateKey, bytes]) -> Enrolment:
    return Enrolment(
        server_url="https://sync.example.org",
        device_id="dev-7",
        token="device-token-SECRET-9f2c",  # noqa: S106 - a marker the scans look for
        agency_public_key=agency[1],
        site="north-camp",
        config={"retention": 0, "note": "CONFIG-SECRET-41"},
    )


@pytest.fixture
def enrolled(store: Store, enrolment: Enrolment) -> Store:
    store.save_enrolment(enrolment)
    return store
