"""The dependency graph at work: reading values as an expression sees them, and recomputing,
in dependency order, only the relevance, calculations and repeat counts that read something
that changed (the graph is built at load: :class:`app.engine.model.Dependencies`)."""

from __future__ import annotations

import datetime as _dt
import heapq
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from app.engine._session_base import MAX_REPEAT_COUNT, Instance, Key, _common, _State
from app.engine.errors import ExpressionError
from app.engine.expressions import (
    Expr,
    NodeSet,
    format_number,
    to_bool,
    to_date,
    to_num,
    to_str,
)
from app.engine.model import INPUT_TYPES, Choice, Item, pick


class _Context:
    """The view of the session an expression evaluates in (one item, one instance)."""

    __slots__ = ("choice", "functions", "idx", "item", "s")

    def __init__(self, session: _Graph) -> None:
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
        return self.s.questionnaire.choice_label(item.choice_list, value, self.s._language)

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
                    return pick(c.label, self.s._language, q.default_language)
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


class _Graph(_State):
    _ctx: _Context

    _structure_changed = False
    _rel_changed: set[Key] = frozenset()  # type: ignore[assignment]

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
