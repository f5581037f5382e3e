"""The gate in front of every route, as plain ASGI: who is asking, before any work for them.

In order, so that a sender without a credential costs almost nothing:

1. a retired protocol path gets 410 ``api_version_retired``; a declared body over the limit 413;
2. on a device or coordinator path, the bearer token is checked (off the event loop) before a
   byte of the body is read: no token or an unknown one is 401;
3. the body is read up to the limit (413 beyond);
4. on a device path, the device's Ed25519 signature over the request (method, path, counter,
   nonce, body digest) is checked, then its counter moved forward atomically (a replayed
   request is refused); every answer to the device is then signed by the server
   (``x-waymark-statement``), bound to the device id and the request's nonce;
5. a gzip body is inflated off the event loop, capped in size and in ratio (413 beyond), and the
   route sees a plain body.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from sync import crypto
from sync.errors import SyncError
from sync.protocol import (
    HEADER_COUNTER,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_STATEMENT,
    RETIRED_PREFIXES,
    request_transcript,
    statement_transcript,
)

Scope = dict[str, Any]
Message = dict[str, Any]

DEVICE = "device"
COORDINATOR = "coordinator"

#: (kind, token) -> the holder (a Device or Coordinator row), or None; may raise SyncError
Authenticate = Callable[[str, str], Any]
#: (device id, counter) -> None when accepted, else the highest counter seen
Advance = Callable[[str, int], "int | None"]


class Gate:
    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        max_ratio: int,
        classify: Callable[[str], str | None],
        authenticate: Authenticate,
        advance: Advance,
        signing_key: Callable[[], bytes],
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_ratio = max_ratio
        self.classify = classify
        self.authenticate = authenticate
        self.advance = advance
        self.signing_key = signing_key

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        refusal = _check_path(path) or self._check_length(headers)
        if refusal is not None:
            await refusal.send(send)
            return
        kind = self.classify(path)
        holder = None
        if kind is not None:
            holder = await self._holder(kind, headers)
            if isinstance(holder, _Refusal):
                await holder.send(send)
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and kind is None:
            await self.app(scope, receive, send)
            return
        body = await _read(receive, self.max_bytes)
        if body is None:
            await _Refusal(413, "request_too_large").send(send)
            return
        if kind == DEVICE:
            checked = await self._check_device(scope, headers, holder, body, send)
            if checked is None:
                return
            scope, send = checked
        elif kind == COORDINATOR:
            scope = {**scope, "state": {**scope.get("state", {}), "waymark_coordinator": holder}}
        plain = await self._plain(scope, headers, body)
        if isinstance(plain, _Refusal):
            await plain.send(send)
            return
        scope, body = plain
        await self.app(scope, _replaying(receive, body), send)

    def _check_length(self, headers: dict[bytes, bytes]) -> _Refusal | None:
        """A declared body over the limit is refused before a byte of it is read."""
        length = headers.get(b"content-length")
        if length is None:
            return None
        try:
            declared = int(length)
        except ValueError:
            return _Refusal(400, "content_length_invalid")
        return _Refusal(413, "request_too_large") if declared > self.max_bytes else None

    async def _holder(self, kind: str, headers: dict[bytes, bytes]) -> Any:
        """The bearer token's holder (checked off the event loop), or the 401 to answer."""
        token = _bearer(headers.get(b"authorization"))
        try:
            holder = (
                await anyio.to_thread.run_sync(self.authenticate, kind, token) if token else None
            )
        except SyncError as exc:
            return _Refusal(401, exc.code, www_auth=True)
        return _Refusal(401, "unauthenticated", www_auth=True) if holder is None else holder

    async def _plain(
        self, scope: Scope, headers: dict[bytes, bytes], body: bytes
    ) -> tuple[Scope, bytes] | _Refusal:
        """The body as the route sees it: a gzip body inflated off the event loop, capped in
        size and in ratio; any other encoding is refused."""
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding in (b"identity", b""):
            return scope, body
        if encoding != b"gzip":
            return _Refusal(415, "encoding_unsupported")
        limit = min(self.max_bytes, max(64 * 1024, len(body) * self.max_ratio))
        plain = await anyio.to_thread.run_sync(_inflate, body, limit)
        if isinstance(plain, int):
            return _Refusal(plain, "request_too_large" if plain == 413 else "encoding_invalid")
        scope = dict(scope)
        scope["headers"] = [
            (k, v)
            for k, v in scope.get("headers", [])
            if k.lower() not in (b"content-encoding", b"content-length")
        ] + [(b"content-length", str(len(plain)).encode())]
        return scope, plain

    async def _check_device(
        self, scope: Scope, headers: dict[bytes, bytes], device: Any, body: bytes, send: Any
    ) -> tuple[Scope, Any] | None:
        """Check the device's signature and counter; (scope, signing send) or None if refused."""
        try:
            counter = int(headers.get(HEADER_COUNTER.encode(), b""))
            nonce = headers.get(HEADER_NONCE.encode(), b"").decode("ascii")
            signature = base64.b64decode(headers.get(HEADER_SIGNATURE.encode(), b""), validate=True)
            if not (0 < counter < 2**62) or len(base64.b64decode(nonce, validate=True)) != 16:
                raise ValueError("bad header")
        except (ValueError, UnicodeDecodeError, binascii.Error):
            await _reply(send, 401, {"detail": "signature_invalid"}, www_auth=True)
            return None
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope.get("path", "") + (f"?{query}" if query else "")
        message = request_transcript(scope["method"], target, device.id, counter, nonce, body)
        if device.public_key is None or not crypto.verify(device.public_key, signature, message):
            await _reply(send, 401, {"detail": "signature_invalid"}, www_auth=True)
            return None
        signing = _signing_send(send, self.signing_key(), device.id, nonce)
        stale = await anyio.to_thread.run_sync(self.advance, device.id, counter)
        if stale is not None:
            await _reply(signing, 401, {"detail": "counter_stale", "counter": stale})
            return None
        state = {**scope.get("state", {}), "waymark_device": device}
        return {**scope, "state": state}, signing


@dataclass(frozen=True)
class _Refusal:
    """An answer the gate gives itself, before the route: a status and a code."""

    status: int
    detail: str
    www_auth: bool = False

    async def send(self, send: Any) -> None:
        await _reply(send, self.status, {"detail": self.detail}, www_auth=self.www_auth)


def _check_path(path: str) -> _Refusal | None:
    if not path.isprintable():  # a NUL or a control character: no route has one
        return _Refusal(400, "path_invalid")
    if path.startswith(RETIRED_PREFIXES):
        return _Refusal(410, "api_version_retired")
    return None


def _replaying(receive: Any, body: bytes) -> Callable[[], Awaitable[Message]]:
    """A ``receive`` that hands the route the body already read, then the connection's own."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            message: Message = await receive()
            return message
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _signing_send(
    send: Any, key: bytes, device_id: str, nonce: str
) -> Callable[[Message], Awaitable[None]]:
    """A ``send`` that holds the answer back, signs status and body, then sends it."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def signing(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        statement = crypto.sign(key, statement_transcript(device_id, nonce, start["status"], body))
        headers = [
            *start.get("headers", []),
            (HEADER_STATEMENT.encode(), base64.b64encode(statement)),
        ]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return signing


def _bearer(value: bytes | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 256:
        return None
    return token


async def _read(receive: Any, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _inflate(body: bytes, limit: int) -> bytes | int:
    """The inflated body, or the status to answer: 413 beyond ``limit``, 400 if broken."""
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        plain = inflater.decompress(body, limit + 1)
        if len(plain) > limit or inflater.unconsumed_tail:
            return 413
        if not inflater.eof:
            return 400
    except zlib.error:
        return 400
    return plain


async def _reply(send: Any, status: int, body: dict[str, Any], www_auth: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"),
    ]
    if www_auth:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
