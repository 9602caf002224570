"""Event values as CGRateS's Go code sees them: to string, from string, compared.

Events arrive as decoded JSON (``str``, ``int``, ``Decimal``, ``bool``, ``None``, lists and
maps); converters add :class:`Duration` and :class:`~tollgate.core.times.GoTime` values.
The rules below are v0.10's ``IfaceAsString``, ``StringToInterface``, ``GreaterThan`` and
``EqualTo``, with one deliberate difference: where Go holds a float64 we hold an exact
``Decimal``, so ``0.1 + 0.2`` compares equal to ``0.3``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from tollgate.core.durations import format_duration, parse_go_duration
from tollgate.core.errors import TollgateError
from tollgate.core.times import GoTime, format_rfc3339, parse_time_detect_layout

__all__ = [
    "Duration",
    "as_decimal",
    "as_duration",
    "as_string",
    "equal_to",
    "greater_than",
    "string_to_value",
]


class Duration(int):
    """A Go ``time.Duration``: int nanoseconds that print as ``1m30s``."""

    __slots__ = ()

    def __str__(self) -> str:
        return format_duration(int(self))

    def __repr__(self) -> str:
        return f"Duration({int(self)})"


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Duration):
        return int(obj)
    if isinstance(obj, GoTime):
        return obj.rfc3339()
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise NotImplementedError(type(obj).__name__)


_json_any = msgspec.json.Encoder(decimal_format="number", enc_hook=_json_default)


def _decimal_text(value: Decimal) -> str:
    """Go's ``strconv.FormatFloat(f, 'f', -1, 64)``: no exponent, no trailing zeros."""
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("+Inf" if value > 0 else "-Inf")
    return format(value.normalize(), "f")


def as_string(value: Any) -> str:
    """``IfaceAsString``: the text of a value as the filters compare it."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Duration):
        return format_duration(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return _decimal_text(Decimal(repr(value)))
    if isinstance(value, GoTime):
        return format_rfc3339((value.ns // 1_000_000_000) * 1_000_000_000, value.tz)
    if isinstance(value, dt.datetime):
        return as_string(GoTime.from_datetime(value.replace(microsecond=0)))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return _json_any.encode(value).decode()


# Go's strconv.ParseInt(s, 10, 64) and ParseFloat(s, 64) syntax (decimal forms)
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INF = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE)
_BOOLS = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}  # fmt: skip
_INT64 = 1 << 63


def string_to_value(text: str) -> Any:
    """``StringToInterface``: int, bool, number, time, duration, else the string itself."""
    if text == "":
        return text
    if _INT.fullmatch(text) and -_INT64 <= int(text) < _INT64:
        return int(text)
    boolean = _BOOLS.get(text)
    if boolean is not None:
        return boolean
    if _FLOAT.fullmatch(text) or _INF.fullmatch(text):
        return Decimal(text)
    try:
        return parse_time_detect_layout(text, "Local")
    except ValueError:
        pass
    try:
        return Duration(parse_go_duration(text))
    except ValueError:
        return text


# -- comparisons -------------------------------------------------------------------------

_NUM_INT = "int64"
_NUM_FLOAT = "float64"


def _kind(value: Any) -> str:
    """The Go kind a value compares as (after ``GetBasicType``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):  # Duration included: an int64 kind in Go
        return _NUM_INT
    if isinstance(value, Decimal | float):
        return _NUM_FLOAT
    if isinstance(value, str):
        return "string"
    if isinstance(value, GoTime | dt.datetime):
        return "time.Time"
    if value is None:
        return "nil"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list | tuple):
        return "slice"
    return type(value).__name__


def _go_text(value: Any) -> str:
    """``%+v`` of a value, as the incomparable error prints it."""
    if value is None:
        return "<nil>"
    if isinstance(value, Decimal | float):
        dec = value if isinstance(value, Decimal) else Decimal(repr(value))
        if dec.is_finite() and dec == dec.to_integral_value() and abs(dec) < Decimal("1e21"):
            return str(int(dec))
        return _decimal_text(dec)
    return as_string(value)


def _uniform(value: Any) -> tuple[Any, str] | None:
    """``GetUniformType``: numbers as float64 (Decimal here), times kept, else None."""
    kind = _kind(value)
    if kind in (_NUM_INT, _NUM_FLOAT):
        return (Decimal(int(value)) if kind == _NUM_INT else _to_decimal(value)), _NUM_FLOAT
    if kind == "time.Time":
        return value, kind
    return None


def _to_decimal(value: Decimal | float) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def _time_ns(value: GoTime | dt.datetime) -> int:
    return value.ns if isinstance(value, GoTime) else GoTime.from_datetime(value).ns


def _comparable(item: Any, other: Any) -> tuple[Any, Any, str]:
    kind, okind = _kind(item), _kind(other)
    if kind != okind:
        uni, ouni = _uniform(item), _uniform(other)
        # Go overwrites a value it could not make uniform with nil
        item, kind = uni if uni is not None else (None, kind)
        other, okind = ouni if ouni is not None else (None, okind)
    if kind != okind or kind in ("map", "slice", "nil"):
        raise TollgateError(f"incomparable: <{_go_text(item)}> with <{_go_text(other)}>")
    return item, other, kind


def _unsupported(kind: str) -> TollgateError:
    return TollgateError(f"unsupported comparison type: {kind}, kind: {kind}")


def greater_than(item: Any, other: Any, or_equal: bool) -> bool:
    """``GreaterThan``: ``item > other`` (``>=`` with ``or_equal``) for numbers and times.

    Raises TollgateError with v0.10's texts when the two cannot be compared.
    """
    item, other, kind = _comparable(item, other)
    if kind == _NUM_INT:
        return bool(item >= other if or_equal else item > other)
    if kind == _NUM_FLOAT:
        left, right = _to_decimal(item), _to_decimal(other)
        try:
            return left >= right if or_equal else left > right
        except InvalidOperation:  # NaN: unordered, as float64 comparisons are
            return False
    if kind == "time.Time":
        left_ns, right_ns = _time_ns(item), _time_ns(other)
        return left_ns >= right_ns if or_equal else left_ns > right_ns
    raise _unsupported(kind)


def equal_to(item: Any, other: Any) -> bool:
    """``EqualTo``: numbers, times and strings; bools and the rest are unsupported."""
    item, other, kind = _comparable(item, other)
    if kind == _NUM_INT:
        return bool(item == other)
    if kind == _NUM_FLOAT:
        return _to_decimal(item) == _to_decimal(other)
    if kind == "time.Time":
        return _time_ns(item) == _time_ns(other)
    if kind == "string":
        return bool(item == other)
    raise _unsupported(kind)


# -- conversions the data converters use -------------------------------------------------


def as_duration(value: Any) -> Duration:
    """``IfaceAsDuration``: numbers are nanoseconds, strings Go or unit-less ns syntax."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {as_string(value)} to time.Duration")
    if isinstance(value, int):
        return Duration(value)
    if isinstance(value, Decimal | float):
        return Duration(int(value))
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return Duration(0)
        if text == "*unlimited":
            return Duration(-1)
        if _INT.fullmatch(text):
            return Duration(int(text))
        try:
            return Duration(parse_go_duration(text))
        except ValueError as exc:
            raise TollgateError(str(exc)) from exc
    raise TollgateError(f"cannot convert field: {as_string(value)} to time.Duration")


def as_decimal(value: Any) -> Decimal:
    """``IfaceAsFloat64``: numbers, durations (ns) and numeric strings."""
    if isinstance(value, bool):
        raise TollgateError(f"cannot convert field: {as_string(value)} to float64")
    if isinstance(value, int):
        return Decimal(int(value))
    if isinstance(value, Decimal | float):
        return _to_decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if _FLOAT.fullmatch(text) or _INF.fullmatch(text):
            return Decimal(text)
        raise TollgateError(f'strconv.ParseFloat: parsing "{value}": invalid syntax')
    raise TollgateError(f"cannot convert field: {as_string(value)} to float64")
