"""Serve the field app: Flet in web mode, offline (no CDN), on the host given.

``serve()`` blocks until SIGTERM or Ctrl-C. One store is opened for the process; each browser
page gets its own view-model over it. On these machines only web mode works (see
shared/design/FLET-OFFLINE.md); a packaged tablet build runs the same ``main``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from app.resources import questionnaires_dir

QUESTIONNAIRES_DIR = questionnaires_dir()

log = logging.getLogger(__name__)


def make_app(
    data_dir: Path,
    *,
    questionnaires_dir: Path | None = None,
    store: Any = None,
    store_settings: Any = None,
    sync_factory: Any = None,
) -> Any:
    """The Flet ``main(page)`` for one store (opened here unless given)."""
    import flet as ft

    from app.store.store import Store
    from app.ui.autosend import AutoSender, Schedule
    from app.ui.model import AppModel, default_sync_factory
    from app.ui.shell import Shell

    data_dir.mkdir(parents=True, exist_ok=True)
    if store is None:
        store = Store.open(data_dir, store_settings) if store_settings else Store.open(data_dir)
    folder = questionnaires_dir or QUESTIONNAIRES_DIR
    break_after = float(os.environ.get("WAYMARK_BREAK_SECONDS", 20 * 60))
    # one sender for the store, whichever pages are open: records leave while any page is
    sender = AutoSender(
        store, data_dir, sync_factory or default_sync_factory, schedule=Schedule.from_env()
    )

    def main(page: ft.Page) -> None:
        model = AppModel(
            store,
            data_dir,
            folder,
            sync_factory=sync_factory,
            break_after=break_after,
            sender=sender,
        )
        override = os.environ.get("WAYMARK_AUTO_LOCK_SECONDS")
        if override:  # tests and demos: lock sooner than any offered setting
            store.settings.idle_lock_seconds = float(override)
        Shell(page, model).mount()

    main.store = store  # type: ignore[attr-defined]
    main.sender = sender  # type: ignore[attr-defined]
    return main


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8550,
    *,
    questionnaires_dir: Path | None = None,
    store_settings: Any = None,
) -> None:
    """Serve the app at http://host:port/ until SIGTERM or Ctrl-C (blocking)."""
    from app.store.errors import StoreError
    from app.ui.web import run_offline

    main = make_app(data_dir, questionnaires_dir=questionnaires_dir, store_settings=store_settings)
    try:
        run_offline(main, host, port)
    finally:
        try:
            main.sender.stop()
            main.store.lock("shutdown")
            main.store.close()
        except StoreError as exc:  # the store was wiped or damaged meanwhile
            log.info("store close on shutdown: %s %s", type(exc).__name__, exc.code)
