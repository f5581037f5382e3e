"""The device side of the wire protocol: claim, upload, config download.

The transport is a seam: tests pass ``httpx.ASGITransport(app)`` to run the real server in
process, or a fault-injecting transport. Nothing is acknowledged to the outbox except the
server's own per-item results for envelopes this client sent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.client._http import http_client
from sync.client._http import parse as _parse
from sync.client._http import raise_for as _raise_for
from sync.errors import Revoked, SyncError, Unreachable
from sync.protocol import (
    ClaimRequest,
    ClaimResponse,
    ConfigResponse,
    EnvelopeIn,
    ItemResult,
    ItemStatus,
    Outbox,
    UploadRequest,
    UploadResponse,
)

Progress = Callable[[int, int, int], None]

GZIP_MIN_BYTES = 1024


@dataclass
class SyncReport:
    """What one ``sync_once`` did. ``error`` is the first failure (the rest waits for a retry)."""

    sent: int = 0
    total: int = 0
    stored: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    errors: int = 0
    error: SyncError | None = None
    details: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        return self.stored + self.duplicate

    @property
    def complete(self) -> bool:
        return self.error is None


def fingerprint_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


class SyncClient:
    """Speaks ``/api/v1`` to one agency server for one device."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 20.0,
        batch_size: int = 200,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.batch_size = batch_size
        self._http = http_client(self.base_url, transport=transport, timeout=timeout)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
            response.read()
        except httpx.HTTPError as exc:
            raise Unreachable(request=f"{method} {path}") from exc
        _raise_for(response, f"{method} {path}")
        return response

    # --- calls --------------------------------------------------------------------------------

    def health(self, timeout: float = 5.0) -> bool:
        """True when the server answers its health probe."""
        try:
            response = self._http.get("/health", timeout=timeout)
            return response.status_code == 200 and response.json().get("status") == "ok"
        except (httpx.HTTPError, ValueError, AttributeError):
            return False

    def claim(
        self, code: str, device_name: str, expected_fingerprint: str | None = None
    ) -> ClaimResponse:
        """Spend an enrolment code; keeps the token. With the fingerprint from the QR code,
        refuses a server whose agency key does not match it."""
        body = ClaimRequest(code=code, device_name=device_name).model_dump(mode="json")
        response = self._request("POST", "/enrol/claim", json=body)
        claimed = _parse(ClaimResponse, response, "POST /enrol/claim")
        try:
            public_raw = base64.b64decode(claimed.agency_public_key, validate=True)
        except ValueError as exc:
            raise SyncError("agency_key_invalid") from exc
        if len(public_raw) != 32 or fingerprint_of(public_raw) != claimed.agency_key_fingerprint:
            raise SyncError("agency_key_invalid")
        if expected_fingerprint and expected_fingerprint != claimed.agency_key_fingerprint:
            raise SyncError("fingerprint_mismatch")
        self.token = claimed.token
        return claimed

    def upload(self, envelopes: list[EnvelopeIn], waiting: int | None = None) -> list[ItemResult]:
        """Send one batch; returns the server's results for envelopes of this batch only.
        ``waiting``: records the outbox holds unsent, this batch included (a count only)."""
        request = UploadRequest(envelopes=envelopes, waiting=waiting)
        payload = request.model_dump_json(exclude_none=True).encode("utf-8")
        headers = {**self._headers(), "Content-Type": "application/json"}
        if len(payload) >= GZIP_MIN_BYTES:
            payload = gzip.compress(payload, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        response = self._request("POST", "/envelopes", content=payload, headers=headers)
        parsed = _parse(UploadResponse, response, "POST /envelopes")
        sent = {e.id for e in envelopes}
        return [r for r in parsed.results if r.id in sent]

    def fetch_config(self, etag: str | None = None) -> tuple[ConfigResponse | None, str | None]:
        """(config, etag), or (None, etag) when the copy with ``etag`` is still current."""
        headers = self._headers()
        if etag:
            headers["If-None-Match"] = etag
        response = self._request("GET", "/config", headers=headers)
        if response.status_code == 304:
            return None, etag
        return _parse(ConfigResponse, response, "GET /config"), response.headers.get("etag")

    def sync_once(self, outbox: Outbox, progress: Progress | None = None) -> SyncReport:
        """Upload everything pending, in batches; acknowledge each batch with the server's
        results. Stops at the first failure (kept in ``report.error``); raises
        :class:`Revoked` when the device must wipe itself."""
        with self._lock:
            return self._sync(outbox, progress)

    def _sync(self, outbox: Outbox, progress: Progress | None) -> SyncReport:
        report = SyncReport()
        tried: set[Any] = set()
        report.total = _waiting(outbox) or 0

        def tell() -> None:
            if progress is not None:
                progress(report.sent, report.total, report.errors)

        tell()
        while True:
            batch = [e for e in outbox.pending(self.batch_size + len(tried)) if e.id not in tried]
            batch = batch[: self.batch_size]
            if not batch:
                break
            report.total = max(report.total, report.sent + len(batch))
            try:
                results = self.upload(batch, waiting=_waiting(outbox))
            except Revoked:
                raise
            except SyncError as exc:
                report.errors += 1
                report.error = exc
                tell()
                break
            outbox.acknowledge(results)
            tried.update(e.id for e in batch)
            for r in results:
                setattr(report, r.status.value, getattr(report, r.status.value) + 1)
                if r.status in (ItemStatus.conflict, ItemStatus.rejected):
                    report.errors += 1
                    report.details.append(r.detail or r.status.value)
            report.sent += len(batch)
            tell()
        return report


def _waiting(outbox: Outbox) -> int | None:
    """How many records the outbox holds unsent, when it can say."""
    counter = getattr(outbox, "pending_count", None)
    if callable(counter):
        return int(counter())
    if isinstance(outbox, Sized):
        return len(outbox)
    return None
