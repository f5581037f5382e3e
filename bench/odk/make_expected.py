"""Regenerate the expected values of the differential tests with ODK's own engine.

For each case (the conformance household survey in its four languages, synthetic forms from
shared/anchors/gen_form.py, the feature form of tests/app/engine/feature_form.py), converts the
XLSForm to an XForm with pyxform, applies the answer
script with @getodk/xforms-engine (run_dump.mjs) and writes, under tests/data/engine/odk/, the
answer script and the relevance and value ODK gives every question. Needs Node 20 and
`npm install` in this folder; the test suite itself never runs Node.

    python bench/odk/make_expected.py            # the cases above
    python bench/odk/make_expected.py --public   # every public form both engines load
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = ROOT.parent / "shared"
OUT = ROOT / "tests" / "data" / "engine" / "odk"
SYNTHETIC_SIZES = (60, 200, 500)

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SHARED / "anchors"))


def xform(xlsx: Path) -> str:
    from pyxform.xls2xform import convert

    return str(convert(xlsform=str(xlsx)).xform)


def odk(xml_path: Path, answers_path: Path, lang: str | None) -> dict:
    cmd = ["node", str(HERE / "run_dump.mjs"), str(xml_path), str(answers_path)]
    if lang:
        cmd.append(lang)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE).stdout  # noqa: S603
    data = json.loads(out)
    if data["problems"]:
        raise SystemExit(f"ODK could not apply the script: {data['problems'][:5]}")
    return data


def household_script(seed: int = 1, members: int = 3) -> list[dict]:
    from app.engine import Session, load_questionnaire
    from tests.app.engine.filler import fill

    path = SHARED / "conformance" / "forms" / "household_survey_americas.xlsx"
    q = load_questionnaire(path.read_bytes(), path.name)
    s = Session(q, clock=lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), seed=1)
    return fill(s, seed=seed, overrides={"HH01": members, "Intro03": "1", "Intro04": "1"})


def write_case(
    name: str, xlsx: Path, script: list[dict], langs: list[str | None], tmp: Path
) -> None:
    xml = tmp / f"{name}.xml"
    xml.write_text(xform(xlsx), encoding="utf-8")
    answers = OUT / f"{name}.answers.json"
    answers.write_text(json.dumps(script, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    for lang in langs:
        data = odk(xml, answers, lang)
        expected = {
            "engine": data["engine"],
            "form": xlsx.name,
            "language": lang,
            "applied": data["applied"],
            "skipped": data["skipped"],
            "questions": {
                k: {"relevant": v["relevant"], "value": v["value"], "odk_type": v["type"]}
                for k, v in data["questions"].items()
            },
        }
        target = OUT / f"{name}.{lang or 'default'}.expected.json"
        target.write_text(
            json.dumps(expected, ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
        print(f"{target.relative_to(ROOT)}: {len(expected['questions'])} nodes")


PUBLIC = SHARED / "conformance" / "forms" / "public"
PUBLIC_OUT = OUT / "public"


def public_script(xlsx: Path) -> list[dict] | None:
    """The answer script a careful person would give (tests/app/engine/filler.py), or None
    when Waymark rejects the form."""
    from app.engine import QuestionnaireError, Session, load_questionnaire
    from tests.app.engine.filler import fill

    try:
        q = load_questionnaire(xlsx.read_bytes(), xlsx.name)
    except QuestionnaireError:
        return None
    s = Session(q, clock=lambda: dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC), seed=2)
    return fill(s, seed=2)


def public_cases(tmp: Path) -> None:
    """Every public form both engines load: the auto-generated script and ODK's results, under
    tests/data/engine/odk/public/ (a form pyxform or ODK refuses is listed in skipped.json)."""
    global OUT
    PUBLIC_OUT.mkdir(parents=True, exist_ok=True)
    skipped: dict[str, str] = {}
    saved, OUT = OUT, PUBLIC_OUT
    try:
        for path in sorted(PUBLIC.glob("*.xls*")):
            script = public_script(path)
            if script is None:
                skipped[path.name] = "Waymark rejects it (located problems)"
                continue
            data = path.read_bytes()
            copy = tmp / (path.stem + (".xls" if data.startswith(b"\xd0\xcf\x11\xe0") else ".xlsx"))
            copy.write_bytes(data)
            try:
                write_case(path.stem, copy, script, [None], tmp)
            except (SystemExit, Exception) as exc:  # pyxform and ODK refuse in many ways
                skipped[path.name] = f"pyxform or ODK refuses it: {str(exc)[:200]}"
    finally:
        OUT = saved
    (PUBLIC_OUT / "skipped.json").write_text(
        json.dumps(skipped, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def main() -> None:
    if "--public" in sys.argv:
        with tempfile.TemporaryDirectory() as t:
            public_cases(Path(t))
        return
    import gen_form  # type: ignore[import-not-found]

    from tests.app.engine.workbooks import synthetic_xlsx

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        hh = SHARED / "conformance" / "forms" / "household_survey_americas.xlsx"
        write_case(
            "household_survey_americas", hh, household_script(), ["en", "es", "fr", "ar"], tmp
        )
        write_case("household_survey_americas-b", hh, household_script(9, 5), ["en", "ar"], tmp)
        from tests.app.engine import feature_form

        features = tmp / "features.xlsx"
        features.write_bytes(feature_form.workbook_bytes())
        write_case("features", features, feature_form.SCRIPT, ["en", "fr"], tmp)
        edge = tmp / "edge.xlsx"
        edge.write_bytes(feature_form.edge_bytes())
        for case, script in feature_form.EDGE_SCRIPTS.items():
            write_case(case, edge, script, [None], tmp)
        for n in SYNTHETIC_SIZES:
            survey, choices, answers = gen_form.build(n)
            xlsx = tmp / f"synthetic_{n}.xlsx"
            xlsx.write_bytes(synthetic_xlsx(n, survey, choices))
            write_case(f"synthetic_{n}", xlsx, answers, ["en"], tmp)


if __name__ == "__main__":
    main()
