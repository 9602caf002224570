"""Attribute substitutions: what each ``Type`` computes from its ``Value`` parsers, and where
the result is written (CGRateS v0.10 ``AttributeService.processEvent``).

An attribute is compiled once (:func:`compile_attribute`): its ``Value`` becomes
:class:`~tollgate.filters.RSRParsers`, its ``Type`` one of the functions below and its
``Path`` a tuple of segments. Every substitution yields a string, as v0.10's does; the
event field receives that string (``*sum`` of ``10`` and ``5`` writes ``"15"``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tollgate.core.durations import format_duration
from tollgate.core.errors import NotFoundError, TollgateError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.filters import (
    MISSING,
    DataProvider,
    Duration,
    RSRParser,
    RSRParsers,
    as_decimal,
    as_duration,
    as_string,
    parse_rsr,
    parse_rsr_list,
    string_to_value,
)
from tollgate.rating.rounding import round_money

__all__ = [
    "AttrType",
    "AttributeCompiler",
    "CompiledAttribute",
    "Scratch",
    "compile_attribute",
    "is_not_found",
    "rules_json",
]


class AttrType(StrEnum):
    """The substitution types of v0.10 (``Type`` ""  is ``*variable``)."""

    CONSTANT = "*constant"
    VARIABLE = "*variable"
    COMPOSED = "*composed"
    USAGE_DIFFERENCE = "*usage_difference"
    SUM = "*sum"
    VALUE_EXPONENT = "*value_exponent"
    SIPCID = "*sipcid"


TENANT_PATH = "*tenant"
REMOVE = "*remove"
_REQ = "*req"

# (parsers, data provider, rounding decimals) -> the substitute
Substitute = Callable[[RSRParsers, DataProvider, int], str]


def is_not_found(exc: BaseException) -> bool:
    """Go's ``err == utils.ErrNotFound``: the bare ``NOT_FOUND``, not ``NOT_FOUND:<id>``."""
    return isinstance(exc, NotFoundError) and str(exc) == "NOT_FOUND"


def rules_json(parsers: RSRParsers) -> str:
    """``utils.ToJSON`` of the parsers (one-space indent, HTML characters escaped), as
    v0.10's argument-count errors print them."""
    data = [{"Rules": p.rules, "AllFiltersMatch": p.all_filters_match} for p in parsers]
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _constant(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    if len(values) == 1:  # the common case, without the join's generator
        return values[0].parse_value("")
    return values.parse_value("")


def _variable(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    if len(values) == 1:
        return values[0].parse(dp)
    return values.parse(dp)


def _usage_difference(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    if len(values) != 2:
        raise TollgateError(f"invalid arguments <{rules_json(values)}> to *usage_difference")
    end_text, start_text = values[0].parse(dp), values[1].parse(dp)
    try:
        end = parse_time_detect_layout(end_text, "UTC")  # Go's LoadLocation("") is UTC
        start = parse_time_detect_layout(start_text, "UTC")
    except ValueError as exc:
        raise TollgateError(str(exc)) from None
    return format_duration(end.ns - start.ns)


def _as_int64(value: Any) -> int:
    """``IfaceAsInt64``: ints and durations, floats truncated, decimal strings."""
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {as_string(value)} to int")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value, 10)
        except ValueError:
            raise TollgateError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None
    raise TollgateError(f"cannot convert field: {as_string(value)} to int")


def go_sum(items: Sequence[Any]) -> Any:
    """``utils.Sum``: the first item's kind decides (duration, time, float, int); a first
    item of any other kind sums to nothing (None)."""
    if len(items) < 2:
        raise TollgateError("NotEnoughParameters")
    first = items[0]
    rest = items[1:]
    if isinstance(first, Duration):
        return Duration(int(first) + sum(int(as_duration(item)) for item in rest))
    if isinstance(first, GoTime):
        return first.add(sum(int(as_duration(item)) for item in rest))
    if isinstance(first, Decimal):
        return first + sum((as_decimal(item) for item in rest), Decimal(0))
    if isinstance(first, int) and not isinstance(first, bool):
        return first + sum(_as_int64(item) for item in rest)
    return None


def _sum(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    return as_string(go_sum([string_to_value(parser.parse(dp)) for parser in values]))


def _value_exponent(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    if len(values) != 2:
        raise TollgateError(f"invalid arguments <{rules_json(values)}> to *value_exponent")
    text = values[0].parse(dp)
    try:
        value = as_decimal(text)
    except TollgateError:
        raise TollgateError(f"invalid value <{text}> to *value_exponent") from None
    exp_text = values[1].parse(dp)
    try:
        exponent = int(exp_text, 10)
    except ValueError:
        raise TollgateError(f'strconv.Atoi: parsing "{exp_text}": invalid syntax') from None
    try:
        scaled = value.scaleb(exponent)
    except InvalidOperation:
        raise TollgateError(f"invalid value <{text}> to *value_exponent") from None
    if not scaled.is_finite():
        return as_string(scaled)
    return as_string(round_money(scaled, decimals, "*middle"))


def _sipcid(values: RSRParsers, dp: DataProvider, decimals: int) -> str:
    if not values:
        raise TollgateError(f"invalid number of arguments <{rules_json(values)}> to *sipcid")
    first = values[0].parse(dp)
    others: list[str] = []
    for parser in values[1:]:
        try:
            text = parser.parse(dp)
        except TollgateError as exc:
            if is_not_found(exc):
                continue
            raise
        if text:
            others.append(text)
    return ";".join([first, *sorted(others)])


SUBSTITUTES: dict[str, Substitute] = {
    AttrType.CONSTANT: _constant,
    AttrType.VARIABLE: _variable,
    "": _variable,  # v0.10: an empty Type is *variable
    AttrType.COMPOSED: _variable,  # appended to the field's value when written
    AttrType.USAGE_DIFFERENCE: _usage_difference,
    AttrType.SUM: _sum,
    AttrType.VALUE_EXPONENT: _value_exponent,
    AttrType.SIPCID: _sipcid,
}


class Scratch:
    """The maps one ProcessEvent run reads and writes: the event (``*req``), any other
    root a Path names (``*vars.X``), and top-level names (a Path without a root)."""

    __slots__ = ("dp", "event", "top")

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.dp = DataProvider(event)
        self.top: dict[str, Any] = {}

    def _root(self, name: str, create: bool) -> MutableMapping[str, Any] | None:
        if name == _REQ:
            return self.event
        current = self.dp.map(name)
        if isinstance(current, dict):
            return current
        if not create:
            return None
        made: dict[str, Any] = {}
        self.dp.set_map(name, made)
        return made

    def read(self, path: tuple[str, ...]) -> str:
        """The field's value as text, "" when missing (``FieldAsString`` for *composed)."""
        if len(path) == 1:
            return as_string(self.top.get(path[0], ""))
        obj: Any = self._root(path[0], create=False)
        for segment in path[1:]:
            if not isinstance(obj, MutableMapping):
                return ""
            obj = obj.get(segment, MISSING)
            if obj is MISSING:
                return ""
        return as_string(obj)

    def write(self, path: tuple[str, ...], value: str) -> None:
        """``MapStorage.Set``: sub-maps made as needed; nested maps shared with the caller's
        event are copied before they change. Raises ``WRONG_PATH`` through a non-map."""
        if len(path) == 1:
            self.top[path[0]] = value
            return
        parent = self._root(path[0], create=True)
        assert parent is not None
        for segment in path[1:-1]:
            child = parent.get(segment, MISSING)
            if child is MISSING:
                child = {}
            elif isinstance(child, MutableMapping):
                child = dict(child)
            else:
                raise TollgateError("WRONG_PATH")
            parent[segment] = child
            parent = child
        parent[path[-1]] = value

    def remove(self, path: tuple[str, ...]) -> None:
        """``MapStorage.Remove``: a missing field (or a non-map on the way) is left alone."""
        if len(path) == 1:
            self.top.pop(path[0], None)
            return
        parent = self._root(path[0], create=False)
        if parent is None:
            return
        for segment in path[1:-1]:
            child = parent.get(segment, MISSING)
            if not isinstance(child, MutableMapping):
                return
            child = dict(child)
            parent[segment] = child
            parent = child
        parent.pop(path[-1], None)


def _static_text(values: RSRParsers) -> str | None:
    """What ``*constant`` parsers give, when they are plain texts (no converter, no filter,
    no ``~`` rule): known at compile time. None when it needs computing at each use."""
    for parser in values:
        if parser.path or parser.converters or parser.filters:
            return None
    return "".join(parser.static for parser in values)


class CompiledAttribute:
    """One attribute ready to run: filters, target path, substitution and parsers."""

    __slots__ = ("composed", "constant", "filter_ids", "path", "substitute", "target", "values")

    def __init__(
        self,
        path: str,
        kind: str,
        values: RSRParsers,
        filter_ids: Sequence[str] = (),
        target: tuple[str, ...] | None = None,
    ) -> None:
        substitute = SUBSTITUTES.get(kind)
        if substitute is None:
            raise TollgateError(f"unsupported type: <{kind}>")
        self.path = path
        self.filter_ids = tuple(filter_ids)
        self.values = values
        self.substitute = substitute
        self.composed = kind == AttrType.COMPOSED
        # a plain *constant's text, computed once: a request reads no parser object
        self.constant = _static_text(values) if kind == AttrType.CONSTANT else None
        # None: the *tenant path; else the segments of the field written
        if path == TENANT_PATH:
            self.target = None
        else:
            self.target = target if target is not None else tuple(path.split("."))

    def apply(self, scratch: Scratch, tenant: str, decimals: int) -> str:
        """Run the substitution into ``scratch``; returns the (possibly new) tenant."""
        value = self.constant
        if value is None:
            value = self.substitute(self.values, scratch.dp, decimals)
        target = self.target
        if target is None:  # *tenant: the event changes tenant
            return tenant + value if self.composed else value
        if value == REMOVE:
            scratch.remove(target)
            return tenant
        if self.composed:
            value = scratch.read(target) + value
        scratch.write(target, value)
        return tenant


def compile_attribute(
    path: str, kind: str, rules: str | Sequence[str], filter_ids: Sequence[str] = ()
) -> CompiledAttribute:
    """An attribute from its parts; raises TollgateError with v0.10's texts (bad rule,
    unknown type)."""
    return CompiledAttribute(path, kind, parse_rsr_list(rules), filter_ids)


class AttributeCompiler:
    """Compiles the attributes of many profiles (a tariff-plan load, or the profiles
    compiled on first use), sharing one object per distinct attribute, rule and target
    path: a request then touches fewer cold objects, which keeps ProcessEvent among 100,000
    profiles close to among 10. Holds at most ``limit`` attributes and as many rules; past
    that it starts again (what it compiled stays valid, only later sharing is lost)."""

    __slots__ = ("_attributes", "_parsers", "_targets", "limit")

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._attributes: dict[tuple[Any, ...], CompiledAttribute] = {}
        self._parsers: dict[str, RSRParser] = {}
        self._targets: dict[str, tuple[str, tuple[str, ...]]] = {}

    def __len__(self) -> int:
        return len(self._attributes) + len(self._parsers)

    def clear(self) -> None:
        self._attributes.clear()
        self._parsers.clear()
        self._targets.clear()

    def attribute(
        self, path: str, kind: str, rules: Sequence[str], filter_ids: Sequence[str] = ()
    ) -> CompiledAttribute:
        key = (path, kind, tuple(rules), tuple(filter_ids))
        compiled = self._attributes.get(key)
        if compiled is None:
            if len(self._attributes) >= self.limit or len(self._parsers) >= self.limit:
                self.clear()
            parsers = []
            for rule in rules:
                parser = self._parsers.get(rule)
                if parser is None:
                    parser = self._parsers[rule] = parse_rsr(rule)
                parsers.append(parser)
            shared = self._targets.get(path)
            if shared is None:
                shared = self._targets[path] = (path, tuple(path.split(".")))
            compiled = CompiledAttribute(
                shared[0], kind, RSRParsers(parsers), filter_ids, target=shared[1]
            )
            self._attributes[key] = compiled
        return compiled
