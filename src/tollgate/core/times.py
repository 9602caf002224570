"""Go ``time.Time`` values: nanosecond instants with a location, parsed and printed as CGRateS does.

A :class:`GoTime` is an int nanosecond count since the Unix epoch plus the ``tzinfo`` whose wall
clock the value is shown in (and on which timings are evaluated), so ``...00.000000001Z`` loses
nothing. :func:`parse_time_detect_layout` follows CGRateS's ``ParseTimeDetectLayout``: RFC 3339,
``*now``, ``+<duration>``, unix seconds / milliseconds / nanoseconds, ``YYYY-MM-DD HH:MM:SS`` and
``YYYYMMDDHHMMSS`` in the configured timezone, ``*daily`` / ``*monthly`` / ``*yearly`` /
``*month_end[+dur]``; ``""``, ``"0"`` and ``*unlimited`` are the zero time.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from typing import NamedTuple

from tollgate.core.durations import SECOND, parse_duration

__all__ = [
    "ZERO_NS",
    "GoTime",
    "fixed_offset",
    "format_rfc3339",
    "parse_rfc3339",
    "parse_time_detect_layout",
    "resolve_timezone",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ZERO_NS = -62135596800 * SECOND  # 0001-01-01T00:00:00Z, Go's zero time

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_SPACED = re.compile(r"(\d{1,4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")
_UNIX_S = re.compile(r"\d{10}")
_UNIX_MS = re.compile(r"\d{13}")
_UNIX_NS = re.compile(r"\d{19}")


def _local_tz() -> dt.tzinfo:
    tz = dt.datetime.now().astimezone().tzinfo
    return tz if tz is not None else dt.UTC


def resolve_timezone(name: str) -> dt.tzinfo:
    """``general.default_timezone``: ``""``/``Local`` = host zone, ``UTC``, or an IANA name."""
    if name in ("", "Local"):
        return _local_tz()
    if name == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name}") from exc


def _to_ns(value: dt.datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds * 1000


class GoTime(NamedTuple):
    """An instant (ns since the Unix epoch) and the zone it is read in."""

    ns: int
    tz: dt.tzinfo = dt.UTC

    @classmethod
    def from_datetime(cls, value: dt.datetime) -> GoTime:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        tz = aware.tzinfo if aware.tzinfo is not None else dt.UTC
        return cls(_to_ns(aware), tz)

    @property
    def is_zero(self) -> bool:
        return self.ns == ZERO_NS

    def add(self, ns: int) -> GoTime:
        return GoTime(self.ns + ns, self.tz)

    def to_datetime(self) -> dt.datetime:
        """The wall clock (microsecond precision) in this value's zone."""
        secs, frac = divmod(self.ns, SECOND)
        base = _EPOCH + dt.timedelta(seconds=secs, microseconds=frac // 1000)
        return base.astimezone(self.tz)

    def rfc3339(self) -> str:
        return format_rfc3339(self.ns, self.tz)


_FIXED: dict[dt.tzinfo, int | None] = {}


def fixed_offset(tz: dt.tzinfo) -> int | None:
    """Nanoseconds east of UTC when ``tz`` is one fixed offset of whole seconds (UTC,
    ``±hh:mm``), else None (a zone with DST: callers keep datetime arithmetic for it)."""
    try:
        return _FIXED[tz]
    except KeyError:
        pass
    offset = tz.utcoffset(None) if isinstance(tz, dt.timezone) else None
    if len(_FIXED) > 1024:  # zones come from requests: keep the memo bounded
        _FIXED.clear()
    if offset is None or offset.microseconds:
        _FIXED[tz] = None
    else:
        _FIXED[tz] = offset // dt.timedelta(seconds=1) * SECOND
    return _FIXED[tz]


_DAY = 86400 * SECOND
_UNIX_DAY0 = dt.date(1970, 1, 1).toordinal()
_DAYS_IN_RANGE = range(1 - _UNIX_DAY0, dt.date.max.toordinal() + 1 - _UNIX_DAY0)
_DATE_TEXT: dict[int, str] = {}
_ZONE_TEXT: dict[int, str] = {}


def _date_text(day: int) -> str:
    """``YYYY-MM-DD`` of a day number since 1970-01-01, memoised (calls cluster on few days)."""
    text = _DATE_TEXT.get(day)
    if text is None:
        date = dt.date.fromordinal(_UNIX_DAY0 + day)
        text = f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
        if len(_DATE_TEXT) > 4096:
            _DATE_TEXT.clear()
        _DATE_TEXT[day] = text
    return text


def _zone_text(offset: int) -> str:
    text = _ZONE_TEXT.get(offset)
    if text is None:
        total = offset // SECOND
        hours, minutes = divmod(abs(total) // 60, 60)
        text = f"{'+' if total >= 0 else '-'}{hours:02d}:{minutes:02d}" if total else "Z"
        _ZONE_TEXT[offset] = text
    return text


def format_rfc3339(ns: int, tz: dt.tzinfo = dt.UTC) -> str:
    """Go's RFC3339Nano: ``2016-01-05T18:31:05Z``, fractions without trailing zeros."""
    fixed = fixed_offset(tz)
    if fixed is not None:
        # integer arithmetic and a memoised date: no datetime per call in fixed zones
        day, rest = divmod(ns + fixed, _DAY)
        if day in _DAYS_IN_RANGE and ns // _DAY in _DAYS_IN_RANGE:  # else datetime raises
            secs, frac = divmod(rest, SECOND)
            hours, secs = divmod(secs, 3600)
            minutes, secs = divmod(secs, 60)
            text = f"{_date_text(day)}T{hours:02d}:{minutes:02d}:{secs:02d}"
            if frac:
                text += "." + str(frac).rjust(9, "0").rstrip("0")
            return text + _zone_text(fixed)
    secs, frac = divmod(ns, SECOND)
    wall = (_EPOCH + dt.timedelta(seconds=secs)).astimezone(tz)
    text = f"{wall.year:04d}-{wall:%m-%dT%H:%M:%S}"
    if frac:
        text += "." + str(frac).rjust(9, "0").rstrip("0")
    offset = wall.utcoffset() or dt.timedelta(0)
    if not offset:
        return text + "Z"
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _wall(parts: tuple[int, int, int, int, int, int], tz: dt.tzinfo) -> int:
    wall = dt.datetime(*parts, tzinfo=tz)  # validates the fields, with datetime's messages
    fixed = fixed_offset(tz)
    if fixed is None:
        return _to_ns(wall)
    # day number and clock: cheaper than an aware datetime subtraction
    _, _, _, hh, mi, ss = parts
    return ((wall.toordinal() - _UNIX_DAY0) * 86400 + hh * 3600 + mi * 60 + ss) * SECOND - fixed


def parse_rfc3339(text: str) -> GoTime:
    """Go's ``time.Time`` JSON form; raises ValueError on anything else."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f'parsing time "{text}": cannot parse as RFC3339')
    return _from_rfc3339(match)


_OFFSET_ZONES: dict[str, dt.tzinfo] = {}


def _offset_zone(sign: str, oh: str, om: str) -> dt.tzinfo:
    """The fixed zone of a ``±hh:mm`` suffix, memoised: requests repeat a handful."""
    key = sign + oh + om
    tz = _OFFSET_ZONES.get(key)
    if tz is None:
        offset = dt.timedelta(hours=int(oh), minutes=int(om))
        tz = dt.timezone(-offset if sign == "-" else offset) if offset else dt.UTC
        if len(_OFFSET_ZONES) > 1024:
            _OFFSET_ZONES.clear()
        _OFFSET_ZONES[key] = tz
    return tz


def _from_rfc3339(match: re.Match[str]) -> GoTime:
    y, mo, d, hh, mi, ss, frac, zulu, sign, oh, om = match.groups()
    tz = dt.UTC if zulu else _offset_zone(sign, oh, om)
    ns = _wall((int(y), int(mo), int(d), int(hh), int(mi), int(ss)), tz)
    if frac:
        ns += int(frac.ljust(9, "0"))
    return GoTime(ns, tz)


def _add_months(wall: dt.datetime, months: int) -> dt.datetime:
    # Go's AddDate normalises overflowing days (Jan 31 + 1 month = Mar 3)
    total = wall.year * 12 + (wall.month - 1) + months
    year, month = divmod(total, 12)
    first = wall.replace(year=year, month=month + 1, day=1)
    return first + dt.timedelta(days=wall.day - 1)


def parse_time_detect_layout(
    value: str, timezone: str = "", *, now: GoTime | None = None
) -> GoTime:
    """CGRateS ``ParseTimeDetectLayout``; raises ValueError("Unsupported time format")."""
    text = value.strip()
    # the host zone is looked up (a clock read) only for the forms that use it
    tz = None if timezone in ("", "Local") else resolve_timezone(timezone)
    if text in ("", "0", "*unlimited"):
        return GoTime(ZERO_NS, dt.UTC)
    if match := _RFC3339.fullmatch(text):
        return _from_rfc3339(match)
    if tz is None:
        tz = _local_tz()
    if _UNIX_S.fullmatch(text):
        return GoTime(int(text) * SECOND, tz)
    if _UNIX_MS.fullmatch(text):
        return GoTime(int(text) * 1_000_000, tz)
    if _UNIX_NS.fullmatch(text):
        return GoTime(int(text), tz)
    if now is None:
        now = GoTime(time.time_ns(), _local_tz())
    if text == "*now":
        return now
    if text.startswith("+"):
        return now.add(parse_duration(text[1:]))
    if match := _SPACED.fullmatch(text) or _COMPACT.fullmatch(text):
        y, mo, d, hh, mi, ss = (int(g) for g in match.groups())
        return GoTime(_wall((y, mo, d, hh, mi, ss), tz), tz)
    wall = now.to_datetime()
    frac = now.ns % 1000
    if text == "*daily":
        return now.add(86400 * SECOND)
    if text == "*monthly":
        return GoTime(_to_ns(_add_months(wall, 1)) + frac, now.tz)
    if text == "*yearly":
        return GoTime(_to_ns(_add_months(wall, 12)) + frac, now.tz)
    if text.startswith("*month_end"):
        first_next = _add_months(wall.replace(day=1, hour=0, minute=0, second=0, microsecond=0), 1)
        end = _to_ns(first_next) - SECOND
        rest = text[len("*month_end") :]
        if rest.startswith("+"):
            end += parse_duration(rest[1:])
        elif rest:
            raise ValueError("Unsupported time format")
        return GoTime(end, now.tz)
    raise ValueError("Unsupported time format")
