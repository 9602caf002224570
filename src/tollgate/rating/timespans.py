"""Timespans and increments: the pieces a call is cut into while it is rated.

These are mutable working objects (a request builds and edits its own). Increments are
always compressed: ``count * duration`` is one :class:`Increment` with ``compress_factor =
count``, so a 10-hour call in 1s steps costs no more work than a 1-minute one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from tollgate.core.durations import SECOND
from tollgate.core.times import fixed_offset
from tollgate.rating.models import Rate, RateInterval, RITiming, local_date
from tollgate.rating.rounding import Rounding, go_middle, round_money

__all__ = [
    "UNTIMED",
    "DebitInfo",
    "Increment",
    "MonetaryInfo",
    "RatingInfo",
    "TimeSpan",
    "UnitInfo",
    "compress_timespans",
    "round_timespans_to_increment",
]

_ZERO = Decimal(0)
_DAY = 86400 * SECOND
_MIDDLE = Rounding.MIDDLE  # bound once: an Enum attribute lookup costs ~50 ns per use


@dataclass(slots=True)
class RatingInfo:
    """What a rating-profile lookup matched for one activation period of the call."""

    matched_subject: str
    rating_plan_id: str
    matched_prefix: str
    matched_dest_id: str
    activation_time: int
    rate_intervals: list[RateInterval] | None
    fallback_keys: tuple[str, ...] = ()


# The timing of a rate interval CGRateS builds without one (the ``*zero<dur>`` spans of a
# units balance): always active, and written as ``"Timing": null`` on the wire.
UNTIMED = RITiming()


@dataclass(slots=True)
class UnitInfo:
    """``engine.UnitInfo``: the units balance an increment consumed and what is left.

    ``value`` is the balance after the debit (after the last one of a compressed run).
    """

    uuid: str
    id: str
    value: Decimal
    destination_id: str
    consumed: Decimal
    tor: str
    rate_interval: RateInterval | None = None

    def same(self, other: UnitInfo) -> bool:
        """CGRateS's ``UnitInfo.Equal``: the value left is not compared."""
        return (
            self.uuid == other.uuid
            and self.destination_id == other.destination_id
            and self.consumed == other.consumed
            and self.tor == other.tor
            and self.rate_interval == other.rate_interval
        )


@dataclass(slots=True)
class MonetaryInfo:
    """``engine.MonetaryInfo``: the monetary balance that paid and its value after."""

    uuid: str
    id: str
    value: Decimal
    rate_interval: RateInterval | None = None

    def same(self, other: MonetaryInfo) -> bool:
        """CGRateS's ``MonetaryInfo.Equal``: the value left is not compared."""
        return self.uuid == other.uuid and self.rate_interval == other.rate_interval


def _same(a: UnitInfo | MonetaryInfo | None, b: UnitInfo | MonetaryInfo | None) -> bool:
    if a is None or b is None:
        return a is b
    return type(a) is type(b) and a.same(b)  # type: ignore[arg-type]


@dataclass(slots=True)
class DebitInfo:
    """Which balances paid an increment (empty when only rated)."""

    unit: UnitInfo | None = None
    monetary: MonetaryInfo | None = None
    account_id: str = ""

    def same(self, other: DebitInfo | None) -> bool:
        return (
            other is not None
            and _same(self.unit, other.unit)
            and _same(self.monetary, other.monetary)
            and self.account_id == other.account_id
        )


@dataclass(slots=True)
class Increment:
    duration: int
    cost: Decimal
    compress_factor: int = 1
    balance_info: DebitInfo | None = field(default_factory=DebitInfo)

    def same(self, other: Increment) -> bool:
        if self.duration != other.duration or self.cost != other.cost:
            return False
        if self.balance_info is None or other.balance_info is None:
            return self.balance_info is other.balance_info
        return self.balance_info.same(other.balance_info)


def _wall(at: int, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(at // SECOND, tz)


def _at(wall: dt.datetime) -> int:
    return int(wall.timestamp()) * SECOND


@dataclass(slots=True, eq=False)
class TimeSpan:
    time_start: int
    time_end: int
    tz: dt.tzinfo
    duration_index: int = 0
    cost: Decimal = _ZERO
    rate_interval: RateInterval | None = None
    increments: list[Increment] | None = None
    compress_factor: int = 0
    matched_subject: str = ""
    matched_prefix: str = ""
    matched_dest_id: str = ""
    rating_plan_id: str = ""
    rating_info: RatingInfo | None = None
    round_increment: Increment | None = None

    @property
    def duration(self) -> int:
        return self.time_end - self.time_start

    @property
    def group_start(self) -> int:
        return max(self.duration_index - self.time_end + self.time_start, 0)

    def set_rating_info(self, info: RatingInfo) -> None:
        self.rating_info = info
        self.matched_subject = info.matched_subject
        self.matched_prefix = info.matched_prefix
        self.matched_dest_id = info.matched_dest_id
        self.rating_plan_id = info.rating_plan_id

    def _tail(self, at: int) -> TimeSpan:
        """Cut at ``at``: this span ends there, the returned one runs to the old end."""
        new = TimeSpan(at, self.time_end, self.tz, duration_index=self.duration_index)
        if self.rating_info is not None:
            new.set_rating_info(self.rating_info)
        self.duration_index = max(self.duration_index - (self.time_end - at), 0)
        self.time_end = at
        return new

    # -- choosing the rate interval ------------------------------------------------------

    def _keeps_own_interval(self, other: RateInterval) -> bool:
        """CGRateS's ``hasBetterRateIntervalThan``: own weight and closer start win."""
        other_distance = self.time_start - other.timing.left_margin(self.time_start, self.tz)
        if other_distance < 0:
            return True
        own = self.rate_interval
        if own is None or own.weight < other.weight:
            return False
        own_distance = self.time_start - own.timing.left_margin(self.time_start, self.tz)
        return own_distance <= other_distance

    def set_rate_interval(self, interval: RateInterval) -> None:
        if not self._keeps_own_interval(interval):
            self.rate_interval = interval

    def split_by_rate_interval(self, interval: RateInterval, *, data: bool) -> TimeSpan | None:
        """Attach ``interval`` where it applies; returns the part cut off, if any."""
        tz = self.tz
        starts_in = interval.contains(self.time_start, tz)
        ends_in = interval.contains(self.time_end, tz, end_time=True)
        if not (starts_in or ends_in):
            return None
        group_start, group_end = self.group_start, self.duration_index
        for rate in interval.rating.rates:
            if group_start < rate.group_interval_start < group_end:
                self.set_rate_interval(interval)
                new = self._tail(self.time_start + rate.group_interval_start - group_start)
                new.set_rate_interval(interval)
                return new
        if data:
            if starts_in:
                self.set_rate_interval(interval)
            return None
        if starts_in and ends_in:
            self.set_rate_interval(interval)
            return None
        if starts_in:
            split = interval.timing.right_margin(self.time_start, tz)
            self.set_rate_interval(interval)
            if split in (self.time_start, self.time_end):
                return None
            return self._tail(split)
        # only the end is inside: cut where the interval starts on the day the span starts
        left_margin = interval.timing.left_margin(self.time_end, tz)
        offset = fixed_offset(tz)
        if offset is not None:
            day_start = self.time_start - (self.time_start + offset) % _DAY
            split = day_start + (left_margin + offset) // SECOND % 86400 * SECOND
        else:
            left = _wall(left_margin, tz)
            first = _wall(self.time_start, tz)
            split = _at(first.replace(hour=left.hour, minute=left.minute, second=left.second))
        if split == self.time_end:
            return None
        new = self._tail(split)
        new.set_rate_interval(interval)
        return new

    def split_at(self, at: int) -> TimeSpan | None:
        """Cut at an activation time strictly inside the span."""
        if not self.time_start < at < self.time_end:
            return None
        return self._tail(at)

    def split_by_day(self) -> TimeSpan | None:
        """Cut at the next local midnight when the span ends on another day of the month."""
        offset = fixed_offset(self.tz)
        if offset is not None:
            start, end = self.time_start + offset, self.time_end + offset
            # same local day: no date needed (the common case); else compare days of month
            if start // _DAY == end // _DAY or (
                local_date(self.time_start, offset).day == local_date(self.time_end, offset).day
            ):
                return None
            split = self.time_start - start % _DAY + _DAY
            if split >= self.time_end:
                return None
            return self._tail(split)
        first = _wall(self.time_start, self.tz)
        last = _wall(self.time_end, self.tz)
        if first.day == last.day:
            return None
        nxt = first + dt.timedelta(days=1)
        split = _at(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.tz))
        if split >= self.time_end:
            return None
        return self._tail(split)

    # -- costs ---------------------------------------------------------------------------

    def interval_cost(self, rounding_decimals: int) -> Decimal:
        """``duration * value / unit`` of the rate group in force, rounded *middle."""
        if self.rate_interval is None:
            return _ZERO
        rate = self.rate_interval.rating.rate_at(self.group_start)
        if rate is None:
            return _ZERO
        return self._cost_at(rate, rounding_decimals)

    def _cost_at(self, rate: Rate, rounding_decimals: int) -> Decimal:
        """:meth:`interval_cost` for the rate group already looked up (the rounding of the
        quotient decided as CGRateS's float64 decides it, see :func:`go_middle`)."""
        raw = float(self.time_end - self.time_start) * float(rate.value) / float(rate.rate_unit)
        return go_middle(raw, rounding_decimals)

    def calculate_cost(self, rounding_decimals: int) -> Decimal:
        if not self.increments:
            return self.interval_cost(rounding_decimals)
        total = _ZERO
        for inc in self.increments:
            total += inc.cost * inc.compress_factor
        rounded = round_money(total, rounding_decimals, _MIDDLE)
        return rounded * max(self.compress_factor, 1)

    def create_increments(self, rounding_decimals: int) -> None:
        """Cut the span into its rate increments: one compressed Increment of N steps."""
        if self.rate_interval is None:
            return
        self.increments = []
        rate = self.rate_interval.rating.rate_at(self.group_start)
        if rate is None:
            return
        count = (self.time_end - self.time_start) // rate.rate_increment
        if count <= 0:
            self.cost = _ZERO
            return
        each = go_middle(float(self._cost_at(rate, rounding_decimals)) / count, rounding_decimals)
        self.increments.append(Increment(rate.rate_increment, each, count))
        self.cost = each * count

    def same_as(self, other: TimeSpan) -> bool:
        """CGRateS's ``TimeSpan.Equal`` (used to compress identical neighbours)."""
        mine, theirs = self.increments or [], other.increments or []
        if len(mine) != len(theirs):
            return False
        for a, b in zip(mine, theirs, strict=True):
            if not a.same(b) or a.compress_factor != b.compress_factor:
                return False
        if self.rate_interval is None or other.rate_interval is None:
            if self.rate_interval is not other.rate_interval:
                return False
        elif not self.rate_interval.same_slot(other.rate_interval):
            return False
        cf, ocf = max(self.compress_factor, 1), max(other.compress_factor, 1)
        return (
            self.cost / cf == other.cost / ocf
            and self.duration // cf == other.duration // ocf
            and self.matched_subject == other.matched_subject
            and self.matched_prefix == other.matched_prefix
            and self.matched_dest_id == other.matched_dest_id
            and self.rating_plan_id == other.rating_plan_id
        )


def round_timespans_to_increment(spans: list[TimeSpan]) -> None:
    """Stretch a span shorter than (or not a multiple of) its increment to whole increments,
    eating into the spans after it, as CGRateS does."""
    i = 0
    while i < len(spans):
        ts = spans[i]
        if ts.rate_interval is not None:
            rate = ts.rate_interval.rating.rate_at(ts.group_start)
            if rate is not None:
                step, duration = rate.rate_increment, ts.duration
                target = step if step >= duration else -(-duration // step) * step
                if target > duration:
                    ts.time_end = ts.time_start + target
                    ts.duration_index += target - duration
                    _remove_overlapped(spans, i)
        i += 1


def _remove_overlapped(spans: list[TimeSpan], index: int) -> None:
    end = spans[index].time_end
    last = index
    for j in range(index + 1, len(spans)):
        if spans[j].time_end <= end:
            last = j
        elif spans[j].time_start < end:
            spans[j].time_start = end
            break
    del spans[index + 1 : last + 1]


def compress_timespans(spans: list[TimeSpan]) -> list[TimeSpan]:
    """Merge identical neighbours; CompressFactor counts them."""
    out: list[TimeSpan] = []
    for ts in spans:
        if out and out[-1].same_as(ts):
            head = out[-1]
            head.compress_factor += 1
            head.cost += ts.cost
            head.time_end = ts.time_end
            head.duration_index = ts.duration_index
        else:
            if ts.compress_factor == 0:
                ts.compress_factor = 1
            out.append(ts)
    return out
