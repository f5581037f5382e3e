"""mypy in strict mode over the packages pyproject.toml names, as a developer runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: the packages that must stay strictly typed: every package of Waymark
REQUIRED = {
    "app.engine",
    "app.store",
    "sync",
    "app.cli",
    "app.i18n",
    "app.resources",
    "app.ui",
    "app.console",
    "app.uikit",
}


def _config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        config: dict[str, object] = tomllib.load(fh)["tool"]["mypy"]
    return config


def test_the_configuration_is_strict_over_the_required_packages() -> None:
    config = _config()
    assert config["strict"] is True
    named = {*config.get("packages", []), *config.get("modules", [])}  # type: ignore[misc]
    assert REQUIRED - named == set()


@pytest.mark.slow
def test_mypy_strict_passes() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "mypy"],  # the cache is .mypy_cache, ignored by git
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
