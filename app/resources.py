"""The files Waymark reads at run time: questionnaires, interface catalogs, fonts and icons.

In the repository they sit in the top-level folders ``questionnaires/`` and ``locales/`` and in
``app/assets/``; the wheel carries the first two as ``app/_data/questionnaires`` and
``app/_data/locales`` (``setup.py`` copies them at build time) and ``app/assets`` as package
data. Every part of Waymark finds them here, through :mod:`importlib.resources`, so a checkout,
an editable install, a regular ``pip install`` and a packaged tablet build all read the same
files. This module does no other I/O and imports only the error contract: it is a ground floor.
"""

from __future__ import annotations

from enum import StrEnum
from importlib.resources import files
from pathlib import Path

from sync.errors import WaymarkError

#: the top-level repository folders shipped inside the wheel under ``app/_data/``
SHIPPED_FOLDERS = ("questionnaires", "locales")
#: the folder of ``app`` that the wheel carries them in
DATA_PACKAGE_FOLDER = "_data"
#: the questionnaire a device offers when its agency has sent none
DEFAULT_QUESTIONNAIRE = "screening.yaml"


class ResourceCode(StrEnum):
    NOT_ON_DISK = "resources_not_on_disk"


class ResourceError(WaymarkError):
    """Waymark's own files cannot be reached as files (a zipped install)."""

    codes = ResourceCode
    code = ResourceCode.NOT_ON_DISK


def _package_root() -> Path:
    root = files("app")
    # Waymark runs from a file system (a checkout, site-packages, an unpacked tablet bundle);
    # Flet and gettext need real paths, so a zipped install is refused plainly.
    if not isinstance(root, Path):
        raise ResourceError(location=str(root))
    return root


def _shipped(folder: str) -> Path:
    root = _package_root()
    inside = root / DATA_PACKAGE_FOLDER / folder
    if inside.is_dir():
        return inside  # an installed wheel or a tablet bundle
    return root.parent / folder  # a checkout or an editable install: the repository folder


def questionnaires_dir() -> Path:
    """The folder of bundled questionnaires (``*.yaml``; ``checks/`` holds review word lists)."""
    return _shipped("questionnaires")


def default_questionnaire() -> Path:
    return questionnaires_dir() / DEFAULT_QUESTIONNAIRE


def bundled_questionnaires() -> list[Path]:
    """Every questionnaire the distribution carries, by file name."""
    return sorted(questionnaires_dir().glob("*.yaml"))


def locales_dir() -> Path:
    """The gettext catalogs: ``<code>/LC_MESSAGES/messages.po`` and ``messages.pot``."""
    return _shipped("locales")


def assets_dir() -> Path:
    """Flet's assets folder (``fonts/``, ``icon.png``), served to the page by name."""
    return _package_root() / "assets"


def fonts_dir() -> Path:
    return assets_dir() / "fonts"
