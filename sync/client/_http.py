"""The one transport seam and the one error mapping of every client of the server's API.

The device client (:mod:`sync.client._client`) and the coordinator client
(:mod:`sync.client._coordinator`) both build their ``httpx.Client`` here and turn every failure
into the :mod:`sync.errors` tree here, so a refused token or a dead network reads the same on
the tablet, in the console and in ``waymark export``. ``transport`` is the seam tests use to
mount the real server app in process.
"""

from __future__ import annotations

import ssl
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from sync.errors import RateLimited, Refused, Revoked, ServerError, Unauthorized, Unreachable
from sync.protocol import API_PREFIX

M = TypeVar("M", bound=BaseModel)


def http_client(
    base_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 20.0,
    verify: ssl.SSLContext | bool = True,
) -> httpx.Client:
    """An ``httpx.Client`` rooted at the server's versioned API (``verify``: a pinned TLS
    context for a device that enrolled with the server's certificate)."""
    return httpx.Client(
        base_url=base_url.rstrip("/") + API_PREFIX,
        transport=transport,
        timeout=timeout,
        verify=verify,
    )


def send(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request, read in full; a network failure is :class:`Unreachable`, a refusal the
    matching :class:`~sync.errors.Refused` or :class:`~sync.errors.ServerError`."""
    try:
        response = http.request(method, path, **kwargs)
        response.read()
    except httpx.HTTPError as exc:
        raise Unreachable(request=f"{method} {path}") from exc
    raise_for(response, f"{method} {path}")
    return response


def parse(model: type[M], response: httpx.Response, where: str) -> M:
    """The reply as ``model``; an unreadable reply is :class:`Unreachable` (``reply_invalid``)."""
    try:
        return model.model_validate_json(response.content)
    except (ValidationError, ValueError) as exc:
        raise Unreachable("reply_invalid", request=where) from exc


def raise_for(response: httpx.Response, where: str) -> None:
    """Map an error status to the sync error tree (the body's code, never its text, kept)."""
    status = response.status_code
    if status < 400:
        return
    try:
        body = response.json()
        detail = str(body.get("detail", ""))[:64] if isinstance(body, dict) else ""
        wipe = isinstance(body, dict) and body.get("wipe") is True
    except ValueError:
        detail, wipe = "", False
    if status == 403 and wipe:
        raise Revoked(request=where, status=status)
    if status == 401:
        raise Unauthorized(request=where, status=status)
    if status == 429:
        raise RateLimited(request=where, status=status)
    if status >= 500:
        raise ServerError(detail or None, request=where, status=status)
    raise Refused(detail or None, request=where, status=status)
