"""The dependency graph: an answer recomputes only what reads it, in order."""

from __future__ import annotations

from app.engine import Session
from app.engine.session import Session as SessionClass
from tests.app.engine.conftest import yaml_form

MANY = "\n".join(
    ["form_id: chain", "languages: {en: {name: English, status: reviewed}}", "survey:"]
    + [f"  - {{type: integer, name: q{i}, label: {{en: Q{i}}}}}" for i in range(50)]
    + [f"  - {{type: calculate, name: c{i}, calculation: '${{q{i}}} * 2'}}" for i in range(50)]
    + [
        "  - {type: calculate, name: total, calculation: '${c0} + ${c1}'}",
        "  - {type: text, name: shown, relevant: '${total} > 10', label: {en: S}}",
    ]
)


def test_an_answer_recomputes_only_its_dependents(monkeypatch) -> None:
    q = yaml_form(MANY)
    s = Session(q)
    seen: list[str] = []
    original = SessionClass._recompute

    def spy(self, g, idx, initial):
        seen.append(("rel:" if g % 2 == 0 else "val:") + self._items[g >> 1].name)
        return original(self, g, idx, initial)

    monkeypatch.setattr(SessionClass, "_recompute", spy)
    s.answer("q7", 3)
    assert seen == ["val:c7"]
    s.answer("q1", 2)
    seen.clear()
    s.answer("q0", 4)
    assert seen == ["val:c0", "val:total", "rel:shown", "val:shown"]
    assert s.values()["total"] == "12" and s.relevant("shown")
    seen.clear()
    s.answer("q0", 4)
    assert seen == []
    s.answer("q0", None)
    assert seen == ["val:c0", "val:total", "rel:shown", "val:shown"]
    assert "total" not in s.values() and not s.relevant("shown")


def test_unchanged_results_stop_the_recompute() -> None:
    q = yaml_form(MANY)
    s = Session(q)
    s.answer("q0", 1)
    calls = 0
    original = s._recompute

    def counting(g, idx, initial):
        nonlocal calls
        calls += 1
        return original(g, idx, initial)

    s._recompute = counting  # type: ignore[method-assign]
    s.answer("q0", "1")
    assert calls == 0
