"""Go durations: int nanoseconds inside, Go syntax (``1m30s``) or ns integers on the wire.

CGRateS reads a duration string without a unit as nanoseconds (``"35"`` is 35 ns) and
``*unlimited`` as -1; everything else is Go's ``time.ParseDuration`` syntax.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = [
    "HOUR",
    "MICROSECOND",
    "MILLISECOND",
    "MINUTE",
    "NANOSECOND",
    "SECOND",
    "format_duration",
    "parse_duration",
    "parse_go_duration",
]

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

_UNITS = {
    "ns": NANOSECOND,
    "us": MICROSECOND,
    "µs": MICROSECOND,  # U+00B5 micro sign
    "μs": MICROSECOND,  # U+03BC greek mu
    "ms": MILLISECOND,
    "s": SECOND,
    "m": MINUTE,
    "h": HOUR,
}
_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")
_INT = re.compile(r"[+-]?\d+")
_MAX = (1 << 63) - 1


def parse_go_duration(text: str) -> int:
    """Parse Go's ``time.ParseDuration`` syntax into nanoseconds.

    Raises ValueError with Go's wording (``time: invalid duration "x"``).
    """
    s = text
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total = Decimal(0)
    pos = 0
    while pos < len(s):
        match = _PART.match(s, pos)
        if match is None or match.group(1) in ("", "."):
            if match is None and pos < len(s) and (s[pos].isdigit() or s[pos] == "."):
                raise ValueError(f'time: missing unit in duration "{text}"')
            raise ValueError(f'time: invalid duration "{text}"')
        total += Decimal(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    value = int(total) * sign
    if abs(value) > _MAX:
        raise ValueError(f'time: invalid duration "{text}"')
    return value


def parse_duration(value: str | int | float | Decimal | None) -> int:
    """CGRateS ``ParseDurationWithNanosecs``: numbers and unit-less strings are nanoseconds.

    ``""`` is 0, ``"*unlimited"`` is -1. Floats are truncated, as Go's int64 conversion does.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"cannot convert {value!r} to a duration")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        return int(value)
    text = value.strip()
    if not text:
        return 0
    if text == "*unlimited":
        return -1
    if _INT.fullmatch(text):
        return int(text)
    # whole seconds ("60s", what switches and tariff plans mostly send) skip the Decimal path
    if text[-1] == "s" and text[:-1].isdigit() and text[:-1].isascii():
        return int(text[:-1]) * SECOND
    return parse_go_duration(text)


def _fmt_frac(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}.{str(frac).rjust(digits, '0').rstrip('0')}"


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h2m3.5s``, ``1.5ms``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < MICROSECOND:
        return f"{sign}{u}ns"
    if u < MILLISECOND:
        return f"{sign}{_fmt_frac(u, MICROSECOND)}µs"
    if u < SECOND:
        return f"{sign}{_fmt_frac(u, MILLISECOND)}ms"
    hours, rest = divmod(u, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    out = sign
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return out + f"{_fmt_frac(rest, SECOND)}s"
