"""The field app as `flet build apk` and `flet build web` package it (see README, "Tablets").

``[tool.flet.app]`` in pyproject.toml makes the repository root the app folder and this file its
entry module: the bundle carries ``app/`` (with its fonts and icon), ``sync/``, the
questionnaires and the interface catalogs, all found through ``app.resources``. Records live in
the device's own app storage (``FLET_APP_STORAGE_DATA``, which Flet sets on a phone or tablet).
"""

from __future__ import annotations

import flet as ft

from app.resources import assets_dir
from app.store.store import default_data_dir
from app.ui.main import make_app


def run() -> None:
    ft.run(make_app(default_data_dir()), assets_dir=str(assets_dir()))


if __name__ == "__main__":
    run()
