"""The rating rules that decide the numbers, one at a time."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal as D

import pytest

from tollgate.core.errors import (
    MaxUsageExceededError,
    RatingPlanNotFoundError,
    UnauthorizedDestinationError,
)
from tollgate.rating import CallDescriptor
from tollgate.rating.rounding import money, round_money

T0 = "2024-01-01T10:00:00Z"


def _flat(builder, rate, *, method="*up", decimals=4, max_cost="0", strategy="", **settings):
    """One subject 1001, destination DST (prefix 49), one rate."""
    return builder(
        destinations={"DST": ["49"]},
        rates={"RT": rate},
        destination_rates={"DR": [("DST", "RT", method, decimals, max_cost, strategy)]},
        rating_plans={"RP": [("DR", "*any", "10")]},
        rating_profiles=[("cgrates.org", "call", "1001", "2014-01-01T00:00:00Z", "RP", "")],
        **settings,
    )


def test_tutorial_call_costs_07169(tutorial, call):
    cc = tutorial.get_cost(call("1001", "1002", T0, "2024-01-01T10:02:10Z"))
    assert cc.cost == D("0.7169")
    first, second = cc.timespans
    assert [(i.duration, i.cost, i.compress_factor) for i in first.increments] == [
        (0, D("0.4"), 1),
        (60_000_000_000, D("0.2"), 1),
    ]
    assert [(i.duration, i.cost, i.compress_factor) for i in second.increments] == [
        (1_000_000_000, D("0.00167"), 70)
    ]
    assert cc.rated_usage == 130_000_000_000
    assert first.matched_subject == "*out:cgrates.org:call:1001"
    assert (first.matched_prefix, first.matched_dest_id, first.rating_plan_id) == (
        "1002",
        "DST_1002",
        "RP_1001",
    )


def test_unit_test_rounding_decimals_6(tutorial, call):
    tutorial.settings = type(tutorial.settings)(rounding_decimals=6)
    cc = tutorial.get_cost(call("1001", "1002", T0, "2024-01-01T10:02:10Z"))
    # 0.1/60 per second -> 0.001667 with 6 decimals; 70 * 0.001667 = 0.11669 -> *up 4
    assert cc.cost == D("0.7167")


def test_connect_fee_only_on_loop_index_zero(tutorial, call):
    cc = tutorial.get_cost(call("1001", "1002", T0, "2024-01-01T10:00:30Z", loop_index=D(1)))
    assert cc.cost == D("0.2")
    assert cc.connect_fee == D("0.4")  # still reported, as GetConnectFee does
    assert all(i.duration for i in cc.timespans[0].increments)


def test_last_increment_is_rounded_up(builder, call):
    svc = _flat(builder, [("0", "0.6", "60s", "20s", "0s")])
    cc = svc.get_cost(call("1001", "4930", T0, "2024-01-01T10:00:41Z"))
    # 41s in 20s steps -> 3 steps = 60s -> 0.6
    assert cc.cost == D("0.6")
    assert cc.rated_usage == 60_000_000_000
    assert cc.timespans[0].time_end - cc.timespans[0].time_start == 60_000_000_000


def test_rate_unit_and_increment(builder, call):
    svc = _flat(builder, [("0", "1", "1m", "10s", "0s")])
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:00:35Z"))
    assert cc.cost == D("0.6667")  # 40s of 1/min, *up 4 decimals


def test_group_interval_starts_split_the_call(builder, call):
    svc = _flat(
        builder,
        [
            ("0", "0.6", "60s", "60s", "0s"),
            ("0", "0.3", "60s", "1s", "60s"),
            ("0", "0.06", "60s", "1s", "120s"),
        ],
    )
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:03:00Z"))
    assert [ts.time_end - ts.time_start for ts in cc.timespans] == [60e9, 60e9, 60e9]
    assert cc.cost == D("0.6") + D("0.3") + D("0.06")


@pytest.mark.parametrize(
    ("method", "expected"),
    [("*up", D("0.02")), ("*down", D("0.01")), ("*middle", D("0.02")), ("", D("0.0167"))],
)
def test_destination_rate_rounding_of_the_total(builder, call, method, expected):
    svc = _flat(builder, [("0", "0.1", "60s", "1s", "0s")], method=method, decimals=2)
    if method == "":
        svc = _flat(builder, [("0", "0.1", "60s", "1s", "0s")], method="", decimals=0)
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:00:10Z"))
    assert cc.cost == expected


@pytest.mark.parametrize(
    ("value", "decimals", "method", "expected"),
    [
        ("0.00166666", 5, "*middle", "0.00167"),
        ("0.00166499", 5, "*middle", "0.00166"),
        ("0.169992", 2, "*up", "0.17"),
        ("0.1200000001", 2, "*up", "0.12"),  # below the float-noise guard
        ("0.129", 2, "*down", "0.12"),
        ("0.125", 2, "*other", "0.125"),
        ("10.0000", 4, "*up", "10"),
    ],
)
def test_round_money(value, decimals, method, expected):
    got = round_money(D(value), decimals, method)
    assert str(got) == expected


def test_money_normalises_for_the_wire():
    assert str(money(D("10800.000"))) == "10800"
    assert str(money(D("0.71690"))) == "0.7169"


def test_max_cost_free_caps_the_cost(builder, call):
    svc = _flat(builder, [("0", "1", "1s", "1s", "0s")], max_cost="10", strategy="*free")
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:00:30Z"))
    assert cc.cost == D("10")


def test_max_cost_disconnect_is_ignored_by_get_cost(builder, call):
    svc = _flat(builder, [("0", "1", "1s", "1s", "0s")], max_cost="10", strategy="*disconnect")
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:00:30Z"))
    assert cc.cost == D("30")


@pytest.fixture
def peak(builder):
    return builder(
        destinations={"DST": ["49"]},
        timings={
            "PEAK": ("*any", "*any", "*any", "1;2;3;4;5", "08:00:00"),
            "OFFPEAK_EVE": ("*any", "*any", "*any", "1;2;3;4;5", "19:00:00"),
            "OFFPEAK_MORN": ("*any", "*any", "*any", "1;2;3;4;5", "00:00:00"),
            "WEEKEND": ("*any", "*any", "*any", "6;7", "00:00:00"),
            "XMAS": ("*any", "12", "25", "*any", "00:00:00"),
        },
        rates={
            "RT_PEAK": [("0", "0.6", "60s", "1s", "0s")],
            "RT_OFF": [("0", "0.06", "60s", "1s", "0s")],
            "RT_FREE": [("0", "0", "60s", "1s", "0s")],
        },
        destination_rates={
            "DR_PEAK": [("DST", "RT_PEAK", "*middle", 4, "0", "")],
            "DR_OFF": [("DST", "RT_OFF", "*middle", 4, "0", "")],
            "DR_FREE": [("DST", "RT_FREE", "*middle", 4, "0", "")],
        },
        rating_plans={
            "RP": [
                ("DR_PEAK", "PEAK", "10"),
                ("DR_OFF", "OFFPEAK_EVE", "10"),
                ("DR_OFF", "OFFPEAK_MORN", "10"),
                ("DR_OFF", "WEEKEND", "10"),
                ("DR_FREE", "XMAS", "20"),
            ]
        },
        rating_profiles=[("cgrates.org", "call", "1001", "2014-01-01T00:00:00Z", "RP", "")],
    )


def test_peak_and_offpeak(peak, call):
    # Monday 2024-01-08
    cc = peak.get_cost(call("1001", "49", "2024-01-08T10:00:00Z", "2024-01-08T10:01:00Z"))
    assert cc.cost == D("0.6")
    cc = peak.get_cost(call("1001", "49", "2024-01-08T20:00:00Z", "2024-01-08T20:01:00Z"))
    assert cc.cost == D("0.06")
    cc = peak.get_cost(call("1001", "49", "2024-01-13T10:00:00Z", "2024-01-13T10:01:00Z"))
    assert cc.cost == D("0.06")  # Saturday


def test_call_crossing_a_timing_boundary_is_split(peak, call):
    cc = peak.get_cost(call("1001", "49", "2024-01-08T18:59:30Z", "2024-01-08T19:00:30Z"))
    assert [ts.rate_interval.timing.start_time for ts in cc.timespans] == ["08:00:00", "19:00:00"]
    assert [ts.time_end - ts.time_start for ts in cc.timespans] == [30e9, 30e9]
    assert cc.cost == D("0.3") + D("0.03")


def test_timings_follow_the_wall_clock_on_daylight_saving_days(builder):
    # Sunday 2026-03-29, Berlin springs forward at 02:00: 08:00 local is 06:00 UTC, not
    # midnight + 8 hours (07:00 UTC) as a 24-hour day would put it
    svc = builder(
        destinations={"DST": ["49"]},
        timings={
            "DAY": ("*any", "*any", "*any", "*any", "08:00:00"),
            "NIGHT": ("*any", "*any", "*any", "*any", "00:00:00"),
        },
        rates={
            "RT_DAY": [("0", "0.6", "60s", "60s", "0s")],
            "RT_NIGHT": [("0", "0", "60s", "60s", "0s")],
        },
        destination_rates={
            "DR_DAY": [("DST", "RT_DAY", "*middle", 4, "0", "")],
            "DR_NIGHT": [("DST", "RT_NIGHT", "*middle", 4, "0", "")],
        },
        rating_plans={"RP": [("DR_DAY", "DAY", "10"), ("DR_NIGHT", "NIGHT", "10")]},
        rating_profiles=[("cgrates.org", "call", "1001", "2014-01-01T00:00:00Z", "RP", "")],
    )
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    start = int(dt.datetime(2026, 3, 29, 7, 59, tzinfo=berlin).timestamp()) * 10**9
    cd = CallDescriptor("call", "cgrates.org", "1001", "49", start, start + 120 * 10**9, berlin)
    cc = svc.get_cost(cd)
    assert [ts.time_end - ts.time_start for ts in cc.timespans] == [60e9, 60e9]
    assert cc.cost == D("0.6")  # one free night minute, one day minute


def test_heavier_timing_wins(peak, call):
    cc = peak.get_cost(call("1001", "49", "2024-12-25T10:00:00Z", "2024-12-25T10:01:00Z"))
    assert cc.cost == 0
    assert cc.timespans[0].rate_interval.weight == 20


def test_activation_inside_the_call_splits_it(builder, call):
    svc = builder(
        destinations={"DST": ["49"]},
        rates={"R1": [("0", "1", "60s", "60s", "0s")], "R2": [("0", "2", "60s", "60s", "0s")]},
        destination_rates={
            "D1": [("DST", "R1", "*up", 4, "0", "")],
            "D2": [("DST", "R2", "*up", 4, "0", "")],
        },
        rating_plans={"OLD": [("D1", "*any", "10")], "NEW": [("D2", "*any", "10")]},
        rating_profiles=[
            ("cgrates.org", "call", "1001", "2014-01-01T00:00:00Z", "OLD", ""),
            ("cgrates.org", "call", "1001", "2024-01-01T10:02:00Z", "NEW", ""),
        ],
    )
    cc = svc.get_cost(call("1001", "49", T0, "2024-01-01T10:05:00Z"))
    assert [ts.rating_plan_id for ts in cc.timespans] == ["OLD", "NEW"]
    assert cc.timespans[0].time_end == cc.timespans[1].time_start
    assert cc.cost == 2 * 1 + 3 * 2


@pytest.fixture
def prefixes(builder):
    return builder(
        destinations={"DE": ["49"], "DE_MOB": ["4915", "4917"], "ANYWHERE": ["4"]},
        rates={
            "R_DE": [("0", "1", "60s", "60s", "0s")],
            "R_MOB": [("0", "2", "60s", "60s", "0s")],
            "R_ANY": [("0", "5", "60s", "60s", "0s")],
        },
        destination_rates={
            "DR": [
                ("DE", "R_DE", "*up", 4, "0", ""),
                ("DE_MOB", "R_MOB", "*up", 4, "0", ""),
                ("*any", "R_ANY", "*up", 4, "0", ""),
            ],
            "DR_NOANY": [("DE", "R_DE", "*up", 4, "0", "")],
        },
        rating_plans={"RP": [("DR", "*any", "10")], "RP2": [("DR_NOANY", "*any", "10")]},
        rating_profiles=[
            ("cgrates.org", "call", "1001", "2014-01-01T00:00:00Z", "RP", ""),
            ("cgrates.org", "call", "1002", "2014-01-01T00:00:00Z", "RP2", ""),
        ],
    )


@pytest.mark.parametrize(
    ("number", "match"),
    [
        ("4917612345", ("4917", "DE_MOB", 2)),
        ("4930123", ("49", "DE", 1)),
        ("3312345", ("*any", "*any", 5)),
        ("*any", ("*any", "*any", 5)),
        ("", ("*any", "*any", 5)),
    ],
)
def test_longest_prefix_then_any(prefixes, call, number, match):
    prefix, dest, cost = match
    cc = prefixes.get_cost(call("1001", number, T0, "2024-01-01T10:01:00Z"))
    assert (cc.timespans[0].matched_prefix, cc.timespans[0].matched_dest_id) == (prefix, dest)
    assert cc.cost == cost


def test_destination_not_covered_is_unauthorized(prefixes, call):
    with pytest.raises(UnauthorizedDestinationError):
        prefixes.get_cost(call("1002", "3312345", T0, "2024-01-01T10:01:00Z"))


def test_unknown_subject_uses_any_then_fails(tutorial, call):
    cc = tutorial.get_cost(call("999", "1002", T0, "2024-01-01T10:00:01Z", category="sms"))
    assert cc.timespans[0].matched_subject == "*out:cgrates.org:sms:*any"
    with pytest.raises(RatingPlanNotFoundError):
        tutorial.get_cost(call("999", "1002", T0, "2024-01-01T10:00:01Z"))


def test_rates_fallback_subject(builder, call):
    svc = builder(
        destinations={"DE": ["49"], "FR": ["33"]},
        rates={"R1": [("0", "1", "60s", "60s", "0s")], "R2": [("0", "3", "60s", "60s", "0s")]},
        destination_rates={
            "D_DE": [("DE", "R1", "*up", 4, "0", "")],
            "D_FR": [("FR", "R2", "*up", 4, "0", "")],
        },
        rating_plans={"P_DE": [("D_DE", "*any", "10")], "P_FR": [("D_FR", "*any", "10")]},
        rating_profiles=[
            ("cgrates.org", "call", "reseller", "2014-01-01T00:00:00Z", "P_DE", "wholesale"),
            ("cgrates.org", "call", "wholesale", "2014-01-01T00:00:00Z", "P_FR", ""),
        ],
    )
    cc = svc.get_cost(call("reseller", "3312", T0, "2024-01-01T10:01:00Z"))
    assert cc.timespans[0].matched_subject == "*out:cgrates.org:call:wholesale"
    assert cc.cost == 3
    assert svc.get_cost(call("reseller", "4912", T0, "2024-01-01T10:01:00Z")).cost == 1


def test_subject_prefix_matching(builder, call):
    kw = {
        "destinations": {"DE": ["49"]},
        "rates": {"R1": [("0", "1", "60s", "60s", "0s")]},
        "destination_rates": {"D": [("DE", "R1", "*up", 4, "0", "")]},
        "rating_plans": {"P": [("D", "*any", "10")]},
        "rating_profiles": [("cgrates.org", "call", "100", "2014-01-01T00:00:00Z", "P", "")],
    }
    off = builder(**kw)
    with pytest.raises(RatingPlanNotFoundError):
        off.get_cost(call("1001", "49", T0, "2024-01-01T10:01:00Z"))
    on = builder(**kw, rp_subject_prefix_matching=True)
    cc = on.get_cost(call("1001", "49", T0, "2024-01-01T10:01:00Z"))
    assert cc.timespans[0].matched_subject == "*out:cgrates.org:call:100"


def test_max_computed_usage(tutorial, call):
    with pytest.raises(MaxUsageExceededError):
        tutorial.get_cost(call("1001", "1002", T0, "2024-01-04T10:00:01Z"))  # 72h + 1s
    cc = tutorial.get_cost(call("1001", "1002", T0, "2024-01-04T10:00:00Z"))
    assert cc.rated_usage == 72 * 3600 * 10**9
    with pytest.raises(MaxUsageExceededError):
        tutorial.get_cost(
            call(
                "x",
                "1",
                T0,
                "2024-01-01T10:00:00.000010001Z",
                category="sms",
                tor="*sms",
            )
        )


def test_zero_usage_costs_nothing_but_keeps_the_match(tutorial, call):
    cc = tutorial.get_cost(call("1001", "1002", T0, T0))
    assert cc.cost == 0
    (ts,) = cc.timespans
    assert (ts.matched_subject, ts.rating_plan_id) == ("*out:cgrates.org:call:1001", "RP_1001")
    assert ts.rate_interval is None
    assert ts.increments is None


def test_sms_unit_is_one_nanosecond(tutorial, call):
    cc = tutorial.get_cost(
        call("x", "+49", T0, "2024-01-01T10:00:00.000000003Z", category="sms", tor="*sms")
    )
    assert cc.cost == D("0.03")


def test_data_is_not_split_on_timings(builder, call):
    svc = builder(
        timings={"DAY": ("*any", "*any", "*any", "*any", "08:00:00")},
        rates={"R": [("0", "1", "1024", "1024", "0")]},
        destination_rates={"D": [("*any", "R", "*up", 4, "0", "")]},
        rating_plans={"P": [("D", "*any", "10"), ("D", "DAY", "10")]},
        rating_profiles=[("cgrates.org", "data", "*any", "2014-01-01T00:00:00Z", "P", "")],
    )
    cc = svc.get_cost(
        call("u", "", "2024-01-01T07:59:59Z", "2024-01-01T08:00:01Z", category="data", tor="*data")
    )
    assert len(cc.timespans) == 1
    assert cc.destination == "*any"
    assert cc.cost == 2 * 10**9 // 1024  # 1 per 1024 units, 2e9 units
