"""The field app's name for the shared UI kit (:mod:`app.uikit.components`), kept so its
screens import as they always did."""

from app.uikit.components import (
    ARABIC_SCRIPT,
    DANGER,
    ERROR_BG,
    ETHIOPIC_SCRIPT,
    FONTS,
    MAX_WIDTH,
    NOTICE_BG,
    PRIMARY,
    TOUCH,
    WORKER_BG,
    Kit,
    fallback,
    family,
    theme,
)

__all__ = [
    "ARABIC_SCRIPT",
    "DANGER",
    "ERROR_BG",
    "ETHIOPIC_SCRIPT",
    "FONTS",
    "MAX_WIDTH",
    "NOTICE_BG",
    "PRIMARY",
    "TOUCH",
    "WORKER_BG",
    "Kit",
    "fallback",
    "family",
    "theme",
]
