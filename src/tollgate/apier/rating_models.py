"""Arguments and replies of the APIer methods on DataDB rating objects (v0.10 shapes).

Replies are CGRateS's ``engine.Destination``, ``engine.RatingPlan`` and
``engine.RatingProfile`` as Go's JSON encoder writes them: durations in ns, times RFC 3339.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

import msgspec

from tollgate.core.times import format_rfc3339
from tollgate.core.wire import go_float
from tollgate.rating import (
    RatingPlan,
    RatingProfile,
    RIRate,
    WireRate,
    WireTiming,
    wire_rates,
    wire_timing,
)
from tollgate.tariffplans import TPRatingActivation

__all__ = [
    "AttrGetDestinations",
    "AttrGetRatingProfile",
    "AttrRemoveRatingProfile",
    "AttrSetDestination",
    "AttrSetRatingProfile",
    "DestinationReply",
    "RatingPlanReply",
    "RatingProfileReply",
    "rating_plan_reply",
    "rating_profile_reply",
]


class AttrSetDestination(msgspec.Struct, kw_only=True):
    """APIerSv1.SetDestination."""

    Id: str = ""
    Prefixes: list[str] = msgspec.field(default_factory=list)
    Overwrite: bool = False


class AttrGetDestinations(msgspec.Struct, kw_only=True):
    """APIerSv2.GetDestinations: every destination when ``DestinationIDs`` is empty."""

    DestinationIDs: list[str] | None = None


class AttrGetRatingProfile(msgspec.Struct, kw_only=True):
    """APIerSv1.GetRatingProfile."""

    Tenant: str = ""
    Category: str = ""
    Subject: str = ""


class AttrRemoveRatingProfile(msgspec.Struct, kw_only=True):
    """APIerSv1.RemoveRatingProfile: a key prefix (tenant, then category, then subject)."""

    Tenant: str = ""
    Category: str = ""
    Subject: str = ""


class AttrSetRatingProfile(msgspec.Struct, kw_only=True):
    """APIerSv1.SetRatingProfile (``utils.AttrSetRatingProfile``)."""

    Tenant: str = ""
    Category: str = ""
    Subject: str = ""
    Overwrite: bool = False
    RatingPlanActivations: list[TPRatingActivation] = msgspec.field(default_factory=list)


class DestinationReply(msgspec.Struct, kw_only=True):
    """``engine.Destination``."""

    Id: str
    Prefixes: list[str]


class WireRating(msgspec.Struct, kw_only=True):
    ConnectFee: int | Decimal
    RoundingMethod: str
    RoundingDecimals: int
    MaxCost: int | Decimal
    MaxCostStrategy: str
    Rates: list[WireRate]


class WireRPRate(msgspec.Struct, kw_only=True):
    Timing: str
    Rating: str
    Weight: int | Decimal


class RatingPlanReply(msgspec.Struct, kw_only=True):
    """``engine.RatingPlan``: timings and ratings by short hash, bindings per destination."""

    Id: str
    Timings: dict[str, WireTiming]
    Ratings: dict[str, WireRating]
    DestinationRates: dict[str, list[WireRPRate]]


class WireActivation(msgspec.Struct, kw_only=True):
    ActivationTime: str
    RatingPlanId: str
    FallbackKeys: list[str] | None


class RatingProfileReply(msgspec.Struct, kw_only=True):
    """``engine.RatingProfile``."""

    Id: str
    RatingPlanActivations: list[WireActivation]


def _short_hash(value: object) -> str:
    # CGRateS keys a plan's timings and ratings by the first 8 hex digits of a SHA1
    return hashlib.sha1(repr(value).encode(), usedforsecurity=False).hexdigest()[:8]


def _rating(r: RIRate) -> WireRating:
    return WireRating(
        ConnectFee=go_float(r.connect_fee),
        RoundingMethod=r.rounding_method,
        RoundingDecimals=r.rounding_decimals,
        MaxCost=go_float(r.max_cost),
        MaxCostStrategy=r.max_cost_strategy,
        Rates=wire_rates(r),
    )


def rating_plan_reply(plan: RatingPlan) -> RatingPlanReply:
    """The run-time plan in CGRateS's stored shape."""
    timing_keys = {key: _short_hash(timing) for key, timing in plan.timings.items()}
    return RatingPlanReply(
        Id=plan.id,
        Timings={timing_keys[key]: wire_timing(t) for key, t in plan.timings.items()},
        Ratings={key: _rating(r) for key, r in plan.ratings.items()},
        DestinationRates={
            dest: [
                WireRPRate(Timing=timing_keys[t], Rating=r, Weight=go_float(weight))
                for t, r, weight in bindings
            ]
            for dest, bindings in plan.destination_rates.items()
        },
    )


def rating_profile_reply(profile: RatingProfile) -> RatingProfileReply:
    return RatingProfileReply(
        Id=profile.id,
        RatingPlanActivations=[
            WireActivation(
                ActivationTime=format_rfc3339(act.activation_time),
                RatingPlanId=act.rating_plan_id,
                FallbackKeys=list(act.fallback_keys) or None,
            )
            for act in profile.activations
        ],
    )
