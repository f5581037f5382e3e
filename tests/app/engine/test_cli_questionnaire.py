"""`waymark questionnaire check` and `run` (app/cli/questionnaire.py), through the real CLI
entry point. Kept beside the engine tests, whose owner writes that command."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import main
from tests.app.engine.workbooks import xlsx

ROOT = Path(__file__).resolve().parents[3]
SKELETON = ROOT / "questionnaires" / "skeleton.yaml"


def test_check_passes_a_good_questionnaire(capsys) -> None:
    assert main(["questionnaire", "check", str(SKELETON)]) == 0
    out = capsys.readouterr().out
    assert "skeleton.yaml" in out and "en, fr, ar" in out


def test_check_lists_every_problem_and_fails(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx(
            [
                ("type", "name", "label", "relevant"),
                ("text", "a", "A", "${missing} = 1"),
                ("text", "a", "A again", ""),
                ("select_one nolist", "b", "B", ""),
            ]
        )
    )
    assert main(["questionnaire", "check", str(SKELETON), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.xlsx, sheet survey, row 2, column relevant: error: ${missing} does not name" in out
    assert 'row 3, column name: error: The name "a" is used twice' in out
    assert 'The choice list "nolist" used by "b" does not exist.' in out
    assert "rejected, 3 error(s)" in out


def test_check_master_form_names_its_duplicate(shared_dir: Path, capsys) -> None:
    path = shared_dir / "conformance" / "forms" / "XlsForm_master.xlsx"
    assert main(["questionnaire", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        'XlsForm_master.xlsx, sheet survey, row 29, column name: error: The name "warning"' in out
    )


def test_check_missing_file(capsys) -> None:
    assert main(["questionnaire", "check", "/nonexistent/x.yaml"]) == 1


def test_run_prints_relevance_values_and_open_errors(tmp_path: Path, capsys) -> None:
    script = tmp_path / "answers.json"
    script.write_text(
        json.dumps(
            [
                {"name": "travelling_alone", "value": "no"},
                {"name": "companions", "value": 99},
            ]
        )
    )
    assert (
        main(["questionnaire", "run", str(SKELETON), "--answers", str(script), "--language", "fr"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["language"] == "fr" and out["applied"] == 2
    assert out["questions"]["companions"] == {"relevant": True, "value": "99"}
    assert out["questions"]["case_code"] == {"relevant": True, "value": ""}
    codes = {(e["name"], e["code"]) for e in out["errors"]}
    assert codes == {("case_code", "required"), ("companions", "constraint")}
    msg = next(e["message"] for e in out["errors"] if e["code"] == "constraint")
    assert msg == "Saisissez un nombre entre 1 et 50."


def test_run_skips_answers_to_questions_not_relevant(tmp_path: Path, capsys) -> None:
    script = tmp_path / "answers.json"
    script.write_text(
        json.dumps(
            [
                {"name": "travelling_alone", "value": "yes"},
                {"name": "companions", "value": 3},
            ]
        )
    )
    assert main(["questionnaire", "run", str(SKELETON), "--answers", str(script)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skipped"] == 1
    assert out["questions"]["companions"] == {"relevant": False, "value": ""}


def test_run_rejects_a_bad_script_and_language(tmp_path: Path, capsys) -> None:
    script = tmp_path / "answers.json"
    script.write_text('{"not": "a list"}')
    assert main(["questionnaire", "run", str(SKELETON), "--answers", str(script)]) == 2
    script.write_text("[]")
    assert (
        main(["questionnaire", "run", str(SKELETON), "--answers", str(script), "--language", "de"])
        == 2
    )


def test_check_reads_public_forms_in_french_with_no_reader_noise(shared_dir: Path, capfd) -> None:
    public = shared_dir / "conformance" / "forms" / "public"
    forms = [
        str(public / "pxbug_UCL_Biomass_Plot_Form.xlsx"),  # a million declared rows
        str(public / "wf_ifrc_distribution_site.xlsx"),  # an old .xls under an .xlsx name
        str(public / "wf_whova_form.xlsx"),  # bare names
    ]
    assert main(["--language", "fr", "questionnaire", "check", *forms]) == 0
    out, err = capfd.readouterr()
    assert "UserWarning" not in out + err and "openpyxl" not in out + err
    assert "wf_whova_form.xlsx, feuille survey, ligne 258, colonne calculation" in out
    assert "« null » est un nom seul" in out


def test_check_and_run_read_the_csv_beside_the_form(tmp_path: Path, capsys) -> None:
    form = tmp_path / "fruit.xlsx"
    form.write_bytes(
        xlsx(
            [
                ("type", "name", "label", "calculation"),
                ("text", "fruit", "Fruit", ""),
                ("calculate", "colour", "", "pulldata('fruits', 'colour', 'name', ${fruit})"),
            ]
        )
    )
    assert main(["questionnaire", "check", str(form)]) == 0
    assert 'reads "fruits.csv", which is not attached' in capsys.readouterr().out
    (tmp_path / "fruits.csv").write_text("name,colour\nmango,orange\n", encoding="utf-8")
    assert main(["questionnaire", "check", str(form)]) == 0
    assert "fruits.csv" not in capsys.readouterr().out
    script = tmp_path / "answers.json"
    script.write_text(json.dumps([{"name": "fruit", "value": "mango"}]), encoding="utf-8")
    assert main(["questionnaire", "run", str(form), "--answers", str(script)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"]["colour"]["value"] == "orange"
