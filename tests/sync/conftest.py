"""Fixtures for the sync suite: one contract suite over SQLite and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from fastapi import FastAPI

from sync.client import SyncClient
from sync.server import Settings, admin, create_app
from tests.pg import PgCluster, start_cluster
from tests.sync.helpers import AgencyKeys, InProcessTransport


@pytest.fixture(scope="session")
def pg() -> Iterator[PgCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        admin.dispose_engines()
        cluster.stop()


@pytest.fixture(scope="session")
def agency_keys() -> AgencyKeys:
    return AgencyKeys.new()


def write_config(config_dir: Path) -> None:
    (config_dir / "questionnaires").mkdir(parents=True, exist_ok=True)
    (config_dir / "sites").mkdir(parents=True, exist_ok=True)
    (config_dir / "questionnaires" / "screening.yaml").write_text(
        "form_id: waymark_screening\nversion: '2026.11.1'\n", encoding="utf-8"
    )
    (config_dir / "sites" / "north.yaml").write_text(
        yaml.safe_dump(
            {
                "referral_directory": [{"id": "clinic", "name": "Health post", "phone": "+000"}],
                "settings": {"retention_days": 0},
            }
        ),
        encoding="utf-8",
    )


@dataclass
class Server:
    """The real server app on a real database, with helpers to enrol devices."""

    settings: Settings
    app: FastAPI
    keys: AgencyKeys
    backend: str

    @property
    def engine(self) -> sa.Engine:
        return self.app.state.engine  # type: ignore[no-any-return]

    def transport(self, client: tuple[str, int] = ("127.0.0.1", 40000)) -> InProcessTransport:
        return InProcessTransport(self.app, client)

    def client(self, token: str | None = None, **kwargs: object) -> SyncClient:
        return SyncClient("http://server", token, transport=self.transport(), **kwargs)  # type: ignore[arg-type]

    def enrolled(self, site: str = "north", name: str = "tablet") -> SyncClient:
        code = admin.create_enrolment(self.settings, site, "outreach")
        client = self.client()
        client.claim(code.code, name, code.fingerprint)
        return client

    def rows(self, sql: str, **params: object) -> list[tuple[object, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    url = None
    if backend == "postgresql":
        url = request.getfixturevalue("pg").new_database()
    config_dir = tmp_path / "config"
    write_config(config_dir)
    return Settings(data_dir=tmp_path / "data", database_url=url, config_dir=config_dir)


@pytest.fixture
def server(settings: Settings, agency_keys: AgencyKeys, backend: str) -> Iterator[Server]:
    app = create_app(settings, engine=admin.engine_for(settings))
    admin.install_agency_key(settings, agency_keys.public_raw)
    yield Server(settings, app, agency_keys, backend)
    engine = admin._ENGINES.pop(settings.url, None)
    if engine is not None:
        engine.dispose()
