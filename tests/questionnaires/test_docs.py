"""docs/SCREENING.md, the agency's review table, lists every flag (with its rule, ILO dimension,
strength and duty-of-care mark) and every pathway in the questionnaire's order."""

from __future__ import annotations

import re

from app.engine import Questionnaire
from tests.questionnaires.conftest import ROOT

DOC = ROOT / "docs" / "SCREENING.md"


def _rows(text: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = re.match(r"\| `([a-z_]+)`", line) or re.match(r"\| [^|]*\(`([a-z_]+)`\) \|", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split(" | ")]
    return rows


def test_every_flag_is_in_the_table_as_the_questionnaire_has_it(
    screening: Questionnaire,
) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"version {screening.version}" in text
    rules = screening.outcome
    assert rules is not None
    flags_part = text.split("## Pathways")[0]
    rows = _rows(flags_part)
    assert list(rows) == rules.flag_ids
    dims = {d.id: d.label_in("en") for d in rules.dimensions}
    raw = {f["id"]: f for f in _raw_flags()}
    for flag_id, cells in rows.items():
        flag = raw[flag_id]
        indicator = flag.get("indicator") or {}
        assert cells[1] == f"`{flag['when']}`", flag_id
        assert cells[3] == dims.get(indicator.get("dimension"), ""), flag_id
        assert cells[4] == indicator.get("strength", ""), flag_id
        assert cells[5] == ("yes" if flag.get("duty_of_care") else ""), flag_id
        assert cells[6], flag_id  # a source for every flag


def test_every_pathway_is_in_the_table_in_order(screening: Questionnaire) -> None:
    text = DOC.read_text(encoding="utf-8")
    rules = screening.outcome
    assert rules is not None
    rows = _rows(text.split("## Pathways")[1].split("## Flow")[0])
    assert list(rows) == rules.pathway_ids
    for pathway_id, cells in rows.items():
        assert cells[2], pathway_id  # what raises it


def _raw_flags() -> list[dict[str, object]]:
    import yaml

    from tests.questionnaires.conftest import SCREENING

    return list(yaml.safe_load(SCREENING.read_text(encoding="utf-8"))["outcome"]["flags"])
