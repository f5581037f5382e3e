"""``waymark console``: refuses a missing or empty token file and a non-local address before
serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main


def test_console_is_a_waymark_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["console", "--help"])
    assert "--token-file" in capsys.readouterr().out


def test_bad_token_files_and_hosts_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["console", "--server", "http://127.0.0.1:1", "--data", str(tmp_path / "d")]
    assert main([*base, "--token-file", str(tmp_path / "missing")]) == 2
    assert "could not be read" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.write_text("\n", "utf-8")
    assert main([*base, "--token-file", str(empty)]) == 2
    assert "is empty" in capsys.readouterr().err
    token = tmp_path / "token"
    token.write_text("coord_x.y", "utf-8")
    assert main([*base, "--token-file", str(token), "--host", "0.0.0.0"]) == 2  # noqa: S104
    assert "this computer only" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
