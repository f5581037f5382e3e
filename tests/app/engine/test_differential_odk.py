"""Differential tests: Waymark gives the same relevance and values as ODK's own engine.

The expected values were produced by @getodk/xforms-engine 0.22.0 from the same forms and
answer scripts (bench/odk/make_expected.py) and are committed under tests/data/engine/odk/, so
Node is not needed here. Excluded: the clock (``start`` and what is computed from it, which
differ by the seconds between the two runs) and ODK's internal ``instanceID``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import pytest

from app.engine import Session, load_questionnaire
from tests.app.engine import feature_form
from tests.app.engine.workbooks import synthetic_xlsx

DATA = Path(__file__).resolve().parents[2] / "data" / "engine" / "odk"
CLOCK_DEPENDENT = {"start", "start_t", "instanceID"}
CASES = sorted(
    p.name.split(".")[0] + "." + p.name.split(".")[1] for p in DATA.glob("*.expected.json")
)


def _synthetic_form(shared_dir: Path, n: int, tmp: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "gen_form", shared_dir / "anchors" / "gen_form.py"
    )
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    survey, choices, _answers = gen.build(n)
    path = tmp / f"synthetic_{n}.xlsx"
    path.write_bytes(synthetic_xlsx(n, survey, choices))
    return path


def _odk_value(entry: dict) -> str:
    if entry["odk_type"] == "trigger":
        return "OK" if entry["value"] == "true" else ""
    return str(entry["value"])


def test_every_case_is_present() -> None:
    assert "household_survey_americas.ar" in CASES
    assert {"synthetic_60.en", "synthetic_500.en", "features.en", "features.fr"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_same_relevance_and_values_as_odk(case: str, shared_dir: Path, tmp_path: Path) -> None:
    form_name, lang = case.split(".")
    expected = json.loads((DATA / f"{case}.expected.json").read_text(encoding="utf-8"))
    script = json.loads((DATA / f"{form_name}.answers.json").read_text(encoding="utf-8"))
    if form_name.startswith("edge_"):
        path = tmp_path / "edge.xlsx"
        path.write_bytes(feature_form.edge_bytes())
    elif form_name == "features":
        path = tmp_path / "features.xlsx"
        path.write_bytes(feature_form.workbook_bytes())
    elif form_name.startswith("synthetic_"):
        path = _synthetic_form(shared_dir, int(form_name.split("_")[1]), tmp_path)
    else:
        path = shared_dir / "conformance" / "forms" / f"{form_name.split('-')[0]}.xlsx"
    q = load_questionnaire(path.read_bytes(), path.name)
    s = Session(
        q,
        language=None if lang == "default" else lang,
        clock=lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC),
    )
    applied = sum(1 for e in script if s.apply(e["name"], e["value"]))
    assert applied == expected["applied"]
    ours = s.report()["questions"]
    mismatches = {}
    compared = 0
    for name, entry in expected["questions"].items():
        if name in CLOCK_DEPENDENT:
            continue
        mine = ours.get(name)
        want = {"relevant": entry["relevant"], "value": _odk_value(entry)}
        if mine != want:
            mismatches[name] = {"odk": want, "waymark": mine}
        compared += 1
    assert mismatches == {}
    assert compared >= len(expected["questions"]) - len(CLOCK_DEPENDENT)


# --- the public corpus: every form both engines load ------------------------------------------

PUBLIC_DATA = DATA / "public"
PUBLIC_CASES = sorted(p.name.split(".")[0] for p in PUBLIC_DATA.glob("*.expected.json"))
#: nodes pyxform writes that are no question of the form (ids, entity labels, table-list rows)
PYXFORM_GENERATED = re.compile(
    r"^(instanceID|label|generated_table_list_label_\d+|reserved_name_for_field_list_labels_\d+)$"
)


def _clock_or_shared(q) -> set[str]:
    """Names whose value is the clock's (start, today, or computed from now()), and names used
    by more than one question (both engines report such a name once, so it cannot be compared)."""
    out = set()
    seen: dict[str, int] = {}
    for it in q.items:
        seen[it.name] = seen.get(it.name, 0) + 1
        calc = it.calculation
        if it.type in ("start", "end", "today") or (calc is not None and calc.volatile):
            out.add(it.name)
    return out | {n for n, k in seen.items() if k > 1}


def test_the_public_cases_cover_every_form_both_engines_load(shared_dir: Path) -> None:
    skipped = json.loads((PUBLIC_DATA / "skipped.json").read_text(encoding="utf-8"))
    forms = {p.stem for p in (shared_dir / "conformance" / "forms" / "public").glob("*.xls*")}
    assert forms == set(PUBLIC_CASES) | {n.rsplit(".", 1)[0] for n in skipped}
    assert len(PUBLIC_CASES) >= 20


@pytest.mark.parametrize("stem", PUBLIC_CASES)
def test_public_form_same_relevance_and_values_as_odk(stem: str, shared_dir: Path) -> None:
    expected = json.loads((PUBLIC_DATA / f"{stem}.default.expected.json").read_text("utf-8"))
    script = json.loads((PUBLIC_DATA / f"{stem}.answers.json").read_text(encoding="utf-8"))
    [path] = (shared_dir / "conformance" / "forms" / "public").glob(f"{stem}.xls*")
    q = load_questionnaire(path.read_bytes(), path.name)
    s = Session(q, clock=lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC))
    applied = sum(1 for e in script if s.apply(e["name"], e["value"]))
    assert applied == expected["applied"]
    ours = s.report()["questions"]
    skip = _clock_or_shared(q)
    mismatches = {}
    compared = 0
    for name, entry in expected["questions"].items():
        base = name.split("[", 1)[0]
        if base in skip:
            continue
        if name not in ours:
            assert PYXFORM_GENERATED.match(base), f"ODK has {name}, Waymark has not"
            continue
        want = {"relevant": entry["relevant"], "value": _odk_value(entry)}
        if ours[name] != want:
            mismatches[name] = {"odk": want, "waymark": ours[name]}
        compared += 1
    assert mismatches == {}
    assert compared >= 1
