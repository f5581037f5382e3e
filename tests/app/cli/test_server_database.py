"""`waymark server --database-url postgresql://...` on a Waymark installed without the
PostgreSQL driver: a coded, translated refusal naming the extra, never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.cli import main


@pytest.mark.parametrize("command", [["server"], ["devices", "list"], ["coordinator", "list"]])
def test_a_postgresql_url_without_its_driver_names_the_extra_to_install(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The driver is installed on this machine: its absence is simulated by blocking the
    # import (``sys.modules[name] = None`` makes ``import name`` raise ImportError).
    monkeypatch.setitem(sys.modules, "psycopg", None)
    argv = [*command, "--data-dir", str(tmp_path / "data"),
            "--database-url", "postgresql://waymark:secret-pw@127.0.0.1:5/waymark"]
    assert main(["--language", "fr", *argv]) == 1
    err = capsys.readouterr().err
    assert "waymark[postgresql]" in err and "pilote PostgreSQL" in err  # in French
    assert "Traceback" not in err and "secret-pw" not in err and "{" not in err
    assert main(argv) == 1
    assert "PostgreSQL driver" in capsys.readouterr().err
    assert not (tmp_path / "data" / "waymark-server.db").exists()  # no SQLite file instead


def test_with_the_driver_the_url_is_not_refused_for_want_of_it(tmp_path: Path) -> None:
    from app.cli.server import _postgresql_driver

    _postgresql_driver()  # psycopg is installed here: no refusal
