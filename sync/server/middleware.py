"""Request body limits and gzip, as plain ASGI middleware in front of every route.

A body over the limit (as sent, or after decompression, so a small gzip bomb is refused too)
gets 413; a gzip body that does not decompress gets 400. The route sees a plain body.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyLimitGzip:
    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _reply(send, 400, "content_length_invalid")
                return
            if declared > self.max_bytes:
                await _reply(send, 413, "request_too_large")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _reply(send, 413, "request_too_large")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        encoding = headers.get(b"content-encoding", b"identity").strip().lower()
        if encoding == b"gzip":
            try:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                plain = inflater.decompress(body, self.max_bytes + 1)
                if len(plain) > self.max_bytes or inflater.unconsumed_tail:
                    await _reply(send, 413, "request_too_large")
                    return
                if not inflater.eof:
                    raise zlib.error("truncated")
            except zlib.error:
                await _reply(send, 400, "encoding_invalid")
                return
            body = plain
            scope = dict(scope)
            scope["headers"] = [
                (k, v)
                for k, v in scope.get("headers", [])
                if k.lower() not in (b"content-encoding", b"content-length")
            ] + [(b"content-length", str(len(body)).encode())]
        elif encoding not in (b"identity", b""):
            await _reply(send, 415, "encoding_unsupported")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                message: Message = await receive()
                return message
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _reply(send: Any, status: int, code: str) -> None:
    payload = json.dumps({"detail": code}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
