"""Test helpers for sync: the real server in process, a sealed-record factory, an outbox.

``MemoryOutbox`` is a fake at the ``Outbox`` seam (the device store implements the real one and
tests it against the same protocol); everything else here is real: the FastAPI app, the
database, HPKE sealing with ``sync.crypto``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from sync import crypto
from sync.client import SyncClient
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
        # the key file's wrap cost is tested in tests/app/store, not here
        pem, raw = crypto.new_agency_keypair(PASSPHRASE, params=crypto.TEST_KDF)
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


class SignedHttp:
    """Raw HTTP as an enrolled device sends it (signed by its key), answers returned as is."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def request(self, method: str, path: str, *, json_body: Any = None, **kwargs: Any) -> Any:
        if json_body is not None:
            kwargs["content"] = json.dumps(json_body).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json", **kwargs.get("headers", {})}
        response, _nonce = self.client.send(method, path, **kwargs)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json_body=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


def bogus_claim(name: str = "x") -> dict[str, str]:
    """A well-formed claim for a code nobody issued."""
    return {
        "lookup": os.urandom(32).hex(),
        "device_name": name,
        "device_key": base64.b64encode(os.urandom(32)).decode(),
        "nonce": base64.b64encode(os.urandom(16)).decode(),
        "mac": base64.b64encode(os.urandom(32)).decode(),
    }


class DeviceSigner:
    """ASGI middleware for tests that generate raw requests (schemathesis): signs each request
    for a device path as the enrolled device would, then hands it to the server app."""

    def __init__(self, app: Any, client: SyncClient) -> None:
        self.app = app
        self.client = client

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from sync.protocol import (
            HEADER_COUNTER,
            HEADER_NONCE,
            HEADER_SIGNATURE,
            request_transcript,
        )

        credential = self.client.credential
        path = scope.get("path", "")
        if scope["type"] != "http" or credential is None or not path.endswith(
            ("/envelopes", "/config")
        ) or "/coordinator/" in path:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        counter = self.client._next_counter()
        nonce = base64.b64encode(os.urandom(16)).decode()
        query = scope.get("query_string", b"").decode("latin-1")
        target = path + (f"?{query}" if query else "")
        signature = crypto.sign(
            base64.b64decode(credential.device_key),
            request_transcript(scope["method"], target, credential.device_id, counter, nonce, body),
        )
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"] + [
            (b"authorization", f"Bearer {credential.token}".encode()),
            (HEADER_COUNTER.encode(), str(counter).encode()),
            (HEADER_NONCE.encode(), nonce.encode()),
            (HEADER_SIGNATURE.encode(), base64.b64encode(signature)),
        ]
        done = False

        async def replay() -> dict[str, Any]:
            nonlocal done
            if done:
                return dict(await receive())
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


def wait_until_up(url: str, proc: Any) -> None:
    """Wait for a server (or proxy) process to answer its health probe."""
    import time

    def answers() -> bool:
        # each probe's client is closed: a connection left open keeps the server's shutdown
        # waiting for it (over TLS, for a close the test process never sends)
        with SyncClient(url) as probe:
            return bool(probe.health(timeout=1))

    deadline = time.monotonic() + 60
    while not answers():
        assert proc.poll() is None, "process exited"
        assert time.monotonic() < deadline, "process did not start"
        time.sleep(0.2)


def stop(proc: Any) -> None:
    """Stop a process this test started (killed if it is still draining a connection)."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
