"""Go's reference-time layouts (``2006-01-02T15:04:05Z07:00``) for the ``*time_string``
converter: the usual date, clock, zone and fraction tokens of ``time.Time.Format``."""

from __future__ import annotations

import datetime as dt

from tollgate.core.times import GoTime

__all__ = ["format_go_layout"]

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _zone(offset: int, sep: str, z: bool, minutes: bool = True) -> str:
    if z and offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    hours, mins = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}{sep}{mins:02d}" if minutes else f"{sign}{hours:02d}"


def _tokens(wall: dt.datetime, nanos: int) -> list[tuple[str, str]]:
    """(layout token, text) pairs, longest tokens first so prefixes do not steal them."""
    offset = int((wall.utcoffset() or dt.timedelta(0)).total_seconds())
    hour12 = wall.hour % 12 or 12
    frac9 = f"{nanos:09d}"
    return [
        ("January", _MONTHS[wall.month - 1]),
        ("Monday", _DAYS[wall.weekday()]),
        ("Z07:00", _zone(offset, ":", True)),
        ("-07:00", _zone(offset, ":", False)),
        ("Z0700", _zone(offset, "", True)),
        ("-0700", _zone(offset, "", False)),
        (".000000000", "." + frac9),
        (".999999999", ("." + frac9.rstrip("0")) if nanos else ""),
        (".000000", "." + frac9[:6]),
        (".999999", ("." + frac9[:6].rstrip("0")) if int(frac9[:6]) else ""),
        (".000", "." + frac9[:3]),
        (".999", ("." + frac9[:3].rstrip("0")) if int(frac9[:3]) else ""),
        ("2006", f"{wall.year:04d}"),
        ("-07", _zone(offset, "", False, minutes=False)),
        ("Jan", _MONTHS[wall.month - 1][:3]),
        ("Mon", _DAYS[wall.weekday()][:3]),
        ("MST", wall.tzname() or _zone(offset, "", False)),
        ("_2", f"{wall.day:2d}"),
        ("01", f"{wall.month:02d}"),
        ("02", f"{wall.day:02d}"),
        ("03", f"{hour12:02d}"),
        ("04", f"{wall.minute:02d}"),
        ("05", f"{wall.second:02d}"),
        ("06", f"{wall.year % 100:02d}"),
        ("15", f"{wall.hour:02d}"),
        ("PM", "PM" if wall.hour >= 12 else "AM"),
        ("pm", "pm" if wall.hour >= 12 else "am"),
        ("1", str(wall.month)),
        ("2", str(wall.day)),
        ("3", str(hour12)),
        ("4", str(wall.minute)),
        ("5", str(wall.second)),
    ]


def format_go_layout(value: GoTime, layout: str) -> str:
    """``value`` written with a Go layout, in the value's own zone."""
    wall = value.to_datetime()
    tokens = _tokens(wall, value.ns % 1_000_000_000)
    out: list[str] = []
    pos = 0
    while pos < len(layout):
        for token, text in tokens:
            if layout.startswith(token, pos):
                out.append(text)
                pos += len(token)
                break
        else:
            out.append(layout[pos])
            pos += 1
    return "".join(out)
