"""The console's audit log exports (CSV, JSON) with its chain head, and ``waymark audit
verify --file`` checks an export as it checks a device's log; any tampering is found."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app.cli import main
from app.console.model import Console
from app.console.view import ConsoleView
from app.store import chain
from tests.app.console.agency import TRAFFICKING, Agency


@pytest.fixture
def audited(agency: Agency, console: Console) -> Console:
    rid = agency.upload("north", TRAFFICKING)
    console.pull()
    console.store.audit("view", console.actor, rid)
    console.follow(rid, "trafficking", "referred")
    return console


def _verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "verify", "--file", str(path)])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_exported_log_verifies_with_its_head(
    audited: Console, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"audit.{fmt}"
    n = audited.export_audit(fmt, out)
    assert n == len(audited.store.audit_entries()) - 1  # the export is audited after it
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    links, head = chain.read_export(out.read_bytes())
    assert head is not None and head[0] == n == len(links)
    assert [x.event for x in links][:2] == ["pull", "view"]
    code, said = _verify(out, capsys)
    assert code == 0 and "Audit log intact" in said and "NOT" not in said
    assert audited.store.audit_entries()[-1].event == "audit_export"


def test_a_tampered_json_export_is_found(
    audited: Console, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.json"
    audited.export_audit("json", out)
    doc = json.loads(out.read_text("utf-8"))
    changed = json.loads(json.dumps(doc))
    detail = json.loads(changed["entries"][1]["detail"])
    detail["actor"] = "Someone Else"
    changed["entries"][1]["detail"] = json.dumps(detail, sort_keys=True)
    bad = tmp_path / "changed.json"
    bad.write_text(json.dumps(changed), "utf-8")
    code, said = _verify(bad, capsys)
    assert code == 1 and "NOT intact" in said and "Entry 2" in said
    cut = json.loads(json.dumps(doc))
    cut["entries"] = cut["entries"][:-1]  # the newest entry removed
    bad.write_text(json.dumps(cut), "utf-8")
    code, said = _verify(bad, capsys)
    assert code == 1 and "newest entries were removed" in said
    swapped = json.loads(json.dumps(doc))
    swapped["entries"][0], swapped["entries"][1] = swapped["entries"][1], swapped["entries"][0]
    bad.write_text(json.dumps(swapped), "utf-8")
    assert _verify(bad, capsys)[0] == 1


def test_a_tampered_csv_export_is_found(
    audited: Console, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "audit.csv"
    audited.export_audit("csv", out)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    rows[2][3] = "export"  # an event renamed
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    code, said = _verify(bad, capsys)
    assert code == 1 and "changed after it was written" in said
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n", "utf-8")
    code, said = _verify(junk, capsys)
    assert code == 1 and "not an audit log exported by Waymark" in said


def test_a_hostile_actor_name_stays_text_and_still_verifies(
    agency: Agency, console: Console, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    console.store.audit("view", "=HYPERLINK(\"x\")", None)
    out = tmp_path / "audit.csv"
    console.export_audit("csv", out)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert all(not cell.startswith("=") for row in rows for cell in row)
    assert _verify(out, capsys)[0] == 0


def test_the_audit_screen_exports_and_says_where(audited: Console, tmp_path: Path) -> None:
    v = ConsoleView(audited, "en", export_dir=tmp_path / "exports")
    target = v.export_audit("json")
    assert target is not None and target.exists()
    assert v.notice is not None and v.notice.code == "audit_exported"
