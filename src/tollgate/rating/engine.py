"""Pricing a call: CallDescriptor in, CallCost out, as CGRateS v0.10's ``GetCost``.

1. rating infos (profile, activations, destination, fallbacks) — :mod:`.lookup`;
2. the call is cut into timespans: at activation times and midnights (voice only), then at
   timing boundaries and rate-group starts of the chosen rate intervals;
3. every span is stretched to whole rate increments; its cost is
   ``round(duration * value / unit)``, divided over its increments and rounded again
   (engine-wide ``rounding_decimals``, ``*middle``);
4. the connect fee is a 0-duration increment of the first span when ``loop_index == 0``;
   ``*free`` MaxCost caps the total; the total is rounded with the DestinationRate's method.

All pure computation: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from tollgate.core.errors import RatingPlanNotFoundError, UnauthorizedDestinationError
from tollgate.rating.lookup import RatingQuery, load_rating_infos
from tollgate.rating.models import MaxCostStrategy, RateInterval, ToR
from tollgate.rating.rounding import Rounding, round_money
from tollgate.rating.store import RatingData
from tollgate.rating.timespans import (
    DebitInfo,
    Increment,
    RatingInfo,
    TimeSpan,
    compress_timespans,
    round_timespans_to_increment,
)

__all__ = ["CallCost", "CallDescriptor", "RatingOptions", "get_cost", "rating_infos_for"]

_ZERO = Decimal(0)
_FREE = MaxCostStrategy.FREE  # bound once: an Enum attribute lookup costs ~50 ns per use


@dataclass(slots=True, frozen=True)
class RatingOptions:
    """Engine settings rating depends on (``general.rounding_decimals``, ``rals.*``)."""

    rounding_decimals: int = 5
    rp_subject_prefix_matching: bool = False


@dataclass(slots=True)
class CallDescriptor:
    """What to price. Instants are int ns since the epoch, read on the ``tz`` wall clock."""

    category: str
    tenant: str
    subject: str
    destination: str
    time_start: int
    time_end: int
    tz: dt.tzinfo = dt.UTC
    account: str = ""
    tor: str = ""
    loop_index: Decimal = _ZERO
    duration_index: int = 0
    max_cost_so_far: Decimal = _ZERO
    perform_rounding: bool = False

    @property
    def duration(self) -> int:
        return self.time_end - self.time_start


@dataclass(slots=True)
class CallCost:
    category: str
    tenant: str
    subject: str
    account: str
    destination: str
    tor: str
    cost: Decimal = _ZERO
    timespans: list[TimeSpan] = field(default_factory=list)
    rated_usage: int = 0
    tz: dt.tzinfo = dt.UTC

    def longest_rounding(self) -> tuple[int, str]:
        """The rounding of the span with the most decimals (CGRateS ``GetLongestRounding``)."""
        decimals, method = 0, ""
        for ts in self.timespans:
            if ts.rate_interval is not None:
                rating = ts.rate_interval.rating
                if rating.rounding_decimals > decimals:
                    decimals, method = rating.rounding_decimals, rating.rounding_method
        return decimals, method

    @property
    def connect_fee(self) -> Decimal:
        """``GetConnectFee``: the first span's rating connect fee."""
        if self.timespans and self.timespans[0].rate_interval is not None:
            return self.timespans[0].rate_interval.rating.connect_fee
        return _ZERO


def _new_cost(cd: CallDescriptor) -> CallCost:
    return CallCost(
        cd.category, cd.tenant, cd.subject, cd.account, cd.destination, cd.tor, tz=cd.tz
    )


def rating_infos_for(
    data: RatingData, cd: CallDescriptor, options: RatingOptions
) -> list[RatingInfo]:
    """Resolve the rating infos of ``cd`` (may set its Destination to ``*any``)."""
    query = RatingQuery(
        cd.tenant, cd.category, cd.subject, cd.destination, cd.time_start, cd.time_end
    )
    try:
        return load_rating_infos(data, query, prefix_matching=options.rp_subject_prefix_matching)
    finally:
        cd.destination = query.destination


def split_in_timespans(cd: CallDescriptor, infos: list[RatingInfo]) -> list[TimeSpan]:
    first = TimeSpan(cd.time_start, cd.time_end, cd.tz, duration_index=cd.duration_index)
    spans = [first]
    if not infos:
        return spans
    first.set_rating_info(infos[0])
    voice = cd.tor == ToR.VOICE
    if voice:
        after_start = False
        for info in infos:
            if not after_start and info.activation_time <= cd.time_start:
                first.set_rating_info(info)
                continue
            after_start = True
            # Deliberate fix: the part after an activation is rated with that activation's
            # plan, and every activation inside the call splits (v0.10 kept the old plan).
            new = spans[-1].split_at(info.activation_time)
            if new is not None:
                new.set_rating_info(info)
                spans.append(new)
        i = 0
        while i < len(spans):
            new = spans[i].split_by_day()
            if new is not None:
                spans.insert(i + 1, new)
            i += 1
    i = 0
    while i < len(spans):
        ts = spans[i]
        span_info = ts.rating_info
        if span_info is not None and span_info.rate_intervals:
            for interval in _select_intervals(span_info, ts):
                new = ts.split_by_rate_interval(interval, data=not voice)
                if new is not None:
                    new.set_rating_info(span_info)
                    spans.insert(i + 1, new)
                    if ts.rate_interval is not None:
                        break
        i += 1
    round_timespans_to_increment(spans)
    return spans


def _select_intervals(info: RatingInfo, ts: TimeSpan) -> list[RateInterval]:
    """Rate intervals that may apply to ``ts``: the best one at its start (highest weight,
    nearest start), then those of no lower weight starting before its end."""
    intervals = info.rate_intervals or ()
    if len(intervals) == 1:  # the usual binding: nothing to choose
        return [intervals[0]]
    start, tz = ts.time_start, ts.tz
    ordered = sorted(
        intervals,
        key=lambda ri: (-ri.weight, ri.timing.left_margin(start, tz)),
    )
    delta = -1
    best_index, best_weight = 0, _ZERO
    for index, ri in enumerate(ordered):
        if not ri.contains(start, tz):
            continue
        if ri.weight < best_weight:
            break
        left = ri.timing.left_margin(start, tz)
        distance = start - left
        if left <= start and (delta == -1 or distance < delta):
            best_index, best_weight, delta = index, ri.weight, distance
    result = [ordered[best_index]]
    for ri in ordered[best_index + 1 :]:
        if ri.weight < best_weight:
            break
        if ri.timing.left_margin(start, tz) < ts.time_end:
            result.append(ri)
    return result


def _rate(cd: CallDescriptor, data: RatingData, options: RatingOptions) -> CallCost:
    """CGRateS ``getCost``: timespans with increments, before connect fee and max cost.

    CGRateS also sums a provisional total here; :func:`get_cost` recomputes it from the
    spans, so it is skipped."""
    rd = options.rounding_decimals
    duration = cd.time_end - cd.time_start
    if duration == 0:
        cc = _new_cost(cd)
        try:
            infos = rating_infos_for(data, cd, options)
        except (RatingPlanNotFoundError, UnauthorizedDestinationError):
            return cc
        ts = TimeSpan(cd.time_start, cd.time_end, cd.tz)
        ts.set_rating_info(infos[0])
        cc.destination = cd.destination
        cc.timespans.append(ts)
        return cc
    cd.duration_index = max(cd.duration_index, duration)
    if not cd.tor:
        cd.tor = ToR.VOICE
    infos = rating_infos_for(data, cd, options)
    spans = split_in_timespans(cd, infos)
    for ts in spans:
        ts.create_increments(rd)
    cc = _new_cost(cd)
    cc.timespans = compress_timespans(spans)
    cc.rated_usage = sum([ts.time_end - ts.time_start for ts in cc.timespans])
    return cc


def get_cost(cd: CallDescriptor, data: RatingData, options: RatingOptions) -> CallCost:
    """Price ``cd`` (CGRateS ``CallDescriptor.GetCost``).

    Raises RATING_PLAN_NOT_FOUND / UNAUTHORIZED_DESTINATION. ``cd`` is updated as CGRateS
    does (ToR default, DurationIndex, MaxCostSoFar, ``*any`` destination).
    """
    cc = _rate(cd, data, options)
    if cd.duration == 0:
        return cc
    rd = options.rounding_decimals
    cost = _ZERO
    first_call = cd.loop_index == 0
    for index, ts in enumerate(cc.timespans):
        interval = ts.rate_interval
        if first_call and index == 0 and interval is not None:
            fee = interval.rating.connect_fee
            ts.increments = [Increment(0, fee, 1, DebitInfo()), *(ts.increments or ())]
        ts.cost = ts.calculate_cost(rd)
        cost += ts.cost
        # CGRateS adds the running total here, not the span's cost; kept for parity
        cd.max_cost_so_far += cost
        if interval is not None:
            rating = interval.rating
            if (
                rating.max_cost_strategy == _FREE
                and rating.max_cost > 0
                and cd.max_cost_so_far >= rating.max_cost
            ):
                cost = rating.max_cost
                cd.max_cost_so_far = rating.max_cost
    decimals, method = cc.longest_rounding()
    cc.cost = round_money(cost, decimals, method)
    return cc


def round_cost(value: Decimal, decimals: int) -> Decimal:
    """The engine-wide ``*middle`` rounding of sums."""
    return round_money(value, decimals, Rounding.MIDDLE)
