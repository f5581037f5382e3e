"""One person being screened: answers, relevance, calculations, navigation, checks.

State is three maps keyed by ``(item order, instance)`` where ``instance`` is the tuple of
0-based repeat positions enclosing the item: raw string values (as ODK keeps them), effective
relevance, and repeat counts. An answer marks its value changed; the dependency graph built at
load (see :class:`app.engine.model.Dependencies`) then recomputes, in dependency order, only the
relevance, calculations and counts that read something that actually changed.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import random as _random
import re
import uuid as _uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.errors import ExpressionError
from app.engine.expressions import (
    Expr,
    NodeSet,
    format_datetime,
    format_number,
    parse_date,
    to_bool,
    to_date,
    to_num,
    to_str,
)
from app.engine.model import (
    INPUT_TYPES,
    META_TYPES,
    TEXT_REFERENCE,
    Choice,
    Item,
    Questionnaire,
    pick,
)

Instance = tuple[int, ...]
Key = tuple[int, Instance]

#: the most repeat instances a ``repeat_count`` may create (a guard against a typo of 10000)
MAX_REPEAT_COUNT = 500
DATA_FORMAT = 1


class SessionError(Exception):
    """A session was asked for something it cannot do; ``code`` names the reason."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


@dataclass(frozen=True)
class FieldError:
    """An open check on one prompt: ``code`` is ``required``, ``constraint`` or ``invalid``;
    ``message`` is the questionnaire's own text in the current language, when it has one."""

    code: str
    name: str
    instance: Instance = ()
    message: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceView:
    name: str
    labels: Mapping[str, str]
    default_language: str
    language: str

    def label(self, lang: str | None = None) -> str:
        return pick(self.labels, lang or self.language, self.default_language) or self.name


@dataclass(frozen=True)
class Prompt:
    """One question as shown: texts resolve in the session's language unless one is given."""

    item: Item = field(repr=False)
    instance: Instance
    language: str
    default_language: str
    value: Any
    required: bool
    choices: tuple[ChoiceView, ...]
    errors: tuple[FieldError, ...]
    #: fills ``${name}`` in a text with the answers as they are when the text is read
    fill: Callable[[str], str] = field(default=str, repr=False, compare=False)

    @property
    def unsupported(self) -> bool:
        """A part Waymark does not run (a photo, a location, a signature...): shown as a note
        saying it is not available, never answered."""
        return self.item.type == "unsupported"

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def path(self) -> str:
        return _path(self.item, self.instance)

    @property
    def type(self) -> str:
        return self.item.type

    @property
    def read_only(self) -> bool:
        return self.item.read_only or (
            self.item.calculation is not None and self.item.type in INPUT_TYPES
        )

    @property
    def appearance(self) -> str:
        return self.item.appearance

    @property
    def source_type(self) -> str:
        return self.item.source_type

    def label(self, lang: str | None = None) -> str:
        return self.fill(self.item.label_in(lang or self.language, self.default_language))

    def hint(self, lang: str | None = None) -> str:
        return self.fill(self.item.hint_in(lang or self.language, self.default_language))


@dataclass(frozen=True)
class Screen:
    """What is shown now: one prompt, or every prompt of a field-list group. ``kind`` is
    ``questions``, ``repeat_offer`` (may another instance of ``repeat`` be added?) or ``end``."""

    kind: str
    prompts: tuple[Prompt, ...] = ()
    section: str = ""
    repeat: str = ""
    instance: Instance = ()


def _path(item: Item, instance: Instance) -> str:
    parts: list[str] = []
    node: Item | None = item
    chain: list[Item] = []
    while node is not None and node.name:
        chain.append(node)
        node = node.parent
    chain.reverse()
    k = 0
    for it in chain:
        if it.type == "repeat" and k < len(instance):
            parts.append(f"{it.name}[{instance[k] + 1}]")
            k += 1
        else:
            parts.append(it.name)
    return "/".join(parts)


def _common(a: tuple[Item, ...], b: tuple[Item, ...]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x is not y:
            break
        n += 1
    return n


class _Context:
    """The view of the session an expression evaluates in (one item, one instance)."""

    __slots__ = ("choice", "functions", "idx", "item", "s")

    def __init__(self, session: Session) -> None:
        self.s = session
        self.item: Item = session.questionnaire.root
        self.idx: Instance = ()
        self.choice: Choice | None = None
        self.functions: Mapping[str, Callable[..., Any]] | None = None

    def ref(self, name: str) -> Any:
        return self.s._read(name, self.item, self.idx)

    def current(self) -> str:
        return self.s._values.get((self.item.order, self.idx)) or ""

    def position(self) -> int:
        return self.idx[-1] + 1 if self.idx else 1

    def column(self, name: str) -> Any:
        if self.choice is not None:
            if name == "name":
                return self.choice.name
            return self.choice.columns.get(name, "")
        if name in self.s.questionnaire.by_name:
            return self.ref(name)
        return ""

    def indexed(self, name: str, repeat: str, positions: list[int]) -> str:
        return self.s._indexed(name, positions, self.idx)

    def choice_label(self, name: str, value: str) -> str:
        item = self.s.questionnaire.by_name.get(name)
        if item is None or not item.choice_list:
            return ""
        return self.s.questionnaire.choice_label(item.choice_list, value, self.s.language)

    def today(self) -> _dt.date:
        return self.s._now().date()

    def now(self) -> _dt.datetime:
        return self.s._now()

    def uuid(self) -> str:
        return self.s._new_id()

    def random(self) -> float:
        return self.s._rng.random()

    def call(self, name: str, args: list[Any]) -> Any:
        fn = (self.functions or {}).get(name)
        if fn is None:
            raise ExpressionError("unknown_function", 0, function=name)
        return fn(*args)

    def lookup(self, list_name: str, holds: Callable[[Any], bool], field: str) -> Any:
        """``instance('list')/root/item[...]/field`` over the questionnaire's choice lists."""
        q = self.s.questionnaire
        saved = self.choice
        names = NodeSet()
        try:
            for c in q.choices.get(list_name, ()):
                self.choice = c
                if not holds(self):
                    continue
                if not field:
                    names.append(c.name)
                elif field in ("label", "itextId"):
                    return pick(c.label, self.s.language, q.default_language)
                elif field == "name":
                    return c.name
                else:
                    return c.columns.get(field, "")
        finally:
            self.choice = saved
        return names if not field else ""

    def pulldata(self, file: str, column: str, key_column: str, key: str) -> str:
        """The ``column`` of the first row of ``file``.csv whose ``key_column`` is ``key``."""
        for row in self.s.questionnaire.data_files.get(file, ()):
            if row.get(key_column) == key:
                return row.get(column) or ""
        return ""


class Session:
    """A questionnaire being filled in. Clock, ids, device id and chance are injectable."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        language: str | None = None,
        worker_language: str | None = None,
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        device_id: str = "",
        username: str = "",
        seed: int | None = None,
        _restoring: bool = False,
    ) -> None:
        q = questionnaire
        self.questionnaire = q
        self._language = language or q.default_language or (q.languages[0] if q.languages else "")
        self.worker_language = worker_language or self._language
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        self._id_factory = new_id or (lambda: str(_uuid.uuid4()))
        self.device_id = device_id
        self.username = username
        self._rng = _random.Random(seed)
        self._values: dict[Key, str] = {}
        self._rel: dict[Key, bool] = {}
        self._counts: dict[Key, int] = {}
        self._ctx = _Context(self)
        self._positions: list[tuple[str, Item, Instance]] | None = None
        self._slots: list[tuple[int, Item, Instance]] | None = None
        self._slot_index: dict[str, list[int]] = {}
        self._pos = 0
        self._cursor = -1
        self._deps = q.dependencies
        self._rank = q.dependencies.rank
        self._dependents = q.dependencies.dependents
        self._items = q.items
        self._by_name = q.by_name
        self._inside = {
            it.order: [d.order for d in it.walk() if d is not it]
            for it in q.items
            if it.type == "repeat"
        }
        self._resized: list[tuple[Item, Instance, int, int]] = []
        if not _restoring:
            self._start_meta()
            self._recompute_all()
            self._skip_forward()

    # -- clock and ids ------------------------------------------------------------------------

    def _now(self) -> _dt.datetime:
        return self._clock()

    def _new_id(self) -> str:
        return self._id_factory()

    def _start_meta(self) -> None:
        now = self._now()
        for it in self._items:
            key = (it.order, ())
            if it.type == "start":
                self._values[key] = format_datetime(now)
            elif it.type == "today":
                self._values[key] = now.date().isoformat()
            elif it.type == "deviceid":
                self._values[key] = self.device_id
            elif it.type == "username":
                self._values[key] = self.username
            elif it.type == "instanceID":
                self._values[key] = "uuid:" + self._new_id()

    def finish(self) -> None:
        """Record the end time (the ``end`` metadata), as ODK does on finalising."""
        now = format_datetime(self._now())
        seeds = []
        for it in self._items:
            if it.type == "end":
                self._values[(it.order, ())] = now
                seeds.append((2 * it.order + 1, ()))
        self._propagate(seeds)

    # -- reading values -----------------------------------------------------------------------

    def _instances(self, item: Item, prefix: Instance = ()) -> list[Instance]:
        """Every instance of ``item`` (of a repeat: every outer instance) under ``prefix``."""
        res = [prefix]
        counts = self._counts
        for rep in item.repeats[len(prefix) :]:
            nxt: list[Instance] = []
            o = rep.order
            for p in res:
                n = counts.get((o, p), 0)
                nxt.extend([(*p, i) for i in range(n)])
            res = nxt
        return res

    def _observed(self, key: Key) -> str:
        if not self._rel.get(key, True):
            return ""
        return self._values.get(key) or ""

    def _read(self, name: str, ctx_item: Item, ctx_idx: Instance) -> Any:
        x = self._by_name.get(name)
        if x is None:
            return ""
        d = len(x.repeats)
        if x.type == "repeat":
            outer = ctx_idx[:d] if _common(x.repeats, ctx_item.repeats) >= d else None
            if outer is None:
                return NodeSet()
            n = self._counts.get((x.order, outer), 0)
            return NodeSet([""] * n)
        if d == 0:
            key = (x.order, ())
            if not self._rel.get(key, True):
                return ""
            return self._values.get(key) or ""
        k = _common(x.repeats, ctx_item.repeats)
        if k >= d and len(ctx_idx) >= d:
            return self._observed((x.order, ctx_idx[:d]))
        o = x.order
        return NodeSet([self._observed((o, i)) for i in self._instances(x, ctx_idx[:k])])

    def _indexed(self, name: str, positions: list[int], ctx_idx: Instance) -> str:
        x = self._by_name.get(name)
        if x is None:
            return ""
        d = len(x.repeats)
        if not positions or d == 0:
            return self._observed((x.order, ())) if d == 0 else ""
        idx = tuple(p - 1 for p in positions)
        if len(idx) < d:
            idx = (*ctx_idx[: d - len(idx)], *idx) if len(ctx_idx) >= d - len(idx) else idx
        idx = idx[:d]
        if len(idx) != d or any(i < 0 for i in idx):
            return ""
        return self._observed((x.order, idx))

    def _eval(self, expr: Expr, item: Item, idx: Instance, choice: Choice | None = None) -> Any:
        ctx = self._ctx
        saved = (ctx.item, ctx.idx, ctx.choice)
        ctx.item, ctx.idx, ctx.choice = item, idx, choice
        try:
            return expr.evaluate(ctx)
        except (ExpressionError, RecursionError):
            return ""
        finally:
            ctx.item, ctx.idx, ctx.choice = saved

    # -- recomputation ------------------------------------------------------------------------

    def _recompute(self, g: int, idx: Instance, initial: bool) -> bool:
        """Recompute one graph item (relevance or value of one instance); True if it changed
        as others see it."""
        item = self._items[g >> 1]
        key = (item.order, idx)
        if not g & 1:
            parent = item.parent
            if parent is None:
                new = True
            else:
                new = self._rel.get((parent.order, idx[: len(parent.repeats)]), True)
                if new and item.relevant is not None:
                    new = to_bool(self._eval(item.relevant, item, idx))
            old = self._rel.get(key, True)
            self._rel[key] = new
            return new != old
        if item.type == "repeat":
            if item.repeat_count is not None:
                n = to_num(self._eval(item.repeat_count, item, idx))
                count = int(n) if n == n and abs(n) != float("inf") else 0
                count = max(0, min(MAX_REPEAT_COUNT, count))
            else:
                count = self._counts.get(key, 1)
            old_count = self._counts.get(key)
            self._counts[key] = count
            if old_count != count:
                self._structure_changed = True
                self._resized.append((item, idx, old_count or 0, count))
                return True
            return False
        old_raw = self._values.get(key)
        calc = item.calculation
        if calc is not None and (item.trigger is None or not initial):
            result = self._eval(calc, item, idx)
            new_raw = self._store_form(item, result)
            self._values[key] = new_raw
            return new_raw != (old_raw or "") or key in self._rel_changed or initial
        if old_raw is None and item.default and item.type in INPUT_TYPES:
            self._values[key] = item.default
            return True
        return bool(old_raw) or initial

    def _store_form(self, item: Item, result: Any) -> str:
        t = item.type
        if t == "integer":
            n = to_num(result)
            return format_number(float(int(n))) if n == n and abs(n) != float("inf") else ""
        if t in ("decimal", "range"):
            n = to_num(result)
            return format_number(n) if n == n and abs(n) != float("inf") else ""
        if t == "date":
            d = to_date(result)
            if d is None:
                return ""
            return d.date().isoformat() if isinstance(d, _dt.datetime) else d.isoformat()
        if type(result) is float and result != result:
            return ""
        return to_str(result)

    _structure_changed = False
    _rel_changed: set[Key] = frozenset()  # type: ignore[assignment]

    def _recompute_all(self) -> None:
        self._structure_changed = False
        items = self._items
        for g in self._deps.order:
            item = items[g >> 1]
            for idx in self._instances(item):
                self._recompute(g, idx, True)
        self._resized = []
        self._prune_stale()
        self._positions = None
        self._slots = None

    def _prune_stale(self) -> None:
        """Forget relevance of instances that no longer exist (values are kept, as ODK keeps
        a removed repeat instance's answers out of the result)."""
        live: set[Key] = set()
        for it in self._items:
            for idx in self._instances(it):
                live.add((it.order, idx))
        for key in [k for k in self._rel if k not in live]:
            del self._rel[key]

    def _targets(self, d_item: Item, s_item: Item, idx: Instance) -> list[Instance]:
        k = _common(s_item.repeats, d_item.repeats)
        if s_item.type == "repeat" and s_item in d_item.repeats:
            k = min(k, len(s_item.repeats))
        prefix = idx[:k]
        if len(d_item.repeats) == len(prefix):
            return [prefix]
        return self._instances(d_item, prefix)

    def _propagate(self, seeds: Iterable[tuple[int, Instance]]) -> None:
        """Recompute, in dependency order, what depends on the changed ``seeds``."""
        rank = self._rank
        dependents = self._dependents
        items = self._items
        heap: list[tuple[int, Instance, int]] = []
        queued: set[tuple[int, Instance]] = set()

        def push_dependents(g: int, idx: Instance) -> None:
            src = items[g >> 1]
            for d in dependents.get(g, ()):
                d_item = items[d >> 1]
                for j in self._targets(d_item, src, idx):
                    k = (d, j)
                    if k not in queued:
                        queued.add(k)
                        heapq.heappush(heap, (rank[d], j, d))

        for g, idx in seeds:
            push_dependents(g, idx)
        self._structure_changed = False
        resized: list[tuple[Item, Instance, int, int]] = []
        self._resized = resized
        fresh: set[tuple[int, Instance]] = set()
        self._rel_changed = rel_changed = set()
        while heap:
            _, idx, g = heapq.heappop(heap)
            changed = self._recompute(g, idx, False)
            if resized:
                for rep, outer, old_n, new_n in resized:
                    self._resize(rep, outer, old_n, new_n, queued, heap, fresh, push_dependents)
                resized.clear()
            if (g, idx) in fresh:
                changed = True
            if changed:
                if not g & 1:
                    rel_changed.add((g >> 1, idx))
                push_dependents(g, idx)
        self._rel_changed = frozenset()  # type: ignore[assignment]
        if self._structure_changed:
            self._positions = None
            self._slots = None

    def _resize(
        self,
        rep: Item,
        outer: Instance,
        old_n: int,
        new_n: int,
        queued: set[tuple[int, Instance]],
        heap: list[tuple[int, Instance, int]],
        fresh: set[tuple[int, Instance]],
        push_dependents: Callable[[int, Instance], None],
    ) -> None:
        """A repeat's count changed: compute what is inside new instances; forget the
        relevance of removed ones (their answers stay, outside the result, as ODK keeps them)."""
        depth = len(outer)
        if new_n < old_n:
            inside = set(self._inside[rep.order])
            for key in [
                k
                for k in self._rel
                if k[0] in inside
                and len(k[1]) > depth
                and k[1][:depth] == outer
                and k[1][depth] >= new_n
            ]:
                del self._rel[key]
            items = self._items
            for o in self._inside[rep.order]:
                probe = (*outer, old_n - 1, *([0] * (len(items[o].repeats) - depth - 1)))
                for d in self._dependents.get(2 * o + 1, ()):
                    if (d >> 1) not in inside:
                        for j in self._targets(items[d >> 1], items[o], probe):
                            key = (d, j)
                            if key not in queued:
                                queued.add(key)
                                heapq.heappush(heap, (self._rank[d], j, d))
            return
        rank = self._rank
        items = self._items
        for o in self._inside[rep.order]:
            it = items[o]
            for g in (2 * o, 2 * o + 1):
                for k in range(old_n, new_n):
                    for j in self._instances(it, (*outer, k)):
                        key = (g, j)
                        fresh.add(key)
                        if key not in queued:
                            queued.add(key)
                            heapq.heappush(heap, (rank[g], j, g))

    # -- language -----------------------------------------------------------------------------

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

    # -- answers ------------------------------------------------------------------------------

    def _canonical(self, item: Item, value: Any) -> tuple[str | None, str]:
        """(raw string, error code) for ``value`` given to ``item``."""
        if value is None or value == "" or value == []:
            return "", ""
        t = item.type
        try:
            if t == "integer":
                if isinstance(value, bool):
                    return None, "invalid_integer"
                if isinstance(value, float):
                    if not value.is_integer():
                        return None, "invalid_integer"
                    return str(int(value)), ""
                return str(int(str(value).strip())), ""
            if t in ("decimal", "range"):
                if isinstance(value, bool):
                    return None, "invalid_number"
                n = float(str(value).strip())
                if n != n or abs(n) == float("inf"):
                    return None, "invalid_number"
                return format_number(n), ""
            if t == "select_one":
                v = str(value).strip()
                if not self._choice_exists(item, v):
                    return None, "unknown_choice"
                return v, ""
            if t == "select_multiple":
                vals = value.split() if isinstance(value, str) else [str(v) for v in value]
                seen: list[str] = []
                for v in vals:
                    if not self._choice_exists(item, v):
                        return None, "unknown_choice"
                    if v not in seen:
                        seen.append(v)
                return " ".join(seen), ""
            if t == "date":
                if isinstance(value, _dt.datetime):
                    return value.date().isoformat(), ""
                if isinstance(value, _dt.date):
                    return value.isoformat(), ""
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
                parsed = _dt.time.fromisoformat(str(value).strip())
                return parsed.isoformat(timespec="milliseconds"), ""
            if t == "acknowledge":
                return ("OK", "") if value in (True, "OK", "ok", "yes", "1", 1) else ("", "")
            if t in ("note", "calculate", "unsupported", "hidden", "group", "repeat") or t in _META:
                return None, "read_only"
        except (ValueError, TypeError):
            return None, f"invalid_{t.lower()}"
        return str(value), ""

    def _choice_exists(self, item: Item, v: str) -> bool:
        if item.or_other and v == "other":
            return True
        return any(c.name == v for c in self.questionnaire.choices.get(item.choice_list, ()))

    def _instance_for(self, item: Item, instance: Instance | None) -> Instance:
        d = len(item.repeats)
        if instance is not None:
            inst = tuple(instance)
            if len(inst) != d:
                raise SessionError("wrong_instance", name=item.name)
            return inst
        if d == 0:
            return ()
        pos = self._current_position()
        if pos is not None:
            _, it, idx = pos
            if len(idx) >= d and _common(it.repeats, item.repeats) >= d:
                return idx[:d]
            for p_item, p_idx in self._prompt_items(it, idx):
                if p_item is item:
                    return p_idx
        if self._cursor >= 0 and self._slots_list() and self._cursor < len(self._slots_list()):
            _, it, idx = self._slots_list()[self._cursor]
            if len(idx) >= d and _common(it.repeats, item.repeats) >= d:
                return idx[:d]
        raise SessionError("no_instance", name=item.name)

    def answer(self, name: str, value: Any, instance: Instance | None = None) -> list[FieldError]:
        """Set one answer (select_multiple: a list of choice names; None clears). Returns the
        checks now open on that prompt. A name used in two groups means the one on the
        current screen, else the first."""
        item = self._on_screen(name) or self._by_name.get(name)
        if item is None:
            raise SessionError("unknown_question", name=name)
        idx = self._instance_for(item, instance)
        return self._set(item, idx, value)

    def _on_screen(self, name: str) -> Item | None:
        pos = self._current_position()
        if pos is None or pos[0] != "questions":
            return None
        for it, _ in self._prompt_items(pos[1], pos[2]):
            if it.name == name:
                return it
        return None

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

    # -- checks -------------------------------------------------------------------------------

    def relevant(self, name: str, instance: Instance | None = None) -> bool:
        item = self._by_name[name]
        idx = self._instance_for(item, instance)
        return self._rel.get((item.order, idx), True)

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

    # -- choices ------------------------------------------------------------------------------

    def choices(self, item: Item, idx: Instance) -> tuple[ChoiceView, ...]:
        lst = self.questionnaire.choices.get(item.choice_list, ())
        out: list[ChoiceView] = []
        dflt = self.questionnaire.default_language
        for c in lst:
            if item.choice_filter is not None and not to_bool(
                self._eval(item.choice_filter, item, idx, c)
            ):
                continue
            out.append(ChoiceView(c.name, c.label, dflt, self._language))
        if item.or_other:
            out.append(ChoiceView("other", {"": "Other"}, dflt, self._language))
        return tuple(out)

    # -- navigation ---------------------------------------------------------------------------

    def _build_positions(self) -> list[tuple[str, Item, Instance]]:
        out: list[tuple[str, Item, Instance]] = []

        def walk(container: Item, idx: Instance) -> None:
            for it in container.children:
                if it.type == "repeat":
                    n = self._counts.get((it.order, idx), 0)
                    for i in range(n):
                        walk(it, (*idx, i))
                    if it.repeat_count is None:
                        out.append(("repeat_offer", it, idx))
                elif it.type == "group":
                    if it.field_list:
                        out.append(("questions", it, idx))
                    else:
                        walk(it, idx)
                elif it.type in INPUT_TYPES:
                    out.append(("questions", it, idx))

        walk(self.questionnaire.root, ())
        return out

    def _positions_list(self) -> list[tuple[str, Item, Instance]]:
        if self._positions is None:
            self._positions = self._build_positions()
        return self._positions

    def _prompt_items(self, item: Item, idx: Instance) -> list[tuple[Item, Instance]]:
        if item.type != "group":
            return [(item, idx)]
        out: list[tuple[Item, Instance]] = []

        def walk(container: Item) -> None:
            for it in container.children:
                if it.type == "group":
                    walk(it)
                elif it.type in INPUT_TYPES:
                    out.append((it, idx))

        walk(item)
        return out

    def _position_relevant(self, pos: tuple[str, Item, Instance]) -> bool:
        kind, item, idx = pos
        if kind == "repeat_offer":
            return self._rel.get((item.order, idx), True)
        if not self._rel.get((item.order, idx), True):
            return False
        if item.type == "group":
            return any(self._rel.get((i.order, j), True) for i, j in self._prompt_items(item, idx))
        return True

    def _current_position(self) -> tuple[str, Item, Instance] | None:
        positions = self._positions_list()
        if 0 <= self._pos < len(positions):
            return positions[self._pos]
        return None

    def _skip_forward(self) -> None:
        positions = self._positions_list()
        while self._pos < len(positions) and not self._position_relevant(positions[self._pos]):
            self._pos += 1

    @property
    def at_start(self) -> bool:
        """No relevant screen comes before the current one."""
        positions = self._positions_list()
        return not any(self._position_relevant(p) for p in positions[: self._pos])

    @property
    def at_end(self) -> bool:
        return self._pos >= len(self._positions_list())

    @property
    def progress(self) -> tuple[int, int]:
        positions = self._positions_list()
        done = total = 0
        for i, p in enumerate(positions):
            if p[0] == "questions" and self._position_relevant(p):
                total += 1
                if i < self._pos:
                    done += 1
        return done, total

    def screen(self) -> Screen:
        pos = self._current_position()
        if pos is None:
            return Screen("end")
        kind, item, idx = pos
        section = self._section(item)
        if kind == "repeat_offer":
            return Screen("repeat_offer", (), section, item.name, idx)
        prompts = tuple(
            self._prompt(i, j)
            for i, j in self._prompt_items(item, idx)
            if self._rel.get((i.order, j), True)
        )
        return Screen("questions", prompts, section, "", idx)

    def _section(self, item: Item) -> str:
        node = item if item.type == "group" else item.parent
        while node is not None and node.name:
            text = node.label_in(self._language, self.questionnaire.default_language)
            if text:
                return self._fill(text, node, ())
            node = node.parent
        return ""

    def _prompt(self, item: Item, idx: Instance) -> Prompt:
        key = (item.order, idx)
        raw = self._values.get(key) or ""
        return Prompt(
            item=item,
            instance=idx,
            language=self._language,
            default_language=self.questionnaire.default_language,
            value=self._typed(item, raw),
            required=self._is_required(item, idx),
            choices=self.choices(item, idx) if item.choice_list else (),
            errors=tuple(self._check(item, idx, include_required=False)),
            fill=lambda text: self._fill(text, item, idx),
        )

    def next(self) -> list[FieldError]:
        """Move on if the current screen's checks pass; else stay and return them."""
        pos = self._current_position()
        if pos is None:
            return []
        if pos[0] == "questions":
            errors: list[FieldError] = []
            for i, j in self._prompt_items(pos[1], pos[2]):
                errors.extend(self._check(i, j))
            if errors:
                return errors
        self._pos += 1
        self._skip_forward()
        return []

    def previous(self) -> None:
        positions = self._positions_list()
        p = min(self._pos, len(positions)) - 1
        while p >= 0 and not self._position_relevant(positions[p]):
            p -= 1
        if p >= 0:
            self._pos = p

    def jump(self, name: str, instance: Instance | None = None) -> None:
        """Go to the screen holding ``name`` (in ``instance``, else its first instance)."""
        item = self._by_name.get(name)
        if item is None:
            raise SessionError("unknown_question", name=name)
        for i, (_kind, it, idx) in enumerate(self._positions_list()):
            for p_item, p_idx in self._prompt_items(it, idx) if _kind == "questions" else []:
                if p_item is item and (instance is None or p_idx == tuple(instance)):
                    self._pos = i
                    return
            if _kind == "repeat_offer" and it is item:
                self._pos = i
                return
        raise SessionError("not_on_any_screen", name=name)

    # -- repeats ------------------------------------------------------------------------------

    def add_repeat(self, name: str, outer: Instance = ()) -> Instance:
        """Add an instance to a repeat without ``repeat_count``; go to its first screen."""
        rep = self._by_name.get(name)
        if rep is None or rep.type != "repeat" or rep.repeat_count is not None:
            raise SessionError("not_a_user_repeat", name=name)
        pos = self._current_position()
        if pos is not None and pos[1] is rep and pos[0] == "repeat_offer":
            outer = pos[2]
        key = (rep.order, tuple(outer))
        n = self._counts.get(key, 0)
        if n >= MAX_REPEAT_COUNT:
            raise SessionError("too_many_instances", name=name)
        self._counts[key] = n + 1
        self._recompute_all()
        new = (*outer, n)
        for i, (kind, it, idx) in enumerate(self._positions_list()):
            if kind == "questions" and idx[: len(new)] == new and rep in it.repeats:
                self._pos = i
                self._skip_forward()
                break
        return new

    def remove_repeat(self, name: str, instance: Instance) -> None:
        """Remove one instance; later instances move up, keeping their answers."""
        rep = self._by_name.get(name)
        if rep is None or rep.type != "repeat" or rep.repeat_count is not None:
            raise SessionError("not_a_user_repeat", name=name)
        inst = tuple(instance)
        outer, k = inst[:-1], inst[-1]
        key = (rep.order, outer)
        n = self._counts.get(key, 0)
        if not 0 <= k < n:
            raise SessionError("no_instance", name=name)
        depth = len(outer)
        moved: dict[Key, str] = {}
        for (o, idx), v in self._values.items():
            if len(idx) > depth and idx[:depth] == outer and rep in self._items[o].repeats:
                i = idx[depth]
                if i == k:
                    continue
                if i > k:
                    idx = (*outer, i - 1, *idx[depth + 1 :])
            moved[(o, idx)] = v
        self._values = moved
        self._counts[key] = n - 1
        self._recompute_all()
        self._pos = min(self._pos, len(self._positions_list()))

    def repeat_count(self, name: str, outer: Instance = ()) -> int:
        rep = self._by_name[name]
        return self._counts.get((rep.order, tuple(outer)), 0)

    # -- answer scripts -----------------------------------------------------------------------

    def _slots_list(self) -> list[tuple[int, Item, Instance]]:
        if self._slots is None or self._positions is None:
            slots: list[tuple[int, Item, Instance]] = []
            index: dict[str, list[int]] = {}
            for p, (kind, it, idx) in enumerate(self._positions_list()):
                if kind != "questions":
                    continue
                for i, j in self._prompt_items(it, idx):
                    index.setdefault(i.name, []).append(len(slots))
                    slots.append((p, i, j))
            self._slots = slots
            self._slot_index = index
        return self._slots

    def apply(self, name: str, value: Any) -> bool:
        """Answer the next occurrence of ``name`` after the last one applied, as a person
        going forward would; skipped (False) when it is not relevant at that moment."""
        if name not in self._by_name:
            raise SessionError("unknown_question", name=name)
        slots = self._slots_list()
        where = self._slot_index.get(name)
        if not where:
            return False
        cursor = self._cursor
        target = next((s for s in where if s > cursor), where[0])
        p, item, idx = slots[target]
        self._cursor = target
        self._pos = p
        if not self._rel.get((item.order, idx), True):
            return False
        before = self._positions
        self._set(item, idx, value)
        if self._positions is not before:
            self._relocate_cursor(item, idx)
        return True

    def _relocate_cursor(self, item: Item, idx: Instance) -> None:
        for s, (p, it, j) in enumerate(self._slots_list()):
            if it is item and j == idx:
                self._cursor = s
                self._pos = p
                return

    # -- results ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """{path: value} of relevant, non-empty answers, calculations and metadata."""
        out: dict[str, Any] = {}
        for it in self._items:
            if it.type in ("group", "repeat") or not it.name:
                continue
            for idx in self._instances(it):
                key = (it.order, idx)
                raw = self._values.get(key) or ""
                if raw == "" or not self._rel.get(key, True):
                    continue
                out[_path(it, idx)] = self._typed(it, raw)
        return out

    def report(self) -> dict[str, Any]:
        """Every question and calculation by name (``name[i]`` in repeats, 1-based) with its
        relevance and raw value, plus every open check: what ``questionnaire run`` prints."""
        questions: dict[str, Any] = {}
        for it in self._items:
            if it.type in ("group", "repeat") or not it.name:
                continue
            for idx in self._instances(it):
                key = (it.order, idx)
                label = it.name + "".join(f"[{i + 1}]" for i in idx)
                rel = self._rel.get(key, True)
                questions[label] = {
                    "relevant": rel,
                    "value": (self._values.get(key) or "") if rel else "",
                }
        errors = [
            {
                "name": e.name + "".join(f"[{i + 1}]" for i in e.instance),
                "code": e.code,
                "message": e.message,
            }
            for e in self.open_errors()
        ]
        return {"questions": questions, "errors": errors}

    # -- persistence --------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data: everything needed to resume after a crash."""
        items = self._items
        pos = self._current_position()
        return {
            "format": DATA_FORMAT,
            "form_id": self.questionnaire.form_id,
            "version": self.questionnaire.version,
            "language": self._language,
            "worker_language": self.worker_language,
            "device_id": self.device_id,
            "values": [[items[o].path, list(idx), v] for (o, idx), v in self._values.items()],
            "repeats": [
                [items[o].path, list(idx), n]
                for (o, idx), n in self._counts.items()
                if items[o].repeat_count is None
            ],
            "position": None if pos is None else [pos[0], pos[1].path, list(pos[2])],
            "cursor": self._cursor,
        }

    def _load_data(self, data: Mapping[str, Any]) -> None:
        q = self.questionnaire
        by_path = {it.path: it for it in q.items if it.name}

        def find(key: str) -> Item | None:
            return by_path.get(key) or q.by_name.get(key)

        for key, idx, n in data.get("repeats") or []:
            it = find(str(key))
            if it is not None and it.type == "repeat":
                self._counts[(it.order, tuple(int(i) for i in idx))] = int(n)
        for key, idx, v in data.get("values") or []:
            it = find(str(key))
            if it is not None and len(idx) == len(it.repeats):
                self._values[(it.order, tuple(int(i) for i in idx))] = str(v)
        self._recompute_all()
        self._cursor = int(data.get("cursor", -1))
        pos = data.get("position")
        self._pos = 0
        if pos is not None:
            kind, key, idx = pos
            for i, (k, it, j) in enumerate(self._positions_list()):
                if k == kind and key in (it.path, it.name) and list(j) == list(idx):
                    self._pos = i
                    break
        else:
            self._pos = len(self._positions_list())

    @classmethod
    def restore(
        cls,
        questionnaire: Questionnaire,
        data: Mapping[str, Any],
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        new_id: Callable[[], str] | None = None,
        seed: int | None = None,
    ) -> Session:
        """Rebuild a session from :meth:`to_data`; unknown names (a newer questionnaire
        version dropped them) are ignored, never a crash."""
        if not isinstance(data, Mapping):
            raise SessionError("bad_session_data")
        if data.get("form_id") != questionnaire.form_id:
            raise SessionError("other_questionnaire", form_id=str(data.get("form_id")))
        s = cls(
            questionnaire,
            language=data.get("language"),
            worker_language=data.get("worker_language"),
            clock=clock,
            new_id=new_id,
            device_id=str(data.get("device_id") or ""),
            seed=seed,
            _restoring=True,
        )
        try:
            s._load_data(data)
        except (TypeError, ValueError, KeyError, AttributeError):
            raise SessionError("bad_session_data") from None
        return s


_META = META_TYPES


def apply_script(session: Session, script: Iterable[Mapping[str, Any]]) -> int:
    """Apply an answer script (``[{"name", "value"}, ...]``); returns how many were applied."""
    applied = 0
    for entry in script:
        if session.apply(str(entry["name"]), entry.get("value")):
            applied += 1
    return applied
