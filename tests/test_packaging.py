"""The tablet build's inputs: what `flet build apk` / `flet build web` put in the bundle.

`flet build` reads ``[tool.flet.app]`` in pyproject.toml: ``path`` is the folder it packages
(less ``exclude`` and ``build``), ``module`` the entry file at that folder's root, and
``<path>/assets`` the icon and the web assets. These tests compute that set of files from the
repository (what git tracks, plus new files not ignored) and check that it holds every file
the field app loads at run time: every module the entry imports, the bundled questionnaires,
every shipped catalog, every font the interface names, and the icon. Nothing of a developer's
(tests, benchmarks) goes to a tablet.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path, PurePosixPath

import pytest

from app import resources
from app.i18n import SHIPPED, SOURCE_LANGUAGE
from app.ui.components import FONTS
from tests.repository import ROOT, repository_files


def _flet() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        flet: dict[str, object] = tomllib.load(fh)["tool"]["flet"]
    return flet


def _app_config() -> dict[str, object]:
    app = _flet()["app"]
    assert isinstance(app, dict)
    return app


@pytest.fixture(scope="module")
def bundle() -> set[str]:
    """The files `flet build` packages, relative to the app folder (links followed)."""
    config = _app_config()
    app_dir = (ROOT / str(config.get("path", "."))).resolve()
    excluded = {"build", *config.get("exclude", [])}  # type: ignore[misc]
    files: set[str] = set()
    for name in repository_files():
        path = ROOT / name
        if not path.resolve().is_relative_to(app_dir) and not path.is_symlink():
            continue
        inside = PurePosixPath(path.relative_to(app_dir).as_posix())
        if inside.parts[0] in excluded:
            continue
        if path.is_symlink() and path.is_dir():  # assets -> app/assets
            files.update(
                str(inside / p.relative_to(path).as_posix()) for p in path.rglob("*") if p.is_file()
            )
        elif path.is_file():
            files.add(str(inside))
    return files


def _imported_modules(entry: Path) -> set[str]:
    """Every module of app/ and sync/ that ``entry`` imports, directly or not."""

    def module_file(name: str) -> Path | None:
        base = ROOT.joinpath(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    seen: set[str] = set()
    todo = [entry]
    while todo:
        path = todo.pop()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] not in ("app", "sync"):
                    continue
                bits = name.split(".")
                for n in range(1, len(bits) + 1):  # packages run their __init__ on the way
                    prefix = ".".join(bits[:n])
                    found = module_file(prefix)
                    if found is not None and prefix not in seen:
                        seen.add(prefix)
                        todo.append(found)
    return {
        str(PurePosixPath(module_file(m).relative_to(ROOT).as_posix()))  # type: ignore[union-attr]
        for m in seen
    }


def test_the_entry_module_is_at_the_root_of_the_app_folder(bundle: set[str]) -> None:
    config = _app_config()
    assert config["path"] == "."
    assert f"{config['module']}.py" in bundle
    assert _flet()["product"] == "Waymark"


def test_every_module_the_field_app_imports_is_packaged(bundle: set[str]) -> None:
    entry = ROOT / f"{_app_config()['module']}.py"
    needed = _imported_modules(entry)
    # the field app, its store, the engine, the sync client and the one error contract
    for must in (
        "app/ui/main.py",
        "app/store/store.py",
        "app/engine/session.py",
        "sync/client/_client.py",
        "sync/errors.py",
        "app/resources.py",
    ):
        assert must in needed, must
    assert sorted(needed - bundle) == []


def test_questionnaires_catalogs_fonts_and_icon_are_packaged(bundle: set[str]) -> None:
    def rel(path: Path) -> str:
        return path.relative_to(ROOT).as_posix()

    needed = {rel(p) for p in resources.bundled_questionnaires()}
    assert f"questionnaires/{resources.DEFAULT_QUESTIONNAIRE}" in needed
    needed |= {rel(p) for p in resources.questionnaires_dir().rglob("*.yaml")}
    needed |= {
        rel(resources.locales_dir() / code / "LC_MESSAGES" / "messages.po")
        for code in SHIPPED
        if code != SOURCE_LANGUAGE
    }
    # fonts: inside the app package (the web-server mode's assets_dir) and in <path>/assets,
    # where flet build takes the icon and, for the web build, the files it serves
    for font in FONTS.values():
        needed |= {f"app/assets/{font}", f"assets/{font}"}
    needed |= {"assets/icon.png", "app/assets/icon.png"}
    assert sorted(needed - bundle) == []


def test_nothing_of_a_developers_goes_to_a_tablet(bundle: set[str]) -> None:
    assert sorted(f for f in bundle if f.split("/")[0] in {"tests", "bench", "docs", ".ci"}) == []
    assert "setup.py" not in bundle


def test_the_icon_is_a_square_png() -> None:
    data = (ROOT / "assets" / "icon.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == height >= 512


def _name(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower()


def test_a_tablet_installs_neither_the_consoles_pdf_tools_nor_the_servers_driver() -> None:
    """`flet build` installs the [project] dependencies on the tablet: the console's PDF
    tools and the server's PostgreSQL driver are extras, and the test extra (what .ci
    installs) has both."""
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project = tomllib.load(fh)["project"]
    main = {_name(r) for r in project["dependencies"]}
    extras = {k: {_name(r) for r in v} for k, v in project["optional-dependencies"].items()}
    assert {"fpdf2", "uharfbuzz", "psycopg"}.isdisjoint(main)
    assert extras["console"] == {"fpdf2", "uharfbuzz"}
    assert extras["postgresql"] == {"psycopg"}
    assert extras["console"] | extras["postgresql"] <= extras["test"]
    pinned = {_name(line) for line in (ROOT / "constraints.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    assert set().union(*extras.values()) <= pinned
