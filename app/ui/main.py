"""Serve the field app: Flet in web mode, offline (no CDN), on the host given.

``serve()`` blocks until SIGTERM or Ctrl-C. One store is opened for the process; each browser
page gets its own view-model over it. On these machines only web mode works (see
shared/design/FLET-OFFLINE.md); a packaged tablet build runs the same ``main``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.resources import questionnaires_dir
from app.store.store import Store, StoreSettings
from app.ui.autosend import AutoSender, Schedule, SyncFactory

if TYPE_CHECKING:
    import flet as ft

QUESTIONNAIRES_DIR = questionnaires_dir()

log = logging.getLogger(__name__)


class FieldApp:
    """The Flet ``main(page)`` over one store and one sender: each browser page gets its own
    view-model over them."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        questionnaires: Path,
        sender: AutoSender,
        *,
        sync_factory: SyncFactory | None,
        break_after: float,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.questionnaires = questionnaires
        self.sender = sender
        self.sync_factory = sync_factory
        self.break_after = break_after

    def __call__(self, page: ft.Page) -> None:
        from app.ui.model import AppModel
        from app.ui.shell import Shell

        model = AppModel(
            self.store,
            self.data_dir,
            self.questionnaires,
            sync_factory=self.sync_factory,
            break_after=self.break_after,
            sender=self.sender,
        )
        override = os.environ.get("WAYMARK_AUTO_LOCK_SECONDS")
        if override:  # tests and demos: lock sooner than any offered setting
            self.store.settings.idle_lock_seconds = float(override)
        Shell(page, model).mount()


def make_app(
    data_dir: Path,
    *,
    questionnaires_dir: Path | None = None,
    store: Store | None = None,
    store_settings: StoreSettings | None = None,
    sync_factory: SyncFactory | None = None,
) -> FieldApp:
    """The Flet ``main(page)`` for one store (opened here unless given)."""
    from app.ui.model import default_sync_factory

    data_dir.mkdir(parents=True, exist_ok=True)
    if store is None:
        store = Store.open(data_dir, store_settings) if store_settings else Store.open(data_dir)
    folder = questionnaires_dir or QUESTIONNAIRES_DIR
    break_after = float(os.environ.get("WAYMARK_BREAK_SECONDS", 20 * 60))
    # one sender for the store, whichever pages are open: records leave while any page is
    sender = AutoSender(
        store, data_dir, sync_factory or default_sync_factory, schedule=Schedule.from_env()
    )
    return FieldApp(
        store, data_dir, folder, sender, sync_factory=sync_factory, break_after=break_after
    )


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8550,
    *,
    questionnaires_dir: Path | None = None,
    store_settings: StoreSettings | None = None,
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
