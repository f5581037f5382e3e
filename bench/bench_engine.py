"""Waymark's questionnaire engine against ODK's own engine, in one process run.

On synthetic_500 (shared/anchors/gen_form.py) and the household_survey_americas conformance
form: load time (Waymark from the .xlsx itself; ODK from the XForm pyxform makes of it, plus
instantiation), total time to apply the answer script, per-answer median and p99, and the
ratios. ODK runs through bench/odk/run_answers.mjs (needs `npm install` in bench/odk).

Then over the whole public corpus (shared/conformance/forms/public): Waymark's load (every
check, from the workbook's bytes) beside pyxform's conversion of the same file to an XForm and
ODK's load of that XForm, per form and in total, with the ratios.

    python bench/bench_engine.py [--runs 3] [--corpus-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ODK = ROOT / "bench" / "odk"
DATA = ROOT / "tests" / "data" / "engine" / "odk"
sys.path.insert(0, str(ROOT))

from app.engine import (  # noqa: E402
    QuestionnaireError,
    Session,
    load_questionnaire,
)


def synthetic(n: int, tmp: Path) -> tuple[Path, Path]:
    subprocess.run(  # noqa: S603 - our own interpreter on the shared generator
        [sys.executable, str(SHARED / "anchors" / "gen_form.py"), str(n), str(tmp)],
        check=True,
    )
    return tmp / f"synthetic_{n}.xlsx", tmp / f"synthetic_{n}.answers.json"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


def waymark(xlsx: Path, script: list[dict], runs: int) -> dict[str, float]:
    data = xlsx.read_bytes()
    loads, totals, medians, p99s = [], [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        q = load_questionnaire(data, xlsx.name)
        s = Session(q, clock=lambda: dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
        t1 = time.perf_counter()
        per = []
        for entry in script:
            a = time.perf_counter()
            s.apply(entry["name"], entry["value"])
            per.append((time.perf_counter() - a) * 1000)
        loads.append((t1 - t0) * 1000)
        totals.append(sum(per))
        medians.append(pct(per, 0.5))
        p99s.append(pct(per, 0.99))
    return {
        "load_ms": statistics.median(loads),
        "total_answer_ms": statistics.median(totals),
        "median_ms": statistics.median(medians),
        "p99_ms": statistics.median(p99s),
    }


def odk(xlsx: Path, answers: Path, runs: int, tmp: Path) -> tuple[dict[str, float], float]:
    from pyxform.xls2xform import convert

    t0 = time.perf_counter()
    xml = str(convert(xlsform=str(xlsx)).xform)
    convert_ms = (time.perf_counter() - t0) * 1000
    xml_path = tmp / (xlsx.stem + ".xml")
    xml_path.write_text(xml, encoding="utf-8")
    out = subprocess.run(  # noqa: S603 - node on our own harness
        [  # noqa: S607 - node from PATH, as the anchors README runs it
            "node",
            str(ODK / "run_answers.mjs"),
            str(xml_path),
            str(answers),
            str(runs),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ODK,
    ).stdout
    rs = json.loads(out)["runs"]
    keys = ("load_ms", "total_answer_ms", "median_ms", "p99_ms")
    return {k: statistics.median(r[k] for r in rs) for k in keys}, convert_ms


def _median_ms(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _waymark_load(data: bytes, name: str) -> None:
    try:
        load_questionnaire(data, name)
    except QuestionnaireError:
        pass  # a located rejection is a complete check too


def _pyxform_convert(path: Path, tmp: Path) -> str | None:
    """The XForm pyxform makes of ``path`` (copied under its real format's extension, as
    pyxform goes by the name), or None when pyxform rejects it."""
    from pyxform.xls2xform import convert

    data = path.read_bytes()
    suffix = ".xls" if data.startswith(b"\xd0\xcf\x11\xe0") else ".xlsx"
    copy = tmp / (path.stem + suffix)
    copy.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return str(convert(xlsform=str(copy), validate=False).xform)
    except Exception:  # pyxform's own refusals are many exception types
        return None


def _odk_load_ms(xml: str, name: str, runs: int, tmp: Path) -> float | None:
    xml_path = tmp / f"{name}.xml"
    xml_path.write_text(xml, encoding="utf-8")
    empty = tmp / "empty.answers.json"
    empty.write_text("[]", encoding="utf-8")
    try:
        out = subprocess.run(  # noqa: S603 - node on our own harness
            ["node", str(ODK / "run_answers.mjs"), str(xml_path), str(empty), str(runs)],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
            cwd=ODK,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # no `npm install` in bench/odk, or ODK refuses the XForm
    return float(statistics.median(r["load_ms"] for r in json.loads(out)["runs"]))


def corpus(runs: int, tmp: Path) -> None:
    """Load time over the public corpus beside pyxform's conversion and ODK's load."""
    from pyxform.xls2xform import convert  # noqa: F401 - fail early when pyxform is missing

    folder = SHARED / "conformance" / "forms" / "public"
    print()
    print(
        f"{'public form':40} {'waymark ms':>10} {'pyxform ms':>10} {'odk ms':>10}"
        f" {'pyxform/waymark':>15} {'odk/waymark':>12}"
    )
    totals = [0.0, 0.0, 0.0]
    both = [0.0, 0.0]
    for path in sorted(folder.glob("*.xls*")):
        data = path.read_bytes()
        w = _median_ms(lambda d=data, n=path.name: _waymark_load(d, n), runs)
        xml = _pyxform_convert(path, tmp)
        p = _median_ms(lambda f=path: _pyxform_convert(f, tmp), runs) if xml is not None else None
        o = _odk_load_ms(xml, path.stem, runs, tmp) if xml is not None else None
        totals[0] += w
        if p is not None:
            totals[1] += p
            both[0] += w
        if o is not None:
            totals[2] += o
            both[1] += w
        cells = [f"{v:10.1f}" if v is not None else f"{'-':>10}" for v in (p, o)]
        ratios = [f"{v / w:14.1f}x" if v is not None else f"{'-':>15}" for v in (p,)]
        ratios += [f"{o / w:11.1f}x" if o is not None else f"{'-':>12}"]
        print(f"{path.name:40} {w:10.1f} {cells[0]} {cells[1]} {ratios[0]} {ratios[1]}")
    print(
        f"{'all forms (ratios over forms both read)':40} {totals[0]:10.1f} {totals[1]:10.1f}"
        f" {totals[2]:10.1f} {totals[1] / both[0] if both[0] else 0:14.1f}x"
        f" {totals[2] / both[1] if both[1] else 0:11.1f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--corpus-only", action="store_true")
    args = ap.parse_args()
    if args.corpus_only:
        with tempfile.TemporaryDirectory() as t:
            corpus(args.runs, Path(t))
        return
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        s500, s500_answers = synthetic(500, tmp)
        cases = [
            ("synthetic_500", s500, s500_answers),
            (
                "household_survey_americas",
                SHARED / "conformance" / "forms" / "household_survey_americas.xlsx",
                DATA / "household_survey_americas.answers.json",
            ),
        ]
        print(f"{'form':28} {'measure':16} {'waymark':>10} {'odk':>10} {'odk/waymark':>12}")
        for name, xlsx, answers in cases:
            script = json.loads(answers.read_text(encoding="utf-8"))
            w = waymark(xlsx, script, args.runs)
            o, convert_ms = odk(xlsx, answers, args.runs, tmp)
            for key in ("load_ms", "total_answer_ms", "median_ms", "p99_ms"):
                base = o[key]
                ratio = base / w[key] if w[key] else float("inf")
                print(f"{name:28} {key:16} {w[key]:10.3f} {base:10.3f} {ratio:11.1f}x")
            print(f"{name:28} {'(pyxform .xlsx->XForm, not in ODK load)':40} {convert_ms:8.1f} ms")
            print(f"{name:28} per-answer p99 under 2 ms: {'yes' if w['p99_ms'] < 2 else 'NO'}")
        corpus(args.runs, tmp)


if __name__ == "__main__":
    main()
