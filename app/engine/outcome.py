"""Outcome rules: answers raise flags, flags lead to referral pathways.

A questionnaire's ``outcome:`` block is data (see docs/CONTRACTS.md). ``compile_rules`` checks
it once, reporting every problem at once, and returns ``OutcomeRules``; ``evaluate`` runs them
against a session and returns an ``Outcome``: ALL raised flags and ALL applicable pathways,
pathways in the listed (protection first) order. Nothing here ever returns a single category.

Flags may depend on other flags (``flag('id')``) and on indicator counts
(``indicators(strength[, dimension])``); they are evaluated in dependency order and a cycle is
reported as a problem. Pathways are evaluated after every flag, in the listed order. An empty
(unanswered, skipped or not relevant) answer is never equal to any choice, so a skip never
counts as "no".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engine.errors import ExpressionError, Location, Problem
from app.engine.expressions import Binary, Call, Expr, Literal, Node, compile_tree, parse, walk

STRENGTHS: tuple[str, ...] = ("strong", "medium", "weak")
EXTRA_FUNCTIONS = frozenset({"flag", "indicators"})
SHEET = "outcome"


class OutcomeCode(StrEnum):
    """Problem codes for the ``outcome:`` block (message templates live in the catalogs)."""

    NOT_A_MAPPING = "outcome_not_a_mapping"  # the block or an entry is not a mapping
    NOT_A_LIST = "outcome_not_a_list"  # params: key
    MISSING_KEY = "outcome_missing_key"  # params: key
    UNKNOWN_KEY = "outcome_unknown_key"  # params: key
    BAD_ID = "outcome_bad_id"  # params: id
    DUPLICATE_ID = "outcome_duplicate_id"  # params: id, kind
    BAD_TEXT = "outcome_bad_text"  # params: key (a label must be lang -> text)
    UNKNOWN_FLAG = "outcome_unknown_flag"  # params: flag
    UNKNOWN_DIMENSION = "outcome_unknown_dimension"  # params: dimension
    BAD_STRENGTH = "outcome_bad_strength"  # params: strength, allowed
    UNKNOWN_NAME = "outcome_unknown_name"  # params: name (a ${name} with no question)
    BAD_ARGUMENTS = "outcome_bad_arguments"  # params: function (literal args needed)
    EXPRESSION = "outcome_expression"  # params: error, position, expression
    FLAG_CYCLE = "outcome_flag_cycle"  # params: flags (the cycle, in order)
    BAD_FLAG_VALUE = "outcome_bad_flag_value"  # params: key (true or false expected)


Text = Mapping[str, str]


def _text_in(text: Text, lang: str, fallback: str = "en") -> str:
    if lang in text:
        return text[lang]
    if fallback in text:
        return text[fallback]
    return next(iter(text.values()), "")


@dataclass(frozen=True)
class Dimension:
    """An ILO dimension of trafficking indicators, with its worker-facing label."""

    id: str
    label: Text = field(default_factory=dict)

    def label_in(self, lang: str, fallback: str = "en") -> str:
        return _text_in(self.label, lang, fallback)


@dataclass(frozen=True)
class Flag:
    """A raised flag. ``because`` holds the paths of the non-empty answers its rule read (and,
    for a flag built on other flags, the answers behind those)."""

    id: str
    label: Text
    dimension: str | None
    strength: str | None
    because: tuple[str, ...] = ()
    #: worker-facing: what the flag means and what to consider (may be empty)
    description: Text = field(default_factory=dict)
    #: a duty of care (urgent safety, self-harm, a child alone, urgent medical need): it stays
    #: with the worker even when the person withdraws and nothing else is kept
    duty_of_care: bool = False

    def label_in(self, lang: str, fallback: str = "en") -> str:
        return _text_in(self.label, lang, fallback)

    def description_in(self, lang: str, fallback: str = "en") -> str:
        return _text_in(self.description, lang, fallback)

    @property
    def is_indicator(self) -> bool:
        return self.strength is not None


@dataclass(frozen=True)
class Pathway:
    """An applicable referral pathway. ``because`` holds the ids of the flags that raised it."""

    id: str
    label: Text
    description: Text
    because: tuple[str, ...] = ()

    def label_in(self, lang: str, fallback: str = "en") -> str:
        return _text_in(self.label, lang, fallback)

    def description_in(self, lang: str, fallback: str = "en") -> str:
        return _text_in(self.description, lang, fallback)


@dataclass(frozen=True)
class Outcome:
    """Every raised flag (in listed order), every applicable pathway (protection first) and
    the indicator counts per dimension: ``{dimension: {"strong": n, "medium": n, "weak": n}}``."""

    flags: tuple[Flag, ...] = ()
    pathways: tuple[Pathway, ...] = ()
    indicators: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Outcome:
        return cls()

    @property
    def flag_ids(self) -> list[str]:
        return [f.id for f in self.flags]

    @property
    def pathway_ids(self) -> list[str]:
        return [p.id for p in self.pathways]

    def flag(self, flag_id: str) -> Flag | None:
        return next((f for f in self.flags if f.id == flag_id), None)

    @property
    def duty_of_care(self) -> tuple[Flag, ...]:
        """The raised flags that are a duty of care, which never depends on consent."""
        return tuple(f for f in self.flags if f.duty_of_care)

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data, as CONTRACTS.md fixes it (no labels: ids only)."""
        return {
            "flags": [
                {
                    "id": f.id,
                    "dimension": f.dimension,
                    "strength": f.strength,
                    "because": list(f.because),
                    "duty_of_care": f.duty_of_care,
                }
                for f in self.flags
            ],
            "pathways": [{"id": p.id, "because": list(p.because)} for p in self.pathways],
            "indicators": {d: dict(counts) for d, counts in self.indicators.items()},
        }


# --- compiled rules ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """A literal call to one of our functions found in a rule, e.g. ``flag('child')``."""

    function: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class _Part:
    """One top-level ``or`` alternative of a rule: only the alternatives that hold explain
    why a flag or pathway was raised."""

    expr: Any
    references: frozenset[str]
    calls: tuple[_Call, ...]


@dataclass(frozen=True)
class _Rule:
    id: str
    label: Text
    description: Text
    expr: Any
    references: frozenset[str]
    calls: tuple[_Call, ...]
    dimension: str | None = None
    strength: str | None = None
    parts: tuple[_Part, ...] = ()
    duty_of_care: bool = False

    def explain(
        self, session: Any, functions: Mapping[str, Callable[..., Any]]
    ) -> tuple[frozenset[str], tuple[_Call, ...]]:
        """The references and calls of the alternatives that hold (all, if not an ``or``)."""
        holding = [p for p in self.parts if _truthy(session.evaluate(p.expr, functions=functions))]
        if not holding:
            return self.references, self.calls
        refs = frozenset().union(*(p.references for p in holding))
        return refs, tuple(c for p in holding for c in p.calls)


class OutcomeRules:
    """Compiled ``outcome:`` rules; ``evaluate(session)`` gives the ``Outcome``."""

    def __init__(
        self,
        dimensions: tuple[Dimension, ...],
        flags: tuple[_Rule, ...],
        flag_order: tuple[str, ...],
        pathways: tuple[_Rule, ...],
    ) -> None:
        self.dimensions = dimensions
        self._flags = {r.id: r for r in flags}
        self._flag_list = flags
        self._flag_order = flag_order
        self._pathways = pathways

    @property
    def flag_ids(self) -> list[str]:
        return [r.id for r in self._flag_list]

    @property
    def pathway_ids(self) -> list[str]:
        return [r.id for r in self._pathways]

    def flag_label(self, flag_id: str) -> Text:
        return self._flags[flag_id].label

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def evaluate(self, session: Any) -> Outcome:
        raised: dict[str, Flag] = {}

        def flag_fn(*args: Any) -> bool:
            return str(args[0]) in raised if args else False

        def indicators_fn(*args: Any) -> int:
            strength = str(args[0]) if args else ""
            dimension = str(args[1]) if len(args) > 1 else None
            return sum(
                1
                for f in raised.values()
                if f.strength == strength and (dimension is None or f.dimension == dimension)
            )

        functions: dict[str, Callable[..., Any]] = {"flag": flag_fn, "indicators": indicators_fn}

        for flag_id in self._flag_order:
            rule = self._flags[flag_id]
            if _truthy(session.evaluate(rule.expr, functions=functions)):
                refs, calls = rule.explain(session, functions)
                because = list(_answers_read(session, refs))
                for behind in self._flags_behind(calls, tuple(raised.values())):
                    because.extend(p for p in raised[behind].because if p not in because)
                raised[flag_id] = Flag(
                    id=rule.id,
                    label=rule.label,
                    dimension=rule.dimension,
                    strength=rule.strength,
                    because=tuple(because),
                    description=rule.description,
                    duty_of_care=rule.duty_of_care,
                )

        flags = tuple(raised[r.id] for r in self._flag_list if r.id in raised)
        pathways = []
        for rule in self._pathways:
            if _truthy(session.evaluate(rule.expr, functions=functions)):
                _, calls = rule.explain(session, functions)
                pathways.append(
                    Pathway(
                        id=rule.id,
                        label=rule.label,
                        description=rule.description,
                        because=self._flags_behind(calls, flags),
                    )
                )
        counts = {d.id: {s: 0 for s in STRENGTHS} for d in self.dimensions}
        for f in flags:
            if f.dimension is not None and f.strength is not None:
                counts.setdefault(f.dimension, {s: 0 for s in STRENGTHS})[f.strength] += 1
        return Outcome(flags=flags, pathways=tuple(pathways), indicators=counts)

    @staticmethod
    def _flags_behind(calls: tuple[_Call, ...], flags: tuple[Flag, ...]) -> tuple[str, ...]:
        """The raised flags a rule read: the ones it named and the indicators it counted."""
        named = {c.args[0] for c in calls if c.function == "flag" and c.args}
        counted = [c for c in calls if c.function == "indicators" and c.args]
        out = []
        for f in flags:
            if f.id in named or any(
                f.strength == c.args[0] and (len(c.args) < 2 or f.dimension == c.args[1])
                for c in counted
            ):
                out.append(f.id)
        return tuple(out)


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return bool(value)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _answers_read(session: Any, names: Iterable[str]) -> tuple[str, ...]:
    paths = []
    for name in sorted(names):
        if _empty(session.value(name)):
            continue
        path_of = getattr(session, "path_of", None)
        paths.append(path_of(name) if callable(path_of) else name)
    return tuple(paths)


# --- compiling -----------------------------------------------------------------------------
#
# Rules are read once by the engine's own parser; what the outcome needs to know about a rule
# (which flag and indicator calls it makes, its top-level ``or`` alternatives) comes from walking
# that syntax tree, so a rule reads here exactly as the engine reads it (typographic quotes too).

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _find_calls(expr: Expr) -> tuple[list[_Call], list[str]]:
    """Calls to ``flag`` and ``indicators`` with string-literal arguments; also the names of
    those functions called with anything else (which cannot be checked at load)."""
    calls: list[_Call] = []
    dynamic: list[str] = []
    for node in walk(expr.tree):
        if isinstance(node, Call) and node.name in EXTRA_FUNCTIONS:
            args = [
                a.value for a in node.args if isinstance(a, Literal) and isinstance(a.value, str)
            ]
            if len(args) == len(node.args):
                calls.append(_Call(node.name, tuple(args)))
            else:
                dynamic.append(node.name)
    return calls, dynamic


def _or_operands(node: Node) -> list[Node]:
    if isinstance(node, Binary) and node.op == "or":
        return [*_or_operands(node.left), *_or_operands(node.right)]
    return [node]


def _alternatives(expr: Expr) -> tuple[_Part, ...]:
    """The top-level ``or`` alternatives of a rule, each compiled on its own (empty when the
    rule is not an ``or``)."""
    operands = _or_operands(expr.tree)
    if len(operands) < 2:
        return ()
    parts = []
    for node in operands:
        part = compile_tree(node, expr.text, EXTRA_FUNCTIONS)
        calls, _ = _find_calls(part)
        parts.append(_Part(part, part.references, tuple(calls)))
    return tuple(parts)


def _valid_text(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


class _Compiler:
    def __init__(self, source: str, known_names: set[str]) -> None:
        self.source = source
        self.known_names = known_names
        self.problems: list[Problem] = []

    def problem(
        self,
        code: OutcomeCode | str,
        where: str,
        row: int | None = None,
        column: str = "",
        **params: Any,
    ) -> None:
        sheet = f"{SHEET}.{where}" if where else SHEET
        self.problems.append(
            Problem(
                code=str(code), location=Location(self.source, sheet, row, column), params=params
            )
        )

    def entries(self, raw: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
        items = raw.get(key, [])
        if items is None:
            return []
        if not isinstance(items, list):
            self.problem(OutcomeCode.NOT_A_LIST, key, key=key)
            return []
        out = []
        for row, item in enumerate(items, start=1):
            if not isinstance(item, Mapping):
                self.problem(OutcomeCode.NOT_A_MAPPING, key, row)
            else:
                out.append((row, item))
        return out

    def ident(
        self, item: Mapping[str, Any], where: str, row: int, seen: set[str], kind: str
    ) -> str | None:
        ident = item.get("id")
        if ident is None:
            self.problem(OutcomeCode.MISSING_KEY, where, row, "id", key="id")
            return None
        if not isinstance(ident, str) or not _ID.match(ident):
            self.problem(OutcomeCode.BAD_ID, where, row, "id", id=str(ident))
            return None
        if ident in seen:
            self.problem(OutcomeCode.DUPLICATE_ID, where, row, "id", id=ident, kind=kind)
            return None
        seen.add(ident)
        return ident

    def text(self, item: Mapping[str, Any], key: str, where: str, row: int, required: bool) -> Text:
        value = item.get(key)
        if value is None:
            if required:
                self.problem(OutcomeCode.MISSING_KEY, where, row, key, key=key)
            return {}
        if not _valid_text(value):
            self.problem(OutcomeCode.BAD_TEXT, where, row, key, key=key)
            return {}
        return dict(value)

    def unknown_keys(
        self, item: Mapping[str, Any], allowed: set[str], where: str, row: int
    ) -> None:
        for key in item:
            if key not in allowed:
                self.problem(OutcomeCode.UNKNOWN_KEY, where, row, str(key), key=str(key))

    def expression(
        self,
        item: Mapping[str, Any],
        where: str,
        row: int,
        flag_ids: set[str],
        dimension_ids: set[str],
    ) -> tuple[Any, frozenset[str], tuple[_Call, ...], tuple[_Part, ...]] | None:
        """The ``when`` of a rule, parsed and checked: every name, flag, strength and dimension
        it reads must exist. ``None`` (with the problems noted) when it cannot be used."""
        expr = self.parse_when(item, where, row)
        if expr is None:
            return None
        references = expr.references
        ok = True
        for name in sorted(references - self.known_names):
            self.problem(OutcomeCode.UNKNOWN_NAME, where, row, "when", name=name)
            ok = False
        calls, dynamic = _find_calls(expr)
        for function in dynamic:
            self.problem(OutcomeCode.BAD_ARGUMENTS, where, row, "when", function=function)
            ok = False
        for call in calls:
            if call.function == "flag":
                ok = self.check_flag_call(call, where, row, flag_ids) and ok
            else:
                ok = self.check_indicators_call(call, where, row, dimension_ids) and ok
        if not ok:
            return None
        return expr, references, tuple(calls), _alternatives(expr)

    def parse_when(self, item: Mapping[str, Any], where: str, row: int) -> Any:
        """The parsed ``when`` text, or ``None`` when it is missing, empty or does not parse."""
        text = item.get("when")
        if text is None:
            self.problem(OutcomeCode.MISSING_KEY, where, row, "when", key="when")
            return None
        if not isinstance(text, str) or not text.strip():
            self.problem(OutcomeCode.BAD_TEXT, where, row, "when", key="when")
            return None
        try:
            return parse(text, extra_functions=EXTRA_FUNCTIONS)
        except ExpressionError as err:
            self.problem(
                OutcomeCode.EXPRESSION,
                where,
                row,
                "when",
                error=err.code,
                position=err.position,
                expression=text,
                **err.params,
            )
            return None

    def check_flag_call(self, call: _Call, where: str, row: int, flag_ids: set[str]) -> bool:
        """``flag('id')``: one argument, naming a flag of this block."""
        if len(call.args) != 1:
            self.problem(OutcomeCode.BAD_ARGUMENTS, where, row, "when", function="flag")
            return False
        if call.args[0] not in flag_ids:
            self.problem(OutcomeCode.UNKNOWN_FLAG, where, row, "when", flag=call.args[0])
            return False
        return True

    def check_indicators_call(
        self, call: _Call, where: str, row: int, dimension_ids: set[str]
    ) -> bool:
        """``indicators('strength'[, 'dimension'])``: a known strength, and a known dimension."""
        if not 1 <= len(call.args) <= 2:
            self.problem(OutcomeCode.BAD_ARGUMENTS, where, row, "when", function="indicators")
            return False
        ok = True
        if call.args[0] not in STRENGTHS:
            self.problem(
                OutcomeCode.BAD_STRENGTH,
                where,
                row,
                "when",
                strength=call.args[0],
                allowed=list(STRENGTHS),
            )
            ok = False
        if len(call.args) == 2 and call.args[1] not in dimension_ids:
            self.problem(OutcomeCode.UNKNOWN_DIMENSION, where, row, "when", dimension=call.args[1])
            ok = False
        return ok


def compile_rules(
    raw: Mapping[str, Any], source: str, known_names: set[str]
) -> tuple[OutcomeRules | None, list[Problem]]:
    """Check and compile an ``outcome:`` block. Returns ``(rules, [])`` or ``(None, problems)``
    with every problem found; ``known_names`` are the questionnaire's question names."""
    c = _Compiler(source, known_names)
    if not isinstance(raw, Mapping):
        c.problem(OutcomeCode.NOT_A_MAPPING, "")
        return None, c.problems
    c.unknown_keys(raw, {"dimensions", "flags", "pathways"}, "", 0)
    dimensions = _dimensions(c, raw)
    dimension_ids = {d.id for d in dimensions}
    flag_ids: set[str] = set()  # every flag's id first: a rule may read a later flag
    flag_rows = [
        (row, c.ident(item, "flags", row, flag_ids, "flag"), item)
        for row, item in c.entries(raw, "flags")
    ]
    flags = [
        rule
        for row, ident, item in flag_rows
        if (rule := _flag(c, row, ident, item, flag_ids, dimension_ids)) is not None
    ]
    order = _flag_order(flags, c, {ident: row for row, ident, _ in flag_rows if ident})
    pathways = _pathways(c, raw, flag_ids, dimension_ids)
    if c.problems:
        return None, c.problems
    return OutcomeRules(tuple(dimensions), tuple(flags), tuple(order), tuple(pathways)), []


def _dimensions(c: _Compiler, raw: Mapping[str, Any]) -> list[Dimension]:
    dimensions: list[Dimension] = []
    seen: set[str] = set()
    for row, item in c.entries(raw, "dimensions"):
        c.unknown_keys(item, {"id", "label"}, "dimensions", row)
        ident = c.ident(item, "dimensions", row, seen, "dimension")
        label = c.text(item, "label", "dimensions", row, required=True)
        if ident:
            dimensions.append(Dimension(ident, label))
    return dimensions


_FLAG_KEYS = {"id", "label", "description", "when", "indicator", "duty_of_care"}


def _flag(
    c: _Compiler,
    row: int,
    ident: str | None,
    item: Mapping[str, Any],
    flag_ids: set[str],
    dimension_ids: set[str],
) -> _Rule | None:
    """One entry of ``flags:`` checked; the rule when it can be used."""
    c.unknown_keys(item, _FLAG_KEYS, "flags", row)
    duty_of_care = item.get("duty_of_care", False)
    if not isinstance(duty_of_care, bool):
        c.problem(OutcomeCode.BAD_FLAG_VALUE, "flags", row, "duty_of_care", key="duty_of_care")
        duty_of_care = False
    label = c.text(item, "label", "flags", row, required=True)
    description = c.text(item, "description", "flags", row, required=False)
    dimension, strength = _indicator(c, item.get("indicator"), row, dimension_ids)
    compiled = c.expression(item, "flags", row, flag_ids, dimension_ids)
    if not (ident and compiled):
        return None
    expr, refs, calls, parts = compiled
    return _Rule(
        ident,
        label,
        description,
        expr,
        refs,
        calls,
        dimension=dimension,
        strength=strength,
        parts=parts,
        duty_of_care=duty_of_care,
    )


def _indicator(c: _Compiler, indicator: Any, row: int, dimension_ids: set[str]) -> tuple[Any, Any]:
    """A flag's ``indicator: {dimension, strength}`` as (dimension, strength), each checked."""
    if indicator is None:
        return None, None
    if not isinstance(indicator, Mapping):
        c.problem(OutcomeCode.NOT_A_MAPPING, "flags", row, "indicator")
        return None, None
    c.unknown_keys(indicator, {"dimension", "strength"}, "flags", row)
    dimension, strength = indicator.get("dimension"), indicator.get("strength")
    if dimension not in dimension_ids:
        c.problem(
            OutcomeCode.UNKNOWN_DIMENSION, "flags", row, "indicator", dimension=str(dimension)
        )
    if strength not in STRENGTHS:
        c.problem(
            OutcomeCode.BAD_STRENGTH,
            "flags",
            row,
            "indicator",
            strength=str(strength),
            allowed=list(STRENGTHS),
        )
    return dimension, strength


def _pathways(
    c: _Compiler, raw: Mapping[str, Any], flag_ids: set[str], dimension_ids: set[str]
) -> list[_Rule]:
    pathways: list[_Rule] = []
    seen: set[str] = set()
    for row, item in c.entries(raw, "pathways"):
        c.unknown_keys(item, {"id", "label", "description", "when"}, "pathways", row)
        ident = c.ident(item, "pathways", row, seen, "pathway")
        label = c.text(item, "label", "pathways", row, required=True)
        description = c.text(item, "description", "pathways", row, required=False)
        compiled = c.expression(item, "pathways", row, flag_ids, dimension_ids)
        if ident and compiled:
            expr, refs, calls, parts = compiled
            pathways.append(_Rule(ident, label, description, expr, refs, calls, parts=parts))
    return pathways


def _flag_order(flags: list[_Rule], c: _Compiler, rows: Mapping[str, int]) -> list[str]:
    """Flags in an order where each comes after every flag it reads; cycles are problems."""
    by_id = {r.id: r for r in flags}

    def depends_on(rule: _Rule) -> list[str]:
        deps = []
        for call in rule.calls:
            if call.function == "flag" and call.args and call.args[0] in by_id:
                deps.append(call.args[0])
            elif call.function == "indicators" and call.args:
                deps.extend(
                    r.id
                    for r in flags
                    if r.strength == call.args[0]
                    and (len(call.args) < 2 or r.dimension == call.args[1])
                )
        return deps

    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(ident: str, path: list[str]) -> None:
        state[ident] = 1
        path.append(ident)
        for dep in depends_on(by_id[ident]):
            if state.get(dep) == 1:
                cycle = path[path.index(dep) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    c.problem(
                        OutcomeCode.FLAG_CYCLE, "flags", rows.get(dep), "when", flags=[*cycle, dep]
                    )
            elif state.get(dep) is None:
                visit(dep, path)
        path.pop()
        state[ident] = 2
        order.append(ident)

    for rule in flags:
        if rule.id not in state:
            visit(rule.id, [])
    return order
