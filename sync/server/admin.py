"""Plain functions for the coordinator's tools and the demo, working on the database directly.

Each takes :class:`Settings`; engines are opened (and migrated) once per database URL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from sync.server import service
from sync.server.db import open_database
from sync.server.models import (
    AgencyKey,
    Coordinator,
    CoordinatorAction,
    Device,
    Envelope,
    as_utc,
)
from sync.server.settings import Settings

_ENGINES: dict[str, sa.Engine] = {}
_LOCK = threading.Lock()


def engine_for(settings: Settings) -> sa.Engine:
    """One migrated engine per database URL for the life of the process."""
    with _LOCK:
        engine = _ENGINES.get(settings.url)
        if engine is None:
            engine = _ENGINES[settings.url] = open_database(settings)
        return engine


def dispose_engines() -> None:
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@dataclass(frozen=True)
class EnrolmentCode:
    """A new one-time code and what the device needs to trust the server it claims it from."""

    code: str
    site: str
    role: str
    expires_at: datetime
    server_url: str | None
    fingerprint: str | None

    def payload(self) -> str:
        """The text a QR code carries: server URL, code and agency key fingerprint."""
        return json.dumps(
            {"waymark": 1, "url": self.server_url, "code": self.code, "fp": self.fingerprint},
            separators=(",", ":"),
        )


def install_agency_key(settings: Settings, public_raw: bytes) -> AgencyKey:
    """Make ``public_raw`` (32-byte X25519) the key new devices seal to."""
    with Session(engine_for(settings)) as s:
        return service.install_key(s, public_raw)


def agency_key(settings: Settings) -> AgencyKey | None:
    with Session(engine_for(settings)) as s:
        return service.active_key(s)


def create_enrolment(
    settings: Settings,
    site: str,
    role: str = "outreach",
    ttl: timedelta | None = None,
    server_url: str | None = None,
) -> EnrolmentCode:
    with Session(engine_for(settings)) as s:
        new = service.new_enrolment(s, site, role, ttl or settings.enrolment_ttl)
        key = service.active_key(s)
    return EnrolmentCode(
        code=new.code,
        site=new.site,
        role=new.role,
        expires_at=as_utc(new.expires_at),  # type: ignore[arg-type]
        server_url=server_url or settings.public_url,
        fingerprint=key.fingerprint if key else None,
    )


def list_devices(settings: Settings) -> list[Device]:
    with Session(engine_for(settings)) as s:
        return service.devices(s)


def revoke_device(settings: Settings, device_id: str, by: str = "cli") -> Device:
    with Session(engine_for(settings)) as s:
        return service.revoke(s, device_id, by=by)


def add_coordinator(
    settings: Settings,
    name: str,
    scopes: Sequence[str] = service.SCOPES,
    ttl: timedelta | None = None,
) -> str:
    """A new coordinator credential; returns the token (shown once, stored hashed)."""
    with Session(engine_for(settings)) as s:
        _coord, token = service.new_coordinator(s, name, scopes, ttl)
    return token


def list_coordinators(settings: Settings) -> list[Coordinator]:
    with Session(engine_for(settings)) as s:
        return service.coordinators(s)


def revoke_coordinator(settings: Settings, coordinator_id: str) -> Coordinator:
    with Session(engine_for(settings)) as s:
        return service.revoke_coordinator(s, coordinator_id)


def coordinator_actions(settings: Settings) -> list[CoordinatorAction]:
    """What each coordinator credential did, oldest first."""
    with Session(engine_for(settings)) as s:
        return list(s.exec(select(CoordinatorAction).order_by(CoordinatorAction.id)))  # type: ignore[arg-type]


def envelopes(settings: Settings) -> Iterator[Envelope]:
    """Every stored envelope in arrival order (still sealed)."""
    with Session(engine_for(settings)) as s:
        yield from service.iter_envelopes(s)
