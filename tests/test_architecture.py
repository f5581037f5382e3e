"""The trust boundary and dependency directions of ARCHITECTURE.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(*parts: str) -> list[Path]:
    files = sorted((ROOT.joinpath(*parts)).rglob("*.py"))
    assert files, f"no Python files under {'/'.join(parts)}"
    return files


def test_server_never_imports_the_field_app() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if n.split(".")[0] == "app")
        for p in python_files("sync", "server")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_sync_client_speaks_only_through_the_outbox_protocol() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if n.split(".")[0] == "app")
        for p in python_files("sync", "client")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_store_does_not_depend_on_any_interface() -> None:
    upward = ("app.ui", "app.console", "app.cli", "flet")
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imports_of(p) if n.startswith(upward))
        for p in python_files("app", "store")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_the_recipe_module_imports_cryptographic_primitives() -> None:
    users = sorted(
        str(p.relative_to(ROOT))
        for tree in (("app",), ("sync",))
        for p in python_files(*tree)
        if any(n.startswith("cryptography.hazmat") for n in imports_of(p))
    )
    assert users == ["sync/crypto.py"]
