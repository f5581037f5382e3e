"""Fixtures for the field app's view-models: a real encrypted store (with a cheap key derivation,
the only thing lowered), the real engine and questionnaires, and the real agency server in this
process behind an httpx transport (the network is the one seam replaced)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from app.store import Store, StoreSettings
from app.store.crypto import TEST_KDF, new_agency_keypair
from app.ui.model import AppModel

ROOT = Path(__file__).resolve().parents[3]
QUESTIONNAIRES = ROOT / "questionnaires"
PASSPHRASE = "agency passphrase for tests"  # noqa: S105 - a throwaway test key
PIN = "135790"
SITE = {
    "referral_directory": [
        {"name": "Medical point", "pathways": ["urgent", "medical"], "phone": "112"},
        {"name": "Legal aid", "pathways": ["legal_aid"], "hours": "Mon-Fri"},
    ]
}


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport calling the ASGI app in this process."""

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            request.read()
            response = await self._asgi.handle_async_request(request)
            return response.status_code, response.headers.raw, await response.aread()

        status, headers, body = asyncio.run(call())
        return httpx.Response(status, headers=headers, content=body, request=request)


@dataclass
class Agency:
    settings: Any
    app: Any
    private_pem: bytes
    url: str = "http://agency.test"

    def qr_text(self, site: str = "belgrade") -> str:
        from sync.server.admin import create_enrolment

        return create_enrolment(self.settings, site, server_url=self.url).payload()

    def client(self, url: str, token: str | None) -> Any:
        from sync.client import SyncClient

        return SyncClient(url, token, transport=InProcessTransport(self.app))

    def envelopes(self) -> list[dict[str, Any]]:
        """Every stored envelope, opened with the agency's private key."""
        import json

        import sqlalchemy as sa

        from app.store import crypto

        key = crypto.load_agency_private_key(self.private_pem, PASSPHRASE)
        engine = sa.create_engine(self.settings.url)
        out = []
        with engine.connect() as c:
            rows = c.exec_driver_sql(
                "SELECT record_id, device_id, form_id, form_version, sealed FROM envelope"
            ).fetchall()
        engine.dispose()
        for rid, dev, form, version, sealed in rows:
            info = crypto.envelope_info(rid, dev, form, version)
            out.append(json.loads(crypto.open_sealed(key, bytes(sealed), info)))
        return out


@pytest.fixture
def agency(tmp_path: Path) -> Agency:
    from sync.server.admin import install_agency_key
    from sync.server.app import create_app
    from sync.server.settings import Settings

    config = tmp_path / "server" / "config"
    (config / "sites").mkdir(parents=True)
    (config / "sites" / "default.yaml").write_text(yaml.safe_dump(SITE), "utf-8")
    (config / "questionnaires").mkdir()
    for name in ("skeleton.yaml", "screening.yaml"):
        shutil.copy(QUESTIONNAIRES / name, config / "questionnaires" / name)
    settings = Settings(data_dir=tmp_path / "server", config_dir=config)
    pem, public = new_agency_keypair(PASSPHRASE)
    install_agency_key(settings, public)
    return Agency(settings, create_app(settings), pem)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
    s = Store.open(tmp_path / "device", StoreSettings(kdf=TEST_KDF, monotonic=clock))
    yield s
    s.close()


@pytest.fixture
def model(store: Store, tmp_path: Path, agency: Agency, clock: Clock) -> AppModel:
    return AppModel(
        store, tmp_path / "device", QUESTIONNAIRES, sync_factory=agency.client, monotonic=clock
    )


@pytest.fixture
def enrolled(model: AppModel, agency: Agency) -> AppModel:
    """A model past first run: PIN set, tablet enrolled, on the home screen."""
    assert model.set_pin(PIN, PIN)
    assert model.enrol(agency.qr_text())
    return model
