"""Tariff plans: the CGRateS v0.10 CSV folder format and its TP* structures."""

from __future__ import annotations

from tollgate.tariffplans.models import (
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
    "ApierTPTiming",
    "DestinationRate",
    "RateSlot",
    "TPDestination",
    "TPDestinationRate",
    "TPRate",
    "TPRatingActivation",
    "TPRatingPlan",
    "TPRatingPlanBinding",
    "TPRatingProfile",
]
