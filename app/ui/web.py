"""The field app's name for serving offline (:mod:`app.uikit.web`, shared with the console)."""

from app.uikit.web import ASSETS_DIR, run_offline

__all__ = ["ASSETS_DIR", "run_offline"]
