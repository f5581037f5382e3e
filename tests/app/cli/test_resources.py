"""The bundled files are found through app.resources, from the command a person runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app import resources
from app.cli import build_parser, main
from app.i18n import translator

ROOT = Path(__file__).resolve().parents[3]


def test_check_with_no_file_checks_the_bundled_questionnaires(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["questionnaire", "check"]) == 0
    out = capsys.readouterr().out.splitlines()
    checked = sorted(Path(line.split(":")[0]).name for line in out if "loads (" in line)
    assert checked == sorted(p.name for p in resources.bundled_questionnaires())
    assert resources.DEFAULT_QUESTIONNAIRE in checked


def test_check_with_no_file_speaks_the_persons_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--language", "fr", "questionnaire", "check"]) == 0
    assert f"{resources.default_questionnaire()} : se charge (" in capsys.readouterr().out


def test_in_a_checkout_the_resources_are_the_repository_folders() -> None:
    assert resources.questionnaires_dir() == ROOT / "questionnaires"
    assert resources.locales_dir() == ROOT / "locales"
    assert (resources.fonts_dir() / "NotoSans-Regular.ttf").is_file()
    assert (resources.assets_dir() / "icon.png").is_file()


def _parents_lookups(path: Path) -> list[int]:
    """Lines that climb from ``__file__`` with ``.parents[N]`` or ``.parent.parent``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            if node.value.attr == "parents" and "__file__" in ast.unparse(node.value):
                found.append(node.lineno)
    return found


def test_no_part_of_waymark_climbs_from_its_own_file_to_find_data() -> None:
    offenders = {
        str(p.relative_to(ROOT)): lines
        for tree in ("app", "sync")
        for p in sorted((ROOT / tree).rglob("*.py"))
        if (lines := _parents_lookups(p))
    }
    assert offenders == {}


def test_a_zipped_install_is_refused_with_a_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import zipfile

    archive = tmp_path / "waymark.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("app/__init__.py", "")
    zipped = zipfile.Path(archive, "app/")
    monkeypatch.setattr(resources, "files", lambda _package: zipped)
    with pytest.raises(resources.ResourceError) as caught:
        resources.questionnaires_dir()
    assert caught.value.code == "resources_not_on_disk"


def test_export_looks_questionnaires_up_among_the_bundled_ones_by_default() -> None:
    parser = build_parser(translator("en"))
    args = parser.parse_args(["export", "--key", "agency.pem"])
    assert args.questionnaires_dir == resources.questionnaires_dir()


@pytest.mark.parametrize("action", ["extract", "update", "check"])
def test_the_catalog_workflow_says_plainly_it_needs_the_source(
    action: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.i18n import catalogs

    monkeypatch.setattr(catalogs, "MAPPING", tmp_path / "babel.cfg")  # as in an installed copy
    before = {p: p.read_bytes() for p in resources.locales_dir().rglob("*.po*")}
    assert main(["--language", "fr", "i18n", action]) == 2
    err = capsys.readouterr().err
    assert "babel.cfg" in err and "installée" in err
    assert {p: p.read_bytes() for p in resources.locales_dir().rglob("*.po*")} == before
