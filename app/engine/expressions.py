"""The XLSForm/ODK XPath subset: a safe parser and a compiler to Python closures.

Text is tokenised and parsed by precedence climbing into a small tree (never ``eval``); the tree
is compiled once into nested closures, so evaluating an expression is a chain of plain calls.
Values follow ODK's rules: a question reads as its string value (empty when unanswered or not
relevant), numbers are floats, dates are ``datetime.date``/``datetime.datetime``, and a
reference to a question inside a repeat seen from outside it is a :class:`NodeSet`.

    parse(text, extra_functions=frozenset()) -> Expr       # raises ExpressionError
    Expr.references                                         # names read with ${...}
    Expr.evaluate(context)                                  # context: see :class:`Context`
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.engine.errors import ExpressionError

__all__ = [
    "FUNCTIONS",
    "Context",
    "Expr",
    "NodeSet",
    "SimpleContext",
    "parse",
    "to_bool",
    "to_num",
    "to_str",
]


class NodeSet(list[str]):
    """The string values of several question instances (a repeated question seen from outside
    its repeat). Converts to its first value where one value is needed, as XPath does."""


class Context(Protocol):
    """What a compiled expression asks of the session it runs in."""

    def ref(self, name: str) -> str | NodeSet: ...
    def current(self) -> str: ...
    def position(self) -> int: ...
    def column(self, name: str) -> str: ...
    def indexed(self, name: str, repeat: str, positions: list[int]) -> str: ...
    def choice_label(self, name: str, value: str) -> str: ...
    def today(self) -> _dt.date: ...
    def now(self) -> _dt.datetime: ...
    def uuid(self) -> str: ...
    def random(self) -> float: ...
    def call(self, name: str, args: list[Any]) -> Any: ...
    def lookup(self, list_name: str, holds: Callable[[Any], bool], field: str) -> Any: ...
    def pulldata(self, file: str, column: str, key_column: str, key: str) -> str: ...


# ---------------------------------------------------------------------------------------------
# value conversion (ODK / XPath 1.0 rules)

_NUM_RE = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*\Z")
_DATE_RE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*\Z")
_DATETIME_RE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\s*\Z"
)
_EPOCH = _dt.date(1970, 1, 1)
_NAN = float("nan")


def format_number(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (math.inf, -math.inf):
        return "Infinity" if v > 0 else "-Infinity"
    if v == int(v) and abs(v) < 1e21:
        return str(int(v))
    return repr(v)


def format_datetime(v: _dt.datetime) -> str:
    if v.tzinfo is None:
        v = v.replace(tzinfo=_dt.UTC)
    text = v.isoformat(timespec="milliseconds")
    return text


def to_str(v: Any) -> str:
    """XPath ``string()``."""
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if t is float or t is int:
        return format_number(float(v))
    if t is bool:
        return "true" if v else "false"
    if t is NodeSet:
        return str(v[0]) if v else ""
    if t is _dt.datetime:
        return format_datetime(v)
    if t is _dt.date:
        return v.isoformat()  # type: ignore[no-any-return]
    if v is None:
        return ""
    return str(v)


def _days(d: _dt.date) -> float:
    if isinstance(d, _dt.datetime):
        if d.tzinfo is not None:
            d = d.astimezone(_dt.UTC).replace(tzinfo=None)
        delta = d - _dt.datetime(1970, 1, 1)
        return delta.total_seconds() / 86400.0
    return float((d - _EPOCH).days)


def parse_date(s: str) -> _dt.date | None:
    m = _DATE_RE.match(s)
    if m:
        try:
            return _dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    m = _DATETIME_RE.match(s)
    if m:
        try:
            tz: _dt.tzinfo | None = None
            if m[8]:
                if m[8] == "Z":
                    tz = _dt.UTC
                else:
                    sign = 1 if m[8][0] == "+" else -1
                    digits = m[8][1:].replace(":", "")
                    tz = _dt.timezone(
                        sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                    )
            micro = int(float(m[7]) * 1_000_000) if m[7] else 0
            return _dt.datetime(
                int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), micro, tz
            )
        except ValueError:
            return None
    return None


def to_num(v: Any) -> float:
    """XPath ``number()``, extended as ODK does: a date counts days since 1970-01-01."""
    t = type(v)
    if t is float:
        return v  # type: ignore[no-any-return]
    if t is int or t is bool:
        return float(v)
    if t is NodeSet:
        v = v[0] if v else ""
        t = str
    if t is str:
        if _NUM_RE.match(v):
            return float(v)
        d = parse_date(v) if v and v[0].isdigit() else None
        if d is not None:
            return _days(d)
        return _NAN
    if t is _dt.date or t is _dt.datetime:
        return _days(v)
    return _NAN


def to_bool(v: Any) -> bool:
    """XPath ``boolean()``: numbers are true unless 0 or NaN, strings unless empty."""
    t = type(v)
    if t is bool:
        return v  # type: ignore[no-any-return]
    if t is str:
        return bool(v != "")
    if t is float or t is int:
        return bool(v == v and v != 0)
    if t is NodeSet:
        return len(v) > 0
    return v is not None


def to_date(v: Any) -> _dt.date | None:
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, NodeSet):
        v = v[0] if v else ""
    if isinstance(v, str):
        return parse_date(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) < 1e7:
        whole = math.floor(v)
        frac = v - whole
        try:  # a number of days beyond year 1 or 9999 is not a date
            day = _EPOCH + _dt.timedelta(days=int(whole))
            if frac:
                return _dt.datetime.combine(day, _dt.time()) + _dt.timedelta(days=frac)
        except OverflowError:
            return None
        return day
    return None


def _values(v: Any) -> list[Any]:
    return list(v) if type(v) is NodeSet else [v]


def _equal(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta is NodeSet or tb is NodeSet:
        return any(_equal(x, y) for x in _values(a) for y in _values(b))
    if ta is str and tb is str:
        return a == b  # type: ignore[no-any-return]
    if ta is bool or tb is bool:
        return to_bool(a) == to_bool(b)
    if ta in (float, int) or tb in (float, int):
        return to_num(a) == to_num(b)
    if ta in (_dt.date, _dt.datetime) or tb in (_dt.date, _dt.datetime):
        return to_num(a) == to_num(b)
    return to_str(a) == to_str(b)


def _relate(a: Any, b: Any, op: Callable[[float, float], bool]) -> bool:
    if type(a) is NodeSet or type(b) is NodeSet:
        return any(op(to_num(x), to_num(y)) for x in _values(a) for y in _values(b))
    return op(to_num(a), to_num(b))


# ---------------------------------------------------------------------------------------------
# syntax tree


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Ref(Node):
    name: str


@dataclass(frozen=True)
class Current(Node):
    pass


@dataclass(frozen=True)
class ParentRef(Node):
    pass


@dataclass(frozen=True)
class Column(Node):
    """A bare name: a choice column inside a ``choice_filter``, else a sibling question."""

    name: str


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Lookup(Node):
    """``instance('list')/root/item[predicate]/field``: a field of the first choice of a list
    the predicate holds for (bare names in the predicate are the choice's columns); without a
    field, the names of every such choice."""

    list_name: str
    predicate: Node | None
    field: str


# ---------------------------------------------------------------------------------------------
# tokeniser

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{(?P<refname>[^}]*)\})
  | (?P<num>\d+(?:\.\d*)?|\.\d+)
  | (?P<str>'[^']*'|"[^"]*"|\u2018[^\u2018\u2019]*\u2019|\u201c[^\u201c\u201d]*\u201d)
  | (?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)
  | (?P<op>!=|<=|>=|\.\.|[=<>+\-*|(),/\[\]@.])
    """,
    re.VERBOSE | re.UNICODE,
)
_NAME_OK = re.compile(r"[A-Za-z_][\w.\-]*\Z", re.UNICODE)
_OPEN_QUOTES = "'\"\u2018\u201c"


@dataclass(frozen=True)
class Token:
    kind: str  # num str ref name op end
    text: str
    pos: int


#: pyxform replaces each typographic quote with a straight one, one character at a time
#: (balanced or not), before ODK ever sees the expression
_STRAIGHTEN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def tokenize(text: str) -> tuple[list[Token], bool]:
    """Split ``text`` into tokens; the flag says typographic quotes were read as quotes."""
    tokens: list[Token] = []
    pos = 0
    straight = text.translate(_STRAIGHTEN)
    curly = straight != text
    text = straight
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch in _OPEN_QUOTES:
                raise ExpressionError("unterminated_string", pos)
            if text.startswith("${", pos):
                raise ExpressionError("unterminated_reference", pos)
            raise ExpressionError("unexpected_character", pos, character=ch)
        kind = m.lastgroup
        if kind == "refname":
            kind = "ref"
        if kind != "ws":
            if kind == "ref":
                name = m["refname"].strip()
                if not _NAME_OK.match(name):
                    raise ExpressionError("bad_reference", pos, reference=name)
                tokens.append(Token("ref", name, pos))
            elif kind == "str":
                raw = m.group()
                if raw[0] in "\u2018\u201c":
                    curly = True
                tokens.append(Token("str", raw[1:-1], pos))
            else:
                tokens.append(Token(kind or "op", m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", n))
    return tokens, curly


# ---------------------------------------------------------------------------------------------
# parser (precedence climbing)

_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}

#: name -> (minimum arguments, maximum arguments or None for any number)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "if": (3, 3),
    "coalesce": (2, 2),
    "concat": (0, None),
    "join": (1, None),
    "substr": (2, 3),
    "substring": (2, 3),
    "string": (0, 1),
    "string-length": (0, 1),
    "normalize-space": (0, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "translate": (3, 3),
    "regex": (2, 2),
    "selected": (2, 2),
    "selected-at": (2, 2),
    "count-selected": (1, 1),
    "jr:choice-name": (2, 2),
    "count": (1, 1),
    "count-non-empty": (1, 1),
    "sum": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "round": (1, 2),
    "int": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
    "number": (0, 1),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "boolean": (1, 1),
    "boolean-from-string": (1, 1),
    "today": (0, 0),
    "now": (0, 0),
    "date": (1, 1),
    "date-time": (1, 1),
    "decimal-date-time": (1, 1),
    "format-date": (2, 2),
    "format-date-time": (2, 2),
    "once": (1, 1),
    "position": (0, 1),
    "indexed-repeat": (3, 7),
    "uuid": (0, 1),
    "random": (0, 0),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "exp10": (1, 1),
    "log": (1, 1),
    "log10": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
    "asin": (1, 1),
    "acos": (1, 1),
    "atan": (1, 1),
    "atan2": (2, 2),
    "pi": (0, 0),
    "jr:itext": (1, 1),
    "pulldata": (4, 4),
    "current": (0, 0),
    "substring-before": (2, 2),
    "substring-after": (2, 2),
    "checklist": (2, None),
    "weighted-checklist": (3, None),
    "decimal-time": (1, 1),
    "randomize": (1, 2),
    "digest": (2, 3),
    "area": (1, 1),
    "distance": (1, None),
}


class _Parser:
    def __init__(self, text: str, extra: frozenset[str]) -> None:
        self.text = text
        self.tokens, self.curly = tokenize(text)
        self.i = 0
        self.extra = extra

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            self._unexpected(tok, expected=text)
        return tok

    def _unexpected(self, tok: Token, expected: str = "") -> None:
        if tok.kind == "end":
            raise ExpressionError("unexpected_end", tok.pos, expected=expected)
        raise ExpressionError("unexpected_token", tok.pos, token=tok.text, expected=expected)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty_expression", 0)
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "end":
            self._unexpected(tok)
        return node

    def _binary_op(self, tok: Token) -> str | None:
        if tok.kind == "op" and tok.text in _BINARY_PRECEDENCE:
            return tok.text
        if tok.kind == "name" and tok.text in ("or", "and", "div", "mod"):
            return tok.text
        return None

    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            op = self._binary_op(tok)
            if op is None:
                return left
            prec = _BINARY_PRECEDENCE[op]
            if prec <= min_prec:
                return left
            self.take()
            right = self.expression(prec)
            left = Binary(tok.pos, op, left, right)

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return Negate(tok.pos, self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Literal(tok.pos, float(tok.text))
        if tok.kind == "str":
            return Literal(tok.pos, tok.text)
        if tok.kind == "ref":
            return Ref(tok.pos, tok.text)
        if tok.kind == "op":
            if tok.text == "(":
                inner = self.expression(0)
                self.expect(")")
                return inner
            if tok.text == ".":
                return Current(tok.pos)
            if tok.text == "..":
                return self._relative(ParentRef(tok.pos))
            if tok.text == "/":
                return self._absolute(tok)
        if tok.kind == "name":
            nxt = self.peek()
            if tok.text == "instance" and nxt.kind == "op" and nxt.text == "(":
                return self._lookup(tok)
            if nxt.kind == "op" and nxt.text == "(":
                node = self.call(tok)
                if tok.text == "current" and self._is("/"):  # current()/../name
                    return self._relative(Current(tok.pos))
                return node
            if tok.text in ("or", "and", "div", "mod"):
                self._unexpected(tok)
            return Column(tok.pos, tok.text)
        self._unexpected(tok)
        raise AssertionError  # pragma: no cover

    def _is(self, text: str) -> bool:
        tok = self.peek()
        return tok.kind == "op" and tok.text == text

    def _lookup(self, start: Token) -> Node:
        """``instance('list')/root/item[predicate]/field``, the secondary instance pyxform
        writes for a choice list."""
        self.expect("(")
        name_tok = self.take()
        if name_tok.kind != "str" or not name_tok.text:
            self._unexpected(name_tok, expected="'list'")
        self.expect(")")
        steps: list[str] = []
        predicate: Node | None = None
        while self._is("/"):
            self.take()
            tok = self.take()
            if tok.kind != "name":
                self._unexpected(tok)
            steps.append(tok.text)
            if self._is("["):
                if predicate is not None or len(steps) != 2:
                    self._unexpected(self.peek())
                self.take()
                predicate = self.expression(0)
                self.expect("]")
        if steps[:2] != ["root", "item"] or len(steps) > 3:
            raise ExpressionError("unsupported_instance_path", start.pos)
        return Lookup(start.pos, name_tok.text, predicate, steps[2] if len(steps) == 3 else "")

    def _relative(self, node: Node) -> Node:
        """``../name`` and ``../../name`` read the named question, as pyxform writes them."""
        while self.peek().kind == "op" and self.peek().text == "/":
            self.take()
            tok = self.take()
            if tok.kind == "op" and tok.text == "..":
                node = ParentRef(tok.pos)
                continue
            if tok.kind == "name":
                node = Ref(tok.pos, tok.text)
                continue
            self._unexpected(tok)
        return node

    def _absolute(self, start: Token) -> Node:
        """``/data/group/name`` reads the last named question."""
        last: Token | None = None
        while True:
            tok = self.take()
            if tok.kind != "name":
                self._unexpected(tok)
            last = tok
            if self.peek().kind == "op" and self.peek().text == "/":
                self.take()
                continue
            break
        return Ref(last.pos, last.text)

    def call(self, name_tok: Token) -> Node:
        name = name_tok.text
        if name not in FUNCTIONS and name not in self.extra:
            raise ExpressionError("unknown_function", name_tok.pos, function=name)
        self.expect("(")
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            while True:
                args.append(self.expression(0))
                tok = self.peek()
                if tok.kind == "op" and tok.text == ",":
                    self.take()
                    continue
                break
        self.expect(")")
        if name in FUNCTIONS and name not in self.extra:
            lo, hi = FUNCTIONS[name]
            if len(args) < lo or (hi is not None and len(args) > hi):
                raise ExpressionError(
                    "wrong_arity", name_tok.pos, function=name, given=len(args), minimum=lo
                )
        return Call(name_tok.pos, name, tuple(args))


# ---------------------------------------------------------------------------------------------
# compiled expressions


Evaluator = Callable[[Any], Any]


@dataclass(frozen=True)
class Expr:
    """One parsed and compiled expression."""

    text: str
    tree: Node
    references: frozenset[str]
    columns: frozenset[str]
    functions: frozenset[str]
    typographic_quotes: bool = False
    #: choice lists read through ``instance('list')``
    instances: frozenset[str] = frozenset()
    _fn: Evaluator = field(repr=False, compare=False, default=lambda c: "")

    @property
    def uses_current(self) -> bool:
        return _walk_any(self.tree, lambda n: isinstance(n, Current))

    @property
    def volatile(self) -> bool:
        """Depends on the clock, chance or repeat positions, not only on answers."""
        return bool(
            self.functions & {"today", "now", "random", "uuid", "position", "indexed-repeat"}
        )

    def evaluate(self, context: Any) -> Any:
        return self._fn(context)


def _walk(node: Node, into_predicates: bool = True) -> Iterable[Node]:
    """Every node; a lookup's predicate (whose bare names are choice columns) only when asked."""
    yield node
    if isinstance(node, Lookup):
        if into_predicates and node.predicate is not None:
            yield from _walk(node.predicate)
    elif isinstance(node, Binary):
        yield from _walk(node.left, into_predicates)
        yield from _walk(node.right, into_predicates)
    elif isinstance(node, Negate):
        yield from _walk(node.operand, into_predicates)
    elif isinstance(node, Call):
        for a in node.args:
            yield from _walk(a, into_predicates)


def _walk_any(node: Node, pred: Callable[[Node], bool]) -> bool:
    return any(pred(n) for n in _walk(node))


_REF_IN_STRING = re.compile(r"^\s*\$\{([^}]+)\}\s*$")


def parse(text: str, extra_functions: frozenset[str] = frozenset()) -> Expr:
    """Parse and compile ``text``; raises :class:`ExpressionError` with a code and position."""
    if not isinstance(text, str):
        raise ExpressionError("not_text", 0)
    parser = _Parser(text, frozenset(extra_functions))
    tree = parser.parse()
    return compile_tree(tree, text, extra_functions, typographic_quotes=parser.curly)


def compile_tree(
    tree: Node,
    text: str,
    extra_functions: frozenset[str] = frozenset(),
    typographic_quotes: bool = False,
) -> Expr:
    """Compile a syntax tree (all of a parsed expression, or one of its parts) into an
    :class:`Expr`; ``text`` is the source it came from."""
    refs: set[str] = set()
    cols: set[str] = {n.name for n in _walk(tree, False) if isinstance(n, Column)}
    funcs: set[str] = set()
    lists: set[str] = set()
    for n in _walk(tree):
        if isinstance(n, Ref):
            refs.add(n.name)
        elif isinstance(n, Lookup):
            lists.add(n.list_name)
        elif isinstance(n, Call):
            funcs.add(n.name)
            if n.name == "jr:choice-name" and len(n.args) == 2:
                arg = n.args[1]
                if isinstance(arg, Literal) and isinstance(arg.value, str):
                    m = _REF_IN_STRING.match(arg.value)
                    if m:
                        refs.add(m[1].strip())
    fn = _compile(tree, frozenset(extra_functions))
    return Expr(
        text=text,
        tree=tree,
        references=frozenset(refs),
        columns=frozenset(cols),
        functions=frozenset(funcs),
        typographic_quotes=typographic_quotes,
        instances=frozenset(lists),
        _fn=fn,
    )


def walk(node: Node) -> Iterable[Node]:
    """Every node of a syntax tree, depth first."""
    return _walk(node)


def _compile(node: Node, extra: frozenset[str]) -> Evaluator:
    if isinstance(node, Literal):
        value = node.value
        return lambda c: value
    if isinstance(node, Ref):
        name = node.name
        return lambda c: c.ref(name)
    if isinstance(node, Current):
        return lambda c: c.current()
    if isinstance(node, ParentRef):
        return lambda c: ""
    if isinstance(node, Column):
        col = node.name
        return lambda c: c.column(col)
    if isinstance(node, Negate):
        inner = _compile(node.operand, extra)
        return lambda c: -to_num(inner(c))
    if isinstance(node, Binary):
        return _compile_binary(node, extra)
    if isinstance(node, Call):
        return _compile_call(node, extra)
    if isinstance(node, Lookup):
        list_name, field_name = node.list_name, node.field
        pred = None if node.predicate is None else _compile(node.predicate, extra)

        def holds(c: Any) -> bool:
            return pred is None or to_bool(pred(c))

        return lambda c: c.lookup(list_name, holds, field_name)
    raise ExpressionError("unexpected_token", node.pos)  # pragma: no cover


def _compile_binary(node: Binary, extra: frozenset[str]) -> Evaluator:
    left = _compile(node.left, extra)
    right = _compile(node.right, extra)
    op = node.op
    if op == "or":
        return lambda c: to_bool(left(c)) or to_bool(right(c))
    if op == "and":
        return lambda c: to_bool(left(c)) and to_bool(right(c))
    if op == "=":
        return lambda c: _equal(left(c), right(c))
    if op == "!=":
        return lambda c: _not_equal(left(c), right(c))
    if op == "<":
        return lambda c: _relate(left(c), right(c), _lt)
    if op == "<=":
        return lambda c: _relate(left(c), right(c), _le)
    if op == ">":
        return lambda c: _relate(left(c), right(c), _gt)
    if op == ">=":
        return lambda c: _relate(left(c), right(c), _ge)
    if op == "+":
        return lambda c: to_num(left(c)) + to_num(right(c))
    if op == "-":
        return lambda c: to_num(left(c)) - to_num(right(c))
    if op == "*":
        return lambda c: to_num(left(c)) * to_num(right(c))
    if op == "div":
        return lambda c: _div(to_num(left(c)), to_num(right(c)))
    if op == "mod":
        return lambda c: _mod(to_num(left(c)), to_num(right(c)))
    raise ExpressionError("unexpected_token", node.pos, token=op)  # pragma: no cover


def _not_equal(a: Any, b: Any) -> bool:
    if type(a) is NodeSet or type(b) is NodeSet:
        return any(not _equal(x, y) for x in _values(a) for y in _values(b))
    return not _equal(a, b)


def _lt(a: float, b: float) -> bool:
    return a < b


def _le(a: float, b: float) -> bool:
    return a <= b


def _gt(a: float, b: float) -> bool:
    return a > b


def _ge(a: float, b: float) -> bool:
    return a >= b


def _div(a: float, b: float) -> float:
    if b == 0:
        if a != a or a == 0:
            return _NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or a != a or b != b or a in (math.inf, -math.inf):
        return _NAN
    return math.fmod(a, b)


def _round(x: float, digits: float = 0.0) -> float:
    """ODK's round: half away from zero, to ``digits`` decimals."""
    if x != x or digits != digits:
        return _NAN
    if x in (math.inf, -math.inf):
        return x
    sign = -1.0 if x < 0 else 1.0
    try:
        factor: float = 10.0**digits
        return sign * math.floor(abs(x) * factor + 0.5) / factor
    except (OverflowError, ZeroDivisionError, ValueError):
        # more decimals than a float holds leave it as it is; rounding to a power of ten
        # beyond any float gives 0
        return x if digits > 0 else 0.0


def _int(x: float) -> float:
    if x != x or x in (math.inf, -math.inf):
        return x
    return float(math.trunc(x))


def _split(v: Any) -> list[str]:
    return to_str(v).split()


def _number_list(args: list[Any]) -> list[float]:
    out: list[float] = []
    for a in args:
        out.extend(to_num(x) for x in _values(a))
    return out


def _min(*args: Any) -> float:
    nums = _number_list(list(args))
    if not nums or any(n != n for n in nums):
        return _NAN
    return min(nums)


def _max(*args: Any) -> float:
    nums = _number_list(list(args))
    if not nums or any(n != n for n in nums):
        return _NAN
    return max(nums)


def _sum(v: Any) -> float:
    """ODK's sum: NaN over no values at all, or when any value is not a number."""
    values = _values(v)
    if not values:
        return _NAN
    return float(sum(to_num(x) for x in values))


def _count(v: Any) -> float:
    if type(v) is NodeSet:
        return float(len(v))
    return 1.0


def _count_non_empty(v: Any) -> float:
    return float(sum(1 for x in _values(v) if to_str(x) != ""))


def _concat(*args: Any) -> str:
    return "".join("".join(_values_str(a)) for a in args)


def _values_str(v: Any) -> list[str]:
    return [to_str(x) for x in _values(v)]


def _join(sep: Any, *args: Any) -> str:
    parts: list[str] = []
    for a in args:
        parts.extend(_values_str(a))
    return to_str(sep).join(parts)


_INT_PREFIX = re.compile(r"\s*([+-]?\d+)")


def _parse_int(v: Any) -> int | None:
    """JavaScript's parseInt of the string value, as ODK uses for substr positions."""
    m = _INT_PREFIX.match(to_str(v))
    return int(m[1]) if m else None


def _substr(s: Any, start: Any, end: Any = None) -> str:
    """ODK's substr: 0-based, end exclusive, negative positions count from the end."""
    text = to_str(s)
    n = len(text)
    if n == 0:
        return ""
    a = _parse_int(start)
    b = n if end is None else _parse_int(end)
    if a is None or b is None:
        return ""
    if a < 0:
        a += n
    if b < 0:
        b += n
    b = min(max(0, b), n)
    a = min(max(0, a), n)
    return text[a:b] if a <= b else ""


def _regex(s: Any, pattern: Any) -> bool:
    try:
        return re.search(to_str(pattern), to_str(s)) is not None
    except re.error:
        return False


def _selected_at(v: Any, i: Any) -> str:
    items = _split(v)
    n = to_num(i)
    if n != n or n in (math.inf, -math.inf):
        return ""
    k = int(n)
    return items[k] if 0 <= k < len(items) else ""


def _boolean_from_string(v: Any) -> bool:
    return to_str(v).strip().lower() in ("true", "1")


def _date(v: Any) -> Any:
    if type(v) is NodeSet:
        v = v[0] if v else ""
    if isinstance(v, str):
        if v.strip() == "":
            return ""
        d = parse_date(v)
        if d is None:
            n = to_num(v)
            return to_date(n) if n == n else ""
        return d
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v
    n = to_num(v)
    if n != n:
        return ""
    return to_date(n) or ""


def _decimal_date_time(v: Any) -> float:
    return to_num(_date(v)) if not isinstance(v, (int, float)) else float(v)


_FORMATS: dict[str, Callable[[Any], str]] = {
    "%Y": lambda d: f"{d.year:04d}",
    "%y": lambda d: f"{d.year % 100:02d}",
    "%m": lambda d: f"{d.month:02d}",
    "%n": lambda d: str(d.month),
    "%d": lambda d: f"{d.day:02d}",
    "%e": lambda d: str(d.day),
    "%H": lambda d: f"{getattr(d, 'hour', 0):02d}",
    "%h": lambda d: str(getattr(d, "hour", 0)),
    "%M": lambda d: f"{getattr(d, 'minute', 0):02d}",
    "%S": lambda d: f"{getattr(d, 'second', 0):02d}",
    "%3": lambda d: f"{getattr(d, 'microsecond', 0) // 1000:03d}",
    "%a": lambda d: d.strftime("%a"),
    "%b": lambda d: d.strftime("%b"),
}


def _format_date(v: Any, fmt: Any) -> str:
    d = _date(v) if not isinstance(v, (_dt.date, _dt.datetime)) else v
    if not isinstance(d, _dt.date):
        return ""
    pattern = to_str(fmt)
    out: list[str] = []
    i = 0
    while i < len(pattern):
        two = pattern[i : i + 2]
        f = _FORMATS.get(two)
        if f is not None:
            out.append(f(d))
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _translate(s: Any, a: Any, b: Any) -> str:
    src, frm, to = to_str(s), to_str(a), to_str(b)
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):
        if ord(ch) not in table:
            table[ord(ch)] = ord(to[i]) if i < len(to) else None
    return src.translate(table)


_SIMPLE: dict[str, Callable[..., Any]] = {
    "concat": _concat,
    "join": _join,
    "substr": _substr,
    "substring": _substr,
    "contains": lambda a, b: to_str(b) in to_str(a),
    "starts-with": lambda a, b: to_str(a).startswith(to_str(b)),
    "ends-with": lambda a, b: to_str(a).endswith(to_str(b)),
    "translate": _translate,
    "regex": _regex,
    "selected": lambda v, x: to_str(x).strip() in _split(v),
    "selected-at": _selected_at,
    "count-selected": lambda v: float(len(_split(v))),
    "count": _count,
    "count-non-empty": _count_non_empty,
    "sum": _sum,
    "min": _min,
    "max": _max,
    "round": lambda x, d=0.0: _round(to_num(x), to_num(d)),
    "int": lambda x: _int(to_num(x)),
    "floor": lambda x: float(math.floor(n)) if (n := to_num(x)) == n and abs(n) != math.inf else n,
    "ceiling": lambda x: float(math.ceil(n)) if (n := to_num(x)) == n and abs(n) != math.inf else n,
    "abs": lambda x: abs(to_num(x)),
    "pow": lambda a, b: _pow(to_num(a), to_num(b)),
    "not": lambda x: not to_bool(x),
    "true": lambda: True,
    "false": lambda: False,
    "boolean": to_bool,
    "boolean-from-string": _boolean_from_string,
    "date": _date,
    "date-time": _date,
    "decimal-date-time": _decimal_date_time,
    "format-date": _format_date,
    "format-date-time": _format_date,
}


def _math(fn: Callable[..., float]) -> Callable[..., float]:
    """A math function over numbers; NaN where it is undefined, as in ODK."""

    def apply(*args: Any) -> float:
        try:
            return float(fn(*(to_num(a) for a in args)))
        except (OverflowError, ValueError, ZeroDivisionError):
            return _NAN

    return apply


def _checklist(lo: Any, hi: Any, *values: Any) -> bool:
    """ODK's checklist: how many values are true lies between ``lo`` and ``hi`` (-1: no bound)."""
    n = sum(1 for v in values for x in _values(v) if to_bool(x))
    low, high = to_num(lo), to_num(hi)
    return (low < 0 or n >= low) and (high < 0 or n <= high)


def _weighted_checklist(lo: Any, hi: Any, *pairs: Any) -> bool:
    total = 0.0
    for v, w in zip(pairs[0::2], pairs[1::2], strict=False):
        if to_bool(v):
            total += to_num(w)
    low, high = to_num(lo), to_num(hi)
    return (low < 0 or total >= low) and (high < 0 or total <= high)


def _decimal_time(v: Any) -> float:
    """The fraction of a day a time of day is (``12:00`` -> 0.5)."""
    m = re.match(r"\s*(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?", to_str(v))
    if not m:
        return _NAN
    seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0) + float(m[4] or 0)
    return seconds / 86400.0


def _digest(data: Any, algorithm: Any, encoding: Any = "base64") -> str:
    import base64
    import hashlib

    name = to_str(algorithm).lower().replace("-", "")
    if name not in ("md5", "sha1", "sha256", "sha384", "sha512"):
        return ""
    raw = hashlib.new(name, to_str(data).encode("utf-8")).digest()
    return raw.hex() if to_str(encoding).lower() == "hex" else base64.b64encode(raw).decode()


_SIMPLE.update(
    {
        "substring-before": lambda a, b: (
            to_str(a).partition(to_str(b))[0] if to_str(b) in to_str(a) else ""
        ),
        "substring-after": lambda a, b: (
            to_str(a).partition(to_str(b))[2] if to_str(b) in to_str(a) else ""
        ),
        "checklist": _checklist,
        "weighted-checklist": _weighted_checklist,
        "decimal-time": _decimal_time,
        "randomize": lambda v, seed=None: v,  # the order of choices, which Waymark keeps
        "digest": _digest,
        "area": lambda v: _NAN,  # over geopoints, which Waymark does not record
        "distance": lambda *v: _NAN,
        "sqrt": _math(math.sqrt),
        "exp": _math(math.exp),
        "exp10": _math(lambda x: 10.0**x),
        "log": _math(math.log),
        "log10": _math(math.log10),
        "sin": _math(math.sin),
        "cos": _math(math.cos),
        "tan": _math(math.tan),
        "asin": _math(math.asin),
        "acos": _math(math.acos),
        "atan": _math(math.atan),
        "atan2": _math(math.atan2),
        "pi": lambda: math.pi,
        "jr:itext": to_str,  # the label a lookup's ``itextId`` already gave
    }
)


def _pow(a: float, b: float) -> float:
    try:
        return float(math.pow(a, b))
    except (OverflowError, ValueError):
        return _NAN


def _compile_call(node: Call, extra: frozenset[str]) -> Evaluator:
    """A function call: a caller's own function, one read from the context, one that needs its
    argument nodes (``if``, ``indexed-repeat``, ...), or a plain function of the values."""
    args = [_compile(a, extra) for a in node.args]
    if node.name in extra:
        return _call_extra(node.name, args)
    if node.name in _FROM_CONTEXT:
        return _FROM_CONTEXT[node.name]
    special = _SPECIAL_CALLS.get(node.name)
    if special is not None:
        return special(node, args)
    return _call_simple(_SIMPLE[node.name], args)


def _call_extra(name: str, args: list[Evaluator]) -> Evaluator:
    def call_extra(c: Any) -> Any:
        return c.call(name, [a(c) for a in args])

    return call_extra


def _call_simple(fn: Callable[..., Any], args: list[Evaluator]) -> Evaluator:
    if len(args) == 1:
        a0 = args[0]
        return lambda c: fn(a0(c))
    if len(args) == 2:
        a0, a1 = args
        return lambda c: fn(a0(c), a1(c))
    return lambda c: fn(*[a(c) for a in args])


#: functions of no argument that the context answers
_FROM_CONTEXT: dict[str, Evaluator] = {
    "current": lambda c: c.current(),
    "today": lambda c: c.today(),
    "now": lambda c: c.now(),
    "uuid": lambda c: c.uuid(),
    "random": lambda c: c.random(),
    "position": lambda c: float(c.position()),
}

#: functions of one value that read the current question's value when given none
_OF_ONE_VALUE: dict[str, Callable[[Any], Any]] = {
    "string": to_str,
    "string-length": lambda v: float(len(to_str(v))),
    "number": to_num,
    "normalize-space": lambda v: " ".join(to_str(v).split()),
}


def _compile_one_value(node: Call, args: list[Evaluator]) -> Evaluator:
    fn = _OF_ONE_VALUE[node.name]
    arg = args[0] if args else _FROM_CONTEXT["current"]
    return lambda c: fn(arg(c))


def _compile_if(node: Call, args: list[Evaluator]) -> Evaluator:
    cond, yes, no = args
    return lambda c: yes(c) if to_bool(cond(c)) else no(c)


def _compile_coalesce(node: Call, args: list[Evaluator]) -> Evaluator:
    a, b = args

    def coalesce(c: Any) -> Any:
        v = a(c)
        return v if to_str(v) != "" else b(c)

    return coalesce


def _compile_once(node: Call, args: list[Evaluator]) -> Evaluator:
    inner = args[0]

    def once(c: Any) -> Any:
        cur = c.current()
        return cur if cur != "" else inner(c)

    return once


def _compile_pulldata(node: Call, args: list[Evaluator]) -> Evaluator:
    f, col, key_col, key = args
    return lambda c: c.pulldata(to_str(f(c)), to_str(col(c)), to_str(key_col(c)), to_str(key(c)))


def _compile_choice_name(node: Call, args: list[Evaluator]) -> Evaluator:
    value, path = args
    fixed = _fixed_choice_list(node.args[1])

    def choice_name(c: Any) -> str:
        target = fixed if fixed is not None else to_str(path(c)).rsplit("/", 1)[-1]
        return str(c.choice_label(target, to_str(value(c))))

    return choice_name


def _fixed_choice_list(arg_node: Node) -> str | None:
    """The question ``jr:choice-name`` names when it is written out (a string or a reference)."""
    if isinstance(arg_node, Literal) and isinstance(arg_node.value, str):
        m = _REF_IN_STRING.match(arg_node.value)
        return m[1].strip() if m else arg_node.value.rsplit("/", 1)[-1].strip()
    if isinstance(arg_node, Ref):
        return arg_node.name
    return None


def _compile_indexed_repeat(node: Call, args: list[Evaluator]) -> Evaluator:
    target_node = node.args[0]
    if not isinstance(target_node, Ref):
        raise ExpressionError("indexed_repeat_target", node.pos)
    target = target_node.name
    pairs: list[tuple[str, Evaluator]] = []
    for k in range(1, len(node.args) - 1, 2):
        rep = node.args[k]
        if not isinstance(rep, Ref):
            raise ExpressionError("indexed_repeat_target", rep.pos)
        pairs.append((rep.name, args[k + 1]))
    if len(node.args) % 2 == 0:
        raise ExpressionError("wrong_arity", node.pos, function=node.name, given=len(node.args))
    repeat_names = [p[0] for p in pairs]

    def indexed(c: Any) -> str:
        positions: list[int] = []
        for _, ev in pairs:
            n = to_num(ev(c))
            if n != n:
                return ""
            positions.append(int(n))
        return str(c.indexed(target, repeat_names[0], positions))

    return indexed


#: functions compiled from their argument nodes, not only from their values
_SPECIAL_CALLS: dict[str, Callable[[Call, list[Evaluator]], Evaluator]] = {
    "if": _compile_if,
    "coalesce": _compile_coalesce,
    "once": _compile_once,
    "pulldata": _compile_pulldata,
    "jr:choice-name": _compile_choice_name,
    "indexed-repeat": _compile_indexed_repeat,
    **dict.fromkeys(_OF_ONE_VALUE, _compile_one_value),
}


# ---------------------------------------------------------------------------------------------
# a plain context, for expressions outside a session (tests, outcome rules over a mapping)


class SimpleContext:
    """Evaluates over a mapping of name -> string value; missing names read as empty."""

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        current: str = "",
        functions: Mapping[str, Callable[..., Any]] | None = None,
        today: _dt.date | None = None,
    ) -> None:
        self._values = dict(values or {})
        self._current = current
        self._functions = dict(functions or {})
        self._today = today or _dt.date(2026, 1, 1)

    def ref(self, name: str) -> Any:
        v = self._values.get(name, "")
        if isinstance(v, list) and not isinstance(v, NodeSet):
            return " ".join(str(x) for x in v)
        return v if isinstance(v, (str, NodeSet)) else to_str(v)

    def current(self) -> str:
        return self._current

    def position(self) -> int:
        return 0

    def column(self, name: str) -> str:
        return str(self.ref(name))

    def indexed(self, name: str, repeat: str, positions: list[int]) -> str:
        v = self._values.get(name, "")
        if isinstance(v, NodeSet) and positions and 1 <= positions[0] <= len(v):
            return v[positions[0] - 1]
        return ""

    def choice_label(self, name: str, value: str) -> str:
        return value

    def today(self) -> _dt.date:
        return self._today

    def now(self) -> _dt.datetime:
        return _dt.datetime.combine(self._today, _dt.time(), tzinfo=_dt.UTC)

    def uuid(self) -> str:
        return "00000000-0000-4000-8000-000000000000"

    def random(self) -> float:
        return 0.5

    def call(self, name: str, args: list[Any]) -> Any:
        fn = self._functions.get(name)
        if fn is None:
            raise ExpressionError("unknown_function", 0, function=name)
        return fn(*args)

    def lookup(self, list_name: str, holds: Callable[[Any], bool], field: str) -> Any:
        return "" if field else NodeSet()

    def pulldata(self, file: str, column: str, key_column: str, key: str) -> str:
        return ""
