"""Tariff-plan TP structures → run-time rating objects, as CGRateS's loader builds them.

A RatingPlan binds each destination id of each DestinationRate it references to a
(timing, rating, weight) triple; a rating carries the DestinationRate's rounding and max cost
and the Rates rows (the connect fee is the first row's). ``*any`` as a timing is the built-in
every-time timing, ``*any`` as a destination matches every number. Broken references raise
:class:`~tollgate.core.errors.BrokenReferenceError` naming the ids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from decimal import Decimal

from tollgate.core.durations import SECOND, parse_duration
from tollgate.core.errors import BrokenReferenceError
from tollgate.core.times import GoTime, parse_time_detect_layout
from tollgate.rating.models import (
    ANY,
    Destination,
    RateInterval,
    RatingPlan,
    RatingPlanActivation,
    RatingProfile,
    RIRate,
    RITiming,
    profile_key,
)
from tollgate.rating.models import Rate as RunRate
from tollgate.tariffplans import (
    ApierTPTiming,
    DestinationRate,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingPlan,
    TPRatingProfile,
)

__all__ = [
    "ANY_TIMING",
    "ConvertedRating",
    "convert_destination",
    "convert_rating_plan",
    "convert_rating_profile",
    "convert_tariff_plan",
    "convert_timing",
]

ANY_TIMING = RITiming()


def _broken(what: str) -> BrokenReferenceError:
    return BrokenReferenceError(f"BROKEN_REFERENCE: {what}")


def convert_destination(tp: TPDestination) -> Destination:
    return Destination(id=tp.ID, prefixes=tuple(p for p in tp.Prefixes if p))


def _int_list(text: str, what: str) -> tuple[int, ...]:
    if text in ("", ANY):
        return ()
    try:
        return tuple(int(part) for part in text.split(";") if part)
    except ValueError:
        raise ValueError(f"timing {what}: not a list of integers: {text!r}") from None


def _clock(text: str, now: GoTime | None) -> str:
    if text in ("", ANY):
        return "00:00:00"
    if text in ("*asap", "*now"):
        wall = (now or GoTime(0)).to_datetime()
        return wall.strftime("%H:%M:%S")
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"timing time: not HH:MM:SS: {text!r}")
    return ":".join(p.rjust(2, "0") for p in parts)


def convert_timing(tp: ApierTPTiming, now: GoTime | None = None) -> RITiming:
    """A Timings.csv row; ``*asap`` as Time becomes the load time of day (as CGRateS)."""
    start, _, end = tp.Time.partition(";")
    return RITiming(
        years=_int_list(tp.Years, f"{tp.ID} Years"),
        months=_int_list(tp.Months, f"{tp.ID} Months"),
        month_days=_int_list(tp.MonthDays, f"{tp.ID} MonthDays"),
        week_days=_int_list(tp.WeekDays, f"{tp.ID} WeekDays"),
        start_time=_clock(start, now),
        end_time=_clock(end, now) if end else "",
    )


def _positive(text: str, default: int) -> int:
    value = parse_duration(text)
    return value if value > 0 else default


def _rating(dr: DestinationRate, rate: TPRate) -> RIRate:
    slots = rate.RateSlots
    rates = [
        RunRate(
            group_interval_start=parse_duration(slot.GroupIntervalStart),
            value=slot.Rate,
            rate_increment=_positive(slot.RateIncrement, SECOND),
            rate_unit=_positive(slot.RateUnit, SECOND),
        )
        for slot in slots
    ]
    rates.sort(key=lambda r: r.group_interval_start)
    return RIRate(
        connect_fee=slots[0].ConnectFee if slots else Decimal(0),
        rounding_method=dr.RoundingMethod,
        rounding_decimals=dr.RoundingDecimals,
        max_cost=dr.MaxCost,
        max_cost_strategy=dr.MaxCostStrategy,
        rates=tuple(rates),
    )


def _key(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()[:8]


def convert_rating_plan(
    tp: TPRatingPlan,
    timings: dict[str, RITiming],
    destination_rates: dict[str, TPDestinationRate],
    rates: dict[str, TPRate],
    destination_ids: Iterable[str] | None = None,
) -> RatingPlan:
    """Resolve a RatingPlans.csv entry against the other files (by id).

    ``destination_ids``, when given, is checked for every DestinationId referenced.
    """
    known_dests = None if destination_ids is None else set(destination_ids)
    plan_timings: dict[str, RITiming] = {}
    plan_ratings: dict[str, RIRate] = {}
    bindings: dict[str, list[tuple[str, str, Decimal]]] = {}
    intervals: dict[str, list[RateInterval]] = {}
    for binding in tp.RatingPlanBindings:
        timing = ANY_TIMING if binding.TimingId == ANY else timings.get(binding.TimingId)
        if timing is None:
            raise _broken(f"RatingPlan {tp.ID}: Timing {binding.TimingId}")
        tdr = destination_rates.get(binding.DestinationRatesId)
        if tdr is None:
            raise _broken(f"RatingPlan {tp.ID}: DestinationRates {binding.DestinationRatesId}")
        timing_key = binding.TimingId
        plan_timings[timing_key] = timing
        for dr in tdr.DestinationRates:
            rate = dr.Rate if dr.Rate is not None and dr.Rate.RateSlots else rates.get(dr.RateId)
            if rate is None or not rate.RateSlots:
                raise _broken(f"DestinationRates {tdr.ID}: Rates {dr.RateId}")
            if (
                known_dests is not None
                and dr.DestinationId != ANY
                and dr.DestinationId not in known_dests
            ):
                raise _broken(f"DestinationRates {tdr.ID}: Destination {dr.DestinationId}")
            rating = _rating(dr, rate)
            rating_key = _key(rating)
            plan_ratings[rating_key] = rating
            bindings.setdefault(dr.DestinationId, []).append(
                (timing_key, rating_key, binding.Weight)
            )
            intervals.setdefault(dr.DestinationId, []).append(
                RateInterval(timing=timing, rating=rating, weight=binding.Weight)
            )
    return RatingPlan(
        id=tp.ID,
        timings=plan_timings,
        ratings=plan_ratings,
        destination_rates={k: tuple(v) for k, v in bindings.items()},
        intervals={k: tuple(v) for k, v in intervals.items()},
    )


def convert_rating_profile(
    tp: TPRatingProfile,
    plan_ids: Iterable[str] | None = None,
    *,
    timezone: str = "UTC",
    now: GoTime | None = None,
) -> RatingProfile:
    """A RatingProfiles.csv group; fallback subjects become full profile keys."""
    known = None if plan_ids is None else set(plan_ids)
    activations = []
    for act in tp.RatingPlanActivations:
        if known is not None and act.RatingPlanId not in known:
            raise _broken(f"RatingProfile {tp.key}: RatingPlan {act.RatingPlanId}")
        try:
            when = parse_time_detect_layout(act.ActivationTime or "", timezone, now=now)
        except ValueError as exc:
            what = f"RatingProfile {tp.key}: ActivationTime {act.ActivationTime!r}"
            raise ValueError(f"{what}: {exc}") from None
        fallbacks = tuple(
            profile_key(tp.Tenant, tp.Category, subj)
            for subj in act.FallbackSubjects.split(";")
            if subj
        )
        activations.append(
            RatingPlanActivation(
                activation_time=when.ns, rating_plan_id=act.RatingPlanId, fallback_keys=fallbacks
            )
        )
    activations.sort(key=lambda a: a.activation_time)
    return RatingProfile(id=tp.key, activations=tuple(activations))


class ConvertedRating:
    """The run-time objects of one tariff plan, ready for :meth:`RatingData.load`."""

    def __init__(
        self,
        destinations: list[Destination],
        rating_plans: list[RatingPlan],
        rating_profiles: list[RatingProfile],
    ) -> None:
        self.destinations = destinations
        self.rating_plans = rating_plans
        self.rating_profiles = rating_profiles


def convert_tariff_plan(  # noqa: PLR0917 - the six files in CGRateS load order
    destinations: Sequence[TPDestination] = (),
    timings: Sequence[ApierTPTiming] = (),
    rates: Sequence[TPRate] = (),
    destination_rates: Sequence[TPDestinationRate] = (),
    rating_plans: Sequence[TPRatingPlan] = (),
    rating_profiles: Sequence[TPRatingProfile] = (),
    *,
    timezone: str = "UTC",
    now: GoTime | None = None,
    extra_destination_ids: Iterable[str] = (),
    extra_plan_ids: Iterable[str] = (),
) -> ConvertedRating:
    """Convert the six rating files; references must resolve within them (or the extras,
    for ids already stored)."""
    if now is None:
        now = GoTime.from_datetime(dt.datetime.now(dt.UTC))
    dests = [convert_destination(d) for d in destinations]
    timing_map = {t.ID: convert_timing(t, now) for t in timings}
    rate_map = {r.ID: r for r in rates}
    dr_map = {d.ID: d for d in destination_rates}
    dest_ids = {d.id for d in dests} | set(extra_destination_ids)
    plans = [convert_rating_plan(p, timing_map, dr_map, rate_map, dest_ids) for p in rating_plans]
    plan_ids = {p.id for p in plans} | set(extra_plan_ids)
    profiles = [
        convert_rating_profile(p, plan_ids, timezone=timezone, now=now) for p in rating_profiles
    ]
    return ConvertedRating(dests, plans, profiles)
