"""The path mini-language and value comparison of the conformance cases.

Paths (see ``shared/conformance/README.md`` §1)::

    Cost                              dotted keys; keys may start with ``*``
    BalanceMap.*monetary[0].Value     ``[i]`` index (negative counts from the end)
    SortedSuppliers[*].SupplierID     ``[*]`` projection: the rest applies to every element
    $  /  [0].Cost  /  $[0].Cost      ``$`` is the reply root; a path may start with ``[i]``
    ["key.with.dots"]  ['k']          literal keys
    len(p)  sum(p)  json(p)           functions; a path may follow: ``json(p).Cost``
    select(listPath, Field==value)    filter a list (``==`` or ``!=``; value quoted, a
                                      number, true/false/null or a bare word)

Expected values: plain JSON compared whole and deeply; numbers compare numerically
(ints exactly, others within 1e-9 relative); ``{"$ne": x}``, ``{"$unordered": [...]}``
and ``{"$gt": n}`` anywhere in an expected value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

__all__ = [
    "MISSING",
    "Path",
    "PathError",
    "compare",
    "compile_path",
    "evaluate",
    "is_number",
    "numbers_equal",
]


class _Missing:
    """A path that leads nowhere (absent key, index out of range, wrong type)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


class PathError(ValueError):
    """A path expression that does not parse."""


# ---------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class _Key:
    name: str


@dataclass(frozen=True)
class _Index:
    index: int


@dataclass(frozen=True)
class _Project:
    pass


@dataclass(frozen=True)
class _Cond:
    field: Path
    op: str
    value: Any


@dataclass(frozen=True)
class _Call:
    name: str
    arg: Path
    cond: _Cond | None = None


_Step = _Key | _Index | _Project


@dataclass(frozen=True)
class Path:
    """A compiled path: an optional function call as base, then steps."""

    text: str
    base: _Call | None
    steps: tuple[_Step, ...]

    def __call__(self, root: Any) -> Any:
        value = root if self.base is None else _call(self.base, root)
        return _walk(value, self.steps)


_FUNCS: Final = frozenset({"len", "sum", "json", "select"})
_KEY_STOP: Final = frozenset(".[](),=!<> \t")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> PathError:
        return PathError(f"{what} at {self.pos} in path {self.text!r}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_ws(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def expect(self, token: str) -> None:
        self.skip_ws()
        if not self.text.startswith(token, self.pos):
            raise self.error(f"expected {token!r}")
        self.pos += len(token)

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _KEY_STOP:
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        quote = self.peek()
        end = self.text.find(quote, self.pos + 1)
        if end < 0:
            raise self.error("unterminated string")
        value = self.text[self.pos + 1 : end]
        self.pos = end + 1
        return value

    def path(self) -> Path:
        start = self.pos
        self.skip_ws()
        base: _Call | None = None
        steps: list[_Step] = []
        if self.peek() == "$":
            self.pos += 1
        elif self.peek() not in ("[", ""):
            name = self.name()
            if not name:
                raise self.error("expected a key")
            if self.peek() == "(" and name in _FUNCS:
                base = self.call(name)
            else:
                steps.append(_Key(name))
        while self.peek() in (".", "["):
            if self.peek() == ".":
                self.pos += 1
                if self.peek() in ('"', "'"):
                    steps.append(_Key(self.quoted()))
                    continue
                name = self.name()
                if not name:
                    raise self.error("expected a key after '.'")
                steps.append(_Key(name))
            else:
                steps.append(self.bracket())
        return Path(self.text[start : self.pos].strip(), base, tuple(steps))

    def bracket(self) -> _Step:
        self.pos += 1
        self.skip_ws()
        step: _Step
        if self.peek() in ('"', "'"):
            step = _Key(self.quoted())
        elif self.peek() == "*":
            self.pos += 1
            step = _Project()
        else:
            token = self.name()
            try:
                step = _Index(int(token))
            except ValueError:
                raise self.error(f"bad index {token!r}") from None
        self.expect("]")
        return step

    def call(self, name: str) -> _Call:
        self.pos += 1  # "("
        arg = self.path()
        cond = None
        if name == "select":
            self.expect(",")
            field = self.path()
            self.skip_ws()
            op = self.text[self.pos : self.pos + 2]
            if op not in ("==", "!="):
                raise self.error("expected == or !=")
            self.pos += 2
            cond = _Cond(field, op, self.literal())
        self.expect(")")
        return _Call(name, arg, cond)

    def literal(self) -> Any:
        self.skip_ws()
        if self.peek() in ('"', "'"):
            return self.quoted()
        start = self.pos
        while self.peek() not in ("", ")", ",", " ", "\t"):
            self.pos += 1
        token = self.text[start : self.pos]
        if token in ("true", "false", "null"):
            return json.loads(token)
        try:
            return json.loads(token) if token[:1] in "-0123456789" else token
        except ValueError:
            return token


_CACHE: dict[str, Path] = {}


def compile_path(text: str) -> Path:
    """Parse ``text`` once; raises :class:`PathError` on a syntax error."""
    path = _CACHE.get(text)
    if path is None:
        parser = _Parser(text)
        path = parser.path()
        parser.skip_ws()
        if not text.strip():
            raise PathError("empty path (the reply root is '$')")
        if parser.pos != len(text):
            raise parser.error("unexpected character")
        _CACHE[text] = path
    return path


def evaluate(text: str, root: Any) -> Any:
    """The value at ``text`` in ``root``, or :data:`MISSING`."""
    return compile_path(text)(root)


# ---------------------------------------------------------------------- evaluation


def _walk(value: Any, steps: Sequence[_Step]) -> Any:
    for i, step in enumerate(steps):
        if value is MISSING:
            return MISSING
        if isinstance(step, _Project):
            if not isinstance(value, list):
                return MISSING
            rest = steps[i + 1 :]
            return [v for v in (_walk(item, rest) for item in value) if v is not MISSING]
        if isinstance(step, _Key):
            value = value.get(step.name, MISSING) if isinstance(value, dict) else MISSING
        elif isinstance(value, list) and -len(value) <= step.index < len(value):
            value = value[step.index]
        else:
            value = MISSING
    return value


def _call(call: _Call, root: Any) -> Any:
    value = call.arg(root)
    if call.name == "json":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return MISSING
        return value
    if value is None or value is MISSING:
        # Go's len/range over a nil slice or an absent map entry: zero, empty.
        value = []
    if call.name == "len":
        return len(value) if isinstance(value, list | dict | str) else MISSING
    if not isinstance(value, list):
        return MISSING
    if call.name == "sum":
        if not all(is_number(v) for v in value):
            return MISSING
        return sum((_decimal(v) for v in value), Decimal(0))
    assert call.cond is not None
    return [item for item in value if _passes(call.cond, item)]


def _passes(cond: _Cond, item: Any) -> bool:
    got = cond.field(item)
    equal = got is not MISSING and compare(cond.value, got) is None
    return equal if cond.op == "==" else not equal


# ---------------------------------------------------------------------- comparison


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _decimal(value: int | float | Decimal) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def numbers_equal(a: int | float | Decimal, b: int | float | Decimal) -> bool:
    """Integers exactly; anything else within 1e-9 relative (absolute below 1)."""
    da, db = _decimal(a), _decimal(b)
    if da == db:
        return True
    if not (da.is_finite() and db.is_finite()):
        return False
    if da == da.to_integral_value() and db == db.to_integral_value():
        return False
    try:
        return abs(da - db) <= Decimal("1e-9") * max(Decimal(1), abs(da), abs(db))
    except InvalidOperation:
        return False


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _unordered(expected: list[Any], got: Any, where: str) -> str | None:
    if not isinstance(got, list):
        return f"{where or '$'}: expected a list (any order), got {got!r}"
    if len(got) != len(expected):
        return f"{where or '$'}: expected {len(expected)} elements (any order), got {len(got)}"
    left = list(got)
    for item in expected:
        for j, candidate in enumerate(left):
            if compare(item, candidate) is None:
                del left[j]
                break
        else:
            return f"{where or '$'}: no element matches {item!r} (any order) in {got!r}"
    return None


def _gt(expected: Any, got: Any, where: str) -> str | None:
    if is_number(expected) and is_number(got) and _decimal(got) > _decimal(expected):
        return None
    return f"{where or '$'}: expected a number > {expected!r}, got {got!r}"


def _ne(expected: Any, got: Any, where: str) -> str | None:
    if got is MISSING:
        return f"{where or '$'}: missing (expected a value != {expected!r})"
    if compare(expected, got) is None:
        return f"{where or '$'}: expected a value != {expected!r}, got {got!r}"
    return None


_OPERATORS: Final[dict[str, Callable[[Any, Any, str], str | None]]] = {
    "$ne": _ne,
    "$unordered": _unordered,
    "$gt": _gt,
}


def compare(expected: Any, got: Any, where: str = "") -> str | None:
    """``None`` when ``got`` satisfies ``expected``, else the first difference."""
    if isinstance(expected, dict) and len(expected) == 1:
        ((op, arg),) = expected.items()
        if op in _OPERATORS:
            return _OPERATORS[op](arg, got, where)
    label = where or "$"
    if got is MISSING:
        return f"{label}: missing, expected {expected!r}"
    if is_number(expected) and is_number(got):
        return None if numbers_equal(expected, got) else f"{label}: {got!r} != {expected!r}"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{label}: expected an object, got {got!r}"
        extra = sorted(set(got) - set(expected))
        if extra:
            return f"{label}: unexpected keys {extra} (expected {expected!r}, got {got!r})"
        for key, value in expected.items():
            problem = compare(value, got.get(key, MISSING), _at(where, key))
            if problem is not None:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(got, list):
            return f"{label}: expected a list, got {got!r}"
        if len(got) != len(expected):
            return f"{label}: expected {len(expected)} elements, got {len(got)}: {got!r}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            problem = compare(e, g, _at(where, i))
            if problem is not None:
                return problem
        return None
    if type(expected) is not type(got) or expected != got:
        return f"{label}: {got!r} != {expected!r}"
    return None
