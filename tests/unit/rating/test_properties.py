"""Properties of rating that must hold for any call, and the cost of long calls."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tollgate.core.durations import SECOND
from tollgate.rating import CallDescriptor

START = 1_704_103_200 * SECOND  # 2024-01-01T10:00:00Z, a Monday


def _svc(build, connect_fee: str = "0"):
    return build(
        destinations={"DST": ["49"]},
        rates={
            "RT": [
                (connect_fee, "0.6", "60s", "30s", "0s"),
                ("0", "0.1", "60s", "1s", "60s"),
            ]
        },
        destination_rates={"DR": [("DST", "RT", "*middle", 5, "0", "")]},
        rating_plans={"RP": [("DR", "*any", "10")]},
        rating_profiles=[("cgrates.org", "call", "u", "2014-01-01T00:00:00Z", "RP", "")],
    )


@pytest.fixture(scope="module")
def svc(builder):
    return _svc(builder, "0.25")


@pytest.fixture(scope="module")
def flat(builder):
    return builder(
        destinations={"DST": ["49"]},
        rates={"RT": [("0", "0.1", "60s", "1s", "0s")]},
        destination_rates={"DR": [("DST", "RT", "*middle", 5, "0", "")]},
        rating_plans={"RP": [("DR", "*any", "10")]},
        rating_profiles=[("cgrates.org", "call", "u", "2014-01-01T00:00:00Z", "RP", "")],
    )


def _cd(start: int, usage: int, **kw) -> CallDescriptor:
    return CallDescriptor("call", "cgrates.org", "u", "4912", start, start + usage, **kw)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4 * 3600 * SECOND), st.integers(1, 600 * SECOND))
def test_cost_never_decreases_when_usage_grows(svc, usage, extra):
    shorter = svc.get_cost(_cd(START, usage)).cost
    longer = svc.get_cost(_cd(START, usage + extra)).cost
    assert longer >= shorter


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3600), st.integers(1, 3600))
def test_splitting_on_whole_increments_sums_to_the_whole(flat, first_s, second_s):
    whole = flat.get_cost(_cd(START, (first_s + second_s) * SECOND)).cost
    a = flat.get_cost(_cd(START, first_s * SECOND)).cost
    b = flat.get_cost(
        _cd(
            START + first_s * SECOND,
            second_s * SECOND,
            duration_index=(first_s + second_s) * SECOND,
            loop_index=D(1),
        )
    ).cost
    # each part rounds its own *middle sum to 5 decimals: at most half a unit each
    assert abs(a + b - whole) <= D("0.00001")


def test_a_long_call_costs_no_more_work_than_a_short_one(builder):
    svc = _svc(builder)

    def timed(usage: int) -> float:
        begin = time.perf_counter()
        for _ in range(200):
            svc.get_cost(_cd(START, usage))
        return time.perf_counter() - begin

    timed(60 * SECOND)  # warm up
    short, long = timed(60 * SECOND), timed(10 * 3600 * SECOND)
    cc = svc.get_cost(_cd(START, 10 * 3600 * SECOND))
    assert sum(len(ts.increments) for ts in cc.timespans) <= 3  # compressed, not 36000
    assert long < 3 * short + 0.05


@pytest.mark.parametrize("usage_s", [1, 59, 61, 3599])
def test_group_split_prices(builder, usage_s):
    cc = _svc(builder).get_cost(_cd(START, usage_s * SECOND))
    first = D("0.6") if usage_s > 30 else D("0.3")
    rest = max(usage_s - 60, 0) * round(D("0.1") / 60, 5)
    assert cc.cost == first + rest
