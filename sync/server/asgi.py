"""An ASGI factory for process managers: ``uvicorn --factory sync.server.asgi:app_from_env``.

Settings come from WAYMARK_DATA_DIR, WAYMARK_DATABASE_URL and WAYMARK_PUBLIC_URL, so several
processes can serve one PostgreSQL.
"""

from __future__ import annotations

from fastapi import FastAPI

from sync.server.app import create_app
from sync.server.settings import Settings


def app_from_env() -> FastAPI:
    return create_app(Settings.from_env())
