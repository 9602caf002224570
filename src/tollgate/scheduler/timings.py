"""When an action timing runs next: CGRateS v0.10's ``ActionTiming.GetNextStartTime``.

CGRateS turns a timing into a seven-field cron expression (``RITiming.CronString``: seconds,
minutes, hours, month days, months, week days, years) and asks ``gorhill/cronexpr`` for the
next match strictly after the current second; ``*monthly_estimated`` then pulls a run that
skipped a short month back to that month's last day. This module does the same on the wall
clock of ``general.default_timezone``:

* an empty ``StartTime`` is midnight; Years without Months means January, Months without
  MonthDays the 1st (CGRateS's normalisation);
* a ``StartTime`` part may be ``*`` (every value); one that is not ``HH:MM:SS`` (``*asap``)
  makes every field ``*``, so an ``*asap`` timing's next start is the next second, as in
  CGRateS (the scheduler never queues those);
* when both month days and week days are given, either matching is enough (cron's rule);
  ``-1`` is the last day of the month (``*month_end``); week day 7 is Sunday like 0;
* years after 2099 never come (cronexpr's range): the timing has no next start;
* a wall time is turned into an instant as Go's ``time.Date`` does: a time skipped by a DST
  change moves forward by the change, an ambiguous time takes the offset Go picks. A
  candidate that is not after "now" (a repeated hour) is skipped, where cronexpr could hand
  back a time in the past.

The built-in timing ids (``*daily``, ``*monthly``…) are fixed at load time from the clock, as
CGRateS's ``addDefaultTimings`` does: ``*monthly`` loaded on the 17th runs every 17th.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tollgate.core.durations import SECOND
from tollgate.core.times import fixed_offset
from tollgate.scheduler.models import RITiming

__all__ = [
    "ASAP",
    "BUILTIN_TIMING_IDS",
    "MONTHLY_ESTIMATED",
    "builtin_timing",
    "next_start",
    "parse_int_list",
    "valid_start_time",
]

ASAP = "*asap"
ANY = "*any"
EVERY_MINUTE = "*every_minute"
HOURLY = "*hourly"
DAILY = "*daily"
WEEKLY = "*weekly"
MONTHLY = "*monthly"
MONTHLY_ESTIMATED = "*monthly_estimated"
MONTH_END = "*month_end"
YEARLY = "*yearly"
BUILTIN_TIMING_IDS = frozenset(
    {ANY, ASAP, EVERY_MINUTE, HOURLY, DAILY, WEEKLY, MONTHLY, MONTHLY_ESTIMATED, MONTH_END, YEARLY}
)

_LAST_YEAR = 2099  # cronexpr's year range ends here
_UNIX_DAY0 = dt.date(1970, 1, 1).toordinal()
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _go_weekday(day: dt.date) -> int:
    """Go's ``time.Weekday``: Sunday 0 … Saturday 6."""
    return (day.weekday() + 1) % 7


def builtin_timing(timing_id: str, now: dt.datetime) -> RITiming | None:
    """The timing a built-in id stands for when loaded at ``now`` (a wall time), or None."""
    clock = now.strftime("%H:%M:%S")
    match timing_id:
        case "*asap":
            return RITiming(ID=timing_id, StartTime=ASAP)
        case "*any":
            return RITiming(ID=timing_id, StartTime="00:00:00")
        case "*every_minute":
            return RITiming(ID=timing_id, StartTime=f"*:*:{now.second}")
        case "*hourly":
            return RITiming(ID=timing_id, StartTime=f"*:{now.minute}:{now.second}")
        case "*daily":
            return RITiming(ID=timing_id, StartTime=clock)
        case "*weekly":
            return RITiming(ID=timing_id, WeekDays=[_go_weekday(now.date())], StartTime=clock)
        case "*monthly" | "*monthly_estimated":
            return RITiming(ID=timing_id, MonthDays=[now.day], StartTime=clock)
        case "*month_end":
            return RITiming(ID=timing_id, MonthDays=[-1], StartTime=clock)
        case "*yearly":
            return RITiming(ID=timing_id, Months=[now.month], MonthDays=[now.day], StartTime=clock)
    return None


def parse_int_list(text: str) -> list[int]:
    """A ``;``-separated list of integers; empty or ``*any`` is the empty list (every value)."""
    if text.strip() in ("", ANY):
        return []
    return [int(part) for part in text.split(";") if part.strip()]


def valid_start_time(text: str) -> bool:
    """SetActionPlan's ``verifyFormat``: empty, ``*asap`` or ``HH:MM:SS`` of integers."""
    if text in ("", ASAP):
        return True
    parts = text.split(":")
    return len(text) <= 8 and len(parts) == 3 and all(_is_int(p) for p in parts)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


# -- the cron expression ---------------------------------------------------------------------


def _values(part: str, low: int, high: int) -> list[int]:
    """One clock field: ``*`` is every value; else one integer in range."""
    if part == "*":
        return list(range(low, high + 1))
    value = int(part)
    if not low <= value <= high:
        raise ValueError(f"{value} out of range {low}-{high}")
    return [value]


@dataclass(frozen=True, slots=True)
class _Cron:
    seconds: list[int]
    minutes: list[int]
    hours: list[int]
    month_days: frozenset[int]  # -1: the last day of the month
    months: list[int]
    week_days: frozenset[int]  # Go numbering, Sunday 0
    years: list[int] | None  # None: every year

    @classmethod
    def of(cls, timing: RITiming) -> _Cron:
        """CGRateS's normalisation and ``CronString``, parsed; ValueError when invalid."""
        start = timing.StartTime or "00:00:00"
        months = list(timing.Months)
        month_days = list(timing.MonthDays)
        if timing.Years and not months:
            months = [1]
        if months and not month_days:
            month_days = [1]
        parts = start.split(":")
        if len(parts) != 3:
            parts = ["*", "*", "*"]
        hours, minutes, seconds = (
            _values(p, 0, high) for p, high in zip(parts, (23, 59, 59), strict=True)
        )
        for day in month_days:
            if day != -1 and not 1 <= day <= 31:
                raise ValueError(f"month day {day} out of range 1-31")
        for month in months:
            if not 1 <= month <= 12:
                raise ValueError(f"month {month} out of range 1-12")
        for week_day in timing.WeekDays:
            if not 0 <= week_day <= 7:
                raise ValueError(f"week day {week_day} out of range 0-7")
        return cls(
            seconds=seconds,
            minutes=minutes,
            hours=hours,
            month_days=frozenset(month_days),
            months=sorted(set(months)) or list(range(1, 13)),
            week_days=frozenset(d % 7 for d in timing.WeekDays),
            years=sorted(set(timing.Years)) if timing.Years else None,
        )

    def days(self, year: int, month: int) -> list[int]:
        """cronexpr's ``calculateActualDaysOfMonth``: month days or week days (either)."""
        last = calendar.monthrange(year, month)[1]
        if not self.month_days and not self.week_days:
            return list(range(1, last + 1))
        days = {d for d in self.month_days if 1 <= d <= last}
        if -1 in self.month_days:
            days.add(last)
        if self.week_days:
            first = _go_weekday(dt.date(year, month, 1))
            days.update(d for d in range(1, last + 1) if (first + d - 1) % 7 in self.week_days)
        return sorted(days)

    def clocks(self, after: tuple[int, int, int] | None) -> Iterator[tuple[int, int, int]]:
        """The (hour, minute, second) matches of a day in order, those after ``after`` only."""
        hours = self.hours
        if after is not None:
            hours = hours[bisect.bisect_left(hours, after[0]) :]
        for hour in hours:
            same_hour = after is not None and hour == after[0]
            minutes = (
                self.minutes[bisect.bisect_left(self.minutes, after[1]) :]
                if (same_hour and after is not None)
                else self.minutes
            )
            for minute in minutes:
                if same_hour and after is not None and minute == after[1]:
                    seconds = self.seconds[bisect.bisect_right(self.seconds, after[2]) :]
                else:
                    seconds = self.seconds
                for second in seconds:
                    yield hour, minute, second

    def years_from(self, year: int) -> Sequence[int]:
        if self.years is None:
            return range(year, _LAST_YEAR + 1)
        return [y for y in self.years if year <= y <= _LAST_YEAR]

    def next_after(self, now_ns: int, tz: dt.tzinfo) -> int | None:
        """The first match strictly after the second of ``now_ns``, as an instant (ns)."""
        wall = _wall(now_ns, tz)
        today = (wall.year, wall.month, wall.day)
        now_clock = (wall.hour, wall.minute, wall.second)
        for year in self.years_from(wall.year):
            for month in self.months:
                if (year, month) < today[:2]:
                    continue
                for day in self.days(year, month):
                    if (year, month, day) < today:
                        continue
                    after = now_clock if (year, month, day) == today else None
                    for hour, minute, second in self.clocks(after):
                        ns = go_date(year, month, day, hour, minute, second, tz)
                        if ns > now_ns:
                            return ns
        return None


# -- wall clock and instants ---------------------------------------------------------------


def _offset_s(unix_s: int, tz: dt.tzinfo) -> int:
    """Seconds east of UTC that ``tz`` shows at the instant ``unix_s``."""
    fixed = fixed_offset(tz)
    if fixed is not None:
        return fixed // SECOND
    offset = (_EPOCH + dt.timedelta(seconds=unix_s)).astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _wall(ns: int, tz: dt.tzinfo) -> dt.datetime:
    """The wall clock of an instant in ``tz`` (whole seconds)."""
    secs = ns // SECOND
    return (_EPOCH + dt.timedelta(seconds=secs)).astimezone(tz)


def go_date(  # noqa: PLR0917 - time.Date's seven fields
    year: int, month: int, day: int, hour: int, minute: int, second: int, tz: dt.tzinfo
) -> int:
    """Go's ``time.Date`` in ``tz`` as ns: out-of-range fields roll over, and the offset is
    found as Go finds it (look up the wall time read as UTC, re-check once)."""
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    ordinal = dt.date(year, month, 1).toordinal() + day - 1
    unix = (ordinal - _UNIX_DAY0) * 86400 + hour * 3600 + minute * 60 + second
    offset = _offset_s(unix, tz)
    if offset:
        utc = unix - offset
        check = _offset_s(utc, tz)
        if check != offset:
            offset = check
    return (unix - offset) * SECOND


def _end_of_month(wall: dt.datetime) -> int:
    return calendar.monthrange(wall.year, wall.month)[1]


def next_start(timing: RITiming, now_ns: int, tz: dt.tzinfo) -> int | None:
    """``GetNextStartTime(now)``: the next run after ``now_ns`` (ns), or None if none comes.

    Raises ValueError for a timing cron cannot read (an hour of 25, a month of 13).
    """
    nxt = _Cron.of(timing).next_after(now_ns, tz)
    if nxt is None or timing.ID != MONTHLY_ESTIMATED or not timing.MonthDays:
        return nxt
    # a month day the next month lacks made cron skip a month: run on that month's last day
    # (Go compares Month values, so December+1 never equals January: no pull-back then)
    st = _wall(nxt, tz)
    t1 = _wall(now_ns, tz)
    if st.month == t1.month + 2 or (
        _end_of_month(t1) < timing.MonthDays[0] and st.month == t1.month + 1
    ):
        last = _end_of_month(st)
        earlier = go_date(st.year, st.month, st.day - last, st.hour, st.minute, st.second, tz)
        if earlier > now_ns:
            return earlier
    return nxt
