"""Rating: what a call costs and why, as CGRateS v0.10's RALs rate it."""

from __future__ import annotations

from tollgate.rating.api import APIerSv1Costs, RALsV1, ResponderCosts
from tollgate.rating.args import CallDescriptorArgs
from tollgate.rating.convert import ConvertedRating, convert_tariff_plan
from tollgate.rating.engine import CallCost, CallDescriptor, RatingOptions, get_cost
from tollgate.rating.models import (
    Destination,
    MaxCostStrategy,
    Rate,
    RateInterval,
    RatingPlan,
    RatingPlanActivation,
    RatingProfile,
    RIRate,
    RITiming,
    ToR,
)
from tollgate.rating.replies import (
    CallCostReply,
    EventCost,
    WireRate,
    WireTiming,
    call_cost_reply,
    event_cost_from_call_cost,
    wire_debit_info,
    wire_rates,
    wire_timing,
)
from tollgate.rating.rounding import money, round_money
from tollgate.rating.service import RatingService, RatingSettings
from tollgate.rating.store import RatingData
from tollgate.rating.timespans import (
    UNTIMED,
    DebitInfo,
    Increment,
    MonetaryInfo,
    TimeSpan,
    UnitInfo,
    compress_timespans,
)

__all__ = [
    "UNTIMED",
    "APIerSv1Costs",
    "CallCost",
    "CallCostReply",
    "CallDescriptor",
    "CallDescriptorArgs",
    "ConvertedRating",
    "DebitInfo",
    "Destination",
    "EventCost",
    "Increment",
    "MaxCostStrategy",
    "MonetaryInfo",
    "RALsV1",
    "RIRate",
    "RITiming",
    "Rate",
    "RateInterval",
    "RatingData",
    "RatingOptions",
    "RatingPlan",
    "RatingPlanActivation",
    "RatingProfile",
    "RatingService",
    "RatingSettings",
    "ResponderCosts",
    "TimeSpan",
    "ToR",
    "UnitInfo",
    "WireRate",
    "WireTiming",
    "call_cost_reply",
    "compress_timespans",
    "convert_tariff_plan",
    "event_cost_from_call_cost",
    "get_cost",
    "money",
    "round_money",
    "wire_debit_info",
    "wire_rates",
    "wire_timing",
]
