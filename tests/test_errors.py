"""One error contract: every package's exceptions share ``sync.errors.WaymarkError``.

Each tree names its codes in a StrEnum; every code written in a package's source is a member of
its enum (so a new code cannot slip in unnamed), and the constructors callers already use keep
working, with ``.code`` comparing equal to the same text as before.
"""

from __future__ import annotations

import ast
import json
from enum import StrEnum
from pathlib import Path

import pytest

from app import resources
from app.cli import errors as cli_errors
from app.console import errors as console_errors
from app.console.export import ExportError
from app.engine import errors as engine_errors
from app.engine import load_questionnaire
from app.engine.session import SessionError
from app.store import chain as store_chain
from app.store import errors as store_errors
from sync import crypto as sync_crypto
from sync import errors as sync_errors
from sync.errors import WaymarkError

ROOT = Path(__file__).resolve().parents[1]

#: each tree: its base class, and the source folders whose literal codes it must name
TREES: dict[type[WaymarkError], tuple[str, ...]] = {
    sync_errors.SyncError: ("sync",),
    store_errors.StoreError: ("app/store/errors.py", "app/store/store.py", "app/store/db.py"),
    console_errors.ConsoleError: ("app/console",),
    ExportError: ("app/console/export.py", "app/cli"),
    engine_errors.ExpressionError: ("app/engine",),
    SessionError: ("app/engine",),
    cli_errors.CliError: ("app/cli",),
    sync_crypto.CryptoError: ("sync/crypto.py",),
}


def _exception_classes(module: object) -> list[type[BaseException]]:
    return [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, BaseException) and v.__module__ == module.__name__
    ]


def _tree(base: type[WaymarkError]) -> set[type[WaymarkError]]:
    found, todo = set(), [base]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def _literal_codes(paths: tuple[str, ...], names: set[str]) -> dict[str, str]:
    """Every string literal given as the code to one of ``names``: {code: where}."""
    found: dict[str, str] = {}
    files = [
        f
        for p in paths
        for f in ([ROOT / p] if p.endswith(".py") else sorted((ROOT / p).rglob("*.py")))
    ]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in names:
                continue
            arg = node.args[0] if node.args else None
            arg = next((k.value for k in node.keywords if k.arg == "code"), arg)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found[arg.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


@pytest.mark.parametrize(
    "module",
    [
        sync_errors,
        store_errors,
        console_errors,
        engine_errors,
        cli_errors,
        resources,
        sync_crypto,
        store_chain,
    ],
    ids=lambda m: m.__name__,
)
def test_every_exception_of_an_error_module_is_a_waymark_error(module: object) -> None:
    classes = _exception_classes(module)
    assert classes
    assert [c.__name__ for c in classes if not issubclass(c, WaymarkError)] == []
    for cls in classes:
        if cls is WaymarkError:
            continue
        assert cls.codes is not None and issubclass(cls.codes, StrEnum), cls
        assert isinstance(cls.code, cls.codes), (cls, cls.code)


@pytest.mark.parametrize("base", list(TREES), ids=lambda c: c.__name__)
def test_every_code_written_in_the_source_is_a_member_of_its_enum(
    base: type[WaymarkError],
) -> None:
    tree = _tree(base)
    names = {cls.__name__ for cls in tree}
    names |= {"ConsoleStoreCorrupt"} if base is console_errors.ConsoleError else set()
    names |= {"_CliError"} if base is cli_errors.CliError else set()
    assert base.codes is not None
    written = _literal_codes(TREES[base], names)
    unnamed = {code: where for code, where in written.items() if code not in set(base.codes)}
    assert unnamed == {}
    if base is sync_crypto.CryptoError:  # the recipe writes its codes as enum members
        assert "CryptoCode." in (ROOT / "sync" / "crypto.py").read_text(encoding="utf-8")
    elif base is not SessionError:  # the session's codes are all passed as literals
        assert written, base


def test_codes_are_enum_members_and_still_compare_as_their_text() -> None:
    err = store_errors.InvalidState("payload_mismatch", record_id="r-1", status="draft")
    assert err.code is store_errors.StoreCode.PAYLOAD_MISMATCH
    assert err.code == "payload_mismatch"
    assert {"payload_mismatch": 1}[err.code] == 1
    assert json.dumps({"code": err.code}) == '{"code": "payload_mismatch"}'
    assert err.params == {"status": "draft"} and err.record_id == "r-1"
    assert str(err) == "payload_mismatch record=r-1"
    assert store_errors.Wiped().code is store_errors.StoreCode.STORE_WIPED


def test_a_code_the_enum_does_not_list_is_kept_as_text() -> None:
    err = sync_errors.Refused("from_a_newer_server", request="/api/v1/x", status=400)
    assert err.code == "from_a_newer_server" and not isinstance(err.code, StrEnum)
    assert err.request == "/api/v1/x" and err.location == "/api/v1/x" and err.status == 400
    assert str(err) == "from_a_newer_server [/api/v1/x]"


@pytest.mark.parametrize(
    ("raise_it", "code", "attrs"),
    [
        (
            lambda: store_errors.WrongPin(wait_seconds=2.0, remaining=3),
            "wrong_pin",
            {"remaining": 3, "wait_seconds": 2.0},
        ),
        (
            lambda: sync_errors.Revoked(request="/api/v1/envelopes", status=403),
            "device_revoked",
            {"status": 403, "request": "/api/v1/envelopes"},
        ),
        (
            lambda: console_errors.ConsoleError("transition_invalid", record_id="r1", to="closed"),
            "transition_invalid",
            {"params": {"to": "closed"}, "record_id": "r1"},
        ),
        (lambda: console_errors.WrongPassphrase(), "wrong_passphrase", {}),
        (lambda: sync_crypto.WrongPin(), "wrong_pin", {"params": {}}),
        (lambda: sync_crypto.CryptoError("bad_public_key"), "bad_public_key", {}),
        (
            lambda: ExportError("format_unknown", format="ods"),
            "format_unknown",
            {"params": {"format": "ods"}},
        ),
        (
            lambda: engine_errors.ExpressionError("unexpected_token", 7, found=")"),
            "unexpected_token",
            {"position": 7, "location": 7, "params": {"found": ")"}},
        ),
        (
            lambda: SessionError("unknown_question", name="age"),
            "unknown_question",
            {"params": {"name": "age"}},
        ),
    ],
)
def test_existing_constructors_keep_working_and_are_caught_by_the_base(
    raise_it: object, code: str, attrs: dict[str, object]
) -> None:
    with pytest.raises(WaymarkError) as caught:
        raise raise_it()  # type: ignore[operator]
    err = caught.value
    assert err.code == code
    for name, value in attrs.items():
        assert getattr(err, name) == value, name
    data = err.to_data()
    assert data["code"] == code and set(data) == {"code", "params", "location", "record_id"}


def test_a_questionnaire_error_is_coded_and_keeps_every_problem() -> None:
    with pytest.raises(WaymarkError) as caught:
        load_questionnaire(b"form_id: [", "broken.yaml")
    err = caught.value
    assert isinstance(err, engine_errors.QuestionnaireError)
    assert err.code == "questionnaire_invalid"
    assert err.problems and err.params == {"problems": len(err.problems)}
    assert str(err) == f"{len(err.problems)} problem(s) in questionnaire"


def test_the_ground_floor_imports_only_the_standard_library() -> None:
    tree = ast.parse((ROOT / "sync" / "errors.py").read_text(encoding="utf-8"))
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in (n.names if isinstance(n, ast.Import) else [n])  # type: ignore[list-item]
    }
    assert imported <= {"__future__", "collections", "enum", "typing"}


#: Exception classes of app/ and sync/ not yet on the one base: (module, class) -> where they
#: are headed. A stop-gap only: the test below fails once a class joins the base and its entry
#: stays, so the list can only shrink.
KNOWN_UNCODED: dict[tuple[str, str], str] = {
}


def _uncoded_exception_classes() -> set[tuple[str, str]]:
    import importlib
    import inspect
    import pkgutil

    import app
    import sync

    found: set[tuple[str, str]] = set()
    for package in (app, sync):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" in info.name:  # Alembic scripts, run only by Alembic
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == module.__name__
                    and not issubclass(value, WaymarkError)
                ):
                    found.add((info.name, name))
    return found


def test_every_exception_class_of_waymark_is_a_waymark_error() -> None:
    assert sorted(_uncoded_exception_classes() - set(KNOWN_UNCODED)) == []


def test_the_known_uncoded_classes_still_exist_until_they_join_the_base() -> None:
    gone = sorted(set(KNOWN_UNCODED) - _uncoded_exception_classes())
    assert gone == [], "these joined the base: delete them from KNOWN_UNCODED"
