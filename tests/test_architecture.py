"""The trust boundary and dependency directions of ARCHITECTURE.md, checked on the source.

The floors are drawn in docs/CONTRACTS.md as a table (part, floor, modules, what it may
import); the tests below read that table, so the drawing and the check cannot drift apart.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = ROOT / "docs" / "CONTRACTS.md"

#: Imports that exist but are not in the drawing yet: (importing module, imported module). Empty:
#: an entry is only ever a stop-gap while an arrow is being removed, and the test below fails
#: once the arrow is gone and the entry stays.
KNOWN_STRAY_ARROWS: frozenset[tuple[str, str]] = frozenset()


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


# --- the floors of docs/CONTRACTS.md ----------------------------------------------------------


@dataclass(frozen=True)
class Part:
    name: str
    floor: int
    modules: tuple[str, ...]
    may_import: frozenset[str]


def floors() -> dict[str, Part]:
    text = CONTRACTS.read_text(encoding="utf-8")
    table = text.split("<!-- floors:begin -->", 1)[1].split("<!-- floors:end -->", 1)[0]
    parts: dict[str, Part] = {}
    for line in table.strip().splitlines()[2:]:
        floor, name, modules, may = (c.strip() for c in line.strip().strip("|").split("|"))
        parts[name] = Part(
            name=name,
            floor=int(floor),
            modules=tuple(re.findall(r"`([\w.]+)`", modules)),
            may_import=frozenset(m.strip() for m in may.split(",") if m.strip()),
        )
    return parts


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for tree in ("app", "sync") for p in python_files(tree)}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    bits = name.split(".")
    for n in range(len(bits), 0, -1):
        candidate = ".".join(bits[:n])
        if candidate in modules:
            return candidate
    return None


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that ``path`` imports (``from a import b`` is ``a.b`` when b is a module)."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = [f"{base}.{a.name}" for a in node.names] or [base]
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != me:
                out.add(target)
    return out


def part_of(module: str, parts: dict[str, Part]) -> Part | None:
    best: tuple[int, Part] | None = None
    for part in parts.values():
        for prefix in part.modules:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), part)
    return None if best is None else best[1]


def drawn(importer: str, imported: str, parts: dict[str, Part]) -> bool:
    """Whether the drawing has an arrow from ``importer``'s part to ``imported``'s."""
    mine, theirs = part_of(importer, parts), part_of(imported, parts)
    if mine is None or theirs is None:
        return False  # an unplaced module fails test_every_module_belongs_to_a_part
    return theirs is mine or theirs.name in mine.may_import


@functools.cache
def stray_arrows() -> frozenset[tuple[str, str]]:
    parts, modules = floors(), all_modules()
    return frozenset(
        {
            (name, target)
            for name, path in modules.items()
            if part_of(name, parts) is not None
            for target in imported_modules(path, modules)
            if part_of(target, parts) is not None and not drawn(name, target, parts)
        }
    )


def test_the_drawing_lists_every_part_once_and_only_downward_or_sideways() -> None:
    parts = floors()
    assert {"engine", "errors", "i18n", "device store", "console store", "API client"} <= set(parts)
    assert {"UI kit", "field app", "console", "server", "CLI"} <= set(parts)
    for part in parts.values():
        unknown = part.may_import - set(parts)
        assert unknown == set(), (part.name, unknown)
        upward = [p for p in part.may_import if parts[p].floor > part.floor]
        assert upward == [], part.name
    assert parts["CLI"].floor == max(p.floor for p in parts.values())
    # the field app and the console are peers; the server never builds on the app
    assert "console" not in parts["field app"].may_import
    assert "field app" not in parts["console"].may_import
    app_parts = {p.name for p in parts.values() if any(m.startswith("app") for m in p.modules)}
    assert parts["server"].may_import & (app_parts - {"crypto"}) == set()


def test_every_module_belongs_to_a_part_of_the_drawing() -> None:
    parts = floors()
    roots = {"app", "sync"}
    unplaced = sorted(m for m in all_modules() if m not in roots and part_of(m, parts) is None)
    assert unplaced == [], "add these to a part of the floors table in docs/CONTRACTS.md"


def test_the_package_roots_import_nothing_of_waymark() -> None:
    modules = all_modules()
    assert {r: sorted(imported_modules(modules[r], modules)) for r in ("app", "sync")} == {
        "app": [],
        "sync": [],
    }


def test_every_import_between_parts_is_an_arrow_of_the_drawing() -> None:
    stray = stray_arrows()
    assert sorted(stray - KNOWN_STRAY_ARROWS) == []


def test_the_known_stray_arrows_still_exist_until_they_are_removed() -> None:
    gone = sorted(KNOWN_STRAY_ARROWS - stray_arrows())
    assert gone == [], "these arrows are gone: delete them from KNOWN_STRAY_ARROWS"


@pytest.mark.parametrize(
    ("source", "imports", "expected"),
    [
        ("app/console/view.py", "sync.server.admin", True),  # console -> server
        ("app/console/view.py", "app.ui.shell", True),  # console -> field app
        ("app/ui/shell.py", "app.console.model", True),  # field app -> console
        ("app/engine/model.py", "app.i18n", True),  # the engine returns codes, never words
        ("app/store/db.py", "app.ui.words", True),  # a store never imports an interface
        ("sync/server/app.py", "app.store.errors", True),  # the server never imports app
        ("app/ui/shell.py", "app.store.errors", False),
        ("app/console/view.py", "sync.client", False),
        ("app/cli/app.py", "sync.server", False),
    ],
)
def test_the_check_tells_a_drawn_arrow_from_one_that_is_not(
    source: str, imports: str, expected: bool
) -> None:
    assert drawn(module_name(ROOT / source), imports, floors()) is not expected


# --- function length ----------------------------------------------------------------------------

#: The longest a function in the floors below the interfaces may be, in lines (its decorators,
#: signature, docstring and body).
MAX_FUNCTION_LINES = 60

#: The parts whose functions are held to that length.
LENGTH_CHECKED = (
    "app/engine",
    "app/store",
    "sync",
    "app/cli",
    "app/console",
    "app/ui",
    "app/uikit",
)

#: Functions allowed to be longer, each with its reason: (file, function) -> why.
LONG_FUNCTIONS: dict[tuple[str, str], str] = {
    ("sync/server/migrations/versions/0001_initial.py", "upgrade"): (
        "a migration is a fixed script of table definitions, applied once and never edited "
        "(editing it would rewrite the history of every database already migrated)"
    ),
}


def long_functions(parts: tuple[str, ...], limit: int) -> dict[tuple[str, str], int]:
    """Every function of those parts longer than ``limit`` lines: (file, name) -> lines."""
    files = [path for part in parts for path in python_files(*part.split("/"))]
    return {
        (str(path.relative_to(ROOT)), name): lines
        for path in files
        for name, lines in functions_longer_than(path, limit).items()
    }


def functions_longer_than(path: Path, limit: int) -> dict[str, int]:
    """The functions of one file (methods and nested ones included) longer than ``limit``."""
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = (node.end_lineno or node.lineno) - first + 1
            if lines > limit:
                found[node.name] = max(lines, found.get(node.name, 0))
    return found


def test_no_function_below_the_interfaces_is_longer_than_sixty_lines() -> None:
    too_long = long_functions(LENGTH_CHECKED, MAX_FUNCTION_LINES)
    assert {k: v for k, v in too_long.items() if k not in LONG_FUNCTIONS} == {}


def test_every_allowed_long_function_is_still_long_and_has_its_reason() -> None:
    too_long = long_functions(LENGTH_CHECKED, MAX_FUNCTION_LINES)
    assert sorted(set(LONG_FUNCTIONS) - set(too_long)) == [], "split: delete the entry"
    assert all(len(reason) > 40 for reason in LONG_FUNCTIONS.values())


def test_the_length_check_counts_decorators_and_nested_functions(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    nested = "\n".join(f"        y{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = (
        f"@decorated\ndef long():\n{body}\n\n\n"
        f"def outer():\n    def inner():\n{nested}\n\n\n"
        "def short():\n    return 1\n"
    )
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    found = functions_longer_than(tmp_path / "m.py", MAX_FUNCTION_LINES)
    assert found == {"long": MAX_FUNCTION_LINES + 1, "inner": 61, "outer": 62}
