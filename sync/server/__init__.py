"""The agency server: device registry, enrolment, sealed envelopes, config download.

``create_app(settings)`` builds the FastAPI app; ``run(settings, host, port)`` serves it with
uvicorn; ``server(settings, host, port)`` returns a ``uvicorn.Server`` to run in a thread.
"""

from __future__ import annotations

import uvicorn

from sync.server.app import create_app
from sync.server.settings import Settings

__all__ = ["Settings", "create_app", "run", "server"]


def server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level="warning", access_log=False
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
    )
