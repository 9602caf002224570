"""The rating files on their tables: one row per prefix, rate slot, destination rate,
binding and activation; timings one row each."""

from __future__ import annotations

import logging
from decimal import Decimal

from tollgate.storage.stordb.schema import (
    tp_destination_rates,
    tp_destinations,
    tp_rates,
    tp_rating_plans,
    tp_rating_profiles,
    tp_timings,
)
from tollgate.storage.stordb.tpkind import TAG, Row, TPKind
from tollgate.tariffplans import (
    ApierTPTiming,
    DestinationRate,
    RateSlot,
    TPDestination,
    TPDestinationRate,
    TPRate,
    TPRatingActivation,
    TPRatingPlan,
    TPRatingPlanBinding,
    TPRatingProfile,
)

__all__ = [
    "DESTINATIONS",
    "DESTINATION_RATES",
    "RATES",
    "RATING_PLANS",
    "RATING_PROFILES",
    "TIMINGS",
]

logger = logging.getLogger(__name__)


def _add_timing(t: ApierTPTiming, r: Row) -> None:
    t.Years, t.Months, t.MonthDays = r["years"], r["months"], r["month_days"]
    t.WeekDays, t.Time = r["week_days"], r["time"]


DESTINATIONS: TPKind[TPDestination] = TPKind(
    tp_destinations,
    TPDestination,
    TAG,
    lambda d: [{"prefix": p} for p in d.Prefixes],
    lambda d, r: d.Prefixes.append(r["prefix"]),
)
TIMINGS: TPKind[ApierTPTiming] = TPKind(
    tp_timings,
    ApierTPTiming,
    TAG,
    lambda t: [
        {
            "years": t.Years,
            "months": t.Months,
            "month_days": t.MonthDays,
            "week_days": t.WeekDays,
            "time": t.Time,
        }
    ],
    _add_timing,
)
RATES: TPKind[TPRate] = TPKind(
    tp_rates,
    TPRate,
    TAG,
    lambda rt: [
        {
            "connect_fee": str(s.ConnectFee),
            "rate": str(s.Rate),
            "rate_unit": s.RateUnit,
            "rate_increment": s.RateIncrement,
            "group_interval_start": s.GroupIntervalStart,
        }
        for s in rt.RateSlots
    ],
    lambda rt, r: rt.RateSlots.append(
        RateSlot(
            ConnectFee=Decimal(r["connect_fee"]),
            Rate=Decimal(r["rate"]),
            RateUnit=r["rate_unit"],
            RateIncrement=r["rate_increment"],
            GroupIntervalStart=r["group_interval_start"],
        )
    ),
)
DESTINATION_RATES: TPKind[TPDestinationRate] = TPKind(
    tp_destination_rates,
    TPDestinationRate,
    TAG,
    lambda d: [
        {
            "destinations_tag": dr.DestinationId,
            "rates_tag": dr.RateId,
            "rounding_method": dr.RoundingMethod,
            "rounding_decimals": dr.RoundingDecimals,
            "max_cost": str(dr.MaxCost),
            "max_cost_strategy": dr.MaxCostStrategy,
        }
        for dr in d.DestinationRates
    ],
    lambda d, r: d.DestinationRates.append(
        DestinationRate(
            DestinationId=r["destinations_tag"],
            RateId=r["rates_tag"],
            RoundingMethod=r["rounding_method"],
            RoundingDecimals=r["rounding_decimals"],
            MaxCost=Decimal(r["max_cost"]),
            MaxCostStrategy=r["max_cost_strategy"],
        )
    ),
)
RATING_PLANS: TPKind[TPRatingPlan] = TPKind(
    tp_rating_plans,
    TPRatingPlan,
    TAG,
    lambda p: [
        {"destrates_tag": b.DestinationRatesId, "timing_tag": b.TimingId, "weight": str(b.Weight)}
        for b in p.RatingPlanBindings
    ],
    lambda p, r: p.RatingPlanBindings.append(
        TPRatingPlanBinding(
            DestinationRatesId=r["destrates_tag"],
            TimingId=r["timing_tag"],
            Weight=Decimal(r["weight"]),
        )
    ),
)
RATING_PROFILES: TPKind[TPRatingProfile] = TPKind(
    tp_rating_profiles,
    TPRatingProfile,
    (("loadid", "LoadId"), ("tenant", "Tenant"), ("category", "Category"), ("subject", "Subject")),
    lambda p: [
        {
            "activation_time": a.ActivationTime,
            "rating_plan_tag": a.RatingPlanId,
            "fallback_subjects": a.FallbackSubjects,
        }
        for a in p.RatingPlanActivations
    ],
    lambda p, r: p.RatingPlanActivations.append(
        TPRatingActivation(
            ActivationTime=r["activation_time"],
            RatingPlanId=r["rating_plan_tag"],
            FallbackSubjects=r["fallback_subjects"],
        )
    ),
)
