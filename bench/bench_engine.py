"""Waymark's questionnaire engine against ODK's own engine, in one process run.

On synthetic_500 (shared/anchors/gen_form.py) and the household_survey_americas conformance
form: load time (Waymark from the .xlsx itself and from its compiled cache; ODK from the
XForm pyxform makes of it, plus instantiation), total time to apply the answer script,
per-answer median and p99, and the ratios. ODK runs through bench/odk/run_answers.mjs
(needs `npm install` in bench/odk).

    python bench/bench_engine.py [--runs 3]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ODK = ROOT / "bench" / "odk"
DATA = ROOT / "tests" / "data" / "engine" / "odk"
sys.path.insert(0, str(ROOT))

from app.engine import Session, from_cache, load_questionnaire, to_cache  # noqa: E402


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
    blob = to_cache(data, xlsx.name)
    cached = []
    for _ in range(runs):
        t0 = time.perf_counter()
        Session(from_cache(blob))
        cached.append((time.perf_counter() - t0) * 1000)
    return {
        "load_ms": statistics.median(loads),
        "cached_load_ms": statistics.median(cached),
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
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
            for key in ("load_ms", "cached_load_ms", "total_answer_ms", "median_ms", "p99_ms"):
                base = o["load_ms"] if key == "cached_load_ms" else o[key]
                ratio = base / w[key] if w[key] else float("inf")
                print(f"{name:28} {key:16} {w[key]:10.3f} {base:10.3f} {ratio:11.1f}x")
            print(f"{name:28} {'(pyxform .xlsx->XForm, not in ODK load)':40} {convert_ms:8.1f} ms")
            print(f"{name:28} per-answer p99 under 2 ms: {'yes' if w['p99_ms'] < 2 else 'NO'}")


if __name__ == "__main__":
    main()
