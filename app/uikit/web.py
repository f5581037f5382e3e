"""Serve a Flet app the way Waymark always does: web mode, no CDN, on the given address.

Offline, the page must not fetch CanvasKit from a CDN (it would hang on the loading logo), the
host is always explicit (with no display Flet would otherwise listen on 0.0.0.0), and SIGTERM
stops the server as Ctrl-C does, so a supervisor or ``waymark demo`` can stop it cleanly.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

from app.resources import assets_dir

ASSETS_DIR = assets_dir()


def run_offline(main: Callable[[Any], Any], host: str, port: int) -> None:
    """Block serving ``main`` at http://host:port/ until SIGTERM or Ctrl-C."""
    import flet as ft

    os.environ.setdefault("FLET_FORCE_WEB_SERVER", "1")
    os.environ["FLET_WEB_NO_CDN"] = "1"

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        ft.run(
            main,
            view=ft.AppView.WEB_BROWSER,
            host=host,
            port=port,
            assets_dir=str(ASSETS_DIR),
            no_cdn=True,
        )
    except KeyboardInterrupt:
        pass
