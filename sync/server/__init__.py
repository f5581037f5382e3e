"""The agency server: device registry, enrolment, sealed envelopes, config download.

``create_app(settings)`` builds the FastAPI app; ``run(settings, host, port)`` serves it with
uvicorn (HTTPS when the settings name a certificate); ``server(settings, host, port)`` returns a
``uvicorn.Server`` to run in a thread.
"""

from __future__ import annotations

from typing import Any

import uvicorn

from sync.server.app import create_app
from sync.server.settings import Settings

__all__ = ["Settings", "create_app", "run", "server", "uvicorn_options"]


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """TLS and forwarded-address options: client addresses from X-Forwarded-For are believed
    only from the TLS proxy named in the settings (uvicorn would trust loopback otherwise)."""
    options: dict[str, Any] = {"proxy_headers": settings.proxy is not None}
    if settings.proxy is not None:
        options["forwarded_allow_ips"] = settings.proxy
    if settings.tls_cert is not None:
        options["ssl_certfile"] = str(settings.tls_cert)
        options["ssl_keyfile"] = str(settings.tls_key or settings.tls_cert)
    return options


def server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **uvicorn_options(settings),
    )
    return uvicorn.Server(config)


def run(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until stopped; with ``workers > 1``, several processes share the database."""
    if workers <= 1:
        server(settings, host, port).run()
        return
    import os

    from sync.server.db import open_database

    open_database(settings).dispose()  # migrate once before the workers start
    os.environ.update(settings.to_env())
    uvicorn.run(
        "sync.server.asgi:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        **uvicorn_options(settings),
    )
