"""Fill a session to the end as a careful person would: a valid answer to every question
shown, satisfying its constraint, recording the answers as an answer script."""

from __future__ import annotations

import random
from typing import Any

from app.engine import Session
from app.engine.session import Prompt

TEXTS = ("05/2021", "Ana", "12/2019", "text", "1", "1234567890")
NUMBERS = (2, 1, 3, 0, 4, 5, 10, 20, 30, 40, 60)
DATES = ("1990-05-17", "2015-03-02", "2024-06-30", "1970-01-01", "2099-01-01")


def candidates(p: Prompt, rnd: random.Random) -> list[Any]:
    t = p.type
    names = [c.name for c in p.choices]
    if t == "select_one":
        rnd.shuffle(names)
        return names
    if t == "select_multiple":
        rnd.shuffle(names)
        return [[n] for n in names[:6]] + ([names[:2]] if len(names) > 1 else [])
    if t in ("integer", "decimal", "range"):
        return list(NUMBERS)
    if t == "date":
        return list(DATES)
    if t == "dateTime":
        return ["2024-06-30T10:00:00.000Z"]
    if t == "time":
        return ["10:00:00.000"]
    if t == "acknowledge":
        return ["OK"]
    if t == "text":
        return list(TEXTS)
    return []


def fill(
    session: Session, seed: int = 3, overrides: dict[str, Any] | None = None, max_steps: int = 5000
) -> list[dict[str, Any]]:
    """Answer and move on until the end; returns the answer script applied."""
    rnd = random.Random(seed)
    script: list[dict[str, Any]] = []
    overrides = overrides or {}
    for _ in range(max_steps):
        if session.at_end:
            return script
        screen = session.screen()
        if screen.kind == "repeat_offer":
            session.next()
            continue
        tried: set[tuple[str, tuple[int, ...]]] = set()
        while True:
            pending = [
                p
                for p in session.screen().prompts
                if (p.name, p.instance) not in tried
                and not p.read_only
                and p.type not in ("note", "unsupported")
                and (p.value in ("", None, []) or p.errors)
            ]
            if not pending:
                break
            p = pending[0]
            tried.add((p.name, p.instance))
            options = [overrides[p.name]] if p.name in overrides else candidates(p, rnd)
            for value in options:
                if not session.answer(p.name, value, p.instance):
                    script.append({"name": p.name, "value": value})
                    break
            else:
                session.answer(p.name, None, p.instance)
        errors = session.next()
        if errors:
            raise AssertionError(f"stuck at {[(e.name, e.code) for e in errors]}")
    raise AssertionError("did not reach the end")
