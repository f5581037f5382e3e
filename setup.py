"""Build step for the wheel: ship the top-level ``questionnaires/`` and ``locales/`` folders.

They stay where they are in the repository (reviewers and translators work on them there) and
are copied into the built package as ``app/_data/<folder>/``, where ``app.resources`` finds them
through importlib.resources. Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("questionnaires", "locales")  # kept equal to app.resources.SHIPPED_FOLDERS
SKIPPED = {"__pycache__", ".mo", ".pyc"}


def shipped_files(folder: str) -> list[Path]:
    return sorted(
        p
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and not SKIPPED.intersection({*p.parts, p.suffix})
    )


class BuildPyWithData(build_py):
    """``build_py``, then the shipped folders copied under ``app/_data/``."""

    def run(self) -> None:
        super().run()
        for folder in SHIPPED_FOLDERS:
            for source in shipped_files(folder):
                inside = source.relative_to(ROOT / folder)
                target = Path(self.build_lib, "app", "_data", folder, inside)
                self.mkpath(str(target.parent))
                self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithData})
