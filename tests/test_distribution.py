"""Waymark as a person installs it: a wheel built from the repository, installed outside it.

The wheel is built from a copy of the repository's files (what git tracks, plus new files not
ignored) with pip's isolated build, then installed with ``pip install --no-deps`` into a fresh
virtual environment made with ``--system-site-packages`` (so the dependencies already on this
machine are reused, and only Waymark itself comes from the wheel), in a folder outside the
checkout. The commands run there, with no PYTHONPATH, must find the bundled questionnaires and
the translations through importlib.resources.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app import resources
from tests.repository import ROOT, repository_files

pytestmark = pytest.mark.slow


def _source_copy(target: Path) -> Path:
    for name in repository_files():
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/", "bench/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "WAYMARK_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = _source_copy(work / "source")
    out = work / "dist"
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        env=_clean_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = out.glob("waymark-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
    )
    python = venv / "bin" / "python"
    done = subprocess.run(  # noqa: S603 - the environment's interpreter, fixed arguments
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        env=_clean_env(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return venv


def _waymark(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    outside = venv.parent  # a folder with no questionnaires/ or locales/ of its own
    return subprocess.run(  # noqa: S603 - the installed command
        [str(venv / "bin" / "waymark"), *args],
        cwd=outside,
        env=_clean_env(),
        capture_output=True,
        text=True,
    )


def test_the_wheel_carries_questionnaires_locales_and_fonts(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "app/_data/questionnaires/screening.yaml",
        "app/_data/questionnaires/checks/sensitive_words.yaml",
        "app/_data/locales/fr/LC_MESSAGES/messages.po",
        "app/_data/locales/ar/LC_MESSAGES/messages.po",
        "app/assets/fonts/NotoNaskhArabic-Regular.ttf",
        "app/assets/fonts/NotoSansEthiopic-Regular.ttf",
        "app/assets/icon.png",
    }
    assert expected - names == set()
    assert not [n for n in names if n.startswith(("tests/", "bench/", "questionnaires/"))]
    assert not {"main.py", "setup.py", "assets/icon.png"} & names  # the tablet build's, not pip's


def test_the_installed_command_runs_from_the_wheel_not_the_checkout(installed: Path) -> None:
    python = installed / "bin" / "python"
    probe = "import app, app.resources as r; print(app.__file__); print(r.questionnaires_dir())"
    where = subprocess.run(  # noqa: S603 - the environment's interpreter, fixed arguments
        [str(python), "-c", probe + "; print(r.locales_dir())"],
        cwd=installed.parent,
        env=_clean_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert all(line.startswith(str(installed)) for line in where), where
    assert where[1].endswith("app/_data/questionnaires")


def test_installed_questionnaire_check_finds_the_default_screening(installed: Path) -> None:
    done = _waymark(installed, "questionnaire", "check")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if "screening.yaml" in line]
    assert len(lines) == 1, done.stdout
    assert str(installed) in lines[0]
    assert "loads (" in lines[0]


def test_installed_command_speaks_french(installed: Path) -> None:
    done = _waymark(installed, "--language", "fr", "questionnaire", "check")
    assert done.returncode == 0, done.stderr
    assert "screening.yaml : se charge (" in done.stdout, done.stdout
    missing = _waymark(installed, "--language", "fr", "questionnaire", "check", "absent.yaml")
    assert missing.returncode == 1
    assert "absent.yaml : impossible à ouvrir." in missing.stderr, missing.stderr


def test_the_build_step_ships_the_folders_the_resources_module_reads() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    (shipped,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "SHIPPED_FOLDERS" for t in node.targets)
    ]
    assert tuple(shipped) == resources.SHIPPED_FOLDERS
    assert all((ROOT / folder).is_dir() for folder in shipped)


def test_installed_catalog_workflow_points_to_the_source_tree(installed: Path) -> None:
    done = _waymark(installed, "--language", "fr", "i18n", "check")
    assert done.returncode == 2
    assert "pas dans une copie installée" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
