"""Builders for rating tests: a tariff plan from short tuples, call descriptors from strings."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tollgate.core.times import parse_rfc3339
from tollgate.rating import CallDescriptor, RatingData, RatingService, RatingSettings
from tollgate.rating.convert import convert_tariff_plan
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

D = Decimal


def build_service(
    *,
    destinations: dict[str, list[str]] | None = None,
    timings: dict[str, tuple[str, str, str, str, str]] | None = None,
    rates: dict[str, list[tuple[str, str, str, str, str]]],
    destination_rates: dict[str, list[tuple[str, str, str, int, str, str]]],
    rating_plans: dict[str, list[tuple[str, str, str]]],
    rating_profiles: list[tuple[str, str, str, str, str, str]],
    **settings: Any,
) -> RatingService:
    """rates: id -> [(ConnectFee, Rate, RateUnit, RateIncrement, GroupIntervalStart)];
    destination_rates: id -> [(DestId, RateId, Method, Decimals, MaxCost, Strategy)];
    rating_plans: id -> [(DestinationRatesId, TimingId, Weight)];
    rating_profiles: [(Tenant, Category, Subject, ActivationTime, PlanId, Fallbacks)]."""
    tp_dests = [TPDestination(ID=k, Prefixes=v) for k, v in (destinations or {}).items()]
    tp_timings = [
        ApierTPTiming(ID=k, Years=y, Months=m, MonthDays=md, WeekDays=wd, Time=t)
        for k, (y, m, md, wd, t) in (timings or {}).items()
    ]
    tp_rates = [
        TPRate(
            ID=k,
            RateSlots=[
                RateSlot(
                    ConnectFee=D(cf), Rate=D(r), RateUnit=u, RateIncrement=i, GroupIntervalStart=g
                )
                for cf, r, u, i, g in rows
            ],
        )
        for k, rows in rates.items()
    ]
    tp_drs = [
        TPDestinationRate(
            ID=k,
            DestinationRates=[
                DestinationRate(
                    DestinationId=dest,
                    RateId=rate,
                    RoundingMethod=method,
                    RoundingDecimals=dec,
                    MaxCost=D(mc or "0"),
                    MaxCostStrategy=strat,
                )
                for dest, rate, method, dec, mc, strat in rows
            ],
        )
        for k, rows in destination_rates.items()
    ]
    tp_plans = [
        TPRatingPlan(
            ID=k,
            RatingPlanBindings=[
                TPRatingPlanBinding(DestinationRatesId=dr, TimingId=t, Weight=D(w))
                for dr, t, w in rows
            ],
        )
        for k, rows in rating_plans.items()
    ]
    grouped: dict[tuple[str, str, str], TPRatingProfile] = {}
    for tenant, cat, subj, act, plan, fb in rating_profiles:
        prof = grouped.setdefault(
            (tenant, cat, subj), TPRatingProfile(Tenant=tenant, Category=cat, Subject=subj)
        )
        prof.RatingPlanActivations.append(
            TPRatingActivation(ActivationTime=act, RatingPlanId=plan, FallbackSubjects=fb)
        )
    conv = convert_tariff_plan(
        tp_dests, tp_timings, tp_rates, tp_drs, tp_plans, list(grouped.values())
    )
    data = RatingData()
    data.load(conv.destinations, conv.rating_plans, conv.rating_profiles)
    return RatingService(data, RatingSettings(**settings))


def make_call(
    subject: str,
    destination: str,
    start: str,
    end: str,
    *,
    tenant: str = "cgrates.org",
    category: str = "call",
    **kw: Any,
) -> CallDescriptor:
    a, b = parse_rfc3339(start), parse_rfc3339(end)
    return CallDescriptor(category, tenant, subject, destination, a.ns, b.ns, a.tz, **kw)


@pytest.fixture
def tutorial() -> RatingService:
    """The tutorial rating files, typed in by hand."""
    return build_service(
        destinations={"DST_1002": ["1002"], "DST_1001": ["1001"], "DST_FS": ["10"]},
        rates={
            "RT_10CNT": [("0.2", "0.1", "60s", "60s", "0s"), ("0", "0.05", "60s", "1s", "60s")],
            "RT_20CNT": [("0.4", "0.2", "60s", "60s", "0s"), ("0", "0.1", "60s", "1s", "60s")],
            "RT_SMS": [("0", "0.01", "1", "1", "0")],
        },
        destination_rates={
            "DR_1002_20CNT": [("DST_1002", "RT_20CNT", "*up", 4, "0", "")],
            "DR_1001_20CNT": [("DST_1001", "RT_20CNT", "*up", 4, "0", "")],
            "DR_SMS": [("*any", "RT_SMS", "*up", 4, "0", "")],
        },
        rating_plans={
            "RP_1001": [("DR_1002_20CNT", "*any", "10")],
            "RP_1002": [("DR_1001_20CNT", "*any", "10")],
            "RP_SMS": [("DR_SMS", "*any", "0")],
        },
        rating_profiles=[
            ("cgrates.org", "call", "1001", "2014-01-14T00:00:00Z", "RP_1001", ""),
            ("cgrates.org", "call", "1002", "2014-01-14T00:00:00Z", "RP_1002", ""),
            ("cgrates.org", "sms", "*any", "2014-01-14T00:00:00Z", "RP_SMS", ""),
        ],
    )


@pytest.fixture(scope="session")
def builder() -> Callable[..., RatingService]:
    return build_service


@pytest.fixture
def call() -> Callable[..., CallDescriptor]:
    return make_call
