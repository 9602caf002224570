"""Type-driven conversion between CGRateS JSON values and the frozen section Structs.

Each section is a msgspec Struct; its field types say what a key accepts. ``Duration`` marks an
``int`` of nanoseconds that JSON writes as a Go duration (``"1m30s"``), a unit-less string
(nanoseconds, as CGRateS reads it) or a number; ``Range`` bounds an ``int``; ``Literal`` lists
the accepted values. :func:`convert` checks a JSON value against a type and builds the objects,
collecting unknown keys instead of failing; :func:`render` turns objects back into JSON values,
durations in Go's normal form (``format_duration``).
"""

from __future__ import annotations

import functools
import json
import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

import msgspec

from tollgate.core.durations import format_duration, parse_duration

__all__ = [
    "Duration",
    "LogLevel",
    "Path",
    "Range",
    "ValueProblem",
    "convert",
    "describe_found",
    "format_path",
    "render",
]

Path = tuple[str | int, ...]


class _DurationMarker:
    def __repr__(self) -> str:
        return "Duration"


_DURATION = _DurationMarker()

Duration = Annotated[int, _DURATION]
"""Nanoseconds; JSON ``"10s"``, ``"0"``, ``""`` (0), ``"*unlimited"`` (-1) or a number."""


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive bounds for an ``int`` field."""

    low: int
    high: int


LogLevel = Annotated[int, Range(0, 7)]


class ValueProblem(Exception):
    """A value that does not fit its type, at ``path`` inside a section."""

    def __init__(self, path: Path, expected: str, found: str) -> None:
        self.path = path
        self.expected = expected
        self.found = found
        super().__init__(f"{format_path(path)}: expected {expected}, found {found}")


def format_path(path: Path) -> str:
    """``("items", "*accounts", "ttl")`` → ``items.*accounts.ttl``; indexes as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def describe_found(value: Any) -> str:
    """How a wrong value is shown in a message: JSON text, shortened; containers by kind."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


_NAMES: dict[Any, str] = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
}


def _is_struct(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, msgspec.Struct)


@functools.cache
def struct_fields(cls: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(cls)


def _optional_inner(hint: Any) -> Any | None:
    """``X | None`` → ``X``; anything else → None."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def convert(value: Any, hint: Any, path: Path, unknown: list[Path]) -> Any:
    """Check ``value`` against ``hint`` and build it; unknown object keys go to ``unknown``.

    Raises :class:`ValueProblem` for the first value that does not fit.
    """
    if hint is Any:
        return value
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else convert(value, inner, path, unknown)
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        if _DURATION in extras:
            return _convert_duration(value, path)
        result = convert(value, base, path, unknown)
        for extra in extras:
            if isinstance(extra, Range) and not extra.low <= result <= extra.high:
                raise ValueProblem(
                    path, f"an integer from {extra.low} to {extra.high}", describe_found(value)
                )
        return result
    if origin is Literal:
        choices = typing.get_args(hint)
        if not any(value == c and type(value) is type(c) for c in choices):
            raise ValueProblem(
                path, "one of " + ", ".join(str(c) for c in choices), describe_found(value)
            )
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ValueProblem(path, "a list", describe_found(value))
        (item,) = typing.get_args(hint)
        return [convert(v, item, (*path, i), unknown) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueProblem(path, "an object", describe_found(value))
        _, item = typing.get_args(hint)
        return {k: convert(v, item, (*path, k), unknown) for k, v in value.items()}
    if _is_struct(hint):
        return _convert_struct(value, hint, path, unknown)
    return _convert_scalar(value, hint, path)


def _convert_scalar(value: Any, hint: Any, path: Path) -> Any:
    ok = False
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    else:  # pragma: no cover - a section declared a type this module does not know
        raise TypeError(f"unsupported config type {hint!r} at {format_path(path)}")
    if not ok:
        raise ValueProblem(path, _NAMES[hint], describe_found(value))
    return value


def _convert_duration(value: Any, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueProblem(path, 'a duration like "10s"', describe_found(value))
    try:
        return parse_duration(value)
    except ValueError:
        raise ValueProblem(path, 'a duration like "10s"', describe_found(value)) from None


def _convert_struct(
    value: Any, cls: type[msgspec.Struct], path: Path, unknown: list[Path]
) -> msgspec.Struct:
    if not isinstance(value, dict):
        raise ValueProblem(path, "an object", describe_found(value))
    kwargs: dict[str, Any] = {}
    known: set[str] = set()
    for field in struct_fields(cls):
        known.add(field.encode_name)
        if field.encode_name in value and value[field.encode_name] is not None:
            kwargs[field.name] = convert(
                value[field.encode_name], field.type, (*path, field.encode_name), unknown
            )
        elif field.required:
            raise ValueProblem((*path, field.encode_name), "a value", "nothing (missing key)")
    unknown.extend((*path, k) for k in value if k not in known)
    return cls(**kwargs)


def render(value: Any, hint: Any) -> Any:
    """The JSON form of a converted value: durations as Go strings, unset optionals left out."""
    if hint is Any or value is None:
        return value
    inner = _optional_inner(hint)
    if inner is not None:
        return render(value, inner)
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *extras = typing.get_args(hint)
        return format_duration(value) if _DURATION in extras else render(value, base)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [render(v, item) for v in value]
    if origin is dict:
        _, item = typing.get_args(hint)
        return {k: render(v, item) for k, v in value.items()}
    if _is_struct(hint):
        out: dict[str, Any] = {}
        for field in struct_fields(hint):
            item_value = getattr(value, field.name)
            if item_value is None and not field.required and field.default is None:
                continue
            out[field.encode_name] = render(item_value, field.type)
        return out
    return value
