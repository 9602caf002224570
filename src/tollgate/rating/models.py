"""Run-time rating objects, compiled once from the tariff plan and shared read-only.

They mirror what CGRateS keeps in its DataDB after loading: a Destination (prefixes), a
RatingPlan (timings, ratings and the destination bindings that join them with a weight) and a
RatingProfile (``*out:tenant:category:subject`` with its dated plan activations). Durations
are int nanoseconds, money is Decimal, instants are int ns since the Unix epoch.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

import msgspec

from tollgate.core.durations import SECOND
from tollgate.core.times import fixed_offset

__all__ = [
    "ANY",
    "Destination",
    "MaxCostStrategy",
    "RIRate",
    "RITiming",
    "Rate",
    "RateInterval",
    "RatingPlan",
    "RatingPlanActivation",
    "RatingProfile",
    "ToR",
    "local_date",
    "profile_key",
]

ANY = "*any"
_DAY = 86400 * SECOND


class ToR(StrEnum):
    VOICE = "*voice"
    DATA = "*data"
    SMS = "*sms"
    MMS = "*mms"
    GENERIC = "*generic"
    MONETARY = "*monetary"


class MaxCostStrategy(StrEnum):
    FREE = "*free"
    DISCONNECT = "*disconnect"


def profile_key(tenant: str, category: str, subject: str) -> str:
    """The rating profile id CGRateS matches: ``*out:<tenant>:<category>:<subject>``."""
    return f"*out:{tenant}:{category}:{subject}"


class Destination(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    prefixes: tuple[str, ...] = ()


def _hms(text: str) -> int:
    """``HH:MM:SS`` as nanoseconds since midnight."""
    hh, mm, ss = (int(part) for part in text.split(":"))
    return (hh * 3600 + mm * 60 + ss) * SECOND


_UNIX_DAY0 = dt.date(1970, 1, 1).toordinal()


def local_date(at: int, offset: int) -> dt.date:
    """The wall-clock date of ``at`` at a fixed ``offset`` (ns)."""
    return dt.date.fromordinal(_UNIX_DAY0 + (at + offset) // _DAY)


class RITiming(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """When a rate interval applies; empty tuples mean every year/month/day/weekday.

    Week days are as written (0 or 7 = Sunday, 1 = Monday). ``start_time`` is ``HH:MM:SS``;
    an empty ``end_time`` runs to the end of the day.

    In a fixed-offset zone (UTC, ``±hh:mm``) the checks are integer arithmetic on the
    parsed clock times below; zones with DST go through datetime as before.
    """

    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()
    start_time: str = "00:00:00"
    end_time: str = ""

    # derived once in __post_init__, written through __dict__ (the Struct is frozen), so
    # no timing check parses HH:MM:SS or builds a weekday set per call
    _start: ClassVar[int]  # start_time, ns since midnight
    _end: ClassVar[int]  # end_time, ns since midnight (a whole day when empty)
    _week: ClassVar[frozenset[int]]  # week_days mod 7 (Sunday = 0)
    _dated: ClassVar[bool]  # years, months or month_days restrict it
    _always: ClassVar[bool]  # no restriction at all: active at every instant

    def __post_init__(self) -> None:
        derived = self.__dict__
        derived["_start"] = _hms(self.start_time) if self.start_time else 0
        derived["_end"] = _hms(self.end_time) if self.end_time else _DAY
        derived["_week"] = frozenset(d % 7 for d in self.week_days)
        derived["_dated"] = bool(self.years or self.months or self.month_days)
        derived["_always"] = not (
            self.years
            or self.months
            or self.month_days
            or self.week_days
            or self._start
            or self.end_time
        )

    def left_margin(self, at: int, tz: dt.tzinfo) -> int:
        """The start of this timing on the (local) day of ``at``."""
        offset = fixed_offset(tz)
        if offset is None:
            return _wall_time_on_day(at, tz, self._start)
        return at - (at + offset) % _DAY + self._start

    def right_margin(self, at: int, tz: dt.tzinfo) -> int:
        """The end of this timing on the (local) day of ``at``: EndTime or 23:59:59 + 1s."""
        offset = fixed_offset(tz)
        if offset is None:
            if self._end == _DAY:
                return _wall_time_on_day(at, tz, _DAY - SECOND) + SECOND
            return _wall_time_on_day(at, tz, self._end)
        return at - (at + offset) % _DAY + self._end

    def is_active_at(self, at: int, tz: dt.tzinfo) -> bool:
        offset = fixed_offset(tz)
        if offset is None:
            return self._is_active_on_wall(at, tz)
        return self.is_active_at_offset(at, offset)

    def is_active_at_offset(self, at: int, offset: int) -> bool:
        """:meth:`is_active_at` in the fixed zone ``offset`` ns east of UTC."""
        if self._always:
            return True
        local = at + offset
        if self._week and (local // _DAY + 4) % 7 not in self._week:  # 1970-01-01: Thursday
            return False
        if self._dated:
            date = local_date(at, offset)
            if self.years and date.year not in self.years:
                return False
            if self.months and date.month not in self.months:
                return False
            if self.month_days and date.day not in self.month_days:
                return False
        return self._start <= local % _DAY <= self._end

    def _is_active_on_wall(self, at: int, tz: dt.tzinfo) -> bool:
        wall = _wall(at, tz)
        if self.years and wall.year not in self.years:
            return False
        if self.months and wall.month not in self.months:
            return False
        if self.month_days and wall.day not in self.month_days:
            return False
        if self.week_days and wall.isoweekday() % 7 not in self._week:
            return False
        if at < self.left_margin(at, tz):
            return False
        return not at > self.right_margin(at, tz)


def _wall(at: int, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(at // SECOND, tz)


def _wall_time_on_day(at: int, tz: dt.tzinfo, since_midnight: int) -> int:
    """The instant the wall clock of ``tz`` shows ``since_midnight`` on the local day of
    ``at``, as Go's ``time.Date`` gives it: on a daylight-saving day 08:00 is still 08:00
    (not midnight + 8 hours); 24:00:00 and beyond roll into the next day."""
    wall = _wall(at, tz)
    days, rest = divmod(since_midnight // SECOND, 86400)
    day = wall.date() + dt.timedelta(days=days)
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    local = dt.datetime(day.year, day.month, day.day, hour, minute, sec, tzinfo=tz)
    return int(local.timestamp()) * SECOND + since_midnight % SECOND


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    """One rate group: from ``group_interval_start`` on, ``value`` per ``rate_unit``,
    charged in ``rate_increment`` steps."""

    group_interval_start: int = 0
    value: Decimal = Decimal(0)
    rate_increment: int = SECOND
    rate_unit: int = SECOND


class RIRate(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """The price part of a rate interval (a DestinationRate row with its Rates)."""

    connect_fee: Decimal = Decimal(0)
    rounding_method: str = ""
    rounding_decimals: int = 0
    max_cost: Decimal = Decimal(0)
    max_cost_strategy: str = ""
    rates: tuple[Rate, ...] = ()  # sorted by group_interval_start

    # the group starts when ``rates`` is sorted (set in __post_init__ through __dict__, the
    # Struct is frozen): rate_at bisects them instead of scanning the rates
    _starts: ClassVar[tuple[int, ...] | None]

    def __post_init__(self) -> None:
        starts = tuple(rate.group_interval_start for rate in self.rates)
        self.__dict__["_starts"] = starts if list(starts) == sorted(starts) else None

    def rate_at(self, group_start: int) -> Rate | None:
        """The rate group in force at ``group_start`` ns into the call."""
        rates = self.rates
        if self._starts is not None:
            index = bisect_right(self._starts, group_start) - 1
            return rates[index] if index >= 0 else None
        for index, rate in enumerate(rates):
            if rate.group_interval_start <= group_start and (
                index == len(rates) - 1 or rates[index + 1].group_interval_start > group_start
            ):
                return rate
        return None


class RateInterval(msgspec.Struct, frozen=True, kw_only=True):
    timing: RITiming
    rating: RIRate
    weight: Decimal = Decimal(0)

    def contains(self, at: int, tz: dt.tzinfo, *, end_time: bool = False) -> bool:
        """Whether the timing is active at ``at``; an end at 00:00:00 counts as 23:59:59."""
        offset = fixed_offset(tz)
        if offset is None:  # a zone with DST: read the wall clock
            if end_time:
                wall = _wall(at, tz)
                if wall.hour == 0 and wall.minute == 0 and wall.second == 0:
                    at -= SECOND
            return self.timing.is_active_at(at, tz)
        if self.timing._always:  # the usual timing: no clock arithmetic at all
            return True
        if end_time and (at + offset) // SECOND % 86400 == 0:
            at -= SECOND
        return self.timing.is_active_at_offset(at, offset)

    def same_slot(self, other: RateInterval | None) -> bool:
        """CGRateS's ``RateInterval.Equal``: weight and timing (not the rating) agree."""
        return other is not None and self.weight == other.weight and self.timing == other.timing


class RatingPlan(msgspec.Struct, frozen=True, kw_only=True):
    """Timings and ratings by key, and per destination id the (timing, rating, weight) bindings.

    ``intervals`` is the compiled form of ``destination_rates``: the RateIntervals to try.
    """

    id: str
    timings: dict[str, RITiming] = msgspec.field(default_factory=dict)
    ratings: dict[str, RIRate] = msgspec.field(default_factory=dict)
    destination_rates: dict[str, tuple[tuple[str, str, Decimal], ...]] = msgspec.field(
        default_factory=dict
    )
    intervals: dict[str, tuple[RateInterval, ...]] = msgspec.field(default_factory=dict)


class RatingPlanActivation(msgspec.Struct, frozen=True, kw_only=True):
    activation_time: int  # ns since the epoch
    rating_plan_id: str
    fallback_keys: tuple[str, ...] = ()  # full profile keys of the fallback subjects


class RatingProfile(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # *out:tenant:category:subject
    activations: tuple[RatingPlanActivation, ...] = ()  # sorted by activation_time
