"""`waymark questionnaire run` prints the outcome (flags with their reasons, indicator counts,
ordered pathways) and every answer it could not apply with its coded error in words; `applied`
counts only the answers stored. Through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.cli import main

ROOT = Path(__file__).resolve().parents[3]
SCREENING = ROOT / "questionnaires" / "screening.yaml"
FORM = """
form_id: typed
version: "1"
default_language: en
languages: {en: {name: English, status: reviewed}, fr: {name: Français, status: draft}}
choices:
  yn: [{name: "yes", label: {en: "Yes", fr: "Oui"}}, {name: "no", label: {en: "No", fr: "Non"}}]
survey:
  - {type: integer, name: count, label: {en: Count, fr: Nombre}}
  - {type: date, name: when, label: {en: When, fr: Quand}}
  - {type: select_one yn, name: ok, label: {en: OK, fr: OK}}
"""


def run(tmp_path: Path, capsys: Any, form: Path, script: list[dict[str, Any]], *extra: str) -> Any:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(script), encoding="utf-8")
    assert main(["questionnaire", "run", str(form), "--answers", str(answers), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_invalid_values_are_listed_with_their_error_and_not_counted(
    tmp_path: Path, capsys: Any
) -> None:
    form = tmp_path / "typed.yaml"
    form.write_text(FORM, encoding="utf-8")
    out = run(
        tmp_path,
        capsys,
        form,
        [
            {"name": "count", "value": 2.5},
            {"name": "when", "value": "2024-02-30"},
            {"name": "ok", "value": "maybe"},
            {"name": "nobody", "value": "x"},
            {"name": "ok", "value": "yes"},
        ],
    )
    assert out["applied"] == 1  # only "ok" = yes was stored
    assert out["questions"]["count"]["value"] == "" and out["questions"]["when"]["value"] == ""
    codes = [(e["name"], e["code"]) for e in out["not_applied"]]
    assert codes == [
        ("count", "invalid_integer"),
        ("when", "invalid_date"),
        ("ok", "unknown_choice"),
        ("nobody", "unknown_question"),
    ]
    assert out["not_applied"][1]["message"] == (
        '"2024-02-30" is not a date that exists (write YYYY-MM-DD).'
    )
    assert out["unknown"] == ["nobody"]


def test_the_errors_are_in_the_persons_language(tmp_path: Path, capsys: Any) -> None:
    form = tmp_path / "typed.yaml"
    form.write_text(FORM, encoding="utf-8")
    out = run(tmp_path, capsys, form, [{"name": "count", "value": "deux"}], "--language", "fr")
    (error,) = out["not_applied"]
    assert error["code"] == "invalid_integer"
    assert error["message"] != '"deux" is not a whole number.' and "deux" in error["message"]


def test_the_outcome_is_printed_with_reasons_counts_and_ordered_pathways(
    tmp_path: Path, capsys: Any
) -> None:
    script = [
        {"name": k, "value": v}
        for k, v in (
            ("interview_language", "en"),
            ("companion_refuses", "no"),
            ("consent_screening", "yes"),
            ("consent_store", "yes"),
            ("consent_withdrawn", "no"),
            ("age_band", "age_18_59"),
            ("return_fear", ["war_violence"]),
            ("health_distress", "yes"),
            ("money_gate", "continue"),
            ("held_until_paid", "yes"),
            ("consent_ref_trafficking", "yes"),
        )
    ]
    out = run(tmp_path, capsys, SCREENING, script)
    outcome = out["outcome"]
    flags = {f["id"]: f for f in outcome["flags"]}
    assert flags["held_for_ransom"]["because"] == ["money/held_until_paid"]
    assert (flags["held_for_ransom"]["dimension"], flags["held_for_ransom"]["strength"]) == (
        "coercive_recruitment",
        "strong",
    )
    assert flags["held_for_ransom"]["label"] == "Held until someone paid (ransom)"
    assert outcome["indicators"]["coercive_recruitment"]["strong"] == 1
    assert outcome["indicators"]["coercive_recruitment"]["label"] == "Coercive recruitment"
    assert [p["id"] for p in outcome["pathways"]] == [
        "medical",
        "mhpss",
        "trafficking",
        "international_protection",
        "legal_aid",
    ]
    legal = next(p for p in outcome["pathways"] if p["id"] == "legal_aid")
    assert legal["because"] == ["held_for_ransom"]
    assert out["applied"] == len(script) and out["not_applied"] == []
