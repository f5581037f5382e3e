"""Answers: a value given is checked against its type and choices (and refused, stored never,
when it has the wrong form), its checks worded from the questionnaire, ``${name}`` in texts
filled in, and what a prompt offers after choice_filter."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from app.engine._graph import _Graph
from app.engine._session_base import _META, ChoiceView, FieldError, Instance, SessionError
from app.engine.expressions import (
    Expr,
    NodeSet,
    format_datetime,
    format_number,
    parse_date,
    to_bool,
    to_num,
    to_str,
)
from app.engine.model import INPUT_TYPES, TEXT_REFERENCE, Item, pick


class _Values(_Graph):
    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, code: str) -> None:
        """Switch the display language; answers never change (choice-name calculations are
        recomputed, as they read labels)."""
        self._language = code
        if any(
            "jr:choice-name" in (it.calculation.functions if it.calculation else ())
            for it in self._items
        ):
            self._recompute_all()

    def _canonical(self, item: Item, value: Any) -> tuple[str | None, str]:
        """(raw string, error code) for ``value`` given to ``item``; None when refused."""
        if value is None or value == "" or value == []:
            return "", ""
        t = item.type
        if t in ("note", "calculate", "unsupported", "hidden", "group", "repeat") or t in _META:
            return None, "read_only"
        try:
            if t in ("select_one", "select_multiple"):
                return self._canonical_choice(item, value)
            return _canonical_scalar(t, value)
        except (ValueError, TypeError):
            return None, f"invalid_{t.lower()}"

    def _canonical_choice(self, item: Item, value: Any) -> tuple[str | None, str]:
        if item.type == "select_one":
            v = str(value).strip()
            return (v, "") if self._choice_exists(item, v) else (None, "unknown_choice")
        vals = value.split() if isinstance(value, str) else [str(v) for v in value]
        seen: list[str] = []
        for v in vals:
            if not self._choice_exists(item, v):
                return None, "unknown_choice"
            if v not in seen:
                seen.append(v)
        return " ".join(seen), ""

    def _choice_exists(self, item: Item, v: str) -> bool:
        if item.or_other and v == "other":
            return True
        return any(c.name == v for c in self.questionnaire.choices.get(item.choice_list, ()))

    def _set(self, item: Item, idx: Instance, value: Any) -> list[FieldError]:
        name = item.name
        raw, error = self._canonical(item, value)
        if raw and item.choice_filter is not None and not error:
            shown = {c.name for c in self.choices(item, idx)}
            given = raw.split() if item.type == "select_multiple" else [raw]
            if any(v not in shown for v in given):
                raw, error = None, "unknown_choice"
        if raw is None:
            return [FieldError(error, name, idx, params={"type": item.type})]
        key = (item.order, idx)
        if self._values.get(key) != raw:
            self._values[key] = raw
            self._propagate([(2 * item.order + 1, idx)])
        return self._check(item, idx, include_required=raw == "")

    def value(self, name: str) -> Any:
        """The typed value of ``name`` as an expression at the top level reads it: empty
        string when unanswered or not relevant; a list across repeat instances."""
        item = self._by_name.get(name)
        if item is None:
            raise SessionError("unknown_question", name=name)
        raw = self._read(name, self.questionnaire.root, ())
        if isinstance(raw, NodeSet):
            return [self._typed(item, v) for v in raw]
        return self._typed(item, raw)

    def path_of(self, name: str) -> str:
        item = self._by_name[name]
        return item.path

    def _typed(self, item: Item, raw: str) -> Any:
        if raw == "":
            return ""
        t = item.type
        if t == "integer":
            try:
                return int(raw)
            except ValueError:
                return raw
        if t in ("decimal", "range"):
            try:
                return float(raw)
            except ValueError:
                return raw
        if t == "select_multiple":
            return raw.split()
        return raw

    def evaluate(
        self, expr: Expr | str, functions: Mapping[str, Callable[..., Any]] | None = None
    ) -> Any:
        """Evaluate ``expr`` at the top level of this session (outcome rules use this)."""
        if isinstance(expr, str):
            from app.engine.expressions import parse

            expr = parse(expr, frozenset(functions or ()))
        ctx = self._ctx
        saved = (ctx.item, ctx.idx, ctx.choice, ctx.functions)
        ctx.item, ctx.idx, ctx.choice, ctx.functions = self.questionnaire.root, (), None, functions
        try:
            return expr.evaluate(ctx)
        finally:
            ctx.item, ctx.idx, ctx.choice, ctx.functions = saved

    def outcome(self) -> Any:
        from app.engine.outcome import Outcome

        rules = self.questionnaire.outcome
        if rules is None:
            return Outcome.empty()
        return rules.evaluate(self)

    def _is_required(self, item: Item, idx: Instance) -> bool:
        if item.type in ("note", "unsupported"):
            return False
        if item.required:
            return True
        if item.required_expr is not None:
            return to_bool(self._eval(item.required_expr, item, idx))
        return False

    def _check(self, item: Item, idx: Instance, include_required: bool = True) -> list[FieldError]:
        key = (item.order, idx)
        if not self._rel.get(key, True) or item.type not in INPUT_TYPES:
            return []
        raw = self._values.get(key) or ""
        lang, dflt = self._language, self.questionnaire.default_language
        if raw == "":
            if (
                include_required
                and item.type not in ("note", "unsupported")
                and self._is_required(item, idx)
            ):
                # no required_message: the message is left empty and the interface words the
                # code ``required`` in the person's language
                message = self._fill(pick(item.required_message, lang, dflt), item, idx)
                return [FieldError("required", item.name, idx, message)]
            return []
        if item.type == "range" and item.parameters:
            n = to_num(raw)
            lo = to_num(item.parameters.get("start", ""))
            hi = to_num(item.parameters.get("end", ""))
            if (lo == lo and n < min(lo, hi if hi == hi else lo)) or (
                hi == hi and n > max(hi, lo if lo == lo else hi)
            ):
                return [FieldError("out_of_range", item.name, idx, "", {"start": lo, "end": hi})]
        if item.constraint is not None and not to_bool(self._eval(item.constraint, item, idx)):
            message = self._fill(pick(item.constraint_message, lang, dflt), item, idx)
            return [FieldError("constraint", item.name, idx, message)]
        return []

    def _fill(self, text: str, item: Item, idx: Instance) -> str:
        """``text`` with each ``${name}`` replaced by that answer as ``item`` reads it now."""
        if "${" not in text:
            return text

        def value(m: re.Match[str]) -> str:
            return to_str(self._read(m[1].strip(), item, idx))

        return TEXT_REFERENCE.sub(value, text)

    def open_errors(self) -> list[FieldError]:
        """Every required or constraint check still open on a relevant question."""
        out: list[FieldError] = []
        for it in self._items:
            if it.type in INPUT_TYPES:
                for idx in self._instances(it):
                    out.extend(self._check(it, idx))
        return out

    def choices(self, item: Item, idx: Instance) -> tuple[ChoiceView, ...]:
        lst = self.questionnaire.choices.get(item.choice_list, ())
        out: list[ChoiceView] = []
        dflt = self.questionnaire.default_language

        def fill(text: str) -> str:
            return self._fill(text, item, idx)

        for c in lst:
            if item.choice_filter is not None and not to_bool(
                self._eval(item.choice_filter, item, idx, c)
            ):
                continue
            out.append(ChoiceView(c.name, c.label, dflt, self._language, fill))
        if item.or_other:
            out.append(ChoiceView("other", {"": "Other"}, dflt, self._language))
        return tuple(out)


def _canonical_scalar(t: str, value: Any) -> tuple[str | None, str]:
    """(raw string, error code) for a number, date, time or text; raises ValueError or
    TypeError on a value of the wrong form."""
    if t == "integer":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            return None, "invalid_integer"
        return (str(int(value)) if isinstance(value, float) else str(int(str(value).strip()))), ""
    if t in ("decimal", "range"):
        if isinstance(value, bool):
            return None, "invalid_number"
        n = float(str(value).strip())
        if n != n or abs(n) == float("inf"):
            return None, "invalid_number"
        return format_number(n), ""
    if t == "date":
        if isinstance(value, _dt.date):
            day = value.date() if isinstance(value, _dt.datetime) else value
            return day.isoformat(), ""
        d = parse_date(str(value))
        if d is None:
            return None, "invalid_date"
        return (d.date() if isinstance(d, _dt.datetime) else d).isoformat(), ""
    if t == "dateTime":
        if isinstance(value, _dt.datetime):
            return format_datetime(value), ""
        d = parse_date(str(value))
        if not isinstance(d, _dt.datetime):
            return None, "invalid_datetime"
        text = format_datetime(d)
        if str(value).strip().endswith("Z"):  # kept as given, as ODK keeps it
            text = text.replace("+00:00", "Z")
        return text, ""
    if t == "time":
        if isinstance(value, _dt.time):
            return value.isoformat(timespec="milliseconds"), ""
        return _dt.time.fromisoformat(str(value).strip()).isoformat(timespec="milliseconds"), ""
    if t == "acknowledge":
        return ("OK", "") if value in (True, "OK", "ok", "yes", "1", 1) else ("", "")
    return str(value), ""
