"""The engine is pure: no UI, storage, network or crypto imports, and no file I/O calls."""

from __future__ import annotations

import ast
from pathlib import Path

import app.engine

ENGINE = Path(app.engine.__file__).resolve().parent
FORBIDDEN = (
    "flet",
    "sqlmodel",
    "sqlalchemy",
    "httpx",
    "cryptography",
    "requests",
    "socket",
    "app.store",
    "app.ui",
    "app.console",
    "app.cli",
    "app.i18n",  # the engine returns codes; only the interface turns them into words
    "babel",
    "sync",
)
#: pure-Python modules the engine may import although their package is forbidden:
#: sync.errors is the one error contract (standard library only; tests/test_architecture.py)
ALLOWED = ("sync.errors",)
IO_CALLS = {"open", "read_bytes", "read_text", "write_bytes", "write_text"}


def _modules() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_engine_imports_nothing_impure() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name in ALLOWED:
                    continue
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_engine_does_no_file_io() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", "")
                if name in IO_CALLS:
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []


def test_the_walk_sees_the_engine_modules() -> None:
    names = {p.name for p in _modules()}
    assert {"session.py", "expressions.py", "xlsform.py", "textformat.py"} <= names
