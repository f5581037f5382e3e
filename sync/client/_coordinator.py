"""The coordinator side of the server's API: envelopes to open, devices, erasure.

Used by the console (:mod:`app.console.model`) and by ``waymark export``; it speaks with a
coordinator token (``waymark coordinator add NAME``), never a device token, on the same
transport seam and the same error mapping as the device client (:mod:`sync.client._http`).
Envelopes come back still sealed: only the holder of the agency private key opens them.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import TypeAdapter

from sync.client._http import http_client, parse, send
from sync.errors import Unreachable
from sync.protocol import DeviceInfo, EnvelopeOut, EnvelopesPage

#: Envelopes asked for per page (the server caps a page too).
PAGE_LIMIT = 500
#: A bound on one full read, so a server that never stops paging cannot loop us forever.
MAX_PAGES = 100_000

_DEVICES = TypeAdapter(list[DeviceInfo])


class CoordinatorClient:
    """Speaks the versioned API (``sync.protocol.API_PREFIX``) to one agency server with one
    coordinator token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``verify``: the TLS trust for the server (the system's certificate authorities by
        default; a context trusting the agency's own certificate for a self-signed server)."""
        self.base_url = base_url.rstrip("/")
        self._http = http_client(
            self.base_url, transport=transport, timeout=timeout, verify=verify
        )
        self._http.headers["Authorization"] = f"Bearer {token.strip()}"

    def __repr__(self) -> str:  # never the token
        return f"CoordinatorClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CoordinatorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        return send(self._http, "GET", path, **kwargs)

    def envelopes_page(self, since: int = 0, limit: int = PAGE_LIMIT) -> EnvelopesPage:
        """One page of envelopes received after ``since``, in arrival order."""
        where = "GET /coordinator/envelopes"
        response = self._get("/coordinator/envelopes", params={"since": since, "limit": limit})
        return parse(EnvelopesPage, response, where)

    def pages(self, since: int = 0, limit: int = PAGE_LIMIT) -> Iterator[EnvelopesPage]:
        """Every page from ``since`` on, until the server has nothing newer."""
        for _ in range(MAX_PAGES):
            page = self.envelopes_page(since, limit)
            yield page
            if not page.envelopes or page.next_since <= since:
                return
            since = page.next_since

    def envelopes(self, since: int = 0) -> Iterator[EnvelopeOut]:
        """Every envelope from ``since`` on, page after page."""
        for page in self.pages(since):
            yield from page.envelopes

    def devices(self) -> list[DeviceInfo]:
        response = self._get("/devices")
        try:
            return _DEVICES.validate_json(response.content)
        except ValueError as exc:
            raise Unreachable("reply_invalid", request="GET /devices") from exc

    def erase(self, record_id: str) -> int:
        """Erase a record on the server (a tombstone stays); how many envelopes went."""
        response = send(self._http, "DELETE", f"/coordinator/records/{record_id}")
        try:
            return int(response.json().get("erased", 0))
        except (ValueError, AttributeError, TypeError) as exc:
            raise Unreachable("reply_invalid", request="DELETE /coordinator/records") from exc
