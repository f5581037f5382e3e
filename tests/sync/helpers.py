"""Test helpers for sync: the real server in process, a sealed-record factory, an outbox.

``MemoryOutbox`` is a fake at the ``Outbox`` seam (the device store implements the real one and
tests it against the same protocol); everything else here is real: the FastAPI app, the
database, HPKE sealing with ``app.store.crypto``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from app.store import crypto
from sync.protocol import EnvelopeIn, ItemResult

PASSPHRASE = "correct horse battery staple"  # noqa: S105 - a test key only


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls the ASGI app in this process."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 40000)) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            request.read()
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = asyncio.run(call())
        return httpx.Response(status, headers=headers, content=body, request=request)


@dataclass
class AgencyKeys:
    private_pem: bytes
    public_raw: bytes

    @classmethod
    def new(cls) -> AgencyKeys:
        pem, raw = crypto.new_agency_keypair(PASSPHRASE)
        return cls(pem, raw)

    def private(self) -> crypto.AgencyPrivateKey:
        return crypto.load_agency_private_key(self.private_pem, PASSPHRASE)


def sealed_record(
    keys: AgencyKeys,
    device_id: str,
    values: dict[str, Any] | None = None,
    *,
    record_id: str | None = None,
    form_id: str = "waymark_screening",
    form_version: str = "2026.11.1",
) -> EnvelopeIn:
    """A finalised record sealed exactly as a device seals it."""
    rid = record_id or str(uuid.uuid4())
    now = datetime.now(UTC)
    payload = {
        "record_id": rid,
        "device_id": device_id,
        "form_id": form_id,
        "form_version": form_version,
        "language": "en",
        "started_at": now.isoformat(),
        "finalised_at": now.isoformat(),
        "values": values or {"consent/agree": "yes"},
        "outcome": {"flags": [], "pathways": [], "indicators": {}},
        "consent": {"given": True},
    }
    sealed = crypto.seal(
        keys.public_raw,
        json.dumps(payload).encode("utf-8"),
        crypto.envelope_info(rid, device_id, form_id, form_version),
    )
    return EnvelopeIn.build(
        id=rid,
        device_id=device_id,
        form_id=form_id,
        form_version=form_version,
        created_at=now,
        sealed=sealed,
    )


@dataclass
class MemoryOutbox:
    """Finalised records waiting for the server; purged only on stored/duplicate results."""

    items: dict[Any, EnvelopeIn] = field(default_factory=dict)
    acked: list[ItemResult] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, envelope: EnvelopeIn) -> None:
        with self.lock:
            self.items[envelope.id] = envelope

    def pending(self, limit: int) -> list[EnvelopeIn]:
        with self.lock:
            return list(self.items.values())[:limit]

    def pending_count(self) -> int:
        return len(self.items)

    def acknowledge(self, results: list[ItemResult]) -> None:
        with self.lock:
            for r in results:
                self.acked.append(r)
                if r.acknowledged:
                    self.items.pop(r.id, None)
