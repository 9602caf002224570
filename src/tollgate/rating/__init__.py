"""Rating: what a call costs and why, as CGRateS v0.10's RALs rate it."""

from __future__ import annotations

from tollgate.rating.api import APIerSv1Costs, RALsV1, ResponderCosts
from tollgate.rating.convert import ConvertedRating, convert_tariff_plan
from tollgate.rating.engine import CallCost, CallDescriptor, RatingOptions, get_cost
from tollgate.rating.models import (
    Destination,
    Rate,
    RateInterval,
    RatingPlan,
    RatingPlanActivation,
    RatingProfile,
    RIRate,
    RITiming,
)
from tollgate.rating.replies import (
    EventCost,
    WireRate,
    WireTiming,
    call_cost_reply,
    event_cost_from_call_cost,
    wire_rates,
    wire_timing,
)
from tollgate.rating.rounding import round_money
from tollgate.rating.service import RatingService, RatingSettings
from tollgate.rating.store import RatingData

__all__ = [
    "APIerSv1Costs",
    "CallCost",
    "CallDescriptor",
    "ConvertedRating",
    "Destination",
    "EventCost",
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
    "WireRate",
    "WireTiming",
    "call_cost_reply",
    "convert_tariff_plan",
    "event_cost_from_call_cost",
    "get_cost",
    "round_money",
    "wire_rates",
    "wire_timing",
]
