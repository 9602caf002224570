"""Filter rules compiled once into checks: ``*string``, ``*prefix``, ``*gte`` and the rest.

A :class:`CompiledRule` holds its element and values already split into static texts and
compiled paths, its RSR parsers built, its timing and destination lookups bound through a
:class:`FilterEnv`; :meth:`CompiledRule.passes` only reads the DataProvider and compares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters.dataprovider import MISSING, DataProvider, Path, compile_path, remote_ref
from tollgate.filters.rsr import FilterNotPassingError, RSRParsers, parse_rsr_list
from tollgate.filters.values import as_string, equal_to, greater_than, string_to_value

__all__ = [
    "BASE_TYPES",
    "INDEXED_TYPES",
    "CompiledRule",
    "FilterEnv",
    "SimpleRule",
    "StaticEnv",
    "Value",
    "compile_rule",
    "pass_simple",
    "rule_type",
    "simple_rule",
]


class FilterEnv(Protocol):
    """What ``*destinations`` and ``*timings`` rules read besides the event."""

    def destination_ids(self, number: str) -> Iterable[tuple[str, Sequence[str]]]:
        """(prefix, destination ids) for the known prefixes of ``number``, longest first."""
        ...

    def timing_active(self, timing_id: str, at: GoTime) -> bool | None:
        """Whether the timing is active at ``at``; None when there is no such timing."""
        ...

    @property
    def timezone(self) -> str:
        """``general.default_timezone``: how a time without a zone is read."""
        ...


class StaticEnv:
    """A FilterEnv over plain maps (tests and tools)."""

    def __init__(
        self,
        destinations: Mapping[str, Sequence[str]] | None = None,
        timings: Mapping[str, Any] | None = None,
        timezone: str = "UTC",
    ) -> None:
        self._reverse: dict[str, list[str]] = {}
        for dest_id, prefixes in (destinations or {}).items():
            for prefix in prefixes:
                self._reverse.setdefault(prefix, []).append(dest_id)
        self._timings = dict(timings or {})
        self._tz = timezone

    def destination_ids(self, number: str) -> Iterable[tuple[str, Sequence[str]]]:
        for size in range(len(number), 0, -1):
            ids = self._reverse.get(number[:size])
            if ids:
                yield number[:size], ids

    def timing_active(self, timing_id: str, at: GoTime) -> bool | None:
        timing = self._timings.get(timing_id)
        if timing is None:
            return None
        return bool(timing.is_active_at(at.ns, at.tz))

    @property
    def timezone(self) -> str:
        return self._tz


# the types with their own check; "*not<type>" negates one, "*ni<type>" is the same check
# kept out of the indexes
BASE_TYPES = frozenset(
    {
        "*string", "*prefix", "*suffix", "*empty", "*exists", "*timings", "*destinations",
        "*rsr", "*lt", "*lte", "*gt", "*gte", "*eq",
    }
)  # fmt: skip
_NEGATABLE = frozenset(
    {"*string", "*prefix", "*suffix", "*empty", "*exists", "*timings", "*destinations", "*rsr"}
)
_NON_INDEXED = frozenset({"*nistring", "*niprefix", "*nisuffix", "*niexists"})
INDEXED_TYPES = frozenset({"*string", "*prefix"})
_NEEDS_ELEMENT = BASE_TYPES - {"*rsr"}
_NEEDS_VALUES = BASE_TYPES - {"*empty", "*exists"}


def rule_type(kind: str) -> tuple[str, bool] | None:
    """(base type, negated) of a rule type, None when unsupported."""
    if kind in BASE_TYPES:
        return kind, False
    if kind == "*noteq":
        return "*eq", True
    if kind in _NON_INDEXED:
        return "*" + kind[3:], False
    if kind.startswith("*not"):
        base = "*" + kind[4:]
        if base in _NEGATABLE:
            return base, True
    return None


_UNREAD: Any = object()


class Value:
    """An element or a value of a rule: a constant, or a path read from the DataProvider."""

    __slots__ = ("_interface", "path", "remote", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.path: Path | None = compile_path(text) if text.startswith("~") else None
        self.remote = remote_ref(self.path) if self.path is not None else None
        # a constant's typed reading, on first use and kept (profiles that only *string
        # never need it); times relative to now (*now, +1h) are read at each use
        self._interface: Any = _UNREAD

    def string(self, dp: DataProvider) -> Any:
        """``DPDynamicString``: the text, or MISSING."""
        if self.path is None:
            return self.text
        value = dp.field(self.path)
        return value if value is MISSING else as_string(value)

    def raw(self, dp: DataProvider) -> Any:
        """``DPDynamicInterface``: the field as held, a constant as its typed reading."""
        if self.path is None:
            value = self._interface
            if value is _UNREAD:
                value = string_to_value(self.text)
                if not self.text.startswith(("*", "+")):
                    self._interface = value
            return value
        return dp.field(self.path)

    def typed(self, dp: DataProvider) -> Any:
        """:meth:`raw`, with a text read as a number, time or duration when it parses."""
        value = self.raw(dp)
        return string_to_value(value) if isinstance(value, str) else value


_VALUES: dict[str, Value] = {}
_NO_REFS: frozenset[tuple[str, str]] = frozenset()


def _value(text: str) -> Value:
    """A shared Value per text (they never change): 100,000 rules on ``~*req.Account``
    hold one element between them."""
    value = _VALUES.get(text)
    if value is None:
        if len(_VALUES) >= 500_000:
            _VALUES.clear()
        value = _VALUES[text] = Value(text)
    return value


Check = Callable[["CompiledRule", DataProvider, FilterEnv], bool]


class CompiledRule:
    """One rule ready to run; ``passes`` raises TollgateError on errors v0.10 reports."""

    __slots__ = (
        "_check",
        "base",
        "element",
        "index_keys",
        "negative",
        "remote",
        "rsr",
        "type",
        "values",
    )

    def __init__(self, kind: str, element: str, values: Sequence[str], *, strict: bool) -> None:
        resolved = rule_type(kind)
        if resolved is None:
            raise TollgateError(f"Unsupported filter Type: {kind}")
        self.type = kind
        self.base, self.negative = resolved
        if strict and not element and self.base in _NEEDS_ELEMENT:
            raise TollgateError(f"Element is mandatory for Type: {kind}")
        if strict and not values and self.base in _NEEDS_VALUES:
            raise TollgateError(f"Values is mandatory for Type: {kind}")
        self.element = _value(element)
        self.values = tuple(_value(v) for v in values)
        self.rsr: RSRParsers | None = None
        if self.base == "*rsr" or (self.base == "*exists" and values):
            self.rsr = parse_rsr_list(list(values), True)
        self._check = _CHECKS[self.base]
        refs = [v.remote for v in (self.element, *self.values) if v.remote is not None]
        if self.rsr is not None:
            refs.extend(self.rsr.remote_refs())
        self.remote: frozenset[tuple[str, str]] = frozenset(refs) if refs else _NO_REFS
        self.index_keys = self._index_keys()

    def _index_keys(self) -> tuple[tuple[str, str, str], ...]:
        """(type, field under ``*req``, value) for a ``*string``/``*prefix`` rule on an event
        field with constant values; none for the rest (values read from the event either)."""
        if self.type not in INDEXED_TYPES:
            return ()
        path = self.element.path
        if path is None or len(path) < 2 or path[0] != "*req":
            return ()
        for value in self.values:
            if value.path is not None:
                return ()
        fld = self.element.text[6:]  # after "~*req."
        return tuple((self.type, fld, value.text) for value in self.values)

    def passes(self, dp: DataProvider, env: FilterEnv) -> bool:
        return self._check(self, dp, env) != self.negative

    def __repr__(self) -> str:
        return f"CompiledRule({self.type}:{self.element.text}:{[v.text for v in self.values]})"


def compile_rule(
    kind: str, element: str, values: Sequence[str], *, strict: bool = True
) -> CompiledRule:
    """Compile a rule; ``strict`` also requires the Element and Values its type needs."""
    return CompiledRule(kind, element, values, strict=strict)


# (field path, constant values, prefix match, negated): a *string/*prefix rule (or its
# *not/*ni form) on a field of the event's own maps, with constant values
SimpleRule = tuple[Path, tuple[str, ...], bool, bool]


def simple_rule(rule: CompiledRule) -> SimpleRule | None:
    """``rule`` as a :data:`SimpleRule` when it is one, else None."""
    if rule.base not in INDEXED_TYPES:
        return None
    path = rule.element.path
    if path is None or rule.element.remote is not None:
        return None
    if any(value.path is not None for value in rule.values):
        return None
    return path, tuple(value.text for value in rule.values), rule.base == "*prefix", rule.negative


def pass_simple(rules: tuple[SimpleRule, ...], dp: DataProvider) -> bool:
    """Whether ``dp`` passes every rule: what ``CompiledRule.passes`` answers for them,
    read from the profile that holds them instead of from the filter objects."""
    for path, values, prefix, negative in rules:
        value = dp.field(path)
        if value is MISSING:
            passed = False
        else:
            text = as_string(value)
            passed = text.startswith(values) if prefix else text in values
        if passed == negative:
            return False
    return True


# -- checks ------------------------------------------------------------------------------


def _string(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    text = rule.element.string(dp)
    if text is MISSING:
        return False
    return any(v.string(dp) == text for v in rule.values)


def _prefix(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    text = rule.element.string(dp)
    if text is MISSING:
        return False
    for value in rule.values:
        prefix = value.string(dp)
        if prefix is not MISSING and text.startswith(prefix):
            return True
    return False


def _suffix(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    text = rule.element.string(dp)
    if text is MISSING:
        return False
    for value in rule.values:
        suffix = value.string(dp)
        if suffix is not MISSING and text.endswith(suffix):
            return True
    return False


def _empty(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    value = rule.element.raw(dp)
    if value is MISSING or value is None:
        return True
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) == 0
    return False


def _exists(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    if rule.rsr is None:
        return rule.element.raw(dp) is not MISSING
    # with Values, the path itself is built by the RSR rules (v0.10's dynamic path)
    try:
        path = rule.rsr.parse(dp)
    except NotFoundError:
        return False
    if not path.startswith("~"):
        return True
    return dp.field(compile_path(path)) is not MISSING


def _timings(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    value = rule.element.raw(dp)
    if value is MISSING:
        return False
    if isinstance(value, GoTime):
        at = value
    elif isinstance(value, dt.datetime):
        at = GoTime.from_datetime(value)
    else:
        try:
            at = parse_time_detect_layout(as_string(value), env.timezone)
        except ValueError as exc:
            raise TollgateError(str(exc)) from exc
    for timing in rule.values:
        timing_id = timing.string(dp)
        if timing_id is MISSING:
            continue
        if env.timing_active(timing_id, at):
            return True
    return False


def _destinations(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    number = rule.element.string(dp)
    if number is MISSING:
        return False
    wanted = [w for w in (v.string(dp) for v in rule.values) if w is not MISSING]
    for _matched, ids in env.destination_ids(number):
        for dest_id in ids:
            if dest_id in wanted:
                return True
    return False


def _rsr(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    assert rule.rsr is not None
    try:
        rule.rsr.parse(dp)
    except (NotFoundError, FilterNotPassingError):
        return False
    return True


def _compare(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    field = rule.element.typed(dp)
    if field is MISSING:
        return False
    base = rule.base
    or_equal = base in ("*gte", "*lt")
    greater = base in ("*gt", "*gte")
    for value in rule.values:
        other = value.typed(dp)
        if other is MISSING:
            continue
        if greater_than(field, other, or_equal) == greater:
            return True
    return False


def _equal(rule: CompiledRule, dp: DataProvider, env: FilterEnv) -> bool:
    field = rule.element.typed(dp)
    if field is MISSING:
        return False
    for value in rule.values:
        other = value.typed(dp)
        if other is MISSING:
            continue
        if equal_to(field, other):
            return True
    return False


_CHECKS: dict[str, Check] = {
    "*string": _string,
    "*prefix": _prefix,
    "*suffix": _suffix,
    "*empty": _empty,
    "*exists": _exists,
    "*timings": _timings,
    "*destinations": _destinations,
    "*rsr": _rsr,
    "*lt": _compare,
    "*lte": _compare,
    "*gt": _compare,
    "*gte": _compare,
    "*eq": _equal,
}
